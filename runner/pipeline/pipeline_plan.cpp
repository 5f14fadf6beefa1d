// Expanding a pipeline file into instances, and checking what spans jobs.
#include "runner/pipeline/pipeline_plan.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "runner/templates/shell_context.hpp"
#include "runner/templates/shell_quote.hpp"

namespace ringrun {
namespace {

bool identifier_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

// Calls found(name, begin, end) for each placeholder in text: {name} or {} (name ""),
// not preceded by '$' (shell's ${VAR} is not a placeholder).
void for_each_placeholder(const std::string& text,
                          const std::function<void(const std::string&, size_t, size_t)>& found) {
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '{' || (i > 0 && text[i - 1] == '$')) continue;
        size_t j = i + 1;
        while (j < text.size() && identifier_char(text[j])) ++j;
        if (j < text.size() && text[j] == '}') {
            found(text.substr(i + 1, j - i - 1), i, j + 1);
            i = j;
        }
    }
}

std::string expand(const std::string& text,
                   const std::vector<std::pair<std::string, std::string>>& values, bool quote) {
    std::string out;
    size_t done = 0;
    ShellContextScanner shell;  // quote: each value for where it stands in the line
    for_each_placeholder(text, [&](const std::string& name, size_t begin, size_t end) {
        const std::string* value = nullptr;
        if (name.empty() && values.size() == 1) value = &values[0].second;
        for (const auto& [k, v] : values)
            if (k == name) value = &v;
        if (!value) return;  // reported by the check
        const std::string_view literal(text.data() + done, begin - done);
        out += literal;
        shell.feed(literal);
        out += quote ? quote_at(shell.place(), *value) : *value;
        done = end;
    });
    out.append(text, done);
    return out;
}

// Every piece of text in a job that may hold placeholders.
std::vector<const std::string*> templated_texts(const PipelineJob& job) {
    std::vector<const std::string*> texts = {&job.line, &job.payload, &job.cwd};
    for (const auto& word : job.argv) texts.push_back(&word);
    for (const auto& env : job.env) texts.push_back(&env.second);
    return texts;
}

void check_placeholders(const PipelineJob& job, PipelineErrors& errors) {
    std::set<std::string> reported;
    if (job.kind == PipelineJob::Kind::shell) {
        ShellContextScanner shell;
        size_t done = 0;
        bool after_backslash = false;
        for_each_placeholder(job.line, [&](const std::string&, size_t begin, size_t end) {
            shell.feed(std::string_view(job.line).substr(done, begin - done));
            after_backslash |= shell.place().after_backslash;
            done = end;
        });
        if (after_backslash)
            errors.add(job.cmd_at, "job." + job.name +
                                       ".cmd: a placeholder right after a backslash cannot be "
                                       "quoted safely; put it in quotes (\"{f}\") instead");
    }
    for (const std::string* text : templated_texts(job)) {
        for_each_placeholder(*text, [&](const std::string& name, size_t, size_t) {
            if (name.empty()) {
                if (job.each.size() != 1 && reported.insert("").second)
                    errors.add(job.cmd_at, "job." + job.name +
                                               ": {} needs exactly one each key, "
                                               "and it has " +
                                               std::to_string(job.each.size()));
                return;
            }
            for (const auto& axis : job.each)
                if (axis.key == name) return;
            if (!reported.insert(name).second) return;
            std::vector<std::string> keys;
            for (const auto& axis : job.each) keys.push_back(axis.key);
            std::string message =
                "job." + job.name + ": placeholder {" + name + "} has no each key";
            std::string near = closest_name(name, keys);
            if (!near.empty()) message += "; did you mean {" + near + "}?";
            errors.add(job.cmd_at, message);
        });
    }
}

// The jobs on a cycle through the needs graph, if any: "a -> b -> a".
std::vector<std::vector<size_t>> find_cycles(const std::vector<std::vector<size_t>>& needs) {
    std::vector<int> state(needs.size(), 0);  // 0 new, 1 on the path, 2 done
    std::vector<size_t> path;
    std::vector<std::vector<size_t>> cycles;
    std::function<void(size_t)> visit = [&](size_t job) {
        state[job] = 1;
        path.push_back(job);
        for (size_t need : needs[job]) {
            if (state[need] == 1) {
                auto start = std::find(path.begin(), path.end(), need);
                std::vector<size_t> cycle(start, path.end());
                cycle.push_back(need);
                cycles.push_back(cycle);
            } else if (state[need] == 0) {
                visit(need);
            }
        }
        path.pop_back();
        state[job] = 2;
    };
    for (size_t job = 0; job < needs.size(); ++job)
        if (state[job] == 0) visit(job);
    return cycles;
}

}  // namespace

