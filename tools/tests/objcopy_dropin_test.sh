#!/usr/bin/env bash
# elfhash as a drop-in objcopy/strip (issue 11): multi-call links, --version, the GNU options added
# for kbuild and distro packaging, and the former silent divergences, each compared byte for byte
# with GNU binutils 2.40 (/usr/bin/objcopy, /usr/bin/strip) on the generated fixtures.
set -u
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$(runfile tools/tests/lib.sh)"
E=$(readlink -f "${ELFHASH:-$(runfile tools/elfhash)}")
FX=${FIXTURES:-$(runfile testdata)}
FX=$(cd "$FX" && pwd)
T=${TEST_TMPDIR:-$(mktemp -d)}
cd "$T"
mkdir -p bin && for n in objcopy strip x86_64-linux-gnu-strip aarch64-linux-gnu-objcopy llvm-strip; do ln -sf "$E" bin/$n; done

# --- multi-call ---
multicall() {
  bin/objcopy -g "$FX/x86_64-module.o" a.o && objcopy -g "$FX/x86_64-module.o" g.o && cmp a.o g.o &&
    bin/x86_64-linux-gnu-strip -g -o b.o "$FX/x86_64-module.o" && cmp b.o g.o &&
    bin/aarch64-linux-gnu-objcopy -g "$FX/x86_64-module.o" c.o && cmp c.o g.o
}
check "links named objcopy, <triple>-strip, <triple>-objcopy run those commands" multicall
llvm_not_taken() { bin/llvm-strip -g a.o 2>err.txt; [ $? = 2 ] && grep -q "unknown command '-g'" err.txt; }
check "llvm-strip is not one of ours (LLVM's name)" llvm_not_taken
version_line() {
  local l; l=$(bin/objcopy --version | sed -n 1p) || return 1
  [[ $l =~ ^elfhash\ objcopy\ \(elfhash\ [0-9.]+,\ GNU\ Binutils\ compatible\)\ 2\.40$ ]] &&
    [ "$(bin/strip -V | sed -n 1p | cut -d' ' -f2)" = strip ] &&
    sh -c "bin/objcopy --version | sed -n 1p | grep -v llvm >/dev/null"  # arch/x86/Kconfig X86_X32_ABI probe
}
check "--version: GNU-shaped first line naming elfhash; kbuild's llvm probe passes" version_line

same() {  # same TOOL FIXTURE OPTIONS...: GNU and elfhash give the same bytes (strip: via -o)
  local tool=$1 f=$FX/$2; shift 2; rm -f g.out e.out
  if [ "$tool" = objcopy ]; then objcopy "$@" "$f" g.out && "$E" objcopy "$@" "$f" e.out
  else strip "$@" -o g.out "$f" && "$E" strip "$@" -o e.out "$f"; fi && cmp g.out e.out
}
refused() {  # refused TOOL OPTIONS... -- FIXTURE: exit 2, the message names the option, no output
  local tool=$1 opt=$2; shift 2; local args=() f; while [ "$1" != -- ]; do args+=("$1"); shift; done; f=$FX/$2
  rm -f e.out; "$E" "$tool" "${args[@]}" "$f" e.out 2>err.txt; [ $? = 2 ] && [ ! -e e.out ] && grep -q -- "$opt" err.txt
}

# --- the options of the issue, against GNU ---
for fx in x86_64-module.o x86_64-start.o cross-i386.o vmlinux.unstripped; do
  check "$fx objcopy -S = GNU" same objcopy $fx -S
  check "$fx objcopy --strip-all = GNU" same objcopy $fx --strip-all
  check "$fx strip -s = GNU" same strip $fx -s
  check "$fx strip (default --strip-all) = GNU" same strip $fx
  check "$fx -x = GNU" same objcopy $fx -x
  check "$fx -X = GNU" same objcopy $fx -X
  check "$fx -K with --strip-unneeded = GNU" same objcopy $fx --strip-unneeded -K foo_counter -K main
  # --strip-all keeps the relocation entries against -K symbols, and only those (objcopy.exp's
  # "strip with saving a symbol"): foo_counter has seven in x86_64-module.o.
  check "$fx strip -K (relocations against kept symbols stay) = GNU" same strip $fx -K foo_counter -K main
  check "$fx strip -K of a symbol no relocation uses = GNU" same strip $fx -K nosuch
  check "$fx --keep-section beats -R = GNU" same objcopy $fx --keep-section .comment -R .comment -R '.debug*'
  # (GNU 2.40 asserts on x86_64-module.o's grouped relocation sections: bfd/elf.c:3580)
  [ $fx = x86_64-module.o ] ||
    check "$fx --remove-relocations = GNU" same objcopy $fx --remove-relocations '.text*' --remove-relocations .data
  check "$fx --strip-dwo = GNU" same strip $fx --strip-dwo
  check "$fx --keep-file-symbols = GNU" same strip $fx --strip-debug --keep-file-symbols
  check "$fx --add-gnu-debuglink = GNU" same objcopy $fx --add-gnu-debuglink="$FX/cross-i386.o"
  check "$fx -D/-U (no archive) = GNU" same objcopy $fx -D -U -g
done
for fx in x86_64-module.o x86_64-start.o cross-i386.o; do
  check "$fx --rename-section = GNU" same objcopy $fx --rename-section .data=.mydata --rename-section .text=.t2,alloc,code,readonly
  check "$fx --set-section-alignment = GNU" same objcopy $fx --set-section-alignment .data=64 --set-section-alignment '.rodata*=128'
