"""Chapter 13 kernels (scale): optimisers on a quadratic, gradient scales, size curves."""

from __future__ import annotations

import numpy as np
import pytest

from hinton_utils import data, scale
from hinton_utils.core import nn, optim


def test_make_optimizer_builds_the_named_rule():
    w = [nn.Parameter(np.zeros(3))]
    assert type(scale.make_optimizer("sgd", w, 0.1)) is optim.SGD
    assert scale.make_optimizer("momentum", w, 0.1).momentum == 0.9
    assert scale.make_optimizer("rmsprop", w, 0.1).decay == 0.9
    assert isinstance(scale.make_optimizer("adam", w, 0.1), optim.Adam)


def test_quadratic_has_the_requested_spectrum_whether_rotated_or_not():
    lam = np.array([1.0, 10.0, 100.0])
    for rotate in (False, True):
        A = scale.quadratic(lam, rotate=rotate, rng=0)
        np.testing.assert_allclose(A, A.T, atol=1e-12)
        np.testing.assert_allclose(np.linalg.eigvalsh(A), lam, rtol=1e-12)
    assert np.count_nonzero(scale.quadratic(lam, rotate=True, rng=0) - np.diag(lam)) > 3


def test_gradient_descent_on_a_quadratic_contracts_at_the_predicted_rate():
    # Plain GD with lr = 2/(λmin+λmax) shrinks the slowest mode by (κ-1)/(κ+1) per step.
    lam = np.array([1.0, 9.0])
    A = scale.quadratic(lam, rotate=False, rng=0)
    losses = scale.optimise_quadratic(A, np.array([1.0, 0.0]), "sgd", 0.2, 10)
    rate = (9 - 1) / (9 + 1)
    np.testing.assert_allclose(losses, 0.5 * rate ** (2 * np.arange(11)), rtol=1e-12)


def test_momentum_step_on_a_quadratic_matches_the_recurrence_by_hand():
    A = np.diag([2.0])
    w, v = 1.0, 0.0
    expected = [0.5 * 2 * w * w]
    for _ in range(5):
        v = 0.9 * v - 0.1 * 2 * w
        w = w + v
        expected.append(0.5 * 2 * w * w)
    got = scale.optimise_quadratic(A, np.array([1.0]), "momentum", 0.1, 5)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_rmsprop_takes_equal_steps_on_axes_of_any_curvature():
    # First RMSprop step: g/√(0.1 g²) = ±√10 per coordinate, whatever the curvature.
    A = scale.quadratic(np.array([1.0, 1000.0]), rotate=False, rng=0)
    losses = scale.optimise_quadratic(A, np.array([1.0, 1.0]), "rmsprop", 0.01, 1)
    w1 = 1.0 - 0.01 * np.sqrt(10.0) / (1 + 1e-8 * np.sqrt(10) / np.array([1, 1000]))
    np.testing.assert_allclose(losses[1], 0.5 * (w1[0] ** 2 + 1000 * w1[1] ** 2), rtol=1e-7)


def test_a_diverging_run_is_padded_with_inf_and_steps_to_target():
    A = np.diag([1.0, 100.0])
    losses = scale.optimise_quadratic(A, np.ones(2), "sgd", 0.5, 50)
    assert len(losses) == 51 and np.isinf(losses[-1])
    assert scale.steps_to_target(losses, 1e-3) is None
    assert scale.steps_to_target([5.0, 2.0, 0.5, 0.1], 0.5) == 2
    assert scale.steps_to_target([5.0, np.inf], 0.5) is None


def test_layer_gradient_rms_matches_the_gradients_and_leaves_none_behind():
    X, y = data.digits()
    net = nn.MLP([64, 16, 16, 16, 10], activation="sigmoid", rng=0, dtype="float64")
    rms = scale.layer_gradient_rms(net, X[:200], y[:200])
    assert len(rms) == 4 and all(r > 0 for r in rms)
    assert all(p.grad is None for p in net.parameters())
    # In a stack of logistic units the gradient shrinks towards the input.
    assert rms[0] < rms[-1] / 10


def test_matmul_gflops_is_a_positive_rate():
    assert scale.matmul_gflops(32, repeats=1, rng=0) > 0


def test_size_curve_shapes_and_more_data_helps_on_average():
    X, y = data.digits()
    errors = scale.size_curve(
        X[:1200], y[:1200], X[1200:], y[1200:], sizes=(30, 600), n_seeds=2, n_steps=150, rng=0
    )
    assert errors.shape == (2, 2)
    assert errors[1].mean() < errors[0].mean()
    widths = scale.size_curve(
        X[:300], y[:300], X[1200:], y[1200:], widths=(1, 64), n_seeds=1, n_steps=150, rng=0
    )
    assert widths.shape == (2, 1) and widths[1, 0] < widths[0, 0]


def test_power_law_slope_recovers_an_exact_power_law():
    x = np.array([10.0, 20, 40, 80, 160])
    slope, c = scale.power_law_slope(x, 3.0 * x**-0.7)
    assert slope == pytest.approx(-0.7) and c == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (
            lambda: scale.make_optimizer("lbfgs", [nn.Parameter(np.zeros(1))], 0.1),
            ValueError,
            "name",
        ),
        (lambda: scale.quadratic([1.0, -1.0], rotate=False, rng=0), ValueError, "eigenvalues"),
        (lambda: scale.quadratic([1.0], rotate=1, rng=0), TypeError, "rotate"),
        (lambda: scale.optimise_quadratic(np.eye(2), np.ones(3), "sgd", 0.1, 5), ValueError, "w0"),
        (
            lambda: scale.optimise_quadratic(np.eye(2), np.ones(2), "sgd", 0.1, 0),
            ValueError,
            "n_steps",
        ),
        (lambda: scale.steps_to_target([1.0, np.nan], 0.1), ValueError, "losses"),
        (lambda: scale.steps_to_target("abc", 0.1), TypeError, "losses"),
        (
            lambda: scale.layer_gradient_rms(nn.Linear(2, 2, rng=0), [[1, 2]], [0]),
            TypeError,
            "model",
        ),
        (lambda: scale.matmul_gflops(4, rng=0), ValueError, "n"),
        (lambda: scale.matmul_gflops(64, dtype="int8", rng=0), ValueError, "dtype"),
        (
            lambda: scale.size_curve(
                np.ones((20, 2)), np.zeros(20, int), np.ones((5, 2)), np.zeros(5, int), rng=0
            ),  # fmt: skip
            ValueError,
            "sizes or widths",
        ),
        (
            lambda: scale.size_curve(
                np.ones((20, 2)),
                np.zeros(20, int),
                np.ones((5, 2)),
                np.zeros(5, int),
                sizes=(50,),
                rng=0,
            ),  # fmt: skip
            ValueError,
            "sizes",
        ),
        (lambda: scale.power_law_slope([1.0, 2.0], [0.5, 0.0]), ValueError, "error"),
        (lambda: scale.power_law_slope([1.0], [0.5]), ValueError, "length"),
    ],
)
def test_bad_input_names_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
