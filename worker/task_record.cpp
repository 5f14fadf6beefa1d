// Layout, writing and checked reading of compact task records.
// Must never read a byte of a record beyond its size, whatever its header claims.
#include "worker/task_record.hpp"

#include <cstdint>
#include <cstring>
#include <type_traits>

namespace ringrun {
namespace {

struct JobHeader {
    uint64_t id;
    uint64_t timeout_ms;
    uint32_t attempt;
    uint32_t name_bytes;
    uint32_t payload_bytes;
    uint32_t reserved;  // 0
};

struct ResultHeader {
    uint64_t id;
    int64_t start_ns;
    int64_t end_ns;
    uint32_t attempt;
    uint32_t worker_slot;
    int32_t exit_code;
    int32_t signal;
    uint32_t status;
    uint32_t out_bytes;
    uint32_t err_bytes;
    uint32_t error_text_bytes;
};

static_assert(std::is_trivially_copyable_v<JobHeader> && sizeof(JobHeader) == 32);
static_assert(std::is_trivially_copyable_v<ResultHeader> && sizeof(ResultHeader) == 56);

// A blob longer than this never goes compact (a record that large spills anyway).
constexpr size_t kMaxBlobBytes = UINT32_MAX;

std::byte* put(std::byte* dst, std::string_view s) {
    if (s.empty()) return dst;  // most of a task's blobs: no call into memcpy for them
    std::memcpy(dst, s.data(), s.size());
    return dst + s.size();
}

// Takes the next n bytes of the record as to; false if the record has fewer left.
bool take(const std::byte*& at, const std::byte* end, uint64_t n, std::string_view& to) {
    if (n > static_cast<uint64_t>(end - at)) return false;
    to = std::string_view(reinterpret_cast<const char*>(at), static_cast<size_t>(n));
    at += n;
    return true;
}

[[gnu::noinline]] void append_to(std::string& to, std::string_view view) {
    to.append(view);
}

// Copies view into to, keeping to's buffer. clear + append: assign() goes through
// libstdc++'s general replace, which guards against overlap and costs several times as
// much for the short blobs of a task. Inline but for the append: most of a task's
// blobs are empty.
inline void copy_into(std::string& to, std::string_view view) {
    to.clear();
    if (!view.empty()) append_to(to, view);
}

CompactResultView view_of(const JobResult& r) {
    return {r, r.out, r.err, r.error_text};
}

}  // namespace

bool compact_view_of(const JobSpec& job, CompactJobView& out) {
    if (job.kind != JobSpec::Kind::task || !job.env.empty() || !job.cwd.empty() ||
        !job.tag.empty() || job.memory_limit != 0)
        return false;
    out = {job.id, job.timeout_ms, job.attempt, job.task_name, job.payload};
    return compact_record_bytes(out) > 0;
}

size_t compact_record_bytes(const JobSpec& job) {
    CompactJobView view;
    return compact_view_of(job, view) ? compact_record_bytes(view) : 0;
}

size_t compact_record_bytes(const CompactJobView& job) {
    if (job.task_name.size() > kMaxBlobBytes || job.payload.size() > kMaxBlobBytes) return 0;
    return sizeof(JobHeader) + job.task_name.size() + job.payload.size();
}

size_t compact_record_bytes(const JobResult& r) {
    if (!r.out_file.empty() || !r.err_file.empty() || r.user_cpu_us != 0 || r.sys_cpu_us != 0 ||
        r.max_rss_kb != 0 || r.out_bytes != 0 || r.core_dumped)
        return 0;
    return compact_record_bytes(view_of(r));
}

size_t compact_record_bytes(const CompactResultView& r) {
    if (r.out.size() > kMaxBlobBytes || r.err.size() > kMaxBlobBytes ||
        r.error_text.size() > kMaxBlobBytes)
        return 0;
    return sizeof(ResultHeader) + r.out.size() + r.err.size() + r.error_text.size();
}

void write_compact_record(const JobSpec& job, std::byte* dst) {
    CompactJobView view;
    compact_view_of(job, view);
    write_compact_record(view, dst);
}

void write_compact_record(const CompactJobView& job, std::byte* dst) {
    const JobHeader h{job.id,
                      job.timeout_ms,
                      job.attempt,
                      static_cast<uint32_t>(job.task_name.size()),
                      static_cast<uint32_t>(job.payload.size()),
                      0};
    std::memcpy(dst, &h, sizeof h);
    put(put(dst + sizeof h, job.task_name), job.payload);
}

void write_compact_record(const JobResult& r, std::byte* dst) {
    write_compact_record(view_of(r), dst);
}

void write_compact_record(const CompactResultView& r, std::byte* dst) {
    const ResultHeader h{r.id,
                         r.start_ns,
                         r.end_ns,
                         r.attempt,
                         r.worker_slot,
                         r.exit_code,
                         r.signal,
                         static_cast<uint32_t>(r.status),
                         static_cast<uint32_t>(r.out.size()),
                         static_cast<uint32_t>(r.err.size()),
                         static_cast<uint32_t>(r.error_text.size())};
    std::memcpy(dst, &h, sizeof h);
    put(put(put(dst + sizeof h, r.out), r.err), r.error_text);
}

const char* view_compact_record(const ipc::ReadSlot& record, CompactJobView& job) {
    JobHeader h;
    if (record.size < sizeof h) return "compact job record shorter than its header";
    std::memcpy(&h, record.data, sizeof h);
    const std::byte* at = record.data + sizeof h;
    const std::byte* end = record.data + record.size;
    if (!take(at, end, h.name_bytes, job.task_name) || !take(at, end, h.payload_bytes, job.payload))
        return "compact job record shorter than its lengths say";
    job.id = h.id;
    job.attempt = h.attempt;
    job.timeout_ms = h.timeout_ms;
    return nullptr;
}

std::string read_compact_record(const ipc::ReadSlot& record, JobSpec& job) {
    CompactJobView view;
    if (const char* error = view_compact_record(record, view)) return error;
    copy_into(job.task_name, view.task_name);
    copy_into(job.payload, view.payload);
    job.id = view.id;
    job.attempt = view.attempt;
    job.kind = JobSpec::Kind::task;
    job.timeout_ms = view.timeout_ms;
    job.argv.clear();
    job.shell_line.clear();
    job.env.clear();
    job.cwd.clear();
    job.tag.clear();
    return {};
}

std::string read_compact_record(const ipc::ReadSlot& record, JobResult& r) {
    ResultHeader h;
    if (record.size < sizeof h) return "compact result record shorter than its header";
    std::memcpy(&h, record.data, sizeof h);
    if (h.status > static_cast<uint32_t>(kLastJobStatus))
        return "compact result record has an unknown status";
    const std::byte* at = record.data + sizeof h;
    const std::byte* end = record.data + record.size;
    std::string_view out, err, error_text;
    if (!take(at, end, h.out_bytes, out) || !take(at, end, h.err_bytes, err) ||
        !take(at, end, h.error_text_bytes, error_text))
        return "compact result record shorter than its lengths say";
    copy_into(r.out, out);
    copy_into(r.err, err);
    copy_into(r.error_text, error_text);
    r.id = h.id;
    r.attempt = h.attempt;
    r.worker_slot = h.worker_slot;
    r.status = static_cast<JobStatus>(h.status);
    r.exit_code = h.exit_code;
    r.signal = h.signal;
    r.start_ns = h.start_ns;
    r.end_ns = h.end_ns;
    r.user_cpu_us = r.sys_cpu_us = r.max_rss_kb = 0;
    r.out_file.clear();
    r.err_file.clear();
    r.out_bytes = 0;
    return {};
}

}  // namespace ringrun
