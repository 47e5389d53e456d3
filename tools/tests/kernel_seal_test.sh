#!/usr/bin/env bash
# End-to-end judge for `elfhash seal` (docs/seal.md, docs/kernel-tests.md): an objtree is made from
# Debian's cloud -dbg package (vmlinux.unstripped = the -dbg vmlinux with a 36-byte zero
# .module_hashes section added, as a CONFIG_MODULE_HASHES build would have it, spec §4.2;
# modules.order = Debian's, in kbuild's "<stem>.o" form; the .ko files = the unstripped -dbg
# modules), sealed with --install-mod-strip=1, and then:
#   - `elfhash verify --kernel STAGING/vmlinux STAGING/lib/modules/R` accepts all 1121 installed
#     modules (all Merkle), none missing from or extra to modules.order;
#   - seal -j 1 produces the same tree as seal with all cores;
#   - each picked module minus its trailer == `elfhash strip --strip-debug` of the -dbg module;
#   - STAGING/vmlinux (ELF, PVH entry) boots under qemu TCG and loads the picked sealed modules
#     (pick-modules.sh, dependency order). Debian 6.1 knows no id_type 3: it reads the proof as an
#     unsupported signature ("not signed with expected PKCS#7 message", -ENOPKG, a soft error) and,
#     without module.sig_enforce, loads the module; that message is the only one allowed (besides
#     the clocksource/hrtimer timing notices TCG produces on a busy host);
#   - negative control: a sealed module whose struct module_signature has sig_len = 0xffffffff is
#     refused with EBADMSG ("Bad message"), and elfhash verify calls it malformed.
# env: ELFHASH (default bazel-bin/tools/elfhash), KERNEL_TEST_TIMEOUT (default 120), KEEP=1.
# Closing line "N passed, N failed"; exit 1 if any failed, 2 on setup errors.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
kdir=$root/tools/kernel
E=${ELFHASH:-$root/bazel-bin/tools/elfhash}
tmo=${KERNEL_TEST_TIMEOUT:-120}

KTEST_NAME=kernel_seal_test
. "$root/tools/tests/kernel_lib.sh"

