"""Chapter 07 kernels: the recirculation rule, its relation to the gradient, PCA and STDP."""

from __future__ import annotations

import numpy as np
import pytest
from estimator_contract import Case
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import recirculation as rc
from hinton_utils.core import autodiff as ad
from hinton_utils.core import functional, nn
from hinton_utils.core.estimator import NotFittedError


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _params(n_v=3, n_h=2, seed=0, scale=0.8, tied=False):
    p = rc.init_params(n_v, n_h, rng=seed, scale=scale)
    g = np.random.default_rng(seed + 100)
    p["b_h"] = 0.3 * g.standard_normal(n_h)
    p["b_v"] = 0.3 * g.standard_normal(n_v)
    if tied:
        p["W_hv"] = p["W_vh"].T.copy()
    return p


def _data(n=5, n_v=3, seed=1):
    return np.random.default_rng(seed).random((n, n_v))


_CASE_X = _data(12, 5, seed=2)

# The estimator contract (tests/test_estimators.py runs its checks on these).
ESTIMATOR_CASES = {
    "RecirculationAutoencoder": Case(
        make=lambda rng: rc.RecirculationAutoencoder(
            3, n_epochs=2, batch_size=4, track_alignment=True, rng=rng
        ),
        fit=lambda est: est.fit(_CASE_X),
        score=lambda est: est.score(_CASE_X),
        learned=("coefs_", "intercepts_"),
    ),
    "BackpropAutoencoder": Case(
        make=lambda rng: rc.BackpropAutoencoder(
            3, n_epochs=2, batch_size=4, optimizer="adam", learning_rate=0.01, rng=rng
        ),
        fit=lambda est: est.fit(_CASE_X),
        score=lambda est: est.score(_CASE_X),
        learned=("coefs_", "intercepts_"),
    ),
}


def _flat(d):
    return np.concatenate([d[k].ravel() for k in rc.PARAM_KEYS])


# ------------------------------------------------------------------ the rule itself
@pytest.mark.parametrize("regress_hidden", [True, False])
@pytest.mark.parametrize("visible", ["logistic", "linear"])
def test_update_equals_the_paper_rule_written_out_unit_by_unit(visible, regress_hidden):
    p, X, lam = _params(), _data(), 0.6
    n_v, n_h = p["W_vh"].shape
    f = _sig if visible == "logistic" else (lambda z: z)
    expect = {k: np.zeros_like(v) for k, v in p.items()}
    for x0 in X:
        y1 = np.array(
            [
                _sig(sum(x0[i] * p["W_vh"][i, j] for i in range(n_v)) + p["b_h"][j])
                for j in range(n_h)
            ]
        )
        x2 = np.array(
            [
                lam * x0[i]
                + (1 - lam) * f(sum(y1[j] * p["W_hv"][j, i] for j in range(n_h)) + p["b_v"][i])
                for i in range(n_v)
            ]
        )
        y3 = np.array(
            [
                _sig(sum(x2[i] * p["W_vh"][i, j] for i in range(n_v)) + p["b_h"][j])
                for j in range(n_h)
            ]
        )
        if regress_hidden:
            y3 = lam * y1 + (1 - lam) * y3
        for i in range(n_v):
            for j in range(n_h):
                expect["W_hv"][j, i] += y1[j] * (x0[i] - x2[i])  # pre × (old − new post)
                expect["W_vh"][i, j] += x2[i] * (y1[j] - y3[j])
        expect["b_v"] += x0 - x2
        expect["b_h"] += y1 - y3
    got = rc.recirculation_update(X, p, lam, visible=visible, regress_hidden=regress_hidden)
    for k in rc.PARAM_KEYS:
        np.testing.assert_allclose(got[k], expect[k] / len(X), rtol=1e-12, atol=1e-14)


def test_passes_are_consistent_and_lambda_one_minus_is_the_mixing_weight():
    p, X = _params(), _data()
    s = rc.recirculate(X, p, 0.3)
    np.testing.assert_allclose(s.x2, 0.3 * X + 0.7 * s.reconstruction)
    np.testing.assert_allclose(s.reconstruction, rc.reconstruct(X, p))
    # λ = 0: the second pass sees the plain reconstruction.
    s0 = rc.recirculate(X, p, 0.0)
    np.testing.assert_allclose(s0.x2, s0.reconstruction)


