// Small helpers shared by the CLI commands: option matching, error reporting, JSON strings.
// Library code never prints; commands turn Error values into one stderr line and an exit code.
#pragma once

#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "elf/error.h"

namespace elfhash::cli {

// Prints "elfhash: FILE: offset 0xN: message" and returns `code`.
int report(const Error& e, int code);
// Prints "elfhash: CMD: message" and a hint to --help; returns kExitError.
int usage_error(std::string_view cmd, std::string_view message);

// True when argv[i] is --help/-h.
bool is_help(std::string_view arg);

enum class OptMatch { kNo, kYes, kMissingValue };

// Matches argv[i] against an option that takes a value, in any of the spellings "--name VALUE",
// "--name=VALUE" and, for a short name "-x", "-xVALUE". On a match stores the value in `out` and moves
// `i` past what was consumed (the caller's loop increment then moves to the next argument).
OptMatch match_value(int argc, char** argv, int& i, std::initializer_list<std::string_view> names,
                     std::string& out);
OptMatch match_value(int argc, char** argv, int& i, std::span<const std::string_view> names, std::string& out);

// One option for parse_options: exactly one of `value` (takes an argument) or `flag` is set.
// `names` owns its list: an initializer_list member would dangle once the braced list that built a
// named std::vector<Opt> goes out of scope (found by ASan in `diff`).
struct Opt {
  std::vector<std::string_view> names;
  std::string* value = nullptr;
  bool* flag = nullptr;
};

// Parses argv[1..] (argv[0] is the command name): options in any order, "--" ends them, everything
// else is positional. --help/-h sets `help`. Returns an error message for an unknown option or a
// missing value.
std::optional<std::string> parse_options(int argc, char** argv, const std::vector<Opt>& opts,
                                         std::vector<std::string>& positional, bool& help);

// Parses a positive decimal count (e.g. -j): 1 .. 4096.
bool parse_count(std::string_view s, unsigned& out);

// A JSON string literal (quotes included). Well-formed UTF-8 passes through; any other byte >= 0x80
// becomes \u00NN (its Latin-1 reading), so the result is valid JSON whatever the input bytes.
std::string json_string(std::string_view s);

}  // namespace elfhash::cli
