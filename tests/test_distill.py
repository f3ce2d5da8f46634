"""Chapter 16 kernels (distill): soft targets, the soft-loss gradient, devices, shared gradients."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import distill as D
from hinton_utils.core import functional as F
from hinton_utils.core import nn, optim
from hinton_utils.core.autodiff import Tensor


def _logits(seed, n=6, k=5, scale=3.0):
    return scale * np.random.default_rng(seed).standard_normal((n, k))


# ------------------------------------------------------------- soft targets
@given(st.integers(0, 10_000), st.floats(0.1, 50.0))
@settings(max_examples=40, deadline=None)
def test_soften_is_a_distribution_and_keeps_the_order_of_the_logits(seed, T):
    z = _logits(seed)
    p = D.soften(z, T)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-12)
    assert np.all(p >= 0)
    np.testing.assert_array_equal(np.argsort(p, axis=1), np.argsort(z, axis=1))


def test_soften_at_t_1_is_softmax_and_the_limits_are_uniform_and_one_hot():
    z = _logits(0)
    np.testing.assert_allclose(D.soften(z, 1.0), F.softmax(Tensor(z), axis=1).data, atol=1e-14)
    np.testing.assert_allclose(D.soften(z, 1e6), 0.2, atol=1e-5)
    hot = np.eye(5)[z.argmax(axis=1)]
    np.testing.assert_allclose(D.soften(z, 1e-3), hot, atol=1e-12)


def test_entropy_of_soft_targets_rises_with_temperature():
    z = _logits(1)
    ent = []
    for T in (0.5, 1, 2, 4, 8, 16):
        p = D.soften(z, T)
        ent.append(-(p * np.log(p)).sum(axis=1))
    assert np.all(np.diff(np.array(ent), axis=0) > 0)


# ------------------------------------------------------- the soft gradient
@pytest.mark.parametrize("T", [0.5, 1.0, 3.0, 20.0])
def test_soft_loss_gradient_is_q_minus_p_over_t(T):
    z, v = _logits(2), _logits(3)
    p = D.soften(v, T)
    zt = Tensor(z.copy(), requires_grad=True)
    D.soft_cross_entropy(zt, p, T, reduction="sum").backward()
    np.testing.assert_allclose(zt.grad, D.soft_gradient(z, v, T), atol=1e-12)

    # and against finite differences, independently of autodiff
    def f(a):
        return D.soft_cross_entropy(a, p, T, reduction="sum")

    (num,) = F.numerical_gradient(f, [z.copy()])
    np.testing.assert_allclose(num, zt.grad, atol=1e-7)


def test_soft_gradient_vanishes_when_the_student_matches_the_teacher_up_to_a_shift():
    v = _logits(4)
    np.testing.assert_allclose(D.soft_gradient(v + 7.0, v, 2.0), 0.0, atol=1e-15)


def test_high_temperature_limit_is_logit_matching():
    z, v = _logits(5, k=10), _logits(6, k=10)
    z -= z.mean(axis=1, keepdims=True)
    v -= v.mean(axis=1, keepdims=True)
    errors = []
    for T in (10.0, 100.0, 1000.0):
        exact = D.soft_gradient(z, v, T) * T**2
        limit = D.logit_matching_gradient(z, v, T) * T**2
        errors.append(np.abs(exact - limit).max())
    # the error of the expansion is O(1/T): each tenfold rise in T cuts it tenfold
    assert errors[1] < 0.15 * errors[0] and errors[2] < 0.15 * errors[1]
    assert errors[1] < 0.02 * np.abs(z - v).max()
    # the limit is the gradient of the squared error (1/2N)·Σ(z − v)², scaled by 1/T²
    np.testing.assert_allclose(
        D.logit_matching_gradient(z, v, 100.0) * 100.0**2 * 10, z - v, atol=1e-12
    )


def test_t_squared_scaling_keeps_the_gradient_size_as_t_grows():
    z, v = _logits(7), _logits(8)
    sizes = {}
    for T in (5.0, 10.0, 20.0, 40.0):
        zt = Tensor(z.copy(), requires_grad=True)
        D.distillation_loss(T)(zt, D.soften(v, T)).backward()
        sizes[T] = np.abs(zt.grad).sum()
        zu = Tensor(z.copy(), requires_grad=True)
        D.distillation_loss(T, scale=False)(zu, D.soften(v, T)).backward()
        np.testing.assert_allclose(zt.grad, zu.grad * T**2, rtol=1e-12)
    # scaled: tends to a constant (the logit-matching gradient), within a few per cent
    assert abs(sizes[40.0] / sizes[20.0] - 1) < 0.05
    # unscaled it would fall fourfold for each doubling
    assert abs(sizes[40.0] / 40.0**2 / (sizes[20.0] / 20.0**2) - 0.25) < 0.02


def test_distillation_loss_is_zero_gradient_at_the_teacher_and_equals_kl_plus_entropy():
    v = _logits(9)
    p = D.soften(v, 4.0)
    q = D.soften(v + 1.0, 4.0)
    zt = Tensor(v + 1.0, requires_grad=True)
    loss = D.distillation_loss(4.0)(zt, p)
    loss.backward()
    np.testing.assert_allclose(zt.grad, 0.0, atol=1e-15)
    entropy = -(p * np.log(p)).sum(axis=1).mean()
    np.testing.assert_allclose(float(loss.data), 16.0 * entropy, rtol=1e-12)
    assert np.allclose(q, p)


def test_bias_sweep_counts_right_answers():
    z = np.array([[2.0, 0.0], [2.0, 1.5], [0.0, 3.0], [1.0, 0.0]])
    y = np.array([1, 1, 1, 0])
    sw = D.bias_sweep(z, y, 1, np.array([0.0, 1.0, 3.0]))
    np.testing.assert_allclose(sw["class_accuracy"], [1 / 3, 2 / 3, 1.0])
    np.testing.assert_allclose(sw["other_accuracy"], [1.0, 1.0, 0.0])
    np.testing.assert_allclose(sw["accuracy"], [0.5, 0.75, 0.75])


# ------------------------------------------------------------ analog devices
def test_device_gains_have_the_right_shapes_mean_and_spread():
    g = D.device_gains([300, 200, 10], 0.5, rng=0)
    assert [a.shape for a in g] == [(300, 200), (200, 10)]
    big = g[0].ravel()
    se = 0.5 / np.sqrt(big.size)
    assert abs(big.mean() - 1) < 5 * se
    assert abs(big.std() - 0.5) < 0.01
    np.testing.assert_array_equal(D.device_gains([3, 2], 0.0, rng=1)[0], np.ones((3, 2)))


def test_analog_net_with_unit_gains_is_the_digital_net_and_copying_is_exact():
    sizes = [5, 4, 3]
    ones = D.device_gains(sizes, 0.0, rng=0)
    a = D.AnalogMLP(sizes, gains=ones, rng=3, dtype="float64")
    digital = nn.MLP(sizes, rng=3, activation="tanh", dtype="float64")
    x = np.random.default_rng(0).standard_normal((7, 5))
    np.testing.assert_allclose(D.predict_logits(a, x), D.predict_logits(digital, x), atol=1e-14)
    b = a.copy_to(ones)
    np.testing.assert_array_equal(D.predict_logits(b, x), D.predict_logits(a, x))
    # the copy owns its weights
    b.mlp.linears[0].weight.data += 1.0
    assert not np.allclose(D.predict_logits(b, x), D.predict_logits(a, x))


def test_analog_net_computes_with_the_elementwise_product_and_its_gradient_goes_through_it():
    sizes = [4, 3, 2]
    gains = D.device_gains(sizes, 0.7, rng=5)
    a = D.AnalogMLP(sizes, gains=gains, rng=1, dtype="float64")
    x = np.random.default_rng(2).standard_normal((6, 4))
    W1, b1 = a.mlp.linears[0].weight.data, a.mlp.linears[0].bias.data
    W2, b2 = a.mlp.linears[1].weight.data, a.mlp.linears[1].bias.data
    expect = np.tanh(x @ (W1 * gains[0]) + b1) @ (W2 * gains[1]) + b2
    np.testing.assert_allclose(D.predict_logits(a, x), expect, atol=1e-14)
    y = np.array([0, 1, 1, 0, 1, 0])
    loss = F.cross_entropy(a(Tensor.constant(x)), y)
    loss.backward()

    def f(w):
        h = (Tensor.constant(x) @ (w * gains[0]) + b1).tanh()
        return F.cross_entropy(h @ (W2 * gains[1]) + b2, y)

    (num,) = F.numerical_gradient(f, [W1.copy()])
    np.testing.assert_allclose(a.mlp.linears[0].weight.grad, num, atol=1e-7)


# ------------------------------------------------------------- digital copies
def _replica_setup(share, seed=0):
    gen = np.random.default_rng(seed)
    Xa, Xb = gen.standard_normal((20, 4)), gen.standard_normal((13, 4))
    ya, yb = gen.integers(0, 3, 20), gen.integers(0, 3, 13)
    X, y = D.pair_halves(Xa, ya, Xb, yb, rng=1)
    reps = D.Replicas([nn.MLP([4, 5, 3], rng=2, dtype="float64") for _ in range(2)])
    opt = D.GradientSharing(reps, lambda p: optim.SGD(p, learning_rate=0.1), share=share)
    return X, y, reps, opt


def test_pair_halves_holds_every_example_of_both_sets():
    X, y, _, _ = _replica_setup(True)
    assert X.shape == (20, 8) and y.shape == (20, 2)
    gen = np.random.default_rng(0)
    Xa, Xb = gen.standard_normal((20, 4)), gen.standard_normal((13, 4))
    assert {tuple(r) for r in X[:, :4]} == {tuple(r) for r in Xa}
    assert {tuple(r) for r in X[:, 4:]} == {tuple(r) for r in Xb}


def test_shared_gradients_keep_the_copies_identical_and_equal_one_model_on_both_halves():
    X, y, reps, opt = _replica_setup(True)
    nn.train(reps, opt, X, y, n_epochs=3, batch_size=5, rng=4, loss=D.replica_loss)
    a, b = (m.state_dict() for m in reps.copies)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert opt.numbers_exchanged == 3 * 4 * reps.copies[0].n_parameters
    # one model, one step on the two half-batches stacked, is the same update
    single = nn.MLP([4, 5, 3], rng=2, dtype="float64")
    twin = D.Replicas([nn.MLP([4, 5, 3], rng=2, dtype="float64") for _ in range(2)])
    sh = D.GradientSharing(twin, lambda p: optim.SGD(p, learning_rate=0.1), share=True)
    sh.zero_grad()
    D.replica_loss(twin(Tensor.constant(X[:5])), y[:5]).backward()
    sh.step()
    o = optim.SGD(single.parameters(), learning_rate=0.1)
    o.zero_grad()
    stacked = np.concatenate([X[:5, :4], X[:5, 4:]])
    F.cross_entropy(
        single(Tensor.constant(stacked)), np.concatenate([y[:5, 0], y[:5, 1]])
    ).backward()
    o.step()
    for k, w in single.state_dict().items():
        np.testing.assert_allclose(twin.copies[0].state_dict()[k], w, atol=1e-14)


def test_isolated_copies_drift_apart_and_exchange_nothing():
    X, y, reps, opt = _replica_setup(False)
    nn.train(reps, opt, X, y, n_epochs=3, batch_size=5, rng=4, loss=D.replica_loss)
    a, b = (m.state_dict() for m in reps.copies)
    assert not np.allclose(a["layers.0.weight"], b["layers.0.weight"])
    assert opt.numbers_exchanged == 0


# ------------------------------------------------------------------ bad input
def _net():
    return nn.MLP([2, 2], rng=0)


@pytest.mark.parametrize(
    "call, error, name",
    [
        (lambda: D.soften(np.zeros((2, 3)), 0.0), ValueError, "temperature"),
        (lambda: D.soften(np.zeros(3), 1.0), ValueError, "logits"),
        (
            lambda: D.soft_cross_entropy(np.zeros((2, 3)), np.ones((2, 3)) / 3, 1.0),
            TypeError,
            "logits",
        ),
        (
            lambda: D.soft_cross_entropy(Tensor(np.zeros((2, 3))), np.ones((2, 3)), 1.0),
            ValueError,
            "targets",
        ),
        (lambda: D.distillation_loss(-1.0), ValueError, "temperature"),
        (lambda: D.distillation_loss(2.0, scale=1), TypeError, "scale"),
        (
            lambda: D.soft_gradient(np.zeros((2, 3)), np.zeros((2, 4)), 1.0),
            ValueError,
            "teacher_logits",
        ),
        (
            lambda: D.soft_gradient(np.zeros((2, 3)), np.zeros((2, 3)), "hot"),
            TypeError,
            "temperature",
        ),
        (
            lambda: D.logit_matching_gradient(np.zeros((2, 3)), np.zeros(3), 1.0),
            ValueError,
            "teacher_logits",
        ),
        (
            lambda: D.logit_matching_gradient(np.zeros((2, 3)), np.zeros((2, 3)), 0),
            ValueError,
            "temperature",
        ),
        (lambda: D.predict_logits("net", np.zeros((2, 2))), TypeError, "model"),
        (lambda: D.predict_logits(_net(), np.zeros(2)), ValueError, "X"),
        (
            lambda: D.bias_sweep(np.zeros((3, 2)), np.array([0, 1]), 1, np.zeros(2)),
            ValueError,
            "labels",
        ),
        (
            lambda: D.bias_sweep(np.zeros((3, 2)), np.array([0, 1, 0]), 2, np.zeros(2)),
            ValueError,
            "cls",
        ),
        (lambda: D.bias_sweep(np.zeros((3, 2)), np.array([0, 1, 0]), 1, 0.5), ValueError, "shifts"),
        (lambda: D.device_gains([3], 0.1, rng=0), ValueError, "sizes"),
        (lambda: D.device_gains([3, 2], -0.1, rng=0), ValueError, "mismatch"),
        (lambda: D.device_gains([3, 2], 0.1, rng=None), TypeError, "rng"),
        (lambda: D.AnalogMLP([3, 2], gains=[np.ones((2, 3))], rng=0), ValueError, "gains[0]"),
        (lambda: D.AnalogMLP([3, 2], gains=np.ones((3, 2)), rng=0), ValueError, "gains"),
        (lambda: D.Replicas([_net()]), ValueError, "models"),
        (lambda: D.Replicas([_net(), "net"]), TypeError, "models[1]"),
        (
            lambda: D.replica_loss(Tensor(np.zeros((2, 2))), np.zeros((2, 2), int)),
            TypeError,
            "predictions",
        ),
        (
            lambda: D.replica_loss((Tensor(np.zeros((2, 2))),), np.zeros((2, 2), int)),
            ValueError,
            "targets",
        ),
        (lambda: D.GradientSharing(_net(), optim.SGD, share=True), TypeError, "replicas"),
        (
            lambda: D.GradientSharing(D.Replicas([_net(), _net()]), optim.SGD, share=1),
            TypeError,
            "share",
        ),
        (
            lambda: D.GradientSharing(D.Replicas([_net(), _net()]), None, share=True),
            TypeError,
            "make_optimizer",
        ),
        (
            lambda: D.pair_halves(
                np.zeros((2, 3)), np.zeros(2), np.zeros((2, 4)), np.zeros(2), rng=0
            ),
            ValueError,
            "X_b",
        ),
        (
            lambda: D.pair_halves(
                np.zeros((2, 3)), np.zeros(3), np.zeros((2, 3)), np.zeros(2), rng=0
            ),
            ValueError,
            "y_a",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name.replace("[", r"\[").replace("]", r"\]")):
        call()