t_start=$(now)
[ -x "$E" ] || setup_fail "no elfhash binary at $E (bazel build -c opt //tools:elfhash or set ELFHASH)"
deb=$(bash "$kdir/fetch-debian.sh") || setup_fail "fetch-debian.sh failed"
kver=$(cat "$deb/kver")
dbgmods=$deb/dbg/usr/lib/debug/lib/modules/$kver/kernel
order=$deb/unsigned/lib/modules/$kver/modules.order
vmlinux_dbg=$deb/dbg/usr/lib/debug/boot/vmlinux-$kver
for f in "$vmlinux_dbg" "$order"; do [ -f "$f" ] || setup_fail "$f missing"; done
mapfile -t mods < <(bash "$kdir/pick-modules.sh" --debian "$deb") || setup_fail "pick-modules.sh failed"
((${#mods[@]} >= 30)) || setup_fail "only ${#mods[@]} modules picked"

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-seal-test.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
obj=$work/obj

# --- the objtree: kbuild's names, Debian's bytes ---
t=$(now)
ELFHASH=$E bash "$kdir/seal-objtree.sh" "$obj" "$deb" || setup_fail "seal-objtree.sh failed"
nmods=$(wc -l < "$obj/modules.order")
echo "# objtree: $nmods modules, vmlinux.unstripped with a zero .module_hashes, made in $(elapsed "$t")s"

# --- seal ---
stage=$work/staging
t=$(now)
"$E" seal --objtree "$obj" --out "$stage" --install-mod-strip=1 --json > "$work/seal.json" 2> "$work/seal.err"
rc=$?
echo "# seal: $(elapsed "$t")s: $(cat "$work/seal.json")"
check "seal exits 0" $rc "$(head -c 400 "$work/seal.err")"
moddir=$stage/lib/modules/$kver
[ -f "$stage/vmlinux" ] && [ -d "$moddir/kernel" ] || setup_fail "seal produced no staging tree"
(cd "$moddir" && find kernel -name '*.ko' | LC_ALL=C sort) > "$work/installed"
[ "$(wc -l < "$work/installed")" = "$nmods" ]
check "all $nmods modules installed under lib/modules/$kver/kernel" $? "$(wc -l < "$work/installed") found"
cmp -s <(LC_ALL=C sort "$order") "$work/installed"
check "installed paths are Debian's (modules_install layout)" $?
cmp -s "$order" "$moddir/modules.order"
check "installed modules.order is Debian's" $?

# --- verify every installed module against STAGING/vmlinux, as an installed tree (modules.order) ---
"$E" verify --kernel "$stage/vmlinux" "$moddir" > "$work/verify.out" 2>&1
rc=$?
want="$nmods modules: $nmods ok (0 pkcs7, $nmods merkle), 0 failed, 0 missing, 0 extra"
check "elfhash verify --kernel STAGING/vmlinux STAGING/lib/modules/$kver: $want" \
  $([ $rc = 0 ] && [ "$(tail -1 "$work/verify.out")" = "$want" ]; echo $?) "exit $rc; $(sed -n 1,3p "$work/verify.out" | tr '\n' ' ')"
levels=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["levels"])' "$work/seal.json")
[ "$levels" = "$(python3 -c "print(max(1, ($nmods - 1).bit_length()))")" ]
check "levels = ceil(log2 $nmods) = $levels" $?
readelf -SW "$stage/vmlinux" | grep -E ' \.rela?\.| \.modinfo ' >/dev/null && r=1 || r=0
check "STAGING/vmlinux has no .rel*/.modinfo left (spec 5.1)" $r

# --- same bytes with one worker ---
t=$(now)
"$E" seal --objtree "$obj" --out "$work/staging-j1" --install-mod-strip=1 -j 1 > /dev/null 2> "$work/seal-j1.err"
rc=$?
echo "# seal -j 1: $(elapsed "$t")s"
sum() { (cd "$1" && find . -type f | LC_ALL=C sort | xargs sha256sum); }
[ $rc = 0 ] && diff -q <(sum "$stage") <(sum "$work/staging-j1") > /dev/null
check "seal -j 1 gives the same tree as seal -j $(nproc)" $?
rm -rf "$work/staging-j1"

# --- installed bytes minus trailer == elfhash strip --strip-debug (picked modules) ---
ref=$work/strip-ref
tsize=$((44 + 32 * levels))
bad=
for m in "${mods[@]}"; do
  mkdir -p "$ref/$(dirname "$m")" && cp "$dbgmods/${m#kernel/}" "$ref/$m"
done
(cd "$ref" && "$E" strip --strip-debug "${mods[@]}") || setup_fail "elfhash strip failed"
for m in "${mods[@]}"; do cmp -s <(head -c -$tsize "$moddir/$m") "$ref/$m" || bad="$bad $m"; done
check "picked modules: installed minus the $tsize-byte trailer == elfhash strip --strip-debug" $([ -z "$bad" ]; echo $?) "$bad"

# --- negative control: broken sig_len ---
first=${mods[0]}
fname=$(basename "$first" .ko)
mkdir -p "$work/neg"
neg=$work/neg/neg-siglen-$fname.ko
cp "$moddir/$first" "$neg"
size=$(stat -c %s "$neg")
printf '\xff\xff\xff\xff' | dd of="$neg" bs=1 seek=$((size - 28 - 4)) conv=notrunc status=none
"$E" verify --vmlinux "$stage/vmlinux" "$neg" > "$work/neg.verify"
[ $? = 1 ] && grep -q 'malformed (EBADMSG)' "$work/neg.verify"
check "negative control: elfhash verify calls the broken sig_len malformed (EBADMSG)" $? "$(cat "$work/neg.verify")"

# --- boot STAGING/vmlinux (PVH) and load the sealed modules ---
out=$work/boot
t=$(now)
bash "$kdir/boot.sh" --kernel "$stage/vmlinux" --modules-dir "$moddir" --load "$neg ${mods[*]}" \
  --timeout "$tmo" --log "$out.console" > "$out" 2> "$out.err"
rc=$?
echo "# boot of STAGING/vmlinux with $((${#mods[@]} + 1)) modules: $(elapsed "$t")s (boot.sh exit $rc)"
grep -qx 'ELFHASH-DONE' "$out" && grep -q "^ELFHASH-START $kver " "$out" && [ $rc -le 1 ]
check "STAGING/vmlinux boots (PVH) and reaches ELFHASH-DONE on $kver" $? "$(tail -n 5 "$out.err" | tr '\n' ' ')"
line=$(grep "^ELFHASH-INSMOD neg-siglen-$fname " "$out")
[[ $line = *" fail "*"Bad message"* ]]
check "negative control: the kernel refuses the broken sig_len (EBADMSG)" $? "$line"
loaded=0
for m in "${mods[@]}"; do
  n=$(basename "$m" .ko); ok=0; detail=
  if ! grep -qx "ELFHASH-INSMOD $n ok" "$out"; then
    ok=1; detail=$(grep "^ELFHASH-INSMOD $n " "$out" || echo 'no result')
  else
    kmsg=$(sealed_kmsg_unexpected "$n" "$out")
    [ -z "$kmsg" ] || { ok=1; detail="kernel warned: $(grep "^ELFHASH-KMSG $n " "$out")"; }
  fi
  [ $ok = 0 ] && loaded=$((loaded + 1))
  check "sealed module loads cleanly: $n" $ok "$detail"
done
((loaded >= 30))
check "at least 30 sealed modules loaded ($loaded of ${#mods[@]})" $?
grep -q "ELFHASH-KMSG [^ ]* .*$SEALED_KMSG" "$out"
check "the kernel saw the Merkle trailers (reported as non-PKCS#7 signatures)" $?

echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
