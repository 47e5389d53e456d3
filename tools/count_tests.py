#!/usr/bin/env python3
"""Sums test cases from Bazel's test.xml files (GoogleTest writes one <testcase> per TEST) and from
the kernel tests' "N passed, N failed" lines, and prints the closing line CI reads."""
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

def xml_counts(root):
    passed = failed = skipped = 0
    for path in sorted(pathlib.Path(root).rglob("test.xml")):
        try:
            tree = ET.parse(path)
        except ET.ParseError:
            failed += 1
            print(f"count_tests: unreadable {path}", file=sys.stderr)
            continue
        for case in tree.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
            elif case.find("skipped") is not None or case.get("status") == "notrun":
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped

def log_counts(paths):
    passed = failed = 0
    for p in paths:
        text = pathlib.Path(p).read_text(errors="replace") if pathlib.Path(p).exists() else ""
        m = re.findall(r"^(\d+) passed, (\d+) failed", text, re.M)
        if m:
            passed += int(m[-1][0]); failed += int(m[-1][1])
        else:
            failed += 1
            print(f"count_tests: no result line in {p}", file=sys.stderr)
    return passed, failed

if __name__ == "__main__":
    testlogs, logs = sys.argv[1], sys.argv[2:]
    p, f, s = xml_counts(testlogs)
    lp, lf = log_counts(logs)
    p += lp; f += lf
    print(f"{p} passed, {f} failed" + (f", {s} skipped" if s else ""))
    sys.exit(1 if f else 0)
