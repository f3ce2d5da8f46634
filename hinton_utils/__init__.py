"""hinton_utils: the code behind The Hinton Notebooks.

One module per idea (``hebb``, ``hopfield``, ...), one ``backend`` that picks
NumPy or CuPy, one ``data`` module, and ``plots``/``widgets`` for figures and
demos. Submodules load on first use, so ``import hinton_utils as hu`` is cheap
and ``hu.hebb.oja(...)`` just works.
"""

from __future__ import annotations

import importlib
from typing import Any

from . import backend

__version__ = "0.1.0"
__all__ = ["__version__", "backend", "setup"]


def setup(seed: int = 0, backend_name: str | None = None) -> Any:
    """Prepare a chapter: pick the backend, set the figure style, return a seeded Generator.

    Every notebook's first cell calls this, so all chapters look alike and are
    deterministic: all randomness in a chapter flows from the Generator it returns.
    """
    if backend_name is not None:
        backend.use(backend_name)
    from . import plots  # matplotlib is imported only when a chapter starts

    plots.use_book_style()
    return backend.rng(seed)


def __getattr__(attr: str) -> Any:
    # Lazy submodules: hu.hebb, hu.data, ... are imported the first time they are used.
    try:
        return importlib.import_module(f"{__name__}.{attr}")
    except ModuleNotFoundError as err:
        if err.name == f"{__name__}.{attr}":
            raise AttributeError(f"module {__name__!r} has no attribute {attr!r}") from None
        raise
