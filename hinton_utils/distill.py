"""Chapter 16: knowledge sharing — distillation, and digital against analog computation.

Three ways for one network to pass what it knows to another:

* **Sharing weights.** Identical digital copies can run the same weights, so
  copying the numbers copies the knowledge. :class:`AnalogMLP` is a network on
  an "analog device" whose every weight is multiplied by a fixed, device-specific
  factor ``1 + s·g`` (:func:`device_gains`); it learns *in situ*, through the
  factors, and its weights mean nothing on another device
  (:meth:`AnalogMLP.copy_to`).
* **Sharing gradients.** :class:`Replicas` runs several copies of one network,
  each on its own data, and :class:`GradientSharing` averages their gradients at
  every step (and counts the numbers exchanged), so every copy learns what any
  copy saw.
* **Distillation** (Hinton, Vinyals & Dean 2015). A student matches the
  teacher's outputs softened at temperature ``T`` (:func:`soften`):
  :func:`soft_cross_entropy` is the loss, :func:`distillation_loss` the ``T²``
  scaled callable that :func:`hinton_utils.core.nn.train` takes,
  :func:`soft_gradient` its closed-form gradient ``(q − p)/T`` and
  :func:`logit_matching_gradient` the high-temperature limit
  ``(z − v)/(N T²)``. :func:`bias_sweep` raises one class's logit, the
  correction for a class the student never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .core import backend as B
from .core import functional as F
from .core import nn
from .core.autodiff import Tensor, no_grad
from .core.validation import check_array, check_int, check_real

__all__ = [
    "AnalogMLP",
    "GradientSharing",
    "Replicas",
    "bias_sweep",
    "device_gains",
    "distillation_loss",
    "logit_matching_gradient",
    "pair_halves",
    "predict_logits",
    "replica_loss",
    "soft_cross_entropy",
    "soft_gradient",
    "soften",
]


def _check_temperature(temperature: Any) -> float:
    return check_real(temperature, "temperature", low=0.0, low_open=True)


def _logits_array(logits: Any, name: str) -> Any:
    z = check_array(logits, name, ndim=2)
    if z.dtype.kind != "f":
        z = z.astype("float64")
    return z


# ------------------------------------------------------------- distillation
def soften(logits: Any, temperature: float) -> Any:
    """The softmax of ``logits / temperature``, row by row.

    Args:
        logits: shape (n, n_classes).
        temperature: ``T > 0``; ``T = 1`` is the ordinary softmax, large ``T``
            flattens the distribution towards uniform, small ``T`` sharpens it
            towards one-hot.

    Returns:
        An (n, n_classes) array of probabilities, each row summing to 1.
    """
    z = _logits_array(logits, "logits")
    t = _check_temperature(temperature)
    xp = B.xp()
    s = z / t
    s = s - s.max(axis=1, keepdims=True)
    e = xp.exp(s)
    return e / e.sum(axis=1, keepdims=True)


def soft_cross_entropy(
    logits: Tensor, soft_targets: Any, temperature: float, reduction: str = "mean"
) -> Tensor:
    """``−Σ_i p_i log q_i`` with ``q = softmax(z/T)``: the student's soft loss.

    Args:
        logits: the student's logits ``z``, a Tensor (n, n_classes).
        soft_targets: the teacher's softened probabilities ``p`` (rows summing to 1).
        temperature: the temperature ``T`` used for both.
        reduction: ``"mean"`` over rows or ``"sum"``.

    Returns:
        A scalar Tensor. Its gradient with respect to ``z`` is ``(q − p)/T`` per row
        (divided by n for the mean).
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"logits must be a Tensor; got {type(logits).__name__}")
    t = _check_temperature(temperature)
    return F.cross_entropy(logits * (1.0 / t), soft_targets, reduction=reduction)


def distillation_loss(temperature: float, *, scale: bool = True) -> Callable[[Tensor, Any], Tensor]:
    """A ``loss(predictions, targets)`` for :func:`hinton_utils.core.nn.train`.

    Args:
        temperature: ``T``; the targets passed to the loss must be the teacher's
            outputs softened at the same ``T``.
        scale: multiply by ``T²`` (Hinton et al.'s advice), so the size of the
            gradients does not shrink as ``1/T²`` when ``T`` grows.

    Returns:
        The callable ``T² · soft_cross_entropy(z, p, T)`` (or without ``T²``).
    """
    t = _check_temperature(temperature)
    if not isinstance(scale, bool):
        raise TypeError(f"scale must be a bool; got {type(scale).__name__}")
    factor = t * t if scale else 1.0

    def loss(predictions: Tensor, targets: Any) -> Tensor:
        return soft_cross_entropy(predictions, targets, t) * factor

    return loss


