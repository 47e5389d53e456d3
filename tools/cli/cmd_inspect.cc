// elfhash inspect [--json] [--vmlinux V] FILE...: what a file is (docs/inspect.md). The facts come from
// the library (elf/summary.h, merkle/trailer_info.h, merkle/verify.h); this file only formats them.
#include <fmt/core.h>

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "elf/mapped_file.h"
#include "elf/names.h"
#include "elf/reader.h"
#include "elf/summary.h"
#include "merkle/module_hashes.h"
#include "merkle/patch.h"
#include "merkle/pkcs7.h"
#include "merkle/trailer_info.h"
#include "merkle/verify.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

constexpr const char* kUsage =
    "usage: elfhash inspect [--json] [--vmlinux VMLINUX] FILE...\n"
    "  Describes ELF files and kernel modules: header, sections, symbol and relocation counts,\n"
    "  build-id, .modinfo, and the appended signature (none, pkcs7 or merkle). With --vmlinux, also\n"
    "  the kernel's verdict on a Merkle-authenticated module against that vmlinux's .module_hashes.\n"
    "  --json  one JSON object (an array of them for several FILEs)\n"
    "Exit 0; 1 when --vmlinux is given and a module does not verify; 2 on a malformed or unreadable\n"
    "FILE (one line on stderr; the other FILEs are still reported).\n";

struct Report {
  std::string path;
  elf::ElfSummary elf;
  merkle::TrailerInfo trailer;
  std::optional<merkle::VerifyResult> verify;
};

Result<Report> inspect_file(const std::string& path, const std::optional<merkle::ModuleHashesRoot>& root) {
  Report r;
  r.path = path;
  EH_ASSIGN(auto file, MappedFile::open(path));
  auto bytes = file->bytes();
  // The trailer first: it says where the ELF image ends (spec §7.2 step 3).
  EH_ASSIGN(r.trailer, merkle::describe_trailer(bytes, path));
  uint64_t image = r.trailer.trailer.image_size;
  auto view = image == bytes.size() ? file : MappedFile::from_memory(bytes.first(image), path);
  EH_ASSIGN(auto elf, elf::ElfFile::parse(view));
  EH_ASSIGN(r.elf, elf::summarize(elf));
  if (root) r.verify = merkle::verify_module(bytes, *root);
  return r;
}

Result<merkle::ModuleHashesRoot> load_root(const std::string& vmlinux) {
  EH_ASSIGN(elf::ElfFile elf, elf::ElfFile::open(vmlinux));
  EH_ASSIGN(merkle::ModuleHashesSection sec, merkle::find_module_hashes(elf));
  return merkle::decode_module_hashes(elf.section_data(sec.index), elf.endian(), vmlinux);
}

std::string hex_bytes(std::span<const uint8_t> b) { return merkle::to_hex(b); }

// .modinfo keys that may legitimately repeat are always arrays in JSON, so their type does not depend
// on the module; any other key is a string, or an array if a (malformed) module repeats it.
const std::set<std::string> kListKeys = {"alias", "author", "firmware", "import_ns", "parm", "parmtype",
                                         "softdep", "weakdep"};

// Groups fields by key, in order of first appearance.
std::vector<std::pair<std::string, std::vector<std::string>>> group_modinfo(const elf::ElfSummary& s) {
  std::vector<std::pair<std::string, std::vector<std::string>>> out;
  std::map<std::string, size_t> at;
  for (const auto& f : s.modinfo) {
    auto [it, fresh] = at.emplace(f.key, out.size());
    if (fresh) out.push_back({f.key, {}});
    out[it->second].second.push_back(f.value);
  }
  return out;
}

const char* class_name(const elf::FileHeader& h) { return h.ident[4] == 2 ? "ELF64" : "ELF32"; }
const char* endian_name(const elf::FileHeader& h) { return h.ident[5] == 2 ? "big" : "little"; }

// ---- JSON ----

