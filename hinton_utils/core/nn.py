"""Layers, modules and the one training loop, on top of :mod:`hinton_utils.core.autodiff`.

A :class:`Module` owns :class:`Parameter` tensors (found by looking through its
attributes, as in PyTorch) and maps input tensors to output tensors in
:meth:`Module.forward`. Everything random takes an explicit ``rng`` (an int seed
or a Generator), so a network built twice with the same seed is the same
network::

    net = MLP([64, 128, 10], activation="relu", rng=0)
    opt = optim.Adam(net.parameters(), learning_rate=1e-3)
    history = train(net, opt, X, y, n_epochs=10, batch_size=32, rng=0)

:func:`train` is the one training loop every network in the book goes through:
shuffled mini-batches, a tqdm progress bar when asked, and a callback that can
record curves or stop early.

Weights are stored as (n_in, n_out), so a layer computes ``x @ W + b`` on rows
of ``x``, as scikit-learn's ``coefs_`` do.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterator
from typing import Any

from . import autodiff as ad
from . import backend as B
from . import functional
from .autodiff import Tensor
from .functional import binary_cross_entropy_with_logits, cross_entropy, mse
from .validation import check_array, check_choice, check_int, check_real

__all__ = [
    "ACTIVATIONS",
    "INITS",
    "Activation",
    "Dropout",
    "Embedding",
    "Linear",
    "MLP",
    "Module",
    "Parameter",
    "Sequential",
    "accuracy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "minibatches",
    "mse",
    "train",
    "train_epoch",
]

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": ad.relu,
    "tanh": ad.tanh,
    "sigmoid": ad.sigmoid,
    "logistic": ad.sigmoid,
    "softplus": ad.softplus,
    "leaky_relu": ad.leaky_relu,
    "identity": lambda x: x,
}
INITS = ("xavier", "he", "lecun", "identity")


class Parameter(Tensor):
    """A Tensor that is a model's weight: it always wants a gradient."""

    __slots__ = ()

    def __init__(self, data: Any, *, name: str | None = None) -> None:
        super().__init__(data, requires_grad=True, name=name)

    def __repr__(self) -> str:
        return f"Parameter(shape={self.shape}, dtype={self.dtype})"


class Module:
    """Base class: subclasses set Parameters/Modules as attributes and define ``forward``."""

    training: bool = True

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def _children(self) -> Iterator[tuple[str, Any]]:
        for key, value in vars(self).items():
            if isinstance(value, (Parameter, Module)):
                yield key, value
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Module)):
                        yield f"{key}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` for every parameter, each once, in definition order."""
        seen: set[int] = set()
        out: list[tuple[str, Parameter]] = []

        def visit(name: str, obj: Any) -> None:
            if isinstance(obj, Parameter):
                if id(obj) not in seen:
                    seen.add(id(obj))
                    out.append((name, obj))
                return
            for key, child in obj._children():
                visit(f"{name}.{key}" if name else key, child)

        visit(prefix, self)
        return iter(out)

    def parameters(self) -> list[Parameter]:
        """Every Parameter of this module and its sub-modules (for an optimizer)."""
        return [p for _, p in self.named_parameters()]

    @property
    def n_parameters(self) -> int:
        """The number of adjustable numbers (weights and biases)."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Forget every parameter's accumulated gradient."""
        for p in self.parameters():
            p.grad = None

    def train(self, mode: bool = True) -> Module:
        """Set training mode (affects :class:`Dropout`) here and in every sub-module."""
        if not isinstance(mode, bool):
            raise TypeError(f"mode must be a bool; got {type(mode).__name__}")
        self.training = mode
        for _, child in self._children():
            if isinstance(child, Module):
                child.train(mode)
        return self

    def eval(self) -> Module:
        """Evaluation mode: the same as ``train(False)``."""
        return self.train(False)

    def state_dict(self) -> dict[str, Any]:
        """A copy of every parameter's array, by name."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Copy arrays from :meth:`state_dict` output back into the parameters.

        Raises:
            ValueError: a name is missing or unexpected, or a shape differs.
        """
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict of arrays; got {type(state).__name__}")
        params = dict(self.named_parameters())
        if set(params) != set(state):
            raise ValueError(
                f"state must have exactly the keys {sorted(params)}; got {sorted(state)}"
            )
        for name, p in params.items():
            arr = check_array(state[name], f"state[{name!r}]", min_size=0)
            if tuple(arr.shape) != p.shape:
                raise ValueError(f"state[{name!r}] must have shape {p.shape}; got {arr.shape}")
            p.data = arr.astype(p.dtype, copy=True)


