"""Chapter 18: capsules and routing by agreement.

A capsule is a small group of neurons that stands for one entity and whose
activity vector holds that entity's properties (its pose). A part-capsule
*votes* for the pose of a whole by multiplying its own pose by a part-whole
transform; if several votes agree, the whole is probably there, because
agreement in many dimensions rarely happens by chance. Routing by agreement
is the iterative clustering that finds which votes agree.

This module has four layers, from the idea to a trained network:

* how rare agreement is: :func:`agreement_probability` (closed form) and
  :func:`agreement_monte_carlo`;
* a face made of parts among clutter: :func:`face_scenes` draws scenes,
  :func:`part_votes` turns parts into votes, :func:`route_to_one` finds one
  face by agreement (against :func:`average_votes`), and :func:`em_route`
  splits the parts between two faces and a clutter background;
* the operations of dynamic routing (Sabour, Frosst & Hinton 2017), built on
  :mod:`hinton_utils.core.autodiff`: :func:`squash`, :func:`capsule_votes`,
  :func:`dynamic_routing`, :func:`margin_loss`;
* two small networks trained through :func:`hinton_utils.core.nn.train`:
  :class:`CapsNet` and a :class:`SmallCNN` of similar size, with the
  images to test them on: :func:`to_canvas`, :func:`shift_images`,
  :func:`rotate_images`, :func:`overlay_pairs`, and :func:`evaluate`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

from .core import autodiff as ad
from .core import backend as B
from .core import functional as F
from .core import nn
from .core.autodiff import Tensor, no_grad
from .core.optim import Adam
from .core.validation import check_array, check_choice, check_int, check_real

__all__ = [
    "FACE_PART_POSES",
    "CapsNet",
    "FaceScenes",
    "SmallCNN",
    "agreement_monte_carlo",
    "agreement_probability",
    "assignment_accuracy",
    "average_votes",
    "capsnet_loss",
    "capsule_lengths",
    "capsule_targets",
    "capsule_votes",
    "class_scores",
    "compare_on_digits",
    "DigitComparison",
    "dynamic_routing",
    "em_route",
    "evaluate",
    "face_scenes",
    "margin_loss",
    "overlay_pairs",
    "part_votes",
    "pose_error",
    "rotate_images",
    "route_to_one",
    "shift_images",
    "squash",
    "to_canvas",
]


# ---------------------------------------------------------------------------
# How rare is agreement?
# ---------------------------------------------------------------------------
def agreement_probability(d: int, tol: float) -> float:
    """P(two independent votes uniform on [-1, 1]^d agree within ``tol`` in every coordinate).

    The difference of two uniforms on [-1, 1] has the triangular density
    ``(2 - |z|) / 4`` on [-2, 2], so one coordinate agrees with probability
    ``p = tol - tol**2 / 4`` (for ``tol <= 2``), and ``d`` independent
    coordinates with probability ``p**d``.

    Args:
        d: the dimension, >= 1.
        tol: the tolerance, in (0, 2].
    """
    d = check_int(d, "d", low=1)
    tol = check_real(tol, "tol", low=0.0, high=2.0, low_open=True)
    return (tol - tol * tol / 4.0) ** d


def agreement_monte_carlo(d: int, tol: float, n_pairs: int, rng: Any) -> tuple[float, float]:
    """Monte-Carlo estimate of :func:`agreement_probability` and its standard error.

    Args:
        d: the dimension, >= 1.
        tol: the tolerance, in (0, 2].
        n_pairs: how many random pairs of votes to draw.
        rng: int seed or Generator.

    Returns:
        ``(fraction of pairs that agree, its binomial standard error)``.
    """
    d = check_int(d, "d", low=1)
    tol = check_real(tol, "tol", low=0.0, high=2.0, low_open=True)
    n_pairs = check_int(n_pairs, "n_pairs", low=1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    hits = 0
    for start in range(0, n_pairs, 200_000):
        m = min(200_000, n_pairs - start)
        a = gen.uniform(-1.0, 1.0, size=(m, d))
        b = gen.uniform(-1.0, 1.0, size=(m, d))
        hits += int(xp.all(xp.abs(a - b) < tol, axis=1).sum())
    p = hits / n_pairs
    return p, math.sqrt(max(p * (1.0 - p), 1.0 / n_pairs) / n_pairs)


# ---------------------------------------------------------------------------
# A face from parts among clutter
# ---------------------------------------------------------------------------
# Each part's pose in the face's frame (x, y, angle, log-scale): the same face as chapter 17,
# with the parts turned a little so that a part's vote depends on its angle.
FACE_PART_POSES: tuple[tuple[float, float, float, float], ...] = (
    (-0.32, 0.3, 0.2, 0.0),  # left eye
    (0.32, 0.3, -0.2, 0.0),  # right eye
    (0.0, -0.02, 1.5708, 0.0),  # nose
    (0.0, -0.42, 0.0, 0.2),  # mouth
)


def _pose_matrices(params: Any) -> Any:
    """Similarity poses (..., 3, 3) from parameters (..., 4) = (x, y, angle, log-scale)."""
    xp = B.xp()
    x, y, a, s = (params[..., k] for k in range(4))
    c, n = xp.exp(s) * xp.cos(a), xp.exp(s) * xp.sin(a)
    M = xp.zeros(params.shape[:-1] + (3, 3))
    M[..., 0, 0], M[..., 0, 1], M[..., 0, 2] = c, -n, x
    M[..., 1, 0], M[..., 1, 1], M[..., 1, 2] = n, c, y
    M[..., 2, 2] = 1.0
    return M


def _pose_coordinates(M: Any) -> Any:
    """Wrap-safe coordinates (x, y, cos a, sin a, log-scale) of similarity poses (..., 3, 3)."""
    xp = B.xp()
    a, b = M[..., 0, 0], M[..., 1, 0]
    scale = xp.sqrt(a * a + b * b)
    return xp.stack([M[..., 0, 2], M[..., 1, 2], a / scale, b / scale, xp.log(scale)], axis=-1)


@dataclass(frozen=True)
class FaceScenes:
    """A batch of scenes, each with faces made of parts and some clutter parts.

    Attributes:
        poses: (n_scenes, n_parts, 3, 3): every part's pose in the image.
        kinds: (n_scenes, n_parts) int: which kind of part (0-3: eyes, nose, mouth).
        owner: (n_scenes, n_parts) int: which face a part belongs to, -1 for clutter.
        faces: (n_scenes, n_faces, 3, 3): the true face poses.
    """

    poses: Any
    kinds: Any
    owner: Any
    faces: Any


def face_scenes(
    n_scenes: int, n_clutter: int, rng: Any, *, n_faces: int = 1, noise: float = 0.05
) -> FaceScenes:
    """Random scenes: ``n_faces`` faces of four parts each, plus ``n_clutter`` stray parts.

    A face's pose has position uniform in [-2, 2]^2, any angle and log-scale in
    [-0.3, 0.3]. Each of its parts sits at ``face @ part_in_face`` with Gaussian
    noise of standard deviation ``noise`` on the part's pose parameters. A clutter
    part has a random kind and a pose drawn like a face's. Parts are shuffled so
    their order says nothing.

    Args:
        n_scenes: how many scenes.
        n_clutter: stray parts per scene, >= 0.
        rng: int seed or Generator.
        n_faces: faces per scene, >= 1.
        noise: pose noise on the true parts, >= 0.
    """
    n_scenes = check_int(n_scenes, "n_scenes", low=1)
    n_clutter = check_int(n_clutter, "n_clutter", low=0)
    n_faces = check_int(n_faces, "n_faces", low=1)
    noise = check_real(noise, "noise", low=0.0)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()

    def random_params(shape: tuple[int, ...]) -> Any:
        p = xp.empty(shape + (4,))
        p[..., :2] = gen.uniform(-2.0, 2.0, size=shape + (2,))
        p[..., 2] = gen.uniform(-math.pi, math.pi, size=shape)
        p[..., 3] = gen.uniform(-0.3, 0.3, size=shape)
        return p

    faces = _pose_matrices(random_params((n_scenes, n_faces)))
    in_face = _pose_matrices(xp.asarray(FACE_PART_POSES))  # (4, 3, 3)
    jitter = noise * gen.standard_normal((n_scenes, n_faces, 4, 4))
    true_parts = faces[:, :, None] @ in_face[None, None] @ _pose_matrices(jitter)
    true_parts = true_parts.reshape(n_scenes, 4 * n_faces, 3, 3)
    clutter = _pose_matrices(random_params((n_scenes, n_clutter)))
    poses = xp.concatenate([true_parts, clutter], axis=1)
    kinds = xp.concatenate(
        [
            xp.tile(xp.arange(4), (n_scenes, n_faces)),
            gen.integers(0, 4, size=(n_scenes, n_clutter)),
        ],
        axis=1,
    )
    owner = xp.concatenate(
        [
            xp.tile(xp.repeat(xp.arange(n_faces), 4), (n_scenes, 1)),
            -xp.ones((n_scenes, n_clutter), dtype=xp.int64),
        ],
        axis=1,
    )
    order = xp.argsort(gen.random((n_scenes, poses.shape[1])), axis=1)
    rows = xp.arange(n_scenes)[:, None]
    return FaceScenes(poses[rows, order], kinds[rows, order], owner[rows, order], faces)


def part_votes(scenes: FaceScenes) -> Any:
    """Each part's vote for the pose of its face: ``M_part @ inv(M_part|face)``.

    Returns:
        (n_scenes, n_parts, 5): the votes in wrap-safe coordinates
        (x, y, cos angle, sin angle, log-scale).
    """
    if not isinstance(scenes, FaceScenes):
        raise TypeError(f"scenes must be a FaceScenes; got {type(scenes).__name__}")
    xp = B.xp()
    inverse = xp.linalg.inv(_pose_matrices(xp.asarray(FACE_PART_POSES)))  # (4, 3, 3)
    return _pose_coordinates(scenes.poses @ inverse[scenes.kinds])


def _check_votes(votes: Any) -> Any:
    v = check_array(votes, "votes", ndim=3, dtype="float64")
    if v.shape[1] < 1:
        raise ValueError("votes must hold at least one vote per scene")
    return v


def average_votes(votes: Any) -> Any:
    """The uniform average of every vote in each scene: what an unrouted network would do.

    Args:
        votes: (n_scenes, n_votes, dim).

    Returns:
        (n_scenes, dim).
    """
    return _check_votes(votes).mean(axis=1)


def _neighbour_counts(votes: Any, radius: float) -> Any:
    d2 = ((votes[:, :, None, :] - votes[:, None, :, :]) ** 2).sum(axis=-1)
    return (d2 < radius * radius).sum(axis=2), d2


def route_to_one(
    votes: Any, *, n_iter: int = 3, radius: float = 0.3, start: str = "neighbours"
) -> tuple[Any, Any]:
    """Routing by agreement for one parent: find the tight cluster of votes.

    Start at the vote with the most other votes within ``radius`` (or, with
    ``start="mean"``, at the average of all votes); then
    ``n_iter`` times, weight every vote by a Gaussian kernel
    ``exp(-|v - centre|^2 / (2 radius^2))`` and move the centre to the weighted
    mean of the votes.

    Args:
        votes: (n_scenes, n_votes, dim).
        n_iter: reweighting iterations, >= 1.
        radius: the kernel's width, > 0.
        start: ``"neighbours"`` or ``"mean"``.

    Returns:
        ``(centre, weights)``: (n_scenes, dim) and (n_scenes, n_votes), each
        row of ``weights`` summing to 1.
    """
    v = _check_votes(votes)
    n_iter = check_int(n_iter, "n_iter", low=1)
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    start = check_choice(start, "start", ("neighbours", "mean"))
    xp = B.xp()
    if start == "mean":
        centre = v.mean(axis=1)
    else:
        counts, _ = _neighbour_counts(v, radius)
        centre = v[xp.arange(v.shape[0]), counts.argmax(axis=1)]
    for _ in range(n_iter):
        d2 = ((v - centre[:, None, :]) ** 2).sum(axis=-1)
        w = xp.exp(-d2 / (2.0 * radius * radius))
        w = w / w.sum(axis=1, keepdims=True)
        centre = (w[:, :, None] * v).sum(axis=1)
    return centre, w


def em_route(
    votes: Any,
    n_parents: int = 2,
    *,
    n_iter: int = 5,
    sigma: float = 0.15,
    background: float = 0.02,
) -> Any:
    """EM-style routing: split votes among ``n_parents`` wholes and a clutter background.

    A simplified form of the EM routing of Hinton, Sabour & Frosst (2018): each
    parent is an isotropic Gaussian of fixed width ``sigma`` over vote space, and
    a uniform background of density ``background`` takes votes nobody explains.
    Parents start at the vote with most neighbours within ``2 sigma``, then at the
    best-supported vote far (> ``4 sigma``) from those already chosen. The E-step
    gives every vote responsibilities over parents and background; the M-step
    moves each parent to the responsibility-weighted mean of the votes.

    Args:
        votes: (n_scenes, n_votes, dim).
        n_parents: how many wholes to look for, >= 1.
        n_iter: EM iterations, >= 1.
        sigma: each parent's width, > 0.
        background: the clutter density, > 0.

    Returns:
        (n_scenes, n_votes, n_parents + 1): each vote's responsibilities; the
        last column is the background. Every row sums to 1.
    """
    v = _check_votes(votes)
    n_parents = check_int(n_parents, "n_parents", low=1)
    n_iter = check_int(n_iter, "n_iter", low=1)
    sigma = check_real(sigma, "sigma", low=0.0, low_open=True)
    background = check_real(background, "background", low=0.0, low_open=True)
    xp = B.xp()
    n, m, dim = v.shape
    counts, d2 = _neighbour_counts(v, 2.0 * sigma)
    counts = counts.astype(xp.float64)
    rows = xp.arange(n)
    centres = []
    for _ in range(n_parents):
        k = counts.argmax(axis=1)
        centres.append(v[rows, k])
        counts = xp.where(d2[rows, k] < (4.0 * sigma) ** 2, -1.0, counts)
    mu = xp.stack(centres, axis=1)  # (n, P, dim)
    norm = (2.0 * math.pi * sigma * sigma) ** (-dim / 2.0)
    for _ in range(n_iter):
        dist = ((v[:, :, None, :] - mu[:, None, :, :]) ** 2).sum(axis=-1)
        lik = norm * xp.exp(-dist / (2.0 * sigma * sigma))
        lik = xp.concatenate([lik, xp.full((n, m, 1), background)], axis=2)
        r = lik / lik.sum(axis=2, keepdims=True)
        weight = r[:, :, :n_parents]
        mass = weight.sum(axis=1)[:, :, None]
        moved = xp.einsum("nmp,nmd->npd", weight, v) / xp.maximum(mass, 1e-300)
        mu = xp.where(mass > 1e-9, moved, mu)
    return r


def assignment_accuracy(responsibilities: Any, owner: Any) -> Any:
    """Per scene, the fraction of parts routed where they belong (face or clutter).

    Each part goes to its most responsible parent (the last column is clutter).
    Parents come in no fixed order, so the best matching of parents to faces
    is used, scene by scene.

    Args:
        responsibilities: (n_scenes, n_parts, n_parents + 1), from :func:`em_route`.
        owner: (n_scenes, n_parts) true owners, -1 for clutter.

    Returns:
        (n_scenes,) accuracies in [0, 1].
    """
    r = check_array(responsibilities, "responsibilities", ndim=3)
    own = check_array(owner, "owner", ndim=2)
    if own.shape != r.shape[:2]:
        raise ValueError(f"owner must have shape {tuple(r.shape[:2])}; got {tuple(own.shape)}")
    xp = B.xp()
    n_parents = r.shape[2] - 1
    if n_parents < 1 or n_parents > 6:
        raise ValueError("responsibilities must have 2 to 7 columns (1 to 6 parents + clutter)")
    choice = r.argmax(axis=2)
    best = xp.zeros(r.shape[0])
    for perm in itertools.permutations(range(n_parents)):
        lookup = xp.asarray(list(perm) + [-1])
        best = xp.maximum(best, (lookup[choice] == own).mean(axis=1))
    return best


def pose_error(estimate: Any, truth: Any) -> Any:
    """Distance between estimated and true face positions, per scene.

    Args:
        estimate: (n_scenes, dim >= 2) with (x, y) first (e.g. routed votes).
        truth: (n_scenes, 3, 3) true face poses.
    """
    est = check_array(estimate, "estimate", ndim=2)
    tru = check_array(truth, "truth", ndim=3)
    if est.shape[1] < 2 or tru.shape[0] != est.shape[0] or tru.shape[1:] != (3, 3):
        raise ValueError("estimate must be (n, >=2) and truth (n, 3, 3) with the same n")
    xp = B.xp()
    return xp.sqrt(((est[:, :2] - tru[:, :2, 2]) ** 2).sum(axis=1))


# ---------------------------------------------------------------------------
# The operations of dynamic routing
# ---------------------------------------------------------------------------
def squash(s: Tensor, axis: int = -1, eps: float = 1e-9) -> Tensor:
    """``v = |s|^2 / (1 + |s|^2) * s / |s|``: keeps the direction, puts the length in [0, 1).

    Args:
        s: a Tensor of capsule vectors along ``axis``.
        axis: the capsule axis.
        eps: added under the square root so that ``s = 0`` has a gradient.
    """
    if not isinstance(s, Tensor):
        raise TypeError(f"s must be a Tensor; got {type(s).__name__}")
    axis = check_int(axis, "axis")
    if not -s.ndim <= axis < s.ndim:
        raise ValueError(f"axis {axis} is out of range for a {s.ndim}-D tensor")
    eps = check_real(eps, "eps", low=0.0, low_open=True)
    n2 = (s * s).sum(axis=axis, keepdims=True)
    return s * (n2 / ((n2 + 1.0) * (n2 + eps) ** 0.5))


def capsule_votes(u: Tensor, W: Tensor) -> Tensor:
    """Every child capsule's vote for every parent: ``u_hat[n, i, j] = W[i, j] @ u[n, i]``.

    One batched matrix product per child (its own transforms, for all parents
    at once), and two more for the gradient.

    Args:
        u: child capsules, (N, I, d_in).
        W: transforms, (I, J, d_out, d_in).

    Returns:
        Votes, (N, I, J, d_out).
    """
    if not isinstance(u, Tensor) or not isinstance(W, Tensor):
        raise TypeError("u and W must be Tensors")
    if u.ndim != 3 or W.ndim != 4 or W.shape[0] != u.shape[1] or W.shape[3] != u.shape[2]:
        raise ValueError(
            f"u must be (N, I, d_in) and W (I, J, d_out, d_in); got {u.shape} and {W.shape}"
        )
    n, i_, d_in = u.shape
    _, j_, d_out, _ = W.shape
    ut = u.data.transpose(1, 0, 2)  # (I, N, d_in)
    Wr = W.data.reshape(i_, j_ * d_out, d_in).transpose(0, 2, 1)  # (I, d_in, J*d_out)
    out = (ut @ Wr).reshape(i_, n, j_, d_out).transpose(1, 0, 2, 3)

    def backward(g: Any) -> None:
        g2 = g.transpose(1, 0, 2, 3).reshape(i_, n, j_ * d_out)
        if W.requires_grad:
            gW = ut.transpose(0, 2, 1) @ g2  # (I, d_in, J*d_out)
            W._accumulate(gW.transpose(0, 2, 1).reshape(W.data.shape))
        if u.requires_grad:
            u._accumulate((g2 @ Wr.transpose(0, 2, 1)).transpose(1, 0, 2))

    return Tensor._make(out, (u, W), backward, "capsule_votes")


def dynamic_routing(u_hat: Tensor, n_iter: int = 3) -> tuple[Tensor, Tensor]:
    """Routing by agreement (Sabour, Frosst & Hinton 2017, Procedure 1).

    With routing logits ``b`` starting at 0, repeat ``n_iter`` times: the
    coupling coefficients ``c = softmax(b)`` over the **parents** (for each
    child they sum to 1); each parent's input ``s_j = Σ_i c_ij u_hat_ij``; its
    output ``v_j = squash(s_j)``; and, except after the last pass, each logit
    grows by the agreement ``u_hat_ij · v_j``. Gradients flow through every
    iteration.

    Args:
        u_hat: votes, (N, I, J, d).
        n_iter: routing iterations, >= 1 (1 means uniform couplings).

    Returns:
        ``(v, c)``: parent capsules (N, J, d) and the final couplings (N, I, J).
    """
    if not isinstance(u_hat, Tensor):
        raise TypeError(f"u_hat must be a Tensor; got {type(u_hat).__name__}")
    if u_hat.ndim != 4:
        raise ValueError(f"u_hat must be 4-D (N, I, J, d); got shape {u_hat.shape}")
    n_iter = check_int(n_iter, "n_iter", low=1)
    n, i_, j_, d = u_hat.shape
    b = Tensor.constant(B.xp().zeros((n, i_, j_), dtype=u_hat.dtype))
    for r in range(n_iter):
        c = F.softmax(b, axis=2)  # over parents: the axis many implementations get wrong
        s = (c.reshape(n, i_, j_, 1) * u_hat).sum(axis=1)
        v = squash(s)
        if r < n_iter - 1:
            b = b + (u_hat * v.reshape(n, 1, j_, d)).sum(axis=3)
    return v, c


def margin_loss(
    lengths: Tensor,
    labels: Any,
    *,
    m_plus: float = 0.9,
    m_minus: float = 0.1,
    lam: float = 0.5,
) -> Tensor:
    """The margin loss, summed over classes and averaged over the batch.

    ``L_k = T_k max(0, m+ - |v_k|)^2 + lam (1 - T_k) max(0, |v_k| - m-)^2``:
    the present classes' capsules should be longer than ``m+``, the absent
    ones shorter than ``m-``.

    Args:
        lengths: (N, K) capsule lengths, a Tensor.
        labels: (N,) integer classes, or (N, K) 0/1 targets (several present).
        m_plus: the margin for present classes.
        m_minus: the margin for absent classes (< m_plus).
        lam: the down-weighting of absent classes, >= 0.
    """
    if not isinstance(lengths, Tensor):
        raise TypeError(f"lengths must be a Tensor; got {type(lengths).__name__}")
    if lengths.ndim != 2:
        raise ValueError(f"lengths must be 2-D (N, K); got shape {lengths.shape}")
    m_plus = check_real(m_plus, "m_plus", low=0.0, high=1.0)
    m_minus = check_real(m_minus, "m_minus", low=0.0, high=1.0)
    if m_minus >= m_plus:
        raise ValueError(f"m_minus must be below m_plus; got {m_minus} and {m_plus}")
    lam = check_real(lam, "lam", low=0.0)
    T = _targets(labels, lengths.shape, lengths.dtype)
    present = ad.relu(m_plus - lengths)
    absent = ad.relu(lengths - m_minus)
    per = present * present * T + absent * absent * ((1.0 - T) * lam)
    return per.sum() * (1.0 / lengths.shape[0])


def _targets(labels: Any, shape: tuple[int, ...], dtype: Any) -> Any:
    xp = B.xp()
    y = check_array(labels, "labels", ndim=(1, 2))
    n, k = shape
    if y.ndim == 1:
        if y.shape[0] != n:
            raise ValueError(f"labels must have {n} entries; got {y.shape[0]}")
        yi = y.astype(xp.int64)
        if bool((yi != y).any()) or int(yi.min()) < 0 or int(yi.max()) >= k:
            raise ValueError(f"labels must be integer classes in [0, {k})")
        T = xp.zeros(shape, dtype=dtype)
        T[xp.arange(n), yi] = 1.0
        return T
    if y.shape != shape or bool(((y != 0) & (y != 1)).any()):
        raise ValueError(f"labels given as targets must be 0/1 of shape {shape}")
    return y.astype(dtype)


# ---------------------------------------------------------------------------
# Two small networks
# ---------------------------------------------------------------------------
def _uniform(gen: Any, shape: tuple[int, ...], fan_in: int) -> Any:
    bound = math.sqrt(6.0 / fan_in)
    return gen.uniform(-bound, bound, size=shape).astype("float32")


class CapsNet(nn.Module):
    """A small dynamic-routing capsule network for ``side`` × ``side`` images.

    conv 3×3 (``n_filters``, ReLU) → primary capsules: conv 3×3 with
    ``n_types × d_primary`` channels, stride 2 (every other position), squashed
    → digit capsules: ``n_classes`` × ``d_digit``, by :func:`dynamic_routing`
    with one transform per (primary capsule, class) → a decoder MLP that
    reconstructs the image from the true class's capsule (other capsules masked).

    ``forward`` maps (N, side²) images to digit capsules (N, n_classes, d_digit);
    their lengths are the class scores.

    Args:
        rng: int seed or Generator for the initial weights.
        side: image side in pixels (>= 7).
        n_filters, n_types, d_primary, d_digit, n_classes: layer sizes.
        n_iter: routing iterations.
        decoder_hidden: hidden units of the reconstruction decoder.
    """

    def __init__(
        self,
        rng: Any,
        *,
        side: int = 10,
        n_filters: int = 16,
        n_types: int = 8,
        d_primary: int = 4,
        d_digit: int = 8,
        n_classes: int = 10,
        n_iter: int = 3,
        decoder_hidden: int = 64,
    ) -> None:
        gen = B.as_generator(rng, "rng")
        self.side = check_int(side, "side", low=7)
        self.n_filters = check_int(n_filters, "n_filters", low=1)
        self.n_types = check_int(n_types, "n_types", low=1)
        self.d_primary = check_int(d_primary, "d_primary", low=1)
        self.d_digit = check_int(d_digit, "d_digit", low=1)
        self.n_classes = check_int(n_classes, "n_classes", low=2)
        self.n_iter = check_int(n_iter, "n_iter", low=1)
        decoder_hidden = check_int(decoder_hidden, "decoder_hidden", low=1)
        xp = B.xp()
        grid = (self.side - 4 + 1) // 2
        self.n_primary = self.n_types * grid * grid
        ch = self.n_types * self.d_primary
        self.conv1_w = nn.Parameter(_uniform(gen, (n_filters, 1, 3, 3), 9))
        self.conv1_b = nn.Parameter(xp.zeros(n_filters, dtype="float32"))
        self.prim_w = nn.Parameter(_uniform(gen, (ch, n_filters, 3, 3), 9 * n_filters))
        self.prim_b = nn.Parameter(xp.zeros(ch, dtype="float32"))
        W = (
            0.5
            * gen.standard_normal((self.n_primary, n_classes, self.d_digit, self.d_primary))
            / math.sqrt(self.d_primary)
        )
        self.route_w = nn.Parameter(W.astype("float32"))
        self.decoder = nn.MLP(
            [n_classes * self.d_digit, decoder_hidden, self.side**2],
            activation="relu",
            rng=gen,
            dtype="float32",
        )

    def primary(self, x: Tensor) -> Tensor:
        """Primary capsules (N, n_primary, d_primary) from flat images (N, side²)."""
        n = x.shape[0]
        img = x.reshape(n, 1, self.side, self.side)
        h = ad.relu(F.conv2d(img, self.conv1_w, self.conv1_b))
        p = F.conv2d(h, self.prim_w, self.prim_b)[:, :, ::2, ::2]
        g = p.shape[2]
        p = p.reshape(n, self.n_types, self.d_primary, g, g).transpose(0, 1, 3, 4, 2)
        return squash(p.reshape(n, self.n_primary, self.d_primary))

    def forward(self, x: Tensor) -> Tensor:
        u_hat = capsule_votes(self.primary(x), self.route_w)
        v, _ = dynamic_routing(u_hat, self.n_iter)
        return v

    def route(self, x: Any, n_iter: int | None = None) -> tuple[Any, Any]:
        """Digit-capsule lengths (N, K) and final couplings (N, n_primary, K) for images ``x``.

        ``n_iter`` overrides the routing iterations the network was built with.
        """
        X = check_array(x, "x", ndim=2)
        n_iter = self.n_iter if n_iter is None else check_int(n_iter, "n_iter", low=1)
        with no_grad():
            u_hat = capsule_votes(self.primary(Tensor(X, dtype="float32")), self.route_w)
            v, c = dynamic_routing(u_hat, n_iter)
        return capsule_lengths(v).data, c.data

    def reconstruct(self, v: Tensor, labels: Any) -> Tensor:
        """Decode images from capsules ``v`` (N, K, d), keeping only the labelled classes'.

        ``labels`` is (N,) integer classes or (N, K) 0/1 targets.
        """
        T = _targets(labels, (v.shape[0], self.n_classes), v.dtype)
        masked = v * T[:, :, None]
        return ad.sigmoid(self.decoder(masked.reshape(v.shape[0], -1)))


def capsule_lengths(v: Tensor) -> Tensor:
    """The length of each capsule (N, K, d) → (N, K), with a small floor for the gradient."""
    if not isinstance(v, Tensor) or v.ndim != 3:
        raise ValueError("v must be a Tensor of capsules with shape (N, K, d)")
    return ((v * v).sum(axis=2) + 1e-9) ** 0.5


def capsule_targets(labels: Any, n_classes: int = 10) -> Any:
    """0/1 targets (N, K) from (N,) labels or (N, 2) pairs of labels."""
    n_classes = check_int(n_classes, "n_classes", low=2)
    y = check_array(labels, "labels", ndim=(1, 2))
    if y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers; got dtype {y.dtype}")
    if int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise ValueError(f"labels must lie in [0, {n_classes})")
    xp = B.xp()
    y2 = y[:, None] if y.ndim == 1 else y
    T = xp.zeros((y2.shape[0], n_classes))
    for col in range(y2.shape[1]):
        T[xp.arange(y2.shape[0]), y2[:, col]] = 1.0
    return T


def capsnet_loss(model: CapsNet, recon_weight: float = 0.0005) -> Any:
    """The loss for :func:`hinton_utils.core.nn.train`: margin loss plus weighted reconstruction.

    The targets ``y`` handed to the loss are rows ``[T_0..T_{K-1}, pixels...]``:
    a 0/1 target per class (one 1 for a digit, two for an overlapping pair; see
    :func:`capsule_targets`) followed by the image, so the reconstruction can be
    compared with the input. The decoder sees only the present classes' capsules.
    The reconstruction term is the summed squared error per image times
    ``recon_weight`` (0.0005 in the paper, for 784 pixels).
    """
    if not isinstance(model, CapsNet):
        raise TypeError(f"model must be a CapsNet; got {type(model).__name__}")
    recon_weight = check_real(recon_weight, "recon_weight", low=0.0)

    k = model.n_classes

    def loss(v: Tensor, y: Any) -> Tensor:
        T = y[:, :k]
        out = margin_loss(capsule_lengths(v), T)
        if recon_weight > 0:
            recon = model.reconstruct(v, T)
            err = F.mse(recon, y[:, k:].astype(recon.dtype), reduction="sum")
            out = out + err * (recon_weight / v.shape[0])
        return out

    return loss


class SmallCNN(nn.Module):
    """The baseline: conv 3×3 → ReLU → conv 3×3 → ReLU → 2×2 subsample → hidden → logits.

    Args:
        rng: int seed or Generator for the initial weights.
        side: image side in pixels.
        n_filters: (first, second) conv layer widths.
        n_hidden: hidden units before the logits.
        n_classes: output classes.
    """

    def __init__(
        self,
        rng: Any,
        *,
        side: int = 10,
        n_filters: tuple[int, int] = (16, 32),
        n_hidden: int = 112,
        n_classes: int = 10,
    ) -> None:
        gen = B.as_generator(rng, "rng")
        self.side = check_int(side, "side", low=5)
        f1, f2 = (check_int(f, "n_filters", low=1) for f in n_filters)
        n_hidden = check_int(n_hidden, "n_hidden", low=1)
        n_classes = check_int(n_classes, "n_classes", low=2)
        xp = B.xp()
        self.conv1_w = nn.Parameter(_uniform(gen, (f1, 1, 3, 3), 9))
        self.conv1_b = nn.Parameter(xp.zeros(f1, dtype="float32"))
        self.conv2_w = nn.Parameter(_uniform(gen, (f2, f1, 3, 3), 9 * f1))
        self.conv2_b = nn.Parameter(xp.zeros(f2, dtype="float32"))
        grid = (self.side - 4 + 1) // 2
        self.head = nn.MLP(
            [f2 * grid * grid, n_hidden, n_classes], activation="relu", rng=gen, dtype="float32"
        )

    def forward(self, x: Tensor) -> Tensor:
        n = x.shape[0]
        img = x.reshape(n, 1, self.side, self.side)
        h = ad.relu(F.conv2d(img, self.conv1_w, self.conv1_b))
        h = ad.relu(F.conv2d(h, self.conv2_w, self.conv2_b))[:, :, ::2, ::2]
        return self.head(h.reshape(n, -1))


def class_scores(model: nn.Module, X: Any, batch_size: int = 256) -> Any:
    """Class scores (N, K): capsule lengths for a :class:`CapsNet`, logits otherwise."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a Module; got {type(model).__name__}")
    X = check_array(X, "X", ndim=2)
    batch_size = check_int(batch_size, "batch_size", low=1)
    xp = B.xp()
    out = []
    model.eval()
    with no_grad(), B.one_blas_thread():
        for start in range(0, X.shape[0], batch_size):
            xb = Tensor(X[start : start + batch_size], dtype="float32")
            z = model(xb)
            out.append(capsule_lengths(z).data if isinstance(model, CapsNet) else z.data)
    model.train()
    return xp.concatenate(out, axis=0)


