// The vmlinux half of `elfhash seal`: kbuild's objcopy_vmlinux step (spec §5.1) and the
// `--update-section .module_hashes` of spec §4.3 item 4. The result equals `elfhash objcopy` with the
// §5.1 options followed by `elfhash patch`, and is made that way: the expensive copy runs while the
// modules are being stripped and hashed, and the 36 bytes are written once the root is known.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "elf/error.h"
#include "elf/mapped_file.h"
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

// Writes objcopy_vmlinux(input) to `path`, atomically, mode 0755 (an executable, like objcopy's
// output for ET_EXEC). .module_hashes keeps its input bytes: seal writes the file while the modules
// are still being hashed, then fills the section with fill_module_hashes().
Status write_objcopy_vmlinux(const std::shared_ptr<MappedFile>& input, const std::string& path);

// Overwrites the 36 bytes of .module_hashes (levels in the file's byte order, spec §4.1) in place in
// the file at `path`, like `elfhash patch` but without copying the file: for a file seal owns (in its
// private staging directory), not for publishing.
Status fill_module_hashes(const std::string& path, const ModuleHashesRoot& root);

// The release in the "Linux version <release> (" banner (init/version.c linux_banner) in an allocated
// section of `elf`, if any.
std::optional<std::string> banner_release(const elf::ElfFile& elf);
// The same search over raw bytes (tests).
std::optional<std::string> find_banner_release(std::span<const uint8_t> bytes);

// A release string usable as the directory name lib/modules/<release>: non-empty, printable ASCII
// without '/' or blanks, not "." or "..".
bool valid_release(std::string_view r);

}  // namespace elfhash::merkle
