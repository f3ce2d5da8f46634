"""Chapter 13: scale — sensible optimisers, matrix-multiply speed, and error against size.

* **Optimisers.** :func:`make_optimizer` names the four update rules of
  :mod:`hinton_utils.core.optim` the chapter compares (plain SGD, momentum,
  RMSprop from Hinton's 2012 Coursera lecture 6e, and Adam).
  :func:`quadratic` builds an ill-conditioned quadratic bowl,
  :func:`optimise_quadratic` runs an optimiser on it and
  :func:`steps_to_target` reads off how many steps it needed;
  :func:`layer_gradient_rms` shows why a deep narrow network of logistic units
  needs an optimiser that rescales each weight's gradient.
* **Speed.** :func:`matmul_gflops` times a matrix product; :data:`HISTORICAL_FLOPS`
  holds the machine speeds Hinton quotes.
* **Size.** :func:`size_curve` trains the same network on growing training sets
  or with growing width, always through :func:`hinton_utils.core.nn.train`,
  and :func:`power_law_slope` fits the straight line in log-log coordinates.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from .core import backend as B
from .core import functional as F
from .core import nn, optim
from .core.autodiff import Tensor, no_grad
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "HISTORICAL_FLOPS",
    "OPTIMIZERS",
    "layer_gradient_rms",
    "make_optimizer",
    "matmul_gflops",
    "optimise_quadratic",
    "power_law_slope",
    "quadratic",
    "size_curve",
    "steps_to_target",
]

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")

#: Floating-point operations per second Hinton quotes (Ng interview, 2017):
#: "under 0.1 megaflops" for his 1986 machine, about 10 megaflops around 1993.
HISTORICAL_FLOPS = {1986: 1.0e5, 1993: 1.0e7}


def make_optimizer(name: str, params: Any, learning_rate: float) -> optim.Optimizer:
    """One of the chapter's four optimisers, by name, over ``params``.

    Args:
        name: ``"sgd"`` (plain), ``"momentum"`` (SGD with momentum 0.9),
            ``"rmsprop"`` (decay 0.9, as in lecture 6e) or ``"adam"``
            (β = (0.9, 0.999)).
        params: the Tensors to train (e.g. ``model.parameters()``).
        learning_rate: the step size, > 0.
    """
    name = check_choice(name, "name", OPTIMIZERS)
    if name == "sgd":
        return optim.SGD(params, learning_rate=learning_rate)
    if name == "momentum":
        return optim.SGD(params, learning_rate=learning_rate, momentum=0.9)
    if name == "rmsprop":
        return optim.RMSprop(params, learning_rate=learning_rate, decay=0.9)
    return optim.Adam(params, learning_rate=learning_rate)


# ------------------------------------------------------------------ quadratic
def quadratic(eigenvalues: Any, *, rotate: bool, rng: Any) -> Any:
    """The Hessian ``A = Q diag(λ) Qᵀ`` of the bowl ``f(w) = ½ wᵀ A w``.

    Args:
        eigenvalues: the curvatures λ, all > 0; their ratio is the condition number.
        rotate: if False, ``Q = I`` and the steep and shallow directions are the
            coordinate axes (the case a per-weight step size can fix); if True,
            ``Q`` is a random rotation, so every weight feels every curvature.
        rng: int seed or Generator (used only when ``rotate``).

    Returns:
        A symmetric positive definite (d, d) float64 matrix.
    """
    xp = B.xp()
    lam = check_array(eigenvalues, "eigenvalues", ndim=1, dtype="float64")
    if bool((lam <= 0).any()):
        raise ValueError("eigenvalues must all be > 0")
    if not isinstance(rotate, bool):
        raise TypeError(f"rotate must be a bool; got {type(rotate).__name__}")
    gen = B.as_generator(rng, "rng")
    d = lam.shape[0]
    if not rotate:
        return xp.diag(lam)
    q, r = xp.linalg.qr(gen.standard_normal((d, d)))
    q = q * xp.sign(xp.diag(r))
    return (q * lam) @ q.T


def optimise_quadratic(A: Any, w0: Any, name: str, learning_rate: float, n_steps: int) -> Any:
    """Minimise ``½ wᵀ A w`` from ``w0`` with a core optimiser; the loss before each step.

    The gradient ``A w`` is exact (no mini-batch noise), so the differences
    between the optimisers come from their update rules alone.

    Args:
        A: symmetric positive definite (d, d).
        w0: the starting point (d,).
        name: one of :data:`OPTIMIZERS`.
        learning_rate: > 0.
        n_steps: >= 1.

    Returns:
        Host float array of ``n_steps + 1`` losses (the last after the final step);
        a diverging run is cut short and padded with ``inf``.
    """
    xp = B.xp()
    A = check_array(A, "A", ndim=2, dtype="float64")
    d = A.shape[0]
    if A.shape != (d, d):
        raise ValueError(f"A must be square; got shape {A.shape}")
    w0 = check_array(w0, "w0", shape=(d,), dtype="float64")
    n_steps = check_int(n_steps, "n_steps", low=1)
    w = Tensor(w0.copy(), requires_grad=True)
    opt = make_optimizer(name, [w], learning_rate)
    losses = []
    for _ in range(n_steps + 1):
        g = A @ w.data
        loss = 0.5 * float(w.data @ g)
        if not math.isfinite(loss) or loss > 1e12:
            break
        losses.append(loss)
        if len(losses) == n_steps + 1:
            break
        w.grad = g
        opt.step()
    losses += [math.inf] * (n_steps + 1 - len(losses))
    out = B.asnumpy(xp.asarray(losses))
    return out


def steps_to_target(losses: Any, target: float) -> int | None:
    """The first step at which ``losses`` is at or below ``target`` (None if never).

    Args:
        losses: a loss curve (1-D; ``inf`` marks a diverged run).
        target: the loss to reach.
    """
    xp = B.xp()
    if not hasattr(losses, "__len__") or isinstance(losses, (str, bytes, dict)):
        raise TypeError(f"losses must be a 1-D array of numbers; got {type(losses).__name__}")
    losses = xp.asarray(losses, dtype=xp.float64)  # +inf (a diverged run) is allowed
    if losses.ndim != 1 or losses.shape[0] == 0 or bool(xp.isnan(losses).any()):
        raise ValueError("losses must be a non-empty 1-D array without NaN")
    target = check_real(target, "target")
    hits = B.asnumpy(losses <= target).nonzero()[0]
    return int(hits[0]) if hits.size else None


def layer_gradient_rms(model: nn.Module, X: Any, y: Any) -> list[float]:
    """The root-mean-square gradient of each Linear layer's weights on ``(X, y)``.

    One forward and backward pass of the cross-entropy; the model is not changed
    (its gradients are cleared afterwards). In a deep stack of logistic units
    the early layers' gradients are orders of magnitude smaller than the last
    layer's, which plain SGD turns into orders of magnitude slower learning.

    Args:
        model: a Sequential whose Linear layers are found in order.
        X: inputs (n, d).
        y: integer labels (n,).

    Returns:
        One float per Linear layer, input side first.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be a Sequential; got {type(model).__name__}")
    linears = [m for m in model.layers if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("model must contain at least one Linear layer")
    dtype = linears[0].weight.dtype
    X = check_array(X, "X", ndim=2).astype(dtype)
    y = check_array(y, "y", ndim=1)
    model.zero_grad()
    F.cross_entropy(model(Tensor.constant(X)), y).backward()
    xp = B.xp()
    out = [float(xp.sqrt(xp.mean(m.weight.grad.astype(xp.float64) ** 2))) for m in linears]
    model.zero_grad()
    return out


# ---------------------------------------------------------------------- speed
def matmul_gflops(n: int, *, dtype: str = "float32", repeats: int = 5, rng: Any) -> float:
    """This machine's matrix-multiply rate: GFLOP/s of an (n × n) @ (n × n) product.

    The product costs ``2 n³`` floating-point operations; the best of
    ``repeats`` timings is used. The answer depends on the machine, its load
    and the BLAS threads, so it is for printing, never for asserting.

    Args:
        n: matrix size, 8 to 8192.
        dtype: ``"float32"`` or ``"float64"``.
        repeats: timed repetitions, >= 1.
        rng: int seed or Generator for the matrices.
    """
    xp = B.xp()
    n = check_int(n, "n", low=8, high=8192)
    dtype = check_choice(dtype, "dtype", ("float32", "float64"))
    repeats = check_int(repeats, "repeats", low=1)
    gen = B.as_generator(rng, "rng")
    a = gen.standard_normal((n, n)).astype(dtype)
    b = gen.standard_normal((n, n)).astype(dtype)
    c = a @ b  # warm up (and on a GPU, compile)
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        c = a @ b
        if B.name() == "cupy":  # pragma: no cover - GPU only
            xp.cuda.Stream.null.synchronize()
        best = min(best, time.perf_counter() - start)
    del c
    return 2.0 * n**3 / max(best, 1e-12) / 1e9


# ----------------------------------------------------------------------- size
def size_curve(
    X: Any,
    y: Any,
    X_test: Any,
    y_test: Any,
    *,
    sizes: Sequence[int] = (),
    widths: Sequence[int] = (),
    n_train: int | None = None,
    width: int = 128,
    n_seeds: int = 3,
    n_steps: int = 500,
    learning_rate: float = 3e-3,
    batch_size: int = 32,
    rng: Any,
) -> Any:
    """Test error of a one-hidden-layer ReLU network as the data or the model grows.

    Give either ``sizes`` (training-set sizes, each a random subset of ``X``,
    network width ``width``) or ``widths`` (hidden-layer widths, trained on the
    first ``n_train`` rows, all by default). Every network is trained with Adam
    for about ``n_steps`` updates (whole epochs, so small sets get more of
    them) through :func:`hinton_utils.core.nn.train`.

    Args:
        X, y: the pool of training data (inputs (n, d), labels (n,)).
        X_test, y_test: held-out data.
        sizes: training-set sizes to try (each 10..n).
        widths: hidden widths to try (each >= 1).
        n_train: training rows for the width sweep (default: all).
        width: hidden width for the data sweep.
        n_seeds: independent runs per point, >= 1.
        n_steps: approximate updates per run, >= 1.
        learning_rate: Adam's step size.
        batch_size: rows per update.
        rng: int seed or Generator.

    Returns:
        Host float array of test errors, shape (len(sizes or widths), n_seeds).
    """
    xp = B.xp()
    X = check_array(X, "X", ndim=2).astype(xp.float32)
    y = check_array(y, "y", ndim=1)
    X_test = check_array(X_test, "X_test", ndim=2).astype(xp.float32)
    y_test = check_array(y_test, "y_test", ndim=1)
    n, d = X.shape
    if y.shape[0] != n or y_test.shape[0] != X_test.shape[0] or X_test.shape[1] != d:
        raise ValueError("X, y, X_test and y_test must agree in rows and columns")
    if (len(sizes) > 0) == (len(widths) > 0):
        raise ValueError("give exactly one of sizes or widths")
    sizes = [check_int(s, f"sizes[{i}]", low=10, high=n) for i, s in enumerate(sizes)]
    widths = [check_int(w, f"widths[{i}]", low=1) for i, w in enumerate(widths)]
    n_train = n if n_train is None else check_int(n_train, "n_train", low=10, high=n)
    width = check_int(width, "width", low=1)
    n_seeds = check_int(n_seeds, "n_seeds", low=1)
    n_steps = check_int(n_steps, "n_steps", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    gen = B.as_generator(rng, "rng")
    n_classes = int(max(int(y.max()), int(y_test.max()))) + 1
    points = [(s, width) for s in sizes] if sizes else [(n_train, w) for w in widths]
    errors = []
    for m, h in points:
        row = []
        for _ in range(n_seeds):
            idx = xp.argsort(gen.random(n))[:m] if sizes else xp.arange(m)
            net = nn.MLP([d, h, n_classes], rng=gen)
            opt = optim.Adam(net.parameters(), learning_rate=learning_rate)
            n_epochs = max(1, math.ceil(n_steps / math.ceil(m / batch_size)))
            nn.train(net, opt, X[idx], y[idx], n_epochs=n_epochs, batch_size=batch_size, rng=gen)
            with no_grad():
                row.append(1.0 - nn.accuracy(net(Tensor.constant(X_test)), y_test))
        errors.append(row)
    return B.asnumpy(xp.asarray(errors))


def power_law_slope(x: Any, error: Any) -> tuple[float, float]:
    """Fit ``error ≈ c · x**slope`` by least squares in log-log coordinates.

    Args:
        x: positive sizes (1-D).
        error: positive errors, same length.

    Returns:
        ``(slope, c)``.
    """
    xp = B.xp()
    x = check_array(x, "x", ndim=1, dtype="float64", values="nonnegative")
    error = check_array(error, "error", ndim=1, dtype="float64", values="nonnegative")
    if x.shape != error.shape or x.shape[0] < 2:
        raise ValueError("x and error must have the same length, at least 2")
    if bool((x <= 0).any()) or bool((error <= 0).any()):
        raise ValueError("x and error must be > 0 to take logarithms")
    lx, le = xp.log(x), xp.log(error)
    slope = float(((lx - lx.mean()) * (le - le.mean())).sum() / ((lx - lx.mean()) ** 2).sum())
    return slope, float(xp.exp(le.mean() - slope * lx.mean()))
