"""Chapter 09: the Helmholtz machine and the wake-sleep algorithm (Hinton, Dayan, Frey & Neal 1995).

A Helmholtz machine is two networks over the same layers of stochastic binary
units. Layers are numbered bottom-up: layer 0 is the visible units, layer
``L - 1`` the top. The **generative** network is a layered sigmoid belief net
that runs top-down,

    p(s_top = 1)             = sigma(b_top)
    p(s_l = 1 | s_{l+1})     = sigma(s_{l+1} @ G[l] + b[l]),     G[l]: (n_{l+1}, n_l)

and the **recognition** network runs bottom-up with its own weights,

    q(s_{l+1} = 1 | s_l)     = sigma(s_l @ R[l] + c[l]),         R[l]: (n_l, n_{l+1}).

Wake-sleep trains them in alternation with purely local delta rules:

* **wake**: recognise a data vector bottom-up, then move each generative unit's
  probability toward the state the recognition network chose for it. In
  expectation this follows the gradient of ``E_q[log p(v, h)]``
  (:func:`wake_gradients` is exactly ``d log p(states) / d generative params``).
* **sleep**: dream a fantasy top-down from the generative model, then move each
  recognition unit's probability toward the state that actually caused it.
  This follows the gradient of ``E_p[log q(h | v)]`` on dreams
  (:func:`sleep_gradients` is exactly ``d log q(h | v) / d recognition params``),
  i.e. it minimises ``KL(p(h|v) || q(h|v))``, not the ``KL(q || p)`` that the
  variational free energy asks for.

For small machines everything is also computed **exactly** by enumerating the
hidden configurations (:func:`log_marginal`, :func:`posterior`,
:func:`recognition_distribution`, :func:`free_energy_bits`) and all visible
patterns (:func:`generative_distribution`), up to the book's one cap,
:data:`hinton_utils.core.binary.MAX_ENUMERATED_UNITS` units of each kind.

Parameters live in a plain dict ``{"G": [...], "b": [...], "R": [...], "c": [...]}``
(see :func:`init_params`); :class:`HelmholtzMachine` wraps them in an
estimator with ``fit``/``sample``/``score``. Configurations are enumerated by
:func:`hinton_utils.core.binary.all_states`, the first unit of a layer as the
most significant bit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .core import backend as B
from .core.binary import MAX_ENUMERATED_UNITS, all_states
from .core.estimator import Estimator, check_rng
from .core.special import bernoulli, log_bernoulli, logsumexp, sigmoid, softplus
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "HelmholtzMachine",
    "bars_distribution",
    "dream",
    "factorial_distribution",
    "free_energy_bits",
    "generative_distribution",
    "init_params",
    "kl_bits",
    "kl_data_to_model",
    "log_joint",
    "log_marginal",
    "log_recognition",
    "posterior",
    "recognition_distribution",
    "recognize",
    "sample_bars",
    "sleep_gradients",
    "wake_gradients",
]

_LN2 = math.log(2.0)
_DTYPES = ("float32", "float64")


# ----------------------------------------------------------------------------- helpers


def _check_sizes(layer_sizes: Any) -> tuple[int, ...]:
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
        raise TypeError(
            "layer_sizes must be a sequence of ints, visible first (e.g. (16, 8, 1)); "
            f"got {type(layer_sizes).__name__}"
        )
    if len(layer_sizes) < 2:
        raise ValueError(f"layer_sizes must name at least 2 layers; got {len(layer_sizes)}")
    return tuple(check_int(n, "layer_sizes", low=1) for n in layer_sizes)


def _check_params(params: Any) -> tuple[int, ...]:
    """Validate a parameter dict; return its layer sizes (visible first)."""
    if not isinstance(params, dict) or not all(k in params for k in ("G", "b", "R", "c")):
        raise TypeError("params must be a dict with keys 'G', 'b', 'R', 'c' (see init_params)")
    G, b, R, c = params["G"], params["b"], params["R"], params["c"]
    if not (len(b) >= 2 and len(G) == len(R) == len(c) == len(b) - 1):
        raise ValueError("params must hold L biases b and L-1 each of G, R, c")
    sizes = tuple(
        int(check_array(bl, f"params['b'][{i}]", ndim=1).shape[0]) for i, bl in enumerate(b)
    )
    for ell in range(len(G)):
        check_array(G[ell], f"params['G'][{ell}]", shape=(sizes[ell + 1], sizes[ell]))
        check_array(R[ell], f"params['R'][{ell}]", shape=(sizes[ell], sizes[ell + 1]))
        check_array(c[ell], f"params['c'][{ell}]", shape=(sizes[ell + 1],))
    return sizes


def _check_states(params: Any, states: Any, name: str = "states") -> tuple[list, tuple[int, ...]]:
    sizes = _check_params(params)
    if isinstance(states, (str, bytes)) or not isinstance(states, Sequence):
        raise TypeError(f"{name} must be a list of per-layer 0/1 arrays, visible first")
    if len(states) != len(sizes):
        raise ValueError(f"{name} must hold {len(sizes)} layers; got {len(states)}")
    out = []
    n = None
    for ell, s in enumerate(states):
        s = check_array(s, f"{name}[{ell}]", ndim=2, shape=(n, sizes[ell]), values="binary")
        n = s.shape[0]
        out.append(s.astype("float64"))
    return out, sizes


def _check_visible(V: Any, n_visible: int, name: str = "V") -> Any:
    V = check_array(V, name, ndim=2, shape=(None, n_visible), values="binary")
    return V.astype("float64")


# ----------------------------------------------------------------------------- bars data


def _check_bars_args(size: Any, p_bar: Any, p_vertical: Any) -> tuple[int, float, float]:
    size = check_int(size, "size", low=1, high=4)
    p_bar = check_real(p_bar, "p_bar", low=0.0, high=1.0)
    p_vertical = check_real(p_vertical, "p_vertical", low=0.0, high=1.0)
    return size, p_bar, p_vertical


def _bar_images(size: int, orientation: str) -> Any:
    """(size, size*size) images of the single bars: rows if horizontal, columns if vertical."""
    xp = B.xp()
    eye = xp.eye(size)
    if orientation == "horizontal":
        return xp.repeat(eye, size, axis=1)  # bar k fills row k
    return xp.tile(eye, (1, size))  # bar k fills column k


def bars_distribution(
    size: int = 4, p_bar: float = 0.2, p_vertical: float = 2 / 3
) -> tuple[Any, Any]:
    """The exact distribution of the bars images, as (distinct patterns, probabilities).

    An image is made by choosing vertical (probability ``p_vertical``) or
    horizontal, then turning on each of the ``size`` bars of that orientation
    independently with probability ``p_bar``. The blank and the full image can
    arise from both orientations, so a 4×4 grid has 2·16 − 2 = 30 patterns.

    Args:
        size: side of the square image (1-4).
        p_bar: probability that each bar of the chosen orientation is on.
        p_vertical: probability of choosing the vertical orientation.

    Returns:
        ``(patterns, probs)``: float64 0/1 array ``(K, size*size)`` sorted by
        pattern index (pixel 0 most significant) and float64 ``(K,)`` summing to 1.
    """
    xp = B.xp()
    size, p_bar, p_vertical = _check_bars_args(size, p_bar, p_vertical)
    codes = all_states(size)  # (2**size, size): which bars are on
    k_on = codes.sum(axis=1)
    p_codes = p_bar**k_on * (1.0 - p_bar) ** (size - k_on)
    images, weights = [], []
    for orient, p_o in (("vertical", p_vertical), ("horizontal", 1.0 - p_vertical)):
        images.append(xp.minimum(codes @ _bar_images(size, orient), 1.0))
        weights.append(p_o * p_codes)
    images = xp.concatenate(images)
    weights = xp.concatenate(weights)
    powers = 2.0 ** xp.arange(size * size - 1, -1, -1)
    index = (images @ powers).astype("int64")
    uniq, inverse = xp.unique(index, return_inverse=True)
    probs = xp.zeros(uniq.shape[0])
    xp.add.at(probs, inverse.ravel(), weights)
    keep = probs > 0
    patterns = (uniq[keep][:, None] // powers.astype("int64")[None, :]) % 2
    return patterns.astype("float64"), probs[keep]


def sample_bars(
    n: int, rng: Any, size: int = 4, p_bar: float = 0.2, p_vertical: float = 2 / 3
) -> Any:
    """``n`` bars images drawn from the generative process of :func:`bars_distribution`.

    Returns:
        float64 0/1 array of shape ``(n, size*size)``.
    """
    xp = B.xp()
    n = check_int(n, "n", low=1)
    size, p_bar, p_vertical = _check_bars_args(size, p_bar, p_vertical)
    rng = B.as_generator(rng, "rng")
    vertical = rng.random((n, 1)) < p_vertical
    on = (rng.random((n, size)) < p_bar).astype("float64")
    img_v = xp.minimum(on @ _bar_images(size, "vertical"), 1.0)
    img_h = xp.minimum(on @ _bar_images(size, "horizontal"), 1.0)
    return xp.where(vertical, img_v, img_h)


# ----------------------------------------------------------------------------- parameters


def init_params(
    layer_sizes: Sequence[int], rng: Any, scale: float = 0.1, dtype: str = "float64"
) -> dict:
    """Small random generative and recognition weights, zero biases.

    Args:
        layer_sizes: units per layer, visible first, e.g. ``(16, 8, 1)``.
        rng: int seed or Generator.
        scale: standard deviation of the initial weights (0 gives all zeros).
        dtype: ``"float64"`` (exact tests) or ``"float32"`` (speed).

    Returns:
        ``{"G": [G_0, ...], "b": [b_0, ..., b_top], "R": [R_0, ...], "c": [c_0, ...]}``.
    """
    xp = B.xp()
    sizes = _check_sizes(layer_sizes)
    scale = check_real(scale, "scale", low=0.0)
    dtype = check_choice(dtype, "dtype", _DTYPES)
    rng = B.as_generator(rng, "rng")
    pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
    return {
        "G": [(scale * rng.standard_normal((m, n))).astype(dtype) for n, m in pairs],
        "b": [xp.zeros(n, dtype=dtype) for n in sizes],
        "R": [(scale * rng.standard_normal((n, m))).astype(dtype) for n, m in pairs],
        "c": [xp.zeros(m, dtype=dtype) for _, m in pairs],
    }


# ----------------------------------------------------------------------------- sampling


def _recognize(params: dict, V: Any, gen: Any) -> list:
    states = [V]
    for R, c in zip(params["R"], params["c"], strict=True):
        states.append(bernoulli(sigmoid(states[-1] @ R + c), gen, "float64"))
    return states


def _dream(params: dict, n: int, gen: Any) -> list:
    xp = B.xp()
    G, b = params["G"], params["b"]
    states = [bernoulli(xp.broadcast_to(sigmoid(b[-1]), (n, b[-1].shape[0])), gen, "float64")]
    for ell in range(len(b) - 2, -1, -1):
        states.append(bernoulli(sigmoid(states[-1] @ G[ell] + b[ell]), gen, "float64"))
    return states[::-1]


def recognize(params: dict, V: Any, rng: Any) -> list:
    """Bottom-up pass: sample every hidden layer from the recognition network.

    Returns:
        ``[V, s_1, ..., s_top]``, one ``(n, n_l)`` 0/1 array per layer.
    """
    sizes = _check_params(params)
    V = _check_visible(V, sizes[0]).astype(params["R"][0].dtype)
    return _recognize(params, V, B.as_generator(rng, "rng"))


def dream(params: dict, n: int, rng: Any) -> list:
    """Top-down pass: sample ``n`` fantasies from the generative network.

    Returns:
        ``[v, s_1, ..., s_top]``, one ``(n, n_l)`` 0/1 array per layer.
    """
    _check_params(params)
    n = check_int(n, "n", low=1)
    return _dream(params, n, B.as_generator(rng, "rng"))


# ----------------------------------------------------------------------------- log-probs


def _log_joint(params: dict, states: list) -> Any:
    G, b = params["G"], params["b"]
    out = log_bernoulli(states[-1], b[-1])
    for ell in range(len(G)):
        out = out + log_bernoulli(states[ell], states[ell + 1] @ G[ell] + b[ell])
    return out


def _log_recognition(params: dict, states: list) -> Any:
    out = 0.0
    for ell, (R, c) in enumerate(zip(params["R"], params["c"], strict=True)):
        out = out + log_bernoulli(states[ell + 1], states[ell] @ R + c)
    return out


def log_joint(params: dict, states: Sequence[Any]) -> Any:
    """Generative log-probability ``log p(v, h)`` (nats) of each row of ``states``.

    Args:
        params: see :func:`init_params`.
        states: ``[v, s_1, ..., s_top]``, 0/1 arrays with one row per sample.

    Returns:
        float64 ``(n,)``.
    """
    states, _ = _check_states(params, states)
    return _log_joint(_as64(params), states)


def log_recognition(params: dict, states: Sequence[Any]) -> Any:
    """Recognition log-probability ``log q(h | v)`` (nats) of each row of ``states``."""
    states, _ = _check_states(params, states)
    return _log_recognition(_as64(params), states)


def _as64(params: dict) -> dict:
    return {k: [a.astype("float64") for a in v] for k, v in params.items()}


# ----------------------------------------------------------------------------- gradients


def wake_gradients(params: dict, states: Sequence[Any]) -> dict:
    """The wake-phase delta rule, summed over the rows of ``states``.

    For each generative unit, (its recognised state) − (the probability the
    layer above gives it): ``dG[l] = s_{l+1}^T (s_l - p_l)``, ``db[l] = sum(s_l - p_l)``.
    This is exactly the gradient of ``sum_rows log p(states)`` with respect to
    ``G`` and ``b``.

    Returns:
        ``{"G": [...], "b": [...]}`` shaped like the parameters (float64).
    """
    states, _ = _check_states(params, states)
    return _wake_gradients(_as64(params), states)


def _wake_gradients(params: dict, states: list) -> dict:
    G, b = params["G"], params["b"]
    dG, db = [], []
    for ell in range(len(G)):
        err = states[ell] - sigmoid(states[ell + 1] @ G[ell] + b[ell])
        dG.append(states[ell + 1].T @ err)
        db.append(err.sum(axis=0))
    db.append((states[-1] - sigmoid(b[-1])).sum(axis=0))
    return {"G": dG, "b": db}


def sleep_gradients(params: dict, states: Sequence[Any]) -> dict:
    """The sleep-phase delta rule on dreamed ``states``, summed over rows.

    For each recognition unit, (the state that generated the dream) − (the
    probability the layer below gives it): ``dR[l] = s_l^T (s_{l+1} - q_{l+1})``.
    This is exactly the gradient of ``sum_rows log q(h | v)`` with respect to
    ``R`` and ``c``.

    Returns:
        ``{"R": [...], "c": [...]}`` shaped like the parameters (float64).
    """
    states, _ = _check_states(params, states)
    return _sleep_gradients(_as64(params), states)


def _sleep_gradients(params: dict, states: list) -> dict:
    dR, dc = [], []
    for ell, (R, c) in enumerate(zip(params["R"], params["c"], strict=True)):
        err = states[ell + 1] - sigmoid(states[ell] @ R + c)
        dR.append(states[ell].T @ err)
        dc.append(err.sum(axis=0))
    return {"R": dR, "c": dc}


# ----------------------------------------------------------------------------- exact enumeration


def _hidden_configs(sizes: tuple[int, ...]) -> list:
    n_hidden = sum(sizes[1:])
    if n_hidden > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"params has {n_hidden} hidden units; exact enumeration allows at most "
            f"{MAX_ENUMERATED_UNITS}"
        )
    H = all_states(n_hidden)
    cuts = [0]
    for n in sizes[1:]:
        cuts.append(cuts[-1] + n)
    return [H[:, cuts[i] : cuts[i + 1]] for i in range(len(sizes) - 1)]


def _log_joint_table(params: dict, V: Any, hidden: list) -> Any:
    """log p(v, h) for every row of V (axis 0) and every hidden config (axis 1)."""
    G, b = params["G"], params["b"]
    log_prior = log_bernoulli(hidden[-1], b[-1])
    for ell in range(1, len(G)):
        log_prior = log_prior + log_bernoulli(hidden[ell - 1], hidden[ell] @ G[ell] + b[ell])
    A = hidden[0] @ G[0] + b[0]  # (H, n_v) logits of the visible units
    log_lik = V @ A.T - softplus(A).sum(axis=1)[None, :]
    return log_lik + log_prior[None, :]


def log_marginal(params: dict, V: Any) -> Any:
    """Exact ``log p(v)`` (nats) of each row of ``V``, summing over all hidden configurations."""
    xp = B.xp()
    sizes = _check_params(params)
    V = _check_visible(V, sizes[0])
    p64 = _as64(params)
    hidden = _hidden_configs(sizes)
    chunk = max(1, 2**22 // hidden[0].shape[0])
    parts = [
        logsumexp(_log_joint_table(p64, V[i : i + chunk], hidden), axis=1)
        for i in range(0, V.shape[0], chunk)
    ]
    return xp.concatenate(parts)


def generative_distribution(params: dict) -> Any:
    """The model's exact ``p(v)`` over all ``2**n_visible`` patterns, in the order of
    :func:`hinton_utils.core.binary.all_states`."""
    xp = B.xp()
    sizes = _check_params(params)
    if sizes[0] > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"params has {sizes[0]} visible units; at most {MAX_ENUMERATED_UNITS} are enumerated"
        )
    return xp.exp(log_marginal(params, all_states(sizes[0])))


def posterior(params: dict, V: Any) -> Any:
    """Exact generative posterior ``p(h | v)``: ``(n, 2**n_hidden)``, hidden layers bottom-up."""
    xp = B.xp()
    sizes = _check_params(params)
    V = _check_visible(V, sizes[0])
    table = _log_joint_table(_as64(params), V, _hidden_configs(sizes))
    return xp.exp(table - logsumexp(table, axis=1)[:, None])


def recognition_distribution(params: dict, V: Any) -> Any:
    """Exact recognition distribution ``q(h | v)`` over all hidden configurations, ``(n, 2**n_hidden)``."""
    xp = B.xp()
    sizes = _check_params(params)
    V = _check_visible(V, sizes[0])
    p64 = _as64(params)
    hidden = _hidden_configs(sizes)
    logq = log_bernoulli(hidden[0][None, :, :], (V @ p64["R"][0] + p64["c"][0])[:, None, :])
    for ell in range(1, len(sizes) - 1):
        a = hidden[ell - 1] @ p64["R"][ell] + p64["c"][ell]
        logq = logq + log_bernoulli(hidden[ell], a)[None, :]
    return xp.exp(logq)


def free_energy_bits(params: dict, V: Any) -> Any:
    """Exact variational free energy of each ``v`` under the recognition network, in bits.

    ``F(v) = sum_h q(h|v) [log q(h|v) - log p(v, h)] = -log p(v) + KL(q(h|v) || p(h|v))``.
    """
    xp = B.xp()
    sizes = _check_params(params)
    V = _check_visible(V, sizes[0])
    q = recognition_distribution(params, V)
    table = _log_joint_table(_as64(params), V, _hidden_configs(sizes))
    logq = xp.log(xp.where(q > 0, q, 1.0))
    return (q * (logq - table)).sum(axis=1) / _LN2


def factorial_distribution(means: Any) -> Any:
    """A factorial distribution over ``2**n`` binary configurations from its ``n`` unit means."""
    xp = B.xp()
    m = check_array(means, "means", ndim=1, dtype="float64")
    if not bool(((m >= 0) & (m <= 1)).all()):
        raise ValueError("means must lie in [0, 1]")
    S = all_states(m.shape[0])
    return xp.prod(S * m + (1 - S) * (1 - m), axis=1)


def kl_bits(p: Any, q: Any) -> float:
    """``KL(p || q) = sum p log2(p / q)`` in bits (``inf`` where q = 0 < p)."""
    xp = B.xp()
    p = check_array(p, "p", values="nonnegative", dtype="float64")
    q = check_array(q, "q", values="nonnegative", dtype="float64")
    if p.shape != q.shape:
        raise ValueError(f"p and q must have the same shape; got {p.shape} and {q.shape}")
    for name, a in (("p", p), ("q", q)):
        if abs(float(a.sum()) - 1.0) > 1e-6:
            raise ValueError(f"{name} must sum to 1; got {float(a.sum())}")
    mask = p > 0
    if bool((q[mask] == 0).any()):
        return float("inf")
    return float((p[mask] * xp.log2(p[mask] / q[mask])).sum())


def kl_data_to_model(params: dict, patterns: Any, probs: Any) -> float:
    """Exact ``KL(p_data || p_model)`` in bits, for data given as (patterns, probabilities).

    Only the data's support contributes, so this needs ``p_model`` at the given
    patterns alone (e.g. the 30 bars images), not at all ``2**n`` patterns.
    """
    xp = B.xp()
    sizes = _check_params(params)
    patterns = _check_visible(patterns, sizes[0], "patterns")
    probs = check_array(probs, "probs", ndim=1, shape=(patterns.shape[0],), values="nonnegative")
    probs = probs.astype("float64")
    if abs(float(probs.sum()) - 1.0) > 1e-6:
        raise ValueError(f"probs must sum to 1; got {float(probs.sum())}")
    mask = probs > 0
    logq = log_marginal(params, patterns[mask])
    return float((probs[mask] * (xp.log(probs[mask]) - logq)).sum() / _LN2)


# ----------------------------------------------------------------------------- estimator


class HelmholtzMachine(Estimator):
    """A Helmholtz machine trained by wake-sleep on minibatches.

    Each step takes the next minibatch of the training stream: a wake phase on
    it (recognise, then move the generative weights by :func:`wake_gradients`)
    and a sleep phase on as many dreams (move the recognition weights by
    :func:`sleep_gradients`). Updates use the minibatch mean times the learning
    rate, which decays as ``learning_rate / (1 + learning_rate_decay * t)`` with
    ``t`` the fraction of training done.

    Args:
        layer_sizes: units per layer, visible first, e.g. ``(16, 8, 1)``.
        learning_rate: generative learning rate.
        recognition_learning_rate: recognition learning rate (None: ``learning_rate``).
        learning_rate_decay: how much the learning rates decay over the run (0 = constant).
        batch_size: examples per wake-sleep step.
        n_epochs: passes through the training stream (1: every example is seen once,
            in order, as the paper's fresh images were).
        n_checkpoints: if > 0, keep that many evenly spaced copies of the
            parameters in ``checkpoints_`` as ``(examples_seen, params)``,
            starting with the initial ones.
        init_scale: standard deviation of the initial weights.
        dtype: ``"float32"`` for speed, ``"float64"`` for exactness.
        rng: int seed or Generator: the initial weights, every sampled state
            during training, and :meth:`sample`.

    After :meth:`fit`: ``params_`` (see :func:`init_params`; its four lists are
    also ``G_``, ``b_``, ``R_`` and ``c_``) and ``checkpoints_``.
    """

    params_: dict | None = None

    def __init__(
        self,
        layer_sizes: Sequence[int] = (16, 8, 1),
        *,
        learning_rate: float = 0.05,
        recognition_learning_rate: float | None = None,
        learning_rate_decay: float = 0.0,
        batch_size: int = 10,
        n_epochs: int = 1,
        n_checkpoints: int = 0,
        init_scale: float = 0.1,
        dtype: str = "float32",
        rng: Any,
    ) -> None:
        _check_sizes(layer_sizes)
        check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
        if recognition_learning_rate is not None:
            check_real(
                recognition_learning_rate, "recognition_learning_rate", low=0.0, low_open=True
            )
        check_real(learning_rate_decay, "learning_rate_decay", low=0.0)
        check_int(batch_size, "batch_size", low=1)
        check_int(n_epochs, "n_epochs", low=1)
        check_int(n_checkpoints, "n_checkpoints", low=0)
        check_real(init_scale, "init_scale", low=0.0)
        check_choice(dtype, "dtype", _DTYPES)
        self.layer_sizes = layer_sizes
        self.learning_rate = learning_rate
        self.recognition_learning_rate = recognition_learning_rate
        self.learning_rate_decay = learning_rate_decay
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.n_checkpoints = n_checkpoints
        self.init_scale = init_scale
        self.dtype = dtype
        self.rng = check_rng(rng)

    def fit(self, X: Any) -> HelmholtzMachine:
        """Wake-sleep over the rows of ``X``, in order, ``n_epochs`` times.

        The visible generative biases start at the log-odds of the data's pixel
        means; all other biases at zero.

        Args:
            X: ``(n_examples, n_visible)`` 0/1 training stream, at least
                ``batch_size`` rows (a final partial batch is not used).

        Returns:
            ``self``, with ``params_`` and ``checkpoints_`` set.
        """
        xp = B.xp()
        gen = self._fit_generator()
        sizes = _check_sizes(self.layer_sizes)
        X = _check_visible(X, sizes[0], "X").astype(self.dtype)
        batch_size = self.batch_size
        per_epoch = X.shape[0] // batch_size
        if per_epoch < 1:
            raise ValueError(f"X must have at least batch_size={batch_size} rows")
        lr_g = self.learning_rate
        lr_r = self.recognition_learning_rate or lr_g
        p = init_params(sizes, gen, self.init_scale, self.dtype)
        mean = xp.clip(X.mean(axis=0), 0.01, 0.99)
        p["b"][0] = xp.log(mean / (1 - mean)).astype(self.dtype)
        n_steps = per_epoch * self.n_epochs
        k = self.n_checkpoints
        marks = {round(i * n_steps / max(1, k - 1)) for i in range(k)} if k else set()
        checkpoints = []
        copy = lambda: {key: [a.copy() for a in v] for key, v in p.items()}  # noqa: E731
        for t in range(n_steps):
            if t in marks:
                checkpoints.append((t * batch_size, copy()))
            scale = 1.0 / (batch_size * (1.0 + self.learning_rate_decay * t / n_steps))
            start = (t % per_epoch) * batch_size
            _wake_sleep_step(p, X[start : start + batch_size], gen, lr_g * scale, lr_r * scale)
        if n_steps in marks or (k and len(checkpoints) < k):
            checkpoints.append((n_steps * batch_size, copy()))
        self.params_ = p
        self.checkpoints_ = checkpoints
        return self

    @property
    def G_(self) -> list[Any]:
        """Generative weights ``params_["G"]``, bottom layer first."""
        self._check_is_fitted("params_")
        return self.params_["G"]

    @property
    def b_(self) -> list[Any]:
        """Generative biases ``params_["b"]``, visible first."""
        self._check_is_fitted("params_")
        return self.params_["b"]

    @property
    def R_(self) -> list[Any]:
        """Recognition weights ``params_["R"]``, bottom layer first."""
        self._check_is_fitted("params_")
        return self.params_["R"]

    @property
    def c_(self) -> list[Any]:
        """Recognition biases ``params_["c"]``, first hidden layer first."""
        self._check_is_fitted("params_")
        return self.params_["c"]

    def sample(self, n_samples: int, *, probabilities: bool = False) -> Any:
        """``n_samples`` fantasies (visible layer) from the generative network.

        Each call draws with a fresh generator derived from ``rng`` (as
        :meth:`fit` does), so the same call gives the same fantasies; for other
        ones use :func:`dream` on ``params_`` with a generator of your own.

        Args:
            n_samples: how many fantasies.
            probabilities: return ``p(v = 1 | h)`` for the sampled causes ``h``
                instead of binary visible states.

        Returns:
            ``(n_samples, n_visible)`` 0/1 states (or probabilities).
        """
        self._check_is_fitted("params_")
        n_samples = check_int(n_samples, "n_samples", low=1)
        if not isinstance(probabilities, bool):
            raise TypeError(f"probabilities must be a bool; got {type(probabilities).__name__}")
        states = _dream(self.params_, n_samples, self._fit_generator())
        if probabilities:
            return sigmoid(states[1] @ self.params_["G"][0] + self.params_["b"][0])
        return states[0]

    def score(self, X: Any, sample_weight: Any = None) -> float:
        """Mean exact log-likelihood ``log p(v)`` of the rows of ``X``, in nats (higher is better).

        Computed by enumerating every hidden configuration (:func:`log_marginal`).
        With ``sample_weight`` (non-negative, one per row) it is the weighted
        mean: for the distinct ``patterns`` of a data distribution with
        probabilities ``probs``, ``-score(patterns, probs) / ln 2`` minus the
        data's entropy in bits is :func:`kl_data_to_model`.
        """
        self._check_is_fitted("params_")
        logp = log_marginal(self.params_, X)
        if sample_weight is None:
            return float(logp.mean())
        w = check_array(
            sample_weight, "sample_weight", shape=(logp.shape[0],), values="nonnegative"
        ).astype("float64")
        if float(w.sum()) <= 0.0:
            raise ValueError("sample_weight must have a positive sum")
        return float((w * logp).sum() / w.sum())


def _wake_sleep_step(p: dict, batch: Any, gen: Any, eps_g: float, eps_r: float) -> None:
    """One wake phase on ``batch`` and one sleep phase on as many dreams, in place on ``p``."""
    G, b, R, c = p["G"], p["b"], p["R"], p["c"]
    # wake: recognise bottom-up, then teach the generative net to reproduce it
    wake = _wake_gradients(p, _recognize(p, batch, gen))
    for ell in range(len(G)):
        G[ell] += eps_g * wake["G"][ell]
    for ell in range(len(b)):
        b[ell] += eps_g * wake["b"][ell]
    # sleep: dream top-down, then teach the recognition net to recover the causes
    sleep = _sleep_gradients(p, _dream(p, batch.shape[0], gen))
    for ell in range(len(R)):
        R[ell] += eps_r * sleep["R"][ell]
        c[ell] += eps_r * sleep["c"][ell]
