// `elfhash verify`: checks modules as the kernel would at load time (spec §7.2; merkle/modsig/verify.h),
// against an installed kernel (ELF vmlinux or bzImage: .module_hashes and built-in certificates) or a
// bare 36-byte root. Modules may be compressed, read from standard input, or be a whole installed tree.
// JSON schema: docs/merkle-commands.md ("verify --json").
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <cstdio>
#include <mutex>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

#include "elf/mapped_file.h"
#include "elf/reader.h"
#include "elf/small_file.h"
#include "merkle/compression/input.h"
#include "merkle/kernel/installed_tree.h"
#include "merkle/kernel/kernel_image.h"
#include "merkle/modsig/x509.h"
#include "merkle/module_hashes.h"
#include "merkle/parallel.h"
#include "merkle/modsig/verify.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash verify (--kernel KERNEL | --module-hashes FILE.bin [--endian little|big])\n"
    "                      [--cert FILE]... [-v] [--json] [-j N] (DIR | MODULE... | -)\n"
    "\n"
    "Checks every module as the kernel's module_auth_check() would: a Merkle proof (id_type 3)\n"
    "against the .module_hashes root, a PKCS#7 signature (id_type 2) against the X.509 certificates\n"
    "built into the kernel and those given with --cert. KERNEL (alias --vmlinux) is an ELF vmlinux or\n"
    "an x86 bzImage (its payload is decompressed). A MODULE may be .ko, .ko.gz, .ko.xz or .ko.zst, or\n"
    "`-` (standard input); a DIR is an installed tree (lib/modules/RELEASE): every module under it,\n"
    "checked against its modules.order (listed but missing, installed but not listed).\n"
    "Prints one line per module that is not ok (-v: every module), then a summary; --json prints one\n"
    "JSON document instead. Exit 0 if every module is ok and none is missing, 1 otherwise, 2 on usage\n"
    "or read errors.\n";

struct VerifyArgs {
  std::string kernel, hashes, endian, jobs;
  std::vector<std::string> certs;
  bool json = false, verbose = false;
};

struct Keys {
  std::unique_ptr<kernel::KernelImage> image;
  modsig::CertStore certs;
  merkle::KernelKeys keys;
};

Result<merkle::ModuleHashesRoot> load_bin(const VerifyArgs& a) {
  EH_ASSIGN(std::vector<uint8_t> bin, read_regular_file(a.hashes, 1 << 20));
  std::span<const uint8_t> bytes = bin;
  std::optional<elf::Endian> e;
  if (a.endian == "little") e = elf::Endian::kLittle;
  else if (a.endian == "big") e = elf::Endian::kBig;
  else e = merkle::guess_module_hashes_endian(bytes);
  if (!e) return make_error(a.hashes, 0, "levels is above 32 in either byte order: not module hashes");
  return merkle::decode_module_hashes(bytes, *e, a.hashes);
}

Status load_keys(const VerifyArgs& a, Keys& k) {
  if (!a.kernel.empty()) {
    EH_ASSIGN(k.image, kernel::load_kernel(a.kernel));
    k.keys.root = k.image->root;
    for (const auto& c : k.image->certs) EH_TRY(k.certs.add_der(c.der, a.kernel, c.offset));
  } else {
    EH_ASSIGN(k.keys.root, load_bin(a));
  }
  for (const auto& f : a.certs) EH_TRY(k.certs.add_file(f));
  // A kernel without certificates and no --cert is taken to be built without CONFIG_MODULE_SIG.
  if (k.certs.size() > 0) k.keys.certs = &k.certs;
  return ok_status();
}

struct Job {
  explicit Job(std::string p, std::optional<bool> listed = std::nullopt, bool m = false)
      : path(std::move(p)), in_order(listed), extra(listed == false), missing(m) {}
  std::string path;
  std::optional<bool> in_order;  // nullopt: not part of a tree with modules.order
  bool extra = false;   // installed but not in modules.order
  bool missing = false; // in modules.order, not installed
  // Filled by the check:
  std::optional<Error> error;
  merkle::VerifyResult result;
  compression::Format compression = compression::Format::kNone;
};

