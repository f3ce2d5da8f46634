"""Modules on the autodiff: layers compute what they claim, gradients are right, training learns."""

from __future__ import annotations

import numpy as np
import pytest
from gradients import numeric_parameter_gradients

from hinton_utils import data
from hinton_utils.core import nn, optim
from hinton_utils.core.autodiff import Tensor


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "softplus", "leaky_relu"])
def test_mlp_backprop_matches_finite_differences(activation):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((7, 5))
    y = rng.integers(0, 3, size=7)
    net = nn.MLP([5, 4, 3, 3], rng=0, activation=activation, dtype="float64")

    def loss_fn(model):
        return nn.cross_entropy(model(Tensor(X)), y)

    net.zero_grad()
    loss_fn(net).backward()
    analytic = [p.grad for p in net.parameters()]
    numeric = numeric_parameter_gradients(net, lambda: loss_fn(net))
    for a, n in zip(analytic, numeric, strict=True):
        np.testing.assert_allclose(a, n, rtol=1e-6, atol=1e-8)


def test_linear_computes_the_affine_map_and_is_deterministic():
    layer = nn.Linear(3, 2, rng=5, dtype="float64")
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(layer(x).data, x @ layer.weight.data + layer.bias.data)
    np.testing.assert_array_equal(
        nn.Linear(3, 2, rng=5).weight.data, nn.Linear(3, 2, rng=5).weight.data
    )
    assert not np.array_equal(
        nn.Linear(3, 2, rng=5).weight.data, nn.Linear(3, 2, rng=6).weight.data
    )
    assert nn.Linear(3, 2, rng=0, bias=False).bias is None
    assert layer.weight.dtype == np.float64 and nn.Linear(3, 2, rng=0).weight.dtype == np.float32


def test_initialisations_have_their_stated_scale():
    n_in, n_out = 400, 300
    xavier = nn.Linear(n_in, n_out, rng=0, init="xavier", dtype="float64").weight.data
    limit = np.sqrt(6 / (n_in + n_out))
    assert np.abs(xavier).max() <= limit
    assert xavier.std() == pytest.approx(limit / np.sqrt(3), rel=0.02)  # uniform's std
    he = nn.Linear(n_in, n_out, rng=0, init="he", dtype="float64").weight.data
    assert he.std() == pytest.approx(np.sqrt(2 / n_in), rel=0.02)
    lecun = nn.Linear(n_in, n_out, rng=0, init="lecun", dtype="float64").weight.data
    assert lecun.std() == pytest.approx(np.sqrt(1 / n_in), rel=0.02)
    fixed = nn.Linear(n_in, n_out, rng=0, init=0.05, dtype="float64").weight.data
    assert fixed.std() == pytest.approx(0.05, rel=0.02)


def test_embedding_is_a_linear_layer_on_one_hot_vectors():
    emb = nn.Embedding(5, 3, rng=0, dtype="float64")
    idx = np.array([4, 0, 4, 2])
    one_hot = np.eye(5)[idx]
    np.testing.assert_allclose(emb(idx).data, one_hot @ emb.weight.data)
    (emb(idx) * np.arange(3.0)).sum().backward()
    np.testing.assert_allclose(emb.weight.grad, one_hot.T @ np.tile(np.arange(3.0), (4, 1)))


def test_parameters_are_found_once_in_order_and_counted():
    net = nn.MLP([4, 6, 2], rng=0)
    names = [n for n, _ in net.named_parameters()]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias"]
    assert net.n_parameters == 4 * 6 + 6 + 6 * 2 + 2
    shared = nn.Linear(2, 2, rng=0)
    seq = nn.Sequential(shared, nn.Activation("tanh"), shared)  # weight sharing
    assert len(seq.parameters()) == 2
    assert [type(m).__name__ for m in net] == ["Linear", "Activation", "Linear"]
    assert len(net.linears) == 2 and len(net) == 3


def test_sequential_composes_and_output_activation_applies():
    net = nn.MLP([3, 4, 2], rng=0, activation="tanh", output_activation="sigmoid", dtype="float64")
    x = np.random.default_rng(0).standard_normal((5, 3))
    l1, l2 = net.linears
    h = np.tanh(x @ l1.weight.data + l1.bias.data)
    expected = 1 / (1 + np.exp(-(h @ l2.weight.data + l2.bias.data)))
    np.testing.assert_allclose(net(Tensor(x)).data, expected)


