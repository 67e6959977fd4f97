#!/usr/bin/env python3
"""Reads the guest's KTAP output (tests/guest/run-all.sh, lib.sh, kbridge-test's report.rs)
from a console log, checks its structure and counts its cases.

    ktap.py LOG

The log may hold anything around and between the KTAP lines (boot messages, kernel messages,
the tests' own output): lines that are not KTAP are skipped, as the spec allows. The KTAP
document starts at the first unindented "KTAP version 1". Expected: a plan "1..N", then N
subtests (one per test file), each an indented "KTAP version 1", "# Subtest: NAME", its case
results numbered from 1, its plan "1..M" (after the cases) and then the unindented result
"ok|not ok I NAME" of the file, which fails exactly when a case failed.

Prints one line per failed or skipped case ("FAIL file/case: reason", "SKIP file/case:
reason"), one "PROBLEM: ..." line per structural error, and last "<passed> <failed>
<skipped>", where a case the plan announces but that no readable line reports (a result line
garbled by a kernel message printed into it, say) counts as failed. Exit status: 0 for a
complete, well-formed document; 1 if it is malformed; 2 if it is well formed so far but ends
early (the guest stopped; run-guest.sh reports that on its own).
"""

import re
import sys

RESULT = re.compile(r"^(not ok|ok) ([0-9]+)(?: ([^#]*?))?\s*(?:#\s*(.*))?$")
PLAN = re.compile(r"^1\.\.([0-9]+)$")
INDENT = "    "


class Doc:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.lines = []      # FAIL/SKIP lines, in order
        self.problems = []   # structural errors
        self.complete = False

    def problem(self, lineno, what):
        self.problems.append(f"line {lineno}: {what}")


def case_result(doc, sub, lineno, m):
    """One indented result line of subtest `sub`."""
    status, num, name, directive = m.group(1), int(m.group(2)), (m.group(3) or "").strip(), m.group(4)
    if num < sub["next"]:
        doc.problem(lineno, f"{sub['name']}: case {num} where {sub['next']} was due")
    # A number skipped is a line lost (garbled); the plan then counts it as failed.
    sub["next"] = max(sub["next"], num + 1)
    sub["seen"] += 1
    where = f"{sub['name']}/{name}"
    if status == "not ok":
        doc.failed += 1
        sub["failed"] += 1
        doc.lines.append(f"FAIL {where}: {directive or ''}".rstrip())
    elif directive is not None and directive.upper().startswith("SKIP"):
        doc.skipped += 1
        sub["skipped"] += 1
        doc.lines.append(f"SKIP {where}: {directive[4:].strip()}")
    else:
        doc.passed += 1


def parse(text):
    doc = Doc()
    lines = text.splitlines()
    start = next((i for i, l in enumerate(lines) if l == "KTAP version 1"), None)
    if start is None:
        doc.problem(0, "no KTAP version line")
        return doc
    planned = None       # top-level plan
    done = 0             # top-level results
    sub = None           # the open subtest
    for i in range(start + 1, len(lines)):
        lineno, line = i + 1, lines[i]
        if line.startswith(INDENT):
            body = line[len(INDENT):]
            if body == "KTAP version 1":
                if sub is not None:
                    doc.problem(lineno, f"subtest {sub['name']} has no result")
                if planned is None:
                    doc.problem(lineno, "subtest before the top-level plan")
                sub = {"name": None, "next": 1, "seen": 0, "failed": 0, "skipped": 0,
                       "plan": None, "line": lineno}
                continue
            if sub is None:
                continue  # indented, but not in a subtest: not KTAP
            if body.startswith("# Subtest: ") and sub["name"] is None and sub["seen"] == 0:
                sub["name"] = body[len("# Subtest: "):].strip()
                continue
            m = PLAN.match(body)
            if m:
                if sub["plan"] is not None:
                    doc.problem(lineno, f"{sub['name']}: a second plan")
                sub["plan"] = int(m.group(1))
                continue
            m = RESULT.match(body)
            if m and sub["plan"] is None:
                if sub["name"] is None:
                    doc.problem(lineno, "subtest without a '# Subtest: NAME' line")
                    sub["name"] = "?"
                case_result(doc, sub, lineno, m)
            elif m:
                doc.problem(lineno, f"{sub['name']}: a result after the plan")
            continue
        m = RESULT.match(line)
        if line.startswith("1.."):
            m2 = PLAN.match(line)
            if m2 and planned is None and done == 0 and sub is None:
                planned = int(m2.group(1))
            else:
                doc.problem(lineno, f"unexpected plan {line!r}")
            continue
        if not m:
            if line == "# kbridge-tests-end":
                if sub is not None:
                    doc.problem(lineno, f"subtest {sub['name']} has no result")
                    sub = None
                doc.complete = True
                break
            continue  # unknown line
        status, num, name, directive = m.group(1), int(m.group(2)), (m.group(3) or "").strip(), m.group(4)
        if sub is None:
            doc.problem(lineno, f"top-level result {line!r} without a subtest")
            continue
        done += 1
        if num != done:
            doc.problem(lineno, f"test {num} where {done} was due")
        if name != sub["name"]:
            doc.problem(lineno, f"result names {name!r}, the subtest is {sub['name']!r}")
        if sub["plan"] is None:
            doc.problem(lineno, f"{sub['name']}: no plan")
        elif sub["plan"] != sub["seen"]:
            missing = sub["plan"] - sub["seen"]
            if missing > 0:
                # Announced but never readable: failed, not silently lost.
                doc.failed += missing
                doc.lines.append(f"FAIL {sub['name']}/unreadable: {missing} result line(s) "
                                 f"of {sub['plan']} not readable on the console")
            else:
                doc.problem(lineno, f"{sub['name']}: plan 1..{sub['plan']}, {sub['seen']} results")
        want = "not ok" if sub["failed"] else "ok"
        if status != want:
            doc.problem(lineno, f"{sub['name']}: {status}, its cases say {want}")
        skipped_all = sub["seen"] > 0 and sub["skipped"] == sub["seen"]
        is_skip = directive is not None and directive.upper().startswith("SKIP")
        if status == "ok" and is_skip != skipped_all:
            doc.problem(lineno, f"{sub['name']}: SKIP directive does not match its cases")
        sub = None
    if planned is None:
        doc.problem(start + 1, "no top-level plan")
    elif doc.complete and done != planned:
        doc.problem(len(lines), f"plan 1..{planned}, {done} results")
    return doc


def main(argv):
    if len(argv) != 2:
        print("usage: ktap.py LOG", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8", errors="replace") as f:
        doc = parse(f.read())
    for line in doc.lines:
        print(line)
    for p in doc.problems:
        print(f"PROBLEM: {p}")
    print(doc.passed, doc.failed, doc.skipped)
    if doc.problems:
        return 1
    return 0 if doc.complete else 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
