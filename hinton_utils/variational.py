"""Chapter 08: variational learning: free energy, partial E-steps, bits-back and MDL weights.

Three ideas from the early 1990s, each a few lines of array code:

* **EM is coordinate ascent on a free energy** (Neal & Hinton). For a model
  ``p(x, z | θ)`` and any distribution ``q(z)`` over the hidden causes,
  ``F(q, θ) = E_q[log p(x, z | θ)] + H(q) = log p(x | θ) − KL(q ‖ p(z | x, θ))``.
  The E-step maximises F over q (giving ``F = log p(x | θ)`` exactly), the M-step
  maximises it over θ. Any step that raises F, such as re-estimating the
  responsibilities of one block of data and updating the sufficient statistics
  incrementally, is a legitimate step. Here: a 1-D Gaussian mixture.
* **Bits-back coding.** When several codes are equally acceptable, choosing
  among them at random with probabilities q lets the choice itself carry H(q)
  bits of another message. The net cost ``E_q[L] − H(q)`` is a free energy,
  minimised by the Boltzmann distribution ``q ∝ 2^{−L}``, where it equals
  ``−log2 Σ 2^{−L}``. :func:`hide_message` and :func:`recover_message` carry a
  real bit string through the choices with an exact arithmetic-coding scheme.
* **Noisy weights and description length** (Hinton & van Camp). A linear model
  with a factorised Gaussian posterior ``q(w) = Π N(μ_j, v_j)`` is trained by
  minimising expected misfit + ``KL(q ‖ prior)``, the number of bits needed to
  send the data and the weights. For linear-Gaussian regression the optimum has
  the exact posterior mean; the variances are exact when the design is orthogonal.

All costs in nats unless the name says bits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .core import backend as B
from .core import special
from .core.estimator import Estimator, check_rng
from .core.optim import adam_step
from .core.special import logsumexp
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "EMHistory",
    "MixtureParams",
    "VariationalLinearRegression",
    "batch_em",
    "code_distribution",
    "description_length",
    "exact_posterior",
    "expected_net_cost",
    "expected_sq_misfit",
    "free_energy",
    "gaussian_kl",
    "hide_message",
    "incremental_em",
    "init_mixture",
    "log_likelihood",
    "m_step",
    "mixture_density",
    "mixture_log_joint",
    "optimal_net_cost",
    "polynomial_features",
    "posterior",
    "recover_message",
    "sufficient_statistics",
]

LN2 = math.log(2.0)

# ---------------------------------------------------------------------------
# Part 1: EM for a 1-D Gaussian mixture, as coordinate ascent on F(q, θ)
# ---------------------------------------------------------------------------


@dataclass
class MixtureParams:
    """A 1-D Gaussian mixture: mixing ``weights``, ``means`` and ``variances``, each (K,)."""

    weights: Any
    means: Any
    variances: Any

    def __post_init__(self) -> None:
        self.weights = check_array(self.weights, "weights", ndim=1, dtype="float64")
        k = self.weights.shape[0]
        self.means = check_array(self.means, "means", shape=(k,), dtype="float64")
        self.variances = check_array(self.variances, "variances", shape=(k,), dtype="float64")
        if not bool((self.weights >= 0).all()) or abs(float(self.weights.sum()) - 1.0) > 1e-8:
            raise ValueError("weights must be non-negative and sum to 1")
        if not bool((self.variances > 0).all()):
            raise ValueError("variances must be > 0")

    @property
    def n_components(self) -> int:
        """The number of components K."""
        return int(self.weights.shape[0])


def _check_params(params: Any) -> MixtureParams:
    if not isinstance(params, MixtureParams):
        raise TypeError(f"params must be a MixtureParams; got {type(params).__name__}")
    return params


def _check_x(x: Any) -> Any:
    return check_array(x, "x", ndim=1, dtype="float64")


def mixture_log_joint(x: Any, params: MixtureParams) -> Any:
    """``log p(x_n, z_n = k | θ)`` for every point and component, shape (N, K)."""
    xp = B.xp()
    x = _check_x(x)
    params = _check_params(params)
    diff = x[:, None] - params.means[None, :]
    log_w = xp.log(xp.maximum(params.weights, 1e-300))  # an emptied component, not -inf
    return (
        log_w[None, :]
        - 0.5 * xp.log(2 * math.pi * params.variances)[None, :]
        - 0.5 * diff**2 / params.variances[None, :]
    )


def log_likelihood(x: Any, params: MixtureParams) -> float:
    """The total log-likelihood ``Σ_n log p(x_n | θ)`` in nats."""
    return float(logsumexp(mixture_log_joint(x, params), axis=1).sum())


def mixture_density(x: Any, params: MixtureParams) -> Any:
    """The mixture's density ``p(x | θ)`` at each point of ``x`` (for plotting)."""
    xp = B.xp()
    return xp.exp(logsumexp(mixture_log_joint(x, params), axis=1))


