"""Chapter 06: backpropagation, the 1986 family trees, and why gradients beat mutation.

Three pieces, all trained with :mod:`hinton_utils.core.autodiff` and :mod:`hinton_utils.core.optim`:

1. **The family trees** of Rumelhart, Hinton & Williams (1986) and Hinton (1986):
   two isomorphic trees of 12 people (English and Italian), 12 kinship relations,
   104 (person, relation) queries and 112 true (person, relation, person) triples
   (Colin and Charlotte, and Alfonso and Sophia, each have two uncles and two
   aunts). :class:`FamilyTreeNet` is the 1986 five-layer network
   (24 → 6 and 12 → 6, a central layer of 12, then 6, then 24 people), and trains
   many copies at once (one per random train/test split) as batched matrices.
2. **Mutation versus backpropagation**: the gradient of a small tanh MLP by
   perturbing one weight at a time (two forward passes per weight) against one
   backward pass (:func:`perturbation_gradient`, :func:`backprop_gradient`,
   :func:`gradient_cost`), and the work each needs to reach a given loss
   (:func:`time_to_loss`).
3. **6-bit symmetry** with two hidden units (:func:`train_symmetry`), whose
   weights settle into mirrored ±1:2:4 patterns.
"""

from __future__ import annotations

import time
from typing import Any

from .core import autodiff as ad
from .core import backend as B
from .core import functional
from .core.autodiff import Tensor, no_grad
from .core.optim import SGD, Adam
from .core.validation import check_array, check_int, check_real

