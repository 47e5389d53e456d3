// Printable names for ELF values (readelf-style), shared by `elfhash diff` (elf/compare) and
// `elfhash inspect` (elf/summary). Every function returns plain ASCII whatever the input bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace elfhash::elf {

// Names in ELF files are arbitrary bytes: '\\' and bytes outside 0x20..0x7e become "\\" and "\\xNN".
// The escape is injective, so escaped names can serve as match keys.
std::string printable(std::string_view s);
std::string section_type_name(uint32_t t);  // "SHT_PROGBITS", or hex
std::string section_flags(uint64_t f);      // "0x6 (AX)": value and readelf's letters
std::string section_flag_letters(uint64_t f);  // "AX" (unknown bits as "+0x...")
std::string bind_name(uint8_t b);           // "GLOBAL"
std::string symbol_type_name(uint8_t t);    // "FUNC"
std::string visibility_name(uint8_t other); // "DEFAULT"
std::string segment_type_name(uint32_t t);  // "PT_LOAD"
std::string segment_flags(uint32_t f);      // "0x5 (R-E)"
std::string file_type_name(uint16_t t);     // "REL", "EXEC", "DYN", "CORE", or hex
std::string machine_name(uint16_t m);       // "x86_64", "aarch64", ..., or "EM_<n>"

}  // namespace elfhash::elf
