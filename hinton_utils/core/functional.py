"""Operations built on the engine: layers, losses, softmax, convolution, gradient checks.

Each function takes and returns :class:`~hinton_utils.core.autodiff.Tensor` objects
and defines its own backward step, like the operations in
:mod:`hinton_utils.core.autodiff`, but none of them is part of the engine:
:func:`linear` (fused ``x W + b``), :func:`embedding` (rows of a table),
:func:`log_softmax`, :func:`softmax`, :func:`cross_entropy` (hard labels or
soft targets), :func:`binary_cross_entropy_with_logits`, :func:`mse`,
:func:`conv2d` (stride 1, valid or same padding, NCHW, by im2col), and the
gradient checks :func:`numerical_gradient` and :func:`gradcheck`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import backend as B
from .autodiff import Tensor, _as_tensor, _getitem, _normalize_axis, no_grad
from .special import log_softmax as _log_softmax
from .special import sigmoid as _sigmoid
from .validation import check_array, check_choice, check_int, check_real

__all__ = [
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "embedding",
    "gradcheck",
    "linear",
    "log_softmax",
    "mse",
    "numerical_gradient",
    "softmax",
]


def embedding(table: Tensor, indices: Any) -> Tensor:
    """Rows of ``table`` picked by integer ``indices`` (any shape): ``table[indices]``.

    The result has shape ``indices.shape + (table.shape[1],)``; in the backward
    pass the gradients of repeated indices add up in the same row.

    Raises:
        TypeError: ``indices`` not integers.
        ValueError: ``table`` not 2-D, or an index outside ``[0, table.shape[0])``.
    """
    table = _as_tensor(table, "table")
    if table.ndim != 2:
        raise ValueError(f"table must be 2-D (n_items, dim); got shape {table.shape}")
    idx = check_array(indices, "indices", min_size=0)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"indices must be integers; got dtype {idx.dtype}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= table.shape[0]):
        raise ValueError(
            f"indices must lie in [0, {table.shape[0]}) for a table of {table.shape[0]} rows; "
            f"got values from {int(idx.min())} to {int(idx.max())}"
        )
    return _getitem(table, idx)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The affine map ``x @ weight + bias`` as one graph node (fewer nodes, less overhead).

    Args:
        x: inputs, shape (n, n_in).
        weight: shape (n_in, n_out).
        bias: shape (n_out,), or None.
    """
    x = _as_tensor(x, "x")
    weight = _as_tensor(weight, "weight")
    if x.ndim != 2 or weight.ndim != 2 or x.shape[1] != weight.shape[0]:
        raise ValueError(
            f"linear shape mismatch: x has shape {x.shape} and weight has shape {weight.shape}; "
            "need x (n, n_in) and weight (n_in, n_out)"
        )
    out = x.data @ weight.data
    parents: tuple[Tensor, ...] = (x, weight)
    if bias is not None:
        bias = _as_tensor(bias, "bias")
        if bias.shape != (weight.shape[1],):
            raise ValueError(f"bias must have shape ({weight.shape[1]},); got {bias.shape}")
        out += bias.data
        parents = (x, weight, bias)

    def backward(g: Any) -> None:
        if x.requires_grad:
            x._accumulate(g @ weight.data.T)
        if weight.requires_grad:
            weight._accumulate(x.data.T @ g)
        if bias is not None and bias.requires_grad:
            bias._accumulate(g.sum(axis=0))

    return Tensor._make(out, parents, backward, "linear")


# ---------------------------------------------------------- softmax and losses
def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``x - log Σ exp(x)`` along ``axis``, shifted by the maximum so nothing overflows."""
    x = _as_tensor(x, "x")
    axis = _normalize_axis(check_int(axis, "axis"), x.ndim)[0]
    xp = B.xp()
    out = _log_softmax(x.data, axis)

    def backward(g: Any) -> None:
        x._accumulate(g - xp.exp(out) * g.sum(axis=axis, keepdims=True))

    return Tensor._make(out, (x,), backward, "log_softmax")


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``exp(x) / Σ exp(x)`` along ``axis`` (computed stably)."""
    x = _as_tensor(x, "x")
    axis = _normalize_axis(check_int(axis, "axis"), x.ndim)[0]
    out = B.xp().exp(_log_softmax(x.data, axis))

    def backward(g: Any) -> None:
        x._accumulate(out * (g - (g * out).sum(axis=axis, keepdims=True)))

    return Tensor._make(out, (x,), backward, "softmax")


