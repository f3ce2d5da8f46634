"""Tests for hinton_utils.boltzmann: the learning rule is the exact gradient, samplers sample."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import boltzmann as bm
from hinton_utils import stochastic
from hinton_utils.core import binary


def _random_model(rng, n, scale=1.0):
    A = rng.standard_normal((n, n)) * scale
    W = np.triu(A, 1)
    return W + W.T, rng.standard_normal(n) * scale


def _pair_fd(f, W, b, i, j, eps=1e-5):
    Wp, Wm = W.copy(), W.copy()
    Wp[i, j] += eps
    Wp[j, i] += eps
    Wm[i, j] -= eps
    Wm[j, i] -= eps
    return (f(Wp, b) - f(Wm, b)) / (2 * eps)


def _reference_gradient(W, b, data, T, values):
    """d mean log p(v) / d(w_ij, b_i) by brute force with Python loops (independent code)."""
    n = len(b)
    nv = data.shape[1]
    states = [np.array(s, dtype=float) for s in itertools.product(values, repeat=n)]
    weights = [math.exp((0.5 * s @ W @ s + b @ s) / T) for s in states]
    Z = sum(weights)
    free = sum(w * np.outer(s, s) for w, s in zip(weights, states, strict=True)) / Z
    free_m = sum(w * s for w, s in zip(weights, states, strict=True)) / Z
    clamped = np.zeros((n, n))
    clamped_m = np.zeros(n)
    for v in data:
        match = [(w, s) for w, s in zip(weights, states, strict=True) if np.array_equal(s[:nv], v)]
        zv = sum(w for w, _ in match)
        clamped += sum(w * np.outer(s, s) for w, s in match) / zv / len(data)
        clamped_m += sum(w * s for w, s in match) / zv / len(data)
    dW = (clamped - free) / T
    np.fill_diagonal(dW, 0.0)
    return dW, (clamped_m - free_m) / T


@pytest.mark.parametrize("units", ["binary", "pm1"])
@pytest.mark.parametrize("T", [1.0, 2.5])
def test_learning_rule_is_the_exact_gradient(units, T):
    """<s_i s_j>_clamped - <s_i s_j>_free equals d log-likelihood / d w_ij, with hidden units."""
    rng = np.random.default_rng(3)
    n, nv = 6, 3
    W, b = _random_model(rng, n)
    data = (rng.random((5, nv)) < 0.5).astype(float)
    values = (0.0, 1.0)
    if units == "pm1":
        data = 2 * data - 1
        values = (-1.0, 1.0)
    dW, db = bm.exact_gradient(W, b, data, T=T, units=units)
    # 1. an independent brute-force enumeration
    rW, rb = _reference_gradient(W, b, data, T, values)
    np.testing.assert_allclose(dW, rW, atol=1e-10)
    np.testing.assert_allclose(db, rb, atol=1e-10)

    # 2. central finite differences of the exact log-likelihood
    def ll(W_, b_):
        return float(bm.log_likelihood(W_, b_, data, T=T, units=units))

    for i, j in itertools.combinations(range(n), 2):
        assert abs(_pair_fd(ll, W, b, i, j) - dW[i, j]) < 1e-6
    eps = 1e-5
    for i in range(n):
        e = np.zeros(n)
        e[i] = eps
        assert abs((ll(W, b + e) - ll(W, b - e)) / (2 * eps) - db[i]) < 1e-6


def test_stacked_networks_match_single_networks():
    rng = np.random.default_rng(4)
    models = [_random_model(rng, 5) for _ in range(3)]
    Ws = np.stack([m[0] for m in models])
    bs = np.stack([m[1] for m in models])
    data = np.array([[1.0, 0.0], [0.0, 1.0]])
    stacked = bm.exact_statistics(Ws, bs, data)
    for r, (W, b) in enumerate(models):
        single = bm.exact_statistics(W, b, data)
        for key in ("C_clamped", "C_free", "m_clamped", "m_free", "log_likelihood", "log_Z"):
            np.testing.assert_allclose(stacked[key][r], single[key], atol=1e-12)


def test_exact_statistics_agree_with_stochastic_distribution():
    rng = np.random.default_rng(5)
    W, b = _random_model(rng, 6)
    st_ = bm.exact_statistics(W, b, np.zeros((1, 2)), T=1.7)
    p = stochastic.boltzmann_distribution(W, b, T=1.7)
    np.testing.assert_allclose(st_["p_states"], p, atol=1e-12)
    S = binary.all_states(6)
    np.testing.assert_allclose(st_["m_free"], p @ S, atol=1e-12)


def test_visible_distribution_sums_to_one_and_matches_likelihood():
    rng = np.random.default_rng(6)
    W, b = _random_model(rng, 7)
    pv = bm.visible_distribution(W, b, 3, T=1.3)
    assert abs(pv.sum() - 1.0) < 1e-12
    V = binary.all_states(3)
    for k in (0, 5):
        ll = bm.log_likelihood(W, b, V[k : k + 1], T=1.3)
        assert abs(math.log(pv[k]) - ll) < 1e-10


def test_fully_visible_learning_is_concave_and_matches_correlations():
    """No hidden units: exact ascent raises the likelihood every step, up to moment matching."""
    rng = np.random.default_rng(7)
    n = 5
    data = (rng.random((40, n)) < 0.4).astype(float)
    mask = np.ones((n, n)) - np.eye(n)
    out = bm.train_exact(data, mask, 0, n_epochs=400, learning_rate=0.5, record_every=1)
    ll = out["log_likelihood"][:, 0]
    assert np.all(np.diff(ll) > -1e-12)
    dW, db = bm.exact_gradient(out["W"][0], out["b"][0], data)
    assert np.abs(dW).max() < 2e-3 and np.abs(db).max() < 2e-3


def test_chain_weights_learn_the_sign_of_the_correlation():
    """Ends of a chain v1-h1-h2-v2: the product of the weights takes the data's sign."""
    mask = bm.chain_mask(4, order=[0, 2, 3, 1])
    for data, sign in (
        (np.array([[-1.0, 1.0], [1.0, -1.0]]), -1),
        (np.array([[1.0, 1.0], [-1.0, -1.0]]), 1),
    ):
        out = bm.train_exact(
            data,
            mask,
            1,
            n_epochs=300,
            learning_rate=0.5,
            units="pm1",
            init_scale=0.5,
            learn_biases=False,
        )
        W = out["W"][0]
        product = W[0, 2] * W[2, 3] * W[3, 1]
        assert np.sign(product) == sign
        pv = bm.visible_distribution(W, out["b"][0], 2, units="pm1")
        idx = [int("".join("1" if x > 0 else "0" for x in row), 2) for row in data]
        assert pv[idx].sum() > 0.9


