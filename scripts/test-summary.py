#!/usr/bin/env python3
"""Prints the last line of `make test`: tests passed, failed and skipped across every module's
JUnit reports (surefire and failsafe), then each script step, and names every skipped test so
that a skip is never silent.

    test-summary.py STEPS_FILE   (one "name passed|failed" line per script step)
"""
import glob
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
skipped_names = []
failed_names = []
for report in sorted(glob.glob("*/target/surefire-reports/TEST-*.xml")
                     + glob.glob("*/target/failsafe-reports/TEST-*.xml")):
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}.{case.get('name')}"
        if case.find("skipped") is not None:
            skipped += 1
            skipped_names.append(name)
        elif case.find("failure") is not None or case.find("error") is not None:
            failed += 1
            failed_names.append(name)
        else:
            passed += 1

steps = []
if len(sys.argv) > 1:
    with open(sys.argv[1]) as f:
        steps = [line.split() for line in f if line.strip()]
failed_steps = [name for name, result in steps if result != "passed"]

for name in failed_names:
    print(f"FAILED  {name}")
for name in skipped_names:
    print(f"SKIPPED {name}")
line = f"make test: {passed} tests passed, {failed} failed, {skipped} skipped"
if steps:
    line += "; " + ", ".join(f"{name} {result}" for name, result in steps)
print(line)
sys.exit(1 if failed or failed_steps else 0)
