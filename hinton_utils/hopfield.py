"""Chapter 03: Hopfield networks: energy, asynchronous settling and content-addressable memory.

A Hopfield net (Hopfield 1982) is a set of binary units joined by *symmetric*
weights with no self-connections. Every global state ``s`` (a *configuration*)
has an energy

.. math:: E(s) = -\\tfrac12 s^\\top W s - b^\\top s ,

and Hinton's *goodness* is simply ``-E``: for 0/1 units it is the sum of the
weights between every pair of active units (plus the biases of active units).
Updating one unit at a time to agree with the sign of its total input can
never raise the energy, so the net slides downhill into a local minimum; the
minima are the memories. Two state conventions are supported everywhere:
``units="pm1"`` (Hopfield's -1/+1) and ``units="binary"`` (the 0/1 Hinton
uses in his lectures).

Every function takes a single state of shape ``(N,)`` or a batch of states of
shape ``(n, N)`` (one row per state), so whole experiments run as matrix
products.

A unit whose total input is zero keeps its state. Weights such as ``XᵀX/N`` round
an exact zero to about ±1e-17, so "zero" means within
:func:`hinton_utils.core.binary.tie_tolerance` of zero, the one tolerance that
:func:`settle`, :func:`synchronous_run`, :func:`is_local_minimum` and
:func:`one_step_error_rate` share. The energy, the symmetry check and the update
rule are the chapter's, written once in :mod:`hinton_utils.core.binary`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from .core import backend as B
from .core import binary
from .core.validation import check_array, check_choice, check_int, check_real
from .hebb import outer_product_memory, overlap

__all__ = [
    "UNITS",
    "capacity_curve",
    "corrupt",
    "energy",
    "flip_energy_changes",
    "goodness",
    "goodness_example",
    "hebbian_weights",
    "is_local_minimum",
    "one_step_error_rate",
    "settle",
    "synchronous_run",
    "theoretical_error_rate",
]

UNITS = ("pm1", "binary")
_VALUES = {"pm1": "pm1", "binary": "binary"}


# ----------------------------------------------------------------------------- checks
def _check_weights(W: Any, name: str = "W", dtype: str = "float64") -> Any:
    """A square, symmetric, zero-diagonal weight matrix (the package's one symmetry check)."""
    return binary.check_symmetric(W, name, dtype=dtype)


def _check_states(s: Any, n_units: int, units: str, name: str = "s", dtype: Any = None) -> Any:
    s = check_array(s, name, ndim=(1, 2), values=_VALUES[units], dtype=dtype)
    if s.shape[-1] != n_units:
        raise ValueError(
            f"{name} must have {n_units} units in its last axis; got shape {tuple(s.shape)}"
        )
    return s


def _check_bias(b: Any, n_units: int, dtype: Any) -> Any:
    if b is None:
        return B.xp().zeros(n_units, dtype=dtype)
    return check_array(b, "b", shape=(n_units,), dtype=dtype)


# ----------------------------------------------------------------------------- energy
def energy(W: Any, s: Any, b: Any = None, *, units: str = "pm1") -> Any:
    """Energy ``E(s) = -1/2 s^T W s - b^T s`` of one state or of each row of a batch.

    Args:
        W: symmetric zero-diagonal weights, shape (N, N).
        s: a state (N,) or a batch of states (n, N), entries -1/+1 or 0/1 (see ``units``).
        b: optional biases (thresholds with the opposite sign), shape (N,).
        units: ``"pm1"`` for -1/+1 units, ``"binary"`` for 0/1 units.

    Returns:
        A float for one state, or an array of shape (n,) for a batch.
    """
    units = check_choice(units, "units", UNITS)
    W = _check_weights(W)
    s = _check_states(s, W.shape[0], units, dtype="float64")
    b = _check_bias(b, W.shape[0], "float64")
    E = binary.energy(W, b, s[None] if s.ndim == 1 else s)
    return float(E[0]) if s.ndim == 1 else E


def goodness(W: Any, s: Any, b: Any = None) -> Any:
    """Hinton's *goodness* of 0/1 states: the sum of weights over all pairs of active units.

    This is just ``-energy(W, s, b, units="binary")``: the lecture drops the minus sign.
    """
    return -energy(W, s, b, units="binary")


def flip_energy_changes(W: Any, s: Any, b: Any = None, *, units: str = "pm1") -> Any:
    """The energy change ``E(s with unit i flipped) - E(s)`` for every unit ``i``.

    With total input ``h = W s + b``, flipping unit ``i`` from ``s_i`` to ``s_i'``
    changes the energy by ``-(s_i' - s_i) h_i`` (the diagonal is zero, so there is
    no self-term). A state is a local minimum when no entry is negative.

    Returns:
        An array with the shape of ``s``.
    """
    units = check_choice(units, "units", UNITS)
    W = _check_weights(W)
    s = _check_states(s, W.shape[0], units, dtype="float64")
    b = _check_bias(b, W.shape[0], "float64")
    h = s @ W + b
    flipped = -s if units == "pm1" else 1.0 - s
    return -(flipped - s) * h


def is_local_minimum(W: Any, s: Any, b: Any = None, *, units: str = "pm1") -> Any:
    """True where no single-unit flip lowers the energy (a fixed point of asynchronous updates).

    A unit whose input is a tie (within :func:`~hinton_utils.core.binary.tie_tolerance`
    of zero) would keep its state, so its flip does not count as lowering the energy.

    Returns:
        A bool for one state, or a boolean array of shape (n,) for a batch.
    """
    dE = flip_energy_changes(W, s, b, units=units)
    W = _check_weights(W)
    tol = binary.tie_tolerance(W, _check_bias(b, W.shape[0], "float64"))
    step = 2.0 if units == "pm1" else 1.0  # |s_i' - s_i|, so |dE_i| = step * |h_i|
    out = (dE >= -step * tol).all(axis=-1)
    return bool(out) if dE.ndim == 1 else out


def goodness_example() -> tuple[Any, list[str]]:
    """The five-unit network with two minima, goodness 4 and goodness 5 (0/1 units).

    The 2025 Martin Lecture shows a small net whose two top units are joined by a
    weight of -5, with one stable state of goodness 4 and a better one of goodness 5.
    The slide's other weights are not in the transcript; these are a reconstruction
    with the same properties: {a, c, d} on has goodness 4 and is a local optimum,
    {b, d, e} on has goodness 5 and is the global optimum.

    Returns:
        ``(W, names)``: the symmetric 5×5 float64 weights and the unit names a–e.
    """
    xp = B.xp()
    names = ["a", "b", "c", "d", "e"]
    idx = {n: i for i, n in enumerate(names)}
    pairs = {
        ("a", "b"): -5.0,
        ("a", "c"): 2.0,
        ("a", "d"): 3.0,
        ("c", "d"): -1.0,
        ("b", "d"): 3.0,
        ("b", "e"): 3.0,
        ("d", "e"): -1.0,
        ("c", "e"): -2.0,
    }
    W = xp.zeros((5, 5), dtype=xp.float64)
    for (u, v), w in pairs.items():
        W[idx[u], idx[v]] = w
        W[idx[v], idx[u]] = w
    return W, names


# ----------------------------------------------------------------------------- storage
def hebbian_weights(patterns: Any, *, dtype: str = "float64") -> Any:
    """Hopfield's Hebbian storage ``W = (1/N) sum_mu xi_mu xi_mu^T``, with a zero diagonal.

    This is chapter 01's outer-product memory, :func:`hinton_utils.hebb.outer_product_memory`.

    Args:
        patterns: the memories, shape (P, N), entries -1/+1.
        dtype: ``"float64"`` (exact) or ``"float32"`` (fast, for big capacity sweeps).

    Returns:
        The (N, N) weight matrix.
    """
    return outer_product_memory(patterns, dtype=dtype)


def corrupt(patterns: Any, rng: Any, flip_fraction: float) -> Any:
    """Copies of ±1 ``patterns`` with exactly ``round(flip_fraction * N)`` random bits flipped each.

    Args:
        patterns: shape (N,) or (n, N), entries -1/+1.
        rng: an int seed or a Generator.
        flip_fraction: the fraction of bits to flip, in [0, 1].

    Returns:
        A float64 array with the shape of ``patterns``.
    """
    X = check_array(patterns, "patterns", ndim=(1, 2), values="pm1", dtype="float64")
    flip_fraction = check_real(flip_fraction, "flip_fraction", low=0.0, high=1.0)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    X2 = xp.atleast_2d(X).copy()
    n, N = X2.shape
    k = int(round(flip_fraction * N))
    order = xp.argsort(gen.random((n, N)), axis=1)[:, :k]
    rows = xp.arange(n)[:, None]
    X2[rows, order] *= -1.0
    return X2[0] if X.ndim == 1 else X2


# ----------------------------------------------------------------------------- dynamics
def settle(
    W: Any,
    s: Any,
    rng: Any,
    *,
    n_sweeps: int = 10,
    b: Any = None,
    units: str = "pm1",
    block_size: int = 1,
    record: bool = False,
    dtype: str = "float64",
) -> Any:
    """Asynchronous settling: update units one at a time (or in small blocks) in random order.

    Each sweep visits every unit once, in a fresh random order shared by all the
    states of a batch. A unit takes the sign of its total input ``h_i = sum_j
    W_ij s_j + b_i`` and keeps its state on a tie (an input within
    :func:`~hinton_utils.core.binary.tie_tolerance` of zero). With ``block_size=1`` this is
    Hopfield's asynchronous rule, which can never raise the energy. Larger blocks
    update ``block_size`` units simultaneously: much faster for big nets and
    nearly asynchronous when the block is small compared with N, but no longer
    guaranteed to descend. Settling stops early once a whole sweep changes nothing.

    Args:
        W: symmetric zero-diagonal weights (N, N).
        s: initial state(s), (N,) or (n, N).
        rng: an int seed or a Generator (for the visiting order).
        n_sweeps: the most sweeps to run.
        b: optional biases (N,).
        units: ``"pm1"`` or ``"binary"``.
        block_size: how many units to update at once (1 = truly asynchronous).
        record: if True, also return the state and energy after every update.
        dtype: ``"float64"`` (exact) or ``"float32"`` (fast).

    Returns:
        The final state(s) with the shape of ``s``. With ``record=True``, a tuple
        ``(final, states, energies)`` where ``states`` has shape (T + 1, *s.shape)
        and ``energies`` shape (T + 1,) or (T + 1, n): the start and each of the T
        updates (one per unit, or one per block).
    """
    units = check_choice(units, "units", UNITS)
    dtype = check_choice(dtype, "dtype", ("float64", "float32"))
    W = _check_weights(W, dtype=dtype)
    N = W.shape[0]
    s = _check_states(s, N, units, dtype=dtype)
    b = _check_bias(b, N, dtype)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    block_size = check_int(block_size, "block_size", low=1, high=N)
    if not isinstance(record, bool):
        raise TypeError(f"record must be True or False; got {type(record).__name__}")
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    S = xp.atleast_2d(s).copy()
    tol = binary.tie_tolerance(W, b)
    states, energies = [], []
    if record:
        states.append(S.copy())
        energies.append(binary.energy(W, b, S))
    for _ in range(n_sweeps):
        order = xp.argsort(gen.random(N))
        changed = False
        for start in range(0, N, block_size):
            idx = order[start : start + block_size]
            h = S @ W[:, idx] + b[idx]
            new = binary.threshold(h, S[:, idx], tol[idx], units=units)
            if bool((new != S[:, idx]).any()):
                changed = True
                S[:, idx] = new
            if record:
                states.append(S.copy())
                energies.append(binary.energy(W, b, S))
        if not changed:
            break
    final = S[0] if s.ndim == 1 else S
    if not record:
        return final
    st = xp.stack(states)
    en = xp.stack(energies)
    if s.ndim == 1:
        st, en = st[:, 0], en[:, 0]
    return final, st, en


def synchronous_run(
    W: Any, s: Any, *, n_sweeps: int = 10, b: Any = None, units: str = "pm1"
) -> Any:
    """Update *all* units at once, ``n_sweeps`` times, and return the whole trajectory.

    Synchronous updates are not guaranteed to descend the energy: they can fall
    into 2-cycles, flipping between two states for ever. Ties keep their state,
    as in :func:`settle`.

    Returns:
        An array of shape (n_sweeps + 1, *s.shape): the start and every sweep.
    """
    units = check_choice(units, "units", UNITS)
    W = _check_weights(W)
    s = _check_states(s, W.shape[0], units, dtype="float64")
    b = _check_bias(b, W.shape[0], "float64")
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    xp = B.xp()
    tol = binary.tie_tolerance(W, b)
    traj = [s.copy()]
    for _ in range(n_sweeps):
        traj.append(binary.threshold(traj[-1] @ W + b, traj[-1], tol, units=units))
    return xp.stack(traj)


# ----------------------------------------------------------------------------- capacity
def one_step_error_rate(patterns: Any, W: Any = None) -> float:
    """Fraction of stored bits that one update would flip, starting exactly at each pattern.

    A bit is unstable when its total input has the wrong sign (a zero input, within
    :func:`~hinton_utils.core.binary.tie_tolerance`, counts as stable, since the
    unit keeps its state). With ``W`` omitted the Hebbian weights of ``patterns``
    are used.
    """
    X = check_array(patterns, "patterns", ndim=2, values="pm1")
    dtype = "float32" if X.dtype == B.xp().float32 else "float64"
    X = X.astype(dtype, copy=False)
    W = hebbian_weights(X, dtype=dtype) if W is None else _check_weights(W, dtype=dtype)
    if W.shape[0] != X.shape[1]:
        raise ValueError(f"W must be ({X.shape[1]}, {X.shape[1]}) to match patterns; got {W.shape}")
    H = X @ W
    return float(((X * H) < -binary.tie_tolerance(W)).mean())


def theoretical_error_rate(alpha: Any) -> Any:
    """Signal-to-noise estimate of the one-step bit-error rate, ``Phi(-1/sqrt(alpha))``.

    With P = alpha N random patterns the crosstalk on a bit is roughly Gaussian with
    variance alpha (relative to a signal of 1), so a bit flips with probability
    ``Phi(-1/sqrt(alpha))``, ``Phi`` the standard normal CDF.

    Args:
        alpha: the load P/N (> 0), a number (a Python or NumPy scalar) or a 1-D array.

    Returns:
        A float, or an array with the shape of ``alpha``.
    """
    xp = B.xp()
    if isinstance(alpha, numbers.Real):
        a = check_real(alpha, "alpha", low=0.0, low_open=True)
        return 0.5 * math.erfc(1.0 / math.sqrt(2.0 * a))
    a = check_array(alpha, "alpha", ndim=1, dtype="float64")
    if bool((a <= 0).any()):
        raise ValueError("alpha must be > 0")
    vals = [0.5 * math.erfc(1.0 / math.sqrt(2.0 * float(v))) for v in B.asnumpy(a)]
    return xp.asarray(vals, dtype=xp.float64)


@B.one_blas_thread()  # many small products: one thread is faster (core.backend)
def capacity_curve(
    n_units: int,
    alphas: Any,
    rng: Any,
    *,
    n_sweeps: int = 20,
    block_size: int = 20,
    threshold: float = 0.97,
) -> dict[str, Any]:
    """Store P = alpha N random patterns for each load and test recall from each pattern.

    For each ``alpha``: draw P random ±1 patterns, store them with
    :func:`hebbian_weights` (float32), measure the one-step bit-error rate, then
    start the net *at every stored pattern at once* (a batch of P states) and
    settle it. A pattern counts as retrieved when the final overlap with it is at
    least ``threshold``.

    Args:
        n_units: N.
        alphas: loads P/N, a 1-D sequence of positive numbers.
        rng: an int seed or a Generator.
        n_sweeps: the most settling sweeps.
        block_size: units updated together (see :func:`settle`).
        threshold: the overlap that counts as recall.

    Returns:
        A dict of 1-D NumPy-or-CuPy arrays, one entry per alpha: ``alpha``,
        ``n_patterns``, ``error_rate`` (one-step), ``theory`` (Phi(-1/sqrt(alpha))),
        ``retrieved`` (fraction recalled) and ``overlap`` (mean final overlap).
    """
    n_units = check_int(n_units, "n_units", low=10)
    a = check_array(alphas, "alphas", ndim=1, dtype="float64")
    if bool((a <= 0).any()) or bool((a > 4).any()):
        raise ValueError("alphas must lie in (0, 4]")
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    block_size = check_int(block_size, "block_size", low=1, high=n_units)
    threshold = check_real(threshold, "threshold", low=-1.0, high=1.0)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    out: dict[str, list] = {k: [] for k in ("n_patterns", "error_rate", "retrieved", "overlap")}
    for alpha in B.asnumpy(a):
        P = max(1, int(round(float(alpha) * n_units)))
        X = xp.where(gen.random((P, n_units)) < 0.5, 1.0, -1.0).astype(xp.float32)
        W = hebbian_weights(X, dtype="float32")
        out["n_patterns"].append(P)
        out["error_rate"].append(one_step_error_rate(X, W))
        final = settle(W, X, gen, n_sweeps=n_sweeps, block_size=block_size, dtype="float32")
        m = overlap(final, X)
        out["retrieved"].append(float((m >= threshold).mean()))
        out["overlap"].append(float(m.mean()))
    result = {k: xp.asarray(v, dtype=xp.float64) for k, v in out.items()}
    result["n_patterns"] = result["n_patterns"].astype(xp.int64)
    result["alpha"] = a
    result["theory"] = theoretical_error_rate(a)
    return result