def _logit_pair(student_logits: Any, teacher_logits: Any) -> tuple[Any, Any]:
    """Student and teacher logits, checked to be 2-D arrays of the same shape."""
    z = _logits_array(student_logits, "student_logits")
    v = _logits_array(teacher_logits, "teacher_logits")
    if v.shape != z.shape:
        raise ValueError(
            f"teacher_logits must have the shape of student_logits {z.shape}; got {v.shape}"
        )
    return z, v


def soft_gradient(student_logits: Any, teacher_logits: Any, temperature: float) -> Any:
    """The closed-form gradient ``(q − p)/T`` of the summed soft cross-entropy.

    Args:
        student_logits: ``z``, shape (n, n_classes).
        teacher_logits: ``v``, the same shape.
        temperature: ``T``.

    Returns:
        ``(softmax(z/T) − softmax(v/T))/T``, shape (n, n_classes).
    """
    z, v = _logit_pair(student_logits, teacher_logits)
    t = _check_temperature(temperature)
    return (soften(z, t) - soften(v, t)) / t


def logit_matching_gradient(student_logits: Any, teacher_logits: Any, temperature: float) -> Any:
    """The high-temperature limit of :func:`soft_gradient`: ``(z − v)/(N T²)``.

    Valid when both sets of logits have zero mean in every row; then
    ``T² · soft_gradient`` tends to ``(z − v)/N`` as ``T → ∞``: distillation at a
    high temperature is matching logits by squared error.

    Args:
        student_logits: ``z``, shape (n, N).
        teacher_logits: ``v``, the same shape.
        temperature: ``T``.
    """
    z, v = _logit_pair(student_logits, teacher_logits)
    t = _check_temperature(temperature)
    return (z - v) / (z.shape[1] * t * t)


