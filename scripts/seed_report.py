"""List the asserts that failed when the notebooks ran with other seeds.

Usage: python scripts/seed_report.py _build/seeds

Reads the JUnit XML files that ``make seeds`` writes (one per seed) and prints,
per chapter, each failing cell with the last line of its error: usually the
message of the ``assert`` whose claim did not hold for that seed.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

_COLOUR = re.compile(r"(?:\x1b|#x1B)\[[0-9;]*m")


def _failure(text: str) -> str:
    """The failing line (IPython marks it ---->) and the error it raised."""
    lines = [_COLOUR.sub("", line).rstrip() for line in text.splitlines()]
    marked = [
        re.split(r"-+>", line, maxsplit=1)[1].strip()
        for line in lines
        if re.search(r"^\s*-+>", line)
    ]
    errors = [line.strip() for line in lines if re.match(r"^\w*(Error|Exception)\b", line)]
    where = marked[-1] if marked else "(no line)"
    where = re.sub(r"^\d+\s+", "", where)  # drop IPython's line number
    return f"{where[:150]}  [{(errors or ['?'])[-1][:120]}]"


def main(folder: str) -> int:
    reports = sorted(Path(folder).glob("seed_*.xml"))
    if not reports:
        raise SystemExit(f"no seed_*.xml in {folder}: run `make seeds` first")
    failures: dict[str, list[str]] = defaultdict(list)
    totals = []
    for report in reports:
        seed = report.stem.removeprefix("seed_")
        root = ET.parse(report).getroot()
        n_failed = 0
        for case in root.iter("testcase"):
            problem = case.find("failure")
            if problem is None:
                problem = case.find("error")
            if problem is None:
                continue
            n_failed += 1
            chapter = (case.get("classname") or "?").removeprefix("notebooks.")
            chapter = chapter.removesuffix(".ipynb")
            detail = _failure((problem.get("message") or "") + "\n" + (problem.text or ""))
            failures[chapter].append(f"seed {seed}, {case.get('name')}: {detail}")
        totals.append(f"seed {seed}: {n_failed} failing cells")
    print("\n".join(totals))
    for chapter in sorted(failures):
        print(f"\n{chapter}")
        for line in failures[chapter]:
            print(f"  {line}")
    if not failures:
        print("every notebook passed with every seed")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    sys.exit(main(sys.argv[1]))
