#!/bin/bash
# End-to-end tests of `elfhash sign --pkcs7`, `elfhash inspect` and `elfhash diff` on the generated
# fixtures (docs/sign.md, docs/inspect.md, docs/diff.md), with keys generated here by the openssl CLI.
# The byte comparison with the kernel's scripts/sign-file uses Debian's build
# (/usr/lib/linux-kbuild-6.1/scripts/sign-file, installed by tools/setup.sh); without it those cases
# are reported as skipped, not passed (the real-kernel variant is kernel_inspect_test.sh).
set -u
. "$(dirname "$0")/lib.sh"
E=$(runfile tools/elfhash)
F=$(runfile testdata)
SIGN_FILE=${SIGN_FILE:-/usr/lib/linux-kbuild-6.1/scripts/sign-file}
T=${TEST_TMPDIR:-$(mktemp -d)}/sign
mkdir -p "$T/keys"
_skip=0
skip() { _skip=$((_skip + 1)); echo "SKIPPED $1"; _cases+="<testcase name=\"$1\" status=\"notrun\"><skipped/></testcase>"; }

key() {  # key NAME ALG SUBJECT: PEM key + PEM and DER certificate under $T/keys
  local k=$T/keys/$1
  case $2 in
    rsa) openssl req -new -nodes -utf8 -sha256 -days 36500 -batch -x509 -subj "$3" -newkey rsa:2048 \
           -keyout "$k.pem" -out "$k.crt" 2>/dev/null ;;
    ec) openssl req -new -nodes -batch -x509 -subj "$3" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
          -keyout "$k.pem" -out "$k.crt" 2>/dev/null ;;
  esac
  openssl x509 -in "$k.crt" -outform DER -out "$k.der"
}
key one rsa "/CN=elfhash test key one/O=elfhash"
key two rsa "/CN=elfhash test key two"
key ec ec "/CN=elfhash ec key"
serial_one=$(openssl x509 -in "$T/keys/one.crt" -noout -serial | sed 's/^serial=//; s/^\(00\)*//; s/../&:/g; s/:$//')

json() { python3 -m json.tool > /dev/null; }                       # stdin is valid JSON
jget() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."): v=v[k]
print(v)' "$1"; }
sign() { "$E" sign --pkcs7 --key "$T/keys/$1.pem" --cert "$T/keys/$1.crt" "${@:2}"; }

fixtures=(x86_64-module.o x86_64-start.o cross-i386.o cross-armv7a.o cross-mips.o cross-powerpc.o
          cross-powerpc64.o cross-s390x.o)

# --- byte equality with sign-file, per fixture and for sha512 and a DER certificate ---
same_as_sign_file() {  # FIXTURE HASH CERTFORMAT
  local d=$T/sf-$1-$2-$3
  mkdir -p "$d" && cp "$F/$1" "$d/ref.ko" && cp "$F/$1" "$d/eh.ko"
  "$SIGN_FILE" "$2" "$T/keys/one.pem" "$T/keys/one.$3" "$d/ref.ko" || return 1
  "$E" sign --pkcs7 --hash "$2" --key "$T/keys/one.pem" --cert "$T/keys/one.$3" "$d/eh.ko" || return 1
  cmp "$d/ref.ko" "$d/eh.ko"
}
if [ -x "$SIGN_FILE" ]; then
  for f in "${fixtures[@]}"; do check "sign-file bytes: $f sha256" same_as_sign_file "$f" sha256 crt; done
  check "sign-file bytes: sha512" same_as_sign_file x86_64-module.o sha512 crt
  check "sign-file bytes: sha1, DER certificate" same_as_sign_file cross-mips.o sha1 der
else
  skip "sign-file bytes ($SIGN_FILE not installed; tools/setup.sh installs linux-kbuild-6.1)"
fi

