"""Chapter 11: Deep belief nets: greedy stacking of RBMs and the variational bound (Hinton, Osindero & Teh 2006).

A DBN with layers ``v = h0, h1, ..., hL`` is a *hybrid* model: the top two
layers form an RBM (an undirected prior over ``h_{L-1}``), and every layer
below is a sigmoid belief net that generates the layer under it,

    p(h_{l-1} | h_l) = prod_i sigmoid(b_l,i + W_l,i . h_l).

Recognition (inference) uses the same weights the other way up,
``q(h_l | h_{l-1}) = prod_j sigmoid(c_l,j + h_{l-1} . W_l,:j)``: a single
bottom-up pass. Each layer is stored as an RBM parameter triple ``(W, b, c)``
with ``W`` of shape (units below, units above).

For any recognition distribution ``q``,

    log p(v) >= sum_h q(h | v) [log p(v | h) + log p(h)] + H(q(. | v)),

with equality when ``q`` is the true posterior. If the second RBM starts with
``W2 = W1^T, b2 = c1, c2 = b1`` its marginal over ``h1`` is exactly the first
RBM's, ``q`` is the true posterior and the bound equals the old log-likelihood;
training the second RBM on samples of ``q(h1 | v)`` then raises the bound.

What lives here:

* exact bookkeeping for small nets (every hidden layer below the top with at
  most :data:`hinton_utils.core.binary.MAX_ENUMERATED_UNITS` units; memory
  grows as the product of the numbers of states of neighbouring layers):
  :func:`variational_bound`,
  :func:`dbn_log_likelihood`, :func:`transposed_layer`, and
  :func:`bound_curve`, which trains the second layer and records the bound;
* the :class:`DBN` estimator (greedy CD training with :class:`hinton_utils.rbm.RBM`,
  mean-field ``transform``, ``sample`` from the top RBM down, exact ``score``);
* the labels experiment: :func:`softmax_regression` and :func:`fine_tune`
  (:mod:`hinton_utils.core.nn` modules trained by the one loop,
  :func:`hinton_utils.core.nn.train`) and :func:`label_scarcity_experiment`.
"""

from __future__ import annotations

from typing import Any

from . import rbm
from .core import backend as B
from .core import nn, optim
from .core.autodiff import Tensor, no_grad
from .core.binary import MAX_ENUMERATED_UNITS, all_states
from .core.estimator import Estimator, check_rng
from .core.functional import cross_entropy
from .core.special import bernoulli, log_bernoulli, logsumexp, sigmoid
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "DBN",
    "bound_curve",
    "dbn_log_likelihood",
    "fine_tune",
    "label_scarcity_experiment",
    "softmax_regression",
    "softmax_predict",
    "transposed_layer",
    "variational_bound",
]

# ----------------------------------------------------------------------------- helpers


def _log_bernoulli_pairs(X: Any, A: Any) -> Any:
    """``log_bernoulli`` for every pair (row r of states X, row s of logits A): (n_X, n_A)."""
    return log_bernoulli(X[:, None, :], A[None, :, :])


def _layer_seed(gen: Any) -> int:
    """A seed for one RBM of the stack, drawn from the stack's generator (its own stream)."""
    return int(float(gen.random()) * 2**53)


def _check_layers(layers: Any, name: str = "layers") -> list[tuple[Any, Any, Any]]:
    """A list of (W, b, c) float64 triples whose sizes chain (H of one = V of the next)."""
    if not isinstance(layers, (list, tuple)) or len(layers) < 1:
        raise ValueError(f"{name} must be a non-empty list of (W, b, c) triples")
    out = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, (list, tuple)) or len(layer) != 3:
            raise ValueError(f"{name}[{i}] must be a (W, b, c) triple")
        W = check_array(layer[0], f"{name}[{i}] W", ndim=2, dtype="float64")
        V, H = W.shape
        b = check_array(layer[1], f"{name}[{i}] b", shape=(V,), dtype="float64")
        c = check_array(layer[2], f"{name}[{i}] c", shape=(H,), dtype="float64")
        if out and out[-1][0].shape[1] != V:
            raise ValueError(
                f"{name}[{i}] has {V} visible units but {name}[{i - 1}] has "
                f"{out[-1][0].shape[1]} hidden units; the sizes must chain"
            )
        out.append((W, b, c))
    for i, (W, _, _) in enumerate(out[:-1]):
        if W.shape[1] > MAX_ENUMERATED_UNITS:
            raise ValueError(
                f"{name}[{i}] has {W.shape[1]} hidden units; exact bookkeeping enumerates "
                f"every layer below the top RBM and needs <= {MAX_ENUMERATED_UNITS}"
            )
    return out


