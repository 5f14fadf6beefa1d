// The differential suite: every case in tests/parallel_compat/cases.txt runs through GNU
// parallel and through ringrun, each in an empty directory, and the two must agree on
// stdout (sorted where the case says order is not promised), exit status, and the
// joblog's columns other than Starttime and JobRuntime. A difference is either fixed or
// documented in docs/parallel-compat.md and its case removed from the file.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/support/test_support.hpp"

namespace ringrun {
namespace {

namespace fs = std::filesystem;

struct CompatCase {
    int line = 0;
    bool sorted = false;
    std::string input;
    std::string script;
};

std::string unescape(const std::string& text) {
    if (text == "-") return {};
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '\\' || i + 1 == text.size()) {
            out += text[i];
            continue;
        }
        char c = text[++i];
        out += c == 'n' ? '\n' : c == 't' ? '\t' : c == '0' ? '\0' : c;
    }
    return out;
}

std::vector<CompatCase> load_cases() {
    std::vector<CompatCase> cases;
    std::ifstream in(RINGRUN_SOURCE_DIR "/tests/parallel_compat/cases.txt");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
        if (line.empty() || line[0] == '#') continue;
        size_t tab1 = line.find('\t'), tab2 = line.find('\t', tab1 + 1);
        if (tab2 == std::string::npos) continue;
        cases.push_back({number, line.substr(0, tab1) == "sorted",
                         unescape(line.substr(tab1 + 1, tab2 - tab1 - 1)), line.substr(tab2 + 1)});
    }
    return cases;
}

struct Outcome {
    int exit_code = -1;
    std::string out;
    std::vector<std::string> joblog;  // rows without Starttime and JobRuntime, by seq
};

std::vector<std::string> comparable_joblog(const fs::path& path) {
    std::vector<std::string> rows;
    std::ifstream in(path, std::ios::binary);
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> fields;
        std::stringstream s(line);
        for (std::string f; std::getline(s, f, '\t');) fields.push_back(f);
        if (fields.size() < 9) {
            rows.push_back("malformed: " + line);
            continue;
        }
        fields.erase(fields.begin() + 2, fields.begin() + 4);
        std::string row;
        for (const auto& f : fields) row += f + "|";
        rows.push_back(row);
    }
    // The header first, then by sequence number (numerically).
    if (rows.size() > 1)
        std::sort(rows.begin() + 1, rows.end(), [](const std::string& a, const std::string& b) {
            return std::stoull(a) < std::stoull(b) || (std::stoull(a) == std::stoull(b) && a < b);
        });
    return rows;
}

Outcome run_case(const CompatCase& c, const std::string& program) {
    fs::path dir = fs::temp_directory_path() /
                   ("ringrun-compat-" + std::to_string(getpid()) + "-" + std::to_string(c.line));
    fs::remove_all(dir);
    fs::create_directories(dir);
    testing::ProgramRun run;
    run.argv = {"/bin/sh", "-c", "cd '" + dir.string() + "' && P='" + program + "'; " + c.script};
    run.input = c.input;
    run.timeout = std::chrono::seconds(60);
    auto r = testing::run_program(run);
    Outcome o;
    o.exit_code = r.exit_code;
    o.out = r.out;
    if (c.sorted) {
        auto lines = testing::lines_of(r.out, true);
        o.out.clear();
        for (const auto& l : lines) o.out += l + "\n";
    }
    if (fs::exists(dir / "jl")) o.joblog = comparable_joblog(dir / "jl");
    fs::remove_all(dir);
    return o;
}

bool have_gnu_parallel() {
    auto r = testing::run_program({"/bin/sh", "-c", "parallel --version"});
    return r.exit_code == 0 && r.out.find("GNU parallel") != std::string::npos;
}

void PrintTo(const CompatCase& c, std::ostream* os) {
    *os << "cases.txt:" << c.line << ": " << c.script;
}

class ParallelCompat : public ::testing::TestWithParam<CompatCase> {};

TEST_P(ParallelCompat, SameOutputExitStatusAndJoblog) {
    // scripts/install-deps.sh installs GNU parallel: without it there is nothing to
    // compare against, and the suite's set-up is broken.
    static const bool available = have_gnu_parallel();
    ASSERT_TRUE(available) << "GNU parallel is not installed: run scripts/install-deps.sh";
    const CompatCase& c = GetParam();
    Outcome gnu = run_case(c, "parallel --will-cite");
    Outcome ours = run_case(c, RINGRUN_BINARY);
    SCOPED_TRACE("cases.txt:" + std::to_string(c.line) + ": " + c.script);
    EXPECT_EQ(ours.out, gnu.out);
    EXPECT_EQ(ours.exit_code, gnu.exit_code);
    EXPECT_EQ(ours.joblog, gnu.joblog);
}

INSTANTIATE_TEST_SUITE_P(Cases, ParallelCompat, ::testing::ValuesIn(load_cases()),
                         [](const ::testing::TestParamInfo<CompatCase>& info) {
                             return "line" + std::to_string(info.param.line);
                         });

}  // namespace
}  // namespace ringrun
