# Tiny test harness for shell tests: `check NAME CMD...` runs one case; `finish` prints
# "N passed, N failed", writes JUnit XML to $XML_OUTPUT_FILE (Bazel) so every case is counted, and
# sets the exit status.
_pass=0 _fail=0 _cases=""
_xml_escape() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
check() {
  local name=$1; shift
  local out
  if out=$("$@" 2>&1); then
    _pass=$((_pass + 1)); echo "PASS $name"
    _cases+="<testcase name=\"$(_xml_escape "$name")\"/>"
  else
    _fail=$((_fail + 1)); echo "FAIL $name"; printf '%s\n' "$out" | tail -20 | sed 's/^/    /'
    _cases+="<testcase name=\"$(_xml_escape "$name")\"><failure message=\"failed\">$(_xml_escape "$(printf '%s' "$out" | tail -20)")</failure></testcase>"
  fi
}
finish() {
  echo "$_pass passed, $_fail failed"
  if [ -n "${XML_OUTPUT_FILE:-}" ]; then
    printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="%s" tests="%d" failures="%d">%s</testsuite></testsuites>\n' \
      "$(basename "$0")" $((_pass + _fail)) "$_fail" "$_cases" > "$XML_OUTPUT_FILE"
  fi
  [ "$_fail" = 0 ]
}
# Runfiles root for sh_test, or the repo when run by hand.
runfile() {
  if [ -n "${TEST_SRCDIR:-}" ]; then echo "$TEST_SRCDIR/${TEST_WORKSPACE:-elfhash}/$1"; else echo "$1"; fi
}
