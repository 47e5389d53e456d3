#include "tools/cli/copy_options.h"

#include <fmt/core.h>

#include <fcntl.h>
#include <strings.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>

#include "elf/archive.h"
#include "elf/atomic_file.h"
#include "elf/reader.h"
#include "elf/small_file.h"
#include "merkle/modsig/trailer.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

bool split_eq(const std::string& v, elf::SectionFile& out) {
  auto eq = v.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) return false;
  out.section = v.substr(0, eq);
  out.file = v.substr(eq + 1);
  return true;
}

bool parse_u64(std::string_view v, uint64_t& out) {
  int base = 10;
  if (v.starts_with("0x") || v.starts_with("0X")) {
    v.remove_prefix(2);
    base = 16;
  }
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out, base);
  return ec == std::errc() && end == v.data() + v.size() && !v.empty();
}

// C's atoi, which binutils uses for these counts: blanks, a sign, digits; the rest ignored.
int gnu_atoi(std::string_view v) {
  size_t i = 0;
  while (i < v.size() && (v[i] == ' ' || (v[i] >= '\t' && v[i] <= '\r'))) ++i;
  bool neg = false;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) neg = v[i++] == '-';
  int64_t n = 0;
  for (; i < v.size() && v[i] >= '0' && v[i] <= '9' && n < (int64_t{1} << 40); ++i) n = n * 10 + (v[i] - '0');
  n = std::min<int64_t>(n, INT32_MAX);
  return static_cast<int>(neg ? -n : n);
}

// -I binary (objcopy): matched before the other -I/-F spellings so that "binary" does not become a
// target name checked against an ELF input. -F binary names both targets and stays a target.
bool v_is_binary_input(int argc, char** argv, int i) {
  const std::string_view a = argv[i];
  if (a == "-Ibinary" || a == "--input-target=binary") return true;
  return (a == "-I" || a == "--input-target") && i + 1 < argc && std::string_view(argv[i + 1]) == "binary";
}

// binutils parse_vma (bfd_scan_vma, base 0): 0x hex, a leading 0 octal, else decimal; nothing after.
bool parse_vma(std::string_view v, uint64_t& out) {
  if (v.size() > 1 && v[0] == '0' && v[1] != 'x' && v[1] != 'X') {
    auto [end, ec] = std::from_chars(v.data() + 1, v.data() + v.size(), out, 8);
    return ec == std::errc() && end == v.data() + v.size();
  }
  return parse_u64(v, out);
}

// --change-section-address/-lma/-vma SECTION{=,+,-}VALUE (binutils copy_main): the section name ends
// at the first '=', else the first '+', else the first '-'; one list entry per distinct name, which a
// later option extends; setting and then altering the same address is an error.
std::string add_address_change(elf::CopyOptions& c, std::string_view option, std::string_view v) {
  using AC = elf::CopyOptions::AddressChange;
  const bool vma = option != "--change-section-lma", lma = option != "--change-section-vma";
  size_t at = v.find('=');
  const bool set = at != std::string_view::npos;
  if (!set) at = v.find('+');
  if (at == std::string_view::npos) at = v.find('-');
  if (at == std::string_view::npos) return fmt::format("bad format for {}", option);
  uint64_t val = 0;
  if (!parse_vma(v.substr(at + 1), val)) return fmt::format("{}: bad value '{}'", option, v.substr(at + 1));
  if (v[at] == '-') val = uint64_t{0} - val;
  const std::string name(v.substr(0, at));
  auto it = std::find_if(c.address_changes.begin(), c.address_changes.end(), [&](const AC& a) { return a.pattern == name; });
  if (it == c.address_changes.end()) it = c.address_changes.insert(c.address_changes.end(), AC{name});
  uint32_t ctx = 0;
  if (vma) ctx |= set ? AC::kSetVma : AC::kAlterVma;
  if (lma) ctx |= set ? AC::kSetLma : AC::kAlterLma;
  if ((it->context & AC::kSetVma) && (ctx & AC::kAlterVma)) return fmt::format("error: {} both sets and alters VMA", name);
  if ((it->context & AC::kSetLma) && (ctx & AC::kAlterLma)) return fmt::format("error: {} both sets and alters LMA", name);
  it->context |= ctx;
  if (vma) it->vma = val;
  if (lma) it->lma = val;
  return "";
}

// --set-section-flags/--rename-section flag lists (binutils parse_flags).
std::string parse_flags(const std::string& text, const char* option, uint32_t& flags) {
  std::string bad;
  if (!elf::parse_section_flags(text, &flags, &bad)) return fmt::format("unrecognized section flag '{}' in {}", bad, option);
  return "";
}

