"""Figures shared by the chapters. Kernels never draw; this module only plots.

Everything here takes NumPy or CuPy arrays and converts with
:func:`hinton_utils.backend.asnumpy` before drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .backend import asnumpy

__all__ = ["hinton_diagram", "image_grid", "use_book_style"]

BOOK_STYLE = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "animation.embed_limit": 30.0,  # MB; a chapter's demo stays well below this
}


def use_book_style() -> None:
    """One look for every chapter's figures."""
    mpl.rcParams.update(BOOK_STYLE)


def hinton_diagram(ax: Any, matrix: Any, max_weight: float | None = None) -> Any:
    """Draw a weight matrix as white (positive) and black (negative) squares on grey.

    The area of each square is proportional to the weight's magnitude, the way
    Hinton drew learned weights in the 1980s.
    """
    W = np.asarray(asnumpy(matrix), dtype=float)
    if W.ndim != 2:
        raise ValueError(f"matrix must be 2-D; got shape {W.shape}")
    if not np.isfinite(W).all():
        raise ValueError("matrix must not contain NaN or infinite values")
    if max_weight is None:
        max_weight = float(np.abs(W).max()) or 1.0
    ax.patch.set_facecolor("0.55")
    ax.set_aspect("equal", "box")
    ax.xaxis.set_major_locator(plt.NullLocator())
    ax.yaxis.set_major_locator(plt.NullLocator())
    ax.grid(False)
    for (row, col), w in np.ndenumerate(W):
        side = np.sqrt(min(abs(w) / max_weight, 1.0))
        colour = "white" if w > 0 else "black"
        ax.add_patch(
            plt.Rectangle((col - side / 2, row - side / 2), side, side, facecolor=colour, lw=0)
        )
    ax.set_xlim(-0.6, W.shape[1] - 0.4)
    ax.set_ylim(W.shape[0] - 0.4, -0.6)
    return ax


def image_grid(
    ax: Any,
    images: Any,
    image_shape: Sequence[int],
    n_cols: int = 10,
    cmap: str = "gray",
    pad: int = 1,
) -> Any:
    """Tile flattened images (one per row of ``images``) into one picture on ``ax``."""
    X = np.asarray(asnumpy(images), dtype=float)
    h, w = (int(s) for s in image_shape)
    if X.ndim != 2 or X.shape[1] != h * w:
        raise ValueError(
            f"images must have shape (n, {h * w}) for image_shape {(h, w)}; got {X.shape}"
        )
    n = X.shape[0]
    n_cols = max(1, min(n_cols, n))
    n_rows = -(-n // n_cols)
    canvas = np.full((n_rows * (h + pad) + pad, n_cols * (w + pad) + pad), np.nan)
    for k, img in enumerate(X):
        r, c = divmod(k, n_cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        canvas[top : top + h, left : left + w] = img.reshape(h, w)
    ax.imshow(canvas, cmap=cmap, interpolation="nearest")
    ax.set_axis_off()
    return ax