def _top_log_prior(W: Any, b: Any, c: Any) -> tuple[Any, Any]:
    """All states S of the top RBM's visible layer and log p_top(S) (exact)."""
    S = all_states(W.shape[0])
    return S, -rbm.free_energy(S, W, b, c) - rbm.log_partition(W, b, c)


# ----------------------------------------------------------------------------- exact bookkeeping


def transposed_layer(W: Any, b: Any, c: Any) -> tuple[Any, Any, Any]:
    """The next RBM's initial parameters: ``(W^T, c, b)``.

    With them the new RBM over ``h`` has exactly the marginal ``p(h)`` of the RBM
    ``(W, b, c)``, so the two-layer DBN defines the same ``p(v)`` as the one RBM
    and the variational bound is tight.
    """
    ((W, b, c),) = _check_layers([(W, b, c)], name="layer")  # one layer: any size
    return W.T.copy(), c.copy(), b.copy()


def _bound_terms(X: Any, layers: list[tuple[Any, Any, Any]]) -> Any:
    """Per-row exact variational bound (float64) for validated inputs."""
    xp = B.xp()
    S, B_up = _top_log_prior(*layers[-1])  # bound of the states of the top RBM's visible layer
    # walk down: the bound on log p(s') for every state s' of the layer below
    for W, b, c in reversed(layers[1:-1]):
        Sd = all_states(W.shape[0])
        logq = _log_bernoulli_pairs(S, Sd @ W + c).T  # (n_below, n_above): log q(s | s')
        logp = _log_bernoulli_pairs(Sd, S @ W.T + b)  # (n_below, n_above): log p(s' | s)
        q = xp.exp(logq)
        B_up = (q * (logp + B_up[None, :] - logq)).sum(axis=1)
        S = Sd
    W, b, c = layers[0]
    logq = _log_bernoulli_pairs(S, X @ W + c).T  # (n, n_states)
    logp = _log_bernoulli_pairs(X, S @ W.T + b)
    q = xp.exp(logq)
    return (q * (logp + B_up[None, :] - logq)).sum(axis=1)


def variational_bound(X: Any, layers: Any) -> float:
    """The exact variational lower bound on the mean log p(x) of a DBN, by enumeration.

    Args:
        X: binary data (n, V).
        layers: ``[(W1, b1, c1), ..., (WL, bL, cL)]``, bottom first; the last is
            the top RBM, the others are directed (generative) layers whose
            recognition weights are the same ``W`` and ``c``. Every hidden layer
            below the top RBM must have at most ``MAX_ENUMERATED_UNITS`` units.

    Returns:
        The mean over rows of ``sum_h q(h|x) [log p(x|h) + B(h) - log q(h|x)]``,
        where ``B`` is the exact log prior of the top RBM or, with more layers,
        the same bound applied recursively. With one layer it is the RBM's
        exact log-likelihood.
    """
    layers = _check_layers(layers)
    X = check_array(X, "X", ndim=2, shape=(None, layers[0][0].shape[0]), values="binary")
    X = X.astype("float64")
    if len(layers) == 1:
        return rbm.log_likelihood(X, *layers[0])
    return float(_bound_terms(X, layers).mean())


def dbn_log_likelihood(X: Any, layers: Any) -> float:
    """The exact mean log p(x) of a DBN (``layers`` as in :func:`variational_bound`).

    ``log p(x) = log sum_h p(x | h1) p(h1 | h2) ... p_top(h_{L-1})``, summed over
    every state of every hidden layer below the top RBM.
    """
    layers = _check_layers(layers)
    X = check_array(X, "X", ndim=2, shape=(None, layers[0][0].shape[0]), values="binary")
    X = X.astype("float64")
    if len(layers) == 1:
        return rbm.log_likelihood(X, *layers[0])
    S, L_up = _top_log_prior(*layers[-1])
    for W, b, _ in reversed(layers[1:-1]):
        Sd = all_states(W.shape[0])
        L_up = logsumexp(_log_bernoulli_pairs(Sd, S @ W.T + b) + L_up[None, :], axis=1)
        S = Sd
    W, b, _ = layers[0]
    return float(logsumexp(_log_bernoulli_pairs(X, S @ W.T + b) + L_up[None, :], axis=1).mean())


