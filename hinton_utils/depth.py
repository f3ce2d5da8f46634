"""Chapter 12: rectifiers and depth (ReLU as logistic units, identity initialisation, IRNNs).

Three groups of kernels:

- **Rectifiers from logistic units** (Nair & Hinton 2010): a stack of ``n`` copies of
  a logistic unit with the same input ``x`` and biases offset by −½, −1.5, −2.5, …
  has expected total activity ``Σᵢ σ(x − i + ½)`` (:func:`stacked_logistic`), which
  is close to ``softplus(x) = log(1 + eˣ)`` and so to ``max(0, x)``; its variance
  ``Σᵢ σᵢ(1 − σᵢ)`` (:func:`stacked_logistic_variance`) is close to ``σ(x)``, which
  gives the noisy rectifier ``max(0, x + N(0, σ(x)))`` (:func:`noisy_relu`).
- **Signals through depth**: :func:`deep_relu_net` builds a deep, narrow ReLU
  network from :mod:`hinton_utils.core.nn` layers with any initialisation;
  :func:`signal_norms` measures how large the activations (forward) and their
  gradients (backward) are at every layer; :func:`train_deep_net` trains one through
  the book's training loop :func:`hinton_utils.core.nn.train`, recording test
  accuracy after every epoch; :class:`ResidualBlock` is ``h + F(h)`` with ``F = 0``
  at the start.
- **Recurrent nets** (Le, Jaitly & Hinton 2015): :func:`adding_problem` makes the
  adding task, :class:`SimpleRNN` is a one-layer recurrent net (ReLU with identity
  recurrent weights, the IRNN, or tanh with the usual random weights) trained by
  backpropagation through time in :mod:`hinton_utils.core.autodiff`, and
  :func:`gradient_through_time` measures how far an error signal reaches back.
"""

from __future__ import annotations

import math
from typing import Any

from .core import autodiff as ad
from .core import backend as B
from .core import nn, optim
from .core.autodiff import Tensor
from .core.functional import cross_entropy, linear, mse
from .core.special import sigmoid, softplus
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "ResidualBlock",
    "SimpleRNN",
    "adding_problem",
    "deep_relu_net",
    "end_to_end_gain",
    "gradient_through_time",
    "layer_gradients",
    "noisy_relu",
    "relu",
    "residual_net",
    "sample_stacked_logistic",
    "signal_norms",
    "softplus_of",
    "stacked_logistic",
    "stacked_logistic_variance",
    "train_deep_net",
    "train_rnn",
]


# ------------------------------------------------------------ rectifiers
def _offsets(n_copies: int, dtype: Any) -> Any:
    xp = B.xp()
    return xp.arange(1, n_copies + 1, dtype=dtype) - 0.5


def _float_input(x: Any, name: str = "x") -> Any:
    arr = check_array(x, name, min_size=1)
    return arr.astype("float64") if arr.dtype.kind != "f" else arr


def relu(x: Any) -> Any:
    """``max(0, x)`` elementwise, on the active backend."""
    return B.xp().maximum(_float_input(x), 0.0)


def softplus_of(x: Any) -> Any:
    """``log(1 + eˣ)`` elementwise, stable for large ``|x|`` (the smooth rectifier)."""
    return softplus(_float_input(x))


def stacked_logistic(x: Any, n_copies: int = 100) -> Any:
    """Expected total activity of ``n_copies`` logistic units with biases −½, −1½, …

    ``Σ_{i=1..n} σ(x − i + ½)``: every copy has the same input ``x`` and the same
    weights, and copy ``i`` has its bias lowered by ``i − ½``. Nair & Hinton (2010)
    note that as ``n → ∞`` the sum is close to ``softplus(x) = log(1 + eˣ)``
    (the sum is a midpoint rule for ``∫₀^∞ σ(x − t) dt = softplus(x)``).

    Args:
        x: total inputs, any shape.
        n_copies: how many copies, >= 1.

    Returns:
        An array of ``x``'s shape.
    """
    x = _float_input(x)
    n_copies = check_int(n_copies, "n_copies", low=1)
    offsets = _offsets(n_copies, x.dtype)
    return sigmoid(x[..., None] - offsets).sum(axis=-1)