def posterior(x: Any, params: MixtureParams) -> Any:
    """The exact E-step: responsibilities ``p(z_n = k | x_n, θ)``, shape (N, K)."""
    xp = B.xp()
    lj = mixture_log_joint(x, params)
    return xp.exp(lj - logsumexp(lj, axis=1)[:, None])


def free_energy(x: Any, resp: Any, params: MixtureParams) -> float:
    """The (negative) free energy ``F(q, θ) = Σ_n E_q[log p(x_n, z_n | θ)] + H(q_n)`` in nats.

    Args:
        x: data, shape (N,).
        resp: any distributions q_n(z) over the components, shape (N, K), rows summing to 1.
        params: the mixture θ.

    Returns:
        F, a lower bound on ``log p(x | θ)``, equal to it when ``resp`` is the exact posterior.
    """
    xp = B.xp()
    x = _check_x(x)
    params = _check_params(params)
    resp = check_array(
        resp, "resp", shape=(x.shape[0], params.n_components), dtype="float64", values="nonnegative"
    )
    if float(xp.abs(resp.sum(axis=1) - 1).max()) > 1e-8:
        raise ValueError("resp rows must sum to 1")
    lj = mixture_log_joint(x, params)
    pos = resp > 0
    safe = xp.where(pos, resp, 1.0)
    terms = xp.where(pos, resp * (xp.where(pos, lj, 0.0) - xp.log(safe)), 0.0)
    return float(terms.sum())


def sufficient_statistics(x: Any, resp: Any) -> Any:
    """Expected sufficient statistics ``[Σ r, Σ r x, Σ r x²]`` per component, shape (K, 3)."""
    xp = B.xp()
    x = _check_x(x)
    resp = check_array(resp, "resp", ndim=2, dtype="float64", values="nonnegative")
    if resp.shape[0] != x.shape[0]:
        raise ValueError(f"resp must have {x.shape[0]} rows, one per point; got {resp.shape[0]}")
    return xp.stack([resp.sum(0), resp.T @ x, resp.T @ (x * x)], axis=1)


def m_step(stats: Any, min_var: float = 1e-6) -> MixtureParams:
    """The M-step from sufficient statistics: the θ that maximises F for the current q.

    Args:
        stats: (K, 3) array from :func:`sufficient_statistics` (summed over all data).
        min_var: floor on each variance (the likelihood is unbounded without one).
    """
    xp = B.xp()
    stats = check_array(stats, "stats", shape=(None, 3), dtype="float64")
    min_var = check_real(min_var, "min_var", low=0.0, low_open=True)
    n_k = stats[:, 0]
    if not bool((n_k >= 0).all()) or float(n_k.sum()) <= 0:
        raise ValueError("stats[:, 0] (responsibility counts) must be >= 0 with a positive sum")
    denom = xp.maximum(n_k, 1e-300)
    means = stats[:, 1] / denom
    variances = xp.maximum(stats[:, 2] / denom - means**2, min_var)
    return MixtureParams(n_k / n_k.sum(), means, variances)


def init_mixture(x: Any, n_components: int, rng: Any) -> MixtureParams:
    """A starting point: K distinct data points as means, the data variance, equal weights."""
    xp = B.xp()
    x = _check_x(x)
    n_components = check_int(n_components, "n_components", low=1, high=int(x.shape[0]))
    gen = B.as_generator(rng, "rng")
    idx = xp.argsort(gen.random(x.shape[0]))[:n_components]
    var = float(x.var()) or 1.0
    k = n_components
    return MixtureParams(xp.full(k, 1.0 / k), xp.sort(x[idx]), xp.full(k, var))


