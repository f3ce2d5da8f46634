"""Chapter 14 kernels: feedback alignment, difference target propagation, weight sharing."""

from __future__ import annotations

import numpy as np
import pytest

from hinton_utils import bioplausible as bio
from hinton_utils.core import functional as F
from hinton_utils.core import nn, optim
from hinton_utils.core.autodiff import Tensor

SIZES = [5, 4, 3, 3]


def _problem(seed=0, n=7, sizes=SIZES):
    rng = np.random.default_rng(seed)
    model = bio.tanh_mlp(sizes, rng=seed, dtype="float64")
    Ws, bs = bio.mlp_arrays(model)
    bs = [b + 0.1 * rng.standard_normal(b.shape) for b in bs]
    X = rng.standard_normal((n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return Ws, bs, X, y


def _autodiff_grads(Ws, bs, X, y):
    """Backprop's gradients of the mean cross-entropy, from the autodiff engine."""
    model = nn.MLP(
        [W.shape[0] for W in Ws] + [Ws[-1].shape[1]], rng=0, activation="tanh", dtype="float64"
    )
    for lin, W, b in zip(model.linears, Ws, bs, strict=True):
        lin.weight.data[...] = W
        lin.bias.data[...] = b
    loss = F.cross_entropy(model(Tensor.constant(X)), y)
    loss.backward()
    return [(lin.weight.grad, lin.bias.grad) for lin in model.linears]


def test_forward_matches_the_core_mlp():
    Ws, bs, X, _ = _problem()
    model = bio.tanh_mlp(SIZES, rng=0, dtype="float64")
    W0, b0 = bio.mlp_arrays(model)
    np.testing.assert_allclose(bio.forward(W0, b0, X)[-1], model(Tensor.constant(X)).data)


def test_output_error_is_the_gradient_of_mean_cross_entropy():
    rng = np.random.default_rng(1)
    z, y = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    (num,) = F.numerical_gradient(lambda t: F.cross_entropy(t, y), [z])
    np.testing.assert_allclose(bio.output_error(z, y), num, atol=1e-7)
    # Each row sums to zero: probabilities minus a one-hot, over n.
    np.testing.assert_allclose(bio.output_error(z, y).sum(axis=1), 0.0, atol=1e-15)


def test_feedback_with_the_transposes_is_exactly_backprop():
    Ws, bs, X, y = _problem()
    hs = bio.forward(Ws, bs, X)
    deltas = bio.feedback_deltas(hs, bio.output_error(hs[-1], y), [W.T for W in Ws[1:]])
    ours = [(h.T @ d, d.sum(axis=0)) for h, d in zip(hs[:-1], deltas, strict=True)]
    for (gw, gb), (aw, ab) in zip(ours, _autodiff_grads(Ws, bs, X, y), strict=True):
        np.testing.assert_allclose(gw, aw, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(gb, ab, rtol=1e-12, atol=1e-15)
    # ... and backprop itself agrees with finite differences.
    analytic, numeric = F.gradcheck(
        lambda *ps: _loss(ps, X, y), [a for wb in zip(Ws, bs) for a in wb]
    )
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, atol=1e-7)


def _loss(ps, X, y):
    h = Tensor.constant(X)
    for i in range(0, len(ps), 2):
        h = F.linear(h, ps[i], ps[i + 1])
        h = h.tanh() if i < len(ps) - 2 else h
    return F.cross_entropy(h, y)


def test_feedback_alignment_angle_is_zero_with_transposed_feedback_and_not_otherwise():
    Ws, bs, X, y = _problem()
    exact = [W.T.copy() for W in Ws[1:]]
    assert bio.alignment_angle(Ws, bs, exact, X, y, layer=0) == pytest.approx(0.0, abs=1e-5)
    random_b = bio.random_feedback(SIZES, rng=4, dtype="float64")
    assert bio.alignment_angle(Ws, bs, random_b, X, y, layer=0) > 1.0
    # The top layer's update never depends on the feedback: the output error is exact.
    hs = bio.forward(Ws, bs, X)
    e = bio.output_error(hs[-1], y)
    assert bio.feedback_deltas(hs, e, random_b)[-1] is not None
    np.testing.assert_array_equal(bio.feedback_deltas(hs, e, random_b)[-1], e)


def test_feedback_deltas_never_see_a_forward_weight():
    """Locality: δ below depends only on activities, the error and B."""
    Ws, bs, X, y = _problem()
    hs = bio.forward(Ws, bs, X)
    e = bio.output_error(hs[-1], y)
    Bs = bio.random_feedback(SIZES, rng=5, dtype="float64")
    d1 = bio.feedback_deltas(hs, e, Bs)
    # Hand-computed from the definition, layer by layer.
    d_top = e
    d_mid = (d_top @ Bs[1]) * (1 - hs[2] ** 2)
    d_low = (d_mid @ Bs[0]) * (1 - hs[1] ** 2)
    for got, want in zip(d1, [d_low, d_mid, d_top], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14)


def test_difference_correction_is_exact_with_exact_inverses():
    """With g = f⁻¹ the targets satisfy f(ĥ_{l−1}) = ĥ_l, all the way down."""
    rng = np.random.default_rng(6)
    n, d = 5, 4
    Ws = [rng.standard_normal((3, d)) * 0.5] + [
        np.eye(d) + 0.3 * rng.standard_normal((d, d)) for _ in range(2)
    ]
    Ws.append(rng.standard_normal((d, 3)))
    bs = [0.1 * rng.standard_normal(W.shape[1]) for W in Ws]
    X = rng.standard_normal((n, 3))
    hs = bio.forward(Ws, bs, X)

    def f(layer, h):  # hidden layer `layer` (from 1) computed from the one below
        return np.tanh(h @ Ws[layer - 1] + bs[layer - 1])

    def exact_inverse(layer, h):
        return (np.arctanh(h) - bs[layer - 1]) @ np.linalg.inv(Ws[layer - 1])

    top = hs[-2] + 0.05 * rng.standard_normal(hs[-2].shape)
    targets = bio.difference_targets(hs, top, exact_inverse)
    for layer in (2, 3):
        np.testing.assert_allclose(f(layer, targets[layer - 2]), targets[layer - 1], atol=1e-10)
        # The reconstruction term g(h_l) − h_{l−1} of the difference correction vanishes.
        np.testing.assert_allclose(exact_inverse(layer, hs[layer]), hs[layer - 1], atol=1e-10)


def test_difference_correction_leaves_a_layer_at_its_target_alone():
    """Target = activity passes down unchanged, even through a poor inverse; plain TP does not."""
    Ws, bs, X, _ = _problem(sizes=[5, 4, 4, 4, 3])
    hs = bio.forward(Ws, bs, X)
    V = np.random.default_rng(7).standard_normal((4, 4))

    def poor_inverse(layer, h):
        return np.tanh(h @ V)

    targets = bio.difference_targets(hs, hs[-2].copy(), poor_inverse)
    for t, h in zip(targets, hs[1:-1], strict=True):
        np.testing.assert_allclose(t, h, atol=1e-14)
    assert np.abs(poor_inverse(3, hs[3]) - hs[2]).max() > 0.1  # plain TP would move it


def test_local_update_is_the_gradient_of_the_layer_loss_with_its_input_detached():
    rng = np.random.default_rng(8)
    x, W, b = rng.standard_normal((6, 4)), rng.standard_normal((4, 3)), rng.standard_normal(3)
    target = np.tanh(rng.standard_normal((6, 3)))
    h = np.tanh(x @ W + b)
    gW, gb = bio.local_update(x, h, target)

    def loss(w, bb):
        out = np.tanh(x @ w + bb)
        return 0.5 * np.sum((out - target) ** 2) / len(x)

    eps = 1e-6
    num = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        Wp, Wm = W.copy(), W.copy()
        Wp[i] += eps
        Wm[i] -= eps
        num[i] = (loss(Wp, b) - loss(Wm, b)) / (2 * eps)
    np.testing.assert_allclose(gW, num, atol=1e-8)
    num_b = np.array([(loss(W, b + eps * e) - loss(W, b - eps * e)) / (2 * eps) for e in np.eye(3)])
    np.testing.assert_allclose(gb, num_b, atol=1e-8)


def test_no_gradient_crosses_a_layer_in_dtp():
    """Summing every layer's local loss in autodiff, with each input detached, gives
    exactly our per-layer updates; without the detach, gradient would leak downwards."""
    Ws, bs, X, _ = _problem(sizes=[5, 4, 4, 3])
    hs = bio.forward(Ws, bs, X)
    rng = np.random.default_rng(9)
    targets = [np.tanh(rng.standard_normal(h.shape)) for h in hs[1:-1]]
    params = [(nn.Parameter(W.copy()), nn.Parameter(b.copy())) for W, b in zip(Ws, bs)]

    def total(detach):
        x, out = Tensor.constant(X), 0.0
        for (W, b), t in zip(params[:-1], targets, strict=False):
            h = (x @ W + b).tanh()
            out = out + 0.5 * ((h - t) ** 2).sum() * (1.0 / len(X))
            x = Tensor.constant(h.data) if detach else h
        return out

    for detach in (True, False):
        for W, b in params:
            W.zero_grad()
            b.zero_grad()
        total(detach).backward()
        ours = [bio.local_update(hs[i], hs[i + 1], targets[i]) for i in range(2)]
        for (gw, gb), (W, b) in zip(ours, params, strict=False):
            same = np.allclose(W.grad, gw, rtol=1e-12, atol=1e-15) and np.allclose(b.grad, gb)
            assert same == (detach or W is params[1][0])
        # Nothing reaches the output layer: it has no local loss here.
        assert params[2][0].grad is None or not np.any(params[2][0].grad)


def test_train_local_starts_from_the_backprop_network_and_is_deterministic():
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((40, 5)), rng.integers(0, 3, 40)
    seen = []
    for method in bio.METHODS:
        a = bio.train_local(
            method,
            SIZES,
            X,
            y,
            n_epochs=1,
            batch_size=40,
            learning_rate=1e-12,
            rng=3,
            dtype="float64",
        )
        W0, _ = bio.mlp_arrays(bio.tanh_mlp(SIZES, rng=3, dtype="float64"))
        for W, w0 in zip(a["weights"], W0, strict=True):
            np.testing.assert_allclose(W, w0, atol=1e-9)
        b = bio.train_local(
            method,
            SIZES,
            X,
            y,
            n_epochs=2,
            batch_size=8,
            learning_rate=0.1,
            rng=3,
            callback=lambda e, W, bb, ex: seen.append(e),
        )
        c = bio.train_local(method, SIZES, X, y, n_epochs=2, batch_size=8, learning_rate=0.1, rng=3)
        for W, w2 in zip(b["weights"], c["weights"], strict=True):
            np.testing.assert_array_equal(W, w2)
    assert seen == [1, 2, 1, 2]


def test_fa_with_transposed_feedback_trains_exactly_like_backprop_sgd():
    """One full-batch FA step with B := Wᵀ is the SGD step of core.optim on the same net."""
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((12, 5)), rng.integers(0, 3, 12)
    model = bio.tanh_mlp(SIZES, rng=2, dtype="float64")
    Ws, bs = bio.mlp_arrays(model)
    hs = bio.forward(Ws, bs, X)
    deltas = bio.feedback_deltas(hs, bio.output_error(hs[-1], y), [W.T for W in Ws[1:]])
    for W, h, d in zip(Ws, hs, deltas, strict=False):
        optim.momentum_step(W, h.T @ d, np.zeros_like(W), 0.1, 0.0)
    opt = optim.SGD(model.parameters(), learning_rate=0.1)
    opt.zero_grad()
    F.cross_entropy(model(Tensor.constant(X)), y).backward()
    opt.step()
    for W, lin in zip(Ws, model.linears, strict=True):
        np.testing.assert_allclose(W, lin.weight.data, rtol=1e-12)


def test_fa_and_dtp_learn_a_separable_problem():
    rng = np.random.default_rng(12)
    X = rng.standard_normal((300, 6))
    y = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5).astype(int)
    for method in bio.METHODS:
        out = bio.train_local(
            method,
            [6, 16, 16, 3],
            X,
            y,
            n_epochs=30,
            batch_size=20,
            learning_rate=0.05,
            momentum=0.5,
            rng=0,
        )
        acc = (bio.forward(out["weights"], out["biases"], X)[-1].argmax(1) == y).mean()
        assert acc > 0.8 > np.bincount(y).max() / len(y) + 0.2, method


def test_compare_methods_starts_all_three_alike_and_records_angles():
    rng = np.random.default_rng(14)
    X, y = rng.standard_normal((60, 5)), rng.integers(0, 3, 60)
    acc, angles = bio.compare_methods(
        SIZES, X, y, X, y, learning_rate=1e-9, rng=2, n_epochs=2, angle_layer=0
    )
    # With a negligible step every method is still the shared initial network.
    W0, b0 = bio.mlp_arrays(bio.tanh_mlp(SIZES, rng=2))
    start = float((bio.forward(W0, b0, X)[-1].argmax(1) == y).mean())
    assert acc == pytest.approx({"BP": start, "FA": start, "DTP": start})
    assert len(angles) == 2 and all(0 <= a <= 180 for a in angles)


@pytest.mark.parametrize("tied", [True, False])
def test_two_pass_gradient_is_the_decoder_jacobian_times_the_code_gradient(tied):
    """As ε → 0 the difference of two reconstructions is J_g · (∂L/∂h)."""
    rng = np.random.default_rng(15)
    ae = bio.Autoencoder(6, 4, tied=tied, rng=1)
    for p in ae.parameters():
        p.data[...] += 0.3 * rng.standard_normal(p.data.shape)
    x, g = rng.random((5, 6)), rng.standard_normal((5, 4))
    h = ae.encode(x)
    D = ae.encoder.weight.data.T if tied else ae.decoder.weight.data
    r = ae.decode(h)
    expected = (g @ D) * r * (1 - r)
    np.testing.assert_allclose(bio.two_pass_gradient(ae, x, g, eps=1e-7), expected, atol=1e-5)
    # Encoder and decoder agree with the forward pass, which core.nn.train fits.
    np.testing.assert_allclose(ae(Tensor.constant(x)).data, r)


def test_two_pass_gradient_is_backprop_when_the_derivatives_match():
    """With tied weights and σ' equal in both layers (all pre-activations 0, σ' = 1/4),
    the two-pass signal is exactly backprop's ∂L/∂x."""
    rng = np.random.default_rng(16)
    ae = bio.Autoencoder(6, 4, tied=True, rng=2)
    W = ae.encoder.weight.data
    x = np.zeros((3, 6))
    ae.encoder.bias.data[...] = 0.0
    ae.visible_bias.data[...] = -(np.full(4, 0.5) @ W.T)  # visible pre-activation 0 at h = 1/2
    g = 1e-3 * rng.standard_normal((3, 4))
    backprop = (g * 0.25) @ W.T
    np.testing.assert_allclose(bio.two_pass_gradient(ae, x, g, eps=1e-6), backprop, rtol=1e-4)


def _ff_layers(seed=0):
    return [
        nn.Linear(6, 5, rng=seed, dtype="float64"),
        nn.Linear(5, 4, rng=seed + 1, dtype="float64"),
    ]


def test_embed_label_appends_exactly_one_hot_and_leaves_the_image_alone():
    X = np.random.default_rng(17).random((4, 3))
    out = bio.embed_label(X, np.array([0, 2, 1, 2]), 3)
    np.testing.assert_array_equal(out[:, :3], X)
    np.testing.assert_array_equal(out[:, 3:], np.eye(3)[[0, 2, 1, 2]])


def test_ff_goodness_is_the_sum_of_squares_of_normalised_relu_layers():
    rng = np.random.default_rng(18)
    layers = _ff_layers()
    X = rng.standard_normal((5, 6))
    g1, g2 = bio.ff_goodness(layers, X)
    x = X / np.linalg.norm(X, axis=1, keepdims=True)
    h1 = np.maximum(x @ layers[0].weight.data + layers[0].bias.data, 0)
    h1n = h1 / np.linalg.norm(h1, axis=1, keepdims=True)
    h2 = np.maximum(h1n @ layers[1].weight.data + layers[1].bias.data, 0)
    np.testing.assert_allclose(g1, (h1**2).sum(1), rtol=1e-6)
    np.testing.assert_allclose(g2, (h2**2).sum(1), rtol=1e-6)
    # Scaling the input changes nothing: only its direction goes up.
    np.testing.assert_allclose(bio.ff_goodness(layers, 7.0 * X)[1], g2, rtol=1e-6)


def test_ff_losses_are_local_no_gradient_reaches_a_lower_layer():
    rng = np.random.default_rng(19)
    layers = _ff_layers()
    xp, xn = rng.standard_normal((4, 6)), rng.standard_normal((4, 6))
    losses = bio.ff_layer_losses(layers, xp, xn, threshold=1.0)
    for layer in layers:
        layer.zero_grad()
    losses[1].backward()  # the top layer's loss alone
    assert layers[0].weight.grad is None or not np.any(layers[0].weight.grad)
    assert np.any(layers[1].weight.grad)
    # Each loss is the logistic cross-entropy of sigma(G - theta) on its own layer.
    g = bio.ff_goodness(layers, np.vstack([xp, xn]))
    for k, loss in enumerate(losses):
        pos, neg = g[k][:4], g[k][4:]
        want = np.mean(np.logaddexp(0, 1.0 - pos)) + np.mean(np.logaddexp(0, neg - 1.0))
        assert float(loss.data) == pytest.approx(want, rel=1e-6)
    # ... and its gradient matches finite differences.
    analytic, numeric = F.gradcheck(
        lambda w, b: _ff_single_loss(w, b, xp, xn),
        [layers[0].weight.data.copy(), layers[0].bias.data.copy()],
    )
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, atol=1e-7)


