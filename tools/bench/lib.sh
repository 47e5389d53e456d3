# Benchmark helpers (sourced).
#
# measure LABEL PREP CMD...   runs PREP (untimed) then CMD, RUNS times, and records the medians of
#   wall time, CPU time (user + sys, the figure to trust on a loaded machine) and peak RSS (GNU
#   time's %M: the largest resident set of the command or any child; for a process that maps its
#   input this includes the input pages it touched). Wall and CPU are read to the millisecond
#   (_timed: bash's EPOCHREALTIME and `times`; GNU time prints only hundredths), and include GNU
#   time's own start, about 1 ms, alike for every contender.
# peak_anon LABEL CMD...       runs CMD RUNS times, sampling /proc/PID/status every few ms, and records
#   the median of the peak RssAnon: memory the process allocated itself, i.e. RSS beyond its mapped
#   input (and beyond shared libraries). Sampling can miss a short-lived spike; allocations that
#   stay until exit (tables, buffers) are seen.
# contender LABEL PREP CMD...  registers a contender for the next run_contenders;
# run_contenders                runs RUNS rounds, each round every registered contender once in
#   registration order (PREP untimed before each), so a change in the machine's load hits all of them
#   alike; then records and prints the medians as measure does, and forgets the contenders. Use this,
#   not measure, whenever figures are compared with each other.
# ratio A B / ratio_cpu A B    A's median wall / CPU time divided by B's.
# drop_caches                  sync + echo 3 > /proc/sys/vm/drop_caches (root), for cold-cache rows.
RUNS=${RUNS:-5}
declare -A MED_T MED_CPU MED_RSS MED_ANON
_tmp=${TMPDIR:-/tmp}/elfhash-bench-time.$$
# _children_cpu VAR: sets VAR to an expression (for bc) of the user + sys seconds of this shell's
# waited-for children so far. Bash `times`, read without forking: it must run in this shell (in a
# subshell, as $(...) makes, it counts that subshell's children only), and a helper process run
# between two readings would be counted in the second.
_children_cpu() {
  local _l _u _s
  times > "$_tmp.times"
  { read -r _l; read -r _u _s; } < "$_tmp.times"  # children: "XmS.SSSs YmS.SSSs", user and sys
  _u=${_u%s} _s=${_s%s}
  printf -v "$1" '(%s*60+%s)+(%s*60+%s)' "${_u%%m*}" "${_u#*m}" "${_s%%m*}" "${_s#*m}"
}
# _timed CMD: runs the quoted command line CMD under GNU time (for the peak RSS); sets _T_WALL and
# _T_CPU (seconds, to the millisecond) and _T_RSS (KiB). Non-zero if CMD failed.
_timed() {
  local c0 c1 w0 w1 rc=0
  _children_cpu c0
  w0=$EPOCHREALTIME
  eval "/usr/bin/time -o \"\$_tmp\" -f '%M' $1" >/dev/null 2>&1 || rc=1
  w1=$EPOCHREALTIME
  _children_cpu c1
  _T_WALL=$(echo "$w1 - $w0" | bc -l)
  _T_CPU=$(echo "$c1 - ($c0)" | bc -l)
  _T_RSS=$(tail -1 "$_tmp")
  return $rc
}
_median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() {
  local label=$1 prep=$2; shift 2
  local ts=() cs=() rs=() i
  for ((i = 0; i < RUNS; i++)); do
    eval "$prep"
    _timed "$(printf '%q ' "$@")" || { echo "  $label: command failed" >&2; return 1; }
    ts+=("$_T_WALL") cs+=("$_T_CPU") rs+=("$_T_RSS")
  done
  rm -f "$_tmp" "$_tmp.times"
  MED_T[$label]=$(printf '%s\n' "${ts[@]}" | _median)
  MED_CPU[$label]=$(printf '%s\n' "${cs[@]}" | _median)
  MED_RSS[$label]=$(printf '%s\n' "${rs[@]}" | _median)
  _print_med "$label"
}
peak_anon() {
  local label=$1; shift
  local ps=() i pid kb peak
  for ((i = 0; i < RUNS; i++)); do
    "$@" >/dev/null 2>&1 &
    pid=$! peak=0
    while kb=$(awk '/^RssAnon:/{print $2}' "/proc/$pid/status" 2>/dev/null) && [ -n "$kb" ]; do
      ((kb > peak)) && peak=$kb
      sleep 0.002
    done
    wait "$pid" || true
    ps+=("$peak")
  done
  MED_ANON[$label]=$(printf '%s\n' "${ps[@]}" | _median)
  printf '  %-52s %8.1f MiB peak RssAnon (beyond the mapped input)\n' "$label" "$(echo "${MED_ANON[$label]} / 1024" | bc -l)"
}
C_LABELS=() C_PREPS=() C_CMDS=()
contender() {
  local label=$1 prep=$2; shift 2
  C_LABELS+=("$label") C_PREPS+=("$prep") C_CMDS+=("$(printf '%q ' "$@")")
}
_print_med() {
  printf '  %-52s %7.3f s wall %7.3f s cpu %8.1f MiB peak RSS\n' "$1" "${MED_T[$1]}" "${MED_CPU[$1]}" \
    "$(echo "${MED_RSS[$1]} / 1024" | bc -l)"
}
run_contenders() {
  local -A ts cs rs
  local r i label
  for ((r = 0; r < RUNS; r++)); do
    for i in "${!C_LABELS[@]}"; do
      label=${C_LABELS[i]}
      eval "${C_PREPS[i]}"
      _timed "${C_CMDS[i]}" || { echo "  $label: command failed" >&2; return 1; }
      ts[$label]+="$_T_WALL " cs[$label]+="$_T_CPU " rs[$label]+="$_T_RSS "
    done
  done
  rm -f "$_tmp" "$_tmp.times"
  for label in "${C_LABELS[@]}"; do
    MED_T[$label]=$(printf '%s\n' ${ts[$label]} | _median)
    MED_CPU[$label]=$(printf '%s\n' ${cs[$label]} | _median)
    MED_RSS[$label]=$(printf '%s\n' ${rs[$label]} | _median)
    _print_med "$label"
  done
  C_LABELS=() C_PREPS=() C_CMDS=()
}
drop_caches() { sync && echo 3 > /proc/sys/vm/drop_caches; }
ratio() { printf '  %-72s %6.2fx wall\n' "$1 / $2" "$(echo "${MED_T[$1]} / ${MED_T[$2]}" | bc -l)"; }
ratio_cpu() {
  printf '  %-72s %6.2fx wall %6.2fx cpu\n' "$1 / $2" "$(echo "${MED_T[$1]} / ${MED_T[$2]}" | bc -l)" \
    "$(echo "${MED_CPU[$1]} / ${MED_CPU[$2]}" | bc -l)"
}
# Load of the machine (other jobs share it): 1-minute load average and the number of cores.
load_note() { echo "  load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"; }