def bound_curve(
    X: Any,
    first: Any,
    *,
    n_hidden: int,
    method: str = "exact",
    init: str = "transpose",
    learning_rate: float = 0.1,
    n_epochs: int = 200,
    eval_every: int = 10,
    n_samples: int = 20,
    rng: Any,
) -> dict[str, Any]:
    """Train the second RBM of a DBN and record the exact bound and log-likelihood.

    The first layer ``first = (W1, b1, c1)`` is frozen. The second RBM is trained
    on the aggregated posterior ``q(h1) = mean_x q(h1 | x)``:

    * ``method="exact"``: full-batch gradient ascent on ``sum_h1 q(h1) log p2(h1)``
      (exact data and model statistics, by enumeration);
    * ``method="cd"``: CD-1 with :class:`hinton_utils.rbm.RBM`, on ``n_samples``
      binary samples of ``q(h1 | x)`` per data row, redrawn every epoch (the
      greedy recipe of the 2006 paper).

    Args:
        X: binary data (n, V).
        first: the trained first RBM's ``(W1, b1, c1)``.
        n_hidden: units in the second hidden layer; with ``init="transpose"``
            it must equal V.
        init: "transpose" (``W2 = W1^T``, the tight start) or "random".
        learning_rate, n_epochs, eval_every: the training schedule.
        n_samples: samples per row for ``method="cd"``.
        rng: int seed or Generator (advanced when a Generator is passed).

    Returns:
        dict with "epochs", "bound", "log_likelihood" (the DBN's exact mean
        log p(x)), "one_layer" (the first RBM's log-likelihood), "layers" (the
        final two-layer parameters), and "checkpoints" (the second layer's
        parameters at every evaluation).
    """
    xp = B.xp()
    X = check_array(X, "X", ndim=2, dtype="float64", values="binary")
    W1, b1, c1 = _check_layers([first], "first")[0]
    if X.shape[1] != W1.shape[0]:
        raise ValueError(f"X must have {W1.shape[0]} columns to match first; got {X.shape[1]}")
    H1 = W1.shape[1]
    if H1 > MAX_ENUMERATED_UNITS:
        raise ValueError(
            f"first has {H1} hidden units; bound_curve needs <= {MAX_ENUMERATED_UNITS}"
        )
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    method = check_choice(method, "method", ("exact", "cd"))
    init = check_choice(init, "init", ("transpose", "random"))
    learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    eval_every = check_int(eval_every, "eval_every", low=1)
    n_samples = check_int(n_samples, "n_samples", low=1)
    gen = B.as_generator(rng, "rng")
    if init == "transpose":
        if n_hidden != W1.shape[0]:
            raise ValueError(
                f"n_hidden must equal the {W1.shape[0]} visible units for init='transpose'; "
                f"got {n_hidden}"
            )
        W2, b2, c2 = transposed_layer(W1, b1, c1)
    else:
        W2 = 0.01 * gen.standard_normal((H1, n_hidden))
        b2, c2 = xp.zeros(H1), xp.zeros(n_hidden)
    S = all_states(H1)
    q_agg = xp.exp(_log_bernoulli_pairs(S, X @ W1 + c1).T).mean(axis=0)  # q(h1), all 2^H1 states
    Q = sigmoid(X @ W1 + c1)
    one_layer = rbm.log_likelihood(X, W1, b1, c1)
    model = None
    if method == "cd":
        model = rbm.RBM(
            n_hidden,
            method="cd",
            learning_rate=learning_rate,
            batch_size=X.shape[0] * n_samples,
            n_epochs=0,
            dtype="float64",
            rng=_layer_seed(gen),
        )
        model.initialize_from(W2, b2, c2)
    epochs: list[int] = []
    bounds: list[float] = []
    lls: list[float] = []
    checkpoints: list[tuple[Any, Any, Any]] = []

    def record(epoch: int) -> None:
        layers = [(W1, b1, c1), (W2, b2, c2)]
        epochs.append(epoch)
        bounds.append(float(_bound_terms(X, layers).mean()))
        lls.append(dbn_log_likelihood(X, layers))
        checkpoints.append((W2.copy(), b2.copy(), c2.copy()))

    record(0)
    for epoch in range(1, n_epochs + 1):
        if method == "exact":
            dW, db, dc = rbm.exact_gradient(S, W2, b2, c2, weights=q_agg)
            W2 = W2 + learning_rate * dW
            b2 = b2 + learning_rate * db
            c2 = c2 + learning_rate * dc
        else:
            Qs = xp.repeat(Q, n_samples, axis=0)
            H = (gen.random(Qs.shape) < Qs).astype("float64")
            model.partial_fit(H)
            W2, b2, c2 = model.W_, model.b_, model.c_
        if epoch % eval_every == 0 or epoch == n_epochs:
            record(epoch)
    return {
        "epochs": epochs,
        "bound": bounds,
        "log_likelihood": lls,
        "one_layer": one_layer,
        "layers": [(W1, b1, c1), (W2.copy(), b2.copy(), c2.copy())],
        "checkpoints": checkpoints,
        "aggregate_posterior": q_agg,
    }


