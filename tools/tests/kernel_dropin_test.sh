#!/usr/bin/env bash
# Real client 1 of the drop-in objcopy/strip (issue 11 item 4, docs/kernel-tests.md "The kernel
# build as a client"): the x86-64 test kernel (tools/kernel/build-test-kernel.sh, linux-source-6.12)
# taken through `make bzImage modules` and `INSTALL_MOD_STRIP=1 modules_install` once with GNU
# binutils and once with a PATH whose objcopy, strip, x86_64-linux-gnu-objcopy and
# x86_64-linux-gnu-strip are links to elfhash. Then:
#   - every objcopy/strip call is logged by a wrapper in front of the tool (GNU side and elfhash
#     side alike): the same number of calls, the same command lines, the same bytes in every file
#     named on each command line after the call (so every output), each expected kbuild call present;
#   - every file the elfhash build wrote is byte-identical to the GNU build's (the .cmd files differ
#     only by the tool's directory), the named artefacts one by one (vmlinux, bzImage, setup.bin,
#     vmlinux.bin, compressed/ intermediates, vdso, realmode.bin), and the installed module tree;
#   - the elfhash-built bzImage boots under qemu (tools/kernel/boot.sh) and loads every installed
#     module, dependencies first (modules.dep).
#
# Cost. Nothing is compiled: the cached GNU tree of build-test-kernel.sh is reused under an overlay
# in a private mount namespace, and only the objcopy/strip steps and what depends on them are redone
# (tools/kernel/dropin-lib.sh describes the method). The GNU side's layer, call log and installed
# modules are cached in ~/.cache/elfhash/kernel-dropin/<key> (key: the test kernel, this script,
# GNU objcopy/strip). Fresh: the shared test-kernel build plus 2-5 min (the GNU reference run and
# the elfhash run); cached: 46 s at load 6, up to 5 min on a machine loaded 10-13.
# env: ELFHASH (default bazel-bin/tools/elfhash), KERNEL_TEST_TIMEOUT (boot, default 300), KEEP=1.
# Closing line "N passed, N failed"; exit 1 if any failed, 2 on setup errors. Needs root (mounts).
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
kdir=$root/tools/kernel
KTEST_NAME=kernel_dropin_test
. "$root/tools/tests/kernel_lib.sh"
E=$(readlink -f "${ELFHASH:-$root/bazel-bin/tools/elfhash}")
[ -x "$E" ] || setup_fail "no elfhash binary at $E (bazel build -c opt //tools:elfhash or set ELFHASH)"
tk=$(bash "$kdir/build-test-kernel.sh" -j "$(nproc)") || setup_fail "build-test-kernel.sh failed"
tk=${tk%/}

. "$kdir/dropin-lib.sh"
dropin_enter_namespace "$0" "$@" || setup_fail "cannot enter a mount namespace"

t_start=$(now)
names=(objcopy strip x86_64-linux-gnu-objcopy x86_64-linux-gnu-strip)
DROPIN_NAMES=${names[*]}
DROPIN_OBJCOPY=x86_64-linux-gnu-objcopy DROPIN_STRIP=strip   # one of each family of link names
DROPIN_MAKE=ARCH=x86_64 DROPIN_TARGETS="bzImage modules"
DROPIN_FORCE=vmlinux   # link-vmlinux.sh + postlink: their command line does not name $(OBJCOPY)
# The environment build-test-kernel.sh built the tree with (else the relink would differ from it).
export KBUILD_BUILD_TIMESTAMP='2026-01-01 00:00:00 UTC' KBUILD_BUILD_USER=elfhash \
  KBUILD_BUILD_HOST=elfhash KBUILD_BUILD_VERSION=1 LC_ALL=C

# --- the GNU side, cached ---
gnu_ver=$( { for n in "${names[@]}"; do "/usr/bin/$n" --version | sed -n 1p; sha256sum < "/usr/bin/$n"; done; } | sha256sum)
key=$( { basename "$tk"; cat "$0" "$kdir/dropin-lib.sh"; echo "$gnu_ver"; } | sha256sum | cut -c1-16)
croot=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/kernel-dropin
ref=$croot/$key
mkdir -p "$croot"
exec 9> "$croot/.lock"
flock 9   # one user at a time: the mount point is the shared tree's path
if [ ! -f "$ref/.complete" ]; then
  rm -rf "$croot"/*/   # layers of other keys (other test kernels, an older script) are never used again
  dropin_reference "$tk" "$ref"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-dropin-test.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

# --- the elfhash side, on top of the GNU side's layer ---
dropin_elfhash_run "$tk" "$ref" "$work" "$E"
bad=
for n in "${names[@]}"; do
  l=$("$work/links/$n" --version | sed -n 1p)
  [[ $l = "elfhash ${n##*-} "*"2.40" ]] || bad+=" $n: '$l'"
done
check "links ${names[*]}: --version names elfhash, GNU-shaped" "$([ -z "$bad" ]; echo $?)" "$bad"

# --- the calls: each kbuild objcopy/strip step of 6.12 with this config reached elfhash ---
dropin_check_calls "$tk" "$ref" "$work" $(( $(wc -l < "$tk/modules.order") + 7 )) <<'EOF'
modules.builtin.modinfo (scripts/Makefile.vmlinux_o)|^x86_64-linux-gnu-objcopy .* -j \.modinfo -O binary vmlinux\.o=
realmode.bin (arch/x86/realmode/rm)|^x86_64-linux-gnu-objcopy .* -O binary arch/x86/realmode/rm/realmode\.elf=
vdso64.so (arch/x86/entry/vdso)|^x86_64-linux-gnu-objcopy .* -S --remove-section __ex_table arch/x86/entry/vdso/vdso64\.so\.dbg=
vmlinux relocations (arch/x86/Makefile.postlink)|^x86_64-linux-gnu-objcopy .* --remove-section=\.rela\.\* --remove-section=\.rela__\* vmlinux=
compressed/vmlinux.bin (arch/x86/boot/compressed)|^x86_64-linux-gnu-objcopy .* -R \.comment -S vmlinux=[0-9a-f]+ arch/x86/boot/compressed/vmlinux\.bin=
boot/vmlinux.bin (arch/x86/boot)|^x86_64-linux-gnu-objcopy .* -O binary -R \.note -R \.comment -S arch/x86/boot/compressed/vmlinux=
setup.bin (arch/x86/boot)|^x86_64-linux-gnu-objcopy .* -O binary arch/x86/boot/setup\.elf=
gcc -gsplit-dwarf (Kconfig cc-option probe)|^objcopy .* --extract-dwo .*\.o=
EOF

# --- the trees, the named artefacts, the installed modules ---
dropin_check_trees "$tk" "$ref" "$work" arch/x86/boot/bzImage \
  vmlinux vmlinux.unstripped modules.builtin.modinfo arch/x86/boot/bzImage arch/x86/boot/setup.bin \
  arch/x86/boot/vmlinux.bin arch/x86/boot/compressed/vmlinux.bin arch/x86/boot/compressed/vmlinux.bin.xz \
  arch/x86/boot/compressed/vmlinux.relocs arch/x86/boot/compressed/piggy.o arch/x86/boot/compressed/vmlinux \
  arch/x86/entry/vdso/vdso64.so arch/x86/entry/vdso/vdso-image-64.c arch/x86/realmode/rm/realmode.bin

# --- boot the elfhash-built bzImage, load every installed module ---
dropin_check_boot "$tk" "$work" x86_64 "${KERNEL_TEST_TIMEOUT:-300}"

echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
