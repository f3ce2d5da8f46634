"""Check that two executions of the notebooks printed the same thing.

Usage: python scripts/compare_runs.py RUN_A RUN_B

RUN_A and RUN_B are folders of executed notebooks written by
``scripts/nbcapture.py`` (``make determinism`` makes both). Every text output
(printed streams and plain-text results) must be identical, except in cells
tagged ``nbval-ignore-output``, whose output is known to vary (wall-clock
timings). Exits non-zero and lists the differences otherwise.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

IGNORE_TAG = "nbval-ignore-output"


def text_outputs(path: Path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    found = []
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code" or IGNORE_TAG in cell["metadata"].get("tags", []):
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                found.append((index, "".join(output["text"])))
            elif "text/plain" in output.get("data", {}) and "image/png" not in output["data"]:
                if "text/html" not in output["data"]:  # demos embed random element ids
                    found.append((index, "".join(output["data"]["text/plain"])))
    return found


def main(run_a: str, run_b: str) -> int:
    first, second = Path(run_a), Path(run_b)
    notebooks = sorted(first.glob("*.ipynb"))
    if not notebooks:
        raise SystemExit(f"no executed notebooks in {first}")
    failures = 0
    for notebook in notebooks:
        other = second / notebook.name
        if not other.exists():
            print(f"{notebook.name}: missing from {second}")
            failures += 1
            continue
        a, b = text_outputs(notebook), text_outputs(other)
        diffs = [(x, y) for x, y in zip(a, b) if x != y] + (
            [(("?", "different number of outputs"),) * 2] if len(a) != len(b) else []
        )
        print(f"{notebook.name}: {'identical' if not diffs else f'{len(diffs)} outputs differ'}")
        for (cell, text_a), (_, text_b) in diffs[:3]:
            print(f"  cell {cell}:\n    {text_a[:200]!r}\n    {text_b[:200]!r}")
        failures += bool(diffs)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    sys.exit(main(*sys.argv[1:]))
