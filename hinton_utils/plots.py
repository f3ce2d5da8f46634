"""Figures shared by the chapters. Kernels never draw; this module only plots.

Everything here takes NumPy or CuPy arrays and converts with
:func:`hinton_utils.core.backend.asnumpy` before drawing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .core.backend import asnumpy

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
    vmin: float | None = None,
    vmax: float | None = None,
) -> Any:
    """Tile flattened images (one per row of ``images``) into one picture on ``ax``.

    ``vmin``/``vmax`` fix the colour scale (e.g. symmetric about 0 for weights).
    """
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
    # grey gaps, so that tiles stay apart even where images are white at their edges
    tiles_cmap = mpl.colormaps.get_cmap(cmap).with_extremes(bad="0.6")
    ax.imshow(canvas, cmap=tiles_cmap, interpolation="nearest", vmin=vmin, vmax=vmax)
    ax.set_axis_off()
    return ax


# --- chapter 04: perception as inference ---
def necker_cube(ax: Any, percept: float = 0.0, *, colors: tuple[str, str] = ("C0", "C3")) -> Any:
    """Draw the Necker cube's line drawing, with the face that is seen in front shaded.

    Vertex ``v`` of the cube has bits ``x = v >> 2 & 1``, ``y = v >> 1 & 1``,
    ``z = v & 1`` and is drawn at ``(x + 0.45 z, y + 0.35 z)``, matching the units of
    :func:`hinton_utils.stochastic.necker_network`. ``percept`` (from
    ``necker_percept``) is +1 when interpretation A (the lower-left square in
    front) wins, -1 for B (the upper-right square in front), 0 for no decision;
    the front face is shaded in proportion to ``|percept|``.
    """
    from matplotlib.patches import Polygon

    percept = float(np.clip(float(asnumpy(np.asarray(percept))), -1.0, 1.0))
    pts = {v: ((v >> 2 & 1) + 0.45 * (v & 1), (v >> 1 & 1) + 0.35 * (v & 1)) for v in range(8)}
    front_z = 0 if percept >= 0 else 1
    color = colors[0] if percept >= 0 else colors[1]
    face = [v | front_z for v in (0, 2, 6, 4)]
    if abs(percept) > 0:
        shade = Polygon(
            [pts[v] for v in face], closed=True, color=color, alpha=0.35 * abs(percept), lw=0
        )
        ax.add_patch(shade)
    for u in range(8):
        for v in range(u + 1, 8):
            if bin(u ^ v).count("1") == 1:
                in_front = (u & 1) == front_z and (v & 1) == front_z and abs(percept) > 0
                ax.plot(
                    *zip(pts[u], pts[v], strict=True),
                    color=color if in_front else "0.2",
                    lw=3.0 if in_front else 1.5,
                    solid_capstyle="round",
                )
    ax.set_xlim(-0.15, 1.6)
    ax.set_ylim(-0.15, 1.5)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return ax


def percept_panel(fig: Any, trace: Any, n_reversals: int, threshold: float = 0.5) -> Any:
    """Draw a Necker-cube percept trace beside the cube it ended in (chapter 04's demo).

    Args:
        fig: a matplotlib Figure to draw on (two axes are added).
        trace: percepts ``m`` over sweeps for one network, shape ``(n_sweeps,)``.
        n_reversals: how many reversals the trace holds
            (``stochastic.percept_reversals(trace, threshold)``), for the title.
        threshold: the hysteresis level the reversals were counted with (shaded).

    Returns:
        The two axes ``(trace_axis, cube_axis)``.
    """
    m = np.asarray(asnumpy(trace), dtype=float).ravel()
    n_rev = int(n_reversals)
    ax, cube = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 1]})
    fig.subplots_adjust(top=0.78, bottom=0.18, left=0.1, right=0.98, wspace=0.1)
    ax.plot(m, lw=0.6, color="C0")
    ax.axhspan(threshold, 1.15, color="C0", alpha=0.08, lw=0)
    ax.axhspan(-1.15, -threshold, color="C3", alpha=0.08, lw=0)
    ax.set_ylim(-1.15, 1.15)
    ax.set_yticks([-1, 0, 1], ["B", "mixed", "A"])
    ax.set_xlabel("sweep")
    ax.set_title(f"{n_rev} reversal{'s' if n_rev != 1 else ''} in {m.size - 1} sweeps", fontsize=9)
    tail = m[-max(1, m.size // 20) :].mean()  # the last 5% of the run
    necker_cube(cube, tail)
    return ax, cube


# --- chapter 06: backpropagation and family trees ---
def family_feature_diagrams(fig: Any, weights: Any, names: Sequence[str] | None = None) -> Any:
    """Hinton's 1986 picture of the 24 -> 6 person weights: one block per feature unit.

    Each of the 6 blocks is a 2 x 12 Hinton diagram: English people on the top
    row and their Italian counterparts directly below (``weights`` rows in the
    order of ``hinton_utils.family_trees.PEOPLE``). ``names`` labels the columns
    of the first block with the English names.
    """
    W = np.asarray(asnumpy(weights), dtype=float)
    if W.ndim != 2 or W.shape[0] != 24:
        raise ValueError(f"weights must have shape (24, n_units); got {W.shape}")
    n_units = W.shape[1]
    top = float(np.abs(W).max()) or 1.0
    axes = fig.subplots(n_units, 1)
    axes = np.atleast_1d(axes)
    for j, ax in enumerate(axes):
        hinton_diagram(ax, W[:, j].reshape(2, 12), max_weight=top)
        ax.set_ylabel(f"unit {j + 1}", rotation=0, ha="right", va="center", fontsize=10)
    if names is not None:
        axes[-1].set_xticks(range(12))
        axes[-1].set_xticklabels(list(names)[:12], rotation=60, ha="right", fontsize=10)
        axes[-1].tick_params(axis="x", length=0)
    return axes
