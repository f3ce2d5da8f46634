"""Chapter 10: Restricted Boltzmann machines and contrastive divergence (Hinton 2002).

An RBM has binary visible units ``v`` (length V) and binary hidden units ``h``
(length H), connected only across the two layers by weights ``W`` (V x H), with
visible biases ``b`` and hidden biases ``c``:

    E(v, h) = -b^T v - c^T h - v^T W h,      p(v, h) = exp(-E(v, h)) / Z.

No hidden unit talks to another, so given ``v`` the hidden units are independent,
``p(h_j = 1 | v) = sigmoid(c_j + v^T W_j)``, and summing them out gives the free
energy

    F(v) = -b^T v - sum_j softplus(c_j + v^T W_j),     p(v) = exp(-F(v)) / Z.

The log-likelihood gradient is ``<v h^T>_data - <v h^T>_model``. The first term
takes one step (the "one-step wake phase"); contrastive divergence (CD-k)
replaces the second by the statistics after k steps of up-down Gibbs sampling
started at the data, and persistent CD (PCD, Tieleman 2008) keeps the chains
running between updates instead of restarting them.

What lives here:

* exact quantities for small models, by enumerating the smaller layer (float64):
  :func:`log_partition`, :func:`log_likelihood`, :func:`exact_gradient`,
  :func:`gibbs_transition_matrix`, :func:`cd_gradient_expectation` (the exact
  expected CD-k update), plus :func:`log_partition_brute_force` over joint
  states, for tests;
* estimates for large models: :func:`ais_log_partition` (annealed importance
  sampling, Salakhutdinov & Murray 2008) and :func:`pseudo_log_likelihood`;
* :func:`cd_step`, one CD-k / PCD-k gradient estimate written to be read;
* the :class:`RBM` estimator (``fit``, ``partial_fit``, ``transform``,
  ``sample``, ``score``, ``free_energy``), trained by CD-k, PCD-k or the exact
  gradient, with a float32 inner loop that reuses preallocated buffers
  (``fast=True``, the default) beside the plain :func:`cd_step` (``fast=False``);
* :func:`likelihood_curve` for the chapter's bars-and-stripes experiments.

The chapter's miniature Netflix problem lives in :mod:`hinton_utils.netflix`.
"""

from __future__ import annotations

import math
from typing import Any

from .core import backend as B
from .core.binary import MAX_ENUMERATED_UNITS, all_states, state_blocks, state_index
from .core.estimator import Estimator, check_rng
from .core.optim import momentum_step
from .core.special import (
    bernoulli,
    bernoulli_,
    cosine_similarity,
    logsumexp,
    sigmoid,
    sigmoid_,
    softplus,
)
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "RBM",
    "ais_log_partition",
    "cd_gradient_expectation",
    "cd_step",
    "energy",
    "exact_gradient",
    "free_energy",
    "gibbs_transition_matrix",
    "gradient_cosine",
    "likelihood_curve",
    "log_likelihood",
    "log_partition",
    "log_partition_brute_force",
    "pseudo_log_likelihood",
]

METHODS = ("cd", "pcd", "exact")
#: Enumerated states per block; a layer of up to 14 units is summed in one block.
_BLOCK = 1 << 14
#: The transition matrix over visible states is (2**V, 2**V): V <= 12 keeps it at 128 MiB.
_MAX_TRANSITION_VISIBLE = 12


# ----------------------------------------------------------------------------- helpers


def _check_params(W: Any, b: Any, c: Any, dtype: str = "float64") -> tuple[Any, Any, Any]:
    W = check_array(W, "W", ndim=2, dtype=dtype)
    V, H = W.shape
    b = check_array(b, "b", shape=(V,), dtype=dtype)
    c = check_array(c, "c", shape=(H,), dtype=dtype)
    return W, b, c


def _check_small(W: Any, what: str) -> None:
    if min(W.shape) > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"W has shape {tuple(W.shape)}: {what} enumerates the smaller layer and needs "
            f"min(V, H) <= {MAX_ENUMERATED_UNITS}; use ais_log_partition or pseudo_log_likelihood"
        )


def _check_visible(X: Any, V: int, name: str = "X", dtype: str = "float64") -> Any:
    return check_array(X, name, ndim=2, shape=(None, V), dtype=dtype, values="binary")


def _check_unit_interval(X: Any, V: int | None, name: str = "X", dtype: Any = "float64") -> Any:
    """Rows of binary states or of probabilities: every entry in [0, 1]."""
    X = check_array(X, name, ndim=2, shape=(None, V), dtype=dtype)
    if bool(((X < 0) | (X > 1)).any()):
        raise ValueError(f"{name} must lie in [0, 1] (binary states or probabilities)")
    return X


def _blocks(n: int) -> Any:
    """All 2**n states of n units: one table when small, else consecutive blocks."""
    if n <= 14:
        return [all_states(n)]
    return state_blocks(n, _BLOCK)


# ----------------------------------------------------------------------------- exact quantities


def energy(V: Any, H: Any, W: Any, b: Any, c: Any) -> Any:
    """E(v, h) = -b.v - c.h - v^T W h for matching rows of ``V`` (n, V) and ``H`` (n, H)."""
    W, b, c = _check_params(W, b, c)
    V = _check_visible(V, W.shape[0], "V")
    H = check_array(H, "H", ndim=2, shape=(V.shape[0], W.shape[1]), dtype="float64")
    return -(V @ b) - (H @ c) - ((V @ W) * H).sum(axis=1)