REDUCTIONS = ("mean", "sum")


def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy ``-Σ_k t_k log softmax(z)_k`` per row, fused and stable.

    Args:
        logits: shape (n, n_classes), unnormalised log-probabilities.
        targets: integer class labels, shape (n,), each in ``[0, n_classes)``;
            or a float array (n, n_classes) of target distributions (rows summing
            to 1, e.g. several right answers sharing the probability).
        reduction: ``"mean"`` over rows (default) or ``"sum"``.

    Returns:
        A scalar Tensor, in nats.
    """
    logits = _as_tensor(logits, "logits")
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    if logits.ndim != 2:
        raise ValueError(f"logits must be 2-D (n, n_classes); got shape {logits.shape}")
    n, k = logits.shape
    xp = B.xp()
    t = check_array(targets, "targets", ndim=(1, 2))
    logp = _log_softmax(logits.data, 1)
    if t.dtype.kind in "iu":
        if t.shape != (n,):
            raise ValueError(
                f"targets must have shape ({n},) to match logits {logits.shape}; "
                f"got {tuple(t.shape)}"
            )
        if int(t.min()) < 0 or int(t.max()) >= k:
            raise ValueError(
                f"targets must be class labels in [0, {k}); got values from "
                f"{int(t.min())} to {int(t.max())}"
            )
        rows = xp.arange(n)
        total = -logp[rows, t].sum()
    elif t.dtype.kind == "f":
        if t.shape != (n, k):
            raise ValueError(
                f"targets given as distributions must have shape {(n, k)}; got {tuple(t.shape)}"
            )
        if bool((t < 0).any()) or not bool(xp.allclose(t.sum(axis=1), 1.0, atol=1e-6)):
            raise ValueError(
                "targets given as distributions must be non-negative with every row summing "
                "to 1 (use integer labels for hard targets)"
            )
        t = t.astype(logits.data.dtype, copy=False)
        rows = None
        total = -(t * logp).sum()
    else:
        raise TypeError(f"targets must be integer labels or float distributions; got {t.dtype}")
    scale = 1.0 / n if reduction == "mean" else 1.0
    out = (total * scale).astype(logits.data.dtype)

    def backward(g: Any) -> None:
        p = xp.exp(logp)
        if rows is not None:
            p[rows, t] -= 1.0
            grad = p
        else:
            grad = p * t.sum(axis=1, keepdims=True) - t
        logits._accumulate(grad * (g * scale))

    return Tensor._make(out, (logits,), backward, "cross_entropy")


def binary_cross_entropy_with_logits(
    logits: Tensor, targets: Any, reduction: str = "mean"
) -> Tensor:
    """``-[t log σ(z) + (1-t) log(1-σ(z))]`` from logits ``z``, as ``softplus(z) - t z``.

    ``targets`` is an array of the logits' shape with entries in [0, 1]; the
    mean (default) or sum runs over every entry.
    """
    logits = _as_tensor(logits, "logits")
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    t = check_array(targets, "targets", values="nonnegative", min_size=0)
    if t.shape != logits.data.shape:
        raise ValueError(f"targets must have the logits' shape {logits.shape}; got {t.shape}")
    if t.size and float(t.max()) > 1.0:
        raise ValueError("targets must lie in [0, 1]")
    t = t.astype(logits.data.dtype, copy=False)
    xp = B.xp()
    z = logits.data
    per = xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z))) - t * z
    scale = 1.0 / max(z.size, 1) if reduction == "mean" else 1.0
    out = (per.sum() * scale).astype(z.dtype)

    def backward(g: Any) -> None:
        logits._accumulate((_sigmoid(z) - t) * (g * scale))

    return Tensor._make(out, (logits,), backward, "bce_logits")


def mse(prediction: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Squared error ``(prediction - target)**2``, averaged (default) or summed over entries.

    ``target`` is an array or Tensor of the prediction's shape (a Tensor target
    that needs a gradient gets one too).
    """
    prediction = _as_tensor(prediction, "prediction")
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    if isinstance(target, Tensor):
        tt = target
    else:
        arr = check_array(target, "target", min_size=0).astype(prediction.data.dtype, copy=False)
        tt = Tensor.constant(arr)
    if tt.shape != prediction.shape:
        raise ValueError(
            f"target must have the prediction's shape {prediction.shape}; got {tt.shape}"
        )
    diff = prediction.data - tt.data
    scale = 1.0 / max(diff.size, 1) if reduction == "mean" else 1.0
    out = ((diff * diff).sum() * scale).astype(diff.dtype)

    def backward(g: Any) -> None:
        gd = diff * (2.0 * scale * g)
        if prediction.requires_grad:
            prediction._accumulate(gd)
        if tt.requires_grad:
            tt._accumulate(-gd)

    return Tensor._make(out, (prediction, tt), backward, "mse")