def test_no_update_when_the_reconstruction_is_perfect():
    # Linear visible units with W_hv chosen to reconstruct exactly: nothing to learn.
    p = _params(n_v=2, n_h=2)
    X = _data(4, 2)
    Y = _sig(X @ p["W_vh"] + p["b_h"])
    p["b_v"] = np.zeros(2)
    p["W_hv"] = np.linalg.solve(Y[:2], X[:2])
    u = rc.recirculation_update(X[:2], p, 0.4, visible="linear")
    assert np.abs(_flat(u)).max() < 1e-10


# ------------------------------------------------------------------ the gradient
@pytest.mark.parametrize("visible", ["logistic", "linear"])
def test_reconstruction_gradient_matches_finite_differences(visible):
    p, X = _params(), _data()

    def energy(W_vh, b_h, W_hv, b_v):
        q = {"W_vh": W_vh.data, "b_h": b_h.data, "W_hv": W_hv.data, "b_v": b_v.data}
        return ad.Tensor(np.asarray(0.5 * rc.reconstruction_error(X, q, visible=visible)))

    numeric = functional.numerical_gradient(energy, [p[k] for k in rc.PARAM_KEYS], eps=1e-6)
    analytic = rc.reconstruction_gradient(X, p, visible=visible)
    for k, g in zip(rc.PARAM_KEYS, numeric, strict=True):
        np.testing.assert_allclose(analytic[k], g, rtol=1e-6, atol=1e-9)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), lam=st.floats(0.0, 0.95))
def test_decoder_update_always_points_downhill_for_one_example(seed, lam):
    # For one example ΔW_hv = y eᵀ while −∇ = y (e⊙σ')ᵀ: their inner product is Σ y² e² σ' > 0.
    p, x = _params(seed=seed), _data(1, 3, seed=seed + 1)
    c = rc.update_cosines(x, p, lam)
    assert c["hidden_to_visible"] > 0


def test_symmetric_linear_loop_follows_the_gradient_as_lambda_approaches_one():
    """The paper's restricted case: symmetric weights, linear visible units, λ → 1."""
    p, X = _params(tied=True, n_v=4, n_h=3, seed=3), _data(6, 4)
    cos = {lam: rc.update_cosines(X, p, lam, visible="linear") for lam in (0.0, 0.9, 0.999)}
    assert cos[0.999]["hidden_to_visible"] == pytest.approx(1.0, abs=1e-12)
    assert cos[0.999]["visible_to_hidden"] > 0.9999
    assert cos[0.999]["visible_to_hidden"] > cos[0.0]["visible_to_hidden"]
    # Each layer's step is (1 − λ)·(−∇): without hidden regression the whole update is too.
    plain = rc.update_cosines(X, p, 0.999, visible="linear", regress_hidden=False)
    assert plain["all"] > 0.9999
    u = rc.recirculation_update(X, p, 0.999, visible="linear", regress_hidden=False)
    g = rc.reconstruction_gradient(X, p, visible="linear")
    np.testing.assert_allclose(_flat(u) / 0.001, -_flat(g), rtol=0.02, atol=1e-4)
    # With hidden regression the encoder's step is a further factor (1 − λ) smaller.
    assert cos[0.999]["all"] < plain["all"]


def test_a_small_recirculation_step_reduces_the_finite_difference_error():
    p, X = _params(tied=True, n_v=4, n_h=3, seed=5), _data(8, 4, seed=2)
    lam = 0.9
    u = rc.recirculation_update(X, p, lam)
    # Directional derivative of E along u, by central differences, must be negative.
    eps = 1e-5
    plus = {k: p[k] + eps * u[k] for k in p}
    minus = {k: p[k] - eps * u[k] for k in p}
    slope = (rc.reconstruction_error(X, plus) - rc.reconstruction_error(X, minus)) / (2 * eps)
    grad = rc.reconstruction_gradient(X, p)
    assert slope < 0
    # ... and it equals 2 ∇E·u (reconstruction_error is 2E).
    assert slope == pytest.approx(2 * _flat(grad) @ _flat(u), rel=1e-5)
    step = {k: p[k] + 0.5 * u[k] for k in p}
    assert rc.reconstruction_error(X, step) < rc.reconstruction_error(X, p)


