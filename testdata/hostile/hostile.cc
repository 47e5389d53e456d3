#include "testdata/hostile/hostile.h"

#include <fmt/core.h>

#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <sstream>

#include "elf/bytes.h"
#include "elf/mapped_file.h"
#include "elf/reader.h"

namespace elfhash::testdata {
namespace {

using elf::Endian;
using elf::ElfFile;

// Field positions in the on-disk records, by class: {ELF32, ELF64} byte offset and width.
struct Field {
  uint8_t off32, off64, w32, w64;
};
constexpr Field kShoff{32, 40, 4, 8}, kPhoff{28, 32, 4, 8}, kPhentsize{42, 54, 2, 2}, kPhnum{44, 56, 2, 2},
    kShentsize{46, 58, 2, 2}, kShnum{48, 60, 2, 2}, kShstrndx{50, 62, 2, 2};
constexpr Field kShName{0, 0, 4, 4}, kShType{4, 4, 4, 4}, kShOffset{16, 24, 4, 8}, kShSize{20, 32, 4, 8},
    kShLink{24, 40, 4, 4}, kShInfo{28, 44, 4, 4}, kShAddralign{32, 48, 4, 8}, kShEntsize{36, 56, 4, 8},
    kShAddr{12, 16, 4, 8};
constexpr Field kStName{0, 0, 4, 4}, kStShndx{14, 6, 2, 2};
constexpr Field kPhFilesz{16, 32, 4, 8};

// A copy of a fixture plus its parsed layout, with setters for header/section/symbol/reloc fields.
class Mutant {
 public:
  Mutant(const std::vector<uint8_t>& base, const ElfFile& elf) : bytes_(base), elf_(elf) {}

  const ElfFile& elf() const { return elf_; }
  std::vector<uint8_t>& bytes() { return bytes_; }
  uint64_t size() const { return bytes_.size(); }

  void put(uint64_t off, const Field& f, uint64_t v) {
    bool is64 = elf_.is64();
    uint64_t at = off + (is64 ? f.off64 : f.off32);
    switch (is64 ? f.w64 : f.w32) {
      case 2: elf::store<uint16_t>(&bytes_[at], elf_.endian(), static_cast<uint16_t>(v)); break;
      case 4: elf::store<uint32_t>(&bytes_[at], elf_.endian(), static_cast<uint32_t>(v)); break;
      default: elf::store<uint64_t>(&bytes_[at], elf_.endian(), v); break;
    }
  }
  void ehdr(const Field& f, uint64_t v) { put(0, f, v); }
  void shdr(uint32_t i, const Field& f, uint64_t v) { put(shdr_at(i), f, v); }
  void sym(uint32_t symtab, uint32_t i, const Field& f, uint64_t v) {
    put(elf_.sections()[symtab].offset + i * elf_.sym_size(), f, v);
  }
  // Sets the symbol index of relocation `i` of section `rel`, keeping its type.
  void rel_sym(uint32_t rel, uint32_t i, uint32_t sym) {
    bool rela = elf_.sections()[rel].type == elf::SHT_RELA;
    const elf::RelocCodec codec = elf_.reloc_codec(rela);
    codec.set_symbol(&bytes_[elf_.sections()[rel].offset + i * codec.entry_size()], sym);
  }
  // Sets the type of relocation `i` of an ELF64 (non-MIPS) section `rel`: the low word of r_info.
  void rel_type64(uint32_t rel, uint32_t i, uint32_t type) {
    const elf::RelocCodec codec = elf_.reloc_codec(elf_.sections()[rel].type == elf::SHT_RELA);
    elf::store<uint32_t>(&bytes_[elf_.sections()[rel].offset + i * codec.entry_size() + 8], elf_.endian(), type);
  }
  void phdr(uint32_t i, const Field& f, uint64_t v) { put(elf_.header().phoff + i * elf_.phdr_size(), f, v); }
  void truncate(uint64_t n) { bytes_.resize(n); }
  void append(std::string_view s) { bytes_.insert(bytes_.end(), s.begin(), s.end()); }
  void append(const std::vector<uint8_t>& v) { bytes_.insert(bytes_.end(), v.begin(), v.end()); }