done
check "-I/-O naming the input's own format = GNU" same objcopy x86_64-module.o -I elf64-x86-64 -O elf64-x86-64 -g
# gcc -gsplit-dwarf runs objcopy --extract-dwo, then --strip-dwo, and kbuild's Kconfig probes it
# (cc-option -gsplit-dwarf): a refusal changed the elfhash-built kernel's .config (kernel_dropin_test).
check "x86_64-split-dwarf.o --extract-dwo = GNU" same objcopy x86_64-split-dwarf.o --extract-dwo
check "x86_64-split-dwarf.o --strip-dwo = GNU" same objcopy x86_64-split-dwarf.o --strip-dwo
check "x86_64-split-dwarf.o strip --strip-dwo = GNU" same strip x86_64-split-dwarf.o --strip-dwo
check "x86_64-split-dwarf.o -x --extract-dwo = GNU" same objcopy x86_64-split-dwarf.o -x --extract-dwo
check "x86_64-module.o --extract-dwo (no .dwo sections) = GNU" same objcopy x86_64-module.o --extract-dwo
# arm64's arch/arm64/kernel/pi/Makefile (6.12): kbuild ignores that command's exit status
# (`$(cmd_objcopy) && relacheck` under set -e), so a refusal left GNU's stale .pi.o (arm64-dropin.sh).
for fx in cross-aarch64.o x86_64-module.o cross-s390x.o vmlinux.unstripped; do
  check "$fx --prefix-symbols (arm64 pi/) = GNU" same objcopy $fx --prefix-symbols=__pi_ --remove-section=.note.gnu.property
  check "$fx --prefix-alloc-sections (arm64 pi/lib-*) = GNU" \
    same objcopy $fx --prefix-symbols=__pi_ --remove-section=.note.gnu.property --prefix-alloc-sections=.init
  check "$fx --rename-section then --prefix-alloc-sections = GNU" same objcopy $fx --rename-section .data=.mydata --prefix-alloc-sections .x
done
output_file() {
  strip --strip-unneeded -o g.o "$FX/x86_64-module.o" && "$E" strip --strip-unneeded --output-file e.o "$FX/x86_64-module.o" &&
    cmp g.o e.o && "$E" strip --strip-unneeded --output-file=e2.o "$FX/x86_64-module.o" && cmp g.o e2.o
}
check "strip --output-file = GNU's -o" output_file
check "--rename-section with alloc but no contents makes NOBITS = GNU" \
  same objcopy x86_64-start.o --rename-section .text.helper=.d2,alloc --rename-section .text=.t,alloc,load
preserve_dates() {
  cp "$FX/x86_64-module.o" in.o && touch -d '2001-02-03 04:05:06' in.o && "$E" objcopy -p -g in.o p.o &&
    [ "$(stat -c %Y p.o)" = "$(stat -c %Y in.o)" ] && objcopy -g in.o g.o && cmp p.o g.o
}
check "-p/--preserve-dates copies the input's mtime, same bytes" preserve_dates
verbose() { "$E" objcopy -v -g "$FX/x86_64-module.o" v.o >out.txt && grep -q "^copy from \`.*x86_64-module.o' \[elf64-x86-64\] to \`v.o' \[elf64-x86-64\]$" out.txt; }
check "-v prints GNU's 'copy from' line" verbose
check "-O elf32-x86-64 (format conversion) refused, exit 2" refused objcopy elf32-x86-64 -O elf32-x86-64 -- x86_64-module.o
for fx in x86_64-module.o cross-i386.o vmlinux.unstripped; do
  for c in "" =zlib =zstd; do check "$fx --compress-debug-sections$c = GNU" same objcopy $fx --compress-debug-sections$c; done
done
decompress() {  # GNU-compressed input (zlib and zstd) back to plain sections
  local c
  for c in zlib zstd; do
    objcopy --compress-debug-sections=$c "$FX/vmlinux.unstripped" cv.$c && objcopy --decompress-debug-sections cv.$c g.out &&
      "$E" objcopy --decompress-debug-sections cv.$c e.out && cmp g.out e.out || return 1
  done
}
check "--decompress-debug-sections of GNU's zlib and zstd sections = GNU" decompress
check "--decompress-debug-sections with nothing compressed = GNU" same objcopy x86_64-module.o --decompress-debug-sections
check "--compress-debug-sections=zlib-gnu (.zdebug) refused, exit 2" \
  refused objcopy --compress-debug-sections --compress-debug-sections=zlib-gnu -- x86_64-module.o
for fx in x86_64-module.o x86_64-start.o cross-i386.o; do
  check "$fx --only-keep-debug = GNU" same objcopy $fx --only-keep-debug
  check "$fx strip --only-keep-debug = GNU" same strip $fx --only-keep-debug
done
# Files with program headers: the allocated sections become NOBITS and BFD lays the segments out
# again (elf/segment_layout.cc). x86_64-pie has PT_INTERP, PT_TLS with .tbss, PT_GNU_RELRO and a note.
for fx in x86_64-pie-slack; do  # a PT_LOAD without file bytes, a page of slack after it
  for opts in "" "--strip-debug" "--strip-all" "--strip-unneeded"; do
    # shellcheck disable=SC2086
    check "$fx objcopy $opts (BFD closes the slack) = GNU" same objcopy $fx $opts
  done
