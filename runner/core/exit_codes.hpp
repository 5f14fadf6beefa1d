// The exit codes every front end shares (docs/exit-codes.md, --help), and the error a
// user's mistake is thrown as: one line on stderr, exit kExitUsage.
// Must never hold anything but codes and that one error type.
#pragma once

#include <stdexcept>
#include <string>

namespace ringrun {

inline constexpr int kExitMaxFailed = 101;        // that many failed jobs, or more
inline constexpr int kExitRestartLimit = 102;     // workers died faster than --max-restarts allows
inline constexpr int kExitRecordsFull = 103;      // a record could not be written: a full disk
inline constexpr int kExitInterruptedBase = 128;  // + the signal number
inline constexpr int kExitOutputClosed = 141;
inline constexpr int kExitUsage = 255;  // a bad command line, option value or input file

class UsageError : public std::runtime_error {
  public:
    explicit UsageError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace ringrun
