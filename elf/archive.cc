#include "elf/archive.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include "elf/bytes.h"
#include "elf/copy.h"
#include "elf/mapped_file.h"
#include "elf/reader.h"

namespace elfhash::elf {
namespace {

constexpr std::string_view kArMagic = "!<arch>\n", kArThinMagic = "!<thin>\n";
constexpr size_t kHeader = 60;  // ar_name[16] ar_date[12] ar_uid[6] ar_gid[6] ar_mode[8] ar_size[10] "`\n"

struct Member {
  std::string name;
  uint64_t header_offset = 0;
  std::span<const uint8_t> data;
};

std::string_view field(std::span<const uint8_t> b, size_t at, size_t len) {
  return {reinterpret_cast<const char*>(b.data() + at), len};
}

// A decimal header field: digits, then spaces.
bool parse_size(std::string_view f, uint64_t& out) {
  size_t end = f.find_last_not_of(' ');
  if (end == std::string_view::npos) return false;
  out = 0;
  for (size_t i = 0; i <= end; ++i) {
    if (f[i] < '0' || f[i] > '9' || out > (uint64_t{1} << 40)) return false;
    out = out * 10 + static_cast<uint64_t>(f[i] - '0');
  }
  return true;
}

// binutils is_valid_archive_path: no absolute names, no ".." component (PR 17533).
bool valid_member_name(std::string_view n) {
  if (n.empty() || n[0] == '/') return false;
  for (size_t i = 0; i <= n.size();) {
    size_t j = std::min(n.find('/', i), n.size());
    if (n.substr(i, j - i) == "..") return false;
    i = j + 1;
  }
  return true;
}

// The members in file order, the symbol map and the long-name table left out (GNU/SVR4 layout:
// "name/", "/N" into "//", whose entries end in "/\n").
Result<std::vector<Member>> read_members(std::span<const uint8_t> b, const std::string& path, bool* had_map) {
  std::vector<Member> out;
  std::string_view names;
  *had_map = false;
  for (uint64_t off = kArMagic.size(); off < b.size();) {
    if (b.size() - off < kHeader) return make_error(path, off, "archive member header truncated");
    if (field(b, off + 58, 2) != "`\n") return make_error(path, off, "archive member header without its \"`\\n\" end");
    uint64_t size = 0;
    if (!parse_size(field(b, off + 48, 10), size)) return make_error(path, off + 48, "bad archive member size");
    if (size > b.size() - off - kHeader) return make_error(path, off + 48, fmt::format("archive member of {} bytes runs past the end", size));
    std::string_view raw = field(b, off, 16);
    std::span<const uint8_t> data = b.subspan(off + kHeader, size);
    std::string name;
    if (raw.starts_with("/ ") || raw.starts_with("/SYM64/ ")) {
      if (raw.starts_with("/SYM64/")) return make_error(path, off, "64-bit archive symbol map (/SYM64/): not supported");
      *had_map = true;
    } else if (raw.starts_with("// ")) {
      names = std::string_view(reinterpret_cast<const char*>(data.data()), data.size());
    } else if (raw[0] == '/') {
      uint64_t at = 0;
      if (!parse_size(raw.substr(1), at) || at >= names.size())
        return make_error(path, off, "archive member's long name is not in the \"//\" table");
      size_t end = names.find("/\n", at);
      if (end == std::string_view::npos) return make_error(path, off, "unterminated long name in the \"//\" table");
      name = names.substr(at, end - at);
    } else if (raw.starts_with("#1/") || raw.starts_with("__.SYMDEF")) {
      return make_error(path, off, "BSD archive layout: not supported");
    } else {
      size_t slash = raw.find('/');
      if (slash == std::string_view::npos) return make_error(path, off, "archive member name without its '/' end");
      name = raw.substr(0, slash);
    }
    if (!name.empty() || (raw[0] != '/')) {
      if (!valid_member_name(name))
        return make_error(path, off, fmt::format("illegal pathname found in archive member: {}", name));
      out.push_back({std::move(name), off, data});
    }
    off += kHeader + size + (size & 1);
  }
  return out;
}

void put_field(std::vector<uint8_t>& out, std::string_view v, size_t width) {
  size_t n = std::min(v.size(), width);
  out.insert(out.end(), v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n));
  out.insert(out.end(), width - n, ' ');
}

// BFD's _bfd_generic_write_ar_hdr with BFD_DETERMINISTIC_OUTPUT: date, uid and gid 0, mode 644
// (the symbol map: mode 0; the long-name table: name and size only).
void put_header(std::vector<uint8_t>& out, std::string_view name, uint64_t size, std::string_view mode,
                bool blank_fields = false) {
  put_field(out, name, 16);
  put_field(out, blank_fields ? "" : "0", 12);
  put_field(out, blank_fields ? "" : "0", 6);
  put_field(out, blank_fields ? "" : "0", 6);
  put_field(out, mode, 8);
  put_field(out, std::to_string(size), 10);
  out.push_back('`');
  out.push_back('\n');
}

// archive.c _bfd_compute_and_write_armap: a symbol goes into the map when it is defined (not
// SHN_UNDEF) and global, weak, unique or common; in symbol-table order.
Status map_symbols(std::span<const uint8_t> elf_bytes, const std::string& name, std::vector<std::string>& out) {
  EH_ASSIGN(auto f, ElfFile::parse(MappedFile::from_memory(elf_bytes, name)));
  for (uint32_t i = 1; i < f.sections().size(); ++i) {
    if (f.sections()[i].type != SHT_SYMTAB) continue;
    EH_ASSIGN(auto syms, f.symbols(i));
    EH_ASSIGN(auto names, f.symbol_names(i));
    for (size_t k = 1; k < syms.size(); ++k) {
      const Symbol& y = syms[k];
      const uint8_t bind = st_bind(y.info);
      const bool common = !y.xindex && y.shndx == SHN_COMMON;
      if (y.shndx == SHN_UNDEF && !y.xindex) continue;
      if (bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE || common) out.emplace_back(names[k]);
    }
    break;
  }
  return ok_status();
}

}  // namespace

