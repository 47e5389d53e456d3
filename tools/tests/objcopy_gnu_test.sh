#!/usr/bin/env bash
# elfhash objcopy/strip against GNU binutils 2.40 on the generated fixtures: byte-identical output for
# every option set kbuild and distributions use, plus the behaviours GNU does not have (trailer
# protection, no output on error, in-place atomicity).
set -u
. "$(dirname "$0")/lib.sh" 2>/dev/null || . "$(runfile tools/tests/lib.sh)"
E=${ELFHASH:-$(runfile tools/elfhash)}
FX=$(runfile testdata)
T=${TEST_TMPDIR:-$(mktemp -d)}
cd "$T"

same_as_gnu() {  # same_as_gnu FIXTURE OPTIONS...
  local f=$FX/$1; shift
  objcopy "$@" "$f" gnu.out && "$E" objcopy "$@" "$f" eh.out && cmp gnu.out eh.out
}
same_or_both_refuse() {  # GNU refuses -N of a symbol a relocation names (mips64el: cross_entry)
  local f=$FX/$1; shift
  if objcopy "$@" "$f" gnu.out 2>/dev/null; then "$E" objcopy "$@" "$f" eh.out && cmp gnu.out eh.out
  else rm -f eh.out; ! "$E" objcopy "$@" "$f" eh.out 2>/dev/null && [ ! -e eh.out ]; fi
}
for fx in x86_64-module.o x86_64-start.o cross-i386.o cross-mips64el.o cross-aarch64.o cross-armv7a.o many-sections.o \
          vmlinux.unstripped; do
  check "$fx plain copy = GNU" same_as_gnu $fx
  check "$fx --strip-debug = GNU" same_as_gnu $fx --strip-debug
  check "$fx --strip-unneeded = GNU" same_as_gnu $fx --strip-unneeded
  check "$fx -N/strip-symbol = GNU" same_or_both_refuse $fx -N main -N _start -N cross_entry
  check "$fx -R .comment -R .note* = GNU" same_as_gnu $fx -R .comment -R '.note*'
done
kbuild=(--set-section-flags .modinfo=noload --set-section-flags '.rel*'=noload --set-section-flags '!.rel*.dyn'=noload
        --set-section-flags '.rel.*'=noload --remove-section=.modinfo --remove-section='.rel*'
        --remove-section='!.rel*.dyn' --remove-section='.rel.*' -w --strip-unneeded-symbol='__mod_device_table__*')
kbuild_gnu_pair() {  # spec §5.1: GNU needs two processes, elfhash one
  objcopy "${kbuild[@]:0:8}" "$FX/vmlinux.unstripped" gnu.out &&
    objcopy "${kbuild[@]:8}" gnu.out && "$E" objcopy "${kbuild[@]}" "$FX/vmlinux.unstripped" eh.out && cmp gnu.out eh.out
}
check "vmlinux kbuild objcopy_vmlinux (one call) = GNU pair" kbuild_gnu_pair
no_relocs_left() { ! readelf -SW eh.out | grep -E '\.rela?\.' >/dev/null && ! readelf -SW eh.out | grep '\.modinfo' >/dev/null; }
check "vmlinux kbuild output has no .rel*/.modinfo" no_relocs_left
device_tables_kept_like_gnu() { readelf -sW eh.out | grep __mod_device_table__pci__foo_ids >/dev/null; }
check "__mod_device_table__ symbol used by a relocation is kept (GNU rule)" device_tables_kept_like_gnu

