// objcopy/strip operations on the Object model, with GNU binutils 2.40 semantics (see docs/elf-engine.md
// for the rules and where they come from). apply() only marks and edits the model; layout and
// encoding happen in writer.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "elf/error.h"
#include "elf/object.h"
#include "elf/patterns.h"

namespace elfhash::elf {

// binutils strip_symbols: -g/--strip-debug, --strip-unneeded, -S (objcopy) / -s (strip) --strip-all.
// --strip-dwo (kDwo) removes only the *.dwo debugging sections; objcopy --extract-dwo (kNonDwo, GNU's
// STRIP_NONDWO, what gcc -gsplit-dwarf runs) keeps only them; --only-keep-debug (kNonDebug) keeps
// every section but empties the allocated ones (relocatable files only). The last option wins.
enum class StripMode { kNone, kDebug, kUnneeded, kAll, kDwo, kNonDebug, kNonDwo };
// binutils discard_locals: -X/--discard-locals (compiler-generated .L* labels), -x/--discard-all.
enum class DiscardLocals { kUndef, kCompilerLabels, kAll };

// --set-section-flags words (binutils parse_flags).
enum SecFlag : uint32_t {
  kSecAlloc = 1u << 0, kSecLoad = 1u << 1, kSecNoload = 1u << 2, kSecReadonly = 1u << 3,
  kSecDebug = 1u << 4, kSecCode = 1u << 5, kSecData = 1u << 6, kSecRom = 1u << 7,
  kSecExclude = 1u << 8, kSecShare = 1u << 9, kSecContents = 1u << 10, kSecMerge = 1u << 11,
  kSecStrings = 1u << 12, kSecLarge = 1u << 13,
};
// Parses "alloc,load,readonly"; returns false on an unknown word (named in *bad).
bool parse_section_flags(const std::string& text, uint32_t* flags, std::string* bad);

struct SectionFile {
  std::string section;
  std::string file;
};

struct CopyOptions {
  PatternList remove_sections;         // -R/--remove-section
  PatternList only_sections;           // -j/--only-section
  std::vector<std::pair<std::string, uint32_t>> set_flags;  // --set-section-flags PATTERN=FLAGS
  StripMode strip = StripMode::kNone;  // -g/--strip-debug, --strip-unneeded
  bool wildcard = false;               // -w: symbol patterns are globs
  std::vector<std::string> strip_symbols;           // -N/--strip-symbol
  std::vector<std::string> strip_unneeded_symbols;  // --strip-unneeded-symbol
  std::vector<SectionFile> add_sections;     // --add-section NAME=FILE
  std::vector<SectionFile> update_sections;  // --update-section NAME=FILE
  std::vector<SectionFile> dump_sections;    // --dump-section NAME=FILE
  // Like --update-section, with the contents given in memory (seal's .module_hashes).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> update_contents;
  DiscardLocals discard = DiscardLocals::kUndef;  // -x / -X
  bool keep_file_symbols = false;                   // --keep-file-symbols
  std::vector<std::string> keep_symbols;            // -K/--keep-symbol
  // Binding changes of the symbols that are kept (binutils filter_symbols, in this order): weaken,
  // localize (named, not named by -G, or hidden), globalize.
  std::vector<std::string> weaken_symbols;       // -W/--weaken-symbol, --weaken-symbols FILE
  bool weaken = false;                           // --weaken: every global and undefined symbol
  std::vector<std::string> localize_symbols;     // -L/--localize-symbol, --localize-symbols FILE
  std::vector<std::string> keep_global_symbols;  // -G/--keep-global-symbol(s): localize all others
  bool localize_hidden = false;                  // --localize-hidden: STV_HIDDEN and STV_INTERNAL
  std::vector<std::string> globalize_symbols;    // --globalize-symbol, --globalize-symbols FILE
  // --redefine-sym OLD=NEW, --redefine-syms FILE: exact names, applied before every other symbol
  // option matches (so those match the new name).
  std::vector<std::pair<std::string, std::string>> redefine_symbols;
  // --add-symbol NAME=[SECTION:]VALUE[,FLAGS] (binutils create_new_symbol): appended after the
  // filtered symbols, never filtered themselves. `flags` holds AddSymbol::Flag bits.
  struct AddSymbol {
    enum Flag : uint32_t {
      kLocal = 1u << 0, kGlobal = 1u << 1, kWeak = 1u << 2, kFunction = 1u << 3, kObject = 1u << 4,
      kIfunc = 1u << 5, kUnique = 1u << 6, kFile = 1u << 7,
    };
    std::string name, section;  // section empty: absolute
    uint64_t value = 0;
    uint32_t flags = kGlobal;
  };
  std::vector<AddSymbol> add_symbols;
  // --elf-stt-common=yes|no: the type of every common symbol but a TLS one becomes STT_COMMON or
  // STT_OBJECT (BFD_CONVERT_ELF_COMMON in elf.c swap_out_syms); kKeep: as in the input.
  enum class SttCommon { kKeep, kYes, kNo } stt_common = SttCommon::kKeep;
  // -M/--merge-notes, --no-merge-notes; kDefault means no (objcopy's default: the CLI resolves
  // strip's, which is yes unless -g or --strip-dwo). elfhash does not merge the GNU build-attribute
  // notes, so it refuses an input whose `.gnu.build.attributes` GNU would merge.
  enum class MergeNotes { kDefault, kYes, kNo } merge_notes = MergeNotes::kDefault;
  PatternList keep_sections;                        // --keep-section: never removed by any option
  PatternList remove_relocations;                   // --remove-relocations PATTERN
  struct Rename {
    std::string from, to;
    bool has_flags = false;
    uint32_t flags = 0;
  };
  std::vector<Rename> rename_sections;                    // --rename-section OLD=NEW[,FLAGS]
  std::vector<std::pair<std::string, uint64_t>> set_alignment;  // --set-section-alignment PATTERN=ALIGN
  std::string gnu_debuglink;                              // --add-gnu-debuglink FILE
  std::string prefix_symbols;         // --prefix-symbols STRING
  std::string prefix_alloc_sections;  // --prefix-alloc-sections STRING
  enum class Compress { kNone, kZlib, kZstd } compress = Compress::kNone;  // --compress-debug-sections
  bool decompress = false;  // --decompress-debug-sections
  // --change-section-address/-vma/-lma (and --adjust-section-vma): one entry per distinct pattern in
  // the order the patterns first appeared, as binutils keeps its section list; a later option for
  // the same pattern extends the entry (find_section_list). `context` holds AddressChange bits.
  struct AddressChange {
    enum Context : uint32_t { kAlterVma = 1, kSetVma = 2, kAlterLma = 4, kSetLma = 8 };
    std::string pattern;
    uint32_t context = 0;
    uint64_t vma = 0, lma = 0;  // the increment (wrapping) or the value, by context
  };
  std::vector<AddressChange> address_changes;
  uint64_t change_addresses = 0;    // --change-addresses/--adjust-vma: every other section
  uint64_t change_start = 0;        // --change-start/--adjust-start (and --change-addresses)
  std::optional<uint64_t> set_start;  // --set-start
  unsigned reverse_bytes = 0;         // --reverse-bytes N: every N bytes of each copied section reversed
};

// Runs --dump-section requests against the unmodified input (binutils dumps before editing).
Status dump_sections(const Object& obj, const CopyOptions& opt);
// Applies every editing option to the model.
Status apply(Object& obj, const CopyOptions& opt);
// ELF output: section addresses may only move in a relocatable file (binutils would move the
// segments of an executable, and the symbol values with them); else exit 2.
Status check_addresses_kept(const Object& obj);
// True for the non-allocated sections binutils treats as debugging information (by name).
bool is_debug_section(const Section& s);

}  // namespace elfhash::elf
