#!/usr/bin/env bash
# Checks the outputs of the example rules (BUILD): the sealed tree verifies against the sealed
# vmlinux, and the step-by-step rules (strip_modules + module_hashes) agree with seal byte for byte.
set -u
. "$(dirname "$0")/../../tests/lib.sh" 2>/dev/null || . "$(runfile tools/tests/lib.sh)"
E=$(runfile tools/elfhash)
X=$(runfile tools/bazel/example)
REL=6.1.0-bazel-example
mods=$X/sealed/staging/lib/modules/$REL/kernel
STEMS=(drivers/net/foo fs/bar/bar lib/baz)

layout() { for s in "${STEMS[@]}"; do [ -f "$mods/$s.ko" ] || return 1; done; [ -f "$X/sealed/vmlinux" ]; }
check "elfhash_seal: vmlinux and lib/modules/$REL/kernel/<stem>.ko declared and present" layout
verify_all() { "$E" verify --vmlinux "$X/sealed/vmlinux" $(for s in "${STEMS[@]}"; do echo "$mods/$s.ko"; done); }
check "elfhash verify --vmlinux accepts every sealed module" verify_all
same_root() {
  "$E" objcopy --dump-section .module_hashes="$TEST_TMPDIR/mh.bin" "$X/sealed/vmlinux" "$TEST_TMPDIR/junk" && cmp "$TEST_TMPDIR/mh.bin" "$X/hashes.bin"
}
check "elfhash_module_hashes over elfhash_strip_modules == the sealed vmlinux's .module_hashes" same_root
same_modules() {
  for s in "${STEMS[@]}"; do
    cmp <(cat "$X/stripped/$s.ko" "$X/hashes_proofs/$s.merkle") "$mods/$s.ko" || return 1
  done
}
check "stripped module + its .merkle proof == the sealed module" same_modules
tamper() { cp "$mods/lib/baz.ko" "$TEST_TMPDIR/t.ko" && printf 'x' | dd of="$TEST_TMPDIR/t.ko" bs=1 seek=64 conv=notrunc status=none && ! "$E" verify --vmlinux "$X/sealed/vmlinux" "$TEST_TMPDIR/t.ko"; }
check "negative control: a modified module is refused" tamper
for layout in kbuild installed flat; do
  same_dir() { diff -r "$X/sealed/staging" "$X/sealed_dir_$1/staging" && cmp "$X/sealed/vmlinux" "$X/sealed_dir_$1/vmlinux"; }
  check "elfhash_seal on a modules directory ($layout layout) == elfhash_seal on module files" same_dir $layout
done
check "elfhash_module_hashes on an installed-layout directory (modules.order from it) == the sealed root" cmp "$X/hashes_dir.bin" "$TEST_TMPDIR/mh.bin"
finish
