"""Optimisers: hand-computed updates, convergence on a convex quadratic, invariances."""

from __future__ import annotations

import numpy as np
import pytest

from hinton_utils.core import optim
from hinton_utils.core.autodiff import Tensor

CURVATURE = np.array([1.0, 4.0])  # loss = ½ Σ a_i p_i², gradient a_i p_i


def two_steps(make_opt, p0=(1.0, -2.0)):
    """Run two steps on the separable quadratic; return (p after 1 step, p after 2 steps)."""
    p = Tensor(np.array(p0), requires_grad=True)
    opt = make_opt([p])
    history = []
    for _ in range(2):
        opt.zero_grad()
        (0.5 * (p * p * CURVATURE).sum()).backward()
        opt.step()
        history.append(p.data.copy())
    return history


def test_sgd_by_hand():
    # g0 = (1, -8): p1 = p0 - 0.1 g0 = (0.9, -1.2); g1 = (0.9, -4.8): p2 = (0.81, -0.72).
    p1, p2 = two_steps(lambda ps: optim.SGD(ps, learning_rate=0.1))
    np.testing.assert_allclose(p1, [0.9, -1.2])
    np.testing.assert_allclose(p2, [0.81, -0.72])


def test_sgd_momentum_by_hand():
    # v1 = -0.1 g0 = (-0.1, 0.8), p1 = (0.9, -1.2);
    # v2 = 0.5 v1 - 0.1 g1 = (-0.05 - 0.09, 0.4 + 0.48) = (-0.14, 0.88), p2 = (0.76, -0.32).
    p1, p2 = two_steps(lambda ps: optim.SGD(ps, learning_rate=0.1, momentum=0.5))
    np.testing.assert_allclose(p1, [0.9, -1.2])
    np.testing.assert_allclose(p2, [0.76, -0.32])


def test_weight_decay_by_hand():
    # g = (1, -8) + 0.1 (1, -2) = (1.1, -8.2): p1 = (1 - 0.11, -2 + 0.82).
    p1, _ = two_steps(lambda ps: optim.SGD(ps, learning_rate=0.1, weight_decay=0.1))
    np.testing.assert_allclose(p1, [0.89, -1.18])
    # AdamW: shrink by lr·wd·p, then the first Adam step of size lr: (1 - 0.001 - 0.01, ...).
    p1, _ = two_steps(
        lambda ps: optim.Adam(ps, learning_rate=0.01, weight_decay=0.1, decoupled_weight_decay=True)
    )
    np.testing.assert_allclose(p1, [1 - 0.001 - 0.01, -2 + 0.002 + 0.01], rtol=1e-7)


def test_rmsprop_by_hand():
    # Step 1: MeanSquare = 0.1 g0² = (0.1, 6.4), so g/√MeanSquare = ±√10 whatever g's size.
    p1, p2 = two_steps(lambda ps: optim.RMSprop(ps, learning_rate=0.01, decay=0.9))
    np.testing.assert_allclose(p1, [1 - 0.01 * np.sqrt(10), -2 + 0.01 * np.sqrt(10)], rtol=1e-7)
    # Step 2, written out for each weight separately.
    for i in range(2):
        g0, g1 = CURVATURE[i] * [1.0, -2.0][i], CURVATURE[i] * p1[i]
        ms = 0.9 * (0.1 * g0**2) + 0.1 * g1**2
        assert p2[i] == pytest.approx(p1[i] - 0.01 * g1 / (np.sqrt(ms) + 1e-8), rel=1e-12)


def test_adam_by_hand():
    # Step 1: m̂ = g, v̂ = g², so every weight moves by lr against its gradient's sign.
    p1, p2 = two_steps(lambda ps: optim.Adam(ps, learning_rate=0.01))
    np.testing.assert_allclose(p1, [0.99, -1.99], rtol=1e-7)
    for i in range(2):
        g0, g1 = CURVATURE[i] * [1.0, -2.0][i], CURVATURE[i] * p1[i]
        m = 0.9 * (0.1 * g0) + 0.1 * g1
        v = 0.999 * (0.001 * g0**2) + 0.001 * g1**2
        m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
        assert p2[i] == pytest.approx(p1[i] - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8), rel=1e-12)


def quadratic(seed=0, n=5, condition=20.0):
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.standard_normal((n, n)))
    A = q @ np.diag(np.linspace(1.0, condition, n)) @ q.T
    return A, rng.standard_normal(n)


def minimise(opt_factory, steps, anneal=1.0, seed=0):
    A, c = quadratic(seed)
    w = Tensor(np.zeros_like(c), requires_grad=True)
    opt = opt_factory([w])

    def loss():
        d = w - c
        return 0.5 * (d.reshape(1, -1) @ Tensor(A) @ d.reshape(-1, 1)).sum()

    start = loss().item()
    for _ in range(steps):
        opt.zero_grad()
        loss().backward()
        opt.step()
        opt.learning_rate *= anneal
    return loss().item() / start, w.data, c


