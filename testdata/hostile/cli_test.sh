#!/bin/bash
# CLI half of the hostile-input test: every malformed case must make `elfhash objcopy IN OUT` and
# `elfhash strip -o OUT IN` exit 2 with exactly one line on stderr, "elfhash: IN: offset 0xN: ..."
# with the offset and message expected.txt names (offsets evaluated on the fixtures by make_hostile),
# within a time limit, leaving no output (or temporary) file behind; and `elfhash inspect IN` likewise
# (nothing on stdout); inspect and strip report the TRAILER verdict first for the trailer cases. Cases with OPTIONS
# run `elfhash objcopy OPTIONS IN OUT` only. A command that cannot copy a valid fixture (a stub that
# says "not implemented", or any other failure) is a failure, never a skip; so is a case listed in
# cli_known_gaps.txt (the list must stay empty).
set -u
ELFHASH=${ELFHASH:-tools/elfhash}
MAKE_HOSTILE=${MAKE_HOSTILE:-testdata/hostile/make_hostile}
EXPECTED=testdata/hostile/expected.txt
GAPS=testdata/hostile/cli_known_gaps.txt
TIMEOUT=${HOSTILE_TIMEOUT:-30}
tmp=${TEST_TMPDIR:-$(mktemp -d)}
corpus=$tmp/corpus
mkdir -p "$corpus"
resolved=$tmp/expected.resolved
"$MAKE_HOSTILE" testdata "$corpus" "$EXPECTED" "$resolved" || { echo "make_hostile failed"; exit 1; }

passed=0 failed=0 skipped=0
xml_cases=""
record() {  # record NAME pass|fail|skip MESSAGE
  case $2 in
    pass) passed=$((passed + 1)); xml_cases+="<testcase name=\"$1\"/>" ;;
    fail) failed=$((failed + 1)); echo "FAIL $1: $3"
          xml_cases+="<testcase name=\"$1\"><failure message=\"$(printf %s "$3" | sed 's/[<>&"]/_/g')\"/></testcase>" ;;
    skip) skipped=$((skipped + 1)); echo "SKIPPED $1: $3"
          xml_cases+="<testcase name=\"$1\" status=\"notrun\"><skipped message=\"$3\"/></testcase>" ;;
  esac
}

# matches LINE FILE PREFIX WANT: LINE is "elfhash: FILE: PREFIX..." and the rest contains one of WANT's
# '|'-separated alternatives; PREFIX "~" means the error carries no offset.
matches() {
  local head="elfhash: $2: " rest alt
  [ "$3" != "~" ] && head+=$3
  [[ $1 == "$head"* ]] || return 1
  rest=${1#"$head"}
  [ "$3" = "~" ] && [[ $rest == "offset 0x"* ]] && return 1
  IFS='|' read -ra alts <<<"$4"
  for alt in "${alts[@]}"; do [[ $rest == *"$alt"* ]] && return 0; done
  return 1
}

# run_cmd KIND IN OUT [OPTIONS...]: runs the command under test; sets rc and err.
run_cmd() {
  local kind=$1 in=$2 out=$3
  shift 3
  case $kind in
    objcopy) timeout -k 5 "$TIMEOUT" "$ELFHASH" objcopy "$@" "$in" "$out" 2>"$tmp/stderr" >/dev/null ;;
    # --strip-debug: what INSTALL_MOD_STRIP=1 runs (spec §5.4).
    strip) timeout -k 5 "$TIMEOUT" "$ELFHASH" strip --strip-debug -o "$out" "$in" 2>"$tmp/stderr" >/dev/null ;;
    # Reports on stdout; anything printed for a refused file counts as output left behind.
    inspect) timeout -k 5 "$TIMEOUT" "$ELFHASH" inspect "$in" 2>"$tmp/stderr" >"$tmp/stdout" ;;
  esac
  rc=$?
  if [ "$kind" = inspect ] && [ -s "$tmp/stdout" ]; then cp "$tmp/stdout" "$out"; fi
  err=$(cat "$tmp/stderr")
}

# check_case KIND NAME PREFIX WANT [OPTIONS...]: the command must refuse the case as expected.
check_case() {
  local kind=$1 name=$2 prefix=$3 want=$4
  shift 4
  local in=$corpus/$name.elf outdir=$tmp/out-$kind-$name
  mkdir -p "$outdir"
  run_cmd "$kind" "$in" "$outdir/out.o" "$@"
  local lines
  lines=$(printf '%s\n' "$err" | grep -c .)
  if grep -xF "$kind/$name" "$GAPS" >/dev/null; then
    record "$kind/$name" fail "listed in cli_known_gaps.txt (exit $rc): fix it instead"
  elif [ $rc -ge 124 ]; then
    record "$kind/$name" fail "crashed or timed out (exit $rc): $err"
  elif [ $rc != 2 ]; then
    record "$kind/$name" fail "exit $rc, want 2: $err"
  elif [ "$lines" != 1 ]; then
    record "$kind/$name" fail "stderr has $lines lines, want 1: $err"
  elif ! matches "$err" "$in" "$prefix" "$want"; then
    record "$kind/$name" fail "want \"elfhash: $in: ${prefix#\~}...$want...\", got: $err"
  elif [ -n "$(ls -A "$outdir")" ]; then
    record "$kind/$name" fail "left files behind: $(ls -A "$outdir" | tr '\n' ' ')"
  else
    record "$kind/$name" pass ""
  fi
}

for kind in objcopy strip inspect; do
  # A command that cannot even copy a valid fixture is broken (or a stub): a failure, not a skip.
  probe_out=$tmp/probe-$kind.o
  run_cmd "$kind" testdata/x86_64-module.o "$probe_out"
  if [ $rc != 0 ]; then
    record "$kind-valid-input" fail "exit $rc on a valid fixture: $err"
    continue
  fi
  while IFS=$'\t' read -r name ckind cprefix cmsg skind sprefix smsg ikind iprefix imsg options; do
    [ "$options" = "~" ] && options=
    # strip and objcopy split off a module trailer first (they refuse to drop one silently), so they
    # report the trailer's error (make_hostile.cc); an OPTIONS verdict is objcopy's own.
    if [ "$kind" = strip ] || { [ "$kind" = objcopy ] && [ -z "$options" ]; }; then
      ckind=$skind cprefix=$sprefix cmsg=$smsg
    fi
    if [ -n "$options" ]; then          # a verdict for objcopy with these options only
      [ "$kind" = objcopy ] || continue
      # shellcheck disable=SC2086  # OPTIONS is a space-separated list by definition
      check_case "$kind" "$name" "$cprefix" "$cmsg" $options
    elif [ "$kind" = inspect ]; then
      case $ikind in
        error) check_case "$kind" "$name" "$iprefix" "$imsg" ;;
        either)  # the reader accepts it; inspect may too, but if it refuses, it must say why exactly
          run_cmd inspect "$corpus/$name.elf" "$tmp/either.out"
          if [ $rc = 0 ]; then record "$kind/$name" pass ""
          else check_case "$kind" "$name" "$iprefix" "$imsg"; fi ;;
      esac
    elif [ "$ckind" = error ]; then
      check_case "$kind" "$name" "$cprefix" "$cmsg"
    fi
  done < "$resolved"
done

if [ -n "${XML_OUTPUT_FILE:-}" ]; then
  printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="hostile_cli_test" tests="%d" failures="%d" skipped="%d">%s</testsuite></testsuites>\n' \
    $((passed + failed + skipped)) "$failed" "$skipped" "$xml_cases" > "$XML_OUTPUT_FILE"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
