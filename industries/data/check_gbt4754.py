#!/usr/bin/env python3
"""Self-check for gbt4754_2017.csv (GB/T 4754-2017 industry classification).

Standalone, stdlib only.  Usage:  python3 check_gbt4754.py [path/to/gbt4754_2017.csv]
Exits 1 if any check fails.
"""

import csv
import os
import re
import sys
from collections import Counter

HEADER = ["code", "name", "parent", "level"]
SHAPES = {
    1: re.compile(r"^[A-T]$"),
    2: re.compile(r"^[A-T]\d{2}$"),
    3: re.compile(r"^[A-T]\d{3}$"),
    4: re.compile(r"^[A-T]\d{4}$"),
}
LEVEL_NAMES = {1: "section (门类)", 2: "division (大类)", 3: "group (中类)", 4: "class (小类)"}


def main(path):
    errors = []
    with open(path, "rb") as fb:
        if fb.read(3) == b"\xef\xbb\xbf":
            errors.append("file starts with a UTF-8 BOM")
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header != HEADER:
            errors.append("bad header: %r (expected %r)" % (header, HEADER))
        rows = list(reader)

    by_code = {}
    for lineno, row in enumerate(rows, start=2):
        if len(row) != 4:
            errors.append("line %d: expected 4 fields, got %d" % (lineno, len(row)))
            continue
        code, name, parent, level_s = row
        if not level_s.isdigit() or int(level_s) not in SHAPES:
            errors.append("line %d: bad level %r" % (lineno, level_s))
            continue
        level = int(level_s)
        if not SHAPES[level].match(code):
            errors.append("line %d: code %r does not fit level %d" % (lineno, code, level))
        if not name or name != name.strip():
            errors.append("line %d: empty name or surrounding whitespace for %r" % (lineno, code))
        if code in by_code:
            errors.append("line %d: duplicate code %r" % (lineno, code))
        by_code[code] = (name, parent, level, lineno)

    for code, (name, parent, level, lineno) in by_code.items():
        if level == 1:
            if parent:
                errors.append("line %d: section %r must have empty parent" % (lineno, code))
            continue
        if parent not in by_code:
            errors.append("line %d: parent %r of %r does not exist" % (lineno, parent, code))
            continue
        plevel = by_code[parent][2]
        if plevel != level - 1:
            errors.append(
                "line %d: parent %r of %r has level %d, expected %d"
                % (lineno, parent, code, plevel, level - 1)
            )
        # codes nest: C -> C17 -> C174 -> C1741
        if level == 2 and parent != code[0]:
            errors.append("line %d: division %r should have parent %r" % (lineno, code, code[0]))
        if level >= 3 and not code.startswith(parent):
            errors.append("line %d: %r does not start with parent code %r" % (lineno, code, parent))

    # every section/division/group should have at least one child
    children = Counter(p for (_, p, _, _) in by_code.values() if p)
    for code, (_, _, level, lineno) in by_code.items():
        if level < 4 and children[code] == 0:
            errors.append("line %d: %r (level %d) has no children" % (lineno, code, level))

    counts = Counter(v[2] for v in by_code.values())
    print("file: %s" % path)
    for level in (1, 2, 3, 4):
        print("  level %d %-16s %5d" % (level, LEVEL_NAMES[level], counts.get(level, 0)))
    print("  total                    %5d" % sum(counts.values()))

    if counts.get(1) != 20:
        errors.append("expected 20 sections, found %d" % counts.get(1, 0))
    if counts.get(2) != 97:
        errors.append("expected 97 divisions, found %d" % counts.get(2, 0))

    if errors:
        print("FAILED (%d problems):" % len(errors))
        for e in errors[:50]:
            print("  - " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gbt4754_2017.csv")
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else default))
