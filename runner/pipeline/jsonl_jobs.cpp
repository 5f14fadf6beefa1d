// JSON Lines jobs through Cap'n Proto's JSON codec.
#include "runner/pipeline/jsonl_jobs.hpp"

#include <capnp/compat/json.h>
#include <capnp/message.h>

#include <cmath>
#include <stdexcept>

#include "runner/templates/shell_quote.hpp"
#include "schemas/ringrun.capnp.h"

namespace ringrun {
namespace {

// A job's inputs, as the source hands them to the builder: fixed slots, then the env
// pairs, then the command's words. A rejected line has two: its number and the error.
enum Slot : size_t { kLine, kId, kKind, kCwd, kTimeout, kRetries, kEnvCount, kFixed };

// The line as JSON, reshaped to the schema's fields: "cmd" becomes "shell" or "argv" by
// its type, "env" {"A": "b"} becomes [{"name": "A", "value": "b"}].
void reshape(capnp::JsonValue::Builder root) {
    if (!root.isObject()) throw std::invalid_argument("a line must be a JSON object");
    for (auto field : root.getObject()) {
        auto value = field.getValue();
        if (field.getName() == "cmd") {
            if (value.isString())
                field.setName("shell");
            else if (value.isArray())
                field.setName("argv");
            else
                throw std::invalid_argument("\"cmd\" must be a string or a list of strings");
        } else if (field.getName() == "env") {
            if (!value.isObject())
                throw std::invalid_argument("\"env\" must be an object of strings");
            std::vector<std::pair<std::string, std::string>> env;
            for (auto var : value.getObject()) {
                if (!var.getValue().isString())
                    throw std::invalid_argument(std::string("\"env\": \"") + var.getName().cStr() +
                                                "\" must be a string");
                env.emplace_back(var.getName().cStr(), var.getValue().getString().cStr());
            }
            auto list = value.initArray(static_cast<unsigned>(env.size()));
            for (unsigned i = 0; i < env.size(); ++i) {
                auto pair = list[i].initObject(2);
                pair[0].setName("name");
                pair[0].initValue().setString(env[i].first);
                pair[1].setName("value");
                pair[1].initValue().setString(env[i].second);
            }
        }
    }
}

}  // namespace

JobSpec decode_json_line(const std::string& line, std::string& id, uint32_t& retries) {
    capnp::JsonCodec codec;
    codec.setRejectUnknownFields(true);
    capnp::MallocMessageBuilder raw_message, message;
    auto raw = raw_message.initRoot<capnp::JsonValue>();
    auto decoded = message.initRoot<schema::JsonLine>();
    KJ_IF_MAYBE (e, kj::runCatchingExceptions([&] {
                     codec.decodeRaw(kj::ArrayPtr<const char>(line.data(), line.size()), raw);
                     reshape(raw);
                     codec.decode(raw.asReader(), capnp::toDynamic(decoded));
                 })) {
        // kj's descriptions carry the failed condition first ("expected ...; what"), and
        // an exception of ours comes back as "std::exception: what".
        std::string why = e->getDescription().cStr();
        const std::string unknown = "field.getName() = ";
        if (auto at = why.find(unknown); at != std::string::npos)
            throw std::invalid_argument("unknown field \"" + why.substr(at + unknown.size()) +
                                        "\"");
        if (auto semicolon = why.rfind("; "); semicolon != std::string::npos)
            why = why.substr(semicolon + 2);
        const std::string ours = "std::exception: ";
        if (why.rfind(ours, 0) == 0) why = why.substr(ours.size());
        throw std::invalid_argument(why);
    }
    auto r = decoded.asReader();
    JobSpec job;
    const int kinds = r.hasShell() + r.hasArgv() + r.hasTask();
    if (kinds != 1) throw std::invalid_argument("give exactly one of \"cmd\" and \"task\"");
    if (r.hasShell()) {
        job.kind = JobSpec::Kind::shell;
        job.shell_line = r.getShell().cStr();
    } else if (r.hasArgv()) {
        job.kind = JobSpec::Kind::argv;
        for (auto word : r.getArgv()) job.argv.emplace_back(word.cStr());
        if (job.argv.empty()) throw std::invalid_argument("\"cmd\" is an empty list");
    } else {
        job.kind = JobSpec::Kind::task;
        job.task_name = r.getTask().cStr();
        job.payload = r.getPayload().cStr();
    }
    for (auto var : r.getEnv()) job.env.emplace_back(var.getName().cStr(), var.getValue().cStr());
    job.cwd = r.getCwd().cStr();
    if (r.getTimeout() < 0 || !std::isfinite(r.getTimeout()))
        throw std::invalid_argument("\"timeout\" must be seconds, 0 or more");
    job.timeout_ms = static_cast<uint64_t>(std::llround(r.getTimeout() * 1000));
    id = r.getId().cStr();
    retries = r.getRetries();
    return job;
}

JsonlSource::JsonlSource(int fd) : lines_(fd) {}

bool JsonlSource::next(std::vector<std::string>& inputs) {
    for (;;) {
        if (!lines_.next(line_)) return false;
        ++line_number_;
        if (line_[0].find_first_not_of(" \t\r") != std::string::npos) break;  // blank: skip
    }
    inputs.clear();
    std::string id;
    uint32_t retries = 0;
    JobSpec job;
    try {
        job = decode_json_line(line_[0], id, retries);
    } catch (const std::invalid_argument& e) {
        inputs = {std::to_string(line_number_), e.what()};
        return true;
    }
    const char* kind = job.kind == JobSpec::Kind::shell  ? "shell"
                       : job.kind == JobSpec::Kind::argv ? "argv"
                                                         : "task";
    inputs = {std::to_string(line_number_),
              id,
              kind,
              job.cwd,
              std::to_string(job.timeout_ms),
              std::to_string(retries),
              std::to_string(job.env.size())};
    for (auto& [name, value] : job.env) {
        inputs.push_back(std::move(name));
        inputs.push_back(std::move(value));
    }
    if (job.kind == JobSpec::Kind::shell) inputs.push_back(std::move(job.shell_line));
    if (job.kind == JobSpec::Kind::argv)
        for (auto& word : job.argv) inputs.push_back(std::move(word));
    if (job.kind == JobSpec::Kind::task) {
        inputs.push_back(std::move(job.task_name));
        inputs.push_back(std::move(job.payload));
    }
    return true;
}

std::string JsonlBuilder::rejected(const std::vector<std::string>& inputs) const {
    return inputs.size() == 2 ? inputs[1] : std::string();  // the note names the line
}

void JsonlBuilder::fill_job(uint64_t seq, uint32_t, const std::vector<std::string>& in,
                            JobSpec& job) const {
    job.id = seq;
    job.attempt = 1;
    job.cwd = in[kCwd];
    job.timeout_ms = std::stoull(in[kTimeout]);
    const size_t env_count = std::stoul(in[kEnvCount]);
    job.env.clear();
    for (size_t i = 0; i < env_count; ++i)
        job.env.emplace_back(in[kFixed + 2 * i], in[kFixed + 2 * i + 1]);
    const size_t command = kFixed + 2 * env_count;
    if (in[kKind] == "shell") {
        job.kind = JobSpec::Kind::shell;
        job.shell_line = in[command];
    } else if (in[kKind] == "argv") {
        job.kind = JobSpec::Kind::argv;
        job.argv.assign(in.begin() + static_cast<std::ptrdiff_t>(command), in.end());
    } else {
        job.kind = JobSpec::Kind::task;
        job.task_name = in[command];
        job.payload = in[command + 1];
    }
}

std::string JsonlBuilder::command_line(uint64_t, uint32_t,
                                       const std::vector<std::string>& in) const {
    if (in.size() == 2) return "stdin:" + in[kLine];
    const size_t command = kFixed + 2 * std::stoul(in[kEnvCount]);
    std::string line;
    if (in[kKind] == "shell") return in[command];
    if (in[kKind] == "task") return in[command] + " " + in[command + 1];
    for (size_t i = command; i < in.size(); ++i)
        line += (line.empty() ? "" : " ") + shell_quote(in[i]);
    return line;
}

uint32_t JsonlBuilder::attempts(const std::vector<std::string>& in, uint32_t run_default) const {
    if (in.size() == 2) return 1;
    const uint32_t retries = static_cast<uint32_t>(std::stoul(in[kRetries]));
    return retries > 0 ? retries : run_default;
}

}  // namespace ringrun