std::string json_signature(const merkle::TrailerInfo& ti, const char* ind) {
  const auto& t = ti.trailer;
  std::string o = fmt::format("{{\n{0}  \"type\": \"{1}\"", ind, merkle::trailer_kind_name(t.kind));
  if (t.kind == merkle::TrailerKind::kNone) return o + fmt::format("\n{}}}", ind);
  o += fmt::format(",\n{0}  \"id_type\": {1},\n{0}  \"image_size\": {2},\n{0}  \"sig_len\": {3}",
                   ind, t.info.id_type, t.image_size, t.info.sig_len);
  if (ti.pkcs7) {
    const auto& p = *ti.pkcs7;
    o += fmt::format(",\n{0}  \"signer\": {1},\n{0}  \"sig_key\": \"{2}\",\n{0}  \"sig_key_type\": \"{3}\","
                     "\n{0}  \"hash_algo\": \"{4}\",\n{0}  \"sig_algo\": {5},\n{0}  \"signers\": {6},"
                     "\n{0}  \"signature\": \"{7}\"",
                     ind, json_string(p.signer), merkle::colon_hex(p.key_id),
                     p.key_id_is_skid ? "subject_key_id" : "serial", p.hash_algo, json_string(p.sig_algo),
                     p.signers, merkle::colon_hex(p.signature));
  } else {
    o += fmt::format(",\n{0}  \"pos\": {1},\n{0}  \"levels\": {2},\n{0}  \"siblings\": [", ind, ti.pos, ti.levels);
    for (size_t i = 0; i < ti.siblings.size(); ++i)
      o += fmt::format("{}\n{}    \"{}\"", i ? "," : "", ind, hex_bytes(ti.siblings[i]));
    o += fmt::format("\n{}  ]", ind);
  }
  return o + fmt::format("\n{}}}", ind);
}

std::string json_report(const Report& r, const char* ind) {
  const auto& s = r.elf;
  const auto& h = s.header;
  std::string o = fmt::format("{{\n{0}  \"file\": {1},\n", ind, json_string(r.path));
  o += fmt::format(
      "{0}  \"elf\": {{\"class\": \"{1}\", \"endian\": \"{2}\", \"type\": \"{3}\", \"machine\": \"{4}\", "
      "\"e_machine\": {5}, \"osabi\": {6}, \"entry\": \"{7:#x}\", \"size\": {8}, \"program_headers\": {9}, "
      "\"symbols\": {10}, \"dynamic_symbols\": {11}, \"relocations\": {12}, \"relocation_sections\": {13}, "
      "\"build_id\": {14}}},\n",
      ind, class_name(h), endian_name(h), elf::file_type_name(h.type), elf::machine_name(h.machine), h.machine,
      h.ident[7], h.entry, s.file_size, s.segments, s.symbols, s.dynamic_symbols, s.relocations,
      s.relocation_sections, s.build_id ? "\"" + hex_bytes(*s.build_id) + "\"" : "null");
  o += fmt::format("{}  \"sections\": [", ind);
  for (size_t i = 0; i < s.sections.size(); ++i) {
    const auto& x = s.sections[i];
    o += fmt::format(
        "{0}\n{1}    {{\"index\": {2}, \"name\": {3}, \"type\": \"{4}\", \"flags\": \"{5}\", \"addr\": \"{6:#x}\", "
        "\"offset\": {7}, \"size\": {8}, \"addralign\": {9}, \"entsize\": {10}, \"link\": {11}, \"info\": {12}}}",
        i ? "," : "", ind, x.index, json_string(x.name), elf::section_type_name(x.hdr.type),
        elf::section_flag_letters(x.hdr.flags), x.hdr.addr, x.hdr.offset, x.hdr.size, x.hdr.addralign,
        x.hdr.entsize, x.hdr.link, x.hdr.info);
  }
  o += fmt::format("\n{}  ],\n", ind);
  o += fmt::format("{}  \"modinfo\": {{", ind);
  auto groups = group_modinfo(s);
  for (size_t i = 0; i < groups.size(); ++i) {
    const auto& [key, vals] = groups[i];
    o += fmt::format("{}\n{}    {}: ", i ? "," : "", ind, json_string(key));
    if (vals.size() == 1 && !kListKeys.count(key)) {
      o += json_string(vals[0]);
      continue;
    }
    o += "[";
    for (size_t k = 0; k < vals.size(); ++k) o += (k ? ", " : "") + json_string(vals[k]);
    o += "]";
  }
  o += groups.empty() ? "},\n" : fmt::format("\n{}  }},\n", ind);
  o += fmt::format("{}  \"signature\": {}", ind, json_signature(r.trailer, (std::string(ind) + "  ").c_str()));
  if (r.verify)
    o += fmt::format(",\n{}  \"verify\": {{\"result\": \"{}\", \"errno\": \"{}\", \"reason\": {}}}", ind,
                     merkle::verify_code_name(r.verify->code), merkle::verify_errno_name(r.verify->code),
                     json_string(r.verify->reason));
  return o + fmt::format("\n{}}}", ind);
}

// ---- text ----

