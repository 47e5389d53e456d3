#!/usr/bin/env bash
# `elfhash verify --kernel` on what Debian installs (docs/merkle-commands.md "verify", docs/kernel-tests.md):
# Debian's 6.1 cloud-amd64 -unsigned package, boot/vmlinuz-R (a bzImage) and lib/modules/R:
#   - every module verifies as PKCS#7 against the certificate found inside the bzImage (its payload
#     is `objcopy -S`, so found by the section scan), none missing or extra to modules.order;
#   - one flipped byte in one module fails that module alone, with EKEYREJECTED (bad digest);
#   - a module deleted from the tree is reported missing (exit 1), nothing else changes;
#   - the tree compressed as modules_install does with xz (--check=crc32 --lzma2=dict=1MiB) and with
#     zstd (--ultra -22) verifies the same (compressed trees cached in $ELFHASH_CACHE/audit);
#   - `-` (standard input) and `<(...)` are modules too; an arm64 Image is "unsupported kernel image
#     format"; inspect of the bzImage names the boot protocol, the compression and the certificate.
# The sealed tree (all Merkle) is audited by kernel_seal_test.sh. Fresh cost: ~2 min on 2 cores (the
# zstd -22 tree, about a minute); cached: ~15 s.
# env: ELFHASH (default bazel-bin/tools/elfhash), KEEP=1. Closing line "N passed, N failed".
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root" || exit 2
kdir=$root/tools/kernel
E=${ELFHASH:-$root/bazel-bin/tools/elfhash}
KTEST_NAME=kernel_audit_test
. "$root/tools/tests/kernel_lib.sh"

t_start=$(now)
[ -x "$E" ] || setup_fail "no elfhash binary at $E"
deb=$(bash "$kdir/fetch-debian.sh") || setup_fail "fetch-debian.sh failed"
kver=$(cat "$deb/kver")
vmlinuz=$deb/unsigned/boot/vmlinuz-$kver
tree=$deb/unsigned/lib/modules/$kver
[ -f "$vmlinuz" ] && [ -f "$tree/modules.order" ] || setup_fail "$vmlinuz or $tree/modules.order missing"
n=$(wc -l < "$tree/modules.order")
work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-audit-test.XXXXXX")
if [ "${KEEP:-}" = 1 ]; then echo "work dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
jq_() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
for p in sys.argv[2:]:
    v=d
    for k in p.split("."): v=v[int(k)] if isinstance(v, list) else v[k]
    print(v)' "$@"; }

# --- Debian's tree as installed ---
t=$(now)
"$E" verify --json --kernel "$vmlinuz" "$tree" > "$work/plain.json"
rc=$?
echo "# verify --kernel vmlinuz-$kver lib/modules/$kver: $(elapsed "$t")s"
s=$(jq_ "$work/plain.json" summary.modules summary.ok summary.pkcs7 summary.failed summary.missing summary.extra | tr '\n' ' ')
check "all $n Debian modules ok as PKCS#7, none missing or extra" \
  $([ $rc = 0 ] && [ "$s" = "$n $n $n 0 0 0 " ]; echo $?) "exit $rc, summary: $s"
k=$(jq_ "$work/plain.json" kernel.format kernel.compression kernel.certificate_source | tr '\n' ' ')
check "the key came from inside the bzImage (section scan of its decompressed payload)" \
  $([ "$(jq_ "$work/plain.json" kernel.certificates)" -ge 1 ] && [[ "$k" == "bzImage "*" section scan " ]]; echo $?) "$k"
"$E" verify --kernel "$vmlinuz" "$tree" > "$work/plain.txt"
check "text output is the summary alone" \
  $([ "$(cat "$work/plain.txt")" = "$n modules: $n ok ($n pkcs7, 0 merkle), 0 failed, 0 missing, 0 extra" ]; echo $?) \
  "$(sed -n 1,3p "$work/plain.txt")"

