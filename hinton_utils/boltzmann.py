"""Chapter 05: Boltzmann machines (Ackley, Hinton & Sejnowski 1985): learning by wake and sleep.

A Boltzmann machine is a network of stochastic binary units with symmetric
weights ``W`` (zero diagonal) and biases ``b``. A joint state ``s`` has energy

    E(s) = -1/2 s^T W s - b^T s,

and at temperature ``T`` the network visits it with probability
``exp(-E(s)/T) / Z``. The first ``n_visible`` units are visible, the rest hidden.
The learning rule

    dlog p(v)/dw_ij = (<s_i s_j>_clamped - <s_i s_j>_free) / T

needs only the two units a weight connects: a Hebbian term with the data clamped
("wake") and an anti-Hebbian term while the network runs freely ("sleep").

Two ways to get the two correlations live here:

* exactly, by enumerating every state (tiny networks, float64), in
  :func:`exact_statistics`, :func:`exact_gradient`, :func:`log_likelihood` and
  :func:`train_exact`;
* by sampling, as in 1985: annealed Gibbs sweeps over many chains and many
  networks at once (:func:`sampled_statistics`) and the whole 1985 learning
  procedure with noisy clamping and fixed-size weight steps (:func:`train_1985`).

The sampler is chapter 04's Gibbs sweep,
:func:`hinton_utils.core.binary.gibbs_sweep` (which also runs stacks of
networks and -1/+1 units), and the list of every state is
:func:`hinton_utils.core.binary.all_states`. Most functions accept a single
network (``W`` of shape ``(n, n)``) or a stack of ``R`` independent networks
(``(R, n, n)``), so that many random seeds train at once. Units are
``"binary"`` (0/1, as in 1985) or ``"pm1"`` (-1/+1).
"""

from __future__ import annotations

from typing import Any

from .core import backend as B
from .core import binary
from .core.special import bernoulli, logsumexp
from .core.validation import check_array, check_choice, check_int, check_real
from .stochastic import schedule_temperatures

__all__ = [
    "ANNEALING_SCHEDULE_1985",
    "chain_mask",
    "encoder_codes",
    "encoder_mask",
    "exact_gradient",
    "exact_statistics",
    "log_likelihood",
    "sampled_statistics",
    "train_1985",
    "train_exact",
    "visible_distribution",
]

#: Ackley, Hinton & Sejnowski (1985): 2 time units at T=20, 2 at 15, 2 at 12, 4 at 10.
ANNEALING_SCHEDULE_1985: tuple[tuple[int, float], ...] = (
    (2, 20.0),
    (2, 15.0),
    (2, 12.0),
    (4, 10.0),
)

# ----------------------------------------------------------------------------- helpers


def _check_units(units: Any) -> str:
    return check_choice(units, "units", binary.UNITS)


def _check_model(W: Any, b: Any) -> tuple[Any, Any, bool]:
    """Validate ``W``/``b``; return them batched (R, n, n), (R, n) and whether input was single."""
    xp = B.xp()
    W = binary.check_symmetric(W, ndim=(2, 3))
    n = W.shape[-1]
    single = W.ndim == 2
    Wb = W[None] if single else W
    b = check_array(b, "b", ndim=(1, 2), dtype="float64")
    bb = b[None] if b.ndim == 1 else b
    if (
        bb.shape[-1] != n
        or (b.ndim == 2 and bb.shape[0] != Wb.shape[0])
        or (b.ndim == 2 and single)
    ):
        raise ValueError(
            f"b must have shape ({n},) or (R, {n}) matching W {tuple(W.shape)}; "
            f"got {tuple(b.shape)}"
        )
    if bb.shape[0] != Wb.shape[0]:
        bb = xp.broadcast_to(bb, (Wb.shape[0], n))
    return Wb, bb, single


# ----------------------------------------------------------------------------- structure


