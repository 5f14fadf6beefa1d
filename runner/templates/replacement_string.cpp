// Parsing and expansion of replacement strings.
#include "runner/templates/replacement_string.hpp"

#include <charconv>

#include "runner/templates/perl_expression.hpp"
#include "runner/templates/shell_context.hpp"

namespace ringrun {

std::string_view basename_of(std::string_view path) {
    auto slash = path.rfind('/');
    return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string_view dirname_of(std::string_view path) {
    auto slash = path.rfind('/');
    if (slash == std::string_view::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string_view without_extension(std::string_view path) {
    auto dot = path.rfind('.');
    auto slash = path.rfind('/');
    if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
        return path;
    if (dot == (slash == std::string_view::npos ? 0 : slash + 1)) return path;  // .hidden
    return path.substr(0, dot);
}

// --plus: where the last n extensions begin (the '.' of ".a.b" for n = 2), each a run of
// characters other than '.' and '/' (GNU parallel's \.[^/.]+ n times at the end), or
// npos when the path has fewer.
size_t extensions_start(std::string_view path, int n) {
    size_t end = path.size();
    for (int i = 0; i < n; ++i) {
        if (end == 0) return std::string_view::npos;
        const size_t dot = path.rfind('.', end - 1);
        if (dot == std::string_view::npos || dot + 1 == end ||
            path.substr(dot + 1, end - dot - 1).find('/') != std::string_view::npos)
            return std::string_view::npos;
        end = dot;
    }
    return end;
}

std::string_view without_extensions(std::string_view path, int n) {
    const size_t start = extensions_start(path, n);
    return start == std::string_view::npos ? path : path.substr(0, start);
}

std::string_view last_extensions(std::string_view path, int n) {
    const size_t start = extensions_start(path, n);
    return start == std::string_view::npos ? std::string_view() : path.substr(start + 1);
}

ReplacementText::ReplacementText(std::string_view text,
                                 const std::vector<std::string>& column_names, bool plus) {
    static constexpr std::pair<std::string_view, Modifier> kModifiers[] = {
        {"", Modifier::none},      {".", Modifier::no_ext},           {"/", Modifier::basename},
        {"//", Modifier::dirname}, {"/.", Modifier::basename_no_ext},
    };
    static constexpr std::pair<std::string_view, Modifier> kPlusModifiers[] = {
        {"..", Modifier::no_ext2},
        {"...", Modifier::no_ext3},
        {"/..", Modifier::basename_no_ext2},
        {"/...", Modifier::basename_no_ext3},
        {"+/", Modifier::dir_or_empty},
        {"+.", Modifier::ext},
        {"+..", Modifier::ext2},
        {"+...", Modifier::ext3},
    };
    // Recognises the inside of one {...}; false if it is not a replacement string.
    auto recognise = [&](std::string_view inside, Part& part) {
        if (!inside.empty() && inside.front() == kComputedMark) {  // a {= =} placeholder
            part.kind = Part::Kind::computed;
            part.position = static_cast<uint32_t>(std::stoul(std::string(inside.substr(1))));
            return true;
        }
        if (inside == "#" || inside == "%") {
            part.kind = inside == "#" ? Part::Kind::seq : Part::Kind::slot;
            return true;
        }
        part.kind = Part::Kind::input;
        // The selector (a position or a column name), then a modifier.
        std::vector<std::pair<std::string_view, Modifier>> modifiers(std::begin(kModifiers),
                                                                     std::end(kModifiers));
        if (plus)
            modifiers.insert(modifiers.end(), std::begin(kPlusModifiers), std::end(kPlusModifiers));
        for (const auto& [suffix, modifier] : modifiers) {
            if (inside.size() < suffix.size() ||
                inside.substr(inside.size() - suffix.size()) != suffix)
                continue;
            std::string_view selector = inside.substr(0, inside.size() - suffix.size());
            part.modifier = modifier;
            if (selector.empty()) {
                part.position = 0;
                return true;
            }
            // {N}, or {-N} counted from the last input (as GNU parallel: {-1} the last).
            part.from_end = selector.front() == '-';
            const std::string_view number = selector.substr(part.from_end ? 1 : 0);
            uint32_t n = 0;
            auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
            if (ec == std::errc() && end == number.data() + number.size() && n > 0) {
                part.position = n;
                return true;
            }
            part.from_end = false;
            for (size_t i = 0; i < column_names.size(); ++i) {
                if (column_names[i] == selector) {
                    part.position = static_cast<uint32_t>(i + 1);
                    return true;
                }
            }
        }
        return false;
    };
    std::string literal;
    ShellContextScanner shell;
    size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '{') {
            size_t close = text.find('}', i + 1);
            Part part{};
            if (close != std::string_view::npos &&
                recognise(text.substr(i + 1, close - i - 1), part)) {
                shell.feed(literal);
                part.place = shell.place();
                if (!literal.empty())
                    parts_.push_back({Part::Kind::literal, {}, 0, false, literal, {}});
                literal.clear();
                parts_.push_back(std::move(part));
                i = close + 1;
                continue;
            }
        }
        literal += text[i++];
    }
    if (!literal.empty())
        parts_.push_back({Part::Kind::literal, {}, 0, false, std::move(literal), {}});
}

bool ReplacementText::has_replacement() const {
    for (const auto& p : parts_)
        if (p.kind != Part::Kind::literal) return true;
    return false;
}

bool ReplacementText::has_input() const {
    for (const auto& p : parts_)
        if (p.kind == Part::Kind::input) return true;
    return false;
}

bool ReplacementText::has_replacement_after_backslash() const {
    for (const auto& p : parts_)
        if (p.kind == Part::Kind::input && p.place.after_backslash) return true;
    return false;
}

bool ReplacementText::is_whole_input() const {
    return parts_.size() == 1 && parts_[0].kind == Part::Kind::input && parts_[0].position == 0 &&
           parts_[0].modifier == Modifier::none;
}

namespace {

std::string_view modified(std::string_view in, auto modifier) {
    using M = decltype(modifier);
    switch (modifier) {
        case M::no_ext:
            return without_extension(in);
        case M::basename:
            return basename_of(in);
        case M::dirname:
            return dirname_of(in);
        case M::basename_no_ext:
            return without_extension(basename_of(in));
        case M::no_ext2:
            return without_extensions(in, 2);
        case M::no_ext3:
            return without_extensions(in, 3);
        case M::basename_no_ext2:
            return without_extensions(basename_of(in), 2);
        case M::basename_no_ext3:
            return without_extensions(basename_of(in), 3);
        case M::dir_or_empty: {
            const size_t slash = in.rfind('/');
            return slash == std::string_view::npos ? std::string_view() : in.substr(0, slash);
        }
        case M::ext: {
            const size_t dot = in.rfind('.');
            return dot == std::string_view::npos ? std::string_view() : in.substr(dot + 1);
        }
        case M::ext2:
            return last_extensions(in, 2);
        case M::ext3:
            return last_extensions(in, 3);
        case M::none:
            break;
    }
    return in;
}

struct StringSink {
    std::string& out;
    void append(std::string_view s) { out += s; }
    void next_word() { out += ' '; }
};

struct WordSink {
    std::vector<std::string>& words;
    size_t used;
    void append(std::string_view s) { words[used - 1] += s; }
    void next_word() {
        if (words.size() <= used) words.emplace_back();
        words[used++].clear();
    }
};

}  // namespace

template <typename Sink>
void ReplacementText::expand_parts(uint64_t seq, uint32_t slot,
                                   const std::vector<std::string>& inputs, bool quote,
                                   Sink& sink) const {
    char number[24];
    auto append_value = [&](const Part& part, std::string_view v) {
        if (quote)
            sink.append(quote_at(part.place, v));
        else
            sink.append(v);
    };
    // The last computed_count_ inputs are the {= =} values, not inputs.
    const size_t real = inputs.size() >= computed_count_ ? inputs.size() - computed_count_ : 0;
    for (const auto& p : parts_) {
        switch (p.kind) {
            case Part::Kind::literal:
                sink.append(p.text);
                break;
            case Part::Kind::seq:
            case Part::Kind::slot: {
                uint64_t n = p.kind == Part::Kind::seq ? seq : uint64_t{slot} + 1;
                auto end = std::to_chars(number, number + sizeof number, n).ptr;
                sink.append(std::string_view(number, static_cast<size_t>(end - number)));
                break;
            }
            case Part::Kind::computed:
                if (p.position < computed_count_ && real + p.position < inputs.size())
                    append_value(p, inputs[real + p.position]);
                break;
            case Part::Kind::input:
                if (p.position > 0) {
                    // Past the inputs there is nothing (as GNU parallel: {2} of one input).
                    if (p.position <= real)
                        append_value(
                            p, modified(inputs[p.from_end ? real - p.position : p.position - 1],
                                        p.modifier));
                    break;
                }
                for (size_t i = 0; i < real; ++i) {
                    if (i > 0) sink.next_word();
                    append_value(p, modified(inputs[i], p.modifier));
                }
                break;
        }
    }
}

void ReplacementText::expand(uint64_t seq, uint32_t slot, const std::vector<std::string>& inputs,
                             bool quote, std::string& out) const {
    StringSink sink{out};
    expand_parts(seq, slot, inputs, quote, sink);
}

size_t ReplacementText::expand_words(uint64_t seq, uint32_t slot,
                                     const std::vector<std::string>& inputs,
                                     std::vector<std::string>& words, size_t used) const {
    WordSink sink{words, used};
    sink.next_word();
    expand_parts(seq, slot, inputs, false, sink);
    return sink.used;
}

}  // namespace ringrun