def test_weight_symmetry():
    p = _params(tied=True)
    assert rc.weight_symmetry(p) == pytest.approx(1.0)
    q = dict(p, W_hv=-3.0 * p["W_hv"])
    assert rc.weight_symmetry(q) == pytest.approx(-1.0)


# ------------------------------------------------------------------ training
def test_recirculation_learns_the_4_2_4_encoder():
    X = np.eye(4)
    m = rc.RecirculationAutoencoder(
        2, lam=0.75, learning_rate=10.0, batch_size=4, n_epochs=300, rng=0, init_scale=0.5
    ).fit(X)
    err = np.array(m.history_["train_error"])
    assert err[-1] < 0.1 * err[0]
    R = m.reconstruct(X)
    assert np.array_equal(R > 0.5, X > 0.5)
    codes = m.transform(X)
    assert len({tuple(c) for c in np.round(codes, 1)}) == 4  # four distinct codes


def test_training_is_deterministic_and_tracks_alignment():
    X = _data(30, 6, seed=4)
    kw = dict(lam=0.5, learning_rate=0.5, batch_size=10, n_epochs=5, track_alignment=True)
    a = rc.RecirculationAutoencoder(3, rng=7, **kw).fit(X, X[:5])
    gen = np.random.default_rng(7)
    b = rc.RecirculationAutoencoder(3, rng=gen, **kw).fit(X, X[:5])
    first = {k: v.copy() for k, v in b.params_.items()}
    b.fit(X, X[:5])  # a second fit starts again from the same generator state
    for k in rc.PARAM_KEYS:
        np.testing.assert_array_equal(a.params_[k], b.params_[k])
        np.testing.assert_array_equal(first[k], b.params_[k])
    assert gen.random() == np.random.default_rng(7).random()  # the caller's Generator is untouched
    assert len(a.history_["cosine_all"]) == len(a.history_["test_error"]) == 6
    assert a.history_["train_error"][0] == pytest.approx(
        rc.reconstruction_error(X, rc.init_params(6, 3, rng=7, scale=0.1))
    )
    assert a.score(X[:5]) == pytest.approx(-a.history_["test_error"][-1])


def test_training_applies_the_recirculation_update_batch_by_batch():
    X = _data(8, 4, seed=9)
    m = rc.RecirculationAutoencoder(
        2, lam=0.3, learning_rate=0.7, batch_size=3, n_epochs=2, rng=5, visible="linear"
    ).fit(X)
    gen = np.random.default_rng(5)
    p = rc.init_params(4, 2, rng=gen, scale=0.1)
    for _ in range(2):
        for rows in nn.minibatches(8, 3, gen):
            u = rc.recirculation_update(X[rows], p, 0.3, visible="linear")
            p = {k: p[k] + 0.7 * u[k] for k in rc.PARAM_KEYS}
    for k in rc.PARAM_KEYS:
        np.testing.assert_allclose(m.params_[k], p[k], rtol=1e-12, atol=1e-14)


def test_backprop_autoencoder_takes_exact_gradient_steps():
    X = _data(4, 5, seed=6)
    lr = 0.3
    m = rc.BackpropAutoencoder(
        3, learning_rate=lr, batch_size=4, n_epochs=1, rng=2, init_scale=0.5
    ).fit(X)
    p0 = rc.init_params(5, 3, rng=2, scale=0.5)  # the same draws as the network's layers
    g = rc.reconstruction_gradient(X, p0)
    for k in rc.PARAM_KEYS:  # one full-batch SGD step: p1 = p0 − lr ∇E
        np.testing.assert_allclose(m.params_[k], p0[k] - lr * g[k], rtol=1e-10, atol=1e-12)
    assert isinstance(m.network_, nn.Sequential)
    np.testing.assert_allclose(m.network_(ad.Tensor.constant(X)).data, m.reconstruct(X), rtol=1e-12)
    assert m.history_["train_error"][-1] == pytest.approx(-m.score(X))