def encoder_mask(n_group: int, n_hidden: int) -> Any:
    """Connectivity of the 1985 ``v-h-v`` encoder, units ordered V1, V2, H.

    "Each visible group is completely connected internally and each is
    completely connected to H, but the units in H are not connected to each
    other" (Ackley, Hinton & Sejnowski 1985). V1 and V2 are not connected, so
    everything V1 tells V2 must pass through the few hidden units.

    Returns:
        A symmetric 0/1 float64 matrix of shape ``(2 n_group + n_hidden,) * 2``.
    """
    xp = B.xp()
    v = check_int(n_group, "n_group", low=1, high=16)
    h = check_int(n_hidden, "n_hidden", low=1, high=16)
    n = 2 * v + h
    M = xp.zeros((n, n))
    M[:v, :v] = 1.0
    M[v : 2 * v, v : 2 * v] = 1.0
    M[: 2 * v, 2 * v :] = 1.0
    M[2 * v :, : 2 * v] = 1.0
    M[xp.arange(n), xp.arange(n)] = 0.0
    return M


def chain_mask(n_units: int, order: Any = None) -> Any:
    """Connectivity of a chain: unit ``order[k]`` is joined to ``order[k+1]`` only.

    Args:
        n_units: number of units.
        order: the order of the units along the chain (default ``0, 1, ..., n-1``).
            For visible units 0, 1 at the two ends of a chain through hidden units
            2 and 3, use ``order=[0, 2, 3, 1]``.
    """
    xp = B.xp()
    n = check_int(n_units, "n_units", low=2, high=64)
    if order is None:
        order = list(range(n))
    order = [int(k) for k in B.asnumpy(check_array(order, "order", ndim=1, shape=(n,)))]
    if sorted(order) != list(range(n)):
        raise ValueError(f"order must be a permutation of 0..{n - 1}; got {order}")
    M = xp.zeros((n, n))
    for a, c in zip(order[:-1], order[1:], strict=True):
        M[a, c] = M[c, a] = 1.0
    return M


# ----------------------------------------------------------------------------- exact


def _check_data(data: Any, n: int, units: str) -> Any:
    data = check_array(
        data, "data", ndim=2, dtype="float64", values="binary" if units == "binary" else "pm1"
    )
    if data.shape[1] > n:
        raise ValueError(f"data has {data.shape[1]} columns but the model has only {n} units")
    _check_enumerable(n)
    return data


def _check_enumerable(n: int) -> None:
    if n > binary.MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"exact enumeration needs at most {binary.MAX_ENUMERATED_UNITS} units; got {n}"
        )


def _features(S: Any) -> Any:
    """Sufficient statistics of each state: [s_i s_j for i < j, then s_i] (E = -theta . phi)."""
    xp = B.xp()
    n = S.shape[-1]
    i, j = xp.triu_indices(n, 1)
    return xp.concatenate([S[:, i] * S[:, j], S], axis=1)


def _theta(Wb: Any, bb: Any) -> Any:
    xp = B.xp()
    i, j = xp.triu_indices(Wb.shape[-1], 1)
    return xp.concatenate([Wb[:, i, j], bb], axis=1)  # (R, P)


def _unpack(stats: Any, n: int, units: str) -> tuple[Any, Any]:
    """(R, P) expectations of the features -> <s s^T> (R, n, n) and <s> (R, n)."""
    xp = B.xp()
    R = stats.shape[0]
    i, j = xp.triu_indices(n, 1)
    C = xp.zeros((R, n, n))
    C[:, i, j] = stats[:, : len(i)]
    C[:, j, i] = stats[:, : len(i)]
    m = stats[:, len(i) :]
    d = xp.arange(n)
    C[:, d, d] = m if units == "binary" else 1.0
    return C, m


