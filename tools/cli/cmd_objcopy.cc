// elfhash objcopy [OPTIONS] IN [OUT]: GNU objcopy spellings; OUT omitted = IN replaced atomically.
// A file ending in a module signature/proof trailer is refused unless --drop-trailer, as in strip.
#include <sys/stat.h>

#include <cstdio>

#include "elf/archive.h"
#include "elf/copy.h"
#include "elf/mapped_file.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/cli/copy_options.h"

namespace elfhash::cli {
namespace {

constexpr const char* kHelp = R"(usage: elfhash objcopy [OPTIONS] IN [OUT]

Copies an ELF file with GNU objcopy's semantics; OUT omitted rewrites IN atomically.
Allocated bytes never move; symbol/string tables are rebuilt as GNU binutils builds them.

  -R, --remove-section PATTERN     remove matching sections (glob; '!PATTERN' protects)
  -j, --only-section PATTERN       keep only matching sections
  --set-section-flags SEC=FLAGS    alloc,load,noload,readonly,code,data,rom,contents,...
  -g, --strip-debug                remove debugging sections and symbols
  --strip-unneeded                 remove everything not needed for relocation
  -N, --strip-symbol NAME          remove symbol NAME
  --strip-unneeded-symbol NAME     remove symbol NAME unless a relocation needs it
  -w, --wildcard                   symbol NAMEs are globs
  --add-section SEC=FILE           add a section with FILE's contents
  --update-section SEC=FILE        replace a section's contents
  --dump-section SEC=FILE          write a section's contents to FILE
  -O, --output-target binary       write the loadable image instead of ELF
  -O srec [--srec-len N] [--srec-forceS3]   write Motorola S-records (to a named output file)
  -O ihex                                   write Intel HEX records
  -O verilog [--verilog-data-width N]       write Verilog hex (N = 1, 2, 4, 8, 16 bytes per word)
  --gap-fill BYTE                  (-O binary/srec/ihex) fill the gaps between sections with BYTE
  --change-addresses/--adjust-vma INCR      move every section (and the start address)
  --change-section-address SEC{=,+,-}VAL    set or move a section's address and load address
  --change-section-vma / --change-section-lma SEC{=,+,-}VAL   only one of the two
  --change-start/--adjust-start INCR, --set-start ADDR        the start address
  --fsync                          make the output and its directory entry durable before exiting
  -S, --strip-all                  remove all symbols and relocations
  -x, --discard-all / -X, --discard-locals   remove local / compiler-generated local symbols
  -K, --keep-symbol NAME           keep symbol NAME whatever the other options say
  --keep-section PATTERN           never remove matching sections
  --remove-relocations PATTERN     remove the relocations of matching sections
  --rename-section OLD=NEW[,FLAGS] rename a section
  --set-section-alignment SEC=N    set a section's alignment (a power of two)
  --add-gnu-debuglink FILE         add .gnu_debuglink naming FILE with its CRC-32
  --strip-dwo                      remove the .dwo debugging sections
  --extract-dwo                    keep only the .dwo sections (gcc -gsplit-dwarf)
  --prefix-symbols STRING          put STRING in front of every symbol name
  --prefix-alloc-sections STRING   put STRING in front of every allocated section's name
  --keep-file-symbols              keep STT_FILE symbols
  --pad-to ADDR                    (-O binary/srec/ihex) extend the image to load address ADDR
  -I/-O/-F TARGET                  accepted when TARGET is the input's own format
  -p, --preserve-dates             copy the input's access/modification times
  -D, -U                           accepted (they only affect archives)
  --drop-trailer                   copy a file ending in a signature/proof, without the trailer
  -v, --verbose / -V, --version
Options GNU has and elfhash does not support are refused with exit 2 (docs/cli.md).
)";

}  // namespace

int cmd_objcopy(int argc, char** argv) {
  ParsedCopyArgs a;
  std::string err = parse_copy_args(CopyTool::kObjcopy, argc, argv, a);
  if (!err.empty()) return usage_error("objcopy", err);
  if (a.help) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (a.version) {
    print_version("objcopy");
    return kExitOk;
  }
  if (a.positional.empty() || a.positional.size() > 2)
    return usage_error("objcopy", "expected IN [OUT]");
  // -I binary without -O writes binary (binutils' output target defaults to the input's).
  if (a.binary_input && a.format == elf::OutputFormat::kElf && a.targets.empty()) a.format = elf::OutputFormat::kBinary;
  if (std::string e = check_image_args(a); !e.empty()) return usage_error("objcopy", e);
  const std::string& path = a.positional[0];
  auto in = MappedFile::open(path);
  if (!in) return report(in.error(), kExitError);
  if (!a.binary_input && elf::is_archive((*in)->bytes())) {
    const std::string out = a.positional.size() == 2 ? a.positional[1] : path;
    if (auto st = copy_archive_file(*in, out, a); !st) return report(st.error(), kExitError);
    return kExitOk;
  }
  elf::CopyJob job;
  job.input = *in;
  std::string target = "binary";
  if (a.binary_input) {
    job.image_size = (*in)->bytes().size();
    job.binary_input = true;
    if (!a.targets.empty()) job.binary_target = target = a.targets.front();
    job.binary_arch = a.binary_arch;
  } else {
    auto image = check_input(*in, a, &target);
    if (!image) return report(image.error(), kExitError);
    job.image_size = image->bytes().size();
    job.parsed = std::move(*image);
  }
  job.output = a.positional.size() == 2 ? a.positional[1] : path;
  job.mode = (*in)->mode();
  job.format = a.format;
  job.fsync = a.fsync;
  job.image = a.image;
  if (a.format == elf::OutputFormat::kSrec) {
    // binutils writes the output's name into the S0 record; in place, that is its temporary file's
    // random name, which elfhash does not reproduce.
    if (a.positional.size() < 2 || a.positional[1] == path)
      return usage_error("objcopy", "-O srec in place is not supported (binutils names its temporary file in the "
                                    "S0 record); give an output file");
    job.image.srec_header = a.positional[1];
  }
  auto done = elf::run_copy(job, a.copy);
  if (!done) return report(done.error(), kExitError);
  auto fin = finish_output(path, job.output, a.format == elf::OutputFormat::kBinary ? "binary"
                         : a.format == elf::OutputFormat::kSrec ? "srec"
                         : a.format == elf::OutputFormat::kIhex ? "ihex"
                         : a.format == elf::OutputFormat::kVerilog ? "verilog"
                                                                : target, a, (*in)->stat());
  if (!fin) return report(fin.error(), kExitError);
  return kExitOk;
}

}  // namespace elfhash::cli