# --- inspect reads back what sign wrote ---
signed_reads_back() {
  cp "$F/x86_64-module.o" "$T/m.ko" && sign one "$T/m.ko" || return 1
  "$E" inspect --json "$T/m.ko" > "$T/m.json" || return 1
  json < "$T/m.json" || return 1
  [ "$(jget signature.type < "$T/m.json")" = pkcs7 ] &&
  [ "$(jget signature.signer < "$T/m.json")" = "elfhash test key one" ] &&
  [ "$(jget signature.sig_key < "$T/m.json")" = "${serial_one^^}" ] &&
  [ "$(jget signature.hash_algo < "$T/m.json")" = sha256 ] &&
  [ "$(jget signature.image_size < "$T/m.json")" = "$(stat -L -c %s "$F/x86_64-module.o")" ] &&
  [ "$(jget modinfo.license < "$T/m.json")" = GPL ] &&
  [ "$(jget "modinfo.author" < "$T/m.json")" = "['elfhash fixtures']" ] &&
  cmp -n "$(stat -L -c %s "$F/x86_64-module.o")" "$F/x86_64-module.o" "$T/m.ko"
}
check "inspect --json reads back signer, sig_key, hash, image size, modinfo" signed_reads_back
MODINFO=$(command -v modinfo || echo /usr/sbin/modinfo)
if [ -x "$MODINFO" ]; then
  check "kmod modinfo agrees on signer and sig_key" bash -c \
    '[ "$("$3" -F signer "$1")" = "elfhash test key one" ] && [ "$("$3" -F sig_key "$1")" = "$2" ]' _ "$T/m.ko" "${serial_one^^}" "$MODINFO"
fi
check "inspect text names the signer" bash -c '"$1" inspect "$2" | grep "signer: *elfhash test key one" >/dev/null' _ "$E" "$T/m.ko"
check "inspect --json of several files is one valid array" bash -c \
  '"$1" inspect --json "$2" "$3" | python3 -c "import json,sys; a=json.load(sys.stdin); assert len(a)==2 and a[1][\"signature\"][\"type\"]==\"none\""' \
  _ "$E" "$T/m.ko" "$F/cross-s390x.o"

# --- refusals leave the module untouched and no temporary file behind ---
unchanged_after_refusal() {  # EXPECTED-TEXT CMD...: exit 2, one line, module bytes and directory unchanged
  local want=$1; shift
  local before; before=$(sha256sum "$T/m.ko"; ls -A "$T")
  "$@" 2> "$T/../err" && { echo "exit 0"; return 1; }
  [ $? = 2 ] || { echo "exit not 2"; return 1; }
  [ "$(wc -l < "$T/../err")" = 1 ] && grep -qF -- "$want" "$T/../err" || { cat "$T/../err"; return 1; }
  [ "$before" = "$(sha256sum "$T/m.ko"; ls -A "$T")" ]
}
check "refuses to stack a second signature" unchanged_after_refusal "already has a signature trailer" sign two "$T/m.ko"
check "refuses ECDSA (random nonce)" unchanged_after_refusal "ECDSA signatures use a random nonce" sign ec --replace "$T/m.ko"
check "refuses a key that does not match the certificate" unchanged_after_refusal "does not match" \
  "$E" sign --pkcs7 --key "$T/keys/two.pem" --cert "$T/keys/one.crt" --replace "$T/m.ko"
check "refuses an unknown hash" unchanged_after_refusal "unknown hash" sign one --hash nosuch --replace "$T/m.ko"
check "--pkcs7 needs --key and --cert" unchanged_after_refusal "needs --key and --cert" "$E" sign --pkcs7 "$T/m.ko"

replace_swaps() {
  sign two --replace "$T/m.ko" &&
  [ "$(E=$E; "$E" inspect --json "$T/m.ko" | jget signature.signer)" = "elfhash test key two" ] &&
  cp "$F/x86_64-module.o" "$T/m2.ko" && sign two "$T/m2.ko" && cmp "$T/m.ko" "$T/m2.ko"
}
check "--replace re-signs the same image (= signing the unsigned module)" replace_swaps
ec_allowed() {
  cp "$F/x86_64-module.o" "$T/ec.ko" && sign ec --allow-nondeterministic "$T/ec.ko" &&
  "$E" inspect --json "$T/ec.ko" | jget signature.sig_algo | grep ecdsa >/dev/null
}
check "--allow-nondeterministic signs with ECDSA" ec_allowed

deterministic() {
  cp "$F/cross-powerpc64.o" "$T/d1.ko" && cp "$F/cross-powerpc64.o" "$T/d2.ko" && chmod 640 "$T/d2.ko" &&
  sign one "$T/d1.ko" && (cd / && umask 077 && TZ=Pacific/Kiritimati LANG=C SOURCE_DATE_EPOCH=1 sign one "$T/d2.ko") &&
  cmp "$T/d1.ko" "$T/d2.ko" && [ "$(stat -c %a "$T/d2.ko")" = 640 ]
}
check "signing is deterministic (cwd, TZ, LANG, umask) and keeps the file mode" deterministic
check "inspect output is deterministic" bash -c \
  'a=$("$1" inspect --json "$2"); b=$(cd / && TZ=Asia/Tokyo LANG=C.UTF-8 "$1" inspect --json "$2"); [ "$a" = "$b" ]' _ "$E" "$T/m.ko"