def evaluate(model: nn.Module, X: Any, labels: Any) -> float:
    """Accuracy. For (N,) labels: the top class is right. For (N, 2) labels (pairs of
    digits): the two top classes are exactly the two labels."""
    y = check_array(labels, "labels", ndim=(1, 2))
    scores = class_scores(model, X)
    if y.shape[0] != scores.shape[0]:
        raise ValueError(f"labels must have {scores.shape[0]} rows; got {y.shape[0]}")
    xp = B.xp()
    if y.ndim == 1:
        return float((scores.argmax(axis=1) == y).mean())
    top2 = xp.sort(xp.argsort(-scores, axis=1)[:, :2], axis=1)
    return float((top2 == xp.sort(y, axis=1)).all(axis=1).mean())


# ---------------------------------------------------------------------------
# Test images: canvas, shifts, rotations, overlapping pairs
# ---------------------------------------------------------------------------
def _check_images(X: Any, side: int) -> Any:
    X = check_array(X, "X", ndim=2, dtype="float64")
    if X.shape[1] != side * side:
        raise ValueError(f"X must have {side * side} columns ({side}x{side} images); got {X.shape}")
    return X


def to_canvas(X: Any, side: int = 8, pad: int = 1) -> Any:
    """Put ``side``×``side`` images in the middle of a canvas ``pad`` pixels wider each way.

    Returns:
        (N, (side + 2 pad)²) flattened images.
    """
    side = check_int(side, "side", low=1)
    pad = check_int(pad, "pad", low=0)
    X = _check_images(X, side)
    xp = B.xp()
    n, big = X.shape[0], side + 2 * pad
    out = xp.zeros((n, big, big))
    out[:, pad : pad + side, pad : pad + side] = X.reshape(n, side, side)
    return out.reshape(n, big * big)


