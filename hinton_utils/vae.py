"""Chapter 15: variational autoencoders, the reparameterisation trick and importance weighting.

A VAE (Kingma & Welling 2014; Rezende, Mohamed & Wierstra 2014) is a Helmholtz
machine (chapter 09) whose recognition network outputs the mean and log-variance
of a Gaussian q(z|x), trained together with the generative network by one
gradient of the evidence lower bound

    ELBO(x) = E_q[log p(x|z)] - KL(q(z|x) || p(z)) <= log p(x).

The gradient of the first term with respect to q's parameters is estimated by
writing z = mu + sigma * eps with eps ~ N(0, I) (the reparameterisation trick),
or by the score-function (REINFORCE) estimator; :func:`mu_gradient_samples`
draws per-sample estimates of both so their variances can be compared.

Also here: the linear-Gaussian VAE whose optimum is probabilistic PCA
(:class:`LinearVAE`, :func:`ppca_log_likelihood`), and the importance-weighted
bound of Burda, Grosse & Salakhutdinov (2016) (:func:`iwae_bound`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .core import autodiff as ad
from .core import backend as B
from .core import special
from .core.autodiff import Tensor, no_grad
from .core.nn import MLP, Module, Parameter
from .core.special import logsumexp
from .core.validation import check_array, check_int, check_real

__all__ = [
    "VAE",
    "LinearVAE",
    "bernoulli_log_likelihood",
    "elbo",
    "elbo_callback",
    "gaussian_kl",
    "iwae_bound",
    "linear_expected_log_likelihood",
    "mu_gradient_samples",
    "negative_elbo_loss",
    "ppca_log_likelihood",
    "ppca_mle",
    "ppca_posterior",
    "sample_ppca",
]

LOG_2PI = math.log(2.0 * math.pi)


# ----------------------------------------------------------------- closed forms
def gaussian_kl(mu: Any, log_var: Any) -> Any:
    """KL(N(mu, diag(exp(log_var))) || N(0, I)) for each row: ½ Σ(mu² + σ² − 1 − log σ²).

    Args:
        mu: means, shape (n, d) (or (d,)).
        log_var: log-variances, same shape as ``mu``.

    Returns:
        Array of shape (n,) (or a scalar for 1-D input), in nats.
    """
    mu = check_array(mu, "mu")
    log_var = check_array(log_var, "log_var")
    if mu.shape != log_var.shape:
        raise ValueError(f"log_var must have mu's shape {mu.shape}; got {log_var.shape}")
    return special.gaussian_kl(mu, B.xp().exp(log_var))


def bernoulli_log_likelihood(logits: Any, x: Any) -> Any:
    """log p(x|z) = Σ_i [x_i log σ(l_i) + (1 − x_i) log(1 − σ(l_i))] over the last axis.

    ``x`` may hold grey levels in [0, 1] (then this is a cross-entropy, not a
    density: see the chapter).
    """
    logits = check_array(logits, "logits")
    x = check_array(x, "x")
    if x.shape[-1] != logits.shape[-1]:
        raise ValueError(f"x must have {logits.shape[-1]} columns; got shape {x.shape}")
    if x.size and (float(x.min()) < 0.0 or float(x.max()) > 1.0):
        raise ValueError("x must lie in [0, 1]")
    return -(special.softplus(logits) - x * logits).sum(axis=-1)


def _kl_tensor(mu: Tensor, log_var: Tensor) -> Tensor:
    """Per-row analytic KL to N(0, I), as a Tensor (for gradients)."""
    return 0.5 * (mu * mu + ad.exp(log_var) - 1.0 - log_var).sum(axis=1)


def _bce_rows(logits: Tensor, x: Any) -> Tensor:
    """Per-row −log p(x|z) for a Bernoulli decoder, as a Tensor: softplus(l) − x l."""
    return (ad.softplus(logits) - logits * x).sum(axis=1)


# ------------------------------------------------------------------- the VAE
class VAE(Module):
    """A VAE with a Gaussian encoder and a Bernoulli decoder, both MLPs.

    Encoder ``n_visible → hidden → 2·n_latent`` (mean and log-variance), decoder
    ``n_latent → hidden → n_visible`` (logits), leaky-ReLU hidden units.
    ``forward(x)`` draws one reparameterised sample and returns the tuple
    ``(logits, mu, log_var)``, which :func:`negative_elbo_loss` turns into the
    loss, so the model trains through :func:`hinton_utils.core.nn.train` with
    the images as their own targets.

    Args:
        n_visible: data dimension.
        n_latent: latent dimension.
        n_hidden: hidden width of both networks.
        rng: int seed or Generator, for the weights and the noise of ``forward``.
    """

    def __init__(self, n_visible: int, n_latent: int, n_hidden: int = 128, *, rng: Any) -> None:
        self.n_visible = check_int(n_visible, "n_visible", low=1)
        self.n_latent = check_int(n_latent, "n_latent", low=1)
        self.n_hidden = check_int(n_hidden, "n_hidden", low=1)
        self.gen = B.as_generator(rng, "rng")
        self.encoder = MLP(
            [self.n_visible, self.n_hidden, 2 * self.n_latent],
            rng=self.gen,
            activation="leaky_relu",
        )
        self.decoder = MLP(
            [self.n_latent, self.n_hidden, self.n_visible], rng=self.gen, activation="leaky_relu"
        )

    def encode(self, x: Any) -> tuple[Tensor, Tensor]:
        """The recognition network: (mu, log_var) of q(z|x), each (n, n_latent)."""
        if not isinstance(x, Tensor):
            x = Tensor(check_array(x, "x", ndim=2), dtype=self.encoder.linears[0].weight.dtype)
        h = self.encoder(x)
        d = self.n_latent
        return h[:, :d], h[:, d:]

    def decode(self, z: Any) -> Tensor:
        """The generative network: Bernoulli logits of p(x|z), (n, n_visible)."""
        if not isinstance(z, Tensor):
            z = Tensor(check_array(z, "z", ndim=2), dtype=self.decoder.linears[0].weight.dtype)
        return self.decoder(z)

    def forward(self, x: Any) -> tuple[Tensor, Tensor, Tensor]:
        mu, log_var = self.encode(x)
        eps = self.gen.standard_normal(mu.shape).astype(mu.dtype)
        z = mu + ad.exp(0.5 * log_var) * eps  # the reparameterisation trick
        return self.decode(z), mu, log_var


def negative_elbo_loss(outputs: tuple[Tensor, Tensor, Tensor], targets: Any) -> Tensor:
    """The loss for :func:`hinton_utils.core.nn.train`: mean over rows of −ELBO.

    Args:
        outputs: ``(logits, mu, log_var)`` from :meth:`VAE.forward`.
        targets: the images (the model's inputs), (n, n_visible) in [0, 1].
    """
    if not isinstance(outputs, tuple) or len(outputs) != 3:
        raise TypeError("outputs must be the (logits, mu, log_var) tuple of VAE.forward")
    logits, mu, log_var = outputs
    x = check_array(targets, "targets", ndim=2)
    if x.shape != logits.shape:
        raise ValueError(f"targets must have shape {logits.shape}; got {x.shape}")
    return (_bce_rows(logits, x) + _kl_tensor(mu, log_var)).mean()


def _check_vae(model: Any) -> VAE:
    if not isinstance(model, VAE):
        raise TypeError(f"model must be a VAE; got {type(model).__name__}")
    return model


def elbo(model: VAE, X: Any, rng: Any, *, n_samples: int = 1) -> tuple[Any, Any, Any]:
    """Per-image ELBO, reconstruction term and KL, averaging over ``n_samples`` draws of z.

    Returns:
        ``(elbo, reconstruction, kl)``, each of shape (n,), where
        ``elbo = -reconstruction - kl`` and ``reconstruction`` = −E_q[log p(x|z)].
    """
    model = _check_vae(model)
    X = check_array(X, "X", ndim=2)
    n_samples = check_int(n_samples, "n_samples", low=1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    with no_grad():
        mu, log_var = (t.data for t in model.encode(X))
        kl = gaussian_kl(mu, log_var)
        rec = xp.zeros(X.shape[0])
        for _ in range(n_samples):
            z = mu + xp.exp(0.5 * log_var) * gen.standard_normal(mu.shape)
            rec -= bernoulli_log_likelihood(model.decode(z).data.astype(float), X)
    rec /= n_samples
    return -rec - kl, rec, kl


def elbo_callback(
    model: VAE, X: Any, epochs: Any, *, n_samples: int = 10, rng: Any = 0
) -> tuple[Callable[[int, float], None], dict[int, float]]:
    """A :func:`hinton_utils.core.nn.train` callback recording the mean ELBO on ``X``.

    Returns:
        ``(callback, record)``: after each epoch listed in ``epochs`` the callback
        stores ``record[epoch]``, the mean per-row :func:`elbo` on ``X`` (with the
        same ``rng`` seed each time, so epochs are compared on the same noise).
    """
    model = _check_vae(model)
    X = check_array(X, "X", ndim=2)
    wanted = {check_int(e, "epochs", low=1) for e in epochs}
    n_samples = check_int(n_samples, "n_samples", low=1)
    record: dict[int, float] = {}

    def callback(epoch: int, loss: float) -> None:
        if epoch in wanted:
            record[epoch] = float(elbo(model, X, rng, n_samples=n_samples)[0].mean())

    return callback, record


def iwae_bound(model: VAE, X: Any, k: int, rng: Any, *, chunk: int = 100) -> Any:
    """The importance-weighted bound L_k = E[log (1/k) Σ_i p(x, z_i)/q(z_i|x)] per image.

    One draw of k samples per image (so an unbiased estimate of L_k). L_1 is the
    ELBO; L_k rises with k towards log p(x) (Burda et al. 2016, Theorem 1).

    Args:
        model: a trained :class:`VAE`.
        X: images, (n, n_visible).
        k: importance samples per image, >= 1.
        rng: int seed or Generator.
        chunk: samples evaluated at a time (memory only).

    Returns:
        Array of shape (n,), in nats.
    """
    model = _check_vae(model)
    X = check_array(X, "X", ndim=2)
    k = check_int(k, "k", low=1)
    chunk = check_int(chunk, "chunk", low=1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    n, d = X.shape[0], model.n_latent
    with no_grad():
        mu, log_var = (t.data.astype(float) for t in model.encode(X))
        sd = xp.exp(0.5 * log_var)
        logw = xp.empty((n, k))
        for start in range(0, k, chunk):
            m = min(chunk, k - start)
            eps = gen.standard_normal((m, n, d))
            z = mu + sd * eps
            logits = model.decode(z.reshape(m * n, d)).data.astype(float).reshape(m, n, -1)
            log_px = bernoulli_log_likelihood(logits, xp.broadcast_to(X, logits.shape))
            log_pz = -0.5 * (z * z).sum(axis=-1) - 0.5 * d * LOG_2PI
            log_q = -0.5 * (eps * eps).sum(axis=-1) - 0.5 * log_var.sum(axis=-1) - 0.5 * d * LOG_2PI
            logw[:, start : start + m] = (log_px + log_pz - log_q).T
    return logsumexp(logw, axis=1) - math.log(k)


def mu_gradient_samples(
    model: VAE, x: Any, n_samples: int, rng: Any, *, estimator: str = "reparam"
) -> Any:
    """Single-sample estimates of ∂/∂mu E_q[log p(x|z)] for one image, q = the encoder's q(z|x).

    ``"reparam"``: ∇_z log p(x|z) at z = mu + σ ε. ``"score"`` (REINFORCE):
    log p(x|z) · ∇_mu log q(z|x) = log p(x|z) (z − mu)/σ². Both are unbiased for
    the same gradient; their variances differ.

    Returns:
        Array (n_samples, n_latent): one gradient estimate per row.
    """
    model = _check_vae(model)
    x = check_array(x, "x", ndim=1)
    if x.shape[0] != model.n_visible:
        raise ValueError(f"x must have {model.n_visible} entries; got {x.shape[0]}")
    n_samples = check_int(n_samples, "n_samples", low=1)
    if estimator not in ("reparam", "score"):
        raise ValueError(f"estimator must be 'reparam' or 'score'; got {estimator!r}")
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    with no_grad():
        mu, log_var = (t.data.astype(float)[0] for t in model.encode(x[None, :]))
    sd = xp.exp(0.5 * log_var)
    eps = gen.standard_normal((n_samples, model.n_latent))
    z = mu + sd * eps
    X = xp.broadcast_to(x, (n_samples, x.shape[0]))
    if estimator == "score":
        with no_grad():
            f = bernoulli_log_likelihood(model.decode(z).data.astype(float), X)
        return f[:, None] * eps / sd
    dtype = model.decoder.linears[0].weight.dtype
    zt = Tensor(z, requires_grad=True, dtype=dtype)
    (-_bce_rows(model.decode(zt), X.astype(dtype))).sum().backward()
    grad = zt.grad.astype(float)
    for p in model.decoder.parameters():
        p.grad = None
    return grad


# ------------------------------------------------------ linear VAE and pPCA
def sample_ppca(W: Any, b: Any, noise_var: float, n: int, rng: Any) -> Any:
    """n draws of x = z W + b + noise, z ~ N(0, I_d), noise ~ N(0, noise_var I_D).

    Args:
        W: loadings, (d, D). b: mean, (D,). noise_var: > 0. n: rows. rng: seed/Generator.
    """
    W = check_array(W, "W", ndim=2)
    b = check_array(b, "b", ndim=1)
    if b.shape[0] != W.shape[1]:
        raise ValueError(f"b must have {W.shape[1]} entries; got {b.shape[0]}")
    noise_var = check_real(noise_var, "noise_var", low=0.0, low_open=True)
    n = check_int(n, "n", low=1)
    gen = B.as_generator(rng, "rng")
    z = gen.standard_normal((n, W.shape[0]))
    return z @ W + b + math.sqrt(noise_var) * gen.standard_normal((n, W.shape[1]))


def ppca_log_likelihood(X: Any, W: Any, b: Any, noise_var: float) -> Any:
    """Exact log N(x; b, WᵀW + noise_var I) for each row of X: pPCA's marginal likelihood."""
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2)
    b = check_array(b, "b", ndim=1)
    if X.shape[1] != W.shape[1] or b.shape[0] != W.shape[1]:
        raise ValueError(f"X and b must have W's {W.shape[1]} columns")
    noise_var = check_real(noise_var, "noise_var", low=0.0, low_open=True)
    xp = B.xp()
    D = W.shape[1]
    C = W.T @ W + noise_var * xp.eye(D)
    L = xp.linalg.cholesky(C)
    R = xp.linalg.solve(L, (X - b).T)
    logdet = 2.0 * xp.log(xp.diag(L)).sum()
    return -0.5 * (D * LOG_2PI + logdet + (R * R).sum(axis=0))