def test_backprop_momentum_is_the_shared_momentum_step():
    X = _data(4, 5, seed=6)
    kw = dict(learning_rate=0.3, batch_size=4, n_epochs=2, rng=2, init_scale=0.5)
    m = rc.BackpropAutoencoder(3, momentum=0.9, **kw).fit(X)
    p = rc.init_params(5, 3, rng=2, scale=0.5)
    v = {k: np.zeros_like(p[k]) for k in rc.PARAM_KEYS}
    for _ in range(2):  # v ← μ v − lr ∇E,  p ← p + v
        g = rc.reconstruction_gradient(X, p)
        for k in rc.PARAM_KEYS:
            v[k] = 0.9 * v[k] - 0.3 * g[k]
            p[k] = p[k] + v[k]
    for k in rc.PARAM_KEYS:
        np.testing.assert_allclose(m.params_[k], p[k], rtol=1e-10, atol=1e-12)


def test_transform_accepts_probabilities_and_score_is_the_negative_error():
    X = _data(10, 4, seed=3)
    m = rc.RecirculationAutoencoder(2, n_epochs=3, rng=0).fit(X)
    codes = m.transform(X)
    assert codes.shape == (10, 2) and np.all((codes > 0) & (codes < 1))
    before = {k: v.copy() for k, v in m.params_.items()}
    assert m.score(X) == -rc.reconstruction_error(X, m.params_)
    for k in rc.PARAM_KEYS:
        np.testing.assert_array_equal(before[k], m.params_[k])


@pytest.mark.parametrize("cls", [rc.RecirculationAutoencoder, rc.BackpropAutoencoder])
def test_unfitted_model_refuses_to_score(cls):
    with pytest.raises(NotFittedError, match="fit"):
        cls(2, rng=0).score(np.eye(4))
    with pytest.raises(NotFittedError, match="fit"):
        cls(2, rng=0).transform(np.eye(4))


# ------------------------------------------------------------------ PCA
def test_pca_reconstruction_error_is_the_sum_of_discarded_eigenvalues():
    X = np.random.default_rng(3).random((50, 6)) @ np.diag([3, 2, 1, 0.5, 0.2, 0.1])
    C = np.cov(X.T, bias=True)
    eig = np.sort(np.linalg.eigvalsh(C))[::-1]
    for k in range(7):
        R = rc.pca_reconstruct(X, X, k)
        err = ((X - R) ** 2).sum(axis=1).mean()
        assert err == pytest.approx(eig[k:].sum(), abs=1e-10)
    np.testing.assert_allclose(rc.pca_reconstruct(X, X[:3], 0), np.tile(X.mean(0), (3, 1)))


# ------------------------------------------------------------------ STDP
def test_spike_trace():
    t = np.array([-1.0, 0.0, 10.0])
    np.testing.assert_allclose(rc.spike_trace(t, 0.0, 10.0), [0.0, 1.0, np.exp(-1.0)])


@settings(max_examples=25, deadline=None)
@given(m=st.integers(-600, 600))
def test_timing_window_is_antisymmetric(m):
    dt = 0.25
    d = np.array([m * dt, -m * dt])
    w = rc.timing_window(d, tau=15.0, dt=dt)
    assert w[0] == pytest.approx(-w[1], abs=1e-9)


def test_timing_window_matches_the_closed_form_and_recirculation_is_its_mirror():
    d = np.array([-80.0, -20.0, -5.0, -0.3, 0.0, 0.3, 5.0, 20.0, 80.0])
    w = rc.timing_window(d, tau=20.0, dt=0.05)
    exact = rc.stdp_closed_form(d, tau=20.0)
    np.testing.assert_allclose(w, exact, atol=2e-3)
    assert w[-3] > 0 > w[2]  # potentiation when post follows pre, depression otherwise
    assert exact[d > 0] == pytest.approx(0.5 * np.exp(-d[d > 0] / 20.0))
    np.testing.assert_allclose(rc.timing_window(d, tau=20.0, dt=0.05, rule="recirculation"), -w)
    # Halving the step halves the discretisation error (first order).
    e1 = np.abs(rc.timing_window(d, tau=20.0, dt=0.2) - exact).max()
    e2 = np.abs(rc.timing_window(d, tau=20.0, dt=0.1) - exact).max()
    assert 1.6 < e1 / e2 < 2.4