done
for fx in vmlinux.unstripped x86_64-pie x86_64-pie-slack x86_64-sectsyms.so; do
  check "$fx --only-keep-debug (segments laid out again) = GNU" same objcopy $fx --only-keep-debug
  check "$fx strip --only-keep-debug = GNU" same strip $fx --only-keep-debug
  check "$fx --only-keep-debug --compress-debug-sections (dh_strip's debug file) = GNU" \
    same objcopy $fx --only-keep-debug --compress-debug-sections
done
okd_twice() {  # a debug file given to --only-keep-debug again: its NOBITS sections keep their places
  objcopy --only-keep-debug "$FX/x86_64-pie" g.dbg && objcopy --only-keep-debug g.dbg g.out &&
    "$E" objcopy --only-keep-debug g.dbg e.out && cmp g.out e.out
}
check "--only-keep-debug of a debug file = GNU" okd_twice
# Removing an allocated section makes binutils rewrite the program headers (rewrite_elf_program_header:
# PT_GNU_RELRO goes, other alignments); a section added after that choice does not.
check "--only-keep-debug with -R of an allocated section (the segments rewritten) = GNU" \
  same objcopy x86_64-pie --only-keep-debug -R .text
echo extra >extra.bin
check "--only-keep-debug with --add-section = GNU" same objcopy x86_64-pie --only-keep-debug --add-section .extra=extra.bin
for fx in x86_64-pie x86_64-pie-slack x86_64-sectsyms.so cross-aarch64-pie cross-armv7a.so; do
  # (GNU refuses -R .text of the ARM object: .ARM.exidx links to it)
  for opts in "-R .rela.dyn" "-R .eh_frame_hdr" "-R .eh_frame" "-R .bss" "-j .text" "--set-section-alignment .text=64" \
    "--set-section-alignment .data=2" "--set-section-flags .bss=alloc,load,contents" "--set-section-flags .data=alloc,load,readonly,contents"; do
    # shellcheck disable=SC2086
    check "$fx objcopy $opts (the program headers rewritten) = GNU" same objcopy $fx $opts
  done
done
dbgsym_exec() {  # dh_strip on an executable: debug file, strip, then the debuglink
  objcopy --only-keep-debug --compress-debug-sections "$FX/x86_64-pie" g.debug &&
    "$E" objcopy --only-keep-debug --compress-debug-sections "$FX/x86_64-pie" e.debug && cmp g.debug e.debug &&
    strip --remove-section=.comment --remove-section=.note -o g.exe "$FX/x86_64-pie" &&
    "$E" strip --remove-section=.comment --remove-section=.note -o e.exe "$FX/x86_64-pie" && cmp g.exe e.exe &&
    objcopy --add-gnu-debuglink=g.debug g.exe && "$E" objcopy --add-gnu-debuglink=g.debug e.exe && cmp g.exe e.exe
}
check "dh_strip's dbgsym recipe on a PIE (debug file, strip, debuglink) = GNU" dbgsym_exec
# Other targets (LLD-linked AArch64 PIE, ARM shared object): every copy that keeps a symbol gives each
# section a section symbol, mapping symbols are ordinary locals, and a symbol in .tdata is STT_TLS.
for fx in cross-aarch64-pie cross-armv7a.so; do
  for opts in "" "--only-keep-debug" "--strip-debug" "--strip-unneeded" "-K get" "-x"; do
    # shellcheck disable=SC2086
    check "$fx objcopy $opts = GNU" same objcopy $fx $opts
  done
done
# binutils drops every section symbol of an x86 executable or shared object without relocation sections.
for opts in "" "-K get" "--only-keep-debug" "--strip-debug"; do
  # shellcheck disable=SC2086
  check "x86_64-sectsyms.so objcopy $opts: section symbols dropped = GNU" same objcopy x86_64-sectsyms.so $opts
done
debuglink_pair() {  # Debian's -dbgsym recipe: --only-keep-debug, then --add-gnu-debuglink on the stripped file
  mkdir -p g e && objcopy --only-keep-debug "$FX/x86_64-module.o" g/m.debug &&
    "$E" objcopy --only-keep-debug "$FX/x86_64-module.o" e/m.debug && cmp g/m.debug e/m.debug &&
    (cd g && objcopy --strip-debug --add-gnu-debuglink=m.debug "$FX/x86_64-module.o" m.ko) &&
    (cd e && "$E" objcopy --strip-debug --add-gnu-debuglink=m.debug "$FX/x86_64-module.o" m.ko) && cmp g/m.ko e/m.ko
}
check "--only-keep-debug + --add-gnu-debuglink (dh_strip's dbgsym pair) = GNU" debuglink_pair
check "--pad-to without -O binary refused, exit 2" refused objcopy --pad-to --pad-to=0x500000 -- vmlinux.unstripped
pad_to() {
  objcopy -O binary --pad-to 0x403000 "$FX/vmlinux.unstripped" g.bin &&
    "$E" objcopy -O binary --pad-to 0x403000 "$FX/vmlinux.unstripped" e.bin && cmp g.bin e.bin
}
check "-O binary --pad-to = GNU" pad_to
# link-vmlinux's BTF extraction keeps one allocated section of an executable: the rewrite.
check "-j on a file with segments (link-vmlinux's gen_btf shape) = GNU" \
  same objcopy vmlinux.unstripped -j .module_hashes --set-section-flags .module_hashes=alloc,readonly --strip-all

