"""Shared test fixtures, and the opt-in GPU marker.

Tests marked ``@pytest.mark.gpu`` compare a kernel on CuPy with NumPy. They run
only where CuPy imports and sees a GPU, and are skipped (with the reason) elsewhere.
"""

from __future__ import annotations

import pytest

from hinton_utils.core import backend as B


def _gpu_reason() -> str | None:
    try:
        B.use("cupy")
    except B.BackendUnavailableError as err:
        return str(err)
    finally:
        B.use("numpy")
    return None


def pytest_collection_modifyitems(config, items):
    gpu_items = [item for item in items if "gpu" in item.keywords]
    if not gpu_items:
        return
    reason = _gpu_reason()
    if reason is not None:
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason=f"GPU test: {reason}"))


@pytest.fixture
def numpy_backend():
    """Run a test on NumPy and leave the backend as NumPy afterwards."""
    B.use("numpy")
    yield B.xp()
    B.use("numpy")


@pytest.fixture
def on_both_backends():
    """Call ``fn(xp)`` on NumPy and on CuPy; return both results as NumPy arrays."""

    def run(fn):
        results = {}
        for name in ("numpy", "cupy"):
            B.use(name)
            try:
                results[name] = B.asnumpy(fn(B.xp()))
            finally:
                B.use("numpy")
        return results["numpy"], results["cupy"]

    return run
