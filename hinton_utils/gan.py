"""Chapter 15: generative adversarial nets on a ring of Gaussians, and the game's exact optimum.

A GAN (Goodfellow et al. 2014) trains a generator G, which turns noise into
samples, against a discriminator D, which scores how likely a point is to be real.
For a fixed G the best D is p_data / (p_data + p_g), and at that D the game's
value is −log 4 + 2·JSD(p_data ‖ p_g), smallest (−log 4) when p_g = p_data.
:func:`optimal_discriminator`, :func:`gan_value` and :func:`jensen_shannon`
check this exactly on discrete distributions.

:func:`train_gan` trains two small MLPs on :func:`ring_data` (8 Gaussians on a
circle) with the non-saturating generator loss, measuring after every
``eval_every`` steps how many samples land near a mode and how many modes are
covered (:func:`mode_stats`). With ``minibatch_std=True`` the discriminator
also sees the batch's spread, a cheap remedy for mode collapse (Karras et al.
2018's minibatch standard deviation, a simplified minibatch discrimination).

Two players do not fit :func:`hinton_utils.core.nn.train`'s one loss and one
optimiser, so the loop here alternates the two Adam steps itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .core import autodiff as ad
from .core import backend as B
from .core.autodiff import Tensor, no_grad
from .core.nn import MLP, Module
from .core.optim import Adam
from .core.validation import check_array, check_int, check_real

__all__ = [
    "GANHistory",
    "Generator",
    "Discriminator",
    "gan_value",
    "jensen_shannon",
    "mode_stats",
    "nearest_neighbours",
    "optimal_discriminator",
    "ring_data",
    "ring_modes",
    "train_gan",
]


# ------------------------------------------------------- the exact 1-D game
def _check_pmf(p: Any, name: str) -> Any:
    p = check_array(p, name, ndim=1, values="nonnegative")
    if abs(float(p.sum()) - 1.0) > 1e-9:
        raise ValueError(f"{name} must sum to 1; sums to {float(p.sum())}")
    return p


def optimal_discriminator(p_data: Any, p_g: Any) -> Any:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) on a discrete space (0.5 where both are 0)."""
    p = _check_pmf(p_data, "p_data")
    q = _check_pmf(p_g, "p_g")
    if p.shape != q.shape:
        raise ValueError(f"p_g must have p_data's shape {p.shape}; got {q.shape}")
    xp = B.xp()
    s = p + q
    return xp.where(s > 0, p / xp.where(s > 0, s, 1.0), 0.5)


def gan_value(D: Any, p_data: Any, p_g: Any) -> float:
    """V(D, G) = E_data[log D(x)] + E_g[log(1 − D(x))], exactly, on a discrete space."""
    p = _check_pmf(p_data, "p_data")
    q = _check_pmf(p_g, "p_g")
    D = check_array(D, "D", ndim=1)
    if not (p.shape == q.shape == D.shape):
        raise ValueError("D, p_data and p_g must have the same shape")
    if float(D.min()) < 0.0 or float(D.max()) > 1.0:
        raise ValueError("D must lie in [0, 1]")
    xp = B.xp()
    with B.ignore_overflow():
        a = xp.where(p > 0, p * xp.log(xp.where(p > 0, D, 1.0)), 0.0)
        b = xp.where(q > 0, q * xp.log(xp.where(q > 0, 1.0 - D, 1.0)), 0.0)
    return float(a.sum() + b.sum())


