"""Chapter 08 kernels: free energy and EM, bits-back coding, Gaussian weight posteriors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from estimator_contract import Case
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

from hinton_utils import variational as V
from hinton_utils.core.estimator import NotFittedError


def _mixture_data(seed: int, n: int = 300) -> np.ndarray:
    g = np.random.default_rng(seed)
    comp = g.choice(3, n, p=[0.3, 0.4, 0.3])
    return np.array([-2.0, 0.5, 3.0])[comp] + np.array([0.7, 1.0, 0.5])[comp] * g.standard_normal(n)


def _random_params(seed: int, k: int = 3) -> V.MixtureParams:
    g = np.random.default_rng(seed)
    w = g.random(k) + 0.1
    return V.MixtureParams(w / w.sum(), 3 * g.standard_normal(k), 0.3 + g.random(k))


# --- free energy and EM -----------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_free_energy_equals_log_likelihood_after_an_exact_e_step(seed):
    x, params = _mixture_data(seed, 50), _random_params(seed)
    resp = V.posterior(x, params)
    # Brute-force log-likelihood, component by component.
    dens = sum(
        w * np.exp(-0.5 * (x - m) ** 2 / v) / np.sqrt(2 * np.pi * v)
        for w, m, v in zip(params.weights, params.means, params.variances)
    )
    assert V.log_likelihood(x, params) == pytest.approx(np.log(dens).sum(), rel=1e-12)
    assert V.free_energy(x, resp, params) == pytest.approx(np.log(dens).sum(), rel=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_free_energy_is_log_likelihood_minus_kl_for_any_q(seed):
    x, params = _mixture_data(seed, 40), _random_params(seed + 10)
    g = np.random.default_rng(seed)
    q = g.dirichlet(np.ones(3), size=len(x))
    post = V.posterior(x, params)
    kl = float((q * np.log(q / post)).sum())
    assert kl > 0
    F = V.free_energy(x, q, params)
    assert F == pytest.approx(V.log_likelihood(x, params) - kl, rel=1e-10)
    # A q with exact zeros is allowed (0 log 0 = 0).
    hard = np.eye(3)[np.argmax(post, axis=1)]
    assert np.isfinite(V.free_energy(x, hard, params))


def test_m_step_maximises_free_energy_over_theta():
    x = _mixture_data(3, 200)
    resp = V.posterior(x, _random_params(3))
    best = V.m_step(V.sufficient_statistics(x, resp))
    F_best = V.free_energy(x, resp, best)
    g = np.random.default_rng(0)
    for _ in range(20):
        w = np.abs(best.weights + 0.02 * g.standard_normal(3))
        other = V.MixtureParams(
            w / w.sum(),
            best.means + 0.05 * g.standard_normal(3),
            best.variances * np.exp(0.05 * g.standard_normal(3)),
        )
        assert V.free_energy(x, resp, other) < F_best


def test_sufficient_statistics_add_up_over_blocks():
    x = _mixture_data(4, 100)
    resp = V.posterior(x, _random_params(4))
    whole = V.sufficient_statistics(x, resp)
    parts = V.sufficient_statistics(x[:37], resp[:37]) + V.sufficient_statistics(x[37:], resp[37:])
    np.testing.assert_allclose(whole, parts, rtol=1e-12)
    np.testing.assert_allclose(whole[:, 0].sum(), len(x))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_batch_em_never_decreases_free_energy(seed):
    x = _mixture_data(seed, 200)
    hist = V.batch_em(x, V.init_mixture(x, 3, rng=seed), n_epochs=15)
    F = np.array(hist.free_energy)
    assert np.all(np.diff(F) >= -1e-9 * np.abs(F[:-1]))
    # After each full E-step F is the log-likelihood of the current θ.
    np.testing.assert_allclose(F[0::2], hist.log_likelihood[:-1], rtol=1e-12)
    assert np.all(np.diff(hist.log_likelihood) >= -1e-9 * np.abs(hist.log_likelihood[0]))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), n_blocks=st.integers(2, 12))
def test_incremental_em_never_decreases_free_energy(seed, n_blocks):
    x = _mixture_data(seed, 150)
    hist = V.incremental_em(x, V.init_mixture(x, 3, rng=seed), 6, n_blocks, rng=seed)
    F = np.array(hist.free_energy)
    assert len(F) == 2 + 5 * 2 * n_blocks
    assert np.all(np.diff(F) >= -1e-9 * np.abs(F[:-1]))
    # F is a lower bound on the log-likelihood at the end of each pass.
    ends = F[1 :: 2 * n_blocks][: len(hist.log_likelihood) - 1]
    assert np.all(ends <= np.array(hist.log_likelihood[1:]) + 1e-8)


def test_incremental_em_with_one_block_is_batch_em():
    x = _mixture_data(5)
    p0 = V.init_mixture(x, 3, rng=5)
    inc, bat = V.incremental_em(x, p0, 8, 1, rng=0), V.batch_em(x, p0, 8)
    np.testing.assert_allclose(inc.log_likelihood, bat.log_likelihood, rtol=1e-10)


def test_mixture_density_integrates_to_one():
    params = _random_params(7)
    grid = np.linspace(-30, 30, 60001)
    assert np.trapezoid(V.mixture_density(grid, params), grid) == pytest.approx(1.0, abs=1e-6)


# --- bits-back ----------------------------------------------------------------


def test_bits_back_numbers_from_the_lecture():
    assert V.expected_net_cost([10, 10], [0.5, 0.5]) == pytest.approx(9.0)
    q = V.code_distribution([10, 11])
    np.testing.assert_allclose(q, [2 / 3, 1 / 3])
    assert V.expected_net_cost([10, 11], q) == pytest.approx(-math.log2(2**-10 + 2**-11))
    assert V.optimal_net_cost([10, 11]) == pytest.approx(9.415037, abs=1e-6)
    assert V.expected_net_cost([10, 11], [1.0, 0.0]) == pytest.approx(10.0)
    assert V.expected_net_cost([10, 11], [0.5, 0.5]) == pytest.approx(9.5)


@settings(max_examples=30, deadline=None)
@given(
    costs=st.lists(st.floats(0, 30), min_size=1, max_size=6),
    logits=st.lists(st.floats(-5, 5), min_size=6, max_size=6),
)
def test_net_cost_is_optimum_plus_kl_to_the_boltzmann_distribution(costs, logits):
    costs = np.array(costs)
    q = np.exp(logits[: len(costs)])
    q /= q.sum()
    star = V.code_distribution(costs)
    kl_bits = float((q * np.log2(q / star)).sum())
    direct = float((q * costs).sum() + (q * np.log2(q)).sum())
    assert V.expected_net_cost(costs, q) == pytest.approx(direct, abs=1e-9)
    assert V.expected_net_cost(costs, q) == pytest.approx(
        V.optimal_net_cost(costs) + kl_bits, abs=1e-8
    )
    assert V.expected_net_cost(costs, star) == pytest.approx(V.optimal_net_cost(costs), abs=1e-9)


def test_temperature_interpolates_between_cheapest_and_uniform():
    costs = [10.0, 11.0, 13.0]
    np.testing.assert_allclose(V.code_distribution(costs, 1e-3), [1, 0, 0], atol=1e-12)
    np.testing.assert_allclose(V.code_distribution(costs, 1e6), [1 / 3] * 3, atol=1e-5)
    temps = [0.3, 0.6, 1.0, 1.5, 3.0]
    costs_t = [V.expected_net_cost(costs, V.code_distribution(costs, t)) for t in temps]
    assert min(costs_t) == pytest.approx(costs_t[2])


@pytest.mark.parametrize("q", [[0.5, 0.5], [0.25] * 4, [0.5, 0.25, 0.125, 0.125]])
def test_dyadic_choices_carry_exactly_their_entropy(q):
    msg = np.random.default_rng(1).integers(0, 2, 400)
    choices, read = V.hide_message(msg, q, 100, rng=0)
    recovered = V.recover_message(choices, q)
    ideal = float(-np.log2(np.array(q))[choices].sum())
    assert len(recovered) == read == ideal
    np.testing.assert_array_equal(recovered, msg[: len(recovered)])


def test_hidden_message_survives_and_choices_follow_q():
    g = np.random.default_rng(2)
    msg = g.integers(0, 2, 4000)
    q = V.code_distribution([10, 11])
    choices, read = V.hide_message(msg, q, 3000, rng=0)
    recovered = V.recover_message(choices, q)
    n = min(len(recovered), len(msg))
    np.testing.assert_array_equal(recovered[:n], msg[:n])
    ideal = float(-np.log2(q)[choices].sum())
    assert ideal - 30 <= len(recovered) <= read <= ideal + 30
    # Driven by random bits, the choices are draws from q (3 standard errors).
    frac = np.mean(choices == 0)
    assert abs(frac - 2 / 3) < 3 * math.sqrt(2 / 9 / 3000)


def test_padding_is_used_when_the_message_runs_out():
    msg = np.array([1, 0, 1])
    choices, read = V.hide_message(msg, [0.5, 0.5], 20, rng=3)
    assert read == 20
    np.testing.assert_array_equal(V.recover_message(choices, [0.5, 0.5])[:3], msg)


# --- Gaussian weight posteriors (Hinton & van Camp) ---------------------------


def test_gaussian_kl_matches_numerical_integration():
    mu, var, prior_var = np.array([0.7, -1.2]), np.array([0.3, 2.0]), 1.5

    def kl_1d(m, v):
        def f(w):
            q = math.exp(-0.5 * (w - m) ** 2 / v) / math.sqrt(2 * math.pi * v)
            p = math.exp(-0.5 * w**2 / prior_var) / math.sqrt(2 * math.pi * prior_var)
            return q * math.log(q / p) if q > 0 else 0.0

        return integrate.quad(f, m - 12 * math.sqrt(v), m + 12 * math.sqrt(v))[0]

    expected = kl_1d(0.7, 0.3) + kl_1d(-1.2, 2.0)
    assert V.gaussian_kl(mu, var, prior_var) == pytest.approx(expected, rel=1e-7)
    assert V.gaussian_kl(np.zeros(3), np.full(3, prior_var), prior_var) == pytest.approx(
        0, abs=1e-14
    )


def test_expected_misfit_matches_monte_carlo():
    g = np.random.default_rng(0)
    Phi, y = g.standard_normal((15, 3)), g.standard_normal(15)
    mu, var = g.standard_normal(3), 0.1 + g.random(3)
    w = mu + np.sqrt(var) * g.standard_normal((200_000, 3))
    mc = np.mean(((y[None, :] - w @ Phi.T) ** 2).sum(1))
    assert V.expected_sq_misfit(Phi, y, mu, var) == pytest.approx(mc, rel=5e-3)


def _regression(seed: int, orthogonal: bool = False):
    g = np.random.default_rng(seed)
    x = g.uniform(-1, 1, 20)
    Phi = V.polynomial_features(x, 3)
    if orthogonal:
        Phi = np.linalg.qr(Phi)[0] * 3.0
    y = Phi @ np.array([0.3, 0.8, 0.0, -0.5]) + 0.2 * g.standard_normal(20)
    return Phi, y


_CASE_PHI, _CASE_Y = _regression(0)

# The estimator contract (tests/test_estimators.py runs its checks on these).
ESTIMATOR_CASES = {
    "VariationalLinearRegression": Case(
        make=lambda rng: V.VariationalLinearRegression(
            0.04, 1.0, n_epochs=20, method="reparam", n_samples=2, rng=rng
        ),
        fit=lambda est: est.fit(_CASE_PHI, _CASE_Y),
        score=lambda est: est.score(_CASE_PHI, _CASE_Y),
        learned=("mu_", "var_"),
    ),
}


def test_score_is_the_negative_description_length_and_bounds_the_evidence():
    Phi, y = _regression(6)
    model = V.VariationalLinearRegression(0.04, 1.0, n_epochs=500).fit(Phi, y)
    assert model.score(Phi, y) == -sum(model.description_length(Phi, y))
    _, _, evidence = V.exact_posterior(Phi, y, 0.04, 1.0)
    assert model.score(Phi, y) <= evidence / math.log(2)
    assert model.history_[-1] == pytest.approx(-model.score(Phi, y))


def test_closed_form_fit_is_adam_on_mean_and_log_variance():
    Phi, y = _regression(7)
    s2, p2, lr, n = 0.04, 1.0, 0.05, 30
    model = V.VariationalLinearRegression(s2, p2, learning_rate=lr, n_epochs=n).fit(Phi, y)
    d = Phi.shape[1]
    w = np.concatenate([np.zeros(d), np.full(d, np.log(p2))])
    m1, m2 = np.zeros(2 * d), np.zeros(2 * d)
    for t in range(1, n + 1):  # Adam, β = (0.9, 0.99), the step size decaying linearly to 0
        mu, v = w[:d], np.exp(w[d:])
        g_mu = mu / p2 + Phi.T @ (Phi @ mu - y) / s2
        g_v = 0.5 / p2 - 0.5 / v + 0.5 * (Phi * Phi).sum(0) / s2
        g = np.concatenate([g_mu, g_v * v])
        m1 = 0.9 * m1 + 0.1 * g
        m2 = 0.99 * m2 + 0.01 * g * g
        step = lr * (1 - (t - 1) / n) * (m1 / (1 - 0.9**t)) / (np.sqrt(m2 / (1 - 0.99**t)) + 1e-8)
        w = w - step
    np.testing.assert_allclose(model.mu_, w[:d], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(model.var_, np.exp(w[d:]), rtol=1e-10)


def test_exact_posterior_satisfies_bayes_rule_at_any_weights():
    Phi, y = _regression(1)
    s2, p2 = 0.04, 2.0
    m, S, evidence = V.exact_posterior(Phi, y, s2, p2)
    g = np.random.default_rng(0)
    for w in g.standard_normal((3, 4)):
        loglik = -0.5 * np.sum((y - Phi @ w) ** 2) / s2 - 0.5 * len(y) * np.log(2 * np.pi * s2)
        logprior = -0.5 * w @ w / p2 - 0.5 * 4 * np.log(2 * np.pi * p2)
        d = w - m
        logpost = -0.5 * d @ np.linalg.solve(S, d) - 0.5 * np.linalg.slogdet(2 * np.pi * S)[1]
        assert loglik + logprior - logpost == pytest.approx(evidence, rel=1e-9)


def test_variational_optimum_has_the_exact_posterior_mean():
    Phi, y = _regression(2)
    s2, p2 = 0.04, 1.0
    m, S, evidence = V.exact_posterior(Phi, y, s2, p2)
    model = V.VariationalLinearRegression(s2, p2, learning_rate=0.05, n_epochs=2000).fit(Phi, y)
    np.testing.assert_allclose(model.mu_, m, atol=1e-6)
    # Mean-field variances are 1 / diag(precision): smaller than the true marginals.
    np.testing.assert_allclose(model.var_, 1 / np.diag(np.linalg.inv(S)), rtol=1e-4)
    assert np.all(model.var_ < np.diag(S))
    # The description length is an upper bound on -log2 evidence.
    assert sum(model.description_length(Phi, y)) > -evidence / math.log(2) + 0.1
    hist = np.array(model.history_)
    assert hist[-1] <= hist[0] and hist[-1] == pytest.approx(hist[-100:].min(), abs=1e-9)


def test_orthogonal_design_makes_the_factorised_posterior_exact():
    Phi, y = _regression(3, orthogonal=True)
    s2, p2 = 0.04, 1.0
    m, S, evidence = V.exact_posterior(Phi, y, s2, p2)
    assert np.allclose(S, np.diag(np.diag(S)))
    model = V.VariationalLinearRegression(s2, p2, learning_rate=0.05, n_epochs=2000).fit(Phi, y)
    np.testing.assert_allclose(model.mu_, m, atol=1e-6)
    np.testing.assert_allclose(model.var_, np.diag(S), rtol=1e-4)
    # No factorisation gap: description length in bits = -log2 p(y).
    assert sum(model.description_length(Phi, y)) == pytest.approx(-evidence / math.log(2), abs=1e-4)


def test_reparameterised_training_lands_near_the_closed_form_optimum():
    Phi, y = _regression(4)
    s2, p2 = 0.04, 1.0
    m, S, _ = V.exact_posterior(Phi, y, s2, p2)
    model = V.VariationalLinearRegression(
        s2, p2, learning_rate=0.05, n_epochs=1500, method="reparam", n_samples=16, rng=0
    ).fit(Phi, y)
    np.testing.assert_allclose(model.mu_, m, atol=0.02)
    np.testing.assert_allclose(model.var_, 1 / np.diag(np.linalg.inv(S)), rtol=0.15)


def test_predictive_uncertainty_grows_away_from_the_data():
    Phi, y = _regression(5)
    model = V.VariationalLinearRegression(0.04, 1.0, learning_rate=0.05, n_epochs=1000).fit(Phi, y)
    grid = np.array([0.0, 1.5, 3.0])
    _, sd = model.predict(V.polynomial_features(grid, 3))
    assert sd[0] < sd[1] < sd[2]
    _, sd_noisy = model.predict(V.polynomial_features(grid, 3), include_noise=True)
    np.testing.assert_allclose(sd_noisy**2, sd**2 + 0.04)


# --- bad input --------------------------------------------------------------

X = _mixture_data(0, 20)
P = _random_params(0)
R = V.posterior(X, P)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: V.MixtureParams([0.5, 0.6], [0, 1], [1, 1]), "weights"),
        (lambda: V.MixtureParams([0.5, 0.5], [0, 1], [1, -1]), "variances"),
        (lambda: V.MixtureParams([0.5, 0.5], [0, 1, 2], [1, 1]), "means"),
        (lambda: V.mixture_log_joint(X[:, None], P), "x"),
        (lambda: V.mixture_log_joint(X, "params"), "params"),
        (lambda: V.log_likelihood([np.nan], P), "x"),
        (lambda: V.mixture_density("a", P), "x"),
        (lambda: V.posterior(X, None), "params"),
        (lambda: V.free_energy(X, R[:, :2], P), "resp"),
        (lambda: V.free_energy(X, R * 2, P), "resp"),
        (lambda: V.sufficient_statistics(X, R[:5]), "resp"),
        (lambda: V.m_step(np.ones((3, 2))), "stats"),
        (lambda: V.m_step(np.ones((3, 3)), min_var=0), "min_var"),
        (lambda: V.init_mixture(X, 0, rng=0), "n_components"),
        (lambda: V.init_mixture(X, 2, rng=None), "rng"),
        (lambda: V.batch_em(X, P, 0), "n_epochs"),
        (lambda: V.incremental_em(X, P, 0, 2, rng=0), "n_epochs"),
        (lambda: V.incremental_em(X, P, 2, 0, rng=0), "n_blocks"),
        (lambda: V.incremental_em(X, P, 2, 2, rng="seed"), "rng"),
        (lambda: V.code_distribution([10, -1]), "costs"),
        (lambda: V.code_distribution([10, 11], temperature=0), "temperature"),
        (lambda: V.expected_net_cost([10, 11], [0.5, 0.6]), "q"),
        (lambda: V.expected_net_cost([10, 11], [1.0]), "q"),
        (lambda: V.optimal_net_cost([[10, 11]]), "costs"),
        (lambda: V.hide_message([0, 2], [0.5, 0.5], 3, rng=0), "message"),
        (lambda: V.hide_message([0, 1], [0.5, 0.5], 0, rng=0), "n_choices"),
        (lambda: V.hide_message([0, 1], [0.5, 0.5], 3, rng=0, precision=0), "precision"),
        (lambda: V.recover_message([0.5, 1.0], [0.5, 0.5]), "choices"),
        (lambda: V.recover_message([0, 2], [0.5, 0.5]), "choices"),
        (lambda: V.polynomial_features(np.ones(3), -1), "degree"),
        (lambda: V.gaussian_kl([0.0], [0.0], 1.0), "var"),
        (lambda: V.gaussian_kl([0.0], [1.0], -1.0), "prior_var"),
        (lambda: V.expected_sq_misfit(np.ones((3, 2)), np.ones(4), [0, 0], [1, 1]), "y"),
        (lambda: V.expected_sq_misfit(np.ones((3, 2)), np.ones(3), [0], [1, 1]), "mu"),
        (
            lambda: V.description_length(np.ones((3, 2)), np.ones(3), [0, 0], [1, 1], 0, 1),
            "noise_var",
        ),
        (lambda: V.exact_posterior(np.ones(3), np.ones(3), 1, 1), "Phi"),
        (lambda: V.VariationalLinearRegression(method="sgd"), "method"),
        (lambda: V.VariationalLinearRegression(n_epochs=0), "n_epochs"),
        (lambda: V.VariationalLinearRegression(learning_rate=-1.0), "learning_rate"),
        (lambda: V.VariationalLinearRegression(noise_var=0.0), "noise_var"),
        (lambda: V.VariationalLinearRegression(n_samples=0), "n_samples"),
        (lambda: V.VariationalLinearRegression(rng=None), "rng"),
        (lambda: V.VariationalLinearRegression().predict(np.ones((2, 2))), "fit"),
        (lambda: V.VariationalLinearRegression(n_epochs=2).fit(np.ones((3, 2)), [1, 2]), "y"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(call, match):
    with pytest.raises((ValueError, TypeError, RuntimeError), match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: V.init_mixture(X, 2, rng=-1),
        lambda: V.incremental_em(X, P, 2, 2, rng=-1),
        lambda: V.hide_message([0, 1], [0.5, 0.5], 3, rng=-1),
        lambda: V.VariationalLinearRegression(rng=-1),
    ],
)
def test_a_negative_seed_is_refused_naming_rng(call):
    with pytest.raises(ValueError, match="rng"):
        call()


def test_unfitted_regression_raises_not_fitted():
    with pytest.raises(NotFittedError, match="not fitted"):
        V.VariationalLinearRegression().score(np.ones((2, 2)), np.ones(2))
