"""The book's own rules, checked on the committed files (no execution needed).

Notebooks are committed without outputs, each is listed in _toc.yml, each starts
with the same setup cell, and nothing in the configuration reaches the network.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def _repository_url() -> str:
    """The one place the repository's address is written: _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    return config["repository"]["url"]


REPOSITORY = _repository_url()

# The first code cell of every chapter. On Colab it installs our package while
# holding Colab's own versions of its dependencies fixed (Colab ships
# ipywidgets 7.7.1 and renders no ipywidgets 8 without extra set-up), and if
# that cannot work it stops with a plain message instead of a later
# ModuleNotFoundError. Everywhere else it only imports.
SETUP_CELL = f"""\
# Setup: the same first cell in every chapter (locally, Binder, Colab, CI).
import sys

if "google.colab" in sys.modules:  # on Colab: add our package, change nothing else
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    needs = "numpy scipy matplotlib scikit-learn mlxtend ipywidgets tqdm".split()
    keep = []  # Colab's own versions of what hinton-utils needs, held as they are
    for name in needs:
        try:
            keep.append(f"{{name}}=={{version(name)}}")
        except PackageNotFoundError:
            pass
    package = "hinton-utils @ git+{REPOSITORY}"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", package, *keep],
        capture_output=True,
        text=True,
    )
    if pip.returncode != 0:
        raise RuntimeError(
            "Could not install hinton-utils on Colab without changing Colab's own "
            "packages, so this chapter cannot run here. Open it on Binder instead. "
            "pip said:\\n" + pip.stderr[-1500:]
        )
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
    """Exercises use colon fences, which Jupyter, Colab and GitHub show as text and maths.

    A backtick fence (```` ```{exercise} ````) shows as a raw code block outside
    the website. The site numbers exercises per chapter (book/_ext/chapter_numbers.py),
    so prose refers to one by its label, never by a hand-written number.
    """
    cells = _load(path)["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    fenced = re.findall(r"^```+\{(exercise|solution|solution-start|solution-end)\}", text, re.M)
    assert not fenced, f"write {sorted(set(fenced))} as colon fences (:::{{exercise}}), not ```"
    exercises = re.findall(r"^:::+\{exercise\}[^\n]*\n:label: (\S+)", text, re.M)
    solutions = re.findall(r"^:::+\{solution-start\} (\S+)", text, re.M)
    assert exercises, "every chapter ends with exercises"
    assert sorted(exercises) == sorted(solutions), "every exercise has a solution"
    assert text.count("{solution-start}") == text.count("{solution-end}")
    numbered = re.findall(r"\bExercises? \d+\b(?!\.\d)", text)
    assert not numbered, f"refer to exercises by label ({{ref}}`label`), not by number: {numbered}"
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


def test_the_repository_address_is_the_same_everywhere():
    """_config.yml holds it; the README, the landing page and every setup cell repeat it."""
    for page in ("README.md", "book/intro.md"):
        text = (ROOT / page).read_text(encoding="utf-8")
        found = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", text))
        assert found == {REPOSITORY}, f"{page} names {sorted(found)}, _config.yml {REPOSITORY}"
    for path in NOTEBOOKS:
        code = [c for c in _load(path)["cells"] if c["cell_type"] == "code"]
        first = "".join(code[0]["source"])
        found = set(re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", first))
        assert found == {REPOSITORY}, f"{path.name}'s setup cell names {sorted(found)}"


def test_binder_holds_what_a_reader_needs_and_not_the_toolchain():
    lines = (ROOT / "binder" / "requirements.txt").read_text(encoding="utf-8").splitlines()
    names = {re.split(r"[=<>!~ ;\[]", line.strip())[0].lower() for line in lines}
    names.discard("")
    names = {n for n in names if not n.startswith("#")}
    assert not any(line.strip().startswith("-r") for line in lines), "no -r of the build's pins"
    toolchain = {"sphinx", "jupyter-book", "playwright", "ruff", "pytest", "nbval"}
    assert not names & toolchain, f"Binder does not need {sorted(names & toolchain)}"
    needed = {"numpy", "scipy", "matplotlib", "scikit-learn", "mlxtend", "ipywidgets"}
    assert needed <= names, f"Binder lacks {sorted(needed - names)}"
    assert "jupyterlab-myst" in names, "JupyterLab renders the chapters' MyST with jupyterlab-myst"


def test_declared_lower_bounds_allow_colab_and_the_tests_extra_exists():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    bounds = dict(re.fullmatch(r"([\w-]+)>=([\w.]+)", d).groups() for d in project["dependencies"])
    # Colab's ipywidgets must satisfy the bound, or installing us would upgrade it.
    assert tuple(map(int, bounds["ipywidgets"].split("."))) <= (7, 7, 1)
    assert bounds["numpy"] == "2.0", "chapter 04 uses np.bitwise_count (NumPy 2)"
    test_extra = {
        re.split(r"[=<>]", d)[0].lower() for d in project["optional-dependencies"]["test"]
    }
    assert {"pytest", "pyyaml", "hypothesis", "nbval"} <= test_extra


def test_the_bibliography_parses():
    # A missing brace stops the whole site build; find it here, in seconds.
    bibtex = pytest.importorskip("pybtex.database")
    entries = bibtex.parse_file(str(ROOT / "book" / "references.bib")).entries
    assert len(entries) == len(
        re.findall(r"^@\w+\{", (ROOT / "book" / "references.bib").read_text(encoding="utf-8"), re.M)
    )


def test_no_two_bibliography_entries_share_a_label():
    # Two works by the same authors in the same year need years "2012a"/"2012b":
    # Sphinx fails the build on a duplicate label.
    bibtex = pytest.importorskip("pybtex.database")
    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    try:
        from bib_style import author_year_label
    finally:
        sys.path.pop(0)
    entries = bibtex.parse_file(str(ROOT / "book" / "references.bib")).entries
    labels: dict[str, list[str]] = {}
    for key, entry in entries.items():
        labels.setdefault(author_year_label(entry), []).append(key)
    shared = {label: keys for label, keys in labels.items() if len(keys) > 1}
    assert not shared, f"give these years a letter (2012a, 2012b): {shared}"