// A symbol list file of --strip-symbols, --keep-symbols, --localize-symbols, ... (binutils
// add_specific_symbols): one name per line, leading and trailing blanks ignored, '#' starts a
// comment, an empty line is skipped; a second word on a line is ignored (GNU warns). GNU exits 1 for
// an empty or missing file after writing its output; elfhash refuses it before writing anything.
std::string read_symbol_list(const std::string& path, const char* option, std::vector<std::string>& out) {
  auto bytes = read_regular_file(path);
  if (!bytes.ok()) return fmt::format("{}: {}", option, bytes.error().str());
  if (bytes->empty()) return fmt::format("{}: '{}' is empty", option, path);
  std::string_view text(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty()) {
    size_t eol = text.find_first_of("\r\n");
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    line = line.substr(0, line.find('#'));
    size_t b = 0;
    while (b < line.size() && blank(line[b])) ++b;
    size_t e = b;
    while (e < line.size() && !blank(line[e])) ++e;
    if (e > b) out.emplace_back(line.substr(b, e - b));
  }
  return "";
}

// --redefine-sym OLD=NEW and the lines of --redefine-syms FILE (binutils add_redefine_and_check): a
// name redefined twice, or two names given the same new name, is an error.
std::string add_redefinition(elf::CopyOptions& c, const std::string& cause, std::string from, std::string to) {
  for (const auto& [f, t] : c.redefine_symbols) {
    if (f == from) return fmt::format("{}: Multiple redefinition of symbol \"{}\"", cause, from);
    if (t == to) return fmt::format("{}: Symbol \"{}\" is target of more than one redefinition", cause, to);
  }
  c.redefine_symbols.emplace_back(std::move(from), std::move(to));
  return "";
}

// --redefine-syms FILE: binutils add_redefine_syms_file's scanner, step for step, since its rules are
// not the obvious ones: "OLD NEW" with OLD in the first column, blanks (space, tab) between and
// after, '#' starts a comment; an empty line, a line with one name, leading blanks before a pair, a
// third word and a last line without its newline are errors.
std::string read_redefine_file(const std::string& path, elf::CopyOptions& c) {
  auto bytes = read_regular_file(path);
  if (!bytes.ok()) return fmt::format("--redefine-syms: {}", bytes.error().str());
  const std::vector<uint8_t>& text = *bytes;
  constexpr int kEof = -1;
  size_t pos = 0;
  auto next = [&] { return pos < text.size() ? int{text[pos++]} : kEof; };
  auto blank = [](int ch) { return ch == ' ' || ch == '\t'; };
  auto terminator = [](int ch) { return ch == '\n' || ch == '\r' || ch == '\0'; };
  std::string buf;  // OLD NUL NEW NUL, as binutils' buffer
  size_t new_at = 0;
  int lineno = 1, ch = next();
  // A name up to a blank, a line end or EOF; false when a '#' cut it short (a comment follows).
  auto name = [&] {
    while (!blank(ch) && !terminator(ch) && ch != kEof) {
      if (ch == '#') return false;
      buf.push_back(static_cast<char>(ch));
      ch = next();
    }
    buf.push_back('\0');
    return true;
  };
  while (ch != kEof) {
    bool comment = !name();
    if (!comment) {
      if (ch == kEof) break;
      while (blank(ch)) ch = next();
      comment = ch == '#' || terminator(ch);
      if (!comment) {
        new_at = buf.size();
        comment = !name();
        if (!comment) {
          if (ch == kEof) break;
          while (!terminator(ch) && ch != kEof && blank(ch)) ch = next();
          comment = ch == '#';
          if (!comment && !((ch == '\r' && (ch = next()) == '\n') || ch == '\n' || ch == kEof))
            return fmt::format("{}:{}: garbage found at end of line", path, lineno);
        }
      }
    }
    if (comment) {
      if (!buf.empty() && (new_at == 0 || new_at == buf.size()))
        return fmt::format("{}:{}: missing new symbol name", path, lineno);
      buf.push_back('\0');
      while (ch != '\n' && ch != kEof) ch = next();
    }
    if (buf[0] != '\0')
      if (auto e = add_redefinition(c, path, buf.c_str(), buf.c_str() + new_at); !e.empty()) return e;
    ++lineno;
    buf.clear();
    new_at = 0;
    if (ch == kEof) break;
    ch = next();
  }
  if (!buf.empty()) return fmt::format("{}:{}: premature end of file", path, lineno);
  return "";
}