# --- Merkle trailers and --vmlinux: three modules, their tree, a patched vmlinux ---
merkle_inspect() {
  local d=$T/merkle
  mkdir -p "$d" && cp "$F/x86_64-module.o" "$d/a.ko" && cp "$F/cross-i386.o" "$d/b.ko" && cp "$F/cross-mips.o" "$d/c.ko"
  printf 'a.o\nb.o\nc.o\n' > "$d/modules.order"
  "$E" tree --suffix .ko --objtree "$d" --proofs-out "$d/p" > /dev/null || return 1
  "$E" patch "$F/vmlinux.unstripped" --order "$d/modules.order" --suffix .ko --objtree "$d" -o "$d/vmlinux" || return 1
  for m in a b c; do "$E" sign --merkle "$d/p/$m.merkle" "$d/$m.ko" || return 1; done
  "$E" inspect --json --vmlinux "$d/vmlinux" "$d/c.ko" > "$d/c.json" || return 1
  json < "$d/c.json" &&
  [ "$(jget signature.type < "$d/c.json")" = merkle ] &&
  [ "$(jget signature.pos < "$d/c.json")" = 2 ] &&
  [ "$(jget signature.levels < "$d/c.json")" = 2 ] &&
  [ "$(jget verify.result < "$d/c.json")" = ok ] || return 1
  # One flipped byte in the image: the recomputed root differs (-ENOKEY), exit 1.
  cp "$d/c.ko" "$d/c-bad.ko" && printf 'X' | dd of="$d/c-bad.ko" bs=1 seek=100 conv=notrunc 2>/dev/null
  "$E" inspect --json --vmlinux "$d/vmlinux" "$d/c-bad.ko" > "$d/flip.json"
  [ $? = 1 ] && [ "$(jget verify.result < "$d/flip.json")" = mismatch ] || return 1
  # The unpatched vmlinux (levels 0): exit 1 and the kernel's verdict (-ENOPKG, wrong proof length).
  "$E" inspect --json --vmlinux "$F/vmlinux.unstripped" "$d/c.ko" > "$d/bad.json"
  [ $? = 1 ] && [ "$(jget verify.result < "$d/bad.json")" = unsupported ]
}
check "inspect a Merkle module: pos, levels, --vmlinux verdicts ok / mismatch / unsupported (exit 1)" merkle_inspect

# --- diff (docs/diff.md): exit 0 / 1 / 2, trailers, JSON ---
check "diff: signed vs unsigned differs in the trailer only (exit 1)" bash -c \
  '"$1" diff "$2" "$3" > "$4/d.txt"; [ $? = 1 ] && grep -q "^trailer module_signature: presence" "$4/d.txt" && [ "$(grep -c . "$4/d.txt")" = 2 ]' \
  _ "$E" "$F/x86_64-module.o" "$T/m2.ko" "$T"
check "diff --ignore-trailer: equivalent, images byte-identical (exit 0)" bash -c \
  '"$1" diff --ignore-trailer "$2" "$3" | grep "equivalent (ELF images byte-identical)" >/dev/null' _ "$E" "$F/x86_64-module.o" "$T/m2.ko"
cp "$F/x86_64-module.o" "$T/m1.ko" && sign one "$T/m1.ko"
check "diff: two signers differ in the trailer bytes" bash -c \
  '"$1" diff --json "$2" "$3" > "$4/d.json"; [ $? = 1 ] && python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert not d[\"equivalent\"] and {x[\"category\"] for x in d[\"differences\"]}=={\"trailer\"}" "$4/d.json"' \
  _ "$E" "$T/m2.ko" "$T/m1.ko" "$T"
check "diff: missing file is an error (exit 2)" bash -c '"$1" diff "$2" /nonexistent 2>/dev/null; [ $? = 2 ]' _ "$E" "$F/x86_64-module.o"

finish_rc=0
finish || finish_rc=1
echo "($_skip skipped)"
exit $finish_rc
