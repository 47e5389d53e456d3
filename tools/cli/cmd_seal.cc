// `elfhash seal`: objtree in, installable kernel out (merkle/install/seal.h; docs/seal.md). This file only
// parses options, turns INSTALL_MOD_STRIP into strip options and reports.
#include <fmt/core.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "merkle/install/seal.h"
#include "merkle/sha256.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"
#include "tools/cli/copy_options.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash seal --objtree DIR --out STAGING [--install-mod-strip 1|\"OPTS\"]\n"
    "                    [--kernel-release R] [--vmlinux-out FILE] [--compress xz|zstd] [-j N] [--json]\n"
    "                    [--fsync] [--timings]\n"
    "\n"
    "Turns a kbuild objtree of a CONFIG_MODULE_HASHES kernel into its installable form, in one\n"
    "deterministic run: every module in DIR/modules.order is stripped once (INSTALL_MOD_STRIP: 1 =\n"
    "--strip-debug, other values are strip options, absent = no strip), the Merkle tree is built\n"
    "over exactly those bytes, and STAGING/lib/modules/R/kernel/<stem>.ko gets the stripped module\n"
    "plus its proof (the layout of make modules_install), with modules.order. STAGING/vmlinux is\n"
    "DIR/vmlinux.unstripped after kbuild's objcopy_vmlinux step with .module_hashes filled in.\n"
    "R comes from --kernel-release, DIR/include/config/kernel.release or the vmlinux banner.\n"
    "Nothing is written under STAGING unless everything succeeds.\n"
    "\n"
    "  --vmlinux-out FILE  write the vmlinux there instead of STAGING/vmlinux (same file system)\n"
    "  --compress xz|zstd  compress each module after its proof, as CONFIG_MODULE_COMPRESS_XZ/ZSTD\n"
    "                      (xz --check=crc32 --lzma2=dict=1MiB, zstd default level): <stem>.ko.xz/.zst\n"
    "  -j, --jobs N        module workers (default: all cores); the output does not depend on it\n"
    "  --json              print the summary as JSON on stdout\n"
    "  --fsync             fsync every file and directory written, and STAGING after publication\n"
    "  --timings           print the wall time of each pass on stderr\n";

struct SealArgs {
  std::string objtree, out, strip, release, vmlinux_out, jobs, compress;
  bool strip_given = false, json = false, fsync = false, timings = false;
};

// INSTALL_MOD_STRIP (spec §5.2): "1" means --strip-debug, anything else is the strip options
// themselves, split on blanks as make passes them to the shell.
std::optional<std::string> strip_options(const std::string& value, std::optional<elf::CopyOptions>& out) {
  if (value.empty()) return std::nullopt;  // `ifdef INSTALL_MOD_STRIP` is false for an empty value
  std::vector<std::string> words{"strip"};
  if (value == "1") {
    words.push_back("--strip-debug");
  } else {
    std::istringstream in(value);
    for (std::string w; in >> w;) words.push_back(w);
  }
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  ParsedCopyArgs a;
  std::string err = parse_copy_args(CopyTool::kStrip, static_cast<int>(argv.size()), argv.data(), a);
  if (!err.empty()) return "--install-mod-strip: " + err;
  if (!a.positional.empty() || !a.output.empty() || a.jobs != 0 || a.drop_trailer || a.help)
    return "--install-mod-strip takes strip options only (no files, -o, -j, --drop-trailer)";
  apply_strip_default(a);  // kbuild runs $(STRIP) with these words: GNU strip's default applies
  out = a.copy;
  return std::nullopt;
}

void print_summary(const merkle::SealSummary& s, double seconds, bool json) {
  if (json) {
    std::printf(
        "{\"release\": %s, \"modules\": %zu, \"levels\": %u, \"root\": \"%s\", \"modules_dir\": %s, "
        "\"vmlinux\": %s, \"bytes_in\": %llu, \"bytes_installed\": %llu, \"vmlinux_bytes\": %llu, "
        "\"seconds\": %.3f}\n",
        json_string(s.release).c_str(), s.modules, s.levels, merkle::to_hex(s.root).c_str(),
        json_string(s.modules_dir).c_str(), json_string(s.vmlinux).c_str(),
        static_cast<unsigned long long>(s.bytes_in), static_cast<unsigned long long>(s.bytes_installed),
        static_cast<unsigned long long>(s.vmlinux_bytes), seconds);
    return;
  }
  std::printf("elfhash seal: %zu modules (%.1f MB -> %.1f MB), %u levels, root %s, %s in %.2f s\n",
               s.modules, s.bytes_in / 1e6, s.bytes_installed / 1e6, s.levels,
               merkle::to_hex(s.root).substr(0, 16).c_str(), s.release.c_str(), seconds);
}

