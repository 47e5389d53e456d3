// elfhash objcopy [OPTIONS] IN [OUT]: GNU objcopy spellings; OUT omitted = IN replaced atomically.
#include <cstdio>

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
  --fsync                          make the output and its directory entry durable before exiting
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
  if (a.positional.empty() || a.positional.size() > 2)
    return usage_error("objcopy", "expected IN [OUT]");
  auto in = MappedFile::open(a.positional[0]);
  if (!in) return report(in.error(), kExitError);
  elf::CopyJob job;
  job.input = *in;
  job.image_size = (*in)->bytes().size();
  job.output = a.positional.size() == 2 ? a.positional[1] : a.positional[0];
  job.mode = (*in)->mode();
  job.format = a.format;
  job.fsync = a.fsync;
  auto st = elf::run_copy(job, a.copy);
  if (!st) return report(st.error(), kExitError);
  return kExitOk;
}

}  // namespace elfhash::cli
