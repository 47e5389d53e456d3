#!/usr/bin/env bash
# Benchmark of the module-hashes tree step (docs/merkle-commands.md): `elfhash tree` with proofs over
# all of Debian's cloud-amd64 modules, against the SHA-256 floor (total bytes / OpenSSL's single-core
# SHA-256 rate at 16 KiB blocks), measured in the same run, median of 5 each.
#
# Inputs are the Debian-shipped (stripped, PKCS#7-signed) modules with the signature trailer cut off,
# i.e. exactly the bytes that were signed; they are copied to a scratch directory and read once to
# warm the page cache, so the figure is hashing + proof writing, not disk I/O.
#   ELFHASH   binary to use (default: bazel-bin/tools/elfhash; build with -c opt)
#   JOBS      threads for elfhash (default: all cores)
#   RUNS      repetitions (default 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
elfhash=$(readlink -f "${ELFHASH:-bazel-bin/tools/elfhash}")
runs=${RUNS:-5}
cores=$(nproc)
jobs=${JOBS:-$cores}
[ -x "$elfhash" ] || { echo "merkle.sh: no elfhash binary at $elfhash (set ELFHASH)" >&2; exit 2; }

deb=$(bash tools/kernel/fetch-debian.sh)
kver=$(cat "$deb/kver")
moddir=$deb/unsigned/lib/modules/$kver
work=$(mktemp -d "${TMPDIR:-/tmp}/merkle-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Objtree: Debian's modules.order ("kernel/x/y.ko") as kbuild's ("kernel/x/y.o"), each module cut at
# the start of its signature (struct module_signature: be32 sig_len at bytes -32..-28 of the file).
sed 's/\.ko$/.o/' "$moddir/modules.order" > "$work/modules.order"
python3 - "$moddir" "$work" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
marker = b"~Module signature appended~\n"
for line in open(os.path.join(dst, "modules.order")):
    rel = line.strip()[:-2] + ".ko"
    data = open(os.path.join(src, rel), "rb").read()
    if data.endswith(marker):
        sig_len = int.from_bytes(data[-32:-28], "big")
        data = data[: len(data) - 40 - sig_len]
    os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
    open(os.path.join(dst, rel), "wb").write(data)
PY
n=$(wc -l < "$work/modules.order")
bytes=$(find "$work/kernel" -name '*.ko' -printf '%s\n' | awk '{s+=$1} END {print s}')
cat $(find "$work/kernel" -name '*.ko') > /dev/null
load=$(cut -d" " -f1-3 /proc/loadavg)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed OUTVAR CMD...: wall seconds and user+sys CPU seconds of one command (bash's time, 1 ms).
timed() {
  local var=$1; shift
  local TIMEFORMAT='%3R %3U %3S'
  { time "$@" > /dev/null 2> "$work/stderr.txt"; } 2> "$work/time.txt" || { cat "$work/stderr.txt" >&2; exit 1; }
  printf -v "$var" '%s' "$(awk '{printf "%.3f %.3f", $1, $2 + $3}' "$work/time.txt")"
}

# Each tree run writes into a new directory: deleting and re-creating 1100 files within seconds
# would measure ext4's search for inodes that were not recently freed, not this program.
tree_cmd=("$elfhash" tree --order "$work/modules.order" --suffix .ko --objtree "$work"
          --hashes-out "$work/h.bin" -j "$jobs" --proofs-out)
hash_cmd=("$elfhash" tree --order "$work/modules.order" --suffix .ko --objtree "$work" -j "$jobs")
dropin_cmd=(sh -c 'cd "$1" && exec "$2" modules-merkle-tree .tmp_module_hashes.c .ko' sh "$work" "$elfhash")
"${tree_cmd[@]}" "$work/proofs.warm" > /dev/null
timed first "${dropin_cmd[@]}"  # first drop-in run creates <stem>.merkle beside every module

tree_w=() tree_c=() hash_w=() hash_c=() drop_w=() drop_c=() rates=()
for i in $(seq "$runs"); do
  timed r "${tree_cmd[@]}" "$work/proofs.$i"; tree_w+=("${r% *}"); tree_c+=("${r#* }")
  timed r "${hash_cmd[@]}"; hash_w+=("${r% *}"); hash_c+=("${r#* }")
  timed r "${dropin_cmd[@]}"; drop_w+=("${r% *}"); drop_c+=("${r#* }")
  # "sha256  1950192.48k": thousands of bytes per second on one core.
  rates+=("$(openssl speed -seconds 1 -bytes 16384 -evp sha256 2>/dev/null | awk '/^sha256/ {sub("k","",$2); print $2 * 1000}')")
done
med() { printf '%s\n' "$@" | median; }
rate_med=$(med "${rates[@]}")
floor1=$(echo "$bytes / $rate_med" | bc -l)
floorn=$(echo "$floor1 / $jobs" | bc -l)

echo "kernel:        $kver ($n modules, $bytes bytes, PKCS#7 trailers cut off)"
echo "root:          $(od -An -tx1 -v "$work/h.bin" | tr -d ' \n')"
echo "cores/threads: $cores / $jobs; load average before: $load"
printf 'sha256 rate:   %.0f MB/s per core (openssl speed -evp sha256, 16384-byte blocks)\n' "$(echo "$rate_med / 1000000" | bc -l)"
printf 'sha256 floor:  %.4f s CPU (1 core); %.4f s wall on %d cores\n' "$floor1" "$floorn" "$jobs"
printf '%-34s %8s %8s\n' "median of $runs" "wall s" "CPU s"
printf '%-34s %8.4f %8.4f\n' "tree + proofs (fresh dir)" "$(med "${tree_w[@]}")" "$(med "${tree_c[@]}")"
printf '%-34s %8.4f %8.4f\n' "tree only (no proofs)" "$(med "${hash_w[@]}")" "$(med "${hash_c[@]}")"
printf '%-34s %8.4f %8.4f\n' "modules-merkle-tree, first run" ${first}
printf '%-34s %8.4f %8.4f\n' "modules-merkle-tree, rerun" "$(med "${drop_w[@]}")" "$(med "${drop_c[@]}")"
echo "runs, tree + proofs wall: ${tree_w[*]}"