__all__ = [
    "ENGLISH",
    "ITALIAN",
    "PEOPLE",
    "RELATIONS",
    "FamilyTreeNet",
    "backprop_gradient",
    "family_dataset",
    "family_triples",
    "feature_correlations",
    "gradient_cost",
    "held_out_splits",
    "init_mlp",
    "mlp_loss",
    "perturbation_gradient",
    "person_attributes",
    "queries_correct",
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
class FamilyTreeNet:
    """The 1986 family-tree network, ``n_nets`` independent copies trained side by side.

    Person one-hot (24) → 6 logistic units; relation one-hot (12) → 6 logistic
    units; both → ``n_central`` (12) logistic units → ``n_penult`` (6) logistic
    units → 24 output people. The output is a softmax over people and the
    target spreads probability equally over all correct answers (the 1986 paper
    used logistic outputs and squared error; see the chapter). Full-batch Adam
    with L2 weight decay, as in the digest's prototype.

    Args:
        n_nets: copies trained at once (one per train/test split).
        rng: int seed or Generator for the initial weights.
        n_features: width of the person and relation encodings (6 in 1986).
        n_central: width of the central layer (12).
        n_penult: width of the penultimate layer (6).
        init_scale: standard deviation of the initial weights.
        dtype: ``"float64"`` (exact, for tests) or ``"float32"`` (fast).

    Attributes:
        params: dict of Tensors, each with a leading axis of length ``n_nets``.
        loss_history: mean training loss per net after each recorded step.
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
        self.n_nets = check_int(n_nets, "n_nets", low=1)
        nf = check_int(n_features, "n_features", low=1)
        nc = check_int(n_central, "n_central", low=1)
        npn = check_int(n_penult, "n_penult", low=1)
        scale = check_real(init_scale, "init_scale", low=0.0, low_open=True)
        if dtype not in ("float32", "float64"):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}")
        gen = B.as_generator(rng, "rng")
        xp = B.xp()
        K, nP, nR = self.n_nets, len(PEOPLE), len(RELATIONS)
        shapes = {
            "person": (K, nP, nf),
            "relation": (K, nR, nf),
            "central_p": (K, nf, nc),
            "central_r": (K, nf, nc),
            "penult": (K, nc, npn),
            "out": (K, npn, nP),
        }
        self.params: dict[str, Tensor] = {}
        for name, shape in shapes.items():
            w = (scale * gen.standard_normal(shape)).astype(dtype)
            self.params[name] = Tensor(w, requires_grad=True, name=name)
            b = xp.zeros((K, 1, shape[2]), dtype=dtype)
            self.params[name + "_b"] = Tensor(b, requires_grad=True, name=name + "_b")
        self.dtype = dtype
        self.loss_history: list[Any] = []
        self._eye_p = xp.eye(nP, dtype=dtype)
        self._eye_r = xp.eye(nR, dtype=dtype)

    def _check_queries(self, persons: Any, relations: Any) -> tuple[Any, Any]:
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

    def _forward(self, persons: Any, relations: Any) -> tuple[Tensor, Tensor]:
        """Logits (K, n, 24) and the person-feature table (K, 24, n_features).

        The person and relation encodings are computed once per person (24 rows)
        and per relation (12 rows); multiplying by the queries' one-hot rows then
        picks them out, which is the 1986 network exactly, with fewer operations.
        """
        p = self.params
        fp = ad.sigmoid(p["person"] + p["person_b"])  # one-hot @ W is W's row
        fr = ad.sigmoid(p["relation"] + p["relation_b"])
        P = Tensor(self._eye_p[persons])
        R = Tensor(self._eye_r[relations])
        h = ad.sigmoid(P @ (fp @ p["central_p"]) + R @ (fr @ p["central_r"]) + p["central_p_b"])
        g = ad.sigmoid(h @ p["penult"] + p["penult_b"])
        return g @ p["out"] + p["out_b"], fp

    def fit(
        self,
        persons: Any,
        relations: Any,
        targets: Any,
        *,
        train_mask: Any = None,
        n_steps: int = 3000,
        lr: float = 0.01,
        weight_decay: float = 2e-4,
        record_every: int = 100,
    ) -> FamilyTreeNet:
        """Full-batch training on the queries where ``train_mask`` is 1.

        Args:
            persons, relations: int arrays (n,) of query indices.
            targets: (n, 24) 0/1 answers.
            train_mask: (n_nets, n) 0/1, which queries each net trains on
                (default: all of them, for every net).
            n_steps: full-batch Adam steps.
            lr: Adam's learning rate.
            weight_decay: L2 coefficient.
            record_every: append the per-net loss to ``loss_history`` this often.
        """
        xp = B.xp()
        persons, relations = self._check_queries(persons, relations)
        n = persons.shape[0]
        T = check_array(targets, "targets", shape=(n, len(PEOPLE)), values="binary")
        if bool((T.sum(axis=1) < 1).any()):
            raise ValueError("targets must have at least one answer per row")
        if train_mask is None:
            M = xp.ones((self.n_nets, n), dtype=self.dtype)
        else:
            M = check_array(train_mask, "train_mask", shape=(self.n_nets, n), values="binary")
            if bool((M.sum(axis=1) < 1).any()):
                raise ValueError("train_mask must leave at least one training query per net")
        n_steps = check_int(n_steps, "n_steps", low=1)
        record_every = check_int(record_every, "record_every", low=1)
        M = M.astype(self.dtype)
        # target distributions, zeroed on held-out rows and divided by each net's count
        W = (T / T.sum(axis=1, keepdims=True)).astype(self.dtype)
        W = W[None] * (M / M.sum(axis=1, keepdims=True))[:, :, None]
        opt = Adam(list(self.params.values()), learning_rate=lr, weight_decay=weight_decay)
        for step in range(n_steps):
            logits, _ = self._forward(persons, relations)
            loss = -(functional.log_softmax(logits, axis=-1) * W).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % record_every == 0 or step == n_steps - 1:
                with no_grad():
                    lp = functional.log_softmax(logits.detach(), axis=-1).data
                self.loss_history.append(-(lp * W).sum(axis=(1, 2)))
        return self

    def predict_proba(self, persons: Any, relations: Any) -> Any:
        """Output distributions over the 24 people, shape (n_nets, n, 24)."""
        persons, relations = self._check_queries(persons, relations)
        with no_grad():
            logits, _ = self._forward(persons, relations)
            return functional.softmax(logits, axis=-1).data

    def person_features(self) -> Any:
        """Activations of the 6 person units for each of the 24 people: (n_nets, 24, 6)."""
        with no_grad():
            p = self.params
            return ad.sigmoid(p["person"] + p["person_b"]).data

    def person_weights(self) -> Any:
        """The learned 24 → 6 weights, shape (n_nets, 24, 6) (rows in PEOPLE order)."""
        return self.params["person"].data.copy()

    def score(self, persons: Any, relations: Any, targets: Any, mask: Any = None) -> Any:
        """Per net, the number of queries answered right (restricted to ``mask`` if given)."""
        ok = queries_correct(self.predict_proba(persons, relations), targets)
        if mask is not None:
            mask = check_array(mask, "mask", shape=tuple(ok.shape), values="binary")
            ok = ok & (mask > 0)
        return ok.sum(axis=-1)


# ------------------------------------------------------------ mutation vs backprop
def init_mlp(sizes: Any, rng: Any, *, dtype: str = "float64") -> list[Any]:
    """Weights ``[W1, b1, W2, b2, ...]`` of a tanh MLP with Xavier-uniform initial values."""
    if not isinstance(sizes, (list, tuple)) or len(sizes) < 2:
        raise ValueError(f"sizes must be a list of at least 2 layer widths; got {sizes!r}")
    sizes = [check_int(s, f"sizes[{i}]", low=1) for i, s in enumerate(sizes)]
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        limit = (6.0 / (a + b)) ** 0.5
        params.append((limit * (2.0 * gen.random((a, b)) - 1.0)).astype(dtype))
        params.append(xp.zeros(b, dtype=dtype))
    return params


def _check_params(params: Any) -> list[Any]:
    if not isinstance(params, (list, tuple)) or len(params) < 2 or len(params) % 2:
        raise ValueError("params must be a list [W1, b1, W2, b2, ...] of even length >= 2")
    out = []
    for i, p in enumerate(params):
        out.append(check_array(p, f"params[{i}]", ndim=2 if i % 2 == 0 else 1))
    for i in range(0, len(out), 2):
        if out[i + 1].shape[0] != out[i].shape[1]:
            raise ValueError(f"params[{i + 1}] must have {out[i].shape[1]} entries")
        if i and out[i].shape[0] != out[i - 2].shape[1]:
            raise ValueError(f"params[{i}] must have {out[i - 2].shape[1]} rows")
    return out


def _check_xy(X: Any, y: Any, n_in: int, n_out: int) -> tuple[Any, Any]:
    X = check_array(X, "X", ndim=2)
    y = check_array(y, "y", ndim=1)
    if X.shape[1] != n_in:
        raise ValueError(f"X must have {n_in} columns for these weights; got {X.shape[1]}")
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y must have {X.shape[0]} labels to match X; got {y.shape[0]}")
    if y.dtype.kind not in "iu" or int(y.min()) < 0 or int(y.max()) >= n_out:
        raise ValueError(f"y must be integer labels in [0, {n_out})")
    return X, y


def _forward_loss(params: list[Any], X: Any, y: Any) -> float:
    xp = B.xp()
    h = X
    for i in range(0, len(params) - 2, 2):
        h = xp.tanh(h @ params[i] + params[i + 1])
    z = h @ params[-2] + params[-1]
    z = z - z.max(axis=1, keepdims=True)
    logp = z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[xp.arange(len(y)), y].mean())


def mlp_loss(params: Any, X: Any, y: Any) -> float:
    """Mean softmax cross-entropy (nats) of a tanh MLP: one forward pass, no graph."""
    params = _check_params(params)
    X, y = _check_xy(X, y, params[0].shape[0], params[-1].shape[0])
    return _forward_loss(params, X.astype(params[0].dtype, copy=False), y)


def backprop_gradient(params: Any, X: Any, y: Any) -> tuple[list[Any], dict[str, int]]:
    """The loss gradient by one forward and one backward pass through an autodiff graph.

    Returns:
        ``(grads, counts)``: one gradient array per parameter, and
        ``{"forward": 1, "backward": 1}``.
    """
    params = _check_params(params)
    X, y = _check_xy(X, y, params[0].shape[0], params[-1].shape[0])
    ts = [Tensor(p, requires_grad=True) for p in params]
    h = Tensor(X.astype(params[0].dtype, copy=False))
    for i in range(0, len(ts) - 2, 2):
        h = ad.tanh(functional.linear(h, ts[i], ts[i + 1]))
    loss = functional.cross_entropy(functional.linear(h, ts[-2], ts[-1]), y)
    loss.backward()
    return [t.grad for t in ts], {"forward": 1, "backward": 1}


def perturbation_gradient(
    params: Any, X: Any, y: Any, *, eps: float = 1e-5, max_weights: int | None = None
) -> tuple[list[Any], dict[str, int]]:
    """The gradient by nudging one weight at a time: ``(L(w+ε) - L(w-ε)) / 2ε`` per weight.

    The "mutation" method everyone can understand, made exact: two forward
    passes per weight.

    Args:
        params: ``[W1, b1, ...]`` (float64 for accuracy).
        X, y: the data and integer labels.
        eps: the nudge.
        max_weights: if given, only the first ``max_weights`` weights (in the
            order of ``params``, flattened) are nudged; the rest of the
            gradient is left at 0 (for timing large nets).

    Returns:
        ``(grads, counts)`` with ``counts["forward"]`` the number of forward passes.
    """
    params = [p.copy() for p in _check_params(params)]
    X, y = _check_xy(X, y, params[0].shape[0], params[-1].shape[0])
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    total = sum(int(p.size) for p in params)
    limit = total if max_weights is None else check_int(max_weights, "max_weights", low=1)
    X = X.astype(params[0].dtype, copy=False)
    xp = B.xp()
    grads = [xp.zeros_like(p) for p in params]
    n_forward = 0
    done = 0
    for p, g in zip(params, grads, strict=True):
        flat, gflat = p.reshape(-1), g.reshape(-1)
        for k in range(flat.size):
            if done >= limit:
                break
            old = float(flat[k])
            flat[k] = old + eps
            up = _forward_loss(params, X, y)
            flat[k] = old - eps
            down = _forward_loss(params, X, y)
            flat[k] = old
            gflat[k] = (up - down) / (2 * eps)
            n_forward += 2
            done += 1
    return grads, {"forward": n_forward, "backward": 0}


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
    if not isinstance(hidden_sizes, (list, tuple)) or not hidden_sizes:
        raise ValueError("hidden_sizes must be a non-empty list of ints")
    hidden_sizes = [check_int(h, f"hidden_sizes[{i}]", low=1) for i, h in enumerate(hidden_sizes)]
    n_probe = check_int(n_probe, "n_probe", low=1)
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    gen = B.as_generator(rng, "rng")
    n_classes = int(y.max()) + 1
    out: dict[str, list] = {k: [] for k in ("n_weights", "backprop_seconds",
                                            "perturbation_seconds",
                                            "perturbation_forward_passes", "ratio")}  # fmt: skip
    for h in hidden_sizes:
        params = init_mlp([X.shape[1], h, n_classes], gen)
        n_w = sum(int(p.size) for p in params)
        best = float("inf")
        for _ in range(n_repeats):
            t0 = time.perf_counter()
            backprop_gradient(params, X, y)
            best = min(best, time.perf_counter() - t0)
        probe = min(n_probe, n_w)
        t0 = time.perf_counter()
        _, counts = perturbation_gradient(params, X, y, max_weights=probe)
        per_weight = (time.perf_counter() - t0) / probe
        out["n_weights"].append(n_w)
        out["backprop_seconds"].append(best)
        out["perturbation_seconds"].append(per_weight * n_w)
        out["perturbation_forward_passes"].append(2 * n_w)
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
    lr: float = 0.01,
    mutation_scale: float = 0.1,
) -> dict[str, Any]:
    """Forward passes and seconds to reach ``target_loss``: backprop vs random mutation.

    For each hidden width ``h`` the same initial (n_in, h, n_classes) tanh MLP
    is trained two ways on the full batch ``(X, y)``:

    * **backprop**: Adam steps on the exact gradient; each step costs one
      forward and one backward pass.
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
    if not isinstance(hidden_sizes, (list, tuple)) or not hidden_sizes:
        raise ValueError("hidden_sizes must be a non-empty list of ints")
    hidden_sizes = [check_int(h, f"hidden_sizes[{i}]", low=1) for i, h in enumerate(hidden_sizes)]
    target_loss = check_real(target_loss, "target_loss", low=0.0, low_open=True)
    max_forward = check_int(max_forward, "max_forward", low=1)
    lr = check_real(lr, "lr", low=0.0, low_open=True)
    mutation_scale = check_real(mutation_scale, "mutation_scale", low=0.0, low_open=True)
    gen = B.as_generator(rng, "rng")
    n_classes = int(y.max()) + 1
    X, y = _check_xy(X, y, X.shape[1], n_classes)
    keys = ("n_weights", "backprop_forward", "backprop_seconds", "backprop_reached",
            "mutation_forward", "mutation_seconds", "mutation_reached",
            "mutation_final_loss")  # fmt: skip
    out: dict[str, list] = {k: [] for k in keys}
    for h in hidden_sizes:
        start = init_mlp([X.shape[1], h, n_classes], gen)
        n_w = sum(int(p.size) for p in start)
        # backprop
        ts = [Tensor(p.copy(), requires_grad=True) for p in start]
        opt = Adam(ts, learning_rate=lr)
        xt = Tensor(X)
        t0 = time.perf_counter()
        steps, reached = 0, False
        while steps < max_forward:
            loss = functional.cross_entropy(
                functional.linear(ad.tanh(functional.linear(xt, ts[0], ts[1])), ts[2], ts[3]), y
            )
            steps += 1
            if float(loss.data) < target_loss:
                reached = True
                break
            opt.zero_grad()
            loss.backward()
            opt.step()
        out["backprop_seconds"].append(time.perf_counter() - t0)
        out["backprop_forward"].append(steps)
        out["backprop_reached"].append(reached)
        # mutation
        params = [p.copy() for p in start]
        sizes = [int(p.size) for p in params]
        t0 = time.perf_counter()
        current = _forward_loss(params, X, y)
        n_forward, reached = 1, current < target_loss
        # draw the random choices in blocks (fewer calls into the Generator)
        block = 1024
        while not reached and n_forward < max_forward:
            which = (gen.random(block) * n_w).astype("int64")
            noise = mutation_scale * gen.standard_normal(block)
            for k in range(block):
                idx, layer = int(which[k]), 0
                while idx >= sizes[layer]:
                    idx -= sizes[layer]
                    layer += 1
                flat = params[layer].reshape(-1)
                old = float(flat[idx])
                flat[idx] = old + float(noise[k])
                trial = _forward_loss(params, X, y)
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
        out["n_weights"].append(n_w)
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


def train_symmetry(
    n_nets: int, rng: Any, *, n_bits: int = 6, n_hidden: int = 2, n_sweeps: int = 1425,
    lr: float = 0.1, momentum: float = 0.9, init_scale: float = 0.3,
) -> dict[str, Any]:  # fmt: skip
    """Train ``n_nets`` logistic n_bits-n_hidden-1 nets on symmetry detection, the 1986 way.

    Rumelhart, Hinton & Williams's recipe: logistic hidden and output units,
    squared error summed over all 2**n_bits vectors, one weight change per sweep
    with learning rate ε = ``lr`` and momentum α = ``momentum`` (0.1 and 0.9,
    1425 sweeps in the paper). All nets train side by side as batched matrices.

    Returns:
        dict with ``W1`` (n_nets, n_bits, n_hidden), ``b1``, ``W2`` (n_nets, n_hidden, 1),
        ``b2``, ``output`` (n_nets, 2**n_bits) and ``solved`` (n_nets,) bool: every
        output on the right side of 0.5.
    """
    n_nets = check_int(n_nets, "n_nets", low=1)
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=1)
    lr = check_real(lr, "lr", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0, high_open=True)
    init_scale = check_real(init_scale, "init_scale", low=0.0, low_open=True)
    X, y = symmetry_dataset(n_bits)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    n = X.shape[1]
    W1 = Tensor(init_scale * gen.standard_normal((n_nets, n, n_hidden)), requires_grad=True)
    b1 = Tensor(xp.zeros((n_nets, 1, n_hidden)), requires_grad=True)
    W2 = Tensor(init_scale * gen.standard_normal((n_nets, n_hidden, 1)), requires_grad=True)
    b2 = Tensor(xp.zeros((n_nets, 1, 1)), requires_grad=True)
    opt = SGD([W1, b1, W2, b2], learning_rate=lr, momentum=momentum)
    xt = Tensor(X)
    t = y[None, :, None]
    for _ in range(n_sweeps):
        out = ad.sigmoid(ad.sigmoid(xt @ W1 + b1) @ W2 + b2)
        loss = ((out - t) ** 2).sum() * 0.5
        opt.zero_grad()
        loss.backward()
        opt.step()
    with no_grad():
        o = ad.sigmoid(ad.sigmoid(xt @ W1 + b1) @ W2 + b2).data[..., 0]
    solved = ((o > 0.5) == (y[None] > 0)).all(axis=1)
    return {"W1": W1.data, "b1": b1.data, "W2": W2.data, "b2": b2.data,
            "output": o, "solved": solved}  # fmt: skip


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
