"""Chapter 01 kernels: the mathematics of Hebb, Oja, Hebb + anti-Hebb, and lesions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import data, hebb

COVARIANCE = np.array([[3.0, 1.2], [1.2, 1.0]])


@pytest.fixture(scope="module")
def gaussian_data():
    return np.random.default_rng(0).multivariate_normal([0.0, 0.0], COVARIANCE, size=4000)


def test_second_moment_and_top_eigenvector(gaussian_data):
    C = hebb.second_moment(gaussian_data)
    np.testing.assert_allclose(C, gaussian_data.T @ gaussian_data / len(gaussian_data))
    lam, e = hebb.top_eigenvector(gaussian_data)
    np.testing.assert_allclose(C @ e, lam * e, atol=1e-10)
    assert lam == pytest.approx(np.linalg.eigvalsh(C).max())


def test_plain_hebb_diverges_at_the_rate_the_top_eigenvalue_predicts(gaussian_data):
    learning_rate = 0.01
    trajectory = hebb.train_single_unit(gaussian_data, "hebb", learning_rate, 600, rng=1)
    norms = np.linalg.norm(trajectory, axis=1)
    assert norms[-1] > 1e6 * norms[0], "Hebb alone must make the weights blow up"
    measured = hebb.growth_rate(trajectory)
    predicted = hebb.predicted_growth_rate(gaussian_data, learning_rate)
    assert measured == pytest.approx(predicted, rel=0.1)
    # The direction it blows up in is the first principal axis.
    _, e = hebb.top_eigenvector(gaussian_data)
    assert abs(trajectory[-1] @ e) / norms[-1] > 0.99


def test_oja_converges_to_the_unit_first_principal_component(gaussian_data):
    trajectory = hebb.train_single_unit(gaussian_data, "oja", 0.005, 4000, rng=2)
    w = trajectory[-1]
    _, e = hebb.top_eigenvector(gaussian_data)
    assert abs(np.linalg.norm(w) - 1.0) < 0.02
    assert abs(w @ e) / np.linalg.norm(w) > 0.99


def test_single_unit_update_matches_the_rule_by_hand():
    X = np.array([[1.0, 2.0]])
    w0 = np.array([0.5, -0.25])
    y = X[0] @ w0
    hebb_step = hebb.train_single_unit(X, "hebb", 0.1, 1, rng=0, w_init=w0)[1]
    np.testing.assert_allclose(hebb_step, w0 + 0.1 * y * X[0])
    oja_step = hebb.train_single_unit(X, "oja", 0.1, 1, rng=0, w_init=w0)[1]
    np.testing.assert_allclose(oja_step, w0 + 0.1 * y * (X[0] - y * w0))


def test_training_is_deterministic_under_a_seed(gaussian_data):
    a = hebb.train_single_unit(gaussian_data, "oja", 0.01, 50, rng=5)
    b = hebb.train_single_unit(gaussian_data, "oja", 0.01, 50, rng=5)
    np.testing.assert_array_equal(a, b)


def test_hebb_plus_antihebb_matches_the_data_correlations(gaussian_data):
    result = hebb.hebb_antihebb(gaussian_data, learning_rate=0.05, n_epochs=400, rng=3)
    assert result.distance[-1] < 0.1 * result.distance[0]
    assert np.all(result.min_eigenvalue > 0)
    model_cov = np.linalg.inv(result.precision)
    np.testing.assert_allclose(model_cov, hebb.second_moment(gaussian_data), atol=0.3)


def test_hebb_without_sleep_runs_away(gaussian_data):
    result = hebb.hebb_antihebb(gaussian_data, learning_rate=0.05, n_epochs=400, rng=3, sleep=False)
    assert result.min_eigenvalue[-1] <= 0, "wake-only learning must destroy the model"
    assert np.isinf(result.distance[-1])


def test_outer_product_memory_is_symmetric_hebbian_with_zero_diagonal():
    P = data.random_patterns(5, 30, rng=0)
    W = hebb.outer_product_memory(P)
    np.testing.assert_allclose(W, W.T)
    assert np.all(np.diag(W) == 0)
    i, j = 3, 17
    assert W[i, j] == pytest.approx(np.sum(P[:, i] * P[:, j]) / 30)


def test_orthogonal_patterns_are_fixed_points():
    from scipy.linalg import hadamard

    H = hadamard(32).astype(float)
    P = H[1:9]  # 8 mutually orthogonal ±1 patterns, P < N
    W = hebb.outer_product_memory(P)
    np.testing.assert_array_equal(hebb.recall(W, P, n_sweeps=1), P)


def test_recall_keeps_a_unit_whose_input_is_a_rounded_tie():
    # W = XᵀX/N rounds pattern 0's exact ties to about ±1e-17; recall must not flip them
    X = np.array([[-1.0, 1, -1, -1, -1], [-1, -1, -1, 1, 1], [1, 1, 1, -1, -1]])
    W = hebb.outer_product_memory(X)
    field = X[0] @ W
    assert np.any((field != 0) & (np.abs(field) < 1e-15))
    np.testing.assert_array_equal(hebb.recall(W, X[0], n_sweeps=3), X[0])


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), fraction=st.floats(0.0, 1.0))
def test_lesion_keeps_symmetry_and_removes_about_the_fraction(seed, fraction):
    W = hebb.outer_product_memory(data.random_patterns(3, 60, rng=seed))
    cut = hebb.lesion(W, fraction, rng=seed)
    np.testing.assert_array_equal(cut, cut.T)
    kept = cut[np.triu_indices(60, 1)] != 0
    nonzero = W[np.triu_indices(60, 1)] != 0
    removed = 1 - kept.sum() / nonzero.sum()
    assert abs(removed - fraction) < 0.08
    assert np.all((cut == 0) | (cut == W)), "a lesion only deletes synapses"


def test_distributed_memory_degrades_gracefully():
    P = data.random_patterns(20, 400, rng=3)
    curve = hebb.lesion_curve(P, [0.0, 0.5, 0.7, 0.9], rng=4)
    assert curve[0] == pytest.approx(1.0)
    assert curve[1] > 0.99, "half the synapses gone, memories intact"
    assert np.all(np.diff(curve) <= 1e-9)
    assert 0.6 < curve[-1] < 0.9, "90% gone: every memory blurred, none deleted"


def test_overlap_definition():
    a = np.array([1.0, -1.0, 1.0, 1.0])
    assert hebb.overlap(a, a) == 1.0 and isinstance(hebb.overlap(a, a), float)
    assert hebb.overlap(a, -a) == -1.0
    assert hebb.overlap(a, np.array([1.0, 1.0, -1.0, 1.0])) == 0.0
    batch = np.stack([a, -a, a])
    np.testing.assert_array_equal(hebb.overlap(batch, a), [1.0, -1.0, 1.0])
    np.testing.assert_array_equal(hebb.overlap(batch, batch[::-1]), [1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: hebb.second_moment([1.0, 2.0]), ValueError, "X must be 2-D"),
        (lambda: hebb.second_moment([[np.nan, 1.0]]), ValueError, "X must not contain NaN"),
        (lambda: hebb.second_moment("abc"), TypeError, "X must be an array"),
        (lambda: hebb.train_single_unit([[1.0]], "hebbian", 0.1, 5, 0), ValueError, "rule must"),
        (
            lambda: hebb.train_single_unit([[1.0]], "hebb", -0.1, 5, 0),
            ValueError,
            "learning_rate must be > 0",
        ),
        (
            lambda: hebb.train_single_unit([[1.0]], "hebb", 0.1, 0, 0),
            ValueError,
            "n_epochs must be >= 1",
        ),
        (lambda: hebb.train_single_unit([[1.0]], "hebb", 0.1, 5, None), TypeError, "rng must be"),
        (
            lambda: hebb.train_single_unit([[1.0, 2]], "oja", 0.1, 5, 0, w_init=[1.0]),
            ValueError,
            "w_init must have shape",
        ),
        (
            lambda: hebb.predicted_growth_rate([[1.0]], 0),
            ValueError,
            "learning_rate must be > 0",
        ),
        (lambda: hebb.growth_rate([[1.0], [2.0]]), ValueError, "trajectory must have at least 3"),
        (lambda: hebb.growth_rate([[1.0]] * 5, burn_in=1.0), ValueError, "burn_in must be < 1"),
        (
            lambda: hebb.hebb_antihebb([[1.0]], 0.1, 5, 0, sleep="yes"),
            TypeError,
            "sleep must be True or False",
        ),
        (
            lambda: hebb.hebb_antihebb([[1.0]], 0.1, 5, 0, n_dreams=0),
            ValueError,
            "n_dreams must be >= 1",
        ),
        (
            lambda: hebb.outer_product_memory([[1.0, 0.0]]),
            ValueError,
            "patterns must contain only -1 and",
        ),
        (
            lambda: hebb.outer_product_memory([[1.0, -1.0]], dtype="int8"),
            ValueError,
            "dtype must be one of",
        ),
        (lambda: hebb.recall(np.zeros((3, 2)), [1.0, 1.0]), ValueError, "W must be square"),
        (lambda: hebb.recall(np.zeros((3, 3)), [1.0, 1.0]), ValueError, "cue must have 3 units"),
        (
            lambda: hebb.recall(np.zeros((2, 2)), [1.0, 1.0], n_sweeps=-1),
            ValueError,
            "n_sweeps must be >= 0",
        ),
        (lambda: hebb.overlap([1.0, 1.0], [1.0]), ValueError, "same number of units"),
        (lambda: hebb.overlap([1.0, 0.0], [1.0, 1.0]), ValueError, "a must contain only -1"),
        (
            lambda: hebb.overlap([[1.0, 1.0]] * 2, [[1.0, 1.0]] * 3),
            ValueError,
            "b must have as many rows as a",
        ),
        (lambda: hebb.lesion(np.zeros((2, 2)), 1.5, 0), ValueError, "fraction must be <= 1"),
        (lambda: hebb.lesion(np.zeros((2, 2)), 0.5, 1.5), TypeError, "rng must be"),
        (
            lambda: hebb.lesion_curve([[1.0, -1.0]], [0.2, 1.2], 0),
            ValueError,
            r"fractions must lie in \[0, 1\]",
        ),
        (
            lambda: hebb.lesion_curve([[1.0, -1.0]], [0.2], 0, cue_noise=0.7),
            ValueError,
            "cue_noise must be <= 0.5",
        ),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: hebb.train_single_unit([[1.0]], "hebb", 0.1, 5, rng),
        lambda rng: hebb.hebb_antihebb([[1.0]], 0.1, 5, rng),
        lambda rng: hebb.lesion(np.zeros((2, 2)), 0.5, rng),
        lambda rng: hebb.lesion_curve([[1.0, -1.0]], [0.2], rng),
    ],
)
def test_a_negative_seed_is_refused_by_name(call):
    with pytest.raises(ValueError, match="rng must be a seed >= 0"):
        call(-1)
    with pytest.raises(TypeError, match="rng must be an int seed or a random Generator"):
        call(np.random.RandomState(0))


@pytest.mark.gpu
def test_memory_kernels_agree_on_cupy_and_numpy(on_both_backends):
    P = data.random_patterns(10, 200, rng=0)
    cues = np.where(np.random.default_rng(1).random(P.shape) < 0.1, -P, P)

    def run(xp):
        W = hebb.outer_product_memory(xp.asarray(P))
        return hebb.overlap(hebb.recall(W, xp.asarray(cues), 5), xp.asarray(P))

    cpu, gpu = on_both_backends(run)
    np.testing.assert_allclose(cpu, gpu, atol=1e-12)
