"""The shared special functions: exact at the extremes, silent, and unbiased sampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils.core import special


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_bernoulli_sampler_has_the_right_frequencies(dtype):
    """The training loop's sampler: exact at p = 0 and 1, unbiased in between."""
    p = np.array([0.0, 1e-3, 0.25, 0.5, 0.9, 1.0], dtype=dtype)
    P = np.repeat(p[None, :], 200_000, axis=0)
    U = np.empty_like(P)
    special.bernoulli_(P, U, np.random.default_rng(0))
    assert set(np.unique(U)) <= {0.0, 1.0}
    assert U[:, 0].max() == 0.0 and U[:, -1].min() == 1.0
    standard_error = np.sqrt(p * (1 - p) / len(P)) + 1e-12
    assert np.all(np.abs(U.mean(axis=0) - p) <= 5 * standard_error)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_in_place_sigmoid_is_exact_at_the_extremes_and_silent(dtype):
    x = np.array([-1e4, -100.0, -1.0, 0.0, 1.0, 100.0, 1e4, -np.inf, np.inf], dtype=dtype)
    expected = 1.0 / (1.0 + np.exp(-x.astype(np.longdouble)))
    out = special.sigmoid_(x.copy())  # exp overflows for the large negatives: no warning
    # below the smallest normal number "0" is the right answer
    tiny = np.finfo(dtype).tiny
    np.testing.assert_allclose(
        out, expected.astype(dtype), rtol=1e-6 if dtype == "float32" else 1e-15, atol=tiny
    )
    assert out[0] == 0.0 and out[6] == 1.0


@settings(max_examples=30, deadline=None)
@given(st.floats(-700, 700), st.sampled_from(["float64"]))
def test_both_sigmoids_agree_with_the_definition(x, dtype):
    a = np.array([x], dtype=dtype)
    expected = 1.0 / (1.0 + np.exp(-np.longdouble(x)))
    # the tanh form is exact to rounding in absolute terms; the in-place exp form
    # is also relatively exact far into the lower tail
    assert special.sigmoid(a)[0] == pytest.approx(float(expected), rel=1e-15, abs=1e-15)
    assert special.sigmoid_(a.copy())[0] == pytest.approx(float(expected), rel=1e-12, abs=1e-300)


def test_softplus_and_logsumexp_do_not_overflow():
    x = np.array([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(special.softplus(x), [0.0, np.log(2.0), 1000.0], atol=1e-12)
    a = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    np.testing.assert_allclose(
        special.logsumexp(a, axis=1), [1000.0 + np.log(2.0), np.log1p(np.exp(-1000.0))]
    )
    assert special.logsumexp(a) == pytest.approx(1000.0 + np.log(2.0))
    assert special.logsumexp(a).shape == ()


def test_bernoulli_keeps_the_dtype_and_the_probabilities():
    rng = np.random.default_rng(0)
    P = np.full((100_000,), 0.3, dtype=np.float32)
    S = special.bernoulli(P, rng)
    assert S.dtype == np.float32 and set(np.unique(S)) <= {0.0, 1.0}
    assert abs(S.mean() - 0.3) < 5 * np.sqrt(0.3 * 0.7 / P.size)


def test_bernoulli_with_float64_uniforms_draws_the_same_states_at_either_precision():
    P64 = np.random.default_rng(1).random((50, 7))
    S32 = special.bernoulli(P64.astype(np.float32), np.random.default_rng(2), "float64")
    S64 = special.bernoulli(P64, np.random.default_rng(2), "float64")
    assert S32.dtype == np.float32 and S64.dtype == np.float64
    # equal except where rounding P to float32 moved it across the uniform (never here)
    np.testing.assert_array_equal(S32, S64)


def test_in_place_sigmoid_adds_the_bias_along_the_last_axis():
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    bias = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    expected = special.sigmoid(x.astype(np.float64) + bias)
    np.testing.assert_allclose(special.sigmoid_(x.copy(), bias), expected, rtol=1e-6)


def test_log_bernoulli_is_the_log_of_the_product_of_unit_probabilities():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((4, 5))
    S = (rng.random((4, 5)) < 0.5).astype(float)
    p = 1.0 / (1.0 + np.exp(-A))
    expected = np.log(np.where(S == 1, p, 1 - p)).sum(axis=1)
    np.testing.assert_allclose(special.log_bernoulli(S, A), expected, rtol=1e-12)
    # Exact in the tails, where 1 - sigmoid(a) rounds to 0.
    assert special.log_bernoulli(np.array([0.0]), np.array([800.0])) == -800.0


def test_cosine_similarity_of_parallel_orthogonal_and_zero_vectors():
    a = np.array([3.0, 4.0])
    assert special.cosine_similarity(a, 2 * a) == pytest.approx(1.0)
    assert special.cosine_similarity(a, np.array([-4.0, 3.0])) == pytest.approx(0.0, abs=1e-15)
    assert special.cosine_similarity(a, -a) == pytest.approx(-1.0)
    assert special.cosine_similarity(a, np.zeros(2)) == 0.0  # no direction: aligned with nothing
    with pytest.raises(ValueError, match="same shape"):
        special.cosine_similarity(a, np.ones(3))


def test_log_softmax_normalises_and_survives_large_inputs():
    z = np.array([[1000.0, 1001.0, 999.0], [-5.0, 0.0, 5.0]])
    out = special.log_softmax(z)
    np.testing.assert_allclose(np.exp(out).sum(axis=-1), 1.0)
    np.testing.assert_allclose(out[1], z[1] - np.log(np.exp(z[1]).sum()))
    np.testing.assert_allclose(special.log_softmax(z, axis=0).shape, z.shape)


def test_gaussian_kl_against_its_monte_carlo_estimate():
    rng = np.random.default_rng(0)
    mu, var, prior_var = np.array([0.5, -1.0]), np.array([0.3, 2.0]), 1.5
    z = mu + np.sqrt(var) * rng.standard_normal((400_000, 2))
    log_q = -0.5 * (np.log(2 * np.pi * var) + (z - mu) ** 2 / var)
    log_p = -0.5 * (np.log(2 * np.pi * prior_var) + z**2 / prior_var)
    estimate = (log_q - log_p).sum(axis=1)
    kl = special.gaussian_kl(mu, var, prior_var)
    assert abs(estimate.mean() - kl) < 4 * estimate.std() / np.sqrt(estimate.size)
    assert special.gaussian_kl(np.zeros(3), np.ones(3)) == 0.0
