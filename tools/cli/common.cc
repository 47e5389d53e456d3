#include "tools/cli/common.h"

#include <fmt/core.h>

#include <charconv>
#include <cstdio>

#include "tools/cli/commands.h"

namespace elfhash::cli {

int report(const Error& e, int code) {
  std::fprintf(stderr, "elfhash: %s\n", e.str().c_str());
  return code;
}

int usage_error(std::string_view cmd, std::string_view message) {
  std::fprintf(stderr, "elfhash: %.*s: %.*s (see 'elfhash %.*s --help')\n", int(cmd.size()), cmd.data(),
               int(message.size()), message.data(), int(cmd.size()), cmd.data());
  return kExitError;
}

bool is_help(std::string_view arg) { return arg == "--help" || arg == "-h"; }

OptMatch match_value(int argc, char** argv, int& i, std::initializer_list<std::string_view> names,
                     std::string& out) {
  return match_value(argc, argv, i, std::span<const std::string_view>(names.begin(), names.size()), out);
}

OptMatch match_value(int argc, char** argv, int& i, std::span<const std::string_view> names, std::string& out) {
  std::string_view arg = argv[i];
  for (std::string_view name : names) {
    if (arg == name) {
      if (i + 1 >= argc) return OptMatch::kMissingValue;
      out = argv[++i];
      return OptMatch::kYes;
    }
    bool is_long = name.size() > 2 && name.substr(0, 2) == "--";
    if (is_long && arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
      out = std::string(arg.substr(name.size() + 1));
      return OptMatch::kYes;
    }
    if (!is_long && name.size() == 2 && arg.size() > 2 && arg.substr(0, 2) == name) {
      out = std::string(arg.substr(2));
      return OptMatch::kYes;
    }
  }
  return OptMatch::kNo;
}

std::optional<std::string> parse_options(int argc, char** argv, const std::vector<Opt>& opts,
                                         std::vector<std::string>& positional, bool& help) {
  help = false;
  bool only_positional = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (only_positional || arg == "-" || arg.empty() || arg[0] != '-') {
      positional.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      only_positional = true;
      continue;
    }
    if (is_help(arg)) {
      help = true;
      continue;
    }
    bool matched = false;
    for (const Opt& o : opts) {
      if (o.flag != nullptr) {
        for (std::string_view n : o.names) matched = matched || arg == n;
        if (matched) *o.flag = true;
      } else {
        OptMatch m = match_value(argc, argv, i, o.names, *o.value);
        if (m == OptMatch::kMissingValue) return fmt::format("option {} needs a value", arg);
        matched = m == OptMatch::kYes;
      }
      if (matched) break;
    }
    if (!matched) return fmt::format("unknown option {}", arg);
  }
  return std::nullopt;
}

bool parse_count(std::string_view s, unsigned& out) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 4096) return false;
  out = v;
  return true;
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlongs, no surrogates, at most
// U+10FFFF), or 0.
size_t utf8_length(std::string_view s, size_t i) {
  auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  auto cont = [&](size_t k) { return (b(k) & 0xc0) == 0x80; };
  unsigned c = b(0);
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    if (!cont(1) || !cont(2)) return 0;
    if ((c == 0xe0 && b(1) < 0xa0) || (c == 0xed && b(1) >= 0xa0)) return 0;
    return 3;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if ((c == 0xf0 && b(1) < 0x90) || (c == 0xf4 && b(1) >= 0x90)) return 0;
    return 4;
  }
  return 0;
}

}  // namespace

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += fmt::format("\\u{:04x}", u);
        } else if (u < 0x80) {
          out += c;
        } else if (size_t n = utf8_length(s, i)) {
          out.append(s.substr(i, n));
          i += n - 1;
        } else {
          // Not UTF-8 (files hold arbitrary bytes): emit the byte as the code point of the same value,
          // so the output is always valid JSON and the same input always gives the same text.
          out += fmt::format("\\u{:04x}", u);
        }
    }
  }
  return out + "\"";
}

}  // namespace elfhash::cli
