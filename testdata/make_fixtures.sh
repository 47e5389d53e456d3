#!/bin/sh
# Generates the ELF test fixtures from testdata/src/ into OUTDIR (see testdata/README.md).
# Usage: testdata/make_fixtures.sh OUTDIR [SRCDIR]
# Needs clang-14/clang++-14, GNU as, GNU ld and objcopy (binutils), and LLD (lld-14). Output is deterministic: no absolute paths
# or timestamps end up in the objects (-fdebug-compilation-dir, -fdebug-prefix-map).
set -eu

out=${1:?usage: make_fixtures.sh OUTDIR [SRCDIR]}
src=${2:-$(dirname "$0")/src}
mkdir -p "$out"
export LC_ALL=C TZ=UTC

CC=${CLANG:-clang-14}
CXX=${CLANGXX:-clang++-14}
AS=${AS:-as}
LD=${LD:-ld}
OBJCOPY=${OBJCOPY:-objcopy}
LLD=${LLD:-ld.lld}

# Same source path for every build host so DWARF is reproducible.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fixtures.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$src"/module.cc "$src"/cross.c "$src"/start.c "$src"/vmlinux.lds "$src"/bindings.s "$src"/groups.s "$src"/dso.c "$tmp"/
cd "$tmp"

common="-c -g -O1 -ffreestanding -fno-ident -fdebug-compilation-dir=. -fno-stack-protector"
sections="-ffunction-sections -fdata-sections"

# 1. x86-64 C++ kernel-module-like object: COMDAT groups, .rela.*, DWARF, .modinfo.
$CXX --target=x86_64-linux-gnu $common $sections -fno-exceptions -fno-rtti -fno-threadsafe-statics \
  -nostdinc++ module.cc -o x86_64-module.o

# 2. Cross-target objects: ELF32 LE (REL on i386, ARM), ELF64 BE, ELF32 BE, the MIPS64 r_info layout
#    (mips64el: r_sym then four type bytes, not one little-endian word) and AArch64 mapping symbols.
for t in i386-linux-gnu armv7a-linux-gnueabihf powerpc64-linux-gnu s390x-linux-gnu mips-linux-gnu \
         powerpc-linux-gnu mips64el-linux-gnuabi64 aarch64-linux-gnu; do
  $CC --target=$t $common $sections cross.c -o "cross-${t%%-*}.o"
done

# 3. >65280 sections: e_shnum = 0 / e_shstrndx = SHN_XINDEX escapes and SHT_SYMTAB_SHNDX.
awk 'BEGIN {
  for (i = 1; i <= 70000; i++)
    printf ".section .s.%d,\"a\"\n.globl sym_%d\nsym_%d:\n.byte %d\n", i, i, i, i % 256
  print ".text\n.globl many_entry\nmany_entry:\n.quad sym_1\n.quad sym_69996\n.quad sym_70000"
}' > many.s
$AS --64 -o many-sections.o many.s

# 4. Miniature vmlinux.unstripped: static ET_EXEC with PT_LOADs, --emit-relocs, .module_hashes, .modinfo.
$CC --target=x86_64-linux-gnu $common $sections start.c -o x86_64-start.o
$CC --target=x86_64-linux-gnu $common $sections cross.c -o x86_64-cross.o
$LD -static -nostdlib --emit-relocs --build-id=none -T vmlinux.lds -o vmlinux.unstripped \
  x86_64-start.o x86_64-module.o x86_64-cross.o

# 5. Split DWARF kept in the object (clang's -gsplit-dwarf=single): .debug_*.dwo next to the code,
#    the input of objcopy --extract-dwo / --strip-dwo.
$CC --target=x86_64-linux-gnu $common $sections -gsplit-dwarf=single cross.c -o x86_64-split-dwarf.o

# 6. Symbol bindings and visibilities (GNU as): the input of the binding options (-L, -G, -W, ...).
$AS --64 -o x86_64-bindings.o bindings.s
$AS --32 -o i386-bindings.o bindings.s
$AS --64 -o x86_64-groups.o groups.s

# 7. Linked by GNU ld without libc: a PIE (PT_INTERP, PT_TLS with .tdata and .tbss, PT_GNU_RELRO,
#    PT_NOTE, four PT_LOADs from -z separate-code) and a shared object whose .symtab keeps section
#    symbols but which has no relocation sections (--emit-relocs, then GNU objcopy drops the .rela.*
#    it added): the inputs of --only-keep-debug's segment layout and of binutils' rule that drops
#    section symbols from such files.
$CC --target=x86_64-linux-gnu $common -fPIC dso.c -o x86_64-dso.o
$LD -pie -z relro -z now -z separate-code --build-id=sha1 --hash-style=gnu \
  -dynamic-linker /lib64/ld-linux-x86-64.so.2 -o x86_64-pie x86_64-dso.o
#    x86_64-pie-slack is the same without read-only data: its third PT_LOAD has no file bytes, and
#    ld leaves most of a page unused before the data PT_LOAD, which BFD's layout closes on any copy.
$CC --target=x86_64-linux-gnu $common -fPIC -DNO_RODATA dso.c -o x86_64-dso-slack.o
$LD -pie -z relro -z now -z separate-code --build-id=sha1 --hash-style=gnu \
  -dynamic-linker /lib64/ld-linux-x86-64.so.2 -o x86_64-pie-slack x86_64-dso-slack.o
$LD -shared --emit-relocs -z relro --build-id=sha1 --hash-style=gnu -o emit.so x86_64-dso.o
$OBJCOPY -R .rela.text -R .rela.data.rel.ro -R .rela.init_array -R .rela.debug_info -R .rela.debug_line \
  -R .rela.debug_aranges -R .rela.debug_str_offsets -R .rela.debug_addr -R .rela.eh_frame -R .rela.debug_frame emit.so x86_64-sectsyms.so

# 8. The same source linked by LLD for two targets whose BFD keeps unused section symbols: an
#    AArch64 PIE and an ARM shared object, with mapping symbols ($x, $d, $a) in executables and in
#    a thread-local section. Copies of them gain a section symbol per section (docs/elf-engine.md,
#    "Target rules").
$CC --target=aarch64-linux-gnu $common -fPIC dso.c -o aarch64-dso.o
$LLD -pie -z relro --build-id=sha1 -o cross-aarch64-pie aarch64-dso.o
$CC --target=arm-linux-gnueabihf $common -fPIC dso.c -o arm-dso.o
$LLD -shared -z relro --build-id=sha1 -o cross-armv7a.so arm-dso.o

cd - >/dev/null
for f in x86_64-bindings.o i386-bindings.o x86_64-groups.o x86_64-split-dwarf.o x86_64-module.o cross-i386.o cross-armv7a.o cross-powerpc64.o cross-s390x.o cross-mips.o \
         cross-powerpc.o cross-mips64el.o cross-aarch64.o many-sections.o x86_64-start.o vmlinux.unstripped x86_64-pie x86_64-pie-slack x86_64-sectsyms.so \
         cross-aarch64-pie cross-armv7a.so; do
  cp "$tmp/$f" "$out/$f"
done
