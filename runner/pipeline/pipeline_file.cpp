// Reading a pipeline file with toml++: shape, types and values, every error with its
// position.
#include "runner/pipeline/pipeline_file.hpp"

#include <glob.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>

#include "runner/cli/option_values.hpp"
#include "runner/core/exit_codes.hpp"

namespace ringrun {
namespace {

SourcePos pos(const toml::source_region& region) {
    return {static_cast<uint32_t>(region.begin.line), static_cast<uint32_t>(region.begin.column)};
}

std::string type_name(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "a list";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a number";
        case toml::node_type::boolean:
            return "a boolean";
        default:
            return "a date or time";
    }
}

void unknown_key(PipelineErrors& errors, const toml::key& key, const std::string& where,
                 const std::vector<std::string>& known) {
    std::string message = "unknown key '" + std::string(key.str()) + "' in " + where;
    std::string near = closest_name(std::string(key.str()), known);
    if (!near.empty()) message += "; did you mean '" + near + "'?";
    errors.add(pos(key.source()), message);
}

void wrong_type(PipelineErrors& errors, const toml::node& node, const std::string& what,
                const std::string& expected) {
    errors.add(pos(node.source()), what + " must be " + expected + ", not " + type_name(node));
}

std::optional<uint32_t> positive_integer(PipelineErrors& errors, const toml::node& node,
                                         const std::string& what, int64_t minimum) {
    // Only an integer is read as one: a float such as 1e308 would not convert defined.
    auto v = node.is_integer() ? node.value<int64_t>() : std::nullopt;
    if (!v) {
        wrong_type(errors, node, what, "an integer");
        return std::nullopt;
    }
    if (*v < minimum || *v > 1'000'000) {
        errors.add(pos(node.source()), what + " must be from " + std::to_string(minimum) +
                                           " to 1000000, not " + std::to_string(*v));
        return std::nullopt;
    }
    return static_cast<uint32_t>(*v);
}

std::optional<std::string> string_value(PipelineErrors& errors, const toml::node& node,
                                        const std::string& what) {
    if (!node.is_string()) {
        wrong_type(errors, node, what, "a string");
        return std::nullopt;
    }
    return std::string(*node.value<std::string_view>());
}

// A size: "2G", "500M", or a number of bytes.
uint64_t size_value(PipelineErrors& errors, const toml::node& node, const std::string& what) {
    if (auto bytes = node.is_integer() ? node.value<int64_t>() : std::nullopt; bytes && *bytes > 0)
        return static_cast<uint64_t>(*bytes);
    if (node.is_string()) {
        try {
            if (uint64_t bytes = parse_size(what, *node.value<std::string>()); bytes > 0)
                return bytes;
        } catch (const UsageError&) {  // said below, at the node
        }
    }
    wrong_type(errors, node, what, "a size such as \"500M\" or \"2G\"");
    return 0;
}

// retry_on: a list of causes ("lost", "timeout", ...), as bits.
uint8_t causes_value(PipelineErrors& errors, const toml::node& node, const std::string& what) {
    const toml::array* list = node.as_array();
    if (!list) {
        wrong_type(errors, node, what, std::string("a list of causes (") + cause_names() + ")");
        return kAllCauses;
    }
    uint8_t bits = 0;
    for (const toml::node& item : *list) {
        auto name = string_value(errors, item, "each cause in " + what);
        if (!name) continue;
        if (uint8_t bit = cause_bit_named(*name))
            bits |= bit;
        else
            errors.add(pos(item.source()),
                       "'" + *name + "' in " + what + " is not a cause (" + cause_names() + ")");
    }
    return bits;
}

std::optional<uint64_t> timeout_value(PipelineErrors& errors, const toml::node& node,
                                      const std::string& what) {
    double seconds = 0;
    if (node.is_integer() || node.is_floating_point()) {
        seconds = *node.value<double>();
        if (!(seconds <= kLongestDurationSeconds)) seconds = -1;  // NaN too
    } else if (!node.is_string() ||
               !parse_duration_seconds(std::string(*node.value<std::string_view>()), seconds)) {
        seconds = -1;
    }
    const uint64_t ms = seconds > 0 ? static_cast<uint64_t>(std::llround(seconds * 1000)) : 0;
    if (ms > 0) return ms;
    if (!node.is_string() && !node.is_integer() && !node.is_floating_point()) {
        wrong_type(errors, node, what, "a duration such as \"30s\" or \"10m\"");
        return std::nullopt;
    }
    errors.add(pos(node.source()),
               what + " must be a duration above 0 such as \"30s\", \"10m\" or \"1.5h\"");
    return std::nullopt;
}

std::optional<std::string> backend_value(PipelineErrors& errors, const toml::node& node,
                                         const std::string& what) {
    auto name = string_value(errors, node, what);
    if (name && *name != "processes" && *name != "threads") {
        errors.add(pos(node.source()),
                   what + " must be \"processes\" or \"threads\", not \"" + *name + "\"");
        return std::nullopt;
    }
    return name;
}

void read_resources(PipelineErrors& errors, const toml::node& node, const std::string& what,
                    const std::function<void(const std::string&, uint32_t, SourcePos)>& add) {
    const toml::table* table = node.as_table();
    if (!table) {
        wrong_type(errors, node, what, "a table such as { net = 2 }");
        return;
    }
    for (auto&& [key, value] : *table)
        if (auto n = positive_integer(errors, value, what + "." + std::string(key.str()), 1))
            add(std::string(key.str()), *n, pos(value.source()));
}

std::vector<std::string> each_values(PipelineErrors& errors, const toml::node& node,
                                     const std::string& what) {
    std::vector<std::string> values;
    if (const toml::array* list = node.as_array()) {
        for (const toml::node& item : *list) {
            if (item.is_string())
                values.emplace_back(*item.value<std::string_view>());
            else if (item.is_integer())
                values.push_back(std::to_string(*item.value<int64_t>()));
            else
                wrong_type(errors, item, "a value of " + what, "a string or an integer");
        }
        return values;
    }
    const toml::table* source = node.as_table();
    if (!source || source->size() != 1) {
        errors.add(pos(node.source()),
                   what +
                       " must be a list, { lines = \"file\" }, { glob = \"pattern\" } or "
                       "{ range = [first, last] }");
        return values;
    }
    auto entry = *source->begin();  // a pair of references into the table
    const toml::key& kind = entry.first;
    const toml::node& arg = entry.second;
    if (kind == "lines") {
        auto file = string_value(errors, arg, what + ".lines");
        if (!file) return values;
        std::ifstream in(*file);
        if (!in) {
            errors.add(pos(arg.source()), what + ".lines: cannot read '" + *file + "'");
            return values;
        }
        for (std::string line; std::getline(in, line);)
            if (!line.empty()) values.push_back(line);
    } else if (kind == "glob") {
        auto pattern = string_value(errors, arg, what + ".glob");
        if (!pattern) return values;
        glob_t found{};
        if (::glob(pattern->c_str(), 0, nullptr, &found) == 0)
            for (size_t i = 0; i < found.gl_pathc; ++i) values.emplace_back(found.gl_pathv[i]);
        globfree(&found);
    } else if (kind == "range") {
        const toml::array* bounds = arg.as_array();
        if (!bounds || bounds->size() != 2 || !(*bounds)[0].is_integer() ||
            !(*bounds)[1].is_integer()) {
            errors.add(pos(arg.source()), what + ".range must be [first, last], two integers");
            return values;
        }
        int64_t first = *(*bounds)[0].value<int64_t>(), last = *(*bounds)[1].value<int64_t>();
        // The difference in unsigned arithmetic: [INT64_MIN, INT64_MAX] must not overflow.
        if (last < first ||
            static_cast<uint64_t>(last) - static_cast<uint64_t>(first) >= 10'000'000) {
            errors.add(pos(arg.source()),
                       what + ".range [" + std::to_string(first) + ", " + std::to_string(last) +
                           "] must have first <= last (and under 10 million values)");
            return values;
        }
        for (int64_t v = first; v <= last; ++v) values.push_back(std::to_string(v));
    } else {
        unknown_key(errors, kind, what, {"lines", "glob", "range"});
        return values;
    }
    return values;
}

void read_run(PipelineErrors& errors, const toml::node& node, PipelineRunDefaults& run) {
    static const std::vector<std::string> kKeys = {"jobs",   "retries", "retry_on", "timeout",
                                                   "memory", "backend", "joblog",   "resources"};
    const toml::table* table = node.as_table();
    if (!table) {
        wrong_type(errors, node, "[run]", "a table");
        return;
    }
    for (auto&& [key, value] : *table) {
        const std::string k(key.str());
        if (k == "jobs") {
            if (auto n = positive_integer(errors, value, "run.jobs", 1)) run.jobs = *n;
        } else if (k == "retries") {
            if (auto n = positive_integer(errors, value, "run.retries", 1)) run.retries = *n;
        } else if (k == "retry_on") {
            run.retry_causes = causes_value(errors, value, "run.retry_on");
        } else if (k == "memory") {
            run.memory_limit = size_value(errors, value, "run.memory");
        } else if (k == "timeout") {
            if (auto ms = timeout_value(errors, value, "run.timeout")) run.timeout_ms = *ms;
        } else if (k == "backend") {
            if (auto b = backend_value(errors, value, "run.backend")) run.backend = *b;
        } else if (k == "joblog") {
            if (auto s = string_value(errors, value, "run.joblog")) run.joblog = *s;
        } else if (k == "resources") {
            read_resources(
                errors, value, "run.resources",
                [&](const std::string& name, uint32_t n, SourcePos) { run.resources[name] = n; });
        } else {
            unknown_key(errors, key, "[run]", kKeys);
        }
    }
}

void read_command(PipelineErrors& errors, const toml::node& value, PipelineJob& job) {
    job.cmd_at = pos(value.source());
    if (value.is_string()) {
        job.kind = PipelineJob::Kind::shell;
        job.line = *value.value<std::string>();
        if (job.line.find_first_not_of(" \t") == std::string::npos)
            errors.add(job.cmd_at, "job." + job.name + ".cmd is empty");
        return;
    }
    const toml::array* list = value.as_array();
    if (!list) {
        wrong_type(errors, value, "job." + job.name + ".cmd",
                   "a command line (a string) or an argv list (strings)");
        return;
    }
    job.kind = PipelineJob::Kind::argv;
    for (const toml::node& word : *list) {
        if (auto s = string_value(errors, word, "each word of job." + job.name + ".cmd"))
            job.argv.push_back(*s);
    }
    if (list->empty()) errors.add(job.cmd_at, "job." + job.name + ".cmd is an empty list");
}

void read_job(PipelineErrors& errors, const toml::key& name, const toml::node& node,
              PipelineJob& job) {
    static const std::vector<std::string> kKeys = {
        "cmd",     "task", "payload", "each",  "needs",     "retries", "retry_on",
        "timeout", "env",  "cwd",     "limit", "resources", "backend", "memory"};
    job.name = std::string(name.str());
    job.at = pos(name.source());
    const std::string where = "job." + job.name;
    const toml::table* table = node.as_table();
    if (!table) {
        wrong_type(errors, node, where, "a table ([job." + job.name + "])");
        return;
    }
    bool has_cmd = false, has_task = false;
    for (auto&& [key, value] : *table) {
        const std::string k(key.str());
        if (k == "cmd") {
            has_cmd = true;
            read_command(errors, value, job);
        } else if (k == "task") {
            has_task = true;
            job.cmd_at = pos(value.source());
            if (auto s = string_value(errors, value, where + ".task")) job.task = *s;
        } else if (k == "payload") {
            if (auto s = string_value(errors, value, where + ".payload")) job.payload = *s;
        } else if (k == "each") {
            const toml::table* each = value.as_table();
            if (!each) {
                wrong_type(errors, value, where + ".each",
                           "a table such as { year = [2024, 2025] }");
                continue;
            }
            for (auto&& [axis, values] : *each) {
                EachAxis a{std::string(axis.str()), {}, pos(axis.source())};
                const size_t errors_before = errors.size();
                a.values = each_values(errors, values, where + ".each." + a.key);
                if (a.values.empty() && errors.size() == errors_before)
                    errors.add(pos(values.source()), where + ".each." + a.key + " has no values");
                job.each.push_back(std::move(a));
            }
        } else if (k == "needs") {
            const toml::array* list = value.as_array();
            if (!list && !value.is_string()) {
                wrong_type(errors, value, where + ".needs", "a list of job names");
                continue;
            }
            if (value.is_string()) {
                job.needs.emplace_back(*value.value<std::string>(), pos(value.source()));
                continue;
            }
            for (const toml::node& item : *list)
                if (auto s = string_value(errors, item, "each name in " + where + ".needs"))
                    job.needs.emplace_back(*s, pos(item.source()));
        } else if (k == "retries") {
            job.retries = positive_integer(errors, value, where + ".retries", 1);
        } else if (k == "retry_on") {
            job.retry_causes = causes_value(errors, value, where + ".retry_on");
        } else if (k == "memory") {
            job.memory_limit = size_value(errors, value, where + ".memory");
        } else if (k == "timeout") {
            job.timeout_ms = timeout_value(errors, value, where + ".timeout");
        } else if (k == "env") {
            const toml::table* env = value.as_table();
            if (!env) {
                wrong_type(errors, value, where + ".env", "a table such as { LANG = \"C\" }");
                continue;
            }
            for (auto&& [var, text] : *env) {
                if (text.is_string())
                    job.env.emplace_back(std::string(var.str()), *text.value<std::string>());
                else if (text.is_integer())
                    job.env.emplace_back(std::string(var.str()),
                                         std::to_string(*text.value<int64_t>()));
                else
                    wrong_type(errors, text, where + ".env." + std::string(var.str()), "a string");
            }
        } else if (k == "cwd") {
            if (auto s = string_value(errors, value, where + ".cwd")) job.cwd = *s;
        } else if (k == "limit") {
            job.limit = positive_integer(errors, value, where + ".limit", 1);
        } else if (k == "resources") {
            read_resources(errors, value, where + ".resources",
                           [&](const std::string& pool, uint32_t n, SourcePos at) {
                               job.resources[pool] = {n, at};
                           });
        } else if (k == "backend") {
            job.backend = backend_value(errors, value, where + ".backend");
        } else {
            unknown_key(errors, key, "[" + where + "]", kKeys);
        }
    }
    if (has_cmd && has_task)
        errors.add(job.at, where + " has both cmd and task; give one");
    else if (!has_cmd && !has_task)
        errors.add(job.at, where + " has neither cmd nor task");
    if (has_task) job.kind = PipelineJob::Kind::task;
}

}  // namespace

