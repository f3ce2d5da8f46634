"""Chapter 14: does the brain do backprop? Feedback alignment, target propagation, weight sharing.

Backpropagation sends the error back through the *transposes* of the forward
weights. A brain would have to copy every synapse's strength into a separate
backward pathway ("weight transport"). Two ways round it are written here:

* **Feedback alignment** (Lillicrap, Cownden, Tweed & Akerman 2016): send the
  error back through a fixed random matrix ``B`` instead of ``Wᵀ``.
  :func:`feedback_deltas` takes the activities, the output error and the
  feedback matrices, and never sees a forward weight; with ``B = Wᵀ`` it is
  exactly backprop.
* **Difference target propagation** (Lee, Zhang, Fischer & Bengio 2015): give
  every hidden layer a *target*, computed downwards through learned inverses
  ``g`` with the difference correction ``ĥ₋ = h₋ + g(ĥ) − g(h)``, and train each
  layer on its own squared distance to its target (:func:`difference_targets`,
  :func:`local_update`).

Both are trained by :func:`train_local`, a readable loop that applies the
updates with :func:`hinton_utils.core.optim.momentum_step`. Backprop baselines
are ordinary :class:`hinton_utils.core.nn.MLP` networks trained with
:func:`hinton_utils.core.nn.train`; :func:`tanh_mlp` builds one, and the local
methods start from exactly its initial weights.

For the 2018 article's point about weight sharing, :func:`patch_net` builds a
fully connected, a locally connected (every position its own weights) or a
convolutional (one set of weights shared by every position) network on 8×8
images, all trained by backprop, whose free parameters differ by orders of
magnitude.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .core import backend as B
from .core import functional as F
from .core import nn, optim
from .core.autodiff import Tensor
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "LocalPatches",
    "METHODS",
    "Autoencoder",
    "alignment_angle",
    "compare_methods",
    "difference_targets",
    "embed_label",
    "ff_goodness",
    "ff_layer_losses",
    "ff_predict",
    "feedback_deltas",
    "forward",
    "local_update",
    "mlp_arrays",
    "output_error",
    "patch_indices",
    "patch_net",
    "random_feedback",
    "tanh_mlp",
    "train_forward_forward",
    "train_local",
    "two_pass_gradient",
]

METHODS = ("fa", "dtp")


# ------------------------------------------------------------------ checks
def _check_layers(weights: Any, biases: Any) -> tuple[list[Any], list[Any]]:
    """Lists of 2-D weights ``(n_in, n_out)`` and matching 1-D biases that chain."""
    if not isinstance(weights, (list, tuple)) or len(weights) < 1:
        raise TypeError("weights must be a non-empty list of 2-D arrays")
    if not isinstance(biases, (list, tuple)) or len(biases) != len(weights):
        raise TypeError(f"biases must be a list of {len(weights)} 1-D arrays")
    Ws = [check_array(w, f"weights[{i}]", ndim=2) for i, w in enumerate(weights)]
    bs = [check_array(b, f"biases[{i}]", ndim=1) for i, b in enumerate(biases)]
    for i, (w, b) in enumerate(zip(Ws, bs, strict=True)):
        if b.shape[0] != w.shape[1]:
            raise ValueError(f"biases[{i}] must have {w.shape[1]} entries; got {b.shape[0]}")
        if i and w.shape[0] != Ws[i - 1].shape[1]:
            raise ValueError(f"weights[{i}] must have {Ws[i - 1].shape[1]} rows; got {w.shape[0]}")
    return Ws, bs


def _check_sizes(sizes: Any) -> list[int]:
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 3:
        raise ValueError(f"sizes must list at least 3 layer widths; got {sizes!r}")
    return [check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]


def _check_labels(y: Any, n: int, n_classes: int) -> Any:
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != n:
        raise ValueError(f"y must have {n} entries to match X; got {y.shape[0]}")
    if y.dtype.kind not in "iu" or int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise ValueError(f"y must hold integer labels in [0, {n_classes})")
    return y


# ------------------------------------------------------------- the network
def tanh_mlp(sizes: list[int], *, rng: Any, dtype: str = "float32") -> nn.MLP:
    """The chapter's network: tanh hidden layers, linear output (logits), Glorot init.

    Args:
        sizes: widths from input to output, at least one hidden layer.
        rng: int seed or Generator for the initial weights.
        dtype: ``"float32"`` or ``"float64"``.

    Returns:
        A :class:`hinton_utils.core.nn.MLP`, ready for :func:`hinton_utils.core.nn.train`.
    """
    sizes = _check_sizes(sizes)
    return nn.MLP(sizes, rng=rng, activation="tanh", init="xavier", dtype=dtype)


def mlp_arrays(model: nn.MLP) -> tuple[list[Any], list[Any]]:
    """Copies of an MLP's weights ``(n_in, n_out)`` and biases, input side first."""
    if not isinstance(model, nn.MLP):
        raise TypeError(f"model must be a hinton_utils.core.nn.MLP; got {type(model).__name__}")
    return (
        [lin.weight.data.copy() for lin in model.linears],
        [lin.bias.data.copy() for lin in model.linears],
    )


