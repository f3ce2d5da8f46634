"""The book's own rules, checked on the committed files (no execution needed).

Notebooks are committed without outputs, each is listed in _toc.yml, each starts
with the same setup cell, and nothing in the configuration reaches the network.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

SETUP_CELL = """\
# Setup: the same first cell in every chapter (locally, Binder, Colab, CI).
import sys

if "google.colab" in sys.modules:  # on Colab only: add our small package, upgrade nothing else
    %pip install -q "hinton-utils @ git+https://github.com/hinton-notebooks/hinton-notebooks"
import hinton_utils as hu

rng = hu.setup(seed=0)"""


def _toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [chapter["file"] for chapter in part.get("chapters", [])]
    return files


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds the chapters"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_without_outputs(path):
    for index, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [], f"cell {index} has stored outputs: strip them"
            assert cell.get("execution_count") is None, f"cell {index} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_starts_with_the_setup_cell(path):
    code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
    assert "".join(code[0]["source"]).strip() == SETUP_CELL


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_named_listed_and_titled(path):
    assert re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", path.name), "notebooks are NN_<slug>.ipynb"
    assert f"notebooks/{path.stem}" in _toc_files(), f"{path.name} is missing from _toc.yml"
    nb = _load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    first = nb["cells"][0]
    assert first["cell_type"] == "markdown"
    assert "".join(first["source"]).startswith(f"# {path.name[:2]}. ")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_has_exercises_solutions_and_a_hidden_assert_cell(path):
    cells = _load(path)["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    # Directives may be backtick or colon fences (colon fences read as text outside the site).
    exercises = re.findall(r"(?:```|:::)\{exercise\}\n:label: (\S+)", text)
    solutions = re.findall(r"(?:```|:::)\{solution-start\} (\S+)", text)
    assert exercises, "every chapter ends with exercises"
    assert sorted(exercises) == sorted(solutions), "every exercise has a solution"
    assert text.count("{solution-start}") == text.count("{solution-end}")
    last = cells[-1]
    assert last["cell_type"] == "code" and "remove-cell" in last["metadata"].get("tags", [])
    assert "assert " in "".join(last["source"]), "the last cell asserts the prose's numbers"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_notebook_defines_reusable_functions(path):
    """Code another chapter could need lives in hinton_utils, not in a notebook.

    A notebook may define only its demo's drawing callbacks (``draw_*``) and
    helpers inside hidden exercise solutions.
    """
    for cell in _load(path)["cells"]:
        if cell["cell_type"] != "code":
            continue
        if cell["metadata"].get("jupyter", {}).get("source_hidden", False):
            continue
        source = "".join(cell["source"])
        defined = re.findall(r"^(?:def|class) (\w+)", source, re.M)
        reusable = [name for name in defined if not name.startswith("draw_")]
        assert not reusable, f"move {reusable} into hinton_utils"


def test_every_toc_entry_exists():
    for entry in _toc_files():
        candidates = [ROOT / f"{entry}{ext}" for ext in (".md", ".ipynb")]
        assert any(p.exists() for p in candidates), f"_toc.yml lists {entry}, which does not exist"


def test_configuration_never_reaches_the_network():
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert "execute_notebooks: force" in config  # staged builds switch this off, see stage_book.py
    parsed = yaml.safe_load(config)
    sphinx = parsed["sphinx"]
    assert not any("intersphinx" in ext for ext in sphinx.get("extra_extensions", []))
    assert "intersphinx_mapping" not in sphinx.get("config", {})
    assert "sphinx-mathjax-offline" in sphinx["extra_extensions"], "math must render offline"
    assert parsed["launch_buttons"]["colab_url"] and parsed["launch_buttons"]["binderhub_url"]
    assert "book/references.bib" in parsed["bibtex_bibfiles"]


def test_every_citation_has_a_bibtex_entry():
    bib = (ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"@\w+\{([^,]+),", bib))
    cited = set()
    for path in NOTEBOOKS + sorted((ROOT / "book").glob("*.md")):
        text = path.read_text(encoding="utf-8")
        for group in re.findall(r"\{cite(?::[pt])?\}`([^`]+)`", text):
            cited.update(k.strip() for k in group.split(","))
    assert cited <= keys, f"cited but not in references.bib: {sorted(cited - keys)}"
