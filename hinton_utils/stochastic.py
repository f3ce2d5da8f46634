"""Chapter 04: Stochastic binary units, temperature and thermal equilibrium (Hinton & Sejnowski 1983).

A network of 0/1 units with symmetric weights ``W`` (zero diagonal) and biases
``b`` gives every joint state ``s`` an energy

    E(s) = -1/2 s^T W s - b^T s .

A *stochastic* unit looks at its total input ``x_i = sum_j W_ij s_j + b_i`` and
turns on with probability ``sigma(x_i / T)``, the logistic function at
temperature ``T``. Updating one unit at a time this way (Gibbs sampling) leaves
the Boltzmann distribution ``p(s) = exp(-E(s)/T) / Z`` unchanged, and from any
start the network forgets where it began and reaches that distribution:
*thermal equilibrium*. At ``T -> 0`` the rule becomes Hopfield's deterministic
descent (:func:`greedy_descent`); lowering ``T`` slowly is simulated annealing
(:func:`anneal`).

Everything that samples works on many chains at once: a state batch ``S`` has
shape ``(n_chains, n)``, one independent network per row, so a "million
identical networks" experiment is one array. The sweep itself, the energy and
the list of all states are the book's shared kernels in
:mod:`hinton_utils.core.binary` (:func:`~hinton_utils.core.binary.gibbs_sweep`,
:func:`~hinton_utils.core.binary.energy`,
:func:`~hinton_utils.core.binary.all_states`); this module builds the chapter's
experiments on them. Exact answers for small networks (up to
:data:`~hinton_utils.core.binary.MAX_ENUMERATED_UNITS` units) come from
enumerating all ``2**n`` states; state ``k`` is ``k`` written in binary with
unit 0 as the most significant bit.

The module also builds the two networks of the chapter: a Necker-cube
constraint network with exactly two global minima (:func:`necker_network`) and
a small Sherrington-Kirkpatrick spin glass written with 0/1 units
(:func:`spin_glass`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import backend as B
from .core import binary
from .core.special import bernoulli, logsumexp, sigmoid
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "NECKER_EDGES",
    "all_energies",
    "anneal",
    "boltzmann_distribution",
    "empirical_distribution",
    "expected_tv_floor",
    "geometric_schedule",
    "greedy_descent",
    "ground_states",
    "log_partition",
    "mean_dwell_time",
    "necker_network",
    "necker_percept",
    "p_on",
    "percept_reversals",
    "sample",
    "sample_from_distribution",
    "schedule_temperatures",
    "spin_glass",
    "stochastic_unit",
    "total_variation",
    "transition_matrix",
]

#: The 12 edges of a cube whose 8 vertices are numbered by their (x, y, z) bits
#: (vertex v has x = v >> 2 & 1, y = v >> 1 & 1, z = v & 1): an edge joins
#: vertices that differ in exactly one coordinate.
NECKER_EDGES: tuple[tuple[int, int], ...] = tuple(
    (u, v) for u in range(8) for v in range(u + 1, 8) if bin(u ^ v).count("1") == 1
)

_CHUNK_BITS = 14  # enumerate energies 2**14 states at a time


# ----------------------------------------------------------------------------- checks


def _check_model(W: Any, b: Any) -> tuple[Any, Any]:
    """A square, symmetric, zero-diagonal ``W`` (float64) and a matching bias ``b``."""
    W = binary.check_symmetric(W)
    b = check_array(b, "b", ndim=1, shape=(W.shape[0],), dtype="float64")
    return W, b


def _check_states(S: Any, n: int, name: str = "S") -> tuple[Any, bool]:
    """A 0/1 state ``(n,)`` or batch ``(n_states, n)`` as float64; also whether it was 1-D."""
    S = check_array(S, name, ndim=(1, 2), values="binary", dtype="float64")
    if S.shape[-1] != n:
        raise ValueError(f"{name} must have {n} units in its last axis; got shape {tuple(S.shape)}")
    single = S.ndim == 1
    return (S[None, :] if single else S), single


def _check_enumerable(n: int, name: str = "n") -> int:
    return check_int(n, name, low=1, high=binary.MAX_ENUMERATED_UNITS)


def _check_distribution(p: Any, name: str) -> Any:
    xp = B.xp()
    p = check_array(p, name, ndim=1, values="nonnegative", dtype="float64")
    if abs(float(p.sum()) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1; got {float(p.sum())}")
    return xp.asarray(p)


# ----------------------------------------------------------------------------- units


def p_on(total_input: Any, T: float = 1.0) -> Any:
    """Probability that a stochastic binary unit turns on: ``sigma(total_input / T)``.

    Args:
        total_input: the unit's total input ``x`` (any shape).
        T: temperature, > 0. Small ``T`` makes the unit a step function (Hopfield's
            rule); large ``T`` makes it a fair coin whatever its input.

    Returns:
        ``1 / (1 + exp(-x / T))``, same shape as ``total_input``, float64.
    """
    x = check_array(total_input, "total_input", ndim=None, dtype="float64")
    T = check_real(T, "T", low=0.0, low_open=True)
    return sigmoid(x / T)


def stochastic_unit(total_input: Any, rng: Any, T: float = 1.0) -> Any:
    """Sample binary unit states: 1 with probability ``p_on(total_input, T)``, else 0.

    Args:
        total_input: total inputs (any shape); one independent unit per entry.
        rng: an int seed or a Generator.
        T: temperature, > 0.

    Returns:
        float64 array of 0s and 1s, same shape as ``total_input``.
    """
    p = p_on(total_input, T)
    return bernoulli(p, B.as_generator(rng, "rng"))


# ----------------------------------------------------------------------------- energies


def all_energies(W: Any, b: Any) -> Any:
    """Energies of all ``2**n`` states, in :func:`~hinton_utils.core.binary.all_states` order.

    The units are split into a head (the most significant bits) and a tail of at
    most 14 units; ``E = E_head + E_tail - h^T W_ht t`` is then one small outer
    computation, so ``n = 20`` takes a few milliseconds and about 8 MB (float64).
    """
    W, b = _check_model(W, b)
    n = _check_enumerable(W.shape[0], "the number of units in W")
    n_tail = min(n, _CHUNK_BITS)
    n_head = n - n_tail
    tail = binary.all_states(n_tail)
    E_tail = binary.energy(W[n_head:, n_head:], b[n_head:], tail)
    if n_head == 0:
        return E_tail
    head = binary.all_states(n_head)
    E_head = binary.energy(W[:n_head, :n_head], b[:n_head], head)
    cross = (head @ W[:n_head, n_head:]) @ tail.T
    return (E_head[:, None] + E_tail[None, :] - cross).reshape(-1)


def log_partition(W: Any, b: Any, T: float = 1.0) -> float:
    """``log Z = log sum_s exp(-E(s) / T)`` by enumeration (log-sum-exp, float64)."""
    T = check_real(T, "T", low=0.0, low_open=True)
    return float(logsumexp(-all_energies(W, b) / T))


def boltzmann_distribution(W: Any, b: Any, T: float = 1.0) -> Any:
    """Exact Boltzmann probabilities ``exp(-E(s)/T) / Z`` over every state.

    Args:
        W: symmetric ``(n, n)`` weights with zero diagonal, ``n <= 20``.
        b: biases ``(n,)``.
        T: temperature, > 0.

    Returns:
        float64 probabilities of shape ``(2**n,)`` summing to 1, in
        :func:`~hinton_utils.core.binary.all_states` order.
    """
    xp = B.xp()
    T = check_real(T, "T", low=0.0, low_open=True)
    a = -all_energies(W, b) / T
    p = xp.exp(a - a.max())
    return p / p.sum()


def ground_states(W: Any, b: Any, atol: float = 1e-9) -> tuple[Any, float]:
    """Indices of every global energy minimum, found by enumeration, and that energy.

    Args:
        W, b: the network (``n <= 20``).
        atol: states within ``atol`` of the minimum count as ground states.

    Returns:
        ``(indices, E_min)``: int indices into
        :func:`~hinton_utils.core.binary.all_states` and the minimum energy.
    """
    xp = B.xp()
    atol = check_real(atol, "atol", low=0.0)
    E = all_energies(W, b)
    E_min = float(E.min())
    return xp.flatnonzero(E <= E_min + atol), E_min


# ----------------------------------------------------------------------------- distributions


def total_variation(p: Any, q: Any) -> float:
    """Total-variation distance ``1/2 sum |p - q|`` between two distributions (0 to 1)."""
    xp = B.xp()
    p = _check_distribution(p, "p")
    q = _check_distribution(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"q must have the same shape as p {tuple(p.shape)}; got {tuple(q.shape)}")
    return 0.5 * float(xp.abs(p - q).sum())


def empirical_distribution(S: Any) -> Any:
    """The fraction of the states in ``S`` that sit in each of the ``2**n`` enumerated states.

    Args:
        S: 0/1 states ``(n_samples, n)`` with ``n <= 20`` (e.g. many chains' current states).

    Returns:
        float64 array ``(2**n,)`` summing to 1, in
        :func:`~hinton_utils.core.binary.all_states` order.
    """
    xp = B.xp()
    S = check_array(S, "S", ndim=2, values="binary")
    n = _check_enumerable(S.shape[1], "the number of units in S")
    idx = binary.state_index(S)
    counts = xp.bincount(idx, minlength=2**n).astype("float64")
    return counts / S.shape[0]


def sample_from_distribution(p: Any, n_samples: int, rng: Any) -> Any:
    """Draw ``n_samples`` independent state indices from the distribution ``p`` (inverse CDF)."""
    xp = B.xp()
    p = _check_distribution(p, "p")
    n_samples = check_int(n_samples, "n_samples", low=1)
    gen = B.as_generator(rng, "rng")
    cdf = xp.cumsum(p)
    cdf = cdf / cdf[-1]
    idx = xp.searchsorted(cdf, gen.random(n_samples), side="right")
    return xp.minimum(idx, p.size - 1)


def expected_tv_floor(p: Any, n_samples: int) -> float:
    """Expected total variation between ``p`` and a histogram of ``n_samples`` exact draws.

    Even perfect samples leave a histogram ``TV`` away from ``p``. Each count is
    Binomial(``n_samples``, ``p_k``); with the normal approximation
    ``E|p_hat_k - p_k| ~ sqrt(2 p_k (1 - p_k) / (pi n_samples))``, so the floor is
    ``1/2 sum_k sqrt(2 p_k (1 - p_k) / (pi n_samples))``. It overestimates a little
    for states with ``n_samples p_k << 1``.
    """
    xp = B.xp()
    p = _check_distribution(p, "p")
    n_samples = check_int(n_samples, "n_samples", low=1)
    return 0.5 * float(xp.sqrt(2.0 * p * (1.0 - p) / (xp.pi * n_samples)).sum())


def transition_matrix(W: Any, b: Any, T: float = 1.0, unit: int | None = None) -> Any:
    """The exact Gibbs transition matrix over all ``2**n`` states, for small ``n``.

    ``P[x, y]`` is the probability of moving from state ``x`` to state ``y`` in one
    stochastic update of unit ``unit`` (which is set on with probability
    ``sigma(x_unit / T)``), or, with ``unit=None``, of one update of a unit picked
    uniformly at random. A sequential sweep is the product of the single-unit
    matrices in update order.

    Args:
        W, b: the network, ``n <= 12``.
        T: temperature, > 0.
        unit: which unit to update, or ``None`` for random-site updates.

    Returns:
        float64 matrix ``(2**n, 2**n)`` whose rows sum to 1.
    """
    xp = B.xp()
    W, b = _check_model(W, b)
    n = check_int(W.shape[0], "number of units in W", low=1, high=12)
    T = check_real(T, "T", low=0.0, low_open=True)
    units = range(n) if unit is None else [check_int(unit, "unit", low=0, high=n - 1)]
    S = binary.all_states(n)
    rows = xp.arange(2**n)
    P = xp.zeros((2**n, 2**n), dtype="float64")
    for i in units:
        p1 = sigmoid((S @ W[:, i] + b[i]) / T)
        bit = 2 ** (n - 1 - i)
        off = rows - bit * S[:, i].astype("int64")  # index with unit i off
        P[rows, off] += 1.0 - p1
        P[rows, off + bit] += p1
    return P / len(units)


# ----------------------------------------------------------------------------- sampling


def _initial_states(init: Any, n_chains: int, n: int, gen: Any) -> Any:
    xp = B.xp()
    if init is None:
        return bernoulli(xp.full((n_chains, n), 0.5), gen)
    init = check_array(init, "init", ndim=(1, 2), values="binary", dtype="float64")
    if init.ndim == 1:
        if init.shape != (n,):
            raise ValueError(f"init must have shape ({n},) or ({n_chains}, {n}); got {init.shape}")
        return xp.tile(init, (n_chains, 1))
    if init.shape != (n_chains, n):
        raise ValueError(f"init must have shape ({n},) or ({n_chains}, {n}); got {init.shape}")
    return init.copy()


def sample(
    W: Any,
    b: Any,
    n_chains: int,
    n_sweeps: int,
    rng: Any,
    T: Any = 1.0,
    init: Any = None,
    free: Any = None,
    order: str = "sequential",
    readout: Callable[[Any], Any] | None = None,
) -> Any:
    """Run ``n_chains`` independent networks for ``n_sweeps`` Gibbs sweeps each.

    Each sweep is :func:`hinton_utils.core.binary.gibbs_sweep`, run in place on
    all the chains at once.

    Args:
        W, b: the network.
        n_chains: number of independent copies run side by side.
        n_sweeps: sweeps to run (0 returns the initial states).
        rng: an int seed or a Generator.
        T: temperature > 0, a float or one per chain ``(n_chains,)``.
        init: starting states: ``None`` (uniformly random), one state ``(n,)`` copied to
            every chain, or ``(n_chains, n)``. Clamped units keep their ``init`` values.
        free: units to update (``None`` = all); see
            :func:`~hinton_utils.core.binary.gibbs_sweep`.
        order: ``"sequential"`` or ``"random"`` update order within a sweep.
        readout: optional function of the states ``(n_chains, n)``, called on the
            initial states and after every sweep; its results are stacked.

    Returns:
        The final states ``(n_chains, n)``; with ``readout``, the pair
        ``(states, trace)`` where ``trace[t]`` is ``readout`` after ``t`` sweeps.
    """
    xp = B.xp()
    W, b = _check_model(W, b)
    n = W.shape[0]
    n_chains = check_int(n_chains, "n_chains", low=1)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
    T = binary.check_temperature(T, n_chains)
    idx = binary.free_indices(free, n)
    order = check_choice(order, "order", binary.ORDERS)
    if readout is not None and not callable(readout):
        raise TypeError(f"readout must be a function of the states or None; got {type(readout)}")
    gen = B.as_generator(rng, "rng")
    S = _initial_states(init, n_chains, n, gen)
    trace = [readout(S)] if readout is not None else None
    for _ in range(n_sweeps):
        binary.gibbs_sweep_(S, W, b, gen, T, idx, order)
        if trace is not None:
            trace.append(readout(S))
    if trace is None:
        return S
    return S, xp.stack([xp.asarray(t) for t in trace])


def greedy_descent(
    W: Any,
    b: Any,
    S: Any,
    free: Any = None,
    max_sweeps: int = 1000,
) -> Any:
    """Zero-temperature (Hopfield) descent: update units in turn to lower the energy.

    Each free unit, in index order, turns on if its total input is positive and off
    if it is negative (ties, within :func:`~hinton_utils.core.binary.tie_tolerance`
    of zero, keep the current value): :func:`~hinton_utils.core.binary.threshold`,
    the limit of a stochastic unit as ``T -> 0``. Sweeps repeat until no unit in
    any chain changes, so every returned state is a local minimum with respect to
    single-unit flips of the free units (unless ``max_sweeps`` runs out).

    Args:
        W, b: the network.
        S: 0/1 states ``(n_chains, n)`` or one state ``(n,)``; not modified.
        free: units to update (``None`` = all).
        max_sweeps: the most sweeps to run.

    Returns:
        The settled states, float64, same shape as ``S``.
    """
    W, b = _check_model(W, b)
    S2, single = _check_states(S, W.shape[0])
    S2 = S2.copy()
    idx = B.asnumpy(binary.free_indices(free, W.shape[0])).tolist()
    max_sweeps = check_int(max_sweeps, "max_sweeps", low=1)
    tol = binary.tie_tolerance(W, b)
    for _ in range(max_sweeps):
        changed = False
        for i in idx:
            x = S2 @ W[:, i] + b[i]
            new = binary.threshold(x, S2[:, i], tol[i])
            if bool((new != S2[:, i]).any()):
                changed = True
                S2[:, i] = new
        if not changed:
            break
    return S2[0] if single else S2


def geometric_schedule(T_start: float, T_end: float, n_sweeps: int) -> Any:
    """Temperatures falling geometrically from ``T_start`` to ``T_end``, one per sweep."""
    xp = B.xp()
    T_start = check_real(T_start, "T_start", low=0.0, low_open=True)
    T_end = check_real(T_end, "T_end", low=0.0, low_open=True)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    if n_sweeps == 1:
        return xp.asarray([T_end], dtype="float64")
    return T_start * (T_end / T_start) ** (xp.arange(n_sweeps) / (n_sweeps - 1))


def schedule_temperatures(schedule: Any) -> list[float]:
    """One temperature per sweep, from a list of them or from ``(n_sweeps, T)`` pairs.

    ``[(2, 20), (2, 15)]`` (two sweeps at 20, then two at 15) becomes
    ``[20.0, 20.0, 15.0, 15.0]``; a 1-D list of temperatures is returned as floats.
    """
    arr = check_array(schedule, "schedule", ndim=(1, 2), dtype="float64")
    if arr.ndim == 2:
        if arr.shape[1] != 2:
            raise ValueError(
                f"schedule as pairs must have shape (k, 2) of (n_sweeps, T); got {arr.shape}"
            )
        temps: list[float] = []
        for count, T in B.asnumpy(arr).tolist():
            if count < 0 or count != int(count):
                raise ValueError(f"schedule sweep counts must be non-negative ints; got {count}")
            if T <= 0:
                raise ValueError(f"schedule temperatures must be > 0; got {T}")
            temps += [float(T)] * int(count)
        if not temps:
            raise ValueError("schedule must contain at least one sweep")
        return temps
    temps = B.asnumpy(arr).tolist()
    if min(temps) <= 0:
        raise ValueError("schedule temperatures must be > 0")
    return [float(t) for t in temps]


def anneal(
    W: Any,
    b: Any,
    schedule: Any,
    rng: Any,
    n_chains: int = 1,
    init: Any = None,
    free: Any = None,
    order: str = "sequential",
    quench: bool = False,
) -> Any:
    """Simulated annealing (Kirkpatrick, Gelatt & Vecchi 1983): Gibbs sweeps while ``T`` falls.

    Args:
        W, b: the network.
        schedule: either one temperature per sweep (1-D, e.g. from
            :func:`geometric_schedule`), or ``(n_sweeps, T)`` pairs of shape ``(k, 2)``,
            such as Ackley, Hinton & Sejnowski's ``[(2, 20), (2, 15), (2, 12), (4, 10)]``.
        rng: an int seed or a Generator.
        n_chains: independent annealing runs done side by side.
        init: starting states (``None`` = uniformly random); see :func:`sample`.
        free: units to update (``None`` = all).
        order: ``"sequential"`` or ``"random"``.
        quench: finish with :func:`greedy_descent`, so every run ends in a local minimum.

    Returns:
        Final states ``(n_chains, n)``.
    """
    W, b = _check_model(W, b)
    n = W.shape[0]
    temps = schedule_temperatures(schedule)
    n_chains = check_int(n_chains, "n_chains", low=1)
    idx = binary.free_indices(free, n)
    order = check_choice(order, "order", binary.ORDERS)
    if not isinstance(quench, bool):
        raise TypeError(f"quench must be a bool; got {type(quench).__name__}")
    gen = B.as_generator(rng, "rng")
    S = _initial_states(init, n_chains, n, gen)
    for T in temps:
        binary.gibbs_sweep_(S, W, b, gen, T, idx, order)
    if quench:
        S = greedy_descent(W, b, S, free=idx)
    return S


# ----------------------------------------------------------------------------- networks


def necker_network(
    edge_weight: float = 1.0,
    rival_weight: float = -3.0,
    bias: float = 0.5,
    surface_bias: float = 0.0,
) -> tuple[Any, Any]:
    """A 16-unit constraint network for the Necker cube.

    The line drawing has 8 junctions. Each junction has two 3-D readings, one per
    interpretation of the cube: units 0-7 are the vertex hypotheses of
    interpretation A (say, "seen from above"), units 8-15 those of B ("from
    below"). Hypotheses of the same interpretation joined by a cube edge support
    each other (``edge_weight``); the two readings of one junction exclude each other
    (``rival_weight``); every hypothesis has a small ``bias`` because the image
    offers evidence for it. ``surface_bias`` is added to A's biases only: Hinton's
    remark that one reading is slightly better because the cube can rest on a surface.

    With the defaults the network has exactly two global minima, all of A or all
    of B, at energy ``-(12 + 8 * 0.5) = -16``.

    Returns:
        ``(W, b)``: float64 weights ``(16, 16)`` and biases ``(16,)``.
    """
    xp = B.xp()
    edge_weight = check_real(edge_weight, "edge_weight")
    rival_weight = check_real(rival_weight, "rival_weight")
    bias = check_real(bias, "bias")
    surface_bias = check_real(surface_bias, "surface_bias")
    W = xp.zeros((16, 16), dtype="float64")
    for u, v in NECKER_EDGES:
        for off in (0, 8):
            W[u + off, v + off] = W[v + off, u + off] = edge_weight
    for j in range(8):
        W[j, j + 8] = W[j + 8, j] = rival_weight
    b = xp.full(16, bias, dtype="float64")
    b[:8] += surface_bias
    return W, b


def necker_percept(S: Any) -> Any:
    """Which cube a Necker network sees: ``(#A on - #B on) / 8`` in ``[-1, 1]``.

    +1 is all of interpretation A, -1 all of B, values near 0 are mixtures.
    Accepts states ``(16,)`` or ``(..., 16)``.
    """
    S = check_array(S, "S", values="binary", dtype="float64")
    if S.ndim < 1 or S.shape[-1] != 16:
        raise ValueError(f"S must have 16 units in its last axis; got shape {tuple(S.shape)}")
    return (S[..., :8].sum(axis=-1) - S[..., 8:].sum(axis=-1)) / 8.0


def percept_reversals(trace: Any, threshold: float = 0.5) -> Any:
    """Count percept reversals per chain in a trace of :func:`necker_percept` values.

    A reversal is a crossing from ``m >= threshold`` to ``m <= -threshold`` or back
    (hysteresis: brief visits to the mixed middle are not reversals).

    Args:
        trace: percepts of shape ``(n_sweeps,)`` or ``(n_sweeps, n_chains)``.
        threshold: in ``(0, 1]``.

    Returns:
        int64 reversal counts ``(n_chains,)`` (0-d for a 1-D trace).
    """
    xp = B.xp()
    m = check_array(trace, "trace", ndim=(1, 2), dtype="float64")
    threshold = check_real(threshold, "threshold", low=0.0, high=1.0, low_open=True)
    single = m.ndim == 1
    m = m[:, None] if single else m
    A, Bv = m >= threshold, m <= -threshold  # decided sweeps: interpretation A or B
    # Reversals = runs of one decided percept - 1, ignoring the undecided sweeps
    # between them. Within a run of A no B sweep intervenes, so the count of B
    # sweeps so far is constant, and it grows from one run of A to the next: the
    # runs of A are the distinct values of that count at A sweeps (and vice versa).
    # Only cumsum and scatter: this runs on CuPy, which lacks maximum.accumulate.
    n_sweeps, n_chains = m.shape
    chain = xp.broadcast_to(xp.arange(n_chains), m.shape)
    runs = xp.zeros(n_chains, dtype="int64")
    for this, other in ((A, Bv), (Bv, A)):
        seen = xp.zeros((n_sweeps + 1, n_chains), dtype=bool)
        seen[xp.cumsum(other, axis=0)[this], chain[this]] = True
        runs += seen.sum(axis=0)
    counts = xp.maximum(runs - 1, 0)
    return counts[0] if single else counts


def mean_dwell_time(trace: Any, threshold: float = 0.5) -> float:
    """Mean time between percept reversals: total sweeps observed / total reversals.

    This renewal estimate uses every chain's whole trace, including the unfinished
    dwell at its end, so it is unbiased for exponentially distributed dwell times.
    Returns ``inf`` when no chain reversed.
    """
    m = check_array(trace, "trace", ndim=(1, 2), dtype="float64")
    n_total = m.shape[0] * (1 if m.ndim == 1 else m.shape[1])
    reversals = int(percept_reversals(m, threshold).sum())
    return float("inf") if reversals == 0 else n_total / reversals


def spin_glass(n: int, rng: Any, field: float = 0.0) -> tuple[Any, Any]:
    """A Sherrington-Kirkpatrick spin glass, written for 0/1 units.

    Spins ``sigma = 2 s - 1`` with Gaussian couplings ``J_ij ~ N(0, 1/n)`` and a
    uniform field ``h`` have energy ``-1/2 sigma^T J sigma - h sum(sigma)``. In 0/1
    units that is ``-1/2 s^T W s - b^T s + const`` with ``W = 4 J`` and
    ``b = -2 J 1 + 2 h``. With ``field = 0`` every state and its complement have
    the same energy, so the ground state comes as a pair.

    Returns:
        ``(W, b)``, float64.
    """
    xp = B.xp()
    n = check_int(n, "n", low=2)
    field = check_real(field, "field")
    gen = B.as_generator(rng, "rng")
    A = gen.standard_normal((n, n)) / (n**0.5)
    J = xp.triu(A, 1)
    J = J + J.T
    W = 4.0 * J
    b = -2.0 * J.sum(axis=1) + 2.0 * field
    return W, b
