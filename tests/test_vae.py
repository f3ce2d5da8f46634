"""Chapter 15 VAE kernels: the analytic KL, the ELBO as a bound, pPCA, IWAE, the two gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hinton_utils import vae as V
from hinton_utils.core import nn, optim


@pytest.fixture(scope="module")
def ppca():
    gen = np.random.default_rng(0)
    W = np.array([[2.0, 0.0, 1.0, 0.0, -1.0], [0.0, 1.0, 0.0, -1.0, 0.0]])  # orthogonal rows
    b = gen.standard_normal(5)
    X = V.sample_ppca(W, b, 0.3, 400, 1)
    return W, b, 0.3, X


@pytest.fixture(scope="module")
def small_vae():
    gen = np.random.default_rng(3)
    X = (gen.random((60, 12)) < 0.3).astype(float)
    model = V.VAE(12, 2, 16, rng=0)
    opt = optim.Adam(model.parameters(), learning_rate=1e-2)
    nn.train(model, opt, X, X, n_epochs=30, batch_size=20, rng=1, loss=V.negative_elbo_loss)
    return model, X


def test_gaussian_kl_closed_form_against_monte_carlo():
    gen = np.random.default_rng(1)
    mu, log_var = np.array([0.7, -1.2, 0.1]), np.array([-0.5, 0.4, 0.0])
    sd = np.exp(0.5 * log_var)
    z = mu + sd * gen.standard_normal((200_000, 3))
    log_q = (-0.5 * ((z - mu) / sd) ** 2 - 0.5 * log_var - 0.5 * math.log(2 * math.pi)).sum(1)
    log_p = (-0.5 * z**2 - 0.5 * math.log(2 * math.pi)).sum(1)
    samples = log_q - log_p
    se = samples.std() / math.sqrt(len(samples))
    exact = V.gaussian_kl(mu, log_var)
    assert abs(samples.mean() - exact) < 4 * se
    assert V.gaussian_kl(np.zeros((2, 3)), np.zeros((2, 3))) == pytest.approx([0.0, 0.0])


def test_bernoulli_log_likelihood_exact():
    logits, x = np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]])
    expected = math.log(0.5) + math.log(1 - 1 / (1 + math.exp(-2.0)))
    assert V.bernoulli_log_likelihood(logits, x)[0] == pytest.approx(expected, rel=1e-12)


def test_elbo_equals_loglik_at_exact_posterior(ppca):
    """With the true posterior (diagonal here, W's rows are orthogonal) the bound is tight."""
    W, b, s2, X = ppca
    mean, cov = V.ppca_posterior(X, W, b, s2)
    assert np.allclose(cov, np.diag(np.diag(cov)))
    var = np.diag(cov)
    elbo = V.linear_expected_log_likelihood(X, W, b, s2, mean, var) - V.gaussian_kl(
        mean, np.log(np.broadcast_to(var, mean.shape))
    )
    assert np.allclose(elbo, V.ppca_log_likelihood(X, W, b, s2), atol=1e-10)
    # any other q gives a strictly smaller bound
    worse = V.linear_expected_log_likelihood(X, W, b, s2, mean + 0.1, var) - V.gaussian_kl(
        mean + 0.1, np.log(np.broadcast_to(var, mean.shape))
    )
    assert np.all(worse < elbo)


def test_ppca_log_likelihood_against_scipy(ppca):
    from scipy.stats import multivariate_normal

    W, b, s2, X = ppca
    ref = multivariate_normal(b, W.T @ W + s2 * np.eye(5)).logpdf(X[:5])
    assert np.allclose(V.ppca_log_likelihood(X[:5], W, b, s2), ref, atol=1e-10)


def test_ppca_mle_is_a_stationary_maximum(ppca):
    _, _, _, X = ppca
    W, b, s2 = V.ppca_mle(X, 2)
    best = V.ppca_log_likelihood(X, W, b, s2).mean()
    gen = np.random.default_rng(5)
    for _ in range(5):
        dW = 1e-2 * gen.standard_normal(W.shape)
        assert V.ppca_log_likelihood(X, W + dW, b, s2).mean() < best
    assert V.ppca_log_likelihood(X, W, b, s2 * 1.01).mean() < best
    assert V.ppca_log_likelihood(X, W, b, s2 * 0.99).mean() < best


def test_linear_vae_forward_matches_closed_form(ppca):
    W, b, s2, X = ppca
    m = V.LinearVAE(5, 2, rng=0)
    mu = X @ m.V.data + m.c.data
    var = np.exp(m.log_var.data)
    expected = V.linear_expected_log_likelihood(X, m.W.data, m.b.data, m.noise_var, mu, var)
    kl = V.gaussian_kl(mu, np.log(np.broadcast_to(var, mu.shape)))
    assert np.allclose(m.elbo(X), expected - kl, atol=1e-10)


def test_linear_vae_training_reaches_ppca_likelihood(ppca):
    _, _, _, X = ppca
    m = V.LinearVAE(5, 2, rng=0)
    opt = optim.Adam(m.parameters(), learning_rate=2e-2)
    nn.train(m, opt, X, X, n_epochs=400, batch_size=400, rng=0, loss=lambda e, _: -e.mean())
    W, b, s2 = V.ppca_mle(X, 2)
    exact = V.ppca_log_likelihood(X, W, b, s2).mean()
    assert m.elbo(X).mean() <= exact + 1e-9
    assert exact - m.elbo(X).mean() < 0.01


def test_reparameterised_gradient_matches_finite_difference(ppca):
    """Mean of reparameterised gradients = d/dmu of the exact expected log-likelihood."""
    W, b, s2, X = ppca
    x, mu, log_var = X[0], np.array([0.3, -0.2]), np.array([-0.4, 0.2])
    sd = np.exp(0.5 * log_var)
    gen = np.random.default_rng(2)
    eps = gen.standard_normal((100_000, 2))
    z = mu + sd * eps
    grad_z = ((x - z @ W - b) / s2) @ W.T  # d/dz log N(x; zW + b, s2 I)
    se = grad_z.std(0) / math.sqrt(len(z))

    def f(m):
        return V.linear_expected_log_likelihood(x[None], W, b, s2, m[None], np.exp(log_var))[0]

    h = 1e-5
    fd = np.array([(f(mu + h * e) - f(mu - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.all(np.abs(grad_z.mean(0) - fd) < 4 * se)

    # with common random numbers, the finite difference of a many-sample ELBO is the same
    def mc(m):
        zz = m + sd * eps
        r = x - zz @ W - b
        return (-0.5 * (r * r).sum(1) / s2).mean()

    fd_mc = np.array([(mc(mu + h * e) - mc(mu - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.allclose(fd_mc, grad_z.mean(0), atol=1e-5)


def test_score_and_reparam_estimate_the_same_gradient(small_vae):
    model, X = small_vae
    r = V.mu_gradient_samples(model, X[0], 20_000, 0, estimator="reparam")
    s = V.mu_gradient_samples(model, X[0], 20_000, 1, estimator="score")
    se = np.sqrt(r.var(0) / len(r) + s.var(0) / len(s))
    assert np.all(np.abs(r.mean(0) - s.mean(0)) < 4 * se)
    assert np.all(s.var(0) > r.var(0))


def test_reparam_gradient_against_autodiff_finite_difference(small_vae):
    """One sample's reparameterised gradient is the derivative of log p(x|z) at that z."""
    model, X = small_vae
    g = V.mu_gradient_samples(model, X[1], 1, 7)[0]
    gen = np.random.default_rng(7)
    mu, log_var = (t.data.astype(float)[0] for t in model.encode(X[1:2]))
    z = mu + np.exp(0.5 * log_var) * gen.standard_normal((1, 2))[0]

    def f(zz):
        return V.bernoulli_log_likelihood(model.decode(zz[None]).data.astype(float), X[1:2])[0]

    h = 1e-2
    fd = np.array([(f(z + h * e) - f(z - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.allclose(g, fd, rtol=1e-2, atol=1e-2)


def test_iwae_bound_rises_with_k_and_k1_is_the_elbo(small_vae):
    model, X = small_vae
    elbo, rec, kl = V.elbo(model, X, 0, n_samples=400)
    assert np.allclose(elbo, -rec - kl)
    bounds = [V.iwae_bound(model, X, k, 1).mean() for k in (1, 10, 100, 1000)]
    assert bounds[0] == pytest.approx(elbo.mean(), abs=0.15)
    assert all(a < b for a, b in zip(bounds, bounds[1:], strict=False))


def test_iwae_exact_for_linear_gaussian_with_true_posterior(ppca):
    """log w is constant when q is the exact posterior, so every L_k equals log p(x)."""
    W, b, s2, X = ppca
    mean, cov = V.ppca_posterior(X[:3], W, b, s2)
    var = np.diag(cov)
    gen = np.random.default_rng(0)
    z = mean + np.sqrt(var) * gen.standard_normal((5, 3, 2))
    r = X[:3] - z @ W - b
    logw = (
        -0.5 * (r * r).sum(-1) / s2
        - 2.5 * math.log(2 * math.pi * s2)
        - 0.5 * (z * z).sum(-1)
        - math.log(2 * math.pi)
        + 0.5 * (((z - mean) ** 2) / var).sum(-1)
        + 0.5 * np.log(var).sum()
        + math.log(2 * math.pi)
    )
    assert np.allclose(logw, V.ppca_log_likelihood(X[:3], W, b, s2), atol=1e-10)


def test_negative_elbo_loss_is_mean_of_terms():
    model = V.VAE(4, 2, 8, rng=0)
    X = np.array([[0.0, 1.0, 0.5, 1.0], [1.0, 0.0, 0.0, 0.2]])
    logits, mu, log_var = model(X)
    loss = V.negative_elbo_loss((logits, mu, log_var), X).item()
    direct = -(
        V.bernoulli_log_likelihood(logits.data.astype(float), X)
        - V.gaussian_kl(mu.data.astype(float), log_var.data.astype(float))
    ).mean()
    assert loss == pytest.approx(direct, rel=1e-5)


_M = V.VAE(4, 2, 8, rng=0)
_W = np.eye(2, 4)


@pytest.mark.parametrize(
    "call, err",
    [
        (lambda: V.gaussian_kl(np.zeros(2), np.zeros(3)), ValueError),
        (lambda: V.bernoulli_log_likelihood(np.zeros((1, 2)), np.full((1, 2), 2.0)), ValueError),
        (lambda: V.VAE(0, 2, rng=0), ValueError),
        (lambda: V.negative_elbo_loss(np.zeros(2), np.zeros((1, 4))), TypeError),
        (lambda: V.elbo("model", np.zeros((1, 4)), 0), TypeError),
        (lambda: V.iwae_bound(_M, np.zeros((1, 4)), 0, 0), ValueError),
        (lambda: V.mu_gradient_samples(_M, np.zeros(4), 5, 0, estimator="x"), ValueError),
        (lambda: V.mu_gradient_samples(_M, np.zeros(3), 5, 0), ValueError),
        (lambda: V.sample_ppca(_W, np.zeros(4), -1.0, 5, 0), ValueError),
        (lambda: V.ppca_log_likelihood(np.zeros((2, 3)), _W, np.zeros(4), 1.0), ValueError),
        (lambda: V.ppca_mle(np.zeros((5, 4)), 4), ValueError),
        (lambda: V.ppca_posterior(np.zeros((2, 3)), _W, np.zeros(4), 1.0), ValueError),
        (
            lambda: V.linear_expected_log_likelihood(
                np.zeros((2, 4)), _W, np.zeros(4), 1.0, np.zeros((3, 2)), np.ones(2)
            ),
            ValueError,
        ),
        (lambda: V.LinearVAE(5, 0, rng=0), ValueError),
    ],
)
def test_bad_input(call, err):
    with pytest.raises(err):
        call()


def test_elbo_callback_records_the_elbo_at_chosen_epochs(small_vae):
    model, X = small_vae
    callback, record = V.elbo_callback(model, X, (2, 3), rng=4)
    for epoch in (1, 2, 3):
        callback(epoch, 0.0)
    assert sorted(record) == [2, 3]
    assert record[2] == pytest.approx(V.elbo(model, X, 4, n_samples=10)[0].mean())


@pytest.mark.parametrize("epochs", [(0,), ("a",)])
def test_elbo_callback_bad_input(small_vae, epochs):
    with pytest.raises((ValueError, TypeError)):
        V.elbo_callback(small_vae[0], small_vae[1], epochs)
