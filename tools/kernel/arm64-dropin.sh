#!/usr/bin/env bash
# Real client 2 of the drop-in objcopy/strip (issue 11 item 5, docs/kernel-tests.md): an arm64
# cross build of linux-source-6.12 (`ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-`, tinyconfig plus
# the fragment below: modules, a few =m, PCI/virtio and the PL011 console of qemu's virt machine,
# initramfs, ELF binfmt, DWARF) taken through `make Image modules` and `INSTALL_MOD_STRIP=1
# modules_install` once with GNU's aarch64-linux-gnu-objcopy/-strip and once with elfhash links of
# those names, by the method of tools/kernel/dropin-lib.sh (as tools/tests/kernel_dropin_test.sh on
# x86-64). Checks: the same calls with the same bytes after each, every file the elfhash run wrote
# identical to GNU's (Image, vmlinux, the vdso, modules.builtin.modinfo ...), the same installed
# modules, and the elfhash-built Image boots under `qemu-system-aarch64 -M virt -cpu max` (TCG)
# with an arm64 busybox-static initramfs and loads every installed module.
# usage: arm64-dropin.sh [-j N]
# The GNU build is cached in ~/.cache/elfhash/arm64-dropin/<key>/tree (key: the source package,
# tools/kernel/arm64-dropin.config, the cross compiler and linker), the reference layer over it in
# .../ref-<key> (key: the tree's, this script, dropin-lib.sh, GNU's aarch64 objcopy/strip). Fresh: the arm64
# build (~10-15 min on 2 busy cores) plus ~2 min; cached: ~2 min. Not in CI (docs/kernel-tests.md).
# env: ELFHASH (default bazel-bin/tools/elfhash), KERNEL_TEST_TIMEOUT (boot, default 600), KEEP=1.
# Closing line "N passed, N failed"; exit 1 if any failed, 2 on setup errors. Needs root (mounts).
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
KTEST_NAME=arm64-dropin
. "$root/tools/tests/kernel_lib.sh"
. "$here/dropin-lib.sh"
jobs=$(nproc)
[ "${1:-}" != -j ] || jobs=${2:?}
E=$(readlink -f "${ELFHASH:-$root/bazel-bin/tools/elfhash}")
[ -x "$E" ] || setup_fail "no elfhash binary at $E"
export ELFHASH=$E
dropin_enter_namespace "$0" "$@" || setup_fail "cannot enter a mount namespace"

pkg=linux-source-6.12
tarball=/usr/src/linux-source-6.12.tar.xz
cross=aarch64-linux-gnu-
bash "$root/tools/setup.sh" "$pkg" gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu flex bison bc \
  libelf-dev libssl-dev make xz-utils kmod qemu-system-arm >&2 || setup_fail "setup.sh failed"
t_start=$(now)
names=(aarch64-linux-gnu-objcopy aarch64-linux-gnu-strip)
DROPIN_NAMES=${names[*]} DROPIN_OBJCOPY=${names[0]} DROPIN_STRIP=${names[1]}
DROPIN_MAKE="ARCH=arm64 CROSS_COMPILE=$cross" DROPIN_TARGETS="Image modules" DROPIN_FORCE=vmlinux
export KBUILD_BUILD_TIMESTAMP='2026-01-01 00:00:00 UTC' KBUILD_BUILD_USER=elfhash \
  KBUILD_BUILD_HOST=elfhash KBUILD_BUILD_VERSION=1 LC_ALL=C

fragment=$here/arm64-dropin.config   # merged on top of tinyconfig
# The GNU build (the tree) is keyed on what decides it; the reference layer over it on the scripts
# too, so that editing a check costs a reference run (~2 min), not a kernel build.
version=$(dpkg-query -W -f='${Version}' "$pkg")
tkey=$( { echo "$pkg $version"; grep -v '^#' "$fragment"; ${cross}gcc --version | sed -n 1p
          ${cross}ld --version | sed -n 1p; } | sha256sum | cut -c1-16)
rkey=$( { echo "$tkey"; cat "$0" "$here/dropin-lib.sh"; ${cross}objcopy --version | sed -n 1p
          sha256sum < /usr/bin/${cross}objcopy; sha256sum < /usr/bin/${cross}strip; } | sha256sum | cut -c1-16)
croot=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/arm64-dropin
tree=$croot/$tkey/tree cache=$croot/$tkey/ref-$rkey
mkdir -p "$croot"
exec 9> "$croot/.lock"
flock 9
if [ ! -f "$croot/$tkey/.built" ]; then
  t=$(now)
  rm -rf "$croot"/*/   # trees of other inputs are never used again
  mkdir -p "$tree"
  log=$croot/$tkey/build.log
  mk() { make -C "$tree" $DROPIN_MAKE "$@" >> "$log" 2>&1; }
  tar -xf "$tarball" -C "$tree" --strip-components=1 >> "$log" 2>&1 || setup_fail "unpacking $tarball failed"
  mk tinyconfig && "$tree/scripts/kconfig/merge_config.sh" -m -O "$tree" "$tree/.config" "$fragment" >> "$log" 2>&1 &&
    mk olddefconfig || setup_fail "configuring failed (log: $log)"
  lost=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$fragment" | while read -r line; do grep -qxF "$line" "$tree/.config" || echo "$line"; done)
  [ -z "$lost" ] || setup_fail "options lost by olddefconfig: $(echo $lost)"
  mk -j"$jobs" Image modules || { tail -n 20 "$log" >&2; setup_fail "GNU build failed (log: $log)"; }
  touch "$croot/$tkey/.built"
  echo "# GNU cross build of $pkg $version (Image, $(wc -l < "$tree/modules.order") modules) in $(elapsed "$t")s"
fi
if [ ! -f "$cache/.complete" ]; then
  t=$(now)
  rm -rf "$croot/$tkey"/ref-*/
  dropin_wrappers "$cache/bin" /usr/bin "$cache/calls.log"
  dropin_build "$tree" "$tree" "$cache/up" "$cache/bin" "$cache/install" "$cache/make.log" ||
    { tail -n 20 "$cache/make.log" >&2; setup_fail "GNU reference run failed (log: $cache/make.log)"; }
  touch "$cache/.complete"
  echo "# GNU reference run (objcopy/strip steps redone through logging wrappers) in $(elapsed "$t")s"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/arm64-dropin.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
