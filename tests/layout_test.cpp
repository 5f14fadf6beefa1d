// The layout of runner/ as its READMEs state it: which folder may include which, no cycle
// between folders, the core free of every front end's libraries, a README.md per folder
// and no file over 600 lines. Reads the source tree; never builds or runs anything.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kRunner = fs::path(RINGRUN_SOURCE_DIR) / "runner";

// What each folder of runner/ may include besides itself (its README says the same).
const std::map<std::string, std::set<std::string>> kMayInclude = {
    {"core", {}},
    {"templates", {"core"}},
    {"records", {"core", "templates"}},
    {"cli", {"core", "templates"}},
    {"pipeline", {"core", "templates", "records", "cli"}},
    {"library", {"core"}},
    {"bench", {"core", "library"}},
};

// Libraries that belong to front ends: the core includes none of them.
const std::vector<std::string> kFrontEndLibraries = {"CLI/", "toml++/", "capnp/compat/json"};

std::vector<fs::path> sources_in(const fs::path& dir) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const auto ext = entry.path().extension();
        if (entry.is_regular_file() && (ext == ".cpp" || ext == ".hpp")) files.push_back(entry);
    }
    return files;
}

std::vector<std::string> lines_of(const fs::path& file) {
    std::ifstream in(file);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// The folder of runner/ a file is in ("" for runner/main.cpp), and for include/, "library"
// (the public headers are the library's).
std::string folder_of(const fs::path& file) {
    const auto relative = fs::relative(file, kRunner);
    if (std::distance(relative.begin(), relative.end()) < 2) return "";
    const std::string first = relative.begin()->string();
    return first == "include" ? "library" : first;
}

// The runner/ folders a file includes: "runner/X/..." is X, <ringrun/pool.hpp> is the
// library. The other public headers (Backend, task results) are vocabulary every folder
// may use.
std::set<std::string> folders_included_by(const fs::path& file) {
    std::set<std::string> folders;
    for (const auto& line : lines_of(file)) {
        const size_t hash = line.find_first_not_of(" \t");
        if (hash == std::string::npos || line.compare(hash, 8, "#include") != 0) continue;
        const size_t quote = line.find("\"runner/", hash);
        if (quote != std::string::npos) {
            const size_t start = quote + 8;
            const size_t slash = line.find('/', start);
            if (slash == std::string::npos) continue;  // runner/X.hpp: no folder
            const std::string folder = line.substr(start, slash - start);
            folders.insert(folder == "include" ? "library" : folder);
        } else if (line.find("<ringrun/pool.hpp>", hash) != std::string::npos) {
            folders.insert("library");
        }
    }
    return folders;
}

TEST(Layout, EveryFolderOfRunnerIsKnownAndHasAReadme) {
    for (const auto& entry : fs::directory_iterator(kRunner)) {
        if (!entry.is_directory() || entry.path().filename() == "include") continue;
        const std::string name = entry.path().filename().string();
        EXPECT_TRUE(kMayInclude.count(name)) << "runner/" << name << " is not in the layout";
        const fs::path readme = entry.path() / "README.md";
        ASSERT_TRUE(fs::exists(readme)) << readme;
        std::string text;
        for (const auto& line : lines_of(readme)) text += line + "\n";
        for (const char* part : {"Holds", "May include", "Must never include"})
            EXPECT_NE(text.find(part), std::string::npos) << readme << " says nothing of " << part;
    }
}

TEST(Layout, FoldersIncludeOnlyWhatTheyMay) {
    size_t files = 0;
    for (const auto& file : sources_in(kRunner)) {
        const std::string from = folder_of(file);
        if (from.empty() || fs::relative(file, kRunner).begin()->string() == "include") continue;
        ++files;
        for (const auto& to : folders_included_by(file)) {
            if (to == from) continue;
            EXPECT_TRUE(kMayInclude.at(from).count(to))
                << fs::relative(file, kRunner) << " includes runner/" << to;
        }
    }
    EXPECT_GT(files, 40u);  // the scan found the tree
}

TEST(Layout, NoCycleBetweenFolders) {
    std::map<std::string, std::set<std::string>> edges;
    for (const auto& file : sources_in(kRunner)) {
        const std::string from = folder_of(file);
        if (from.empty()) continue;
        for (const auto& to : folders_included_by(file))
            if (to != from) edges[from].insert(to);
    }
    std::map<std::string, int> state;  // 1: on the path, 2: done
    std::vector<std::string> path;
    std::function<void(const std::string&)> visit = [&](const std::string& node) {
        state[node] = 1;
        path.push_back(node);
        for (const auto& next : edges[node]) {
            if (state[next] == 1) {
                std::string cycle;
                for (const auto& n : path) cycle += n + " -> ";
                ADD_FAILURE() << "include cycle: " << cycle << next;
            } else if (state[next] == 0) {
                visit(next);
            }
        }
        path.pop_back();
        state[node] = 2;
    };
    for (const auto& [node, _] : edges)
        if (state[node] == 0) visit(node);
}

TEST(Layout, CoreIncludesNoFrontEndLibrary) {
    for (const auto& file : sources_in(kRunner / "core"))
        for (const auto& line : lines_of(file)) {
            if (line.find("#include") == std::string::npos) continue;
            for (const auto& library : kFrontEndLibraries)
                EXPECT_EQ(line.find(library), std::string::npos)
                    << fs::relative(file, kRunner) << ": " << line;
        }
}

TEST(Layout, NoSourceFileOver600Lines) {
    for (const char* dir : {"runner", "ipc", "worker"})
        for (const auto& file : sources_in(fs::path(RINGRUN_SOURCE_DIR) / dir))
            EXPECT_LE(lines_of(file).size(), 600u) << file;
}

}  // namespace
