#!/usr/bin/env bash
# Bulk semantic comparison of two module trees (docs/diff.md):
#   tools/compare-strip.sh [-j N] [--ignore-trailer] DIR_A DIR_B
# For every *.ko under DIR_A, compares it with the file at the same relative path under DIR_B using
# `elfhash diff` and `cmp`, then prints counts: byte-identical files, equivalent pairs (and how many of
# them have byte-identical ELF images, i.e. equal up to any signature/Merkle trailer), different pairs
# (listed), errors and files missing from DIR_B. Exit 0 when every pair is equivalent, 1 otherwise,
# 2 on usage errors.
#   ELFHASH   the elfhash binary (default: elfhash on PATH, else bazel-bin/tools/elfhash)
set -euo pipefail

jobs=$(nproc)
flags=()
while [ $# -gt 0 ]; do
  case $1 in
    -j) jobs=$2; shift 2 ;;
    -j*) jobs=${1#-j}; shift ;;
    --ignore-trailer) flags+=(--ignore-trailer); shift ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare-strip: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: compare-strip.sh [-j N] [--ignore-trailer] DIR_A DIR_B" >&2; exit 2; }
a=$1 b=$2
[ -d "$a" ] && [ -d "$b" ] || { echo "compare-strip: $a and $b must be directories" >&2; exit 2; }

if [ -z "${ELFHASH:-}" ]; then
  ELFHASH=$(command -v elfhash || true)
  [ -n "$ELFHASH" ] || ELFHASH=$(cd "$(dirname "$0")/.." && pwd)/bazel-bin/tools/elfhash
fi
[ -x "$ELFHASH" ] || { echo "compare-strip: no elfhash binary at '$ELFHASH' (set ELFHASH)" >&2; exit 2; }
export ELFHASH A_DIR="$a" B_DIR="$b" DIFF_FLAGS="${flags[*]:-}"

# One line per module: "<status> <relative path>". --json --max 1 is as cheap as --quiet and also
# says whether the ELF images are byte-identical.
worker() {
  local rel=$1 fa="$A_DIR/$1" fb="$B_DIR/$1" out rc=0 ident=0
  if [ ! -e "$fb" ]; then echo "missing $rel"; return; fi
  cmp -s "$fa" "$fb" && ident=1
  # shellcheck disable=SC2086
  out=$("$ELFHASH" diff --json --max 1 $DIFF_FLAGS "$fa" "$fb" 2>&1) || rc=$?
  case $rc in
    0) if [ $ident = 1 ]; then echo "identical $rel"
       elif [[ $out == *'"byte_identical": true'* ]]; then echo "elf-identical $rel"
       else echo "equivalent $rel"; fi ;;
    1) echo "different $rel" ;;
    *) echo "error $rel: ${out//$'\n'/ }" ;;
  esac
}
export -f worker

results=$(cd "$a" && find . -name '*.ko' -type f -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 -r -n 8 -P "$jobs" bash -c 'for f; do worker "$f"; done' _ | LC_ALL=C sort -k2)

count() { grep -c "^$1 " <<<"$results" || true; }
total=$(grep -c . <<<"$results" || true)
identical=$(count identical)
elf_identical=$(count elf-identical)
equivalent=$((identical + elf_identical + $(count equivalent)))
different=$(count different)
errors=$(count error)
missing=$(count missing)
echo "modules:        $total"
echo "byte-identical: $identical (cmp)"
echo "equivalent:     $equivalent (of which ELF images byte-identical: $((identical + elf_identical)))"
echo "different:      $different"
grep '^different ' <<<"$results" | sed 's/^different /  /' || true
echo "errors:         $errors"
grep '^error ' <<<"$results" | sed 's/^error /  /' || true
echo "missing in B:   $missing"
grep '^missing ' <<<"$results" | sed 's/^missing /  /' || true
[ "$equivalent" = "$total" ]