def _check_size(value: Any, name: str) -> int:
    return check_int(value, name, low=1)


def _float_dtype(dtype: Any) -> Any:
    xp = B.xp()
    try:
        d = xp.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype must be 'float32' or 'float64'; got {dtype!r}") from err
    if d.kind != "f":
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {d}")
    return d


class Linear(Module):
    """The affine layer ``x @ W + b``: W of shape (n_in, n_out), b of shape (n_out,).

    Args:
        n_in, n_out: input and output widths.
        rng: int seed or Generator for the initial weights.
        bias: whether to have a bias (initialised to 0).
        init: ``"xavier"`` (Glorot uniform, ±√(6/(n_in+n_out)), scikit-learn's
            choice), ``"he"`` (normal, std √(2/n_in), for ReLU) or ``"lecun"``
            (normal, std √(1/n_in)), ``"identity"`` (ones on the diagonal, zeros
            elsewhere: a layer that starts by passing its input on, Le, Jaitly &
            Hinton 2015); or a positive float, the std of a normal.
        dtype: ``"float32"`` (fast, the default) or ``"float64"`` (for exact checks).

    :meth:`Linear.from_arrays` builds a layer around given weights instead.
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        *,
        rng: Any,
        bias: bool = True,
        init: str | float = "xavier",
        dtype: Any = "float32",
    ) -> None:
        self.n_in = _check_size(n_in, "n_in")
        self.n_out = _check_size(n_out, "n_out")
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool; got {type(bias).__name__}")
        gen = B.as_generator(rng, "rng")
        d = _float_dtype(dtype)
        xp = B.xp()
        shape = (self.n_in, self.n_out)
        if isinstance(init, numbers.Real) and not isinstance(init, bool):
            std = check_real(init, "init", low=0.0, low_open=True)
            w = std * gen.standard_normal(shape)
        else:
            init = check_choice(init, "init", INITS)
            if init == "xavier":
                limit = math.sqrt(6.0 / (self.n_in + self.n_out))
                w = limit * (2.0 * gen.random(shape) - 1.0)
            elif init == "identity":
                w = xp.eye(self.n_in, self.n_out)
            else:
                std = math.sqrt((2.0 if init == "he" else 1.0) / self.n_in)
                w = std * gen.standard_normal(shape)
        self.weight = Parameter(w.astype(d))
        self.bias = Parameter(xp.zeros(self.n_out, dtype=d)) if bias else None

    @classmethod
    def from_arrays(cls, weight: Any, bias: Any = None) -> Linear:
        """A layer whose parameters are copies of ``weight`` (n_in, n_out) and ``bias`` (n_out,).

        For models whose chapter prescribes the starting weights (tied or
        hand-set), so nothing is drawn and then overwritten.
        """
        w = check_array(weight, "weight", ndim=2)
        if w.dtype.kind != "f":
            raise TypeError(f"weight must be a float array; got dtype {w.dtype}")
        layer = cls.__new__(cls)
        layer.n_in, layer.n_out = int(w.shape[0]), int(w.shape[1])
        layer.weight = Parameter(w.copy())
        layer.bias = None
        if bias is not None:
            b = check_array(bias, "bias", ndim=1)
            if b.shape != (layer.n_out,):
                raise ValueError(f"bias must have shape ({layer.n_out},); got {tuple(b.shape)}")
            layer.bias = Parameter(b.astype(w.dtype))
        return layer

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(check_array(x, "x", ndim=2), dtype=self.weight.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(f"x must have shape (n, {self.n_in}); got {x.shape}")
        return functional.linear(x, self.weight, self.bias)

    def __repr__(self) -> str:
        return f"Linear({self.n_in}, {self.n_out}, bias={self.bias is not None})"


class Embedding(Module):
    """A lookup table: integer ``i`` → row ``i`` of a (n_items, dim) weight matrix.

    Equivalent to a Linear layer (without bias) applied to one-hot vectors, but
    without building them. Initial rows are normal with standard deviation ``std``.
    """

    def __init__(
        self, n_items: int, dim: int, *, rng: Any, std: float = 1.0, dtype: Any = "float32"
    ) -> None:
        self.n_items = _check_size(n_items, "n_items")
        self.dim = _check_size(dim, "dim")
        std = check_real(std, "std", low=0.0, low_open=True)
        gen = B.as_generator(rng, "rng")
        w = std * gen.standard_normal((self.n_items, self.dim))
        self.weight = Parameter(w.astype(_float_dtype(dtype)))

    def forward(self, indices: Any) -> Tensor:
        return functional.embedding(self.weight, indices)

    def __repr__(self) -> str:
        return f"Embedding({self.n_items}, {self.dim})"


class Activation(Module):
    """An elementwise nonlinearity by name, one of :data:`ACTIVATIONS`, as a Module."""

    def __init__(self, name: str) -> None:
        self.name = check_choice(name, "activation", tuple(ACTIVATIONS))
        self.fn = ACTIVATIONS[self.name]

    def forward(self, x: Tensor) -> Tensor:
        return self.fn(x)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


class Dropout(Module):
    """Drop each unit with probability ``p`` in training, scaling survivors by 1/(1-p).

    In evaluation mode (``model.eval()``) it passes its input through unchanged,
    which is why the survivors are scaled: the expected input to the next layer
    is the same in both modes (Hinton et al. 2012, in its "inverted" form).
    """

    def __init__(self, p: float, *, rng: Any) -> None:
        self.p = check_real(p, "p", low=0.0, high=1.0, high_open=True)
        self.rng = B.as_generator(rng, "rng")

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = (self.rng.random(x.shape) >= self.p).astype(x.dtype)
        return x * (keep * (1.0 / (1.0 - self.p)))

    def __repr__(self) -> str:
        return f"Dropout(p={self.p})"


class Sequential(Module):
    """Modules applied one after another; indexable like a list."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"modules[{i}] must be a Module; got {type(m).__name__}")
        self.layers = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def __repr__(self) -> str:
        inner = ", ".join(repr(m) for m in self.layers)
        return f"Sequential({inner})"


