#!/usr/bin/env bash
# Real-data judge for `elfhash inspect` and `elfhash sign --pkcs7` on Debian's Debian-signed modules
# (tools/kernel/fetch-debian.sh), with kmod's modinfo and Debian's built scripts/sign-file
# (linux-kbuild-6.1, installed by tools/setup.sh) as the references:
#  - for every one of SAMPLE modules (default 50, spread over modules.order): inspect's signer, sig_key
#    and hash_algo equal `modinfo -F signer/sig_key/sig_hashalgo`, its name/vermagic/license/depends
#    equal `modinfo -F`, its signature equals modinfo's, and `inspect --json` is valid JSON
#    (python3 -m json.tool) and the same bytes on a second run under another TZ/LANG/cwd;
#  - for SIGN_SAMPLE of them (default 10): the image (module minus Debian's trailer, whose size inspect
#    reports) signed by sign-file and by `elfhash sign --pkcs7` with a generated RSA key is
#    byte-identical, and the elfhash-signed module reads back in modinfo with our key's CN and serial.
# Prints per-check PASS/FAIL and "N passed, N failed". Needs ELFHASH (path to the binary).
set -u
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
E=${ELFHASH:?set ELFHASH to the elfhash binary}
SAMPLE=${SAMPLE:-50}
SIGN_SAMPLE=${SIGN_SAMPLE:-10}
SIGN_FILE=${SIGN_FILE:-/usr/lib/linux-kbuild-6.1/scripts/sign-file}
kdir=$(bash "$here/../kernel/fetch-debian.sh") || { echo "cannot fetch Debian kernel"; echo "0 passed, 1 failed"; exit 1; }
kver=$(cat "$kdir/kver")
mdir=$kdir/unsigned/lib/modules/$kver
T=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-inspect.XXXXXX")
trap 'rm -rf "$T"' EXIT

# Every k-th module of modules.order, so the sample spans the tree (net, fs, drivers, crypto, ...).
total=$(wc -l < "$mdir/modules.order")
step=$(( total / SAMPLE )); [ "$step" -ge 1 ] || step=1
awk -v s="$step" -v n="$SAMPLE" 'NR % s == 1 && c < n {print; c++}' "$mdir/modules.order" > "$T/sample"

field() { modinfo -F "$1" "$2" | tr -d '\t\n'; }          # modinfo's multi-line values joined
# jfields JSON KEY...: parses inspect's JSON array of one object strictly (invalid JSON fails), prints one value per KEY (a.b.c path;
# lists joined with ","), one per line.
jfields() { python3 -c 'import json,sys
a=json.load(open(sys.argv[1])); assert len(a) == 1, "one file, one object"; d=a[0]
for path in sys.argv[2:]:
    v=d
    for k in path.split("."): v=v.get(k, "") if isinstance(v, dict) else ""
    print(",".join(v) if isinstance(v, list) else v)' "$@"; }
jget() { jfields "$1" "$2" | tr -d '\n'; }

# Pairs of (inspect JSON path, modinfo -F field).
pairs=(signature.signer:signer signature.sig_key:sig_key signature.hash_algo:sig_hashalgo
       signature.signature:signature modinfo.name:name modinfo.vermagic:vermagic modinfo.license:license
       modinfo.depends:depends)

agree() {  # agree MODULE: inspect and modinfo agree on every field compared
  local m=$1 j=$T/j.json diffs="" i=0 p
  "$E" inspect --json "$m" > "$j" || { echo "inspect failed"; return 1; }
  mapfile -t got < <(jfields "$j" signature.type "${pairs[@]%%:*}") || { echo "invalid JSON"; return 1; }
  [ "${got[0]}" = pkcs7 ] || diffs+=" type=${got[0]}"
  for p in "${pairs[@]}"; do
    i=$((i + 1))
    [ "${got[$i]}" = "$(field "${p#*:}" "$m")" ] || diffs+=" ${p#*:}"
  done
  (cd / && TZ=Asia/Tokyo LANG=C.UTF-8 "$E" inspect --json "$m") | cmp -s - "$j" || diffs+=" nondeterministic"
  [ -z "$diffs" ] || { echo "differ:$diffs"; return 1; }
}

while IFS= read -r rel; do
  m=$mdir/$rel
  check "inspect agrees with modinfo: $rel" agree "$m"
done < "$T/sample"

# --- sign --pkcs7 against Debian's sign-file ---
if [ ! -x "$SIGN_FILE" ]; then
  check "sign-file present ($SIGN_FILE; tools/setup.sh installs linux-kbuild-6.1)" false
else
  openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -subj "/CN=elfhash kernel test key" \
    -newkey rsa:4096 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null
  openssl x509 -in "$T/cert.pem" -outform DER -out "$T/cert.der"
  serial=$(openssl x509 -in "$T/cert.pem" -noout -serial | sed 's/^serial=//; s/^\(00\)*//; s/../&:/g; s/:$//')
  same_as_sign_file() {
    local m=$1 n=$2 size
    size=$("$E" inspect --json "$m" > "$T/s.json" && jget "$T/s.json" signature.image_size) || return 1
    head -c "$size" "$m" > "$T/$n.ref.ko" && cp "$T/$n.ref.ko" "$T/$n.eh.ko"
    "$SIGN_FILE" sha256 "$T/key.pem" "$T/cert.der" "$T/$n.ref.ko" || return 1
    "$E" sign --pkcs7 --hash sha256 --key "$T/key.pem" --cert "$T/cert.pem" "$T/$n.eh.ko" || return 1
    cmp "$T/$n.ref.ko" "$T/$n.eh.ko" || return 1
    [ "$(field signer "$T/$n.eh.ko")" = "elfhash kernel test key" ] || { echo "modinfo signer"; return 1; }
    [ "$(field sig_key "$T/$n.eh.ko")" = "${serial^^}" ] || { echo "modinfo sig_key != $serial"; return 1; }
  }
  i=0
  while IFS= read -r rel && [ $i -lt "$SIGN_SAMPLE" ]; do
    i=$((i + 1))
    check "sign --pkcs7 == sign-file: $rel" same_as_sign_file "$mdir/$rel" "$i"
  done < "$T/sample"
fi
finish
