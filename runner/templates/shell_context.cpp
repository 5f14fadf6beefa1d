// A small lexer of the quoting that /bin/sh applies: quotes, backslashes, $( ) and
// backquotes (what decides how a value must be quoted), nothing else of the grammar.
#include "runner/templates/shell_context.hpp"

#include "runner/templates/shell_quote.hpp"

namespace ringrun {

void ShellContextScanner::feed(std::string_view literal) {
    for (char c : literal) {
        Level& level = levels_.back();
        const char before = previous_;
        previous_ = c;
        if (escaped_) {
            escaped_ = false;
            previous_ = 0;  // \$( is no substitution
            continue;
        }
        switch (level.frame) {
            case Frame::single_quote:
                if (c == '\'') levels_.pop_back();
                continue;
            case Frame::double_quote:
                if (c == '"')
                    levels_.pop_back();
                else if (c == '\\')
                    escaped_ = true;
                else if (c == '`')
                    levels_.push_back({Frame::backquote});
                else if (c == '(' && before == '$')
                    levels_.push_back({Frame::substitution});
                continue;
            case Frame::top:
            case Frame::substitution:
            case Frame::backquote:
                break;
        }
        if (c == '\\') {
            escaped_ = true;
        } else if (c == '\'') {
            levels_.push_back({Frame::single_quote});
        } else if (c == '"') {
            levels_.push_back({Frame::double_quote});
        } else if (c == '`') {
            if (level.frame == Frame::backquote)
                levels_.pop_back();
            else
                levels_.push_back({Frame::backquote});
        } else if (c == '(') {
            if (before == '$')
                levels_.push_back({Frame::substitution});
            else if (level.frame == Frame::substitution)
                ++level.parens;
        } else if (c == ')' && level.frame == Frame::substitution) {
            if (level.parens == 0)
                levels_.pop_back();
            else
                --level.parens;
        }
    }
}

ShellPlace ShellContextScanner::place() const {
    ShellPlace place;
    const Frame innermost = levels_.back().frame;
    place.quotes = innermost == Frame::single_quote   ? ShellPlace::Quotes::single
                   : innermost == Frame::double_quote ? ShellPlace::Quotes::double_
                                                      : ShellPlace::Quotes::none;
    place.after_backslash = escaped_;
    for (size_t i = levels_.size(); i-- > 1;)
        if (levels_[i].frame == Frame::backquote)
            place.backquotes.push_back(levels_[i - 1].frame == Frame::double_quote);
    return place;
}

std::string quote_at(const ShellPlace& place, std::string_view value) {
    std::string out;
    switch (place.quotes) {
        case ShellPlace::Quotes::none:
            out = shell_quote(value);
            break;
        case ShellPlace::Quotes::single:
            for (char c : value)
                out += c == '\'' ? std::string_view("'\\''") : std::string_view(&c, 1);
            break;
        case ShellPlace::Quotes::double_:
            for (char c : value) {
                if (c == '\\' || c == '"' || c == '$' || c == '`') out += '\\';
                out += c;
            }
            break;
    }
    // Each backquote substitution removes one backslash before \ ` $ (and " inside
    // double quotes) before its command is read: put them back, innermost first.
    for (bool in_double : place.backquotes) {
        std::string escaped;
        for (char c : out) {
            if (c == '\\' || c == '`' || c == '$' || (in_double && c == '"')) escaped += '\\';
            escaped += c;
        }
        out = std::move(escaped);
    }
    return out;
}

}  // namespace ringrun