binary_of() {
  objcopy -j "$1" -O binary "$FX/vmlinux.unstripped" gnu.bin && "$E" objcopy -j "$1" -O binary "$FX/vmlinux.unstripped" eh.bin &&
    cmp gnu.bin eh.bin
}
check "-j .modinfo -O binary = GNU (kbuild's modules.builtin.modinfo step)" binary_of .modinfo
alloc_binary() { binary_of .module_hashes && [ "$(stat -c %s eh.bin)" = 36 ]; }
check "-j SECTION -O binary of an allocated section = GNU" alloc_binary
strip_symbol_in_reloc() { ! "$E" objcopy -N foo_counter "$FX/x86_64-module.o" eh.out 2>err.txt && grep -q "named in a relocation" err.txt; }
check "-N of a symbol a relocation needs is an error (GNU warns and exits 1)" strip_symbol_in_reloc
update_section() {
  head -c 36 /dev/urandom > new.bin
  objcopy --update-section .module_hashes=new.bin "$FX/vmlinux.unstripped" gnu.out &&
    "$E" objcopy --update-section .module_hashes=new.bin "$FX/vmlinux.unstripped" eh.out && cmp gnu.out eh.out &&
    "$E" objcopy --dump-section .module_hashes=back.bin eh.out && cmp new.bin back.bin
}
check "--update-section/--dump-section .module_hashes = GNU" update_section
update_wrong_size() {
  head -c 40 /dev/zero > big.bin; rm -f eh.out
  ! "$E" objcopy --update-section .module_hashes=big.bin "$FX/vmlinux.unstripped" eh.out 2>err.txt && [ ! -e eh.out ] &&
    grep -q "module_hashes" err.txt
}
check "--update-section of an allocated section with another size is refused, no output" update_wrong_size
# Found by fuzz_objcopy: a PT_NULL entry's offset and size are not checked by the reader (an unused slot
# describes no bytes) and must not size the output, which would otherwise be exabytes.
null_segment() {  # null_segment IN OUT TYPE: the first program header of TYPE becomes PT_NULL at 2^62, 2^62 bytes
  python3 - "$@" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
phoff, = struct.unpack_from("<Q", b, 32); phnum, = struct.unpack_from("<H", b, 56)
o = next(phoff + 56 * i for i in range(phnum) if struct.unpack_from("<I", b, phoff + 56 * i)[0] == int(sys.argv[3], 0))
struct.pack_into("<I", b, o, 0)                        # p_type = PT_NULL
struct.pack_into("<Q", b, o + 8, 0x4000000000000000)   # p_offset
struct.pack_into("<Q", b, o + 32, 0x4000000000000000)  # p_filesz
open(sys.argv[2], "wb").write(b)
PY
}
null_segment_ignored() {  # GNU_STACK made PT_NULL: copied as GNU copies it, the size of a plain copy
  null_segment "$FX/x86_64-pie" nullseg.in 0x6474e551 || return 1
  objcopy nullseg.in gnu.out && "$E" objcopy nullseg.in nullseg.out && cmp gnu.out nullseg.out &&
    [ "$(stat -c %s nullseg.out)" = "$(stat -L -c %s "$FX/x86_64-pie")" ]
}
check "a PT_NULL program header with an absurd offset and size does not size the output (= GNU)" null_segment_ignored
null_load_refused() {  # the first PT_LOAD made PT_NULL: .text is in no PT_LOAD, which GNU re-lays (with a
  # warning) and elfhash refuses rather than differ
  null_segment "$FX/vmlinux.unstripped" nullload.in 1 || return 1
  rm -f nullload.out; "$E" objcopy nullload.in nullload.out 2>err.txt
  [ $? = 2 ] && [ ! -e nullload.out ] && grep -q "allocated section is in no PT_LOAD" err.txt
}
check "an allocated section left in no PT_LOAD (GNU moves it) is refused, exit 2, no output" null_load_refused
add_section() {
  printf 'hello' > note.bin
  objcopy --add-section .note.test=note.bin --add-section .extra=note.bin "$FX/x86_64-module.o" gnu.out &&
    "$E" objcopy --add-section .note.test=note.bin --add-section .extra=note.bin "$FX/x86_64-module.o" eh.out && cmp gnu.out eh.out
}
check "--add-section = GNU" add_section
dynstr_first() {  # BFD creates .dynamic and .dynsym before a .dynstr that precedes them (s390x vmlinux)
  printf '.text\n.globl f\nf: ret\n' > d.s && as --64 d.s -o d.o &&
    printf 'SECTIONS {\n .dynstr : { *(.dynstr) }\n .text : { *(.text) }\n .dynamic : { *(.dynamic) }\n .dynsym : { *(.dynsym) }\n}\n' > d.lds &&
    ld -shared -T d.lds d.o -o d.so 2>/dev/null || return 1
  [ "$(readelf -SW d.so | sed -n 's/^ *\[ *1\] //p' | awk '{print $1}')" = .dynstr ] || { echo "fixture: .dynstr not first"; return 1; }
  objcopy d.so gnu.out && "$E" objcopy d.so eh.out && cmp gnu.out eh.out
}
check "section header order of a .dynstr ahead of .dynamic/.dynsym = GNU (BFD creation order)" dynstr_first
retype() {  # retype IN OUT SECTION TYPE: sets SECTION's sh_type to TYPE and its sh_link to .symtab (ELF64 LE)
  python3 - "$@" <<'PY'
import struct, sys
src, dst, name, typ = sys.argv[1], sys.argv[2], sys.argv[3].encode(), int(sys.argv[4], 0)
b = bytearray(open(src, "rb").read())
shoff, = struct.unpack_from("<Q", b, 0x28); shnum, shstrndx = struct.unpack_from("<HH", b, 0x3c)
hdr = lambda i: shoff + 64 * i
stroff, = struct.unpack_from("<Q", b, hdr(shstrndx) + 24)
names = {bytes(b[stroff + struct.unpack_from("<I", b, hdr(i))[0]:].split(b"\0")[0]): i for i in range(shnum)}
symtab = [i for i in range(shnum) if struct.unpack_from("<I", b, hdr(i) + 4)[0] == 2][0]
struct.pack_into("<I", b, hdr(names[name]) + 4, typ); struct.pack_into("<I", b, hdr(names[name]) + 40, symtab)
open(dst, "wb").write(b)
PY
}
opaque_symbol_indices_refused() {  # SHT_CREL / unknown SHT_LOPROC+ linked to .symtab: never written stale
  for typ in 0x40000014 0x7fff0001; do
    retype "$FX/x86_64-module.o" op.o .note.GNU-stack $typ || return 1
    cp op.o op.orig
    "$E" strip --strip-unneeded op.o 2>err.txt; local rc=$?
    [ $rc = 2 ] && cmp -s op.o op.orig && grep -q "symbol indices elfhash cannot renumber" err.txt ||
      { echo "type $typ: rc=$rc $(cat err.txt)"; return 1; }
    "$E" objcopy --strip-unneeded -R .note.GNU-stack op.o ok.o || { echo "type $typ: -R refused"; return 1; }
  done
}
check "SHT_CREL and unknown processor types linked to .symtab: refused when symbols are renumbered" opaque_symbol_indices_refused
set_flags() {
  objcopy --set-section-flags .modinfo=alloc,readonly,noload "$FX/x86_64-module.o" gnu.out &&
    "$E" objcopy --set-section-flags .modinfo=alloc,readonly,noload "$FX/x86_64-module.o" eh.out && cmp gnu.out eh.out
}
check "--set-section-flags noload = GNU" set_flags
set_flags_order() {  # the last matching pattern wins; a matching '!' pattern anywhere means no change
  local -; set -f  # the patterns are words, not globs of this directory
  for opts in ".modinfo=noload !.modinfo=alloc" ".mod*=alloc .modinfo=alloc,readonly,noload" \
              ".modinfo=alloc,readonly,noload .mod*=alloc"; do
    local args=()
    for o in $opts; do args+=(--set-section-flags "$o"); done
    objcopy "${args[@]}" "$FX/x86_64-module.o" gnu.out && "$E" objcopy "${args[@]}" "$FX/x86_64-module.o" eh.out &&
      cmp gnu.out eh.out || { echo "differs: $opts"; return 1; }
  done
}
check "--set-section-flags: last match wins, '!' anywhere excludes (= GNU)" set_flags_order
# binutils find_section_list: the last matching option wins, a matching '!' anywhere excludes (an
# allocated .rela.dyn in arm64/ppc64le vmlinux keeps its flags under kbuild's '.rel*'=noload).
check "--set-section-flags: last match wins = GNU" same_as_gnu x86_64-module.o \
  --set-section-flags .modinfo=alloc,readonly --set-section-flags '.mod*=noload'