# ----------------------------------------------------------------- convolution
PADDINGS = ("valid", "same")


def _im2col(xpad: Any, kh: int, kw: int, ho: int, wo: int) -> Any:
    """Patches of ``xpad`` (N, Hp, Wp, C), channels last, as rows: (N*ho*wo, kh*kw*C).

    Each kernel offset copies one block of whole pixels (all C channels in a
    row), so every copy reads and writes contiguous memory.
    """
    xp = B.xp()
    n, c = xpad.shape[0], xpad.shape[3]
    cols = xp.empty((n, ho, wo, kh, kw, c), dtype=xpad.dtype)
    for i in range(kh):  # a loop over kernel offsets, not over pixels
        for j in range(kw):
            cols[:, :, :, i, j, :] = xpad[:, i : i + ho, j : j + wo, :]
    return cols.reshape(n * ho * wo, kh * kw * c)


def _col2im(gcols: Any, shape: tuple[int, ...], kh: int, kw: int, ho: int, wo: int) -> Any:
    """The adjoint of :func:`_im2col`: add each patch's gradient back where it came from."""
    xp = B.xp()
    n, c = shape[0], shape[3]
    cols = gcols.reshape(n, ho, wo, kh, kw, c)
    out = xp.zeros(shape, dtype=gcols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, i : i + ho, j : j + wo, :] += cols[:, :, :, i, j, :]
    return out


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, padding: str = "valid") -> Tensor:
    """2-D convolution (cross-correlation, as in every deep-learning library), stride 1, NCHW.

    Args:
        x: images, shape (N, C, H, W).
        weight: filters, shape (F, C, kh, kw).
        bias: shape (F,), or None.
        padding: ``"valid"`` (output H-kh+1 by W-kw+1) or ``"same"`` (output H by W,
            zero padding; for an even kernel the extra row/column goes at the end).

    Returns:
        Tensor of shape (N, F, H_out, W_out).

    The patches are unrolled into a matrix (im2col), so the convolution is one
    matrix product, and its gradient two more plus the reverse unrolling.
    """
    xp = B.xp()
    x = _as_tensor(x, "x")
    weight = _as_tensor(weight, "weight")
    padding = check_choice(padding, "padding", PADDINGS)
    if x.ndim != 4:
        raise ValueError(f"x must be 4-D (N, C, H, W); got shape {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"weight must be 4-D (F, C, kh, kw); got shape {weight.shape}")
    n, c, h, w = x.shape
    f, cw, kh, kw = weight.shape
    if cw != c:
        raise ValueError(
            f"conv2d channel mismatch: x has shape {x.shape} ({c} channels) and weight has "
            f"shape {weight.shape} ({cw} input channels)"
        )
    # Channels last inside: patches are runs of whole pixels, and the gradient of the
    # input is accumulated in the same order, then turned back to NCHW once.
    x_nhwc = x.data.transpose(0, 2, 3, 1)
    if padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        pads = ((0, 0), (top, kh - 1 - top), (left, kw - 1 - left), (0, 0))
        xpad = xp.pad(x_nhwc, pads) if kh > 1 or kw > 1 else x_nhwc
    else:
        if kh > h or kw > w:
            raise ValueError(
                f"weight's kernel {kh}x{kw} is larger than the images {h}x{w} with padding='valid'"
            )
        pads = None
        xpad = x_nhwc
    ho, wo = xpad.shape[1] - kh + 1, xpad.shape[2] - kw + 1
    cols = _im2col(xpad, kh, kw, ho, wo)
    w2 = weight.data.transpose(0, 2, 3, 1).reshape(f, kh * kw * c)
    out2 = cols @ w2.T
    parents: tuple[Tensor, ...] = (x, weight)
    if bias is not None:
        bias = _as_tensor(bias, "bias")
        if bias.shape != (f,):
            raise ValueError(f"bias must have shape ({f},); got {bias.shape}")
        out2 += bias.data
        parents = (x, weight, bias)
    out = xp.ascontiguousarray(out2.reshape(n, ho, wo, f).transpose(0, 3, 1, 2))

    def backward(g: Any) -> None:
        g2 = g.transpose(0, 2, 3, 1).reshape(n * ho * wo, f)
        if weight.requires_grad:
            gw = (g2.T @ cols).reshape(f, kh, kw, c).transpose(0, 3, 1, 2)
            weight._accumulate(xp.ascontiguousarray(gw))
        if bias is not None and bias.requires_grad:
            bias._accumulate(g2.sum(axis=0))
        if x.requires_grad:
            gpad = _col2im(g2 @ w2, xpad.shape, kh, kw, ho, wo)
            if pads is not None:
                gpad = gpad[:, pads[1][0] : pads[1][0] + h, pads[2][0] : pads[2][0] + w, :]
            x._accumulate(xp.ascontiguousarray(gpad.transpose(0, 3, 1, 2)))

    return Tensor._make(out, parents, backward, "conv2d")


# ------------------------------------------------------------ gradient checking
def numerical_gradient(
    f: Callable[..., Tensor], arrays: Sequence[Any], eps: float = 1e-6
) -> list[Any]:
    """Central finite differences ``(f(x+ε) - f(x-ε)) / 2ε`` of a scalar ``f``, one entry at a time.

    Args:
        f: takes one Tensor per array and returns a one-element Tensor.
        arrays: float64 arrays, the point at which to differentiate.
        eps: the step.

    Returns:
        One array per input, the estimated gradient. Costs two calls of ``f``
        per entry: the slow way backpropagation replaces.
    """
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    points = [check_array(a, f"arrays[{i}]", min_size=0) for i, a in enumerate(arrays)]
    for i, a in enumerate(points):
        if a.dtype.kind != "f" or a.dtype.itemsize < 8:
            raise ValueError(f"arrays[{i}] must be float64 for finite differences; got {a.dtype}")
    points = [a.copy() for a in points]
    grads = []
    with no_grad():
        for a in points:
            grad = B.xp().zeros_like(a)
            flat, gflat = a.reshape(-1), grad.reshape(-1)
            for k in range(flat.size):
                old = float(flat[k])
                flat[k] = old + eps
                up = f(*[Tensor(p) for p in points]).item()
                flat[k] = old - eps
                down = f(*[Tensor(p) for p in points]).item()
                flat[k] = old
                gflat[k] = (up - down) / (2.0 * eps)
            grads.append(grad)
    return grads


def gradcheck(
    f: Callable[..., Tensor], arrays: Sequence[Any], *, eps: float = 1e-6, rng: Any = 0
) -> tuple[list[Any], list[Any]]:
    """Backpropagated and finite-difference gradients of ``f`` at ``arrays``, side by side.

    ``f`` may return a tensor of any shape; it is reduced to the scalar
    ``Σ f(x) * R`` with fixed random weights ``R`` (drawn from ``rng``), so every
    output entry's gradient is tested, not just their sum.

    Returns:
        ``(analytic, numeric)``: two lists with one array per input.
    """
    gen = B.as_generator(rng, "rng")
    points = [check_array(a, f"arrays[{i}]", min_size=0) for i, a in enumerate(arrays)]
    for i, a in enumerate(points):
        if a.dtype.kind != "f" or a.dtype.itemsize < 8:
            raise ValueError(f"arrays[{i}] must be float64 for a gradient check; got {a.dtype}")
    with no_grad():
        shape = f(*[Tensor(p) for p in points]).shape
    weights = gen.standard_normal(shape) if shape else B.xp().asarray(1.0)

    def scalar(*tensors: Tensor) -> Tensor:
        return (f(*tensors) * weights).sum()

    leaves = [Tensor(p.copy(), requires_grad=True) for p in points]
    scalar(*leaves).backward()
    xp = B.xp()
    analytic = [
        xp.zeros_like(p) if t.grad is None else t.grad for t, p in zip(leaves, points, strict=True)
    ]
    numeric = numerical_gradient(scalar, points, eps)
    return analytic, numeric
