// The scan looks for "=}" as GNU parallel does: a perl expression may hold braces.
#include "runner/templates/perl_expression.hpp"

#include <cctype>

#include "runner/core/exit_codes.hpp"

namespace ringrun {

std::string computed_placeholder(size_t k) {
    return std::string("{") + kComputedMark + std::to_string(k) + "}";
}

std::string take_perl_expressions(std::string_view text, std::vector<PerlExpression>& expressions,
                                  const std::string& what) {
    std::string out;
    size_t i = 0;
    while (i < text.size()) {
        const size_t open = text.find("{=", i);
        if (open == std::string_view::npos) break;
        const size_t close = text.find("=}", open + 2);
        if (close == std::string_view::npos)
            throw UsageError(what + ": '{=' without its closing '=}'");
        out.append(text.substr(i, open - i));
        std::string_view inside = text.substr(open + 2, close - open - 2);
        PerlExpression expression;
        // {=N code=}: the Nth input; the digits end at a space.
        size_t digits = 0;
        while (digits < inside.size() && std::isdigit(static_cast<unsigned char>(inside[digits])))
            ++digits;
        if (digits > 0 && digits < inside.size() && inside[digits] == ' ') {
            expression.position =
                static_cast<uint32_t>(std::stoul(std::string(inside.substr(0, digits))));
            inside.remove_prefix(digits + 1);
        }
        expression.code = std::string(inside);
        out += computed_placeholder(expressions.size());
        expressions.push_back(std::move(expression));
        i = close + 2;
    }
    out.append(text.substr(i));
    return out;
}

void take_perl_expressions(std::vector<std::string>& words, bool each_word,
                           std::vector<PerlExpression>& expressions) {
    if (each_word) {
        for (auto& word : words) word = take_perl_expressions(word, expressions, "the command");
        return;
    }
    std::string line;
    for (const auto& word : words) line += (line.empty() ? "" : " ") + word;
    if (line.find("{=") == std::string::npos) return;
    words = {take_perl_expressions(line, expressions, "the command")};
}

}  // namespace ringrun