def test_hebb_only_weights_never_decrease_and_the_model_saturates():
    X = np.hstack([np.eye(4), np.eye(4)])
    mask = bm.encoder_mask(4, 2)
    out = bm.train_exact(X, mask, 2, n_epochs=60, learning_rate=0.5, hebb_only=True, record_every=1)
    full = bm.train_exact(X, mask, 2, n_epochs=60, learning_rate=0.5, record_every=1)
    init = bm.train_exact(X, mask, 2, n_epochs=0)
    assert np.all(out["W"] - init["W"] >= -1e-12)
    ll = out["log_likelihood"][:, 0]
    assert ll[-1] < ll[0] - 1.0  # the data become less likely...
    assert full["log_likelihood"][-1, 0] > ll[0] + 1.0  # ...while wake + sleep learns them
    pv = bm.visible_distribution(out["W"][0], out["b"][0], 8)
    assert pv[-1] > 0.9  # ...and the network "dreams" everything on


@given(seed=st.integers(0, 10_000), learning_rate=st.floats(0.01, 1.0))
@settings(max_examples=15, deadline=None)
def test_a_hebb_step_never_decreases_a_weight_for_binary_units(seed, learning_rate):
    rng = np.random.default_rng(seed)
    data = (rng.random((3, 3)) < 0.5).astype(float)
    mask = np.ones((5, 5)) - np.eye(5)
    before = bm.train_exact(data, mask, seed, n_epochs=0, init_scale=1.0)
    after = bm.train_exact(
        data, mask, seed, n_epochs=1, learning_rate=learning_rate, init_scale=1.0, hebb_only=True
    )
    step = after["W"] - before["W"]
    assert np.all(step >= -1e-12) and np.all(step <= learning_rate + 1e-12)
    st_ = bm.exact_statistics(before["W"][0], before["b"][0], data)
    np.testing.assert_allclose(st_["C_free"], st_["C_free"].T, atol=1e-12)


