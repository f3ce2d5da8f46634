"""One switch between NumPy (the default) and CuPy (a GPU).

Every kernel in :mod:`hinton_utils` gets its array module from here instead of
importing ``numpy`` itself, so the same code runs on a CPU or a GPU::

    from hinton_utils.core import backend as B
    xp = B.xp()                     # numpy, or cupy after B.use("cupy")
    rng = B.rng(0)                  # a Generator on the active backend
    W = xp.zeros((3, 3))
    B.asnumpy(W)                    # always a NumPy array, for plotting

The backend is chosen by the ``HINTON_BACKEND`` environment variable
(``numpy`` or ``cupy``) when the package is imported, or by :func:`use` at any
time. Asking for CuPy where it is not installed, or where no GPU is visible,
raises :class:`BackendUnavailableError` with the cause.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import numpy

__all__ = [
    "BACKENDS",
    "BackendUnavailableError",
    "as_generator",
    "asarray",
    "asnumpy",
    "ignore_overflow",
    "name",
    "rng",
    "use",
    "xp",
]

BACKENDS = ("numpy", "cupy")


class BackendUnavailableError(RuntimeError):
    """The requested array backend cannot run on this machine."""


_active: ModuleType = numpy


def _load_cupy() -> ModuleType:
    try:
        cupy = importlib.import_module("cupy")
    except ImportError as err:
        raise BackendUnavailableError(
            "backend 'cupy' needs the CuPy package, which is not installed: "
            "pip install cupy-cuda12x (or the build matching your CUDA), "
            "or use backend 'numpy'"
        ) from err
    try:
        n_devices = cupy.cuda.runtime.getDeviceCount()
    except Exception as err:  # CuPy raises its own CUDA error types
        raise BackendUnavailableError(
            f"backend 'cupy' is installed but no GPU is usable: {err}"
        ) from err
    if n_devices < 1:
        raise BackendUnavailableError("backend 'cupy' is installed but no GPU is visible")
    return cupy


def use(backend: str) -> ModuleType:
    """Switch every kernel to ``backend`` ("numpy" or "cupy") and return its module."""
    global _active
    if not isinstance(backend, str):
        raise TypeError(
            f"backend must be a string, one of {BACKENDS}; got {type(backend).__name__}"
        )
    key = backend.strip().lower()
    if key not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}; got {backend!r}")
    _active = numpy if key == "numpy" else _load_cupy()
    return _active


def xp() -> ModuleType:
    """The active array module (``numpy`` or ``cupy``)."""
    return _active


def name() -> str:
    """The active backend's name, "numpy" or "cupy"."""
    return "numpy" if _active is numpy else "cupy"


def asnumpy(array: Any) -> numpy.ndarray:
    """Copy ``array`` to the host as a NumPy array (a no-op for NumPy input)."""
    if isinstance(array, numpy.ndarray):
        return array
    if hasattr(array, "get") and type(array).__module__.startswith("cupy"):
        return array.get()
    return numpy.asarray(array)


def asarray(array: Any, dtype: Any = None) -> Any:
    """``array`` as an array of the active backend, moving it to the GPU if needed."""
    return _active.asarray(array, dtype=dtype)


def rng(seed: int) -> Any:
    """A fresh random Generator on the active backend, seeded with ``seed``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, numpy.integer)):
        raise TypeError(f"seed must be an int; got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"seed must be >= 0; got {seed}")
    return _active.random.default_rng(int(seed))


def _is_generator(obj: Any) -> bool:
    """A NumPy or CuPy ``Generator`` (not the legacy ``RandomState``)."""
    if isinstance(obj, numpy.random.Generator):
        return True
    cls = type(obj)
    return cls.__name__ == "Generator" and cls.__module__.startswith("cupy")


def as_generator(rng_or_seed: Any, name: str = "rng") -> Any:
    """Accept an explicit Generator or an int seed; refuse anything implicit.

    Randomness in the book is always explicit: there is no global seed, and
    ``None`` is refused so that no result depends on hidden state. The legacy
    ``numpy.random.RandomState`` is refused too: its methods differ from a
    Generator's (``random`` takes no ``dtype``, ``integers`` does not exist).

    Raises:
        TypeError: not an int and not a Generator (the message names ``name``).
        ValueError: a negative seed.
    """
    if isinstance(rng_or_seed, (int, numpy.integer)) and not isinstance(rng_or_seed, bool):
        if rng_or_seed < 0:
            raise ValueError(f"{name} must be a seed >= 0 or a random Generator; got {rng_or_seed}")
        return rng(int(rng_or_seed))
    if _is_generator(rng_or_seed):
        return rng_or_seed
    hint = (
        " (numpy.random.RandomState is the legacy API; pass numpy.random.default_rng(seed))"
        if isinstance(rng_or_seed, numpy.random.RandomState)
        else ""
    )
    raise TypeError(
        f"{name} must be an int seed or a random Generator (hinton_utils.core.backend.rng(seed)); "
        f"got {type(rng_or_seed).__name__}{hint}"
    )


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run a block with one BLAS thread (a context manager, or a decorator).

    The book's training loops multiply small matrices thousands of times. On a
    busy 2-core machine OpenBLAS's worker threads spin and wait, which can make
    such a loop several times slower; one thread is faster here, and it makes
    the result the same whatever threading the reader's machine defaults to.
    On CuPy (or without threadpoolctl, which ships with scikit-learn) it does
    nothing.
    """
    if _active is not numpy:
        yield
        return
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl ships with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


@contextlib.contextmanager
def ignore_overflow(*, diverging: bool = False) -> Iterator[None]:
    """Silence floating-point overflow warnings where infinity is the right answer.

    ``1 / (1 + exp(-x))`` is exact at ``x = -inf`` (``exp`` overflows to inf and
    the result is 0), so kernels that rely on this wrap it here. With
    ``diverging=True`` the invalid-value and divide-by-zero warnings that follow
    an overflow are silenced too: for a training run that is allowed to blow up
    (the run reports it). CuPy never warns.
    """
    if _active is numpy:
        extra = {"invalid": "ignore", "divide": "ignore"} if diverging else {}
        with numpy.errstate(over="ignore", **extra):
            yield
    else:
        yield


def _from_environment() -> None:
    requested = os.environ.get("HINTON_BACKEND", "numpy")
    use(requested or "numpy")


_from_environment()
