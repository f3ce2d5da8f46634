"""Tests for hinton_utils.fast_weights: the decaying Hebbian memory and true recursion."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import fast_weights as F


@settings(max_examples=30, deadline=None)
@given(
    T=st.integers(1, 8),
    d=st.integers(1, 6),
    decay=st.floats(0.05, 1.0),
    learning_rate=st.floats(0.1, 2.0),
    seed=st.integers(0, 1000),
)
def test_closed_form_equals_sequential_writes(T, d, decay, learning_rate, seed):
    rng = np.random.default_rng(seed)
    K, V = rng.standard_normal((T, d)), rng.standard_normal((T, d + 1))
    A = np.zeros((d + 1, d))
    for t in range(T):
        A = F.write(A, K[t], V[t], decay=decay, learning_rate=learning_rate)
    closed = F.accumulate(K, V, decay=decay, learning_rate=learning_rate)
    np.testing.assert_allclose(closed, A, atol=1e-12)


def test_read_is_recency_weighted_attention():
    rng = np.random.default_rng(1)
    K, V, q = rng.standard_normal((5, 4)), rng.standard_normal((5, 3)), rng.standard_normal(4)
    A = F.accumulate(K, V, decay=0.7, learning_rate=0.5)
    attention = sum(0.5 * 0.7 ** (4 - t) * (K[t] @ q) * V[t] for t in range(5))
    np.testing.assert_allclose(F.read(A, q), attention, atol=1e-12)


def test_autoassociative_memory_is_symmetric_psd():
    H = np.random.default_rng(2).standard_normal((6, 5))
    A = F.accumulate(H, H, decay=0.9, learning_rate=0.3)
    np.testing.assert_allclose(A, A.T, atol=1e-12)
    assert np.linalg.eigvalsh(A).min() > -1e-12


def test_batched_memories_match_one_at_a_time():
    rng = np.random.default_rng(3)
    K, V = rng.standard_normal((4, 6, 5)), rng.standard_normal((4, 6, 3))
    A = F.accumulate(K, V, decay=0.8)
    for b in range(4):
        np.testing.assert_allclose(A[b], F.accumulate(K[b], V[b], decay=0.8), atol=1e-12)
    Q = rng.standard_normal((4, 2, 5))
    out = F.read(A, Q)
    np.testing.assert_allclose(out[2], F.read(A[2], Q[2]), atol=1e-12)
    step = F.write(A, K[:, 0], V[:, 0], decay=0.5)
    np.testing.assert_allclose(step[1], F.write(A[1], K[1, 0], V[1, 0], decay=0.5))


def test_orthonormal_keys_retrieve_exactly_with_decay_scaling():
    V = np.random.default_rng(4).standard_normal((3, 4))
    K = np.eye(3)
    A = F.accumulate(K, V, decay=0.5)
    np.testing.assert_allclose(F.read(A, K), V * np.array([[0.25], [0.5], [1.0]]), atol=1e-12)


def test_random_codebook_unit_length():
    C = F.random_codebook(7, 16, 0)
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0)
    np.testing.assert_allclose(np.abs(C), 0.25)


def test_retrieval_accuracy_falls_with_load_and_with_decay():
    acc = F.retrieval_accuracy([2, 8, 20], [1.0, 0.6], 0, n_trials=300)
    assert acc[0, 0] == 1.0
    assert np.all(np.diff(acc, axis=1) < 0.01)  # more pairs: no better
    assert acc[1, 2] < acc[0, 2] - 0.3  # strong decay forgets old pairs
    assert acc[1, 2] > 0.1  # but recent pairs are still there (chance is 0.1)


def test_recency_profile_recent_pairs_best():
    prof = F.recency_profile(12, 0.7, 1, n_trials=1000)
    assert prof[0] == 1.0
    assert prof[-1] < 0.5
    assert prof[:3].mean() > prof[-3:].mean() + 0.4


def test_reference_evaluator_by_hand():
    # 3 + (4 * (2 - 7)) mod 10 = 3 + (4 * 5) = 23 -> 3
    ops = np.array([[0, 2, 1]])
    operands = np.array([[3, 4, 2]])
    assert F.evaluate_reference(ops, operands, np.array([7]))[0] == 3


def test_recursion_with_orthogonal_keys_and_no_decay_is_exact_at_any_depth():
    ops, operands, leaves = F.random_expressions(50, 30, 0)
    out = F.run_recursion(ops, operands, leaves, 1, dim=32, key_codes="orthogonal")
    assert out["restored"].all() and out["correct"].all()
    np.testing.assert_array_equal(out["result"], F.evaluate_reference(ops, operands, leaves))


def test_recursion_degrades_with_depth_and_decay():
    shallow = F.run_recursion(*F.random_expressions(300, 3, 2), 3, dim=64)
    deep = F.run_recursion(*F.random_expressions(300, 40, 2), 3, dim=64)
    assert shallow["restored"].all()
    assert deep["restored"].mean() < 0.95
    # with decay the *outermost* frames (written first) are the ones lost
    decayed = F.run_recursion(*F.random_expressions(300, 16, 4), 5, dim=64, decay=0.8)
    r = decayed["restored"].mean(axis=0)
    assert r[-1] == 1.0 and r[0] < 0.7


def test_batching_cost_formulas():
    c = F.batching_cost(128, 256)
    assert c["fast_bytes"] / c["slow_bytes"] == 128
    assert c["slow_flops"] == 2 * 128 * 256**2
    assert c["slow_intensity"] == pytest.approx(128 / 2)  # 2 flops per 4-byte weight per case
    assert c["fast_intensity"] < 1 < c["slow_intensity"]


# ----------------------------------------------------------------------------- bad input
def test_write_rejects_bad_input():
    with pytest.raises(ValueError, match="decay"):
        F.write(np.zeros((2, 2)), [1.0, 0.0], [1.0, 0.0], decay=0.0)
    with pytest.raises(ValueError, match="learning_rate"):
        F.write(np.zeros((2, 2)), [1.0, 0.0], [1.0, 0.0], decay=1.0, learning_rate=-1.0)
    with pytest.raises(ValueError, match="keys"):
        F.write(np.zeros((2, 2)), [1.0, 0.0, 0.0], [1.0, 0.0], decay=1.0)
    with pytest.raises(ValueError, match="values"):
        F.write(np.zeros((2, 2)), [1.0, 0.0], [1.0], decay=1.0)


def test_accumulate_and_read_reject_bad_input():
    with pytest.raises(ValueError, match="values"):
        F.accumulate(np.ones((3, 2)), np.ones((4, 2)), decay=0.9)
    with pytest.raises(ValueError, match="keys"):
        F.accumulate(np.ones(3), np.ones(3), decay=0.9)
    with pytest.raises(ValueError, match="queries"):
        F.read(np.zeros((2, 3)), np.ones(2))
    with pytest.raises(ValueError, match="queries"):
        F.read(np.zeros((4, 2, 3)), np.ones((5, 3)))
    with pytest.raises(ValueError, match="A"):
        F.read(np.full((2, 2), np.nan), np.ones(2))


def test_codebook_and_experiments_reject_bad_input():
    with pytest.raises(ValueError, match="dim"):
        F.random_codebook(3, 0, 0)
    with pytest.raises(TypeError, match="rng"):
        F.random_codebook(3, 4, None)
    with pytest.raises(ValueError, match="n_pairs"):
        F.retrieval_accuracy([4, 30], [1.0], 0)
    with pytest.raises(ValueError, match="decays"):
        F.retrieval_accuracy([4], [1.5], 0)
    with pytest.raises(ValueError, match="n_pairs"):
        F.recency_profile(27, 0.9, 0)


def test_recursion_functions_reject_bad_input():
    ops, operands, leaves = F.random_expressions(4, 3, 0)
    with pytest.raises(ValueError, match="depth"):
        F.random_expressions(4, 0, 0)
    with pytest.raises(ValueError, match="dim"):
        F.run_recursion(ops, operands, leaves, 0, dim=33)
    with pytest.raises(ValueError, match="ops"):
        F.run_recursion(ops + 3, operands, leaves, 0)
    with pytest.raises(ValueError, match="operands"):
        F.run_recursion(ops, operands + 10, leaves, 0)
    with pytest.raises(ValueError, match="key_codes"):
        F.run_recursion(ops, operands, leaves, 0, key_codes="hash")
    with pytest.raises(ValueError, match="leaves"):
        F.evaluate_reference(ops, operands, leaves[:2])
    with pytest.raises(ValueError, match="batch"):
        F.batching_cost(0, 8)


def test_time_one_step_reports_both_timings_and_checks_input():
    times = F.time_one_step(4, 8, rng=0, repeats=2)
    assert set(times) == {"slow_seconds", "fast_seconds"}
    assert all(t >= 0 for t in times.values())
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        F.time_one_step(4, 8, rng=0, repeats=0)
    with pytest.raises(TypeError, match="rng must be"):
        F.time_one_step(4, 8, rng=None)


LEARNING_RATE_CALLS = {
    "write": lambda rate: F.write(
        np.zeros((2, 2)), [1.0, 0.0], [1.0, 0.0], decay=1.0, learning_rate=rate
    ),
    "accumulate": lambda rate: F.accumulate(
        np.ones((3, 2)), np.ones((3, 2)), decay=0.9, learning_rate=rate
    ),
    "run_recursion": lambda rate: F.run_recursion(
        *F.random_expressions(2, 2, 0), 0, learning_rate=rate
    ),
}


@pytest.mark.parametrize("name", sorted(LEARNING_RATE_CALLS))
@pytest.mark.parametrize("bad", [0.0, -1.0, float("nan")])
def test_learning_rate_must_be_positive(name, bad):
    with pytest.raises(ValueError, match="learning_rate"):
        LEARNING_RATE_CALLS[name](bad)


def test_the_old_name_lr_is_gone():
    with pytest.raises(TypeError, match="lr"):
        F.write(np.zeros((2, 2)), [1.0, 0.0], [1.0, 0.0], decay=1.0, lr=0.5)


RNG_CALLS = {
    "random_codebook": lambda rng: F.random_codebook(3, 4, rng),
    "retrieval_accuracy": lambda rng: F.retrieval_accuracy([2], [1.0], rng, n_trials=2),
    "recency_profile": lambda rng: F.recency_profile(2, 0.9, rng, n_trials=2),
    "random_expressions": lambda rng: F.random_expressions(2, 2, rng),
    "run_recursion": lambda rng: F.run_recursion(*F.random_expressions(2, 2, 0), rng),
    "time_one_step": lambda rng: F.time_one_step(2, 4, rng, repeats=1),
}


@pytest.mark.parametrize("name", sorted(RNG_CALLS))
def test_a_negative_seed_is_refused_naming_rng(name):
    with pytest.raises(ValueError, match="rng"):
        RNG_CALLS[name](-1)


@pytest.mark.parametrize("name", sorted(RNG_CALLS))
def test_a_legacy_random_state_is_refused_naming_rng(name):
    with pytest.raises(TypeError, match="rng"):
        RNG_CALLS[name](np.random.RandomState(0))