@pytest.mark.parametrize("units", ["binary", "pm1"])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gibbs_samples_the_boltzmann_distribution(units, dtype):
    rng = np.random.default_rng(8)
    n = 5
    W, b = _random_model(rng, n, scale=0.8)
    T = 1.5
    p = bm.exact_statistics(W, b, np.ones((1, 1)), T=T, units=units)["p_states"]
    S0 = np.tile(binary.all_states(n, units=units)[0], (20000, 1)).astype(dtype)
    S = binary.gibbs_sweep(W, b, S0, 0, T=T, units=units, n_sweeps=60, order="random")
    assert S.dtype == dtype
    idx = ((S > 0) @ (2 ** np.arange(n - 1, -1, -1))).astype(int)
    f = np.bincount(idx, minlength=2**n) / len(idx)
    assert 0.5 * np.abs(f - p).sum() < 0.03  # sampling floor for 20k draws of 32 states is ~0.015


def test_gibbs_on_a_stack_respects_clamped_units():
    rng = np.random.default_rng(9)
    Ws, bs = zip(*[_random_model(rng, 4) for _ in range(2)], strict=True)
    Ws, bs = np.stack(Ws), np.stack(bs)
    free = np.array([False, True, True, True])
    S0 = np.zeros((2, 20000, 4))
    S0[:, :, 0] = 1.0
    S = binary.gibbs_sweep(Ws, bs, S0, 1, free=free, n_sweeps=20, order="random")
    assert np.all(S[:, :, 0] == 1.0)
    for r in range(2):
        st_ = bm.exact_statistics(Ws[r], bs[r], np.array([[1.0]]))
        np.testing.assert_allclose(S[r].mean(axis=0), st_["m_clamped"], atol=0.02)


def test_sampled_statistics_approach_exact_ones():
    """The 1985 estimate (annealing, no noise, long collection) matches the exact statistics."""
    rng = np.random.default_rng(10)
    W, b = _random_model(rng, 5, scale=4.0)
    data = np.array([[1.0, 0.0], [0.0, 1.0]])
    est = bm.sampled_statistics(
        W,
        b,
        data,
        0,
        n_repeats=2000,
        n_stat_sweeps=20,
        T_stat=5.0,
        noise=(0.0, 0.0),
        schedule=[(2, 10.0), (3, 5.0)],
    )
    ex = bm.exact_statistics(W, b, data, T=5.0)
    for key in ("C_clamped", "C_free"):
        np.testing.assert_allclose(est[key], ex[key], atol=0.03)


def test_noisy_clamping_flips_bits_at_the_requested_rates():
    data = np.array([[1.0, 0.0]])
    W, b = np.zeros((3, 3)), np.zeros(3)
    est = bm.sampled_statistics(W, b, data, 1, n_repeats=20000, n_stat_sweeps=1, noise=(0.15, 0.05))
    np.testing.assert_allclose(est["m_clamped"][:2], [0.85, 0.05], atol=0.01)


def test_anneal_finds_the_ground_state_of_a_frustrated_net():
    rng = np.random.default_rng(11)
    W, b = _random_model(rng, 8, scale=2.0)
    E = binary.energy(W, b, binary.all_states(8))
    schedule = [(5, 4.0), (5, 2.0), (5, 1.0), (10, 0.2)]
    S = stochastic.anneal(W, b, schedule, 0, n_chains=200, init=np.zeros(8), order="random")
    hit = np.mean(np.abs(binary.energy(W, b, S) - E.min()) < 1e-9)
    at_random = np.mean(np.abs(E - E.min()) < 1e-9)
    assert hit > 0.5 > at_random


def test_encoder_mask_structure_and_codes():
    M = bm.encoder_mask(4, 2)
    assert M.shape == (10, 10) and np.array_equal(M, M.T) and np.all(np.diag(M) == 0)
    assert M[:4, 4:8].sum() == 0  # V1 and V2 talk only through H
    assert M[8:, 8:].sum() == 0  # no hidden-hidden weights
    assert M[:4, :4].sum() == 12 and M[:8, 8:].sum() == 16
    # hand-made perfect encoder: pattern i -> hidden code i
    W = np.zeros((10, 10))
    b = np.zeros(10)
    for i in range(4):
        code = [(i >> 1) & 1, i & 1]
        for k in range(2):
            w = 10.0 if code[k] else -10.0
            W[i, 8 + k] = W[8 + k, i] = w  # V2 left unconnected: it adds only a constant
    assert list(bm.encoder_codes(W, b, 4, T=1.0)) == [0, 1, 2, 3]


