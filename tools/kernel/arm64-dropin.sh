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
tree=$croot/$tkey/tree ref=$croot/$tkey/ref-$rkey
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
if [ ! -f "$ref/.complete" ]; then
  rm -rf "$croot/$tkey"/ref-*/   # layers of an older script or older GNU tools
  dropin_reference "$tree" "$ref"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/arm64-dropin.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
dropin_elfhash_run "$tree" "$ref" "$work" "$E"
dropin_check_calls "$tree" "$ref" "$work" $(( $(wc -l < "$tree/modules.order") + 3 )) <<'EOF'
Image (arch/arm64/boot)|^aarch64-linux-gnu-objcopy .* -O binary -R \.note -R \.note\.gnu\.build-id -R \.comment -S vmlinux=[0-9a-f]+ arch/arm64/boot/Image=
vdso.so (arch/arm64/kernel/vdso)|^aarch64-linux-gnu-objcopy .* -S arch/arm64/kernel/vdso/vdso\.so\.dbg=
modules.builtin.modinfo (scripts/Makefile.vmlinux_o)|^aarch64-linux-gnu-objcopy .* -j \.modinfo -O binary vmlinux\.o=
pi/ objects (arch/arm64/kernel/pi; kbuild ignores this command's exit status)|^aarch64-linux-gnu-objcopy .* --prefix-symbols=__pi_ --remove-section=\.note\.gnu\.property --prefix-alloc-sections=\.init arch/arm64/kernel/pi/lib-fdt\.o=
EOF
dropin_check_trees "$tree" "$ref" "$work" arch/arm64/boot/Image \
  arch/arm64/boot/Image vmlinux arch/arm64/kernel/vdso/vdso.so modules.builtin.modinfo \
  arch/arm64/kernel/pi/lib-fdt.pi.o arch/arm64/kernel/pi/map_kernel.pi.o
dropin_check_boot "$tree" "$work" aarch64 "${KERNEL_TEST_TIMEOUT:-600}"
echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