# --- one flipped byte, one deleted module (a tree of symbolic links to Debian's files) ---
cp -as "$tree" "$work/flip" || setup_fail "cp -as"
victim=$(sed -n 100p "$tree/modules.order")
rm "$work/flip/$victim" && cp "$tree/$victim" "$work/flip/$victim"
printf '\x5a' | dd of="$work/flip/$victim" bs=1 seek=4096 conv=notrunc status=none
gone=$(sed -n 200p "$tree/modules.order")
rm "$work/flip/$gone"
"$E" verify --kernel "$vmlinuz" "$work/flip" > "$work/flip.txt"
rc=$?
want="$work/flip/$victim: rejected (EKEYREJECTED): bad digest"
check "a flipped byte fails that module alone, EKEYREJECTED" \
  $([ $rc = 1 ] && [ "$(grep -vc ' modules: ' "$work/flip.txt")" = 2 ] && grep -q "^$want" "$work/flip.txt"; echo $?) "$(cat "$work/flip.txt")"
check "the deleted module is reported missing" \
  $(grep -q "^$work/flip/$gone: missing" "$work/flip.txt" &&
    [ "$(tail -1 "$work/flip.txt")" = "$((n - 1)) modules: $((n - 2)) ok ($((n - 2)) pkcs7, 0 merkle), 1 failed, 1 missing, 0 extra" ]; echo $?) \
  "$(tail -1 "$work/flip.txt")"

# --- compressed trees, as modules_install writes them ---
cache=${ELFHASH_CACHE:-$HOME/.cache/elfhash}/audit/$kver
compress_tree() {  # compress_tree NAME SUFFIX CMD...: CMD compresses the files it is given in place
  local dst=$cache/$1 suffix=$2; shift 2
  [ -f "$dst/.complete" ] && return 0
  rm -rf "$dst" && mkdir -p "$dst" && cp "$tree/modules.order" "$dst/" || return 1
  (cd "$tree" && find kernel -name '*.ko' -print0 | cpio -0 -pdm --quiet "$dst") || return 1
  # Many files per process: zstd -22 reading a pipe sizes its window for an unknown length and pays
  # ~0.4 s of page faults per call, which made one process per module cost 40 minutes.
  (cd "$dst" && find kernel -name '*.ko' -print0 | xargs -0 -P 2 -n 600 "$@") || return 1
  [ -z "$(find "$dst/kernel" -name '*.ko')" ] && [ -n "$(find "$dst/kernel" -name "*.ko$suffix")" ] && touch "$dst/.complete"
}
for c in "xz|.xz|xz --check=crc32 --lzma2=dict=1MiB" "zstd|.zst|zstd -q --rm -T0 --ultra -22"; do
  IFS='|' read -r name suffix cmd <<<"$c"
  t=$(now)
  compress_tree "$name" "$suffix" $cmd || setup_fail "compressing the tree with $cmd failed"
  echo "# $name tree ready in $(elapsed "$t")s"
  t=$(now)
  "$E" verify --json --kernel "$vmlinuz" "$cache/$name" > "$work/$name.json"
  rc=$?
  s=$(jq_ "$work/$name.json" summary.ok summary.pkcs7 summary.failed summary.missing summary.extra modules.0.compression | tr '\n' ' ')
  check "the $name-compressed tree verifies the same ($(elapsed "$t")s)" \
    $([ $rc = 0 ] && [ "$s" = "$n $n 0 0 0 $name " ]; echo $?) "exit $rc, summary: $s"
done

# --- standard input, process substitution, other formats ---
m=$tree/$victim
out=$("$E" verify -v --kernel "$vmlinuz" - <(xz -c "$m") < "$m")
check "'-' and <(xz -c ...) are read as modules" $([ "$(grep -c ': ok$' <<<"$out")" = 2 ]; echo $?) "$out"
printf '%056d' 0 > "$work/Image" && printf 'ARM\x64' >> "$work/Image" && head -c 4096 /dev/zero >> "$work/Image"
err=$("$E" verify --kernel "$work/Image" "$m" 2>&1)
check "an arm64 Image is an unsupported kernel image format (exit 2)" \
  $([ $? = 2 ] && grep -q "unsupported kernel image format (arm64 Image)" <<<"$err"; echo $?) "$err"
"$E" inspect --json "$vmlinuz" > "$work/inspect.json"
i=$(jq_ "$work/inspect.json" 0.kernel.boot.format 0.kernel.boot.compression 0.kernel.certificate_source | tr '\n' ' ')
v=$(jq_ "$work/inspect.json" 0.kernel.boot.kernel_version)
check "inspect of the bzImage: boot header, compression, certificates, version $kver" \
  $([[ "$i" == "bzImage "*" section scan " ]] && [[ "$v" == "$kver "* ]]; echo $?) "$i / $v"

echo "# total $(elapsed "$t_start")s"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
