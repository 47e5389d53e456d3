// An installed module tree, lib/modules/<release> as modules_install and Debian's packages lay it out:
// modules under kernel/ (and updates/, extra/ for out-of-tree ones), each `.ko` or compressed
// (`.ko.gz`, `.ko.xz`, `.ko.zst`), and modules.order listing the in-tree ones as `kernel/<path>.ko`.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"

namespace elfhash::kernel {

// True for the names modules_install writes (".ko" plus an optional compression suffix).
bool is_module_name(std::string_view name);
// "kernel/fs/foo.ko" for "kernel/fs/foo.ko.xz": the name modules.order uses.
std::string_view uncompressed_name(std::string_view name);

struct TreeModule {
  std::string path;     // dir + "/" + rel
  std::string rel;      // relative to the tree, as installed (suffix included)
  bool listed = false;  // in modules.order (always false without one)
};

struct InstalledTree {
  std::string dir;
  bool has_order = false;
  std::vector<TreeModule> modules;  // sorted by rel
  std::vector<std::string> missing; // modules.order entries with no installed file, in order
};

// Every module file under `dir` (symbolic links to directories, such as build/ and source/, are not
// followed), matched against dir/modules.order when it exists.
Result<InstalledTree> scan_installed_tree(const std::string& dir);

}  // namespace elfhash::kernel