def stacked_logistic_variance(x: Any, n_copies: int = 100) -> Any:
    """Variance of the number of copies that turn on: ``Σᵢ σᵢ (1 − σᵢ)``.

    Each copy is an independent binary unit that is on with probability
    ``σᵢ = σ(x − i + ½)``, so the count's variance is the sum of the Bernoulli
    variances. It is close to ``σ(x)``: the rectifier's noise grows with its input
    up to a variance of one.

    Args:
        x: total inputs, any shape.
        n_copies: how many copies, >= 1.
    """
    x = _float_input(x)
    n_copies = check_int(n_copies, "n_copies", low=1)
    p = sigmoid(x[..., None] - _offsets(n_copies, x.dtype))
    return (p * (1.0 - p)).sum(axis=-1)


def sample_stacked_logistic(x: Any, n_samples: int, rng: Any, n_copies: int = 100) -> Any:
    """Sample the number of active copies in the stack, ``n_samples`` times per input.

    Every copy is drawn as its own Bernoulli unit (nothing is approximated).

    Args:
        x: total inputs, 1-D of length ``m``.
        n_samples: draws per input, >= 1.
        rng: int seed or Generator.
        n_copies: copies in the stack, >= 1.

    Returns:
        Counts of shape ``(n_samples, m)`` (floats holding whole numbers).
    """
    x = check_array(x, "x", ndim=1).astype("float64")
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_copies = check_int(n_copies, "n_copies", low=1)
    gen = B.as_generator(rng, "rng")
    p = sigmoid(x[:, None] - _offsets(n_copies, x.dtype))  # (m, n_copies)
    on = gen.random((n_samples, *p.shape)) < p
    return on.sum(axis=-1).astype(x.dtype)


def noisy_relu(x: Any, rng: Any) -> Any:
    """The noisy rectifier ``max(0, x + ε)`` with ``ε ~ N(0, σ(x))`` (variance ``σ(x)``).

    Nair & Hinton's replacement for sampling the whole stack of logistic units:
    the stack's mean is about ``softplus(x) ≈ max(0, x)`` and its variance about
    ``σ(x)``. One draw per entry of ``x``.

    Args:
        x: total inputs, any shape.
        rng: int seed or Generator.
    """
    x = _float_input(x)
    gen = B.as_generator(rng, "rng")
    noise = B.xp().sqrt(sigmoid(x)) * gen.standard_normal(x.shape)
    return B.xp().maximum(x + noise, 0.0)


# ------------------------------------------------------------ deep ReLU nets
def deep_relu_net(
    depth: int,
    *,
    width: int = 64,
    n_in: int | None = None,
    n_out: int = 10,
    init: str | float = "identity",
    rng: Any,
    dtype: Any = "float32",
) -> nn.Sequential:
    """``depth`` hidden ReLU layers of ``width`` units, then a linear read-out of ``n_out``.

    Args:
        depth: the number of hidden layers, >= 1.
        width: units per hidden layer.
        n_in: input width (defaults to ``width``; the 8×8 digits have 64 pixels).
        n_out: output units (logits).
        init: initialisation of every hidden layer (see :class:`hinton_utils.core.nn.Linear`):
            ``"identity"``, ``"he"``, ``"lecun"``, ``"xavier"`` or a std. The read-out
            layer always starts with ``"xavier"`` weights.
        rng: int seed or Generator.
        dtype: ``"float32"`` or ``"float64"``.
    """
    depth = check_int(depth, "depth", low=1)
    width = check_int(width, "width", low=1)
    n_in = width if n_in is None else check_int(n_in, "n_in", low=1)
    n_out = check_int(n_out, "n_out", low=1)
    gen = B.as_generator(rng, "rng")
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(n_in if i == 0 else width, width, rng=gen, init=init, dtype=dtype))
        layers.append(nn.Activation("relu"))
    layers.append(nn.Linear(width, n_out, rng=gen, init="xavier", dtype=dtype))
    return nn.Sequential(*layers)