def free_energy(V: Any, W: Any, b: Any, c: Any) -> Any:
    """F(v) = -b.v - sum_j softplus(c_j + v.W_j), one value per row of ``V``.

    ``exp(-F(v)) = sum_h exp(-E(v, h))``, computed stably with ``logaddexp``.
    Rows of ``V`` may be probabilities in [0, 1] (the formula is then the usual
    mean-field extension); exactness tests use 0/1 rows.
    """
    W, b, c = _check_params(W, b, c)
    V = _check_unit_interval(V, W.shape[0], "V")
    return -(V @ b) - softplus(V @ W + c).sum(axis=1)


def log_partition(W: Any, b: Any, c: Any, side: str = "auto") -> float:
    """Exact log Z, summing out one layer analytically and enumerating the other.

    Args:
        W, b, c: the RBM's weights (V, H), visible and hidden biases.
        side: which layer to enumerate: "visible", "hidden" or "auto" (the smaller).

    Raises:
        ValueError: the enumerated layer has more than ``MAX_ENUMERATED_UNITS`` units.
    """
    W, b, c = _check_params(W, b, c)
    side = check_choice(side, "side", ("auto", "visible", "hidden"))
    return _log_partition(W, b, c, side)


def _log_partition(W: Any, b: Any, c: Any, side: str = "auto") -> float:
    if side == "auto":
        side = "visible" if W.shape[0] <= W.shape[1] else "hidden"
    n = W.shape[0] if side == "visible" else W.shape[1]
    if n > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"side={side!r} has {n} units; enumeration allows <= {MAX_ENUMERATED_UNITS}"
        )
    parts = []
    for S in _blocks(n):
        if side == "visible":
            parts.append(logsumexp(S @ b + softplus(S @ W + c).sum(axis=1)))
        else:
            parts.append(logsumexp(S @ c + softplus(S @ W.T + b).sum(axis=1)))
    return float(parts[0] if len(parts) == 1 else logsumexp(B.xp().stack(parts)))


def log_partition_brute_force(W: Any, b: Any, c: Any) -> float:
    """log Z by summing exp(-E) over every joint state (v, h); for tests (V + H <= 20)."""
    W, b, c = _check_params(W, b, c)
    V, H = W.shape
    if V + H > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"W has {V} + {H} units; brute force allows <= {MAX_ENUMERATED_UNITS} in all"
        )
    S = all_states(V + H)
    Sv, Sh = S[:, :V], S[:, V:]
    neg_e = Sv @ b + Sh @ c + ((Sv @ W) * Sh).sum(axis=1)
    return float(logsumexp(neg_e))


def log_likelihood(X: Any, W: Any, b: Any, c: Any) -> float:
    """Exact mean log p(x) over the rows of binary ``X`` (enumerates the smaller layer)."""
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    _check_small(W, "log_likelihood")
    return float(-free_energy(X, W, b, c).mean() - log_partition(W, b, c))


def _statistics(S: Any, w: Any, W: Any, c: Any) -> tuple[Any, Any, Any]:
    """<v h^T>, <v>, <h> over the rows ``S`` weighted by ``w``, the hidden units summed out.

    ``p(h_j = 1 | v) = sigmoid(c_j + v.W_j)``; pass ``(W.T, b)`` for the statistics
    of the hidden layer's states (the outer product then comes out transposed).
    """
    Ph = sigmoid(S @ W + c)
    return (S * w[:, None]).T @ Ph, w @ S, w @ Ph


def _model_statistics(W: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    """Exact <v h^T>, <v>, <h> under the model, enumerating the smaller layer."""
    xp = B.xp()
    V, H = W.shape
    logZ = _log_partition(W, b, c)
    vh, ev, eh = xp.zeros((V, H)), xp.zeros(V), xp.zeros(H)
    for S in _blocks(min(V, H)):
        if V <= H:  # p(v) for every visible state, hidden units summed out
            p = xp.exp(S @ b + softplus(S @ W + c).sum(axis=1) - logZ)
            block_vh, block_v, block_h = _statistics(S, p, W, c)
        else:  # p(h) for every hidden state, visible units summed out
            p = xp.exp(S @ c + softplus(S @ W.T + b).sum(axis=1) - logZ)
            block_hv, block_h, block_v = _statistics(S, p, W.T, b)
            block_vh = block_hv.T
        vh += block_vh
        ev += block_v
        eh += block_h
    return vh, ev, eh


def exact_gradient(X: Any, W: Any, b: Any, c: Any, *, weights: Any = None) -> tuple[Any, Any, Any]:
    """The exact gradient of the mean log-likelihood of ``X``: (dW, db, dc).

    ``dW = <v h^T>_data - <v h^T>_model`` with hidden probabilities in the data
    term and the model term computed by enumeration.

    Args:
        X: binary data (n, V).
        W, b, c: the parameters.
        weights: optional probabilities of the rows of ``X`` (non-negative, summing
            to 1): the gradient of ``sum_r weights_r log p(x_r)``, for training on a
            distribution over states (a deep belief net's aggregated posterior).
            Default: every row weighs ``1/n``.
    """
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    _check_small(W, "exact_gradient")
    if weights is not None:
        weights = check_array(
            weights, "weights", shape=(X.shape[0],), dtype="float64", values="nonnegative"
        )
        if abs(float(weights.sum()) - 1.0) > 1e-8:
            raise ValueError(f"weights must sum to 1; they sum to {float(weights.sum()):.6g}")
    return _exact_gradient(X, W, b, c, weights)


def _data_statistics(X: Any, W: Any, c: Any, weights: Any = None) -> tuple[Any, Any, Any]:
    n = X.shape[0]
    w = B.xp().full(n, 1.0 / n) if weights is None else weights
    return _statistics(X, w, W, c)


def _exact_gradient(X: Any, W: Any, b: Any, c: Any, weights: Any = None) -> tuple[Any, Any, Any]:
    dvh, dv, dh = _data_statistics(X, W, c, weights)
    mvh, mv, mh = _model_statistics(W, b, c)
    return dvh - mvh, dv - mv, dh - mh


def gibbs_transition_matrix(W: Any, b: Any, c: Any) -> Any:
    """T[v, v'] = sum_h p(h | v) p(v' | h): one up-down Gibbs step between visible states.

    Visible states are indexed as :func:`hinton_utils.core.binary.all_states`
    lists them (binary counting order, unit 0 first). Needs V <= 12 (a 4096 x
    4096 matrix) and H <= ``MAX_ENUMERATED_UNITS``; the hidden layer is summed in blocks.
    """
    xp = B.xp()
    W, b, c = _check_params(W, b, c)
    V, H = W.shape
    if V > _MAX_TRANSITION_VISIBLE or H > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"W has shape {(V, H)}; the transition matrix needs V <= {_MAX_TRANSITION_VISIBLE}, "
            f"H <= {MAX_ENUMERATED_UNITS}"
        )
    Sv = all_states(V)
    A = Sv @ W + c  # (2^V, H)
    log_norm_h = softplus(A).sum(axis=1)
    T = xp.zeros((1 << V, 1 << V))
    for Sh in _blocks(H):
        Ph_given_v = xp.exp(A @ Sh.T - log_norm_h[:, None])  # (2^V, block)
        Bv = Sh @ W.T + b  # (block, V)
        Pv_given_h = xp.exp(Bv @ Sv.T - softplus(Bv).sum(axis=1)[:, None])  # (block, 2^V)
        T += Ph_given_v @ Pv_given_h
    return T


