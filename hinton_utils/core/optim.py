"""Gradient-descent optimisers: SGD, momentum, RMSprop and Adam, with weight decay.

Each optimiser holds a list of parameter Tensors. After ``loss.backward()`` has
filled their ``.grad``, :meth:`Optimizer.step` changes ``.data`` in place, and
:meth:`Optimizer.zero_grad` clears the gradients for the next mini-batch::

    opt = RMSprop(model.parameters(), learning_rate=1e-3)
    for batch in batches:
        opt.zero_grad()
        loss(batch).backward()
        opt.step()

Weight decay (L2 regularisation) adds ``weight_decay * w`` to every gradient
before the update, i.e. it minimises ``loss + weight_decay/2 * |w|²``. Adam can
instead decay the weights directly (``decoupled_weight_decay=True``, AdamW).

Each update rule is written once, as a function on plain arrays
(:func:`momentum_step`, :func:`rmsprop_step`, :func:`adam_step`), so models that
compute their own gradients without the autodiff engine (an RBM's contrastive
divergence, a mixture's EM) use the same formula as the optimiser classes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from . import backend as B
from .autodiff import Tensor, no_grad
from .validation import check_real

__all__ = ["SGD", "Adam", "Optimizer", "RMSprop", "adam_step", "momentum_step", "rmsprop_step"]


def momentum_step(w: Any, g: Any, velocity: Any, learning_rate: float, momentum: float) -> None:
    """One step of gradient descent with momentum, in place on ``w`` and ``velocity``.

    ``v ← μ·v − lr·g`` and ``w ← w + v`` (Rumelhart, Hinton & Williams 1986):
    a steady gradient moves ``w`` ``1/(1−μ)`` times faster, while oscillations
    across a ravine cancel. With ``momentum = 0`` this is plain ``w ← w − lr·g``.
    """
    velocity *= momentum
    velocity -= learning_rate * g
    w += velocity


def rmsprop_step(
    w: Any, g: Any, mean_square: Any, learning_rate: float, decay: float, eps: float
) -> None:
    """One RMSprop step, in place on ``w`` and ``mean_square``.

    ``ms ← decay·ms + (1 − decay)·g²`` and ``w ← w − lr · g / (√ms + eps)``.
    """
    xp = B.xp()
    mean_square *= decay
    tmp = g * g
    tmp *= 1.0 - decay
    mean_square += tmp
    denom = xp.sqrt(mean_square, out=tmp)
    denom += eps
    xp.divide(g, denom, out=denom)
    denom *= learning_rate
    w -= denom


def adam_step(
    w: Any,
    g: Any,
    m: Any,
    v: Any,
    t: int,
    learning_rate: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
) -> None:
    """Adam's step number ``t`` (from 1), in place on ``w``, ``m`` and ``v``.

    ``m ← β1·m + (1 − β1)·g``, ``v ← β2·v + (1 − β2)·g²``, and
    ``w ← w − lr · m̂ / (√v̂ + eps)`` with the bias corrections
    ``m̂ = m / (1 − β1^t)`` and ``v̂ = v / (1 − β2^t)``.
    """
    xp = B.xp()
    beta1, beta2 = betas
    # In place, with one scratch array: the update is memory-bound on small layers.
    m *= beta1
    tmp = g * (1.0 - beta1)
    m += tmp
    v *= beta2
    xp.multiply(g, g, out=tmp)
    tmp *= 1.0 - beta2
    v += tmp
    # √v̂ + eps = √v / √(1 − β2^t) + eps; the step is lr / (1 − β1^t) times m over that.
    denom = xp.sqrt(v, out=tmp)
    denom *= 1.0 / (1.0 - beta2**t) ** 0.5
    denom += eps
    xp.divide(m, denom, out=denom)
    denom *= learning_rate / (1.0 - beta1**t)
    w -= denom


class Optimizer:
    """Base class: validates the parameters, applies weight decay, loops over parameters.

    Args:
        params: Tensors with ``requires_grad=True`` (e.g. ``model.parameters()``).
        learning_rate: the learning rate (step size), > 0. May be changed between steps.
        weight_decay: L2 coefficient, >= 0.
    """

    def __init__(
        self, params: Iterable[Tensor], learning_rate: float, weight_decay: float = 0.0
    ) -> None:
        if isinstance(params, Tensor):
            raise TypeError("params must be an iterable of Tensors (a list), not one Tensor")
        try:
            plist = list(params)
        except TypeError as err:
            raise TypeError(f"params must be an iterable of Tensors; got {params!r}") from err
        if not plist:
            raise ValueError("params must contain at least one Tensor; got an empty list")
        unique: list[Tensor] = []
        seen: set[int] = set()
        for i, p in enumerate(plist):
            if not isinstance(p, Tensor):
                raise TypeError(f"params[{i}] must be a Tensor; got {type(p).__name__}")
            if not p.requires_grad:
                raise ValueError(f"params[{i}] must have requires_grad=True (it is never updated)")
            if id(p) not in seen:
                seen.add(id(p))
                unique.append(p)
        self.params = unique
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.state: list[dict[str, Any]] = [{} for _ in unique]
        self.n_steps = 0

    def zero_grad(self) -> None:
        """Clear every parameter's gradient (call before each backward pass)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        self.learning_rate = check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        self.n_steps += 1
        with no_grad():
            for p, state in zip(self.params, self.state, strict=True):
                if p.grad is None:
                    continue
                g = p.grad
                if g.dtype != p.data.dtype:
                    g = g.astype(p.data.dtype)
                if self.weight_decay and not self._decoupled():
                    g = g + self.weight_decay * p.data
                self._update(p, g, state)

    def _decoupled(self) -> bool:
        return False

    def _update(self, p: Tensor, g: Any, state: dict[str, Any]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, optionally with momentum.

    Without momentum: ``w ← w − lr·g``. With momentum ``μ`` (the form Rumelhart,
    Hinton & Williams used in 1986): a velocity ``v ← μ·v − lr·g`` and ``w ← w + v``,
    so a steady gradient moves ``w`` ``1/(1−μ)`` times faster while oscillations
    across a ravine cancel.

    Args:
        params: the Tensors to train.
        learning_rate: learning rate, > 0.
        momentum: ``μ`` in [0, 1); 0 is plain SGD.
        weight_decay: L2 coefficient, >= 0.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, learning_rate, weight_decay)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)

    def _update(self, p: Tensor, g: Any, state: dict[str, Any]) -> None:
        if self.momentum == 0.0:
            p.data -= self.learning_rate * g
            return
        if "velocity" not in state:
            state["velocity"] = B.xp().zeros_like(p.data)
        momentum_step(p.data, g, state["velocity"], self.learning_rate, self.momentum)


