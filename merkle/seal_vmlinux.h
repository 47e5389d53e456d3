// The vmlinux half of `elfhash seal`: kbuild's objcopy_vmlinux step (spec §5.1) and the
// `--update-section .module_hashes` of spec §4.3 item 4 done as one objcopy pass, split in two so the
// expensive part (loading and editing the 600 MB model) runs while the modules are being hashed.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "elf/error.h"
#include "elf/object.h"
#include "elf/ops.h"
#include "elf/reader.h"
#include "merkle/module_hashes.h"

namespace elfhash::merkle {

// The options of the second objcopy of spec §5.1 (the first one only sets `noload` on the same
// sections to silence a GNU warning; it changes no output byte): remove .modinfo and the static
// relocation sections ('.rel*' except '.rel*.dyn', plus '.rel.*' for old binutils), and
// -w --strip-unneeded-symbol='__mod_device_table__*'. Removing .rel* is harmless when the kernel was
// built without CONFIG_ARCH_VMLINUX_NEEDS_RELOCS: there are no such sections then.
elf::CopyOptions objcopy_vmlinux_options();

// vmlinux.unstripped loaded and edited (§5.1 options applied); only .module_hashes is still to fill.
class PreparedVmlinux {
 public:
  // Fails when the file has no usable .module_hashes (kernel built without CONFIG_MODULE_HASHES).
  static Result<std::unique_ptr<PreparedVmlinux>> prepare(std::shared_ptr<const elf::ElfFile> elf);
  // Fills .module_hashes (levels in the file's byte order, spec §4.1) and writes the result to `path`
  // atomically with mode 0755 (an executable, like objcopy's output for ET_EXEC).
  Status write(const ModuleHashesRoot& root, const std::string& path);

 private:
  explicit PreparedVmlinux(std::shared_ptr<const elf::ElfFile> elf) : elf_(std::move(elf)) {}
  std::shared_ptr<const elf::ElfFile> elf_;
  std::optional<elf::Object> obj_;
};

// The release in the "Linux version <release> (" banner (init/version.c linux_banner) in an allocated
// section of `elf`, if any.
std::optional<std::string> banner_release(const elf::ElfFile& elf);
// The same search over raw bytes (tests).
std::optional<std::string> find_banner_release(std::span<const uint8_t> bytes);

// A release string usable as the directory name lib/modules/<release>: non-empty, printable ASCII
// without '/' or blanks, not "." or "..".
bool valid_release(std::string_view r);

}  // namespace elfhash::merkle
