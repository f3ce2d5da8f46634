"""Chapter 06: backpropagation, the 1986 family trees, and why gradients beat mutation.

Four pieces, all built from :mod:`hinton_utils.core.nn` modules, trained by
:mod:`hinton_utils.core.optim` optimisers through :func:`hinton_utils.core.nn.train`:

1. **The family trees** of Rumelhart, Hinton & Williams (1986) and Hinton (1986):
   two isomorphic trees of 12 people (English and Italian), 12 kinship relations,
   104 (person, relation) queries and 112 true (person, relation, person) triples
   (Colin and Charlotte, and Alfonso and Sophia, each have two uncles and two
   aunts). :class:`FamilyTreeNetwork` is the 1986 five-layer network
   (24 → 6 and 12 → 6, a central layer of 12, then 6, then 24 people), and the
   estimator :class:`FamilyTreeNet` trains many copies at once (one per random
   train/test split) as :class:`StackedLinear` layers.
2. **The engine**: :class:`Value`, a scalar autodiff of a few dozen lines (three
   operations and a backward loop) that the chapter checks against
   :mod:`hinton_utils.core.autodiff` on the family-tree network.
3. **Mutation versus backpropagation**: the gradient of a small tanh MLP by
   perturbing one weight at a time (two forward passes per weight, through
   :func:`hinton_utils.core.functional.numerical_gradient`) against one backward
   pass (:func:`perturbation_gradient`, :func:`backprop_gradient`,
   :func:`gradient_cost`), and the work each needs to reach a given loss
   (:func:`time_to_loss`).
4. **6-bit symmetry** with two hidden units (:func:`train_symmetry`), whose
   weights settle into mirrored ±1:2:4 patterns.
"""

from __future__ import annotations

import math
import time
from typing import Any

from .core import autodiff as ad
from .core import backend as B
from .core import functional, nn
from .core.autodiff import Tensor, no_grad
from .core.estimator import Estimator, check_rng
from .core.optim import SGD, Adam
from .core.validation import check_array, check_int, check_real

__all__ = [
    "ENGLISH",
    "ITALIAN",
    "PEOPLE",
    "RELATIONS",
    "FamilyTreeNet",
    "FamilyTreeNetwork",
    "StackedLinear",
    "Value",
    "backprop_gradient",
    "family_dataset",
    "family_triples",
    "feature_correlations",
    "gradient_cost",
    "held_out_splits",
    "perturbation_gradient",
    "person_attributes",
    "queries_correct",
    "query_inputs",
    "symmetry_dataset",
    "symmetry_ratios",
    "time_to_loss",
    "train_symmetry",
]

# Men of each generation, then women, as in the rows of Hinton's weight diagrams;
# ITALIAN[i] is ENGLISH[i]'s counterpart in the isomorphic tree.
ENGLISH = (
    "Christopher", "Andrew", "Arthur", "James", "Charles", "Colin",
    "Penelope", "Christine", "Victoria", "Jennifer", "Margaret", "Charlotte",
)  # fmt: skip
ITALIAN = (
    "Roberto", "Pierro", "Emilio", "Marco", "Tomaso", "Alfonso",
    "Maria", "Francesca", "Lucia", "Angela", "Gina", "Sophia",
)  # fmt: skip
PEOPLE = ENGLISH + ITALIAN
RELATIONS = (
    "father", "mother", "husband", "wife", "son", "daughter",
    "uncle", "aunt", "brother", "sister", "nephew", "niece",
)  # fmt: skip

# The English tree; the Italian one is the same with ITALIAN names.
_MALE = {"Christopher", "Andrew", "Arthur", "James", "Charles", "Colin"}
_COUPLES = (  # (husband, wife)
    ("Christopher", "Penelope"),
    ("Andrew", "Christine"),
    ("Arthur", "Margaret"),  # Margaret married in
    ("James", "Victoria"),
    ("Charles", "Jennifer"),  # Charles married in
)
_CHILDREN = {  # (father, mother) -> children
    ("Christopher", "Penelope"): ("Arthur", "Victoria"),
    ("Andrew", "Christine"): ("James", "Jennifer"),
    ("James", "Victoria"): ("Colin", "Charlotte"),
}
_GENERATION = {
    "Christopher": 1, "Penelope": 1, "Andrew": 1, "Christine": 1,
    "Arthur": 2, "Margaret": 2, "Victoria": 2, "James": 2, "Jennifer": 2, "Charles": 2,
    "Colin": 3, "Charlotte": 3,
}  # fmt: skip
# Which side of the tree: Christopher's (-1), Andrew's (+1), or both (Victoria and
# James's children, 0).
_BRANCH = {
    "Christopher": -1, "Penelope": -1, "Arthur": -1, "Margaret": -1, "Victoria": -1,
    "Andrew": 1, "Christine": 1, "James": 1, "Jennifer": 1, "Charles": 1,
    "Colin": 0, "Charlotte": 0,
}  # fmt: skip


