"""Chapter 07: recirculation (Hinton & McClelland 1988) and the STDP window.

Recirculation trains an autoencoder without a backward pass. Activity goes
round a loop of visible and hidden units twice, and every weight changes by its
presynaptic activity times the *difference* in its postsynaptic activity
between the two passes (old minus new). With rows as examples, weights
``W_vh`` (n_visible, n_hidden) and ``W_hv`` (n_hidden, n_visible)::

    x0 = data                                             visible, pass 1
    y1 = σ(x0 W_vh + b_h)                                 hidden, pass 1
    x2 = λ x0 + (1 − λ) f(y1 W_hv + b_v)                  visible, pass 2 (regressed)
    y3 = λ y1 + (1 − λ) σ(x2 W_vh + b_h)                  hidden, pass 2 (regressed)
    ΔW_hv ∝ y1ᵀ (x0 − x2),   Δb_v ∝ x0 − x2               pre × (old − new post)
    ΔW_vh ∝ x2ᵀ (y1 − y3),   Δb_h ∝ y1 − y3

``f`` is the logistic σ (the paper's units) or the identity (``visible="linear"``,
the case where the analysis is cleanest). The "regression" λ mixes the old
state into the new one, so the second pass differs only a little from the first:
then the change in a unit's activity is proportional to the derivative of the
reconstruction error that backpropagation would have sent it.

The same product, presynaptic activity times the *rate of change* of the
postsynaptic activity, gives the spike-timing-dependent plasticity window when
the sign is flipped (new minus old): :func:`timing_window`.

Everything else here is the comparison: the exact gradient of the
reconstruction error (:func:`reconstruction_gradient`), the cosine between the
two (:func:`update_cosines`), a backprop autoencoder of the same shape built from
:mod:`hinton_utils.core.nn` layers and trained by :func:`hinton_utils.core.nn.train`
(:class:`BackpropAutoencoder`) and PCA (:func:`pca_reconstruct`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .core import backend as B
from .core import functional, nn, optim
from .core.autodiff import Tensor
from .core.estimator import Estimator, check_rng
from .core.special import cosine_similarity, sigmoid
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "PARAM_KEYS",
    "VISIBLE_UNITS",
    "BackpropAutoencoder",
    "Passes",
    "RecirculationAutoencoder",
    "init_params",
    "pca_reconstruct",
    "recirculate",
    "recirculation_update",
    "reconstruct",
    "reconstruction_error",
    "reconstruction_gradient",
    "spike_trace",
    "stdp_closed_form",
    "timing_window",
    "update_cosines",
    "weight_symmetry",
]

PARAM_KEYS = ("W_vh", "b_h", "W_hv", "b_v")
VISIBLE_UNITS = ("logistic", "linear")
TIMING_RULES = ("stdp", "recirculation")
OPTIMIZERS = ("sgd", "adam")
ALIGNMENT_KEYS = ("cosine_all", "cosine_visible_to_hidden", "cosine_hidden_to_visible", "symmetry")
ALIGNMENT_ROWS = 500  # cosines during training are measured on (up to) this many training rows


# ------------------------------------------------------------------ helpers
def _check_params(params: Any, n_visible: int | None = None) -> dict[str, Any]:
    if not isinstance(params, dict):
        raise TypeError(
            f"params must be a dict with keys {PARAM_KEYS}; got {type(params).__name__}"
        )
    if set(params) != set(PARAM_KEYS):
        raise ValueError(f"params must have exactly the keys {PARAM_KEYS}; got {sorted(params)}")
    W_vh = check_array(params["W_vh"], "params['W_vh']", ndim=2, dtype="float64")
    n_v, n_h = W_vh.shape
    if n_visible is not None and n_v != n_visible:
        raise ValueError(
            f"params['W_vh'] must have {n_visible} rows (one per visible unit); got {n_v}"
        )
    return {
        "W_vh": W_vh,
        "b_h": check_array(params["b_h"], "params['b_h']", shape=(n_h,), dtype="float64"),
        "W_hv": check_array(params["W_hv"], "params['W_hv']", shape=(n_h, n_v), dtype="float64"),
        "b_v": check_array(params["b_v"], "params['b_v']", shape=(n_v,), dtype="float64"),
    }


def _check_X(X: Any, name: str = "X", n_visible: int | None = None) -> Any:
    X = check_array(X, name, ndim=2, dtype="float64")
    if n_visible is not None and X.shape[1] != n_visible:
        raise ValueError(f"{name} must have shape (n, {n_visible}); got {tuple(X.shape)}")
    return X


def _check_lam(lam: Any) -> float:
    return check_real(lam, "lam", low=0.0, high=1.0, high_open=True)


def _decode(y: Any, p: dict[str, Any], visible: str) -> Any:
    a = y @ p["W_hv"] + p["b_v"]
    return sigmoid(a) if visible == "logistic" else a


def _flat(update: dict[str, Any], keys: tuple[str, ...]) -> Any:
    xp = B.xp()
    return xp.concatenate([update[k].reshape(-1) for k in keys])


# ------------------------------------------------------------------ the loop
def init_params(n_visible: int, n_hidden: int, *, rng: Any, scale: float = 0.1) -> dict[str, Any]:
    """Small random weights (normal, std ``scale``), zero biases, in float64.

    The two weight matrices are drawn independently: recirculation does not
    need them to start symmetric (see :func:`weight_symmetry`).
    """
    n_visible = check_int(n_visible, "n_visible", low=1)
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    scale = check_real(scale, "scale", low=0.0)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    return {
        "W_vh": scale * gen.standard_normal((n_visible, n_hidden)),
        "b_h": xp.zeros(n_hidden),
        "W_hv": scale * gen.standard_normal((n_hidden, n_visible)),
        "b_v": xp.zeros(n_visible),
    }


@dataclass
class Passes:
    """The four states of one trip round the loop (rows are examples).

    Attributes:
        x0: the data (visible units, first pass).
        y1: hidden states, first pass.
        x2: regressed reconstruction ``λ x0 + (1 − λ) f(y1 W_hv + b_v)``.
        y3: regressed hidden states, second pass.
        reconstruction: the unregressed reconstruction ``f(y1 W_hv + b_v)``.
    """

    x0: Any
    y1: Any
    x2: Any
    y3: Any
    reconstruction: Any


def recirculate(
    X: Any,
    params: dict[str, Any],
    lam: float,
    *,
    visible: str = "logistic",
    regress_hidden: bool = True,
) -> Passes:
    """Send ``X`` twice round the visible → hidden → visible → hidden loop.

    Args:
        X: data, (n, n_visible).
        params: ``{"W_vh", "b_h", "W_hv", "b_v"}`` (see :func:`init_params`).
        lam: the regression λ in [0, 1): how much of the old state each unit keeps.
        visible: ``"logistic"`` (the paper's units) or ``"linear"`` reconstructions.
        regress_hidden: also regress the hidden units on the second pass
            (``y3 = λ y1 + (1 − λ) σ(·)``); otherwise ``y3 = σ(x2 W_vh + b_h)``.

    Returns:
        A :class:`Passes` with every state.
    """
    p = _check_params(params)
    X = _check_X(X, n_visible=p["W_vh"].shape[0])
    lam = _check_lam(lam)
    visible = check_choice(visible, "visible", VISIBLE_UNITS)
    _check_bool(regress_hidden, "regress_hidden")
    return _recirculate(X, p, lam, visible, regress_hidden)


def _check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool; got {type(value).__name__}")
    return value


def _recirculate(X: Any, p: dict[str, Any], lam: float, visible: str, regress: bool) -> Passes:
    """The loop itself, on checked arguments (:func:`recirculate` and the training loop)."""
    y1 = sigmoid(X @ p["W_vh"] + p["b_h"])
    recon = _decode(y1, p, visible)
    x2 = lam * X + (1.0 - lam) * recon
    y3 = sigmoid(x2 @ p["W_vh"] + p["b_h"])
    if regress:
        y3 = lam * y1 + (1.0 - lam) * y3
    return Passes(x0=X, y1=y1, x2=x2, y3=y3, reconstruction=recon)


def _update(s: Passes, scale: float) -> dict[str, Any]:
    """``scale`` × the batch-mean weight changes: presynaptic × (old − new postsynaptic)."""
    m = s.x0.shape[0]
    dv = s.x0 - s.x2
    dh = s.y1 - s.y3
    return {
        "W_vh": (scale / m) * (s.x2.T @ dh),
        "b_h": scale * dh.mean(axis=0),
        "W_hv": (scale / m) * (s.y1.T @ dv),
        "b_v": scale * dv.mean(axis=0),
    }


def recirculation_update(
    X: Any,
    params: dict[str, Any],
    lam: float,
    *,
    visible: str = "logistic",
    regress_hidden: bool = True,
) -> dict[str, Any]:
    """The recirculation weight changes, averaged over the rows of ``X`` (before the step size).

    Each is presynaptic activity × (first-pass − second-pass postsynaptic activity)::

        ΔW_hv = y1ᵀ (x0 − x2) / n,   Δb_v = mean(x0 − x2)
        ΔW_vh = x2ᵀ (y1 − y3) / n,   Δb_h = mean(y1 − y3)

    Add ``learning_rate *`` this to the parameters to learn. Arguments as in
    :func:`recirculate`.
    """
    return _update(recirculate(X, params, lam, visible=visible, regress_hidden=regress_hidden), 1.0)


def reconstruct(X: Any, params: dict[str, Any], *, visible: str = "logistic") -> Any:
    """One pass round the loop without regression: ``f(σ(X W_vh + b_h) W_hv + b_v)``."""
    p = _check_params(params)
    X = _check_X(X, n_visible=p["W_vh"].shape[0])
    visible = check_choice(visible, "visible", VISIBLE_UNITS)
    return _decode(sigmoid(X @ p["W_vh"] + p["b_h"]), p, visible)


def reconstruction_error(X: Any, params: dict[str, Any], *, visible: str = "logistic") -> float:
    """Squared reconstruction error per example: mean over rows of ``Σᵢ (xᵢ − x̂ᵢ)²``."""
    X = _check_X(X)
    diff = X - reconstruct(X, params, visible=visible)
    return float((diff * diff).sum(axis=1).mean())


def reconstruction_gradient(
    X: Any, params: dict[str, Any], *, visible: str = "logistic"
) -> dict[str, Any]:
    """The exact gradient of ``E = ½ · mean over rows of Σᵢ (xᵢ − x̂ᵢ)²`` (backpropagation).

    ``E`` is half of :func:`reconstruction_error`. Returns a dict with the
    parameters' keys; ``−gradient`` is the direction recirculation approximates.
    """
    p = _check_params(params)
    X = _check_X(X, n_visible=p["W_vh"].shape[0])
    visible = check_choice(visible, "visible", VISIBLE_UNITS)
    n = X.shape[0]
    y = sigmoid(X @ p["W_vh"] + p["b_h"])
    xhat = _decode(y, p, visible)
    delta_v = (xhat - X) / n  # dE/d(reconstruction)
    if visible == "logistic":
        delta_v = delta_v * xhat * (1.0 - xhat)  # dE/d(visible net input)
    delta_h = (delta_v @ p["W_hv"].T) * y * (1.0 - y)  # the backward pass
    return {
        "W_vh": X.T @ delta_h,
        "b_h": delta_h.sum(axis=0),
        "W_hv": y.T @ delta_v,
        "b_v": delta_v.sum(axis=0),
    }


def update_cosines(
    X: Any,
    params: dict[str, Any],
    lam: float,
    *,
    visible: str = "logistic",
    regress_hidden: bool = True,
) -> dict[str, float]:
    """Cosines between the recirculation update and the steepest descent direction −∇E.

    Returns:
        ``{"hidden_to_visible": ..., "visible_to_hidden": ..., "all": ...}``: the
        cosine for the decoder's parameters (``W_hv``, ``b_v``), the encoder's
        (``W_vh``, ``b_h``), and all of them together. 1 means recirculation
        moves exactly downhill; above 0 means it still reduces the error for a
        small enough step.
    """
    rec = recirculation_update(X, params, lam, visible=visible, regress_hidden=regress_hidden)
    grad = reconstruction_gradient(X, params, visible=visible)
    groups = {
        "hidden_to_visible": ("W_hv", "b_v"),
        "visible_to_hidden": ("W_vh", "b_h"),
        "all": PARAM_KEYS,
    }
    return {
        name: cosine_similarity(_flat(rec, keys), -_flat(grad, keys))
        for name, keys in groups.items()
    }


def weight_symmetry(params: dict[str, Any]) -> float:
    """The cosine between ``W_vh`` and ``W_hvᵀ`` (1 when the loop's weights are symmetric)."""
    p = _check_params(params)
    return cosine_similarity(p["W_vh"].reshape(-1), p["W_hv"].T.reshape(-1))


# ------------------------------------------------------------------ estimators
class _Autoencoder(Estimator):
    """What the two autoencoders share once ``fit`` has set ``params_``: codes,
    reconstructions and the score."""

    visible: str
    params_: dict[str, Any] | None = None

    def _check_X_fitted(self, X: Any) -> Any:
        self._check_is_fitted("params_")
        return _check_X(X, n_visible=self.params_["W_vh"].shape[0])

    @property
    def coefs_(self) -> list[Any]:
        """The weight matrices ``[W_vh, W_hv]``, encoder first (as scikit-learn's MLPs list them)."""
        self._check_is_fitted("params_")
        return [self.params_["W_vh"], self.params_["W_hv"]]

    @property
    def intercepts_(self) -> list[Any]:
        """The biases ``[b_h, b_v]``, hidden first."""
        self._check_is_fitted("params_")
        return [self.params_["b_h"], self.params_["b_v"]]

    def transform(self, X: Any) -> Any:
        """Hidden codes ``σ(X W_vh + b_h)`` (X may hold probabilities or grey levels)."""
        X = self._check_X_fitted(X)
        return sigmoid(X @ self.params_["W_vh"] + self.params_["b_h"])

    def reconstruct(self, X: Any) -> Any:
        """Reconstructions of the rows of ``X``."""
        return reconstruct(self._check_X_fitted(X), self.params_, visible=self.visible)

    def score(self, X: Any) -> float:
        """Negative squared reconstruction error per example (higher is better).

        ``−mean over rows of Σᵢ (xᵢ − x̂ᵢ)²``: minus :func:`reconstruction_error`.
        """
        return -reconstruction_error(self._check_X_fitted(X), self.params_, visible=self.visible)

    def _history(self, X: Any, X_test: Any) -> tuple[dict[str, list[float]], Any]:
        """Empty curves and a ``record(params)`` that appends this epoch's errors."""
        hist: dict[str, list[float]] = {"train_error": []}
        if X_test is not None:
            hist["test_error"] = []

        def record(p: dict[str, Any]) -> None:
            hist["train_error"].append(reconstruction_error(X, p, visible=self.visible))
            if X_test is not None:
                hist["test_error"].append(reconstruction_error(X_test, p, visible=self.visible))

        return hist, record


def _check_fit_data(X: Any, X_test: Any) -> tuple[Any, Any]:
    X = _check_X(X)
    if X_test is not None:
        X_test = _check_X(X_test, "X_test", n_visible=X.shape[1])
    return X, X_test


class RecirculationAutoencoder(_Autoencoder):
    """An autoencoder trained by recirculation: no error is ever sent backwards.

    Args:
        n_hidden: number of hidden (code) units.
        lam: the regression λ in [0, 1).
        learning_rate: step size for :func:`recirculation_update` (a batch mean).
        batch_size: examples per update.
        n_epochs: passes through the training data.
        visible: ``"logistic"`` or ``"linear"`` visible units.
        regress_hidden: regress the hidden units too on the second pass.
        init_scale: std of the initial weights (:func:`init_params`).
        track_alignment: also record, every epoch, how well the update points downhill.
        rng: int seed or Generator (initial weights and the shuffles).

    After :meth:`fit`, ``params_`` holds the weights and ``history_`` a dict of
    per-epoch lists: ``"train_error"``, ``"test_error"`` (if ``X_test`` was
    given), ``"cosine_all"``, ``"cosine_visible_to_hidden"``,
    ``"cosine_hidden_to_visible"`` and ``"symmetry"`` (if ``track_alignment``; the
    cosines of the full-batch update on the first ``ALIGNMENT_ROWS`` training rows).
    Entry 0 of each list is measured before training.
    """

    def __init__(
        self,
        n_hidden: int,
        *,
        lam: float = 0.5,
        learning_rate: float = 0.05,
        batch_size: int = 20,
        n_epochs: int = 200,
        visible: str = "logistic",
        regress_hidden: bool = True,
        init_scale: float = 0.1,
        track_alignment: bool = False,
        rng: Any,
    ) -> None:
        check_int(n_hidden, "n_hidden", low=1)
        _check_lam(lam)
        check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
        check_int(batch_size, "batch_size", low=1)
        check_int(n_epochs, "n_epochs", low=1)
        check_choice(visible, "visible", VISIBLE_UNITS)
        _check_bool(regress_hidden, "regress_hidden")
        check_real(init_scale, "init_scale", low=0.0)
        _check_bool(track_alignment, "track_alignment")
        self.n_hidden = n_hidden
        self.lam = lam
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.visible = visible
        self.regress_hidden = regress_hidden
        self.init_scale = init_scale
        self.track_alignment = track_alignment
        self.rng = check_rng(rng)

    def fit(self, X: Any, X_test: Any = None) -> RecirculationAutoencoder:
        """Train on the rows of ``X`` (values in [0, 1] for logistic units); ``X_test``
        (optional) is only measured."""
        gen = self._fit_generator()
        X, X_test = _check_fit_data(X, X_test)
        n, n_v = X.shape
        lam, regress = float(self.lam), self.regress_hidden
        p = init_params(n_v, self.n_hidden, rng=gen, scale=self.init_scale)
        hist, record_errors = self._history(X, X_test)
        if self.track_alignment:
            for key in ALIGNMENT_KEYS:
                hist[key] = []

        def record() -> None:
            record_errors(p)
            if self.track_alignment:
                c = update_cosines(
                    X[:ALIGNMENT_ROWS], p, lam, visible=self.visible, regress_hidden=regress
                )
                hist["cosine_all"].append(c["all"])
                hist["cosine_visible_to_hidden"].append(c["visible_to_hidden"])
                hist["cosine_hidden_to_visible"].append(c["hidden_to_visible"])
                hist["symmetry"].append(weight_symmetry(p))

        record()
        with B.one_blas_thread():  # small products, many times: see core.backend
            for _ in range(self.n_epochs):
                for rows in nn.minibatches(n, self.batch_size, gen):
                    step = _update(
                        _recirculate(X[rows], p, lam, self.visible, regress), self.learning_rate
                    )
                    for key in PARAM_KEYS:
                        p[key] += step[key]
                record()
        self.params_ = p
        self.history_ = hist
        return self


class BackpropAutoencoder(_Autoencoder):
    """The same autoencoder trained by backpropagation, through the book's one training loop.

    The network is ``nn.Linear → sigmoid → nn.Linear (→ sigmoid)`` in float64,
    its weights drawn from the fit's generator (normal, std ``init_scale``, as
    :func:`init_params` draws them for recirculation), trained by
    :func:`hinton_utils.core.nn.train` to minimise
    ``E = ½ · mean over the batch of Σᵢ (xᵢ − x̂ᵢ)²`` (the error whose gradient
    :func:`reconstruction_gradient` computes) with SGD (``"sgd"``, optionally with
    ``momentum``) or Adam (``"adam"``).

    Args:
        n_hidden: number of hidden (code) units.
        learning_rate: the optimiser's learning rate.
        batch_size: examples per update.
        n_epochs: passes through the training data.
        optimizer: ``"sgd"`` or ``"adam"``.
        momentum: SGD's momentum in [0, 1) (0 with Adam).
        visible: ``"logistic"`` or ``"linear"`` visible units.
        init_scale: std of the initial weights, > 0.
        rng: int seed or Generator (initial weights and the shuffles).

    After :meth:`fit`: ``params_`` (the weights, as for recirculation),
    ``network_`` (the trained :class:`hinton_utils.core.nn.Sequential`) and
    ``history_`` (``"train_error"``, and ``"test_error"`` if ``X_test`` was given;
    entry 0 before training).
    """

    def __init__(
        self,
        n_hidden: int,
        *,
        learning_rate: float = 0.05,
        batch_size: int = 20,
        n_epochs: int = 200,
        optimizer: str = "sgd",
        momentum: float = 0.0,
        visible: str = "logistic",
        init_scale: float = 0.1,
        rng: Any,
    ) -> None:
        check_int(n_hidden, "n_hidden", low=1)
        check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
        check_int(batch_size, "batch_size", low=1)
        check_int(n_epochs, "n_epochs", low=1)
        check_choice(optimizer, "optimizer", OPTIMIZERS)
        check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        if optimizer == "adam" and momentum != 0.0:
            raise ValueError(f"momentum applies to optimizer='sgd' only; got {momentum}")
        check_choice(visible, "visible", VISIBLE_UNITS)
        check_real(init_scale, "init_scale", low=0.0, low_open=True)
        self.n_hidden = n_hidden
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_epochs = n_epochs
        self.optimizer = optimizer
        self.momentum = momentum
        self.visible = visible
        self.init_scale = init_scale
        self.rng = check_rng(rng)

    def fit(self, X: Any, X_test: Any = None) -> BackpropAutoencoder:
        """Train on the rows of ``X``; ``X_test`` (optional) is only measured."""
        gen = self._fit_generator()
        X, X_test = _check_fit_data(X, X_test)
        n_v = X.shape[1]
        enc = nn.Linear(n_v, self.n_hidden, rng=gen, init=self.init_scale, dtype="float64")
        dec = nn.Linear(self.n_hidden, n_v, rng=gen, init=self.init_scale, dtype="float64")
        layers: list[nn.Module] = [enc, nn.Activation("sigmoid"), dec]
        if self.visible == "logistic":
            layers.append(nn.Activation("sigmoid"))
        network = nn.Sequential(*layers)
        if self.optimizer == "sgd":
            opt = optim.SGD(
                network.parameters(), learning_rate=self.learning_rate, momentum=self.momentum
            )
        else:
            opt = optim.Adam(network.parameters(), learning_rate=self.learning_rate)

        def weights() -> dict[str, Any]:
            return {
                "W_vh": enc.weight.data.copy(),
                "b_h": enc.bias.data.copy(),
                "W_hv": dec.weight.data.copy(),
                "b_v": dec.bias.data.copy(),
            }

        def half_mse(out: Tensor, target: Any) -> Tensor:
            return functional.mse(out, target, reduction="sum") * (0.5 / out.shape[0])

        hist, record = self._history(X, X_test)
        record(weights())
        nn.train(
            network,
            opt,
            X,
            X,
            n_epochs=self.n_epochs,
            batch_size=self.batch_size,
            rng=gen,
            loss=half_mse,
            callback=lambda epoch, loss: record(weights()),
        )
        self.params_ = weights()
        self.network_ = network
        self.history_ = hist
        return self


def pca_reconstruct(X_train: Any, X: Any, n_components: int) -> Any:
    """Reconstruct ``X`` from its projection on the top principal components of ``X_train``.

    ``x̂ = μ + (x − μ) V_k V_kᵀ`` with ``μ`` the training mean and ``V_k`` the top
    ``n_components`` right singular vectors of the centred training data. With
    ``n_components = 0`` every row is reconstructed as the mean image. For
    squared error this is the best any *linear* code of that size can do.
    """
    X_train = _check_X(X_train, "X_train")
    X = _check_X(X, n_visible=X_train.shape[1])
    k = check_int(n_components, "n_components", low=0, high=min(X_train.shape))
    xp = B.xp()
    mu = X_train.mean(axis=0)
    if k == 0:
        return xp.broadcast_to(mu, X.shape).copy()
    _, _, vt = xp.linalg.svd(X_train - mu, full_matrices=False)
    V = vt[:k].T
    return mu + ((X - mu) @ V) @ V.T


# ------------------------------------------------------------------ STDP
def spike_trace(t: Any, spike_time: float, tau: float) -> Any:
    """The exponential trace a spike at ``spike_time`` leaves: ``e^{−(t − t_s)/τ}`` for t ≥ t_s, else 0."""
    t = check_array(t, "t", ndim=1, dtype="float64")
    spike_time = check_real(spike_time, "spike_time")
    tau = check_real(tau, "tau", low=0.0, low_open=True)
    xp = B.xp()
    lag = t - spike_time
    return xp.where(lag >= 0, xp.exp(-xp.maximum(lag, 0.0) / tau), 0.0)


def timing_window(delta_t: Any, *, tau: float = 20.0, dt: float = 0.1, rule: str = "stdp") -> Any:
    """Weight change against spike timing, from "presynaptic activity × change in postsynaptic activity".

    A presynaptic spike at 0 and a postsynaptic spike at ``Δt`` each leave an
    exponential trace (:func:`spike_trace`). On a time grid of step ``dt`` the
    weight change is the sum, over steps, of the presynaptic trace times the
    step's change in the postsynaptic trace (the trapezoid rule for
    ``∫ pre · d(post)/dt dt``)::

        stdp:           Δw = Σₖ ½(preₖ + preₖ₊₁) · (postₖ₊₁ − postₖ)     (new − old)
        recirculation:  the same with the opposite sign                 (old − new)

    Args:
        delta_t: spike-time differences ``t_post − t_pre`` (same units as ``tau``), 1-D.
        tau: the traces' time constant.
        dt: the time step of the grid (small next to ``tau``).
        rule: ``"stdp"`` (new − old) or ``"recirculation"`` (old − new).

    Returns:
        One weight change per entry of ``delta_t``. For ``dt → 0`` it tends to
        :func:`stdp_closed_form` (times −1 for recirculation).
    """
    delta_t = check_array(delta_t, "delta_t", ndim=1, dtype="float64")
    tau = check_real(tau, "tau", low=0.0, low_open=True)
    dt = check_real(dt, "dt", low=0.0, low_open=True, high=tau)
    rule = check_choice(rule, "rule", TIMING_RULES)
    xp = B.xp()
    span = float(xp.abs(delta_t).max()) + 20.0 * tau  # long enough for both traces to die out
    k = int(math.ceil(span / dt))
    t = dt * xp.arange(-k, k + 1, dtype="float64")  # 0 is a grid point, so is every k·dt
    pre = spike_trace(t, 0.0, tau)
    pre_mid = 0.5 * (pre[1:] + pre[:-1])
    out = xp.empty(delta_t.shape[0])
    for i in range(delta_t.shape[0]):
        post = spike_trace(t, float(delta_t[i]), tau)
        out[i] = float(pre_mid @ (post[1:] - post[:-1]))
    return out if rule == "stdp" else -out


def stdp_closed_form(delta_t: Any, tau: float = 20.0) -> Any:
    """The exact ``∫ pre · d(post)/dt dt`` for exponential traces: ``½ sign(Δt) e^{−|Δt|/τ}``.

    Positive (potentiation) when the postsynaptic spike comes after the
    presynaptic one, negative (depression) when it comes before; 0 at Δt = 0.
    """
    delta_t = check_array(delta_t, "delta_t", ndim=1, dtype="float64")
    tau = check_real(tau, "tau", low=0.0, low_open=True)
    xp = B.xp()
    return 0.5 * xp.sign(delta_t) * xp.exp(-xp.abs(delta_t) / tau)