# ------------------------------------------------------------------ bad input
GOOD_P = _params()
GOOD_X = _data()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: rc.init_params(0, 2, rng=0), "n_visible"),
        (lambda: rc.init_params(3, 2, rng=None), "rng"),
        (lambda: rc.init_params(3, 2, rng=0, scale=-1.0), "scale"),
        (lambda: rc.recirculate(GOOD_X, GOOD_P, 1.0), "lam"),
        (lambda: rc.recirculate(GOOD_X[:, :2], GOOD_P, 0.5), "X"),
        (lambda: rc.recirculate(GOOD_X, {"W_vh": GOOD_P["W_vh"]}, 0.5), "params"),
        (lambda: rc.recirculate(GOOD_X, dict(GOOD_P, b_v=np.zeros(5)), 0.5), "b_v"),
        (lambda: rc.recirculate(GOOD_X, GOOD_P, 0.5, visible="tanh"), "visible"),
        (lambda: rc.recirculate(GOOD_X, GOOD_P, 0.5, regress_hidden=1), "regress_hidden"),
        (lambda: rc.recirculation_update(GOOD_X, GOOD_P, -0.1), "lam"),
        (lambda: rc.recirculation_update(np.full((2, 3), np.nan), GOOD_P, 0.5), "X"),
        (lambda: rc.reconstruct(GOOD_X[0], GOOD_P), "X"),
        (lambda: rc.reconstruction_error(GOOD_X, GOOD_P, visible="relu"), "visible"),
        (lambda: rc.reconstruction_gradient(GOOD_X, dict(GOOD_P, W_hv=GOOD_P["W_vh"])), "W_hv"),
        (lambda: rc.update_cosines(GOOD_X, GOOD_P, 2.0), "lam"),
        (lambda: rc.weight_symmetry([1, 2]), "params"),
        (lambda: rc.RecirculationAutoencoder(0, rng=0), "n_hidden"),
        (lambda: rc.RecirculationAutoencoder(2, lam=1.5, rng=0), "lam"),
        (lambda: rc.RecirculationAutoencoder(2, learning_rate=0.0, rng=0), "learning_rate"),
        (lambda: rc.RecirculationAutoencoder(2, track_alignment=1, rng=0), "track_alignment"),
        (lambda: rc.RecirculationAutoencoder(2, rng=None), "rng"),
        (lambda: rc.RecirculationAutoencoder(2, rng=0).fit(GOOD_X, GOOD_X[:, :2]), "X_test"),
        (lambda: rc.BackpropAutoencoder(2, batch_size=0, rng=0), "batch_size"),
        (lambda: rc.BackpropAutoencoder(2, optimizer="lbfgs", rng=0), "optimizer"),
        (lambda: rc.BackpropAutoencoder(2, momentum=1.0, rng=0), "momentum"),
        (lambda: rc.BackpropAutoencoder(2, optimizer="adam", momentum=0.5, rng=0), "momentum"),
        (lambda: rc.BackpropAutoencoder(2, init_scale=0.0, rng=0), "init_scale"),
        (lambda: rc.BackpropAutoencoder(2, rng=0).fit("digits"), "X"),
        (lambda: rc.pca_reconstruct(GOOD_X, GOOD_X, 4), "n_components"),
        (lambda: rc.pca_reconstruct(GOOD_X, GOOD_X[:, :2], 1), "X"),
        (lambda: rc.spike_trace(np.zeros((2, 2)), 0.0, 1.0), "t"),
        (lambda: rc.spike_trace(np.zeros(2), 0.0, 0.0), "tau"),
        (lambda: rc.timing_window(np.array([1.0]), dt=0.0), "dt"),
        (lambda: rc.timing_window(np.array([1.0]), rule="hebb"), "rule"),
        (lambda: rc.timing_window(np.array([np.inf])), "delta_t"),
        (lambda: rc.stdp_closed_form(np.array([1.0]), tau=-2.0), "tau"),
        (lambda: rc.stdp_closed_form(5.0), "delta_t"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda: rc.init_params(3, 2, rng=-1),
        lambda: rc.RecirculationAutoencoder(2, rng=-1),
        lambda: rc.BackpropAutoencoder(2, rng=-1),
    ],
)
def test_a_negative_seed_is_refused_naming_rng(call):
    with pytest.raises(ValueError, match="rng"):
        call()
