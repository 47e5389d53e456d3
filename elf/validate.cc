#include "elf/validate.h"

#include <fmt/core.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf/bytes.h"

namespace elfhash::elf {
namespace {

// Bounds on attacker-controlled values that the layout would otherwise trust (docs/threat-model.md).
// No toolchain emits an alignment above 4 GiB (ELF32 cannot even express one); honouring a larger
// power of two would make the writer pad the output to an absurd size.
constexpr uint64_t kMaxAlign = uint64_t{1} << 32;

constexpr size_t kReleaseWindow = size_t{4} << 20;

// Drops the whole pages of `bytes` (part of the read-only file mapping) from this process's resident
// set: the scan reads each relocation once, and the pages stay in the page cache for the writer.
void release_pages(std::span<const uint8_t> bytes) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  uintptr_t lo = (reinterpret_cast<uintptr_t>(bytes.data()) + page - 1) & ~(page - 1);
  uintptr_t hi = (reinterpret_cast<uintptr_t>(bytes.data()) + bytes.size()) & ~(page - 1);
  if (hi > lo) madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_DONTNEED);
}

// ElfFile::relocations() materialises a section as a vector (12.6M entries, ~500 MB, for a distro
// vmlinux), so relocation sections are checked here by a scan that applies the same rules with the same
// messages and allocates nothing.
Status check_relocations(const ElfFile& elf, uint32_t idx) {
  const auto& sh = elf.sections();
  const SectionHeader& s = sh[idx];
  uint64_t hdr_off = elf.header().shoff + uint64_t{idx} * elf.shdr_size();
  auto fail = [&](uint64_t off, std::string msg) { return make_error(elf.path(), off, std::move(msg)); };
  bool rela = s.type == SHT_RELA;
  size_t es = elf.rel_size(rela);
  if (s.entsize != es) return fail(hdr_off, fmt::format("relocation entry size {} is not {}", s.entsize, es));
  if (s.size % es != 0)
    return fail(hdr_off, fmt::format("relocation section size {:#x} is not a multiple of {}", s.size, es));
  if (s.info >= sh.size())
    return fail(hdr_off, fmt::format("relocation section {} sh_info {} is not a section index", idx, s.info));
  uint64_t nsyms = 1;  // sh_link 0: only symbol 0 may be referenced
  if (s.link != 0) {
    if (s.link >= sh.size() || (sh[s.link].type != SHT_SYMTAB && sh[s.link].type != SHT_DYNSYM))
      return fail(hdr_off, fmt::format("section {} sh_link {} is not a symbol table", idx, s.link));
    nsyms = sh[s.link].size / elf.sym_size();
  }
  auto data = elf.section_data(idx);
  const size_t info_at = elf.is64() ? 8 : 4;
  const bool mapped = elf.file()->fd() >= 0;
  size_t window_start = 0;
  for (size_t off = 0; off + es <= data.size(); off += es) {
    const uint8_t* p = data.data() + off + info_at;
    uint64_t sym = elf.is64() ? load<uint64_t>(p, elf.endian()) >> 32 : load<uint32_t>(p, elf.endian()) >> 8;
    if (sym >= nsyms)
      return fail(s.offset + off, fmt::format("relocation {} symbol index {} is out of range ({} symbols)", off / es,
                                              sym, nsyms));
    if (mapped && off - window_start >= kReleaseWindow) {
      release_pages(data.subspan(window_start, off - window_start));
      window_start = off;
    }
  }
  if (mapped) release_pages(data.subspan(window_start));
  return ok_status();
}

}  // namespace

// The reader validates headers and section ranges at parse time but decodes symbol, relocation and
// group tables lazily. Object::load reads only what the edit needs and copies the rest as bytes, so a
// corrupt table the edit does not touch would pass through to the output: decode them all first
// (linear in the file size) so that every command refuses the same malformed inputs as the reader.
Status validate_tables(const ElfFile& elf) {
  const auto& sh = elf.sections();
  // Symbol tables first (names included): relocations and groups refer into them.
  for (uint32_t i = 1; i < sh.size(); ++i)
    if (sh[i].type == SHT_SYMTAB || sh[i].type == SHT_DYNSYM) EH_TRY(elf.symbol_names(i));
  for (uint32_t i = 1; i < sh.size(); ++i) {
    if (sh[i].type == SHT_REL || sh[i].type == SHT_RELA) EH_TRY(check_relocations(elf, i));
    if (sh[i].type == SHT_GROUP) EH_TRY(elf.group(i));
  }
  for (uint32_t i = 1; i < sh.size(); ++i)
    if (sh[i].addralign > kMaxAlign)
      return make_error(elf.path(), elf.header().shoff + uint64_t{i} * elf.shdr_size(),
                        fmt::format("section {} sh_addralign {:#x} is absurd (over 4 GiB), refusing to align "
                                    "the output to it",
                                    i, sh[i].addralign));
  return ok_status();
}

}  // namespace elfhash::elf
