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
# GNU objcopy/strip). Fresh: the shared test-kernel build plus ~3 min; cached: ~1.5 min.
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
cache=$croot/$key
mkdir -p "$croot"
exec 9> "$croot/.lock"
flock 9   # one user at a time: the mount point is the shared tree's path
if [ ! -f "$cache/.complete" ]; then
  t=$(now)
  rm -rf "$croot"/*/   # layers of other keys (other test kernels, an older script) are never used again
  mkdir -p "$cache"
  dropin_wrappers "$cache/bin" /usr/bin "$cache/calls.log"
  dropin_build "$tk" "$tk" "$cache/up" "$cache/bin" "$cache/install" "$cache/make.log" ||
    { tail -n 20 "$cache/make.log" >&2; setup_fail "GNU build failed (log: $cache/make.log)"; }
  touch "$cache/.complete"
  echo "# GNU side: bzImage, modules, modules_install with GNU binutils in $(elapsed "$t")s (cached in $cache)"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-dropin-test.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

# --- the links ---
mkdir -p "$work/links"
for n in "${names[@]}"; do ln -s "$E" "$work/links/$n"; done
bad=
for n in "${names[@]}"; do
  l=$("$work/links/$n" --version | sed -n 1p)
  [[ $l = "elfhash ${n##*-} "*"2.40" ]] || bad+=" $n: '$l'"
done
check "links ${names[*]}: --version names elfhash, GNU-shaped" "$([ -z "$bad" ]; echo $?)" "$bad"

# --- the elfhash side: on top of the GNU side's layer ---
dropin_wrappers "$work/bin" "$work/links" "$work/calls.log"
t=$(now)
dropin_build "$tk" "$cache/up:$tk" "$work/up" "$work/bin" "$work/install" "$work/make.log"
rc=$?
echo "# elfhash side: make bzImage modules + modules_install in $(elapsed "$t")s"
check "make bzImage modules && modules_install INSTALL_MOD_STRIP=1 with elfhash's links" $rc \
  "$(tail -n 5 "$work/make.log" | tr '\n' ' ')"

# --- the calls ---
dropin_calls "$cache/calls.log" "$tk" "$cache/install" > "$work/gnu.calls"
dropin_calls "$work/calls.log" "$tk" "$work/install" > "$work/eh.calls"
ng=$(wc -l < "$work/gnu.calls") ne=$(wc -l < "$work/eh.calls")
nmods=$(wc -l < "$tk/modules.order")
[ "$ne" = "$ng" ] && [ "$ne" -ge $((nmods + 7)) ]
check "$ne objcopy/strip calls reached elfhash, GNU's build made $ng (>= 7 + $nmods modules)" $?
grep -v ' rc=0 ' "$work/eh.calls" "$work/gnu.calls" > "$work/failed.calls"
check "every call exits 0, on both sides" $([ ! -s "$work/failed.calls" ]; echo $?) "$(head -c 600 "$work/failed.calls")"
diff "$work/gnu.calls" "$work/eh.calls" > "$work/calls.diff"
check "the same command lines, and every file they name has GNU's bytes after the call" $? \
  "$(head -c 1500 "$work/calls.diff")"
# Each kbuild objcopy/strip step (6.12, this config) reached elfhash.
while IFS='|' read -r what pat; do
  grep -E "$pat" "$work/eh.calls" >/dev/null
  check "kbuild step reached elfhash: $what" $?
done <<'EOF'
modules.builtin.modinfo (scripts/Makefile.vmlinux_o)|^x86_64-linux-gnu-objcopy .* -j \.modinfo -O binary vmlinux\.o=
realmode.bin (arch/x86/realmode/rm)|^x86_64-linux-gnu-objcopy .* -O binary arch/x86/realmode/rm/realmode\.elf=
vdso64.so (arch/x86/entry/vdso)|^x86_64-linux-gnu-objcopy .* -S --remove-section __ex_table arch/x86/entry/vdso/vdso64\.so\.dbg=
vmlinux relocations (arch/x86/Makefile.postlink)|^x86_64-linux-gnu-objcopy .* --remove-section=\.rela\.\* --remove-section=\.rela__\* vmlinux=
compressed/vmlinux.bin (arch/x86/boot/compressed)|^x86_64-linux-gnu-objcopy .* -R \.comment -S vmlinux=[0-9a-f]+ arch/x86/boot/compressed/vmlinux\.bin=
boot/vmlinux.bin (arch/x86/boot)|^x86_64-linux-gnu-objcopy .* -O binary -R \.note -R \.comment -S arch/x86/boot/compressed/vmlinux=
setup.bin (arch/x86/boot)|^x86_64-linux-gnu-objcopy .* -O binary arch/x86/boot/setup\.elf=
gcc -gsplit-dwarf (Kconfig cc-option probe)|^objcopy .* --extract-dwo .*\.o=
EOF
n=$(grep -cE '^strip .* --strip-debug INSTALL/lib/modules/.*\.ko=' "$work/eh.calls")
check "modules_install: strip --strip-debug of each of the $nmods modules reached elfhash" $([ "$n" = "$nmods" ]; echo $?) "$n calls"

# --- the trees: views of both sides (the GNU one read-only) ---
mkdir -p "$work/gnu" "$work/eh"
mount -t overlay overlay -o "lowerdir=$cache/up:$tk" "$work/gnu" || setup_fail "mounting the GNU view failed"
mount -t overlay overlay -o "lowerdir=$work/up:$cache/up:$tk" "$work/eh" || setup_fail "mounting the elfhash view failed"
# Every file the elfhash build wrote (its layer) against the same path in the GNU tree.
bad=$(dropin_diff_layer "$work/up" "$work/eh" "$work/bin" "$work/gnu" "$cache/bin")
check "all $(find "$work/up" -type f | wc -l) files the elfhash build wrote are GNU's bytes (.cmd: but the tool path)" \
  "$([ -z "$bad" ]; echo $?)" "$(echo $bad)"
for f in vmlinux vmlinux.unstripped modules.builtin.modinfo arch/x86/boot/bzImage arch/x86/boot/setup.bin \
    arch/x86/boot/vmlinux.bin arch/x86/boot/compressed/vmlinux.bin arch/x86/boot/compressed/vmlinux.bin.xz \
    arch/x86/boot/compressed/vmlinux.relocs arch/x86/boot/compressed/piggy.o arch/x86/boot/compressed/vmlinux \
    arch/x86/entry/vdso/vdso64.so arch/x86/entry/vdso/vdso-image-64.c arch/x86/realmode/rm/realmode.bin; do
  [ -f "$work/up/$f" ] && cmp -s "$work/eh/$f" "$work/gnu/$f"
  check "rebuilt with elfhash and identical to GNU's: $f" $? "$([ -f "$work/up/$f" ] || echo 'not rebuilt')"
done
kver=$(cat "$tk/include/config/kernel.release")
mdir=lib/modules/$kver
diff -r --no-dereference "$cache/install" "$work/install" > "$work/install.diff"
check "installed module tree ($nmods modules, modules.dep, ...) identical to GNU's" $? "$(head -c 600 "$work/install.diff")"

# --- boot the elfhash-built bzImage and load every installed module, dependencies first ---
order=$(dropin_load_order "$work/install/$mdir") || setup_fail "reading modules.dep failed"
umount "$work/gnu"
cp "$work/eh/arch/x86/boot/bzImage" "$work/bzImage"
umount "$work/eh"
t=$(now)
out=$work/boot
bash "$kdir/boot.sh" --kernel "$work/bzImage" --modules-dir "$work/install/$mdir" --load "$order" \
  --timeout "${KERNEL_TEST_TIMEOUT:-300}" --log "$out.console" > "$out" 2> "$out.err"
rc=$?
echo "# boot of the elfhash-built bzImage with $nmods modules: $(elapsed "$t")s (boot.sh exit $rc); $(boot_summary "$out")"
grep -q "^ELFHASH-START $kver " "$out" && grep -qx ELFHASH-DONE "$out"
check "the elfhash-built bzImage boots $kver and reaches ELFHASH-DONE" $? "$(tail -n 5 "$out.err" | tr '\n' ' ')"
for m in $order; do
  b=$(basename "$m" .ko)
  line=$(grep "^ELFHASH-INSMOD $b " "$out")
  check "elfhash-stripped module loads: $b" "$([ "$line" = "ELFHASH-INSMOD $b ok" ]; echo $?)" "${line:-no line}"
done

echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