def _english_facts() -> dict[tuple[str, str], set[str]]:
    """Every (person, relation) of the English tree with its set of answers."""
    spouse: dict[str, str] = {}
    for h, w in _COUPLES:
        spouse[h], spouse[w] = w, h
    parents: dict[str, tuple[str, str]] = {}
    for couple, kids in _CHILDREN.items():
        for kid in kids:
            parents[kid] = couple
    children = {p: set() for p in ENGLISH}
    for kid, (f, m) in parents.items():
        children[f].add(kid)
        children[m].add(kid)

    def siblings(x: str) -> set[str]:
        if x not in parents:
            return set()
        return {k for k in children[parents[x][0]] if k != x}

    def piblings(x: str) -> set[str]:  # parents' siblings and their spouses
        out: set[str] = set()
        for p in parents.get(x, ()):
            for s in siblings(p):
                out.add(s)
                if s in spouse:
                    out.add(spouse[s])
        return out

    def niblings(x: str) -> set[str]:  # children of siblings and of the spouse's siblings
        out: set[str] = set()
        sibs = siblings(x) | (siblings(spouse[x]) if x in spouse else set())
        for s in sibs:
            out |= children[s]
        return out

    def by_sex(people: set[str], male: bool) -> set[str]:
        return {p for p in people if (p in _MALE) == male}

    facts: dict[tuple[str, str], set[str]] = {}
    for x in ENGLISH:
        ps = set(parents.get(x, ()))
        sp = {spouse[x]} if x in spouse else set()
        answers = {
            "father": by_sex(ps, True),
            "mother": by_sex(ps, False),
            "husband": by_sex(sp, True),
            "wife": by_sex(sp, False),
            "son": by_sex(children[x], True),
            "daughter": by_sex(children[x], False),
            "uncle": by_sex(piblings(x), True),
            "aunt": by_sex(piblings(x), False),
            "brother": by_sex(siblings(x), True),
            "sister": by_sex(siblings(x), False),
            "nephew": by_sex(niblings(x), True),
            "niece": by_sex(niblings(x), False),
        }
        for rel in RELATIONS:
            if answers[rel]:
                facts[(x, rel)] = answers[rel]
    return facts


def family_triples() -> list[tuple[int, int, int]]:
    """All 112 true triples (person, relation, answer) as indices into PEOPLE and RELATIONS.

    Sorted by person, then relation, then answer. The English triples come
    first; the Italian ones are their images under the isomorphism
    ``ENGLISH[i] -> ITALIAN[i]``.
    """
    facts = _english_facts()
    idx = {name: i for i, name in enumerate(ENGLISH)}
    out = []
    for offset in (0, len(ENGLISH)):
        for (x, rel), answers in facts.items():
            for a in answers:
                out.append((idx[x] + offset, RELATIONS.index(rel), idx[a] + offset))
    return sorted(out)


def family_dataset() -> tuple[Any, Any, Any]:
    """The 104 (person, relation) queries and their answers, as arrays.

    Returns:
        ``(persons, relations, targets)``: int64 arrays of shape (104,) indexing
        PEOPLE and RELATIONS, and a float64 (104, 24) 0/1 matrix with a 1 for
        every correct answer (two 1s for the eight queries with two answers).
    """
    xp = B.xp()
    triples = family_triples()
    queries = sorted({(p, r) for p, r, _ in triples})
    row = {q: i for i, q in enumerate(queries)}
    targets = xp.zeros((len(queries), len(PEOPLE)), dtype="float64")
    for p, r, a in triples:
        targets[row[(p, r)], a] = 1.0
    persons = xp.asarray([q[0] for q in queries], dtype="int64")
    relations = xp.asarray([q[1] for q in queries], dtype="int64")
    return persons, relations, targets


def person_attributes() -> dict[str, Any]:
    """Facts about each of the 24 people that the network is never told directly.

    Returns:
        A dict of float64 arrays of shape (24,), in PEOPLE order:
        ``"nationality"`` (0 English, 1 Italian), ``"generation"`` (1 to 3),
        ``"branch"`` (-1 Christopher's/Roberto's side, +1 Andrew's/Pierro's side,
        0 for the grandchildren who belong to both) and ``"sex"`` (1 male, 0 female).
    """
    xp = B.xp()
    two = list(ENGLISH) * 2
    return {
        "nationality": xp.asarray([0.0] * 12 + [1.0] * 12),
        "generation": xp.asarray([float(_GENERATION[p]) for p in two]),
        "branch": xp.asarray([float(_BRANCH[p]) for p in two]),
        "sex": xp.asarray([1.0 if p in _MALE else 0.0 for p in two]),
    }


