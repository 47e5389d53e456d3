// `elfhash seal`: the whole install-side chain of a CONFIG_MODULE_HASHES kernel in one process (spec
// §4.3, §5.1, §5.3, §5.4). From a kbuild objtree it
//   1. strips every module listed in modules.order once, in memory, as INSTALL_MOD_STRIP would;
//   2. builds the Merkle tree over exactly those bytes, in modules.order order (spec §2);
//   3. writes STAGING/lib/modules/<release>/kernel/<stem>.ko = those bytes + the module's proof trailer
//      (spec §3.1), plus modules.order in its installed form, as `make modules_install` lays them out;
//   4. writes STAGING/vmlinux = objcopy_vmlinux(vmlinux.unstripped) with .module_hashes filled.
// What kbuild does with two strips of the same module (build time and install time, spec §5.4) is
// done with one, so the proof is always over the installed bytes.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "elf/error.h"
#include "elf/ops.h"
#include "merkle/compression/compress.h"
#include "merkle/sha256.h"

namespace elfhash::merkle {

struct SealOptions {
  std::string objtree;      // holds vmlinux.unstripped, modules.order, the .ko files
  std::string out;          // the staging directory (INSTALL_MOD_PATH)
  std::string vmlinux_out;  // default: <out>/vmlinux; must be on the same file system as <out>
  // INSTALL_MOD_STRIP as strip options; nullopt = install the modules as built (no strip).
  std::optional<elf::CopyOptions> strip;
  std::string kernel_release;  // empty: include/config/kernel.release, else the banner in vmlinux
  // CONFIG_MODULE_COMPRESS_*: compress each installed module after its trailer (spec §5.3); the
  // file is then <stem>.ko.xz / .ko.zst. The proof covers the uncompressed bytes, as in kbuild.
  Compression compression = Compression::kNone;
  unsigned threads = 0;        // module workers; 0 = all cores. The output never depends on it.
  bool fsync = false;          // fsync every file and directory of the tree before and after publication
  // Called (serialised, from any thread) as modules complete: ("modules", done, total), then once
  // ("vmlinux", 0, 1) when the modules and the vmlinux start being written.
  std::function<void(std::string_view stage, size_t done, size_t total)> progress;
};

struct SealSummary {
  std::string release;
  std::string modules_dir;  // <out>/lib/modules/<release>
  std::string vmlinux;
  size_t modules = 0;
  uint32_t levels = 0;
  Hash root = {};
  uint64_t bytes_in = 0;         // module files as read
  uint64_t bytes_installed = 0;  // module files as written (stripped + trailers, compressed if asked)
  uint64_t vmlinux_bytes = 0;
  // Wall seconds of each pass, in order ("open", "strip+hash+write", "tree", "trailers", "vmlinux wait",
  // "publish") plus "(vmlinux thread)", the vmlinux copy that overlaps the module passes (--timings).
  std::vector<std::pair<std::string, double>> passes;
};

Result<SealSummary> seal(const SealOptions& opt);

// lib/modules/<release>/kernel/<stem>.ko for a modules.order stem (the modules_install layout);
// refuses a stem that is absolute or contains "..", which would leave the staging tree.
Result<std::string> installed_module_path(const std::string& release, const std::string& stem);

// The release for lib/modules/: `given` if set, else the first line of
// <objtree>/include/config/kernel.release, else the "Linux version" banner of vmlinux (path for errors).
Result<std::string> resolve_release(const std::string& given, const std::string& objtree,
                                    const std::function<std::optional<std::string>()>& banner,
                                    const std::string& vmlinux_path);

}  // namespace elfhash::merkle
