#!/usr/bin/env bash
# Runs a command on a private symlink objtree made from Bazel inputs (the rules of defs.bzl).
# usage: with_objtree.sh [--order FILE] [--link NAME=PATH]... [--module STEM=PATH]...
#                        [--modules-dir DIR]... -- CMD ARG...
# The objtree, in $TMPDIR, holds modules.order ("<stem>.o" lines), every NAME=PATH link (e.g.
# vmlinux.unstripped, include/config/kernel.release) and <stem>.ko for each line of modules.order.
# A module comes from --module STEM=PATH if given, else from the first --modules-dir (a tree
# artifact) that has it as DIR/<stem>.ko (kbuild's layout), DIR/lib/modules/*/kernel/<stem>.ko
# (modules_install's) or DIR/<basename>.ko (a flat directory). Without --order, modules.order is
# DIR/modules.order or DIR/lib/modules/*/modules.order of the first --modules-dir. Installed-form
# lines ("kernel/<stem>.ko", as modules_install writes them) are read as "<stem>.o". A module that
# none of them has stays missing, and elfhash names its modules.order line. Every ARG equal to
# @OBJTREE@ becomes the objtree's path; the command's stdout (elfhash's summary) is dropped. Paths
# are relative to the working directory (the execution root): the command line holds no absolute path.
set -euo pipefail
order='' links=() modules=() dirs=()
while (($#)); do
  case $1 in
    --order) order=$2; shift 2 ;;
    --link) links+=("$2"); shift 2 ;;
    --module) modules+=("$2"); shift 2 ;;
    --modules-dir) dirs+=("$2"); shift 2 ;;
    --) shift; break ;;
    *) echo "with_objtree.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
(($#)) || { echo "with_objtree.sh: no command" >&2; exit 2; }
obj=$(mktemp -d "${TMPDIR:-/tmp}/elfhash-objtree.XXXXXX")
trap 'rm -rf "$obj"' EXIT
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
link() { mkdir -p "$obj/$(dirname "$1")" && ln -sfn "$(abs "$2")" "$obj/$1"; }

if [ -z "$order" ] && ((${#dirs[@]})); then
  for f in "${dirs[0]}/modules.order" "${dirs[0]}"/lib/modules/*/modules.order; do
    [ -f "$f" ] && { order=$f; break; }
  done
fi
[ -n "$order" ] || { echo "with_objtree.sh: no modules.order (give --order or a --modules-dir holding one)" >&2; exit 2; }
sed -e 's|^kernel/\(.*\)\.ko$|\1.o|' "$order" > "$obj/modules.order"

for l in ${links[@]+"${links[@]}"}; do link "${l%%=*}" "${l#*=}"; done
declare -A given
for m in ${modules[@]+"${modules[@]}"}; do given[${m%%=*}]=1; link "${m%%=*}.ko" "${m#*=}"; done
while read -r line; do
  stem=${line%.o}
  [ -z "${given[$stem]:-}" ] || continue
  for d in ${dirs[@]+"${dirs[@]}"}; do
    for f in "$d/$stem.ko" "$d"/lib/modules/*/kernel/"$stem.ko" "$d/$(basename "$stem").ko"; do
      if [ -f "$f" ]; then link "$stem.ko" "$f"; continue 3; fi
    done
  done
done < "$obj/modules.order"

args=()
for a in "$@"; do [ "$a" = @OBJTREE@ ] && args+=("$obj") || args+=("$a"); done
"${args[@]}" >/dev/null
