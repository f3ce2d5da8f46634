"""The reverse-mode engine: a :class:`Tensor` that remembers how it was made.

This is micrograd's idea with arrays in place of scalars. A :class:`Tensor`
holds an array ``data``, its gradient ``grad``, the tensors it was computed
from (``parents``) and a ``backward`` closure that, given the gradient of the
final scalar with respect to this tensor, adds the gradient with respect to
each parent (the chain rule for one operation)::

    x = Tensor(X)                       # data, no gradient wanted
    W = Tensor(W0, requires_grad=True)  # a weight: gradients accumulate in W.grad
    loss = functional.cross_entropy(relu(x @ W), y)
    loss.backward()                     # one backward pass: W.grad = dloss/dW

:meth:`Tensor.backward` sorts the graph topologically (every tensor after the
tensors it was made from) and calls the closures in reverse order, so each
gradient is complete before it is passed on. One forward pass plus one
backward pass costs a small constant times the forward pass alone, whatever
the number of weights: the reason backpropagation beat perturbing weights one
at a time (chapter 06).

Everything runs on the active backend (``B.xp()``), so the same graph runs on
NumPy or, unchanged, on CuPy. The operations work on whole arrays: a graph for
a mini-batch has a handful of nodes, not one per number, so Python's overhead
stays small next to the matrix products.

This module is the engine and the operations a ``Tensor`` method names:
``@`` (:func:`matmul`), ``+ - * / **`` and negation with NumPy broadcasting
(gradients are summed back to each input's shape), :func:`exp`, :func:`log`,
:func:`sigmoid` (logistic), :func:`tanh`, :func:`relu`, :func:`leaky_relu`,
:func:`softplus`, ``sum``/``mean``/``max`` over axes, ``reshape``,
``transpose``, indexing, :func:`concatenate` and :func:`stack`.
:func:`no_grad` switches graph building off (for evaluation and weight
updates). Losses, softmax, embeddings, convolution and gradient checks are
built on it in :mod:`hinton_utils.core.functional`.
"""

from __future__ import annotations

import contextlib
import importlib
import numbers
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from . import backend as B
from .special import sigmoid as _sigmoid
from .validation import check_array, check_int, check_real

__all__ = [
    "Tensor",
    "concatenate",
    "exp",
    "is_grad_enabled",
    "leaky_relu",
    "log",
    "matmul",
    "no_grad",
    "relu",
    "sigmoid",
    "softplus",
    "stack",
    "tanh",
]

_GRAD_ENABLED = True


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Inside ``with no_grad():`` operations build no graph (results need no gradient).

    Use it to evaluate a model, or to change weights in place, without the
    memory and time a graph costs.
    """
    global _GRAD_ENABLED
    previous = _GRAD_ENABLED
    _GRAD_ENABLED = False
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph (False inside :func:`no_grad`)."""
    return _GRAD_ENABLED


def _is_float_dtype(dtype: Any) -> bool:
    return getattr(dtype, "kind", None) == "f"