def _exact_features(n: int, data: Any, units: str) -> tuple[Any, Any]:
    """Feature matrices for every free state (2^n, P) and every clamped completion (K 2^nh, P)."""
    xp = B.xp()
    K, nv = data.shape
    S = binary.all_states(n, units=units)
    nh = n - nv
    if nh > 0:
        H = binary.all_states(nh, units=units)
        SC = xp.concatenate(
            [
                xp.broadcast_to(data[:, None, :], (K, H.shape[0], nv)),
                xp.broadcast_to(H, (K,) + H.shape),
            ],
            axis=2,
        ).reshape(-1, n)
    else:
        SC = data
    return _features(S), _features(SC)


def _exact(Wb: Any, bb: Any, data: Any, T: float, units: str, feats: Any = None) -> dict[str, Any]:
    """Batched exact statistics (all arrays have a leading R axis).

    Energy is linear in the parameters, ``E(s) = -theta . phi(s)``, so every
    state's energy for every network is one matrix product, and so is every
    expectation.
    """
    xp = B.xp()
    R, n = bb.shape
    K = data.shape[0]
    Phi, PhiC = _exact_features(n, data, units) if feats is None else feats
    theta = _theta(Wb, bb)
    neg = (theta @ Phi.T) / T  # (R, 2^n)
    logZ = logsumexp(neg, axis=1)
    # Floor the log-probabilities at -600: exp() of anything lower is a denormal
    # number, which is slow on CPUs and changes no sum by more than 1e-260.
    p = xp.exp(xp.maximum(neg - logZ[:, None], -600.0))
    C_free, m_free = _unpack(p @ Phi, n, units)
    negc = ((theta @ PhiC.T) / T).reshape(R, K, -1)  # (R, K, 2^nh)
    lse = logsumexp(negc, axis=2)
    logpv = lse - logZ[:, None]  # (R, K)
    q = (xp.exp(xp.maximum(negc - lse[..., None], -600.0)) / K).reshape(R, -1)  # p(h|v_k) / K
    C_clamped, m_clamped = _unpack(q @ PhiC, n, units)
    return {
        "C_clamped": C_clamped,
        "m_clamped": m_clamped,
        "C_free": C_free,
        "m_free": m_free,
        "log_likelihood": logpv.mean(axis=1),
        "log_Z": logZ,
        "p_states": p,
    }


def _squeeze(out: dict[str, Any], single: bool) -> dict[str, Any]:
    return {k: (v[0] if single else v) for k, v in out.items()}


def exact_statistics(W: Any, b: Any, data: Any, *, T: float = 1.0, units: str = "binary") -> dict:
    """Both phases' correlations, exactly, by enumerating every joint state.

    Args:
        W: symmetric weights, zero diagonal, ``(n, n)`` or a stack ``(R, n, n)``.
        b: biases ``(n,)`` or ``(R, n)``.
        data: training vectors for the first ``data.shape[1]`` (visible) units,
            ``(K, n_visible)``; every row has weight ``1/K``.
        T: temperature.
        units: ``"binary"`` or ``"pm1"``.

    Returns:
        A dict with ``C_clamped`` (``<s s^T>`` with the data clamped, averaged over
        the data), ``m_clamped`` (``<s>``), ``C_free`` and ``m_free`` (free-running
        equilibrium), ``log_likelihood`` (mean ``log p(v)`` over the data),
        ``log_Z`` and ``p_states`` (the probability of each row of
        :func:`hinton_utils.core.binary.all_states`).
    """
    units = _check_units(units)
    Wb, bb, single = _check_model(W, b)
    data = _check_data(data, Wb.shape[-1], units)
    T = check_real(T, "T", low=0.0, low_open=True)
    return _squeeze(_exact(Wb, bb, data, T, units), single)


def log_likelihood(W: Any, b: Any, data: Any, *, T: float = 1.0, units: str = "binary") -> Any:
    """Mean ``log p(v)`` of the rows of ``data`` (hidden units summed out), exactly."""
    return exact_statistics(W, b, data, T=T, units=units)["log_likelihood"]


