"""Binary units: the kernels every network of 0/1 (or -1/+1) units shares, written once.

* **Every state.** Exact answers in the book (partition functions, posteriors,
  KL divergences) come from listing every joint state of a few binary units.
  The list is built here once, in one order: row ``k`` holds the bits of ``k``
  with unit 0 as the most significant bit, so
  ``state_index(all_states(n)) == arange(2**n)``. :data:`MAX_ENUMERATED_UNITS`
  is the one cap: a table of ``2**20`` rows of 20 float64 units is 160 MiB, and
  anything larger is a sign that an exact method was called on a model meant
  for sampling. Code that needs more states than one table holds walks them in
  blocks with :func:`state_blocks`.
* **Energy** ``E(s) = -1/2 sᵀ W s - bᵀ s`` of symmetric networks
  (:func:`energy`), and the one check that weights are symmetric with a zero
  diagonal (:func:`check_symmetric`, tolerance :data:`SYMMETRY_RTOL`).
* **Zero temperature**: Hopfield's deterministic update, with one definition of
  a tie (:func:`threshold`, :func:`tie_tolerance`, :data:`TIE_RTOL`).
* **The Gibbs sweep** (:func:`gibbs_sweep`, and the in-place kernel
  :func:`gibbs_sweep_` for loops that have checked their input once): free and
  clamped units (:func:`free_indices`), a temperature per chain, sequential or
  random order, 0/1 or -1/+1 units, one network or a stack of them.

Chapters 03 (Hopfield), 04 (stochastic units) and 05 (Boltzmann machines) derive
these in their own words and call them from here.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from typing import Any

from . import backend as B
from .special import sigmoid
from .validation import check_array, check_choice, check_int, check_real

__all__ = [
    "MAX_BLOCKED_UNITS",
    "MAX_ENUMERATED_UNITS",
    "ORDERS",
    "SYMMETRY_RTOL",
    "TIE_RTOL",
    "UNITS",
    "all_states",
    "check_symmetric",
    "check_temperature",
    "energy",
    "free_indices",
    "gibbs_sweep",
    "gibbs_sweep_",
    "state_blocks",
    "state_index",
    "threshold",
    "tie_tolerance",
]

#: The most units whose states may be listed in one table (2**20 rows).
MAX_ENUMERATED_UNITS = 20
#: Largest network walked block by block (2**24 states, never all in memory).
MAX_BLOCKED_UNITS = 24
#: 0/1 units or -1/+1 (spin) units.
UNITS = ("binary", "pm1")
#: The orders in which a Gibbs sweep visits the free units.
ORDERS = ("sequential", "random")
#: Weights count as symmetric (and the diagonal as zero) to this fraction of max(1, max |W|).
SYMMETRY_RTOL = 1e-6
#: A total input within this fraction of the unit's largest possible input is a tie.
TIE_RTOL = 1e-6


def _bits(start: int, stop: int, n: int, dtype: Any) -> Any:
    xp = B.xp()
    k = xp.arange(start, stop, dtype="int64")[:, None]
    shifts = xp.arange(n - 1, -1, -1, dtype="int64")[None, :]
    return ((k >> shifts) & 1).astype(dtype)


def all_states(n: int, *, units: str = "binary", dtype: Any = "float64") -> Any:
    """All ``2**n`` joint states of ``n`` units, one per row, in binary counting order.

    Args:
        n: number of units, 1 to :data:`MAX_ENUMERATED_UNITS`.
        units: ``"binary"`` for 0/1 states or ``"pm1"`` for -1/+1.
        dtype: the float dtype of the table.

    Returns:
        An array of shape ``(2**n, n)``; row ``k`` is ``k`` in binary, unit 0 first.
    """
    n = check_int(n, "n", low=1, high=MAX_ENUMERATED_UNITS)
    units = check_choice(units, "units", UNITS)
    bits = _bits(0, 1 << n, n, dtype)
    return 2 * bits - 1 if units == "pm1" else bits


def state_blocks(n: int, block: int = 1 << 16, *, dtype: Any = "float64") -> Iterator[Any]:
    """The rows of ``all_states(n)`` in consecutive blocks of at most ``block`` rows.

    For sums over every state of up to :data:`MAX_BLOCKED_UNITS` units (an RBM's
    partition function over its smaller side) without holding all of them.
    """
    n = check_int(n, "n", low=1, high=MAX_BLOCKED_UNITS)
    block = check_int(block, "block", low=1)
    total = 1 << n
    for start in range(0, total, block):
        yield _bits(start, min(start + block, total), n, dtype)


def state_index(S: Any) -> Any:
    """The row of :func:`all_states` that each 0/1 state in ``S`` occupies.

    Args:
        S: 0/1 states of shape ``(n,)`` or ``(n_states, n)``, ``n`` at most
            :data:`MAX_BLOCKED_UNITS`.

    Returns:
        int64 indices of shape ``(n_states,)`` (a 0-d array for one state).
    """
    xp = B.xp()
    S = check_array(S, "S", ndim=(1, 2), values="binary")
    n = S.shape[-1]
    check_int(n, "the number of units in S", low=1, high=MAX_BLOCKED_UNITS)
    weights = 2 ** xp.arange(n - 1, -1, -1, dtype="int64")
    return (S.astype("int64") * weights).sum(axis=-1)


# ----------------------------------------------------------------------------- weights


def check_symmetric(W: Any, name: str = "W", *, ndim: Any = 2, dtype: Any = "float64") -> Any:
    """``W`` checked as symmetric weights with a zero diagonal, as an array of ``dtype``.

    The one symmetry check of the package: ``|W - Wᵀ|`` and the diagonal may be at
    most :data:`SYMMETRY_RTOL` times ``max(1, max |W|)``, loose enough for float32
    rounding of ``XᵀX`` and far tighter than any deliberate asymmetry.

    Args:
        W: weights ``(n, n)``, or a stack ``(R, n, n)`` where ``ndim`` allows 3.
        name: the argument's name, for the messages.
        ndim: the allowed number of dimensions (2, 3 or a tuple).
        dtype: the dtype to return.

    Raises:
        ValueError: not square, not symmetric, or a non-zero diagonal.
    """
    xp = B.xp()
    W = check_array(W, name, ndim=ndim, dtype=dtype)
    n = W.shape[-1]
    if W.ndim < 2 or W.shape[-2] != n:
        raise ValueError(f"{name} must be square in its last two axes; got shape {tuple(W.shape)}")
    tol = SYMMETRY_RTOL * max(1.0, float(xp.abs(W).max()))
    if float(xp.abs(W - xp.swapaxes(W, -1, -2)).max()) > tol:
        raise ValueError(f"{name} must be symmetric (W[i, j] == W[j, i])")
    if float(xp.abs(xp.diagonal(W, axis1=-2, axis2=-1)).max()) > tol:
        raise ValueError(f"{name} must have a zero diagonal (no self-connections)")
    return W


def energy(W: Any, b: Any, S: Any) -> Any:
    """``E(s) = -1/2 sᵀ W s - bᵀ s`` for every state in ``S``: the kernel, no checks.

    The same formula holds for 0/1 and -1/+1 units. Chapter functions check their
    input and call this; it broadcasts a stack of networks against shared states.

    Args:
        W: weights ``(n, n)`` or a stack ``(R, n, n)``.
        b: biases ``(n,)`` or ``(R, n)``.
        S: states ``(m, n)`` (shared by the stack), or ``(R, m, n)``.

    Returns:
        Energies ``(m,)``, or ``(R, m)`` for a stack.
    """
    quadratic = ((S @ W) * S).sum(axis=-1)
    linear = (S @ b[..., :, None])[..., 0]
    return -0.5 * quadratic - linear


# ----------------------------------------------------------------------------- zero temperature


def tie_tolerance(W: Any, b: Any = None) -> Any:
    """How close to zero a unit's total input must be to count as a tie, unit by unit.

    ``TIE_RTOL * (Σ_j |W_ji| + |b_i|)``: a fixed fraction of the largest input the
    unit could receive. An input that is zero in exact arithmetic (a Hebbian
    ``XᵀX/N`` rounds such ties to about ±1e-17) then counts as zero, while any
    input real weights produce (at least ``1/N`` for Hebbian weights) does not.
    """
    xp = B.xp()
    scale = xp.abs(W).sum(axis=-2)
    if b is not None:
        scale = scale + xp.abs(b)
    return TIE_RTOL * scale


def threshold(h: Any, s: Any, tol: Any = 0.0, *, units: str = "binary") -> Any:
    """The zero-temperature unit update: on if ``h > tol``, off if ``h < -tol``, else keep ``s``.

    Hopfield's rule (and a stochastic unit's limit as ``T -> 0``). A tie, an input
    within ``tol`` of zero, leaves the unit as it was, so it never flips on rounding
    noise. ``units`` is ``"binary"`` (off = 0) or ``"pm1"`` (off = -1).
    """
    xp = B.xp()
    off = -1.0 if units == "pm1" else 0.0
    return xp.where(h > tol, 1.0, xp.where(h < -tol, off, s)).astype(s.dtype, copy=False)


# ----------------------------------------------------------------------------- Gibbs sampling


def free_indices(free: Any, n: int) -> Any:
    """The units a sampler may update, as int indices, from ``None`` (all), a bool mask or indices.

    Args:
        free: ``None``; a bool mask of shape ``(n,)``; or distinct int indices in ``[0, n)``.
        n: the number of units.

    Returns:
        An int64 index array, in increasing order for a mask.
    """
    xp = B.xp()
    if free is None:
        return xp.arange(n)
    arr = check_array(free, "free", ndim=1, min_size=0)
    if arr.dtype.kind == "b":
        if arr.shape != (n,):
            raise ValueError(f"free as a bool mask must have shape ({n},); got {tuple(arr.shape)}")
        return xp.flatnonzero(arr)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"free must be a bool mask or an int index array; got dtype {arr.dtype}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= n):
        raise ValueError(f"free indices must lie in [0, {n - 1}]")
    if int(xp.unique(arr).size) != int(arr.size):
        raise ValueError("free indices must not repeat")
    return arr.astype("int64")


def gibbs_sweep_(
    S: Any, W: Any, b: Any, gen: Any, T: Any = 1.0, free: Any = None, order: str = "sequential"
) -> Any:
    """One Gibbs sweep over 0/1 units, in place in ``S``: the kernel, for checked input.

    Each free unit ``i`` in turn is set to 1 with probability ``sigmoid(x_i / T)``,
    ``x_i = Σ_j W_ij s_j + b_i`` computed from the states as they are at that
    moment, for every chain at once. Units not in ``free`` stay clamped.

    Args:
        S: 0/1 float states ``(C, n)``, or ``(R, C, n)`` for a stack of networks.
        W: weights ``(n, n)``, or ``(R, n, n)`` with a stacked ``S``, in ``S``'s dtype.
        b: biases ``(n,)`` or ``(R, n)``.
        gen: a Generator.
        T: temperature: a float, or an array broadcasting against ``S.shape[:-1]``
            (one per chain).
        free: int indices of the units to update (``None``: all).
        order: ``"sequential"`` (index order) or ``"random"`` (a fresh permutation
            each sweep, shared by every chain).

    Returns:
        ``S``, updated. The random numbers are drawn as one permutation key per
        free unit (random order only), then one uniform per unit and chain, unit by unit.
    """
    xp = B.xp()
    idx = xp.arange(S.shape[-1]) if free is None else free
    k = int(idx.size)
    if k == 0:
        return S
    if order == "random":
        idx = idx[xp.argsort(gen.random(k))]
    U = gen.random((k,) + S.shape[:-1], dtype=S.dtype)
    stacked = W.ndim == 3
    for col, i in enumerate(B.asnumpy(idx).tolist()):
        if stacked:
            x = xp.einsum("rcn,rn->rc", S, W[:, :, i]) + b[:, i : i + 1]
        else:
            x = S @ W[:, i] + b[i]
        S[..., i] = U[col] < sigmoid(x / T)
    return S


def gibbs_sweep(
    W: Any,
    b: Any,
    S: Any,
    rng: Any,
    *,
    T: Any = 1.0,
    free: Any = None,
    order: str = "sequential",
    units: str = "binary",
    n_sweeps: int = 1,
) -> Any:
    """Gibbs sweeps of many chains at once; every free unit is updated once per sweep.

    Unit ``i`` turns on with probability ``sigmoid(x_i / T)`` for 0/1 units
    (``sigmoid(2 x_i / T)`` for -1/+1 units), ``x_i = Σ_j W_ij s_j + b_i`` taken
    from the current states (asynchronous updates), so the Boltzmann distribution
    ``exp(-E(s)/T) / Z`` is stationary. Clamped (non-free) units keep their values.

    Args:
        W: symmetric ``(n, n)`` weights with zero diagonal, or a stack ``(R, n, n)``.
        b: biases ``(n,)`` (or ``(R, n)`` for a stack).
        S: states: one ``(n,)``, chains ``(C, n)``, or ``(R, C, n)`` for a stack; float32
            or float64 (other dtypes become float64); not modified.
        rng: an int seed or a Generator.
        T: temperature > 0: a number, or one per chain ``(C,)``.
        free: units to update: ``None`` (all), a bool mask ``(n,)`` or int indices.
        order: ``"sequential"`` (index order) or ``"random"`` (a fresh random
            permutation each sweep, shared by all chains).
        units: ``"binary"`` (0/1) or ``"pm1"`` (-1/+1).
        n_sweeps: how many sweeps (0 returns a copy of ``S``).

    Returns:
        The new states, with the shape and float dtype of ``S``.
    """
    units = check_choice(units, "units", UNITS)
    W = check_symmetric(W, ndim=(2, 3))
    n = W.shape[-1]
    stacked = W.ndim == 3
    R = W.shape[0] if stacked else None
    b = check_array(b, "b", ndim=2 if stacked else 1, shape=(R, n) if stacked else (n,))
    b = b.astype("float64")
    S = check_array(S, "S", ndim=3 if stacked else (1, 2), values=units)
    if S.shape[-1] != n or (stacked and S.shape[0] != R):
        want = f"(R, C, {n}) with R = {R}" if stacked else f"({n},) or (C, {n})"
        raise ValueError(f"S must have shape {want}; got {tuple(S.shape)}")
    single = S.ndim == 1
    S = (S[None] if single else S).astype("float64" if S.dtype.kind != "f" else S.dtype)
    T = check_temperature(T, S.shape[-2])
    idx = free_indices(free, n)
    order = check_choice(order, "order", ORDERS)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
    gen = B.as_generator(rng, "rng")
    if units == "pm1":
        # s = 2x - 1 with x in {0, 1}: 2 x_i / T = (4 W x + 2 (b - W 1))_i / T, a 0/1 network.
        W, b = 4.0 * W, 2.0 * (b - W.sum(axis=-1))
        S = (S + 1.0) / 2.0
    else:
        S = S.copy()
    W, b = W.astype(S.dtype), b.astype(S.dtype)
    for _ in range(n_sweeps):
        gibbs_sweep_(S, W, b, gen, T, idx, order)
    if units == "pm1":
        S = 2.0 * S - 1.0
    return S[0] if single else S


def check_temperature(T: Any, n_chains: int) -> Any:
    """A temperature > 0: a number, or one per chain as an array of shape ``(n_chains,)``."""
    xp = B.xp()
    if isinstance(T, numbers.Real):
        return check_real(T, "T", low=0.0, low_open=True)
    T = check_array(T, "T", ndim=1, shape=(n_chains,), dtype="float64")
    if not bool((T > 0).all()):
        raise ValueError("T must be > 0 for every chain")
    return xp.asarray(T)
