#include "merkle/seal_vmlinux.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>

#include "elf/writer.h"
#include "merkle/patch.h"

namespace elfhash::merkle {

elf::CopyOptions objcopy_vmlinux_options() {
  elf::CopyOptions o;
  for (const char* p : {".modinfo", ".rel*", "!.rel*.dyn", ".rel.*"}) o.remove_sections.add(p);
  o.wildcard = true;
  o.strip_unneeded_symbols.push_back("__mod_device_table__*");
  return o;
}

Result<std::unique_ptr<PreparedVmlinux>> PreparedVmlinux::prepare(std::shared_ptr<const elf::ElfFile> elf) {
  // The same checks as `elfhash patch`: one PROGBITS .module_hashes of exactly 36 bytes (spec §4.1).
  EH_ASSIGN(ModuleHashesSection sec, find_module_hashes(*elf));
  std::unique_ptr<PreparedVmlinux> p(new PreparedVmlinux(elf));
  EH_ASSIGN(elf::Object o, elf::Object::load(*p->elf_));
  elf::CopyOptions opt = objcopy_vmlinux_options();
  // Updating with the current (zero) contents now makes apply() check what --update-section checks
  // (not removed, size fixed); write() swaps in the real bytes.
  auto cur = elf->section_data(sec.index);
  opt.update_contents.emplace_back(kModuleHashesSection, std::vector<uint8_t>(cur.begin(), cur.end()));
  EH_TRY(elf::apply(o, opt));
  p->obj_.emplace(std::move(o));
  return p;
}

Status PreparedVmlinux::write(const ModuleHashesRoot& root, const std::string& path) {
  elf::Section* s = obj_->find(kModuleHashesSection);
  if (s == nullptr) return make_error(elf_->path(), kNoOffset, "internal: .module_hashes vanished");
  auto bytes = encode_module_hashes(root, elf_->endian());
  s->set_contents(std::vector<uint8_t>(bytes.begin(), bytes.end()));
  EH_ASSIGN(elf::OutputPlan plan, elf::plan_output(*obj_));
  return elf::write_plan(plan, *elf_->file(), path, 0755);
}

std::optional<std::string> find_banner_release(std::span<const uint8_t> bytes) {
  static constexpr std::string_view kBanner = "Linux version ";
  auto it = bytes.begin();
  while (true) {
    it = std::search(it, bytes.end(), kBanner.begin(), kBanner.end());
    if (it == bytes.end()) return std::nullopt;
    it += kBanner.size();
    auto end = std::find_if(it, bytes.end(), [](uint8_t c) { return c <= ' ' || c >= 0x7f; });
    std::string r(it, end);
    // linux_banner continues with " (" after the release; a printf format ("%s") is not a release.
    if (end != bytes.end() && *end == ' ' && valid_release(r) && r.find('%') == std::string::npos) return r;
  }
}

std::optional<std::string> banner_release(const elf::ElfFile& elf) {
  for (uint32_t i = 1; i < elf.sections().size(); ++i) {
    const auto& sh = elf.sections()[i];
    if (!(sh.flags & elf::SHF_ALLOC) || sh.type != elf::SHT_PROGBITS) continue;
    if (auto r = find_banner_release(elf.section_data(i))) return r;
  }
  return std::nullopt;
}

bool valid_release(std::string_view r) {
  if (r.empty() || r == "." || r == ".." || r.size() > 255) return false;
  return std::all_of(r.begin(), r.end(), [](char c) { return c > ' ' && c < 0x7f && c != '/'; });
}

}  // namespace elfhash::merkle