def _check_transition_matrix(T: Any, n_states: int) -> Any:
    """A row-stochastic (n_states, n_states) matrix: entries >= 0, every row summing to 1."""
    T = check_array(T, "T", shape=(n_states, n_states), dtype="float64")
    if bool((T < 0).any()):
        raise ValueError("T must be a transition matrix: its entries must be non-negative")
    sums = T.sum(axis=1)
    worst = int(B.xp().abs(sums - 1.0).argmax())
    if abs(float(sums[worst]) - 1.0) > 1e-8:
        raise ValueError(
            f"T must be a transition matrix: every row must sum to 1; row {worst} sums to "
            f"{float(sums[worst]):.6g}"
        )
    return T


def cd_gradient_expectation(
    X: Any, W: Any, b: Any, c: Any, n_gibbs: int, T: Any = None
) -> tuple[Any, Any, Any]:
    """The exact expected CD-k update (dW, db, dc), k = ``n_gibbs``: the average over all noise.

    CD-k starts a chain at each data vector, runs k up-down Gibbs steps to v_k and
    uses ``<v0 p(h|v0)^T> - <v_k p(h|v_k)^T>``. Its expectation is computed from
    the k-th power of the visible transition matrix (pass ``T``, from
    :func:`gibbs_transition_matrix`, to reuse one). As k grows it tends to
    :func:`exact_gradient`.

    Raises:
        ValueError: ``T`` has the wrong shape or is not row-stochastic.
    """
    xp = B.xp()
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    n_gibbs = check_int(n_gibbs, "n_gibbs", low=1)
    n_states = 1 << W.shape[0]
    if T is None:
        T = gibbs_transition_matrix(W, b, c)
    else:
        T = _check_transition_matrix(T, n_states)
    Sv = all_states(W.shape[0])
    dist = xp.zeros((X.shape[0], n_states))
    dist[xp.arange(X.shape[0]), state_index(X)] = 1.0
    for _ in range(n_gibbs):
        dist = dist @ T
    q = dist.mean(axis=0)  # distribution of v_k, averaged over the data
    Ph = sigmoid(Sv @ W + c)
    dvh, dv, dh = _data_statistics(X, W, c)
    return dvh - (Sv * q[:, None]).T @ Ph, dv - q @ Sv, dh - q @ Ph


def gradient_cosine(g1: Any, g2: Any) -> float:
    """Cosine of the angle between two gradients given as tuples of arrays (dW, db, dc).

    The parts are flattened and joined into one vector each, then compared with
    :func:`hinton_utils.core.special.cosine_similarity` (0.0 for a zero gradient).
    """
    xp = B.xp()
    if not isinstance(g1, (tuple, list)) or not isinstance(g2, (tuple, list)):
        raise TypeError("g1 and g2 must be tuples of arrays (dW, db, dc)")
    if len(g1) != len(g2):
        raise ValueError(f"g1 and g2 must have the same number of parts; got {len(g1)}, {len(g2)}")
    a = xp.concatenate([check_array(x, "g1", dtype="float64").ravel() for x in g1])
    bb = xp.concatenate([check_array(x, "g2", dtype="float64").ravel() for x in g2])
    if a.shape != bb.shape:
        raise ValueError(f"g1 and g2 must have matching shapes; got {a.shape} and {bb.shape}")
    return cosine_similarity(a, bb)


# ----------------------------------------------------------------------------- estimates