check "--set-section-flags: last match wins (other order) = GNU" same_as_gnu x86_64-module.o \
  --set-section-flags '.mod*=noload' --set-section-flags .modinfo=alloc,readonly
check "--set-section-flags non-alloc=noload (BFD: W unless readonly) = GNU" same_as_gnu x86_64-module.o \
  --set-section-flags .debug_str=noload --set-section-flags .comment=debug
check "--set-section-flags: a later '!' pattern excludes = GNU" same_as_gnu x86_64-module.o \
  --set-section-flags '.mod*=noload' --set-section-flags '!.modinfo=alloc'
check "--set-section-flags .bss*=alloc,load,contents (NOBITS gains zeros) = GNU" same_as_gnu x86_64-module.o \
  --set-section-flags '.bss*=alloc,load,contents'
only_section() {
  objcopy -j .modinfo -j '.rodata*' "$FX/x86_64-module.o" gnu.out &&
    "$E" objcopy -j .modinfo -j '.rodata*' "$FX/x86_64-module.o" eh.out && cmp gnu.out eh.out
}
check "-j/--only-section = GNU" only_section
negation_order_independent() {
  "$E" objcopy -R '!.rela.text*' -R '.rela.text*' "$FX/x86_64-start.o" a.out &&
    "$E" objcopy -R '.rela.text*' -R '!.rela.text*' "$FX/x86_64-start.o" b.out && cmp a.out b.out
}
check "'!' section patterns are order-independent" negation_order_independent
group_members_removed_cleanly() {
  "$E" objcopy -R '.rel*' "$FX/x86_64-module.o" eh.out && readelf -gW eh.out 2>&1 | { ! grep -qi error; }
}
check "removing grouped relocation sections leaves valid groups (GNU 2.40 asserts here)" group_members_removed_cleanly
missing_symbol_ref() {
  rm -f eh.out; ! "$E" objcopy -R .text.foo_probe "$FX/x86_64-module.o" eh.out 2>err.txt && [ ! -e eh.out ] &&
    grep -qE "x86_64-module.o: offset 0x[0-9a-f]+: " err.txt
}
check "a still-referenced removal fails with file+offset, no output" missing_symbol_ref
unknown_option() { "$E" objcopy --frobnicate x y 2>err.txt; [ $? = 2 ] && grep -q -- "--frobnicate" err.txt; }
check "unknown option: exit 2 naming the option" unknown_option