def shift_images(X: Any, side: int, dx: int, dy: int) -> Any:
    """Move every image ``dx`` pixels right and ``dy`` down, filling with zeros."""
    side = check_int(side, "side", low=1)
    dx = check_int(dx, "dx", low=-side, high=side)
    dy = check_int(dy, "dy", low=-side, high=side)
    X = _check_images(X, side)
    xp = B.xp()
    img = X.reshape(-1, side, side)
    out = xp.zeros_like(img)
    src_r = slice(max(0, -dy), side - max(0, dy))
    dst_r = slice(max(0, dy), side - max(0, -dy))
    src_c = slice(max(0, -dx), side - max(0, dx))
    dst_c = slice(max(0, dx), side - max(0, -dx))
    out[:, dst_r, dst_c] = img[:, src_r, src_c]
    return out.reshape(X.shape)


def rotate_images(X: Any, side: int, angle: float) -> Any:
    """Rotate every image by ``angle`` radians about its centre (bilinear, zeros outside)."""
    side = check_int(side, "side", low=1)
    angle = check_real(angle, "angle")
    X = _check_images(X, side)
    xp = B.xp()
    img = X.reshape(-1, side, side)
    c = (side - 1) / 2.0
    r, q = xp.meshgrid(xp.arange(side) - c, xp.arange(side) - c, indexing="ij")
    cos, sin = math.cos(angle), math.sin(angle)
    src_r = cos * r - sin * q + c  # inverse map: where each output pixel comes from
    src_q = sin * r + cos * q + c
    r0, q0 = xp.floor(src_r).astype(xp.int64), xp.floor(src_q).astype(xp.int64)
    out = xp.zeros_like(img)
    for dr in (0, 1):
        for dq in (0, 1):
            rr, qq = r0 + dr, q0 + dq
            w = (1.0 - xp.abs(src_r - rr)) * (1.0 - xp.abs(src_q - qq))
            ok = (rr >= 0) & (rr < side) & (qq >= 0) & (qq < side)
            out += xp.where(ok, w, 0.0) * img[:, xp.clip(rr, 0, side - 1), xp.clip(qq, 0, side - 1)]
    return out.reshape(X.shape)