  uint64_t shdr_at(uint32_t i) const { return elf_.shdr_offset(i); }
  uint32_t section(std::string_view name) const { return elf_.find_section(name).value_or(0); }
  uint32_t first_of_type(uint32_t type) const {
    for (uint32_t i = 1; i < elf_.sections().size(); ++i)
      if (elf_.sections()[i].type == type) return i;
    return 0;
  }

 private:
  std::vector<uint8_t> bytes_;
  const ElfFile& elf_;
};

struct Base {
  std::vector<uint8_t> bytes;
  std::shared_ptr<MappedFile> file;
  std::unique_ptr<ElfFile> elf;
};

Result<std::unique_ptr<Base>> load_base(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path, kNoOffset, "cannot open fixture");
  auto b = std::make_unique<Base>();
  b->bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  b->file = MappedFile::from_memory(b->bytes, path);
  EH_ASSIGN(ElfFile e, ElfFile::parse(b->file));
  b->elf = std::make_unique<ElfFile>(std::move(e));
  return b;
}

// spec §3.1/§3.2: struct module_signature (12 bytes, sig_len big-endian) then the 28-byte marker.
std::vector<uint8_t> sig_info(uint8_t id_type, uint32_t sig_len) {
  std::vector<uint8_t> v(12, 0);
  v[2] = id_type;
  elf::store_be32(&v[8], sig_len);
  return v;
}
constexpr std::string_view kMarker = "~Module signature appended~\n";

using Mutation = std::function<void(Mutant&)>;

struct Recipe {
  const char* name;
  const char* base;  // fixture file name
  Mutation mutate;
};

constexpr const char* kMod = "x86_64-module.o";     // ELF64 LE, RELA, groups
constexpr const char* kMips = "cross-mips.o";       // ELF32 BE, REL
constexpr const char* kI386 = "cross-i386.o";       // ELF32 LE, REL
constexpr const char* kPpc64 = "cross-powerpc64.o"; // ELF64 BE, RELA
constexpr const char* kMany = "many-sections.o";    // extended numbering, SHT_SYMTAB_SHNDX
constexpr const char* kVm = "vmlinux.unstripped";   // ET_EXEC with PT_LOADs

std::vector<Recipe> recipes() {
  using M = Mutant;
  return {
      // --- truncations
      {"trunc-empty", kMod, [](M& m) { m.truncate(0); }},
      {"trunc-ident", kMod, [](M& m) { m.truncate(10); }},
      {"trunc-ehdr64", kMod, [](M& m) { m.truncate(40); }},
      {"trunc-ehdr32", kMips, [](M& m) { m.truncate(50); }},
      {"trunc-half", kMod, [](M& m) { m.truncate(m.size() / 2); }},
      {"trunc-shdrs", kMod, [](M& m) { m.truncate(m.elf().header().shoff + 3 * 64 + 7); }},
      {"trunc-shdrs-32be", kMips, [](M& m) { m.truncate(m.elf().header().shoff + 5 * 40); }},
      {"trunc-many-sections", kMany, [](M& m) { m.truncate(m.elf().header().shoff + 65536 * 64); }},
      {"trunc-vmlinux-phdrs", kVm, [](M& m) {
         m.ehdr(kShoff, 0); m.ehdr(kShnum, 0); m.ehdr(kShstrndx, 0); m.truncate(64 + 56 + 20);
       }},
      // --- e_ident
      {"bad-magic", kMod, [](M& m) { m.bytes()[1] = 'X'; }},
      {"bad-class", kMod, [](M& m) { m.bytes()[4] = 3; }},
      {"bad-data", kMod, [](M& m) { m.bytes()[5] = 0; }},
      {"bad-version", kMod, [](M& m) { m.bytes()[6] = 2; }},
      // --- section header table
      {"shoff-past-eof", kMod, [](M& m) { m.ehdr(kShoff, m.size() + 8); }},
      {"shoff-overflow", kMod, [](M& m) { m.ehdr(kShoff, ~uint64_t{0} - 15); }},
      {"shoff-past-eof-32be", kMips, [](M& m) { m.ehdr(kShoff, 0xfffffff0); }},
      {"shoff-zero-shnum", kMod, [](M& m) { m.ehdr(kShoff, 0); }},
      {"shoff-in-header", kMod, [](M& m) { m.ehdr(kShoff, 8); m.ehdr(kShnum, 1); m.ehdr(kShstrndx, 0); }},
      {"shentsize-wrong", kMod, [](M& m) { m.ehdr(kShentsize, 40); }},
      {"shnum-huge", kMod, [](M& m) { m.ehdr(kShnum, 0xfeff); }},
      {"shnum-xnum-huge", kMany, [](M& m) { m.shdr(0, kShSize, uint64_t{1} << 40); }},
      {"shnum-xnum-zero", kMod, [](M& m) { m.ehdr(kShnum, 0); }},
      {"shstrndx-range", kMod, [](M& m) { m.ehdr(kShstrndx, m.elf().sections().size() + 5); }},
      {"shstrndx-xindex-range", kMany, [](M& m) { m.shdr(0, kShLink, 0xffffff); }},
      {"shstrndx-nobits", kMod, [](M& m) { m.shdr(m.elf().header().shstrndx, kShType, elf::SHT_NOBITS); }},
      // --- section headers
      {"sh-offset-past-eof", kMod, [](M& m) { m.shdr(m.section(".modinfo"), kShOffset, m.size()); }},
      {"sh-size-past-eof", kMod, [](M& m) { m.shdr(m.section(".debug_info"), kShSize, m.size()); }},
      {"sh-size-overflow", kMod, [](M& m) { m.shdr(m.section(".debug_info"), kShSize, ~uint64_t{0} - 7); }},
      {"sh-size-past-eof-32be", kMips, [](M& m) { m.shdr(m.section(".debug_info"), kShSize, 0x7fffffff); }},
      {"sh-size-past-eof-many", kMany, [](M& m) { m.shdr(70000, kShOffset, m.size() - 0); m.shdr(70000, kShSize, 1); }},
      // Found by fuzz_objcopy: the writer sized its output from a garbage alignment.
      {"sh-addralign-not-pow2", kMod,
       [](M& m) { m.put(m.shdr_at(m.section(".modinfo")), kShAddralign, 0xf600000000000010); }},
      // Found by fuzz_objcopy: a legal but absurd power of two; the reader accepts it, writers must not
      // size their output from it.
      {"sh-addralign-huge", kMod, [](M& m) { m.put(m.shdr_at(m.section(".modinfo")), kShAddralign, uint64_t{1} << 57); }},
      // Legal powers of two up to 4 GiB that would spread a small input over a huge output (a 7 KB
      // fuzz_objcopy input made copy_to_memory allocate 1 GiB, and the CLI write a 1 GiB file): the
      // output bound (elf/limits.h) refuses them; the reader accepts them.
      {"align-1g", kMod, [](M& m) { m.shdr(m.section(".modinfo"), kShAddralign, uint64_t{1} << 30); }},
      {"align-1g-vmlinux", kVm, [](M& m) { m.shdr(m.section(".modinfo"), kShAddralign, uint64_t{1} << 30); }},
      {"align-4g-many", kMod, [](M& m) {
         for (const char* n : {".modinfo", ".debug_abbrev", ".debug_info"}) m.shdr(m.section(n), kShAddralign, uint64_t{1} << 32);
       }},
      // ELF32 offsets cannot reach past 4 GiB (the writer used to truncate e_shoff and sh_offset).
      {"elf32-align-2g", kMips, [](M& m) {
         for (const char* n : {".pdr", ".text.cross_mix", ".modinfo"}) m.shdr(m.section(n), kShAddralign, uint64_t{1} << 31);
       }},
      // NOBITS sections carry no file bytes, so the reader does not bound sh_offset/sh_size; with
      // --set-section-flags SEC=alloc,load,contents (expected.txt OPTIONS) they gain contents: the
      // offset used to wrap in the writer (SIGSEGV) and the size to be allocated (bad_alloc).
      {"nobits-offset-wrap", kVm, [](M& m) {
         m.shdr(m.section(".bss"), kShOffset, ~uint64_t{0} - 15);
         m.shdr(m.section(".bss"), kShAddr, 0x10);  // outside every PT_LOAD: GNU would have to move it
       }},
      {"nobits-size-huge", kMod, [](M& m) { m.shdr(m.section(".bss.foo_counter"), kShSize, uint64_t{1} << 40); }},
      {"sh-addralign-not-pow2-32be", kMips,
       [](M& m) { m.put(m.shdr_at(m.section(".debug_info")), kShAddralign, 0x30); }},
      {"sh-name-past-shstrtab", kMod,
       [](M& m) { m.shdr(3, kShName, m.elf().sections()[m.elf().header().shstrndx].size + 10); }},
      {"sh-name-unterminated", kMod, [](M& m) {
         const auto& st = m.elf().sections()[m.elf().header().shstrndx];
         m.bytes()[st.offset + st.size - 1] = 'X';
       }},
      {"overlap-sections", kMod, [](M& m) {
         uint32_t a = m.section(".modinfo"), b = m.section(".debug_abbrev");
         m.shdr(a, kShOffset, m.elf().sections()[b].offset + 1);
       }},
      {"overlap-header", kMod, [](M& m) { m.shdr(m.section(".modinfo"), kShOffset, 16); }},
      {"overlap-shdr-table", kPpc64, [](M& m) {
         m.shdr(m.section(".debug_info"), kShOffset, m.elf().header().shoff + 64);
         m.shdr(m.section(".debug_info"), kShSize, 64);
       }},
      // --- symbol tables
      {"symtab-link-self", kMod, [](M& m) { uint32_t s = m.first_of_type(elf::SHT_SYMTAB); m.shdr(s, kShLink, s); }},
      {"symtab-link-range", kMips, [](M& m) { m.shdr(m.first_of_type(elf::SHT_SYMTAB), kShLink, 0xffff); }},
      {"symtab-entsize-zero", kMod, [](M& m) { m.shdr(m.first_of_type(elf::SHT_SYMTAB), kShEntsize, 0); }},
      {"symtab-entsize-wrong", kI386, [](M& m) { m.shdr(m.first_of_type(elf::SHT_SYMTAB), kShEntsize, 24); }},
      {"symtab-size-ragged", kMod, [](M& m) {
         uint32_t s = m.first_of_type(elf::SHT_SYMTAB);
         m.shdr(s, kShSize, m.elf().sections()[s].size - 5);
       }},
      {"sym-name-past-strtab", kMod, [](M& m) {
         uint32_t s = m.first_of_type(elf::SHT_SYMTAB);
         m.sym(s, 2, kStName, m.elf().sections()[m.elf().sections()[s].link].size + 1);
       }},
      {"sym-name-past-strtab-32be", kMips, [](M& m) {
         uint32_t s = m.first_of_type(elf::SHT_SYMTAB);
         m.sym(s, 3, kStName, 0x7fffffff);
       }},
      {"sym-name-unterminated", kMany, [](M& m) {  // GNU as: .strtab apart from .shstrtab
         const auto& st = m.elf().sections()[m.elf().sections()[m.first_of_type(elf::SHT_SYMTAB)].link];
         m.bytes()[st.offset + st.size - 1] = 'X';
       }},
      {"sym-shndx-range", kMod, [](M& m) {
         m.sym(m.first_of_type(elf::SHT_SYMTAB), 1, kStShndx, m.elf().sections().size() + 3);
       }},
      {"sym-shndx-range-64be", kPpc64, [](M& m) { m.sym(m.first_of_type(elf::SHT_SYMTAB), 2, kStShndx, 0xfe00); }},
      {"sym-xindex-without-shndx", kMod, [](M& m) { m.sym(m.first_of_type(elf::SHT_SYMTAB), 1, kStShndx, 0xffff); }},
      {"shndx-entry-range", kMany, [](M& m) {
         uint32_t x = m.first_of_type(elf::SHT_SYMTAB_SHNDX);
         uint64_t at = m.elf().sections()[x].offset + 4 * 10;
         elf::store<uint32_t>(&m.bytes()[at], Endian::kLittle, 0x7fffffff);
         uint32_t s = m.first_of_type(elf::SHT_SYMTAB);
         m.sym(s, 10, kStShndx, 0xffff);
       }},
      {"shndx-short", kMany, [](M& m) { m.shdr(m.first_of_type(elf::SHT_SYMTAB_SHNDX), kShSize, 4); }},
      // --- relocations
      {"rel-link-range", kMod, [](M& m) { m.shdr(m.first_of_type(elf::SHT_RELA), kShLink, 0xfffff); }},
      {"rel-link-self", kMod, [](M& m) { uint32_t r = m.first_of_type(elf::SHT_RELA); m.shdr(r, kShLink, r); }},
      {"rel-link-strtab-32be", kMips, [](M& m) {
         uint32_t s = m.first_of_type(elf::SHT_SYMTAB);
         m.shdr(m.first_of_type(elf::SHT_REL), kShLink, m.elf().sections()[s].link);
       }},
      {"rel-info-range", kMod, [](M& m) { m.shdr(m.first_of_type(elf::SHT_RELA), kShInfo, 0x10000); }},
      {"rel-entsize-zero", kMod, [](M& m) { m.shdr(m.first_of_type(elf::SHT_RELA), kShEntsize, 0); }},
      {"rel-entsize-wrong-32le", kI386, [](M& m) { m.shdr(m.first_of_type(elf::SHT_REL), kShEntsize, 12); }},
      {"rel-sym-range", kMod, [](M& m) { m.rel_sym(m.first_of_type(elf::SHT_RELA), 0, 0xffffff); }},
      {"rel-sym-range-32be", kMips, [](M& m) { m.rel_sym(m.first_of_type(elf::SHT_REL), 1, 0xffffff); }},
      // binutils' strip-13: a type the x86-64 backend has no howto for fails the copy ("bad value").
      {"rel-type-unknown", kMod, [](M& m) { m.rel_type64(m.first_of_type(elf::SHT_RELA), 0, 0xd7); }},
      {"rel-sym-range-64be", kPpc64, [](M& m) { m.rel_sym(m.first_of_type(elf::SHT_RELA), 0, 0x10000); }},
      // --- groups
      {"group-member-range", kMod, [](M& m) {
         uint32_t g = m.first_of_type(elf::SHT_GROUP);
         elf::store<uint32_t>(&m.bytes()[m.elf().sections()[g].offset + 4], Endian::kLittle, 0xffffff);
       }},
      {"group-member-self", kMod, [](M& m) {
         uint32_t g = m.first_of_type(elf::SHT_GROUP);
         elf::store<uint32_t>(&m.bytes()[m.elf().sections()[g].offset + 4], Endian::kLittle, g);
       }},
      {"group-size-ragged", kMod, [](M& m) { m.shdr(m.first_of_type(elf::SHT_GROUP), kShSize, 6); }},
      {"group-signature-range", kMod, [](M& m) { m.shdr(m.first_of_type(elf::SHT_GROUP), kShInfo, 0xfffff); }},
      // A section drawing its strings from a table elfhash rebuilds (found by fuzz_objcopy with a
      // .dynsym linked to .shstrtab): the output would name past the rebuilt table. The fixture's
      // section 1 is both .strtab and the section-name table (e_shstrndx 1), so one case covers both.
      {"link-to-strtab", kMod, [](M& m) { m.shdr(m.section(".modinfo"), kShLink, m.section(".strtab")); }},
      // --- program headers
      {"phoff-past-eof", kVm, [](M& m) { m.ehdr(kPhoff, m.size()); }},
      {"phentsize-wrong", kVm, [](M& m) { m.ehdr(kPhentsize, 32); }},
      {"phnum-huge", kVm, [](M& m) { m.ehdr(kPhnum, 0xfffe); }},
      {"phnum-xnum-huge", kVm, [](M& m) { m.ehdr(kPhnum, 0xffff); m.shdr(0, kShInfo, 0xffffffff); }},
      {"segment-past-eof", kVm, [](M& m) { m.phdr(1, kPhFilesz, m.size()); }},
      // --- module trailers (spec §3, §7.2): the ELF part is intact, the trailer is not
      {"trailer-siglen-huge", kMod, [](M& m) { m.append(sig_info(3, 0xffffff00)); m.append(kMarker); }},
      {"trailer-siglen-file", kMod, [](M& m) {
         uint32_t n = static_cast<uint32_t>(m.size());
         m.append(sig_info(3, n)); m.append(kMarker);
       }},
      {"trailer-wrong-id-type", kMod, [](M& m) {
         m.append(std::vector<uint8_t>(36, 0xab)); m.append(sig_info(7, 36)); m.append(kMarker);
       }},
      {"trailer-merkle-bad-length", kMod, [](M& m) {
         m.append(std::vector<uint8_t>(37, 0xab)); m.append(sig_info(3, 37)); m.append(kMarker);
       }},
      {"trailer-pkcs7-garbage", kMod, [](M& m) {
         m.append(std::vector<uint8_t>(40, 0xab)); m.append(sig_info(2, 40)); m.append(kMarker);
       }},
      // A DER SEQUENCE header claiming 64 KiB more than the payload holds.
      {"trailer-pkcs7-truncated-der", kMod, [](M& m) {
         m.append(std::vector<uint8_t>{0x30, 0x82, 0xff, 0xff, 0x06, 0x09}); m.append(sig_info(2, 6)); m.append(kMarker);
       }},
      // A well-sized one-level proof whose struct has signer_len 1 (mod_check_sig: -EBADMSG).
      {"trailer-nonzero-params", kMod, [](M& m) {
         auto info = sig_info(3, 36);
         info[3] = 1;
         m.append(std::vector<uint8_t>(36, 0xab)); m.append(info); m.append(kMarker);
       }},
      {"trailer-siglen-zero", kMod, [](M& m) { m.append(sig_info(3, 0)); m.append(kMarker); }},
      {"trailer-marker-only", kMod, [](M& m) { m.truncate(0); m.append(kMarker); }},
      {"trailer-marker-after-elf", kMod, [](M& m) { m.truncate(8); m.append(kMarker); }},
  };
}

}  // namespace

