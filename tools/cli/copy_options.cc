#include "tools/cli/copy_options.h"

#include <fmt/core.h>

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

// Options with a value; returns "" when handled, an error text, or "no" when `argv[i]` is not one.
std::string value_option(CopyTool tool, int argc, char** argv, int& i, ParsedCopyArgs& a) {
  std::string v;
  auto m = [&](std::initializer_list<std::string_view> names) {
    OptMatch r = match_value(argc, argv, i, names, v);
    if (r == OptMatch::kMissingValue) throw std::string(fmt::format("option '{}' requires an argument", argv[i]));
    return r == OptMatch::kYes;
  };
  try {
    if (m({"-R", "--remove-section"})) {
      a.copy.remove_sections.add(v);
    } else if (tool == CopyTool::kObjcopy && m({"-j", "--only-section"})) {
      a.copy.only_sections.add(v);
    } else if (m({"-N", "--strip-symbol"})) {
      a.copy.strip_symbols.push_back(v);
    } else if (m({"--strip-unneeded-symbol"})) {
      a.copy.strip_unneeded_symbols.push_back(v);
    } else if (tool == CopyTool::kObjcopy && m({"--set-section-flags"})) {
      auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) return fmt::format("bad --set-section-flags '{}': expected SECTION=FLAGS", v);
      uint32_t flags;
      std::string bad;
      if (!elf::parse_section_flags(v.substr(eq + 1), &flags, &bad))
        return fmt::format("unrecognized section flag '{}' in --set-section-flags", bad);
      a.copy.set_flags.emplace_back(v.substr(0, eq), flags);
    } else if (tool == CopyTool::kObjcopy && m({"--add-section"})) {
      if (!split_eq(v, a.copy.add_sections.emplace_back())) return fmt::format("bad --add-section '{}': expected SECTION=FILE", v);
    } else if (tool == CopyTool::kObjcopy && m({"--update-section"})) {
      if (!split_eq(v, a.copy.update_sections.emplace_back())) return fmt::format("bad --update-section '{}': expected SECTION=FILE", v);
    } else if (tool == CopyTool::kObjcopy && m({"--dump-section"})) {
      if (!split_eq(v, a.copy.dump_sections.emplace_back())) return fmt::format("bad --dump-section '{}': expected SECTION=FILE", v);
    } else if (tool == CopyTool::kObjcopy && m({"-O", "--output-target"})) {
      if (v != "binary") return fmt::format("unsupported output target '{}' (only 'binary'; ELF output keeps the input's format)", v);
      a.format = elf::OutputFormat::kBinary;
    } else if (tool == CopyTool::kStrip && m({"-o"})) {
      a.output = v;
    } else if (tool == CopyTool::kStrip && m({"-j", "--jobs"})) {
      if (!parse_count(v, a.jobs)) return fmt::format("bad job count '{}'", v);
    } else {
      return "no";
    }
  } catch (const std::string& e) {
    return e;
  }
  return "";
}

bool flag_option(CopyTool tool, std::string_view arg, ParsedCopyArgs& a) {
  if (arg == "-w" || arg == "--wildcard") {
    a.copy.wildcard = true;
  } else if (arg == "-g" || arg == "--strip-debug" || (tool == CopyTool::kStrip && (arg == "-S" || arg == "-d"))) {
    a.copy.strip = elf::StripMode::kDebug;
  } else if (arg == "--strip-unneeded") {
    a.copy.strip = elf::StripMode::kUnneeded;
  } else if (tool == CopyTool::kStrip && arg == "--drop-trailer") {
    a.drop_trailer = true;
  } else if (arg == "--fsync") {
    a.fsync = true;
  } else {
    return false;
  }
  return true;
}

}  // namespace

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
    std::string r = value_option(tool, argc, argv, i, a);
    if (r == "no") return fmt::format("unrecognized or unsupported option '{}'", arg);
    if (!r.empty()) return r;
  }
  return "";
}

}  // namespace elfhash::cli