@pytest.mark.parametrize(
    "factory, anneal",
    [
        (lambda ps: optim.SGD(ps, learning_rate=1 / 20), 1.0),
        (lambda ps: optim.SGD(ps, learning_rate=0.01, momentum=0.9), 1.0),
        (lambda ps: optim.RMSprop(ps, learning_rate=0.05), 0.99),
        (lambda ps: optim.Adam(ps, learning_rate=0.1), 0.995),
    ],
    ids=["sgd", "momentum", "rmsprop", "adam"],
)
def test_each_optimiser_minimises_a_convex_quadratic(factory, anneal):
    ratio, w, c = minimise(factory, 1500, anneal)
    assert ratio < 1e-8
    np.testing.assert_allclose(w, c, atol=1e-3)


def test_momentum_is_faster_on_an_ill_conditioned_quadratic():
    plain, _, _ = minimise(lambda ps: optim.SGD(ps, learning_rate=1 / 20), 100)
    heavy, _, _ = minimise(lambda ps: optim.SGD(ps, learning_rate=1 / 20, momentum=0.7), 100)
    assert heavy < 1e-3 * plain


@pytest.mark.parametrize("cls", [optim.RMSprop, optim.Adam])
def test_adaptive_steps_ignore_the_scale_of_the_gradient(cls):
    # Multiplying the loss by 1000 leaves RMSprop's and Adam's steps (almost) unchanged.
    results = []
    for scale in (1.0, 1000.0):
        p = Tensor(np.array([1.0, -2.0]), requires_grad=True)
        opt = cls([p], learning_rate=0.01)
        for _ in range(20):
            opt.zero_grad()
            (scale * 0.5 * (p * p * CURVATURE).sum()).backward()
            opt.step()
        results.append(p.data.copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_parameters_without_gradients_are_left_alone_and_zero_grad_clears():
    a = Tensor(np.ones(2), requires_grad=True)
    b = Tensor(np.ones(2), requires_grad=True)
    opt = optim.Adam([a, b, a], learning_rate=0.1)  # duplicates are updated once
    assert len(opt.params) == 2
    (a * 2.0).sum().backward()
    opt.step()
    np.testing.assert_allclose(a.data, [0.9, 0.9], rtol=1e-6)
    np.testing.assert_array_equal(b.data, [1.0, 1.0])
    opt.zero_grad()
    assert a.grad is None and b.grad is None


def test_float32_parameters_stay_float32():
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    for opt in (optim.SGD([p], 0.1, momentum=0.9), optim.RMSprop([p]), optim.Adam([p])):
        (p * p).sum().backward()
        opt.step()
        opt.zero_grad()
        assert p.data.dtype == np.float32


def test_bad_hyperparameters_and_parameters_are_refused():
    p = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        optim.SGD([p], learning_rate=0.0)
    with pytest.raises(ValueError, match="momentum must be < 1"):
        optim.SGD([p], learning_rate=0.1, momentum=1.0)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        optim.Adam([p], weight_decay=-1.0)
    with pytest.raises(ValueError, match="decay must be < 1"):
        optim.RMSprop([p], decay=1.0)
    with pytest.raises(ValueError, match="eps must be > 0"):
        optim.RMSprop([p], eps=0.0)
    with pytest.raises(ValueError, match=r"betas\[1\] must be < 1"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="betas must be a pair"):
        optim.Adam([p], betas=0.9)
    with pytest.raises(ValueError, match="params must contain at least one"):
        optim.SGD([], learning_rate=0.1)
    with pytest.raises(TypeError, match="params must be an iterable"):
        optim.SGD(p, learning_rate=0.1)
    with pytest.raises(TypeError, match=r"params\[0\] must be a Tensor"):
        optim.SGD([np.ones(2)], learning_rate=0.1)
    with pytest.raises(ValueError, match=r"params\[0\] must have requires_grad=True"):
        optim.SGD([Tensor(np.ones(2))], learning_rate=0.1)
    opt = optim.SGD([p], learning_rate=0.1)
    opt.learning_rate = -1.0
    with pytest.raises(ValueError, match="learning_rate must be > 0"):
        opt.step()


def test_the_array_steps_are_the_optimisers_formulas():
    # One formula each: the classes call the array steps, and the steps are the textbook maths.
    g = np.array([0.5, -2.0])
    w = np.array([1.0, 1.0])
    velocity = np.array([0.1, 0.0])
    optim.momentum_step(w, g, velocity, 0.1, 0.9)
    np.testing.assert_allclose(velocity, [0.9 * 0.1 - 0.05, 0.2])
    np.testing.assert_allclose(w, [1.0 + 0.04, 1.2])
    w, ms = np.array([1.0, 1.0]), np.zeros(2)
    optim.rmsprop_step(w, g, ms, 0.01, 0.9, 1e-8)
    np.testing.assert_allclose(ms, 0.1 * g**2)
    np.testing.assert_allclose(w, 1.0 - 0.01 * g / (np.sqrt(0.1 * g**2) + 1e-8))
    w, m, v = np.array([1.0, 1.0]), np.zeros(2), np.zeros(2)
    optim.adam_step(w, g, m, v, 1, 0.01)
    # At t = 1 the bias corrections make the step lr * sign(g) (up to eps).
    np.testing.assert_allclose(w, 1.0 - 0.01 * np.sign(g), rtol=1e-6)
