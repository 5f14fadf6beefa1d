// Quoting for /bin/sh: an input substituted into a shell command line becomes exactly
// one word, whatever bytes it holds. Must never let input inject shell syntax.
#pragma once

#include <string>
#include <string_view>

namespace ringrun {

// Returns s unchanged if it is made only of characters the shell never interprets,
// otherwise s in single quotes (with each ' written as '"'"', as GNU parallel writes it).
std::string shell_quote(std::string_view s);

}  // namespace ringrun