def ais_log_partition(
    W: Any,
    b: Any,
    c: Any,
    rng: Any,
    *,
    n_betas: int = 1000,
    n_runs: int = 100,
    base_visible_bias: Any = None,
) -> tuple[float, Any]:
    """Annealed importance sampling estimate of log Z (Neal 2001; Salakhutdinov & Murray 2008).

    The path runs from a base model of independent visible units with biases
    ``b_A`` (default 0, i.e. uniform) to the RBM, through the unnormalised
    marginals ``f_beta(v) = (1 - beta) b_A.v + beta b.v + sum_j softplus(beta (c_j + v.W_j))``
    with linearly spaced ``beta``. At ``beta = 0`` that is the base model times
    ``2**H`` (``log Z_0 = sum softplus(b_A) + H log 2``); at ``beta = 1`` it is
    ``exp(-F(v))``. Each step adds ``f_beta_k(v) - f_beta_{k-1}(v)`` to a run's
    log weight and moves v by one Gibbs step that leaves ``f_beta_k`` invariant.

    Returns:
        (log Z estimate, the ``n_runs`` log importance weights). The estimate is
        ``log Z_0 + log mean exp(log w)``: unbiased for Z, so by Jensen its
        expected value is slightly *below* log Z.
    """
    xp = B.xp()
    W, b, c = _check_params(W, b, c)
    gen = B.as_generator(rng, "rng")
    n_betas = check_int(n_betas, "n_betas", low=2)
    n_runs = check_int(n_runs, "n_runs", low=1)
    V, H = W.shape
    if base_visible_bias is None:
        bA = xp.zeros(V)
    else:
        bA = check_array(base_visible_bias, "base_visible_bias", shape=(V,), dtype="float64")
    betas = xp.linspace(0.0, 1.0, n_betas)
    log_z0 = float(softplus(bA).sum()) + H * math.log(2.0)

    def f(v: Any, beta: float, A: Any) -> Any:
        return (1.0 - beta) * (v @ bA) + beta * (v @ b) + softplus(beta * A).sum(axis=1)

    v = bernoulli(xp.broadcast_to(sigmoid(bA), (n_runs, V)).copy(), gen)
    log_w = xp.zeros(n_runs)
    for k in range(1, n_betas):
        beta_prev, beta = float(betas[k - 1]), float(betas[k])
        A = v @ W + c
        log_w += f(v, beta, A) - f(v, beta_prev, A)
        h = bernoulli(sigmoid(beta * A), gen)
        v = bernoulli(sigmoid((1.0 - beta) * bA + beta * (h @ W.T + b)), gen)
    estimate = log_z0 + float(logsumexp(log_w)) - math.log(n_runs)
    return estimate, log_w


