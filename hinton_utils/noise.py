"""Chapter 13: noise that helps — fixed wrong labels, dropout, and input noise as ridge.

Three ways of adding noise to learning, each of which people expected to hurt:

* **Fixed wrong labels.** :func:`corrupt_labels` gives a fraction of the training
  examples one wrong label each, drawn once and kept, so the errors cannot
  average out over epochs. :func:`label_probabilities` says why a network can
  still see through them: with ``K`` classes and a fraction ``f`` of uniform
  wrong labels, the right class keeps probability ``1 − f`` and each wrong
  class gets ``f/(K − 1)``, so the right class stays the most common label
  for an image until ``f = (K − 1)/K``.
* **Dropout** (Hinton et al. 2012; Srivastava et al. 2014). :func:`dropout_mlp`
  builds a network with :class:`hinton_utils.core.nn.Dropout` layers, and
  :func:`fit_and_track` trains any network through the book's one loop
  (:func:`hinton_utils.core.nn.train`) while recording training and test
  curves. :func:`softmax_layer_ensemble` and :func:`hidden_layer_ensemble`
  enumerate every dropout mask of a small network and compare the
  geometric-mean ensemble with the weight-scaled network used at test time.
* **Gaussian input noise** on linear regression is ridge regression in
  expectation: :func:`expected_noisy_loss` is the closed form,
  :func:`ridge` the minimiser, :func:`noisy_least_squares` the Monte-Carlo
  version with noisy copies of the data.
"""

from __future__ import annotations

from typing import Any

from .core import backend as B
from .core import functional as F
from .core import nn
from .core.autodiff import Tensor, no_grad
from .core.special import log_softmax, logsumexp
from .core.validation import check_array, check_int, check_real

__all__ = [
    "corrupt_labels",
    "dropout_masks",
    "dropout_mlp",
    "expected_noisy_loss",
    "fit_and_track",
    "hidden_layer_ensemble",
    "label_probabilities",
    "noisy_least_squares",
    "ridge",
    "softmax_layer_ensemble",
]


# ------------------------------------------------------------ fixed wrong labels
def corrupt_labels(y: Any, fraction: float, n_classes: int, rng: Any) -> tuple[Any, Any]:
    """Give exactly ``round(fraction · n)`` examples one fixed wrong label each.

    The corrupted examples are a uniformly random subset; each gets a label
    drawn uniformly from the ``n_classes − 1`` classes that are *not* its true
    class. The result is drawn once: training on it shows the network the same
    wrong label every epoch, as in the experiment Hinton describes.

    Args:
        y: true integer labels in ``[0, n_classes)``, shape (n,).
        fraction: the fraction of examples to corrupt, in [0, 1].
        n_classes: the number of classes, >= 2.
        rng: int seed or Generator.

    Returns:
        ``(noisy, corrupted)``: the new labels (int64, shape (n,)) and a boolean
        mask of the examples whose label was changed.
    """
    xp = B.xp()
    y = check_array(y, "y", ndim=1)
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer class labels; got dtype {y.dtype}")
    fraction = check_real(fraction, "fraction", low=0.0, high=1.0)
    n_classes = check_int(n_classes, "n_classes", low=2)
    if int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise ValueError(
            f"y must hold labels in [0, {n_classes}); got {int(y.min())}..{int(y.max())}"
        )
    gen = B.as_generator(rng, "rng")
    n = y.shape[0]
    k = int(round(fraction * n))
    chosen = xp.argsort(gen.random(n))[:k]
    corrupted = xp.zeros(n, dtype=bool)
    corrupted[chosen] = True
    shift = gen.integers(1, n_classes, size=n)  # 1..K-1: never the true class
    noisy = xp.where(corrupted, (y + shift) % n_classes, y).astype(xp.int64)
    return noisy, corrupted


def label_probabilities(fraction: float, n_classes: int) -> tuple[float, float]:
    """The label distribution of one image after uniform fixed corruption.

    Args:
        fraction: the fraction ``f`` of examples given a wrong label, in [0, 1].
        n_classes: the number of classes ``K``, >= 2.

    Returns:
        ``(right, each_wrong)`` = ``(1 − f, f/(K − 1))``. The right class is the
        plurality exactly when ``f < (K − 1)/K``.
    """
    fraction = check_real(fraction, "fraction", low=0.0, high=1.0)
    n_classes = check_int(n_classes, "n_classes", low=2)
    return 1.0 - fraction, fraction / (n_classes - 1)