def predict_logits(model: nn.Module, X: Any) -> Any:
    """The model's logits for ``X`` (n, n_features), in evaluation mode, without a graph."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a core.nn.Module; got {type(model).__name__}")
    X = check_array(X, "X", ndim=2)
    params = model.parameters()
    if params:
        X = X.astype(params[0].dtype, copy=False)
    was_training = model.training
    model.eval()
    with no_grad():
        out = model(Tensor.constant(X))
    model.train(was_training)
    return out.data


def bias_sweep(logits: Any, labels: Any, cls: int, shifts: Any) -> dict[str, Any]:
    """Accuracy as one class's logit is raised by each of ``shifts``.

    The correction for a student that never saw class ``cls``: its bias for that
    class is too low, and adding a constant to one logit is adding it to the bias.

    Args:
        logits: shape (n, n_classes).
        labels: true classes, shape (n,).
        cls: the class whose logit is raised.
        shifts: 1-D array of amounts to add.

    Returns:
        ``{"shifts", "accuracy", "class_accuracy", "other_accuracy"}``: overall
        accuracy, accuracy on the examples of ``cls``, and on the rest, one value
        per shift.
    """
    z = _logits_array(logits, "logits")
    y = check_array(labels, "labels", ndim=1)
    if y.shape[0] != z.shape[0]:
        raise ValueError(f"labels must have shape ({z.shape[0]},); got {tuple(y.shape)}")
    cls = check_int(cls, "cls", low=0, high=z.shape[1] - 1)
    d = check_array(shifts, "shifts", ndim=1)
    xp = B.xp()
    is_c = y == cls
    if not bool(is_c.any()) or bool(is_c.all()):
        raise ValueError(f"labels must contain class {cls} and at least one other class")
    acc, acc_c, acc_o = [], [], []
    for delta in d:
        zz = z.copy()
        zz[:, cls] += delta
        right = zz.argmax(axis=1) == y
        acc.append(float(right.mean()))
        acc_c.append(float(right[is_c].mean()))
        acc_o.append(float(right[~is_c].mean()))
    return {
        "shifts": d,
        "accuracy": xp.asarray(acc),
        "class_accuracy": xp.asarray(acc_c),
        "other_accuracy": xp.asarray(acc_o),
    }


# ------------------------------------------------------------ analog devices
def device_gains(sizes: list[int] | tuple[int, ...], mismatch: float, rng: Any) -> list[Any]:
    """One analog device: a fixed factor ``1 + s·g`` for every weight, ``g ~ N(0, 1)``.

    Args:
        sizes: layer widths, e.g. ``[64, 64, 10]``.
        mismatch: ``s >= 0``, the spread of the device's variation (0: a digital device).
        rng: int seed or Generator: the device's identity.

    Returns:
        A list of arrays, one per weight matrix, of shapes ``(sizes[i], sizes[i+1])``.
    """
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least 2 layer widths; got {sizes!r}")
    sizes = [check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]
    s = check_real(mismatch, "mismatch", low=0.0)
    gen = B.as_generator(rng, "rng")
    return [
        1.0 + s * gen.standard_normal((a, b)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


class AnalogMLP(nn.Module):
    """A tanh network on an analog device: layer ``i`` computes ``x @ (W_i ∘ G_i) + b_i``.

    The learnable weights ``W_i`` are what one would copy; the gains ``G_i`` are
    the device's fixed physics (see :func:`device_gains`). Training through
    :func:`hinton_utils.core.nn.train` is learning *in situ*: the gradient
    reaches ``W_i`` through the device's own gains.

    Args:
        sizes: layer widths, e.g. ``[64, 64, 10]``.
        gains: the device, one array per layer of shape ``(sizes[i], sizes[i+1])``.
        rng: int seed or Generator for the initial weights.
        activation: the hidden nonlinearity (``"tanh"`` by default).
        dtype: ``"float32"`` or ``"float64"``.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        *,
        gains: list[Any],
        rng: Any,
        activation: str = "tanh",
        dtype: Any = "float32",
    ) -> None:
        self.mlp = nn.MLP(sizes, rng=rng, activation=activation, dtype=dtype)
        self.activation = activation
        self.sizes = list(self.mlp.sizes)
        self.gains = self._check_gains(gains)

    def _check_gains(self, gains: Any) -> list[Any]:
        if not isinstance(gains, (list, tuple)) or len(gains) != len(self.sizes) - 1:
            raise ValueError(
                f"gains must be a list of {len(self.sizes) - 1} arrays (one per layer); "
                f"got {type(gains).__name__}"
            )
        dtype = self.mlp.linears[0].weight.dtype
        out = []
        for i, (g, lin) in enumerate(zip(gains, self.mlp.linears, strict=True)):
            g = check_array(g, f"gains[{i}]", shape=(lin.n_in, lin.n_out))
            out.append(g.astype(dtype))
        return out

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor.constant(check_array(x, "x", ndim=2))
        h = x
        i = 0
        for layer in self.mlp.layers:
            if isinstance(layer, nn.Linear):
                h = F.linear(h, layer.weight * self.gains[i], layer.bias)
                i += 1
            else:
                h = layer(h)
        return h

    def copy_to(self, gains: list[Any]) -> AnalogMLP:
        """A network with this one's weights, copied exactly, running on another device."""
        dtype = self.mlp.linears[0].weight.dtype
        other = AnalogMLP(self.sizes, gains=gains, rng=0, activation=self.activation, dtype=dtype)
        other.mlp.load_state_dict(self.mlp.state_dict())
        return other

    def __repr__(self) -> str:
        return f"AnalogMLP({self.sizes})"


# ------------------------------------------------------------- digital copies
class Replicas(nn.Module):
    """``k`` networks side by side: copy ``j`` sees columns ``[j·d, (j+1)·d)`` of each input row.

    Each row of the input holds one example for every copy, so one call of
    :func:`hinton_utils.core.nn.train` trains all the copies at once, each on its
    own data (see :func:`pair_halves`). The forward pass returns a tuple of
    logits, one per copy, for :func:`replica_loss`.

    Args:
        models: the copies (at least 2), each mapping ``d`` features to logits.
    """

    def __init__(self, models: list[nn.Module]) -> None:
        if not isinstance(models, (list, tuple)) or len(models) < 2:
            raise ValueError(f"models must be a list of at least 2 networks; got {models!r}")
        for i, m in enumerate(models):
            if not isinstance(m, nn.Module):
                raise TypeError(f"models[{i}] must be a core.nn.Module; got {type(m).__name__}")
        self.copies = list(models)

    def forward(self, x: Tensor) -> tuple[Tensor, ...]:
        k = len(self.copies)
        if x.shape[1] % k:
            raise ValueError(f"x must have a multiple of {k} columns; got {x.shape[1]}")
        d = x.shape[1] // k
        return tuple(
            m(Tensor.constant(x.data[:, j * d : (j + 1) * d])) for j, m in enumerate(self.copies)
        )


