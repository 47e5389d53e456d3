#!/usr/bin/env bash
# The kernel as judge on another architecture (issue 10 item 6, docs/kernel-tests.md): Debian's 6.1
# kernel of ARCH boots under qemu TCG (tools/kernel/boot.sh --arch) with a busybox-static initramfs
# of that architecture and insmods modules that elfhash stripped and sealed:
#   - an objtree from the -dbg package (tools/kernel/seal-objtree.sh, cached in
#     ~/.cache/elfhash/objtree/<kver>) is sealed with `elfhash seal --install-mod-strip=1`, and
#     `elfhash verify --kernel STAGING/vmlinux` accepts every installed module;
#   - Debian's own vmlinuz boots and loads the picked sealed modules (tools/kernel/pick-modules.sh,
#     modules.dep order, several subsystems). Debian 6.1 does not know the Merkle trailer: it reads
#     it as an unsupported signature ("not signed with expected PKCS#7 message", a soft error) and
#     loads the module; nothing else may be logged;
#   - two broken sealed modules are refused: one with sig_len = 0xffffffff (EBADMSG), one cut in half
#     (no trailer left, the ELF's section headers beyond the end: ENOEXEC, "Invalid ELF section header
#     overflow").
# usage: arch-boot.sh ARCH      (arm64 or s390x: a Debian architecture of tools/kernel/arches.txt)
# env: ELFHASH (default bazel-bin/tools/elfhash), KERNEL_TEST_TIMEOUT (boot, default 900), KEEP=1.
# Cost (cached): arm64 ~2-3 min on a loaded 2-core host; fresh: fetch-debian.sh's -dbg download and
# unpacking besides. Closing line "N passed, N failed"; exit 1 if any failed, 2 on setup errors.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
arch=${1:?usage: arch-boot.sh ARCH}
KTEST_NAME="arch-boot $arch"
. "$root/tools/tests/kernel_lib.sh"
E=$(readlink -f "${ELFHASH:-$root/bazel-bin/tools/elfhash}")
[ -x "$E" ] || setup_fail "no elfhash binary at $E"
case $arch in
  arm64) qarch=aarch64 ;; s390x) qarch=s390x ;;
  *) setup_fail "no qemu machine for $arch (arm64, s390x)" ;;
esac
t_start=$(now)
deb=$(bash "$here/fetch-debian.sh" "$arch") || setup_fail "fetch-debian.sh $arch failed"
kver=$(cat "$deb/kver")
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}
obj=$cache/objtree/$kver
if [ ! -f "$obj/.complete" ]; then
  rm -rf "$obj" && ELFHASH=$E bash "$here/seal-objtree.sh" "$obj" "$deb" && touch "$obj/.complete" ||
    setup_fail "seal-objtree.sh failed"
fi
mapfile -t mods < <(bash "$here/pick-modules.sh" --debian "$deb" --softdep) || setup_fail "pick-modules.sh failed"
((${#mods[@]} >= 30)) || setup_fail "only ${#mods[@]} modules picked"

work=$(mktemp -d "${TMPDIR:-/tmp}/arch-boot.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi

# --- seal, verify ---
stage=$work/staging
t=$(now)
"$E" seal --objtree "$obj" --out "$stage" --install-mod-strip=1 --json > "$work/seal.json" 2> "$work/seal.err"
check "$arch: elfhash seal --install-mod-strip=1 of $(wc -l < "$obj/modules.order") modules" $? "$(head -c 400 "$work/seal.err")"
echo "# seal: $(elapsed "$t")s: $(cat "$work/seal.json")"
moddir=$stage/lib/modules/$kver
"$E" verify --kernel "$stage/vmlinux" "$moddir" > "$work/verify.out" 2>&1
check "$arch: elfhash verify --kernel STAGING/vmlinux accepts every installed module" $? "$(tail -n 2 "$work/verify.out" | tr '\n' ' ')"

# --- the broken ones ---
first=${mods[0]} fname=$(basename "${mods[0]}" .ko)
mkdir -p "$work/neg"
cp "$moddir/$first" "$work/neg/neg-siglen-$fname.ko"
size=$(stat -c %s "$work/neg/neg-siglen-$fname.ko")
printf '\xff\xff\xff\xff' | dd of="$work/neg/neg-siglen-$fname.ko" bs=1 seek=$((size - 28 - 4)) conv=notrunc status=none
head -c $((size / 2)) "$moddir/$first" > "$work/neg/neg-half-$fname.ko"

# --- boot Debian's kernel, load the sealed modules ---
out=$work/boot
t=$(now)
bash "$here/boot.sh" --arch "$qarch" --kernel "$deb/unsigned/boot/vmlinuz-$kver" --modules-dir "$moddir" \
  --load "$work/neg/neg-siglen-$fname.ko $work/neg/neg-half-$fname.ko ${mods[*]}" \
  --timeout "${KERNEL_TEST_TIMEOUT:-900}" --log "$out.console" > "$out" 2> "$out.err"
rc=$?
echo "# boot of Debian's $kver vmlinuz ($qarch TCG) with $((${#mods[@]} + 2)) modules: $(elapsed "$t")s (boot.sh exit $rc); $(boot_summary "$out" "$out")"
grep -q "^ELFHASH-START $kver " "$out" && grep -qx ELFHASH-DONE "$out"
check "$arch: Debian's vmlinuz boots under qemu-system-$qarch and reaches ELFHASH-DONE" $? "$(tail -n 5 "$out.err" | tr '\n' ' ')"
line=$(grep "^ELFHASH-INSMOD neg-siglen-$fname " "$out")
check "$arch: the kernel refuses a sealed module with sig_len 0xffffffff (EBADMSG)" \
  "$([[ $line = *" fail "*"Bad message"* ]]; echo $?)" "$line"
line=$(grep "^ELFHASH-INSMOD neg-half-$fname " "$out")
# (busybox insmod words ENOEXEC as "invalid module format")
check "$arch: the kernel refuses a sealed module cut in half (ENOEXEC)" \
  "$([[ $line = *" fail "*"invalid module format"*"kernel: "*ELF* ]]; echo $?)" "$line"
loaded=0 bad=
for m in "${mods[@]}"; do
  n=$(basename "$m" .ko)
  if grep -qx "ELFHASH-INSMOD $n ok" "$out" && [ -z "$(sealed_kmsg_unexpected "$n" "$out")" ]; then
    loaded=$((loaded + 1))
  else
    bad+=" $n: $(grep -E "^ELFHASH-(INSMOD|KMSG) $n " "$out" | tr '\n' ' ' | cut -c1-300);"
  fi
done
((loaded == ${#mods[@]} && loaded >= 30))
check "$arch: all ${#mods[@]} sealed modules load cleanly ($loaded), several subsystems" $? "$bad"
grep -q "ELFHASH-KMSG [^ ]* .*$SEALED_KMSG" "$out"
check "$arch: the kernel saw the Merkle trailers (reported as non-PKCS#7 signatures)" $?
echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
