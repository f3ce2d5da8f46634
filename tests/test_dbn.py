"""Chapter 11 kernels: DBN bookkeeping by exact enumeration, greedy stacking, labels."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from estimator_contract import Case
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import data, dbn, rbm
from hinton_utils.core import backend as B
from hinton_utils.core.estimator import NotFittedError
from hinton_utils.core.special import log_bernoulli


def random_layer(V: int, H: int, seed: int, scale: float = 1.0):
    g = np.random.default_rng(seed)
    return scale * g.standard_normal((V, H)), g.standard_normal(V), g.standard_normal(H)


def all_states(n: int) -> np.ndarray:
    return np.array(list(itertools.product((0.0, 1.0), repeat=n)))


def log_bern(x, logits):
    return float((x * logits - np.logaddexp(0, logits)).sum())


def brute_bound_two_layers(x, layers):
    """sum_h q(h|x) [log p(x|h) + log p2(h) - log q(h|x)], one loop per state."""
    (W1, b1, c1), (W2, b2, c2) = layers
    logZ2 = rbm.log_partition_brute_force(W2, b2, c2)
    total = 0.0
    for h in all_states(W1.shape[1]):
        logq = log_bern(h, x @ W1 + c1)
        logp_x = log_bern(x, W1 @ h + b1)
        logp_h = -float(rbm.free_energy(h[None], W2, b2, c2)[0]) - logZ2
        total += np.exp(logq) * (logp_x + logp_h - logq)
    return total


X_SMALL = all_states(6)[::5]
X_CASE = data.bars_and_stripes(3)
#: The estimators this module owns, for the shared contract test (tests/test_estimators.py).
ESTIMATOR_CASES = {
    "DBN": Case(
        make=lambda rng: dbn.DBN((5, 3), n_epochs=2, batch_size=7, rng=rng),
        fit=lambda est: est.fit(X_CASE),
        score=lambda est: est.score(X_CASE),
        learned=("weights_",),
    ),
}


# ----------------------------------------------------------------------------- bookkeeping


@settings(max_examples=15, deadline=None)
@given(st.integers(2, 7), st.integers(1, 6), st.integers(0, 10_000))
def test_transposed_second_layer_makes_the_bound_equal_the_rbm_log_likelihood(V, H, seed):
    W, b, c = random_layer(V, H, seed)
    X = all_states(V)[:: max(1, 2**V // 9)]
    layers = [(W, b, c), dbn.transposed_layer(W, b, c)]
    one = rbm.log_likelihood(X, W, b, c)
    assert dbn.variational_bound(X, layers) == pytest.approx(one, abs=1e-10)
    assert dbn.dbn_log_likelihood(X, layers) == pytest.approx(one, abs=1e-10)


def test_transposed_layer_swaps_biases_and_transposes():
    W, b, c = random_layer(4, 3, 0)
    W2, b2, c2 = dbn.transposed_layer(W, b, c)
    np.testing.assert_array_equal(W2, W.T)
    np.testing.assert_array_equal(b2, c)
    np.testing.assert_array_equal(c2, b)


def test_bound_matches_a_brute_force_sum_over_hidden_states():
    layers = [random_layer(5, 4, 1), random_layer(4, 3, 2)]
    X = all_states(5)[[0, 7, 19, 31]]
    brute = np.mean([brute_bound_two_layers(x, layers) for x in X])
    assert dbn.variational_bound(X, layers) == pytest.approx(brute, abs=1e-10)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([2, 3]))
def test_bound_never_exceeds_the_exact_log_likelihood(seed, n_layers):
    sizes = [5, 4, 3, 3][: n_layers + 1]
    layers = [random_layer(a, b, seed + i, 1.5) for i, (a, b) in enumerate(zip(sizes, sizes[1:]))]
    X = all_states(5)[::3]
    bound = dbn.variational_bound(X, layers)
    ll = dbn.dbn_log_likelihood(X, layers)
    assert bound <= ll + 1e-12
    assert ll - bound > 1e-6  # random weights: q is not the true posterior


def test_dbn_likelihood_is_normalised_for_three_layers():
    layers = [random_layer(5, 4, 3), random_layer(4, 3, 4), random_layer(3, 2, 5)]
    logp = [dbn.dbn_log_likelihood(x[None], layers) for x in all_states(5)]
    assert np.logaddexp.reduce(logp) == pytest.approx(0.0, abs=1e-10)


def test_one_layer_bound_is_the_rbm_log_likelihood():
    W, b, c = random_layer(6, 3, 7)
    assert dbn.variational_bound(X_SMALL, [(W, b, c)]) == pytest.approx(
        rbm.log_likelihood(X_SMALL, W, b, c), abs=1e-12
    )


@pytest.fixture(scope="module")
def first_layer():
    X = data.bars_and_stripes(3)
    r = rbm.likelihood_curve(
        X, n_hidden=5, method="cd", learning_rate=0.5, n_epochs=400, eval_every=400, rng=0
    )
    m = r["model"]
    return X, (m.W_, m.b_, m.c_)


def test_bound_curve_starts_at_the_old_likelihood_and_rises(first_layer):
    X, first = first_layer
    out = dbn.bound_curve(
        X, first, n_hidden=9, learning_rate=0.5, n_epochs=200, eval_every=20, rng=0
    )
    b = np.array(out["bound"])
    assert b[0] == pytest.approx(out["one_layer"], abs=1e-10)
    assert np.all(np.diff(b) > 0)
    assert b[-1] > out["one_layer"] + 1e-3
    assert np.all(b <= np.array(out["log_likelihood"]) + 1e-12)


def test_bound_curve_with_cd_samples_also_improves_the_bound(first_layer):
    X, first = first_layer
    out = dbn.bound_curve(
        X, first, n_hidden=9, method="cd", learning_rate=0.1, n_epochs=300, eval_every=100, rng=0
    )
    assert out["bound"][0] == pytest.approx(out["one_layer"], abs=1e-10)
    assert out["bound"][-1] > out["one_layer"] + 1e-3


def test_bound_curve_random_init_starts_below(first_layer):
    X, first = first_layer
    out = dbn.bound_curve(X, first, n_hidden=4, init="random", n_epochs=5, eval_every=5, rng=0)
    assert out["bound"][0] < out["one_layer"] - 0.1


# ----------------------------------------------------------------------------- the estimator


@pytest.fixture(scope="module")
def digits_dbn():
    X, y = data.digits(binarize=True)
    model = dbn.DBN((20, 8), n_epochs=3, batch_size=20, rng=0).fit(X[:300])
    return X, y, model


def test_transform_is_deterministic_mean_field(digits_dbn):
    X, _, model = digits_dbn
    a, b2 = model.transform(X[:10]), model.transform(X[:10])
    np.testing.assert_array_equal(a, b2)
    W1, _, c1 = model.layers_[0]
    W2, _, c2 = model.layers_[1]
    s = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    expected = s(s(X[:10] @ W1 + c1) @ W2 + c2)
    np.testing.assert_allclose(a, expected, atol=1e-5)
    assert model.transform(X[:10], 1).shape == (10, 20)


def test_greedy_training_learns_the_data(digits_dbn):
    X, _, model = digits_dbn
    first = model.rbms_[0]
    # trained first layer reconstructs better than an untrained one
    fresh = rbm.RBM(20, n_epochs=0, rng=0).fit(X[:300])
    assert first.reconstruction_error(X[:300]) < 0.7 * fresh.reconstruction_error(X[:300])


def test_sample_goes_top_down_returns_states_and_is_seeded(digits_dbn):
    _, _, model = digits_dbn
    s1, s2 = model.sample(5, n_gibbs=20, rng=3), model.sample(5, n_gibbs=20, rng=3)
    np.testing.assert_array_equal(s1, s2)
    assert s1.shape == (5, 64) and set(np.unique(s1)) <= {0.0, 1.0}
    np.testing.assert_array_equal(model.sample(5, n_gibbs=20), model.sample(5, n_gibbs=20))
    p = model.sample(5, n_gibbs=20, rng=3, probabilities=True)
    assert p.shape == (5, 64) and np.all((p > 0) & (p < 1))
    # the states are Bernoulli draws from those probabilities: on average they agree
    many = model.sample(400, n_gibbs=20, rng=4)
    probs = model.sample(400, n_gibbs=20, rng=4, probabilities=True)
    assert abs(float(many.mean() - probs.mean())) < 0.02


def test_a_one_layer_dbn_samples_like_its_rbm():
    model = dbn.DBN((4,), n_epochs=2, batch_size=7, rng=0).fit(X_CASE)
    np.testing.assert_array_equal(
        model.sample(3, n_gibbs=5, rng=1), model.rbms_[0].sample(3, n_gibbs=5, rng=1)
    )
    p = model.sample(3, n_gibbs=5, rng=1, probabilities=True)
    assert np.all((p > 0) & (p < 1))


def test_transform_takes_probabilities_through_the_rbms(digits_dbn):
    X, _, model = digits_dbn
    P = np.full((3, 64), 0.3, dtype=np.float32)
    np.testing.assert_array_equal(
        model.transform(P), model.rbms_[1].transform(model.rbms_[0].transform(P))
    )


def test_fit_is_repeatable_and_leaves_a_passed_generator_alone():
    gen = np.random.default_rng(3)
    state = gen.bit_generator.state
    model = dbn.DBN((5, 3), n_epochs=2, batch_size=7, rng=gen)
    first = [a.copy() for layer in model.fit(X_CASE).layers_ for a in layer]
    again = [a.copy() for layer in model.fit(X_CASE).layers_ for a in layer]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert gen.bit_generator.state == state


def test_score_on_a_tiny_dbn_matches_the_functions():
    X = data.bars_and_stripes(3)
    model = dbn.DBN((5, 4), n_epochs=5, batch_size=7, dtype="float64", rng=1).fit(X)
    assert model.score(X, "exact") == pytest.approx(dbn.dbn_log_likelihood(X, model.layers_))
    assert model.score(X) == pytest.approx(dbn.variational_bound(X, model.layers_))
    assert model.score(X) <= model.score(X, "exact")


# ----------------------------------------------------------------------------- labels


def test_softmax_regression_reaches_a_stationary_point():
    g = np.random.default_rng(0)
    X = g.standard_normal((60, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int) + (X[:, 2] > 1).astype(int)
    W, b = dbn.softmax_regression(
        X, y, n_classes=3, weight_decay=0.1, n_epochs=3000, learning_rate=0.5
    )
    Z = X @ W + b
    P = np.exp(Z - Z.max(1, keepdims=True))
    P /= P.sum(1, keepdims=True)
    Y = np.eye(3)[y]
    grad_W = X.T @ (P - Y) / len(X) + 0.1 * W
    assert np.abs(grad_W).max() < 1e-6
    assert (dbn.softmax_predict(X, W, b) == y).mean() > 0.8


def test_fine_tune_starts_from_the_dbn_and_fits_the_labels(digits_dbn):
    X, y, model = digits_dbn
    net = dbn.fine_tune(
        X[:50], y[:50], n_classes=10, dbn=model, n_epochs=1, learning_rate=1e-6, rng=0
    )
    np.testing.assert_allclose(net[0].weight.data, model.rbms_[0].W_, atol=1e-3)
    np.testing.assert_allclose(net[2].bias.data, model.rbms_[1].c_, atol=1e-3)
    net = dbn.fine_tune(
        X[:50], y[:50], n_classes=10, dbn=model, n_epochs=150, learning_rate=0.03, rng=0
    )
    acc = dbn._net_accuracy(net, X[:50], y[:50])
    assert acc > 0.95


def test_label_scarcity_experiment_returns_every_method(digits_dbn):
    X, y, model = digits_dbn
    res = dbn.label_scarcity_experiment(
        X[:300],
        y[:300],
        X[300:500],
        y[300:500],
        model,
        n_labels=(20,),
        n_draws=2,
        fine_tune_epochs=5,
        rng=0,
    )
    assert set(res) == {"raw", "RBM-1", "RBM-2", "fine-tuned DBN", "random-init net"}
    assert all(len(v[20]) == 2 for v in res.values())
    assert np.mean(res["raw"][20]) > 0.3  # far above chance (0.1)


# ----------------------------------------------------------------------------- bad input

W0, B0, C0 = random_layer(4, 3, 0)
X0 = all_states(4)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: dbn.transposed_layer(W0, B0[:2], C0), "b"),
        (lambda: dbn.variational_bound(X0, []), "layers"),
        (lambda: dbn.variational_bound(X0, [(W0, B0, C0), random_layer(4, 2, 1)]), "chain"),
        (lambda: dbn.variational_bound(X0 * 2, [(W0, B0, C0)]), "X"),
        (lambda: dbn.variational_bound(X0, [(W0, B0)]), "layers"),
        (
            lambda: dbn.variational_bound(X0, [random_layer(4, 21, 0), random_layer(21, 2, 0)]),
            "layers",
        ),
        (lambda: dbn.dbn_log_likelihood(X0[:, :3], [(W0, B0, C0)]), "X"),
        (lambda: dbn.dbn_log_likelihood(X0, [(W0 * np.nan, B0, C0)]), "W"),
        (lambda: dbn.bound_curve(X0, (W0, B0, C0), n_hidden=3, rng=0), "n_hidden"),
        (lambda: dbn.bound_curve(X0, (W0, B0, C0), n_hidden=4, method="pcd", rng=0), "method"),
        (
            lambda: dbn.bound_curve(X0, (W0, B0, C0), n_hidden=4, learning_rate=0, rng=0),
            "learning_rate",
        ),
        (lambda: dbn.bound_curve(X0[:, :2], (W0, B0, C0), n_hidden=4, rng=0), "X"),
        (lambda: dbn.DBN(()), "layer_sizes"),
        (lambda: dbn.DBN((3, 0)), "layer_sizes"),
        (lambda: dbn.DBN((3,), learning_rate=-1), "learning_rate"),
        (lambda: dbn.DBN((3,), rng=None), "rng"),
        (lambda: dbn.DBN((3,), n_gibbs=0), "n_gibbs"),
        (lambda: dbn.DBN((3,)).fit(X0 + 0.5), "X"),
        (lambda: dbn.softmax_regression(X0, np.arange(16) % 3, n_classes=2), "y"),
        (
            lambda: dbn.softmax_regression(X0, np.arange(16) % 2, n_classes=2, weight_decay=-1),
            "weight_decay",
        ),
        (lambda: dbn.softmax_predict(X0, np.zeros((3, 2)), np.zeros(2)), "X"),
        (lambda: dbn.fine_tune(X0, np.arange(16) % 2, n_classes=2, rng=0), "hidden"),
        (lambda: dbn.fine_tune(X0, np.arange(16) % 2, n_classes=2, dbn="x", rng=0), "dbn"),
        (lambda: dbn.fine_tune(X0, np.arange(15) % 2, n_classes=2, hidden=[3], rng=0), "y"),
        (
            lambda: dbn.label_scarcity_experiment(
                X0, np.arange(16) % 2, X0, np.arange(16) % 2, "x", rng=0
            ),
            "dbn",
        ),
    ],
)
def test_bad_input_is_refused(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_unfitted_dbn_refuses_transform_sample_score():
    model = dbn.DBN((3,))
    for call in (
        lambda: model.transform(X0),
        lambda: model.sample(2, n_gibbs=2, rng=0),
        lambda: model.score(X0),
        lambda: model.layers_,
    ):
        with pytest.raises(NotFittedError, match="not fitted"):
            call()


def test_fitted_dbn_refuses_bad_arguments(digits_dbn):
    X, _, model = digits_dbn
    with pytest.raises(ValueError, match="X"):
        model.transform(X[:, :10])
    with pytest.raises(ValueError, match="layer"):
        model.transform(X[:3], 3)
    with pytest.raises(ValueError, match="n_samples"):
        model.sample(0, n_gibbs=5, rng=0)
    with pytest.raises(TypeError, match="probabilities"):
        model.sample(2, probabilities="yes")
    with pytest.raises(ValueError, match=r"X must lie in \[0, 1\]"):
        model.transform(X[:3] * 2)
    with pytest.raises(ValueError, match="kind"):
        model.score(X[:3], "pseudo")


def test_the_pairwise_log_bernoulli_table_is_the_core_kernel_row_by_row():
    g = np.random.default_rng(0)
    S, A = all_states(3), g.standard_normal((5, 3))
    table = dbn._log_bernoulli_pairs(S, A)
    assert table.shape == (8, 5)
    for r in range(8):
        np.testing.assert_allclose(table[r], log_bernoulli(S[r], A), rtol=1e-14)


@pytest.fixture(scope="module")
def tiny_dbn():
    return dbn.DBN((4,), n_epochs=1, batch_size=8, rng=0).fit(X0)


@pytest.mark.parametrize(
    "call",
    [
        lambda rng, _: dbn.bound_curve(
            X0, (W0, B0, C0), n_hidden=4, n_epochs=1, eval_every=1, rng=rng
        ),
        lambda rng, _: dbn.fine_tune(X0, np.arange(16) % 2, n_classes=2, hidden=[3], rng=rng),
        lambda rng, model: dbn.label_scarcity_experiment(
            X0,
            np.arange(16) % 2,
            X0,
            np.arange(16) % 2,
            model,
            n_labels=(4,),
            n_draws=1,
            fine_tune_epochs=1,
            rng=rng,
        ),
        lambda rng, _: dbn.DBN((3,), rng=rng),
        lambda rng, model: model.sample(2, n_gibbs=1, rng=rng),
    ],
    ids=["bound_curve", "fine_tune", "label_scarcity_experiment", "DBN", "sample"],
)
def test_a_negative_seed_is_refused_with_a_message_naming_rng(call, tiny_dbn):
    with pytest.raises(ValueError, match="rng"):
        call(-1, tiny_dbn)
    with pytest.raises(TypeError, match="rng"):
        call(np.random.RandomState(0), tiny_dbn)  # noqa: NPY002 (the legacy API is refused)
    call(B.rng(0), tiny_dbn)  # a Generator is fine