class ResidualBlock(nn.Module):
    """``h ↦ h + F(h)`` with ``F(h) = relu(h W₁ + b₁) W₂ + b₂`` (He et al. 2016, simplified).

    ``W₂`` and ``b₂`` start at zero, so the block starts as the identity map, the
    same function as an identity-initialised ReLU layer on non-negative input; its
    gradient still reaches ``W₂`` because ``relu(h W₁ + b₁)`` is not zero.

    Args:
        width: the block's input and output width.
        rng: int seed or Generator for ``W₁`` (He initialisation).
        dtype: ``"float32"`` or ``"float64"``.
    """

    def __init__(self, width: int, *, rng: Any, dtype: Any = "float32") -> None:
        width = check_int(width, "width", low=1)
        self.inner = nn.Linear(width, width, rng=rng, init="he", dtype=dtype)
        xp = B.xp()
        zeros = xp.zeros((width, width), dtype=self.inner.weight.dtype)
        self.outer = nn.Linear.from_arrays(zeros, xp.zeros(width, dtype=zeros.dtype))

    def forward(self, h: Tensor) -> Tensor:
        return h + self.outer(ad.relu(self.inner(h)))

    def __repr__(self) -> str:
        return f"ResidualBlock({self.inner.n_in})"


def residual_net(
    n_blocks: int,
    *,
    width: int = 64,
    n_out: int = 10,
    rng: Any,
    dtype: Any = "float32",
) -> nn.Sequential:
    """``n_blocks`` residual blocks of ``width`` units, then a linear read-out of ``n_out``.

    At initialisation every block is the identity, so the network's hidden
    signal at every depth equals its input.
    """
    n_blocks = check_int(n_blocks, "n_blocks", low=1)
    width = check_int(width, "width", low=1)
    n_out = check_int(n_out, "n_out", low=1)
    gen = B.as_generator(rng, "rng")
    blocks: list[nn.Module] = [ResidualBlock(width, rng=gen, dtype=dtype) for _ in range(n_blocks)]
    blocks.append(nn.Linear(width, n_out, rng=gen, init="xavier", dtype=dtype))
    return nn.Sequential(*blocks)


def _check_sequential(model: Any) -> nn.Sequential:
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be a core.nn.Sequential; got {type(model).__name__}")
    return model


def _hidden_outputs(model: nn.Sequential) -> list[int]:
    """Indices of the layers whose output is a hidden signal (after a ReLU or a block)."""
    return [
        i
        for i, layer in enumerate(model.layers[:-1])
        if isinstance(layer, (nn.Activation, ResidualBlock))
    ]


def signal_norms(model: Any, X: Any, y: Any) -> dict[str, Any]:
    """How large the signal is at every depth, forwards and backwards, for one batch.

    Runs ``X`` through ``model`` (a Sequential from :func:`deep_relu_net` or
    :func:`residual_net`) and backpropagates the summed cross-entropy with labels
    ``y``. Layer 0 is the input.

    Args:
        model: the network.
        X: inputs, (n, n_in).
        y: integer labels, (n,).

    Returns:
        ``{"forward": f, "backward": b}``, arrays of length ``depth + 1``:
        ``f[l]`` is the mean over examples of ``‖h_l‖`` and ``b[l]`` the mean of
        ``‖∂L/∂h_l‖``, where ``L`` is the example's own cross-entropy.
    """
    model = _check_sequential(model)
    xp = B.xp()
    dtype = model.parameters()[0].dtype
    X = check_array(X, "X", ndim=2).astype(dtype)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} entries to match X; got {y.shape[0]}")
    keep = set(_hidden_outputs(model))
    h = Tensor(X, requires_grad=True)
    signals = [h]
    out = h
    for i, layer in enumerate(model.layers):
        out = layer(out)
        if i in keep:
            signals.append(out.retain_grad())
    cross_entropy(out, y, reduction="sum").backward()
    forward = xp.stack([xp.linalg.norm(s.data, axis=1).mean() for s in signals])
    backward = xp.stack(
        [
            xp.linalg.norm(s.grad, axis=1).mean() if s.grad is not None else xp.asarray(0.0)
            for s in signals
        ]
    )
    return {"forward": forward.astype("float64"), "backward": backward.astype("float64")}


