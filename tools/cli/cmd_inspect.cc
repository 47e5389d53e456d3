// elfhash inspect [--json] [--vmlinux V] FILE...: what a file is (docs/inspect.md). The facts come from
// the library (elf/summary.h, merkle/modsig/trailer_info.h, merkle/modsig/verify.h); this file only formats them.
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
#include "merkle/compression/input.h"
#include "merkle/kernel/kernel_image.h"
#include "merkle/modsig/x509.h"
#include "merkle/module_hashes.h"
#include "merkle/patch.h"
#include "merkle/modsig/pkcs7.h"
#include "merkle/modsig/trailer_info.h"
#include "merkle/modsig/verify.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

constexpr const char* kUsage =
    "usage: elfhash inspect [--json] [--vmlinux VMLINUX] FILE...\n"
    "  Describes ELF files and kernel modules: header, sections, symbol and relocation counts,\n"
    "  build-id, .modinfo, and the appended signature (none, pkcs7 or merkle). With --vmlinux, also\n"
    "  the kernel's verdict on a Merkle-authenticated module against that vmlinux's .module_hashes.\n"
    "  FILE may also be a compressed module (.ko.gz/.xz/.zst: decompressed first), an x86 bzImage (boot\n"
    "  header, then the vmlinux inside) or a vmlinux (.module_hashes root, built-in certificates).\n"
    "  --json  a JSON array with one object per FILE (docs/inspect.md)\n"
    "Exit 0; 1 when --vmlinux is given and a module does not verify; 2 on a malformed or unreadable\n"
    "FILE (one line on stderr; the other FILEs are still reported).\n";

struct Cert {
  modsig::CertInfo info;
  std::string section;
  uint64_t offset = 0;
};

// What a kernel image adds (kernel/kernel_image.h): the boot header of a bzImage, the root and the
// built-in certificates.
struct KernelFacts {
  std::optional<kernel::BootHeader> boot;
  compression::Format payload_compression = compression::Format::kNone;
  uint64_t vmlinux_size = 0;
  std::optional<merkle::ModuleHashesRoot> root;
  kernel::CertSource cert_source = kernel::CertSource::kNone;
  std::vector<Cert> certs;
};

struct Report {
  std::string path;
  compression::Format compression = compression::Format::kNone;  // of the file itself (.ko.xz)
  uint64_t file_size = 0;
  elf::ElfSummary elf;
  merkle::TrailerInfo trailer;
  std::optional<KernelFacts> kernel;
  std::optional<merkle::VerifyResult> verify;
};

Result<KernelFacts> kernel_facts(const kernel::KernelImage& k) {
  KernelFacts f;
  f.boot = k.boot;
  f.payload_compression = k.boot ? k.compression : compression::Format::kNone;
  f.vmlinux_size = k.vmlinux_size;
  f.root = k.root;
  f.cert_source = k.cert_source;
  for (const auto& c : k.certs) {
    EH_ASSIGN(modsig::CertInfo info, modsig::describe_certificate(c.der, k.path, c.offset));
    f.certs.push_back({std::move(info), c.section, c.offset});
  }
  return f;
}

// A vmlinux (ELF executable or, arm64, PIE, with the kernel's export tables or a .module_hashes section).
bool looks_like_vmlinux(const elf::ElfFile& e) {
  return e.header().type != elf::ET_REL && (e.find_section("__ksymtab") || e.find_section(merkle::kModuleHashesSection));
}

Result<Report> inspect_bzimage(const std::string& path) {
  Report r;
  r.path = path;
  EH_ASSIGN(auto k, kernel::load_kernel(path));
  r.file_size = k->file->bytes().size();
  EH_ASSIGN(r.elf, elf::summarize(*k->elf));
  EH_ASSIGN(r.kernel, kernel_facts(*k));
  return r;
}

