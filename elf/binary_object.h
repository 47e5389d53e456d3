// objcopy -I binary with an ELF output target: binutils' binary backend presents the input file as
// one section, .data (allocated, loaded, writable, at address 0), with three symbols named from the
// input's path (bfd/binary.c): _binary_<name>_start and _end in .data, _binary_<name>_size absolute.
// elfhash writes that object as an ELF file of the target's class, byte order and machine, which the
// ordinary copy then edits and lays out as binutils does. docs/cli.md, "-I binary".
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "elf/error.h"

namespace elfhash::elf {

// `target` is a BFD target name (elf64-x86-64, elf32-i386, elf32-x86-64, elf64-littleaarch64,
// elf64-bigaarch64); `arch` a -B architecture ("" when not given), which must be the target's own.
// `name` is the input path as given on the command line (binutils mangles it into the symbols).
Result<std::vector<uint8_t>> binary_as_object(std::span<const uint8_t> bytes, std::string_view name,
                                              std::string_view target, std::string_view arch);

}  // namespace elfhash::elf