def layer_gradients(model: Any, X: Any, y: Any) -> list[Any]:
    """The gradient of the mean cross-entropy with respect to every layer's weight matrix.

    Args:
        model: a Sequential of Linear layers and activations.
        X: inputs, (n, n_in).
        y: integer labels, (n,).

    Returns:
        One array per Linear layer, input side first (the model's gradients are
        cleared again afterwards).
    """
    model = _check_sequential(model)
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} entries to match X; got {y.shape[0]}")
    dtype = model.parameters()[0].dtype
    model.zero_grad()
    cross_entropy(model(Tensor(X, dtype=dtype)), y).backward()
    grads = [layer.weight.grad.copy() for layer in model.layers if isinstance(layer, nn.Linear)]
    model.zero_grad()
    return grads


def end_to_end_gain(update: Any, learning_rate: float, depth: int) -> float:
    """The largest gain ``‖(I − η G)^depth‖₂`` of ``depth`` identity layers after one step.

    At identity initialisation on non-negative data every hidden layer receives
    the same gradient ``G``, so one plain gradient step turns each layer into
    ``I − ηG``; ignoring the rectifiers, the stack then maps ``h`` to
    ``h (I − ηG)^depth``. The function returns the spectral norm of that matrix:
    the step's effect compounds with depth.

    Args:
        update: ``G``, a square matrix.
        learning_rate: ``η`` > 0.
        depth: the number of layers, >= 1.
    """
    xp = B.xp()
    G = check_array(update, "update", ndim=2).astype("float64")
    if G.shape[0] != G.shape[1]:
        raise ValueError(f"update must be square; got shape {tuple(G.shape)}")
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    depth = check_int(depth, "depth", low=1)
    step = xp.eye(G.shape[0]) - learning_rate * G
    return float(xp.linalg.norm(xp.linalg.matrix_power(step, depth), ord=2))


def train_deep_net(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    optimizer: str = "adam",
    learning_rate: float,
    n_epochs: int,
    batch_size: int = 64,
    momentum: float = 0.0,
    rng: Any,
) -> dict[str, Any]:
    """Train ``model`` with :func:`hinton_utils.core.nn.train`, testing after every epoch.

    Training stops early if the training loss stops being finite (the run has
    diverged).

    Args:
        model: a classifier returning logits.
        X_train, y_train: training inputs (n, n_in) and integer labels.
        X_test, y_test: held-out inputs and labels.
        optimizer: ``"adam"`` or ``"sgd"`` (:mod:`hinton_utils.core.optim`).
        learning_rate: step size > 0.
        n_epochs: passes over the training set.
        batch_size: examples per update.
        momentum: SGD momentum in [0, 1) (ignored by Adam).
        rng: int seed or Generator for the shuffles.

    Returns:
        ``{"loss": [...], "test_accuracy": [...], "diverged": bool}``, one entry
        per epoch that ran.
    """
    model = _check_sequential(model)
    optimizer = check_choice(optimizer, "optimizer", ("adam", "sgd"))
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    dtype = model.parameters()[0].dtype
    X_test = check_array(X_test, "X_test", ndim=2).astype(dtype)
    y_test = check_array(y_test, "y_test", ndim=1)
    if optimizer == "adam":
        opt: optim.Optimizer = optim.Adam(model.parameters(), learning_rate=learning_rate)
    else:
        opt = optim.SGD(model.parameters(), learning_rate=learning_rate, momentum=momentum)
    accuracies: list[float] = []
    diverged = False

    def after_epoch(epoch: int, loss: float) -> bool:
        nonlocal diverged
        with ad.no_grad():
            logits = model(Tensor.constant(X_test))
        accuracies.append(nn.accuracy(logits, y_test))
        diverged = not math.isfinite(loss)
        return diverged

    with B.ignore_overflow(diverging=True):
        losses = nn.train(
            model,
            opt,
            X_train,
            y_train,
            n_epochs=n_epochs,
            batch_size=batch_size,
            rng=rng,
            callback=after_epoch,
        )
    model.eval()
    return {"loss": losses, "test_accuracy": accuracies, "diverged": diverged}


