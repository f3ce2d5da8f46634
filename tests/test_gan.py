"""Chapter 15 GAN kernels: the optimal discriminator and the game's value, exactly; the ring."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hinton_utils import gan as G
from hinton_utils.core.autodiff import Tensor


@pytest.fixture
def pmfs():
    p = np.array([0.1, 0.4, 0.0, 0.3, 0.2])
    q = np.array([0.25, 0.05, 0.3, 0.2, 0.2])
    return p, q


def test_optimal_discriminator_formula(pmfs):
    p, q = pmfs
    D = G.optimal_discriminator(p, q)
    assert np.allclose(D, p / (p + q))
    assert D[2] == 0.0


def test_optimal_discriminator_maximises_value(pmfs):
    p, q = pmfs
    D = G.optimal_discriminator(p, q)
    best = G.gan_value(D, p, q)
    gen = np.random.default_rng(0)
    for _ in range(50):
        other = np.clip(D + 0.05 * gen.standard_normal(5), 1e-6, 1 - 1e-6)
        assert G.gan_value(other, p, q) <= best + 1e-12


def test_value_at_optimum_is_minus_log4_plus_2jsd(pmfs):
    p, q = pmfs
    C = G.gan_value(G.optimal_discriminator(p, q), p, q)
    assert C == pytest.approx(-math.log(4) + 2 * G.jensen_shannon(p, q), abs=1e-12)
    assert C > -math.log(4)


def test_equal_distributions_give_half_and_minus_log4(pmfs):
    p, _ = pmfs
    D = G.optimal_discriminator(p, p)
    assert np.allclose(D[p > 0], 0.5)
    assert G.gan_value(D, p, p) == pytest.approx(-math.log(4), abs=1e-14)
    assert G.jensen_shannon(p, p) == pytest.approx(0.0, abs=1e-15)


def test_jensen_shannon_bounds():
    p, q = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    assert G.jensen_shannon(p, q) == pytest.approx(math.log(2), abs=1e-15)  # disjoint: log 2
    assert G.gan_value(G.optimal_discriminator(p, q), p, q) == pytest.approx(0.0, abs=1e-15)


def test_ring_and_mode_stats():
    modes = G.ring_modes()
    assert np.allclose(np.linalg.norm(modes, axis=1), 2.0)
    assert np.allclose(np.linalg.norm(modes[1] - modes[0]), 4 * math.sin(math.pi / 8))
    X = G.ring_data(4000, 0)
    share, covered = G.mode_stats(X, modes)
    # a 2-D Gaussian with sd 0.05 lies within 0.2 (4 sd) with prob 1 - exp(-8)
    assert share > 1 - 5 * math.exp(-8) - 1e-3 and covered == 8
    collapsed = np.repeat(modes[:1], 100, axis=0)
    assert G.mode_stats(collapsed, modes) == (1.0, 1)
    assert G.mode_stats(np.zeros((10, 2)), modes) == (0.0, 0)


def test_minibatch_std_feature_is_batch_spread():
    D = G.Discriminator(2, 4, rng=0, minibatch_std=True)
    x = np.array([[0.0, 0.0], [2.0, 4.0]], dtype="float32")
    first = D.net.linears[0]
    seen = []
    orig = first.forward
    first.forward = lambda t: (seen.append(t.data.copy()), orig(t))[1]
    D(Tensor.constant(x))
    assert np.allclose(seen[0][:, 2], 1.5)  # mean of the std over columns: (1 + 2) / 2


def test_discriminator_gradient_reaches_generator():
    g = G.Generator(2, 8, 2, rng=0)
    d = G.Discriminator(2, 8, rng=1, minibatch_std=True)
    z = Tensor.constant(np.random.default_rng(0).standard_normal((5, 2)).astype("float32"))
    d(g(z)).sum().backward()
    assert all(p.grad is not None and np.any(p.grad != 0) for p in g.parameters())


def test_short_training_learns_something():
    _, _, hist = G.train_gan(600, 0, n_hidden=32, batch_size=64, eval_every=300, n_eval=500)
    assert hist.steps == [300, 600]
    assert len(hist.samples) == 2 and hist.samples[0].shape == (500, 2)
    radius = np.linalg.norm(hist.samples[-1], axis=1)
    assert abs(np.median(radius) - 2.0) < 0.5  # the samples have moved out to the ring


def test_nearest_neighbours_exact():
    R = np.array([[0.0, 0.0], [3.0, 4.0], [10.0, 0.0]])
    S = np.array([[3.0, 4.0], [1.0, 0.0], [9.0, 1.0]])
    idx, dist = G.nearest_neighbours(S, R)
    assert list(idx) == [1, 0, 2]
    assert np.allclose(dist, [0.0, 1.0, math.sqrt(2.0)])


def test_sigmoid_generator_outputs_lie_in_unit_interval():
    g = G.Generator(3, 8, 5, rng=0, output_activation="sigmoid")
    z = Tensor.constant(10 * np.random.default_rng(0).standard_normal((50, 3)).astype("float32"))
    out = g(z).data
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize(
    "call, err",
    [
        (lambda: G.optimal_discriminator(np.array([0.5, 0.6]), np.array([0.5, 0.5])), ValueError),
        (lambda: G.optimal_discriminator(np.array([1.0]), np.array([0.5, 0.5])), ValueError),
        (
            lambda: G.gan_value(np.array([1.5, 0.0]), np.array([0.5, 0.5]), np.array([0.5, 0.5])),
            ValueError,
        ),
        (lambda: G.jensen_shannon(np.array([-0.5, 1.5]), np.array([0.5, 0.5])), ValueError),
        (lambda: G.ring_modes(0), ValueError),
        (lambda: G.ring_data(10, 0, sd=-1.0), ValueError),
        (lambda: G.mode_stats(np.zeros((3, 3)), G.ring_modes()), ValueError),
        (lambda: G.Discriminator(2, 4, rng=0, minibatch_std=1), TypeError),
        (lambda: G.Generator(0, 4, 2, rng=0), ValueError),
        (lambda: G.train_gan(10, 0, loss="wasserstein"), ValueError),
        (lambda: G.nearest_neighbours(np.zeros((2, 3)), np.zeros((4, 2))), ValueError),
        (lambda: G.Generator(2, 4, 2, rng=0, output_activation="cube"), ValueError),
    ],
)
def test_bad_input(call, err):
    with pytest.raises(err):
        call()
