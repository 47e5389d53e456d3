#!/usr/bin/env bash
# Distro packaging parity (issue 11, item 6): the strip/objcopy command lines of Debian's dh_strip,
# rpm's find-debuginfo and Arch's makepkg, run by GNU binutils 2.40 and by elfhash on real ELF files,
# compared byte for byte. Reports, per recipe, how many outputs are identical, differ, or are refused
# by elfhash (exit 2: an option or an edit it does not support; never a silent difference).
#   usage: distro_strip_parity.sh [--sample N] [--arch ARCH]... [FILE|DIR...]
#   default corpus: /usr/bin, /usr/lib/x86_64-linux-gnu and the cached Debian modules in ~/.cache/elfhash
#   Static libraries (*.a archives) get dh_strip's and makepkg's static-library recipes.
#   --arch ARCH: add Debian 12's userland for that architecture (tools/tests/fetch-userland.sh);
#   GNU's reference for a foreign target is binutils-multiarch's objcopy/strip.
#   --sample N: N ELF files spread evenly over the sorted corpus (every k-th) and N/4 of its static
#   libraries (CI uses a sample). Exit 1 if any output differs from GNU's (a refusal is counted, not
#   failed).
set -uo pipefail
set -f  # the recipes' -R patterns (.gnu.lto_*) are binutils globs, not the shell's
E=${ELFHASH:-$(cd "$(dirname "$0")/../.." && pwd)/bazel-bin/tools/elfhash}
sample=0 extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --sample) sample=$2; shift 2 ;;
    --arch) extra+=("$("$(dirname "$0")/fetch-userland.sh" "$2")") || exit 2; shift 2 ;;
    *) break ;;
  esac
done
roots=("$@")
((${#roots[@]} + ${#extra[@]})) || roots=(/usr/bin /usr/lib/x86_64-linux-gnu "${ELFHASH_CACHE:-$HOME/.cache/elfhash}/debian")
roots+=("${extra[@]}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ELF executables, shared objects and modules: regular files starting with \x7fELF.
find "${roots[@]}" -type f \( -perm -u+x -o -name '*.so*' -o -name '*.ko' \) 2>/dev/null | LC_ALL=C sort |
  while IFS= read -r f; do [ "$(head -c 4 "$f" 2>/dev/null | tr -d '\0')" = $'\x7fELF' ] && echo "$f"; done >"$tmp/corpus"
# Static libraries: ar archives (dh_strip and makepkg strip them member by member).
find "${roots[@]}" -type f -name '*.a' 2>/dev/null | LC_ALL=C sort |
  while IFS= read -r f; do [ "$(head -c 8 "$f" 2>/dev/null | tr -d '\0')" = '!<arch>' ] && echo "$f"; done >"$tmp/archives"
every() {  # every N FILE: N lines spread evenly over FILE (all of them when it has fewer)
  awk -v n="$1" '{ l[NR] = $0 } END { if (NR <= n) { for (i = 1; i <= NR; i++) print l[i]; exit }
                                       for (i = 0; i < n; i++) print l[1 + int(i * NR / n)] }' "$2"
}
if ((sample > 0)); then
  every "$sample" "$tmp/corpus" >"$tmp/c2" && mv "$tmp/c2" "$tmp/corpus"
  every $(((sample + 3) / 4)) "$tmp/archives" >"$tmp/a2" && mv "$tmp/a2" "$tmp/archives"
fi
cat "$tmp/archives" >>"$tmp/corpus"

kind() {  # exec | shlib | module | static | other, as dh_strip and makepkg classify files
  case $1 in *.ko) echo module; return;; *.a) echo static; return;; esac
  local t; t=$(readelf -h "$1" 2>/dev/null | awk '/Type:/{print $2}')
  case $t in EXEC) echo exec;; DYN) case $1 in *.so|*.so.*) echo shlib;; *) echo exec;; esac;; *) echo other;; esac
}
# recipe NAME KIND TOOL OPTIONS...: which files it applies to, and its command line
recipes() {
  cat <<'EOF'
dh_strip-shlib shlib strip --remove-section=.comment --remove-section=.note --strip-unneeded
dh_strip-exec exec strip --remove-section=.comment --remove-section=.note
dh_strip-module module strip --remove-section=.comment --remove-section=.note --strip-unneeded
dh_strip-debuglink any objcopy --only-keep-debug
find-debuginfo-module module strip --strip-debug --keep-section .BTF
makepkg-module module strip --strip-debug
makepkg-exec exec strip --strip-all
makepkg-shlib shlib strip --strip-unneeded
dh_strip-static static strip --strip-debug --remove-section=.comment --remove-section=.note --enable-deterministic-archives -R .gnu.lto_* -R .gnu.debuglto_* -N __gnu_lto_slim -N __gnu_lto_v1
makepkg-static static strip --strip-debug
EOF
}
declare -A same diff refused
bad=0
while IFS= read -r f; do
  k=$(kind "$f")
  while read -r name applies tool opts; do
    [ "$applies" = any ] || [ "$applies" = "$k" ] || continue
    rm -f "$tmp/g" "$tmp/e"
    # shellcheck disable=SC2086
    if [ "$tool" = strip ]; then
      /usr/bin/strip $opts -o "$tmp/g" "$f" 2>/dev/null || continue  # GNU itself refuses: not a case
      "$E" strip $opts -o "$tmp/e" "$f" 2>"$tmp/err"; rc=$?
    else
      /usr/bin/objcopy $opts "$f" "$tmp/g" 2>/dev/null || continue
      "$E" objcopy $opts "$f" "$tmp/e" 2>"$tmp/err"; rc=$?
    fi
    if [ $rc = 2 ]; then refused[$name]=$((${refused[$name]:-0} + 1))
    elif [ $rc = 0 ] && cmp -s "$tmp/g" "$tmp/e"; then same[$name]=$((${same[$name]:-0} + 1))
    else diff[$name]=$((${diff[$name]:-0} + 1)); bad=1; echo "DIFF $name $f"; fi
  done < <(recipes)
done <"$tmp/corpus"
echo "corpus: $(wc -l <"$tmp/corpus") files ($(wc -l <"$tmp/archives") of them static libraries)"
p=0 fl=0
while read -r name _; do
  printf '%-24s same %6d  differ %4d  refused %6d\n' "$name" "${same[$name]:-0}" "${diff[$name]:-0}" "${refused[$name]:-0}"
  p=$((p + ${same[$name]:-0})); fl=$((fl + ${diff[$name]:-0}))
done < <(recipes)
echo "$p passed, $fl failed"
exit $bad