# Debian's cloud-amd64 kernel (tools/kernel/fetch-debian.sh, cached in ~/.cache/elfhash): sets KDIR,
# KVER, VMLINUX (the unstripped -dbg vmlinux) and MODS (its 1121 unstripped -dbg modules).
debian_cloud() {
  KDIR=$(bash "$(dirname "${BASH_SOURCE[0]}")/../kernel/fetch-debian.sh")
  KVER=$(cat "$KDIR/kver")
  VMLINUX=$KDIR/dbg/usr/lib/debug/boot/vmlinux-$KVER
  MODS=$KDIR/dbg/usr/lib/debug/lib/modules/$KVER/kernel
}
# needs TOOL...: exits 2 naming the first missing tool (tools/setup.sh installs them all).
needs() {
  local t
  for t; do command -v "$t" >/dev/null || { echo "$(basename "$0"): needs $t (tools/setup.sh installs it)" >&2; exit 2; }; done
}
# fs_note DIR: the file system type of DIR, as `stat -f` names it (ext2/ext3 = ext4 too), and its mount
# options; for ext4 also whether it has a journal. Without one, ext4 skips the inodes freed in the last
# minute when it allocates one (fs/ext4/ialloc.c recently_deleted), so every file a run creates costs
# more after many deletions: create-heavy contenders slow down run to run there (docs/benchmarks.md).
fs_note() {
  local src journal=""
  src=$(findmnt -n -o SOURCE --target "$1" 2>/dev/null | head -1)
  if [ -r "/sys/fs/ext4/${src##*/}/journal_task" ]; then
    [ "$(cat "/sys/fs/ext4/${src##*/}/journal_task")" = "<none>" ] && journal=", no journal" || journal=", journal"
  fi
  echo "$(stat -f -c %T "$1") ($(findmnt -n -o FSTYPE,OPTIONS --target "$1" 2>/dev/null | awk 'NR == 1 {print $1, $2}')$journal)"
}
# module_copies W [ELFHASH]: copies the -dbg modules ($MODS) to W/pristine, lists the paths of their
# working copy W/m in W/list, sets FRESH (the untimed prep that recreates W/m from W/pristine and
# writes it back) and, given ELFHASH, makes W/stripped (what `strip --strip-debug` of all gives: the
# tree the floor copies).
module_copies() {
  local w=$1
  cp -r "$MODS" "$w/pristine"
  find "$w/pristine" -name '*.ko' | sort | sed "s|^$w/pristine|$w/m|" > "$w/list"
  FRESH="rm -rf $w/m && cp -r $w/pristine $w/m && sync"
  [ -z "${2:-}" ] || { eval "$FRESH" && xargs -a "$w/list" "$2" strip --strip-debug && mv "$w/m" "$w/stripped"; }
}
# module_column DIR NAME ELFHASH: one file-system column of a module benchmark: a scratch directory
# W in DIR (removed on exit), announced with its file system and the load, holding module_copies'
# trees. Sets W.
module_column() {
  W=$(mktemp -d "$1/$2.XXXXXX")
  trap 'rm -rf "$W"' EXIT
  echo "file system: $1: $(fs_note "$W")"
  load_note
  module_copies "$W" "$3"
}