def exact_gradient(
    W: Any, b: Any, data: Any, *, T: float = 1.0, units: str = "binary", mask: Any = None
) -> tuple[Any, Any]:
    """The Boltzmann learning rule, computed exactly: the gradient of the mean log-likelihood.

    ``dW = (<s s^T>_clamped - <s s^T>_free) / T`` (zero diagonal, times ``mask``
    if given) and ``db = (<s>_clamped - <s>_free) / T``. ``dW[i, j]`` is the
    derivative with respect to the single symmetric weight joining ``i`` and ``j``.

    Returns:
        ``(dW, db)`` with the shapes of ``W`` and ``b``.
    """
    xp = B.xp()
    st = exact_statistics(W, b, data, T=T, units=units)
    dW = (st["C_clamped"] - st["C_free"]) / T
    n = dW.shape[-1]
    dW = dW * (1.0 - xp.eye(n))
    if mask is not None:
        dW = dW * _check_mask(mask, n)
    db = (st["m_clamped"] - st["m_free"]) / T
    return dW, db


def visible_distribution(
    W: Any, b: Any, n_visible: int, *, T: float = 1.0, units: str = "binary"
) -> Any:
    """``p(v)`` for every visible vector (rows of ``core.binary.all_states(n_visible)``).

    The hidden units are summed out.
    """
    xp = B.xp()
    units = _check_units(units)
    Wb, bb, single = _check_model(W, b)
    n = Wb.shape[-1]
    nv = check_int(n_visible, "n_visible", low=1, high=n)
    T = check_real(T, "T", low=0.0, low_open=True)
    _check_enumerable(n)
    p = _exact(Wb, bb, binary.all_states(nv, units=units)[:1], T, units)["p_states"]  # (R, 2^n)
    # States are in binary counting order: visible units are the most significant bits.
    pv = p.reshape(p.shape[0], 2**nv, 2 ** (n - nv)).sum(axis=2)
    return pv[0] if single else xp.asarray(pv)


def _check_mask(mask: Any, n: int) -> Any:
    xp = B.xp()
    M = check_array(mask, "mask", ndim=2, shape=(n, n), dtype="float64", values="binary")
    if not bool((M == M.T).all()):
        raise ValueError("mask must be symmetric")
    return M * (1.0 - xp.eye(n))


@B.one_blas_thread()
def train_exact(
    data: Any,
    mask: Any,
    rng: Any,
    *,
    n_epochs: int = 1000,
    learning_rate: float = 0.5,
    T: float = 1.0,
    units: str = "binary",
    init_scale: float = 0.1,
    n_runs: int = 1,
    hebb_only: bool = False,
    learn_biases: bool = True,
    record_every: int = 10,
) -> dict:
    """Gradient ascent on the exact log-likelihood, for ``n_runs`` networks at once.

    Each epoch (one full-batch step) moves every allowed weight by
    ``learning_rate * (<s_i s_j>_clamped - <s_i s_j>_free) / T``.
    With ``hebb_only=True`` the free ("sleep") term is dropped: pure Hebbian
    learning from the data, the "sleep deprivation" ablation.

    Args:
        data: visible training vectors ``(K, n_visible)``.
        mask: ``(n, n)`` symmetric 0/1 connectivity (e.g. :func:`encoder_mask`).
        rng: int seed or Generator, for the small random initial weights.
        n_epochs: the length of training: full-batch gradient steps.
        learning_rate: the step size.
        T: temperature.
        units: ``"binary"`` or ``"pm1"``.
        init_scale: standard deviation of the initial weights (random, so that
            hidden units differ; exact gradients never break a symmetry).
        n_runs: independent networks trained side by side.
        hebb_only: drop the negative phase.
        learn_biases: also learn the biases (else they stay 0).
        record_every: record the log-likelihood every this many epochs.

    Returns:
        dict with ``W`` ``(n_runs, n, n)``, ``b`` ``(n_runs, n)``, ``epochs`` (the
        epochs recorded) and ``log_likelihood`` ``(n_records, n_runs)`` (mean
        ``log p(v)`` at each recorded epoch).
    """
    xp = B.xp()
    units = _check_units(units)
    data = check_array(
        data, "data", ndim=2, dtype="float64", values="binary" if units == "binary" else "pm1"
    )
    M = check_array(mask, "mask", ndim=2, dtype="float64")
    n = M.shape[0]
    M = _check_mask(M, n)
    data = _check_data(data, n, units)
    gen = B.as_generator(rng, "rng")
    n_epochs = check_int(n_epochs, "n_epochs", low=0)
    eta = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    T = check_real(T, "T", low=0.0, low_open=True)
    init_scale = check_real(init_scale, "init_scale", low=0.0)
    n_runs = check_int(n_runs, "n_runs", low=1)
    record_every = check_int(record_every, "record_every", low=1)
    A = gen.standard_normal((n_runs, n, n)) * init_scale
    W = (xp.triu(A, 1) + xp.swapaxes(xp.triu(A, 1), 1, 2)) * M
    b = xp.zeros((n_runs, n))
    feats = _exact_features(n, data, units)
    offdiag = 1.0 - xp.eye(n)
    epochs, lls = [], []
    for epoch in range(n_epochs + 1):
        st = _exact(W, b, data, T, units, feats)
        if epoch % record_every == 0 or epoch == n_epochs:
            epochs.append(epoch)
            lls.append(st["log_likelihood"])
        if epoch == n_epochs:
            break
        pos_W, pos_b = st["C_clamped"], st["m_clamped"]
        neg_W = 0.0 if hebb_only else st["C_free"]
        neg_b = 0.0 if hebb_only else st["m_free"]
        W = W + eta / T * (pos_W - neg_W) * offdiag * M
        if learn_biases:
            b = b + eta / T * (pos_b - neg_b)
    return {"W": W, "b": b, "epochs": epochs, "log_likelihood": xp.stack(lls)}