class Tensor:
    """An array that remembers how it was computed, so gradients can flow back to it.

    Args:
        data: a floating-point array (or anything :func:`hinton_utils.core.backend.asarray`
            accepts). Integer or boolean data is refused unless ``dtype`` says
            what float type to convert to.
        requires_grad: whether ``backward`` should accumulate a gradient in
            ``self.grad`` (True for weights, False for data).
        dtype: convert ``data`` to this floating dtype first (e.g. ``"float32"``).
        name: an optional label shown by ``repr``.

    Attributes:
        data: the array (NumPy or CuPy, the active backend).
        grad: ``None`` until a backward pass reaches this tensor; then the array
            of d(output)/d(data), same shape as ``data``. Gradients accumulate
            over backward passes until reset (``zero_grad``); treat it as read-only.
        parents: the tensors this one was computed from (empty for leaves).
    """

    __slots__ = ("data", "grad", "requires_grad", "parents", "_backward", "op", "name", "_retain")
    __array_priority__ = 1000  # so ``ndarray + Tensor`` calls Tensor.__radd__

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        *,
        dtype: Any = None,
        name: str | None = None,
    ) -> None:
        if isinstance(data, Tensor):
            data = data.data
        arr = check_array(data, "data", min_size=0)
        if dtype is not None:
            xp = B.xp()
            try:
                target = xp.dtype(dtype)
            except TypeError as err:
                raise TypeError(f"dtype must be a floating dtype; got {dtype!r}") from err
            if not _is_float_dtype(target):
                raise TypeError(f"dtype must be a floating dtype such as 'float32'; got {target}")
            arr = arr.astype(target, copy=False)
        elif not _is_float_dtype(arr.dtype):
            raise TypeError(
                f"Tensor data must be floating point (float32 or float64); got dtype {arr.dtype}. "
                "Pass dtype='float64' (or 'float32') to convert; integer indices and "
                "class labels are passed to operations as plain arrays, not Tensors."
            )
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad must be a bool; got {type(requires_grad).__name__}")
        self.data = arr
        self.grad = None
        self.requires_grad = requires_grad
        self.parents: tuple[Tensor, ...] = ()
        self._backward: Callable[[Any], None] | None = None
        self.op = ""
        self.name = name
        self._retain = False

    # ----------------------------------------------------------------- plumbing
    @staticmethod
    def _make(
        data: Any, parents: Sequence[Tensor], backward: Callable[[Any], None], op: str
    ) -> Tensor:
        """A result tensor; it joins the graph only if a parent needs a gradient."""
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = None
        out.name = None
        out._retain = False
        out.op = op
        if _GRAD_ENABLED:
            needing = tuple(p for p in parents if p.requires_grad)
        else:
            needing = ()
        if needing:
            out.requires_grad = True
            out.parents = needing
            out._backward = backward
        else:
            out.requires_grad = False
            out.parents = ()
            out._backward = None
        return out

    @staticmethod
    def constant(data: Any, op: str = "const") -> Tensor:
        """Wrap a backend float array as a leaf that needs no gradient, without a copy.

        For inputs inside a training loop: no validation scan, no conversion. Use
        ``Tensor(data)`` for anything that has not been checked already.
        """
        return Tensor._make(data, (), None, op)  # type: ignore[arg-type]

    def _accumulate(self, g: Any) -> None:
        # Out of place on purpose: the same gradient array may be handed to two parents.
        if self.grad is None:
            self.grad = g
        else:
            self.grad = self.grad + g

    def retain_grad(self) -> Tensor:
        """Keep this intermediate tensor's gradient after ``backward`` (leaves always keep it)."""
        self._retain = True
        return self

    def backward(self, grad: Any = None) -> None:
        """Backpropagate: fill ``.grad`` of every leaf that needs one.

        Args:
            grad: d(final)/d(self). May be omitted only when ``self``
                holds one number (a loss), in which case it is 1.

        Raises:
            RuntimeError: nothing this tensor depends on needs a gradient.
            ValueError: ``grad`` missing for a non-scalar tensor, or of
                the wrong shape.
        """
        xp = B.xp()
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that needs no gradient: "
                "no input had requires_grad=True, or it was computed "
                "inside no_grad()"
            )
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    "grad must be given for a non-scalar tensor of shape "
                    f"{self.shape}; backward() without grad is for a "
                    "single number such as a loss"
                )
            grad = xp.ones_like(self.data)
        else:
            grad = check_array(grad, "grad", min_size=0)
            grad = grad.astype(self.data.dtype, copy=False)
            if grad.shape != self.data.shape:
                expected = f"grad must have the tensor's shape {self.shape}"
                raise ValueError(f"{expected}; got {tuple(grad.shape)}")
        order = _topological_order(self)
        self._accumulate(grad)
        for node in reversed(order):
            if node._backward is None or node.grad is None:
                continue
            node._backward(node.grad)
            if not node._retain:
                node.grad = None  # intermediate gradients are no longer needed

    # ------------------------------------------------------------- conveniences
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return int(self.data.size)

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def T(self) -> Tensor:  # noqa: N802  (NumPy's name)
        return self.transpose()

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        label = f", name={self.name!r}" if self.name else ""
        grad = ", requires_grad=True" if self.requires_grad else ""
        op = f", op={self.op!r}" if self.op else ""
        return f"Tensor(shape={self.shape}, dtype={self.dtype}{grad}{op}{label})"

    def item(self) -> float:
        """The single number this tensor holds, as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element; shape is {self.shape}")
        return float(self.data.reshape(()))

    def numpy(self) -> Any:
        """The data as a NumPy array (copied to the host from a GPU)."""
        return B.asnumpy(self.data)

    def detach(self) -> Tensor:
        """The same data, cut off from the graph (no gradient flows through it)."""
        return Tensor.constant(self.data, "detach")

    def zero_grad(self) -> None:
        """Forget the accumulated gradient."""
        self.grad = None

    # ---------------------------------------------------------------- operators
    def __add__(self, other: Any) -> Tensor:
        return _add(self, _lift(other, self))

    def __radd__(self, other: Any) -> Tensor:
        return _add(_lift(other, self), self)

    def __sub__(self, other: Any) -> Tensor:
        return _sub(self, _lift(other, self))

    def __rsub__(self, other: Any) -> Tensor:
        return _sub(_lift(other, self), self)

    def __mul__(self, other: Any) -> Tensor:
        return _mul(self, _lift(other, self))

    def __rmul__(self, other: Any) -> Tensor:
        return _mul(_lift(other, self), self)

    def __truediv__(self, other: Any) -> Tensor:
        return _div(self, _lift(other, self))

    def __rtruediv__(self, other: Any) -> Tensor:
        return _div(_lift(other, self), self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, numbers.Real) and not isinstance(exponent, bool):
            return _pow_scalar(self, float(exponent))
        return _pow(self, _lift(exponent, self))

    def __rpow__(self, base: Any) -> Tensor:
        return _pow(_lift(base, self), self)

    def __neg__(self) -> Tensor:
        def backward(g: Any) -> None:
            self._accumulate(-g)

        return Tensor._make(-self.data, (self,), backward, "neg")

    def __matmul__(self, other: Any) -> Tensor:
        return matmul(self, _lift(other, self))

    def __rmatmul__(self, other: Any) -> Tensor:
        return matmul(_lift(other, self), self)

    def __getitem__(self, index: Any) -> Tensor:
        return _getitem(self, index)

    # ------------------------------------------------------------------ methods
    def exp(self) -> Tensor:
        return exp(self)

    def log(self) -> Tensor:
        return log(self)

    def sigmoid(self) -> Tensor:
        return sigmoid(self)

    def tanh(self) -> Tensor:
        return tanh(self)

    def relu(self) -> Tensor:
        return relu(self)

    def softplus(self) -> Tensor:
        return softplus(self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes if None); the gradient is copied back to each summand."""
        return _sum(self, axis, keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes if None)."""
        xp_axis = _normalize_axis(axis, self.ndim)
        count = 1
        for a in xp_axis:
            count *= self.data.shape[a]
        return _sum(self, axis, keepdims) * (1.0 / max(count, 1))

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``; the gradient goes to the maximal entries (split on ties)."""
        return _max(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Tensor:
        """The same numbers in a new shape (``-1`` allowed once)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _reshape(self, shape)

    def transpose(self, *axes: int) -> Tensor:
        """Permute axes (reverse them if none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _transpose(self, axes or None)


# ---------------------------------------------------------------- graph helpers
def _topological_order(root: Tensor) -> list[Tensor]:
    """Every tensor ``root`` depends on, each after all of its parents (iterative DFS)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in node.parents:
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


def _lift(value: Any, like: Tensor) -> Tensor:
    """Wrap a constant (number or array) as a Tensor needing no gradient."""
    if isinstance(value, Tensor):
        return value
    xp = B.xp()
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return Tensor.constant(xp.asarray(value, dtype=like.data.dtype))
    if isinstance(value, xp.ndarray) and value.dtype.kind in "biuf":
        arr = value  # a backend array: no copy, no scan
    else:
        arr = check_array(value, "operand", min_size=0)
    if not _is_float_dtype(arr.dtype):
        arr = arr.astype(like.data.dtype)
    return Tensor.constant(arr)


def _as_tensor(value: Any, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    try:
        return Tensor(value)
    except TypeError as err:
        raise TypeError(f"{name}: {err}") from err
    except ValueError as err:
        raise ValueError(f"{name}: {err}") from err


def _unbroadcast(g: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``g`` back down to ``shape``: the adjoint of NumPy broadcasting."""
    if g.shape == shape:
        return g
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    return g.reshape(shape)


def _normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool):
        axes: tuple[Any, ...] = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"axis must be an int, a tuple of ints or None; got {axis!r}")
    out = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, numbers.Integral):
            raise TypeError(f"axis must be an int, a tuple of ints or None; got {axis!r}")
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"axis must not repeat an axis; got {axis!r}")
    return tuple(out)