@dataclass
class EMHistory:
    """What an EM run recorded.

    Attributes:
        free_energy: F after every step (each E or partial E-step and each M-step), nats.
        log_likelihood: ``log p(x | θ)`` at the start and after every pass (epoch) through
            the data.
        params: θ at the start and after every pass.
        steps_per_pass: how many F values each pass adds (2 for batch EM).
    """

    free_energy: list = field(default_factory=list)
    log_likelihood: list = field(default_factory=list)
    params: list = field(default_factory=list)
    steps_per_pass: int = 2


def batch_em(x: Any, params: MixtureParams, n_epochs: int, min_var: float = 1e-6) -> EMHistory:
    """Standard EM: each of ``n_epochs`` passes is a full E-step (all responsibilities) then
    an M-step."""
    x = _check_x(x)
    params = _check_params(params)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    min_var = check_real(min_var, "min_var", low=0.0, low_open=True)
    hist = EMHistory(log_likelihood=[log_likelihood(x, params)], params=[params])
    for _ in range(n_epochs):
        resp = posterior(x, params)
        hist.free_energy.append(free_energy(x, resp, params))
        params = m_step(sufficient_statistics(x, resp), min_var)
        hist.free_energy.append(free_energy(x, resp, params))
        hist.log_likelihood.append(log_likelihood(x, params))
        hist.params.append(params)
    return hist


def incremental_em(
    x: Any,
    params: MixtureParams,
    n_epochs: int,
    n_blocks: int,
    rng: Any,
    min_var: float = 1e-6,
) -> EMHistory:
    """Neal & Hinton's incremental EM: partial E-steps on one block, then an M-step.

    The first pass is one full EM step (so every point has a responsibility).
    After that, each pass visits the blocks in a fixed random order; for each
    block it recomputes that block's responsibilities, swaps its old
    sufficient statistics for the new ones in the running totals, and does an
    M-step from the totals. Every step maximises F over part of (q, θ), so F
    never decreases.

    Args:
        x: data, shape (N,).
        params: the starting θ.
        n_epochs: passes through the data (each = n_blocks partial E/M steps after the first).
        n_blocks: how many blocks the data are split into (1 gives batch EM).
        rng: int seed or Generator; draws the assignment of points to blocks.
        min_var: floor on each variance.
    """
    xp = B.xp()
    x = _check_x(x)
    params = _check_params(params)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    n_blocks = check_int(n_blocks, "n_blocks", low=1, high=int(x.shape[0]))
    min_var = check_real(min_var, "min_var", low=0.0, low_open=True)
    gen = B.as_generator(rng, "rng")
    order = xp.argsort(gen.random(x.shape[0]))
    blocks = [order[b::n_blocks] for b in range(n_blocks)]
    hist = EMHistory(
        log_likelihood=[log_likelihood(x, params)], params=[params], steps_per_pass=2 * n_blocks
    )
    resp = posterior(x, params)
    hist.free_energy.append(free_energy(x, resp, params))
    stats = sufficient_statistics(x, resp)
    params = m_step(stats, min_var)
    hist.free_energy.append(free_energy(x, resp, params))
    hist.log_likelihood.append(log_likelihood(x, params))
    hist.params.append(params)
    for _ in range(n_epochs - 1):
        for idx in blocks:
            xb = x[idx]
            new = posterior(xb, params)
            stats = stats - sufficient_statistics(xb, resp[idx]) + sufficient_statistics(xb, new)
            resp[idx] = new
            hist.free_energy.append(free_energy(x, resp, params))
            params = m_step(stats, min_var)
            hist.free_energy.append(free_energy(x, resp, params))
        hist.log_likelihood.append(log_likelihood(x, params))
        hist.params.append(params)
    return hist


# ---------------------------------------------------------------------------
# Part 2: bits-back coding ("it's raining" / "il pleut")
# ---------------------------------------------------------------------------