def jensen_shannon(p: Any, q: Any) -> float:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, in nats."""
    p = _check_pmf(p, "p")
    q = _check_pmf(q, "q")
    if p.shape != q.shape:
        raise ValueError(f"q must have p's shape {p.shape}; got {q.shape}")
    xp = B.xp()
    m = 0.5 * (p + q)

    def kl(a: Any) -> float:
        pos = a > 0
        return float((a[pos] * xp.log(a[pos] / m[pos])).sum())

    return 0.5 * kl(p) + 0.5 * kl(q)


# ----------------------------------------------------------- the ring of 8
def ring_modes(n_modes: int = 8, radius: float = 2.0) -> Any:
    """The centres of ``n_modes`` Gaussians equally spaced on a circle, (n_modes, 2)."""
    n_modes = check_int(n_modes, "n_modes", low=1)
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    xp = B.xp()
    a = 2.0 * math.pi * xp.arange(n_modes) / n_modes
    return radius * xp.stack([xp.cos(a), xp.sin(a)], axis=1)


def ring_data(n: int, rng: Any, *, n_modes: int = 8, radius: float = 2.0, sd: float = 0.05) -> Any:
    """n points from an equal mixture of Gaussians (std ``sd``) on a ring, (n, 2)."""
    n = check_int(n, "n", low=1)
    sd = check_real(sd, "sd", low=0.0)
    gen = B.as_generator(rng, "rng")
    modes = ring_modes(n_modes, radius)
    k = gen.integers(0, modes.shape[0], size=n)
    return modes[k] + sd * gen.standard_normal((n, 2))


def mode_stats(
    samples: Any, modes: Any, *, within: float = 0.2, min_share: float = 0.02
) -> tuple[float, int]:
    """(share of samples within ``within`` of their nearest mode, modes covered).

    A mode is covered when at least ``min_share`` of all samples lie within
    ``within`` of it.
    """
    S = check_array(samples, "samples", ndim=2)
    M = check_array(modes, "modes", ndim=2)
    if S.shape[1] != M.shape[1]:
        raise ValueError(f"samples must have {M.shape[1]} columns; got {S.shape[1]}")
    within = check_real(within, "within", low=0.0, low_open=True)
    min_share = check_real(min_share, "min_share", low=0.0, high=1.0)
    xp = B.xp()
    d2 = ((S[:, None, :] - M[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    close = xp.sqrt(d2.min(axis=1)) < within
    counts = xp.bincount(nearest[close], minlength=M.shape[0])
    return float(close.mean()), int((counts >= min_share * S.shape[0]).sum())


class Generator(Module):
    """G: noise (n, n_noise) → points (n, n_out), an MLP with leaky-ReLU hidden units.

    ``output_activation`` is ``"identity"`` for points in the plane, or e.g.
    ``"sigmoid"`` for pixel intensities in [0, 1].
    """

    def __init__(
        self,
        n_noise: int,
        n_hidden: int,
        n_out: int,
        *,
        rng: Any,
        output_activation: str = "identity",
    ) -> None:
        self.n_noise = check_int(n_noise, "n_noise", low=1)
        self.net = MLP(
            [n_noise, n_hidden, n_hidden, n_out],
            rng=rng,
            activation="leaky_relu",
            output_activation=output_activation,
        )

    def forward(self, z: Any) -> Tensor:
        return self.net(z)


class Discriminator(Module):
    """D: points (n, n_in) → logits (n, 1). With ``minibatch_std`` it also sees the batch's spread.

    The extra input is the mean over coordinates of the batch's standard deviation,
    the same for every row: a batch of near-identical fakes is then easy to spot.
    """

    def __init__(self, n_in: int, n_hidden: int, *, rng: Any, minibatch_std: bool = False) -> None:
        if not isinstance(minibatch_std, bool):
            raise TypeError(f"minibatch_std must be a bool; got {type(minibatch_std).__name__}")
        self.minibatch_std = minibatch_std
        extra = 1 if minibatch_std else 0
        self.net = MLP([n_in + extra, n_hidden, n_hidden, 1], rng=rng, activation="leaky_relu")

    def forward(self, x: Tensor) -> Tensor:
        if self.minibatch_std:
            centred = x - x.mean(axis=0, keepdims=True)
            spread = ((centred * centred).mean(axis=0) + 1e-8) ** 0.5
            column = spread.mean() * B.xp().ones((x.shape[0], 1), dtype=x.dtype)
            x = ad.concatenate([x, column], axis=1)
        return self.net(x)


@dataclass
class GANHistory:
    """What :func:`train_gan` records every ``eval_every`` steps."""

    steps: list[int] = field(default_factory=list)
    on_mode: list[float] = field(default_factory=list)
    modes_covered: list[int] = field(default_factory=list)
    samples: list[Any] = field(default_factory=list)


def train_gan(
    n_steps: int,
    rng: Any,
    *,
    n_hidden: int = 64,
    n_noise: int = 2,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    minibatch_std: bool = False,
    loss: str = "non-saturating",
    eval_every: int = 250,
    n_eval: int = 1000,
    data: Any = None,
    output_activation: str = "identity",
) -> tuple[Generator, Discriminator, GANHistory]:
    """Train a GAN on the ring of 8 Gaussians (or on rows of ``data``).

    Each step: one Adam step (β1 = 0.5) on the discriminator's cross-entropy on a real
    and a fake batch, then one on the generator's loss: ``"non-saturating"``
    (−log D(G(z)), Goodfellow et al.'s practical choice) or ``"saturating"``
    (log(1 − D(G(z))), the minimax game itself).

    Args:
        n_steps: training steps, >= 1.
        rng: int seed or Generator (weights, noise, data).
        n_hidden: hidden width of both MLPs (two hidden layers each).
        n_noise: dimension of the generator's Gaussian noise.
        batch_size: real and fake rows per step.
        learning_rate: Adam's, for both players.
        minibatch_std: give the discriminator the batch-spread input.
        loss: the generator's loss, ``"non-saturating"`` or ``"saturating"``.
        eval_every: steps between measurements (samples stored for plots).
        n_eval: samples per measurement.
        data: optional (n, n_features) training set; default: fresh ring samples.
        output_activation: the generator's last nonlinearity (``"sigmoid"`` for
            images in [0, 1]).

    Returns:
        ``(generator, discriminator, history)``.
    """
    n_steps = check_int(n_steps, "n_steps", low=1)
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    n_noise = check_int(n_noise, "n_noise", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    eval_every = check_int(eval_every, "eval_every", low=1)
    n_eval = check_int(n_eval, "n_eval", low=1)
    if loss not in ("non-saturating", "saturating"):
        raise ValueError(f"loss must be 'non-saturating' or 'saturating'; got {loss!r}")
    if data is not None:
        data = check_array(data, "data", ndim=2)
    gen = B.as_generator(rng, "rng")
    n_out = 2 if data is None else data.shape[1]
    G = Generator(n_noise, n_hidden, n_out, rng=gen, output_activation=output_activation)
    D = Discriminator(n_out, n_hidden, rng=gen, minibatch_std=minibatch_std)
    opt_g = Adam(G.parameters(), learning_rate=learning_rate, betas=(0.5, 0.999))
    opt_d = Adam(D.parameters(), learning_rate=learning_rate, betas=(0.5, 0.999))
    modes = ring_modes()
    eval_noise = gen.standard_normal((n_eval, n_noise)).astype("float32")
    history = GANHistory()
    with B.one_blas_thread():
        for step in range(1, n_steps + 1):
            if data is None:
                real = ring_data(batch_size, gen).astype("float32")
            else:
                real = data[gen.integers(0, data.shape[0], size=batch_size)].astype("float32")
            z = gen.standard_normal((batch_size, n_noise)).astype("float32")
            with no_grad():
                fake = G(Tensor.constant(z)).data
            opt_d.zero_grad()
            d_loss = (
                ad.softplus(-D(Tensor.constant(real))).mean()
                + ad.softplus(D(Tensor.constant(fake))).mean()
            )
            d_loss.backward()
            opt_d.step()
            z = gen.standard_normal((batch_size, n_noise)).astype("float32")
            opt_g.zero_grad()
            logits = D(G(Tensor.constant(z)))
            g_loss = (
                ad.softplus(-logits).mean()
                if loss == "non-saturating"
                else -ad.softplus(logits).mean()
            )
            g_loss.backward()
            opt_g.step()
            if step % eval_every == 0 or step == n_steps:
                with no_grad():
                    s = G(Tensor.constant(eval_noise)).data.astype(float)
                history.steps.append(step)
                history.samples.append(s)
                if data is None:
                    share, covered = mode_stats(s, modes)
                    history.on_mode.append(share)
                    history.modes_covered.append(covered)
    return G, D, history


def nearest_neighbours(samples: Any, reference: Any) -> tuple[Any, Any]:
    """For each row of ``samples``, the index of and Euclidean distance to the nearest row
    of ``reference``: a cheap check that generated images are neither copies of the
    training set (distance 0) nor far from every real image.
    """
    S = check_array(samples, "samples", ndim=2)
    R = check_array(reference, "reference", ndim=2)
    if S.shape[1] != R.shape[1]:
        raise ValueError(f"samples must have {R.shape[1]} columns; got {S.shape[1]}")
    xp = B.xp()
    d2 = (S * S).sum(axis=1)[:, None] - 2.0 * S @ R.T + (R * R).sum(axis=1)[None, :]
    idx = d2.argmin(axis=1)
    return idx, xp.sqrt(xp.maximum(d2[xp.arange(S.shape[0]), idx], 0.0))