// --add-symbol NAME=[SECTION:]VALUE[,FLAGS] (binutils copy_main OPTION_ADD_SYMBOL, parse_symflags):
// VALUE is read by strtol(..., 0) as GNU reads it (a sign, 0x, a leading 0 for octal; reading stops
// at the first other character); FLAGS are matched case-insensitively. The flags that change how BFD
// writes or orders the symbol in ways elfhash does not model are refused.
std::string parse_add_symbol(const std::string& v, elf::CopyOptions& c) {
  using A = elf::CopyOptions::AddSymbol;
  auto eq = v.find('=');
  if (eq == std::string::npos) return "bad format for --add-symbol";
  A a;
  a.name = v.substr(0, eq);
  size_t colon = v.find(':', eq + 1), value_at = eq + 1;
  if (colon != std::string::npos) {
    a.section = v.substr(eq + 1, colon - eq - 1);
    value_at = colon + 1;
  }
  a.value = static_cast<uint64_t>(std::strtol(v.c_str() + value_at, nullptr, 0));
  size_t comma = v.find(',', colon != std::string::npos ? colon + 1 : eq + 1);
  if (comma == std::string::npos) {
    c.add_symbols.push_back(std::move(a));
    return "";
  }
  a.flags = 0;
  std::string_view rest = std::string_view(v).substr(comma + 1);
  for (;;) {
    size_t next = rest.find(',');
    std::string_view w = rest.substr(0, next);
    auto is = [&](std::string_view n) { return w.size() == n.size() && strncasecmp(w.data(), n.data(), n.size()) == 0; };
    if (is("local")) a.flags |= A::kLocal;
    else if (is("global") || is("export")) a.flags |= A::kGlobal;  // BSF_EXPORT is BSF_GLOBAL
    else if (is("weak")) a.flags |= A::kWeak;
    else if (is("function")) a.flags |= A::kFunction;
    else if (is("object")) a.flags |= A::kObject;
    else if (is("indirect-function")) a.flags |= A::kIfunc | A::kFunction;
    else if (is("unique-object")) a.flags |= A::kUnique | A::kObject;
    else if (is("file")) a.flags |= A::kFile;
    else if (is("debug") || is("section") || is("constructor") || is("warning") || is("indirect") ||
             is("synthetic") || (w.size() >= 7 && strncasecmp(w.data(), "before=", 7) == 0))
      return fmt::format("option '--add-symbol' with flag '{}' is not supported (see docs/cli.md)", w);
    else
      return fmt::format("unrecognized symbol flag `{}'", w);
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  c.add_symbols.push_back(std::move(a));
  return "";
}

// Options binutils 2.40 has that elfhash refuses (exit 2) rather than approximate: each would change
// the output in a way elfhash cannot yet reproduce byte for byte.
constexpr std::string_view kRefused[] = {
    "--compress-debug-sections", "--extract-symbol",
    "--keep-section-symbols", "--debugging",
    "--change-leading-char", "--remove-leading-char", "--strip-section-headers", "--impure", "--pure", "--readonly-text", "--writable-text",
    "--prefix-sections",
    "--file-alignment", "--heap", "--image-base", "--section-alignment", "--stack", "--subsystem",
    "--set-section-flags-from", "--info",
};

// What value_option made of argv[i]: not one of its options, handled, or an error (in `error`).
enum class ValueOpt { kNotMine, kDone, kError };

// Options with a value. A matched option without its value is an error value, like every other
// problem here (no exceptions as control flow).
ValueOpt value_option(CopyTool tool, int argc, char** argv, int& i, ParsedCopyArgs& a, std::string& error) {
  std::string v;
  bool missing = false;
  auto m = [&](std::initializer_list<std::string_view> names) {
    if (missing) return false;
    OptMatch r = match_value(argc, argv, i, names, v);
    missing = r == OptMatch::kMissingValue;
    return r == OptMatch::kYes;
  };
  auto fail = [&](std::string msg) {
    error = std::move(msg);
    return ValueOpt::kError;
  };
  if (m({"-R", "--remove-section"})) {
    a.copy.remove_sections.add(v);
  } else if (tool == CopyTool::kObjcopy && m({"-j", "--only-section"})) {
    a.copy.only_sections.add(v);
  } else if (m({"-N", "--strip-symbol"})) {
    a.copy.strip_symbols.push_back(v);
  } else if (m({"--strip-unneeded-symbol"})) {
    a.copy.strip_unneeded_symbols.push_back(v);
  } else if (m({"-K", "--keep-symbol"})) {
    a.copy.keep_symbols.push_back(v);
  } else if (tool == CopyTool::kObjcopy && m({"-L", "--localize-symbol"})) {
    a.copy.localize_symbols.push_back(v);
  } else if (tool == CopyTool::kObjcopy && m({"--globalize-symbol"})) {
    a.copy.globalize_symbols.push_back(v);
  } else if (tool == CopyTool::kObjcopy && m({"-W", "--weaken-symbol"})) {
    a.copy.weaken_symbols.push_back(v);
  } else if (tool == CopyTool::kObjcopy && m({"-G", "--keep-global-symbol"})) {
    a.copy.keep_global_symbols.push_back(v);
  } else if (tool == CopyTool::kObjcopy && m({"--elf-stt-common"})) {
    if (strcasecmp(v.c_str(), "yes") == 0) a.copy.stt_common = elf::CopyOptions::SttCommon::kYes;
    else if (strcasecmp(v.c_str(), "no") == 0) a.copy.stt_common = elf::CopyOptions::SttCommon::kNo;
    else return fail(fmt::format("unrecognized --elf-stt-common= option `{}'", v));
  } else if (tool == CopyTool::kObjcopy && m({"--add-symbol"})) {
    if (auto e = parse_add_symbol(v, a.copy); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--redefine-sym"})) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size()) return fail("bad format for --redefine-sym");
    if (auto e = add_redefinition(a.copy, "--redefine-sym", v.substr(0, eq), v.substr(eq + 1)); !e.empty())
      return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--redefine-syms"})) {
    if (auto e = read_redefine_file(v, a.copy); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--strip-symbols"})) {
    if (auto e = read_symbol_list(v, "--strip-symbols", a.copy.strip_symbols); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--strip-unneeded-symbols"})) {
    if (auto e = read_symbol_list(v, "--strip-unneeded-symbols", a.copy.strip_unneeded_symbols); !e.empty())
      return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--keep-symbols"})) {
    if (auto e = read_symbol_list(v, "--keep-symbols", a.copy.keep_symbols); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--localize-symbols"})) {
    if (auto e = read_symbol_list(v, "--localize-symbols", a.copy.localize_symbols); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--globalize-symbols"})) {
    if (auto e = read_symbol_list(v, "--globalize-symbols", a.copy.globalize_symbols); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--weaken-symbols"})) {
    if (auto e = read_symbol_list(v, "--weaken-symbols", a.copy.weaken_symbols); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--keep-global-symbols"})) {
    if (auto e = read_symbol_list(v, "--keep-global-symbols", a.copy.keep_global_symbols); !e.empty())
      return fail(e);
  } else if (m({"--keep-section"})) {
    a.copy.keep_sections.add(v);
  } else if (m({"--remove-relocations"})) {
    a.copy.remove_relocations.add(v);
  } else if (tool == CopyTool::kObjcopy && v_is_binary_input(argc, argv, i)) {
    // -I binary / --input-target=binary: raw bytes in (image outputs only)
    if (std::string_view(argv[i]) == "-I" || std::string_view(argv[i]) == "--input-target") ++i;
    a.binary_input = true;
  } else if (tool == CopyTool::kObjcopy &&
             (std::string_view(argv[i]) == "--interleave" || std::string_view(argv[i]).starts_with("--interleave="))) {
    // binutils: an optional argument, attached only ("--interleave 8" leaves 8 as a file name)
    const std::string_view arg = argv[i];
    a.image.interleave = arg == "--interleave" ? 4 : gnu_atoi(arg.substr(13));
    if (a.image.interleave < 1) return fail("interleave must be positive");
  } else if (m({"-I", "--input-target", "-F", "--target"})) {
    a.targets.push_back(v);  // checked against the input (check_targets)
  } else if (tool == CopyTool::kObjcopy && m({"-B", "--binary-architecture"})) {
    a.binary_arch = v;
  } else if (tool == CopyTool::kObjcopy && m({"--reverse-bytes"})) {
    const int n = gnu_atoi(v);
    if (n <= 0 || n % 2 != 0) return fail("number of bytes to reverse must be positive and even");
    a.reverse_bytes = static_cast<unsigned>(n);  // a later value wins (binutils warns)
  } else if (tool == CopyTool::kObjcopy && m({"-i"})) {
    a.image.interleave = gnu_atoi(v);
    if (a.image.interleave < 1) return fail("interleave must be positive");
  } else if (tool == CopyTool::kObjcopy && m({"-b", "--byte"})) {
    a.image.copy_byte = gnu_atoi(v);
    if (a.image.copy_byte < 0) return fail("byte number must be non-negative");
  } else if (tool == CopyTool::kObjcopy && m({"--interleave-width"})) {
    a.image.copy_width = gnu_atoi(v);
    if (a.image.copy_width < 1) return fail("interleave width must be positive");
  } else if (tool == CopyTool::kObjcopy && m({"--set-section-flags"})) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) return fail(fmt::format("bad --set-section-flags '{}': expected SECTION=FLAGS", v));
    uint32_t flags;
    if (auto e = parse_flags(v.substr(eq + 1), "--set-section-flags", flags); !e.empty()) return fail(e);
    a.copy.set_flags.emplace_back(v.substr(0, eq), flags);
  } else if (tool == CopyTool::kObjcopy && m({"--rename-section"})) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
      return fail(fmt::format("bad --rename-section '{}': expected OLD=NEW[,FLAGS]", v));
    elf::CopyOptions::Rename r;
    r.from = v.substr(0, eq);
    std::string rest = v.substr(eq + 1);
    if (auto comma = rest.find(','); comma != std::string::npos) {
      if (auto e = parse_flags(rest.substr(comma + 1), "--rename-section", r.flags); !e.empty()) return fail(e);
      r.has_flags = true;
      rest.resize(comma);
    }
    r.to = rest;
    a.copy.rename_sections.push_back(std::move(r));
  } else if (tool == CopyTool::kObjcopy && m({"--prefix-symbols"})) {
    a.copy.prefix_symbols = v;
  } else if (tool == CopyTool::kObjcopy && m({"--prefix-alloc-sections"})) {
    a.copy.prefix_alloc_sections = v;
  } else if (tool == CopyTool::kObjcopy && m({"--set-section-alignment"})) {
    auto eq = v.find('=');
    uint64_t align = 0;
    // binutils: the alignment is a power of two in bytes, stored as its exponent.
    if (eq == std::string::npos || eq == 0 || !parse_u64(v.substr(eq + 1), align) || align == 0 || (align & (align - 1)))
      return fail(fmt::format("bad --set-section-alignment '{}': expected SECTION=ALIGN, ALIGN a power of two", v));
    a.copy.set_alignment.emplace_back(v.substr(0, eq), align);
  } else if (tool == CopyTool::kObjcopy && m({"--add-gnu-debuglink"})) {
    a.copy.gnu_debuglink = v;
  } else if (tool == CopyTool::kObjcopy && m({"--pad-to"})) {
    if (!parse_vma(v, a.image.pad_to)) return fail(fmt::format("bad --pad-to address '{}'", v));
    a.has_pad_to = true;
  } else if (tool == CopyTool::kObjcopy && m({"--verilog-data-width"})) {
    uint64_t w = 0;
    if (!parse_vma(v, w) || (w != 1 && w != 2 && w != 4 && w != 8 && w != 16))
      return fail("error: verilog data width must be 1, 2, 4, 8 or 16");
    a.image.verilog_width = static_cast<unsigned>(w);
  } else if (tool == CopyTool::kObjcopy && m({"--gap-fill"})) {
    uint64_t fill = 0;
    if (!parse_vma(v, fill)) return fail(fmt::format("bad --gap-fill value '{}'", v));
    a.image.gap_fill = static_cast<uint8_t>(fill);  // binutils keeps the low byte (and warns)

  } else if (tool == CopyTool::kObjcopy && m({"--add-section"})) {
    if (!split_eq(v, a.copy.add_sections.emplace_back())) return fail(fmt::format("bad --add-section '{}': expected SECTION=FILE", v));
  } else if (tool == CopyTool::kObjcopy && m({"--update-section"})) {
    if (!split_eq(v, a.copy.update_sections.emplace_back())) return fail(fmt::format("bad --update-section '{}': expected SECTION=FILE", v));
  } else if (tool == CopyTool::kObjcopy && m({"--dump-section"})) {
    if (!split_eq(v, a.copy.dump_sections.emplace_back())) return fail(fmt::format("bad --dump-section '{}': expected SECTION=FILE", v));
  } else if (m({"-O", "--output-target"})) {
    if (tool == CopyTool::kObjcopy && v == "binary")
      a.format = elf::OutputFormat::kBinary;
    else if (tool == CopyTool::kObjcopy && v == "srec")
      a.format = elf::OutputFormat::kSrec;
    else if (tool == CopyTool::kObjcopy && v == "ihex")
      a.format = elf::OutputFormat::kIhex;
    else if (tool == CopyTool::kObjcopy && v == "verilog")
      a.format = elf::OutputFormat::kVerilog;
    else
      a.targets.push_back(v);
  } else if (tool == CopyTool::kObjcopy && m({"--srec-len"})) {
    uint64_t n = 0;
    if (!parse_vma(v, n)) return fail(fmt::format("bad --srec-len '{}'", v));
    a.image.srec.record_len = static_cast<unsigned>(std::min<uint64_t>(n, 0xff));
  } else if (tool == CopyTool::kObjcopy && m({"--change-addresses", "--adjust-vma"})) {
    if (!parse_vma(v, a.copy.change_addresses)) return fail(fmt::format("bad address '{}'", v));
    a.copy.change_start = a.copy.change_addresses;
  } else if (tool == CopyTool::kObjcopy && m({"--change-start", "--adjust-start"})) {
    if (!parse_vma(v, a.copy.change_start)) return fail(fmt::format("bad address '{}'", v));
  } else if (tool == CopyTool::kObjcopy && m({"--set-start"})) {
    uint64_t start = 0;
    if (!parse_vma(v, start)) return fail(fmt::format("bad address '{}'", v));
    a.copy.set_start = start;
  } else if (tool == CopyTool::kObjcopy && m({"--change-section-address", "--adjust-section-vma"})) {
    if (std::string e = add_address_change(a.copy, "--change-section-address", v); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--change-section-lma"})) {
    if (std::string e = add_address_change(a.copy, "--change-section-lma", v); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kObjcopy && m({"--change-section-vma"})) {
    if (std::string e = add_address_change(a.copy, "--change-section-vma", v); !e.empty()) return fail(e);
  } else if (tool == CopyTool::kStrip && m({"-o", "--output-file"})) {
    a.output = v;
  } else if (tool == CopyTool::kStrip && m({"-j", "--jobs"})) {
    if (!parse_count(v, a.jobs)) return fail(fmt::format("bad job count '{}'", v));
  } else if (missing) {
    return fail(fmt::format("option '{}' requires an argument", argv[i]));
  } else {
    return ValueOpt::kNotMine;
  }
  return ValueOpt::kDone;
}

bool flag_option(CopyTool tool, std::string_view arg, ParsedCopyArgs& a) {
  const bool strip = tool == CopyTool::kStrip;
  if (arg == "-w" || arg == "--wildcard") {
    a.copy.wildcard = true;
  } else if (arg == "-g" || arg == "--strip-debug" || (strip && (arg == "-S" || arg == "-d"))) {
    a.copy.strip = elf::StripMode::kDebug;
  } else if (arg == "--strip-unneeded") {
    a.copy.strip = elf::StripMode::kUnneeded;
  } else if (arg == "--strip-all" || arg == (strip ? "-s" : "-S")) {
    a.copy.strip = elf::StripMode::kAll;
  } else if (tool == CopyTool::kObjcopy && (arg == "--compress-debug-sections" || arg == "--compress-debug-sections=zlib" ||
             arg == "--compress-debug-sections=zlib-gabi")) {
    a.copy.compress = elf::CopyOptions::Compress::kZlib;
  } else if (tool == CopyTool::kObjcopy && arg == "--compress-debug-sections=zstd") {
    a.copy.compress = elf::CopyOptions::Compress::kZstd;
  } else if (arg == "--only-keep-debug") {
    a.copy.strip = elf::StripMode::kNonDebug;
  } else if (arg == "--strip-dwo") {
    a.copy.strip = elf::StripMode::kDwo;
  } else if (tool == CopyTool::kObjcopy && arg == "--extract-dwo") {
    a.copy.strip = elf::StripMode::kNonDwo;
  } else if (arg == "-x" || arg == "--discard-all") {
    a.copy.discard = elf::DiscardLocals::kAll;
  } else if (arg == "-X" || arg == "--discard-locals") {
    a.copy.discard = elf::DiscardLocals::kCompilerLabels;
  } else if (arg == "--keep-file-symbols") {
    a.copy.keep_file_symbols = true;
  } else if (arg == "-p" || arg == "--preserve-dates") {
    a.preserve_dates = true;
  } else if (!strip && arg == "--srec-forceS3") {
    a.image.srec.force_s3 = true;
  } else if (!strip && (arg == "--change-warnings" || arg == "--adjust-warnings" || arg == "--no-change-warnings" ||
                        arg == "--no-adjust-warnings")) {
    // binutils only warns (on stderr) about --change-section-* patterns that matched nothing
  } else if (arg == "-D" || arg == "--enable-deterministic-archives") {
    a.nondeterministic = false;  // Debian's binutils default, and elfhash's only archive layout
  } else if (arg == "-U" || arg == "--disable-deterministic-archives") {
    // Only archive member headers differ (GNU then stamps them with its temporary files' times
    // and owners); an ELF output is the same, an archive with -U is refused (copy_archive_file).
    a.nondeterministic = true;
  } else if (arg == "-v" || arg == "--verbose") {
    a.verbose = true;
  } else if (arg == "-V" || arg == "--version") {
    a.version = true;
  } else if (tool == CopyTool::kObjcopy && arg == "--decompress-debug-sections") {
    a.copy.decompress = true;
  } else if (arg == "-M" || arg == "--merge-notes") {
    a.copy.merge_notes = elf::CopyOptions::MergeNotes::kYes;
  } else if (arg == "--no-merge-notes") {
    a.copy.merge_notes = elf::CopyOptions::MergeNotes::kNo;
  } else if (tool == CopyTool::kObjcopy && arg == "--weaken") {
    a.copy.weaken = true;
  } else if (tool == CopyTool::kObjcopy && arg == "--localize-hidden") {
    a.copy.localize_hidden = true;
  } else if (arg == "--drop-trailer") {
    a.drop_trailer = true;
  } else if (arg == "--fsync") {
    a.fsync = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

std::string check_image_args(ParsedCopyArgs& a) {
  const elf::ImageOptions& img = a.image;
  // binutils copy_main's checks, in its order and words.
  if (img.interleave && img.copy_byte == -1) return "interleave start byte must be set with --byte";
  if (img.copy_byte >= img.interleave) return "byte number must be less than interleave";
  if (img.copy_width > img.interleave - img.copy_byte)
    return "interleave width must be less than or equal to interleave - byte`";
  const bool elf_out = a.format == elf::OutputFormat::kElf;
  // With ELF output binutils grows the sections themselves (and so rewrites an executable's segments).
  if ((a.has_pad_to || img.gap_fill) && elf_out)
    return "--pad-to and --gap-fill are supported with -O binary, srec, ihex and verilog only";
  if (!a.binary_arch.empty() && !a.binary_input) return "-B/--binary-architecture is supported with -I binary only";
  if (a.binary_input && elf_out) {
    if (a.targets.empty()) return "-I binary with ELF output needs the output target (-O elf64-x86-64, ...)";
    for (const auto& t : a.targets)
      if (t != a.targets.front()) return fmt::format("-I binary: two output targets '{}' and '{}'", a.targets.front(), t);
  }
  if (img.copy_byte >= 0 && !a.binary_input)
    return "-i/--interleave and -b/--byte are supported with -I binary only (binutils also shrinks an ELF "
           "file's sections and moves their addresses)";
  if (a.reverse_bytes && !a.binary_input) {
    const elf::CopyOptions& c = a.copy;
    if (c.compress != elf::CopyOptions::Compress::kNone || c.decompress ||
        c.merge_notes == elf::CopyOptions::MergeNotes::kYes || !c.update_sections.empty())
      return "--reverse-bytes with --compress/--decompress-debug-sections, -M or --update-section is not supported";
    a.copy.reverse_bytes = a.reverse_bytes;
  } else {
    a.image.reverse_bytes = a.reverse_bytes;
  }
  return "";
}

std::string parse_copy_args(CopyTool tool, int argc, char** argv, ParsedCopyArgs& a) {
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (only_positional || arg.empty() || arg[0] != '-' || arg == "-") {
      a.positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (is_help(arg)) {
      a.help = true;
      continue;
    }
    if (flag_option(tool, arg, a)) continue;
    std::string error;
    switch (value_option(tool, argc, argv, i, a, error)) {
      case ValueOpt::kNotMine: {
        std::string_view name = arg.substr(0, arg.find('='));
        for (auto k : kRefused)
          if (name == k) return fmt::format("option '{}' is not supported (by 'elfhash {}'; see docs/cli.md)", name,
                                            tool == CopyTool::kStrip ? "strip" : "objcopy");
        return fmt::format("unrecognized or unsupported option '{}'", arg);
      }
      case ValueOpt::kError: return error;
      case ValueOpt::kDone: break;
    }
  }
  // binutils copy_main: -G localizes every other global, which --globalize-symbol contradicts.
  if (!a.copy.keep_global_symbols.empty() && !a.copy.globalize_symbols.empty())
    return "--globalize-symbol(s) is incompatible with -G/--keep-global-symbol(s)";
  return "";
}

void apply_strip_default(ParsedCopyArgs& a) {
  using M = elf::CopyOptions::MergeNotes;
  // binutils strip_main: unless -M/--no-merge-notes says otherwise, strip merges the build-attribute
  // notes except when it strips only debugging information (-g, --strip-dwo); objcopy never does
  // by default (copy_main).
  if (a.copy.merge_notes == M::kDefault)
    a.copy.merge_notes = a.copy.strip == elf::StripMode::kDebug || a.copy.strip == elf::StripMode::kDwo ? M::kNo : M::kYes;
  if (a.copy.strip == elf::StripMode::kNone && a.copy.discard == elf::DiscardLocals::kUndef &&
      a.copy.strip_symbols.empty())
    a.copy.strip = elf::StripMode::kAll;
}

std::string gnu_target_name(const elf::ElfFile& f) {
  const bool is64 = f.is64(), le = f.endian() == elf::Endian::kLittle;
  switch (f.header().machine) {
    case 62:  // EM_X86_64
      return is64 ? "elf64-x86-64" : "elf32-x86-64";
    case 3:  // EM_386
      return "elf32-i386";
    case 183:  // EM_AARCH64
      return le ? "elf64-littleaarch64" : "elf64-bigaarch64";
    default: return fmt::format("elf{}-{}", is64 ? 64 : 32, le ? "little" : "big");
  }
}

Result<elf::ElfFile> check_input(const std::shared_ptr<MappedFile>& in, const ParsedCopyArgs& a, std::string* target) {
  const std::string& path = in->path();
  size_t image = in->bytes().size();
  if (merkle::has_trailer_marker(in->bytes())) {
    auto t = merkle::parse_trailer(in->bytes(), path);
    if (!t) return t.error();
    if (!a.drop_trailer)
      return make_error(path, t->image_size,
                        fmt::format("file ends in an appended module {} (\"~Module signature appended~\"); "
                                    "the output would lose it (use --drop-trailer to proceed without it)",
                                    merkle::trailer_kind_name(t->kind)));
    image = t->image_size;
  }
  EH_ASSIGN(auto elf, elf::ElfFile::parse(image == in->bytes().size() ? in : MappedFile::prefix(in, image)));
  *target = gnu_target_name(elf);
  for (const auto& t : a.targets)
    if (t != *target)
      return make_error(path, 0, fmt::format("target '{}' is not the input's format '{}': elfhash does not convert "
                                             "between ELF formats", t, *target));
  return elf;
}

Status copy_archive_file(const std::shared_ptr<MappedFile>& in, const std::string& out, const ParsedCopyArgs& a) {
  const std::string& path = in->path();
  auto refuse = [&](std::string_view what) {
    return make_error(path, 0, fmt::format("{} with an archive: elfhash does not support that", what));
  };
  if (a.nondeterministic) return refuse("-U/--disable-deterministic-archives (GNU stamps members with its temporary files' times)");
  if (a.verbose) return refuse("-v/--verbose");
  if (a.format != elf::OutputFormat::kElf) return refuse("-O binary");
  if (!a.targets.empty()) return refuse("-I/-O/-F");
  EH_ASSIGN(auto bytes, elf::copy_archive(in->bytes(), path, a.copy));
  EH_TRY(in->check_unchanged());
  EH_TRY(write_file_atomic(out, bytes, in->mode(), a.fsync));
  return finish_output(path, out, "", a, in->stat());  // -p (-v was refused above)
}

Status finish_output(const std::string& in, const std::string& out, const std::string& target,
                     const ParsedCopyArgs& a, const struct ::stat& in_stat) {
  if (a.preserve_dates) {
    // binutils set_times: the input's access and modification times on the output.
    const struct timespec times[2] = {in_stat.st_atim, in_stat.st_mtim};
    if (utimensat(AT_FDCWD, out.c_str(), times, 0) != 0)
      return make_error(out, kNoOffset, fmt::format("--preserve-dates: cannot set the times: {}", std::strerror(errno)));
  }
  if (a.verbose) std::printf("copy from `%s' [%s] to `%s' [%s]\n", in.c_str(), target.c_str(), out.c_str(), target.c_str());
  return ok_status();
}

void print_version(const char* tool) {
  std::printf("elfhash %s (elfhash %s, GNU Binutils compatible) 2.40\n"
              "elfhash: the objcopy/strip of GNU Binutils 2.40, byte for byte where it supports an option\n"
              "and a clear error where it does not (docs/cli.md).\n",
              tool, kElfhashVersion);
}

}  // namespace elfhash::cli