def _broadcast_check(a: Tensor, b: Tensor, op: str) -> None:
    sa, sb = a.data.shape, b.data.shape
    if sa == sb:
        return
    if any(x != y and x != 1 and y != 1 for x, y in zip(sa[::-1], sb[::-1], strict=False)):
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} do not broadcast together "
            "(trailing axes must be equal or 1)"
        )


# ----------------------------------------------------------- elementwise binary
def _add(a: Tensor, b: Tensor) -> Tensor:
    _broadcast_check(a, b, "add")

    def backward(g: Any) -> None:
        if a.requires_grad:
            a._accumulate(_unbroadcast(g, a.data.shape))
        if b.requires_grad:
            b._accumulate(_unbroadcast(g, b.data.shape))

    return Tensor._make(a.data + b.data, (a, b), backward, "add")


def _sub(a: Tensor, b: Tensor) -> Tensor:
    _broadcast_check(a, b, "subtract")

    def backward(g: Any) -> None:
        if a.requires_grad:
            a._accumulate(_unbroadcast(g, a.data.shape))
        if b.requires_grad:
            b._accumulate(_unbroadcast(-g, b.data.shape))

    return Tensor._make(a.data - b.data, (a, b), backward, "sub")


def _mul(a: Tensor, b: Tensor) -> Tensor:
    _broadcast_check(a, b, "multiply")

    def backward(g: Any) -> None:
        if a.requires_grad:
            a._accumulate(_unbroadcast(g * b.data, a.data.shape))
        if b.requires_grad:
            b._accumulate(_unbroadcast(g * a.data, b.data.shape))

    return Tensor._make(a.data * b.data, (a, b), backward, "mul")