def test_chain_mask():
    M = bm.chain_mask(4, order=[0, 2, 3, 1])
    assert M.sum() == 6 and M[0, 2] == M[2, 3] == M[3, 1] == 1 and M[0, 1] == 0


def test_train_1985_learns_some_encoders_and_uses_sign_steps():
    X = np.hstack([np.eye(4), np.eye(4)])
    out = bm.train_1985(X, bm.encoder_mask(4, 2), 0, n_epochs=250, n_runs=12, n_group=4)
    W = out["W"]
    assert np.allclose(W / 2.0, np.round(W / 2.0))  # every weight is a multiple of the step
    assert np.all(W[:, :4, 4:8] == 0)  # never-connected pairs stay zero
    assert out["distinct"][-1].sum() >= 3  # several of the 12 runs already have four codes
    assert out["distinct"][0].sum() == 0  # all-zero weights cannot code anything


def test_train_exact_records_the_epochs_it_was_asked_for():
    X = np.hstack([np.eye(4), np.eye(4)])
    out = bm.train_exact(X, bm.encoder_mask(4, 2), 0, n_epochs=25, record_every=10)
    assert out["epochs"] == [0, 10, 20, 25]
    assert out["log_likelihood"].shape == (4, 1)
    out = bm.train_1985(X, bm.encoder_mask(4, 2), 0, n_epochs=3, n_group=4, check_every=2)
    assert out["check_epochs"] == [0, 2, 3]


def test_bad_inputs_are_refused():
    W, b = np.zeros((3, 3)), np.zeros(3)
    data = np.array([[1.0, 0.0]])
    mask = np.ones((3, 3)) - np.eye(3)
    with pytest.raises(ValueError, match="W"):
        bm.exact_statistics(np.array([[0.0, 1.0], [2.0, 0.0]]), np.zeros(2), data)
    with pytest.raises(ValueError, match="W"):
        bm.exact_gradient(np.eye(3), b, data)
    with pytest.raises(ValueError, match="data"):
        bm.log_likelihood(W, b, np.array([[2.0, 0.0]]))
    with pytest.raises(ValueError, match="T"):
        bm.exact_gradient(W, b, data, T=0.0)
    with pytest.raises(ValueError, match="n_visible"):
        bm.visible_distribution(W, b, 4)
    with pytest.raises(ValueError, match="n_group"):
        bm.encoder_mask(0, 2)
    with pytest.raises(ValueError, match="order"):
        bm.chain_mask(3, order=[0, 0, 1])
    with pytest.raises(ValueError, match="n_group"):
        bm.encoder_codes(W, b, 2)
    with pytest.raises(ValueError, match="schedule"):
        bm.sampled_statistics(W, b, data, 0, schedule=[(2, -1.0)])
    with pytest.raises(ValueError, match="noise"):
        bm.sampled_statistics(W, b, data, 0, noise=(1.5, 0.0))
    with pytest.raises(ValueError, match="mask"):
        bm.train_exact(data, np.ones((3, 3)) * 2, 0)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        bm.train_exact(data, mask, 0, learning_rate=-1.0)
    with pytest.raises(ValueError, match="n_epochs must be >= 0"):
        bm.train_exact(data, mask, 0, n_epochs=-1)
    with pytest.raises(ValueError, match="n_epochs must be >= 0"):
        bm.train_1985(data, mask, 0, n_epochs=-1)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        bm.train_1985(data, mask, 0, learning_rate=0.0)


DATA = np.array([[1.0, 0.0]])
MASK = np.ones((3, 3)) - np.eye(3)


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: bm.train_exact(DATA, MASK, rng, n_epochs=1),
        lambda rng: bm.sampled_statistics(np.zeros((3, 3)), np.zeros(3), DATA, rng),
        lambda rng: bm.train_1985(DATA, MASK, rng, n_epochs=1),
    ],
)
def test_a_negative_seed_is_refused_by_name(call):
    with pytest.raises(ValueError, match="rng must be a seed >= 0"):
        call(-1)
    with pytest.raises(TypeError, match="rng must be an int seed or a random Generator"):
        call(np.random.RandomState(0))