Result<std::vector<HostileCase>> make_hostile_cases(const std::string& fixture_dir) {
  std::vector<HostileCase> out;
  std::vector<std::pair<std::string, std::unique_ptr<Base>>> bases;
  for (const Recipe& r : recipes()) {
    Base* base = nullptr;
    for (auto& [n, b] : bases)
      if (n == r.base) base = b.get();
    if (!base) {
      EH_ASSIGN(auto b, load_base(fixture_dir + "/" + r.base));
      base = b.get();
      bases.emplace_back(r.base, std::move(b));
    }
    Mutant m(base->bytes, *base->elf);
    r.mutate(m);
    out.push_back(HostileCase{r.name, r.base, std::move(m.bytes())});
  }
  return out;
}

namespace {

Verdict parse_verdict(const std::string& text) {
  if (text == "valid") return {Verdict::kValid, "", ""};
  if (text.empty() || text == "-") return {Verdict::kUnchecked, "", ""};
  auto colon = text.find(": ");
  if (colon == std::string::npos) return {Verdict::kError, "?", text};  // reported by offset_prefix
  return {Verdict::kError, text.substr(0, colon), text.substr(colon + 2)};
}

// Splits "TERM[+0xK]" and evaluates TERM on the fixture's layout. Terms (expected.txt header):
//   0xN          an absolute offset (ELF header fields)
//   eof          the fixture's size (trailer cases append after it)
//   shdr:SEL     the section header of SEL;  data:SEL  its contents
//   name:SEL     SEL's name in the section name table
//   sym:N        symbol N of the first SHT_SYMTAB;  symname:N  its name in the string table
//   phdr:N       program header N
// SEL is a section name (.modinfo), #N (an index) or a type: SYMTAB, REL, RELA, GROUP, SYMTAB_SHNDX.
Result<uint64_t> eval_where(const std::string& where, const ElfFile& e, uint64_t size) {
  auto bad = [&](std::string why) { return make_error(where, kNoOffset, "bad offset expression: " + why); };
  std::string term = where;
  uint64_t add = 0;
  if (auto plus = where.find('+'); plus != std::string::npos) {
    term = where.substr(0, plus);
    add = std::stoull(where.substr(plus + 1), nullptr, 0);
  }
  auto colon = term.find(':');
  std::string kind = term.substr(0, colon), arg = colon == std::string::npos ? "" : term.substr(colon + 1);
  auto section = [&](const std::string& sel) -> Result<uint32_t> {
    const auto& sh = e.sections();
    if (!sel.empty() && sel[0] == '#') return static_cast<uint32_t>(std::stoul(sel.substr(1)));
    if (sel == "shstrtab") return e.header().shstrndx;
    static const std::pair<const char*, uint32_t> kTypes[] = {{"SYMTAB", elf::SHT_SYMTAB}, {"REL", elf::SHT_REL},
        {"RELA", elf::SHT_RELA}, {"GROUP", elf::SHT_GROUP}, {"SYMTAB_SHNDX", elf::SHT_SYMTAB_SHNDX}};
    for (const auto& [n, t] : kTypes)
      if (sel == n)
        for (uint32_t i = 1; i < sh.size(); ++i)
          if (sh[i].type == t) return i;
    if (auto i = e.find_section(sel)) return *i;
    return bad("no section " + sel);
  };
  uint64_t base = 0;
  if (kind.rfind("0x", 0) == 0) {
    base = std::stoull(kind, nullptr, 16);
  } else if (kind == "eof") {
    base = size;
  } else if (kind == "shdr" || kind == "data" || kind == "name") {
    EH_ASSIGN(uint32_t i, section(arg));
    base = kind == "shdr" ? e.header().shoff + uint64_t{i} * e.shdr_size()
           : kind == "data" ? e.sections()[i].offset
                            : e.sections()[e.header().shstrndx].offset + e.sections()[i].name;
  } else if (kind == "sym" || kind == "symname") {
    EH_ASSIGN(uint32_t st, section("SYMTAB"));
    uint64_t n = std::stoull(arg);
    if (kind == "sym") {
      base = e.sections()[st].offset + n * e.sym_size();
    } else {
      EH_ASSIGN(auto syms, e.symbols(st));
      if (n >= syms.size()) return bad("no symbol " + arg);
      base = e.sections()[e.sections()[st].link].offset + syms[n].name;
    }
  } else if (kind == "phdr") {
    base = e.header().phoff + std::stoull(arg) * e.phdr_size();
  } else {
    return bad("unknown term " + kind);
  }
  return base + add;
}

}  // namespace

