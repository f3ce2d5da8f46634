"""A pytest plugin that keeps what nbval executes, so each notebook runs only once.

nbval runs every code cell of a notebook in one kernel and fails on any error.
This plugin writes the outputs it saw back into a copy of the notebook under
``$HINTON_EXECUTED_DIR`` once all of its cells have passed; the website is then
built from those copies without executing anything again. A notebook with a
failing cell is not written, so the site build cannot silently show it.
It also records each notebook's wall time in ``timings.json`` there.
"""

from __future__ import annotations

import copy
import json
import os
import time
from pathlib import Path

import nbformat
from nbval.plugin import IPyNbCell

_state: dict[str, dict] = {}


def _target_dir() -> Path | None:
    target = os.environ.get("HINTON_EXECUTED_DIR")
    return Path(target) if target else None


def pytest_runtest_setup(item):
    if isinstance(item, IPyNbCell):
        key = str(item.parent.fspath)
        entry = _state.setdefault(key, {"start": time.perf_counter(), "outputs": {}})
        entry.setdefault("start", time.perf_counter())


def pytest_runtest_makereport(item, call):
    if not isinstance(item, IPyNbCell) or call.when != "call" or call.excinfo is not None:
        return
    target = _target_dir()
    if target is None:
        return
    key = str(item.parent.fspath)
    entry = _state[key]
    entry["outputs"][item.cell_num] = copy.deepcopy(item.test_outputs or [])
    code_cells = [c for c in item.parent.nb.cells if c.cell_type == "code"]
    if len(entry["outputs"]) == len(code_cells):
        _write(item.parent.nb, entry, Path(key), target)


def _write(nb, entry, source: Path, target: Path) -> None:
    executed = copy.deepcopy(nb)
    count = 0
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        outputs = entry["outputs"][count]
        count += 1
        cell.execution_count = count
        for out in outputs:
            if out.get("output_type") == "execute_result":
                out["execution_count"] = count
        cell.outputs = outputs
    target.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, target / source.name)
    seconds = time.perf_counter() - entry["start"]
    timings = target / f"{source.stem}.time.json"
    timings.write_text(json.dumps({"notebook": source.name, "seconds": round(seconds, 1)}))