def _div(a: Tensor, b: Tensor) -> Tensor:
    _broadcast_check(a, b, "divide")
    out = a.data / b.data

    def backward(g: Any) -> None:
        g_over_b = g / b.data
        if a.requires_grad:
            a._accumulate(_unbroadcast(g_over_b, a.data.shape))
        if b.requires_grad:
            b._accumulate(_unbroadcast(-g_over_b * out, b.data.shape))

    return Tensor._make(out, (a, b), backward, "div")


def _pow_scalar(a: Tensor, p: float) -> Tensor:
    def backward(g: Any) -> None:
        if p == 2.0:
            a._accumulate(g * (2.0 * a.data))
        else:
            a._accumulate(g * (p * a.data ** (p - 1.0)))

    return Tensor._make(a.data**p, (a,), backward, "pow")


def _pow(a: Tensor, b: Tensor) -> Tensor:
    """``a ** b`` elementwise with both differentiable (``a`` must be positive for d/db)."""
    _broadcast_check(a, b, "power")
    xp = B.xp()
    out = a.data**b.data

    def backward(g: Any) -> None:
        if a.requires_grad:
            a._accumulate(_unbroadcast(g * b.data * a.data ** (b.data - 1.0), a.data.shape))
        if b.requires_grad:
            b._accumulate(_unbroadcast(g * out * xp.log(a.data), b.data.shape))

    return Tensor._make(out, (a, b), backward, "pow")


# ------------------------------------------------------------ elementwise unary
def exp(x: Tensor) -> Tensor:
    """``e**x`` elementwise."""
    x = _as_tensor(x, "x")
    out = B.xp().exp(x.data)

    def backward(g: Any) -> None:
        x._accumulate(g * out)

    return Tensor._make(out, (x,), backward, "exp")


def log(x: Tensor) -> Tensor:
    """Natural logarithm elementwise (``x`` must be positive)."""
    x = _as_tensor(x, "x")

    def backward(g: Any) -> None:
        x._accumulate(g / x.data)

    return Tensor._make(B.xp().log(x.data), (x,), backward, "log")