PipelinePlan plan_pipeline(const PipelineFile& file, const std::vector<std::string>& only,
                           PipelineErrors& errors) {
    PipelinePlan plan;
    const auto& jobs = file.jobs;
    std::map<std::string, size_t> by_name;
    std::vector<std::string> names;
    for (size_t i = 0; i < jobs.size(); ++i) {
        by_name[jobs[i].name] = i;
        names.push_back(jobs[i].name);
    }
    std::vector<std::vector<size_t>> job_needs(jobs.size());
    for (size_t i = 0; i < jobs.size(); ++i) {
        const PipelineJob& job = jobs[i];
        for (const auto& [need, at] : job.needs) {
            auto it = by_name.find(need);
            if (it == by_name.end()) {
                std::string message =
                    "job." + job.name + " needs '" + need + "', which is not a job";
                std::string near = closest_name(need, names);
                if (!near.empty()) message += "; did you mean '" + near + "'?";
                errors.add(at, message);
                continue;
            }
            job_needs[i].push_back(it->second);
        }
        check_placeholders(job, errors);
        for (const auto& [pool, claim] : job.resources) {
            auto it = file.run.resources.find(pool);
            if (it == file.run.resources.end())
                errors.add(claim.second, "job." + job.name + " claims resource '" + pool +
                                             "', which [run] resources does not define");
            else if (claim.first > it->second)
                errors.add(claim.second, "job." + job.name + " claims " +
                                             std::to_string(claim.first) + " of resource '" + pool +
                                             "', whose pool holds " + std::to_string(it->second));
        }
    }
    for (const auto& cycle : find_cycles(job_needs)) {
        std::string text;
        for (size_t j : cycle) text += (text.empty() ? "" : " -> ") + jobs[j].name;
        errors.add(jobs[cycle.front()].at, "dependency cycle: " + text);
    }
    std::vector<bool> wanted(jobs.size(), only.empty());
    std::function<void(size_t)> want = [&](size_t j) {
        if (wanted[j]) return;
        wanted[j] = true;
        for (size_t n : job_needs[j]) want(n);
    };
    for (const auto& name : only) {
        auto it = by_name.find(name);
        if (it == by_name.end())
            errors.add({1, 1}, "--only " + name + ": no such job" +
                                   (closest_name(name, names).empty()
                                        ? std::string()
                                        : "; did you mean '" + closest_name(name, names) + "'?"));
        else
            want(it->second);
    }
    if (!errors.empty()) return plan;

    // Jobs in an order that respects needs (depth first), instances in each's order.
    std::vector<size_t> order;
    std::vector<bool> placed(jobs.size(), false);
    std::function<void(size_t)> place = [&](size_t j) {
        if (placed[j]) return;
        placed[j] = true;
        for (size_t n : job_needs[j]) place(n);
        order.push_back(j);
    };
    for (size_t j = 0; j < jobs.size(); ++j)
        if (wanted[j]) place(j);

    std::vector<std::vector<size_t>> instances_of(jobs.size());
    // For a job fanning out: its instances by their values.
    std::vector<std::map<std::vector<std::string>, size_t>> by_values(jobs.size());
    for (size_t j : order) {
        const PipelineJob& job = jobs[j];
        std::vector<size_t> position(job.each.size(), 0);
        bool done = false;
        while (!done) {
            PipelineInstance instance;
            instance.job = j;
            std::vector<std::string> key_values;
            for (size_t a = 0; a < job.each.size(); ++a) {
                instance.values.emplace_back(job.each[a].key, job.each[a].values[position[a]]);
                key_values.push_back(job.each[a].values[position[a]]);
            }
            instance.id = job.name;
            if (!instance.values.empty()) {
                instance.id += "[";
                for (size_t a = 0; a < instance.values.size(); ++a)
                    instance.id +=
                        (a ? "," : "") + instance.values[a].first + "=" + instance.values[a].second;
                instance.id += "]";
            }
            // What it waits for: the matching instance of a job that fans out over keys
            // this one has too; otherwise every instance of the needed job.
            for (size_t n : job_needs[j]) {
                const PipelineJob& needed = jobs[n];
                bool matched = !needed.each.empty();
                std::vector<std::string> wanted_values;
                for (const auto& axis : needed.each) {
                    auto it = std::find_if(instance.values.begin(), instance.values.end(),
                                           [&](const auto& kv) { return kv.first == axis.key; });
                    if (it == instance.values.end()) {
                        matched = false;
                        break;
                    }
                    wanted_values.push_back(it->second);
                }
                if (matched) {
                    auto it = by_values[n].find(wanted_values);
                    if (it != by_values[n].end()) instance.needs.push_back(it->second);
                } else {
                    instance.needs.insert(instance.needs.end(), instances_of[n].begin(),
                                          instances_of[n].end());
                }
            }
            JobSpec& spec = instance.spec;
            switch (job.kind) {
                case PipelineJob::Kind::shell:
                    spec.kind = JobSpec::Kind::shell;
                    spec.shell_line = expand(job.line, instance.values, true);
                    instance.command_line = spec.shell_line;
                    break;
                case PipelineJob::Kind::argv:
                    spec.kind = JobSpec::Kind::argv;
                    for (const auto& word : job.argv) {
                        spec.argv.push_back(expand(word, instance.values, false));
                        instance.command_line += (instance.command_line.empty() ? "" : " ") +
                                                 shell_quote(spec.argv.back());
                    }
                    break;
                case PipelineJob::Kind::task:
                    spec.kind = JobSpec::Kind::task;
                    spec.task_name = job.task;
                    spec.payload = expand(job.payload, instance.values, false);
                    instance.command_line = job.task + " " + spec.payload;
                    break;
            }
            for (const auto& [name, value] : job.env)
                spec.env.emplace_back(name, expand(value, instance.values, false));
            spec.cwd = expand(job.cwd, instance.values, false);
            spec.timeout_ms = job.timeout_ms.value_or(file.run.timeout_ms);
            spec.memory_limit = job.memory_limit ? job.memory_limit : file.run.memory_limit;

            const size_t index = plan.instances.size();
            for (size_t need : instance.needs) plan.instances[need].needed_by.push_back(index);
            plan.edges += instance.needs.size();
            instances_of[j].push_back(index);
            if (!job.each.empty()) by_values[j][key_values] = index;
            plan.instances.push_back(std::move(instance));

            // Odometer: the last key varies fastest.
            size_t a = job.each.size();
            done = true;
            while (a > 0) {
                --a;
                if (++position[a] < job.each[a].values.size()) {
                    done = false;
                    break;
                }
                position[a] = 0;
            }
        }
    }
    return plan;
}

}  // namespace ringrun