def _ff_single_loss(w, b, xp, xn):
    layer = nn.Linear(6, 5, rng=0, dtype="float64")
    layer.weight, layer.bias = w, b
    return bio.ff_layer_losses([layer], xp, xn, threshold=1.0)[0]


def test_forward_forward_learns_separable_labels():
    rng = np.random.default_rng(20)
    X = rng.random((200, 6))
    y = (X[:, 0] > X[:, 1]).astype(int)
    layers = bio.train_forward_forward(
        [8, 32, 32], X, y, n_epochs=40, batch_size=20, learning_rate=0.01, rng=0
    )
    assert (bio.ff_predict(layers, X, 2) == y).mean() > 0.75  # chance is about 0.5


def test_patch_indices_are_the_valid_patches():
    idx = bio.patch_indices(4, 3)
    assert idx.shape == (4, 9)
    np.testing.assert_array_equal(idx[0], [0, 1, 2, 4, 5, 6, 8, 9, 10])
    np.testing.assert_array_equal(idx[3], [5, 6, 7, 9, 10, 11, 13, 14, 15])


def test_sharing_counts_and_the_convolution_it_computes():
    fc, lc, conv = (
        bio.patch_net(k, n_maps=8, rng=0, dtype="float64") for k in ("fc", "lc", "conv")
    )
    hidden, readout = 36 * 8, 36 * 8 * 10 + 10
    assert fc.n_parameters == 64 * hidden + hidden + readout
    assert lc.n_parameters == 36 * 8 * 9 + 36 * 8 + readout
    assert conv.n_parameters == 8 * 9 + 8 + readout
    # The shared layer is the core's conv2d ("valid", stride 1), maps-major order swapped.
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 64))
    layer = conv[0]
    ours = layer(Tensor.constant(x)).data.reshape(3, 36, 8)
    ref = F.conv2d(
        Tensor.constant(x.reshape(3, 1, 8, 8)),
        Tensor.constant(layer.weight.data.reshape(8, 1, 3, 3)),
        Tensor.constant(layer.bias.data.reshape(8)),
    ).data.reshape(3, 8, 36)
    np.testing.assert_allclose(ours, ref.transpose(0, 2, 1), atol=1e-12)
    # A locally connected layer whose position weights are all equal is that convolution.
    lcl = lc[0]
    lcl.weight.data[...] = layer.weight.data
    lcl.bias.data[...] = layer.bias.data
    np.testing.assert_allclose(lcl(Tensor.constant(x)).data, layer(Tensor.constant(x)).data)
    # Gradients of both against finite differences.
    y = rng.integers(0, 10, 3)
    for net in (lc, conv):

        def loss(w, b, w2, b2, net=net):
            net[0].weight, net[0].bias, net[2].weight, net[2].bias = w, b, w2, b2
            return F.cross_entropy(net(Tensor.constant(x)), y)

        analytic, numeric = F.gradcheck(loss, [p.data.copy() for p in net.parameters()])
        for a, n in zip(analytic, numeric, strict=True):
            np.testing.assert_allclose(a, n, atol=1e-7)


