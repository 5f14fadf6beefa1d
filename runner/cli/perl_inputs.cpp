// The protocol on perl's pipes is length-prefixed ("N\n" then N bytes), so values may
// hold newlines and NUL bytes. perl reads a whole batch before it writes any value:
// neither side can block the other with a full pipe.
#include "runner/cli/perl_inputs.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "ipc/system_call.hpp"
#include "runner/core/exit_codes.hpp"

extern char** environ;

namespace ringrun {
namespace {

// Reads the expressions, compiles each into a sub (a compile error is reported with
// its number, and perl exits 2), then answers batches until EOF.
constexpr const char* kPerlProgram = R"PERL(
binmode STDIN; binmode STDOUT; $| = 0;
sub rd { my $n = <STDIN>; return undef unless defined $n; chomp $n; my $s = '';
         while (length($s) < $n) { my $got = read(STDIN, $s, $n - length($s), length($s));
                                    die "short read\n" unless $got; } return $s; }
my $count = rd(); my (@subs, @positions);
for my $i (0 .. $count - 1) {
    my $position = rd(); my $code = rd();
    my $sub = eval "no strict; no warnings; sub { $code }";
    if ($@) { my $e = $@; $e =~ s/\s+$//; print STDOUT "E$i\n", length($e), "\n", $e; exit 2; }
    push @subs, $sub; push @positions, $position;
}
print STDOUT "OK\n"; STDOUT->flush();
while (defined(my $jobs = rd())) {
    my @out;
    for (1 .. $jobs) {
        my $n = rd(); my @args = map { rd() } 1 .. $n;
        for my $i (0 .. $#subs) {
            local $_ = $positions[$i] ? $args[$positions[$i] - 1] : join(' ', @args);
            $_ = '' unless defined $_;
            $subs[$i]->();
            $_ = '' unless defined $_;
            push @out, length($_) . "\n" . $_;
        }
    }
    print STDOUT @out; STDOUT->flush();
}
)PERL";

void put_field(std::string& out, std::string_view value) {
    out += std::to_string(value.size());
    out += '\n';
    out.append(value);
}

}  // namespace

PerlEvaluator::PerlEvaluator(const std::vector<PerlExpression>& expressions)
    : expression_count_(expressions.size()) {
    int in[2], out[2];
    sys::checked("pipe2", "perl", [&] { return ::pipe2(in, O_CLOEXEC); });
    sys::checked("pipe2", "perl", [&] { return ::pipe2(out, O_CLOEXEC); });
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    char* argv[] = {const_cast<char*>("perl"), const_cast<char*>("-e"),
                    const_cast<char*>(kPerlProgram), nullptr};
    const int rc = posix_spawnp(&pid_, "perl", &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    to_perl_ = in[1];
    from_perl_ = out[0];
    if (rc != 0) {
        pid_ = -1;
        throw UsageError(std::string("{= perl expression =} needs perl: ") + std::strerror(rc));
    }
    std::string setup;
    put_field(setup, std::to_string(expressions.size()));
    for (const auto& e : expressions) {
        put_field(setup, std::to_string(e.position));
        put_field(setup, e.code);
    }
    sys::write_all(to_perl_, setup.data(), setup.size(), "perl");
    const std::string answer = read_line();
    if (answer == "OK") return;
    if (!answer.empty() && answer[0] == 'E') {
        const size_t which = std::stoul(answer.substr(1));
        const std::string error = read_bytes(std::stoul(read_line()));
        throw UsageError("{=" + expressions[which].code + "=}: " + error);
    }
    throw UsageError("{= perl expression =}: perl did not start");
}

PerlEvaluator::~PerlEvaluator() {
    if (to_perl_ >= 0) ::close(to_perl_);
    if (from_perl_ >= 0) ::close(from_perl_);
    // Workers forked after perl hold a copy of its stdin: it may see no EOF yet.
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        sys::retry_eintr([&] { return ::waitpid(pid_, nullptr, 0); });
    }
}

std::string PerlEvaluator::read_line() {
    for (;;) {
        const size_t newline = buffered_.find('\n');
        if (newline != std::string::npos) {
            std::string line = buffered_.substr(0, newline);
            buffered_.erase(0, newline + 1);
            return line;
        }
        char chunk[65536];
        const ssize_t n =
            sys::checked("read", "perl", [&] { return ::read(from_perl_, chunk, sizeof chunk); });
        if (n == 0) throw UsageError("{= perl expression =}: perl ended early");
        buffered_.append(chunk, static_cast<size_t>(n));
    }
}

std::string PerlEvaluator::read_bytes(size_t n) {
    while (buffered_.size() < n) {
        char chunk[65536];
        const ssize_t got =
            sys::checked("read", "perl", [&] { return ::read(from_perl_, chunk, sizeof chunk); });
        if (got == 0) throw UsageError("{= perl expression =}: perl ended early");
        buffered_.append(chunk, static_cast<size_t>(got));
    }
    std::string bytes = buffered_.substr(0, n);
    buffered_.erase(0, n);
    return bytes;
}

void PerlEvaluator::evaluate(std::vector<std::vector<std::string>>& jobs) {
    std::string request;
    put_field(request, std::to_string(jobs.size()));
    for (const auto& inputs : jobs) {
        put_field(request, std::to_string(inputs.size()));
        for (const auto& value : inputs) put_field(request, value);
    }
    sys::write_all(to_perl_, request.data(), request.size(), "perl");
    for (auto& inputs : jobs)
        for (size_t i = 0; i < expression_count_; ++i)
            inputs.push_back(read_bytes(std::stoul(read_line())));
}

bool PerlInputs::next(std::vector<std::string>& inputs) {
    if (ready_.empty()) {
        constexpr size_t kBatch = 256;
        batch_.clear();
        std::vector<std::string> one;
        while (batch_.size() < kBatch && inner_->next(one)) batch_.push_back(std::move(one));
        if (batch_.empty()) return false;
        perl_->evaluate(batch_);
        for (auto& job : batch_) ready_.push_back(std::move(job));
    }
    inputs = std::move(ready_.front());
    ready_.pop_front();
    return true;
}

}  // namespace ringrun
