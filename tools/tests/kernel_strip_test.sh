#!/usr/bin/env bash
# End-to-end judge for stripping: Debian's own kernel, booted under qemu (TCG), must load the
# Debian -dbg modules after STRIP has stripped them, and must boot the ELF vmlinux that
# VMLINUX_CMD makes from the -dbg vmlinux. See docs/kernel-tests.md.
#
# env:
#   STRIP        strip command, run in place on each module as `$STRIP FILE` (like kbuild's
#                cmd_strip_mod, spec §5.2). Default: $ELFHASH strip --strip-debug, where ELFHASH
#                defaults to bazel-bin/tools/elfhash (relative to the repository root).
#                e.g. STRIP="strip --strip-debug" for GNU strip.
#   VMLINUX_CMD  command making the final vmlinux; the words IN and OUT are replaced by the input
#                (-dbg vmlinux) and output paths (spec §5.1). Default: GNU objcopy as in kbuild.
#   KERNEL_TEST_TIMEOUT  seconds per boot (default 120)
#   KEEP=1       keep the work directory (printed)
#   ELFHASH_CACHE  cache root (default ~/.cache/elfhash)
#
# Assertions (closing line "N passed, N failed"; exit 1 if any failed, 2 on setup errors):
#   boot 1 (Debian vmlinuz):        the boot reaches ELFHASH-DONE on Debian's kernel release;
#                                   each module: stripped (no .debug_* section left), loaded ok,
#                                   and the kernel logged no warning/error while loading it;
#                                   negative control: a module with a corrupted relocation type
#                                   is refused with the kernel's "Unknown rela relocation";
#                                   negative control: a Debian-signed module with a corrupted
#                                   signature trailer length is refused (EBADMSG, "Bad message").
#   boot 2 (VMLINUX_CMD output, PVH): the boot reaches ELFHASH-DONE; each module loads cleanly.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
kdir=$root/tools/kernel
STRIP=${STRIP:-${ELFHASH:-bazel-bin/tools/elfhash} strip --strip-debug}
VMLINUX_CMD=${VMLINUX_CMD:-objcopy --remove-section=.modinfo --remove-section='.rel*' --remove-section='!.rel*.dyn' -w --strip-unneeded-symbol='__mod_device_table__*' IN OUT}
tmo=${KERNEL_TEST_TIMEOUT:-120}

KTEST_NAME=kernel_strip_test
. "$root/tools/tests/kernel_lib.sh"