def ppca_mle(X: Any, d: int) -> tuple[Any, Any, float]:
    """Tipping & Bishop's closed-form maximum-likelihood pPCA fit.

    Returns:
        ``(W, b, noise_var)``: W (d, D) with orthogonal rows, b the data mean,
        noise_var the mean of the discarded eigenvalues of the sample covariance.
    """
    X = check_array(X, "X", ndim=2)
    D = X.shape[1]
    d = check_int(d, "d", low=1, high=D - 1)
    xp = B.xp()
    b = X.mean(axis=0)
    S = (X - b).T @ (X - b) / X.shape[0]
    lam, U = xp.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]
    noise_var = float(lam[d:].mean())
    W = (U[:, :d] * xp.sqrt(xp.maximum(lam[:d] - noise_var, 0.0))).T
    return W, b, noise_var


def ppca_posterior(X: Any, W: Any, b: Any, noise_var: float) -> tuple[Any, Any]:
    """The exact posterior p(z|x) of pPCA: mean (n, d) and covariance (d, d)."""
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2)
    b = check_array(b, "b", ndim=1)
    noise_var = check_real(noise_var, "noise_var", low=0.0, low_open=True)
    if X.shape[1] != W.shape[1]:
        raise ValueError(f"X must have W's {W.shape[1]} columns")
    xp = B.xp()
    M = W @ W.T + noise_var * xp.eye(W.shape[0])
    Minv = xp.linalg.inv(M)
    return (X - b) @ W.T @ Minv, noise_var * Minv


