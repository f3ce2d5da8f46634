"""The NumPy/CuPy switch: default, errors that name the cause, explicit randomness."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import hinton_utils
from hinton_utils.core import backend as B

# Modules allowed to import numpy themselves: the switch, host-side data and drawing.
HOST_MODULES = {"backend", "data", "plots", "widgets"}


def test_default_backend_is_numpy():
    assert B.name() == "numpy"
    assert B.xp() is np


def test_use_rejects_unknown_names_and_types():
    with pytest.raises(ValueError, match="backend must be one of"):
        B.use("torch")
    with pytest.raises(TypeError, match="backend must be a string"):
        B.use(3)
    assert B.name() == "numpy"


def test_cupy_request_fails_with_one_clear_error_where_unavailable():
    try:
        import cupy  # noqa: F401

        pytest.skip("CuPy is installed here; the missing-CuPy message cannot be shown")
    except ImportError:
        pass
    with pytest.raises(B.BackendUnavailableError, match="CuPy package, which is not installed"):
        B.use("cupy")
    assert B.name() == "numpy", "a failed switch must leave the backend unchanged"


def test_environment_variable_selects_backend_at_import():
    code = "import hinton_utils.core.backend as B; print(B.name())"
    env = {"HINTON_BACKEND": "numpy", "PATH": ""}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "numpy"
    env["HINTON_BACKEND"] = "tensorflow"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode != 0 and "backend must be one of" in out.stderr


def test_rng_is_seeded_and_explicit():
    a = B.rng(7).random(5)
    b = B.rng(7).random(5)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, B.rng(8).random(5))
    with pytest.raises(TypeError, match="seed must be an int"):
        B.rng(1.5)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        B.rng(-1)


def test_as_generator_refuses_implicit_randomness():
    gen = B.rng(0)
    assert B.as_generator(gen) is gen
    assert B.as_generator(3).random() == B.rng(3).random()
    with pytest.raises(TypeError, match="rng must be an int seed or a random Generator"):
        B.as_generator(None)
    with pytest.raises(TypeError, match="my_rng must be"):
        B.as_generator("0", "my_rng")


def test_asnumpy_and_asarray_round_trip():
    x = [[1.0, 2.0], [3.0, 4.0]]
    arr = B.asarray(x, dtype="float32")
    assert arr.dtype == np.float32
    back = B.asnumpy(arr)
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, np.array(x, dtype=np.float32))


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def _package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name relative to it ("hebb", "core.nn")."""
    package = Path(hinton_utils.__file__).parent
    return {
        ".".join(path.relative_to(package).with_suffix("").parts): path
        for path in package.rglob("*.py")
        if path.name != "__init__.py"
    }


def _package_imports(path: Path) -> set[str]:
    """The package modules ``path`` imports, as dotted names relative to the package."""
    package = Path(hinton_utils.__file__).parent
    here = path.relative_to(package).parent.parts
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(here[: len(here) - (node.level - 1)])
            elif node.module and node.module.startswith("hinton_utils"):
                base, node_module = [], node.module.removeprefix("hinton_utils").lstrip(".")
                found.update(
                    ".".join([*node_module.split("."), a.name]) if node_module else a.name
                    for a in node.names
                )
                if node_module:
                    found.add(node_module)
                continue
            else:
                continue
            module = [*base, *(node.module.split(".") if node.module else [])]
            if module:
                found.add(".".join(module))
            found.update(".".join([*module, a.name]) for a in node.names)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("hinton_utils."):
                    found.add(a.name.removeprefix("hinton_utils."))
    return found


CHAPTER_MODULES = sorted(
    name for name in _package_modules() if "." not in name and name not in HOST_MODULES
)


def test_kernels_never_import_numpy_or_cupy_directly():
    offenders = {}
    for name, path in _package_modules().items():
        if name.split(".")[-1] in HOST_MODULES:
            continue
        bad = _imported_modules(path) & {"numpy", "cupy"}
        if bad:
            offenders[name] = sorted(bad)
    assert not offenders, f"kernels must use hinton_utils.core.backend, not {offenders}"


@pytest.mark.parametrize("name", sorted(n for n in _package_modules() if n.startswith("core.")))
def test_core_never_imports_a_chapter(name):
    imported = _package_imports(_package_modules()[name])
    chapters = {m for m in imported if m.split(".")[0] in CHAPTER_MODULES}
    assert not chapters, f"core.{name} imports chapter modules {sorted(chapters)}"


@pytest.mark.parametrize("name", ["plots", "widgets", "data"])
def test_figures_and_data_never_import_a_chapter(name):
    imported = _package_imports(_package_modules()[name])
    chapters = {m for m in imported if m.split(".")[0] in CHAPTER_MODULES}
    assert not chapters, f"{name} imports chapter modules {sorted(chapters)}"


def test_every_chapter_module_says_which_chapter_it_serves():
    import re

    for name in CHAPTER_MODULES:
        doc = importlib.import_module(f"hinton_utils.{name}").__doc__ or ""
        assert re.match(r"Chapter \d\d: ", doc), f"{name}'s docstring must open 'Chapter NN: '"


def test_every_module_imports_cleanly():
    for name in _package_modules():
        importlib.import_module(f"hinton_utils.{name}")


def test_dir_lists_the_lazy_submodules():
    listed = dir(hinton_utils)
    for name in [*CHAPTER_MODULES, "core", "data", "plots", "widgets"]:
        assert name in listed


def test_lazy_submodule_access_and_missing_attribute():
    assert hinton_utils.hebb.__name__ == "hinton_utils.hebb"
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        hinton_utils.nonexistent  # noqa: B018


def test_ignore_overflow_silences_only_overflow():
    with B.ignore_overflow():
        assert np.exp(np.float32(100.0)) == np.inf
    with pytest.warns(RuntimeWarning, match="overflow"), np.errstate(over="warn"):
        np.exp(np.float32(100.0))
    with B.ignore_overflow(), pytest.warns(RuntimeWarning, match="divide"):
        with np.errstate(divide="warn"):
            np.log(np.float64(0.0))


def test_as_generator_names_the_argument_for_a_negative_seed_and_a_random_state():
    with pytest.raises(ValueError, match="rng must be a seed >= 0"):
        B.as_generator(-1)
    with pytest.raises(ValueError, match="my_rng must be a seed >= 0"):
        B.as_generator(-5, "my_rng")
    with pytest.raises(TypeError, match="rng must be .*RandomState is the legacy API"):
        B.as_generator(np.random.RandomState(0))  # noqa: NPY002


def test_one_blas_thread_limits_blas_inside_and_restores_it_after():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]

    before = blas_threads()
    with B.one_blas_thread():
        assert all(n == 1 for n in blas_threads())
    assert blas_threads() == before


def test_ignore_overflow_for_a_diverging_run_also_silences_what_follows():
    import warnings

    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")  # any warning that escapes fails the test
        with B.ignore_overflow(diverging=True):
            big = np.exp(np.float64(1000.0))
            assert np.isnan(big - big) and np.log(np.float64(0.0)) == -np.inf
        with pytest.raises(RuntimeWarning, match="invalid"), B.ignore_overflow():
            big - big  # noqa: B018 (only overflow is silenced without diverging=True)