gap_repacked() {  # a page of slack before a PT_LOAD: BFD's layout closes it, and so does elfhash's
  python3 - "$FX/vmlinux.unstripped" gap.in <<'PY' || return 1
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", b, 32)
shoff, = struct.unpack_from("<Q", b, 40)
# Move the file's contents from offset 0x1000 up by one page: the 2nd and 3rd PT_LOAD and every
# section header offset past 0x1000 follow, so the file stays valid with a page of slack.
b[0x1000:0x1000] = bytes(0x1000)
struct.pack_into("<Q", b, 40, shoff + 0x1000)
phnum, = struct.unpack_from("<H", b, 56)
for i in range(phnum):
    o = phoff + 56 * i
    off, = struct.unpack_from("<Q", b, o + 8)
    if off >= 0x1000: struct.pack_into("<Q", b, o + 8, off + 0x1000)
shnum, = struct.unpack_from("<H", b, 60)
for i in range(shnum):
    o = shoff + 0x1000 + 64 * i
    off, = struct.unpack_from("<Q", b, o + 24)
    if off >= 0x1000: struct.pack_into("<Q", b, o + 24, off + 0x1000)
open(sys.argv[2], "wb").write(b)
PY
  objcopy gap.in g.out && ! cmp -s gap.in g.out && "$E" objcopy gap.in e.out && cmp g.out e.out &&
    strip -g -o g.out gap.in && "$E" strip -g -o e.out gap.in && cmp g.out e.out
}
check "an executable GNU re-packs (slack between segments) = GNU (objcopy, strip -g)" gap_repacked
gap_added() {  # the same file with a section added: the copied headers, re-packed, and the section after
  echo link >dl && objcopy --add-gnu-debuglink=dl gap.in g.out && "$E" objcopy --add-gnu-debuglink=dl gap.in e.out &&
    cmp g.out e.out
}
check "re-packing with an added section = GNU" gap_added
gap_removed() {
  objcopy -R .module_hashes --strip-all gap.in g.out && "$E" objcopy -R .module_hashes --strip-all gap.in e.out &&
    cmp g.out e.out && objcopy --set-section-alignment .rodata=4 gap.in g.out &&
    "$E" objcopy --set-section-alignment .rodata=4 gap.in e.out && cmp g.out e.out
}
check "re-packing with an allocated section removed (the program headers rewritten) = GNU" gap_removed

# -O srec (binutils names the output file in the S0 record: both write o.srec, each in its own
# directory) and the address options, which objcopy.exp checks through S-records.
srec_same() {  # srec_same FIXTURE OPTIONS...
  local f=$FX/$1; shift; rm -rf gs es && mkdir gs es &&
    (cd gs && objcopy "$@" "$f" o.srec) && (cd es && "$E" objcopy "$@" "$f" o.srec) && cmp gs/o.srec es/o.srec
}
for fx in x86_64-module.o vmlinux.unstripped cross-s390x.o cross-aarch64-pie; do
  for opts in "" "--set-start 0x7654" "--adjust-start 0x123" "--adjust-vma 0x123" "--srec-len 7" "--srec-forceS3" \
    "--change-section-lma .data=0x1000000" "--adjust-section-vma .text+4 --srec-len 0"; do
    # shellcheck disable=SC2086
    check "$fx objcopy -O srec $opts = GNU" srec_same $fx -O srec $opts
  done
done
# -O ihex, and --gap-fill/--pad-to on the three image formats (U-Boot's and firmware builds' shapes).
for fx in x86_64-module.o vmlinux.unstripped cross-aarch64-pie; do
  for opts in "-O ihex" "-O ihex --set-start 0x12345" "-O ihex --set-start 0x123" "-O ihex --gap-fill 0x41 --pad-to 0x500000" \
    "-O srec --gap-fill 0xff" "-O srec --pad-to 0x403000" "-O binary --gap-fill 0xff" "-O binary --gap-fill 0x5a --pad-to 0x403000"; do
    # shellcheck disable=SC2086
    check "$fx objcopy $opts = GNU" srec_same $fx $opts
  done
done
for fx in x86_64-module.o vmlinux.unstripped cross-s390x.o cross-powerpc.o; do  # little- and big-endian words
  for w in 1 2 4 8 16; do check "$fx objcopy -O verilog --verilog-data-width $w = GNU" srec_same $fx -O verilog --verilog-data-width $w; done
done
verilog_misaligned() {  # a section at an address that is not a multiple of the width: GNU fails too
  (cd gs && ! objcopy -O verilog --verilog-data-width 8 "$FX/x86_64-pie" o.v 2>/dev/null) &&
    (cd es && "$E" objcopy -O verilog --verilog-data-width 8 "$FX/x86_64-pie" o.v 2>../err.txt; [ $? = 2 ]) &&
    [ ! -e es/o.v ] && grep -q "not a multiple of the data width" err.txt
}
check "-O verilog with a misaligned section is an error (GNU: invalid operation), no output" verilog_misaligned
# -I binary (raw bytes as one .data section at 0) into the image formats, with interleaving and
# --reverse-bytes: the ROM-splitting shapes of binutils' pr19020 and interleave tests.
printf '12345678\n' >seq.bin
printf 'abcdefgh' >abc.bin
bin_same() {  # bin_same FILE OPTIONS...: as srec_same, on a raw input
  local f=$PWD/$1; shift; rm -rf gs es && mkdir gs es &&
    (cd gs && objcopy "$@" "$f" o.out) && (cd es && "$E" objcopy "$@" "$f" o.out) && cmp gs/o.out es/o.out
}
for opts in "-I binary -i 4 -b 0 --interleave-width 2" "-O binary -I binary --pad-to=10 --gap-fill=65 --interleave=2 --interleave-width=1 --byte=0" \
  "-O binary -I binary --pad-to=10 --gap-fill=65 --reverse-bytes=8" "-I binary -O srec" "-I binary -O ihex --gap-fill 1 --pad-to 32" \
  "-I binary -O verilog -i 3 -b 1 --interleave-width 2" "-I binary -i 3 -b 2"; do
  f=seq.bin; case $opts in *abc*|*reverse-bytes=8*|*interleave=2*) f=abc.bin ;; esac
  # shellcheck disable=SC2086
  check "objcopy $opts = GNU" bin_same $f $opts
