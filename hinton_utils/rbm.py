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
* the :class:`RBM` estimator (``fit``, ``partial_fit``, ``transform``,
  ``sample``, ``score``, ``free_energy``), trained by CD-k, PCD-k or the exact
  gradient, with a float32 inner loop that reuses preallocated buffers;
* :func:`likelihood_curve` for the chapter's bars-and-stripes experiments;
* a miniature Netflix problem: :func:`synthetic_ratings`,
  :func:`ratings_rbm_predict` (an RBM per user with shared weights, binary
  like/dislike visibles, after Salakhutdinov, Mnih & Hinton 2007),
  :func:`matrix_factorization_predict` and :func:`rmse`.
"""

from __future__ import annotations

import math
from typing import Any

from .core import backend as B
from .core.special import bernoulli, bernoulli_, logsumexp, sigmoid, sigmoid_, softplus
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "RBM",
    "ais_log_partition",
    "cd_gradient_expectation",
    "energy",
    "exact_gradient",
    "free_energy",
    "gibbs_transition_matrix",
    "gradient_cosine",
    "likelihood_curve",
    "log_likelihood",
    "log_partition",
    "log_partition_brute_force",
    "matrix_factorization_predict",
    "pseudo_log_likelihood",
    "ratings_rbm_predict",
    "rmse",
    "synthetic_ratings",
]

#: Largest layer we enumerate (2**20 states, in chunks).
MAX_ENUMERATED = 20
_CHUNK = 1 << 14
METHODS = ("cd", "pcd", "exact")


# ----------------------------------------------------------------------------- helpers


def _states(start: int, stop: int, n: int, dtype: str = "float64") -> Any:
    """Rows ``start..stop-1`` of all 2**n binary states, most significant bit first."""
    xp = B.xp()
    idx = xp.arange(start, stop, dtype=xp.int64)
    shifts = xp.arange(n - 1, -1, -1, dtype=xp.int64)
    return ((idx[:, None] >> shifts[None, :]) & 1).astype(dtype)


def _chunks(n: int) -> Any:
    total = 1 << n
    for start in range(0, total, _CHUNK):
        yield _states(start, min(start + _CHUNK, total), n)


def _check_params(W: Any, b: Any, c: Any, dtype: str = "float64") -> tuple[Any, Any, Any]:
    W = check_array(W, "W", ndim=2, dtype=dtype)
    V, H = W.shape
    b = check_array(b, "b", shape=(V,), dtype=dtype)
    c = check_array(c, "c", shape=(H,), dtype=dtype)
    return W, b, c


def _check_small(W: Any, what: str) -> None:
    if min(W.shape) > MAX_ENUMERATED:
        raise ValueError(
            f"W has shape {tuple(W.shape)}: {what} enumerates the smaller layer and needs "
            f"min(V, H) <= {MAX_ENUMERATED}; use ais_log_partition or pseudo_log_likelihood"
        )


def _check_visible(X: Any, V: int, name: str = "X", dtype: str = "float64") -> Any:
    return check_array(X, name, ndim=2, shape=(None, V), dtype=dtype, values="binary")


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
    V = check_array(V, "V", ndim=2, shape=(None, W.shape[0]), dtype="float64")
    if bool(((V < 0) | (V > 1)).any()):
        raise ValueError("V must lie in [0, 1]")
    return -(V @ b) - softplus(V @ W + c).sum(axis=1)


def log_partition(W: Any, b: Any, c: Any, side: str = "auto") -> float:
    """Exact log Z, summing out one layer analytically and enumerating the other.

    Args:
        W, b, c: the RBM's weights (V, H), visible and hidden biases.
        side: which layer to enumerate: "visible", "hidden" or "auto" (the smaller).

    Raises:
        ValueError: the enumerated layer has more than ``MAX_ENUMERATED`` units.
    """
    W, b, c = _check_params(W, b, c)
    side = check_choice(side, "side", ("auto", "visible", "hidden"))
    return _log_partition(W, b, c, side)


def _log_partition(W: Any, b: Any, c: Any, side: str = "auto") -> float:
    if side == "auto":
        side = "visible" if W.shape[0] <= W.shape[1] else "hidden"
    n = W.shape[0] if side == "visible" else W.shape[1]
    if n > MAX_ENUMERATED:
        raise ValueError(f"side={side!r} has {n} units; enumeration allows <= {MAX_ENUMERATED}")
    if n <= 14:  # one block: no chunking overhead
        S = _states(0, 1 << n, n)
        if side == "visible":
            return float(logsumexp(S @ b + softplus(S @ W + c).sum(axis=1)))
        return float(logsumexp(S @ c + softplus(S @ W.T + b).sum(axis=1)))
    parts = []
    for S in _chunks(n):
        if side == "visible":
            parts.append(logsumexp(S @ b + softplus(S @ W + c).sum(axis=1)))
        else:
            parts.append(logsumexp(S @ c + softplus(S @ W.T + b).sum(axis=1)))
    xp = B.xp()
    return float(logsumexp(xp.stack(parts)))


def log_partition_brute_force(W: Any, b: Any, c: Any) -> float:
    """log Z by summing exp(-E) over every joint state (v, h); for tests (V + H <= 20)."""
    W, b, c = _check_params(W, b, c)
    V, H = W.shape
    if V + H > MAX_ENUMERATED:
        raise ValueError(f"W has {V} + {H} units; brute force allows <= {MAX_ENUMERATED}")
    S = _states(0, 1 << (V + H), V + H)
    Sv, Sh = S[:, :V], S[:, V:]
    neg_e = Sv @ b + Sh @ c + ((Sv @ W) * Sh).sum(axis=1)
    return float(logsumexp(neg_e))


def log_likelihood(X: Any, W: Any, b: Any, c: Any) -> float:
    """Exact mean log p(x) over the rows of binary ``X`` (enumerates the smaller layer)."""
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    _check_small(W, "log_likelihood")
    return float(-free_energy(X, W, b, c).mean() - log_partition(W, b, c))


def _model_statistics(W: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    """Exact <v h^T>, <v>, <h> under the model, enumerating the smaller layer."""
    xp = B.xp()
    V, H = W.shape
    if V <= 14 and V <= H:  # one block: share the softplus between log Z and p(v)
        S = _states(0, 1 << V, V)
        A = S @ W + c
        logits = S @ b + softplus(A).sum(axis=1)
        p = xp.exp(logits - logsumexp(logits))
        Ph = sigmoid(A)
        return (S * p[:, None]).T @ Ph, p @ S, p @ Ph
    logZ = _log_partition(W, b, c)
    vh, ev, eh = xp.zeros((V, H)), xp.zeros(V), xp.zeros(H)
    if V <= H:
        for S in _chunks(V):
            p = xp.exp(S @ b + softplus(S @ W + c).sum(axis=1) - logZ)
            Ph = sigmoid(S @ W + c)
            vh += (S * p[:, None]).T @ Ph
            ev += p @ S
            eh += p @ Ph
    else:
        for S in _chunks(H):
            p = xp.exp(S @ c + softplus(S @ W.T + b).sum(axis=1) - logZ)
            Pv = sigmoid(S @ W.T + b)
            vh += (Pv * p[:, None]).T @ S
            ev += p @ Pv
            eh += p @ S
    return vh, ev, eh


def _data_statistics(X: Any, W: Any, c: Any) -> tuple[Any, Any, Any]:
    Ph = sigmoid(X @ W + c)
    n = X.shape[0]
    return X.T @ Ph / n, X.mean(axis=0), Ph.mean(axis=0)


def exact_gradient(X: Any, W: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    """The exact gradient of the mean log-likelihood of ``X``: (dW, db, dc).

    ``dW = <v h^T>_data - <v h^T>_model`` with hidden probabilities in the data
    term and the model term computed by enumeration.
    """
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    _check_small(W, "exact_gradient")
    dvh, dv, dh = _data_statistics(X, W, c)
    mvh, mv, mh = _model_statistics(W, b, c)
    return dvh - mvh, dv - mv, dh - mh


def gibbs_transition_matrix(W: Any, b: Any, c: Any) -> Any:
    """T[v, v'] = sum_h p(h | v) p(v' | h): one up-down Gibbs step between visible states.

    Visible states are indexed in binary counting order (most significant bit
    first). Needs V <= 12 (a 4096 x 4096 matrix) and H <= ``MAX_ENUMERATED``;
    the hidden layer is summed in chunks.
    """
    xp = B.xp()
    W, b, c = _check_params(W, b, c)
    V, H = W.shape
    if V > 12 or H > MAX_ENUMERATED:
        raise ValueError(f"W has shape {(V, H)}; the transition matrix needs V <= 12, H <= 20")
    Sv = _states(0, 1 << V, V)
    A = Sv @ W + c  # (2^V, H)
    log_norm_h = softplus(A).sum(axis=1)
    T = xp.zeros((1 << V, 1 << V))
    for Sh in _chunks(H):
        Ph_given_v = xp.exp(A @ Sh.T - log_norm_h[:, None])  # (2^V, chunk)
        Bv = Sh @ W.T + b  # (chunk, V)
        Pv_given_h = xp.exp(Bv @ Sv.T - softplus(Bv).sum(axis=1)[:, None])  # (chunk, 2^V)
        T += Ph_given_v @ Pv_given_h
    return T


def _state_index(X: Any) -> Any:
    xp = B.xp()
    n = X.shape[1]
    weights = 2 ** xp.arange(n - 1, -1, -1, dtype=xp.int64)
    return (X.astype(xp.int64) * weights).sum(axis=1)


def cd_gradient_expectation(
    X: Any, W: Any, b: Any, c: Any, k: int, T: Any = None
) -> tuple[Any, Any, Any]:
    """The exact expected CD-k update (dW, db, dc): the average over all sampling noise.

    CD-k starts a chain at each data vector, runs k up-down Gibbs steps to v_k and
    uses ``<v0 p(h|v0)^T> - <v_k p(h|v_k)^T>``. Its expectation is computed from
    the k-th power of the visible transition matrix (pass ``T`` to reuse one).
    As k grows it tends to :func:`exact_gradient`.
    """
    xp = B.xp()
    W, b, c = _check_params(W, b, c)
    X = _check_visible(X, W.shape[0])
    k = check_int(k, "k", low=1)
    if T is None:
        T = gibbs_transition_matrix(W, b, c)
    else:
        n_states = 1 << W.shape[0]
        T = check_array(T, "T", shape=(n_states, n_states), dtype="float64")
    Sv = _states(0, 1 << W.shape[0], W.shape[0])
    start = xp.zeros((X.shape[0], Sv.shape[0]))
    start[xp.arange(X.shape[0]), _state_index(X)] = 1.0
    dist = start
    for _ in range(k):
        dist = dist @ T
    q = dist.mean(axis=0)  # distribution of v_k, averaged over the data
    Ph = sigmoid(Sv @ W + c)
    dvh, dv, dh = _data_statistics(X, W, c)
    return dvh - (Sv * q[:, None]).T @ Ph, dv - q @ Sv, dh - q @ Ph


def gradient_cosine(g1: Any, g2: Any) -> float:
    """Cosine of the angle between two gradients given as tuples of arrays (dW, db, dc)."""
    xp = B.xp()
    if not isinstance(g1, (tuple, list)) or not isinstance(g2, (tuple, list)):
        raise TypeError("g1 and g2 must be tuples of arrays (dW, db, dc)")
    if len(g1) != len(g2):
        raise ValueError(f"g1 and g2 must have the same number of parts; got {len(g1)}, {len(g2)}")
    a = xp.concatenate([check_array(x, "g1", dtype="float64").ravel() for x in g1])
    bb = xp.concatenate([check_array(x, "g2", dtype="float64").ravel() for x in g2])
    if a.shape != bb.shape:
        raise ValueError(f"g1 and g2 must have matching shapes; got {a.shape} and {bb.shape}")
    na, nb = float(xp.linalg.norm(a)), float(xp.linalg.norm(bb))
    if na == 0 or nb == 0:
        raise ValueError("g1 and g2 must be non-zero")
    return float(a @ bb) / (na * nb)


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


# ----------------------------------------------------------------------------- the estimator


class RBM:
    """A binary-binary RBM in scikit-learn's style, trained by CD-k, PCD-k or the exact gradient.

    Args:
        n_hidden: number of hidden units H.
        method: "cd" (contrastive divergence, chains restart at the data),
            "pcd" (persistent chains, one per batch row, as scikit-learn's
            ``BernoulliRBM``), or "exact" (enumerated model statistics; needs
            min(V, H) <= 20).
        k: Gibbs steps per update (CD-k / PCD-k).
        learning_rate: step size on the mean gradient of a batch.
        batch_size: rows per update.
        n_epochs: passes over the data in :meth:`fit`.
        momentum: classical momentum on all parameters (0 = plain SGD).
        weight_decay: L2 penalty on W (not the biases).
        init_scale: standard deviation of the initial weights.
        init_visible: "zeros" or "data" (visible biases set to the logit of the
            data means, as Hinton's practical guide recommends).
        shuffle: reshuffle rows every epoch (False: fixed order, as scikit-learn).
        dtype: "float32" (fast, default) or "float64" (for exact comparisons).
        rng: int seed or Generator; all randomness of training comes from it.

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
        k: int = 1,
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_epochs: int = 10,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        init_scale: float = 0.01,
        init_visible: str = "zeros",
        shuffle: bool = True,
        dtype: str = "float32",
        rng: Any = 0,
    ) -> None:
        self.n_hidden = check_int(n_hidden, "n_hidden", low=1)
        self.method = check_choice(method, "method", METHODS)
        self.k = check_int(k, "k", low=1)
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self.n_epochs = check_int(n_epochs, "n_epochs", low=0)
        self.momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0)
        self.init_scale = check_real(init_scale, "init_scale", low=0)
        self.init_visible = check_choice(init_visible, "init_visible", ("zeros", "data"))
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be a bool; got {type(shuffle).__name__}")
        self.shuffle = shuffle
        self.dtype = check_choice(dtype, "dtype", ("float32", "float64"))
        self.rng = B.as_generator(rng, "rng")
        self._buffers: dict[str, Any] = {}

    # -- set-up ------------------------------------------------------------------

    @property
    def components_(self) -> Any:
        """The weights as scikit-learn stores them, shape (H, V)."""
        self._check_fitted()
        return self.W_.T

    def _check_fitted(self) -> None:
        if not hasattr(self, "W_"):
            raise RuntimeError("this RBM is not fitted yet: call fit or partial_fit first")

    def _check_X(self, X: Any, name: str = "X") -> Any:
        n_features = getattr(self, "n_features_in_", None)
        return check_array(
            X, name, ndim=2, shape=(None, n_features), dtype=self.dtype, values="binary"
        )

    def _initialize(self, X: Any) -> None:
        xp = B.xp()
        V, H = X.shape[1], self.n_hidden
        if self.method == "exact" and min(V, H) > MAX_ENUMERATED:
            raise ValueError(
                f"method='exact' needs min(V, H) <= {MAX_ENUMERATED}; got V={V}, H={H}"
            )
        self.n_features_in_ = V
        self.W_ = (self.init_scale * self.rng.standard_normal((V, H))).astype(self.dtype)
        if self.init_visible == "data":
            p = xp.clip(X.mean(axis=0).astype("float64"), 1e-3, 1 - 1e-3)
            self.b_ = xp.log(p / (1 - p)).astype(self.dtype)
        else:
            self.b_ = xp.zeros(V, dtype=self.dtype)
        self.c_ = xp.zeros(H, dtype=self.dtype)
        self.chain_ = xp.zeros((self.batch_size, H), dtype=self.dtype)
        self._velocity = None
        self._buffers = {}

    def _buf(self, name: str, shape: tuple[int, ...]) -> Any:
        buf = self._buffers.get(name)
        if buf is None or buf.shape != shape:
            buf = B.xp().empty(shape, dtype=self.dtype)
            self._buffers[name] = buf
        return buf

    # -- one update --------------------------------------------------------------

    def _update(self, X: Any) -> None:
        """One gradient step on the batch ``X`` (already checked, self.dtype, contiguous)."""
        xp = B.xp()
        n, V = X.shape
        H = self.n_hidden
        W, b, c = self.W_, self.b_, self.c_
        if self.method == "exact":
            W64, b64, c64 = (a.astype("float64") for a in (W, b, c))
            X64 = X.astype("float64")
            dvh, dv, dh = _data_statistics(X64, W64, c64)
            mvh, mv, mh = _model_statistics(W64, b64, c64)
            gW, gb, gc = dvh - mvh, dv - mv, dh - mh
            self._apply(gW.astype(self.dtype), gb.astype(self.dtype), gc.astype(self.dtype))
            return
        VV = self._buf("VV", (2 * n, V))  # rows [:n] data, [n:] negative visibles
        HH = self._buf("HH", (2 * n, H))  # rows [:n] p(h|data), [n:] -p(h|negatives)
        UV = self._buf("UV", (n, V))
        UH = self._buf("UH", (n, H))
        VV[:n] = X
        vpos, vneg = VV[:n], VV[n:]
        hpos, hneg = HH[:n], HH[n:]
        if self.method == "cd":
            xp.matmul(vpos, W, out=hpos)
            sigmoid_(hpos, c)
            bernoulli_(hpos, UH, self.rng)  # UH: sampled hidden states
            hstate = UH
        else:  # pcd: the persistent hidden chain, one row per batch row
            hstate = self.chain_[:n]
        for step in range(self.k):
            if step > 0:
                xp.matmul(vneg, W, out=hneg)
                sigmoid_(hneg, c)
                bernoulli_(hneg, UH, self.rng)
                hstate = UH
            xp.matmul(hstate, W.T, out=UV)
            sigmoid_(UV, b)
            bernoulli_(UV, vneg, self.rng)  # sampled negative visibles, written in place
        if self.method == "pcd":
            xp.matmul(VV, W, out=HH)  # both phases in one product
            sigmoid_(HH, c)
            # advance the persistent chain from the negative-phase probabilities
            bernoulli_(hneg, self.chain_[:n], self.rng)
        else:
            xp.matmul(vneg, W, out=hneg)
            sigmoid_(hneg, c)
        plain_sgd = not (self.momentum or self.weight_decay)
        # plain SGD folds the learning rate in too, so that W takes gW as it is
        scale = (self.learning_rate if plain_sgd else 1.0) / n
        HH[:n] *= scale  # scale the (2n, H) factor, not the larger (V, H) product,
        HH[n:] *= -scale  # and negate the negatives: VV.T @ HH = scale (<vh>_pos - <vh>_neg)
        signs = self._buf("signs", (2 * n,))
        signs[:n], signs[n:] = 1.0, -1.0
        gb = signs @ VV  # sum(v_pos) - sum(v_neg), as one matrix-vector product
        gb *= scale
        gc = HH.sum(axis=0)
        gW = self._buf("GW", (V, H))
        xp.matmul(VV.T, HH, out=gW)
        if plain_sgd:
            W += gW
            self.b_ += gb
            self.c_ += gc
        else:
            self._apply(gW, gb, gc)

    def _apply(self, gW: Any, gb: Any, gc: Any) -> None:
        xp = B.xp()
        lr = self.learning_rate
        if self.weight_decay:
            gW -= self.weight_decay * self.W_
        if self.momentum:
            if self._velocity is None:
                self._velocity = [
                    xp.zeros_like(self.W_),
                    xp.zeros_like(self.b_),
                    xp.zeros_like(self.c_),
                ]
            for vel, g, p in zip(self._velocity, (gW, gb, gc), (self.W_, self.b_, self.c_)):
                vel *= self.momentum
                vel += lr * g
                p += vel
        else:
            self.W_ += lr * gW
            self.b_ += lr * gb
            self.c_ += lr * gc

    # -- public API --------------------------------------------------------------

    def fit(self, X: Any) -> RBM:
        """(Re)initialise and train for ``n_epochs`` passes over binary ``X`` (n, V)."""
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
            order = xp.argsort(self.rng.random(n))
            Xs = xp.take(X, order, axis=0)
        else:
            Xs = X
        for start in range(0, n, bs):
            self._update(Xs[start : start + bs])

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

        With method "pcd" the batch may not have more rows than ``batch_size``
        (the number of persistent chains).
        """
        X = (
            self._check_X(X)
            if hasattr(self, "W_")
            else check_array(X, "X", ndim=2, dtype=self.dtype, values="binary")
        )
        if not hasattr(self, "W_"):
            self._initialize(X)
        if self.method == "pcd" and X.shape[0] > self.batch_size:
            raise ValueError(
                f"X has {X.shape[0]} rows; with method='pcd' a batch holds at most "
                f"batch_size={self.batch_size}"
            )
        self._update(B.xp().ascontiguousarray(X))
        return self

    def transform(self, X: Any) -> Any:
        """Hidden probabilities p(h_j = 1 | x), shape (n, H)."""
        self._check_fitted()
        X = self._check_X(X)
        return sigmoid(X @ self.W_ + self.c_)

    def free_energy(self, X: Any) -> Any:
        """F(x) per row, in float64."""
        self._check_fitted()
        X = self._check_X(X)
        return free_energy(X, *self._params64())

    def _params64(self) -> tuple[Any, Any, Any]:
        return tuple(a.astype("float64") for a in (self.W_, self.b_, self.c_))

    def gibbs(self, V: Any, n_steps: int, rng: Any, *, record_at: Any = None) -> Any:
        """Run up-down Gibbs chains from binary visible states ``V`` (n, V).

        Args:
            V: starting visible states, one chain per row.
            n_steps: number of up-down steps.
            rng: int seed or Generator for the sampling noise.
            record_at: optional increasing step counts (0..n_steps); if given,
                return the visible *probabilities* p(v | h) at those steps (step 0
                records the start itself), shape (len(record_at), n, V).

        Returns:
            The final binary visible states (n, V), or the recorded stack.
        """
        xp = B.xp()
        self._check_fitted()
        V0 = self._check_X(V, "V")
        n_steps = check_int(n_steps, "n_steps", low=0)
        gen = B.as_generator(rng, "rng")
        marks: list[int] = []
        if record_at is not None:
            marks = [check_int(m, "record_at", low=0, high=n_steps) for m in record_at]
            if any(b2 <= a2 for a2, b2 in zip(marks, marks[1:])) or not marks:
                raise ValueError("record_at must be a non-empty increasing sequence of steps")
        frames = []
        v = V0.copy()
        if marks and marks[0] == 0:
            frames.append(v.copy())
        for step in range(1, n_steps + 1):
            h = bernoulli(sigmoid(v @ self.W_ + self.c_), gen)
            pv = sigmoid(h @ self.W_.T + self.b_)
            v = bernoulli(pv, gen)
            if step in marks:
                frames.append(pv)
        return xp.stack(frames) if marks else v

    def fantasy_particles(self) -> Any:
        """What the persistent chains show now: ``p(v | h_chain)``, one row per chain.

        Persistent CD keeps one Gibbs chain per batch row running across weight
        updates (Tieleman's "fantasy particles"). Learning keeps raising the energy
        wherever these chains sit, which pushes them on to other modes, so they
        explore far more than a chain run on the frozen model does.
        """
        self._check_fitted()
        if self.method != "pcd":
            raise ValueError(
                f"fantasy_particles needs method='pcd' (persistent chains); this RBM uses "
                f"method={self.method!r}"
            )
        return sigmoid(self.chain_ @ self.W_.T + self.b_)

    def sample(self, n_samples: int, n_steps: int, rng: Any, *, init: Any = None) -> Any:
        """Draw ``n_samples`` binary visible vectors after ``n_steps`` Gibbs steps.

        Chains start from ``init`` (binary, (n_samples, V)) or, by default, from
        independent visible units with the model's visible biases.
        """
        self._check_fitted()
        n_samples = check_int(n_samples, "n_samples", low=1)
        gen = B.as_generator(rng, "rng")
        V = self.n_features_in_
        if init is None:
            init = bernoulli(B.xp().broadcast_to(sigmoid(self.b_), (n_samples, V)).copy(), gen)
        else:
            init = check_array(init, "init", shape=(n_samples, V), values="binary")
        return self.gibbs(init, n_steps, gen)

    def log_partition(self) -> float:
        """Exact log Z (float64), enumerating the smaller layer (needs min(V, H) <= 20)."""
        self._check_fitted()
        _check_small(self.W_, "log_partition")
        return log_partition(*self._params64())

    def score(self, X: Any, kind: str = "auto") -> float:
        """The mean log-likelihood of ``X`` per row, exact when possible.

        Args:
            X: binary data (n, V).
            kind: "exact" (enumeration, min(V, H) <= 20), "pseudo" (the exact
                pseudo-log-likelihood, every bit), or "auto": exact when small
                enough, otherwise pseudo. ``score_kind_`` records which was used.
        """
        self._check_fitted()
        X = self._check_X(X)
        kind = check_choice(kind, "kind", ("auto", "exact", "pseudo"))
        if kind == "auto":
            kind = "exact" if min(self.W_.shape) <= MAX_ENUMERATED else "pseudo"
        self.score_kind_ = kind
        params = self._params64()
        X = X.astype("float64")
        if kind == "exact":
            return log_likelihood(X, *params)
        return pseudo_log_likelihood(X, *params)

    def reconstruction_error(self, X: Any) -> float:
        """Mean squared error per row between ``X`` and its mean-field reconstruction."""
        self._check_fitted()
        X = self._check_X(X)
        P = sigmoid(sigmoid(X @ self.W_ + self.c_) @ self.W_.T + self.b_)
        return float(((X - P) ** 2).sum(axis=1).mean())


# ----------------------------------------------------------------------------- experiments


def likelihood_curve(
    X: Any,
    *,
    n_hidden: int,
    method: str,
    k: int = 1,
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
        n_hidden, method, k, learning_rate: as in :class:`RBM`.
        n_epochs: passes over the data; ``batch_size`` defaults to full batch.
        eval_every: epochs between exact evaluations.
        snapshot_at: epochs at which to keep a copy of (W, b, c).
        rng: int seed or Generator.

    Returns:
        dict with "epochs" (list), "log_likelihood" (list of floats), "model"
        (the trained :class:`RBM`) and "snapshots" ({epoch: (W, b, c)}).
    """
    X = check_array(X, "X", ndim=2, dtype="float64", values="binary")
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    eval_every = check_int(eval_every, "eval_every", low=1)
    bs = X.shape[0] if batch_size is None else check_int(batch_size, "batch_size", low=1)
    snaps = {check_int(s, "snapshot_at", low=0, high=n_epochs) for s in snapshot_at}
    model = RBM(
        n_hidden,
        method=method,
        k=k,
        learning_rate=learning_rate,
        batch_size=bs,
        n_epochs=0,
        dtype="float64",
        rng=rng,
    )
    model.fit(X)
    if min(X.shape[1], n_hidden) > MAX_ENUMERATED:
        raise ValueError(f"n_hidden={n_hidden} and V={X.shape[1]}: too large to evaluate exactly")
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


# ----------------------------------------------------------------------------- Netflix in miniature


def synthetic_ratings(
    n_users: int,
    n_items: int,
    *,
    rank: int = 5,
    observed: float = 0.2,
    test_fraction: float = 0.1,
    scale: float = 2.0,
    rng: Any,
) -> dict[str, Any]:
    """A like/dislike matrix from a low-rank taste model, with most entries missing.

    ``p(like) = sigmoid(scale * u_i . m_j / sqrt(rank) + item_bias_j)`` with
    Gaussian tastes; each rating is a Bernoulli draw. A fraction ``observed`` of
    entries is given for training and a disjoint ``test_fraction`` is held out.

    Returns:
        dict with "R" (n_users, n_items) 0/1 ratings (all of them), "P" the true
        like probabilities, "train" and "test" boolean masks.
    """
    n_users = check_int(n_users, "n_users", low=2)
    n_items = check_int(n_items, "n_items", low=2)
    rank = check_int(rank, "rank", low=1)
    observed = check_real(observed, "observed", low=0, high=1, low_open=True, high_open=True)
    test_fraction = check_real(test_fraction, "test_fraction", low=0, high=1, low_open=True)
    if observed + test_fraction > 1:
        raise ValueError("observed + test_fraction must be <= 1")
    scale = check_real(scale, "scale", low=0)
    gen = B.as_generator(rng, "rng")
    U = gen.standard_normal((n_users, rank))
    M = gen.standard_normal((n_items, rank))
    item_bias = 0.5 * gen.standard_normal(n_items)
    P = sigmoid(scale * (U @ M.T) / math.sqrt(rank) + item_bias)
    R = (gen.random(P.shape) < P).astype("float64")
    u = gen.random(P.shape)
    train = u < observed
    test = (u >= observed) & (u < observed + test_fraction)
    return {"R": R, "P": P, "train": train, "test": test}


def _check_ratings(R: Any, mask: Any) -> tuple[Any, Any]:
    R = check_array(R, "R", ndim=2, dtype="float64", values="binary")
    mask = check_array(mask, "mask", shape=tuple(R.shape))
    if mask.dtype.kind != "b":
        raise TypeError(f"mask must be a boolean array; got dtype {mask.dtype}")
    return R, mask


def rmse(pred: Any, R: Any, mask: Any) -> float:
    """Root-mean-square error of ``pred`` against ``R`` on the entries where ``mask`` is True."""
    xp = B.xp()
    R, mask = _check_ratings(R, mask)
    pred = check_array(pred, "pred", shape=tuple(R.shape), dtype="float64")
    if not bool(mask.any()):
        raise ValueError("mask must select at least one entry")
    err = (pred - R)[mask]
    return float(xp.sqrt((err**2).mean()))


def ratings_rbm_predict(
    R: Any,
    mask: Any,
    *,
    n_hidden: int = 20,
    learning_rate: float = 0.05,
    n_epochs: int = 40,
    batch_size: int = 20,
    k: int = 1,
    momentum: float = 0.5,
    weight_decay: float = 1e-3,
    rng: Any,
) -> Any:
    """Collaborative filtering with RBMs (Salakhutdinov, Mnih & Hinton 2007), binary version.

    Every user is an RBM whose visible units are only the items that user rated;
    all users share the weights of each item. Training is CD-k with the missing
    visibles left out of every product (masked). The prediction for an unrated
    item is exact: ``p(v_i = 1 | observed)``, from the free-energy difference
    of the user's ratings with item i set to 1 and to 0.

    Returns:
        (n_users, n_items) predicted like-probabilities.
    """
    xp = B.xp()
    R, mask = _check_ratings(R, mask)
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    k = check_int(k, "k", low=1)
    momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
    weight_decay = check_real(weight_decay, "weight_decay", low=0)
    gen = B.as_generator(rng, "rng")
    n_users, n_items = R.shape
    M = mask.astype("float64")
    X = R * M
    counts = M.sum(axis=0)
    p = xp.clip((X.sum(axis=0) + 1) / (counts + 2), 1e-3, 1 - 1e-3)
    W = 0.01 * gen.standard_normal((n_items, n_hidden))
    b = xp.log(p / (1 - p))
    c = xp.zeros(n_hidden)
    vel = [xp.zeros_like(W), xp.zeros_like(b), xp.zeros_like(c)]
    for _ in range(n_epochs):
        order = xp.argsort(gen.random(n_users))
        for start in range(0, n_users, batch_size):
            idx = order[start : start + batch_size]
            v0, m = X[idx], M[idx]
            h0 = sigmoid(v0 @ W + c)
            h = bernoulli(h0, gen)
            for step in range(k):
                vk = bernoulli(sigmoid(h @ W.T + b), gen) * m
                hk = sigmoid(vk @ W + c)
                if step < k - 1:
                    h = bernoulli(hk, gen)
            n = v0.shape[0]
            # items a user did not rate contribute nothing to their user's gradient
            gW = (v0.T @ h0 - vk.T @ hk) / n - weight_decay * W
            gb = (v0 - vk).sum(axis=0) / n
            gc = (h0 - hk).mean(axis=0)
            for vv, g, prm in zip(vel, (gW, gb, gc), (W, b, c)):
                vv *= momentum
                vv += learning_rate * g
                prm += vv
    A = X @ W + c  # (users, H), observed items only
    # log p(v_i=1|obs) - log p(v_i=0|obs) = b_i + sum_j softplus(A_j + W_ij) - softplus(A_j)
    gain = softplus(A[:, None, :] + W[None, :, :]).sum(axis=2) - softplus(A).sum(axis=1)[:, None]
    return sigmoid(b + gain)


def matrix_factorization_predict(
    R: Any,
    mask: Any,
    *,
    rank: int = 5,
    reg: float = 5.0,
    n_iter: int = 20,
    rng: Any,
) -> Any:
    """Regularised matrix factorisation by alternating least squares, with a global mean.

    Minimises ``sum_{observed} (r_ui - mu - p_u . q_i)^2 + reg (|P|^2 + |Q|^2)``;
    each half-step solves all users' (or items') small ridge problems at once.

    Returns:
        (n_users, n_items) predictions, clipped to [0, 1].
    """
    xp = B.xp()
    R, mask = _check_ratings(R, mask)
    rank = check_int(rank, "rank", low=1)
    reg = check_real(reg, "reg", low=0, low_open=True)
    n_iter = check_int(n_iter, "n_iter", low=1)
    gen = B.as_generator(rng, "rng")
    M = mask.astype("float64")
    mu = float((R * M).sum() / max(M.sum(), 1.0))
    Y = (R - mu) * M
    n_users, n_items = R.shape
    P = 0.1 * gen.standard_normal((n_users, rank))
    Q = 0.1 * gen.standard_normal((n_items, rank))
    eye = reg * xp.eye(rank)

    def solve(F: Any, Mt: Any, Yt: Any) -> Any:
        # rows of Mt/Yt index the factors being solved; F are the fixed factors
        A = xp.einsum("ui,ik,il->ukl", Mt, F, F) + eye
        rhs = Yt @ F
        return xp.linalg.solve(A, rhs[..., None])[..., 0]

    for _ in range(n_iter):
        P = solve(Q, M, Y)
        Q = solve(P, M.T, Y.T)
    return xp.clip(mu + P @ Q.T, 0.0, 1.0)
