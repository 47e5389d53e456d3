// Parsing of the GNU objcopy/strip options elfhash supports (docs/cli.md), shared by objcopy, strip
// and seal. Options may repeat (-R a -R b) and come in any GNU spelling: "-R X", "-RX",
// "--remove-section X", "--remove-section=X".
#pragma once

#include <string>
#include <vector>

#include "elf/copy.h"
#include "elf/ops.h"
#include "elf/reader.h"

#include <sys/stat.h>

namespace elfhash::cli {

struct ParsedCopyArgs {
  elf::CopyOptions copy;
  elf::OutputFormat format = elf::OutputFormat::kElf;
  std::vector<std::string> positional;
  std::string output;      // strip -o
  unsigned jobs = 0;       // strip -j (0 = all cores)
  bool drop_trailer = false;  // --drop-trailer: copy a file that ends in a signature/proof without it
  bool fsync = false;         // --fsync (elf/atomic_file.h)
  bool help = false;
  bool version = false;         // -V/--version
  bool verbose = false;         // -v/--verbose
  bool preserve_dates = false;  // -p/--preserve-dates
  bool nondeterministic = false;  // -U/--disable-deterministic-archives (archives only)
  std::vector<std::string> targets;  // -I/-O/-F ELF target names: must be the input's own
  elf::ImageOptions image;      // -O binary/srec/ihex/verilog: --gap-fill, --pad-to, --srec-*, -i, ...
  bool has_pad_to = false;
  bool binary_input = false;    // -I binary
  std::string binary_arch;      // -B/--binary-architecture (with -I binary)
  unsigned reverse_bytes = 0;   // --reverse-bytes N (check_image_args routes it)
};

enum class CopyTool { kObjcopy, kStrip };

// Returns an error message ("unrecognized option '--x'") or empty on success.
std::string parse_copy_args(CopyTool tool, int argc, char** argv, ParsedCopyArgs& out);
// objcopy's checks of the image options once all are parsed (binutils copy_main), and where
// --reverse-bytes applies (the ELF sections, or the -I binary image). Error message or empty.
std::string check_image_args(ParsedCopyArgs& a);

// GNU strip's default (strip.c): without a stripping option, -x/-X or -N, strip means --strip-all
// (so `strip -R .comment` also strips everything).
void apply_strip_default(ParsedCopyArgs& a);

// BFD's name for the input's format ("elf64-x86-64"), as -I/-O/-F and -v spell it.
std::string gnu_target_name(const elf::ElfFile& f);

// The checks objcopy and strip share before copying one input: a file ending in a module signature
// or Merkle proof is refused unless --drop-trailer (then the trailer is cut off); -I/-O/-F must name
// the input's own format. Returns the ELF image parsed (the input, or its prefix before the trailer),
// which run_copy then uses instead of parsing it again, and stores the target name.
Result<elf::ElfFile> check_input(const std::shared_ptr<MappedFile>& in, const ParsedCopyArgs& a, std::string* target);

// An ar archive input (binutils copy_archive): each member copied, the archive written to `out`
// atomically, then -p applied as finish_output does. Options GNU would apply differently to an
// archive (-U, -v, -O binary, -I/-O/-F) are refused.
Status copy_archive_file(const std::shared_ptr<MappedFile>& in, const std::string& out, const ParsedCopyArgs& a);

// -p and -v after one file was written: GNU copies the input's access/modification times and
// prints "copy from `IN' [T] to `OUT' [T]".
Status finish_output(const std::string& in, const std::string& out, const std::string& target,
                     const ParsedCopyArgs& a, const struct ::stat& in_stat);

// The first line of GNU's --version (kbuild's Kconfig only checks that it does not name llvm;
// configure scripts read the last word as the binutils version).
void print_version(const char* tool);

}  // namespace elfhash::cli