done
check "--reverse-bytes of an ELF section = GNU" same objcopy x86_64-module.o -j .data --reverse-bytes=4
check "--reverse-bytes of a section whose size is not a multiple: an error (GNU: fatal)" \
  refused objcopy "evenly divisible" --reverse-bytes=2 -- x86_64-module.o
# -I binary into an ELF object (embedding a blob): .data plus _binary_<path>_start/_end/_size, then the
# ordinary edits (the usual recipe renames .data to a read-only .rodata).
for tg in "-O elf64-x86-64 -B i386:x86-64" "-O elf32-i386 -B i386" "-O elf32-x86-64" "-O elf64-littleaarch64" \
  "-O elf64-bigaarch64 -B aarch64" "-O elf64-x86-64 --rename-section .data=.rodata,alloc,load,readonly,data,contents" \
  "-O elf64-x86-64 --strip-all" "-O elf64-littleriscv -B riscv:rv64" "-O elf32-littleriscv" "-O elf64-s390" "-O elf32-s390" \
  "-O elf64-powerpcle" "-O elf64-powerpc -B powerpc:common64" "-O elf32-powerpc"; do
  # shellcheck disable=SC2086
  check "objcopy -I binary $tg = GNU" bin_same seq.bin -I binary $tg
done
bin_elf_refused() {  # a target elfhash does not write, and a -B that is not the target's
  rm -f e.out; "$E" objcopy -I binary -O elf32-littlearm seq.bin e.out 2>err.txt; [ $? = 2 ] && [ ! -e e.out ] &&
    grep -q "elfhash writes" err.txt && "$E" objcopy -I binary -O elf64-x86-64 -B aarch64 seq.bin e.out 2>err.txt
  [ $? = 2 ] && [ ! -e e.out ] && grep -q "own architecture" err.txt
}
check "-I binary to an ELF target elfhash does not write, or a foreign -B: refused, exit 2" bin_elf_refused
check "--gap-fill with ELF output (GNU grows the sections) refused, exit 2" \
  refused objcopy "--gap-fill" --gap-fill 0xff -- x86_64-module.o
for opts in "--adjust-vma 0x123" "--change-section-address .text+4 --change-start 5" \
  "--change-section-vma .t*=0x1000 --change-section-lma .data+8" "--change-section-vma !.text=0x40 --change-section-vma .te*-0x10"; do
  # shellcheck disable=SC2086
  check "x86_64-module.o objcopy $opts (relocatable: sh_addr, e_entry) = GNU" same objcopy x86_64-module.o $opts
done
check "-O binary --change-section-lma = GNU" same objcopy vmlinux.unstripped -O binary --change-section-lma .data+0x40
check "--set-start on an executable = GNU" same objcopy vmlinux.unstripped --set-start 0x401000
check "--adjust-vma on an executable (GNU moves the segments) refused, exit 2" \
  refused objcopy "changing section addresses" --adjust-vma 0x1000 -- vmlinux.unstripped
srec_in_place() { cp "$FX/x86_64-module.o" m.o && "$E" objcopy -O srec m.o 2>err.txt; [ $? = 2 ] && grep -q "in place" err.txt; }
check "-O srec in place (GNU names its random temporary in the S0 record) refused, exit 2" srec_in_place

# --- the former silent divergences ---
# -K naming a section symbol: a relocatable file keeps it (= GNU); in an executable GNU keeps it
# through its filter, drops it when writing and leaves an empty .symtab, which elfhash refuses.
check "objcopy --strip-all -K .text of a relocatable = GNU" same objcopy x86_64-module.o --strip-all -K .text
check "objcopy --strip-all -K .text of an executable (GNU: an empty .symtab) refused, exit 2" \
  refused objcopy "keeps a section symbol" --strip-all -K .text -- vmlinux.unstripped
check "strip -R .comment means --strip-all too (GNU strip's default) = GNU" same strip x86_64-module.o -R .comment
check "strip -R .comment on an executable = GNU" same strip vmlinux.unstripped -R .comment
printf 'BTF-ish bytes' > blob
check "--add-section + --set-section-flags on the added section = GNU" \
  same objcopy x86_64-module.o --add-section .BTF2=blob --set-section-flags .BTF2=alloc,readonly
check "--set-section-flags: the last matching option wins = GNU" \
  same objcopy x86_64-module.o --set-section-flags '.data*=alloc' --set-section-flags '.data=alloc,code'
check "--set-section-flags: a matching '!PATTERN' excludes = GNU" \
  same objcopy x86_64-module.o --set-section-flags '.d*=alloc,code' --set-section-flags '!.data=alloc'
check "--set-section-flags .bss=alloc,load,contents with segments grows p_filesz = GNU" \
  same objcopy vmlinux.unstripped --set-section-flags .bss=alloc,load,contents
