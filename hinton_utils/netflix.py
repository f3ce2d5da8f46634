"""Chapter 10: Netflix in miniature: an RBM per user, matrix factorisation, and their blend.

RBMs became useful, Hinton says, in collaborative filtering: they were one of the
ingredients of the blend that won the Netflix Prize. This module rebuilds that
story at toy scale, with like/dislike ratings instead of one-to-five stars:

* :func:`synthetic_ratings`: a ratings matrix drawn from a low-rank "taste"
  model, with most entries missing and some held out for testing;
* :func:`ratings_rbm_predict`: collaborative filtering with RBMs (Salakhutdinov,
  Mnih & Hinton 2007), one RBM per user over the items that user rated, all users
  sharing each item's weights, trained by CD-k with momentum;
* :func:`matrix_factorization_predict`: regularised matrix factorisation by
  alternating least squares, the other half of the winning blends;
* :func:`rmse`, the prize's measure, on the held-out entries.
"""

from __future__ import annotations

import math
from typing import Any

from .core import backend as B
from .core.optim import momentum_step
from .core.special import bernoulli, sigmoid, softplus
from .core.validation import check_array, check_int, check_real

__all__ = ["matrix_factorization_predict", "ratings_rbm_predict", "rmse", "synthetic_ratings"]


def synthetic_ratings(
    n_users: int,
    n_items: int,
    *,
    rank: int = 5,
    observed: float = 0.2,
    test_fraction: float = 0.1,
    scale: float = 2.0,
    rng: Any,
) -> dict[str, Any]:
    """A like/dislike matrix from a low-rank taste model, with most entries missing.

    ``p(like) = sigmoid(scale * u_i . m_j / sqrt(rank) + item_bias_j)`` with
    Gaussian tastes; each rating is a Bernoulli draw. A fraction ``observed`` of
    entries is given for training and a disjoint ``test_fraction`` is held out.

    Args:
        n_users, n_items: the size of the matrix.
        rank: the number of taste dimensions.
        observed: fraction of entries given for training, in (0, 1).
        test_fraction: fraction of entries held out for testing.
        scale: how strongly tastes decide ratings (0: coin flips at the item bias).
        rng: int seed or Generator (advanced when a Generator is passed).

    Returns:
        dict with "R" (n_users, n_items) 0/1 ratings (all of them), "P" the true
        like probabilities, "train" and "test" boolean masks.
    """
    n_users = check_int(n_users, "n_users", low=2)
    n_items = check_int(n_items, "n_items", low=2)
    rank = check_int(rank, "rank", low=1)
    observed = check_real(observed, "observed", low=0, high=1, low_open=True, high_open=True)
    test_fraction = check_real(test_fraction, "test_fraction", low=0, high=1, low_open=True)
    if observed + test_fraction > 1:
        raise ValueError("observed + test_fraction must be <= 1")
    scale = check_real(scale, "scale", low=0)
    gen = B.as_generator(rng, "rng")
    U = gen.standard_normal((n_users, rank))
    M = gen.standard_normal((n_items, rank))
    item_bias = 0.5 * gen.standard_normal(n_items)
    P = sigmoid(scale * (U @ M.T) / math.sqrt(rank) + item_bias)
    R = (gen.random(P.shape) < P).astype("float64")
    u = gen.random(P.shape)
    train = u < observed
    test = (u >= observed) & (u < observed + test_fraction)
    return {"R": R, "P": P, "train": train, "test": test}


def _check_ratings(R: Any, mask: Any) -> tuple[Any, Any]:
    R = check_array(R, "R", ndim=2, dtype="float64", values="binary")
    mask = check_array(mask, "mask", shape=tuple(R.shape))
    if mask.dtype.kind != "b":
        raise TypeError(f"mask must be a boolean array; got dtype {mask.dtype}")
    return R, mask


def rmse(pred: Any, R: Any, mask: Any) -> float:
    """Root-mean-square error of ``pred`` against ``R`` on the entries where ``mask`` is True."""
    xp = B.xp()
    R, mask = _check_ratings(R, mask)
    pred = check_array(pred, "pred", shape=tuple(R.shape), dtype="float64")
    if not bool(mask.any()):
        raise ValueError("mask must select at least one entry")
    err = (pred - R)[mask]
    return float(xp.sqrt((err**2).mean()))


