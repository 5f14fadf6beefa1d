// Where in a /bin/sh command line a replacement string stands: bare, inside '...', inside
// "...", and under how many backquote substitutions, so that the value put there is
// quoted for that place and stays one literal word ('{}' and "{}" included; GNU parallel
// quotes for the bare place only, and an input like $(touch x) runs inside "{}").
// Must never emit a quoting that lets any byte of a value act as shell syntax.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringrun {

struct ShellPlace {
    enum class Quotes : uint8_t { none, single, double_ } quotes = Quotes::none;
    // Backquote substitutions around the place, innermost first: true for one that is
    // itself inside double quotes (a backslash before " is then removed too).
    std::vector<bool> backquotes;
    bool after_backslash = false;  // right after an unquoted or double-quoted backslash
};

// Reads a command line's literal text left to right, keeping the quoting state.
class ShellContextScanner {
  public:
    void feed(std::string_view literal);
    ShellPlace place() const;

  private:
    enum class Frame : uint8_t { top, substitution, backquote, double_quote, single_quote };
    struct Level {
        Frame frame;
        uint32_t parens = 0;  // substitution: open ( inside it
    };
    std::vector<Level> levels_{{Frame::top}};
    bool escaped_ = false;
    char previous_ = 0;
};

// value quoted to stand as one literal word at place (place.after_backslash: the caller
// must refuse the template instead).
std::string quote_at(const ShellPlace& place, std::string_view value);

}  // namespace ringrun