def forward(weights: list[Any], biases: list[Any], X: Any) -> list[Any]:
    """Every layer's activity: ``[X, h₁, …, h_{L−1}, logits]`` (tanh hidden, linear output).

    Args:
        weights: ``(n_in, n_out)`` arrays, input side first.
        biases: matching ``(n_out,)`` arrays.
        X: inputs, (n, n_features).
    """
    Ws, bs = _check_layers(weights, biases)
    X = check_array(X, "X", ndim=2, shape=(None, Ws[0].shape[0]))
    return _forward(Ws, bs, X)


def _forward(Ws: list[Any], bs: list[Any], X: Any) -> list[Any]:
    xp = B.xp()
    hs = [X]
    for i, (w, b) in enumerate(zip(Ws, bs, strict=True)):
        a = hs[-1] @ w + b
        hs.append(a if i == len(Ws) - 1 else xp.tanh(a))
    return hs


def output_error(logits: Any, y: Any) -> Any:
    """``∂L/∂logits`` of the mean cross-entropy: ``(softmax(logits) − onehot(y)) / n``."""
    z = check_array(logits, "logits", ndim=2)
    y = _check_labels(y, z.shape[0], z.shape[1])
    return _output_error(z, y)


def _output_error(z: Any, y: Any) -> Any:
    xp = B.xp()
    p = xp.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    p[xp.arange(z.shape[0]), y] -= 1.0
    return p / z.shape[0]


# ------------------------------------------------------- feedback alignment
def random_feedback(sizes: list[int], *, rng: Any, dtype: str = "float64") -> list[Any]:
    """Fixed random feedback matrices: ``B[i]`` of shape ``(n_out, n_in)`` for layer ``i+1``.

    Layer ``i+1`` (counting the first weight layer as 0) would send the error
    down through ``Wᵀ``; feedback alignment uses ``B[i]`` instead, drawn once
    from the same Glorot-uniform distribution as the forward weights and never
    changed. The first layer needs no feedback: nothing lies below it.
    """
    sizes = _check_sizes(sizes)
    gen = B.as_generator(rng, "rng")
    out = []
    for n_in, n_out in zip(sizes[1:-1], sizes[2:], strict=True):
        limit = math.sqrt(6.0 / (n_in + n_out))
        out.append((limit * (2.0 * gen.random((n_out, n_in)) - 1.0)).astype(dtype))
    return out


def feedback_deltas(activations: list[Any], error: Any, feedback: list[Any]) -> list[Any]:
    """Each layer's error signal δ, sent down through ``feedback`` instead of ``Wᵀ``.

    ``δ_L = error`` and ``δ_{l} = (δ_{l+1} B_l) ⊙ (1 − h_l²)`` for the tanh hidden
    layers. The function sees the activities, the output error and the feedback
    matrices, and no forward weight: with ``feedback = [W.T for W in weights[1:]]``
    it is backprop, with fixed random matrices it is feedback alignment.

    Args:
        activations: ``[X, h₁, …, logits]`` from :func:`forward`.
        error: ``∂L/∂logits``, (n, n_classes).
        feedback: one ``(n_out, n_in)`` matrix per weight layer above the first.

    Returns:
        ``[δ₁, …, δ_L]``, one per weight layer, δ_L being ``error``.
    """
    if not isinstance(activations, (list, tuple)) or len(activations) < 3:
        raise TypeError("activations must be a list [X, h1, ..., logits] of at least 3 arrays")
    hs = [check_array(h, f"activations[{i}]", ndim=2) for i, h in enumerate(activations)]
    e = check_array(error, "error", ndim=2, shape=hs[-1].shape)
    if not isinstance(feedback, (list, tuple)) or len(feedback) != len(hs) - 2:
        raise TypeError(f"feedback must be a list of {len(hs) - 2} matrices")
    Bs = []
    for i, b in enumerate(feedback):
        want = (hs[i + 2].shape[1], hs[i + 1].shape[1])
        Bs.append(check_array(b, f"feedback[{i}]", ndim=2, shape=want))
    deltas = [e]
    for i in range(len(Bs) - 1, -1, -1):
        h = hs[i + 1]
        deltas.insert(0, (deltas[0] @ Bs[i]) * (1.0 - h * h))
    return deltas


