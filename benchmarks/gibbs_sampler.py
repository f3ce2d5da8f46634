"""How fast is vectorised Gibbs sampling, next to the matrix products it has to do?

One Gibbs sweep of C chains of an n-unit Boltzmann machine updates the n units
one after another; unit i needs ``S @ W[:, i]`` for all chains, a matrix-vector
product of C x n. Over a sweep that is exactly the arithmetic of one matrix
product ``S @ W`` (C x n times n x n), but done as n separate passes over S,
each also drawing C random numbers and applying a sigmoid. The roofline we
compare with is that one ``S @ W``, done all at once with the same BLAS. The
sweep timed is the book's one Gibbs sweep, ``hinton_utils.core.binary.gibbs_sweep``
(random order, as in the 1985 Boltzmann machine).

Run:  .venv/bin/python benchmarks/gibbs_sampler.py  [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from hinton_utils.core import binary


def best_time(fn, repeats: int = 5) -> float:
    """Best wall time of ``repeats`` calls (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=64)
    parser.add_argument("--chains", type=int, nargs="+", default=[1000, 3000, 10000])
    parser.add_argument("--sweeps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: BLAS's)")
    args = parser.parse_args()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads, user_api="blas")

    n = args.units
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    W = np.triu(A, 1) + np.triu(A, 1).T
    b = rng.standard_normal(n) * 0.1
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"numpy {np.__version__}, BLAS threads {args.threads or 'default'}"
    )
    print(f"n = {n} units, {args.sweeps} sweeps per timing\n")
    header = (
        f"{'dtype':>8} {'chains':>7} {'sweeps/s':>10} {'unit-updates/s':>15} "
        f"{'S@W (ms)':>9} {'sweep (ms)':>11} {'sweep / S@W':>12}"
    )
    print(header)
    print("-" * len(header))
    for dtype in ("float32", "float64"):
        Wd, bd = W.astype(dtype), b.astype(dtype)
        for C in args.chains:
            S = (rng.random((C, n)) < 0.5).astype(dtype)
            gen = np.random.default_rng(1)
            t_sweeps = best_time(
                lambda S=S, gen=gen: binary.gibbs_sweep(
                    W, b, S, gen, n_sweeps=args.sweeps, order="random"
                ),
                3,
            )
            t_sweep = t_sweeps / args.sweeps
            t_mm = best_time(lambda S=S, Wd=Wd, bd=bd: S @ Wd + bd, 20)
            print(
                f"{dtype:>8} {C:>7} {1 / t_sweep:>10.1f} {C * n / t_sweep:>15.3g} "
                f"{1e3 * t_mm:>9.3f} {1e3 * t_sweep:>11.3f} {t_sweep / t_mm:>12.1f}"
            )


if __name__ == "__main__":
    main()
