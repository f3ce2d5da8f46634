"""Lay out the book's sources with the executed notebooks, ready for Sphinx.

Usage: python scripts/stage_book.py EXECUTED_DIR STAGE_DIR

Copies ``_config.yml``, ``_toc.yml``, ``book/`` and ``notebooks/`` into
STAGE_DIR, replaces each notebook with its executed copy from EXECUTED_DIR
(written by nbval through ``scripts/nbcapture.py``), and switches execution off
so Jupyter Book renders those outputs instead of running the code again. Every
notebook listed in the table of contents must have an executed copy.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _toc_notebooks() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    entries = [c["file"] for part in toc.get("parts", []) for c in part.get("chapters", [])]
    return [ROOT / f"{e}.ipynb" for e in entries if (ROOT / f"{e}.ipynb").exists()]


def main(executed_dir: str, stage_dir: str) -> None:
    executed, stage = Path(executed_dir), Path(stage_dir)
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir(parents=True)
    for name in ("_toc.yml",):
        shutil.copy2(ROOT / name, stage / name)
    shutil.copytree(ROOT / "book", stage / "book")
    shutil.copytree(ROOT / "notebooks", stage / "notebooks")
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    if "execute_notebooks: force" not in config:
        raise SystemExit("_config.yml must say 'execute_notebooks: force' (staging turns it off)")
    (stage / "_config.yml").write_text(
        config.replace("execute_notebooks: force", 'execute_notebooks: "off"'), encoding="utf-8"
    )
    missing, total = [], 0.0
    for notebook in _toc_notebooks():
        copy = executed / notebook.name
        if not copy.exists():
            missing.append(notebook.name)
            continue
        shutil.copy2(copy, stage / "notebooks" / notebook.name)
        timing = executed / f"{notebook.stem}.time.json"
        if timing.exists():
            seconds = json.loads(timing.read_text())["seconds"]
            total += seconds
            flag = "  <-- over the 60 s budget" if seconds > 60 else ""
            print(f"  {notebook.name}: executed in {seconds:.1f} s{flag}")
    if missing:
        raise SystemExit(f"no executed copy of {missing}: run `make notebooks` first")
    print(f"  staged {stage} ({total:.0f} s of notebook execution)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