empty_symtab_dropped() {  # a vdso-like shared object: --strip-unneeded empties .symtab, GNU drops it
  printf 'int vdso_fn(void) { return 42; }\n' > v.c &&
    cc -shared -nostdlib -fPIC -O2 -Wl,--hash-style=both -o v.so v.c 2>/dev/null || return 0  # no compiler: nothing to test
  objcopy --strip-unneeded v.so g.so && "$E" objcopy --strip-unneeded v.so e.so && cmp g.so e.so &&
    ! readelf -SW e.so | grep '\.symtab' >/dev/null
}
check "--strip-unneeded of a shared object: empty .symtab dropped = GNU" empty_symtab_dropped
check "--strip-all of an executable: no empty .symtab = GNU" same objcopy vmlinux.unstripped --strip-all
with_trailer() {
  cp "$FX/x86_64-module.o" t.o && printf 'SIGNATURE' >> t.o &&
    printf '\0\0\2\0\0\0\0\0\0\0\0\x09~Module signature appended~\n' >> t.o && cp t.o t.orig
}
objcopy_refuses_trailer() {
  with_trailer && rm -f o.o && "$E" objcopy -R .comment t.o o.o 2>err.txt; [ $? = 2 ] && [ ! -e o.o ] &&
    cmp t.o t.orig && grep -q "drop-trailer" err.txt && "$E" objcopy -R .comment t.o 2>/dev/null; [ $? = 2 ] && cmp t.o t.orig
}
check "objcopy refuses a file ending in a signature, exactly as strip does" objcopy_refuses_trailer
objcopy_drop_trailer() {
  with_trailer && "$E" objcopy --drop-trailer -R .comment t.o o.o && "$E" objcopy -R .comment "$FX/x86_64-module.o" p.o && cmp o.o p.o
}
check "objcopy --drop-trailer copies the ELF part" objcopy_drop_trailer
binary_mode() {
  local m
  for m in 755 644; do
    cp "$FX/vmlinux.unstripped" v && chmod $m v && rm -f g.bin e.bin &&
      objcopy -O binary v g.bin && "$E" objcopy -O binary v e.bin && cmp g.bin e.bin &&
      [ "$(stat -c %a g.bin)" = "$(stat -c %a e.bin)" ] || { echo "mode $m: GNU $(stat -c %a g.bin) elfhash $(stat -c %a e.bin)"; return 1; }
  done
}
check "-O binary of an executable: GNU's bytes and file mode" binary_mode

# --- symbol binding options (binutils filter_symbols: weaken, localize, globalize) ---
printf 'g_default\n# a comment\n  w_hidden   ignored words\n\nunique_obj\n' > syms.list
printf 'g_default new_default # c\n# a comment line\nl_func\tnew_func  \nundef_func u2#c\n' > redef.list
for fx in x86_64-bindings.o i386-bindings.o x86_64-module.o cross-aarch64.o cross-mips64el.o; do
  check "$fx --localize-hidden = GNU" same objcopy $fx --localize-hidden
  check "$fx --weaken = GNU" same objcopy $fx --weaken
  check "$fx -W on global, unique, undefined, common = GNU" same objcopy $fx -W g_default -W unique_obj -W undef_func -W common_obj
  check "$fx -G keeps one global = GNU" same objcopy $fx -G g_default
  check "$fx -w -L '*' (every global and weak) = GNU" same objcopy $fx -w -L '*'
  check "$fx -L on local, unique, common, undefined = GNU" same objcopy $fx -L l_func -L unique_obj -L common_obj -L undef_func
  check "$fx -w --globalize-symbol 'l_*' = GNU" same objcopy $fx -w --globalize-symbol 'l_*'
  check "$fx --redefine-sym then -L on the new name = GNU" same objcopy $fx --redefine-sym g_hidden=x --redefine-sym undef_func=u2 -L x
  check "$fx --weaken, -L and --localize-hidden together = GNU" same objcopy $fx --weaken -L g_default --localize-hidden
  check "$fx --strip-unneeded --localize-hidden = GNU" same objcopy $fx --strip-unneeded --localize-hidden
  check "$fx --prefix-symbols then -G on the prefixed name = GNU" same objcopy $fx --redefine-sym g_default=z --prefix-symbols=p_ -G p_z
  check "$fx symbol list files (-G/-L/-W/--globalize/--keep/--strip-unneeded-symbols) = GNU" \
    same objcopy $fx --keep-global-symbols=syms.list --weaken-symbols=syms.list --strip-unneeded-symbols=syms.list
  check "$fx --localize-symbols / --globalize-symbols / --keep-symbols files = GNU" \
    same objcopy $fx --localize-symbols=syms.list --globalize-symbols=syms.list --keep-symbols=syms.list --strip-unneeded
  check "$fx --redefine-syms file = GNU" same objcopy $fx --redefine-syms=redef.list
  # STB_GNU_UNIQUE is neither BSF_GLOBAL nor BSF_WEAK: --strip-unneeded and -x drop an unused one.
  check "$fx --strip-unneeded (GNU_UNIQUE object) = GNU" same strip $fx --strip-unneeded
  check "$fx -x (GNU_UNIQUE object) = GNU" same objcopy $fx -x
done
for fx in x86_64-bindings.o i386-bindings.o vmlinux.unstripped; do
  check "$fx --add-symbol (objcopy.exp add-symbol) = GNU" same objcopy $fx --add-symbol NEW=0x1234 --add-symbol NEW_DATA=.data:0x4321,local
  check "$fx --add-symbol with type and binding flags, octal and negative values = GNU" \
    same objcopy $fx --add-symbol f=.text:8,function,global --add-symbol o=.data:-4,object,weak \
      --add-symbol u=.data:010,unique-object --add-symbol i=.text:1,indirect-function,GLOBAL --add-symbol fl=0,file \
      --add-symbol nb=.text:2,function
  check "$fx --strip-all --add-symbol (only the new symbol) = GNU" same objcopy $fx --strip-all --add-symbol x=.text:0
  check "$fx --add-symbol after -L and --strip-unneeded = GNU" same objcopy $fx --strip-unneeded -L g_default --add-symbol e=77,export