def _check_costs(costs: Any) -> Any:
    return check_array(costs, "costs", ndim=1, dtype="float64", values="nonnegative")


def code_distribution(costs: Any, temperature: float = 1.0) -> Any:
    """The Boltzmann distribution over codes, ``q_i ∝ 2^{−L_i / T}``.

    ``T = 1`` is the optimum for bits-back coding; ``T → 0`` always picks the
    cheapest code; ``T → ∞`` picks uniformly.
    """
    xp = B.xp()
    costs = _check_costs(costs)
    temperature = check_real(temperature, "temperature", low=0.0, low_open=True)
    a = -(costs - costs.min()) / temperature * LN2
    return xp.exp(a - logsumexp(a))


def _check_q(q: Any, n: int | None = None) -> Any:
    q = check_array(q, "q", ndim=1, dtype="float64", values="nonnegative")
    if n is not None and q.shape[0] != n:
        raise ValueError(f"q must have one probability per code ({n}); got {q.shape[0]}")
    if abs(float(q.sum()) - 1.0) > 1e-8:
        raise ValueError(f"q must sum to 1; got {float(q.sum())}")
    return q


def expected_net_cost(costs: Any, q: Any) -> float:
    """Bits-back net cost in bits: ``E_q[L] − H(q)``, what a random choice of code really costs."""
    xp = B.xp()
    costs = _check_costs(costs)
    q = _check_q(q, costs.shape[0])
    pos = q > 0
    entropy = -float(xp.where(pos, q * xp.log2(xp.where(pos, q, 1.0)), 0.0).sum())
    return float((q * costs).sum()) - entropy


def optimal_net_cost(costs: Any) -> float:
    """The minimum of :func:`expected_net_cost` over q: ``−log2 Σ_i 2^{−L_i}`` bits."""
    costs = _check_costs(costs)
    return -float(logsumexp(-LN2 * costs)) / LN2


def _quantise(q: Any, precision: int) -> list[int]:
    """Integer frequencies summing to 2**precision, each >= 1 where q > 0."""
    total = 1 << precision
    qs = [float(v) for v in B.asnumpy(q).tolist()]
    freqs = [max(1, round(v * total)) if v > 0 else 0 for v in qs]
    # Give (or take) the rounding difference to the largest entry.
    k = max(range(len(qs)), key=lambda i: qs[i])
    freqs[k] += total - sum(freqs)
    if freqs[k] < 1:
        raise ValueError("q has too many tiny entries for this precision; raise precision")
    return freqs


def _cumulative(freqs: list[int]) -> list[int]:
    cum = [0]
    for f in freqs:
        cum.append(cum[-1] + f)
    return cum


def hide_message(
    message: Any, q: Any, n_choices: int, rng: Any, precision: int = 16
) -> tuple[Any, int]:
    """Choose ``n_choices`` codes with probabilities q, using ``message`` as the randomness.

    The sender reads the message bits as the binary fraction ``u = 0.b1 b2 …``
    and *decodes* it with an arithmetic decoder for q: each choice is the
    sub-interval that contains ``u``. The choices are therefore distributed as q
    (when the message bits are random), and the receiver, who sees only the
    choices, can recover the leading bits of ``u`` with :func:`recover_message`.
    When the message runs out, fresh random bits from ``rng`` are used. All
    arithmetic is on exact integers, so nothing is lost to rounding.

    Args:
        message: the hidden bits, a 1-D 0/1 array.
        q: the probabilities of the codes, shape (n_codes,), summing to 1.
        n_choices: how many messages are sent (one code choice each).
        rng: int seed or Generator for the padding bits.
        precision: q is rounded to multiples of ``2^-precision`` (both ends use the same).

    Returns:
        ``(choices, bits_consumed)``: an int array of code indices, shape (n_choices,),
        and how many bits of ``u`` (message then padding) the sender read.
    """
    xp = B.xp()
    message = check_array(message, "message", ndim=1, values="binary")
    q = _check_q(q)
    n_choices = check_int(n_choices, "n_choices", low=1)
    precision = check_int(precision, "precision", low=1, high=62)
    gen = B.as_generator(rng, "rng")
    cum = _cumulative(_quantise(q, precision))
    bits = [int(b) for b in B.asnumpy(message).tolist()]
    # Code interval [LO, LO + W) / 2^E; what the bits read so far say about u: [U, U + 1) / 2^k.
    lo, w, e = 0, 1, 0
    u, k = 0, 0
    choices = []
    for _ in range(n_choices):
        while True:
            # u's interval, relative to the code interval and scaled by 2^P: [num, num + span) / den.
            num = ((u << e) - (lo << k)) << precision
            span = 1 << (e + precision)
            den = w << k
            c = next(i for i in range(len(cum) - 1) if cum[i + 1] * den > num)
            if num + span <= cum[c + 1] * den:
                break
            if k >= len(bits):
                bits.extend(int(v) for v in B.asnumpy(gen.integers(0, 2, size=64)).tolist())
            u, k = 2 * u + bits[k], k + 1
        choices.append(c)
        lo, w, e = (lo << precision) + w * cum[c], w * (cum[c + 1] - cum[c]), e + precision
    return xp.asarray(choices, dtype=xp.int64), k