# ----------------------------------------------------------------------------- the estimator


class DBN(Estimator):
    """A deep belief net trained greedily, one CD-trained RBM at a time.

    Args:
        layer_sizes: hidden-layer widths, bottom first, e.g. ``(128, 64)``.
        n_gibbs, learning_rate, batch_size, n_epochs, momentum, weight_decay:
            passed to each :class:`hinton_utils.rbm.RBM` (method "cd");
            ``n_epochs`` is the number of passes per layer.
        dtype: "float32" (fast) or "float64".
        rng: int seed or Generator. Every :meth:`fit` starts from a fresh
            generator derived from it (a Generator passed here is never advanced);
            each RBM of the stack gets its own seed drawn from that generator.

    Each RBM above the first is trained on *binary samples* of the layer below's
    hidden units, redrawn every epoch (Hinton's "take the hidden states and
    pretend they are an image").

    Attributes (after fitting):
        rbms_: the trained :class:`~hinton_utils.rbm.RBM` objects, bottom first.
        layers_: their parameters ``[(W, b, c), ...]`` in float64; ``weights_`` the W alone.
        n_features_in_: V.
    """

    def __init__(
        self,
        layer_sizes: Any = (128, 64),
        *,
        n_gibbs: int = 1,
        learning_rate: float = 0.05,
        batch_size: int = 10,
        n_epochs: int = 20,
        momentum: float = 0.5,
        weight_decay: float = 0.0,
        dtype: str = "float32",
        rng: Any = 0,
    ) -> None:
        if not isinstance(layer_sizes, (list, tuple)) or len(layer_sizes) < 1:
            raise ValueError(f"layer_sizes must be a non-empty list of widths; got {layer_sizes!r}")
        for width in layer_sizes:
            check_int(width, "layer_sizes", low=1)
        self.layer_sizes = layer_sizes
        self.n_gibbs = check_int(n_gibbs, "n_gibbs", low=1)
        self.learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self.n_epochs = check_int(n_epochs, "n_epochs", low=1)
        self.momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0)
        self.dtype = check_choice(dtype, "dtype", ("float32", "float64"))
        self.rng = check_rng(rng)

    def fit(self, X: Any) -> DBN:
        """Greedy layer-wise training on binary ``X`` (n, V); fitting twice gives the same net."""
        xp = B.xp()
        X = check_array(X, "X", ndim=2, dtype=self.dtype, values="binary")
        gen = self._fit_generator()
        self.n_features_in_ = X.shape[1]
        rbms = []
        P = X  # the layer below, as probabilities (exactly X at the bottom)
        for width in self.layer_sizes:
            model = rbm.RBM(
                int(width),
                method="cd",
                n_gibbs=self.n_gibbs,
                learning_rate=self.learning_rate,
                batch_size=self.batch_size,
                n_epochs=0,
                momentum=self.momentum,
                weight_decay=self.weight_decay,
                init_visible="data",
                dtype=self.dtype,
                rng=_layer_seed(gen),
            )
            model.fit((P > 0.5).astype(self.dtype))  # initialise (visible biases from data)
            n = P.shape[0]
            for _ in range(self.n_epochs):
                data = P if P is X else bernoulli(P, gen)
                data = xp.take(data, xp.argsort(gen.random(n)), axis=0)
                for start in range(0, n, self.batch_size):
                    model.partial_fit(data[start : start + self.batch_size])
            rbms.append(model)
            P = model.transform(P)
        self.rbms_ = rbms
        return self

    @property
    def layers_(self) -> list[tuple[Any, Any, Any]]:
        """The parameters ``[(W, b, c), ...]`` in float64, bottom first."""
        self._check_is_fitted("rbms_")
        return [tuple(a.astype("float64") for a in (m.W_, m.b_, m.c_)) for m in self.rbms_]

    @property
    def weights_(self) -> list[Any]:
        """The weight matrices ``W`` (units below, units above) in float64, bottom first."""
        return [W for W, _, _ in self.layers_]

    def transform(self, X: Any, layer: int | None = None) -> Any:
        """Mean-field bottom-up pass: the probabilities of hidden layer ``layer`` (1-based).

        ``X`` may be binary or probabilities in [0, 1]. Deterministic: each RBM's
        :meth:`~hinton_utils.rbm.RBM.transform` passes probabilities, not samples,
        up. ``layer=None`` gives the top layer.
        """
        self._check_is_fitted("rbms_")
        top = (
            len(self.rbms_)
            if layer is None
            else check_int(layer, "layer", low=1, high=len(self.rbms_))
        )
        P = X
        for m in self.rbms_[:top]:
            P = m.transform(P)
        return P

    def sample(
        self,
        n_samples: int,
        *,
        n_gibbs: int = 1000,
        rng: Any = None,
        probabilities: bool = False,
    ) -> Any:
        """Generate: ``n_gibbs`` Gibbs steps in the top RBM, then one top-down pass.

        Args:
            n_samples: number of samples.
            n_gibbs: Gibbs steps in the top RBM.
            rng: int seed or Generator for the noise (a Generator is advanced).
                ``None``: a fresh generator derived from the constructor's ``rng``
                on every call, so ``sample`` repeats itself as ``fit`` does.
            probabilities: return the bottom layer's p(v | h1) instead of states.

        Returns:
            Binary visible states (n_samples, V), or their probabilities.
            Every layer above the bottom is sampled.
        """
        self._check_is_fitted("rbms_")
        if not isinstance(probabilities, bool):
            raise TypeError(f"probabilities must be a bool; got {type(probabilities).__name__}")
        gen = self._fit_generator() if rng is None else B.as_generator(rng, "rng")
        *below, top = self.rbms_
        if not below:
            return top.sample(n_samples, n_gibbs=n_gibbs, rng=gen, probabilities=probabilities)
        h = top.sample(n_samples, n_gibbs=n_gibbs, rng=gen)
        for m in reversed(below):
            p = sigmoid(h @ m.W_.T + m.b_)
            h = bernoulli(p, gen, "float64")
        return p if probabilities else h

    def score(self, X: Any, kind: str = "bound") -> float:
        """Mean log-likelihood of binary ``X`` in nats, or its variational lower bound.

        Higher is better either way. ``kind="bound"`` (default) is the exact
        variational bound, ``"exact"`` the exact log-likelihood, both by
        enumeration: every hidden layer below the top must have at most
        ``MAX_ENUMERATED_UNITS`` units and the top RBM must be small enough for
        :func:`hinton_utils.rbm.log_partition`.
        """
        self._check_is_fitted("rbms_")
        kind = check_choice(kind, "kind", ("bound", "exact"))
        X = check_array(X, "X", ndim=2, shape=(None, self.n_features_in_), values="binary")
        if kind == "bound":
            return variational_bound(X, self.layers_)
        return dbn_log_likelihood(X, self.layers_)


