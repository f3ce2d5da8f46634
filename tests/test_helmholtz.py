"""Tests for hinton_utils.helmholtz: exact enumeration, the wake and sleep delta rules, bars."""

from __future__ import annotations

import math

import numpy as np
import pytest
from estimator_contract import Case
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import helmholtz as H
from hinton_utils.core import autodiff as ad
from hinton_utils.core import functional
from hinton_utils.core.binary import MAX_ENUMERATED_UNITS, all_states
from hinton_utils.core.estimator import NotFittedError

_CASE_X = H.sample_bars(200, 0, size=2)

# The estimator contract (tests/test_estimators.py runs its checks on these).
ESTIMATOR_CASES = {
    "HelmholtzMachine": Case(
        make=lambda rng: H.HelmholtzMachine((4, 3, 1), learning_rate=0.5, batch_size=20, rng=rng),
        fit=lambda est: est.fit(_CASE_X),
        score=lambda est: est.score(_CASE_X),
        learned=("G_", "b_", "R_", "c_"),
    ),
}


def random_params(sizes, seed, scale=1.0):
    p = H.init_params(sizes, seed, scale=scale)
    rng = np.random.default_rng(seed + 1)
    for key in ("b", "c"):
        p[key] = [scale * rng.standard_normal(a.shape) for a in p[key]]
    return p


def random_states(sizes, n, seed):
    rng = np.random.default_rng(seed)
    return [(rng.random((n, k)) < 0.5).astype(float) for k in sizes]


# ----------------------------------------------------------------------------- exact enumeration
@settings(max_examples=15, deadline=None)
@given(
    sizes=st.sampled_from([(2, 1), (3, 2), (4, 2, 1), (3, 2, 2), (5, 3, 1)]),
    seed=st.integers(0, 10_000),
)
def test_generative_distribution_sums_to_one_and_matches_brute_force(sizes, seed):
    p = random_params(sizes, seed)
    pv = H.generative_distribution(p)
    assert pv.shape == (2 ** sizes[0],)
    assert pv.sum() == pytest.approx(1.0, abs=1e-12)
    # brute force: sum over every joint configuration of exp(log p(v, h))
    configs = all_states(sum(sizes))
    cuts = np.cumsum((0,) + tuple(sizes))
    states = [configs[:, cuts[i] : cuts[i + 1]] for i in range(len(sizes))]
    joint = np.exp(H.log_joint(p, states)).reshape(2 ** sizes[0], -1)
    np.testing.assert_allclose(pv, joint.sum(axis=1), rtol=1e-10)


def test_log_joint_matches_hand_computation():
    p = random_params((2, 1), 5)
    v, h = np.array([[1.0, 0.0]]), np.array([[1.0]])
    sig = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    ph = sig(p["b"][1][0])
    a = h[0] @ p["G"][0] + p["b"][0]
    expected = math.log(ph) + math.log(sig(a[0])) + math.log(1 - sig(a[1]))
    assert H.log_joint(p, [v, h])[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("sizes", [(3, 2), (4, 2, 1)])
def test_posterior_and_recognition_are_distributions_and_bayes_consistent(sizes):
    p = random_params(sizes, 11)
    V = all_states(sizes[0])
    post = H.posterior(p, V)
    q = H.recognition_distribution(p, V)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-12)
    # q(h|v) from enumeration equals exp(log_recognition) of the same states
    hidden = all_states(sum(sizes[1:]))
    cuts = np.cumsum((0,) + tuple(sizes[1:]))
    hs = [hidden[:, cuts[i] : cuts[i + 1]] for i in range(len(sizes) - 1)]
    v_rep = np.repeat(V[2:3], hidden.shape[0], axis=0)
    np.testing.assert_allclose(q[2], np.exp(H.log_recognition(p, [v_rep, *hs])), rtol=1e-10)
    # Bayes: p(h|v) p(v) = p(v, h)
    joint = np.exp(H.log_joint(p, [v_rep, *hs]))
    np.testing.assert_allclose(post[2] * H.generative_distribution(p)[2], joint, rtol=1e-10)


def test_free_energy_is_minus_log_p_plus_kl_and_bounds_it():
    p = random_params((4, 2, 1), 3)
    V = all_states(4)
    F = H.free_energy_bits(p, V)
    nll = -H.log_marginal(p, V) / math.log(2)
    kl = np.array(
        [H.kl_bits(q, r) for q, r in zip(H.recognition_distribution(p, V), H.posterior(p, V))]
    )
    np.testing.assert_allclose(F, nll + kl, atol=1e-10)
    assert np.all(F >= nll - 1e-12) and np.any(F > nll + 1e-3)