def linear_expected_log_likelihood(
    X: Any, W: Any, b: Any, noise_var: float, mu: Any, var: Any
) -> Any:
    """E_q[log N(x; z W + b, noise_var I)] in closed form, q = N(mu, diag(var)), per row.

    = −D/2 log(2π s²) − (|x − mu W − b|² + Σ_j var_j |W_j|²) / (2 s²).
    """
    X = check_array(X, "X", ndim=2)
    W = check_array(W, "W", ndim=2)
    b = check_array(b, "b", ndim=1)
    mu = check_array(mu, "mu", ndim=2)
    var = check_array(var, "var", values="nonnegative")
    noise_var = check_real(noise_var, "noise_var", low=0.0, low_open=True)
    if mu.shape != (X.shape[0], W.shape[0]):
        raise ValueError(f"mu must have shape {(X.shape[0], W.shape[0])}; got {mu.shape}")
    D = X.shape[1]
    r = X - mu @ W - b
    spread = (var * (W * W).sum(axis=1)).sum(axis=-1)
    return -0.5 * D * (LOG_2PI + math.log(noise_var)) - ((r * r).sum(axis=1) + spread) / (
        2.0 * noise_var
    )


class LinearVAE(Module):
    """A linear-Gaussian VAE: p(x|z) = N(z W + b, s² I), q(z|x) = N(x V + c, diag(exp(ℓ))).

    ``forward(X)`` returns the per-row ELBO in closed form (the expectation over q is
    exact for a linear decoder), so training needs no sampling:
    ``train(model, opt, X, X, loss=lambda elbos, _: -elbos.mean(), ...)``.
    With a diagonal posterior family the optimum is pPCA's maximum-likelihood fit with
    W's rows orthogonal, and there the ELBO equals log p(x) (Lucas et al. 2019).

    Args:
        n_visible: D. n_latent: d. rng: int seed or Generator for the initial weights.
    """

    def __init__(self, n_visible: int, n_latent: int, *, rng: Any) -> None:
        self.n_visible = check_int(n_visible, "n_visible", low=1)
        self.n_latent = check_int(n_latent, "n_latent", low=1)
        gen = B.as_generator(rng, "rng")
        xp = B.xp()
        D, d = self.n_visible, self.n_latent
        self.W = Parameter(0.1 * gen.standard_normal((d, D)))
        self.b = Parameter(xp.zeros(D))
        self.log_noise = Parameter(xp.zeros(1))
        self.V = Parameter(0.1 * gen.standard_normal((D, d)))
        self.c = Parameter(xp.zeros(d))
        self.log_var = Parameter(xp.zeros(d))

    @property
    def noise_var(self) -> float:
        return float(B.xp().exp(self.log_noise.data[0]))

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(check_array(x, "x", ndim=2), dtype="float64")
        D = self.n_visible
        mu = x @ self.V + self.c
        r = x - mu @ self.W - self.b
        var = ad.exp(self.log_var)
        spread = (var * (self.W * self.W).sum(axis=1)).sum()
        s2 = ad.exp(self.log_noise)
        expected = -0.5 * D * (LOG_2PI + self.log_noise) - ((r * r).sum(axis=1) + spread) / (
            2.0 * s2
        )
        kl = 0.5 * ((mu * mu).sum(axis=1) + (var - 1.0 - self.log_var).sum())
        return expected - kl

    def elbo(self, X: Any) -> Any:
        """Per-row ELBO as an array."""
        with no_grad():
            return self.forward(X).data
