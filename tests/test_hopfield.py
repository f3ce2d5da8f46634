"""Tests for hinton_utils.hopfield: energy, settling, storage and capacity."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import hopfield as H
from hinton_utils.core import binary
from hinton_utils.hebb import overlap


def random_symmetric(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    W = (A + A.T) / 2
    np.fill_diagonal(W, 0.0)
    return W


def pm1(rng: np.random.Generator, shape) -> np.ndarray:
    return np.where(rng.random(shape) < 0.5, 1.0, -1.0)


# ----------------------------------------------------------------------------- energy
def test_energy_matches_pairwise_sum_both_conventions():
    W = random_symmetric(6, 1)
    b = np.random.default_rng(2).standard_normal(6)
    for units in ("pm1", "binary"):
        S = binary.all_states(6, units=units)
        E = H.energy(W, S, b, units=units)
        for k in (0, 17, 63):
            s = S[k]
            pairs = sum(W[i, j] * s[i] * s[j] for i, j in itertools.combinations(range(6), 2))
            assert E[k] == pytest.approx(-pairs - b @ s, abs=1e-12)
        assert H.energy(W, S[5], b, units=units) == pytest.approx(E[5])


def test_goodness_is_sum_of_weights_between_active_units():
    W, names = H.goodness_example()
    s = np.zeros(5)
    on = [names.index(u) for u in ("a", "c", "d")]
    s[on] = 1
    expected = sum(W[i, j] for i, j in itertools.combinations(on, 2))
    assert H.goodness(W, s) == pytest.approx(expected)
    assert H.goodness(W, s) == pytest.approx(-H.energy(W, s, units="binary"))


def test_flip_energy_changes_match_recomputed_energies():
    rng = np.random.default_rng(3)
    W = random_symmetric(7, 4)
    b = rng.standard_normal(7)
    for units in ("pm1", "binary"):
        s = pm1(rng, 7) if units == "pm1" else (rng.random(7) < 0.5).astype(float)
        dE = H.flip_energy_changes(W, s, b, units=units)
        for i in range(7):
            t = s.copy()
            t[i] = -t[i] if units == "pm1" else 1 - t[i]
            direct = H.energy(W, t, b, units=units) - H.energy(W, s, b, units=units)
            assert dE[i] == pytest.approx(direct, abs=1e-12)


def test_goodness_example_has_minima_with_goodness_4_and_5():
    W, names = H.goodness_example()
    assert W[names.index("a"), names.index("b")] == -5
    S = binary.all_states(5)
    g = H.goodness(W, S)
    minima = S[H.is_local_minimum(W, S, units="binary")]
    found = {
        frozenset(n for n, v in zip(names, row, strict=True) if v): H.goodness(W, row)
        for row in minima
    }
    assert found == {frozenset("bde"): 5.0, frozenset("acd"): 4.0, frozenset(): 0.0}
    assert g.max() == 5.0  # the global optimum


def test_local_minimum_definition_by_brute_force():
    W = random_symmetric(6, 9)
    S = binary.all_states(6, units="pm1")
    E = H.energy(W, S)
    flags = H.is_local_minimum(W, S)
    for k, s in enumerate(S):
        neighbours = [E[int("".join("1" if v > 0 else "0" for v in t), 2)] for t in _flips(s)]
        assert flags[k] == all(e >= E[k] - 1e-12 for e in neighbours)


def _flips(s):
    for i in range(len(s)):
        t = s.copy()
        t[i] = -t[i]
        yield t


# ----------------------------------------------------------------------------- dynamics
@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 12),
    seed=st.integers(0, 10_000),
    units=st.sampled_from(["pm1", "binary"]),
    with_bias=st.booleans(),
)
def test_asynchronous_updates_never_increase_energy(n, seed, units, with_bias):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    W = A + A.T
    np.fill_diagonal(W, 0.0)
    b = rng.standard_normal(n) if with_bias else None
    s0 = pm1(rng, (3, n)) if units == "pm1" else (rng.random((3, n)) < 0.5).astype(float)
    final, states, energies = H.settle(W, s0, seed, n_sweeps=4, b=b, units=units, record=True)
    assert np.all(np.diff(energies, axis=0) <= 1e-10)
    # the recorded energies are the energies of the recorded states
    np.testing.assert_allclose(energies[-1], H.energy(W, final, b, units=units), atol=1e-10)
    # once settling ends early, the end state is a local minimum
    if len(states) < 4 * n + 1:
        assert np.all(H.is_local_minimum(W, final, b, units=units))


def test_settle_reaches_fixed_point_and_fixed_points_stay_put():
    W = random_symmetric(10, 5)
    s = pm1(np.random.default_rng(6), 10)
    final = H.settle(W, s, 0, n_sweeps=50)
    assert H.is_local_minimum(W, final)
    np.testing.assert_array_equal(H.settle(W, final, 1, n_sweeps=3), final)


def test_synchronous_updates_fall_into_a_two_cycle():
    W = np.array([[0.0, 1.0], [1.0, 0.0]])
    traj = H.synchronous_run(W, np.array([1.0, -1.0]), n_sweeps=4)
    np.testing.assert_array_equal(traj[1], [-1.0, 1.0])
    np.testing.assert_array_equal(traj[2], traj[0])
    # while asynchronous updates settle into a fixed point
    final = H.settle(W, np.array([1.0, -1.0]), 0, n_sweeps=5)
    assert final[0] == final[1]


# The example: W = XᵀX/N rounds the exact ties of pattern 0 to about ±1e-17.
TIE_X = np.array([[-1.0, 1, -1, -1, -1], [-1, -1, -1, 1, 1], [1, 1, 1, -1, -1]])


def test_rounded_ties_keep_their_state_everywhere():
    W = H.hebbian_weights(TIE_X)
    h = TIE_X[0] @ W
    tied = np.abs(h) < 1e-15
    assert tied.any() and np.any(h[tied] != 0)  # ties exist, and rounding gave them a sign
    assert H.is_local_minimum(W, TIE_X[0])
    for seed in range(20):  # every visiting order
        np.testing.assert_array_equal(H.settle(W, TIE_X[0], seed, n_sweeps=5), TIE_X[0])
        np.testing.assert_array_equal(
            H.settle(W, TIE_X[0], seed, n_sweeps=5, block_size=2), TIE_X[0]
        )
    np.testing.assert_array_equal(H.synchronous_run(W, TIE_X[0], n_sweeps=3)[-1], TIE_X[0])
    assert H.one_step_error_rate(TIE_X[:1], W) == 0.0
    # the three functions agree on every pattern: stable bits are exactly the local minima
    flags = H.is_local_minimum(W, TIE_X)
    for x, flag in zip(TIE_X, flags, strict=True):
        assert (H.one_step_error_rate(x[None], W) == 0.0) == flag
        assert np.array_equal(H.settle(W, x, 0, n_sweeps=1), x) == flag


def test_a_real_input_just_above_the_tolerance_still_flips():
    W = np.array([[0.0, 1.0], [1.0, 0.0]])
    b = np.array([-1.0 + 1e-3, 5.0])
    # unit 0's input is 1e-3, far above its tie tolerance (1e-6 of 2): it turns on
    np.testing.assert_array_equal(H.settle(W, [-1.0, 1.0], 0, b=b, n_sweeps=1), [1.0, 1.0])
    assert not H.is_local_minimum(W, [-1.0, 1.0], b)


def test_synchronous_runs_end_in_fixed_points_or_two_cycles():
    # Goles' theorem: with symmetric W, synchronous dynamics have period 1 or 2.
    rng = np.random.default_rng(7)
    W = random_symmetric(30, 8)
    traj = H.synchronous_run(W, pm1(rng, (20, 30)), n_sweeps=200)
    np.testing.assert_array_equal(traj[-1], traj[-3])


# ----------------------------------------------------------------------------- storage
def test_hebbian_weights_formula():
    rng = np.random.default_rng(11)
    X = pm1(rng, (3, 8))
    W = H.hebbian_weights(X)
    for i, j in [(0, 1), (2, 7), (5, 3)]:
        assert W[i, j] == pytest.approx(sum(x[i] * x[j] for x in X) / 8)
    np.testing.assert_array_equal(np.diag(W), 0.0)
    np.testing.assert_allclose(W, W.T)
    assert H.hebbian_weights(X, dtype="float32").dtype == np.float32


def test_few_random_patterns_are_fixed_points_and_recalled_from_noise():
    rng = np.random.default_rng(12)
    X = pm1(rng, (5, 200))
    W = H.hebbian_weights(X)
    assert np.all(H.is_local_minimum(W, X))
    assert np.all(H.is_local_minimum(W, -X))  # the negatives are stored too
    cues = H.corrupt(X, 13, 0.2)
    np.testing.assert_allclose(overlap(cues, X), 0.6)
    final = H.settle(W, cues, 14, n_sweeps=10)
    np.testing.assert_allclose(overlap(final, X), 1.0)


def test_corrupt_flips_exactly_k_bits():
    x = np.ones(50)
    y = H.corrupt(x, 0, 0.1)
    assert (y == -1).sum() == 5
    assert y.shape == (50,)
    Y = H.corrupt(np.ones((4, 50)), 1, 0.5)
    assert np.all((Y == -1).sum(axis=1) == 25)


def test_overlap_of_pattern_with_itself_and_negative():
    x = pm1(np.random.default_rng(3), 40)
    assert overlap(x, x) == 1.0
    assert overlap(x, -x) == -1.0


# ----------------------------------------------------------------------------- capacity
def test_theoretical_error_rate_is_normal_tail():
    assert H.theoretical_error_rate(0.138) == pytest.approx(0.0036, abs=1e-4)
    # a NumPy scalar is a scalar
    for alpha in (np.float32(0.1), np.float64(0.1), np.int64(1)):
        got = H.theoretical_error_rate(alpha)
        assert isinstance(got, float)
        assert got == pytest.approx(H.theoretical_error_rate(float(alpha)), rel=1e-6)
    assert H.theoretical_error_rate(1.0) == pytest.approx(0.5 * math.erfc(1 / math.sqrt(2)))
    arr = H.theoretical_error_rate(np.array([0.05, 0.1, 0.2]))
    assert np.all(np.diff(arr) > 0)


def test_one_step_error_rate_is_near_signal_to_noise_theory():
    rng = np.random.default_rng(21)
    X = pm1(rng, (100, 500))  # alpha = 0.2
    err = H.one_step_error_rate(X)
    theory = H.theoretical_error_rate(0.2)
    assert 0.5 * theory < err < 2 * theory
    # few patterns: no errors at all
    assert H.one_step_error_rate(X[:5]) == 0.0


def test_capacity_curve_collapses_between_low_and_high_load():
    r = H.capacity_curve(400, [0.05, 0.1, 0.25], 0, n_sweeps=10, block_size=10)
    assert r["retrieved"][0] == 1.0
    assert r["retrieved"][1] > 0.9
    assert r["retrieved"][2] < 0.2
    assert np.all(np.diff(r["error_rate"]) > 0)
    np.testing.assert_array_equal(r["n_patterns"], [20, 40, 100])


# ----------------------------------------------------------------------------- bad input
W_OK = np.array([[0.0, 1.0], [1.0, 0.0]])


def test_energy_rejects_bad_input():
    with pytest.raises(ValueError, match="W"):
        H.energy(np.array([[0.0, 1.0], [2.0, 0.0]]), [1, 1])  # not symmetric
    with pytest.raises(ValueError, match="W"):
        H.energy(np.eye(2), [1, 1])  # self-connections
    with pytest.raises(ValueError, match="s"):
        H.energy(W_OK, [1, 0])  # 0 is not a ±1 unit
    with pytest.raises(ValueError, match="units"):
        H.energy(W_OK, [1, 1], units="spin")
    with pytest.raises(ValueError, match="b"):
        H.energy(W_OK, [1, 1], b=[1.0, 2.0, 3.0])


def test_goodness_rejects_bad_input():
    with pytest.raises(ValueError, match="s"):
        H.goodness(W_OK, [1, -1])


def test_flip_and_minimum_reject_bad_input():
    with pytest.raises(ValueError, match="s"):
        H.flip_energy_changes(W_OK, [1, 1, 1])
    with pytest.raises(ValueError, match="W"):
        H.is_local_minimum(np.ones((2, 3)), [1, 1])


def test_hebbian_weights_rejects_bad_input():
    with pytest.raises(ValueError, match="patterns"):
        H.hebbian_weights([[0, 1], [1, 1]])
    with pytest.raises(ValueError, match="patterns"):
        H.hebbian_weights([1, -1])
    with pytest.raises(ValueError, match="dtype"):
        H.hebbian_weights([[1, -1]], dtype="int8")


def test_corrupt_rejects_bad_input():
    with pytest.raises(ValueError, match="flip_fraction"):
        H.corrupt([1, -1], 0, 1.5)
    with pytest.raises(TypeError, match="rng"):
        H.corrupt([1, -1], None, 0.5)


def test_settle_and_synchronous_reject_bad_input():
    with pytest.raises(ValueError, match="n_sweeps"):
        H.settle(W_OK, [1, 1], 0, n_sweeps=0)
    with pytest.raises(ValueError, match="block_size"):
        H.settle(W_OK, [1, 1], 0, block_size=3)
    with pytest.raises(TypeError, match="rng"):
        H.settle(W_OK, [1, 1], None)
    with pytest.raises(ValueError, match="n_sweeps"):
        H.synchronous_run(W_OK, [1, 1], n_sweeps=0)


def test_capacity_functions_reject_bad_input():
    with pytest.raises(ValueError, match="alpha"):
        H.theoretical_error_rate(0.0)
    with pytest.raises(ValueError, match="alpha"):
        H.theoretical_error_rate(np.array([0.1, -0.1]))
    with pytest.raises(ValueError, match="patterns"):
        H.one_step_error_rate([[1, 0]])
    with pytest.raises(ValueError, match="alphas"):
        H.capacity_curve(100, [0.1, 0.0], 0)
    with pytest.raises(ValueError, match="threshold"):
        H.capacity_curve(100, [0.1], 0, threshold=2.0)
    with pytest.raises(TypeError, match="alpha"):
        H.theoretical_error_rate(True)


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: H.corrupt([1.0, -1.0], rng, 0.5),
        lambda rng: H.settle(W_OK, [1.0, 1.0], rng),
        lambda rng: H.capacity_curve(20, [0.1], rng),
    ],
)
def test_a_negative_seed_is_refused_by_name(call):
    with pytest.raises(ValueError, match="rng must be a seed >= 0"):
        call(-1)
    with pytest.raises(TypeError, match="rng must be an int seed or a random Generator"):
        call(np.random.RandomState(0))
