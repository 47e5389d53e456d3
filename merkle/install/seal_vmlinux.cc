#include "merkle/install/seal_vmlinux.h"

#include <fmt/core.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "elf/copy.h"
#include "merkle/patch.h"

namespace elfhash::merkle {

elf::CopyOptions objcopy_vmlinux_options() {
  elf::CopyOptions o;
  for (const char* p : {".modinfo", ".rel*", "!.rel*.dyn", ".rel.*"}) o.remove_sections.add(p);
  o.wildcard = true;
  o.strip_unneeded_symbols.push_back("__mod_device_table__*");
  return o;
}

Status write_objcopy_vmlinux(const std::shared_ptr<MappedFile>& input, const std::string& path) {
  elf::CopyJob job;
  job.input = input;
  job.image_size = input->bytes().size();
  job.output = path;
  job.mode = 0755;
  return elf::run_copy(job, objcopy_vmlinux_options());
}

Status fill_module_hashes(const std::string& path, const ModuleHashesRoot& root) {
  EH_ASSIGN(elf::ElfFile elf, elf::ElfFile::open(path));
  EH_ASSIGN(ModuleHashesSection sec, find_module_hashes(elf));
  auto bytes = encode_module_hashes(root, elf.endian());
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return make_error(path, kNoOffset, std::string("open: ") + std::strerror(errno));
  ssize_t n = ::pwrite(fd, bytes.data(), bytes.size(), static_cast<off_t>(sec.offset));
  int err = errno;
  if (::close(fd) != 0 && n == static_cast<ssize_t>(bytes.size())) err = errno, n = -1;
  if (n != static_cast<ssize_t>(bytes.size()))
    return make_error(path, sec.offset, std::string("write: ") + std::strerror(n < 0 ? err : EIO));
  return ok_status();
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
