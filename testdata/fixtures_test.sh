#!/bin/sh
# Checks that the generated fixtures have the properties testdata/README.md promises (with GNU readelf,
# independently of elfhash's reader), so a toolchain change cannot silently weaken the other tests.
set -u
cd testdata
fail=0
check() {  # check DESCRIPTION COMMAND...
  desc=$1; shift
  if "$@" >/dev/null 2>&1; then echo "ok   $desc"; else echo "FAIL $desc"; fail=1; fi
}
hdr() { readelf -h "$1" | grep "$2" >/dev/null; }
sec() { readelf -S -W "$1" | grep -E "$2" >/dev/null; }

check "x86_64-module.o is ET_REL x86-64" hdr x86_64-module.o "REL (Relocatable file)"
check "x86_64-module.o has COMDAT groups" sh -c "readelf -g x86_64-module.o | grep COMDAT >/dev/null"
check "x86_64-module.o has .modinfo" sec x86_64-module.o '\] \.modinfo '
check "x86_64-module.o has .rela.text.*" sec x86_64-module.o '\.rela\.text\.'
check "x86_64-module.o has .debug_info" sec x86_64-module.o '\.debug_info '
check "x86_64-module.o defines __mod_device_table__pci__foo_ids" \
  sh -c "readelf -s -W x86_64-module.o | grep ' __mod_device_table__pci__foo_ids$' >/dev/null"
for t in i386:ELF32:little armv7a:ELF32:little mips:ELF32:big powerpc:ELF32:big powerpc64:ELF64:big \
         s390x:ELF64:big; do
  n=${t%%:*}; rest=${t#*:}; cls=${rest%%:*}; end=${rest#*:}
  check "cross-$n.o is $cls" hdr cross-$n.o "Class: *$cls"
  check "cross-$n.o is $end endian" hdr cross-$n.o "$end endian"
  check "cross-$n.o has relocations" sec cross-$n.o '\] \.rela?\.text'
  check "cross-$n.o has DWARF" sec cross-$n.o '\.debug_info '
done
check "many-sections.o uses e_shnum = 0" hdr many-sections.o "Number of section headers: *0 (700"
check "many-sections.o uses e_shstrndx = SHN_XINDEX" hdr many-sections.o "string table index: *65535 ("
check "many-sections.o has SHT_SYMTAB_SHNDX" sec many-sections.o 'SYMTAB SECTION INDICES'
check "vmlinux.unstripped is ET_EXEC" hdr vmlinux.unstripped "EXEC (Executable file)"
check "vmlinux.unstripped has PT_LOAD" sh -c "readelf -l -W vmlinux.unstripped | grep '^  LOAD' >/dev/null"
check "vmlinux.unstripped .module_hashes is 36 bytes, alloc" sec vmlinux.unstripped '\.module_hashes +PROGBITS +[0-9a-f]+ [0-9a-f]+ 000024 00 +A '
check "vmlinux.unstripped .module_hashes is in a PT_LOAD" \
  sh -c "readelf -l -W vmlinux.unstripped | grep -E '^   0[0-9] .*\.module_hashes' >/dev/null"
check "vmlinux.unstripped keeps .rela.text (--emit-relocs)" sec vmlinux.unstripped '\] \.rela\.text '
check "vmlinux.unstripped has .modinfo" sec vmlinux.unstripped '\] \.modinfo '
check "x86_64-pie is a PIE" hdr x86_64-pie "DYN (Position-Independent Executable file)"
for t in PHDR INTERP DYNAMIC NOTE TLS GNU_STACK GNU_RELRO; do
  check "x86_64-pie has PT_$t" sh -c "readelf -l -W x86_64-pie | grep -E '^  $t ' >/dev/null"
done
check "x86_64-pie has four PT_LOADs" sh -c "[ \$(readelf -l -W x86_64-pie | grep -c '^  LOAD') = 4 ]"
check "x86_64-pie has .tbss" sec x86_64-pie '\] \.tbss +NOBITS'
check "x86_64-pie-slack has a PT_LOAD without file bytes, then a page of slack" \
  sh -c "readelf -l -W x86_64-pie-slack | grep -E '^  LOAD +0x002000 .* 0x000000 0x000000 ' >/dev/null && \
         readelf -l -W x86_64-pie-slack | grep -E '^  LOAD +0x002[4-9a-f]' >/dev/null"
check "x86_64-sectsyms.so has section symbols" sh -c "readelf -s -W x86_64-sectsyms.so | grep ' SECTION ' >/dev/null"
check "x86_64-sectsyms.so keeps only the dynamic relocation sections (.rela.dyn, .rela.plt)" \
  sh -c "[ \"\$(readelf -S -W x86_64-sectsyms.so | grep -o ' \.rela[^ ]*' | tr -d ' ' | tr '\n' ' ')\" = '.rela.dyn .rela.plt ' ]"
mapping_no_sections() {  # mapping_no_sections FILE: $a/$d/$x symbols, no STT_SECTION symbol
  readelf -s -W "$1" | grep -E ' \$[adx](\.[0-9]+)?$' >/dev/null && ! readelf -s -W "$1" | grep ' SECTION ' >/dev/null
}
tdata_mapping() {  # a $d mapping symbol defined in .tdata
  n=$(readelf -S -W cross-aarch64-pie | sed -n 's/^ *\[ *\([0-9]*\)\] \.tdata .*/\1/p')
  [ -n "$n" ] && readelf -s -W cross-aarch64-pie | grep -E " $n \\\$d(\.[0-9]+)?$" >/dev/null
}
for f in cross-aarch64-pie cross-armv7a.so; do
  check "$f is ET_DYN" hdr $f "DYN "
  check "$f has mapping symbols and no section symbols" mapping_no_sections $f
done
check "cross-aarch64-pie has a mapping symbol in .tdata" tdata_mapping
[ $fail = 0 ] && echo "all fixture properties hold"
exit $fail
