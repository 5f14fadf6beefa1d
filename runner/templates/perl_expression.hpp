// GNU parallel's {= perl expression =} and {=N perl expression =} in a command or a tag:
// taken out of the text before it is parsed, each replaced by a placeholder that
// ReplacementText reads as "computed value k". The values themselves are computed by a
// long-lived perl (runner/cli/perl_inputs.hpp) and travel as extra inputs at the end of
// each job's inputs. Must never evaluate anything: it only finds and replaces.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringrun {

struct PerlExpression {
    std::string code;
    uint32_t position = 0;  // {=N ...=}: $_ is the Nth input; 0: all of them, as {}
};

// The text with each {=...=} replaced by computed_placeholder(k), k counting on from
// expressions.size(), and the expressions appended. Throws UsageError for a {= with no
// =} after it (what names the text's origin).
std::string take_perl_expressions(std::string_view text, std::vector<PerlExpression>& expressions,
                                  const std::string& what);

// The same for a command's words: each word on its own (-q), or all of them joined by
// spaces into one line first (a {= ... =} split into words by the shell comes together).
void take_perl_expressions(std::vector<std::string>& words, bool each_word,
                           std::vector<PerlExpression>& expressions);

// "{\x1fk}": a placeholder no user text contains.
std::string computed_placeholder(size_t k);
constexpr char kComputedMark = '\x1f';

}  // namespace ringrun