# ------------------------------------------------------------ recurrent nets
def adding_problem(n: int, seq_len: int, rng: Any) -> tuple[Any, Any]:
    """The adding problem of Hochreiter & Schmidhuber, as Le, Jaitly & Hinton (2015) set it.

    Each sequence has ``seq_len`` steps of two inputs: a value drawn uniformly
    from [0, 1] and a marker that is 1 at exactly two steps (one in each half of
    the sequence) and 0 elsewhere. The target is the sum of the two marked
    values. Always predicting 1 scores a mean squared error of 1/6 ≈ 0.167 (the
    variance of a sum of two uniforms).

    Args:
        n: the number of sequences, >= 1.
        seq_len: steps per sequence, >= 2.
        rng: int seed or Generator.

    Returns:
        ``(X, y)``: X float32 of shape ``(n, seq_len * 2)`` with step ``t``'s
        value and marker in columns ``2t`` and ``2t + 1`` (flat, so that
        :func:`hinton_utils.core.nn.train` can batch it), y float32 of shape ``(n, 1)``.
    """
    n = check_int(n, "n", low=1)
    seq_len = check_int(seq_len, "seq_len", low=2)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    values = gen.random((n, seq_len))
    half = seq_len // 2
    first = gen.integers(0, half, size=n)
    second = gen.integers(half, seq_len, size=n)
    markers = xp.zeros((n, seq_len))
    rows = xp.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = xp.stack([values, markers], axis=2).reshape(n, 2 * seq_len)
    y = (values * markers).sum(axis=1, keepdims=True)
    return X.astype("float32"), y.astype("float32")


