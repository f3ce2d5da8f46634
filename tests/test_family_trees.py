"""Tests for hinton_utils.family_trees: the 1986 data, the network, gradients and symmetry."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import family_trees as F


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
def test_family_net_gradient_matches_finite_differences():
    persons, relations, targets = F.family_dataset()
    net = F.FamilyTreeNet(2, rng=3, dtype="float64")
    idx = np.arange(0, 104, 7)
    p, r, T = persons[idx], relations[idx], targets[idx]
    W = T / T.sum(axis=1, keepdims=True)

    def loss_value():
        logits, _ = net._forward(p, r)
        z = logits.data - logits.data.max(axis=-1, keepdims=True)
        lp = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
        return float(-(lp * W[None]).sum())

    from hinton_utils.core import functional

    logits, _ = net._forward(p, r)
    (-(functional.log_softmax(logits, axis=-1) * W[None]).sum()).backward()
    for name in ("person", "relation", "central_p", "out_b"):
        t = net.params[name]
        flat = t.data.reshape(-1)
        for k in (0, 5, flat.size - 1):
            old = flat[k]
            flat[k] = old + 1e-6
            up = loss_value()
            flat[k] = old - 1e-6
            down = loss_value()
            flat[k] = old
            assert t.grad.reshape(-1)[k] == pytest.approx((up - down) / 2e-6, rel=1e-5, abs=1e-8)


def test_family_net_learns_the_training_set_and_masks_held_out_queries():
    persons, relations, targets = F.family_dataset()
    mask = np.ones((2, 104))
    mask[0, :52] = 0  # net 0 never sees the English tree's queries
    net = F.FamilyTreeNet(2, rng=0, init_scale=1.0).fit(
        persons, relations, targets, train_mask=mask, n_steps=800, lr=0.03
    )
    loss = np.asarray(net.loss_history)
    assert loss[-1].max() < 0.5 * loss[0].min()  # training lowers the loss
    ok = F.queries_correct(net.predict_proba(persons, relations), targets)
    assert ok[1].mean() > 0.9  # net 1 fits the 104 queries
    assert ok[0, 52:].mean() > 0.9
    # an English person is never answered with an English person by net 0 more than chance
    assert net.person_features().shape == (2, 24, 6)
    assert net.person_weights().shape == (2, 24, 6)


def test_same_seed_same_network():
    a = F.FamilyTreeNet(1, rng=5).person_weights()
    b = F.FamilyTreeNet(1, rng=5).person_weights()
    assert np.array_equal(a, b)


# ------------------------------------------------------------- mutation vs backprop
def _toy(seed=0, n=40):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.integers(0, 3, n)


def test_perturbation_and_backprop_gradients_agree_and_count_passes():
    X, y = _toy()
    params = F.init_mlp([5, 4, 3], rng=1)
    g_bp, c_bp = F.backprop_gradient(params, X, y)
    g_fd, c_fd = F.perturbation_gradient(params, X, y)
    n_weights = sum(p.size for p in params)
    assert c_bp == {"forward": 1, "backward": 1}
    assert c_fd["forward"] == 2 * n_weights
    for a, b in zip(g_bp, g_fd):
        assert np.allclose(a, b, rtol=1e-6, atol=1e-8)
    _, c_part = F.perturbation_gradient(params, X, y, max_weights=7)
    assert c_part["forward"] == 14


def test_mlp_loss_at_zero_weights_is_log_classes():
    X, y = _toy()
    params = [np.zeros_like(p) for p in F.init_mlp([5, 4, 3], rng=0)]
    assert F.mlp_loss(params, X, y) == pytest.approx(np.log(3))


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
    res = F.train_symmetry(12, rng=0, n_sweeps=3000)
    assert res["solved"].sum() >= 3
    _, anti = F.symmetry_ratios(res["W1"][res["solved"]])
    assert anti.min() > 0.95


# ----------------------------------------------------------------------- bad input
P, R, T = F.family_dataset()


@pytest.mark.parametrize(
    ("call", "arg"),
    [
        (lambda: F.held_out_splits(0, rng=0), "n_splits"),
        (lambda: F.held_out_splits(3, rng=0, n_test=104), "n_test"),
        (lambda: F.queries_correct(np.ones((5, 24)), T), "proba"),
        (lambda: F.queries_correct(np.ones((104, 24)), T * 2), "targets"),
        (lambda: F.feature_correlations(np.ones((23, 6)), F.person_attributes()), "features"),
        (lambda: F.feature_correlations(np.ones((24, 6)), {"x": np.ones(5)}), "attributes"),
        (lambda: F.FamilyTreeNet(0, rng=0), "n_nets"),
        (lambda: F.FamilyTreeNet(1, rng=0, init_scale=-1.0), "init_scale"),
        (lambda: F.FamilyTreeNet(1, rng=0).fit(P, R[:5], T), "relations"),
        (lambda: F.FamilyTreeNet(1, rng=0).fit(P + 30, R, T), "persons"),
        (
            lambda: F.FamilyTreeNet(1, rng=0).fit(P, R, T, train_mask=np.ones((2, 104))),
            "train_mask",
        ),
        (lambda: F.FamilyTreeNet(1, rng=0).fit(P, R, T, n_steps=0), "n_steps"),
        (lambda: F.FamilyTreeNet(1, rng=0).predict_proba(P, R - 1), "relations"),
        (lambda: F.init_mlp([5], rng=0), "sizes"),
        (lambda: F.mlp_loss(F.init_mlp([5, 3], rng=0), np.ones((4, 6)), np.zeros(4, int)), "X"),
        (lambda: F.mlp_loss(F.init_mlp([5, 3], rng=0), np.ones((4, 5)), np.full(4, 3)), "y"),
        (
            lambda: F.backprop_gradient([np.ones((5, 3))], np.ones((4, 5)), np.zeros(4, int)),
            "params",
        ),
        (
            lambda: F.perturbation_gradient(
                F.init_mlp([5, 3], rng=0), np.ones((4, 5)), np.zeros(4, int), eps=0.0
            ),
            "eps",
        ),  # fmt: skip
        (lambda: F.gradient_cost(np.ones((4, 5)), np.zeros(4, int), [], rng=0), "hidden_sizes"),
        (
            lambda: F.time_to_loss(np.ones((4, 5)), np.zeros(4, int), [2], rng=0, target_loss=0.0),
            "target_loss",
        ),  # fmt: skip
        (lambda: F.symmetry_dataset(1), "n_bits"),
        (lambda: F.train_symmetry(2, rng=0, momentum=1.0), "momentum"),
        (lambda: F.symmetry_ratios(np.ones((5, 2))), "W1"),
    ],
)
def test_bad_input_is_refused_with_the_argument_named(call, arg):
    with pytest.raises((ValueError, TypeError), match=arg):
        call()


def test_rng_none_is_refused():
    with pytest.raises(TypeError, match="rng"):
        F.FamilyTreeNet(1, rng=None)