def _weight_grads(hs: list[Any], deltas: list[Any]) -> list[tuple[Any, Any]]:
    """``(∂W, ∂b) = (h_{l−1}ᵀ δ_l, Σ δ_l)`` for each layer: local given δ_l."""
    return [(h.T @ d, d.sum(axis=0)) for h, d in zip(hs[:-1], deltas, strict=True)]


def alignment_angle(
    weights: list[Any], biases: list[Any], feedback: list[Any], X: Any, y: Any, *, layer: int
) -> float:
    """Angle in degrees between the feedback-alignment and the backprop update of one layer.

    Both updates are computed on ``(X, y)`` from the same forward pass; they
    differ only in how the error travels down (``B`` against ``Wᵀ``). Below 90°,
    the feedback-alignment step still goes downhill.

    Args:
        weights, biases: the forward network.
        feedback: the feedback matrices (see :func:`random_feedback`).
        X, y: inputs and integer labels.
        layer: which weight layer, 0 (next to the input) to ``len(weights) − 2``.
    """
    Ws, bs = _check_layers(weights, biases)
    layer = check_int(layer, "layer", low=0, high=len(Ws) - 2)
    X = check_array(X, "X", ndim=2, shape=(None, Ws[0].shape[0]))
    y = _check_labels(y, X.shape[0], Ws[-1].shape[1])
    hs = _forward(Ws, bs, X)
    e = _output_error(hs[-1], y)
    g_fa = _weight_grads(hs, feedback_deltas(hs, e, feedback))[layer][0]
    g_bp = _weight_grads(hs, feedback_deltas(hs, e, [w.T for w in Ws[1:]]))[layer][0]
    xp = B.xp()
    cos = float((g_fa * g_bp).sum() / (xp.linalg.norm(g_fa) * xp.linalg.norm(g_bp)))
    return math.degrees(math.acos(max(-1.0, min(1.0, cos))))


# ------------------------------------------------- difference target propagation
def difference_targets(
    activations: list[Any], top_target: Any, invert: Callable[[int, Any], Any]
) -> list[Any]:
    """Targets for every hidden layer, sent down with the difference correction.

    ``ĥ_{l−1} = h_{l−1} + g_l(ĥ_l) − g_l(h_l)``: the inverse's own error
    ``g_l(h_l) − h_{l−1}`` is subtracted, so a layer whose target equals its
    activity passes that on unchanged, even through an imperfect inverse, and
    with an exact inverse ``f_l(ĥ_{l−1}) = ĥ_l``.

    Args:
        activations: ``[X, h₁, …, h_{L−1}, logits]`` from :func:`forward`.
        top_target: the target ``ĥ_{L−1}`` of the top hidden layer.
        invert: ``invert(l, h_l)`` approximates ``h_{l−1}`` for ``l = 2 … L−1``
            (hidden layers numbered from 1).

    Returns:
        ``[ĥ₁, …, ĥ_{L−1}]``.
    """
    if not isinstance(activations, (list, tuple)) or len(activations) < 3:
        raise TypeError("activations must be a list [X, h1, ..., logits] of at least 3 arrays")
    hs = [check_array(h, f"activations[{i}]", ndim=2) for i, h in enumerate(activations)]
    top = check_array(top_target, "top_target", ndim=2, shape=hs[-2].shape)
    if not callable(invert):
        raise TypeError(f"invert must be callable; got {type(invert).__name__}")
    targets = [top]
    for layer in range(len(hs) - 2, 1, -1):  # hidden layer numbers L-1 … 2
        t = hs[layer - 1] + invert(layer, targets[0]) - invert(layer, hs[layer])
        targets.insert(0, t)
    return targets


def local_update(h_below: Any, h: Any, target: Any) -> tuple[Any, Any]:
    """Gradient of one tanh layer's own loss ``½‖h − ĥ‖²/n`` with its input held fixed.

    Args:
        h_below: the layer's input (a constant: nothing is sent further down).
        h: its output ``tanh(h_below W + b)``.
        target: what it should have output.

    Returns:
        ``(∂W, ∂b)``.
    """
    x = check_array(h_below, "h_below", ndim=2)
    h = check_array(h, "h", ndim=2, shape=(x.shape[0], None))
    t = check_array(target, "target", ndim=2, shape=h.shape)
    d = (h - t) * (1.0 - h * h) / x.shape[0]
    return x.T @ d, d.sum(axis=0)