def recover_message(choices: Any, q: Any, precision: int = 16) -> Any:
    """The receiver's side: the bits of ``u`` fixed by the sequence of codes chosen.

    Every ``u`` consistent with the choices lies in one interval
    ``[lo, lo + Π q(c_t))``; the bits all its points share are the hidden bits
    recovered. Their number is about ``Σ_t −log2 q(c_t)``, i.e. ``H(q)`` per choice.

    Returns:
        The recovered bits, a 0/1 int array (a prefix of the sender's message).
    """
    xp = B.xp()
    choices = check_array(choices, "choices", ndim=1)
    if choices.dtype.kind not in "iu":
        raise TypeError(f"choices must be integer code indices; got dtype {choices.dtype}")
    q = _check_q(q)
    precision = check_int(precision, "precision", low=1, high=62)
    freqs = _quantise(q, precision)
    cs = [int(c) for c in B.asnumpy(choices).tolist()]
    if min(cs) < 0 or max(cs) >= len(freqs) or any(freqs[c] == 0 for c in cs):
        raise ValueError("choices must index codes with q > 0")
    cum = _cumulative(freqs)
    lo, w, e = 0, 1, 0
    for c in cs:
        lo, w, e = (lo << precision) + w * cum[c], w * (cum[c + 1] - cum[c]), e + precision
    # Every point of [lo, lo + w) / 2^e shares the leading bits that lo and lo + w - 1 share.
    n_shared = e - (lo ^ (lo + w - 1)).bit_length()
    prefix = lo >> (e - n_shared)
    out = [(prefix >> (n_shared - 1 - i)) & 1 for i in range(n_shared)]
    return xp.asarray(out, dtype=xp.int64)


# ---------------------------------------------------------------------------
# Part 3: a Gaussian posterior over the weights (Hinton & van Camp 1993)
# ---------------------------------------------------------------------------


def polynomial_features(x: Any, degree: int) -> Any:
    """Design matrix ``[1, x, x², …, x^degree]``, shape (N, degree + 1)."""
    xp = B.xp()
    x = check_array(x, "x", ndim=1, dtype="float64")
    degree = check_int(degree, "degree", low=0, high=20)
    return x[:, None] ** xp.arange(degree + 1)[None, :]


def gaussian_kl(mu: Any, var: Any, prior_var: float) -> float:
    """``KL(N(μ, diag v) ‖ N(0, s0² I))`` in nats: the bits (×1/ln 2) to send the weights."""
    mu = check_array(mu, "mu", ndim=1, dtype="float64")
    var = check_array(var, "var", shape=(mu.shape[0],), dtype="float64")
    if not bool((var > 0).all()):
        raise ValueError("var must be > 0")
    prior_var = check_real(prior_var, "prior_var", low=0.0, low_open=True)
    return float(special.gaussian_kl(mu, var, prior_var))


def _check_design(Phi: Any, y: Any) -> tuple[Any, Any]:
    Phi = check_array(Phi, "Phi", ndim=2, dtype="float64")
    y = check_array(y, "y", shape=(Phi.shape[0],), dtype="float64")
    return Phi, y


