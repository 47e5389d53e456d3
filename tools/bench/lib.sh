# Benchmark helpers (sourced).
#
# measure LABEL PREP CMD...   runs PREP (untimed) then CMD, RUNS times, and records the medians of
#   wall time, CPU time (user + sys, the figure to trust on a loaded machine) and peak RSS (GNU
#   time's %M: the largest resident set of the command or any child; for a process that maps its
#   input this includes the input pages it touched).
# peak_anon LABEL CMD...       runs CMD RUNS times, sampling /proc/PID/status every few ms, and records
#   the median of the peak RssAnon: memory the process allocated itself, i.e. RSS beyond its mapped
#   input (and beyond shared libraries). Sampling can miss a short-lived spike; allocations that
#   stay until exit (tables, buffers) are seen.
# ratio A B / ratio_cpu A B    A's median wall / CPU time divided by B's.
RUNS=${RUNS:-5}
declare -A MED_T MED_CPU MED_RSS MED_ANON
_tmp=${TMPDIR:-/tmp}/elfhash-bench-time.$$
_median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() {
  local label=$1 prep=$2; shift 2
  local ts=() cs=() rs=() i e u s m
  for ((i = 0; i < RUNS; i++)); do
    eval "$prep"
    /usr/bin/time -o "$_tmp" -f '%e %U %S %M' "$@" >/dev/null 2>&1 || { echo "  $label: command failed" >&2; return 1; }
    read -r e u s m < <(tail -1 "$_tmp")
    ts+=("$e")
    cs+=("$(echo "$u + $s" | bc -l)")
    rs+=("$m")
  done
  rm -f "$_tmp"
  MED_T[$label]=$(printf '%s\n' "${ts[@]}" | _median)
  MED_CPU[$label]=$(printf '%s\n' "${cs[@]}" | _median)
  MED_RSS[$label]=$(printf '%s\n' "${rs[@]}" | _median)
  printf '  %-52s %7.3f s wall %7.3f s cpu %8.1f MiB peak RSS\n' "$label" "${MED_T[$label]}" "${MED_CPU[$label]}" \
    "$(echo "${MED_RSS[$label]} / 1024" | bc -l)"
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
ratio() { printf '  %-72s %6.2fx wall\n' "$1 / $2" "$(echo "${MED_T[$1]} / ${MED_T[$2]}" | bc -l)"; }
ratio_cpu() {
  printf '  %-72s %6.2fx wall %6.2fx cpu\n' "$1 / $2" "$(echo "${MED_T[$1]} / ${MED_T[$2]}" | bc -l)" \
    "$(echo "${MED_CPU[$1]} / ${MED_CPU[$2]}" | bc -l)"
}
# Load of the machine (other jobs share it): 1-minute load average and the number of cores.
load_note() { echo "  load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min) on $(nproc) cores"; }