def ratings_rbm_predict(
    R: Any,
    mask: Any,
    *,
    n_hidden: int = 20,
    learning_rate: float = 0.05,
    n_epochs: int = 40,
    batch_size: int = 20,
    n_gibbs: int = 1,
    momentum: float = 0.5,
    weight_decay: float = 1e-3,
    rng: Any,
) -> Any:
    """Collaborative filtering with RBMs (Salakhutdinov, Mnih & Hinton 2007), binary version.

    Every user is an RBM whose visible units are only the items that user rated;
    all users share the weights of each item. Training is CD-``n_gibbs`` with
    the missing visibles left out of every product (masked), and momentum
    (:func:`hinton_utils.core.optim.momentum_step`). The prediction for an
    unrated item is exact: ``p(v_i = 1 | observed)``, from the free-energy
    difference of the user's ratings with item i set to 1 and to 0.

    Args:
        R: 0/1 ratings (n_users, n_items); only entries where ``mask`` is True are read.
        mask: boolean, True where a rating is given for training.
        n_hidden, learning_rate, n_epochs, batch_size, n_gibbs, momentum,
            weight_decay: the training schedule (weight decay on the weights only).
        rng: int seed or Generator (advanced when a Generator is passed).

    Returns:
        (n_users, n_items) predicted like-probabilities.
    """
    xp = B.xp()
    R, mask = _check_ratings(R, mask)
    n_hidden = check_int(n_hidden, "n_hidden", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    n_gibbs = check_int(n_gibbs, "n_gibbs", low=1)
    momentum = check_real(momentum, "momentum", low=0, high=1, high_open=True)
    weight_decay = check_real(weight_decay, "weight_decay", low=0)
    gen = B.as_generator(rng, "rng")
    n_users, n_items = R.shape
    M = mask.astype("float64")
    X = R * M
    counts = M.sum(axis=0)
    p = xp.clip((X.sum(axis=0) + 1) / (counts + 2), 1e-3, 1 - 1e-3)
    W = 0.01 * gen.standard_normal((n_items, n_hidden))
    b = xp.log(p / (1 - p))
    c = xp.zeros(n_hidden)
    velocity = [xp.zeros_like(W), xp.zeros_like(b), xp.zeros_like(c)]
    for _ in range(n_epochs):
        order = xp.argsort(gen.random(n_users))
        for start in range(0, n_users, batch_size):
            idx = order[start : start + batch_size]
            v0, m = X[idx], M[idx]
            h0 = sigmoid(v0 @ W + c)
            h = bernoulli(h0, gen)
            for step in range(n_gibbs):
                vk = bernoulli(sigmoid(h @ W.T + b), gen) * m
                hk = sigmoid(vk @ W + c)
                if step < n_gibbs - 1:
                    h = bernoulli(hk, gen)
            n = v0.shape[0]
            # the loss gradient (minus the CD update); items a user did not rate contribute
            # nothing to their user's gradient
            gW = (vk.T @ hk - v0.T @ h0) / n + weight_decay * W
            gb = (vk - v0).sum(axis=0) / n
            gc = (hk - h0).mean(axis=0)
            for param, grad, vel in zip((W, b, c), (gW, gb, gc), velocity, strict=True):
                momentum_step(param, grad, vel, learning_rate, momentum)
    A = X @ W + c  # (users, H), observed items only
    # log p(v_i=1|obs) - log p(v_i=0|obs) = b_i + sum_j softplus(A_j + W_ij) - softplus(A_j)
    gain = softplus(A[:, None, :] + W[None, :, :]).sum(axis=2) - softplus(A).sum(axis=1)[:, None]
    return sigmoid(b + gain)


def matrix_factorization_predict(
    R: Any,
    mask: Any,
    *,
    rank: int = 5,
    reg: float = 5.0,
    n_epochs: int = 20,
    rng: Any,
) -> Any:
    """Regularised matrix factorisation by alternating least squares, with a global mean.

    Minimises ``sum_{observed} (r_ui - mu - p_u . q_i)^2 + reg (|P|^2 + |Q|^2)``;
    each half-step solves all users' (or items') small ridge problems at once.

    Args:
        R, mask: as in :func:`ratings_rbm_predict`.
        rank: the number of factors per user and per item.
        reg: the ridge penalty.
        n_epochs: alternating sweeps (users, then items).
        rng: int seed or Generator for the initial factors (advanced when a Generator is passed).

    Returns:
        (n_users, n_items) predictions, clipped to [0, 1].
    """
    xp = B.xp()
    R, mask = _check_ratings(R, mask)
    rank = check_int(rank, "rank", low=1)
    reg = check_real(reg, "reg", low=0, low_open=True)
    n_epochs = check_int(n_epochs, "n_epochs", low=1)
    gen = B.as_generator(rng, "rng")
    M = mask.astype("float64")
    mu = float((R * M).sum() / max(M.sum(), 1.0))
    Y = (R - mu) * M
    n_users, n_items = R.shape
    P = 0.1 * gen.standard_normal((n_users, rank))
    Q = 0.1 * gen.standard_normal((n_items, rank))
    eye = reg * xp.eye(rank)

    def solve(F: Any, Mt: Any, Yt: Any) -> Any:
        # rows of Mt/Yt index the factors being solved; F are the fixed factors
        A = xp.einsum("ui,ik,il->ukl", Mt, F, F) + eye
        rhs = Yt @ F
        return xp.linalg.solve(A, rhs[..., None])[..., 0]

    for _ in range(n_epochs):
        P = solve(Q, M, Y)
        Q = solve(P, M.T, Y.T)
    return xp.clip(mu + P @ Q.T, 0.0, 1.0)