# --------------------------------------------------------------- training
def train_local(
    method: str,
    sizes: list[int],
    X: Any,
    y: Any,
    *,
    n_epochs: int,
    batch_size: int,
    learning_rate: float,
    rng: Any,
    momentum: float = 0.0,
    target_step: float = 0.5,
    noise: float = 0.1,
    dtype: str = "float32",
    callback: Callable[[int, list[Any], list[Any], dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Train a tanh network by feedback alignment (``"fa"``) or DTP (``"dtp"``).

    The initial weights are those of ``tanh_mlp(sizes, rng=gen)``, so a backprop
    baseline built from the same seed starts from the same network. Every
    mini-batch:

    * ``"fa"``: the output error goes down through fixed random ``B``
      (:func:`feedback_deltas`) and every layer steps along ``h_{l−1}ᵀ δ_l``.
    * ``"dtp"``: the top hidden layer's target is one gradient step on its own
      activity, ``ĥ_{L−1} = h_{L−1} − target_step · n · ∂L/∂h_{L−1}`` (per-example
      gradient); targets below come from :func:`difference_targets` through
      learned inverses ``g_l(h) = tanh(h V_l + c_l)``, and each hidden layer steps on
      its own :func:`local_update`. Each inverse is trained on the same batch to
      reconstruct a noise-corrupted input, ``‖g_l(f_l(h_{l−1}+ε)) − (h_{l−1}+ε)‖²``
      with ``ε ~ N(0, noise²)``. The output layer steps on its own gradient.

    Updates use :func:`hinton_utils.core.optim.momentum_step`.

    Args:
        method: ``"fa"`` or ``"dtp"``.
        sizes: layer widths, input first.
        X, y: training inputs and integer labels.
        n_epochs, batch_size, learning_rate, momentum: as everywhere in the book.
        rng: int seed or Generator (initial weights, feedback, shuffles, noise).
        target_step: DTP's step size for the top hidden target.
        noise: DTP's inverse-training noise σ.
        dtype: ``"float32"`` (fast) or ``"float64"``.
        callback: called as ``callback(epoch, weights, biases, extra)`` after each
            epoch; ``extra`` holds ``"feedback"`` (FA) or ``"inverses"`` (DTP).

    Returns:
        ``{"weights", "biases", "extra"}``.
    """
    method = check_choice(method, "method", METHODS)
    sizes = _check_sizes(sizes)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    target_step = check_real(target_step, "target_step", low=0.0, low_open=True)
    noise = check_real(noise, "noise", low=0.0)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {type(callback).__name__}")
    gen = B.as_generator(rng, "rng")
    Ws, bs = mlp_arrays(tanh_mlp(sizes, rng=gen, dtype=dtype))
    X = check_array(X, "X", ndim=2, shape=(None, sizes[0])).astype(Ws[0].dtype)
    y = _check_labels(y, X.shape[0], sizes[-1])
    xp = B.xp()
    params = [*Ws, *bs]
    extra: dict[str, Any] = {}
    if method == "fa":
        extra["feedback"] = random_feedback(sizes, rng=gen, dtype=dtype)
    else:  # inverses g_l for hidden layers 2 … L-1 map layer l back to layer l-1
        Vs = []  # Vs[k] maps hidden layer k+2 back to hidden layer k+1
        for n_below, n_above in zip(sizes[1:-2], sizes[2:-1], strict=True):
            limit = math.sqrt(6.0 / (n_below + n_above))
            Vs.append((limit * (2.0 * gen.random((n_above, n_below)) - 1.0)).astype(X.dtype))
        cs = [xp.zeros(v.shape[1], dtype=v.dtype) for v in Vs]
        extra["inverses"] = (Vs, cs)
        params += [*Vs, *cs]
    velocity = [xp.zeros_like(p) for p in params]
    with B.one_blas_thread():
        for epoch in range(1, n_epochs + 1):
            for idx in nn.minibatches(X.shape[0], batch_size, gen):
                grads = _local_grads(method, Ws, bs, X[idx], y[idx], extra, gen, target_step, noise)
                for p, g, v in zip(params, grads, velocity, strict=True):
                    optim.momentum_step(p, g, v, learning_rate, momentum)
            if callback is not None:
                callback(epoch, Ws, bs, extra)
    return {"weights": Ws, "biases": bs, "extra": extra}


def _local_grads(
    method: str,
    Ws: list[Any],
    bs: list[Any],
    X: Any,
    y: Any,
    extra: dict[str, Any],
    gen: Any,
    target_step: float,
    noise: float,
) -> list[Any]:
    """One mini-batch's updates, in the order ``[*weights, *biases(, *V, *c)]``."""
    xp = B.xp()
    hs = _forward(Ws, bs, X)
    e = _output_error(hs[-1], y)
    if method == "fa":
        grads = _weight_grads(hs, feedback_deltas(hs, e, extra["feedback"]))
        return [g for g, _ in grads] + [g for _, g in grads]
    Vs, cs = extra["inverses"]

    def invert(layer: int, h: Any) -> Any:
        return xp.tanh(h @ Vs[layer - 2] + cs[layer - 2])

    n = X.shape[0]
    top = hs[-2] - target_step * n * (e @ Ws[-1].T)  # a step on the top hidden layer only
    targets = difference_targets(hs, top, invert)
    grads = [local_update(hs[i], hs[i + 1], targets[i]) for i in range(len(targets))]
    grads.append((hs[-2].T @ e, e.sum(axis=0)))  # the output layer's own gradient
    inv_grads = []
    for k in range(len(Vs)):  # inverse of hidden layer k+2, trained on noisy layer k+1
        h_noisy = hs[k + 1] + noise * gen.standard_normal(hs[k + 1].shape)
        up = xp.tanh(h_noisy @ Ws[k + 1] + bs[k + 1])
        rec = xp.tanh(up @ Vs[k] + cs[k])
        inv_grads.append(local_update(up, rec, h_noisy))
    out = [g for g, _ in grads] + [g for _, g in grads]
    return out + [g for g, _ in inv_grads] + [g for _, g in inv_grads]


def compare_methods(
    sizes: list[int],
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    learning_rate: float,
    rng: int,
    n_epochs: int = 30,
    batch_size: int = 32,
    momentum: float = 0.9,
    angle_layer: int | None = None,
    angle_rows: int = 500,
) -> tuple[dict[str, float], list[float]]:
    """Test accuracy of backprop, feedback alignment and DTP from one seed.

    All three start from the same initial weights (``tanh_mlp(sizes, rng=rng)``)
    and use the same learning rate, momentum, batch size and epochs. Backprop is
    a :class:`hinton_utils.core.nn.MLP` trained with :func:`hinton_utils.core.nn.train`
    and :class:`hinton_utils.core.optim.SGD`; FA and DTP go through :func:`train_local`.

    Args:
        sizes: layer widths, input first.
        X_train, y_train, X_test, y_test: data and integer labels.
        learning_rate, n_epochs, batch_size, momentum: shared by the three methods.
        rng: an int seed (each method starts from a fresh generator of it).
        angle_layer: if given, FA's angle to backprop (:func:`alignment_angle`)
            for this weight layer is recorded after every epoch, on the first
            ``angle_rows`` training rows.
        angle_rows: rows used for the angle.

    Returns:
        ``({"BP": acc, "FA": acc, "DTP": acc}, angles)``.
    """
    sizes = _check_sizes(sizes)
    rng = check_int(rng, "rng", low=0)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    angle_rows = check_int(angle_rows, "angle_rows", low=1)
    if angle_layer is not None:
        angle_layer = check_int(angle_layer, "angle_layer", low=0, high=len(sizes) - 3)
    X_test = check_array(X_test, "X_test", ndim=2, shape=(None, sizes[0]))
    y_test = _check_labels(y_test, X_test.shape[0], sizes[-1])
    settings = dict(n_epochs=n_epochs, batch_size=batch_size, rng=rng)
    model = tanh_mlp(sizes, rng=rng)
    sgd = optim.SGD(model.parameters(), learning_rate=learning_rate, momentum=momentum)
    nn.train(model, sgd, X_train, y_train, **settings)
    acc = {"BP": nn.accuracy(_forward(*mlp_arrays(model), X_test.astype("float32"))[-1], y_test)}
    angles: list[float] = []
    X_angle, y_angle = X_train[:angle_rows], y_train[:angle_rows]

    def record(epoch: int, W: list[Any], b: list[Any], extra: dict[str, Any]) -> None:
        if angle_layer is not None and "feedback" in extra:
            fb = extra["feedback"]
            angles.append(alignment_angle(W, b, fb, X_angle, y_angle, layer=angle_layer))

    for method in METHODS:
        out = train_local(
            method,
            sizes,
            X_train,
            y_train,
            learning_rate=learning_rate,
            momentum=momentum,
            callback=record,
            **settings,
        )
        logits = _forward(out["weights"], out["biases"], X_test.astype("float32"))[-1]
        acc[method.upper()] = nn.accuracy(logits, y_test)
    return acc, angles


# ------------------------------------------------------------ weight sharing
def patch_indices(side: int, kernel: int) -> Any:
    """Pixel indices of every ``kernel × kernel`` patch of a ``side × side`` image.

    Returns:
        Integer array ``(n_positions, kernel²)``, positions in row-major order
        (``n_positions = (side − kernel + 1)²``, "valid" patches, stride 1).
    """
    side = check_int(side, "side", low=1)
    kernel = check_int(kernel, "kernel", low=1, high=side)
    xp = B.xp()
    out = side - kernel + 1
    r = xp.arange(out)[:, None, None, None] + xp.arange(kernel)[None, None, :, None]
    c = xp.arange(out)[None, :, None, None] + xp.arange(kernel)[None, None, None, :]
    return (r * side + c).reshape(out * out, kernel * kernel)


class LocalPatches(nn.Module):
    """A layer of units that each see one small patch of the image.

    With ``shared=False`` (locally connected) every position has its own
    ``kernel²`` weights per feature map, as a patch of cortex would; with
    ``shared=True`` (convolutional) all positions use one set of weights, which
    is what a network gains from weight sharing and a brain cannot do without
    copying synapses from place to place. Output: ``(n, positions · n_maps)``.

    Args:
        side: the image is ``side × side`` pixels, flattened row by row.
        kernel: the patch width.
        n_maps: feature maps (units per position).
        shared: share weights across positions (convolution) or not.
        rng: int seed or Generator for the Glorot-uniform initial weights.
        dtype: ``"float32"`` or ``"float64"``.
    """

    def __init__(
        self,
        side: int,
        kernel: int,
        n_maps: int,
        *,
        shared: bool,
        rng: Any,
        dtype: str = "float32",
    ) -> None:
        self.index = patch_indices(side, kernel)
        self.n_maps = check_int(n_maps, "n_maps", low=1)
        if not isinstance(shared, bool):
            raise TypeError(f"shared must be a bool; got {type(shared).__name__}")
        self.shared = shared
        gen = B.as_generator(rng, "rng")
        n_pos, k2 = self.index.shape
        limit = math.sqrt(6.0 / (k2 + self.n_maps))
        n_sets = 1 if shared else n_pos
        w = limit * (2.0 * gen.random((n_sets, self.n_maps, k2)) - 1.0)
        self.weight = nn.Parameter(w.astype(dtype))
        self.bias = nn.Parameter(B.xp().zeros((n_sets, self.n_maps), dtype=dtype))

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(check_array(x, "x", ndim=2), dtype=self.weight.dtype)
        n_pos, k2 = self.index.shape
        patches = x[:, self.index].reshape(x.shape[0], n_pos, 1, k2)
        out = (patches * self.weight).sum(axis=-1) + self.bias  # (n, positions, maps)
        return out.reshape(x.shape[0], n_pos * self.n_maps)


def patch_net(
    kind: str,
    *,
    n_maps: int = 8,
    kernel: int = 3,
    side: int = 8,
    n_classes: int = 10,
    rng: Any,
    dtype: str = "float32",
) -> nn.Sequential:
    """A one-hidden-layer tanh classifier whose hidden layer is FC, LC or convolutional.

    All three have the same hidden layer size, ``(side − kernel + 1)² · n_maps``
    units, and the same linear read-out; only the first layer's connectivity and
    sharing differ.

    Args:
        kind: ``"fc"`` (every hidden unit sees every pixel), ``"lc"`` (a patch,
            own weights) or ``"conv"`` (a patch, weights shared across positions).
        n_maps, kernel, side: see :class:`LocalPatches`.
        n_classes: outputs.
        rng: int seed or Generator.
        dtype: ``"float32"`` or ``"float64"``.
    """
    kind = check_choice(kind, "kind", ("fc", "lc", "conv"))
    side = check_int(side, "side", low=1)
    kernel = check_int(kernel, "kernel", low=1, high=side)
    n_maps = check_int(n_maps, "n_maps", low=1)
    n_classes = check_int(n_classes, "n_classes", low=2)
    gen = B.as_generator(rng, "rng")
    n_hidden = (side - kernel + 1) ** 2 * n_maps
    if kind == "fc":
        first: nn.Module = nn.Linear(side * side, n_hidden, rng=gen, dtype=dtype)
    else:
        first = LocalPatches(side, kernel, n_maps, shared=kind == "conv", rng=gen, dtype=dtype)
    return nn.Sequential(
        first,
        nn.Activation("tanh"),
        nn.Linear(n_hidden, n_classes, rng=gen, dtype=dtype),
    )


# ------------------------------------------------ reconstruction as a gradient
class Autoencoder(nn.Module):
    """A one-layer logistic autoencoder ``x → h = σ(xW + b) → σ(hD + c)``.

    With ``tied=True`` the decoder is the encoder's transpose (``D = Wᵀ``), as in
    an RBM; otherwise ``D`` is a separate matrix. Train it with
    :func:`hinton_utils.core.nn.train` and ``loss=functional.mse`` on ``(X, X)``.

    Args:
        n_visible, n_hidden: layer widths.
        tied: whether the decoder is the encoder's transpose.
        rng: int seed or Generator for the Glorot-uniform initial weights.
        dtype: ``"float32"`` or ``"float64"``.
    """

    def __init__(
        self, n_visible: int, n_hidden: int, *, tied: bool, rng: Any, dtype: str = "float64"
    ) -> None:
        if not isinstance(tied, bool):
            raise TypeError(f"tied must be a bool; got {type(tied).__name__}")
        gen = B.as_generator(rng, "rng")
        self.tied = tied
        self.encoder = nn.Linear(n_visible, n_hidden, rng=gen, dtype=dtype)
        self.decoder = None if tied else nn.Linear(n_hidden, n_visible, rng=gen, dtype=dtype)
        self.visible_bias = nn.Parameter(B.xp().zeros(n_visible, dtype=dtype))

    def encode(self, x: Any) -> Any:
        """The code ``σ(xW + b)`` (a Tensor for a Tensor, an array for an array)."""
        out = self.encoder(x if isinstance(x, Tensor) else Tensor.constant(x)).sigmoid()
        return out if isinstance(x, Tensor) else out.data

    def decode(self, h: Any) -> Any:
        """The reconstruction ``σ(hD + c)`` (a Tensor for a Tensor, an array for an array)."""
        t = h if isinstance(h, Tensor) else Tensor.constant(h)
        weight = self.encoder.weight.T if self.tied else self.decoder.weight
        out = F.linear(t, weight, self.visible_bias).sigmoid()
        return out if isinstance(h, Tensor) else out.data

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))


def two_pass_gradient(
    autoencoder: Autoencoder, x: Any, grad_code: Any, *, eps: float = 1e-3
) -> Any:
    """An error derivative for the layer below, read off as the change between two passes.

    Pass one reconstructs the layer below from the code ``h = encode(x)``; pass
    two from the code nudged downhill, ``h − ε·∂L/∂h``. The difference of the
    two reconstructions, divided by ``−ε``, stands in for ``∂L/∂x``: nothing
    travels down except ordinary top-down activity, and no weight is
    transposed by hand. Compare it with backprop's ``∂L/∂x = (∂L/∂h ⊙ h(1−h)) Wᵀ``.

    Args:
        autoencoder: a trained (or untrained) :class:`Autoencoder`.
        x: the layer below, (n, n_visible).
        grad_code: ``∂L/∂h`` from above, (n, n_hidden).
        eps: the size of the nudge.
    """
    if not isinstance(autoencoder, Autoencoder):
        raise TypeError(f"autoencoder must be an Autoencoder; got {type(autoencoder).__name__}")
    x = check_array(x, "x", ndim=2, shape=(None, autoencoder.encoder.n_in))
    g = check_array(grad_code, "grad_code", ndim=2, shape=(x.shape[0], autoencoder.encoder.n_out))
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    h = autoencoder.encode(x)
    return -(autoencoder.decode(h - eps * g) - autoencoder.decode(h)) / eps


# ------------------------------------------------------ postscript: Forward-Forward
def embed_label(X: Any, labels: Any, n_classes: int) -> Any:
    """``[X, onehot(labels)]``: the image with its (true or false) label attached.

    Hinton (2022) writes the label into the first pixels of an MNIST image; on
    8×8 digits those pixels carry ink, so the one-hot code is appended instead.
    """
    X = check_array(X, "X", ndim=2)
    n_classes = check_int(n_classes, "n_classes", low=2)
    labels = _check_labels(labels, X.shape[0], n_classes)
    xp = B.xp()
    onehot = xp.zeros((X.shape[0], n_classes), dtype=X.dtype)
    onehot[xp.arange(X.shape[0]), labels] = 1.0
    return xp.concatenate([X, onehot], axis=1)


def _normalise(h: Any) -> Any:
    """Divide each row by its length (plus a tiny constant): keep the direction only."""
    xp = B.xp()
    return h / (xp.sqrt((h * h).sum(axis=1, keepdims=True)) + 1e-8)


def ff_goodness(layers: list[nn.Linear], X: Any) -> list[Any]:
    """Each ReLU layer's goodness ``Σ_j h_j²`` for every row, layer by layer.

    Each layer's input is the previous layer's activity divided by its length,
    so a layer cannot simply pass on the goodness of the one below: only the
    direction of the activity vector goes up.
    """
    if not isinstance(layers, (list, tuple)) or not all(isinstance(m, nn.Linear) for m in layers):
        raise TypeError("layers must be a list of hinton_utils.core.nn.Linear layers")
    x = check_array(X, "X", ndim=2, shape=(None, layers[0].n_in))
    xp = B.xp()
    out = []
    for layer in layers:
        h = xp.maximum(_normalise(x) @ layer.weight.data + layer.bias.data, 0.0)
        out.append((h * h).sum(axis=1))
        x = h
    return out


def ff_layer_losses(
    layers: list[nn.Linear], x_pos: Any, x_neg: Any, *, threshold: float
) -> list[Tensor]:
    """Forward-Forward's local loss of every layer, each with its input detached.

    Layer ``l`` should give positive data (image with the right label) goodness
    above ``threshold`` and negative data (a wrong label) goodness below it:
    ``mean softplus(θ − G_pos) + mean softplus(G_neg − θ)``, the cross-entropy of
    ``p(positive) = σ(G − θ)``. The input to each layer is a constant, so no
    gradient from one layer's loss reaches the layers below it.
    """
    if not isinstance(layers, (list, tuple)) or not all(isinstance(m, nn.Linear) for m in layers):
        raise TypeError("layers must be a list of hinton_utils.core.nn.Linear layers")
    threshold = check_real(threshold, "threshold")
    xs = [
        check_array(x, name, ndim=2, shape=(None, layers[0].n_in))
        for x, name in ((x_pos, "x_pos"), (x_neg, "x_neg"))
    ]
    losses = []
    for layer in layers:
        goods, nxt = [], []
        for x in xs:
            h = layer(Tensor.constant(_normalise(x))).relu()
            goods.append((h * h).sum(axis=1))
            nxt.append(h.data)
        loss = (threshold - goods[0]).softplus().mean() + (goods[1] - threshold).softplus().mean()
        losses.append(loss)
        xs = nxt
    return losses


def ff_predict(layers: list[nn.Linear], X: Any, n_classes: int) -> Any:
    """The label whose attached one-hot gives the most goodness, summed over layers.

    As in Hinton (2022), the first layer's goodness is left out of the sum when
    there is more than one layer.
    """
    X = check_array(X, "X", ndim=2)
    n_classes = check_int(n_classes, "n_classes", low=2)
    xp = B.xp()
    scores = []
    for c in range(n_classes):
        goods = ff_goodness(layers, embed_label(X, xp.full(X.shape[0], c), n_classes))
        used = goods[1:] if len(goods) > 1 else goods
        scores.append(sum(used))
    return xp.stack(scores, axis=1).argmax(axis=1)


def train_forward_forward(
    sizes: list[int],
    X: Any,
    y: Any,
    *,
    n_epochs: int,
    batch_size: int,
    learning_rate: float,
    rng: Any,
    threshold: float = 2.0,
    dtype: str = "float32",
) -> list[nn.Linear]:
    """Train a supervised Forward-Forward network (Hinton 2022) on labelled data.

    Positive data are the images with their own label attached
    (:func:`embed_label`), negative data the same images with a wrong label drawn
    at random. Every mini-batch, each layer takes one Adam step on its own
    :func:`ff_layer_losses` term; there is no backward pass through the network.

    Args:
        sizes: ``[n_features + n_classes, hidden, ..., hidden]``; the number of
            classes is ``sizes[0] − X.shape[1]``.
        X, y: images and integer labels.
        n_epochs, batch_size, learning_rate: as everywhere in the book.
        rng: int seed or Generator (weights, shuffles, wrong labels).
        threshold: θ in ``σ(G − θ)``, the same for every layer.
        dtype: ``"float32"`` or ``"float64"``.

    Returns:
        The trained ReLU layers, input side first.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least 2 layer widths; got {sizes!r}")
    sizes = [check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]
    X = check_array(X, "X", ndim=2)
    n_classes = sizes[0] - X.shape[1]
    if n_classes < 2:
        raise ValueError(f"sizes[0] must be X's width plus the number of classes; got {sizes[0]}")
    y = _check_labels(y, X.shape[0], n_classes)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    threshold = check_real(threshold, "threshold")
    gen = B.as_generator(rng, "rng")
    layers = [
        nn.Linear(a, b, rng=gen, init="he", dtype=dtype)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    opts = [optim.Adam(layer.parameters(), learning_rate=learning_rate) for layer in layers]
    X = X.astype(dtype)
    with B.one_blas_thread():
        for _ in range(n_epochs):
            for idx in nn.minibatches(X.shape[0], batch_size, gen):
                wrong = (y[idx] + gen.integers(1, n_classes, idx.shape[0])) % n_classes
                x_pos = embed_label(X[idx], y[idx], n_classes)
                x_neg = embed_label(X[idx], wrong, n_classes)
                xs = (x_pos, x_neg)
                for layer, opt in zip(layers, opts, strict=True):
                    (loss,) = ff_layer_losses([layer], *xs, threshold=threshold)
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    xs = tuple(
                        B.xp().maximum(_normalise(x) @ layer.weight.data + layer.bias.data, 0.0)
                        for x in xs
                    )
    return layers
