// ringrun as a library: checksums of generated blocks on worker processes, with a
// worker start hook, futures, a bounded map over a million inputs, and a task that
// crashes its worker once (it is replaced, the task retried, the run completes).
// Build against the installed package: see CMakeLists.txt here, or
//   c++ checksums.cpp $(pkg-config --cflags --libs ringrun)
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <ranges>
#include <ringrun/pool.hpp>
#include <string>

namespace {

// Shared by every task of one worker; built by the start hook, once per worker.
std::string* salt = nullptr;

// FNV-1a of the salted payload, as hex.
std::string checksum(std::string_view payload) {
    uint64_t h = 1469598103934665603ull;
    for (std::string_view part : {std::string_view(*salt), payload})
        for (unsigned char c : part) h = (h ^ c) * 1099511628211ull;
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}
RINGRUN_TASK(checksum);

// Crashes its worker the first time it sees a marker path that does not exist yet.
std::string fragile(std::string_view marker) {
    if (::access(std::string(marker).c_str(), F_OK) != 0) {
        std::ofstream(std::string(marker)) << "crashed once\n";
        ::raise(SIGSEGV);
    }
    return "ran after a crash";
}
RINGRUN_TASK(fragile);

}  // namespace

int main() {
    ringrun::PoolOptions options;
    options.workers = 2;
    options.worker_start = [] { salt = new std::string("ringrun-example"); };
    ringrun::Pool pool(options);

    std::future<std::string> one = pool.submit("checksum", "hello");
    std::printf("checksum(hello) = %s\n", one.get().c_str());

    uint64_t folded = 0, done = 0;
    auto blocks = std::views::iota(0, 1'000'000) |
                  std::views::transform([](int i) { return "block " + std::to_string(i); });
    pool.map("checksum", blocks, [&](uint64_t, ringrun::TaskResult& r) {
        if (!r.ok()) throw std::runtime_error(r.error);
        folded ^= std::stoull(r.value, nullptr, 16);
        ++done;
    });
    std::printf("%llu checksums folded: %016llx\n", static_cast<unsigned long long>(done),
                static_cast<unsigned long long>(folded));

    const std::string marker = "/tmp/ringrun-example-" + std::to_string(::getpid());
    std::printf("fragile: %s\n", pool.submit("fragile", marker).get().c_str());
    ::unlink(marker.c_str());
    std::printf("workers replaced: %llu\n",
                static_cast<unsigned long long>(pool.stats().worker_restarts));
    return 0;
}