def sigmoid(x: Tensor) -> Tensor:
    """The logistic function ``1 / (1 + e**-x)``, computed without overflow."""
    x = _as_tensor(x, "x")
    out = _sigmoid(x.data)

    def backward(g: Any) -> None:
        x._accumulate(g * out * (1.0 - out))

    return Tensor._make(out, (x,), backward, "sigmoid")


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent elementwise."""
    x = _as_tensor(x, "x")
    out = B.xp().tanh(x.data)

    def backward(g: Any) -> None:
        x._accumulate(g * (1.0 - out * out))

    return Tensor._make(out, (x,), backward, "tanh")


def relu(x: Tensor) -> Tensor:
    """``max(x, 0)`` elementwise (gradient 0 at and below 0)."""
    x = _as_tensor(x, "x")
    mask = x.data > 0
    out = x.data * mask

    def backward(g: Any) -> None:
        x._accumulate(g * mask)

    return Tensor._make(out, (x,), backward, "relu")


def leaky_relu(x: Tensor, slope: float = 0.01) -> Tensor:
    """``x`` where positive, ``slope * x`` elsewhere."""
    x = _as_tensor(x, "x")
    slope = check_real(slope, "slope", low=0.0)
    xp = B.xp()
    factor = xp.where(x.data > 0, 1.0, slope).astype(x.data.dtype, copy=False)

    def backward(g: Any) -> None:
        x._accumulate(g * factor)

    return Tensor._make(x.data * factor, (x,), backward, "leaky_relu")


def softplus(x: Tensor) -> Tensor:
    """``log(1 + e**x)``, computed stably as ``max(x, 0) + log1p(e**-|x|)``."""
    x = _as_tensor(x, "x")
    xp = B.xp()
    out = xp.maximum(x.data, 0) + xp.log1p(xp.exp(-xp.abs(x.data)))

    def backward(g: Any) -> None:
        x._accumulate(g * _sigmoid(x.data))

    return Tensor._make(out, (x,), backward, "softplus")


# ------------------------------------------------------------------- reductions
def _sum(x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    xp = B.xp()
    axes = _normalize_axis(axis, x.ndim)
    out = x.data.sum(axis=axes, keepdims=keepdims)

    def backward(g: Any) -> None:
        if not keepdims:
            g = xp.expand_dims(g, axes) if axes else g
        x._accumulate(xp.broadcast_to(g, x.data.shape))

    return Tensor._make(out, (x,), backward, "sum")


def _max(x: Tensor, axis: Any, keepdims: bool) -> Tensor:
    xp = B.xp()
    if x.data.size == 0:
        raise ValueError("max of an empty tensor is undefined")
    axes = _normalize_axis(axis, x.ndim)
    kept = x.data.max(axis=axes, keepdims=True)
    out = kept if keepdims else kept.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(g: Any) -> None:
        mask = x.data == kept
        share = mask / mask.sum(axis=axes, keepdims=True)  # ties split the gradient
        if not keepdims:
            g = xp.expand_dims(g, axes) if axes else g
        x._accumulate((g * share).astype(x.data.dtype, copy=False))

    return Tensor._make(out, (x,), backward, "max")


# ---------------------------------------------------------------- shape changes
def _reshape(x: Tensor, shape: tuple[Any, ...]) -> Tensor:
    try:
        out = x.data.reshape(shape)
    except (ValueError, TypeError) as err:
        raise ValueError(
            f"cannot reshape a tensor of shape {x.shape} into {shape}: {err}"
        ) from None

    def backward(g: Any) -> None:
        x._accumulate(g.reshape(x.data.shape))

    return Tensor._make(out, (x,), backward, "reshape")


def _transpose(x: Tensor, axes: tuple[int, ...] | None) -> Tensor:
    if axes is not None:
        if sorted(int(a) % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
            raise ValueError(f"axes must be a permutation of {tuple(range(x.ndim))}; got {axes}")
        perm = [int(a) % x.ndim for a in axes]
        inverse = tuple(sorted(range(x.ndim), key=perm.__getitem__))
    else:
        inverse = None

    def backward(g: Any) -> None:
        x._accumulate(g.transpose(inverse))

    return Tensor._make(x.data.transpose(axes), (x,), backward, "transpose")


def _scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` with repeated indices adding up (NumPy and CuPy)."""
    xp = B.xp()
    add_at = getattr(xp.add, "at", None)
    if add_at is not None:
        add_at(target, index, values)
    else:  # older CuPy
        importlib.import_module("cupyx").scatter_add(target, index, values)


