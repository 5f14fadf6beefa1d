// A directory of this user's that --results writes a tree into, held open by its file
// descriptor: every directory below it is made or entered with openat and O_NOFOLLOW and
// must be this user's, and every file in it is replaced (unlinked, then made with
// O_EXCL|O_NOFOLLOW), so that nothing another local user planted (a symlink, a directory
// of theirs) is ever followed or written through.
// Must never open a path below the top by name from the current directory.
#pragma once

#include <string>
#include <string_view>

namespace ringrun {

class OwnedDirectory {
  public:
    // path (made if missing, as mkdir -p; symlinks the user put in it are followed); it
    // must be this user's or root's. Throws UsageError naming what.
    static OwnedDirectory open_top(const std::string& path, const std::string& what);
    ~OwnedDirectory();
    OwnedDirectory(OwnedDirectory&& other) noexcept;
    OwnedDirectory& operator=(OwnedDirectory&&) = delete;

    // The directory at relative (components split at '/'), each made if missing. A
    // component "..", a symlink, or a directory of another user's throws UsageError.
    OwnedDirectory below(std::string_view relative) const;
    // Replaces the file name with text.
    void write_file(const std::string& name, std::string_view text) const;
    // Replaces the file name with the file at source: a hard link where it can, else a copy.
    void link_file(const std::string& name, const std::string& source) const;
    const std::string& path() const { return path_; }

  private:
    OwnedDirectory(int fd, std::string path, std::string what);
    int new_file(const std::string& name) const;
    int fd_;
    std::string path_;  // for messages
    std::string what_;
};

}  // namespace ringrun