# ----------------------------------------------------------------------------- labels


def softmax_regression(
    X: Any,
    y: Any,
    *,
    n_classes: int,
    weight_decay: float = 1e-2,
    n_epochs: int = 300,
    learning_rate: float = 0.5,
) -> tuple[Any, Any]:
    """Multinomial logistic regression by full-batch gradient descent (float64).

    A :class:`hinton_utils.core.nn.Linear` layer trained by the one loop,
    :func:`hinton_utils.core.nn.train`, one full batch per epoch, to minimise
    the mean cross-entropy plus ``weight_decay/2 |W|^2`` (the biases are not
    penalised). Returns ``(W, b)``.
    """
    xp = B.xp()
    X = check_array(X, "X", ndim=2, dtype="float64")
    y = check_array(y, "y", shape=(X.shape[0],))
    n_classes = check_int(n_classes, "n_classes", low=2)
    if y.dtype.kind not in "iu" or bool((y < 0).any()) or bool((y >= n_classes).any()):
        raise ValueError(f"y must hold integer labels in [0, {n_classes}); got {y[:5]!r}...")
    weight_decay = check_real(weight_decay, "weight_decay", low=0)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    layer = nn.Linear.from_arrays(xp.zeros((X.shape[1], n_classes)), xp.zeros(n_classes))

    def penalised(logits: Tensor, labels: Any) -> Tensor:
        return cross_entropy(logits, labels) + (0.5 * weight_decay) * (layer.weight**2).sum()

    optimizer = optim.SGD(layer.parameters(), learning_rate=learning_rate)
    # one batch holds every row, so the shuffle (rng) does not change the gradient
    nn.train(
        layer, optimizer, X, y, n_epochs=n_epochs, batch_size=X.shape[0], rng=0, loss=penalised
    )
    return layer.weight.data.copy(), layer.bias.data.copy()