def _has_array_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return any(
        not isinstance(p, (slice, numbers.Integral, type(None), type(Ellipsis))) for p in parts
    )


def _getitem(x: Tensor, index: Any) -> Tensor:
    xp = B.xp()
    if isinstance(index, Tensor):
        raise TypeError("index a Tensor with an integer array or slices, not with a Tensor")
    if isinstance(index, list):
        index = xp.asarray(index)
    out = x.data[index]
    advanced = _has_array_index(index)

    def backward(g: Any) -> None:
        full = xp.zeros_like(x.data)
        if advanced:
            _scatter_add(full, index, g)  # repeated rows add up
        else:
            full[index] = g
        x._accumulate(full)

    return Tensor._make(out, (x,), backward, "getitem")


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing ``axis``; the gradient is split back into pieces."""
    xp = B.xp()
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError("tensors must be a non-empty list or tuple of Tensors")
    parts = [_as_tensor(t, "tensors") for t in tensors]
    axis = check_int(axis, "axis")
    ndim = parts[0].ndim
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for {ndim}-D tensors")
    axis %= ndim
    for t in parts:
        other = [n for i, n in enumerate(t.shape) if i != axis]
        first = [n for i, n in enumerate(parts[0].shape) if i != axis]
        if t.ndim != ndim or other != first:
            raise ValueError(
                f"tensors must match in every axis except {axis}; got shapes "
                f"{[p.shape for p in parts]}"
            )
    sizes = [t.shape[axis] for t in parts]
    bounds = [sum(sizes[:i]) for i in range(len(sizes) + 1)]

    def backward(g: Any) -> None:
        for t, lo, hi in zip(parts, bounds[:-1], bounds[1:], strict=True):
            if t.requires_grad:
                sl = [slice(None)] * ndim
                sl[axis] = slice(lo, hi)
                t._accumulate(g[tuple(sl)])

    return Tensor._make(xp.concatenate([t.data for t in parts], axis=axis), parts, backward, "cat")


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Stack equal-shaped tensors along a new ``axis``."""
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)) or not tensors:
        raise ValueError("tensors must be a non-empty list or tuple of Tensors")
    parts = [_as_tensor(t, "tensors") for t in tensors]
    if len({t.shape for t in parts}) != 1:
        raise ValueError(f"tensors must all have the same shape; got {[t.shape for t in parts]}")
    axis = check_int(axis, "axis")
    ndim = parts[0].ndim + 1
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis {axis} is out of range for stacking {ndim - 1}-D tensors")
    axis %= ndim
    shape = list(parts[0].shape)
    shape.insert(axis, 1)
    return concatenate([t.reshape(tuple(shape)) for t in parts], axis=axis)


# ------------------------------------------------------------- linear algebra
def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product ``a @ b`` of 2-D (or batched, N-D) tensors.

    Raises:
        ValueError: either operand has fewer than 2 dimensions, or the inner
            dimensions differ (the message gives both shapes).
    """
    a = _as_tensor(a, "a")
    b = _as_tensor(b, "b")
    if a.ndim < 2 or b.ndim < 2:
        raise ValueError(
            f"matmul needs tensors with at least 2 dimensions; got shapes {a.shape} and {b.shape} "
            "(reshape a vector to (1, n) or (n, 1))"
        )
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"matmul shape mismatch: a has shape {a.shape} and b has shape {b.shape}; "
            f"a's last axis ({a.shape[-1]}) must equal b's second-to-last ({b.shape[-2]})"
        )
    try:
        out = a.data @ b.data
    except ValueError as err:
        raise ValueError(f"matmul: batch axes of {a.shape} and {b.shape} do not broadcast") from err

    def backward(g: Any) -> None:
        if a.requires_grad:
            a._accumulate(_unbroadcast(g @ b.data.swapaxes(-1, -2), a.data.shape))
        if b.requires_grad:
            b._accumulate(_unbroadcast(a.data.swapaxes(-1, -2) @ g, b.data.shape))

    return Tensor._make(out, (a, b), backward, "matmul")
