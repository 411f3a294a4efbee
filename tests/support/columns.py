#!/usr/bin/env python3
"""columns.py HEAD-REGEX SPEC [MAX-ROWS] < screen

Checks that the table under the first screen line matching HEAD-REGEX keeps
its columns apart. SPEC is a list of "TITLE:l" (a left-aligned column: on
every row the character before its start is a blank) and "TITLE:r" (a
right-aligned column: the character after its end is a blank or the line
ends). Rows run until a blank line, a notice line, the last three lines of
the screen (notice and footer) or MAX-ROWS. Positions are display columns.
Exit status 0, or 1 with the first offending row on stderr."""
import re
import sys
import unicodedata


def cells(line):
    """The line as a list of display cells (a wide character takes two)."""
    out = []
    for ch in line:
        out.append(ch)
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            out.append("")
    return out


def main():
    head_re, spec = sys.argv[1], sys.argv[2].split()
    max_rows = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    lines = sys.stdin.read().split("\n")
    while lines and lines[-1] == "":
        lines.pop()
    body_end = len(lines) - 3
    head = next((i for i, l in enumerate(lines) if re.search(head_re, l)), None)
    if head is None:
        print("no header line matches /%s/" % head_re, file=sys.stderr)
        return 1
    hc = cells(lines[head])
    text = "".join(c if c else "\0" for c in hc)
    checks = []
    for item in spec:
        title, align = item.rsplit(":", 1)
        m = re.search(r"(?<![^ ])" + re.escape(title) + r"(?![^ ])", text)
        if m is None:
            print("no column %r in the header: %r" % (title, lines[head]), file=sys.stderr)
            return 1
        checks.append((title, align, m.start(), m.end()))
    rows = 0
    for i in range(head + 1, body_end):
        line = lines[i]
        if line.strip() == "" or line.startswith(" \u26a0") or line.startswith(" \u2022") or rows >= max_rows:
            break
        rows += 1
        c = cells(line)
        for title, align, start, end in checks:
            pos = start - 1 if align == "l" else end
            if 0 <= pos < len(c) and c[pos] not in (" ", ""):
                print("column %s runs into its neighbour at display column %d: %r" % (title, pos, line),
                      file=sys.stderr)
                return 1
    if rows == 0:
        print("no rows under the header", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