// A one-line progress display on a terminal only (thousands of modules): redrawn when the
// percentage changes, erased at the end.
struct TtyProgress {
  bool on = ::isatty(2) != 0;
  int last = -1;
  void operator()(std::string_view stage, size_t done, size_t total) {
    if (!on) return;
    int pct = total ? static_cast<int>(done * 100 / total) : 0;
    if (stage == "modules" && pct == last) return;
    last = pct;
    if (stage == "modules") std::fprintf(stderr, "\relfhash seal: modules %zu/%zu (%d%%)\033[K", done, total, pct);
    else std::fprintf(stderr, "\relfhash seal: writing modules and vmlinux\033[K");
    std::fflush(stderr);
  }
  void clear() {
    if (on && last >= 0) std::fputs("\r\033[K", stderr);
  }
};

// Parses seal's command line into `o` (no file is touched). Returns a usage error, or nullopt.
std::optional<std::string> parse_seal(int argc, char** argv, SealArgs& a, merkle::SealOptions& o, bool& help) {
  std::vector<std::string> pos;
  // --install-mod-strip is matched by hand first: its value may itself start with '-'.
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string v;
    if (i > 0 && match_value(argc, argv, i, {"--install-mod-strip"}, v) == OptMatch::kYes) {
      a.strip = v;
      a.strip_given = true;
      continue;
    }
    rest.push_back(argv[i]);
  }
  auto err = parse_options(static_cast<int>(rest.size()), rest.data(),
                           {{{"--objtree"}, &a.objtree},
                            {{"--out", "-o"}, &a.out},
                            {{"--kernel-release"}, &a.release},
                            {{"--vmlinux-out"}, &a.vmlinux_out},
                            {{"--compress"}, &a.compress},
                            {{"-j", "--jobs"}, &a.jobs},
                            {{"--json"}, nullptr, &a.json},
                            {{"--fsync"}, nullptr, &a.fsync},
                            {{"--timings"}, nullptr, &a.timings},
                            {{"--install-mod-strip"}, &a.strip}},
                           pos, help);
  if (help) return std::nullopt;
  if (err) return err;
  if (!pos.empty()) return "unexpected argument " + pos[0];
  if (a.objtree.empty() || a.out.empty()) return "--objtree DIR and --out STAGING are required";
  o.objtree = a.objtree;
  o.out = a.out;
  o.vmlinux_out = a.vmlinux_out;
  o.kernel_release = a.release;
  o.fsync = a.fsync;
  if (!a.jobs.empty() && !parse_count(a.jobs, o.threads)) return "-j needs a count 1..4096";
  if (auto e = strip_options(a.strip, o.strip)) return e;
  if (!a.compress.empty()) {
    auto c = merkle::parse_compression(a.compress);
    if (!c) return "--compress takes xz or zstd (gzip is not supported)";
    o.compression = *c;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> check_seal_args(int argc, char** argv) {
  SealArgs a;
  merkle::SealOptions o;
  bool help = false;
  return parse_seal(argc, argv, a, o, help);
}

int cmd_seal(int argc, char** argv) {
  SealArgs a;
  merkle::SealOptions o;
  bool help = false;
  if (auto e = parse_seal(argc, argv, a, o, help)) return usage_error("seal", *e);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  TtyProgress tty;
  o.progress = [&](std::string_view s, size_t d, size_t t) { tty(s, d, t); };
  auto t0 = std::chrono::steady_clock::now();
  auto r = merkle::seal(o);
  tty.clear();
  if (!r.ok()) return report(r.error(), kExitError);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  print_summary(*r, secs, a.json);
  if (a.timings)
    for (const auto& [pass, t] : r->passes) std::fprintf(stderr, "elfhash seal: %-18s %.3f s\n", pass.c_str(), t);
  return kExitOk;
}

}  // namespace elfhash::cli