def softmax_predict(X: Any, W: Any, b: Any) -> Any:
    """Class predictions ``argmax(X W + b)``."""
    W = check_array(W, "W", ndim=2, dtype="float64")
    b = check_array(b, "b", shape=(W.shape[1],), dtype="float64")
    X = check_array(X, "X", ndim=2, shape=(None, W.shape[0]), dtype="float64")
    return (X @ W + b).argmax(axis=1)


def fine_tune(
    X: Any,
    y: Any,
    *,
    n_classes: int,
    dbn: DBN | None = None,
    hidden: Any = None,
    n_epochs: int = 100,
    learning_rate: float = 0.002,
    batch_size: int = 10,
    weight_decay: float = 1e-4,
    rng: Any,
) -> nn.Sequential:
    """Backpropagation through the unrolled stack (Adam), with a new softmax layer on top.

    With ``dbn`` the sigmoid network's hidden layers are built from the DBN's
    recognition weights ``W`` and biases ``c`` (:meth:`hinton_utils.core.nn.Linear.from_arrays`);
    without it the same network (widths ``hidden``) starts from a random Xavier
    initialisation. Training is :func:`hinton_utils.core.nn.train`.

    Returns:
        The trained network (float32, sigmoid units, logits out).
    """
    X = check_array(X, "X", ndim=2, dtype="float32")
    y = check_array(y, "y", shape=(X.shape[0],))
    n_classes = check_int(n_classes, "n_classes", low=2)
    if y.dtype.kind not in "iu":
        raise TypeError(f"y must hold integer labels; got dtype {y.dtype}")
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    batch_size = check_int(batch_size, "batch_size", low=1)
    weight_decay = check_real(weight_decay, "weight_decay", low=0)
    gen = B.as_generator(rng, "rng")
    if dbn is not None:
        if not isinstance(dbn, DBN):
            raise TypeError(f"dbn must be a fitted DBN; got {type(dbn).__name__}")
        dbn._check_is_fitted("rbms_")
        if dbn.n_features_in_ != X.shape[1]:
            raise ValueError(f"dbn expects {dbn.n_features_in_} features; X has {X.shape[1]}")
        layers: list[nn.Module] = []
        for m in dbn.rbms_:
            layers += [nn.Linear.from_arrays(m.W_, m.c_), nn.Activation("sigmoid")]
        layers.append(nn.Linear(dbn.rbms_[-1].n_hidden, n_classes, rng=gen))
        net: nn.Sequential = nn.Sequential(*layers)
    else:
        if hidden is None:
            raise ValueError("hidden must give the layer widths when no dbn is passed")
        widths = [check_int(h, "hidden", low=1) for h in hidden]
        net = nn.MLP([X.shape[1], *widths, n_classes], activation="sigmoid", rng=gen)
    opt = optim.Adam(net.parameters(), learning_rate=learning_rate, weight_decay=weight_decay)
    nn.train(net, opt, X, y, n_epochs=n_epochs, batch_size=batch_size, rng=gen)
    return net


