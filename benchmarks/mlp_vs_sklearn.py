"""Train the same MLP with hinton_utils.core.autodiff and with scikit-learn; compare speed and accuracy.

Both sides get the same data (float32), architecture (one ReLU hidden layer),
Glorot-uniform initialisation, optimiser (Adam or plain SGD), learning rate,
batch size, number of epochs and no L2 penalty. Time per epoch is measured in
the same process, alternating the two libraries over several repeats, and the
ratio of medians is reported (ours / scikit-learn: below 1 means faster).
BLAS is limited to one thread for both (``--threads``): these matrices are
far too small to gain from threads, and on a busy 2-core machine OpenBLAS's
spinning threads made single epochs up to 30x slower at random.

    .venv/bin/python benchmarks/mlp_vs_sklearn.py                  # digits, Adam
    .venv/bin/python benchmarks/mlp_vs_sklearn.py --data mnist_5k --epochs 10
    .venv/bin/python benchmarks/mlp_vs_sklearn.py --solver sgd --lr 0.1
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

import hinton_utils as hu
from hinton_utils.core import nn, optim
from hinton_utils.core.autodiff import Tensor, no_grad


def load(name: str, n_test: int) -> tuple[np.ndarray, ...]:
    X, y = hu.data.digits() if name == "digits" else hu.data.mnist_5k()
    X = X.astype(np.float32)
    return X[:-n_test], y[:-n_test], X[-n_test:], y[-n_test:]


def run_ours(Xtr, ytr, Xte, yte, args, seed):
    net = nn.MLP([Xtr.shape[1], args.hidden, 10], rng=seed, activation="relu", init="xavier")
    if args.solver == "adam":
        opt = optim.Adam(net.parameters(), learning_rate=args.lr)
    else:
        opt = optim.SGD(net.parameters(), learning_rate=args.lr, momentum=args.momentum)
    gen = hu.core.backend.rng(seed + 1)
    start = time.perf_counter()
    for _ in range(args.epochs):
        nn.train_epoch(net, opt, Xtr, ytr, batch_size=args.batch_size, rng=gen)
    elapsed = time.perf_counter() - start
    with no_grad():
        acc = nn.accuracy(net(Tensor(Xte)), yte)
    return elapsed / args.epochs, acc


def run_sklearn(Xtr, ytr, Xte, yte, args, seed):
    extra = (
        {} if args.solver == "adam" else {"momentum": args.momentum, "nesterovs_momentum": False}
    )
    clf = MLPClassifier(
        hidden_layer_sizes=(args.hidden,),
        activation="relu",
        solver=args.solver,
        alpha=0.0,
        batch_size=args.batch_size,
        learning_rate_init=args.lr,
        max_iter=args.epochs,
        shuffle=True,
        tol=0.0,
        n_iter_no_change=args.epochs + 1,
        random_state=seed,
        **extra,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        clf.fit(Xtr, ytr)
        elapsed = time.perf_counter() - start
    return elapsed / args.epochs, clf.score(Xte, yte)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", choices=("digits", "mnist_5k"), default="digits")
    parser.add_argument("--solver", choices=("adam", "sgd"), default="adam")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--momentum", type=float, default=0.9)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads for both sides")
    args = parser.parse_args()

    n_test = 497 if args.data == "digits" else 1000
    Xtr, ytr, Xte, yte = load(args.data, n_test)
    ours_t, theirs_t, ours_acc, theirs_acc = [], [], [], []
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for r in range(args.repeats):  # alternate, so both see the same machine load
            t, a = run_ours(Xtr, ytr, Xte, yte, args, seed=r)
            ours_t.append(t)
            ours_acc.append(a)
            t, a = run_sklearn(Xtr, ytr, Xte, yte, args, seed=r)
            theirs_t.append(t)
            theirs_acc.append(a)
    ours, theirs = statistics.median(ours_t), statistics.median(theirs_t)
    print(
        f"data={args.data} train={len(Xtr)} test={len(Xte)} MLP {Xtr.shape[1]}-{args.hidden}-10 "
        f"relu, {args.solver} lr={args.lr}, batch {args.batch_size}, {args.epochs} epochs, "
        f"{args.repeats} repeats, float32, {args.threads} BLAS thread(s)"
    )
    print(
        f"hinton_utils.core.autodiff: {1e3 * ours:7.2f} ms/epoch  test acc {np.mean(ours_acc):.4f}"
    )
    print(
        f"scikit-learn         : {1e3 * theirs:7.2f} ms/epoch  test acc {np.mean(theirs_acc):.4f}"
    )
    print(f"time ratio ours/sklearn = {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