def overlay_pairs(
    X: Any, labels: Any, side: int, n_pairs: int, rng: Any, *, max_shift: int = 1
) -> tuple[Any, Any]:
    """A small MultiMNIST: pairs of images of different classes, overlaid (pixelwise max).

    Each image of a pair is shifted independently by up to ``max_shift`` pixels
    in each direction before the two are combined.

    Returns:
        ``(images (n_pairs, side²), labels (n_pairs, 2))``.
    """
    side = check_int(side, "side", low=1)
    X = _check_images(X, side)
    y = check_array(labels, "labels", ndim=1)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"labels must have {X.shape[0]} entries; got {y.shape[0]}")
    n_pairs = check_int(n_pairs, "n_pairs", low=1)
    max_shift = check_int(max_shift, "max_shift", low=0, high=side - 1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    a = gen.integers(0, X.shape[0], size=n_pairs)
    b = gen.integers(0, X.shape[0], size=n_pairs)
    same = y[a] == y[b]
    while bool(same.any()):
        b[same] = gen.integers(0, X.shape[0], size=int(same.sum()))
        same = y[a] == y[b]
    shifts = gen.integers(-max_shift, max_shift + 1, size=(n_pairs, 4))
    out = xp.zeros((n_pairs, side * side))
    for k in range(n_pairs):
        ia = shift_images(X[a[k] : a[k] + 1], side, int(shifts[k, 0]), int(shifts[k, 1]))
        ib = shift_images(X[b[k] : b[k] + 1], side, int(shifts[k, 2]), int(shifts[k, 3]))
        out[k] = xp.maximum(ia, ib)[0]
    return out, xp.stack([y[a], y[b]], axis=1)


# ---------------------------------------------------------------------------
# The chapter's comparison, in one call (so the spread over seeds is the same experiment)
# ---------------------------------------------------------------------------
ROTATIONS_DEG = (-30, -15, 15, 30)


@dataclass
class DigitComparison:
    """A :class:`CapsNet` and a :class:`SmallCNN` trained alike, and their test accuracies.

    Attributes:
        capsnet, cnn: the trained networks.
        accuracy: ``{"capsnet": {...}, "cnn": {...}}`` with keys ``"clean"``,
            ``"shifted"`` (the 8 one-pixel shifts), ``"rotated 15"`` (±15°),
            ``"rotated 30"`` (±30°) and ``"pairs"`` (overlapping pairs, both
            digits named by the two top scores).
        X_test, y_test: the held-out digits on their 10×10 canvas.
        pairs_X, pairs_y: the held-out overlapping pairs.
        seconds: training time of each network (process time).
    """

    capsnet: CapsNet
    cnn: SmallCNN
    accuracy: dict[str, dict[str, float]]
    X_test: Any
    y_test: Any
    pairs_X: Any
    pairs_y: Any
    seconds: dict[str, float]


def _test_accuracies(model: nn.Module, X: Any, y: Any, PX: Any, Py: Any) -> dict[str, float]:
    shifts = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    acc = {"clean": evaluate(model, X, y)}
    acc["shifted"] = sum(evaluate(model, shift_images(X, 10, a, b), y) for a, b in shifts) / 8
    for deg in (15, 30):
        acc[f"rotated {deg}"] = (
            sum(evaluate(model, rotate_images(X, 10, math.radians(s * deg)), y) for s in (-1, 1))
            / 2
        )
    acc["pairs"] = evaluate(model, PX, Py)
    return acc


def compare_on_digits(
    rng: Any,
    *,
    n_train: int = 1300,
    n_epochs: int = 15,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    recon_weight: float = 0.0005,
) -> DigitComparison:
    """Train a CapsNet and a CNN of similar size on the same data, and test both.

    The 8×8 digits go on a 10×10 canvas. ``n_train`` of them (a random split)
    are each placed at a random shift of up to one pixel (the paper trained with
    shifts of up to two pixels on 28×28), and as many overlapping pairs are made
    from the same training digits (a small MultiMNIST). Both networks are trained
    on singles and pairs together through :func:`hinton_utils.core.nn.train` with
    Adam: the CapsNet with the margin loss plus reconstruction, the CNN with
    cross-entropy against the targets spread evenly over the digits present.
    The rest of the digits are the test set.
    """
    gen = B.as_generator(rng, "rng")
    n_train = check_int(n_train, "n_train", low=10, high=1700)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    from .data import digits

    xp = B.xp()
    X8, y = digits()
    X8, y = xp.asarray(X8), xp.asarray(y)
    X = to_canvas(X8)
    perm = gen.permutation(y.shape[0])
    tr, te = perm[:n_train], perm[n_train:]
    moves = gen.integers(-1, 2, size=(n_train, 2))
    singles = xp.concatenate(
        [shift_images(X[i : i + 1], 10, int(a), int(b)) for i, (a, b) in zip(tr, moves)]
    )
    PX, Py = overlay_pairs(X[tr], y[tr], 10, n_train, gen)
    X_train = xp.concatenate([singles, PX])
    T_train = xp.concatenate([capsule_targets(y[tr]), capsule_targets(Py)])
    test_PX, test_Py = overlay_pairs(X[te], y[te], 10, te.shape[0], gen)
    seeds = gen.integers(0, 2**31, size=4)
    caps, cnn = CapsNet(int(seeds[0])), SmallCNN(int(seeds[1]))
    seconds = {}
    t0 = _clock()
    nn.train(
        caps,
        Adam(caps.parameters(), learning_rate=learning_rate),
        X_train,
        xp.concatenate([T_train, X_train], axis=1),
        n_epochs=n_epochs,
        batch_size=batch_size,
        rng=int(seeds[2]),
        loss=capsnet_loss(caps, recon_weight),
    )
    seconds["capsnet"] = _clock() - t0
    t0 = _clock()
    nn.train(
        cnn,
        Adam(cnn.parameters(), learning_rate=learning_rate),
        X_train,
        T_train / T_train.sum(axis=1, keepdims=True),
        n_epochs=n_epochs,
        batch_size=batch_size,
        rng=int(seeds[3]),
    )
    seconds["cnn"] = _clock() - t0
    accuracy = {
        "capsnet": _test_accuracies(caps, X[te], y[te], test_PX, test_Py),
        "cnn": _test_accuracies(cnn, X[te], y[te], test_PX, test_Py),
    }
    return DigitComparison(caps, cnn, accuracy, X[te], y[te], test_PX, test_Py, seconds)


def _clock() -> float:
    import time

    return time.process_time()
