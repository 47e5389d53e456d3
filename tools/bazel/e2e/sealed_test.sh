#!/usr/bin/env bash
# The kernel built by //:kernel and sealed by //:sealed (through the elfhash toolchain): every sealed
# module verifies against the sealed vmlinux, the per-module rule agrees with seal, and the sealed
# vmlinux boots under qemu with module.sig_enforce=1, loads every sealed module and refuses a
# tampered one (tools/kernel/boot.sh, docs/kernel-tests.md).
set -u
ext=$TEST_SRCDIR/elfhash
main=$TEST_SRCDIR/$TEST_WORKSPACE
. "$ext/tools/tests/lib.sh"
E=$main/elfhash
rel=$(cat "$main/kernel/include/config/kernel.release")
staging=$main/sealed/staging
mods=$staging/lib/modules/$rel/kernel
vmlinux=$main/sealed/vmlinux
mapfile -t stems < <(sed 's/\.o$//' "$main/kernel/modules.order")
export ELFHASH_CACHE=$TEST_TMPDIR   # boot.sh's busybox initramfs cache stays inside the test
echo "# $rel, ${#stems[@]} modules"

layout() {
  ((${#stems[@]} >= 10)) || return 1
  for s in "${stems[@]}"; do [ -f "$mods/$s.ko" ] || { echo "missing $s.ko"; return 1; }; done
  diff <(sed 's|^\(.*\)\.o$|kernel/\1.ko|' "$main/kernel/modules.order") "$staging/lib/modules/$rel/modules.order"
}
check "staging holds lib/modules/$rel/kernel/<stem>.ko for every modules.order line, and the installed modules.order" layout
verify_all() {
  local out; out=$(cd "$mods" && "$E" verify --vmlinux "$vmlinux" "${stems[@]/%/.ko}" 2>&1)
  ! grep -v ': ok$' <<<"$boot"
}
check "elfhash verify: all ${#stems[@]} sealed modules ok against the sealed vmlinux" verify_all
same_as_rule() {  # elfhash_strip_modules on Kleaf-style module_outs == the image part of the sealed module
  for s in drivers/net/dummy fs/isofs/isofs lib/crc8; do
    local n; n=$(stat -c %s "$main/stripped/$s.ko")
    cmp -n "$n" "$main/stripped/$s.ko" "$mods/$s.ko" || return 1
  done
}
check "elfhash_strip_modules (module_outs files) gives the bytes seal stripped from the tree artifact" same_as_rule

# Load order: modules.order with each module's .modinfo depends= first.
declare -A dep done_
for s in "${stems[@]}"; do
  # .modinfo's NUL-separated "depends=a,b" string, read straight from the file.
  dep[$(basename "$s")]=$(tr '\0' '\n' < "$mods/$s.ko" | sed -n 's/^depends=//p' | tr ',-' ' _')
done
order=()
while ((${#order[@]} < ${#stems[@]})); do
  progress=0
  for s in "${stems[@]}"; do
    b=$(basename "$s" | tr - _); [ -z "${done_[$b]:-}" ] || continue
    for d in ${dep[$(basename "$s")]}; do [ -n "${done_[$d]:-}" ] || continue 2; done
    order+=("$s.ko"); done_[$b]=1; progress=1
  done
  [ $progress = 1 ] || { echo "unresolvable module dependencies"; break; }
done
# The attack: one byte of crc8's image flipped, trailer kept.
cp "$mods/lib/crc8.ko" "$TEST_TMPDIR/tampered.ko"
printf '\x5a' | dd of="$TEST_TMPDIR/tampered.ko" bs=1 seek=100 conv=notrunc status=none
boot=$(bash "$ext/tools/kernel/boot.sh" --kernel "$vmlinux" --modules-dir "$mods" \
  --load "$TEST_TMPDIR/tampered.ko ${order[*]}" --append module.sig_enforce=1 --timeout 240 2>"$TEST_TMPDIR/boot.err")
echo "$boot" | sed 's/^/# /'
booted() { grep -q "^ELFHASH-START $rel " <<<"$boot" && grep -q '^ELFHASH-DONE' <<<"$boot" || { cat "$TEST_TMPDIR/boot.err"; return 1; }; }
check "the sealed vmlinux boots under qemu ($rel, module.sig_enforce=1)" booted
refused() { grep -q '^ELFHASH-INSMOD tampered fail .*Key was rejected' <<<"$boot"; }
check "the enforcing kernel refuses a module with one flipped byte" refused
loaded() {
  local n; n=$(grep -c '^ELFHASH-INSMOD [^ ]* ok$' <<<"$boot")
  [ "$n" = "${#stems[@]}" ] || { grep '^ELFHASH-INSMOD' <<<"$boot" | grep -v ' ok$'; return 1; }
}
check "the enforcing kernel loads all ${#stems[@]} sealed modules" loaded
finish