def encoder_codes(W: Any, b: Any, n_group: int, *, T: float = 1.0) -> Any:
    """The hidden code of each encoder pattern: ``argmax_h p(h | V1 = e_i)``, exactly.

    Units are ordered V1, V2, H (as in :func:`encoder_mask`), 0/1 valued. V2 is
    summed out. A network has learned the encoder when its ``n_group`` codes are
    all different.

    Returns:
        int array ``(n_group,)`` (or ``(R, n_group)``): each code as the integer
        whose binary digits are the hidden states.
    """
    xp = B.xp()
    Wb, bb, single = _check_model(W, b)
    n = Wb.shape[-1]
    v = check_int(n_group, "n_group", low=1, high=(n - 1) // 2)
    T = check_real(T, "T", low=0.0, low_open=True)
    h = n - 2 * v
    if v + h > binary.MAX_ENUMERATED_UNITS:
        raise ValueError("too many units to enumerate V2 and H")
    rest = binary.all_states(v + h)  # V2 then H
    V1 = xp.eye(v)
    S = xp.concatenate(
        [
            xp.broadcast_to(V1[:, None, :], (v, rest.shape[0], v)),
            xp.broadcast_to(rest, (v,) + rest.shape),
        ],
        axis=2,
    )
    neg = -binary.energy(Wb, bb, S.reshape(-1, n)).reshape(-1, v, rest.shape[0]) / T
    p = xp.exp(neg - neg.max(axis=2, keepdims=True))
    ph = p.reshape(p.shape[0], v, 2**v, 2**h).sum(axis=2)  # (R, v, 2^h)
    codes = ph.argmax(axis=2)
    return codes[0] if single else codes


# ----------------------------------------------------------------------------- sampling


def _noisy(V: Any, gen: Any, p_off: float, p_on: float) -> Any:
    u = gen.random(V.shape)
    return (V * (u >= p_off) + (1.0 - V) * (u < p_on)).astype(V.dtype)


def _stats_phase(
    W: Any, b: Any, S: Any, gen: Any, free_idx: Any, schedule: Any, n_stat: int, T_stat: float
) -> tuple[Any, Any]:
    """Anneal stacked chains S (R, C, n), then average s s^T and s over n_stat sweeps at T_stat.

    ``schedule`` is one temperature per sweep. Units are visited in a fresh random
    order each sweep, as in 1985.
    """
    xp = B.xp()
    for T in schedule:
        binary.gibbs_sweep_(S, W, b, gen, T, free_idx, "random")
    R, C, n = S.shape
    Cacc = xp.zeros((R, n, n))
    macc = xp.zeros((R, n))
    for _ in range(n_stat):
        binary.gibbs_sweep_(S, W, b, gen, T_stat, free_idx, "random")
        Cacc += xp.einsum("rcn,rcm->rnm", S, S)
        macc += S.sum(axis=1)
    return Cacc / (n_stat * C), macc / (n_stat * C)


def sampled_statistics(
    W: Any,
    b: Any,
    data: Any,
    rng: Any,
    *,
    n_repeats: int = 2,
    schedule: Any = ANNEALING_SCHEDULE_1985,
    n_stat_sweeps: int = 10,
    T_stat: float = 10.0,
    noise: tuple[float, float] = (0.15, 0.05),
) -> dict:
    """Both phases' statistics estimated the 1985 way (0/1 units).

    Clamped phase: each data vector ``n_repeats`` times, with noisy clamping (an
    on bit is clamped off with probability ``noise[0]``, an off bit on with
    ``noise[1]``); the hidden units start random, are annealed by ``schedule``,
    and co-occurrences are averaged over ``n_stat_sweeps`` sweeps at ``T_stat``.
    Free phase: as many chains with nothing clamped, treated the same way.

    Returns:
        dict with ``C_clamped``, ``m_clamped``, ``C_free``, ``m_free`` (as in
        :func:`exact_statistics`, here estimates).
    """
    Wb, bb, single = _check_model(W, b)
    n = Wb.shape[-1]
    data = check_array(data, "data", ndim=2, dtype="float64", values="binary")
    if data.shape[1] > n:
        raise ValueError(f"data has {data.shape[1]} columns but the model has only {n} units")
    gen = B.as_generator(rng, "rng")
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    sched = schedule_temperatures(schedule)
    n_stat = check_int(n_stat_sweeps, "n_stat_sweeps", low=1)
    T_stat = check_real(T_stat, "T_stat", low=0.0, low_open=True)
    if not isinstance(noise, (tuple, list)) or len(noise) != 2:
        raise TypeError("noise must be a pair (p_on_to_off, p_off_to_on)")
    p_off = check_real(noise[0], "noise", low=0.0, high=1.0)
    p_on = check_real(noise[1], "noise", low=0.0, high=1.0)
    out = _sampled(Wb, bb, data, gen, n_repeats, sched, n_stat, T_stat, p_off, p_on)
    return _squeeze(out, single)


def _sampled(Wb, bb, data, gen, n_repeats, sched, n_stat, T_stat, p_off, p_on) -> dict:
    xp = B.xp()
    R, n = bb.shape
    K, nv = data.shape
    C = K * n_repeats
    V = xp.broadcast_to(xp.concatenate([data] * n_repeats, axis=0), (R, C, nv))
    V = _noisy(V, gen, p_off, p_on)
    S = xp.concatenate([V, bernoulli(xp.full((R, C, n - nv), 0.5), gen)], axis=2)
    Cp, mp = _stats_phase(Wb, bb, S, gen, xp.arange(nv, n), sched, n_stat, T_stat)
    S = bernoulli(xp.full((R, C, n), 0.5), gen)
    Cm, mm = _stats_phase(Wb, bb, S, gen, xp.arange(n), sched, n_stat, T_stat)
    return {"C_clamped": Cp, "m_clamped": mp, "C_free": Cm, "m_free": mm}


@B.one_blas_thread()
def train_1985(
    data: Any,
    mask: Any,
    rng: Any,
    *,
    n_epochs: int = 500,
    n_runs: int = 1,
    learning_rate: float = 2.0,
    n_repeats: int = 2,
    schedule: Any = ANNEALING_SCHEDULE_1985,
    n_stat_sweeps: int = 10,
    T_stat: float = 10.0,
    noise: tuple[float, float] = (0.15, 0.05),
    n_group: int | None = None,
    check_every: int = 10,
) -> dict:
    """The learning procedure of Ackley, Hinton & Sejnowski (1985), for many runs at once.

    Weights and thresholds start at 0. Each learning cycle (an epoch: one pass over
    the data) estimates ``p_ij`` (clamped) and ``p'_ij`` (free) with
    :func:`sampled_statistics` and moves each allowed weight (and each bias) by a
    fixed step of size ``learning_rate`` in the direction ``sign(p_ij - p'_ij)``.

    Args:
        data: 0/1 training vectors ``(K, n_visible)``.
        mask: ``(n, n)`` connectivity (e.g. :func:`encoder_mask`).
        rng: int seed or Generator.
        n_epochs: the length of training: learning cycles.
        n_runs: independent networks trained side by side.
        learning_rate: the size of every weight step (2 in the paper).
        n_repeats, schedule, n_stat_sweeps, T_stat, noise: see :func:`sampled_statistics`.
        n_group: for an encoder (units V1, V2, H), the size of V1; then every
            ``check_every`` epochs the exact codes (:func:`encoder_codes` at
            ``T_stat``) are checked for being all distinct.
        check_every: epochs between checks.

    Returns:
        dict with ``W``, ``b`` (stacks over runs) and, for an encoder,
        ``check_epochs`` and ``distinct`` (bool ``(n_checks, n_runs)``).
    """
    data = check_array(data, "data", ndim=2, dtype="float64", values="binary")
    M = check_array(mask, "mask", ndim=2, dtype="float64")
    n = M.shape[0]
    M = _check_mask(M, n)
    if data.shape[1] > n:
        raise ValueError(f"data has {data.shape[1]} columns but the model has only {n} units")
    gen = B.as_generator(rng, "rng")
    n_epochs = check_int(n_epochs, "n_epochs", low=0)
    n_runs = check_int(n_runs, "n_runs", low=1)
    step = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    sched = schedule_temperatures(schedule)
    n_stat = check_int(n_stat_sweeps, "n_stat_sweeps", low=1)
    T_stat = check_real(T_stat, "T_stat", low=0.0, low_open=True)
    if not isinstance(noise, (tuple, list)) or len(noise) != 2:
        raise TypeError("noise must be a pair (p_on_to_off, p_off_to_on)")
    p_off = check_real(noise[0], "noise", low=0.0, high=1.0)
    p_on = check_real(noise[1], "noise", low=0.0, high=1.0)
    check_every = check_int(check_every, "check_every", low=1)
    if n_group is not None:
        n_group = check_int(n_group, "n_group", low=1, high=(n - 1) // 2)
    xp = B.xp()
    W = xp.zeros((n_runs, n, n))
    b = xp.zeros((n_runs, n))
    checks, distinct = [], []
    for epoch in range(n_epochs + 1):
        if n_group is not None and (epoch % check_every == 0 or epoch == n_epochs):
            codes = encoder_codes(W, b, n_group, T=T_stat)
            srt = xp.sort(codes, axis=1)
            checks.append(epoch)
            distinct.append((srt[:, 1:] != srt[:, :-1]).all(axis=1))
        if epoch == n_epochs:
            break
        st = _sampled(W, b, data, gen, n_repeats, sched, n_stat, T_stat, p_off, p_on)
        W = W + step * xp.sign(st["C_clamped"] - st["C_free"]) * M
        b = b + step * xp.sign(st["m_clamped"] - st["m_free"])
    out: dict[str, Any] = {"W": W, "b": b}
    if n_group is not None:
        out["check_epochs"] = checks
        out["distinct"] = xp.stack(distinct)
    return out