mkdir -p "$work/links"
for n in "${names[@]}"; do ln -s "$E" "$work/links/$n"; done
dropin_wrappers "$work/bin" "$work/links" "$work/calls.log"
t=$(now)
dropin_build "$tree" "$cache/up:$tree" "$work/up" "$work/bin" "$work/install" "$work/make.log"
check "make Image modules && modules_install INSTALL_MOD_STRIP=1 with elfhash's aarch64-linux-gnu-* links" $? \
  "$(tail -n 5 "$work/make.log" | tr '\n' ' ')"
echo "# elfhash side in $(elapsed "$t")s"

dropin_calls "$cache/calls.log" "$tree" "$cache/install" > "$work/gnu.calls"
dropin_calls "$work/calls.log" "$tree" "$work/install" > "$work/eh.calls"
ng=$(wc -l < "$work/gnu.calls") ne=$(wc -l < "$work/eh.calls") nmods=$(wc -l < "$tree/modules.order")
[ "$ne" = "$ng" ] && [ "$ne" -ge $((nmods + 3)) ]
check "$ne objcopy/strip calls reached elfhash, GNU's run made $ng (>= 3 + $nmods modules)" $?
grep -v ' rc=0 ' "$work/eh.calls" "$work/gnu.calls" > "$work/failed.calls"
check "every call exits 0, on both sides" $([ ! -s "$work/failed.calls" ]; echo $?) "$(head -c 600 "$work/failed.calls")"
diff "$work/gnu.calls" "$work/eh.calls" > "$work/calls.diff"
check "the same command lines, and every file they name has GNU's bytes after the call" $? "$(head -c 1500 "$work/calls.diff")"
for pat in ' -O binary -R \.note -R \.note\.gnu\.build-id -R \.comment -S vmlinux=[0-9a-f]+ arch/arm64/boot/Image=' \
    ' -S arch/arm64/kernel/vdso/vdso\.so\.dbg=' ' -j \.modinfo -O binary vmlinux\.o='; do
  grep -E "^aarch64-linux-gnu-objcopy .*$pat" "$work/eh.calls" >/dev/null
  check "kbuild step reached elfhash: objcopy ...$pat" $?
done

mkdir -p "$work/gnu" "$work/eh"
mount -t overlay overlay -o "lowerdir=$cache/up:$tree" "$work/gnu" || setup_fail "mounting the GNU view failed"
mount -t overlay overlay -o "lowerdir=$work/up:$cache/up:$tree" "$work/eh" || setup_fail "mounting the elfhash view failed"
bad=$(dropin_diff_layer "$work/up" "$work/eh" "$work/bin" "$work/gnu" "$cache/bin")
check "all $(find "$work/up" -type f | wc -l) files the elfhash run wrote are GNU's bytes (.cmd: but the tool path)" \
  "$([ -z "$bad" ]; echo $?)" "$(echo $bad)"
for f in arch/arm64/boot/Image vmlinux arch/arm64/kernel/vdso/vdso.so modules.builtin.modinfo; do
  [ -f "$work/up/$f" ] && cmp -s "$work/eh/$f" "$work/gnu/$f"
  check "rebuilt with elfhash and identical to GNU's: $f" $? "$([ -f "$work/up/$f" ] || echo 'not rebuilt')"
done
kver=$(cat "$tree/include/config/kernel.release")
mdir=lib/modules/$kver
diff -r --no-dereference "$cache/install" "$work/install" > "$work/install.diff"
check "installed module tree ($nmods modules) identical to GNU's" $? "$(head -c 600 "$work/install.diff")"
cp "$work/eh/arch/arm64/boot/Image" "$work/Image"
umount "$work/gnu" "$work/eh"

order=$(dropin_load_order "$work/install/$mdir") || setup_fail "reading modules.dep failed"
out=$work/boot
t=$(now)
bash "$here/boot.sh" --arch aarch64 --kernel "$work/Image" --modules-dir "$work/install/$mdir" --load "$order" \
  --timeout "${KERNEL_TEST_TIMEOUT:-600}" --log "$out.console" > "$out" 2> "$out.err"
rc=$?
echo "# boot of the elfhash-built Image (qemu-system-aarch64 -M virt -cpu max, TCG): $(elapsed "$t")s (boot.sh exit $rc); $(boot_summary "$out" "$out")"
grep -q "^ELFHASH-START $kver " "$out" && grep -qx ELFHASH-DONE "$out"
check "the elfhash-built Image boots $kver and reaches ELFHASH-DONE" $? "$(tail -n 5 "$out.err" | tr '\n' ' ')"
for m in $order; do
  b=$(basename "$m" .ko)
  line=$(grep "^ELFHASH-INSMOD $b " "$out")
  check "elfhash-stripped module loads: $b" "$([ "$line" = "ELFHASH-INSMOD $b ok" ]; echo $?)" "${line:-no line}"
done
echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
