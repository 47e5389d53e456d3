#!/usr/bin/env bash
# `elfhash verify --kernel` of a whole installed tree (docs/benchmarks.md), warm page cache, all cores:
#   pkcs7:  Debian's cloud-amd64 -unsigned package, boot/vmlinuz-R (bzImage: the payload is
#           decompressed and its sections scanned for certificates) and lib/modules/R (1121 modules,
#           PKCS#7 signatures checked with OpenSSL against the key found in the bzImage);
#   merkle: the same tree sealed by `elfhash seal` (tools/kernel/seal-objtree.sh), against the
#           sealed vmlinux (1121 Merkle proofs);
#   kernel: `verify --kernel vmlinuz` with one module and `inspect vmlinuz`: the bzImage payload's
#           decompression and the certificate scan alone.
# Target (issue 12): each whole-tree verify <= 1.0 s wall on 2 cores.
# usage: tools/bench/verify.sh [ELFHASH]   RUNS=5 by default; prints medians.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
RUNS=${RUNS:-5}
. "$here/lib.sh"
E=$(realpath "${1:-$here/../../bazel-bin/tools/elfhash}")
deb=$(bash "$here/../kernel/fetch-debian.sh")
kver=$(cat "$deb/kver")
vmlinuz=$deb/unsigned/boot/vmlinuz-$kver
tree=$deb/unsigned/lib/modules/$kver
W=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-verify-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
ELFHASH=$E bash "$here/../kernel/seal-objtree.sh" "$W/obj" "$deb" >/dev/null
"$E" seal --objtree "$W/obj" --out "$W/staging" --install-mod-strip=1 >/dev/null
sealed=$W/staging/lib/modules/$kver
n=$(wc -l < "$tree/modules.order")
one=$tree/$(head -1 "$tree/modules.order")
echo "verify, $n modules, $(nproc) cores, RUNS=$RUNS (medians, interleaved)"
load_note
"$E" verify --kernel "$vmlinuz" "$tree" >/dev/null      # warm the page cache
"$E" verify --kernel "$W/staging/vmlinux" "$sealed" >/dev/null
PK="pkcs7: verify --kernel vmlinuz-$kver lib/modules/$kver"
MK="merkle: verify --kernel STAGING/vmlinux STAGING/lib/modules"
K1="kernel only: verify --kernel vmlinuz-$kver (1 module)"
comp=$("$E" inspect --json "$vmlinuz" | python3 -c 'import json,sys; b=json.load(sys.stdin)[0]["kernel"]["boot"]; print(b["compression"], b["payload_length"], b["vmlinux_size"])')
IN="inspect vmlinuz-$kver (decompress $comp)"
contender "$PK" : "$E" verify --kernel "$vmlinuz" "$tree"
contender "$MK" : "$E" verify --kernel "$W/staging/vmlinux" "$sealed"
contender "$K1" : "$E" verify --kernel "$vmlinuz" "$one"
contender "$IN" : "$E" inspect "$vmlinuz"
run_contenders
printf '  target (issue 12): each whole-tree verify <= 1.0 s warm (pkcs7 %.3f s, merkle %.3f s); bzImage decompression + scan %.3f s\n' \
  "${MED_T[$PK]}" "${MED_T[$MK]}" "${MED_T[$IN]}"
load_note
