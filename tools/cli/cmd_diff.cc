// elfhash diff A B: ELF-aware comparison (docs/diff.md). Exit 0 equivalent, 1 different, 2 error.
#include <fmt/core.h>

#include <array>
#include <charconv>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "elf/compare.h"
#include "elf/reader.h"
#include "tools/cli/commands.h"
#include "tools/cli/common.h"

namespace elfhash::cli {
namespace {

constexpr const char* kUsage =
    "usage: elfhash diff [--json] [--ignore-trailer] [--max N] [--quiet] A B\n"
    "  Compares two ELF files semantically, ignoring file layout (section offsets, padding,\n"
    "  string table order, section and symbol numbering). Exit 0 equivalent, 1 different, 2 error.\n"
    "  --json            print {\"equivalent\": ..., \"differences\": [...]} instead of text\n"
    "  --ignore-trailer  do not compare module signature / Merkle trailers (ELF parts still are)\n"
    "  --max N           stop after N differences (default 100, 0 = no limit)\n"
    "  --quiet           print nothing; only the exit status\n";

struct Args {
  bool json = false, quiet = false;
  elf::CompareOptions opts;
  std::string a, b;
};

// --max accepts 0 (no limit), unlike parse_count().
bool parse_max(std::string_view s, size_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Returns -1 when parsing succeeded, else the exit code.
int parse_args(int argc, char** argv, Args& args) {
  std::string max;
  bool help = false;
  std::vector<std::string> files;
  std::vector<Opt> opts = {{{"--json"}, nullptr, &args.json},
                           {{"--quiet", "-q"}, nullptr, &args.quiet},
                           {{"--ignore-trailer"}, nullptr, &args.opts.ignore_trailer},
                           {{"--max"}, &max, nullptr}};
  if (auto e = parse_options(argc, argv, opts, files, help)) return usage_error("diff", *e);
  if (help) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!max.empty() && !parse_max(max, args.opts.max_differences))
    return usage_error("diff", fmt::format("bad --max value '{}'", max));
  if (files.size() != 2) return usage_error("diff", "expected two files A B");
  args.a = files[0];
  args.b = files[1];
  return -1;
}

std::string text_line(const elf::Difference& d) {
  std::string at = d.offset == kNoOffset ? "" : fmt::format(" at offset {:#x}", d.offset);
  return fmt::format("{} {}: {}{}: {} -> {}", elf::category_name(d.category), d.key, d.field, at, d.a, d.b);
}

std::string summary(const Args& args, const elf::Comparison& c) {
  if (c.equivalent())
    return fmt::format("{} {}: equivalent{}", args.a, args.b, c.byte_identical ? " (ELF images byte-identical)" : "");
  std::array<size_t, elf::kDiffCategoryCount> counts{};
  for (const auto& d : c.differences) ++counts[static_cast<size_t>(d.category)];
  std::string by;
  for (int k = 0; k < elf::kDiffCategoryCount; ++k) {
    if (!counts[k]) continue;
    if (!by.empty()) by += ", ";
    by += fmt::format("{} {}", elf::category_name(static_cast<elf::DiffCategory>(k)), counts[k]);
  }
  if (c.truncated)
    return fmt::format("{} {}: differ; stopped after {} differences ({}); --max 0 shows all", args.a, args.b,
                       c.differences.size(), by);
  return fmt::format("{} {}: differ: {} difference{} ({})", args.a, args.b, c.differences.size(),
                     c.differences.size() == 1 ? "" : "s", by);
}

const char* jbool(bool v) { return v ? "true" : "false"; }

void print_json(const Args& args, const elf::Comparison& c) {
  std::string out = "{";
  out += fmt::format("\"a\": {}, \"b\": {}, ", json_string(args.a), json_string(args.b));
  out += fmt::format("\"equivalent\": {}, \"byte_identical\": {}, \"truncated\": {}, \"differences\": [",
                     jbool(c.equivalent()), jbool(c.byte_identical), jbool(c.truncated));
  for (size_t i = 0; i < c.differences.size(); ++i) {
    const auto& d = c.differences[i];
    out += i ? ",\n  {" : "\n  {";
    out += fmt::format("\"category\": {}, \"key\": {}, \"field\": {}, \"a\": {}, \"b\": {}",
                       json_string(elf::category_name(d.category)), json_string(d.key), json_string(d.field),
                       json_string(d.a), json_string(d.b));
    if (d.offset != kNoOffset) out += fmt::format(", \"offset\": {}", d.offset);
    out += "}";
  }
  out += c.differences.empty() ? "]}\n" : "\n]}\n";
  std::fputs(out.c_str(), stdout);
}

}  // namespace

int cmd_diff(int argc, char** argv) {
  Args args;
  if (int rc = parse_args(argc, argv, args); rc >= 0) return rc;
  auto a = elf::ElfFile::open(args.a);
  if (!a.ok()) return report(a.error(), kExitError);
  auto b = elf::ElfFile::open(args.b);
  if (!b.ok()) return report(b.error(), kExitError);
  auto c = elf::compare_elf(*a, *b, args.opts);
  if (!c.ok()) return report(c.error(), kExitError);
  if (!args.quiet) {
    if (args.json) {
      print_json(args, *c);
    } else {
      for (const auto& d : c->differences) std::printf("%s\n", text_line(d).c_str());
      std::printf("%s\n", summary(args, *c).c_str());
    }
  }
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "elfhash: diff: cannot write output\n");
    return kExitError;
  }
  return c->equivalent() ? kExitOk : kExitNegative;
}

}  // namespace elfhash::cli