# ------------------------------------------------------------------ training
def dropout_mlp(
    sizes: list[int] | tuple[int, ...],
    *,
    p_hidden: float,
    rng: Any,
    p_input: float = 0.0,
    activation: str = "relu",
    dtype: Any = "float32",
) -> nn.Sequential:
    """A multi-layer perceptron with dropout on its input and after every hidden layer.

    Args:
        sizes: widths from input to output, e.g. ``[64, 256, 10]``.
        p_hidden: probability of dropping each hidden unit in training, in [0, 1).
        rng: int seed or Generator for the weights and the dropout masks.
        p_input: probability of dropping each input, in [0, 1).
        activation: hidden nonlinearity (see :data:`hinton_utils.core.nn.ACTIVATIONS`).
        dtype: ``"float32"`` or ``"float64"``.

    Returns:
        ``Sequential(Dropout(p_input), Linear, activation, Dropout(p_hidden), ..., Linear)``;
        with both probabilities 0 it computes the same function as ``nn.MLP(sizes)``
        built from the same seed. Weights use He initialisation for ReLU units.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least 2 layer widths; got {sizes!r}")
    sizes = [check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]
    p_hidden = check_real(p_hidden, "p_hidden", low=0.0, high=1.0, high_open=True)
    p_input = check_real(p_input, "p_input", low=0.0, high=1.0, high_open=True)
    gen = B.as_generator(rng, "rng")
    init = "he" if activation in ("relu", "leaky_relu") else "xavier"
    layers: list[nn.Module] = [nn.Dropout(p_input, rng=gen)]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out, rng=gen, init=init, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.Activation(activation))
            layers.append(nn.Dropout(p_hidden, rng=gen))
    return nn.Sequential(*layers)


def _evaluate(model: nn.Module, X: Any, y: Any) -> tuple[float, Any]:
    model.eval()
    with no_grad():
        logits = model(Tensor.constant(X))
        loss = float(F.cross_entropy(logits, y).data)
    model.train()
    return loss, logits.data


def fit_and_track(
    model: nn.Module,
    optimizer: Any,
    X: Any,
    y: Any,
    X_test: Any,
    y_test: Any,
    *,
    n_epochs: int,
    batch_size: int,
    rng: Any,
    y_true: Any = None,
) -> dict[str, Any]:
    """Train a classifier through :func:`hinton_utils.core.nn.train`, recording every epoch.

    Args:
        model: a network mapping (batch, n_features) to logits.
        optimizer: a :mod:`hinton_utils.core.optim` optimiser over its parameters.
        X, y: the training inputs and the labels it is trained on (maybe corrupted).
        X_test, y_test: held-out inputs and their true labels.
        n_epochs, batch_size, rng: as for :func:`hinton_utils.core.nn.train`.
        y_true: the true training labels, when ``y`` has corrupted ones.

    Returns:
        A dict of host lists, one entry per epoch: ``"loss"`` (the mean training
        loss as trained, with any dropout noise), ``"train_loss"`` (the loss on
        ``(X, y)`` in evaluation mode, no dropout), ``"test_loss"``,
        ``"test_accuracy"``; and with ``y_true``: ``"fits_given"`` (the fraction
        of *corrupted* examples predicted as their given wrong label) and
        ``"sees_through"`` (the fraction of corrupted examples predicted as
        their true label).
    """
    params = model.parameters()
    dtype = params[0].dtype if params else "float32"
    X = check_array(X, "X", ndim=2).astype(dtype)
    y = check_array(y, "y", ndim=1)
    X_test = check_array(X_test, "X_test", ndim=2).astype(dtype)
    y_test = check_array(y_test, "y_test", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} entries to match X; got {y.shape[0]}")
    if y_test.shape[0] != X_test.shape[0]:
        raise ValueError(f"y_test must have {X_test.shape[0]} entries; got {y_test.shape[0]}")
    corrupted = None
    if y_true is not None:
        y_true = check_array(y_true, "y_true", ndim=1)
        if y_true.shape != y.shape:
            raise ValueError(f"y_true must have shape {tuple(y.shape)}; got {tuple(y_true.shape)}")
        corrupted = y_true != y
    keys = ["train_loss", "test_loss", "test_accuracy"]
    if corrupted is not None:
        keys += ["fits_given", "sees_through"]
    record: dict[str, Any] = {k: [] for k in keys}

    def callback(epoch: int, loss: float) -> None:
        train_loss, train_logits = _evaluate(model, X, y)
        test_loss, test_logits = _evaluate(model, X_test, y_test)
        record["train_loss"].append(train_loss)
        record["test_loss"].append(test_loss)
        record["test_accuracy"].append(nn.accuracy(test_logits, y_test))
        if corrupted is not None:
            predicted = train_logits.argmax(axis=1)
            n_bad = max(int(corrupted.sum()), 1)
            record["fits_given"].append(float((predicted == y)[corrupted].sum()) / n_bad)
            record["sees_through"].append(float((predicted == y_true)[corrupted].sum()) / n_bad)

    record["loss"] = nn.train(
        model,
        optimizer,
        X,
        y,
        n_epochs=n_epochs,
        batch_size=batch_size,
        rng=rng,
        callback=callback,
    )
    return record


# ---------------------------------------------------------- dropout as an ensemble
def dropout_masks(n: int) -> Any:
    """Every binary keep-mask over ``n`` units: shape (2**n, n), row ``i`` is ``i`` in binary.

    Args:
        n: the number of units, 1 to 20.
    """
    n = check_int(n, "n", low=1, high=20)
    xp = B.xp()
    codes = xp.arange(2**n)[:, None]
    return ((codes >> xp.arange(n - 1, -1, -1)) & 1).astype(xp.float64)


def _mask_log_weights(masks: Any, p: float) -> Any:
    """log P(mask) when each unit is kept with probability 1 − p independently."""
    xp = B.xp()
    kept = masks.sum(axis=1)
    n = masks.shape[1]
    if p == 0.0:
        return xp.where(kept == n, 0.0, -xp.inf)
    return kept * xp.log1p(-p) + (n - kept) * xp.log(p)


def _ensembles(log_probs: Any, log_w: Any) -> dict[str, Any]:
    """Combine per-mask log-probabilities (masks, n, K) with mask log-weights (masks,)."""
    xp = B.xp()
    w = xp.exp(log_w - logsumexp(log_w, axis=0))
    keep = w > 0
    lp, w = log_probs[keep], w[keep]
    geometric = xp.tensordot(w, lp, axes=1)
    geometric = xp.exp(log_softmax(geometric))
    arithmetic = xp.tensordot(w, xp.exp(lp), axes=1)
    return {"geometric": geometric, "arithmetic": arithmetic}


def softmax_layer_ensemble(X: Any, W: Any, b: Any, p: float) -> dict[str, Any]:
    """A softmax layer with dropout on its inputs, averaged over every mask exactly.

    Args:
        X: inputs, shape (n, d) with d <= 16.
        W: weights, shape (d, K).
        b: biases, shape (K,).
        p: the probability of dropping each input, in [0, 1).

    Returns:
        ``{"geometric", "arithmetic", "scaled"}``, each (n, K) class
        probabilities: the renormalised geometric mean and the arithmetic mean
        over all 2**d sub-networks (each weighted by its mask's probability),
        and the weight-scaled network ``softmax((1 − p) X W + b)``. For this
        one layer the first and the last are equal exactly (the log-softmax is
        linear in the mask up to a term the renormalisation removes).
    """
    xp = B.xp()
    X = check_array(X, "X", ndim=2, dtype="float64")
    W = check_array(W, "W", ndim=2, dtype="float64")
    b = check_array(b, "b", ndim=1, dtype="float64")
    p = check_real(p, "p", low=0.0, high=1.0, high_open=True)
    d = X.shape[1]
    if d > 16:
        raise ValueError(f"X must have at most 16 columns (2**d masks are enumerated); got {d}")
    if W.shape[0] != d or b.shape[0] != W.shape[1]:
        raise ValueError(f"W must have shape ({d}, K) and b shape (K,); got {W.shape}, {b.shape}")
    masks = dropout_masks(d)
    logits = xp.einsum("md,nd,dk->mnk", masks, X, W) + b
    out = _ensembles(log_softmax(logits), _mask_log_weights(masks, p))
    out["scaled"] = xp.exp(log_softmax((1.0 - p) * X @ W + b))
    return out


def hidden_layer_ensemble(X: Any, W1: Any, b1: Any, W2: Any, b2: Any, p: float) -> dict[str, Any]:
    """Dropout on the inputs of a ReLU hidden layer, then softmax, over every mask exactly.

    The network is ``softmax(relu((m ⊙ x) W1 + b1) W2 + b2)`` with a keep-mask
    ``m`` over the inputs; the weight-scaled network replaces ``m`` by ``1 − p``.
    Because a nonlinearity now lies between the dropout and the softmax, the
    geometric mean and the weight-scaled net are no longer equal: the returned
    dict lets one measure the gap. (Dropout on the hidden units themselves,
    *after* the ReLU, is the single-layer case of :func:`softmax_layer_ensemble`
    applied to the hidden activities, and is exact.)

    Args:
        X: inputs, shape (n, d) with d <= 16.
        W1, b1: hidden weights (d, h) and biases (h,).
        W2, b2: output weights (h, K) and biases (K,).
        p: the probability of dropping each input, in [0, 1).

    Returns:
        ``{"geometric", "arithmetic", "scaled"}`` as in :func:`softmax_layer_ensemble`.
    """
    xp = B.xp()
    X = check_array(X, "X", ndim=2, dtype="float64")
    W1 = check_array(W1, "W1", ndim=2, dtype="float64")
    b1 = check_array(b1, "b1", ndim=1, dtype="float64")
    W2 = check_array(W2, "W2", ndim=2, dtype="float64")
    b2 = check_array(b2, "b2", ndim=1, dtype="float64")
    p = check_real(p, "p", low=0.0, high=1.0, high_open=True)
    d = X.shape[1]
    if d > 16:
        raise ValueError(f"X must have at most 16 columns (2**d masks are enumerated); got {d}")
    if W1.shape[0] != d or b1.shape[0] != W1.shape[1]:
        raise ValueError(f"W1 must be ({d}, h) and b1 (h,); got {W1.shape}, {b1.shape}")
    h = W1.shape[1]
    if W2.shape[0] != h or b2.shape[0] != W2.shape[1]:
        raise ValueError(f"W2 must be ({h}, K) and b2 (K,); got {W2.shape}, {b2.shape}")
    masks = dropout_masks(d)
    hidden = xp.maximum(xp.einsum("md,nd,dh->mnh", masks, X, W1) + b1, 0.0)
    logits = hidden @ W2 + b2
    out = _ensembles(log_softmax(logits), _mask_log_weights(masks, p))
    scaled_hidden = xp.maximum((1.0 - p) * X @ W1 + b1, 0.0)
    out["scaled"] = xp.exp(log_softmax(scaled_hidden @ W2 + b2))
    return out


# ------------------------------------------------------ input noise is ridge
def _check_regression(X: Any, y: Any) -> tuple[Any, Any]:
    X = check_array(X, "X", ndim=2, dtype="float64")
    y = check_array(y, "y", ndim=1, dtype="float64")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} entries to match X; got {y.shape[0]}")
    return X, y


def ridge(X: Any, y: Any, alpha: float) -> Any:
    """The minimiser of ``mean((y − X w)²) + alpha·|w|²``: ``(XᵀX/n + alpha I)⁻¹ Xᵀy/n``.

    Args:
        X: inputs (n, d).
        y: targets (n,).
        alpha: the penalty, >= 0 (0 is ordinary least squares; then XᵀX must be invertible).
    """
    xp = B.xp()
    X, y = _check_regression(X, y)
    alpha = check_real(alpha, "alpha", low=0.0)
    n, d = X.shape
    return xp.linalg.solve(X.T @ X / n + alpha * xp.eye(d), X.T @ y / n)


def expected_noisy_loss(w: Any, X: Any, y: Any, sigma: float) -> float:
    """The mean squared error of ``w`` averaged over Gaussian input noise, in closed form.

    With each input ``x`` replaced by ``x + ε``, ``ε ~ N(0, σ² I)`` fresh each
    time, ``E[(y − (x + ε)·w)²] = (y − x·w)² + σ²|w|²``: the noise adds exactly a
    ridge penalty with ``alpha = σ²``.

    Args:
        w: weights (d,).
        X: inputs (n, d).
        y: targets (n,).
        sigma: the noise's standard deviation, >= 0.
    """
    xp = B.xp()
    X, y = _check_regression(X, y)
    w = check_array(w, "w", shape=(X.shape[1],), dtype="float64")
    sigma = check_real(sigma, "sigma", low=0.0)
    return float(xp.mean((y - X @ w) ** 2) + sigma**2 * (w @ w))


def noisy_least_squares(X: Any, y: Any, sigma: float, n_copies: int, rng: Any) -> Any:
    """Ordinary least squares on ``n_copies`` noisy copies of the data (Monte Carlo).

    Each copy adds fresh ``N(0, σ²)`` noise to every input and keeps the
    targets. As ``n_copies`` grows the solution tends to :func:`ridge` with
    ``alpha = σ²``, with an error that shrinks like ``1/√n_copies``.

    Args:
        X: inputs (n, d).
        y: targets (n,).
        sigma: the noise's standard deviation, >= 0.
        n_copies: how many noisy copies, >= 1.
        rng: int seed or Generator.
    """
    xp = B.xp()
    X, y = _check_regression(X, y)
    sigma = check_real(sigma, "sigma", low=0.0)
    n_copies = check_int(n_copies, "n_copies", low=1)
    gen = B.as_generator(rng, "rng")
    n, d = X.shape
    gram = xp.zeros((d, d))
    moment = xp.zeros(d)
    for _ in range(n_copies):  # accumulate, so memory stays O(n·d) however many copies
        Xn = X + sigma * gen.standard_normal((n, d))
        gram += Xn.T @ Xn
        moment += Xn.T @ y
    return xp.linalg.solve(gram, moment)
