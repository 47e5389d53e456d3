# Benchmark helpers: measure LABEL PREP CMD... runs PREP (untimed) then CMD, RUNS times, and records
# the median wall time and the median peak RSS (GNU time's %M: the largest resident set of the
# command or any of its children).
RUNS=${RUNS:-5}
declare -A MED_T MED_RSS
_median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
measure() {
  local label=$1 prep=$2; shift 2
  local ts=() rs=() i
  for ((i = 0; i < RUNS; i++)); do
    eval "$prep"
    local t0 t1 rss
    t0=$(date +%s.%N)
    /usr/bin/time -o "${TMPDIR:-/tmp}/elfhash-bench-rss.$$" -f '%M' "$@" >/dev/null 2>&1
    rss=$(tail -1 "${TMPDIR:-/tmp}/elfhash-bench-rss.$$")
    t1=$(date +%s.%N)
    ts+=("$(echo "$t1 - $t0" | bc -l)")
    rs+=("$rss")
  done
  MED_T[$label]=$(printf '%s\n' "${ts[@]}" | _median)
  MED_RSS[$label]=$(printf '%s\n' "${rs[@]}" | _median)
  printf '  %-48s %8.3f s  %8.1f MiB peak RSS\n' "$label" "${MED_T[$label]}" "$(echo "${MED_RSS[$label]} / 1024" | bc -l)"
}
ratio() { printf '  %-48s %8.2fx\n' "$1 / $2" "$(echo "${MED_T[$1]} / ${MED_T[$2]}" | bc -l)"; }