# strip
strip_matches_gnu() {
  cp "$FX/x86_64-module.o" a.o && cp "$FX/cross-i386.o" b.o && cp a.o ga.o && cp b.o gb.o &&
    strip --strip-debug ga.o gb.o && "$E" strip --strip-debug a.o b.o && cmp a.o ga.o && cmp b.o gb.o
}
check "strip --strip-debug in place, several files = GNU" strip_matches_gnu
# GNU moves SHT_GROUP sections to the front on its first pass, which changes .shstrtab insertion
# order once more on the second pass (we match GNU on both). From the second pass on the output is a
# fixed point; BFD-written inputs such as kernel modules are fixed points from the first pass.
strip_idempotent() {
  cp "$FX/x86_64-module.o" a.o && chmod u+w a.o && "$E" strip -g a.o && "$E" strip -g a.o && cp a.o twice.o &&
    "$E" strip -g a.o && cmp a.o twice.o && cp "$FX/vmlinux.unstripped" v && chmod u+w v && "$E" strip -g v && cp v v1 &&
    "$E" strip -g v && cmp v v1
}
check "strip reaches a fixed point (idempotent on BFD-written input)" strip_idempotent
gnu_not_idempotent_either() {
  cp "$FX/x86_64-module.o" g.o && chmod u+w g.o && strip -g g.o && cp g.o g1.o && strip -g g.o && ! cmp -s g.o g1.o &&
    cp "$FX/x86_64-module.o" a.o && chmod u+w a.o && "$E" strip -g a.o && cmp a.o g1.o && "$E" strip -g a.o && cmp a.o g.o
}
check "second pass on clang groups matches GNU's second pass" gnu_not_idempotent_either
with_trailer() {
  cp "$FX/x86_64-module.o" t.o && printf 'SIGNATURE' >> t.o &&
    printf '\0\0\2\0\0\0\0\0\0\0\0\x09~Module signature appended~\n' >> t.o && cp t.o t.orig
}
strip_refuses_trailer() {
  with_trailer && ! "$E" strip -g t.o 2>err.txt && cmp t.o t.orig && grep -q "drop-trailer" err.txt
}
check "strip refuses a file with a signature trailer and leaves it untouched" strip_refuses_trailer
strip_drop_trailer() {
  with_trailer && "$E" strip -g --drop-trailer t.o && cp "$FX/x86_64-module.o" plain.o && "$E" strip -g plain.o && cmp t.o plain.o
}
check "strip --drop-trailer = strip of the image without trailer" strip_drop_trailer
strip_bad_input_no_output() {
  printf 'not an elf file at all' > bad.o; rm -f out.o
  ! "$E" strip -g -o out.o bad.o 2>err.txt && [ ! -e out.o ] && grep -q "bad.o: offset 0x0: not an ELF file" err.txt &&
    [ -z "$(ls -A . | grep elfhash- || true)" ]
}
check "bad input: one-line error with offset, no output, no temp file left" strip_bad_input_no_output

# Files named on the command line go through the bounded regular-file reader (elf/small_file.h):
# /dev/zero used to give a 512 MiB section, a directory an empty one, a FIFO blocked forever.
add_section_refuses() {  # add_section_refuses FILE MESSAGE
  rm -rf add.out
  local err rc=0
  err=$(timeout 20 "$E" objcopy --add-section ".x=$1" "$FX/x86_64-module.o" add.out 2>&1) || rc=$?
  [ "$rc" = 2 ] && [ "$err" = "elfhash: $1: $2" ] && [ ! -e add.out ] || { echo "rc=$rc: $err"; return 1; }
}
check "--add-section /dev/zero: not a regular file, exit 2, no output" add_section_refuses /dev/zero "not a regular file"
check "--add-section DIR: not a regular file, exit 2, no output" add_section_refuses "$T" "not a regular file"
rm -f fifo && mkfifo fifo
check "--add-section FIFO: refused at once, not read forever" add_section_refuses "$T/fifo" "not a regular file"
missing_value() {  # an option without its value is a usage error (no exception as control flow)
  local err rc=0
  err=$("$E" objcopy "$FX/x86_64-module.o" --add-section 2>&1) || rc=$?
  [ "$rc" = 2 ] && [[ $err == "elfhash: objcopy: option '--add-section' requires an argument"* ]] || { echo "rc=$rc: $err"; return 1; }
}
check "objcopy option without its value: usage error, exit 2" missing_value
finish