@pytest.mark.parametrize(
    "call, exc",
    [
        (lambda: bio.tanh_mlp([64, 10], rng=0), ValueError),
        (lambda: bio.tanh_mlp([64, 0, 10], rng=0), ValueError),
        (lambda: bio.mlp_arrays("net"), TypeError),
        (lambda: bio.forward([np.ones((2, 3))], [np.ones(2)], np.ones((1, 2))), ValueError),
        (lambda: bio.forward([np.ones((2, 3))], [np.ones(3)], np.ones((1, 3))), ValueError),
        (lambda: bio.output_error(np.ones((2, 3)), np.array([0, 3])), ValueError),
        (lambda: bio.random_feedback([4, 3, 2], rng=-1), ValueError),
        (lambda: bio.feedback_deltas([np.ones((2, 3))] * 3, np.ones((2, 3)), []), TypeError),
        (lambda: bio.alignment_angle(*_problem()[:2], [], *_problem()[2:], layer=5), ValueError),
        (lambda: bio.difference_targets([np.ones((2, 3))] * 3, np.ones((2, 3)), 3), TypeError),
        (lambda: bio.local_update(np.ones((2, 3)), np.ones((2, 2)), np.ones((3, 2))), ValueError),
        (
            lambda: bio.train_local(
                "bp",
                SIZES,
                np.ones((4, 5)),
                np.zeros(4, int),
                n_epochs=1,
                batch_size=2,
                learning_rate=0.1,
                rng=0,
            ),
            ValueError,
        ),
        (
            lambda: bio.train_local(
                "fa",
                SIZES,
                np.ones((4, 5)),
                np.zeros(4, int),
                n_epochs=1,
                batch_size=2,
                learning_rate=-0.1,
                rng=0,
            ),
            ValueError,
        ),
        (lambda: bio.patch_indices(3, 4), ValueError),
        (lambda: bio.embed_label(np.ones((2, 3)), np.array([0, 5]), 3), ValueError),
        (lambda: bio.ff_goodness("layers", np.ones((2, 3))), TypeError),
        (
            lambda: bio.ff_layer_losses(
                _ff_layers(), np.ones((2, 5)), np.ones((2, 5)), threshold="2"
            ),
            TypeError,
        ),
        (lambda: bio.ff_predict(_ff_layers(), np.ones((2, 3)), 1), ValueError),
        (
            lambda: bio.train_forward_forward(
                [4, 3],
                np.ones((2, 3)),
                np.zeros(2, int),
                n_epochs=1,
                batch_size=2,
                learning_rate=0.1,
                rng=0,
            ),
            ValueError,
        ),
        (lambda: bio.Autoencoder(4, 3, tied="yes", rng=0), TypeError),
        (lambda: bio.two_pass_gradient("ae", np.ones((2, 4)), np.ones((2, 3))), TypeError),
        (
            lambda: bio.two_pass_gradient(
                bio.Autoencoder(4, 3, tied=True, rng=0), np.ones((2, 4)), np.ones((2, 3)), eps=0.0
            ),
            ValueError,
        ),
        (
            lambda: bio.compare_methods(
                SIZES, *_problem()[2:], *_problem()[2:], learning_rate=0.1, rng=-1
            ),
            ValueError,
        ),
        (
            lambda: bio.compare_methods(
                SIZES, *_problem()[2:], *_problem()[2:], learning_rate=0.1, rng=0, angle_layer=2
            ),
            ValueError,
        ),
        (lambda: bio.LocalPatches(8, 3, 4, shared=1, rng=0), TypeError),
        (lambda: bio.patch_net("mlp", rng=0), ValueError),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(call, exc):
    with pytest.raises(exc):
        call()
