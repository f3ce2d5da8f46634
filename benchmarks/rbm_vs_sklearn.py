"""Train a 784x500 RBM with hinton_utils.rbm and with scikit-learn's BernoulliRBM; compare.

Both sides run the same algorithm, persistent CD with one Gibbs step and one
persistent chain per batch row (scikit-learn's "stochastic maximum likelihood"),
on the same 10,000 binary vectors (MNIST-5k binarised, twice, the second copy
with 2% of its pixels flipped), with the same batch size, learning rate, epochs,
initial weights N(0, 0.01^2), zero biases and no shuffling. Ours runs in float32
with preallocated buffers and in-place updates. scikit-learn is timed twice:
on float32 data (it then keeps float32: the like-for-like comparison) and on
float64 data (what it computes in for float64 or integer input, its usual case).

All three start from the same weights. The machine is shared and noisy, so
training runs in rounds of a few batches: in each round every contender trains
on the same batches and a reference does the same flops as 100x784 @ 784x500
float32 GEMMs (one epoch is 10 N V H flops: the roofline), back to back. It
prints, for each BLAS thread count, the median over rounds of each ratio (ours
against scikit-learn in float32 and float64, and against the GEMM reference:
the fraction of the roofline we reach), milliseconds per epoch, and the quality
each side reaches: the exact pseudo-log-likelihood (every bit) and the
reconstruction error on 1000 rows. ``--quality-seeds K`` adds the mean and
standard deviation of those over K seeds, to tell a real gap from noise.

    .venv/bin/python benchmarks/rbm_vs_sklearn.py --threads 2 1 --epochs 3 --quality-seeds 8
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.neural_network import BernoulliRBM
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits

import hinton_utils as hu
from hinton_utils import rbm


def make_data(seed: int = 0) -> np.ndarray:
    X, _ = hu.data.mnist_5k(binarize=True)
    X = X.astype(np.float32)
    noise = np.random.default_rng(seed).random(X.shape) < 0.02
    return np.ascontiguousarray(np.vstack([X, np.where(noise, 1 - X, X)]).astype(np.float32))


def gemm_block(batch: int, V: int, H: int, n_products: int):
    """A callable doing ``n_products`` of the (batch, V) @ (V, H) float32 GEMM: the roofline."""
    g = np.random.default_rng(0)
    A = g.random((batch, V), dtype=np.float32)
    Bm = g.random((V, H), dtype=np.float32)
    C = np.empty((batch, H), dtype=np.float32)

    def run() -> None:
        for _ in range(n_products):
            np.matmul(A, Bm, out=C)

    return run


def make_ours(X, args, seed):
    model = rbm.RBM(
        args.hidden,
        method="pcd",
        n_gibbs=1,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        n_epochs=0,
        shuffle=False,
        dtype="float32",
        rng=seed,
    ).fit(X)  # n_epochs=0: validate and initialise only
    return model, model._update


def make_sklearn(X, args, seed, W0):
    """A BernoulliRBM started from the same weights as ours, trained batch by batch.

    ``fit`` would do exactly this loop (plus input checks) after its own
    initialisation; calling ``_fit`` per batch lets us time it in blocks.
    """
    model = BernoulliRBM(
        n_components=args.hidden,
        learning_rate=args.lr,
        batch_size=args.batch_size,
        random_state=seed,
    )
    model.components_ = np.array(W0.T, dtype=X.dtype)
    model.intercept_hidden_ = np.zeros(args.hidden, dtype=X.dtype)
    model.intercept_visible_ = np.zeros(X.shape[1], dtype=X.dtype)
    model.h_samples_ = np.zeros((args.batch_size, args.hidden), dtype=X.dtype)
    rs = check_random_state(seed)
    return model, lambda batch: model._fit(batch, rs)


def quality(W, b, c, X):
    W, b, c = (np.asarray(a, dtype=np.float64) for a in (W, b, c))
    Xd = X.astype(np.float64)
    pll = rbm.pseudo_log_likelihood(Xd, W, b, c)
    P = 1 / (1 + np.exp(-((1 / (1 + np.exp(-(Xd @ W + c)))) @ W.T + b)))
    return pll, float(((Xd - P) ** 2).sum(axis=1).mean())


def race(X, args, seed):
    """Train ours, sklearn float32 and sklearn float64 side by side; time each block.

    One round = the same ``block`` batches for each contender, then the GEMM
    reference doing the same flops, back to back, so that the machine's state
    (other tenants, clock) is nearly the same for the four timings that form
    one round's ratios.
    """
    ours, step_ours = make_ours(X, args, seed)
    W0 = np.asarray(ours.W_)
    sk32, step_sk32 = make_sklearn(X, args, seed, W0)
    X64 = X.astype(np.float64)
    sk64, step_sk64 = make_sklearn(X64, args, seed, W0)
    N, V = X.shape
    bs = args.batch_size
    reference = gemm_block(bs, V, args.hidden, 5 * args.block)  # 10 N V H = 5 GEMMs a batch
    contenders = {
        "ours": (step_ours, X),
        "sk32": (step_sk32, X),
        "sk64": (step_sk64, X64),
    }
    times = {name: [] for name in (*contenders, "gemm")}
    starts = list(range(0, N, bs))
    for _ in range(args.epochs):
        for first in range(0, len(starts), args.block):
            block = starts[first : first + args.block]
            for name, (step, data) in contenders.items():
                t = time.perf_counter()
                for start in block:
                    step(data[start : start + bs])
                times[name].append(time.perf_counter() - t)
            t = time.perf_counter()
            reference()
            times["gemm"].append((time.perf_counter() - t) * len(block) / args.block)
    return (ours, sk32, sk64), {k: np.array(v) for k, v in times.items()}


def quality_over_seeds(X, args, Xeval, seeds):
    """Mean and s.d. of PLL and reconstruction error over seeds: is the gap only noise?"""
    scores = {"ours": [], "sklearn f32": [], "sklearn f64": []}
    X64 = X.astype(np.float64)
    bs = args.batch_size
    for seed in seeds:
        ours, step_ours = make_ours(X, args, seed)
        W0 = np.asarray(ours.W_)
        sk32, step_sk32 = make_sklearn(X, args, seed, W0)
        sk64, step_sk64 = make_sklearn(X64, args, seed, W0)
        for _ in range(args.epochs):
            for start in range(0, X.shape[0], bs):
                step_ours(X[start : start + bs])
                step_sk32(X[start : start + bs])
                step_sk64(X64[start : start + bs])
        for name, params in zip(scores, _params((ours, sk32, sk64))):
            scores[name].append(quality(*params, Xeval))
    return {name: np.array(v) for name, v in scores.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, nargs="+", default=[2, 1])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--hidden", type=int, default=500)
    ap.add_argument("--batch-size", type=int, default=100)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--block", type=int, default=10, help="batches per timed block")
    ap.add_argument("--eval-rows", type=int, default=1000)
    ap.add_argument(
        "--quality-seeds",
        type=int,
        default=0,
        help="also train this many seeds of each (untimed) and report quality mean and s.d.",
    )
    args = ap.parse_args()
    X = make_data()
    N, V = X.shape
    H = args.hidden
    flops_epoch = 10 * N * V * H
    blocks_per_epoch = -(-N // args.batch_size) / args.block
    Xeval = X[:: max(1, N // args.eval_rows)][: args.eval_rows]
    print(
        f"data {X.shape} float32, H={H}, batch {args.batch_size}, lr {args.lr}, "
        f"{args.epochs} epochs, PCD-1, same initial weights on every side; "
        f"one epoch = 10 N V H = {flops_epoch:.3g} flop; "
        f"rounds of {args.block} batches, medians over rounds"
    )
    for threads in args.threads:
        with threadpool_limits(limits=threads, user_api="blas"):
            models, t = race(X, args, seed=0)
        skip = int(blocks_per_epoch) // 2  # the first half epoch warms caches and pools
        t = {k: v[skip:] for k, v in t.items()}
        med = {k: float(np.median(v)) * blocks_per_epoch for k, v in t.items()}
        roofline = float(np.median(t["gemm"] / t["ours"]))
        vs32 = float(np.median(t["sk32"] / t["ours"]))
        vs64 = float(np.median(t["sk64"] / t["ours"]))
        q = [quality(*params, Xeval) for params in _params(models)]
        print(f"\n== BLAS threads = {threads} ({len(t['ours'])} rounds)")
        print(
            f"GEMM {args.batch_size}x{V} @ {V}x{H} float32: "
            f"{flops_epoch / med['gemm'] / 1e9:.1f} GFLOP/s (roofline epoch {med['gemm'] * 1e3:.0f} ms)"
        )
        for name, label in (
            ("ours", "ours        "),
            ("sk32", "sklearn f32 "),
            ("sk64", "sklearn f64 "),
        ):
            print(
                f"{label}: {med[name] * 1e3:7.1f} ms/epoch  "
                f"{flops_epoch / med[name] / 1e9:6.1f} GFLOP/s"
            )
        lo, hi = np.percentile(t["sk64"] / t["ours"], [25, 75])
        print(
            f"ours at {roofline:.0%} of the GEMM rate; faster than scikit-learn by "
            f"{vs32:.2f}x (float32) and {vs64:.2f}x (float64, quartiles {lo:.2f}-{hi:.2f})"
        )
        print(
            f"quality on {len(Xeval)} rows after {args.epochs} epochs (PLL nats / recon. error): "
            + ", ".join(
                f"{name} {pll:.1f} / {err:.2f}"
                for name, (pll, err) in zip(("ours", "sklearn f32", "sklearn f64"), q)
            )
        )

    if args.quality_seeds:
        scores = quality_over_seeds(X, args, Xeval, range(args.quality_seeds))
        print(f"\n== quality over {args.quality_seeds} seeds, {args.epochs} epochs (mean ± s.d.)")
        for name, v in scores.items():
            m, sd = v.mean(axis=0), v.std(axis=0, ddof=1)
            print(
                f"{name:12s}: PLL {m[0]:.2f} ± {sd[0]:.2f} nats, recon. error {m[1]:.2f} ± {sd[1]:.2f}"
            )


def _params(models):
    ours, sk32, sk64 = models
    yield ours.W_, ours.b_, ours.c_
    for sk in (sk32, sk64):
        yield sk.components_.T, sk.intercept_visible_, sk.intercept_hidden_


if __name__ == "__main__":
    main()