def expected_sq_misfit(Phi: Any, y: Any, mu: Any, var: Any) -> float:
    """``E_q ‖y − Φ w‖²`` for ``q = N(μ, diag v)``: ``‖y − Φμ‖² + Σ_j v_j ‖Φ_j‖²``."""
    Phi, y = _check_design(Phi, y)
    d = Phi.shape[1]
    mu = check_array(mu, "mu", shape=(d,), dtype="float64")
    var = check_array(var, "var", shape=(d,), dtype="float64", values="nonnegative")
    r = y - Phi @ mu
    return float(r @ r + (var * (Phi * Phi).sum(0)).sum())


def description_length(
    Phi: Any, y: Any, mu: Any, var: Any, noise_var: float, prior_var: float
) -> tuple[float, float]:
    """Hinton & van Camp's cost in bits: ``(data bits, weight bits)``.

    Data bits are ``E_q[−log2 p(y | Φ, w)]`` (a density, so up to the constant
    ``−N log2 t`` for data quantised to width t); weight bits are
    ``KL(q ‖ prior) / ln 2``, the net cost of sending noisy weights with bits back.
    Their sum is the negative evidence lower bound in bits.
    """
    Phi, y = _check_design(Phi, y)
    noise_var = check_real(noise_var, "noise_var", low=0.0, low_open=True)
    n = Phi.shape[0]
    misfit = expected_sq_misfit(Phi, y, mu, var)
    data_nats = 0.5 * misfit / noise_var + 0.5 * n * math.log(2 * math.pi * noise_var)
    return data_nats / LN2, gaussian_kl(mu, var, prior_var) / LN2


def exact_posterior(Phi: Any, y: Any, noise_var: float, prior_var: float) -> tuple[Any, Any, float]:
    """The exact Bayesian posterior ``N(m, S)`` for linear-Gaussian regression, and log evidence.

    ``S = (ΦᵀΦ/σ² + I/s0²)^{-1}``, ``m = S Φᵀ y / σ²``; the log marginal likelihood
    ``log N(y; 0, σ² I + s0² ΦΦᵀ)`` (nats) is the best possible free energy.
    """
    xp = B.xp()
    Phi, y = _check_design(Phi, y)
    noise_var = check_real(noise_var, "noise_var", low=0.0, low_open=True)
    prior_var = check_real(prior_var, "prior_var", low=0.0, low_open=True)
    n, d = Phi.shape
    A = Phi.T @ Phi / noise_var + xp.eye(d) / prior_var
    S = xp.linalg.inv(A)
    S = 0.5 * (S + S.T)
    m = S @ Phi.T @ y / noise_var
    C = noise_var * xp.eye(n) + prior_var * Phi @ Phi.T
    _, logdet = xp.linalg.slogdet(C)
    evidence = -0.5 * float(y @ xp.linalg.solve(C, y)) - 0.5 * float(logdet)
    evidence -= 0.5 * n * math.log(2 * math.pi)
    return m, S, evidence


