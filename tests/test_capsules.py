"""Chapter 18 kernels: agreement, routing of part votes, and the dynamic-routing operations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hinton_utils import capsules as C
from hinton_utils.core import functional as F
from hinton_utils.core import nn, optim
from hinton_utils.core.autodiff import Tensor


def _assert_gradients_match(f, arrays, rtol=1e-5, atol=1e-7):
    analytic, numeric = F.gradcheck(f, arrays, rng=0)
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol)


# --- how rare agreement is -----------------------------------------------------------------


def test_agreement_probability_closed_form():
    assert C.agreement_probability(1, 0.1) == pytest.approx(0.0975, abs=1e-15)
    assert C.agreement_probability(6, 0.1) == pytest.approx(0.0975**6, rel=1e-12)
    assert C.agreement_probability(3, 2.0) == pytest.approx(1.0)  # everything agrees


@pytest.mark.parametrize(("d", "tol"), [(1, 0.1), (2, 0.3), (3, 0.5), (5, 1.0)])
def test_agreement_monte_carlo_matches_closed_form(d, tol):
    p, se = C.agreement_monte_carlo(d, tol, 400_000, rng=d)
    exact = C.agreement_probability(d, tol)
    assert abs(p - exact) < 4.5 * math.sqrt(exact * (1 - exact) / 400_000)
    assert se == pytest.approx(math.sqrt(p * (1 - p) / 400_000))


# --- a face from parts ----------------------------------------------------------------------


def test_noiseless_true_parts_vote_exactly_for_their_face():
    scenes = C.face_scenes(50, 5, rng=0, n_faces=2, noise=0.0)
    votes = C.part_votes(scenes)
    for s in range(50):
        for face in range(2):
            mine = votes[s, scenes.owner[s] == face]
            M = scenes.faces[s, face]
            scale = math.hypot(M[0, 0], M[1, 0])
            want = [M[0, 2], M[1, 2], M[0, 0] / scale, M[1, 0] / scale, math.log(scale)]
            np.testing.assert_allclose(mine, np.tile(want, (4, 1)), atol=1e-12)
    assert (scenes.owner == -1).sum(axis=1).tolist() == [5] * 50
    assert sorted(scenes.kinds[0][scenes.owner[0] == 1].tolist()) == [0, 1, 2, 3]


def test_routing_finds_the_face_and_averaging_does_not():
    scenes = C.face_scenes(500, 12, rng=1)
    votes = C.part_votes(scenes)
    centre, w = C.route_to_one(votes)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, atol=1e-12)
    routed = C.pose_error(centre, scenes.faces[:, 0])
    averaged = C.pose_error(C.average_votes(votes), scenes.faces[:, 0])
    assert np.median(routed) < 0.06 < 0.5 < np.median(averaged)
    on_true = (w * (scenes.owner == 0)).sum(axis=1)
    assert np.median(on_true) > 0.99


def test_routing_without_clutter_and_noise_is_exact():
    scenes = C.face_scenes(20, 0, rng=2, noise=0.0)
    centre, w = C.route_to_one(C.part_votes(scenes), n_iter=1)
    assert np.abs(C.pose_error(centre, scenes.faces[:, 0])).max() < 1e-12
    np.testing.assert_allclose(w, 0.25, atol=1e-12)


def test_em_route_responsibilities_and_two_face_segmentation():
    scenes = C.face_scenes(200, 0, rng=3, n_faces=2, noise=0.0)
    r = C.em_route(C.part_votes(scenes))
    np.testing.assert_allclose(r.sum(axis=2), 1.0, atol=1e-12)
    parent = r.argmax(axis=2)
    # Parents are found in no fixed order: each face's parts must go to one parent, and
    # the two faces to different parents, unless the two faces' poses nearly coincide.
    far = np.linalg.norm(scenes.faces[:, 0, :2, 2] - scenes.faces[:, 1, :2, 2], axis=1) > 0.5
    for s in np.flatnonzero(far):
        a = set(parent[s, scenes.owner[s] == 0].tolist())
        b = set(parent[s, scenes.owner[s] == 1].tolist())
        assert len(a) == 1 and len(b) == 1 and a != b and 2 not in a | b


def test_assignment_accuracy_matches_parents_to_faces_in_the_best_order():
    owner = np.array([[0, 0, 1, 1, -1], [0, 1, -1, -1, 1]])
    r = np.zeros((2, 5, 3))
    r[0, [0, 1], 1] = r[0, [2, 3], 0] = r[0, 4, 2] = 1.0  # parents swapped: still all right
    r[1, 0, 0] = r[1, 1, 1] = r[1, 2, 2] = r[1, 3, 0] = r[1, 4, 2] = 1.0  # two mistakes
    np.testing.assert_allclose(C.assignment_accuracy(r, owner), [1.0, 0.6])


def test_em_route_separates_two_faces_from_clutter():
    scenes = C.face_scenes(300, 8, rng=4, n_faces=2)
    acc = C.assignment_accuracy(C.em_route(C.part_votes(scenes)), scenes.owner)
    assert acc.mean() > 0.97 and np.median(acc) == 1.0


def test_routing_needs_a_good_start():
    scenes = C.face_scenes(500, 12, rng=5)
    votes = C.part_votes(scenes)
    good = C.pose_error(C.route_to_one(votes)[0], scenes.faces[:, 0])
    bad = C.pose_error(C.route_to_one(votes, start="mean")[0], scenes.faces[:, 0])
    assert (good < 0.1).mean() > 0.95 > 0.5 > (bad < 0.1).mean()


# --- the dynamic-routing operations ---------------------------------------------------------


def test_squash_keeps_direction_and_maps_length_below_one():
    gen = np.random.default_rng(0)
    s = gen.standard_normal((50, 7)) * gen.uniform(0.01, 10, size=(50, 1))
    v = C.squash(Tensor(s)).data
    ns, nv = np.linalg.norm(s, axis=1), np.linalg.norm(v, axis=1)
    # exact up to the eps under the square root: relative error at most eps / (2 ns^2)
    np.testing.assert_allclose(nv, ns**2 / (1 + ns**2), rtol=1e-6)
    np.testing.assert_allclose(v / nv[:, None], s / ns[:, None], atol=1e-12)
    assert nv.max() < 1.0
    assert np.all(C.squash(Tensor(np.zeros((2, 3)))).data == 0.0)


def test_squash_axis_and_gradient():
    gen = np.random.default_rng(1)
    s = gen.standard_normal((3, 4, 5))
    v = C.squash(Tensor(s), axis=1).data
    want = C.squash(Tensor(s.transpose(0, 2, 1))).data.transpose(0, 2, 1)
    np.testing.assert_allclose(v, want, atol=1e-14)
    _assert_gradients_match(lambda t: C.squash(t), [s])


def test_capsule_votes_are_the_matrix_products_and_have_the_right_gradient():
    gen = np.random.default_rng(2)
    u, W = gen.standard_normal((3, 4, 2)), gen.standard_normal((4, 5, 3, 2))
    got = C.capsule_votes(Tensor(u), Tensor(W)).data
    np.testing.assert_allclose(got, np.einsum("ijoe,nie->nijo", W, u), atol=1e-13)
    _assert_gradients_match(lambda a, b: C.capsule_votes(a, b), [u, W])


def _votes(seed, n=2, i=6, j=4, d=3):
    return np.random.default_rng(seed).standard_normal((n, i, j, d))


@pytest.mark.parametrize("n_iter", [1, 2, 3, 5])
def test_couplings_sum_to_one_over_parents(n_iter):
    """The assertion that catches the softmax-over-the-wrong-axis bug."""
    _, c = C.dynamic_routing(Tensor(_votes(0)), n_iter)
    np.testing.assert_allclose(c.data.sum(axis=2), 1.0, atol=1e-14)
    if n_iter > 1:  # summed over children they do not (that would be the wrong axis)
        assert np.abs(c.data.sum(axis=1) - 6 / 4).max() > 1e-3


def test_one_iteration_gives_uniform_couplings_and_squashed_mean_votes():
    u_hat = _votes(1)
    v, c = C.dynamic_routing(Tensor(u_hat), 1)
    np.testing.assert_allclose(c.data, 0.25, atol=1e-15)
    want = C.squash(Tensor(u_hat.mean(axis=1) * 6 / 4)).data
    np.testing.assert_allclose(v.data, want, atol=1e-14)


def test_routing_is_equivariant_to_permuting_parents():
    u_hat = _votes(2)
    perm = np.array([2, 0, 3, 1])
    v, c = C.dynamic_routing(Tensor(u_hat), 3)
    vp, cp = C.dynamic_routing(Tensor(u_hat[:, :, perm]), 3)
    np.testing.assert_allclose(vp.data, v.data[:, perm], atol=1e-14)
    np.testing.assert_allclose(cp.data, c.data[:, :, perm], atol=1e-14)


def test_routing_raises_coupling_to_the_parent_a_child_agrees_with():
    u_hat = np.zeros((1, 3, 2, 2))
    u_hat[0, :, 0] = [1.0, 0.0]  # all three children vote the same for parent 0
    u_hat[0, :, 1] = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]]  # and disagree for parent 1
    _, c = C.dynamic_routing(Tensor(u_hat), 3)
    assert np.all(c.data[0, :, 0] > 0.5)


def test_routing_gradient_through_the_iterations():
    _assert_gradients_match(lambda t: C.dynamic_routing(t, 3)[0], [_votes(3, 2, 3, 2, 2)])


def test_margin_loss_is_zero_exactly_at_the_margins_and_has_known_values():
    lengths = np.full((2, 4), 0.1)
    lengths[0, 1] = lengths[1, 3] = 0.9
    labels = np.array([1, 3])
    assert C.margin_loss(Tensor(lengths), labels).item() == 0.0
    lengths[0, 1] = 0.6  # present but short: (0.9 - 0.6)^2
    lengths[1, 0] = 0.5  # absent but long: 0.5 (0.5 - 0.1)^2
    want = (0.3**2 + 0.5 * 0.4**2) / 2
    assert C.margin_loss(Tensor(lengths), labels).item() == pytest.approx(want, abs=1e-15)
    two_hot = np.zeros((2, 4))
    two_hot[0, [0, 1]] = two_hot[1, [0, 3]] = 1
    both = C.margin_loss(Tensor(lengths), two_hot).item()
    assert both == pytest.approx((0.3**2 + 0.8**2 + 0.4**2) / 2, abs=1e-15)


def test_margin_loss_gradient():
    gen = np.random.default_rng(4)
    lengths = gen.uniform(0.0, 1.0, size=(5, 4))
    lengths[np.abs(lengths - 0.9) < 0.02] = 0.5  # keep away from the kinks
    lengths[np.abs(lengths - 0.1) < 0.02] = 0.5
    labels = np.array([0, 1, 2, 3, 0])
    _assert_gradients_match(lambda t: C.margin_loss(t, labels), [lengths])


def test_capsule_lengths_gradient():
    _assert_gradients_match(C.capsule_lengths, [_votes(5)[:, 0]])


# --- the networks -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_digits():
    from hinton_utils.data import digits

    X, y = digits()
    return C.to_canvas(X[:300]), y[:300]


def test_capsnet_couplings_and_lengths(tiny_digits):
    X, _ = tiny_digits
    net = C.CapsNet(0)
    lengths, c = net.route(X[:20])
    assert c.shape == (20, net.n_primary, 10)
    np.testing.assert_allclose(c.sum(axis=2), 1.0, atol=1e-5)
    scores = C.class_scores(net, X[:20])
    assert np.all((scores >= 0) & (scores < 1))


def test_capsnet_and_cnn_learn_through_the_one_training_loop(tiny_digits):
    X, y = tiny_digits
    T = C.capsule_targets(y)
    net = C.CapsNet(0)
    hist = nn.train(
        net,
        optim.Adam(net.parameters(), learning_rate=3e-3),
        X,
        np.column_stack([T, X]),
        n_epochs=4,
        batch_size=32,
        rng=0,
        loss=C.capsnet_loss(net),
    )
    assert hist[-1] < 0.6 * hist[0]
    assert C.evaluate(net, X, y) > 0.6
    cnn = C.SmallCNN(0)
    hist = nn.train(
        cnn,
        optim.Adam(cnn.parameters(), learning_rate=3e-3),
        X,
        y,
        n_epochs=4,
        batch_size=32,
        rng=0,
    )
    assert hist[-1] < 0.5 * hist[0]


def test_capsnet_loss_is_margin_plus_weighted_reconstruction(tiny_digits):
    X, y = tiny_digits
    net = C.CapsNet(1)
    T = C.capsule_targets(y[:8])
    v = net(Tensor(X[:8], dtype="float32"))
    margin = C.margin_loss(C.capsule_lengths(v), T).item()
    recon = net.reconstruct(v, T).data
    sse = ((recon - X[:8]) ** 2).sum() / 8
    got = C.capsnet_loss(net, 0.01)(v, np.column_stack([T, X[:8]])).item()
    assert got == pytest.approx(margin + 0.01 * sse, rel=1e-5)
    assert C.capsnet_loss(net, 0.0)(v, np.column_stack([T, X[:8]])).item() == pytest.approx(
        margin, rel=1e-6
    )


def test_evaluate_top_two_for_pairs():
    class Fixed(nn.Module):
        def forward(self, x):
            return Tensor(np.tile([[0.0, 3.0, 1.0, 2.0]], (x.shape[0], 1)))

    model = Fixed()
    X = np.zeros((3, 4))
    assert C.evaluate(model, X, np.array([1, 1, 3])) == pytest.approx(2 / 3)
    assert C.evaluate(model, X, np.array([[3, 1], [1, 2], [1, 3]])) == pytest.approx(2 / 3)


# --- images -------------------------------------------------------------------------------


def test_canvas_shift_and_rotation():
    gen = np.random.default_rng(5)
    X = gen.uniform(size=(4, 16))
    canvas = C.to_canvas(X, side=4, pad=2)
    assert canvas.shape == (4, 64) and canvas.sum() == pytest.approx(X.sum())
    img = canvas.reshape(4, 8, 8)
    np.testing.assert_array_equal(img[:, 2:6, 2:6], X.reshape(4, 4, 4))
    moved = C.shift_images(canvas, 8, 2, -1).reshape(4, 8, 8)
    np.testing.assert_array_equal(moved[:, 1:5, 4:8], X.reshape(4, 4, 4))
    back = C.shift_images(C.shift_images(canvas, 8, 2, -1), 8, -2, 1)
    np.testing.assert_array_equal(back, canvas)
    np.testing.assert_allclose(C.rotate_images(canvas, 8, 0.0), canvas, atol=1e-14)
    quarter = C.rotate_images(canvas, 8, math.pi / 2).reshape(4, 8, 8)
    turned = [np.rot90(a, k) for a in img for k in (1, 3)]
    assert all(
        any(np.allclose(q, t, atol=1e-12) for t in turned[2 * i : 2 * i + 2])
        for i, q in enumerate(quarter)
    )


def test_overlay_pairs_are_maxima_of_two_different_digits():
    gen = np.random.default_rng(6)
    X, y = gen.uniform(size=(30, 25)), np.arange(30) % 3
    P, L = C.overlay_pairs(X, y, 5, 40, rng=0, max_shift=0)
    assert np.all(L[:, 0] != L[:, 1])
    for img in P:
        hits = [
            (a, b) for a in range(30) for b in range(30) if np.allclose(img, np.maximum(X[a], X[b]))
        ]
        assert hits and all(y[a] != y[b] for a, b in hits)
    T = C.capsule_targets(L, 3)
    assert np.all(T.sum(axis=1) == 2)


# --- bad input ------------------------------------------------------------------------------

SCENES = C.face_scenes(2, 1, rng=0)
VOTES = C.part_votes(SCENES)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: C.agreement_probability(0, 0.1), ValueError, "d must be >= 1"),
        (lambda: C.agreement_probability(2, 3.0), ValueError, "tol must be <= 2"),
        (lambda: C.agreement_monte_carlo(2, 0.1, 0, rng=0), ValueError, "n_pairs must be"),
        (lambda: C.agreement_monte_carlo(2, 0.1, 10, rng="x"), TypeError, "rng"),
        (lambda: C.face_scenes(0, 1, rng=0), ValueError, "n_scenes must be >= 1"),
        (lambda: C.face_scenes(2, -1, rng=0), ValueError, "n_clutter must be >= 0"),
        (lambda: C.face_scenes(2, 1, rng=0, noise=-1.0), ValueError, "noise must be >= 0"),
        (lambda: C.part_votes(VOTES), TypeError, "scenes must be a FaceScenes"),
        (lambda: C.average_votes(VOTES[0]), ValueError, "votes must"),
        (lambda: C.route_to_one(VOTES, n_iter=0), ValueError, "n_iter must be >= 1"),
        (lambda: C.route_to_one(VOTES, radius=0.0), ValueError, "radius must be > 0"),
        (lambda: C.route_to_one(VOTES, start="max"), ValueError, "start must be one of"),
        (lambda: C.em_route(VOTES, 0), ValueError, "n_parents must be >= 1"),
        (
            lambda: C.assignment_accuracy(np.ones((2, 5, 3)), np.ones((2, 4))),
            ValueError,
            "owner must have shape",
        ),
        (lambda: C.compare_on_digits(0, n_train=5), ValueError, "n_train must be >= 10"),
        (lambda: C.CapsNet(0).route(np.ones((2, 100)), n_iter=0), ValueError, "n_iter must be"),
        (lambda: C.em_route(VOTES, sigma=-1.0), ValueError, "sigma must be > 0"),
        (lambda: C.pose_error(VOTES[:, 0], np.eye(3)), ValueError, "truth must"),
        (lambda: C.squash(np.ones(3)), TypeError, "s must be a Tensor"),
        (lambda: C.squash(Tensor(np.ones(3)), axis=2), ValueError, "axis 2 is out of range"),
        (
            lambda: C.capsule_votes(np.ones((1, 2, 3)), Tensor(np.ones((2, 1, 1, 3)))),
            TypeError,
            "must be Tensors",
        ),
        (
            lambda: C.capsule_votes(Tensor(np.ones((1, 2, 3))), Tensor(np.ones((2, 1, 1, 2)))),
            ValueError,
            "u must be",
        ),
        (lambda: C.dynamic_routing(Tensor(np.ones((2, 3, 4))), 3), ValueError, "u_hat must be 4-D"),
        (lambda: C.dynamic_routing(Tensor(np.ones((1, 2, 3, 4))), 0), ValueError, "n_iter"),
        (lambda: C.margin_loss(np.ones((2, 3)), [0, 1]), TypeError, "lengths must be a Tensor"),
        (lambda: C.margin_loss(Tensor(np.ones((2, 3))), [0, 3]), ValueError, "labels must be"),
        (
            lambda: C.margin_loss(Tensor(np.ones((2, 3))), [0, 1], m_minus=0.95),
            ValueError,
            "m_minus must be below m_plus",
        ),
        (lambda: C.capsule_lengths(Tensor(np.ones((2, 3)))), ValueError, "v must be"),
        (lambda: C.capsule_targets(np.array([0.5])), TypeError, "labels must be integers"),
        (lambda: C.capsule_targets(np.array([10])), ValueError, r"labels must lie in \[0, 10\)"),
        (lambda: C.capsnet_loss(C.SmallCNN(0)), TypeError, "model must be a CapsNet"),
        (lambda: C.CapsNet(0, side=5), ValueError, "side must be >= 7"),
        (lambda: C.SmallCNN(0, n_hidden=0), ValueError, "n_hidden must be >= 1"),
        (lambda: C.class_scores("model", np.ones((2, 100))), TypeError, "model must be a Module"),
        (
            lambda: C.evaluate(C.SmallCNN(0), np.ones((2, 100)), np.ones(3, int)),
            ValueError,
            "labels must have 2 rows",
        ),
        (lambda: C.to_canvas(np.ones((2, 10))), ValueError, "X must have 64 columns"),
        (lambda: C.shift_images(np.ones((2, 64)), 8, 9, 0), ValueError, "dx must be <= 8"),
        (lambda: C.rotate_images(np.ones((2, 64)), 8, "a"), TypeError, "angle must be"),
        (
            lambda: C.overlay_pairs(np.ones((3, 4)), np.arange(2), 2, 5, rng=0),
            ValueError,
            "labels must have 3 entries",
        ),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