class RMSprop(Optimizer):
    """RMSprop: divide each gradient by a running root-mean-square of its recent values.

    Introduced by Geoffrey Hinton in lecture 6e of his 2012 Coursera course
    "Neural Networks for Machine Learning" (never published as a paper): keep
    ``MeanSquare ← 0.9·MeanSquare + 0.1·g²`` for each weight and step by
    ``lr · g / √MeanSquare``. Each weight's step size then adapts to the scale of
    its own gradients, which rprop did for full batches and RMSprop makes work
    with mini-batches.

    Update (``MeanSquare`` starts at 0)::

        ms ← decay·ms + (1 − decay)·g²
        w  ← w − lr · g / (√ms + eps)

    Args:
        params: the Tensors to train.
        learning_rate: learning rate, > 0 (typical: 1e-3).
        decay: the running average's forgetting factor in [0, 1) (Hinton: 0.9).
        eps: added to the root-mean-square to avoid division by zero, > 0.
        weight_decay: L2 coefficient, >= 0.
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 1e-3,
        decay: float = 0.9,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, learning_rate, weight_decay)
        self.decay = check_real(decay, "decay", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)

    def _update(self, p: Tensor, g: Any, state: dict[str, Any]) -> None:
        if "mean_square" not in state:
            state["mean_square"] = B.xp().zeros_like(p.data)
        rmsprop_step(p.data, g, state["mean_square"], self.learning_rate, self.decay, self.eps)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): momentum on the gradient plus RMSprop's scaling, bias-corrected.

    Update at step ``t`` (``m`` and ``v`` start at 0)::

        m ← β1·m + (1 − β1)·g
        v ← β2·v + (1 − β2)·g²
        w ← w − lr · m̂ / (√v̂ + eps),   m̂ = m / (1 − β1^t),  v̂ = v / (1 − β2^t)

    Args:
        params: the Tensors to train.
        learning_rate: learning rate, > 0 (typical: 1e-3).
        betas: ``(β1, β2)``, each in [0, 1).
        eps: > 0.
        weight_decay: L2 coefficient, >= 0.
        decoupled_weight_decay: if True, shrink the weights by ``lr·weight_decay·w``
            directly instead of adding to the gradient (AdamW, Loshchilov & Hutter 2019).
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        learning_rate: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        super().__init__(params, learning_rate, weight_decay)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2); got {betas!r}")
        self.beta1 = check_real(betas[0], "betas[0]", low=0.0, high=1.0, high_open=True)
        self.beta2 = check_real(betas[1], "betas[1]", low=0.0, high=1.0, high_open=True)
        self.eps = check_real(eps, "eps", low=0.0, low_open=True)
        if not isinstance(decoupled_weight_decay, bool):
            raise TypeError("decoupled_weight_decay must be a bool")
        self.decoupled_weight_decay = decoupled_weight_decay

    def _decoupled(self) -> bool:
        return self.decoupled_weight_decay

    def _update(self, p: Tensor, g: Any, state: dict[str, Any]) -> None:
        if "m" not in state:
            state["m"] = B.xp().zeros_like(p.data)
            state["v"] = B.xp().zeros_like(p.data)
            state["t"] = 0
        state["t"] += 1
        if self.decoupled_weight_decay and self.weight_decay:
            p.data -= (self.learning_rate * self.weight_decay) * p.data
        adam_step(
            p.data,
            g,
            state["m"],
            state["v"],
            state["t"],
            self.learning_rate,
            (self.beta1, self.beta2),
            self.eps,
        )
