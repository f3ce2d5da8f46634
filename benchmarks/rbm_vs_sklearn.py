"""Train a 784x500 RBM with hinton_utils.rbm and with scikit-learn's BernoulliRBM; compare.

Both sides run the same algorithm, persistent CD with one Gibbs step and one
persistent chain per batch row (scikit-learn's "stochastic maximum likelihood"),
on the same 10,000 binary vectors (MNIST-5k binarised, twice, the second copy
with 2% of its pixels flipped), with the same batch size, learning rate, epochs,
initial weights N(0, 0.01^2), zero biases and no shuffling. Ours runs in float32
with preallocated buffers and in-place updates. scikit-learn is timed twice:
on float32 data (it then keeps float32: the like-for-like comparison) and on
float64 data (what it computes in for float64 or integer input, its usual case).

It prints, for each BLAS thread count, seconds per epoch of each, their ratio
(measured in the same process, alternating), the achieved GFLOP/s of ours
against the roofline of one epoch (10 N V H flops), the measured rate of the
100x784 @ 784x500 float32 GEMM, and the quality each reaches: the exact
pseudo-log-likelihood (every bit) and reconstruction error on 1000 rows.

    .venv/bin/python benchmarks/rbm_vs_sklearn.py --threads 1 2 --epochs 3
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM
from threadpoolctl import threadpool_limits

import hinton_utils as hu
from hinton_utils import rbm


def make_data(seed: int = 0) -> np.ndarray:
    X, _ = hu.data.mnist_5k(binarize=True)
    X = X.astype(np.float32)
    noise = np.random.default_rng(seed).random(X.shape) < 0.02
    return np.ascontiguousarray(np.vstack([X, np.where(noise, 1 - X, X)]).astype(np.float32))


def gemm_rate(batch: int, V: int, H: int, repeats: int = 200) -> float:
    g = np.random.default_rng(0)
    A = g.random((batch, V), dtype=np.float32)
    Bm = g.random((V, H), dtype=np.float32)
    C = np.empty((batch, H), dtype=np.float32)
    np.matmul(A, Bm, out=C)
    best = []
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeats):
            np.matmul(A, Bm, out=C)
        best.append((time.perf_counter() - t) / repeats)
    return 2 * batch * V * H / min(best) / 1e9


def run_ours(X, args, seed):
    model = rbm.RBM(
        args.hidden,
        method="pcd",
        k=1,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        n_epochs=0,
        shuffle=False,
        dtype="float32",
        rng=seed,
    ).fit(X)
    times = []
    for _ in range(args.epochs):
        t = time.perf_counter()
        model._epoch(X)
        times.append(time.perf_counter() - t)
    return model, times


def run_sklearn(X, args, seed):
    times = []
    model = BernoulliRBM(
        n_components=args.hidden,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        n_iter=1,
        random_state=seed,
    )
    # one fit() for the first epoch, then continue the same model epoch by epoch
    t = time.perf_counter()
    model.fit(X)
    times.append(time.perf_counter() - t)
    rs = np.random.RandomState(seed + 1)
    for _ in range(args.epochs - 1):
        t = time.perf_counter()
        for start in range(0, X.shape[0], args.batch_size):
            model._fit(X[start : start + args.batch_size], rs)
        times.append(time.perf_counter() - t)
    return model, times


def quality(W, b, c, X):
    W, b, c = (np.asarray(a, dtype=np.float64) for a in (W, b, c))
    Xd = X.astype(np.float64)
    pll = rbm.pseudo_log_likelihood(Xd, W, b, c)
    P = 1 / (1 + np.exp(-((1 / (1 + np.exp(-(Xd @ W + c)))) @ W.T + b)))
    return pll, float(((Xd - P) ** 2).sum(axis=1).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--eval-rows", type=int, default=1000)
    args = ap.parse_args()
    X = make_data()
    N, V = X.shape
    H = args.hidden
    flops_epoch = 10 * N * V * H
    Xeval = X[:: max(1, N // args.eval_rows)][: args.eval_rows]
    print(
        f"data {X.shape} float32, H={H}, batch {args.batch_size}, lr {args.lr}, "
        f"{args.epochs} epochs, PCD-1; roofline: one epoch = 10 N V H = {flops_epoch:.3g} flop"
    )
    for threads in args.threads:
        with threadpool_limits(limits=threads, user_api="blas"):
            rate = gemm_rate(args.batch_size, V, H)
            ours, t_ours = run_ours(X, args, 0)
            sk, t_sk = run_sklearn(X, args, 0)
            _, t_sk64 = run_sklearn(X.astype(np.float64), args, 0)
            ours2, t_ours2 = run_ours(X, args, 0)  # alternate: ours, theirs, ours
            rate2 = gemm_rate(args.batch_size, V, H)
        e_ours = statistics.median(t_ours[1:] + t_ours2[1:]) if args.epochs > 1 else t_ours[0]
        e_sk = statistics.median(t_sk[1:]) if args.epochs > 1 else t_sk[0]
        e_sk64 = statistics.median(t_sk64[1:]) if args.epochs > 1 else t_sk64[0]
        gemm = max(rate, rate2)
        achieved = flops_epoch / e_ours / 1e9
        q_ours = quality(ours.W_, ours.b_, ours.c_, Xeval)
        q_sk = quality(sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_, Xeval)
        print(f"\n== OPENBLAS threads = {threads}")
        print(f"GEMM {args.batch_size}x{V} @ {V}x{H} float32: {gemm:.1f} GFLOP/s")
        print(
            f"ours    : {e_ours * 1e3:8.1f} ms/epoch  {achieved:6.1f} GFLOP/s "
            f"= {achieved / gemm:.0%} of the GEMM rate"
        )
        print(
            f"sklearn : {e_sk * 1e3:8.1f} ms/epoch  {flops_epoch / e_sk / 1e9:6.1f} GFLOP/s (float32)"
        )
        print(
            f"sklearn : {e_sk64 * 1e3:8.1f} ms/epoch  {flops_epoch / e_sk64 / 1e9:6.1f} GFLOP/s (float64)"
        )
        print(
            f"speed-up (sklearn / ours): {e_sk / e_ours:.2f}x against float32 scikit-learn, "
            f"{e_sk64 / e_ours:.2f}x against float64"
        )
        print(
            f"quality on {len(Xeval)} rows after {args.epochs} epochs: "
            f"PLL ours {q_ours[0]:.1f} vs sklearn {q_sk[0]:.1f} nats; "
            f"recon. error ours {q_ours[1]:.2f} vs sklearn {q_sk[1]:.2f}"
        )


if __name__ == "__main__":
    main()