void print_text(const Report& r) {
  const auto& s = r.elf;
  const auto& h = s.header;
  std::printf("%s:\n", elf::printable(r.path).c_str());
  std::printf("  ELF:         %s %s-endian, %s, %s, %llu bytes, %u program headers\n", class_name(h),
              endian_name(h), elf::file_type_name(h.type).c_str(), elf::machine_name(h.machine).c_str(),
              static_cast<unsigned long long>(s.file_size), s.segments);
  std::printf("  symbols:     %llu (.symtab), %llu (.dynsym); relocations: %llu in %u sections\n",
              static_cast<unsigned long long>(s.symbols), static_cast<unsigned long long>(s.dynamic_symbols),
              static_cast<unsigned long long>(s.relocations), s.relocation_sections);
  std::printf("  build-id:    %s\n", s.build_id ? hex_bytes(*s.build_id).c_str() : "(none)");
  std::printf("  sections:    %zu\n", s.sections.size());
  std::printf("    [Nr] %-24s %-16s %-6s %-10s %-10s %s\n", "Name", "Type", "Flags", "Offset", "Size", "Align");
  for (const auto& x : s.sections)
    std::printf("    [%2u] %-24s %-16s %-6s %#-10llx %#-10llx %llu\n", x.index, x.name.c_str(),
                elf::section_type_name(x.hdr.type).c_str(), elf::section_flag_letters(x.hdr.flags).c_str(),
                static_cast<unsigned long long>(x.hdr.offset), static_cast<unsigned long long>(x.hdr.size),
                static_cast<unsigned long long>(x.hdr.addralign));
  if (s.has_modinfo) {
    std::printf("  modinfo:\n");
    for (const auto& f : s.modinfo)
      std::printf("    %-12s %s\n", (elf::printable(f.key) + ":").c_str(), elf::printable(f.value).c_str());
  }
  const auto& ti = r.trailer;
  std::printf("  signature:   %s\n", merkle::trailer_kind_name(ti.trailer.kind));
  if (ti.trailer.kind != merkle::TrailerKind::kNone)
    std::printf("    image_size:  %llu\n    sig_len:     %u\n",
                static_cast<unsigned long long>(ti.trailer.image_size), ti.trailer.info.sig_len);
  if (ti.pkcs7) {
    const auto& p = *ti.pkcs7;
    std::printf("    signer:      %s\n    sig_key:     %s\n    hash_algo:   %s\n    sig_algo:    %s\n",
                elf::printable(p.signer).c_str(), merkle::colon_hex(p.key_id).c_str(), p.hash_algo.c_str(),
                p.sig_algo.c_str());
    std::printf("    signature:   %s\n", merkle::colon_hex(p.signature).c_str());
  } else if (ti.trailer.kind == merkle::TrailerKind::kMerkle) {
    std::printf("    pos:         %u\n    levels:      %u\n", ti.pos, ti.levels);
    for (size_t i = 0; i < ti.siblings.size(); ++i)
      std::printf("    sibling[%zu]: %s\n", i, hex_bytes(ti.siblings[i]).c_str());
  }
  if (r.verify) {
    if (r.verify->ok()) std::printf("  verify:      ok\n");
    else
      std::printf("  verify:      %s (%s): %s\n", merkle::verify_code_name(r.verify->code),
                  merkle::verify_errno_name(r.verify->code), r.verify->reason.c_str());
  }
}

}  // namespace

int cmd_inspect(int argc, char** argv) {
  bool json = false, help = false;
  std::string vmlinux;
  std::vector<std::string> files;
  if (auto e = parse_options(argc, argv, {{{"--json"}, nullptr, &json}, {{"--vmlinux"}, &vmlinux}}, files, help))
    return usage_error("inspect", *e);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (files.empty()) return usage_error("inspect", "expected at least one FILE");
  std::optional<merkle::ModuleHashesRoot> root;
  if (!vmlinux.empty()) {
    auto r = load_root(vmlinux);
    if (!r.ok()) return report(r.error(), kExitError);
    root = *r;
  }
  bool error = false, all_verified = true;
  std::vector<std::string> objects;
  for (const auto& f : files) {
    auto r = inspect_file(f, root);
    if (!r.ok()) {
      report(r.error(), kExitError);
      error = true;
      continue;
    }
    if (r->verify && !r->verify->ok()) all_verified = false;
    if (json) objects.push_back(json_report(*r, files.size() > 1 ? "  " : ""));
    else print_text(*r);
  }
  if (json && files.size() == 1 && !objects.empty()) std::printf("%s\n", objects[0].c_str());
  if (json && files.size() > 1) {
    std::string out = "[";
    for (size_t i = 0; i < objects.size(); ++i) out += (i ? ",\n  " : "\n  ") + objects[i];
    std::printf("%s\n]\n", out.c_str());
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "elfhash: inspect: cannot write output\n");
    return kExitError;
  }
  if (error) return kExitError;
  return all_verified ? kExitOk : kExitNegative;
}

}  // namespace elfhash::cli