def _net_accuracy(net: nn.Module, X: Any, y: Any) -> float:
    net.eval()
    with no_grad():
        return nn.accuracy(net(Tensor.constant(X.astype("float32"))), y)


def label_scarcity_experiment(
    X_train: Any,
    y_train: Any,
    X_test: Any,
    y_test: Any,
    dbn: DBN,
    *,
    n_labels: Any = (20, 50, None),
    n_draws: int = 5,
    fine_tune_epochs: int = 100,
    all_labels_epochs: int = 30,
    rng: Any,
) -> dict[str, dict[Any, list[float]]]:
    """Test accuracy with few and with all labels: raw pixels vs DBN features vs nets.

    For each labelled-set size in ``n_labels`` (``None`` = all of ``X_train``) and
    each of ``n_draws`` random draws (stratified: the same number per class),
    train softmax regression on raw pixels, on layer-1 and on top-layer features
    (the DBN was pre-trained on all of ``X_train`` without labels), and a sigmoid
    net fine-tuned from the DBN and from random weights (``fine_tune_epochs``
    epochs with few labels, ``all_labels_epochs`` with all of them; the full
    set gets a single draw).

    Returns:
        ``{method: {n_labels: [accuracy per draw]}}`` with methods "raw",
        "RBM-1", "RBM-2" (the top layer), "fine-tuned DBN", "random-init net".
    """
    xp = B.xp()
    X_train = check_array(X_train, "X_train", ndim=2, dtype="float64")
    y_train = check_array(y_train, "y_train", shape=(X_train.shape[0],))
    X_test = check_array(X_test, "X_test", ndim=2, shape=(None, X_train.shape[1]), dtype="float64")
    y_test = check_array(y_test, "y_test", shape=(X_test.shape[0],))
    if not isinstance(dbn, DBN):
        raise TypeError(f"dbn must be a fitted DBN; got {type(dbn).__name__}")
    n_draws = check_int(n_draws, "n_draws", low=1)
    fine_tune_epochs = check_int(fine_tune_epochs, "fine_tune_epochs", low=1)
    all_labels_epochs = check_int(all_labels_epochs, "all_labels_epochs", low=1)
    gen = B.as_generator(rng, "rng")
    classes = sorted(set(int(v) for v in B.asnumpy(y_train).tolist()))
    K = len(classes)
    sizes = []
    for s in n_labels:
        sizes.append(None if s is None else check_int(s, "n_labels", low=K))
    feats_train = {
        "raw": X_train,
        "RBM-1": dbn.transform(X_train, 1).astype("float64"),
        "RBM-2": dbn.transform(X_train).astype("float64"),
    }
    feats_test = {
        "raw": X_test,
        "RBM-1": dbn.transform(X_test, 1).astype("float64"),
        "RBM-2": dbn.transform(X_test).astype("float64"),
    }
    methods = [*feats_train, "fine-tuned DBN", "random-init net"]
    results: dict[str, dict[Any, list[float]]] = {m: {s: [] for s in sizes} for m in methods}
    widths = [m.n_hidden for m in dbn.rbms_]
    for size in sizes:
        for _ in range(n_draws if size is not None else 1):
            if size is None:
                idx = xp.arange(X_train.shape[0])
            else:
                per = size // K
                idx = xp.concatenate(
                    [
                        xp.nonzero(y_train == k)[0][
                            xp.argsort(gen.random(int((y_train == k).sum())))[:per]
                        ]
                        for k in classes
                    ]
                )
            for name in feats_train:
                W, b = softmax_regression(
                    feats_train[name][idx],
                    y_train[idx],
                    n_classes=K,
                    weight_decay=1e-3 if size is None else 1e-2,
                    n_epochs=1000 if size is None else 300,
                )
                acc = float((softmax_predict(feats_test[name], W, b) == y_test).mean())
                results[name][size].append(acc)
            ep = fine_tune_epochs if size is not None else all_labels_epochs
            for name, kw in (
                ("fine-tuned DBN", {"dbn": dbn}),
                ("random-init net", {"hidden": widths}),
            ):
                net = fine_tune(X_train[idx], y_train[idx], n_classes=K, n_epochs=ep, rng=gen, **kw)
                results[name][size].append(_net_accuracy(net, X_test, y_test))
    return results