Result<std::vector<Expectation>> load_expectations(const std::string& path) {
  std::ifstream in(path);
  if (!in) return make_error(path, kNoOffset, "cannot open");
  std::vector<Expectation> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cols;
    for (size_t b = 0;;) {
      size_t t = line.find('\t', b);
      cols.push_back(line.substr(b, t == std::string::npos ? t : t - b));
      if (t == std::string::npos) break;
      b = t + 1;
    }
    if (cols.size() < 3 || cols.size() > 5)
      return make_error(path, kNoOffset, fmt::format("line {}: want NAME<TAB>READER<TAB>TRAILER[<TAB>CLI[<TAB>OPTIONS]]", n));
    cols.resize(5);
    out.push_back({cols[0], base_of(cols[0]), parse_verdict(cols[1]), parse_verdict(cols[2]), parse_verdict(cols[3]),
                   cols[4]});
  }
  return out;
}

Result<std::string> offset_prefix(const Verdict& v, const std::string& fixture_dir, const std::string& base) {
  if (v.where == "none") return std::string();
  if (base.empty()) return make_error(v.where, kNoOffset, "case has no fixture");
  // Fixtures are loaded once per process: a test resolves ~90 expressions on 6 fixtures.
  static std::vector<std::pair<std::string, std::unique_ptr<Base>>> cache;
  Base* b = nullptr;
  for (auto& [n, c] : cache)
    if (n == fixture_dir + "/" + base) b = c.get();
  if (!b) {
    EH_ASSIGN(auto loaded, load_base(fixture_dir + "/" + base));
    b = loaded.get();
    cache.emplace_back(fixture_dir + "/" + base, std::move(loaded));
  }
  EH_ASSIGN(uint64_t off, eval_where(v.where, *b->elf, b->bytes.size()));
  return fmt::format("offset {:#x}: ", off);
}

bool verdict_matches(const std::string& line, const std::string& file, const std::string& prefix, const Verdict& v) {
  const std::string head = file + ": " + prefix;
  if (line.rfind(head, 0) != 0) return false;
  std::string rest = line.substr(head.size());
  if (prefix.empty() && rest.rfind("offset 0x", 0) == 0) return false;  // "none": no offset allowed
  for (size_t b = 0;;) {
    size_t e = v.message.find('|', b);
    if (rest.find(v.message.substr(b, e == std::string::npos ? e : e - b)) != std::string::npos) return true;
    if (e == std::string::npos) return false;
    b = e + 1;
  }
}

std::string base_of(const std::string& case_name) {
  for (const Recipe& r : recipes())
    if (case_name == r.name) return r.base;
  return "";
}

}  // namespace elfhash::testdata