Status collect(const std::vector<std::string>& args, std::vector<Job>& jobs) {
  for (const auto& a : args) {
    struct stat st;
    if (a == "-" || ::stat(a.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      jobs.emplace_back(a);
      continue;
    }
    EH_ASSIGN(kernel::InstalledTree t, kernel::scan_installed_tree(a));
    for (const auto& m : t.modules) jobs.emplace_back(m.path, t.has_order ? std::optional<bool>(m.listed) : std::nullopt);
    for (const auto& m : t.missing) jobs.emplace_back((std::filesystem::path(a) / m).string(), true, true);
  }
  return ok_status();
}

void check(Job& j, const merkle::KernelKeys& keys) {
  if (j.missing) return;
  auto in = compression::read_input(j.path);
  if (!in.ok()) {
    j.error = in.error();
    return;
  }
  j.compression = in->compression;
  j.result = merkle::verify_module(in->bytes(), keys);
}

// "\rverify: N/M" on a terminal, for trees that take more than a moment.
class Progress {
 public:
  explicit Progress(size_t total) : total_(total), on_(total >= 200 && isatty(STDERR_FILENO)) {}
  void tick() {
    size_t n = ++done_;
    if (!on_ || (n % 50 != 0 && n != total_)) return;
    std::lock_guard<std::mutex> l(mu_);
    std::fprintf(stderr, "\rverify: %zu/%zu modules", n, total_);
    if (n == total_) std::fprintf(stderr, "\r\033[K");
  }

 private:
  size_t total_;
  bool on_;
  std::atomic<size_t> done_{0};
  std::mutex mu_;
};

struct Summary {
  size_t modules = 0, ok = 0, pkcs7 = 0, merkle = 0, failed = 0, missing = 0, extra = 0, errors = 0;
};

Summary summarize(const std::vector<Job>& jobs) {
  Summary s;
  for (const auto& j : jobs) {
    if (j.missing) {
      ++s.missing;
      continue;
    }
    ++s.modules;
    s.extra += j.extra;
    if (j.error) ++s.errors, ++s.failed;
    else if (!j.result.ok()) ++s.failed;
    else {
      ++s.ok;
      s.pkcs7 += j.result.kind == merkle::TrailerKind::kPkcs7;
      s.merkle += j.result.kind == merkle::TrailerKind::kMerkle;
    }
  }
  return s;
}

std::string summary_line(const Summary& s) {
  return fmt::format("{} modules: {} ok ({} pkcs7, {} merkle), {} failed, {} missing, {} extra", s.modules, s.ok,
                     s.pkcs7, s.merkle, s.failed, s.missing, s.extra);
}

void print_text(const std::vector<Job>& jobs, const Summary& s, bool verbose) {
  for (const auto& j : jobs) {
    if (j.missing) {
      std::printf("%s: missing (listed in modules.order, not installed)\n", j.path.c_str());
      continue;
    }
    std::string extra = j.extra ? " [not in modules.order]" : "";
    if (j.error) continue;  // already reported on stderr
    if (j.result.ok()) {
      if (verbose || j.extra) std::printf("%s: ok%s\n", j.path.c_str(), extra.c_str());
    } else {
      std::printf("%s: %s (%s): %s%s\n", j.path.c_str(), merkle::verify_code_name(j.result.code),
                  merkle::verify_errno_name(j.result.code), j.result.reason.c_str(), extra.c_str());
    }
  }
  std::printf("%s\n", summary_line(s).c_str());
}

std::string json_or_null(const std::string& s) { return s.empty() ? "null" : json_string(s); }

std::string json_kernel(const VerifyArgs& a, const Keys& k) {
  const auto& root = k.keys.root;
  std::string hashes = root ? fmt::format("{{\"levels\": {}, \"root\": \"{}\"}}", root->levels, merkle::to_hex(root->root))
                            : "null";
  const kernel::KernelImage* im = k.image.get();
  return fmt::format(
      "{{\"path\": {}, \"format\": {}, \"compression\": {}, \"module_hashes\": {}, \"certificates\": {}, "
      "\"certificate_source\": {}, \"extra_certificates\": {}}}",
      json_or_null(a.kernel.empty() ? a.hashes : a.kernel), im ? json_string(im->format) : "\"module_hashes_bin\"",
      im && im->compression != compression::Format::kNone ? json_string(compression::format_name(im->compression)) : "null",
      hashes, im ? im->certs.size() : 0, im ? json_string(kernel::cert_source_name(im->cert_source)) : "null",
      a.certs.size());
}

void print_json(const VerifyArgs& a, const Keys& k, const std::vector<Job>& jobs, const Summary& s) {
  std::string mods;
  for (const auto& j : jobs) {
    if (!mods.empty()) mods += ",\n";
    const char* status = j.missing ? "missing" : j.error ? "error" : merkle::verify_code_name(j.result.code);
    bool checked = !j.missing && !j.error;
    std::string reason = j.missing ? "listed in modules.order, not installed" : j.error ? j.error->str() : j.result.reason;
    mods += fmt::format(
        "    {{\"module\": {}, \"result\": \"{}\", \"errno\": {}, \"errno_value\": {}, \"reason\": {}, \"kind\": {}, "
        "\"compression\": {}, \"in_modules_order\": {}}}",
        json_string(j.path), status, checked && !j.result.ok() ? json_string(merkle::verify_errno_name(j.result.code)) : "null",
        checked ? std::to_string(merkle::verify_errno(j.result.code)) : "null", json_or_null(reason),
        checked ? json_string(merkle::trailer_kind_name(j.result.kind)) : "null",
        checked && j.compression != compression::Format::kNone ? json_string(compression::format_name(j.compression)) : "null",
        j.in_order ? (*j.in_order ? "true" : "false") : "null");
  }
  std::printf(
      "{\n  \"kernel\": %s,\n  \"summary\": {\"modules\": %zu, \"ok\": %zu, \"pkcs7\": %zu, \"merkle\": %zu, "
      "\"failed\": %zu, \"missing\": %zu, \"extra\": %zu},\n  \"modules\": [\n%s%s  ]\n}\n",
      json_kernel(a, k).c_str(), s.modules, s.ok, s.pkcs7, s.merkle, s.failed, s.missing, s.extra, mods.c_str(),
      mods.empty() ? "" : "\n");
}

int run(const VerifyArgs& a, const std::vector<std::string>& inputs, unsigned threads) {
  Keys k;
  if (auto st = load_keys(a, k); !st.ok()) return report(st.error(), kExitError);
  std::vector<Job> jobs;
  if (auto st = collect(inputs, jobs); !st.ok()) return report(st.error(), kExitError);
  Progress progress(jobs.size());
  merkle::parallel_for<int>(jobs.size(), threads, [&](int&, size_t i) {
    check(jobs[i], k.keys);
    progress.tick();
  });
  for (const auto& j : jobs)
    if (j.error) report(*j.error, kExitError);
  Summary s = summarize(jobs);
  if (a.json) print_json(a, k, jobs, s);
  else print_text(jobs, s, a.verbose);
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "elfhash: verify: cannot write output\n");
    return kExitError;
  }
  if (s.errors) return kExitError;
  return s.failed == 0 && s.missing == 0 ? kExitOk : kExitNegative;
}