void PipelineErrors::add(SourcePos at, const std::string& message) {
    errors_.emplace_back(at, message);
}

std::vector<std::string> PipelineErrors::lines() const {
    auto sorted = errors_;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
        return a.first.line != b.first.line ? a.first.line < b.first.line
                                            : a.first.column < b.first.column;
    });
    std::vector<std::string> out;
    for (const auto& [at, message] : sorted)
        out.push_back(path_ + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) +
                      ": " + message);
    return out;
}

std::string closest_name(const std::string& word, const std::vector<std::string>& candidates) {
    std::string best;
    size_t best_distance = 3;
    for (const auto& c : candidates) {
        // Levenshtein distance, small strings only.
        std::vector<size_t> row(c.size() + 1);
        for (size_t j = 0; j <= c.size(); ++j) row[j] = j;
        for (size_t i = 1; i <= word.size(); ++i) {
            size_t diagonal = row[0];
            row[0] = i;
            for (size_t j = 1; j <= c.size(); ++j) {
                size_t above = row[j];
                row[j] = std::min(
                    {row[j] + 1, row[j - 1] + 1, diagonal + (word[i - 1] == c[j - 1] ? 0 : 1)});
                diagonal = above;
            }
        }
        // A near miss, not merely a short word: "b" is not a misspelt "a".
        if (row[c.size()] < best_distance && row[c.size()] < word.size()) {
            best_distance = row[c.size()];
            best = c;
        }
    }
    return best;
}

PipelineFile read_pipeline_file(const std::string& path, PipelineErrors& errors) {
    PipelineFile file;
    toml::table root;
    try {
        root = toml::parse_file(path);
    } catch (const toml::parse_error& e) {
        SourcePos at = pos(e.source());
        if (at.line == 0) at = {1, 1};  // the file could not be opened
        errors.add(at, std::string(e.description()));
        return file;
    }
    for (auto&& [key, value] : root) {
        const std::string k(key.str());
        if (k == "run") {
            read_run(errors, value, file.run);
        } else if (k == "job") {
            const toml::table* jobs = value.as_table();
            if (!jobs) {
                wrong_type(errors, value, "job", "tables ([job.NAME])");
                continue;
            }
            for (auto&& [name, job] : *jobs) {
                file.jobs.emplace_back();
                read_job(errors, name, job, file.jobs.back());
            }
        } else {
            unknown_key(errors, key, "the file (only [run] and [job.NAME])", {"run", "job"});
        }
    }
    // toml++ keeps tables ordered by key; the file's order reads better in plans.
    std::stable_sort(file.jobs.begin(), file.jobs.end(),
                     [](const auto& a, const auto& b) { return a.at.line < b.at.line; });
    return file;
}

}  // namespace ringrun
