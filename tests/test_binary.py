"""Tests for hinton_utils.core.binary: states, energies, ties, symmetry and the Gibbs sweep."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils.core import binary


def random_model(n: int, seed: int, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = np.triu(rng.standard_normal((n, n)) * scale, 1)
    return A + A.T, rng.standard_normal(n) * scale


def boltzmann(W: np.ndarray, b: np.ndarray, T: float) -> np.ndarray:
    """exp(-E/T)/Z over every state, by a plain loop (independent of the package)."""
    n = len(b)
    weights = []
    for bits in itertools.product((0.0, 1.0), repeat=n):
        s = np.array(bits)
        weights.append(math.exp((0.5 * s @ W @ s + b @ s) / T))
    return np.array(weights) / sum(weights)


class FixedUniforms:
    """A stand-in Generator whose ``random`` returns chosen numbers (sequential order only)."""

    def __init__(self, U: np.ndarray) -> None:
        self.U = U

    def random(self, size=None, dtype=None):
        assert tuple(size) == self.U.shape, (size, self.U.shape)
        return self.U.astype(dtype or "float64")


# ----------------------------------------------------------------------------- states
@pytest.mark.parametrize("n", [1, 3, 5])
def test_all_states_count_in_binary_with_unit_0_most_significant(n):
    S = binary.all_states(n)
    assert S.shape == (2**n, n) and S.dtype == np.float64
    for k in range(2**n):
        assert "".join(str(int(v)) for v in S[k]) == format(k, f"0{n}b")
    np.testing.assert_array_equal(binary.all_states(n, units="pm1"), 2 * S - 1)
    assert binary.all_states(n, dtype="float32").dtype == np.float32


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 12), seed=st.integers(0, 10_000))
def test_state_index_inverts_all_states(n, seed):
    S = binary.all_states(n)
    np.testing.assert_array_equal(binary.state_index(S), np.arange(2**n))
    picks = (np.random.default_rng(seed).random((20, n)) < 0.5).astype(float)
    np.testing.assert_array_equal(S[binary.state_index(picks)], picks)
    assert int(binary.state_index(picks[0])) == int(binary.state_index(picks)[0])


def test_state_blocks_concatenate_to_all_states():
    blocks = list(binary.state_blocks(7, block=20))
    assert [len(b) for b in blocks] == [20] * 6 + [8]
    np.testing.assert_array_equal(np.concatenate(blocks), binary.all_states(7))


def test_the_enumeration_cap_is_one_number():
    assert binary.MAX_ENUMERATED_UNITS == 20
    with pytest.raises(ValueError, match="n must be <= 20"):
        binary.all_states(21)
    with pytest.raises(ValueError, match="units in S"):
        binary.state_index(np.zeros((1, binary.MAX_BLOCKED_UNITS + 1)))


# ----------------------------------------------------------------------------- energy
@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 7), seed=st.integers(0, 10_000))
def test_energy_matches_a_sum_over_pairs(n, seed):
    W, b = random_model(n, seed)
    for units in binary.UNITS:
        S = binary.all_states(n, units=units)
        E = binary.energy(W, b, S)
        for k in range(0, 2**n, max(1, 2**n // 7)):
            s = S[k]
            pairs = sum(W[i, j] * s[i] * s[j] for i, j in itertools.combinations(range(n), 2))
            assert E[k] == pytest.approx(-pairs - b @ s, abs=1e-12)


def test_energy_of_a_stack_is_each_network_s_energy():
    models = [random_model(5, seed) for seed in range(3)]
    Ws, bs = np.stack([m[0] for m in models]), np.stack([m[1] for m in models])
    S = binary.all_states(5)
    E = binary.energy(Ws, bs, S)
    assert E.shape == (3, 32)
    for r, (W, b) in enumerate(models):
        np.testing.assert_allclose(E[r], binary.energy(W, b, S), atol=1e-12)


# ----------------------------------------------------------------------------- symmetry
def test_check_symmetric_has_one_relative_tolerance():
    W, _ = random_model(6, 1, scale=100.0)
    scale = np.abs(W).max()
    ok = W.copy()
    ok[0, 1] += 0.5 * binary.SYMMETRY_RTOL * scale
    np.testing.assert_array_equal(binary.check_symmetric(ok), ok)
    bad = W.copy()
    bad[0, 1] += 2 * binary.SYMMETRY_RTOL * scale
    with pytest.raises(ValueError, match="W must be symmetric"):
        binary.check_symmetric(bad)
    diag = W.copy()
    diag[2, 2] = 2 * binary.SYMMETRY_RTOL * scale
    with pytest.raises(ValueError, match="zero diagonal"):
        binary.check_symmetric(diag)


def test_check_symmetric_accepts_float32_hebbian_weights_and_stacks():
    X = np.where(np.random.default_rng(0).random((40, 300)) < 0.5, 1.0, -1.0).astype(np.float32)
    W = X.T @ X / 300
    np.fill_diagonal(W, 0.0)
    assert binary.check_symmetric(W, dtype="float32").dtype == np.float32
    stack = np.stack([random_model(4, s)[0] for s in range(3)])
    assert binary.check_symmetric(stack, ndim=(2, 3)).shape == (3, 4, 4)
    with pytest.raises(ValueError, match="M must be square"):
        binary.check_symmetric(np.zeros((2, 3)), "M")
    with pytest.raises(ValueError, match="W must be 2-D"):
        binary.check_symmetric(stack)


# ----------------------------------------------------------------------------- zero temperature
def test_threshold_keeps_the_state_on_a_tie():
    h = np.array([1e-17, -1e-17, 0.3, -0.3, 0.0])
    s = np.array([-1.0, 1.0, -1.0, 1.0, 1.0])
    np.testing.assert_array_equal(binary.threshold(h, s, 1e-9, units="pm1"), [-1, 1, 1, -1, 1])
    # with no tolerance, rounding noise decides
    np.testing.assert_array_equal(binary.threshold(h, s, 0.0, units="pm1"), [1, -1, 1, -1, 1])
    np.testing.assert_array_equal(binary.threshold(h, (s + 1) / 2, 1e-9), [0, 1, 1, 0, 1])


def test_tie_tolerance_scales_with_the_largest_possible_input():
    W = np.array([[0.0, 2.0, -1.0], [2.0, 0.0, 0.5], [-1.0, 0.5, 0.0]])
    b = np.array([1.0, 0.0, -3.0])
    np.testing.assert_allclose(binary.tie_tolerance(W), binary.TIE_RTOL * np.array([3, 2.5, 1.5]))
    np.testing.assert_allclose(
        binary.tie_tolerance(W, b), binary.TIE_RTOL * np.array([4, 2.5, 4.5])
    )


# ----------------------------------------------------------------------------- free units
def test_free_indices_from_none_mask_or_indices():
    np.testing.assert_array_equal(binary.free_indices(None, 4), [0, 1, 2, 3])
    mask = np.array([True, False, True, False])
    np.testing.assert_array_equal(binary.free_indices(mask, 4), [0, 2])
    np.testing.assert_array_equal(binary.free_indices(np.array([3, 1]), 4), [3, 1])
    assert binary.free_indices(np.array([], dtype=int), 4).size == 0


@pytest.mark.parametrize(
    ("free", "error", "match"),
    [
        (np.array([True, False]), ValueError, "free as a bool mask"),
        (np.array([0, 4]), ValueError, "free indices must lie"),
        (np.array([1, 1]), ValueError, "free indices must not repeat"),
        (np.array([0.0, 1.0]), TypeError, "free must be a bool mask or an int"),
        ("all", TypeError, "free must be an array"),
    ],
)
def test_free_indices_refuse_what_is_not_a_set_of_units(free, error, match):
    with pytest.raises(error, match=match):
        binary.free_indices(free, 4)


# ----------------------------------------------------------------------------- Gibbs sweep
def _sweep_matrix(W, b, T):
    """The exact transition matrix of one sequential sweep, read off the implementation.

    For every start state (as parallel chains) and every unit, with the earlier units
    forced to a chosen value (a uniform of 0 forces "on", one just below 1 forces
    "off"), bisection on the unit's uniform finds the probability the sweep turns it
    on. The sweep's transition probability to y is the product along y's path.
    """
    n = len(b)
    X = binary.all_states(n)
    one_minus = np.nextafter(1.0, 0.0)
    P = np.ones((2**n, 2**n))
    Y = binary.all_states(n)
    for c in range(n):
        for prefix in itertools.product((0.0, 1.0), repeat=c):
            lo, hi = np.zeros(2**n), np.ones(2**n)
            for _ in range(60):
                mid = (lo + hi) / 2
                U = np.full((n, 2**n), 0.5)
                for j, bit in enumerate(prefix):
                    U[j] = 0.0 if bit else one_minus
                U[c] = mid
                S = binary.gibbs_sweep_(X.copy(), W, b, FixedUniforms(U), T)
                np.testing.assert_array_equal(S[:, :c], np.tile(prefix, (2**n, 1)))
                on = S[:, c] == 1.0
                lo, hi = np.where(on, mid, lo), np.where(on, hi, mid)
            p_on = (lo + hi) / 2
            match = np.all(Y[:, :c] == prefix, axis=1)
            for y in np.flatnonzero(match):
                P[:, y] *= p_on if Y[y, c] == 1 else 1 - p_on
    return P


@pytest.mark.parametrize("T", [0.6, 1.0, 2.5])
def test_sweep_leaves_the_boltzmann_distribution_stationary_exactly(T):
    W, b = random_model(3, int(10 * T))
    P = _sweep_matrix(W, b, T)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, atol=1e-12)
    pi = boltzmann(W, b, T)
    np.testing.assert_allclose(pi @ P, pi, atol=1e-12)
    # and it is the product of the three single-unit Gibbs kernels, in index order
    X = binary.all_states(3)
    kernels = []
    for i in range(3):
        K = np.zeros((8, 8))
        p = 1 / (1 + np.exp(-(X @ W[:, i] + b[i]) / T))
        for x in range(8):
            on, off = X[x].copy(), X[x].copy()
            on[i], off[i] = 1, 0
            K[x, binary.state_index(on)] += p[x]
            K[x, binary.state_index(off)] += 1 - p[x]
        kernels.append(K)
    np.testing.assert_allclose(P, kernels[0] @ kernels[1] @ kernels[2], atol=1e-12)
    # a sweep is not reversible (detailed balance fails), yet pi is stationary
    assert np.abs(pi[:, None] * P - (pi[:, None] * P).T).max() > 1e-6


def test_sweep_samples_the_boltzmann_distribution():
    W, b = random_model(4, 3)
    S = binary.gibbs_sweep(W, b, np.zeros((20_000, 4)), 0, T=1.3, n_sweeps=30, order="random")
    f = np.bincount(binary.state_index(S), minlength=16) / len(S)
    assert 0.5 * np.abs(f - boltzmann(W, b, 1.3)).sum() < 0.02  # floor ~0.01 for 20k draws


@pytest.mark.parametrize("units", ["binary", "pm1"])
@pytest.mark.parametrize("stacked", [False, True])
def test_sweep_leaves_clamped_units_alone(units, stacked):
    rng = np.random.default_rng(4)
    W, b = random_model(6, 5, scale=3.0)
    S0 = binary.all_states(6, units=units)[rng.integers(0, 64, 500)]
    if stacked:
        W, b, S0 = np.stack([W, -W]), np.stack([b, b]), np.stack([S0, S0])
    free = np.array([0, 2, 5])
    S = binary.gibbs_sweep(W, b, S0, 1, free=free, units=units, n_sweeps=5, order="random")
    np.testing.assert_array_equal(S[..., [1, 3, 4]], S0[..., [1, 3, 4]])
    assert np.any(S[..., free] != S0[..., free])
    assert set(np.unique(S)) <= ({0.0, 1.0} if units == "binary" else {-1.0, 1.0})
    S = binary.gibbs_sweep(W, b, S0, 1, free=np.zeros(6, dtype=bool), n_sweeps=3, units=units)
    np.testing.assert_array_equal(S, S0)


def test_pm1_units_are_the_binary_sweep_of_the_transformed_network():
    W, b = random_model(5, 6)
    S = np.where(np.random.default_rng(7).random((300, 5)) < 0.5, 1.0, -1.0)
    pm1 = binary.gibbs_sweep(W, b, S, 8, units="pm1", n_sweeps=3, T=0.8)
    x = binary.gibbs_sweep(4 * W, 2 * (b - W.sum(axis=1)), (S + 1) / 2, 8, n_sweeps=3, T=0.8)
    np.testing.assert_array_equal(pm1, 2 * x - 1)


def test_a_stack_sweeps_each_network_with_its_own_uniforms():
    models = [random_model(4, s) for s in (1, 2)]
    Ws, bs = np.stack([m[0] for m in models]), np.stack([m[1] for m in models])
    S = binary.all_states(4)[np.random.default_rng(0).integers(0, 16, 50)]
    U = np.random.default_rng(1).random((4, 2, 50))
    both = binary.gibbs_sweep_(np.stack([S, S]), Ws, bs, FixedUniforms(U))
    for r, (W, b) in enumerate(models):
        np.testing.assert_array_equal(
            both[r], binary.gibbs_sweep_(S.copy(), W, b, FixedUniforms(U[:, r]))
        )


def test_per_chain_temperature_and_float32():
    W, b = random_model(3, 12)
    T = np.array([1e-6] * 200 + [1e6] * 200)
    S = binary.gibbs_sweep(W, b, np.zeros((400, 3)), 0, T=T, n_sweeps=20)
    cold, hot = S[:200], S[200:]
    for s in cold:  # near T = 0 every chain sits where no single flip lowers the energy
        flips = np.abs(np.eye(3) - s)
        assert np.all(binary.energy(W, b, flips) >= binary.energy(W, b, s[None]) - 1e-12)
    assert abs(hot.mean() - 0.5) < 0.05
    S32 = binary.gibbs_sweep(W, b, np.zeros((10, 3), dtype=np.float32), 0, T=np.float32(0.5))
    assert S32.dtype == np.float32
    one = binary.gibbs_sweep(W, b, np.zeros(3), 0)
    assert one.shape == (3,)


def test_same_seed_same_sweep_and_input_untouched():
    W, b = random_model(5, 2)
    S0 = np.zeros((50, 5))
    a = binary.gibbs_sweep(W, b, S0, 42, n_sweeps=4, order="random")
    c = binary.gibbs_sweep(W, b, S0, 42, n_sweeps=4, order="random")
    np.testing.assert_array_equal(a, c)
    assert not S0.any()


W3, B3 = random_model(3, 0)
S3 = np.zeros((2, 3))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: binary.gibbs_sweep(W3 + np.eye(3), B3, S3, 0), ValueError, "W must have a zero"),
        (lambda: binary.gibbs_sweep(np.triu(W3), B3, S3, 0), ValueError, "W must be symmetric"),
        (lambda: binary.gibbs_sweep(W3, B3[:2], S3, 0), ValueError, "b must have shape"),
        (lambda: binary.gibbs_sweep(W3, B3, S3 + 0.5, 0), ValueError, "S must contain only 0"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, units="pm1"), ValueError, "S must contain"),
        (lambda: binary.gibbs_sweep(W3, B3, np.zeros((2, 4)), 0), ValueError, "S must have shape"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, T=0.0), ValueError, "T must be > 0"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, T=np.ones(3)), ValueError, "T must have shape"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, free=[0, 3]), ValueError, "free indices"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, order="back"), ValueError, "order must be"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, units="spin"), ValueError, "units must be"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, 0, n_sweeps=-1), ValueError, "n_sweeps must"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, None), TypeError, "rng must be"),
        (lambda: binary.gibbs_sweep(W3, B3, S3, -1), ValueError, "rng must be a seed >= 0"),
        (
            lambda: binary.gibbs_sweep(W3, B3, S3, np.random.RandomState(0)),
            TypeError,
            "rng must be",
        ),
    ],
)
def test_gibbs_sweep_names_the_bad_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