def held_out_splits(n_splits: int, rng: Any, *, n_test: int = 4, n_queries: int = 104) -> Any:
    """Random test sets: row ``k`` holds ``n_test`` distinct query indices for split ``k``.

    Args:
        n_splits: how many splits.
        rng: int seed or Generator.
        n_test: queries held out per split (the paper held out 4).
        n_queries: how many queries there are.

    Returns:
        int64 array of shape (n_splits, n_test), each row sorted.
    """
    n_splits = check_int(n_splits, "n_splits", low=1)
    n_queries = check_int(n_queries, "n_queries", low=2)
    n_test = check_int(n_test, "n_test", low=1, high=n_queries - 1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    keys = gen.random((n_splits, n_queries))
    return xp.sort(xp.argsort(keys, axis=1)[:, :n_test], axis=1).astype("int64")


def queries_correct(proba: Any, targets: Any) -> Any:
    """Whether each query is answered right: its k most probable people are exactly its k answers.

    Args:
        proba: (..., n, 24) output distributions (or any scores: only the order matters).
        targets: (n, 24) 0/1 answer matrix from :func:`family_dataset`.

    Returns:
        Boolean array of shape (..., n).
    """
    xp = B.xp()
    targets = check_array(targets, "targets", ndim=2, values="binary")
    proba = check_array(proba, "proba")
    if proba.ndim < 2 or proba.shape[-2:] != targets.shape:
        raise ValueError(
            f"proba must have shape (..., {targets.shape[0]}, {targets.shape[1]}); "
            f"got {tuple(proba.shape)}"
        )
    k = targets.sum(axis=1)
    if bool((k < 1).any()):
        raise ValueError("targets must have at least one answer per row")
    order = xp.argsort(-proba, axis=-1, kind="stable")
    rank = xp.argsort(order, axis=-1, kind="stable")  # rank[j] = position of person j
    in_top = rank < k[:, None]
    return (in_top == (targets > 0)).all(axis=-1)


def feature_correlations(features: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    """Pearson correlation of each feature unit with each attribute, over the 24 people.

    Args:
        features: (24, n_units) (or (n_nets, 24, n_units)) activations or weights.
        attributes: name -> (24,) array, e.g. :func:`person_attributes`.

    Returns:
        name -> array of correlations of shape (n_units,) (or (n_nets, n_units));
        a unit that never varies gets 0.
    """
    xp = B.xp()
    F = check_array(features, "features", ndim=(2, 3), dtype="float64")
    if F.shape[-2] != len(PEOPLE):
        raise ValueError(f"features must have {len(PEOPLE)} rows (one per person); got {F.shape}")
    if not isinstance(attributes, dict) or not attributes:
        raise TypeError("attributes must be a non-empty dict of name -> (24,) arrays")
    Fc = F - F.mean(axis=-2, keepdims=True)
    fnorm = xp.sqrt((Fc * Fc).sum(axis=-2))
    out = {}
    for name, a in attributes.items():
        a = check_array(a, f"attributes[{name!r}]", shape=(len(PEOPLE),), dtype="float64")
        ac = a - a.mean()
        denom = fnorm * float(xp.sqrt((ac * ac).sum()))
        num = (Fc * ac[:, None]).sum(axis=-2)
        out[name] = xp.where(denom > 0, num / xp.where(denom > 0, denom, 1.0), 0.0)
    return out


# ------------------------------------------------------------------ the 1986 network
class StackedLinear(nn.Module):
    """``n_nets`` independent affine layers side by side: ``x @ W[k] + b[k]`` for every k.

    The book trains many small networks at once (one per train/test split, one
    per random start) as batched matrices; this is :class:`hinton_utils.core.nn.Linear`
    with a leading axis of length ``n_nets`` on its weights.

    Args:
        n_nets: how many independent layers.
        n_in, n_out: input and output widths.
        rng: int seed or Generator for the initial weights.
        init_scale: standard deviation of the (normal) initial weights; biases start at 0.
        bias: whether to have a bias.
        dtype: ``"float32"`` or ``"float64"``.

    Attributes:
        weight: Parameter of shape (n_nets, n_in, n_out).
        bias: Parameter of shape (n_nets, 1, n_out), or None.
    """

    def __init__(
        self,
        n_nets: int,
        n_in: int,
        n_out: int,
        *,
        rng: Any,
        init_scale: float = 0.3,
        bias: bool = True,
        dtype: str = "float32",
    ) -> None:
        self.n_nets = check_int(n_nets, "n_nets", low=1)
        self.n_in = check_int(n_in, "n_in", low=1)
        self.n_out = check_int(n_out, "n_out", low=1)
        scale = check_real(init_scale, "init_scale", low=0.0, low_open=True)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be a bool; got {type(bias).__name__}")
        dtype = _check_dtype(dtype)
        gen = B.as_generator(rng, "rng")
        w = scale * gen.standard_normal((self.n_nets, self.n_in, self.n_out))
        self.weight = nn.Parameter(w.astype(dtype))
        zeros = B.xp().zeros((self.n_nets, 1, self.n_out), dtype=dtype)
        self.bias = nn.Parameter(zeros) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        """``x`` (n, n_in), shared by every net, or (n_nets, n, n_in) → (n_nets, n, n_out)."""
        if x.shape[-1] != self.n_in or x.ndim not in (2, 3):
            raise ValueError(f"x must have shape (..., n, {self.n_in}); got {x.shape}")
        out = x @ self.weight
        return out if self.bias is None else out + self.bias

    def __repr__(self) -> str:
        return f"StackedLinear({self.n_nets}, {self.n_in}, {self.n_out})"


def _check_dtype(dtype: Any) -> str:
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
    return dtype


class FamilyTreeNetwork(nn.Module):
    """The 1986 five-layer network as an :class:`~hinton_utils.core.nn.Module`, ``n_nets`` copies.

    Input: one active unit for the person (24) and one for the relation (12),
    concatenated into a row of 36. The person → ``n_features`` logistic units
    and relation → ``n_features`` logistic units; both → ``n_central`` logistic
    units → ``n_penult`` logistic units → 24 output logits, one per person.

    Attributes:
        person, relation, central_p, central_r, penult, out: the
            :class:`StackedLinear` layers (``central_r`` has no bias of its own:
            the central units have one bias each, in ``central_p``).
    """

    def __init__(
        self,
        n_nets: int = 1,
        *,
        rng: Any,
        n_features: int = 6,
        n_central: int = 12,
        n_penult: int = 6,
        init_scale: float = 0.3,
        dtype: str = "float32",
    ) -> None:
        K = check_int(n_nets, "n_nets", low=1)
        nf = check_int(n_features, "n_features", low=1)
        nc = check_int(n_central, "n_central", low=1)
        npn = check_int(n_penult, "n_penult", low=1)
        gen = B.as_generator(rng, "rng")
        kw = {"rng": gen, "init_scale": init_scale, "dtype": dtype}
        nP, nR = len(PEOPLE), len(RELATIONS)
        self.person = StackedLinear(K, nP, nf, **kw)
        self.relation = StackedLinear(K, nR, nf, **kw)
        self.central_p = StackedLinear(K, nf, nc, **kw)
        self.central_r = StackedLinear(K, nf, nc, bias=False, **kw)
        self.penult = StackedLinear(K, nc, npn, **kw)
        self.out = StackedLinear(K, npn, nP, **kw)

    def person_features(self) -> Tensor:
        """The person units' activities for each of the 24 people: (n_nets, 24, n_features)."""
        return ad.sigmoid(self.person.weight + self.person.bias)  # one-hot row i @ W = W[i]

    def relation_features(self) -> Tensor:
        """The relation units' activities for each of the 12 relations: (n_nets, 12, n_features)."""
        return ad.sigmoid(self.relation.weight + self.relation.bias)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (n_nets, n, 24) for one-hot query rows ``x`` (n, 36): person | relation.

        A one-hot row times a matrix picks out one of its rows, so the features
        (and their input to the central layer) are computed once for all 24
        people and 12 relations, and each query's one-hot rows pick its own:
        the 1986 network exactly, with fewer operations.
        """
        nP = len(PEOPLE)
        to_central = x[:, :nP] @ self.central_p(self.person_features())
        to_central = to_central + x[:, nP:] @ self.central_r(self.relation_features())
        return self.out(ad.sigmoid(self.penult(ad.sigmoid(to_central))))


def query_inputs(persons: Any, relations: Any, *, dtype: str = "float32") -> Any:
    """The network's input rows: a one-hot person (24) beside a one-hot relation (12).

    Args:
        persons, relations: int arrays (n,) of indices into PEOPLE and RELATIONS.

    Returns:
        Array (n, 36) of 0s and 1s, two 1s per row.
    """
    persons, relations = _check_queries(persons, relations)
    dtype = _check_dtype(dtype)
    xp = B.xp()
    return xp.concatenate(
        [xp.eye(len(PEOPLE), dtype=dtype)[persons], xp.eye(len(RELATIONS), dtype=dtype)[relations]],
        axis=1,
    )


def _check_queries(persons: Any, relations: Any) -> tuple[Any, Any]:
    persons = check_array(persons, "persons", ndim=1)
    relations = check_array(relations, "relations", ndim=1)
    if persons.dtype.kind not in "iu" or relations.dtype.kind not in "iu":
        raise TypeError("persons and relations must be integer index arrays")
    if persons.shape != relations.shape:
        raise ValueError(
            f"relations must have the shape of persons {tuple(persons.shape)}; "
            f"got {tuple(relations.shape)}"
        )
    if int(persons.min()) < 0 or int(persons.max()) >= len(PEOPLE):
        raise ValueError(f"persons must be indices in [0, {len(PEOPLE)})")
    if int(relations.min()) < 0 or int(relations.max()) >= len(RELATIONS):
        raise ValueError(f"relations must be indices in [0, {len(RELATIONS)})")
    return persons, relations


def _weighted_cross_entropy(logits: Tensor, weights: Any) -> Tensor:
    """``-Σ weight · log softmax(logits)`` over nets, queries and people.

    ``weights`` (n, n_nets, 24) holds, for each query and net, the query's target
    distribution (its answers sharing probability 1) divided by the number of
    queries that net trains on, or 0 where the net holds the query out. On the
    full batch the result is the sum over nets of each net's mean cross-entropy
    on its own training queries, so each net gets its own gradient.
    """
    weights = B.xp().moveaxis(weights, 1, 0)  # (n_nets, n, 24), like the logits
    return -(functional.log_softmax(logits, axis=-1) * weights).sum()


class FamilyTreeNet(Estimator):
    """The 1986 family-tree network, ``n_nets`` independent copies trained side by side.

    The network is :class:`FamilyTreeNetwork`. The output is a softmax over
    people and the target spreads probability equally over all correct answers
    (the 1986 paper used logistic outputs and squared error; see the chapter).
    Training is Adam with L2 weight decay through :func:`hinton_utils.core.nn.train`;
    with ``batch_size=None`` every epoch is one full-batch step, as in 1986.

    Args:
        n_nets: copies trained at once (one per train/test split).
        n_features: width of the person and relation encodings (6 in 1986).
        n_central: width of the central layer (12).
        n_penult: width of the penultimate layer (6).
        init_scale: standard deviation of the initial weights.
        learning_rate: Adam's learning rate.
        n_epochs: passes over the training queries.
        batch_size: queries per step; None for the full batch (one step per epoch).
        weight_decay: L2 coefficient.
        dtype: ``"float32"`` (fast) or ``"float64"`` (exact, for tests).
        rng: int seed or Generator; each ``fit`` starts from a fresh copy of it.

    Attributes:
        network_: the trained :class:`FamilyTreeNetwork`.
        person_weights_: the learned 24 → n_features weights, (n_nets, 24, n_features).
        loss_curve_: the mean training loss per net (nats) in each epoch.
    """

    def __init__(
        self,
        n_nets: int = 1,
        *,
        n_features: int = 6,
        n_central: int = 12,
        n_penult: int = 6,
        init_scale: float = 0.3,
        learning_rate: float = 0.01,
        n_epochs: int = 3000,
        batch_size: int | None = None,
        weight_decay: float = 2e-4,
        dtype: str = "float32",
        rng: Any,
    ) -> None:
        self.n_nets = check_int(n_nets, "n_nets", low=1)
        self.n_features = check_int(n_features, "n_features", low=1)
        self.n_central = check_int(n_central, "n_central", low=1)
        self.n_penult = check_int(n_penult, "n_penult", low=1)
        self.init_scale = check_real(init_scale, "init_scale", low=0.0, low_open=True)
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
        self.n_epochs = check_int(n_epochs, "n_epochs", low=1)
        self.batch_size = None if batch_size is None else check_int(batch_size, "batch_size", low=1)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.dtype = _check_dtype(dtype)
        self.rng = check_rng(rng)

    def fit(
        self, persons: Any, relations: Any, targets: Any, *, train_mask: Any = None
    ) -> FamilyTreeNet:
        """Train on the queries where ``train_mask`` is 1.

        Args:
            persons, relations: int arrays (n,) of query indices.
            targets: (n, 24) 0/1 answers.
            train_mask: (n_nets, n) 0/1, which queries each net trains on
                (default: all of them, for every net).
        """
        xp = B.xp()
        X = query_inputs(persons, relations, dtype=self.dtype)
        n = X.shape[0]
        T = check_array(targets, "targets", shape=(n, len(PEOPLE)), values="binary")
        if bool((T.sum(axis=1) < 1).any()):
            raise ValueError("targets must have at least one answer per row")
        if train_mask is None:
            M = xp.ones((self.n_nets, n))
        else:
            M = check_array(train_mask, "train_mask", shape=(self.n_nets, n), values="binary")
            if bool((M.sum(axis=1) < 1).any()):
                raise ValueError("train_mask must leave at least one training query per net")
        # Each row's target distribution, zeroed for the nets that hold that query out and
        # divided by the number of queries each net trains on.
        per_net = (M / M.sum(axis=1, keepdims=True)).T  # (n, n_nets)
        weights = (T / T.sum(axis=1, keepdims=True))[:, None, :] * per_net[:, :, None]

        def loss(logits: Tensor, batch_weights: Any) -> Tensor:
            # a mini-batch's share of the loss, scaled up to a mean over all training queries
            return _weighted_cross_entropy(logits, batch_weights) * (n / batch_weights.shape[0])

        gen = self._fit_generator()
        network = FamilyTreeNetwork(
            self.n_nets,
            rng=gen,
            n_features=self.n_features,
            n_central=self.n_central,
            n_penult=self.n_penult,
            init_scale=self.init_scale,
            dtype=self.dtype,
        )
        opt = Adam(
            network.parameters(), learning_rate=self.learning_rate, weight_decay=self.weight_decay
        )
        history = nn.train(
            network,
            opt,
            X,
            weights.astype(self.dtype),
            n_epochs=self.n_epochs,
            batch_size=n if self.batch_size is None else self.batch_size,
            rng=gen,
            loss=loss,
        )
        self.network_ = network
        self.person_weights_ = network.person.weight.data
        self.loss_curve_ = [h / self.n_nets for h in history]
        return self

    def predict_proba(self, persons: Any, relations: Any) -> Any:
        """Output distributions over the 24 people, shape (n_nets, n, 24)."""
        self._check_is_fitted("network_")
        X = query_inputs(persons, relations, dtype=self.dtype)
        with no_grad():
            return functional.softmax(self.network_(Tensor.constant(X)), axis=-1).data

    def person_features(self) -> Any:
        """Activations of the person units for each of the 24 people: (n_nets, 24, n_features)."""
        self._check_is_fitted("network_")
        with no_grad():
            return self.network_.person_features().data

    def score(self, persons: Any, relations: Any, targets: Any, mask: Any = None) -> float:
        """The fraction of queries answered right (higher is better), over all the nets.

        A query is right when its k most probable people are exactly its k
        answers (:func:`queries_correct`).

        Args:
            persons, relations, targets: the queries and their (n, 24) answers.
            mask: optional (n_nets, n) 0/1: count only the queries marked 1 for
                each net (e.g. its held-out ones).

        Returns:
            A float in [0, 1]: right answers over queries counted, pooled over nets.
        """
        ok = queries_correct(self.predict_proba(persons, relations), targets)
        if mask is None:
            return float(ok.mean())
        mask = check_array(mask, "mask", shape=tuple(ok.shape), values="binary") > 0
        if not bool(mask.any()):
            raise ValueError("mask must mark at least one query")
        return float((ok & mask).sum() / mask.sum())


# ------------------------------------------------------ the engine, one number at a time
class Value:
    """A number that remembers how it was computed: backprop on one screen.

    Chapter 06 builds its derivation on this (after Karpathy's micrograd).
    Each operation stores its inputs and its *local derivatives*
    (d output / d input); :meth:`backward` visits the graph in reverse
    topological order and applies the chain rule.
    :mod:`hinton_utils.core.autodiff` is the same idea on arrays.
    """

    def __init__(
        self,
        data: float,
        parents: tuple = (),
        local_grads: tuple = (),
    ) -> None:
        self.data = float(data)
        self.grad = 0.0  # d(output) / d(this number), filled by backward()
        self.parents = parents
        self.local_grads = local_grads

    def __add__(self, other: Any) -> Value:  # d(a+b)/da = 1, d(a+b)/db = 1
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), (1.0, 1.0))

    def __mul__(self, other: Any) -> Value:  # d(ab)/da = b, d(ab)/db = a
        other = other if isinstance(other, Value) else Value(other)
        product = self.data * other.data
        return Value(product, (self, other), (other.data, self.data))

    __radd__ = __add__
    __rmul__ = __mul__

    def logistic(self) -> Value:  # s = 1/(1+e^-x), ds/dx = s(1-s)
        s = 1.0 / (1.0 + math.exp(-self.data))
        return Value(s, (self,), (s * (1.0 - s),))

    def backward(self) -> None:
        """Fill ``grad`` of every Value this one depends on (d self / d it)."""
        order, seen = [], set()

        def visit(v: Value) -> None:  # depth first: a Value after its parents
            if id(v) not in seen:
                seen.add(id(v))
                for parent in v.parents:
                    visit(parent)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):  # outputs first, so v.grad is complete
            for parent, local in zip(v.parents, v.local_grads, strict=True):
                parent.grad += local * v.grad  # chain rule; += sums over paths

    def __repr__(self) -> str:
        return f"Value(data={self.data:.4g}, grad={self.grad:.4g})"


# ------------------------------------------------------------ mutation vs backprop
def _check_model(model: Any) -> nn.Module:
    if not isinstance(model, nn.Module) or not model.parameters():
        raise TypeError(
            f"model must be a core.nn Module with parameters; got {type(model).__name__}"
        )
    return model


def _check_xy(X: Any, y: Any, dtype: Any) -> tuple[Any, Any]:
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} labels to match X; got {y.shape[0]}")
    if y.dtype.kind not in "iu" or int(y.min()) < 0:
        raise ValueError("y must be non-negative integer class labels")
    return X.astype(dtype, copy=False), y


def backprop_gradient(model: Any, X: Any, y: Any) -> tuple[list[Any], dict[str, int]]:
    """The gradient of the mean cross-entropy by one forward and one backward pass.

    Args:
        model: a :mod:`hinton_utils.core.nn` Module mapping X to logits,
            e.g. ``nn.MLP([64, 8, 10], activation="tanh", dtype="float64", rng=0)``.
        X, y: inputs (n, n_in) and integer class labels (n,).

    Returns:
        ``(grads, counts)``: one gradient array per parameter (in
        ``model.parameters()`` order), and ``{"forward": 1, "backward": 1}``.
    """
    model = _check_model(model)
    X, y = _check_xy(X, y, model.parameters()[0].dtype)
    model.zero_grad()
    functional.cross_entropy(model(Tensor.constant(X)), y).backward()
    grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    return grads, {"forward": 1, "backward": 1}


def perturbation_gradient(
    model: Any, X: Any, y: Any, *, eps: float = 1e-5, max_weights: int | None = None
) -> tuple[list[Any], dict[str, int]]:
    """The gradient by nudging one weight at a time: ``(L(w+ε) - L(w-ε)) / 2ε`` per weight.

    The "mutation" method everyone can understand, made exact. The nudging is
    :func:`hinton_utils.core.functional.numerical_gradient`; this function
    counts the forward passes it costs (two per weight).

    Args:
        model: a float64 :mod:`hinton_utils.core.nn` Module mapping X to logits.
        X, y: inputs and integer class labels.
        eps: the nudge.
        max_weights: if given, only the first ``max_weights`` weights (in the
            order of ``model.parameters()``, flattened) are nudged; the rest of
            the gradient is left at 0 (for timing large nets).

    Returns:
        ``(grads, counts)`` with ``counts["forward"]`` the number of forward passes.
    """
    model = _check_model(model)
    params = model.parameters()
    if params[0].dtype != B.xp().float64:
        raise ValueError(f"model must be float64 for finite differences; got {params[0].dtype}")
    X, y = _check_xy(X, y, "float64")
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    xp = B.xp()
    weights = xp.concatenate([p.data.reshape(-1) for p in params])
    limit = weights.size
    if max_weights is not None:
        limit = min(check_int(max_weights, "max_weights", low=1), limit)
    originals = [p.data for p in params]
    inputs = Tensor.constant(X)
    n_forward = 0

    def loss_at(nudged: Tensor) -> Tensor:  # the loss with the first `limit` weights replaced
        nonlocal n_forward
        n_forward += 1
        w = weights.copy()
        w[:limit] = nudged.data
        start = 0
        for p in params:
            p.data = w[start : start + p.size].reshape(p.shape)
            start += p.size
        return functional.cross_entropy(model(inputs), y)

    try:
        (g,) = functional.numerical_gradient(loss_at, [weights[:limit]], eps)
    finally:
        for p, data in zip(params, originals, strict=True):
            p.data = data
    flat = xp.zeros_like(weights)
    flat[:limit] = g
    grads, start = [], 0
    for p in params:
        grads.append(flat[start : start + p.size].reshape(p.shape))
        start += p.size
    return grads, {"forward": n_forward, "backward": 0}


def _tanh_mlp(n_in: int, n_hidden: int, n_classes: int, gen: Any) -> nn.MLP:
    return nn.MLP([n_in, n_hidden, n_classes], activation="tanh", dtype="float64", rng=gen)


def _check_hidden_sizes(hidden_sizes: Any) -> list[int]:
    if not isinstance(hidden_sizes, (list, tuple)) or not hidden_sizes:
        raise ValueError("hidden_sizes must be a non-empty list of ints")
    return [check_int(h, f"hidden_sizes[{i}]", low=1) for i, h in enumerate(hidden_sizes)]


def gradient_cost(
    X: Any, y: Any, hidden_sizes: Any, rng: Any, *, n_probe: int = 100, n_repeats: int = 5
) -> dict[str, Any]:
    """Seconds for one gradient of a (n_in, h, n_classes) tanh MLP, both ways, for each h.

    Backpropagation is timed directly (best of ``n_repeats``). The perturbation
    method's cost is measured by nudging ``n_probe`` weights and scaling to all
    of them (it costs the same for every weight).

    Returns:
        dict of NumPy-free Python lists: ``n_weights``, ``backprop_seconds``,
        ``perturbation_seconds``, ``perturbation_forward_passes`` (2 per weight)
        and ``ratio`` (perturbation / backprop).
    """
    X = check_array(X, "X", ndim=2, dtype="float64")
    y = check_array(y, "y", ndim=1)
    hidden_sizes = _check_hidden_sizes(hidden_sizes)
    n_probe = check_int(n_probe, "n_probe", low=1)
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    gen = B.as_generator(rng, "rng")
    n_classes = int(y.max()) + 1
    keys = ("n_weights", "backprop_seconds", "perturbation_seconds",
            "perturbation_forward_passes", "ratio")  # fmt: skip
    out: dict[str, list] = {k: [] for k in keys}
    for h in hidden_sizes:
        model = _tanh_mlp(X.shape[1], h, n_classes, gen)
        n_w = model.n_parameters
        best = float("inf")
        for _ in range(n_repeats):
            t0 = time.perf_counter()
            backprop_gradient(model, X, y)
            best = min(best, time.perf_counter() - t0)
        probe = min(n_probe, n_w)
        t0 = time.perf_counter()
        _, counts = perturbation_gradient(model, X, y, max_weights=probe)
        per_weight = (time.perf_counter() - t0) / probe
        out["n_weights"].append(n_w)
        out["backprop_seconds"].append(best)
        out["perturbation_seconds"].append(per_weight * n_w)
        out["perturbation_forward_passes"].append(counts["forward"] // probe * n_w)
        out["ratio"].append(per_weight * n_w / best)
    return out


def time_to_loss(
    X: Any,
    y: Any,
    hidden_sizes: Any,
    rng: Any,
    *,
    target_loss: float = 0.5,
    max_forward: int = 20000,
    learning_rate: float = 0.01,
    mutation_scale: float = 0.1,
) -> dict[str, Any]:
    """Forward passes and seconds to reach ``target_loss``: backprop vs random mutation.

    For each hidden width ``h`` the same initial (n_in, h, n_classes) tanh MLP
    is trained two ways on the full batch ``(X, y)``:

    * **backprop**: full-batch Adam steps through :func:`hinton_utils.core.nn.train`,
      whose callback stops training once the loss is below ``target_loss``;
      each step costs one forward and one backward pass.
    * **mutation**: pick one weight at random, add Gaussian noise of standard
      deviation ``mutation_scale``, keep the change if the loss went down;
      each try costs one forward pass.

    Both stop when the loss is below ``target_loss`` or after ``max_forward``
    forward passes.

    Returns:
        dict of lists, one entry per width: ``n_weights``, ``backprop_forward``,
        ``backprop_seconds``, ``backprop_reached``, ``mutation_forward``,
        ``mutation_seconds``, ``mutation_reached``, ``mutation_final_loss``.
    """
    X = check_array(X, "X", ndim=2, dtype="float64")
    y = check_array(y, "y", ndim=1)
    hidden_sizes = _check_hidden_sizes(hidden_sizes)
    target_loss = check_real(target_loss, "target_loss", low=0.0, low_open=True)
    max_forward = check_int(max_forward, "max_forward", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    mutation_scale = check_real(mutation_scale, "mutation_scale", low=0.0, low_open=True)
    gen = B.as_generator(rng, "rng")
    X, y = _check_xy(X, y, "float64")
    n_classes = int(y.max()) + 1
    keys = ("n_weights", "backprop_forward", "backprop_seconds", "backprop_reached",
            "mutation_forward", "mutation_seconds", "mutation_reached",
            "mutation_final_loss")  # fmt: skip
    out: dict[str, list] = {k: [] for k in keys}
    inputs = Tensor.constant(X)
    for h in hidden_sizes:
        model = _tanh_mlp(X.shape[1], h, n_classes, gen)
        start = model.state_dict()
        # The shuffles get their own generator, so the mutation run's random draws do not
        # depend on how many steps backprop took.
        shuffles = B.as_generator(int(gen.integers(0, 2**31 - 1)), "rng")
        # backprop: the book's one training loop, one full-batch step per epoch
        t0 = time.perf_counter()
        history = nn.train(
            model,
            Adam(model.parameters(), learning_rate=learning_rate),
            X,
            y,
            n_epochs=max_forward,
            batch_size=X.shape[0],
            rng=shuffles,
            callback=lambda epoch, loss: loss < target_loss,
        )
        out["backprop_seconds"].append(time.perf_counter() - t0)
        out["backprop_forward"].append(len(history))  # the loss is computed before each step
        out["backprop_reached"].append(history[-1] < target_loss)
        # mutation, from the same start
        model.load_state_dict(start)
        params = model.parameters()
        sizes = [p.size for p in params]
        t0 = time.perf_counter()
        with no_grad():
            current = functional.cross_entropy(model(inputs), y).item()
            n_forward, reached = 1, current < target_loss
            # draw the random choices in blocks (fewer calls into the Generator)
            block = 1024
            while not reached and n_forward < max_forward:
                which = (gen.random(block) * model.n_parameters).astype("int64")
                noise = mutation_scale * gen.standard_normal(block)
                for k in range(block):
                    idx, layer = int(which[k]), 0
                    while idx >= sizes[layer]:
                        idx -= sizes[layer]
                        layer += 1
                    flat = params[layer].data.reshape(-1)  # a view: changes the weight
                    old = float(flat[idx])
                    flat[idx] = old + float(noise[k])
                    trial = functional.cross_entropy(model(inputs), y).item()
                    n_forward += 1
                    if trial < current:
                        current = trial
                    else:
                        flat[idx] = old
                    if current < target_loss:
                        reached = True
                        break
                    if n_forward >= max_forward:
                        break
        out["mutation_seconds"].append(time.perf_counter() - t0)
        out["mutation_forward"].append(n_forward)
        out["mutation_reached"].append(bool(reached))
        out["mutation_final_loss"].append(current)
        out["n_weights"].append(model.n_parameters)
    return out


# ------------------------------------------------------------------- 6-bit symmetry
def symmetry_dataset(n_bits: int = 6) -> tuple[Any, Any]:
    """All 2**n_bits binary vectors and whether each is a palindrome.

    Returns:
        ``(X, y)``: float64 (2**n, n) 0/1 and float64 (2**n,) 1 for symmetric vectors.
    """
    n_bits = check_int(n_bits, "n_bits", low=2, high=16)
    xp = B.xp()
    codes = xp.arange(2**n_bits)
    X = ((codes[:, None] >> xp.arange(n_bits - 1, -1, -1)[None, :]) & 1).astype("float64")
    y = (X == X[:, ::-1]).all(axis=1).astype("float64")
    return X, y


def _half_squared_error(outputs: Tensor, targets: Any) -> Tensor:
    """``½ Σ (output − target)²`` over every vector and every net (the 1986 error)."""
    return ((outputs - targets[None, :, None]) ** 2).sum() * 0.5


def train_symmetry(
    n_nets: int, rng: Any, *, n_bits: int = 6, n_hidden: int = 2, n_epochs: int = 1425,
    learning_rate: float = 0.1, momentum: float = 0.9, init_scale: float = 0.3,
) -> dict[str, Any]:  # fmt: skip
    """Train ``n_nets`` logistic n_bits-n_hidden-1 nets on symmetry detection, the 1986 way.

    Rumelhart, Hinton & Williams's recipe: logistic hidden and output units,
    squared error summed over all 2**n_bits vectors, one weight change per sweep
    (``n_epochs`` full-batch epochs of :func:`hinton_utils.core.nn.train`) with
    learning rate ε = ``learning_rate`` and momentum α = ``momentum`` (0.1 and
    0.9, 1425 sweeps in the paper). All nets train side by side as
    :class:`StackedLinear` layers.

    Returns:
        dict with ``W1`` (n_nets, n_bits, n_hidden), ``b1``, ``W2`` (n_nets, n_hidden, 1),
        ``b2``, ``output`` (n_nets, 2**n_bits) and ``solved`` (n_nets,) bool: every
        output on the right side of 0.5.
    """
    n_nets = check_int(n_nets, "n_nets", low=1)
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    init_scale = check_real(init_scale, "init_scale", low=0.0, low_open=True)
    X, y = symmetry_dataset(n_bits)
    gen = B.as_generator(rng, "rng")
    kw = {"rng": gen, "init_scale": init_scale, "dtype": "float64"}
    hidden = StackedLinear(n_nets, X.shape[1], n_hidden, **kw)
    output = StackedLinear(n_nets, n_hidden, 1, **kw)
    model = nn.Sequential(hidden, nn.Activation("logistic"), output, nn.Activation("logistic"))
    opt = SGD(model.parameters(), learning_rate=learning_rate, momentum=momentum)
    nn.train(
        model, opt, X, y, n_epochs=n_epochs, batch_size=X.shape[0], rng=gen,
        loss=_half_squared_error,
    )  # fmt: skip
    with no_grad():
        o = model(Tensor.constant(X)).data[..., 0]
    solved = ((o > 0.5) == (y[None] > 0)).all(axis=1)
    return {"W1": hidden.weight.data, "b1": hidden.bias.data, "W2": output.weight.data,
            "b2": output.bias.data, "output": o, "solved": solved}  # fmt: skip


def symmetry_ratios(W1: Any) -> tuple[Any, Any]:
    """How close each hidden unit's input weights are to the mirrored ±1:2:4 pattern.

    Args:
        W1: (n_bits, n_hidden) or (n_nets, n_bits, n_hidden) input weights, n_bits even.

    Returns:
        ``(ratios, antisymmetry)``: ``ratios`` (..., n_hidden, n_bits // 2) holds the
        magnitudes of the antisymmetric part ``(w_i - w_{n-1-i}) / 2``, sorted and
        divided by the smallest (1, 2, 4 for Rumelhart et al.'s solution);
        ``antisymmetry`` (..., n_hidden) is the fraction of the weights' squared
        length in that antisymmetric part (1 when ``w_i = -w_{n-1-i}`` exactly).
    """
    xp = B.xp()
    W = check_array(W1, "W1", ndim=(2, 3), dtype="float64")
    n = W.shape[-2]
    if n % 2:
        raise ValueError(f"W1 must have an even number of input rows; got {n}")
    Wt = xp.swapaxes(W, -1, -2)  # (..., n_hidden, n_bits)
    anti = (Wt - Wt[..., ::-1]) / 2
    half = xp.sort(xp.abs(anti[..., : n // 2]), axis=-1)
    ratios = half / xp.maximum(half[..., :1], 1e-12)
    frac = (anti * anti).sum(axis=-1) / xp.maximum((Wt * Wt).sum(axis=-1), 1e-300)
    return ratios, frac