def replica_loss(predictions: tuple[Tensor, ...], targets: Any) -> Tensor:
    """The sum over copies of each copy's cross-entropy; ``targets[:, j]`` are copy ``j``'s labels.

    A sum, so that each copy's gradient is the gradient of its own loss alone.
    """
    if not isinstance(predictions, tuple) or not predictions:
        raise TypeError("predictions must be the tuple of logits that Replicas returns")
    y = check_array(targets, "targets", ndim=2)
    if y.shape[1] != len(predictions):
        raise ValueError(f"targets must have {len(predictions)} columns; got {y.shape[1]}")
    total = F.cross_entropy(predictions[0], y[:, 0])
    for j in range(1, len(predictions)):
        total = total + F.cross_entropy(predictions[j], y[:, j])
    return total


class GradientSharing:
    """An optimizer for :class:`Replicas`: average the copies' gradients, then step each copy.

    With ``share=False`` the copies learn in isolation (each from its own
    gradient). With ``share=True``, at every step each copy sends its gradient
    (every number of it) to the others and all apply the average, so copies that
    start from the same weights stay identical and each learns from all the data.

    Args:
        replicas: the :class:`Replicas` to train.
        make_optimizer: called with one copy's parameter list, returns its optimizer
            (e.g. ``lambda p: optim.Adam(p, learning_rate=1e-2)``).
        share: whether to average gradients.

    Attributes:
        numbers_exchanged: the count of numbers each copy has sent so far.
    """

    def __init__(self, replicas: Replicas, make_optimizer: Callable, *, share: bool) -> None:
        if not isinstance(replicas, Replicas):
            raise TypeError(f"replicas must be a Replicas; got {type(replicas).__name__}")
        if not callable(make_optimizer):
            raise TypeError("make_optimizer must be callable")
        if not isinstance(share, bool):
            raise TypeError(f"share must be a bool; got {type(share).__name__}")
        self.share = share
        self.groups = [m.parameters() for m in replicas.copies]
        shapes = [[p.shape for p in g] for g in self.groups]
        if share and any(s != shapes[0] for s in shapes):
            raise ValueError("replicas must be copies of one architecture to share gradients")
        self.optimizers = [make_optimizer(g) for g in self.groups]
        self.numbers_exchanged = 0

    def zero_grad(self) -> None:
        """Clear every copy's gradients."""
        for opt in self.optimizers:
            opt.zero_grad()

    def step(self) -> None:
        """Average the gradients across copies (if sharing), then let each copy step."""
        if self.share:
            k = len(self.groups)
            for params in zip(*self.groups, strict=True):
                mean = sum(p.grad for p in params) / k
                for p in params:
                    p.grad = mean
                self.numbers_exchanged += params[0].size
        for opt in self.optimizers:
            opt.step()


def pair_halves(X_a: Any, y_a: Any, X_b: Any, y_b: Any, rng: Any) -> tuple[Any, Any]:
    """Rows that hold one example of set a beside one of set b, for :class:`Replicas`.

    The smaller set is cycled (in a random order) to the length of the larger, so
    every example of both appears at least once per epoch.

    Returns:
        ``(X, y)`` with ``X`` of shape (n, 2d) and ``y`` of shape (n, 2).
    """
    X_a = check_array(X_a, "X_a", ndim=2)
    X_b = check_array(X_b, "X_b", ndim=2)
    y_a = check_array(y_a, "y_a", ndim=1)
    y_b = check_array(y_b, "y_b", ndim=1)
    if y_a.shape[0] != X_a.shape[0]:
        raise ValueError(f"y_a must have {X_a.shape[0]} entries; got {y_a.shape[0]}")
    if y_b.shape[0] != X_b.shape[0]:
        raise ValueError(f"y_b must have {X_b.shape[0]} entries; got {y_b.shape[0]}")
    if X_a.shape[1] != X_b.shape[1]:
        raise ValueError(f"X_b must have {X_a.shape[1]} columns like X_a; got {X_b.shape[1]}")
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    n = max(X_a.shape[0], X_b.shape[0])

    def stretch(X: Any, y: Any) -> tuple[Any, Any]:
        idx = xp.argsort(gen.random(X.shape[0]))
        idx = xp.concatenate([idx] * (n // X.shape[0] + 1))[:n]
        return X[idx], y[idx]

    Xa, ya = stretch(X_a, y_a)
    Xb, yb = stretch(X_b, y_b)
    return xp.concatenate([Xa, Xb], axis=1), xp.stack([ya, yb], axis=1)
