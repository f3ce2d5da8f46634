"""The few special functions the probabilistic chapters share, written once.

Boltzmann machines, Helmholtz machines, RBMs and deep belief nets all turn a
unit's total input into a probability with the logistic function, sum out
binary units with softplus and log-sum-exp, and turn probabilities into binary
states by comparing them with uniform random numbers. These are those building
blocks, against the backend, exact at the extremes (no overflow warnings, no
NaN at large inputs). They are internal: public functions check their input
before calling them, and hot loops call them on buffers they own.
"""

from __future__ import annotations

from typing import Any

from . import backend as B

_TWO_32 = 4294967296.0


def sigmoid(x: Any) -> Any:
    """The logistic function ``1 / (1 + exp(-x))``, as ``(1 + tanh(x / 2)) / 2``.

    The tanh form never overflows, for any finite or infinite ``x``; its error
    is about 1e-16 in absolute terms (use :func:`softplus` for log-probabilities,
    where relative precision in the tails matters).
    """
    xp = B.xp()
    return 0.5 * (1.0 + xp.tanh(0.5 * x))


def sigmoid_(x: Any, bias: Any = None) -> Any:
    """``sigmoid(x + bias)`` computed in place in ``x``, with no large temporaries.

    Four cheap passes (negate and add the bias, exp, add one, reciprocal) beat
    the tanh form by about a third in float32 on a CPU; where ``exp`` overflows
    the answer is exactly 0, so that warning is silenced. ``bias`` broadcasts
    along the last axis.
    """
    xp = B.xp()
    with B.ignore_overflow():
        if bias is None:
            xp.negative(x, out=x)
        else:
            xp.subtract(-bias, x, out=x)
        xp.exp(x, out=x)
        x += 1.0
        xp.reciprocal(x, out=x)
    return x


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, stable for large ``|x|``."""
    return B.xp().logaddexp(0.0, x)


def logsumexp(a: Any, axis: int | None = None) -> Any:
    """``log(sum(exp(a)))`` along ``axis`` (all of ``a`` when None), without overflow."""
    xp = B.xp()
    m = a.max(axis=axis, keepdims=True)
    out = m + xp.log(xp.exp(a - m).sum(axis=axis, keepdims=True))
    return out.reshape(()) if axis is None else out.squeeze(axis)


def bernoulli(P: Any, rng: Any, dtype: Any = None) -> Any:
    """Binary states, 1 with probability ``P`` (elementwise), in ``P``'s dtype.

    The uniforms are drawn in ``dtype`` (``P``'s by default). Helmholtz machines
    and DBN sampling pass "float64": their float32 and float64 models then draw
    the same states from the same generator, as their chapters were run.
    """
    return (rng.random(P.shape, dtype=dtype or P.dtype) < P).astype(P.dtype)


def bernoulli_(P: Any, U: Any, rng: Any) -> Any:
    """Overwrite ``U`` (not ``P``) with Bernoulli(P) samples, allocating almost nothing.

    The float32 speed path on NumPy compares raw 32-bit random integers with ``P``
    scaled to 2**32: drawing float uniforms costs about twice as much, and
    sampling is most of an RBM epoch that is not matrix products. Float64 (the
    exact experiments) and CuPy draw float uniforms in U's dtype and compare once.
    """
    xp = B.xp()
    bit_generator = getattr(rng, "bit_generator", None)
    if U.dtype == xp.float32 and B.name() == "numpy" and hasattr(bit_generator, "random_raw"):
        n = U.size
        raw = bit_generator.random_raw((n + 1) // 2).view(xp.uint32)[:n].reshape(U.shape)
        xp.multiply(P, _TWO_32, out=U)
        xp.less(raw, U, out=U)
        return U
    rng.random(out=U, dtype=U.dtype)
    xp.less(U, P, out=U)
    return U


def log_bernoulli(S: Any, A: Any) -> Any:
    """``log p(S)`` for independent Bernoulli units with logits ``A``, summed over the last axis.

    ``log p(s) = Σᵢ sᵢ aᵢ − softplus(aᵢ)``: the log-probability a logistic layer
    with total inputs ``A`` assigns to the binary states ``S`` (they broadcast).
    """
    return (S * A - softplus(A)).sum(axis=-1)


def cosine_similarity(a: Any, b: Any) -> float:
    """Cosine of the angle between two flat vectors; 0.0 when either is all zeros.

    A zero vector has no direction, so it is aligned with nothing: returning 0
    lets a training curve of update alignments start at a zero update without
    a special case. Shapes must match.
    """
    xp = B.xp()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    na, nb = float(xp.linalg.norm(a)), float(xp.linalg.norm(b))
    if na == 0.0 or nb == 0.0:
        return 0.0
    return float(a.ravel() @ b.ravel()) / (na * nb)


def log_softmax(z: Any, axis: int = -1) -> Any:
    """``z - log Σ exp(z)`` along ``axis``, shifted by the maximum so nothing overflows."""
    xp = B.xp()
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


def gaussian_kl(mu: Any, var: Any, prior_var: float = 1.0) -> Any:
    """``KL(N(mu, diag var) ‖ N(0, prior_var I))`` in nats, summed over the last axis.

    ``½ Σ (var/s² + mu²/s² − 1 − log(var/s²))``: the cost of a Gaussian code
    against a Gaussian prior, used by MDL weights (chapter 08) and by the VAE's
    ELBO (chapter 15).
    """
    xp = B.xp()
    ratio = var / prior_var
    return 0.5 * (ratio + mu * mu / prior_var - 1.0 - xp.log(ratio)).sum(axis=-1)
