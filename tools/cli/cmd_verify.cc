// `elfhash verify`: checks modules exactly as a kernel with CONFIG_MODULE_HASHES (and no MODULE_SIG)
// would at load time (spec §7.2), against the root in a vmlinux or in a bare 36-byte file.
#include <fmt/core.h>

#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "elf/mapped_file.h"
#include "elf/reader.h"
#include "elf/small_file.h"
#include "merkle/module_hashes.h"
#include "merkle/patch.h"
#include "merkle/verify.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

const char kUsage[] =
    "usage: elfhash verify (--vmlinux VMLINUX | --module-hashes FILE.bin [--endian little|big])\n"
    "                      [--json] MODULE...\n"
    "\n"
    "Checks every MODULE as the kernel's module_auth_check() would with CONFIG_MODULE_HASHES:\n"
    "prints `MODULE: ok` or `MODULE: <result> (<errno>): <reason>` per module. The root comes\n"
    "from VMLINUX's .module_hashes (levels in its ELF byte order) or from FILE.bin (byte order\n"
    "detected from the levels value unless --endian). Exit 0 if all are ok, 1 if any is not,\n"
    "2 on usage or read errors.\n";

struct VerifyArgs {
  std::string vmlinux, hashes, endian;
  bool json = false;
};

Result<merkle::ModuleHashesRoot> load_root(const VerifyArgs& a) {
  if (!a.vmlinux.empty()) {
    EH_ASSIGN(elf::ElfFile elf, elf::ElfFile::open(a.vmlinux));
    EH_ASSIGN(merkle::ModuleHashesSection sec, merkle::find_module_hashes(elf));
    return merkle::decode_module_hashes(elf.section_data(sec.index), elf.endian(), a.vmlinux);
  }
  EH_ASSIGN(std::vector<uint8_t> bin, read_regular_file(a.hashes, 1 << 20));
  std::span<const uint8_t> bytes = bin;
  std::optional<elf::Endian> e;
  if (a.endian == "little") e = elf::Endian::kLittle;
  else if (a.endian == "big") e = elf::Endian::kBig;
  else e = merkle::guess_module_hashes_endian(bytes);
  if (!e) return make_error(a.hashes, 0, "levels is above 32 in either byte order: not module hashes");
  return merkle::decode_module_hashes(bytes, *e, a.hashes);
}

int run(const VerifyArgs& a, const std::vector<std::string>& modules) {
  auto root = load_root(a);
  if (!root.ok()) return report(root.error(), kExitError);
  bool io_error = false, all_ok = true;
  std::string json;
  for (const auto& m : modules) {
    auto file = MappedFile::open(m);
    if (!file.ok()) {
      report(file.error(), kExitError);
      io_error = true;
      continue;
    }
    merkle::VerifyResult r = merkle::verify_module((*file)->bytes(), *root);
    all_ok = all_ok && r.ok();
    if (a.json) {
      if (!json.empty()) json += ",\n";
      json += fmt::format("  {{\"module\": {}, \"result\": \"{}\", \"errno\": \"{}\", \"reason\": {}}}",
                          json_string(m), merkle::verify_code_name(r.code), merkle::verify_errno_name(r.code),
                          json_string(r.reason));
    } else if (r.ok()) {
      std::printf("%s: ok\n", m.c_str());
    } else {
      std::printf("%s: %s (%s): %s\n", m.c_str(), merkle::verify_code_name(r.code),
                  merkle::verify_errno_name(r.code), r.reason.c_str());
    }
  }
  if (a.json)
    std::printf("{\"levels\": %u, \"root\": \"%s\", \"modules\": [\n%s\n]}\n", root->levels,
                merkle::to_hex(root->root).c_str(), json.c_str());
  if (io_error) return kExitError;
  return all_ok ? kExitOk : kExitNegative;
}

}  // namespace

int cmd_verify(int argc, char** argv) {
  VerifyArgs a;
  std::vector<std::string> pos;
  bool help = false;
  auto err = parse_options(argc, argv,
                           {{{"--vmlinux"}, &a.vmlinux},
                            {{"--module-hashes"}, &a.hashes},
                            {{"--endian"}, &a.endian},
                            {{"--json"}, nullptr, &a.json}},
                           pos, help);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (err) return usage_error("verify", *err);
  if (a.vmlinux.empty() == a.hashes.empty())
    return usage_error("verify", "give exactly one of --vmlinux VMLINUX and --module-hashes FILE.bin");
  if (!a.endian.empty() && a.endian != "little" && a.endian != "big")
    return usage_error("verify", "--endian must be little or big");
  if (!a.endian.empty() && !a.vmlinux.empty())
    return usage_error("verify", "--endian applies to --module-hashes only (vmlinux has its own byte order)");
  if (pos.empty()) return usage_error("verify", "no MODULE given");
  return run(a, pos);
}

}  // namespace elfhash::cli