class SimpleRNN(nn.Module):
    """A one-layer recurrent net read out at the last step, for flat sequences.

    ``h_t = f(x_t W_in + h_{t−1} W_rec + b)`` from ``h_0 = 0``, and the output is
    ``h_T W_out + b_out``. The input arrives flat, ``(n, seq_len · n_in)``, so that
    the book's training loop can batch it; :meth:`forward` cuts it into steps.

    Args:
        n_in: inputs per step.
        n_hidden: recurrent units.
        n_out: outputs.
        activation: ``"relu"`` or ``"tanh"``.
        recurrent_init: ``"identity"`` (the IRNN of Le, Jaitly & Hinton 2015),
            ``"xavier"``, or a std for normal weights.
        input_std: std of the normal input and output weights; ``None`` uses
            Glorot-uniform (``"xavier"``) weights, the usual default.
        rng: int seed or Generator.
        dtype: ``"float32"`` or ``"float64"``.
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        n_out: int = 1,
        *,
        activation: str = "relu",
        recurrent_init: str | float = "identity",
        input_std: float | None = None,
        rng: Any,
        dtype: Any = "float32",
    ) -> None:
        self.n_in = check_int(n_in, "n_in", low=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", low=1)
        n_out = check_int(n_out, "n_out", low=1)
        self.activation = check_choice(activation, "activation", ("relu", "tanh"))
        if input_std is not None:
            input_std = check_real(input_std, "input_std", low=0.0, low_open=True)
        gen = B.as_generator(rng, "rng")
        outer_init: str | float = "xavier" if input_std is None else input_std
        self.w_in = nn.Linear(self.n_in, self.n_hidden, rng=gen, init=outer_init, dtype=dtype)
        self.w_rec = nn.Linear(
            self.n_hidden, self.n_hidden, rng=gen, init=recurrent_init, bias=False, dtype=dtype
        )
        self.w_out = nn.Linear(self.n_hidden, n_out, rng=gen, init=outer_init, dtype=dtype)

    def _steps(self, x: Any) -> int:
        width = x.shape[1]
        if x.ndim != 2 or width % self.n_in:
            raise ValueError(f"x must have shape (n, seq_len * {self.n_in}); got {tuple(x.shape)}")
        return width // self.n_in

    def hidden_states(self, x: Any) -> list[Tensor]:
        """``[h_1, …, h_T]`` for a batch of flat sequences (each a Tensor of (n, n_hidden))."""
        if not isinstance(x, Tensor):
            x = Tensor(check_array(x, "x", ndim=2), dtype=self.w_in.weight.dtype)
        T = self._steps(x)
        act = ad.relu if self.activation == "relu" else ad.tanh
        k = self.n_in
        states: list[Tensor] = []
        h = None
        for t in range(T):
            if x.requires_grad:
                xt = x[:, t * k : (t + 1) * k]
            else:
                xt = Tensor.constant(x.data[:, t * k : (t + 1) * k])
            z = self.w_in(xt)
            if h is not None:
                z = z + linear(h, self.w_rec.weight)
            h = act(z)
            states.append(h)
        return states

    def forward(self, x: Any) -> Tensor:
        return self.w_out(self.hidden_states(x)[-1])

    def __repr__(self) -> str:
        return f"SimpleRNN({self.n_in}, {self.n_hidden}, activation={self.activation!r})"


def gradient_through_time(model: Any, X: Any, y: Any) -> Any:
    """``‖∂L/∂h_t‖`` for every step ``t``, averaged over the batch: how far errors reach back.

    ``L`` is the summed squared error of the read-out at the last step.

    Args:
        model: a :class:`SimpleRNN`.
        X: flat sequences, (n, seq_len · n_in).
        y: targets, (n, n_out).

    Returns:
        An array of length ``seq_len``; entry ``t`` belongs to step ``t + 1``.
    """
    if not isinstance(model, SimpleRNN):
        raise TypeError(f"model must be a SimpleRNN; got {type(model).__name__}")
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=2)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} rows to match X; got {y.shape[0]}")
    states = model.hidden_states(Tensor(X, dtype=model.w_in.weight.dtype))
    for s in states:
        s.retain_grad()
    mse(model.w_out(states[-1]), y, reduction="sum").backward()
    model.zero_grad()
    xp = B.xp()
    norms = [xp.linalg.norm(s.grad, axis=1).mean() if s.grad is not None else 0.0 for s in states]
    return xp.asarray([float(v) for v in norms])


def train_rnn(
    model: Any,
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    *,
    learning_rate: float,
    n_epochs: int,
    batch_size: int = 32,
    rng: Any,
) -> list[float]:
    """Train a :class:`SimpleRNN` by backpropagation through time, with Adam and squared error.

    The sequences go through :func:`hinton_utils.core.nn.train` like any other
    data set (they are flat rows), so every update backpropagates through all
    ``seq_len`` steps of the unrolled network.

    Args:
        model: the recurrent net.
        X_train, y_train: flat training sequences (n, seq_len · n_in) and targets (n, n_out).
        X_test, y_test: held-out sequences and targets.
        learning_rate: Adam's step size > 0.
        n_epochs: passes over the training sequences.
        batch_size: sequences per update.
        rng: int seed or Generator for the shuffles.

    Returns:
        The test mean squared error after every epoch.
    """
    if not isinstance(model, SimpleRNN):
        raise TypeError(f"model must be a SimpleRNN; got {type(model).__name__}")
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    dtype = model.w_in.weight.dtype
    X_test = check_array(X_test, "X_test", ndim=2).astype(dtype)
    y_test = check_array(y_test, "y_test", ndim=2).astype(dtype)
    if y_test.shape[0] != X_test.shape[0]:
        raise ValueError(f"y_test must have {X_test.shape[0]} rows; got {y_test.shape[0]}")
    opt = optim.Adam(model.parameters(), learning_rate=learning_rate)
    errors: list[float] = []

    def after_epoch(epoch: int, loss: float) -> None:
        with ad.no_grad():
            errors.append(float(mse(model(Tensor.constant(X_test)), y_test).data))

    nn.train(
        model,
        opt,
        X_train,
        y_train,
        n_epochs=n_epochs,
        batch_size=batch_size,
        rng=rng,
        loss=mse,
        callback=after_epoch,
    )
    return errors
