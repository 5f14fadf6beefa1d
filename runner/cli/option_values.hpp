// Parsers for the values of ringrun's options, in GNU parallel's notations: job counts
// (-j 4, 50%, +2, -1, 0), sizes (--memfree 1G), durations (--timeout 5, 200%),
// delimiters (-d '\t') and signal sequences (--termseq TERM,200,KILL,25). Each throws
// UsageError naming the option and the bad value; none has side effects.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "worker/command_executor.hpp"

namespace ringrun {

// -j: N; N% of the cores; +N / -N cores plus or minus N; 0: as many as can run
// (as_many_as_possible). Never less than 1, never more than max_workers.
size_t parse_job_count(const std::string& text, size_t cores, size_t max_workers,
                       size_t as_many_as_possible);

// 1000, 10k, 512M, 2G, 1T (powers of 1024, as GNU parallel).
uint64_t parse_size(const std::string& option, const std::string& text);

// The longest duration taken (about 31 years): longer ones would overflow as
// milliseconds or nanoseconds.
inline constexpr double kLongestDurationSeconds = 1e9;

// Seconds, possibly fractional, with an optional unit: ms, s, m, h, d ("250ms", "1.5h").
// False if text is not one, or is longer than kLongestDurationSeconds. The one duration
// syntax of the command line and job files.
bool parse_duration_seconds(const std::string& text, double& seconds);
// The same, or UsageError naming option.
// --retry-on: causes separated by commas (exit,signal,timeout,lost,memory,start), as bits.
uint8_t parse_causes(const std::string& option, const std::string& text);
double parse_seconds(const std::string& option, const std::string& text);
// "N%" with N above 0; UsageError naming option otherwise.
double parse_percent(const std::string& option, const std::string& text);

// -d: one character, or a C escape (\n \t \0 \\ \r).
char parse_delimiter(const std::string& text);

// --termseq: signal names or numbers alternating with milliseconds to wait.
std::vector<TermStep> parse_termseq(const std::string& text);

}  // namespace ringrun