done
for fx in x86_64-bindings.o i386-bindings.o cross-mips64el.o; do
  check "$fx --elf-stt-common=yes (commons become STT_COMMON) = GNU" same objcopy $fx --elf-stt-common=yes
  check "$fx --elf-stt-common=no after =yes (the last wins) = GNU" same objcopy $fx --elf-stt-common=yes --elf-stt-common=no
done
# A group whose non-relocation members all go is removed (its relocation section goes with its
# section): binutils group-7c. Removing one member keeps the group.
check "x86_64-groups.o -R every data member: the group goes = GNU" same objcopy x86_64-groups.o -R .data.g1 -R .data2.g1
check "x86_64-groups.o -R one member: the group stays = GNU" same objcopy x86_64-groups.o -R .data2.g1
check "x86_64-groups.o strip --strip-unneeded -R both = GNU" same strip x86_64-groups.o --strip-unneeded -R .data.g1 -R .data2.g1
# GNU build-attribute notes (gas --generate-missing-build-notes, annobin): GNU strip merges them by
# default unless only debugging information is stripped, objcopy only with -M (elf/build_notes.cc).
build_notes() {  # n.exe: one object's notes; nm64/nm32: five objects' notes, which merging shrinks
  printf '.text\n.globl _start\n_start: ret\n' > n.s && as --generate-missing-build-notes=yes -o n.o n.s &&
    ld -o n.exe n.o || return 1
  local i objs64=() objs32=()
  for i in 1 2 3 4 5; do
    printf '.text\n.globl f%d\n.type f%d,@function\nf%d: ret\n.size f%d,.-f%d\n.section .text.unlikely,"ax"\ng%d: ret\n' \
      $i $i $i $i $i $i > m$i.s &&
      as --generate-missing-build-notes=yes -o m$i.o m$i.s && as --32 --generate-missing-build-notes=yes -o m32_$i.o m$i.s ||
      return 1
    objs64+=(m$i.o) objs32+=(m32_$i.o)
  done
  as --32 --generate-missing-build-notes=yes -o n32.o n.s && ld -o nm64 n.o "${objs64[@]}" &&
    ld -m elf_i386 -o nm32 n32.o "${objs32[@]}"
}
notes_same() {  # notes_same FILE TOOL OPTIONS...: GNU and elfhash give the same bytes on FILE
  local f=$1 tool=$2; shift 2; rm -f g.out e.out
  if [ "$tool" = objcopy ]; then objcopy "$@" "$f" g.out && "$E" objcopy "$@" "$f" e.out
  else strip "$@" -o g.out "$f" && "$E" strip "$@" -o e.out "$f"; fi && cmp g.out e.out
}
notes_merged() {  # notes_merged FILE TOOL OPTIONS...: the same bytes, and the notes got smaller
  notes_same "$@" || return 1
  local before after
  local size='s/.*\.gnu\.build\.attributes *NOTE *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p'
  before=$(readelf -S -W "$1" | sed -n "$size") after=$(readelf -S -W g.out | sed -n "$size")
  [ -n "$before" ] && [ -n "$after" ] && [ $((16#$after)) -lt $((16#$before)) ]
}
check "build-attribute note inputs assemble and link" build_notes
for f in nm64 nm32; do
  check "$f strip (merges by default) = GNU, notes smaller" notes_merged $f strip
  check "$f strip --strip-unneeded (merges) = GNU" notes_merged $f strip --strip-unneeded
  check "$f strip -M -g (merging asked for) = GNU" notes_merged $f strip -M -g
  check "$f objcopy -M = GNU" notes_merged $f objcopy -M
  check "$f objcopy (objcopy merges only with -M) = GNU" notes_same $f objcopy
  check "$f strip -g (GNU does not merge then) = GNU" notes_same $f strip -g
  check "$f strip --no-merge-notes = GNU" notes_same $f strip --no-merge-notes
done
check "n.exe strip (one object's notes: nothing to merge) = GNU" notes_same n.exe strip
check "n.exe objcopy --only-keep-debug = GNU" notes_same n.exe objcopy --only-keep-debug
check "objcopy --only-keep-debug of node (dh_strip's debug file; GNU does not merge) = GNU" \
  eval '[ ! -e /usr/bin/node ] || notes_same /usr/bin/node objcopy --only-keep-debug'
check "strip of node (annobin notes, merged) = GNU" eval '[ ! -e /usr/bin/node ] || notes_merged /usr/bin/node strip'
corrupt_notes() {  # a note of the wrong type inside .gnu.build.attributes: binutils' message, no output
  printf '.section .gnu.build.attributes,"",%%note\n.long 4, 0, 0x200\n.asciz "GA$"\n.text\n.globl _start\n_start: ret\n' \
    > bad.s && as -o bad.o bad.s && ld -o bad.exe bad.o && rm -f e.out && "$E" strip -o e.out bad.exe 2>err.txt
  [ $? = 2 ] && [ ! -e e.out ] && grep -q 'corrupt GNU build attribute note: wrong note type' err.txt
}
check "corrupt build-attribute notes: an error naming the note, exit 2, no output" corrupt_notes
relocated_notes() {  # GNU cannot merge notes that have relocations, so it copies them: elfhash too
  printf '.text\nf: ret\n' > nr.s && as --generate-missing-build-notes=yes -o nr.o nr.s &&
    readelf -SW nr.o | grep -q 'rela.gnu.build.attributes' && notes_same nr.o objcopy
}
check "a relocatable with relocations against its notes (GNU cannot merge them) = GNU" relocated_notes
check "--add-symbol ,before= refused, exit 2" refused objcopy "flag 'before=main'" --add-symbol x=1,before=main -- x86_64-bindings.o
check "--add-symbol ,indirect refused, exit 2" refused objcopy "flag 'indirect'" --add-symbol x=1,indirect -- x86_64-bindings.o
# --- ar archives (binutils copy_archive): members copied, the archive rewritten deterministically ---
mkdir -p ar && cp "$FX/x86_64-module.o" ar/m1.o && cp "$FX/cross-i386.o" ar/abcdefghijklmno.o &&
  cp "$FX/x86_64-groups.o" ar/abcdefghijklmnop.o && cp "$FX/x86_64-bindings.o" ar/a_very_long_member_name.o &&
  printf 'not an object\n' > ar/notes.txt
(cd ar && rm -f odd.a even.a nd.a && ar rcD odd.a m1.o a_very_long_member_name.o &&
  ar rcD even.a m1.o abcdefghijklmno.o abcdefghijklmnop.o notes.txt a_very_long_member_name.o &&
  ar rcU nd.a m1.o abcdefghijklmno.o)
same_t() { local FX=$T; same "$@"; }        # same/refused on files made here, under $T
refused_t() { local FX=$T; refused "$@"; }
for a in odd.a even.a nd.a; do
  for o in -g --strip-unneeded --strip-all "-R .comment -g" "-x -g"; do
    check "ar/$a strip $o = GNU" same_t strip ar/$a $o
  done
  check "ar/$a strip (default --strip-all: no symbol map) = GNU" same_t strip ar/$a
  check "ar/$a objcopy --localize-hidden = GNU" same_t objcopy ar/$a --localize-hidden
  check "ar/$a objcopy (plain copy) = GNU" same_t objcopy ar/$a
done
ar_in_place() { cp ar/even.a ip.a && "$E" strip -g ip.a && strip -g -o g.a ar/even.a && cmp ip.a g.a; }
check "strip -g of an archive in place = GNU's bytes" ar_in_place
check "-U with an archive refused, exit 2" refused_t strip -U -U -g -- ar/odd.a
thin_refused() { (cd ar && rm -f ../thin.a && ar rcT ../thin.a m1.o) && rm -f e.out &&
  "$E" strip -g -o e.out thin.a 2>err.txt; [ $? = 2 ] && [ ! -e e.out ] && grep -q 'thin archives' err.txt; }
check "a thin archive is refused (GNU: not supported either)" thin_refused
usage_error() {  # usage_error 'MESSAGE' OPTIONS...: exit 1 like GNU's fatal(), the message, no output
  local msg=$1; shift; rm -f e.out
  "$E" objcopy "$@" "$FX/x86_64-bindings.o" e.out 2>err.txt; local rc=$?
  [ $rc != 0 ] && [ ! -e e.out ] && grep -qF -- "$msg" err.txt || { echo "rc $rc: $(cat err.txt)"; return 1; }
}
check "-G with --globalize-symbol is an error (GNU's message)" \
  usage_error '--globalize-symbol(s) is incompatible with -G/--keep-global-symbol(s)' -G a --globalize-symbol b
check "--redefine-sym of one name twice is an error" usage_error 'Multiple redefinition of symbol "a"' --redefine-sym a=b --redefine-sym a=c
check "two names redefined to one is an error" usage_error 'is target of more than one redefinition' --redefine-sym a=c --redefine-sym b=c
printf 'only_one\n' > bad1.list; printf 'a b c\n' > bad2.list; printf 'a b' > bad3.list; : > empty.list
printf 'a b\n\nc d\n' > bad4.list; printf '  a b\n' > bad5.list
check "--redefine-syms: an empty line is an error, as in GNU" usage_error 'bad4.list:2: missing new symbol name' --redefine-syms=bad4.list
check "--redefine-syms: blanks before the first name are an error, as in GNU" \
  usage_error 'bad5.list:1: garbage found at end of line' --redefine-syms=bad5.list
check "--redefine-syms: a line with one name is an error" usage_error 'bad1.list:1: missing new symbol name' --redefine-syms=bad1.list
check "--redefine-syms: a third word is an error" usage_error 'bad2.list:1: garbage found at end of line' --redefine-syms=bad2.list
check "--redefine-syms: a last line without newline is an error (GNU: premature end of file)" \
  usage_error 'bad3.list:1: premature end of file' --redefine-syms=bad3.list
check "an empty symbol list file is an error" usage_error "'empty.list' is empty" --localize-symbols=empty.list
check "a symbol list that is a directory is an error" usage_error '--keep-symbols' --keep-symbols=.
check "--add-symbol in a section that does not exist is an error (GNU's message)" usage_error 'Section .nosuch not found' --add-symbol x=.nosuch:0
check "--elf-stt-common=maybe is an error (GNU's message)" usage_error "unrecognized --elf-stt-common= option \`maybe'" --elf-stt-common=maybe
check "--add-symbol with an unknown flag is an error (GNU's message)" usage_error "unrecognized symbol flag \`bogus'" --add-symbol x=1,bogus
finish
