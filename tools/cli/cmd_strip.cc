// elfhash strip [OPTIONS] FILE...: GNU strip spellings, in place (or -o OUT for one file), files in
// parallel. Files ending in a module signature/proof trailer are refused unless --drop-trailer.
#include <fmt/core.h>

#include <sys/stat.h>

#include <atomic>
#include <cstdio>
#include <optional>

#include "elf/archive.h"
#include "elf/copy.h"
#include "elf/mapped_file.h"
#include "merkle/modsig/trailer.h"
#include "merkle/parallel.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/cli/copy_options.h"

namespace elfhash::cli {
namespace {

constexpr const char* kHelp = R"(usage: elfhash strip [OPTIONS] FILE...

Strips ELF files in place (atomically) with GNU strip's semantics; output is byte-identical to
GNU strip for kernel modules. Files are processed in parallel.

  -s, --strip-all               remove all symbols and relocations (the default, as in GNU strip,
                                unless -g/--strip-unneeded/-x/-X/-N is given)
  -g, -S, -d, --strip-debug     remove debugging sections and symbols
  --strip-unneeded              remove everything not needed for relocation
  -R, --remove-section PATTERN  also remove matching sections
  -N, --strip-symbol NAME       also remove symbol NAME (-w: NAME is a glob)
  --strip-unneeded-symbol NAME  remove NAME unless a relocation needs it
  -x, -X, -K NAME, --keep-section PAT, --remove-relocations PAT, --strip-dwo,
  --keep-file-symbols, -p, -D, -U, -v, -V, -I/-O/-F TARGET (the input's own)   as in GNU strip
  -o, --output-file OUT         write to OUT (one FILE only)
  -j, --jobs N                  parallel jobs (default: all cores)
  --drop-trailer                allow stripping a file that ends in a module signature or Merkle
                                proof; the trailer is removed (it would be invalid afterwards)
  --fsync                       make each output and its directory entry durable before exiting
)";

std::optional<Error> strip_one(const std::string& path, const std::string& out, const ParsedCopyArgs& a,
                               bool background_close) {
  auto in = MappedFile::open(path);
  if (!in) return in.error();
  if (elf::is_archive((*in)->bytes())) {
    if (auto st = copy_archive_file(*in, out, a); !st) return st.error();
    return std::nullopt;
  }
  std::string target;
  auto image = check_input(*in, a, &target);
  if (!image) return image.error();
  elf::CopyJob job;
  job.input = *in;
  job.image_size = image->bytes().size();
  job.parsed = std::move(*image);
  job.output = out;
  job.mode = (*in)->mode();
  job.fsync = a.fsync;
  // Replaced: its last close frees the old file, on a closing thread when there are several jobs
  // (elf/mapped_file.h close_later). One file (kbuild's one process per module) gains nothing from a
  // thread, and -j1 asks for none: the hand-over costs more CPU than the close it moves.
  if (out == path && background_close) (*in)->close_in_background();
  auto done = elf::run_copy(job, a.copy);
  if (!done) return done.error();
  auto fin = finish_output(path, out, target, a, (*in)->stat());
  if (!fin) return fin.error();
  return std::nullopt;
}

}  // namespace

int cmd_strip(int argc, char** argv) {
  ParsedCopyArgs a;
  std::string err = parse_copy_args(CopyTool::kStrip, argc, argv, a);
  if (!err.empty()) return usage_error("strip", err);
  if (a.help) {
    std::fputs(kHelp, stdout);
    return kExitOk;
  }
  if (a.version) {
    print_version("strip");
    return kExitOk;
  }
  if (a.positional.empty()) return usage_error("strip", "no input files");
  if (!a.output.empty() && a.positional.size() != 1) return usage_error("strip", "-o takes exactly one input file");
  apply_strip_default(a);
  const size_t n = a.positional.size();
  std::vector<std::optional<Error>> errors(n);
  // Files are handed out spread over the list: consecutive jobs come from different segments of it,
  // so threads working at the same time are rarely in the same directory (a kbuild list is sorted by
  // path). Creating and renaming files in one directory serializes on its inode lock, which the
  // kernel spins on; on ext4 that made two threads slower than one.
  const unsigned threads = merkle::effective_threads(a.jobs, n);
  std::vector<size_t> order;
  order.reserve(n);
  const size_t segment = (n + threads - 1) / threads;
  for (size_t pos = 0; pos < segment; ++pos)
    for (size_t s = 0; s < threads; ++s)
      if (s * segment + pos < n) order.push_back(s * segment + pos);
  merkle::parallel_for<merkle::NoState>(n, threads, [&](merkle::NoState&, size_t k) {
    const size_t i = order[k];
    const std::string& f = a.positional[i];
    errors[i] = strip_one(f, a.output.empty() ? f : a.output, a, threads > 1);
  });
  wait_background_closes();
  int rc = kExitOk;
  for (auto& e : errors)
    if (e) rc = report(*e, kExitError);  // in input order, so output is deterministic
  return rc;
}

}  // namespace elfhash::cli