// --cert may repeat: taken out of argv before the common parser sees it.
std::optional<std::string> take_certs(int& argc, char** argv, std::vector<std::string>& certs) {
  int out = 1;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (std::string_view(argv[i]) == "--") {
      while (i < argc) argv[out++] = argv[i++];
      break;
    }
    OptMatch m = match_value(argc, argv, i, {"--cert"}, v);
    if (m == OptMatch::kMissingValue) return "option --cert needs a value";
    if (m == OptMatch::kYes) certs.push_back(v);
    else argv[out++] = argv[i];
  }
  argc = out;
  return std::nullopt;
}

}  // namespace

int cmd_verify(int argc, char** argv) {
  VerifyArgs a;
  std::vector<std::string> pos;
  bool help = false;
  if (auto e = take_certs(argc, argv, a.certs)) return usage_error("verify", *e);
  std::string vmlinux;
  auto err = parse_options(argc, argv,
                           {{{"--kernel"}, &a.kernel},
                            {{"--vmlinux"}, &vmlinux},
                            {{"--module-hashes"}, &a.hashes},
                            {{"--endian"}, &a.endian},
                            {{"-j", "--jobs"}, &a.jobs},
                            {{"-v", "--verbose"}, nullptr, &a.verbose},
                            {{"--json"}, nullptr, &a.json}},
                           pos, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (err) return usage_error("verify", *err);
  if (!vmlinux.empty() && !a.kernel.empty()) return usage_error("verify", "--vmlinux is an alias of --kernel: give one");
  if (!vmlinux.empty()) a.kernel = vmlinux;
  if (a.kernel.empty() == a.hashes.empty())
    return usage_error("verify", "give exactly one of --kernel KERNEL and --module-hashes FILE.bin");
  if (!a.endian.empty() && a.endian != "little" && a.endian != "big")
    return usage_error("verify", "--endian must be little or big");
  if (!a.endian.empty() && !a.kernel.empty())
    return usage_error("verify", "--endian applies to --module-hashes only (vmlinux has its own byte order)");
  unsigned threads = 0;
  if (!a.jobs.empty() && !parse_count(a.jobs, threads)) return usage_error("verify", "-j needs a count from 1 to 4096");
  if (pos.empty()) return usage_error("verify", "no MODULE or DIR given");
  if (std::count(pos.begin(), pos.end(), "-") > 1) return usage_error("verify", "`-` (standard input) can be given once");
  return run(a, pos, threads);
}

}  // namespace elfhash::cli
