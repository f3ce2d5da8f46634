"""Tests for hinton_utils.family_trees: the 1986 data, the network, gradients and symmetry."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from estimator_contract import Case
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import family_trees as F
from hinton_utils.core import autodiff as ad
from hinton_utils.core import functional, nn
from hinton_utils.core.autodiff import Tensor
from hinton_utils.core.estimator import NotFittedError
from hinton_utils.core.optim import Adam


# ------------------------------------------------------------------------ the data
def test_counts_match_the_1986_task():
    triples = F.family_triples()
    persons, relations, targets = F.family_dataset()
    assert len(F.PEOPLE) == 24 and len(set(F.PEOPLE)) == 24
    assert len(F.RELATIONS) == 12
    assert len(triples) == 112 and len(set(triples)) == 112
    assert persons.shape == (104,) and targets.shape == (104, 24)
    assert targets.sum() == 112
    two = [
        (F.PEOPLE[p], F.RELATIONS[r])
        for p, r, t in zip(persons, relations, targets)
        if t.sum() == 2
    ]
    assert sorted(two) == sorted(
        (x, rel) for x in ("Colin", "Charlotte", "Alfonso", "Sophia") for rel in ("uncle", "aunt")
    )


def test_queries_per_relation_per_tree():
    persons, relations, _ = F.family_dataset()
    english = Counter(F.RELATIONS[r] for p, r in zip(persons, relations) if p < 12)
    italian = Counter(F.RELATIONS[r] for p, r in zip(persons, relations) if p >= 12)
    want = {"father": 6, "mother": 6, "son": 6, "daughter": 6, "husband": 5, "wife": 5,
            "nephew": 4, "niece": 4, "brother": 3, "sister": 3, "uncle": 2, "aunt": 2}  # fmt: skip
    assert english == want and italian == want


def test_known_facts_and_isomorphism():
    facts = {(F.PEOPLE[p], F.RELATIONS[r], F.PEOPLE[a]) for p, r, a in F.family_triples()}
    assert ("Colin", "father", "James") in facts
    assert ("Colin", "mother", "Victoria") in facts
    assert ("Colin", "uncle", "Charles") in facts and ("Colin", "aunt", "Margaret") in facts
    assert ("Arthur", "niece", "Charlotte") in facts and ("Margaret", "nephew", "Colin") in facts
    assert ("Alfonso", "father", "Marco") in facts and ("Sophia", "aunt", "Gina") in facts
    # the trees are isomorphic under ENGLISH[i] <-> ITALIAN[i], and never mix
    eng = {(p, r, a) for p, r, a in F.family_triples() if p < 12}
    ita = {(p - 12, r, a - 12) for p, r, a in F.family_triples() if p >= 12}
    assert eng == ita
    assert all((p < 12) == (a < 12) for p, _, a in F.family_triples())


def test_inverse_relations_are_consistent():
    facts = set(F.family_triples())
    R = F.RELATIONS.index
    sex = F.person_attributes()["sex"]
    inverse = {"father": ("son", "daughter"), "mother": ("son", "daughter"),
               "uncle": ("nephew", "niece"), "aunt": ("nephew", "niece"),
               "husband": ("wife", "wife"), "wife": ("husband", "husband")}  # fmt: skip
    for p, r, a in facts:
        name = F.RELATIONS[r]
        if name in inverse:
            back = inverse[name][0] if sex[p] == 1 else inverse[name][1]
            assert (a, R(back), p) in facts


def test_person_attributes():
    att = F.person_attributes()
    assert att["nationality"].sum() == 12
    assert sorted(Counter(att["generation"].tolist()).values()) == [
        4,
        8,
        12,
    ]  # 2+2 grandchildren, 4+4 founders, 6+6 in between
    assert att["sex"].sum() == 12


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 30), st.integers(1, 10), st.integers(0, 10_000))
def test_held_out_splits_are_distinct_queries(n_splits, n_test, seed):
    s = F.held_out_splits(n_splits, rng=seed, n_test=n_test)
    assert s.shape == (n_splits, n_test)
    assert all(len(set(row.tolist())) == n_test for row in s)
    assert s.min() >= 0 and s.max() < 104


def test_queries_correct_uses_the_answer_set():
    targets = np.zeros((3, 24))
    targets[0, 5] = 1
    targets[1, [2, 7]] = 1
    targets[2, 0] = 1
    proba = np.full((3, 24), 0.01)
    proba[0, 5] = 0.9  # right
    proba[1, 2], proba[1, 7] = 0.4, 0.3  # right: both answers on top
    proba[2, 1] = 0.9  # wrong
    assert F.queries_correct(proba, targets).tolist() == [True, True, False]
    proba[1, 9] = 0.35  # a wrong person between the two answers
    assert F.queries_correct(proba, targets).tolist() == [True, False, False]


def test_feature_correlations_match_numpy():
    rng = np.random.default_rng(0)
    feats = rng.standard_normal((24, 6))
    att = F.person_attributes()
    corr = F.feature_correlations(feats, att)
    for name, a in att.items():
        for j in range(6):
            assert corr[name][j] == pytest.approx(np.corrcoef(feats[:, j], a)[0, 1], abs=1e-12)
    feats[:, 2] = 1.0  # a constant unit correlates with nothing
    assert F.feature_correlations(feats, att)["generation"][2] == 0.0


# ---------------------------------------------------------------------- the network
P, R, T = F.family_dataset()

ESTIMATOR_CASES = {
    "FamilyTreeNet": Case(
        make=lambda rng: F.FamilyTreeNet(2, n_epochs=5, learning_rate=0.05, rng=rng),
        fit=lambda est: est.fit(P, R, T),
        score=lambda est: est.score(P, R, T),
        learned=("person_weights_", "loss_curve_"),
    ),
}


def _masked_loss_and_grads(network, X, weights):
    loss = F._weighted_cross_entropy(network(Tensor.constant(X)), weights)
    network.zero_grad()
    loss.backward()
    return loss, {name: p.grad for name, p in network.named_parameters()}


def test_family_network_gradient_matches_finite_differences():
    network = F.FamilyTreeNetwork(2, rng=3, init_scale=1.0, dtype="float64")
    idx = np.arange(0, 104, 7)
    X = F.query_inputs(P[idx], R[idx], dtype="float64")
    mask = np.ones((2, idx.size))
    mask[0, ::3] = 0  # net 0 holds some queries out
    targets = T[idx] / T[idx].sum(axis=1, keepdims=True)
    weights = targets[:, None, :] * mask.T[:, :, None]
    _, grads = _masked_loss_and_grads(network, X, weights)
    params = dict(network.named_parameters())
    for name in ("person.weight", "relation.bias", "central_r.weight", "out.bias"):
        p = params[name]
        original = p.data

        def loss_at(w, p=p):
            p.data = w.data
            return F._weighted_cross_entropy(network(Tensor.constant(X)), weights)

        (numeric,) = functional.numerical_gradient(loss_at, [original])
        p.data = original
        np.testing.assert_allclose(grads[name], numeric, rtol=1e-5, atol=1e-8, err_msg=name)


def test_a_held_out_query_has_no_effect_on_its_net():
    network = F.FamilyTreeNetwork(2, rng=4, dtype="float64")
    X = F.query_inputs(P[:6], R[:6], dtype="float64")
    weights = np.repeat((T[:6] / T[:6].sum(axis=1, keepdims=True))[:, None, :], 2, axis=1)
    weights[5, 0] = 0.0  # net 0 holds query 5 out
    _, g_all = _masked_loss_and_grads(network, X, weights)
    _, g_first5 = _masked_loss_and_grads(network, X[:5], weights[:5])
    for name in g_all:  # net 0's gradient is the one from its five training queries
        np.testing.assert_allclose(g_all[name][0], g_first5[name][0], atol=1e-12)


def test_family_net_learns_the_training_set_and_masks_held_out_queries():
    mask = np.ones((2, 104))
    mask[0, :52] = 0  # net 0 never sees the English tree's queries
    net = F.FamilyTreeNet(2, init_scale=1.0, n_epochs=800, learning_rate=0.03, rng=0)
    net.fit(P, R, T, train_mask=mask)
    assert len(net.loss_curve_) == 800
    assert net.loss_curve_[-1] < 0.5 * net.loss_curve_[0]  # training lowers the loss
    ok = F.queries_correct(net.predict_proba(P, R), T)
    assert ok[1].mean() > 0.9  # net 1 fits the 104 queries
    assert ok[0, 52:].mean() > 0.9
    assert net.score(P, R, T) == pytest.approx(ok.mean())
    held = 1 - mask
    assert net.score(P, R, T, mask=held) == pytest.approx(ok[0, :52].mean())
    assert net.person_features().shape == (2, 24, 6)
    assert net.person_weights_.shape == (2, 24, 6)


def test_minibatches_train_too():
    net = F.FamilyTreeNet(1, init_scale=1.0, n_epochs=150, batch_size=16, learning_rate=0.02, rng=1)
    assert net.fit(P, R, T).score(P, R, T) > 0.5


def test_same_seed_same_network_and_unfitted_use_is_refused():
    a = F.FamilyTreeNet(1, n_epochs=3, rng=5).fit(P, R, T).person_weights_
    b = F.FamilyTreeNet(1, n_epochs=3, rng=5).fit(P, R, T).person_weights_
    assert np.array_equal(a, b)
    with pytest.raises(NotFittedError):
        F.FamilyTreeNet(1, rng=5).predict_proba(P, R)
    with pytest.raises(NotFittedError):
        F.FamilyTreeNet(1, rng=5).person_features()


def test_stacked_linear_is_one_linear_per_net():
    layer = F.StackedLinear(3, 4, 2, rng=0, dtype="float64")
    x = np.random.default_rng(1).standard_normal((5, 4))
    out = layer(Tensor(x)).data
    for k in range(3):
        np.testing.assert_allclose(out[k], x @ layer.weight.data[k] + layer.bias.data[k])
    assert len(layer.parameters()) == 2
    assert F.StackedLinear(3, 4, 2, rng=0, bias=False).bias is None


# ------------------------------------------------------------- the scalar engine
def test_value_local_derivatives_and_paths_add_up():
    a, b = F.Value(2.0), F.Value(-3.0)
    c = a * b + a  # a is used twice: dc/da = b + 1
    c.backward()
    assert (a.grad, b.grad) == (-2.0, 2.0)
    x = F.Value(0.3)
    s = x.logistic()
    s.backward()
    expected = 1 / (1 + np.exp(-0.3))
    assert s.data == pytest.approx(expected)
    assert x.grad == pytest.approx(expected * (1 - expected))
    assert "Value(" in repr(s)


def test_value_engine_matches_autodiff_on_the_family_tree_network():
    net = F.FamilyTreeNet(1, n_epochs=20, learning_rate=0.05, dtype="float64", rng=2)
    net.fit(P, R, T)
    network, q = net.network_, 17
    W = {name: p.data[0].tolist() for name, p in network.named_parameters()}
    V = {name: [[F.Value(w) for w in row] for row in rows] for name, rows in W.items()}
    p, r = int(P[q]), int(R[q])

    def layer(inputs, name, bias=True):
        weights = V[f"{name}.weight"]
        out = []
        for j in range(len(weights[0])):
            total = sum(x * weights[i][j] for i, x in enumerate(inputs))
            out.append(total + V[f"{name}.bias"][0][j] if bias else total)
        return out

    fp = [(w + b).logistic() for w, b in zip(V["person.weight"][p], V["person.bias"][0])]
    fr = [(w + b).logistic() for w, b in zip(V["relation.weight"][r], V["relation.bias"][0])]
    h = [(a + b).logistic() for a, b in zip(layer(fp, "central_p"), layer(fr, "central_r", False))]
    g = [z.logistic() for z in layer(h, "penult")]
    y = [z.logistic() for z in layer(g, "out")]
    E = sum((o + -float(t)) * (o + -float(t)) * 0.5 for o, t in zip(y, T[q]))
    E.backward()

    logits = network(Tensor.constant(F.query_inputs(P[q : q + 1], R[q : q + 1], dtype="float64")))
    err = ad.sigmoid(logits) - T[q]
    loss = (err * err).sum() * 0.5
    network.zero_grad()
    loss.backward()
    assert loss.item() == pytest.approx(E.data, rel=1e-12)
    for name, param in network.named_parameters():
        ours = np.array([[v.grad for v in row] for row in V[name]])
        np.testing.assert_allclose(ours, param.grad[0], rtol=1e-9, atol=1e-14, err_msg=name)


# ------------------------------------------------------------- mutation vs backprop
def _toy(seed=0, n=40):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.integers(0, 3, n)


def _mlp(sizes, rng=1, dtype="float64"):
    return nn.MLP(sizes, activation="tanh", dtype=dtype, rng=rng)


def test_perturbation_and_backprop_gradients_agree_and_count_passes():
    X, y = _toy()
    model = _mlp([5, 4, 3])
    before = model.state_dict()
    g_bp, c_bp = F.backprop_gradient(model, X, y)
    g_fd, c_fd = F.perturbation_gradient(model, X, y)
    assert c_bp == {"forward": 1, "backward": 1}
    assert c_fd["forward"] == 2 * model.n_parameters
    for a, b in zip(g_bp, g_fd):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-8)
    _, c_part = F.perturbation_gradient(model, X, y, max_weights=7)
    assert c_part["forward"] == 14
    after = model.state_dict()  # the weights are put back exactly
    assert all(np.array_equal(before[k], after[k]) for k in before)
    assert all(p.grad is None for p in model.parameters())


def test_gradient_cost_and_time_to_loss_report_consistent_counts():
    X, y = _toy(n=30)
    cost = F.gradient_cost(X, y, [2, 4], rng=0, n_probe=10, n_repeats=2)
    assert cost["n_weights"] == [5 * 2 + 2 + 2 * 3 + 3, 5 * 4 + 4 + 4 * 3 + 3]
    assert cost["perturbation_forward_passes"] == [2 * n for n in cost["n_weights"]]
    res = F.time_to_loss(X, y, [4], rng=0, target_loss=0.9, max_forward=3000)
    assert res["backprop_reached"] == [True]
    assert res["backprop_forward"][0] < res["mutation_forward"][0] <= 3000
    if res["mutation_reached"][0]:
        assert res["mutation_final_loss"][0] < 0.9


def test_time_to_loss_counts_the_forward_passes_of_nn_train():
    X, y = _toy(n=30)
    res = F.time_to_loss(X, y, [4], rng=0, target_loss=0.9, max_forward=3000)
    model = nn.MLP([5, 4, 3], activation="tanh", dtype="float64", rng=np.random.default_rng(0))
    history = nn.train(
        model, Adam(model.parameters(), learning_rate=0.01), X, y,
        n_epochs=3000, batch_size=30, rng=np.random.default_rng(0),
    )  # fmt: skip
    first = next(i for i, loss in enumerate(history) if loss < 0.9)
    assert abs(res["backprop_forward"][0] - (first + 1)) <= 1  # shuffles differ: roundoff only


# ------------------------------------------------------------------------ symmetry
def test_symmetry_dataset():
    X, y = F.symmetry_dataset(6)
    assert X.shape == (64, 6) and len({tuple(r) for r in X}) == 64
    assert y.sum() == 8
    assert np.array_equal(y, (X == X[:, ::-1]).all(axis=1))


def test_symmetry_ratios_of_the_textbook_solution():
    w = np.array([1.0, 2.0, 4.0, -4.0, -2.0, -1.0])
    W1 = np.stack([w, -w], axis=1) * 3.0
    ratios, anti = F.symmetry_ratios(W1)
    assert np.allclose(ratios, [[1, 2, 4], [1, 2, 4]])
    assert np.allclose(anti, 1.0)
    ratios, anti = F.symmetry_ratios(np.ones((6, 2)))
    assert np.allclose(anti, 0.0)


def test_symmetry_nets_that_solve_it_have_antisymmetric_weights():
    res = F.train_symmetry(12, rng=0, n_epochs=3000)
    assert res["solved"].sum() >= 3
    _, anti = F.symmetry_ratios(res["W1"][res["solved"]])
    assert anti.min() > 0.95


# ----------------------------------------------------------------------- bad input


MLP = _mlp([5, 3])


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda: F.held_out_splits(0, rng=0), "n_splits"),
        (lambda: F.held_out_splits(3, rng=0, n_test=104), "n_test"),
        (lambda: F.queries_correct(np.ones((5, 24)), T), "proba"),
        (lambda: F.queries_correct(np.ones((104, 24)), T * 2), "targets"),
        (lambda: F.feature_correlations(np.ones((23, 6)), F.person_attributes()), "features"),
        (lambda: F.feature_correlations(np.ones((24, 6)), {"x": np.ones(5)}), "attributes"),
        (lambda: F.query_inputs(P, R[:5]), "relations"),
        (lambda: F.query_inputs(P, R, dtype="int64"), "dtype"),
        (lambda: F.FamilyTreeNet(0, rng=0), "n_nets"),
        (lambda: F.FamilyTreeNet(1, rng=0, init_scale=-1.0), "init_scale"),
        (lambda: F.FamilyTreeNet(1, rng=0, learning_rate=0.0), "learning_rate"),
        (lambda: F.FamilyTreeNet(1, rng=0, n_epochs=0), "n_epochs"),
        (lambda: F.FamilyTreeNet(1, rng=0, batch_size=0), "batch_size"),
        (lambda: F.FamilyTreeNet(1, rng=0, weight_decay=-1.0), "weight_decay"),
        (lambda: F.FamilyTreeNet(1, rng=0, dtype="float16"), "dtype"),
        (lambda: F.FamilyTreeNet(1, rng=0).fit(P, R[:5], T), "relations"),
        (lambda: F.FamilyTreeNet(1, rng=0).fit(P + 30, R, T), "persons"),
        (lambda: F.FamilyTreeNet(1, rng=0).fit(P, R, T[:5]), "targets"),
        (
            lambda: F.FamilyTreeNet(1, rng=0).fit(P, R, T, train_mask=np.ones((2, 104))),
            "train_mask",
        ),
        (
            lambda: F.FamilyTreeNet(1, rng=0).fit(P, R, T, train_mask=np.zeros((1, 104))),
            "train_mask",
        ),
        (lambda: F.StackedLinear(2, 0, 3, rng=0), "n_in"),
        (lambda: F.StackedLinear(2, 3, 3, rng=0)(Tensor(np.ones((4, 5)))), "x"),
        (lambda: F.FamilyTreeNetwork(1, rng=0, n_central=0), "n_central"),
        (
            lambda: F.backprop_gradient([np.ones((5, 3))], np.ones((4, 5)), np.zeros(4, int)),
            "model",
        ),
        (lambda: F.backprop_gradient(MLP, np.ones((4, 5)), np.zeros(3, int)), "y"),
        (lambda: F.backprop_gradient(MLP, np.ones((4, 5)), -np.ones(4, int)), "y"),
        (lambda: F.backprop_gradient(MLP, np.ones(5), np.zeros(4, int)), "X"),
        (lambda: F.perturbation_gradient(MLP, np.ones((4, 5)), np.zeros(4, int), eps=0.0), "eps"),
        (
            lambda: F.perturbation_gradient(
                _mlp([5, 3], dtype="float32"), np.ones((4, 5)), np.zeros(4, int)
            ),
            "float64",
        ),
        (
            lambda: F.perturbation_gradient(MLP, np.ones((4, 5)), np.zeros(4, int), max_weights=0),
            "max_weights",
        ),
        (lambda: F.gradient_cost(np.ones((4, 5)), np.zeros(4, int), [], rng=0), "hidden_sizes"),
        (
            lambda: F.time_to_loss(np.ones((4, 5)), np.zeros(4, int), [2], rng=0, target_loss=0.0),
            "target_loss",
        ),
        (
            lambda: F.time_to_loss(
                np.ones((4, 5)), np.zeros(4, int), [2], rng=0, learning_rate=0.0
            ),
            "learning_rate",
        ),
        (lambda: F.symmetry_dataset(1), "n_bits"),
        (lambda: F.train_symmetry(2, rng=0, momentum=1.0), "momentum"),
        (lambda: F.train_symmetry(2, rng=0, n_epochs=0), "n_epochs"),
        (lambda: F.train_symmetry(2, rng=0, learning_rate=-0.1), "learning_rate"),
        (lambda: F.symmetry_ratios(np.ones((5, 2))), "W1"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(call, arg):
    with pytest.raises((ValueError, TypeError), match=arg):
        call()


X_TOY, Y_TOY = _toy(n=12)
RNG_CALLS = {
    "held_out_splits": lambda rng: F.held_out_splits(2, rng=rng),
    "FamilyTreeNet": lambda rng: F.FamilyTreeNet(1, rng=rng),
    "FamilyTreeNetwork": lambda rng: F.FamilyTreeNetwork(1, rng=rng),
    "StackedLinear": lambda rng: F.StackedLinear(1, 2, 2, rng=rng),
    "gradient_cost": lambda rng: F.gradient_cost(X_TOY, Y_TOY, [2], rng=rng, n_probe=2),
    "time_to_loss": lambda rng: F.time_to_loss(X_TOY, Y_TOY, [2], rng=rng, max_forward=5),
    "train_symmetry": lambda rng: F.train_symmetry(1, rng=rng, n_epochs=1),
}


@pytest.mark.parametrize("name", sorted(RNG_CALLS))
def test_a_negative_seed_is_refused_naming_rng(name):
    with pytest.raises(ValueError, match="rng"):
        RNG_CALLS[name](-1)


@pytest.mark.parametrize("name", sorted(RNG_CALLS))
def test_a_legacy_random_state_or_none_is_refused_naming_rng(name):
    with pytest.raises(TypeError, match="rng"):
        RNG_CALLS[name](np.random.RandomState(0))  # noqa: NPY002 (the legacy API is refused)
    with pytest.raises(TypeError, match="rng"):
        RNG_CALLS[name](None)