def test_state_dict_round_trip():
    a, b = nn.MLP([3, 4, 2], rng=0), nn.MLP([3, 4, 2], rng=1)
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    assert not np.allclose(a(x).data, b(x).data)
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a(x).data, b(x).data)
    state = a.state_dict()
    state["layers.0.weight"][:] = 0  # a copy: the model is unchanged
    assert np.abs(a.linears[0].weight.data).sum() > 0


def test_dropout_keeps_the_expected_activity_and_switches_off_in_eval():
    drop = nn.Dropout(0.25, rng=0)
    x = Tensor(np.ones((200, 100)))
    out = drop(x).data
    assert np.mean(out == 0) == pytest.approx(0.25, abs=0.01)
    assert out.mean() == pytest.approx(1.0, abs=0.02)  # survivors scaled by 1/(1-p)
    net = nn.Sequential(nn.Linear(100, 3, rng=0), drop)
    net.eval()
    assert not drop.training
    np.testing.assert_array_equal(drop(x).data, x.data)
    net.train()
    assert drop.training


def test_minibatches_cover_every_row_once():
    batches = list(nn.minibatches(23, 5, rng=0))
    assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
    np.testing.assert_array_equal(np.sort(np.concatenate(batches)), np.arange(23))
    assert not np.array_equal(np.concatenate(batches), np.arange(23))
    ordered = np.concatenate(list(nn.minibatches(7, 3, rng=0, shuffle=False)))
    np.testing.assert_array_equal(ordered, np.arange(7))


def test_accuracy():
    logits = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, -1.0], [0.1, 0.2]])
    assert nn.accuracy(logits, np.array([0, 1, 1, 1])) == 0.75
    assert nn.accuracy(Tensor(logits), np.array([1, 0, 0, 0])) == 0.25


