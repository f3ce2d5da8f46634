"""Chapter 12 kernels: rectifiers from logistic units, signals through depth, IRNNs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gradients import numeric_parameter_gradients
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import depth as D
from hinton_utils.core import autodiff as ad
from hinton_utils.core import functional as F
from hinton_utils.core import nn


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ------------------------------------------------------------------ rectifiers
def test_stacked_logistic_is_the_sum_it_names():
    x = np.array([-2.0, 0.0, 0.7, 4.0])
    by_hand = sum(_sigmoid(x - i + 0.5) for i in range(1, 8))
    np.testing.assert_allclose(D.stacked_logistic(x, n_copies=7), by_hand, rtol=1e-14)


def test_stacked_logistic_is_close_to_softplus_and_softplus_to_relu():
    x = np.linspace(-5.0, 10.0, 3001)
    gap = np.abs(D.stacked_logistic(x, 100) - D.softplus_of(x))
    assert gap.max() == pytest.approx(0.0106, abs=5e-4)  # the planning prototype's number
    relu_gap = D.softplus_of(x) - D.relu(x)
    assert np.all(relu_gap > 0)
    assert relu_gap.max() == pytest.approx(math.log(2.0), abs=1e-12)
    assert x[np.argmax(relu_gap)] == pytest.approx(0.0, abs=1e-12)


@given(st.floats(-5.0, 10.0))
@settings(max_examples=50, deadline=None)
def test_stack_variance_is_close_to_the_logistic(x):
    var = float(D.stacked_logistic_variance(np.array([x]), 100)[0])
    assert abs(var - _sigmoid(x)) < 0.02
    assert 0.0 < var < 1.0 + 1e-9


def test_sampled_stack_matches_its_mean_and_variance():
    x = np.array([-1.0, 0.5, 2.0, 6.0])
    n = 20000
    counts = D.sample_stacked_logistic(x, n, rng=0)
    assert counts.shape == (n, 4)
    assert np.all(counts == np.round(counts)) and counts.min() >= 0
    mean = D.stacked_logistic(x)
    var = D.stacked_logistic_variance(x)
    se = np.sqrt(var / n)
    assert np.all(np.abs(counts.mean(axis=0) - mean) < 5 * se)
    # The sample variance of a near-normal count has standard error ≈ var·√(2/n).
    assert np.all(np.abs(counts.var(axis=0) - var) < 5 * var * np.sqrt(2 / n) + 0.01)


def test_noisy_relu_matches_the_rectified_normal_mean():
    rng = np.random.default_rng(1)
    n = 40000
    for x in (-1.0, 0.0, 1.5, 4.0):
        s = math.sqrt(_sigmoid(x))
        draws = D.noisy_relu(np.full(n, x), rng)
        assert draws.min() >= 0.0
        z = x / s
        phi = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
        Phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
        exact = x * Phi + s * phi  # E[max(0, x + s ε)]
        assert abs(draws.mean() - exact) < 5 * draws.std() / math.sqrt(n)
    # Far above zero the rectifier never clips: the variance is σ(x).
    draws = D.noisy_relu(np.full(n, 8.0), rng)
    assert draws.var() == pytest.approx(_sigmoid(8.0), rel=5 * math.sqrt(2 / n))


# --------------------------------------------------------------- deep ReLU nets
def test_identity_net_passes_non_negative_input_through_unchanged():
    X = np.random.default_rng(0).random((20, 8))
    y = np.arange(20) % 3
    net = D.deep_relu_net(50, width=8, n_out=3, init="identity", rng=0, dtype="float64")
    norms = D.signal_norms(net, X, y)
    assert norms["forward"].shape == (51,)
    np.testing.assert_allclose(norms["forward"], np.linalg.norm(X, axis=1).mean(), rtol=1e-12)
    # Every hidden layer passes the same error back (no unit is switched off by the ReLUs).
    np.testing.assert_allclose(norms["backward"][:-1], norms["backward"][0], rtol=1e-12)


def test_signal_norms_backward_matches_finite_differences():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((3, 4))
    y = np.array([0, 1, 1])
    net = D.deep_relu_net(3, width=4, n_out=2, init="he", rng=3, dtype="float64")
    norms = D.signal_norms(net, X, y)
    # Layer 0 is the input: differentiate each example's own loss with respect to it.
    for i in range(3):

        def loss(x, i=i):
            return F.cross_entropy(net(x), y[i : i + 1], reduction="sum")

        (g,) = F.numerical_gradient(loss, [X[i : i + 1]])
        norms_i = D.signal_norms(net, X[i : i + 1], y[i : i + 1])
        assert norms_i["backward"][0] == pytest.approx(np.linalg.norm(g), rel=1e-6)
    assert norms["forward"][0] == pytest.approx(np.linalg.norm(X, axis=1).mean())


def test_he_initialisation_keeps_the_mean_square_signal_in_expectation():
    # E‖relu(h W)‖² = (n_out · 2/n_in · ½) ‖h‖² = ‖h‖² for He weights (a Monte-Carlo check).
    h = np.random.default_rng(0).standard_normal((1, 16))
    draws = []
    for seed in range(3000):
        layer = nn.Linear(16, 16, rng=seed, init="he", dtype="float64", bias=False)
        draws.append(float((np.maximum(h @ layer.weight.data, 0) ** 2).sum()))
    draws = np.array(draws)
    target = float((h**2).sum())
    assert abs(draws.mean() - target) < 5 * draws.std() / math.sqrt(len(draws))


def test_layer_gradients_match_finite_differences_and_are_equal_at_identity():
    rng = np.random.default_rng(4)
    X = rng.random((5, 3))
    y = np.array([0, 1, 0, 1, 1])
    net = D.deep_relu_net(4, width=3, n_out=2, init="identity", rng=5, dtype="float64")
    grads = D.layer_gradients(net, X, y)
    assert len(grads) == 5
    for g in grads[1:-1]:
        np.testing.assert_array_equal(g, grads[1])  # the same update for every hidden layer

    def loss():
        return F.cross_entropy(net(ad.Tensor(X)), y)

    numeric = numeric_parameter_gradients(net, loss)[0::2]  # weights only (biases interleave)
    for a, n in zip(grads, numeric, strict=True):
        np.testing.assert_allclose(a, n, atol=1e-8)


def test_end_to_end_gain_of_a_diagonal_update():
    g = np.array([0.5, -0.2, 0.1])
    for lr, depth in ((0.01, 1), (0.01, 300), (0.1, 50)):
        expected = np.max(np.abs(1 - lr * g) ** depth)
        assert D.end_to_end_gain(np.diag(g), lr, depth) == pytest.approx(expected, rel=1e-10)


def test_residual_blocks_start_as_the_identity_and_backpropagate_correctly():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((4, 5))
    y = np.array([0, 1, 2, 0])
    net = D.residual_net(6, width=5, n_out=3, rng=7, dtype="float64")
    h = ad.Tensor(X)
    for block in net.layers[:-1]:
        np.testing.assert_array_equal(block(h).data, X)
    norms = D.signal_norms(net, X, y)
    np.testing.assert_allclose(norms["forward"], np.linalg.norm(X, axis=1).mean(), rtol=1e-12)
    with ad.no_grad():  # move off the start so that every weight matters
        for p in net.parameters():
            p.data += 0.1 * rng.standard_normal(p.data.shape)
    net.zero_grad()
    F.cross_entropy(net(ad.Tensor(X)), y).backward()
    analytic = [p.grad.copy() for p in net.parameters()]

    def loss():
        return F.cross_entropy(net(ad.Tensor(X)), y)

    for a, n in zip(analytic, numeric_parameter_gradients(net, loss), strict=True):
        np.testing.assert_allclose(a, n, atol=1e-8)


def test_train_deep_net_learns_is_deterministic_and_flags_divergence():
    rng = np.random.default_rng(8)
    X = rng.standard_normal((200, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    runs = [
        D.train_deep_net(
            D.deep_relu_net(2, width=6, n_in=6, n_out=2, init="he", rng=1),
            X[:150], y[:150], X[150:], y[150:],
            learning_rate=0.01, n_epochs=15, batch_size=16, rng=2,
        )
        for _ in range(2)
    ]  # fmt: skip
    assert runs[0] == runs[1]
    assert runs[0]["loss"][-1] < 0.5 * runs[0]["loss"][0]
    assert runs[0]["test_accuracy"][-1] > 0.85 and not runs[0]["diverged"]
    blown = D.train_deep_net(
        D.deep_relu_net(100, width=6, init="identity", n_out=2, rng=1),
        np.abs(X[:150]), y[:150], X[150:], y[150:],
        optimizer="sgd", learning_rate=1.0, n_epochs=5, rng=2,
    )  # fmt: skip
    assert blown["diverged"] and len(blown["loss"]) < 5


# ---------------------------------------------------------------- recurrent nets
def test_adding_problem_has_two_markers_and_the_right_sums():
    X, y = D.adding_problem(500, 20, rng=0)
    seq = X.reshape(500, 20, 2)
    markers = seq[:, :, 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :10].sum(axis=1) == 1) and np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (seq[:, :, 0] * markers).sum(axis=1), rtol=1e-6)
    # Always answering 1 has mean squared error Var(U1 + U2) = 1/6.
    X, y = D.adding_problem(40000, 6, rng=1)
    sq = (y - 1.0) ** 2
    assert abs(sq.mean() - 1 / 6) < 5 * sq.std() / math.sqrt(len(sq))


def test_simple_rnn_matches_a_hand_written_loop_and_finite_differences():
    X, y = D.adding_problem(3, 5, rng=2)
    X, y = X.astype(np.float64), y.astype(np.float64)
    for activation, init in (("relu", "identity"), ("tanh", "xavier")):
        net = D.SimpleRNN(2, 4, activation=activation, recurrent_init=init, input_std=0.5,
                          rng=3, dtype="float64")  # fmt: skip
        Wi, bi = net.w_in.weight.data, net.w_in.bias.data
        Wr, Wo, bo = net.w_rec.weight.data, net.w_out.weight.data, net.w_out.bias.data
        f = (lambda z: np.maximum(z, 0)) if activation == "relu" else np.tanh
        h = np.zeros((3, 4))
        for t in range(5):
            h = f(X[:, 2 * t : 2 * t + 2] @ Wi + bi + h @ Wr)
        np.testing.assert_allclose(net(X).data, h @ Wo + bo, rtol=1e-12)
        with ad.no_grad():
            for p in net.parameters():
                p.data += 0.05 * np.random.default_rng(4).standard_normal(p.data.shape)
        net.zero_grad()
        F.mse(net(X), y).backward()
        analytic = [p.grad.copy() for p in net.parameters()]
        numeric = numeric_parameter_gradients(net, lambda net=net: F.mse(net(X), y))
        for a, n in zip(analytic, numeric, strict=True):
            np.testing.assert_allclose(a, n, atol=1e-8)


def test_an_irnn_carries_the_error_back_unchanged_while_its_units_are_on():
    X, y = D.adding_problem(8, 30, rng=5)
    net = D.SimpleRNN(2, 6, activation="relu", recurrent_init="identity", input_std=0.1,
                      rng=6, dtype="float64")  # fmt: skip
    with ad.no_grad():
        net.w_in.weight.data = np.abs(net.w_in.weight.data)
        net.w_in.bias.data[:] = 0.01  # every unit on at every step
    g = D.gradient_through_time(net, X, y)
    assert g.shape == (30,)
    np.testing.assert_allclose(g, g[-1], rtol=1e-12)


# ------------------------------------------------------------------ bad input
NET = D.deep_relu_net(2, width=4, n_out=2, rng=0)
RNN = D.SimpleRNN(2, 3, rng=0)
X4, Y2 = np.ones((2, 4)), np.array([0, 1])


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: D.relu("a"), TypeError, "x"),
        (lambda: D.softplus_of([np.nan]), ValueError, "x"),
        (lambda: D.stacked_logistic([1.0], n_copies=0), ValueError, "n_copies"),
        (lambda: D.stacked_logistic_variance(None), TypeError, "x"),
        (lambda: D.sample_stacked_logistic([[1.0]], 5, rng=0), ValueError, "x"),
        (lambda: D.sample_stacked_logistic([1.0], 0, rng=0), ValueError, "n_samples"),
        (lambda: D.sample_stacked_logistic([1.0], 5, rng=None), TypeError, "rng"),
        (lambda: D.noisy_relu([1.0], rng=-1), ValueError, "rng"),
        (lambda: D.deep_relu_net(0, rng=0), ValueError, "depth"),
        (lambda: D.deep_relu_net(2, init="zeros", rng=0), ValueError, "init"),
        (lambda: D.residual_net(0, rng=0), ValueError, "n_blocks"),
        (lambda: D.ResidualBlock(0, rng=0), ValueError, "width"),
        (lambda: D.signal_norms("net", X4, Y2), TypeError, "model"),
        (lambda: D.signal_norms(NET, X4, np.array([0])), ValueError, "y"),
        (lambda: D.layer_gradients(NET, np.ones(4), Y2), ValueError, "X"),
        (lambda: D.end_to_end_gain(np.ones((2, 3)), 0.1, 3), ValueError, "update"),
        (lambda: D.end_to_end_gain(np.eye(2), 0.0, 3), ValueError, "learning_rate"),
        (lambda: D.end_to_end_gain(np.eye(2), 0.1, 0), ValueError, "depth"),
        (lambda: D.train_deep_net(NET, X4, Y2, X4, Y2, optimizer="lbfgs", learning_rate=0.1,
                                  n_epochs=1, rng=0), ValueError, "optimizer"),
        (lambda: D.train_deep_net(NET, X4, Y2, X4, Y2, learning_rate=-1.0, n_epochs=1, rng=0),
         ValueError, "learning_rate"),
        (lambda: D.adding_problem(10, 1, rng=0), ValueError, "seq_len"),
        (lambda: D.adding_problem(0, 10, rng=0), ValueError, "n"),
        (lambda: D.SimpleRNN(2, 3, activation="sigmoid", rng=0), ValueError, "activation"),
        (lambda: D.SimpleRNN(2, 3, input_std=0.0, rng=0), ValueError, "input_std"),
        (lambda: RNN(np.ones((2, 5))), ValueError, "x"),
        (lambda: D.gradient_through_time(NET, X4, Y2), TypeError, "model"),
        (lambda: D.gradient_through_time(RNN, np.ones((2, 4)), np.ones(2)), ValueError, "y"),
        (lambda: D.train_rnn(NET, X4, Y2, X4, Y2, learning_rate=0.1, n_epochs=1, rng=0),
         TypeError, "model"),
        (lambda: D.train_rnn(RNN, X4, np.ones((2, 1)), X4, np.ones((3, 1)), learning_rate=0.1,
                             n_epochs=1, rng=0), ValueError, "y_test"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_message_naming_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