class MLP(Sequential):
    """A multi-layer perceptron: Linear layers with a nonlinearity between them.

    Args:
        sizes: widths from input to output, e.g. ``[64, 128, 10]``.
        rng: int seed or Generator for the weights.
        activation: hidden nonlinearity, one of :data:`ACTIVATIONS`.
        output_activation: applied to the last layer (``"identity"``, the default,
            gives logits for :func:`cross_entropy`).
        init: weight initialisation (see :class:`Linear`); by default ``"he"``
            for ReLU-like units and ``"xavier"`` otherwise.
        dtype: ``"float32"`` or ``"float64"``.
    """

    def __init__(
        self,
        sizes: list[int] | tuple[int, ...],
        *,
        rng: Any,
        activation: str = "relu",
        output_activation: str = "identity",
        init: str | float | None = None,
        dtype: Any = "float32",
    ) -> None:
        if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
            raise ValueError(f"sizes must be a list of at least 2 layer widths; got {sizes!r}")
        sizes = [_check_size(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
        activation = check_choice(activation, "activation", tuple(ACTIVATIONS))
        output_activation = check_choice(output_activation, "output_activation", tuple(ACTIVATIONS))
        if init is None:
            init = "he" if activation in ("relu", "leaky_relu") else "xavier"
        gen = B.as_generator(rng, "rng")
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            layers.append(Linear(n_in, n_out, rng=gen, init=init, dtype=dtype))
            last = i == len(sizes) - 2
            name = output_activation if last else activation
            if name != "identity":
                layers.append(Activation(name))
        super().__init__(*layers)
        self.sizes = sizes

    @property
    def linears(self) -> list[Linear]:
        """The Linear layers, input side first."""
        return [m for m in self.layers if isinstance(m, Linear)]


# -------------------------------------------------------------------- training
def minibatches(n: int, batch_size: int, rng: Any, *, shuffle: bool = True) -> Iterator[Any]:
    """Index arrays covering ``range(n)`` in batches (the last may be smaller).

    With ``shuffle`` the order is a fresh random permutation drawn from ``rng``
    (argsort of random keys, which works on NumPy and CuPy alike).
    """
    n = check_int(n, "n", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    xp = B.xp()
    if shuffle:
        order = xp.argsort(B.as_generator(rng, "rng").random(n))
    else:
        order = xp.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


def accuracy(logits: Any, labels: Any) -> float:
    """The fraction of rows whose largest logit is at the true label."""
    z = logits.data if isinstance(logits, Tensor) else check_array(logits, "logits", ndim=2)
    y = check_array(labels, "labels", ndim=1)
    if z.ndim != 2 or y.shape[0] != z.shape[0]:
        raise ValueError(f"labels must have shape ({z.shape[0]},); got {tuple(y.shape)}")
    return float((z.argmax(axis=1) == y).mean())


def train_epoch(
    model: Module,
    optimizer: Any,
    X: Any,
    y: Any,
    *,
    batch_size: int,
    rng: Any,
    loss: Callable[[Tensor, Any], Tensor] = cross_entropy,
) -> float:
    """One pass over ``(X, y)`` in shuffled mini-batches; returns the mean batch loss.

    Args:
        model: maps a (batch, n_features) Tensor to predictions.
        optimizer: anything with ``zero_grad()`` and ``step()`` (see :mod:`hinton_utils.core.optim`).
        X: inputs, (n, n_features); converted once to the model's dtype.
        y: targets indexed by row (class labels for cross-entropy, arrays for mse).
        batch_size: rows per update.
        rng: int seed or Generator for the shuffle.
        loss: ``loss(predictions, targets)`` returning a scalar Tensor.
    """
    X, y = _training_data(model, X, y)
    batch_size = check_int(batch_size, "batch_size", low=1)
    return _epoch(model, optimizer, X, y, batch_size, B.as_generator(rng, "rng"), loss)


def _training_data(model: Module, X: Any, y: Any) -> tuple[Any, Any]:
    """``X`` in the model's dtype and ``y``, checked once before any epoch."""
    params = model.parameters()
    dtype = params[0].dtype if params else "float32"
    X = check_array(X, "X", ndim=2).astype(dtype, copy=False)
    y = check_array(y, "y")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} rows to match X; got {y.shape[0]}")
    return X, y


def _epoch(
    model: Module, optimizer: Any, X: Any, y: Any, batch_size: int, gen: Any, loss: Callable
) -> float:
    """One epoch on data already checked: the hot loop, with nothing re-validated."""
    n = X.shape[0]
    # Shuffle once per epoch, then take contiguous slices (views, no per-batch copy or check).
    order = B.xp().argsort(gen.random(n))
    X, y = X[order], y[order]
    total = 0.0
    model.train()
    for start in range(0, n, batch_size):
        xb = Tensor.constant(X[start : start + batch_size], "input")
        out = loss(model(xb), y[start : start + batch_size])
        optimizer.zero_grad()
        out.backward()
        optimizer.step()
        total += float(out.data) * xb.shape[0]
    return total / n


def train(
    model: Module,
    optimizer: Any,
    X: Any,
    y: Any,
    *,
    n_epochs: int,
    batch_size: int,
    rng: Any,
    loss: Callable[[Tensor, Any], Tensor] = cross_entropy,
    callback: Callable[[int, float], bool | None] | None = None,
    progress: bool = False,
) -> list[float]:
    """Train ``model`` for ``n_epochs`` passes over ``(X, y)``: the book's one training loop.

    Every epoch shuffles the rows (with ``rng``), takes mini-batches of
    ``batch_size``, and per batch clears the gradients, backpropagates
    ``loss(model(batch), targets)`` and lets ``optimizer`` step.

    Args:
        model: maps a (batch, n_features) Tensor to predictions.
        optimizer: anything with ``zero_grad()`` and ``step()`` (see :mod:`hinton_utils.core.optim`).
        X: inputs, (n, n_features); converted once to the model's dtype.
        y: targets indexed by row (class labels for cross-entropy, arrays for mse).
        n_epochs: passes over the data, >= 1.
        batch_size: rows per update.
        rng: int seed or Generator for the shuffles (a seed gives the same run every time).
        loss: ``loss(predictions, targets)`` returning a scalar Tensor.
        callback: called as ``callback(epoch, mean_loss)`` after every epoch (epoch
            counts from 1), with the model in training mode; return True to stop early.
        progress: show a tqdm progress bar over epochs.

    The loop runs with one BLAS thread (:func:`hinton_utils.core.backend.one_blas_thread`).

    Returns:
        The mean training loss of each epoch that ran.
    """
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    if callback is not None and not callable(callback):
        raise TypeError(f"callback must be callable or None; got {type(callback).__name__}")
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be a bool; got {type(progress).__name__}")
    gen = B.as_generator(rng, "rng")
    X, y = _training_data(model, X, y)
    batch_size = check_int(batch_size, "batch_size", low=1)
    epochs: Any = range(1, n_epochs + 1)
    if progress:
        from tqdm.auto import tqdm

        epochs = tqdm(epochs, desc="epochs", leave=False)
    history: list[float] = []
    # Small matrix products, thousands of times: one BLAS thread is faster, and the
    # result is then the same with the reader's default threading as in the build.
    with B.one_blas_thread():
        for epoch in epochs:
            history.append(_epoch(model, optimizer, X, y, batch_size, gen, loss))
            if callback is not None and callback(epoch, history[-1]):
                break
    return history