class VariationalLinearRegression(Estimator):
    """Linear regression with a factorised Gaussian posterior over the weights.

    Minimises the description length ``E_q[−log p(y | Φ, w)] + KL(q ‖ N(0, s0² I))``
    over ``q(w) = Π_j N(μ_j, v_j)`` by Adam (:func:`hinton_utils.core.optim.adam_step`,
    ``β = (0.9, 0.99)``) on ``(μ, log v)``, the learning rate decaying linearly to 0,
    with the data term either in closed form (``method="closed_form"``) or estimated
    with the reparameterisation ``w = μ + √v ε`` (``method="reparam"``, ``n_samples``
    draws per step).

    Args:
        noise_var: the noise variance σ² of the targets.
        prior_var: the prior variance s0² of every weight.
        learning_rate: Adam's initial learning rate.
        n_epochs: full-batch steps.
        method: ``"closed_form"`` or ``"reparam"``.
        n_samples: weight samples per step for ``"reparam"``.
        rng: int seed or Generator (the reparameterisation noise; unused in closed form).

    Attributes (after ``fit``): ``mu_``, ``var_`` (the posterior), ``history_``
    (description length in bits after every step, closed form).
    """

    def __init__(
        self,
        noise_var: float = 0.1,
        prior_var: float = 1.0,
        *,
        learning_rate: float = 0.05,
        n_epochs: int = 2000,
        method: str = "closed_form",
        n_samples: int = 1,
        rng: Any = 0,
    ) -> None:
        check_real(noise_var, "noise_var", low=0.0, low_open=True)
        check_real(prior_var, "prior_var", low=0.0, low_open=True)
        check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
        check_int(n_epochs, "n_epochs", low=1)
        check_choice(method, "method", ("closed_form", "reparam"))
        check_int(n_samples, "n_samples", low=1)
        self.noise_var = noise_var
        self.prior_var = prior_var
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.method = method
        self.n_samples = n_samples
        self.rng = check_rng(rng)

    def fit(self, Phi: Any, y: Any) -> VariationalLinearRegression:
        """Fit q(w) to the design ``Phi`` (N, D) and targets ``y`` (N,)."""
        xp = B.xp()
        gen = self._fit_generator()
        Phi, y = _check_design(Phi, y)
        d = Phi.shape[1]
        s2, p2 = float(self.noise_var), float(self.prior_var)
        col = (Phi * Phi).sum(0)
        params = xp.concatenate([xp.zeros(d), xp.full(d, math.log(p2))])  # μ, log v
        m1, m2 = xp.zeros(2 * d), xp.zeros(2 * d)
        history = []
        for t in range(1, self.n_epochs + 1):
            mu, v = params[:d], xp.exp(params[d:])
            # KL gradient (closed form in both methods).
            g_mu = mu / p2
            g_v = 0.5 / p2 - 0.5 / v
            if self.method == "closed_form":
                g_mu = g_mu + Phi.T @ (Phi @ mu - y) / s2
                g_v = g_v + 0.5 * col / s2
            else:
                eps_w = gen.standard_normal((self.n_samples, d))
                w = mu[None, :] + xp.sqrt(v)[None, :] * eps_w
                gw = (w @ Phi.T - y[None, :]) @ Phi / s2  # dL/dw per sample
                g_mu = g_mu + gw.mean(0)
                g_v = g_v + (gw * eps_w).mean(0) * 0.5 / xp.sqrt(v)
            grad = xp.concatenate([g_mu, g_v * v])  # d/d(log v) = v d/dv
            lr_t = self.learning_rate * (1.0 - (t - 1) / self.n_epochs)  # linear decay to 0
            adam_step(params, grad, m1, m2, t, lr_t, (0.9, 0.99), 1e-8)
            history.append(sum(description_length(Phi, y, params[:d], xp.exp(params[d:]), s2, p2)))
        self.mu_, self.var_ = params[:d].copy(), xp.exp(params[d:])
        self.history_ = history
        return self

    def description_length(self, Phi: Any, y: Any) -> tuple[float, float]:
        """``(data bits, weight bits)`` for the fitted q; see :func:`description_length`."""
        self._check_is_fitted("mu_")
        return description_length(Phi, y, self.mu_, self.var_, self.noise_var, self.prior_var)

    def score(self, Phi: Any, y: Any) -> float:
        """The negative description length in bits (higher is better).

        ``−(data bits + weight bits)`` of :meth:`description_length`: the evidence
        lower bound ``E_q[log p(y | Φ, w)] − KL(q ‖ prior)`` in bits, at most
        ``log2 p(y | Φ)`` (:func:`exact_posterior`), with equality when q is the
        exact posterior.
        """
        return -sum(self.description_length(Phi, y))

    def predict(self, Phi: Any, include_noise: bool = False) -> tuple[Any, Any]:
        """Predictive mean and standard deviation of ``Φ w`` under q (plus noise if asked)."""
        xp = B.xp()
        self._check_is_fitted("mu_")
        Phi = check_array(Phi, "Phi", shape=(None, self.mu_.shape[0]), dtype="float64")
        var = (Phi * Phi) @ self.var_
        if include_noise:
            var = var + self.noise_var
        return Phi @ self.mu_, xp.sqrt(var)