bool is_archive(std::span<const uint8_t> bytes) {
  auto starts = [&](std::string_view m) { return bytes.size() >= m.size() && std::memcmp(bytes.data(), m.data(), m.size()) == 0; };
  return starts(kArMagic) || starts(kArThinMagic);
}

Result<std::vector<uint8_t>> copy_archive(std::span<const uint8_t> bytes, const std::string& path,
                                          const CopyOptions& opt) {
  if (bytes.size() >= kArThinMagic.size() && std::memcmp(bytes.data(), kArThinMagic.data(), kArThinMagic.size()) == 0)
    return make_error(path, 0, "sorry: copying thin archives is not currently supported");
  bool had_map = false;
  EH_ASSIGN(auto members, read_members(bytes, path, &had_map));
  // binutils copy_archive: no symbol map after --strip-all.
  const bool with_map = had_map && opt.strip != StripMode::kAll;
  std::vector<std::vector<uint8_t>> outs(members.size());
  std::vector<std::vector<std::string>> syms(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    const Member& m = members[i];
    const std::string where = fmt::format("{}({})", path, m.name);
    const bool elf = m.data.size() >= 4 && std::memcmp(m.data.data(), "\x7f" "ELF", 4) == 0;
    if (!elf) {  // copy_unknown_object
      outs[i].assign(m.data.begin(), m.data.end());
      continue;
    }
    EH_ASSIGN(outs[i], copy_to_memory(m.data, where, opt));
    if (with_map) EH_TRY(map_symbols(outs[i], where, syms[i]));
  }
  // Long names (_bfd_construct_extended_name_table): over 15 bytes, "name/\n" each, in member order.
  std::string long_names;
  std::vector<std::string> header_names(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    if (members[i].name.size() > 15) {
      header_names[i] = "/" + std::to_string(long_names.size());
      long_names += members[i].name + "/\n";
    } else {
      header_names[i] = members[i].name + "/";
    }
  }
  // An odd table is padded with '\n' inside its size (unlike members, whose pad is outside).
  if (long_names.size() & 1) long_names.push_back('\n');
  // The symbol map (coff_write_armap): big-endian count, one member-header offset per symbol, the
  // names, padded to an even size.
  size_t nsyms = 0, strsize = 0;
  for (auto& s : syms)
    for (auto& n : s) ++nsyms, strsize += n.size() + 1;
  uint64_t map_size = with_map ? 4 + 4 * nsyms + strsize : 0;
  map_size += map_size & 1;
  uint64_t off = kArMagic.size() + (with_map ? kHeader + map_size : 0);
  if (!long_names.empty()) off += kHeader + long_names.size();
  std::vector<uint64_t> member_offset(members.size());
  for (size_t i = 0; i < members.size(); ++i) {
    member_offset[i] = off;
    off += kHeader + outs[i].size() + (outs[i].size() & 1);
  }
  if (with_map && off > UINT32_MAX) return make_error(path, kNoOffset, "archive over 4 GiB: its symbol map would need /SYM64/");
  std::vector<uint8_t> out(kArMagic.begin(), kArMagic.end());
  out.reserve(off);
  if (with_map) {
    put_header(out, "/", map_size, "0");
    auto be32 = [&](uint64_t v) {
      for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
    };
    be32(nsyms);
    for (size_t i = 0; i < members.size(); ++i)
      for (size_t k = 0; k < syms[i].size(); ++k) be32(member_offset[i]);
    for (auto& s : syms)
      for (auto& n : s) out.insert(out.end(), n.c_str(), n.c_str() + n.size() + 1);
    if ((4 + 4 * nsyms + strsize) & 1) out.push_back(0);
  }
  if (!long_names.empty()) {
    put_header(out, "//", long_names.size(), "", true);
    out.insert(out.end(), long_names.begin(), long_names.end());
  }
  for (size_t i = 0; i < members.size(); ++i) {
    put_header(out, header_names[i], outs[i].size(), "644");
    out.insert(out.end(), outs[i].begin(), outs[i].end());
    if (outs[i].size() & 1) out.push_back('\n');
  }
  return out;
}

}  // namespace elfhash::elf
