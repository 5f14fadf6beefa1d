// Single-quote shell quoting, with GNU parallel's set of characters left bare (so a
// command line reads, and logs, as GNU parallel writes it).
#include "runner/templates/shell_quote.hpp"

namespace ringrun {

std::string shell_quote(std::string_view s) {
    auto plain = [](unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '.' || c == '/' || c == '+';
    };
    bool needs_quotes = s.empty();
    for (unsigned char c : s) needs_quotes |= !plain(c);
    if (!needs_quotes) return std::string(s);
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\"'\"'";
        else
            out += c;
    }
    out += '\'';
    return out;
}

}  // namespace ringrun
