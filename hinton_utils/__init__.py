"""hinton_utils: the code behind The Hinton Notebooks.

``core`` is the floor every chapter stands on (the NumPy/CuPy backend, argument
checks, special functions, binary units, the autodiff engine, layers, optimisers,
the estimator contract). Above it, one module per chapter idea (``hebb``,
``hopfield``, ...), the bundled ``data``, and ``plots``/``widgets`` for figures
and demos. Submodules load on first use, so ``import hinton_utils as hu`` is
cheap and ``hu.hebb.oja(...)`` just works; ``dir(hu)`` lists them all.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

from .core import backend as _backend

_SUBMODULES = sorted(
    path.stem
    for path in Path(__file__).parent.iterdir()
    if (path.suffix == ".py" and not path.stem.startswith("_")) or (path / "__init__.py").exists()
)

__version__ = "0.1.0"
__all__ = ["__version__", "setup"]


def setup(seed: int = 0, backend_name: str | None = None) -> Any:
    """Prepare a chapter: pick the backend, set the figure style, return a seeded Generator.

    Every notebook's first cell calls this, so all chapters look alike and are
    deterministic: all randomness in a chapter flows from the Generator it returns.
    The environment variable ``HINTON_SEED``, when set to an integer, replaces
    ``seed``: ``make seeds`` uses it to check that what a chapter asserts holds
    for other runs, not only for the one in the book.
    """
    override = os.environ.get("HINTON_SEED", "").strip()
    if override:
        try:
            seed = int(override)
        except ValueError:
            raise ValueError(f"HINTON_SEED must be an integer seed; got {override!r}") from None
    if backend_name is not None:
        _backend.use(backend_name)
    from . import plots  # matplotlib is imported only when a chapter starts

    plots.use_book_style()
    return _backend.rng(seed)


def __getattr__(attr: str) -> Any:
    # Lazy submodules: hu.hebb, hu.data, ... are imported the first time they are used.
    try:
        return importlib.import_module(f"{__name__}.{attr}")
    except ModuleNotFoundError as err:
        if err.name == f"{__name__}.{attr}":
            raise AttributeError(f"module {__name__!r} has no attribute {attr!r}") from None
        raise


def __dir__() -> list[str]:
    # Tab completion lists the submodules that __getattr__ loads on first use.
    return sorted({*globals(), *_SUBMODULES})
