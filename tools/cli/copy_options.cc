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
  const bool objcopy = tool == CopyTool::kObjcopy, strip = tool == CopyTool::kStrip;
  if (m({"-R", "--remove-section"})) {
    a.copy.remove_sections.add(v);
  } else if (objcopy && m({"-j", "--only-section"})) {
    a.copy.only_sections.add(v);
  } else if (m({"-N", "--strip-symbol"})) {
    a.copy.strip_symbols.push_back(v);
  } else if (m({"--strip-unneeded-symbol"})) {
    a.copy.strip_unneeded_symbols.push_back(v);
  } else if (objcopy && m({"--set-section-flags"})) {
    auto eq = v.find('=');
    if (eq == std::string::npos || eq == 0) return fail(fmt::format("bad --set-section-flags '{}': expected SECTION=FLAGS", v));
    uint32_t flags;
    std::string bad;
    if (!elf::parse_section_flags(v.substr(eq + 1), &flags, &bad))
      return fail(fmt::format("unrecognized section flag '{}' in --set-section-flags", bad));
    a.copy.set_flags.emplace_back(v.substr(0, eq), flags);
  } else if (objcopy && m({"--add-section"})) {
    if (!split_eq(v, a.copy.add_sections.emplace_back())) return fail(fmt::format("bad --add-section '{}': expected SECTION=FILE", v));
  } else if (objcopy && m({"--update-section"})) {
    if (!split_eq(v, a.copy.update_sections.emplace_back())) return fail(fmt::format("bad --update-section '{}': expected SECTION=FILE", v));
  } else if (objcopy && m({"--dump-section"})) {
    if (!split_eq(v, a.copy.dump_sections.emplace_back())) return fail(fmt::format("bad --dump-section '{}': expected SECTION=FILE", v));
  } else if (objcopy && m({"-O", "--output-target"})) {
    if (v != "binary") return fail(fmt::format("unsupported output target '{}' (only 'binary'; ELF output keeps the input's format)", v));
    a.format = elf::OutputFormat::kBinary;
  } else if (strip && m({"-o"})) {
    a.output = v;
  } else if (strip && m({"-j", "--jobs"})) {
    if (!parse_count(v, a.jobs)) return fail(fmt::format("bad job count '{}'", v));
  } else if (missing) {
    return fail(fmt::format("option '{}' requires an argument", argv[i]));
  } else {
    return ValueOpt::kNotMine;
  }
  return ValueOpt::kDone;
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
    std::string error;
    switch (value_option(tool, argc, argv, i, a, error)) {
      case ValueOpt::kNotMine: return fmt::format("unrecognized or unsupported option '{}'", arg);
      case ValueOpt::kError: return error;
      case ValueOpt::kDone: break;
    }
  }
  return "";
}

}  // namespace elfhash::cli