def test_kl_bits_and_factorial_distribution():
    q = H.factorial_distribution([0.5, 0.5])
    np.testing.assert_allclose(q, 0.25)
    assert H.kl_bits(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == 0.0
    assert H.kl_bits(np.array([1.0, 0.0]), np.array([0.5, 0.5])) == pytest.approx(1.0)
    assert H.kl_bits(np.array([0.5, 0.5]), np.array([1.0, 0.0])) == math.inf
    f = H.factorial_distribution([0.2, 0.9, 0.5])
    assert f.sum() == pytest.approx(1.0)
    assert f[0b010] == pytest.approx(0.8 * 0.9 * 0.5)


# ----------------------------------------------------------------------------- gradients
def numeric_gradients(params, keys, objective):
    """Finite differences of ``objective(params).sum()`` in every array of ``params[key]``."""
    counts = [len(params[key]) for key in keys]

    def f(*tensors):
        arrays = iter(t.data for t in tensors)
        q = dict(params, **{key: [next(arrays) for _ in range(n)] for key, n in zip(keys, counts)})
        return ad.Tensor(np.asarray(objective(q).sum()))

    grads = iter(functional.numerical_gradient(f, [A for key in keys for A in params[key]]))
    return {key: [next(grads) for _ in range(n)] for key, n in zip(keys, counts)}


@pytest.mark.parametrize("sizes", [(3, 2), (4, 3, 2)])
def test_wake_gradients_equal_finite_differences_of_log_joint(sizes):
    p = random_params(sizes, 7)
    states = random_states(sizes, 5, 8)
    grads = H.wake_gradients(p, states)
    numeric = numeric_gradients(p, ("G", "b"), lambda q: H.log_joint(q, states))
    for key in ("G", "b"):
        for analytic, num in zip(grads[key], numeric[key], strict=True):
            np.testing.assert_allclose(analytic, num, atol=1e-6)


@pytest.mark.parametrize("sizes", [(3, 2), (4, 3, 2)])
def test_sleep_gradients_equal_finite_differences_of_log_recognition(sizes):
    p = random_params(sizes, 9)
    states = H.dream(p, 6, 10)  # the sleep phase works on dreams
    grads = H.sleep_gradients(p, states)
    numeric = numeric_gradients(p, ("R", "c"), lambda q: H.log_recognition(q, states))
    for key in ("R", "c"):
        for analytic, num in zip(grads[key], numeric[key], strict=True):
            np.testing.assert_allclose(analytic, num, atol=1e-6)


def test_dream_and_recognize_sample_the_right_distributions():
    p = random_params((2, 2), 4)
    v = H.dream(p, 40_000, 0)[0]
    idx = (v @ np.array([2, 1])).astype(int)
    freq = np.bincount(idx, minlength=4) / len(idx)
    np.testing.assert_allclose(freq, H.generative_distribution(p), atol=0.012)
    V = np.tile([[1.0, 0.0]], (40_000, 1))
    h = H.recognize(p, V, 1)[1]
    freq_h = np.bincount((h @ np.array([2, 1])).astype(int), minlength=4) / len(h)
    np.testing.assert_allclose(freq_h, H.recognition_distribution(p, V[:1])[0], atol=0.012)


def test_sleep_phase_fits_the_mode_averaging_posterior():
    """Sleep minimises KL(p||q): on the explaining-away net q learns (0.5, 0.5), not a mode."""
    p = H.init_params((1, 2), 0, scale=0.0)
    p["b"] = [np.array([-20.0]), np.array([-10.0, -10.0])]
    p["G"] = [np.array([[20.0], [20.0]])]
    post = H.posterior(p, np.array([[1.0]]))[0]
    assert post[0b10] == pytest.approx(0.5, abs=1e-3) and post[0b01] == pytest.approx(0.5, abs=1e-3)
    # the best factorial q under KL(p||q) is the product of the posterior's marginals
    marg = np.array([post[0b10] + post[0b11], post[0b01] + post[0b11]])
    averaged = H.factorial_distribution(marg)
    mode = H.factorial_distribution(np.array([1.0 - 1e-9, 1e-9]))
    assert H.kl_bits(post, averaged) < H.kl_bits(post, mode)
    assert H.kl_bits(mode, post) == pytest.approx(1.0, abs=1e-3)
    assert H.kl_bits(averaged, post) > 5


# ----------------------------------------------------------------------------- bars and training
def test_bars_distribution_is_exact():
    pat, pr = H.bars_distribution(4, 0.2, 2 / 3)
    assert pat.shape == (30, 16) and pr.sum() == pytest.approx(1.0)
    assert pr[0] == pytest.approx(0.8**4)  # blank: either orientation, no bars
    full = np.flatnonzero(pat.sum(axis=1) == 16)
    assert pr[full[0]] == pytest.approx(0.2**4)
    one_v = np.zeros(16)
    one_v[[0, 4, 8, 12]] = 1  # column 0
    k = np.flatnonzero((pat == one_v).all(axis=1))[0]
    assert pr[k] == pytest.approx(2 / 3 * 0.2 * 0.8**3)
    X = H.sample_bars(60_000, 3)
    idx = (X @ 2.0 ** np.arange(15, -1, -1)).astype(int)
    pidx = (pat @ 2.0 ** np.arange(15, -1, -1)).astype(int)
    assert set(np.unique(idx)) <= set(pidx)
    freq = np.array([(idx == i).mean() for i in pidx])
    np.testing.assert_allclose(freq, pr, atol=0.01)


def test_training_is_deterministic_and_learns_bars():
    pat, pr = H.bars_distribution()
    X = H.sample_bars(60_000, 0)
    a = H.HelmholtzMachine(learning_rate=1.0, batch_size=20, n_checkpoints=3, rng=1).fit(X)
    b = H.HelmholtzMachine(learning_rate=1.0, batch_size=20, rng=1).fit(X)
    for key in a.params_:
        for x, y in zip(a.params_[key], b.params_[key]):
            np.testing.assert_array_equal(x, y)
    assert len(a.checkpoints_) == 3 and a.checkpoints_[0][0] == 0
    assert a.checkpoints_[-1][0] == 60_000
    start = H.kl_data_to_model(a.checkpoints_[0][1], pat, pr)
    kl = H.kl_data_to_model(a.params_, pat, pr)
    assert kl < 0.5 * start
    # score is the mean log-likelihood in nats; on the exact distribution it is −(H + KL) ln 2.
    entropy_bits = -(pr * np.log2(pr)).sum()
    assert a.score(pat, pr) == pytest.approx(-(entropy_bits + kl) * math.log(2), rel=1e-10)
    assert a.score(pat[:3]) == pytest.approx(H.log_marginal(a.params_, pat[:3]).mean())
    np.testing.assert_array_equal(a.sample(5), b.sample(5))
    np.testing.assert_array_equal(a.sample(5), a.sample(5))  # the same call, the same fantasies
    assert set(np.unique(a.sample(5))) <= {0.0, 1.0}
    probs = a.sample(5, probabilities=True)
    assert np.all((probs > 0) & (probs < 1)) and not np.all(np.isin(probs, (0.0, 1.0)))


def test_fit_is_one_wake_sleep_step_per_batch_with_the_public_rules():
    X = H.sample_bars(40, 2, size=2)
    hm = H.HelmholtzMachine(
        (4, 2, 1),
        learning_rate=0.3,
        recognition_learning_rate=0.2,
        batch_size=10,
        n_epochs=2,
        dtype="float64",
        rng=4,
    ).fit(X)
    gen = np.random.default_rng(4)
    p = H.init_params((4, 2, 1), gen, 0.1, "float64")
    mean = np.clip(X.mean(axis=0), 0.01, 0.99)
    p["b"][0] = np.log(mean / (1 - mean))
    for t in range(8):  # 4 batches per epoch, 2 epochs, the stream in order
        batch = X[(t % 4) * 10 : (t % 4) * 10 + 10]
        wake = H.wake_gradients(p, H.recognize(p, batch, gen))
        for key in ("G", "b"):
            p[key] = [a + 0.3 / 10 * g for a, g in zip(p[key], wake[key], strict=True)]
        sleep = H.sleep_gradients(p, H.dream(p, 10, gen))
        for key in ("R", "c"):
            p[key] = [a + 0.2 / 10 * g for a, g in zip(p[key], sleep[key], strict=True)]
    for key in p:
        for x, y in zip(hm.params_[key], p[key], strict=True):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


# ----------------------------------------------------------------------------- bad input
P = H.init_params((3, 2), 0)
S = random_states((3, 2), 2, 0)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: H.bars_distribution(size=0), "size"),
        (lambda: H.bars_distribution(p_bar=1.5), "p_bar"),
        (lambda: H.sample_bars(0, 1), "n"),
        (lambda: H.sample_bars(5, 1, p_vertical=-0.1), "p_vertical"),
        (lambda: H.init_params((3,), 0), "layer_sizes"),
        (lambda: H.init_params((3, 0), 0), "layer_sizes"),
        (lambda: H.init_params((3, 2), 0, scale=-1.0), "scale"),
        (lambda: H.recognize(P, np.full((2, 3), 0.5), 0), "V"),
        (lambda: H.recognize(P, np.ones((2, 4)), 0), "V"),
        (lambda: H.dream(P, 0, 0), "n"),
        (lambda: H.log_joint(P, S[:1]), "states"),
        (lambda: H.log_recognition(P, [S[0], np.ones((2, 3))]), r"states\[1\]"),
        (lambda: H.wake_gradients(P, [S[0], np.ones((3, 2))]), r"states\[1\]"),
        (lambda: H.sleep_gradients(P, [S[0] * 2, S[1]]), r"states\[0\]"),
        (lambda: H.log_marginal(P, np.ones(3)), "V"),
        (
            lambda: H.generative_distribution(H.init_params((MAX_ENUMERATED_UNITS + 1, 1), 0)),
            "visible",
        ),
        (
            lambda: H.posterior(H.init_params((2, MAX_ENUMERATED_UNITS + 1), 0), np.ones((1, 2))),
            "hidden",
        ),
        (lambda: H.recognition_distribution(P, np.array([[0.0, 1.0, np.nan]])), "V"),
        (lambda: H.free_energy_bits(P, np.ones((1, 2))), "V"),
        (lambda: H.factorial_distribution([0.5, 1.2]), "means"),
        (lambda: H.kl_bits(np.array([0.5, 0.5]), np.array([1.0])), "same shape"),
        (lambda: H.kl_bits(np.array([0.5, 0.6]), np.array([0.5, 0.5])), "p must sum"),
        (lambda: H.kl_data_to_model(P, np.ones((2, 3)), np.array([0.5, 0.4])), "probs"),
        (lambda: H.HelmholtzMachine(learning_rate=0.0, rng=0), "learning_rate"),
        (
            lambda: H.HelmholtzMachine(recognition_learning_rate=-1.0, rng=0),
            "recognition_learning_rate",
        ),
        (lambda: H.HelmholtzMachine(batch_size=0, rng=0), "batch_size"),
        (lambda: H.HelmholtzMachine(n_epochs=0, rng=0), "n_epochs"),
        (lambda: H.HelmholtzMachine(learning_rate_decay=-1.0, rng=0), "learning_rate_decay"),
        (lambda: H.HelmholtzMachine(dtype="int8", rng=0), "dtype"),
        (lambda: H.HelmholtzMachine(n_checkpoints=-1, rng=0), "n_checkpoints"),
        (lambda: H.HelmholtzMachine((3, 2), rng=0).fit(np.ones((4, 5))), "X"),
        (lambda: H.HelmholtzMachine((3, 2), batch_size=10, rng=0).fit(np.ones((4, 3))), "X"),
        (lambda: H.HelmholtzMachine((3, 2), rng=0).fit(np.ones((40, 3))).sample(0), "n_samples"),
        (
            lambda: (
                H.HelmholtzMachine((3, 2), rng=0)
                .fit(np.ones((40, 3)))
                .score(np.ones((2, 3)), [1.0, -1.0])
            ),
            "sample_weight",
        ),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: H.init_params("16,8", 0), "layer_sizes"),
        (lambda: H.recognize({"G": []}, np.ones((1, 3)), 0), "params"),
        (lambda: H.dream(P, 3, None), "rng"),
        (lambda: H.sample_bars(3, None), "rng"),
        (lambda: H.HelmholtzMachine((3, 2), rng=None), "rng"),
        (lambda: H.HelmholtzMachine((3, 2), rng=np.random.RandomState(0)), "rng"),  # noqa: NPY002
    ],
)
def test_wrong_types_are_refused(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_unfitted_machine_refuses_to_sample_and_score():
    with pytest.raises(NotFittedError, match="fit"):
        H.HelmholtzMachine(rng=0).sample(3)
    with pytest.raises(NotFittedError, match="fit"):
        H.HelmholtzMachine(rng=0).score(np.ones((1, 16)))


@pytest.mark.parametrize(
    "call",
    [
        lambda: H.sample_bars(3, -1),
        lambda: H.init_params((3, 2), -1),
        lambda: H.recognize(P, np.ones((2, 3)), -1),
        lambda: H.dream(P, 3, -1),
        lambda: H.HelmholtzMachine(rng=-1),
    ],
)
def test_a_negative_seed_is_refused_naming_rng(call):
    with pytest.raises(ValueError, match="rng"):
        call()
