"""Chapter 10 kernels: exact RBM quantities, CD-k, PCD and AIS (Netflix: test_netflix.py)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from estimator_contract import Case
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import data, rbm
from hinton_utils.core import backend as B
from hinton_utils.core.estimator import NotFittedError

X_CASE = data.bars_and_stripes(3)
#: The estimators this module owns, for the shared contract test (tests/test_estimators.py).
ESTIMATOR_CASES = {
    name: Case(
        make=lambda rng, kw=kw: rbm.RBM(4, n_epochs=2, batch_size=7, rng=rng, **kw),
        fit=lambda est: est.fit(X_CASE),
        score=lambda est: est.score(X_CASE),
        learned=("W_", "b_", "c_", "chain_"),
    )
    for name, kw in {
        "RBM": {},
        "RBM-pcd-reference": {"method": "pcd", "fast": False, "dtype": "float64"},
        "RBM-exact-momentum": {"method": "exact", "momentum": 0.5},
    }.items()
}


def random_rbm(V: int, H: int, seed: int, scale: float = 1.0):
    g = np.random.default_rng(seed)
    return scale * g.standard_normal((V, H)), g.standard_normal(V), g.standard_normal(H)


def brute_force_free_energy(x, W, b, c):
    hs = np.array(list(itertools.product((0.0, 1.0), repeat=W.shape[1])))
    neg_e = x @ b + hs @ c + hs @ (W.T @ x)
    return -np.logaddexp.reduce(neg_e)


# ----------------------------------------------------------------------------- exact quantities


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 7), st.integers(1, 7), st.integers(0, 10_000))
def test_log_partition_both_sides_agree_with_brute_force(V, H, seed):
    W, b, c = random_rbm(V, H, seed)
    brute = rbm.log_partition_brute_force(W, b, c)
    assert rbm.log_partition(W, b, c, "visible") == pytest.approx(brute, abs=1e-10)
    assert rbm.log_partition(W, b, c, "hidden") == pytest.approx(brute, abs=1e-10)


def test_log_partition_of_a_model_without_weights_is_a_sum_of_softplus():
    b, c = np.array([0.3, -1.0, 2.0]), np.array([0.5, -0.2])
    expected = np.logaddexp(0, b).sum() + np.logaddexp(0, c).sum()
    assert rbm.log_partition(np.zeros((3, 2)), b, c) == pytest.approx(expected, abs=1e-12)


def test_free_energy_identity_and_energy():
    W, b, c = random_rbm(6, 5, 1)
    X = np.array(list(itertools.product((0.0, 1.0), repeat=6)))
    F = rbm.free_energy(X, W, b, c)
    brute = np.array([brute_force_free_energy(x, W, b, c) for x in X])
    np.testing.assert_allclose(F, brute, atol=1e-12)
    # exp(-F) summed over all visible states is Z
    assert np.logaddexp.reduce(-F) == pytest.approx(rbm.log_partition(W, b, c), abs=1e-12)
    # energy by hand
    h = np.array([[1.0, 0, 1, 0, 1]])
    e = rbm.energy(X[5:6], h, W, b, c)
    assert e[0] == pytest.approx(-(X[5] @ b) - h[0] @ c - X[5] @ W @ h[0])


def test_free_energy_with_huge_inputs_does_not_overflow():
    W = np.full((3, 2), 400.0)
    F = rbm.free_energy(np.ones((1, 3)), W, np.zeros(3), np.zeros(2))
    assert np.isfinite(F).all() and F[0] == pytest.approx(-2400.0)


def test_log_likelihood_is_a_proper_distribution():
    W, b, c = random_rbm(5, 4, 2)
    X = np.array(list(itertools.product((0.0, 1.0), repeat=5)))
    logp = np.array([rbm.log_likelihood(x[None], W, b, c) for x in X])
    assert np.exp(logp).sum() == pytest.approx(1.0, abs=1e-12)


def test_exact_gradient_matches_finite_differences():
    W, b, c = random_rbm(4, 3, 3, scale=0.7)
    X = (np.random.default_rng(4).random((7, 4)) < 0.5).astype(float)
    gW, gb, gc = rbm.exact_gradient(X, W, b, c)
    eps = 1e-6
    for arr, grad in ((W, gW), (b, gb), (c, gc)):
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = rbm.log_likelihood(X, W, b, c)
            arr[idx] = old - eps
            down = rbm.log_likelihood(X, W, b, c)
            arr[idx] = old
            num[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, num, atol=1e-7)


def test_gibbs_transition_matrix_is_stochastic_and_keeps_p_v_stationary():
    W, b, c = random_rbm(5, 4, 5)
    T = rbm.gibbs_transition_matrix(W, b, c)
    np.testing.assert_allclose(T.sum(axis=1), 1.0, atol=1e-12)
    X = np.array(list(itertools.product((0.0, 1.0), repeat=5)))
    logp = -rbm.free_energy(X, W, b, c) - rbm.log_partition(W, b, c)
    pi = np.exp(logp)
    np.testing.assert_allclose(pi @ T, pi, atol=1e-12)


def test_expected_cd_gradient_tends_to_the_exact_gradient_as_k_grows():
    W, b, c = random_rbm(6, 6, 6)
    X = (np.random.default_rng(7).random((10, 6)) < 0.5).astype(float)
    exact = rbm.exact_gradient(X, W, b, c)
    T = rbm.gibbs_transition_matrix(W, b, c)
    errors = []
    for k in (1, 2, 5, 10, 50):
        g = rbm.cd_gradient_expectation(X, W, b, c, k, T=T)
        errors.append(np.sqrt(sum(((a - e) ** 2).sum() for a, e in zip(g, exact, strict=True))))
    assert np.all(np.diff(errors) < 0)
    assert errors[0] > 0.05, "CD-1 must be biased on this model"
    assert errors[-1] < 1e-9
    assert rbm.gradient_cosine(rbm.cd_gradient_expectation(X, W, b, c, 50, T=T), exact) > 0.999


def test_cd1_training_step_has_the_expected_cd1_gradient():
    """The float64 training loop, averaged over many copies of the data, is CD-1 on average."""
    W, b, c = random_rbm(4, 3, 8, scale=0.5)
    X = (np.random.default_rng(9).random((6, 4)) < 0.5).astype(float)
    big = np.tile(X, (5000, 1))
    model = rbm.RBM(3, method="cd", n_gibbs=1, learning_rate=1.0, dtype="float64", rng=10)
    model.partial_fit(X)  # initialise
    model.W_, model.b_, model.c_ = W.copy(), b.copy(), c.copy()
    model.partial_fit(big)
    expected = rbm.cd_gradient_expectation(X, W, b, c, 1)
    got = (model.W_ - W, model.b_ - b, model.c_ - c)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, atol=0.02)


def test_ais_is_close_to_the_exact_log_partition_and_not_above_it():
    W, b, c = random_rbm(8, 5, 11)
    exact = rbm.log_partition(W, b, c)
    estimates = [
        rbm.ais_log_partition(W, b, c, seed, n_betas=1000, n_runs=100)[0] for seed in range(5)
    ]
    assert abs(np.mean(estimates) - exact) < 0.05
    assert np.mean(estimates) < exact + 0.01  # Jensen: E[log Z_hat] <= log Z
    # a base model fitted to the visible marginals works too
    est, log_w = rbm.ais_log_partition(
        W, b, c, 3, n_betas=500, n_runs=50, base_visible_bias=0.5 * b
    )
    assert log_w.shape == (50,) and abs(est - exact) < 0.1


def test_pseudo_log_likelihood_matches_enumerated_conditionals():
    W, b, c = random_rbm(5, 3, 12)
    X = (np.random.default_rng(13).random((4, 5)) < 0.5).astype(float)
    pll = 0.0
    for x in X:
        for i in range(5):
            x1, x0 = x.copy(), x.copy()
            x1[i], x0[i] = 1, 0
            F1 = brute_force_free_energy(x1, W, b, c)
            F0 = brute_force_free_energy(x0, W, b, c)
            p1 = 1 / (1 + np.exp(F1 - F0))
            pll += np.log(p1 if x[i] == 1 else 1 - p1)
    got = rbm.pseudo_log_likelihood(X, W, b, c, chunk_elements=20)  # forces several chunks
    assert got == pytest.approx(pll / 4, abs=1e-10)


# ----------------------------------------------------------------------------- the estimator


def test_training_raises_the_exact_likelihood_of_bars_and_stripes():
    X = data.bars_and_stripes(3)
    scores = {}
    for method, k in (("cd", 1), ("pcd", 1), ("exact", 1)):
        model = rbm.RBM(
            16,
            method=method,
            n_gibbs=k,
            learning_rate=0.5,
            batch_size=14,
            n_epochs=400,
            dtype="float64",
            rng=0,
        ).fit(X)
        scores[method] = model.score(X)
        assert scores[method] == model.score(X, "exact")
    start = rbm.RBM(16, n_epochs=0, dtype="float64", rng=0).fit(X).score(X)
    assert start == pytest.approx(-9 * np.log(2), abs=0.05)
    for method, s in scores.items():
        assert s > start + 1.0, method
    assert scores["exact"] >= max(scores["cd"], scores["pcd"]) - 0.05


def test_transform_sample_shapes_dtypes_and_determinism():
    X = data.bars_and_stripes(3)
    a = rbm.RBM(8, n_epochs=5, batch_size=7, rng=3).fit(X)
    b = rbm.RBM(8, n_epochs=5, batch_size=7, rng=3).fit(X)
    np.testing.assert_array_equal(a.W_, b.W_)
    assert a.W_.dtype == np.float32 and a.components_.shape == (8, 9)
    H = a.transform(X)
    assert H.shape == (14, 8) and np.all((H > 0) & (H < 1))
    S = a.sample(5, n_gibbs=10, rng=4)
    assert S.shape == (5, 9) and set(np.unique(S)) <= {0.0, 1.0}
    np.testing.assert_array_equal(S, a.sample(5, n_gibbs=10, rng=4))
    # without rng: a fresh generator derived from the constructor's, so calls agree
    np.testing.assert_array_equal(a.sample(5, n_gibbs=10), a.sample(5, n_gibbs=10))
    P = a.sample(5, n_gibbs=10, rng=4, probabilities=True)
    assert P.shape == (5, 9) and np.all((P > 0) & (P < 1))
    gen = np.random.default_rng(5)
    assert not np.array_equal(a.sample(50, n_gibbs=3, rng=gen), a.sample(50, n_gibbs=3, rng=gen))
    frames = a.gibbs(X[:3], 4, rng=1, record_at=[0, 2, 4])
    assert frames.shape == (3, 3, 9)
    np.testing.assert_array_equal(frames[0], X[:3])
    F = a.free_energy(X)
    np.testing.assert_allclose(F, rbm.free_energy(X, *a._params64()))
    assert a.reconstruction_error(X) >= 0


def test_float32_pcd_loop_learns_and_score_falls_back_to_pseudo_likelihood():
    X = (np.random.default_rng(0).random((200, 30)) < 0.2).astype(np.float32)
    X[:, :10] = X[:, [0]]  # a block of ten identical pixels to discover
    kw = {"method": "pcd", "learning_rate": 0.05, "batch_size": 20, "rng": 1}
    before = rbm.RBM(25, n_epochs=0, **kw).fit(X).score(X)
    model = rbm.RBM(25, n_epochs=30, **kw).fit(X)
    assert model.W_.dtype == np.float32
    after = model.score(X)  # min(V, H) = 25 is too many to enumerate: pseudo-likelihood
    assert after == model.score(X, "pseudo")
    assert after > before + 3.0


def test_fantasy_particles_are_the_visible_probabilities_of_the_persistent_chains():
    X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(float)
    model = rbm.RBM(4, method="pcd", batch_size=10, n_epochs=3, rng=0).fit(X)
    P = model.fantasy_particles()
    assert P.shape == (10, 6)  # one chain per batch row
    h = model.chain_
    assert set(np.unique(h)) <= {0.0, 1.0}
    expected = 1 / (1 + np.exp(-(h @ model.W_.T + model.b_)))
    np.testing.assert_allclose(P, expected, rtol=1e-6)  # float32 model
    with pytest.raises(ValueError, match="method='pcd'"):
        rbm.RBM(4, method="cd", n_epochs=1, rng=0).fit(X).fantasy_particles()
    with pytest.raises(NotFittedError, match="not fitted"):
        rbm.RBM(4, method="pcd", rng=0).fantasy_particles()


def test_partial_fit_rejects_oversized_pcd_batches_and_bad_input():
    model = rbm.RBM(4, method="pcd", batch_size=5, rng=0)
    X = (np.random.default_rng(0).random((10, 6)) < 0.5).astype(float)
    with pytest.raises(ValueError, match="batch_size"):
        model.partial_fit(X)
    model.partial_fit(X[:5])
    with pytest.raises(ValueError, match="X"):
        model.partial_fit(X[:5, :4])
    with pytest.raises(NotFittedError, match="not fitted"):
        rbm.RBM(3, rng=0).transform(X)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"n_hidden": 0}, ValueError, "n_hidden"),
        ({"method": "cd2"}, ValueError, "method"),
        ({"n_gibbs": 0}, ValueError, "n_gibbs"),
        ({"learning_rate": -1.0}, ValueError, "learning_rate"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"momentum": 1.0}, ValueError, "momentum"),
        ({"dtype": "float16"}, ValueError, "dtype"),
        ({"rng": None}, TypeError, "rng"),
        ({"shuffle": 1}, TypeError, "shuffle"),
        ({"fast": "yes"}, TypeError, "fast"),
        ({"init_visible": "mean"}, ValueError, "init_visible"),
    ],
)
def test_rbm_constructor_rejects_bad_hyperparameters(kwargs, exc, match):
    args = {"n_hidden": 4, "rng": 0} | kwargs
    with pytest.raises(exc, match=match):
        rbm.RBM(**args)


def test_rbm_methods_reject_bad_input():
    X = data.bars_and_stripes(2)
    model = rbm.RBM(3, n_epochs=2, rng=0).fit(X)
    with pytest.raises(ValueError, match="X"):
        model.fit(X + 0.5)
    with pytest.raises(ValueError, match="X"):
        model.transform(np.ones((2, 5)))
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\]"):
        model.transform(np.full((2, 4), 1.5))
    with pytest.raises(ValueError, match="X"):
        model.free_energy(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="kind"):
        model.score(X, "approx")
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0, n_gibbs=3, rng=0)
    with pytest.raises(TypeError, match="rng"):
        model.sample(2, n_gibbs=3, rng="zero")
    with pytest.raises(TypeError, match="probabilities"):
        model.sample(2, probabilities=1)
    with pytest.raises(ValueError, match="init"):
        model.sample(2, init=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="record_at"):
        model.gibbs(X, 3, rng=0, record_at=[2, 1])
    with pytest.raises(ValueError, match="n_gibbs"):
        model.gibbs(X, -1, rng=0)
    with pytest.raises(ValueError, match="method='exact'"):
        rbm.RBM(30, method="exact", rng=0).fit(np.zeros((2, 25)))


# ----------------------------------------------------------------------------- bad input, functions


def test_exact_functions_reject_bad_input():
    W, b, c = random_rbm(3, 2, 0)
    X = np.array([[0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="b"):
        rbm.free_energy(X, W, np.zeros(4), c)
    with pytest.raises(ValueError, match="V"):
        rbm.free_energy(X * 2, W, b, c)
    with pytest.raises(ValueError, match="c"):
        rbm.log_partition(W, b, np.zeros(3))
    with pytest.raises(ValueError, match="side"):
        rbm.log_partition(W, b, c, "both")
    with pytest.raises(ValueError, match="brute force"):
        rbm.log_partition_brute_force(np.zeros((12, 12)), np.zeros(12), np.zeros(12))
    with pytest.raises(ValueError, match="min"):
        rbm.log_likelihood(np.zeros((1, 21)), np.zeros((21, 21)), np.zeros(21), np.zeros(21))
    with pytest.raises(ValueError, match="X"):
        rbm.exact_gradient(X[:, :2], W, b, c)
    with pytest.raises(ValueError, match="W"):
        rbm.gibbs_transition_matrix(np.zeros((13, 2)), np.zeros(13), np.zeros(2))
    with pytest.raises(ValueError, match="n_gibbs"):
        rbm.cd_gradient_expectation(X, W, b, c, 0)
    with pytest.raises(ValueError, match="H"):
        rbm.energy(X, np.ones((1, 3)), W, b, c)
    with pytest.raises(TypeError, match="g1"):
        rbm.gradient_cosine(W, (W,))
    with pytest.raises(TypeError, match="rng"):
        rbm.ais_log_partition(W, b, c, None)
    with pytest.raises(ValueError, match="n_betas"):
        rbm.ais_log_partition(W, b, c, 0, n_betas=1)
    with pytest.raises(ValueError, match="base_visible_bias"):
        rbm.ais_log_partition(W, b, c, 0, base_visible_bias=np.zeros(2))
    with pytest.raises(ValueError, match="X"):
        rbm.pseudo_log_likelihood(X + 0.5, W, b, c)
    with pytest.raises(ValueError, match="n_epochs"):
        rbm.likelihood_curve(X, n_hidden=2, method="cd", n_epochs=0, rng=0)


def test_initialize_from_starts_training_at_the_given_parameters():
    gen = np.random.default_rng(3)
    W, b, c = gen.normal(size=(6, 4)), gen.normal(size=6), gen.normal(size=4)
    model = rbm.RBM(4, method="exact", dtype="float64", rng=0).initialize_from(W, b, c)
    X = (gen.random((20, 6)) < 0.5).astype(float)
    assert model.score(X) == pytest.approx(rbm.log_likelihood(X, W, b, c))
    W[0, 0] += 1.0  # the model holds its own copy
    assert model.W_[0, 0] != W[0, 0]
    before = model.score(X)
    model.partial_fit(X)
    assert model.score(X) > before, (
        "an exact-gradient step from the given start raises the likelihood"
    )
    with pytest.raises(ValueError, match="W must have n_hidden=4 columns"):
        rbm.RBM(4, rng=0).initialize_from(np.zeros((6, 3)), np.zeros(6), np.zeros(3))
    with pytest.raises(ValueError, match="b must have shape"):
        rbm.RBM(4, rng=0).initialize_from(np.zeros((6, 4)), np.zeros(5), np.zeros(4))


# ----------------------------------------------------------------------------- the estimator contract


def test_transform_accepts_probabilities_and_free_energy_takes_them_too():
    X = data.bars_and_stripes(3)
    model = rbm.RBM(5, n_epochs=3, batch_size=7, dtype="float64", rng=0).fit(X)
    P = np.full((2, 9), 0.25)
    expected = 1 / (1 + np.exp(-(P @ model.W_ + model.c_)))
    np.testing.assert_allclose(model.transform(P), expected, rtol=1e-12)
    np.testing.assert_allclose(model.free_energy(P), rbm.free_energy(P, *model._params64()))


def test_fit_twice_gives_the_same_weights_and_leaves_a_passed_generator_alone():
    X = data.bars_and_stripes(3)
    gen = np.random.default_rng(7)
    state = gen.bit_generator.state
    model = rbm.RBM(5, n_epochs=4, batch_size=7, rng=gen)
    W1 = model.fit(X).W_.copy()
    W2 = model.fit(X).W_.copy()
    np.testing.assert_array_equal(W1, W2)
    assert gen.bit_generator.state == state
    np.testing.assert_array_equal(rbm.RBM(5, n_epochs=4, batch_size=7, rng=7).fit(X).W_, W1)


def test_score_does_not_change_the_model():
    X = data.bars_and_stripes(3)
    model = rbm.RBM(5, n_epochs=2, batch_size=7, rng=0).fit(X)
    before = dict(vars(model))
    model.score(X)
    model.score(X, "pseudo")
    assert vars(model).keys() == before.keys()


@pytest.mark.parametrize("method", ["cd", "pcd"])
@pytest.mark.parametrize(
    ("n_gibbs", "momentum", "weight_decay"), [(1, 0.0, 0.0), (3, 0.5, 1e-2), (2, 0.9, 0.0)]
)
def test_the_fast_update_and_the_plain_cd_step_give_the_same_weights(
    method, n_gibbs, momentum, weight_decay
):
    """The buffer-reusing update is cd_step and momentum_step, fused: same draws, same weights."""
    X = (np.random.default_rng(0).random((60, 12)) < 0.3).astype(float)
    kw = {
        "method": method,
        "n_gibbs": n_gibbs,
        "learning_rate": 0.3,
        "batch_size": 10,
        "n_epochs": 30,
        "momentum": momentum,
        "weight_decay": weight_decay,
        "dtype": "float64",
        "rng": 3,
    }
    fast = rbm.RBM(8, fast=True, **kw).fit(X)
    plain = rbm.RBM(8, fast=False, **kw).fit(X)
    assert np.abs(fast.W_).max() > 0.2  # the weights have moved far from their start
    for name in ("W_", "b_", "c_", "chain_"):
        np.testing.assert_allclose(getattr(fast, name), getattr(plain, name), rtol=0, atol=1e-12)


def test_cd_step_is_the_expected_cd_update_on_average():
    W, b, c = random_rbm(4, 3, 8, scale=0.5)
    X = (np.random.default_rng(9).random((6, 4)) < 0.5).astype(float)
    (dW, db, dc), chain = rbm.cd_step(np.tile(X, (5000, 1)), W, b, c, n_gibbs=2, rng=0)
    assert chain is None
    expected = rbm.cd_gradient_expectation(X, W, b, c, 2)
    for g, e in zip((dW, db, dc), expected, strict=True):
        np.testing.assert_allclose(g, e, atol=0.02)
    chain = np.ones((6, 3))
    _, after = rbm.cd_step(X, W, b, c, rng=0, chain=chain)
    assert after.shape == (6, 3) and set(np.unique(after)) <= {0.0, 1.0}
    with pytest.raises(ValueError, match="chain"):
        rbm.cd_step(X, W, b, c, rng=0, chain=np.ones((5, 3)))


def test_a_transition_matrix_that_is_not_stochastic_is_refused():
    W, b, c = random_rbm(4, 3, 0)
    X = np.array([[0.0, 1.0, 1.0, 0.0]])
    with pytest.raises(ValueError, match="T must be a transition matrix.*sum to 1"):
        rbm.cd_gradient_expectation(X, W, b, c, 1, T=np.ones((16, 16)))
    negative = np.eye(16)
    negative[0, :2] = (2.0, -1.0)
    with pytest.raises(ValueError, match="T must be a transition matrix.*non-negative"):
        rbm.cd_gradient_expectation(X, W, b, c, 1, T=negative)
    with pytest.raises(ValueError, match="T must have shape"):
        rbm.cd_gradient_expectation(X, W, b, c, 1, T=np.eye(8))
    T = rbm.gibbs_transition_matrix(W, b, c)  # a real one is accepted
    np.testing.assert_allclose(
        rbm.cd_gradient_expectation(X, W, b, c, 2, T=T)[0],
        rbm.cd_gradient_expectation(X, W, b, c, 2)[0],
    )


def test_gradient_cosine_joins_the_parts_and_a_zero_gradient_has_cosine_zero():
    g = (np.ones((2, 2)), np.ones(2))
    assert rbm.gradient_cosine(g, g) == pytest.approx(1.0)
    assert rbm.gradient_cosine(g, (-g[0], -g[1])) == pytest.approx(-1.0)
    assert rbm.gradient_cosine(g, (np.zeros((2, 2)), np.zeros(2))) == 0.0


W_RNG, B_RNG, C_RNG = random_rbm(3, 2, 0)
X_RNG = np.array([[0.0, 1.0, 1.0]])


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: rbm.ais_log_partition(W_RNG, B_RNG, C_RNG, rng, n_betas=3, n_runs=2),
        lambda rng: rbm.cd_step(X_RNG, W_RNG, B_RNG, C_RNG, rng=rng),
        lambda rng: rbm.likelihood_curve(X_RNG, n_hidden=2, method="cd", n_epochs=1, rng=rng),
        lambda rng: rbm.RBM(2, rng=rng),
        lambda rng: rbm.RBM(2, n_epochs=1, rng=0).fit(X_RNG).sample(2, n_gibbs=1, rng=rng),
        lambda rng: rbm.RBM(2, n_epochs=1, rng=0).fit(X_RNG).gibbs(X_RNG, 1, rng=rng),
    ],
    ids=["ais_log_partition", "cd_step", "likelihood_curve", "RBM", "sample", "gibbs"],
)
def test_a_negative_seed_is_refused_with_a_message_naming_rng(call):
    with pytest.raises(ValueError, match="rng"):
        call(-1)
    with pytest.raises(TypeError, match="rng"):
        call(np.random.RandomState(0))  # noqa: NPY002 (the legacy API is what is refused)
    call(B.rng(0))  # a Generator is fine


def test_exact_gradient_with_weights_is_the_gradient_of_a_weighted_likelihood():
    W, b, c = random_rbm(4, 3, 2, scale=0.7)
    X = np.array([[0.0, 1, 1, 0], [1, 0, 0, 1]])
    weighted = rbm.exact_gradient(X, W, b, c, weights=np.array([2 / 3, 1 / 3]))
    repeated = rbm.exact_gradient(X[[0, 0, 1]], W, b, c)
    for a, e in zip(weighted, repeated, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-14)
    with pytest.raises(ValueError, match="weights must sum to 1"):
        rbm.exact_gradient(X, W, b, c, weights=np.array([0.5, 0.6]))
    with pytest.raises(ValueError, match="weights must be non-negative"):
        rbm.exact_gradient(X, W, b, c, weights=np.array([1.5, -0.5]))
