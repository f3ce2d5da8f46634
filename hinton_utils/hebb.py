"""Chapter 01: Hebbian learning, Oja's rule, and distributed (holographic) memory.

Three ideas, each a few lines of array code:

* A single linear unit ``y = w·x`` trained by Hebb's rule ``Δw = η y x`` grows
  without bound, at a rate set by the top eigenvalue of the input's
  second-moment matrix; Oja's rule ``Δw = η y (x − y w)`` adds a forgetting
  term and converges to the first principal component.
* Hebb (wake, from data) plus anti-Hebb (sleep, from the model's own samples)
  stops the blow-up: the learning settles when the model's correlations match
  the data's, the idea that returns with the Boltzmann machine (chapter 05).
* An outer-product memory ``W = (1/N) Σ ξ ξᵀ`` stores every pattern in every
  synapse, so cutting synapses at random blurs all memories a little instead of
  deleting some: the property Lashley's lesion experiments and holograms share.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .core import backend as B
from .core import binary
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "HebbAntiHebbResult",
    "growth_rate",
    "hebb_antihebb",
    "lesion",
    "lesion_curve",
    "outer_product_memory",
    "overlap",
    "predicted_growth_rate",
    "recall",
    "second_moment",
    "top_eigenvector",
    "train_single_unit",
]

RULES = ("hebb", "oja")


def second_moment(X: Any) -> Any:
    """The input's second-moment matrix ``C = ⟨x xᵀ⟩`` over the rows of ``X``.

    For zero-mean data this is the covariance; it is the matrix whose top
    eigenvalue sets how fast Hebbian weights grow.
    """
    X = check_array(X, "X", ndim=2, dtype="float64")
    return X.T @ X / X.shape[0]


def top_eigenvector(X: Any) -> tuple[float, Any]:
    """The largest eigenvalue of ``⟨x xᵀ⟩`` and its unit eigenvector (first principal axis)."""
    xp = B.xp()
    values, vectors = xp.linalg.eigh(second_moment(X))
    return float(values[-1]), vectors[:, -1]


def train_single_unit(
    X: Any,
    rule: str,
    learning_rate: float,
    n_epochs: int,
    rng: Any,
    w_init: Any = None,
) -> Any:
    """Train one linear unit ``y = w·x`` online and return its weight trajectory.

    Args:
        X: data, shape (n_samples, n_features); each update uses one row drawn at random.
        rule: ``"hebb"`` (``Δw = η y x``) or ``"oja"`` (``Δw = η y (x − y w)``).
        learning_rate: the learning rate η > 0.
        n_epochs: the length of training: the number of online updates, one row each.
        rng: int seed or Generator; draws the row order (and ``w_init`` if not given).
        w_init: starting weights, shape (n_features,); default a small random vector.

    Returns:
        The weights after every update, shape (n_epochs + 1, n_features), float64.
    """
    xp = B.xp()
    X = check_array(X, "X", ndim=2, dtype="float64")
    rule = check_choice(rule, "rule", RULES)
    eta = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    gen = B.as_generator(rng, "rng")
    d = X.shape[1]
    if w_init is None:
        w = 0.1 * gen.standard_normal(d)
    else:
        w = check_array(w_init, "w_init", shape=(d,), dtype="float64").copy()
    rows = gen.integers(0, X.shape[0], size=n_epochs)
    trajectory = xp.empty((n_epochs + 1, d))
    trajectory[0] = w
    for t in range(n_epochs):
        x = X[rows[t]]
        y = x @ w
        # Oja's extra term −η y² w is a forgetting term proportional to the output.
        w = w + eta * y * (x - y * w) if rule == "oja" else w + eta * y * x
        trajectory[t + 1] = w
    return trajectory


def predicted_growth_rate(X: Any, learning_rate: float) -> float:
    """The rate at which plain Hebb makes ``log‖w‖`` grow per step: ``log(1 + η λ_max)``.

    Averaged over inputs, one Hebb step multiplies ``w`` by ``I + η C``; after a
    few steps ``w`` lines up with C's top eigenvector and its length is
    multiplied by ``1 + η λ_max`` each step (≈ η λ_max for small η).
    """
    eta = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    lam, _ = top_eigenvector(X)
    return float(B.xp().log1p(eta * lam))


def growth_rate(trajectory: Any, burn_in: float = 0.5) -> float:
    """The measured slope of ``log‖w‖`` per step, fitted after the first ``burn_in`` fraction."""
    xp = B.xp()
    trajectory = check_array(trajectory, "trajectory", ndim=2, dtype="float64", min_size=3)
    burn_in = check_real(burn_in, "burn_in", low=0.0, high=1.0, high_open=True)
    start = int(burn_in * trajectory.shape[0])
    if trajectory.shape[0] - start < 2:
        raise ValueError("trajectory must have at least 2 steps after burn_in")
    log_norm = xp.log(xp.linalg.norm(trajectory[start:], axis=1))
    steps = xp.arange(start, trajectory.shape[0], dtype=xp.float64)
    slope = xp.polyfit(steps, log_norm, 1)[0]
    return float(slope)


@dataclass
class HebbAntiHebbResult:
    """What :func:`hebb_antihebb` records at every step (arrays of length n_epochs + 1).

    Attributes:
        distance: ``‖Σ_model − C_data‖_F``, how far the model's correlations are
            from the data's (``inf`` once the model stops being a distribution).
        min_eigenvalue: the smallest eigenvalue of the precision ``A``; the model
            ``p(x) ∝ exp(−½ xᵀ A x)`` exists only while it is positive.
        precision: the final precision matrix ``A``.
    """

    distance: Any
    min_eigenvalue: Any
    precision: Any


def hebb_antihebb(
    X: Any,
    learning_rate: float,
    n_epochs: int,
    rng: Any,
    sleep: bool = True,
    n_dreams: int = 200,
) -> HebbAntiHebbResult:
    """Learn a zero-mean Gaussian ``p(x) ∝ exp(−½ xᵀ A x)`` by Hebb plus anti-Hebb.

    With weights ``W = −A`` the log-likelihood gradient is
    ``ΔW = (η/2) (⟨x xᵀ⟩_data − ⟨x xᵀ⟩_model)``: a Hebbian term from the data
    (wake) and an anti-Hebbian term from the model's own samples (sleep).
    Learning stops when the two correlations agree. With ``sleep=False`` only
    the Hebbian term acts, ``A`` loses positive definiteness, and the model
    blows up (recorded as ``inf`` distance from then on).

    Args:
        X: data, shape (n_samples, n_features).
        learning_rate: learning rate η > 0.
        n_epochs: the length of training: full-batch updates, each from all of ``X``.
        rng: int seed or Generator for the dream samples.
        sleep: include the anti-Hebbian (model) term.
        n_dreams: model samples per step for the sleep statistics.
    """
    xp = B.xp()
    C = second_moment(X)
    eta = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    n_dreams = check_int(n_dreams, "n_dreams", low=1)
    if not isinstance(sleep, bool):
        raise TypeError(f"sleep must be True or False; got {type(sleep).__name__}")
    gen = B.as_generator(rng, "rng")
    d = C.shape[0]
    A = xp.eye(d)
    distance = xp.full(n_epochs + 1, xp.inf)
    min_eig = xp.empty(n_epochs + 1)
    for t in range(n_epochs + 1):
        eigvals, eigvecs = xp.linalg.eigh(A)
        min_eig[t] = eigvals[0]
        if eigvals[0] <= 0:  # no longer a distribution: the weights have run away
            min_eig[t:] = eigvals[0]
            break
        model_cov = (eigvecs / eigvals) @ eigvecs.T
        distance[t] = xp.linalg.norm(model_cov - C)
        if t == n_epochs:
            break
        wake = C
        if sleep:
            # Dreams: samples x = A^{-1/2} z from the model itself.
            z = gen.standard_normal((n_dreams, d))
            dreams = (z / xp.sqrt(eigvals)) @ eigvecs.T
            A = A - 0.5 * eta * (wake - dreams.T @ dreams / n_dreams)
        else:
            A = A - 0.5 * eta * wake
        A = 0.5 * (A + A.T)
    return HebbAntiHebbResult(distance=distance, min_eigenvalue=min_eig, precision=A)


def outer_product_memory(patterns: Any, *, dtype: str = "float64") -> Any:
    """Store ±1 patterns by Hebb's rule: ``W = (1/N) Σ_μ ξ^μ ξ^μᵀ`` with a zero diagonal.

    Args:
        patterns: shape (n_patterns, N), entries -1 or +1.
        dtype: ``"float64"`` (exact) or ``"float32"`` (fast, for big sweeps).

    Returns:
        The symmetric weight matrix, shape (N, N).
    """
    xp = B.xp()
    dtype = check_choice(dtype, "dtype", ("float64", "float32"))
    P = check_array(patterns, "patterns", ndim=2, values="pm1", dtype=dtype)
    W = P.T @ P / P.shape[1]
    xp.fill_diagonal(W, 0.0)
    return W


def recall(W: Any, cue: Any, n_sweeps: int = 10) -> Any:
    """Let the memory clean up ``cue`` by repeated synchronous updates ``s ← sign(W s)``.

    A unit with zero input keeps its state, so a cut-off unit does not flip at
    random. "Zero" allows for rounding: ``W = XᵀX/N`` turns an exact tie into
    about ±1e-17, so inputs within :func:`hinton_utils.core.binary.tie_tolerance`
    of zero count as ties. Each sweep updates every unit at once. Works on one
    cue (N,) or many (n_cues, N).
    """
    W = check_array(W, "W", ndim=2, dtype="float64")
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square; got shape {tuple(W.shape)}")
    S = check_array(cue, "cue", ndim=(1, 2), values="pm1", dtype="float64")
    if S.shape[-1] != W.shape[0]:
        raise ValueError(f"cue must have {W.shape[0]} units in its last axis; got {S.shape[-1]}")
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
    tol = binary.tie_tolerance(W)
    for _ in range(n_sweeps):
        field = S @ W  # W is symmetric, so this is W s for every cue at once
        S = binary.threshold(field, S, tol, units="pm1")
    return S


def overlap(a: Any, b: Any) -> Any:
    """The overlap ``m = (1/N) Σ a_i b_i`` of ±1 patterns: 1 identical, 0 unrelated, -1 opposite.

    Args:
        a, b: ±1 patterns, shape (N,) or (n, N). Two batches must have the same
            number of rows and are compared row by row; one pattern is compared
            with every row of the other.

    Returns:
        A float for two single patterns, else an array of shape (n,).
    """
    a = check_array(a, "a", ndim=(1, 2), values="pm1", dtype="float64")
    b = check_array(b, "b", ndim=(1, 2), values="pm1", dtype="float64")
    if a.shape[-1] != b.shape[-1]:
        raise ValueError(
            f"a and b must have the same number of units; got {a.shape[-1]} and {b.shape[-1]}"
        )
    if a.ndim == 2 and b.ndim == 2 and a.shape[0] != b.shape[0]:
        raise ValueError(f"b must have as many rows as a ({a.shape[0]}); got {b.shape[0]}")
    m = (a * b).mean(axis=-1)
    return float(m) if m.ndim == 0 else m


def lesion(W: Any, fraction: float, rng: Any) -> Any:
    """Cut a random ``fraction`` of the synapses (both directions of each pair) to zero."""
    xp = B.xp()
    W = check_array(W, "W", ndim=2, dtype="float64")
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be square; got shape {tuple(W.shape)}")
    fraction = check_real(fraction, "fraction", low=0.0, high=1.0)
    gen = B.as_generator(rng, "rng")
    keep = gen.random(W.shape) >= fraction
    keep = xp.triu(keep, 1)
    keep = keep | keep.T  # a synapse pair is cut or kept together, so W stays symmetric
    return W * keep


def lesion_curve(
    patterns: Any,
    fractions: Any,
    rng: Any,
    cue_noise: float = 0.1,
    n_sweeps: int = 10,
) -> Any:
    """Mean recall overlap after cutting each fraction of synapses (Lashley's experiment).

    Every pattern is cued with ``cue_noise`` of its bits flipped, recalled by the
    lesioned memory, and compared with the original.

    Returns:
        Mean overlap per fraction, shape (len(fractions),).
    """
    xp = B.xp()
    P = check_array(patterns, "patterns", ndim=2, values="pm1", dtype="float64")
    fractions = check_array(fractions, "fractions", ndim=1, dtype="float64")
    if bool((fractions < 0).any()) or bool((fractions > 1).any()):
        raise ValueError("fractions must lie in [0, 1]")
    cue_noise = check_real(cue_noise, "cue_noise", low=0.0, high=0.5)
    gen = B.as_generator(rng, "rng")
    W = outer_product_memory(P)
    flips = gen.random(P.shape) < cue_noise
    cues = xp.where(flips, -P, P)
    result = xp.empty(fractions.shape[0])
    for i, fraction in enumerate(fractions.tolist()):
        recalled = recall(lesion(W, fraction, gen), cues, n_sweeps)
        result[i] = overlap(recalled, P).mean()
    return result
