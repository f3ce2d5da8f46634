"""Chapter 13 kernels (noise): fixed wrong labels, dropout as an exact ensemble, noise as ridge."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import noise
from hinton_utils.core import nn, optim


# ------------------------------------------------------------ wrong labels
@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.52, 1.0])
def test_corrupt_labels_changes_exactly_the_fraction_and_always_to_a_wrong_class(fraction):
    y = np.arange(1000) % 10
    noisy, corrupted = noise.corrupt_labels(y, fraction, 10, rng=3)
    assert corrupted.sum() == round(fraction * 1000)
    assert np.all(noisy[corrupted] != y[corrupted])
    assert np.all(noisy[~corrupted] == y[~corrupted])
    assert noisy.min() >= 0 and noisy.max() < 10


def test_corrupt_labels_is_fixed_by_the_seed_and_the_wrong_labels_are_uniform():
    y = np.zeros(90_000, dtype=np.int64)
    a, mask_a = noise.corrupt_labels(y, 1.0, 10, rng=1)
    b, mask_b = noise.corrupt_labels(y, 1.0, 10, rng=1)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(mask_a, mask_b)
    counts = np.bincount(a, minlength=10)
    assert counts[0] == 0
    # each of the 9 wrong classes: binomial(90000, 1/9), standard error ~94
    assert np.all(np.abs(counts[1:] - 10_000) < 5 * np.sqrt(90_000 * (1 / 9) * (8 / 9)))


@given(st.floats(0.0, 1.0), st.integers(2, 50))
@settings(max_examples=50, deadline=None)
def test_right_class_is_the_plurality_until_f_reaches_k_minus_1_over_k(f, k):
    right, wrong = noise.label_probabilities(f, k)
    assert right + (k - 1) * wrong == pytest.approx(1.0)
    threshold = (k - 1) / k
    if f < threshold - 1e-12:
        assert right > wrong
    elif f > threshold + 1e-12:
        assert right < wrong


def test_label_probabilities_at_half_wrong_for_ten_classes():
    assert noise.label_probabilities(0.5, 10) == pytest.approx((0.5, 0.5 / 9))
    assert noise.label_probabilities(0.9, 10) == pytest.approx((0.1, 0.1))


# ------------------------------------------------------------------ dropout nets
def test_dropout_mlp_without_dropout_is_the_plain_mlp():
    a = noise.dropout_mlp([5, 7, 3], p_hidden=0.0, rng=4, dtype="float64")
    X = np.random.default_rng(0).standard_normal((6, 5))
    linears = [m for m in a.layers if isinstance(m, nn.Linear)]
    plain = nn.Sequential(
        nn.Linear.from_arrays(linears[0].weight.data, linears[0].bias.data),
        nn.Activation("relu"),
        nn.Linear.from_arrays(linears[1].weight.data, linears[1].bias.data),
    )
    np.testing.assert_allclose(a(X).data, plain(X).data)


def test_dropout_mlp_drops_in_training_and_is_deterministic_in_eval():
    net = noise.dropout_mlp([4, 50, 2], p_hidden=0.5, p_input=0.2, rng=0, dtype="float64")
    X = np.ones((3, 4))
    net.train()
    assert not np.allclose(net(X).data, net(X).data)
    net.eval()
    np.testing.assert_array_equal(net(X).data, net(X).data)


def test_fit_and_track_records_every_epoch_and_the_corrupted_fractions():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((60, 4))
    y = (X[:, 0] > 0).astype(np.int64)
    noisy, corrupted = noise.corrupt_labels(y, 0.5, 2, rng=1)
    net = noise.dropout_mlp([4, 16, 2], p_hidden=0.0, rng=2)
    rec = noise.fit_and_track(
        net, optim.Adam(net.parameters(), learning_rate=0.01), X, noisy, X, y,
        n_epochs=5, batch_size=10, rng=3, y_true=y,
    )  # fmt: skip
    assert all(len(rec[k]) == 5 for k in rec)
    # with two classes a corrupted example is predicted either as given or as true
    np.testing.assert_allclose(np.add(rec["fits_given"], rec["sees_through"]), 1.0)
    assert all(0 <= a <= 1 for a in rec["test_accuracy"])


# ---------------------------------------------------------- dropout as an ensemble
def test_dropout_masks_enumerate_every_subset_once():
    m = noise.dropout_masks(4)
    assert m.shape == (16, 4)
    assert len({tuple(r) for r in m}) == 16
    np.testing.assert_array_equal(m[5], [0, 1, 0, 1])


@pytest.mark.parametrize("p", [0.0, 0.2, 0.5, 0.8])
def test_softmax_layer_geometric_mean_equals_the_weight_scaled_net_exactly(p):
    rng = np.random.default_rng(1)
    X, W, b = rng.standard_normal((7, 9)), 2 * rng.standard_normal((9, 4)), rng.standard_normal(4)
    out = noise.softmax_layer_ensemble(X, W, b, p)
    np.testing.assert_allclose(out["geometric"], out["scaled"], atol=1e-13)
    np.testing.assert_allclose(out["geometric"].sum(axis=1), 1.0)
    if p > 0:  # the arithmetic mean is a different (less confident) distribution
        assert np.abs(out["arithmetic"] - out["scaled"]).max() > 1e-3


def test_softmax_layer_ensemble_matches_a_brute_force_loop():
    rng = np.random.default_rng(2)
    X, W, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(2)
    p = 0.3
    logp_sum, prob_sum = np.zeros((3, 2)), np.zeros((3, 2))
    for code in range(8):
        m = np.array([(code >> 2) & 1, (code >> 1) & 1, code & 1], dtype=float)
        weight = np.prod(np.where(m == 1, 1 - p, p))
        z = (X * m) @ W + b
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        logp_sum += weight * logp
        prob_sum += weight * np.exp(logp)
    gm = np.exp(logp_sum) / np.exp(logp_sum).sum(axis=1, keepdims=True)
    out = noise.softmax_layer_ensemble(X, W, b, p)
    np.testing.assert_allclose(out["geometric"], gm, atol=1e-14)
    np.testing.assert_allclose(out["arithmetic"], prob_sum, atol=1e-14)


def test_dropout_after_the_hidden_layer_is_exact_and_before_it_is_not():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((40, 6))
    W1, b1 = rng.standard_normal((6, 8)), 0.1 * rng.standard_normal(8)
    W2, b2 = rng.standard_normal((8, 3)), np.zeros(3)
    hidden = np.maximum(X @ W1 + b1, 0)
    after = noise.softmax_layer_ensemble(hidden, W2, b2, 0.5)  # dropout on hidden units
    np.testing.assert_allclose(after["geometric"], after["scaled"], atol=1e-13)
    before = noise.hidden_layer_ensemble(X, W1, b1, W2, b2, 0.5)  # dropout on inputs
    assert np.abs(before["geometric"] - before["scaled"]).max() > 1e-2
    # p = 0: every ensemble is the one network
    none = noise.hidden_layer_ensemble(X, W1, b1, W2, b2, 0.0)
    np.testing.assert_allclose(none["geometric"], none["scaled"], atol=1e-13)
    np.testing.assert_allclose(none["arithmetic"], none["scaled"], atol=1e-13)


def test_hidden_layer_ensemble_with_linear_units_is_exact_again():
    # Without a nonlinearity (all pre-activations positive, so ReLU is the identity)
    # the network is one linear map and the single-layer theorem applies.
    rng = np.random.default_rng(4)
    X = np.abs(rng.standard_normal((10, 5)))
    W1, b1 = np.abs(rng.standard_normal((5, 4))), np.ones(4)
    W2, b2 = rng.standard_normal((4, 3)), rng.standard_normal(3)
    out = noise.hidden_layer_ensemble(X, W1, b1, W2, b2, 0.4)
    np.testing.assert_allclose(out["geometric"], out["scaled"], atol=1e-13)


# ------------------------------------------------------ input noise is ridge
def test_ridge_solves_the_penalised_normal_equations():
    rng = np.random.default_rng(5)
    X, y = rng.standard_normal((30, 4)), rng.standard_normal(30)
    w = noise.ridge(X, y, 0.7)
    grad = -2 * X.T @ (y - X @ w) / 30 + 2 * 0.7 * w
    np.testing.assert_allclose(grad, 0, atol=1e-12)
    np.testing.assert_allclose(noise.ridge(X, y, 0.0), np.linalg.lstsq(X, y, rcond=None)[0])


def test_expected_noisy_loss_matches_monte_carlo_within_its_standard_error():
    rng = np.random.default_rng(6)
    X, y, w = rng.standard_normal((20, 3)), rng.standard_normal(20), rng.standard_normal(3)
    sigma = 0.6
    draws = []
    for _ in range(4000):
        Xn = X + sigma * rng.standard_normal(X.shape)
        draws.append(np.mean((y - Xn @ w) ** 2))
    draws = np.array(draws)
    se = draws.std() / np.sqrt(len(draws))
    assert abs(draws.mean() - noise.expected_noisy_loss(w, X, y, sigma)) < 4 * se
    # the closed form's minimiser is ridge with alpha = sigma²
    w_star = noise.ridge(X, y, sigma**2)
    base = noise.expected_noisy_loss(w_star, X, y, sigma)
    for _ in range(20):
        assert noise.expected_noisy_loss(w_star + 0.01 * rng.standard_normal(3), X, y, sigma) > base


def test_noisy_least_squares_converges_to_ridge_like_one_over_root_copies():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((40, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(40)
    target = noise.ridge(X, y, 0.5**2)
    gaps = [
        np.mean(
            [
                np.abs(noise.noisy_least_squares(X, y, 0.5, c, rng=s) - target).max()
                for s in range(8)
            ]
        )
        for c in (25, 400)
    ]
    assert gaps[1] < gaps[0] / 2.5  # 16× the copies: about 4× closer
    assert gaps[1] < 0.03
    np.testing.assert_allclose(noise.noisy_least_squares(X, y, 0.0, 1, rng=0), noise.ridge(X, y, 0))


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: noise.corrupt_labels([0, 1, 2], 1.5, 3, rng=0), ValueError, "fraction"),
        (lambda: noise.corrupt_labels([0.5, 1.0], 0.5, 3, rng=0), TypeError, "y"),
        (lambda: noise.corrupt_labels([0, 5], 0.5, 3, rng=0), ValueError, "y"),
        (lambda: noise.corrupt_labels([0, 1], 0.5, 1, rng=0), ValueError, "n_classes"),
        (lambda: noise.label_probabilities(-0.1, 10), ValueError, "fraction"),
        (lambda: noise.label_probabilities(0.5, 1), ValueError, "n_classes"),
        (lambda: noise.dropout_mlp([4], p_hidden=0.5, rng=0), ValueError, "sizes"),
        (lambda: noise.dropout_mlp([4, 2], p_hidden=1.0, rng=0), ValueError, "p_hidden"),
        (lambda: noise.dropout_mlp([4, 2], p_hidden=0.1, p_input=-1, rng=0), ValueError, "p_input"),
        (lambda: noise.dropout_masks(0), ValueError, "n"),
        (lambda: noise.dropout_masks(2.5), TypeError, "n"),
        (
            lambda: noise.softmax_layer_ensemble(np.ones((2, 3)), np.ones((2, 2)), np.ones(2), 0.5),
            ValueError,
            "W",
        ),
        (
            lambda: noise.softmax_layer_ensemble(np.ones((2, 17)), np.ones((17, 2)), [0, 0], 0.5),
            ValueError,
            "X",
        ),
        (
            lambda: noise.softmax_layer_ensemble(np.ones((2, 2)), np.ones((2, 2)), [0, 0], 1.0),
            ValueError,
            "p",
        ),
        (
            lambda: noise.hidden_layer_ensemble(
                np.ones((2, 3)), np.ones((3, 4)), np.ones(4), np.ones((5, 2)), np.ones(2), 0.5
            ),
            ValueError,
            "W2",
        ),
        (lambda: noise.ridge(np.ones((3, 2)), np.ones(4), 0.1), ValueError, "y"),
        (lambda: noise.ridge(np.ones((3, 2)), np.ones(3), -0.1), ValueError, "alpha"),
        (
            lambda: noise.expected_noisy_loss(np.ones(3), np.ones((3, 2)), np.ones(3), 0.1),
            ValueError,
            "w",
        ),
        (
            lambda: noise.noisy_least_squares(np.ones((3, 2)), np.ones(3), 0.1, 0, rng=0),
            ValueError,
            "n_copies",
        ),
        (
            lambda: noise.fit_and_track(
                nn.MLP([2, 2], rng=0),
                None,
                np.ones((3, 2)),
                [0, 1],
                np.ones((3, 2)),
                [0, 1, 1],
                n_epochs=1,
                batch_size=1,
                rng=0,
            ),  # fmt: skip
            ValueError,
            "y",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