t_start=$(now)
command -v "${STRIP%% *}" >/dev/null || setup_fail "STRIP command not found: ${STRIP%% *} (build elfhash or set STRIP)"
deb=$(bash "$kdir/fetch-debian.sh") || setup_fail "fetch-debian.sh failed"
kver=$(cat "$deb/kver")
dbgmods=$deb/dbg/usr/lib/debug/lib/modules/$kver
sigmods=$deb/unsigned/lib/modules/$kver
vmlinuz=$deb/unsigned/boot/vmlinuz-$kver
vmlinux_dbg=$deb/dbg/usr/lib/debug/boot/vmlinux-$kver
for f in "$vmlinuz" "$vmlinux_dbg"; do [ -f "$f" ] || setup_fail "$f missing"; done
mapfile -t mods < <(bash "$kdir/pick-modules.sh" --debian "$deb") || setup_fail "pick-modules.sh failed"
((${#mods[@]} >= 30)) || setup_fail "only ${#mods[@]} modules picked"
names=$(for m in "${mods[@]}"; do basename "$m" .ko; done)
[ -z "$(sort <<<"$names" | uniq -d)" ] || setup_fail "module basenames not unique: $(sort <<<"$names" | uniq -d)"

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-strip-test.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
stage=$work/modules

# --- strip the -dbg modules in place, as kbuild does (cp, then $(STRIP) <opts> FILE) ---
t=$(now)
for m in "${mods[@]}"; do
  mkdir -p "$stage/$(dirname "$m")"
  cp "$dbgmods/$m" "$stage/$m" || setup_fail "$dbgmods/$m missing"
  # shellcheck disable=SC2086  # STRIP is a command line
  $STRIP "$stage/$m" 2> "$work/strip.err" || { cat "$work/strip.err" >&2; setup_fail "STRIP failed on $m"; }
done
echo "# stripped ${#mods[@]} modules with '$STRIP' in $(elapsed "$t")s"

# --- negative controls, built from the first module in load order (it has no dependencies) ---
first=${mods[0]}
fname=$(basename "$first" .ko)
neg=$work/neg
mkdir -p "$neg"
# Both are made from Debian's files, not from STRIP's output, so they do not depend on it.
# 1. Relocation type of the first entry of .rela.text set to 0xfe (not an x86-64 type): the
#    kernel's apply_relocate_add must refuse it.
cp "$dbgmods/$first" "$neg/neg-reloc-$fname.ko"
off=$(readelf -SW "$neg/neg-reloc-$fname.ko" | sed -n 's/^ *\[ *[0-9]*\] //p' | awk '!done && $1 == ".rela.text" {print $4; done=1}')
[ -n "$off" ] || setup_fail "$first has no .rela.text"
printf '\xfe\x00\x00\x00' | dd of="$neg/neg-reloc-$fname.ko" bs=1 seek=$((0x$off + 8)) conv=notrunc status=none
# 2. Debian-signed module whose struct module_signature has sig_len = 0xffffffff: the framing
#    is broken, which is fatal even without module.sig_enforce (kernel/module/signing.c).
marker='~Module signature appended~'
cp "$sigmods/$first" "$neg/neg-sig-$fname.ko"
size=$(stat -c %s "$neg/neg-sig-$fname.ko")
[ "$(tail -c 28 "$neg/neg-sig-$fname.ko" | head -c 27)" = "$marker" ] || setup_fail "$sigmods/$first is not signed"
printf '\xff\xff\xff\xff' | dd of="$neg/neg-sig-$fname.ko" bs=1 seek=$((size - 28 - 4)) conv=notrunc status=none

# Boots with the given kernel and load list; output lines go to $2.
boot() {  # boot KERNEL OUTFILE LOAD...
  local kernel=$1 out=$2; shift 2
  local t; t=$(now)
  bash "$kdir/boot.sh" --kernel "$kernel" --modules-dir "$work" --load "$*" --timeout "$tmo" \
    --log "$out.console" > "$out" 2> "$out.err"
  local rc=$?
  echo "# boot of $(basename "$kernel") with $# modules: $(elapsed "$t")s wall, $(grep -o 'LOADTIME [0-9.]*' "$out" | cut -d' ' -f2)s loading in the guest (boot.sh exit $rc)"
  return $rc
}
check_boot() {  # check_boot LABEL OUTFILE RC
  local ok=1
  grep -qx 'ELFHASH-DONE' "$2" && grep -q "^ELFHASH-START $kver " "$2" && [ "$3" -le 1 ] && ok=0
  check "$1 reaches ELFHASH-DONE on $kver" $ok "$(tail -n 5 "$2.err" | tr '\n' ' ')"
}
check_modules() {  # check_modules LABEL OUTFILE CHECK_STRIPPED
  local m n ok detail
  for m in "${mods[@]}"; do
    n=$(basename "$m" .ko); ok=0; detail=
    if [ "$3" = 1 ] && readelf -SW "$stage/$m" | grep ' \.debug_' >/dev/null; then ok=1; detail="still has .debug_* sections"; fi
    if ! grep -qx "ELFHASH-INSMOD $n ok" "$2"; then
      ok=1; detail="$detail $(grep "^ELFHASH-INSMOD $n " "$2" || echo 'no result')"
    elif grep -q "^ELFHASH-KMSG $n " "$2"; then
      ok=1; detail="$detail $(grep "^ELFHASH-KMSG $n " "$2")"
    fi
    check "$1: $n" $ok "$detail"
  done
}

# --- boot 1: Debian's vmlinuz, negative controls first (before the good copy of their module) ---
out1=$work/boot1
boot "$vmlinuz" "$out1" "neg/neg-sig-$fname.ko" "neg/neg-reloc-$fname.ko" "${mods[@]/#/modules/}"
check_boot "boot 1 (vmlinuz)" "$out1" $?
check_modules "boot 1 module" "$out1" 1
line=$(grep "^ELFHASH-INSMOD neg-reloc-$fname " "$out1")
[[ $line = *" fail "*"Unknown rela relocation: 254"* ]]
check "boot 1 negative control: corrupted relocation in $fname is refused" $? "$line"
line=$(grep "^ELFHASH-INSMOD neg-sig-$fname " "$out1")
[[ $line = *" fail "*"Bad message"* ]]
check "boot 1 negative control: corrupted signature trailer of $fname is refused" $? "$line"

# --- boot 2: the ELF vmlinux made by VMLINUX_CMD, booted through its PVH entry ---
vmlinux=$work/vmlinux
# shellcheck disable=SC2016  # the quoted variables are expanded by eval, not here
cmd=$(sed -E 's/(^| )IN( |$)/\1"$vmlinux_dbg"\2/; s/(^| )OUT( |$)/\1"$vmlinux"\2/' <<<"$VMLINUX_CMD")
t=$(now)
if eval "$cmd" > "$work/vmlinux.err" 2>&1 && [ -s "$vmlinux" ]; then
  echo "# VMLINUX_CMD made $(stat -c %s "$vmlinux") bytes in $(elapsed "$t")s"
  out2=$work/boot2
  boot "$vmlinux" "$out2" "${mods[@]/#/modules/}"
  check_boot "boot 2 (vmlinux via PVH)" "$out2" $?
  check_modules "boot 2 module" "$out2" 0
else
  check "boot 2: VMLINUX_CMD produced $vmlinux" 1 "$(head -c 400 "$work/vmlinux.err")"
fi

echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
