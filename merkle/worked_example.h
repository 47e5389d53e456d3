// The golden vectors of spec §2.6: real output of the kernel's v5 scripts/modules-merkle-tree for three
// modules whose contents are "A", "B" and "C" (positions 0, 1, 2), and for "A" alone. Shared by the
// library, CLI and patch tests so that every one of them checks against the same transcription.
#pragma once

namespace elfhash::merkle::testing {

inline constexpr const char* kL0 = "d35bfad562f1af84bbde249f4c31d23e8644252d0488968087fb1f08f9b91c7e";
inline constexpr const char* kL1 = "d4b157f8301634f79da779fa8383a279af8537b8e209fa4090d884b31a6e8cf9";
inline constexpr const char* kL2 = "e82095fe358dfe6a1d8461c9145af9a2cb6b599af6eade9dbff9861496be9a37";
inline constexpr const char* kN00 = "612c79232e9cdffe2a454cf73e724faa6ee9e4165bcff25037f02c36046a905b";
inline constexpr const char* kN01 = "f1869549d73c6764e4b753a51cc5871b6bdb10ac10c5139b014f884f87655cb0";
inline constexpr const char* kRoot3 = "adaaf6b82ff17514bc2722c9df353180689e7eee3d2f60dd289e3b351207998b";
inline constexpr const char* kRoot1 = "5559f5bca9abae1a622574a668e2b96849e457fb6ee5af7ec6fcbf346a2a6047";

// struct module_signature (id_type 3, sig_len 0x44 for 2 levels) and the marker, as hex.
inline constexpr const char* kTail2Levels =
    "000003000000000000000044"
    "7e4d6f64756c65207369676e617475726520617070656e6465647e0a";

// The generated .tmp_module_hashes.c for the three-module example (spec §4.3 item 1).
inline constexpr const char* kRootCFile =
    "#include <linux/module_hashes.h>\n"
    "\n"
    "const struct\n"
    "module_hashes_root module_hashes_root __module_hashes_section = {\n"
    "\t.levels = 2,\n"
    "\t.hash = {{\n"
    "\t\t0xad, 0xaa, 0xf6, 0xb8, 0x2f, 0xf1, 0x75, 0x14,\n"
    "\t\t0xbc, 0x27, 0x22, 0xc9, 0xdf, 0x35, 0x31, 0x80,\n"
    "\t\t0x68, 0x9e, 0x7e, 0xee, 0x3d, 0x2f, 0x60, 0xdd,\n"
    "\t\t0x28, 0x9e, 0x3b, 0x35, 0x12, 0x07, 0x99, 0x8b,\n"
    "\t}},\n"
    "};\n";

}  // namespace elfhash::merkle::testing