Result<Report> inspect_file(const std::string& path, const std::optional<merkle::ModuleHashesRoot>& root) {
  {
    EH_ASSIGN(auto head, MappedFile::open(path));
    if (kernel::is_bzimage(head->bytes())) return inspect_bzimage(path);
  }
  Report r;
  r.path = path;
  // Compressed modules are decompressed first: the trailer is inside (spec §5.3).
  EH_ASSIGN(compression::Input in, compression::read_input(path));
  r.compression = in.compression;
  r.file_size = in.file_size;
  auto bytes = in.bytes();
  // The trailer first: it says where the ELF image ends (spec §7.2 step 3).
  EH_ASSIGN(r.trailer, merkle::describe_trailer(bytes, path));
  uint64_t image = r.trailer.trailer.image_size;
  auto view = image == bytes.size() && in.mapped ? in.mapped : MappedFile::from_memory(bytes.first(image), path);
  EH_ASSIGN(auto elf, elf::ElfFile::parse(view));
  EH_ASSIGN(r.elf, elf::summarize(elf));
  if (in.compression == compression::Format::kNone && r.trailer.trailer.kind == merkle::TrailerKind::kNone &&
      looks_like_vmlinux(elf)) {
    EH_ASSIGN(auto k, kernel::load_kernel(path));
    EH_ASSIGN(r.kernel, kernel_facts(*k));
  }
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

std::string json_kernel(const std::optional<KernelFacts>& k, const char* ind) {
  if (!k) return "null";
  std::string o = "{";
  if (k->boot) {
    const auto& b = *k->boot;
    o += fmt::format("\n{0}    \"boot\": {{\"format\": \"bzImage\", \"protocol\": \"{1}.{2:02}\", \"kernel_version\": {3}, "
                     "\"setup_sects\": {4}, \"payload_offset\": {5}, \"payload_length\": {6}, \"compression\": \"{7}\", "
                     "\"vmlinux_size\": {8}}},",
                     ind, b.version >> 8, b.version & 0xff, b.kernel_version.empty() ? "null" : json_string(b.kernel_version),
                     b.setup_sects, b.payload_file_offset, b.payload_length, compression::format_name(k->payload_compression),
                     k->vmlinux_size);
  } else {
    o += fmt::format("\n{}    \"boot\": null,", ind);
  }
  o += fmt::format("\n{}    \"module_hashes\": {},", ind,
                   k->root ? fmt::format("{{\"levels\": {}, \"root\": \"{}\"}}", k->root->levels, hex_bytes(k->root->root))
                           : "null");
  o += fmt::format("\n{}    \"certificate_source\": \"{}\",\n{}    \"certificates\": [", ind,
                   kernel::cert_source_name(k->cert_source), ind);
  for (size_t i = 0; i < k->certs.size(); ++i) {
    const auto& c = k->certs[i];
    o += fmt::format("{}\n{}      {{\"subject\": {}, \"issuer\": {}, \"serial\": \"{}\", \"key_id\": {}, \"key_algo\": {}, "
                     "\"key_bits\": {}, \"section\": {}, \"offset\": {}, \"size\": {}}}",
                     i ? "," : "", ind, json_string(c.info.subject), json_string(c.info.issuer), merkle::colon_hex(c.info.serial),
                     c.info.key_id.empty() ? "null" : "\"" + merkle::colon_hex(c.info.key_id) + "\"",
                     json_string(c.info.key_algo), c.info.key_bits, json_string(c.section), c.offset, c.info.size);
  }
  o += k->certs.empty() ? "]" : fmt::format("\n{}    ]", ind);
  return o + fmt::format("\n{}  }}", ind);
}

std::string json_report(const Report& r, const char* ind) {
  const auto& s = r.elf;
  const auto& h = s.header;
  std::string o = fmt::format("{{\n{0}  \"file\": {1},\n", ind, json_string(r.path));
  o += fmt::format("{}  \"compression\": {},\n", ind,
                   r.compression == compression::Format::kNone
                       ? "null"
                       : fmt::format("{{\"format\": \"{}\", \"size\": {}}}", compression::format_name(r.compression), r.file_size));
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
  o += fmt::format("{}  \"signature\": {},\n", ind, json_signature(r.trailer, (std::string(ind) + "  ").c_str()));
  o += fmt::format("{}  \"kernel\": {}", ind, json_kernel(r.kernel, ind));
  if (r.verify)
    o += fmt::format(",\n{}  \"verify\": {{\"result\": \"{}\", \"errno\": {}, \"reason\": {}}}", ind,
                     merkle::verify_code_name(r.verify->code),
                     r.verify->ok() ? "null" : "\"" + std::string(merkle::verify_errno_name(r.verify->code)) + "\"",
                     r.verify->ok() ? "null" : json_string(r.verify->reason));
  else
    o += fmt::format(",\n{}  \"verify\": null", ind);
  return o + fmt::format("\n{}}}", ind);
}

// ---- text ----

void print_kernel(const KernelFacts& k) {
  if (k.root)
    std::printf("  module_hashes: levels %u, root %s\n", k.root->levels, hex_bytes(k.root->root).c_str());
  else
    std::printf("  module_hashes: (none)\n");
  std::printf("  certificates: %zu (%s)\n", k.certs.size(), kernel::cert_source_name(k.cert_source));
  for (size_t i = 0; i < k.certs.size(); ++i) {
    const auto& c = k.certs[i];
    std::printf("    [%zu] subject: %s\n        issuer:  %s\n        serial:  %s\n        key_id:  %s\n"
                "        key:     %s %u bits, in %s at %#llx\n",
                i, elf::printable(c.info.subject).c_str(), elf::printable(c.info.issuer).c_str(),
                merkle::colon_hex(c.info.serial).c_str(),
                c.info.key_id.empty() ? "(none)" : merkle::colon_hex(c.info.key_id).c_str(), c.info.key_algo.c_str(),
                c.info.key_bits, c.section.c_str(), static_cast<unsigned long long>(c.offset));
  }
}

void print_text(const Report& r) {
  const auto& s = r.elf;
  const auto& h = s.header;
  std::printf("%s:\n", elf::printable(r.path).c_str());
  if (r.compression != compression::Format::kNone)
    std::printf("  compression: %s, %llu bytes (decompressed: %llu)\n", compression::format_name(r.compression),
                static_cast<unsigned long long>(r.file_size), static_cast<unsigned long long>(s.file_size));
  if (r.kernel && r.kernel->boot) {
    const auto& b = *r.kernel->boot;
    std::printf("  bzImage:     boot protocol %u.%02u, %s payload at %#llx (%u bytes), vmlinux %llu bytes\n", b.version >> 8,
                b.version & 0xff, compression::format_name(r.kernel->payload_compression),
                static_cast<unsigned long long>(b.payload_file_offset), b.payload_length,
                static_cast<unsigned long long>(r.kernel->vmlinux_size));
    std::printf("  version:     %s\n", b.kernel_version.empty() ? "(none)" : elf::printable(b.kernel_version).c_str());
  }
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
  if (r.kernel) print_kernel(*r.kernel);
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
    if (json) objects.push_back(json_report(*r, "  "));
    else print_text(*r);
  }
  // One shape however many FILEs: an array with one object per file that could be read.
  if (json) {
    std::string out = "[";
    for (size_t i = 0; i < objects.size(); ++i) out += (i ? ",\n  " : "\n  ") + objects[i];
    std::printf("%s%s]\n", out.c_str(), objects.empty() ? "" : "\n");
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "elfhash: inspect: cannot write output\n");
    return kExitError;
  }
  if (error) return kExitError;
  return all_verified ? kExitOk : kExitNegative;
}

}  // namespace elfhash::cli