def pseudo_log_likelihood(
    X: Any, W: Any, b: Any, c: Any, *, chunk_elements: int = 1 << 22
) -> float:
    """Mean over rows of sum_i log p(x_i | x_-i), exactly (every bit, no sampling).

    ``p(x_i | x_-i) = sigmoid(F(x with bit i flipped) - F(x))``. The cost is
    n * V * H softplus evaluations, done in chunks of rows. (scikit-learn's
    ``score_samples`` instead flips one random bit per row and multiplies by V.)
    """
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    chunk_elements = check_int(chunk_elements, "chunk_elements", low=1)
    V, H = W.shape
    rows = max(1, chunk_elements // (V * H))
    total = 0.0
    for start in range(0, X.shape[0], rows):
        x = X[start : start + rows]
        A = x @ W + c  # (n, H)
        sp = softplus(A).sum(axis=1)  # (n,)
        delta = 1.0 - 2.0 * x  # +1 turns a bit on, -1 off: (n, V)
        flipped = softplus(A[:, None, :] + delta[:, :, None] * W[None, :, :]).sum(axis=2)
        # F(flip) - F(x) = -b_i delta_i - (sp_flip - sp)
        diff = -(delta * b) - (flipped - sp[:, None])
        total += float(-softplus(-diff).sum())
    return total / X.shape[0]


# ----------------------------------------------------------------------------- one CD step, plainly


def cd_step(
    X: Any, W: Any, b: Any, c: Any, *, n_gibbs: int = 1, rng: Any, chain: Any = None
) -> tuple[tuple[Any, Any, Any], Any]:
    """One CD-k (or PCD-k) estimate of the log-likelihood gradient on a batch, written to be read.

    The reference for :class:`RBM`'s fast update (``RBM(fast=False)`` trains with
    this function; a test checks that both give the same weights in float64).

    Args:
        X: a batch of binary data (n, V).
        W, b, c: the current parameters.
        n_gibbs: k, the up-down Gibbs steps of the negative phase.
        rng: int seed or Generator for the sampling noise (advanced when a Generator
            is passed).
        chain: ``None`` for CD (the chains start at the data), or the persistent
            hidden states (n, H) for PCD.

    Returns:
        ``((dW, db, dc), chain)``: the update direction (ascent on the likelihood)
        and, for PCD, the chains' next hidden states (``None`` for CD).
    """
    dtype = "float32" if getattr(W, "dtype", None) == "float32" else "float64"
    W, b, c = _check_params(W, b, c, dtype=dtype)
    X = _check_visible(X, W.shape[0], dtype=W.dtype)
    n_gibbs = check_int(n_gibbs, "n_gibbs", low=1)
    gen = B.as_generator(rng, "rng")
    if chain is not None:
        chain = check_array(chain, "chain", shape=(X.shape[0], W.shape[1]), values="binary")
    ph_data = sigmoid(X @ W + c)  # the wake phase takes one step: p(h | data)
    h = bernoulli(ph_data, gen) if chain is None else chain
    for step in range(n_gibbs):  # the sleep phase: k steps down and up again
        v = bernoulli(sigmoid(h @ W.T + b), gen)
        ph_model = sigmoid(v @ W + c)
        if step < n_gibbs - 1:
            h = bernoulli(ph_model, gen)
    n = X.shape[0]
    dW = (X.T @ ph_data - v.T @ ph_model) / n  # <v h>_data - <v h>_after k steps
    db = (X - v).sum(axis=0) / n
    dc = (ph_data - ph_model).sum(axis=0) / n
    next_chain = None if chain is None else bernoulli(ph_model, gen)
    return (dW, db, dc), next_chain


# ----------------------------------------------------------------------------- the estimator


class RBM(Estimator):
    """A binary-binary RBM in scikit-learn's style, trained by CD-k, PCD-k or the exact gradient.

    Args:
        n_hidden: number of hidden units H.
        method: "cd" (contrastive divergence, chains restart at the data),
            "pcd" (persistent chains, one per batch row, as scikit-learn's
            ``BernoulliRBM``), or "exact" (enumerated model statistics; needs
            min(V, H) <= 20).
        n_gibbs: Gibbs steps per update (the k of CD-k / PCD-k).
        learning_rate: step size on the mean gradient of a batch.
        batch_size: rows per update.
        n_epochs: passes over the data in :meth:`fit`.
        momentum: classical momentum on all parameters (0 = plain SGD), as
            :func:`hinton_utils.core.optim.momentum_step`.
        weight_decay: L2 penalty on W (not the biases).
        init_scale: standard deviation of the initial weights.
        init_visible: "zeros" or "data" (visible biases set to the logit of the
            data means, as Hinton's practical guide recommends).
        shuffle: reshuffle rows every epoch (False: fixed order, as scikit-learn).
        fast: True (default) for the buffer-reusing update; False for the plain
            :func:`cd_step`, which a reader can follow line by line. In float64
            both give the same weights from the same seed.
        dtype: "float32" (fast, default) or "float64" (for exact comparisons).
        rng: int seed or Generator. Every :meth:`fit` starts from a fresh
            generator derived from it (a Generator passed here is never advanced).

    Attributes (after fitting):
        W_ (V, H), b_ (V,), c_ (H,): parameters; ``components_`` is ``W_.T``.
        chain_ (batch_size, H): the persistent hidden chain (method "pcd").
        n_features_in_: V.
    """

    def __init__(
        self,
        n_hidden: int = 64,
        *,
        method: str = "cd",
        n_gibbs: int = 1,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_epochs: int = 10,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        init_scale: float = 0.01,
        init_visible: str = "zeros",
        shuffle: bool = True,
        fast: bool = True,
        dtype: str = "float32",
        rng: Any = 0,
    ) -> None:
        self.n_hidden = check_int(n_hidden, "n_hidden", low=1)
        self.method = check_choice(method, "method", METHODS)
        self.n_gibbs = check_int(n_gibbs, "n_gibbs", low=1)
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self.n_epochs = check_int(n_epochs, "n_epochs", low=0)
        self.momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0)
        self.init_scale = check_real(init_scale, "init_scale", low=0)
        self.init_visible = check_choice(init_visible, "init_visible", ("zeros", "data"))
        for name, flag in (("shuffle", shuffle), ("fast", fast)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool; got {type(flag).__name__}")
        self.shuffle = shuffle
        self.fast = fast
        self.dtype = check_choice(dtype, "dtype", ("float32", "float64"))
        self.rng = check_rng(rng)

    # -- set-up ------------------------------------------------------------------

    @property
    def components_(self) -> Any:
        """The weights as scikit-learn stores them, shape (H, V)."""
        self._check_is_fitted("W_")
        return self.W_.T

    def _check_X(self, X: Any, name: str = "X") -> Any:
        n_features = getattr(self, "n_features_in_", None)
        return check_array(
            X, name, ndim=2, shape=(None, n_features), dtype=self.dtype, values="binary"
        )

    def _initialize(self, X: Any) -> None:
        """Fresh parameters and a fresh training generator (what ``fit`` starts from)."""
        xp = B.xp()
        V, H = X.shape[1], self.n_hidden
        if self.method == "exact" and min(V, H) > MAX_ENUMERATED_UNITS:
            raise ValueError(
                f"method='exact' needs min(V, H) <= {MAX_ENUMERATED_UNITS}; got V={V}, H={H}"
            )
        self._gen = self._fit_generator()
        self.n_features_in_ = V
        self.W_ = (self.init_scale * self._gen.standard_normal((V, H))).astype(self.dtype)
        if self.init_visible == "data":
            p = xp.clip(X.mean(axis=0).astype("float64"), 1e-3, 1 - 1e-3)
            self.b_ = xp.log(p / (1 - p)).astype(self.dtype)
        else:
            self.b_ = xp.zeros(V, dtype=self.dtype)
        self.c_ = xp.zeros(H, dtype=self.dtype)
        self.chain_ = xp.zeros((self.batch_size, H), dtype=self.dtype)
        self._velocity: list[Any] | None = None
        self._buffers: dict[str, Any] = {}

    def _buf(self, name: str, shape: tuple[int, ...]) -> Any:
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = B.xp().empty(shape, dtype=self.dtype)
            self._buffers[name] = buf
        return buf

    # -- one update --------------------------------------------------------------

    def _step(self, X: Any) -> None:
        """One gradient step on the batch ``X`` (already checked, self.dtype, contiguous)."""
        if self.method == "exact":  # enumerated model statistics, in float64
            params = (a.astype("float64") for a in (self.W_, self.b_, self.c_))
            grads = _exact_gradient(X.astype("float64"), *params)
            self._apply(*(-g.astype(self.dtype) for g in grads))
        elif self.fast:
            self._update(X)
        else:
            self._reference_update(X)

    def _reference_update(self, X: Any) -> None:
        """The plain path: :func:`cd_step`, then the shared parameter update."""
        n = X.shape[0]
        chain = self.chain_[:n] if self.method == "pcd" else None
        (dW, db, dc), chain = cd_step(
            X, self.W_, self.b_, self.c_, n_gibbs=self.n_gibbs, rng=self._gen, chain=chain
        )
        if chain is not None:
            self.chain_[:n] = chain
        self._apply(-dW, -db, -dc)  # the loss gradient is minus the CD update

    def _update(self, X: Any) -> None:
        """:func:`cd_step` and :meth:`_apply` fused, reusing preallocated buffers.

        The same random draws in the same order as :func:`cd_step`; the products
        of both phases are stacked so that each is one matrix multiplication.
        """
        xp = B.xp()
        n, V = X.shape
        H = self.n_hidden
        W, b, c, gen = self.W_, self.b_, self.c_, self._gen
        VV = self._buf("VV", (2 * n, V))  # rows [:n] data, [n:] negative visibles
        HH = self._buf("HH", (2 * n, H))  # rows [:n] p(h|data), [n:] p(h|negatives)
        UV = self._buf("UV", (n, V))
        UH = self._buf("UH", (n, H))
        VV[:n] = X
        vpos, vneg = VV[:n], VV[n:]
        hpos, hneg = HH[:n], HH[n:]
        if self.method == "cd":
            xp.matmul(vpos, W, out=hpos)
            sigmoid_(hpos, c)
            bernoulli_(hpos, UH, gen)  # UH: sampled hidden states
            hstate = UH
        else:  # pcd: the persistent hidden chain, one row per batch row
            hstate = self.chain_[:n]
        for step in range(self.n_gibbs):
            if step > 0:
                xp.matmul(vneg, W, out=hneg)
                sigmoid_(hneg, c)
                bernoulli_(hneg, UH, gen)
                hstate = UH
            xp.matmul(hstate, W.T, out=UV)
            sigmoid_(UV, b)
            bernoulli_(UV, vneg, gen)  # sampled negative visibles, written in place
        if self.method == "pcd":
            xp.matmul(VV, W, out=HH)  # both phases in one product
            sigmoid_(HH, c)
            # advance the persistent chain from the negative-phase probabilities
            bernoulli_(hneg, self.chain_[:n], gen)
        else:
            xp.matmul(vneg, W, out=hneg)
            sigmoid_(hneg, c)
        plain_sgd = not (self.momentum or self.weight_decay)
        # plain SGD folds the learning rate in too, so that W takes the step as it is
        scale = (self.learning_rate if plain_sgd else 1.0) / n
        HH[:n] *= -scale  # scale the (2n, H) factor, not the larger (V, H) product, and
        HH[n:] *= scale  # negate the positives: VV.T @ HH = scale (<vh>_neg - <vh>_pos)
        signs = self._buf("signs", (2 * n,))
        signs[:n], signs[n:] = -1.0, 1.0
        gb = signs @ VV  # sum(v_neg) - sum(v_pos), as one matrix-vector product
        gb *= scale
        gc = HH.sum(axis=0)
        gW = self._buf("GW", (V, H))
        xp.matmul(VV.T, HH, out=gW)  # the loss gradient: minus the CD update
        if plain_sgd:
            W -= gW
            self.b_ -= gb
            self.c_ -= gc
        else:
            self._apply(gW, gb, gc)

    def _apply(self, gW: Any, gb: Any, gc: Any) -> None:
        """Descend the loss gradient (minus the CD update), with weight decay and momentum."""
        xp = B.xp()
        if self.weight_decay:
            gW += self.weight_decay * self.W_
        params = (self.W_, self.b_, self.c_)
        if self._velocity is None:
            self._velocity = [xp.zeros_like(p) for p in params]
        for p, g, vel in zip(params, (gW, gb, gc), self._velocity, strict=True):
            momentum_step(p, g, vel, self.learning_rate, self.momentum)

    # -- public API --------------------------------------------------------------

    def fit(self, X: Any) -> RBM:
        """(Re)initialise and train for ``n_epochs`` passes over binary ``X`` (n, V).

        Starts from a fresh generator derived from ``rng``: fitting twice gives
        the same weights.
        """
        X = check_array(X, "X", ndim=2, dtype=self.dtype, values="binary")
        self._initialize(X)
        for _ in range(self.n_epochs):
            self._epoch(X)
        return self

    def _epoch(self, X: Any) -> None:
        xp = B.xp()
        n = X.shape[0]
        bs = n if self.method == "exact" else self.batch_size
        if self.shuffle and bs < n:
            order = xp.argsort(self._gen.random(n))
            Xs = xp.take(X, order, axis=0)
        else:
            Xs = X
        for start in range(0, n, bs):
            self._step(xp.ascontiguousarray(Xs[start : start + bs]))

    def initialize_from(self, W: Any, b: Any, c: Any) -> RBM:
        """Start from given parameters instead of random ones, then train with ``partial_fit``.

        Stacking uses this: a new layer starts from the transposed weights of the
        layer below (``dbn.transposed_layer``). ``fit`` would reinitialise.

        Args:
            W: weights, shape (V, n_hidden).
            b: visible biases, shape (V,).
            c: hidden biases, shape (n_hidden,).
        """
        W, b, c = _check_params(W, b, c, dtype=self.dtype)
        if W.shape[1] != self.n_hidden:
            raise ValueError(
                f"W must have n_hidden={self.n_hidden} columns; got shape {tuple(W.shape)}"
            )
        self._initialize(B.xp().zeros((1, W.shape[0]), dtype=self.dtype))
        self.W_, self.b_, self.c_ = W.copy(), b.copy(), c.copy()
        return self

    def partial_fit(self, X: Any) -> RBM:
        """One gradient step with ``X`` as the batch (initialises on the first call).

        The first call starts a training generator from ``rng``, as ``fit`` does;
        later calls continue it. With method "pcd" the batch may not have more
        rows than ``batch_size`` (the number of persistent chains).
        """
        fitted = getattr(self, "W_", None) is not None
        X = (
            self._check_X(X)
            if fitted
            else check_array(X, "X", ndim=2, dtype=self.dtype, values="binary")
        )
        if not fitted:
            self._initialize(X)
        if self.method == "pcd" and X.shape[0] > self.batch_size:
            raise ValueError(
                f"X has {X.shape[0]} rows; with method='pcd' a batch holds at most "
                f"batch_size={self.batch_size}"
            )
        self._step(B.xp().ascontiguousarray(X))
        return self

    def transform(self, X: Any) -> Any:
        """Hidden probabilities p(h_j = 1 | x), shape (n, H).

        ``X`` may hold binary states or probabilities in [0, 1] (a layer below's
        mean-field output, as a deep belief net passes it up).
        """
        self._check_is_fitted("W_")
        X = _check_unit_interval(X, self.n_features_in_, "X", self.dtype)
        return sigmoid(X @ self.W_ + self.c_)

    def free_energy(self, X: Any) -> Any:
        """F(x) per row, in float64 (rows may be probabilities, as in :func:`free_energy`)."""
        self._check_is_fitted("W_")
        X = _check_unit_interval(X, self.n_features_in_, "X")
        return free_energy(X, *self._params64())

    def _params64(self) -> tuple[Any, Any, Any]:
        return tuple(a.astype("float64") for a in (self.W_, self.b_, self.c_))

    def _sampling_generator(self, rng: Any) -> Any:
        # rng=None: a fresh generator derived from the constructor's rng, every call
        return self._fit_generator() if rng is None else B.as_generator(rng, "rng")

    def gibbs(self, V: Any, n_gibbs: int, *, rng: Any = None, record_at: Any = None) -> Any:
        """Run up-down Gibbs chains from binary visible states ``V`` (n, V).

        Args:
            V: starting visible states, one chain per row.
            n_gibbs: number of up-down steps.
            rng: int seed or Generator for the sampling noise (a Generator is
                advanced). ``None``: a fresh generator derived from the
                constructor's ``rng`` on every call, so repeated calls agree.
            record_at: optional increasing step counts (0..n_gibbs); if given,
                return the visible *probabilities* p(v | h) at those steps (step 0
                records the start itself), shape (len(record_at), n, V).

        Returns:
            The final binary visible states (n, V), or the recorded stack.
        """
        xp = B.xp()
        self._check_is_fitted("W_")
        V0 = self._check_X(V, "V")
        n_gibbs = check_int(n_gibbs, "n_gibbs", low=0)
        gen = self._sampling_generator(rng)
        marks: list[int] = []
        if record_at is not None:
            marks = [check_int(m, "record_at", low=0, high=n_gibbs) for m in record_at]
            if any(b2 <= a2 for a2, b2 in zip(marks, marks[1:])) or not marks:
                raise ValueError("record_at must be a non-empty increasing sequence of steps")
        frames = [V0.copy()] if marks and marks[0] == 0 else []
        v, _ = self._run_chains(V0.copy(), n_gibbs, gen, frames, marks)
        return xp.stack(frames) if marks else v

    def _run_chains(
        self, v: Any, n_gibbs: int, gen: Any, frames: list[Any] | None = None, marks: Any = ()
    ) -> tuple[Any, Any]:
        """``n_gibbs`` up-down steps from ``v``: the last states and the last p(v | h)."""
        pv = v
        for step in range(1, n_gibbs + 1):
            h = bernoulli(sigmoid(v @ self.W_ + self.c_), gen)
            pv = sigmoid(h @ self.W_.T + self.b_)
            v = bernoulli(pv, gen)
            if step in marks and frames is not None:
                frames.append(pv)
        return v, pv

    def fantasy_particles(self) -> Any:
        """What the persistent chains show now: ``p(v | h_chain)``, one row per chain.

        Persistent CD keeps one Gibbs chain per batch row running across weight
        updates (Tieleman's "fantasy particles"). Learning keeps raising the energy
        wherever these chains sit, which pushes them on to other modes, so they
        explore far more than a chain run on the frozen model does.
        """
        self._check_is_fitted("W_")
        if self.method != "pcd":
            raise ValueError(
                f"fantasy_particles needs method='pcd' (persistent chains); this RBM uses "
                f"method={self.method!r}"
            )
        return sigmoid(self.chain_ @ self.W_.T + self.b_)

    def sample(
        self,
        n_samples: int,
        *,
        n_gibbs: int = 1000,
        rng: Any = None,
        init: Any = None,
        probabilities: bool = False,
    ) -> Any:
        """Draw ``n_samples`` visible vectors after ``n_gibbs`` Gibbs steps of the frozen model.

        Args:
            n_samples: number of independent chains.
            n_gibbs: up-down steps per chain.
            rng: int seed or Generator for the noise (a Generator is advanced).
                ``None``: a fresh generator derived from the constructor's ``rng``
                on every call, so ``sample`` repeats itself as ``fit`` does.
            init: binary starting states (n_samples, V); by default independent
                visible units with the model's visible biases.
            probabilities: return the last step's p(v | h) instead of the states.

        Returns:
            Binary visible states (n_samples, V), or their probabilities.
        """
        self._check_is_fitted("W_")
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_gibbs = check_int(n_gibbs, "n_gibbs", low=0)
        if not isinstance(probabilities, bool):
            raise TypeError(f"probabilities must be a bool; got {type(probabilities).__name__}")
        gen = self._sampling_generator(rng)
        V = self.n_features_in_
        if init is None:
            init = bernoulli(B.xp().broadcast_to(sigmoid(self.b_), (n_samples, V)).copy(), gen)
        else:
            init = self._check_X(init, "init")
            if init.shape[0] != n_samples:
                raise ValueError(f"init must have shape ({n_samples}, {V}); got {init.shape}")
        v, pv = self._run_chains(init, n_gibbs, gen)
        return pv if probabilities else v

    def log_partition(self) -> float:
        """Exact log Z (float64), enumerating the smaller layer (needs min(V, H) <= 20)."""
        self._check_is_fitted("W_")
        _check_small(self.W_, "log_partition")
        return log_partition(*self._params64())

    def score(self, X: Any, kind: str = "auto") -> float:
        """Mean log-likelihood of binary ``X`` per row, in nats (higher is better).

        Args:
            X: binary data (n, V).
            kind: "exact" (the log-likelihood, enumerating the smaller layer;
                min(V, H) <= 20), "pseudo" (the exact pseudo-log-likelihood
                sum_i log p(x_i | x_-i), every bit, also higher-is-better), or
                "auto": exact when min(V, H) <= 20, otherwise pseudo.
        """
        self._check_is_fitted("W_")
        X = self._check_X(X)
        kind = check_choice(kind, "kind", ("auto", "exact", "pseudo"))
        if kind == "auto":
            kind = "exact" if min(self.W_.shape) <= MAX_ENUMERATED_UNITS else "pseudo"
        params = self._params64()
        X = X.astype("float64")
        if kind == "exact":
            return log_likelihood(X, *params)
        return pseudo_log_likelihood(X, *params)

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error per row between ``X`` and its mean-field reconstruction."""
        self._check_is_fitted("W_")
        X = _check_unit_interval(X, self.n_features_in_, "X", self.dtype)
        P = sigmoid(sigmoid(X @ self.W_ + self.c_) @ self.W_.T + self.b_)
        return float(((X - P) ** 2).sum(axis=1).mean())


# ----------------------------------------------------------------------------- experiments


def likelihood_curve(
    X: Any,
    *,
    n_hidden: int,
    method: str,
    n_gibbs: int = 1,
    learning_rate: float = 0.1,
    n_epochs: int = 1000,
    eval_every: int = 50,
    batch_size: int | None = None,
    snapshot_at: Any = (),
    rng: Any,
) -> dict[str, Any]:
    """Train an RBM (float64) and record its exact mean log-likelihood on ``X`` along the way.

    Args:
        X: binary training data (n, V), also the evaluation set.
        n_hidden, method, n_gibbs, learning_rate: as in :class:`RBM`.
        n_epochs: passes over the data; ``batch_size`` defaults to full batch.
        eval_every: epochs between exact evaluations.
        snapshot_at: epochs at which to keep a copy of (W, b, c).
        rng: int seed or Generator, given to the :class:`RBM` (which copies a
            Generator: the caller's is not advanced).

    Returns:
        dict with "epochs" (list), "log_likelihood" (list of floats), "model"
        (the trained :class:`RBM`) and "snapshots" ({epoch: (W, b, c)}).
    """
    X = check_array(X, "X", ndim=2, dtype="float64", values="binary")
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    eval_every = check_int(eval_every, "eval_every", low=1)
    bs = X.shape[0] if batch_size is None else check_int(batch_size, "batch_size", low=1)
    snaps = {check_int(s, "snapshot_at", low=0, high=n_epochs) for s in snapshot_at}
    if min(X.shape[1], check_int(n_hidden, "n_hidden", low=1)) > MAX_ENUMERATED_UNITS:
        raise ValueError(f"n_hidden={n_hidden} and V={X.shape[1]}: too large to evaluate exactly")
    model = RBM(
        n_hidden,
        method=method,
        n_gibbs=n_gibbs,
        learning_rate=learning_rate,
        batch_size=bs,
        n_epochs=0,
        dtype="float64",
        rng=rng,
    ).fit(X)
    epochs, lls, snapshots = [0], [model.score(X, "exact")], {}
    if 0 in snaps:
        snapshots[0] = tuple(a.copy() for a in (model.W_, model.b_, model.c_))
    for epoch in range(1, n_epochs + 1):
        model._epoch(X)
        if epoch % eval_every == 0 or epoch == n_epochs:
            epochs.append(epoch)
            lls.append(model.score(X, "exact"))
        if epoch in snaps:
            snapshots[epoch] = tuple(a.copy() for a in (model.W_, model.b_, model.c_))
    return {"epochs": epochs, "log_likelihood": lls, "model": model, "snapshots": snapshots}