def test_an_mlp_learns_xor():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([0, 1, 1, 0])
    net = nn.MLP([2, 8, 2], rng=0, activation="tanh", dtype="float64")
    opt = optim.Adam(net.parameters(), learning_rate=0.05)
    for _ in range(300):
        loss = nn.cross_entropy(net(Tensor(X)), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.01
    assert nn.accuracy(net(Tensor(X)), y) == 1.0


def test_train_epoch_lowers_the_loss_on_digits():
    X, y = data.digits()
    X, y = X[:600], y[:600]
    net = nn.MLP([64, 32, 10], rng=0)
    opt = optim.SGD(net.parameters(), learning_rate=0.1, momentum=0.9)
    losses = [nn.train_epoch(net, opt, X, y, batch_size=32, rng=e) for e in range(5)]
    assert losses[-1] < 0.5 * losses[0]
    assert nn.accuracy(net(Tensor(X.astype(np.float32))), y) > 0.9
    # mse works as the loss too (regression onto one-hot targets)
    reg = nn.MLP([64, 10], rng=0)
    onehot = np.eye(10)[y]
    opt = optim.SGD(reg.parameters(), learning_rate=0.1)
    first = nn.train_epoch(reg, opt, X, onehot, batch_size=32, rng=0, loss=nn.mse)
    for e in range(3):
        last = nn.train_epoch(reg, opt, X, onehot, batch_size=32, rng=e + 1, loss=nn.mse)
    assert last < first


# ----------------------------------------------------------------- bad input
def test_layer_constructors_reject_bad_arguments():
    with pytest.raises(ValueError, match="n_in must be >= 1"):
        nn.Linear(0, 2, rng=0)
    with pytest.raises(TypeError, match="rng must be"):
        nn.Linear(2, 2, rng=None)
    with pytest.raises(ValueError, match="init must be one of"):
        nn.Linear(2, 2, rng=0, init="orthogonal")
    with pytest.raises(ValueError, match="init must be > 0"):
        nn.Linear(2, 2, rng=0, init=-1.0)
    with pytest.raises(ValueError, match="dtype must be"):
        nn.Linear(2, 2, rng=0, dtype="int32")
    with pytest.raises(ValueError, match="dim must be >= 1"):
        nn.Embedding(3, 0, rng=0)
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.Activation("swish")
    with pytest.raises(ValueError, match="p must be < 1"):
        nn.Dropout(1.0, rng=0)
    with pytest.raises(TypeError, match=r"modules\[1\] must be a Module"):
        nn.Sequential(nn.Linear(2, 2, rng=0), "relu")
    with pytest.raises(ValueError, match="sizes must be a list"):
        nn.MLP([3], rng=0)
    with pytest.raises(ValueError, match=r"sizes\[1\] must be >= 1"):
        nn.MLP([3, 0, 2], rng=0)
    with pytest.raises(ValueError, match="output_activation must be one of"):
        nn.MLP([3, 2], rng=0, output_activation="softmax")


def test_forward_and_helpers_reject_bad_input():
    layer = nn.Linear(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 3\)"):
        layer(Tensor(np.ones((2, 4), dtype=np.float32)))
    with pytest.raises(ValueError, match="x must be 2-D"):
        layer(np.ones(3))
    with pytest.raises(ValueError, match="indices must lie in"):
        nn.Embedding(3, 2, rng=0)(np.array([3]))
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        list(nn.minibatches(5, 0, rng=0))
    with pytest.raises(ValueError, match=r"labels must have shape \(2,\)"):
        nn.accuracy(np.ones((2, 3)), np.array([0, 1, 2]))
    net = nn.MLP([3, 2], rng=0)
    opt = optim.SGD(net.parameters(), learning_rate=0.1)
    with pytest.raises(ValueError, match="y must have 4 rows"):
        nn.train_epoch(net, opt, np.ones((4, 3)), np.zeros(3, dtype=int), batch_size=2, rng=0)
    with pytest.raises(ValueError, match="state must have exactly the keys"):
        net.load_state_dict({})
    bad = net.state_dict()
    bad["layers.0.weight"] = np.ones((2, 2))
    with pytest.raises(ValueError, match=r"state\['layers.0.weight'\] must have shape"):
        net.load_state_dict(bad)
    with pytest.raises(NotImplementedError, match="must define forward"):
        nn.Module()(1)


def _tiny_problem():
    X, y = data.digits()
    return X[:200].astype("float32"), y[:200]


def test_train_is_deterministic_records_each_epoch_and_stops_when_asked():
    X, y = _tiny_problem()

    def run(callback=None):
        net = nn.MLP([64, 16, 10], rng=0)
        opt = optim.Adam(net.parameters(), learning_rate=1e-2)
        history = nn.train(net, opt, X, y, n_epochs=4, batch_size=32, rng=1, callback=callback)
        return history, net.linears[0].weight.data.copy()

    h1, w1 = run()
    h2, w2 = run()
    assert len(h1) == 4 and h1 == h2
    np.testing.assert_array_equal(w1, w2)
    assert h1[-1] < h1[0]
    seen = []
    stopped, _ = run(lambda epoch, loss: seen.append((epoch, loss)) or epoch == 2)
    assert [e for e, _ in seen] == [1, 2] and stopped == h1[:2]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_epochs": 0}, ValueError, "n_epochs"),
        ({"callback": 3}, TypeError, "callback"),
        ({"progress": "yes"}, TypeError, "progress"),
        ({"rng": -1}, ValueError, "rng"),
        ({"batch_size": 0}, ValueError, "batch_size"),
    ],
)
def test_train_refuses_bad_arguments(kwargs, error, match):
    X, y = _tiny_problem()
    net = nn.MLP([64, 10], rng=0)
    opt = optim.SGD(net.parameters(), learning_rate=0.1)
    args = {"n_epochs": 1, "batch_size": 32, "rng": 0, **kwargs}
    with pytest.raises(error, match=match):
        nn.train(net, opt, X, y, **args)


def test_identity_initialisation_and_layers_from_given_arrays():
    layer = nn.Linear(3, 5, rng=0, init="identity", dtype="float64")
    np.testing.assert_array_equal(layer.weight.data, np.eye(3, 5))
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(layer(Tensor(x)).data[:, :3], x)
    W, b = np.ones((3, 2)), np.array([0.5, -0.5])
    given_layer = nn.Linear.from_arrays(W, b)
    np.testing.assert_array_equal(given_layer(Tensor(x)).data, x @ W + b)
    assert given_layer.weight.data is not W  # a copy: training never changes the caller's array
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        nn.Linear.from_arrays(W, np.ones(3))
    with pytest.raises(TypeError, match="weight must be a float array"):
        nn.Linear.from_arrays(np.ones((3, 2), dtype=int))
