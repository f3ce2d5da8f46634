"""How close does core.functional.conv2d come to the GEMM it is built on?

``conv2d`` unrolls image patches into a matrix (im2col) and multiplies it by
the filters: forward is one GEMM of (N*Ho*Wo, C*kh*kw) by (C*kh*kw, F);
backward is two more (for the filters and for the patches) plus the reverse
unrolling (col2im). The roofline we compare with is float32 GEMMs of exactly
those shapes, timed in the same process with the same BLAS: the rate conv2d
would reach if im2col, col2im, the layout changes and Python cost nothing.
A second column compares with one square GEMM of the same flop count (the
machine's near-peak rate), which small convolutions cannot hope to reach.

Shapes: the two convolutions of chapter 18's capsule network, at the training
batch (32) and at an evaluation batch (256).

Run:  .venv/bin/python benchmarks/conv2d_roofline.py  [--threads 1] [--backend cupy]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from hinton_utils.core import backend as B
from hinton_utils.core import functional as F
from hinton_utils.core.autodiff import Tensor

SHAPES = [  # (name, N, C, H, W, F, k)
    ("conv1, batch 32", 32, 1, 10, 10, 16, 3),
    ("primary caps, batch 32", 32, 16, 8, 8, 32, 3),
    ("conv1, batch 256", 256, 1, 10, 10, 16, 3),
    ("primary caps, batch 256", 256, 16, 8, 8, 32, 3),
]


def _sync() -> None:
    cuda = getattr(B.xp(), "cuda", None)
    if cuda is not None:
        cuda.Stream.null.synchronize()


def best_time(fn, repeats: int, setup=None) -> float:
    """Best wall time of ``repeats`` calls of ``fn(setup())`` (after two warm-ups).

    ``setup`` (untimed) builds what each call consumes, e.g. a fresh graph to
    backpropagate through; without it ``fn`` is called with no argument.
    """
    times = []
    for r in range(repeats + 2):
        arg = setup() if setup is not None else None
        _sync()
        t0 = time.perf_counter()
        fn(arg) if setup is not None else fn()
        _sync()
        if r >= 2:
            times.append(time.perf_counter() - t0)
    return min(times)


def measure(n: int, c: int, h: int, w: int, f: int, k: int, repeats: int) -> dict[str, float]:
    xp = B.xp()
    gen = B.as_generator(0, "rng")
    x = Tensor(gen.standard_normal((n, c, h, w)).astype("float32"), requires_grad=True)
    wt = Tensor(gen.standard_normal((f, c, k, k)).astype("float32"), requires_grad=True)
    ho, wo = h - k + 1, w - k + 1
    m, kk = n * ho * wo, c * k * k
    flops_fwd = 2.0 * m * kk * f
    out = F.conv2d(x, wt)
    g = xp.ones(out.shape, dtype="float32")

    def forward() -> None:
        F.conv2d(x, wt)

    def fresh_graph() -> Tensor:
        x.grad = wt.grad = None
        return F.conv2d(x, wt)

    def backward(o: Tensor) -> None:
        o.backward(g)

    A = gen.standard_normal((m, kk)).astype("float32")
    Wm = gen.standard_normal((kk, f)).astype("float32")
    G = gen.standard_normal((m, f)).astype("float32")
    side = max(1, round((flops_fwd / 2.0) ** (1.0 / 3.0)))
    S = gen.standard_normal((side, side)).astype("float32")
    cols_in = xp.ascontiguousarray(x.data.transpose(0, 2, 3, 1))  # conv2d works channels last

    t = {
        "forward": best_time(forward, repeats),
        "backward": best_time(backward, repeats, setup=fresh_graph),
        "gemm_fwd": best_time(lambda: A @ Wm, repeats),
        "gemm_bwd": best_time(lambda: (G.T @ A, G @ Wm.T), repeats),
        "square": best_time(lambda: S @ S, repeats),
        "im2col": best_time(lambda: F._im2col(cols_in, k, k, ho, wo), repeats),
        "col2im": best_time(lambda: F._col2im(A, (n, h, w, c), k, k, ho, wo), repeats),
    }
    t["flops_fwd"] = flops_fwd
    t["square_flops"] = 2.0 * side**3
    return t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="BLAS threads (default: BLAS's)")
    parser.add_argument("--backend", default="numpy", choices=["numpy", "cupy"])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    if args.threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.threads, user_api="blas")
    B.use(args.backend)
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"backend {args.backend}, BLAS threads {args.threads or 'default'}"
    )
    print("rate = flops / time; share = conv2d's rate / the same-shape GEMMs' rate")
    header = (
        f"{'shape':24s} {'pass':8s} {'MFLOP':>7s} {'conv ms':>8s} {'GEMM ms':>8s} "
        f"{'share':>6s} {'GF/s':>6s} {'sq GF/s':>7s}"
    )
    print(header)
    shares = []
    for name, n, c, h, w, f, k in SHAPES:
        t = measure(n, c, h, w, f, k, args.repeats)
        sq_rate = t["square_flops"] / t["square"] / 1e9
        for label, conv, gemm, flops in (
            ("forward", t["forward"], t["gemm_fwd"], t["flops_fwd"]),
            ("backward", t["backward"], t["gemm_bwd"], 2 * t["flops_fwd"]),
        ):
            share = gemm / conv
            shares.append(share)
            print(
                f"{name:24s} {label:8s} {flops / 1e6:7.2f} {conv * 1e3:8.3f} "
                f"{gemm * 1e3:8.3f} {share:6.0%} {flops / conv / 1e9:6.2f} {sq_rate:7.2f}"
            )
        print(f"{'':24s} im2col {t['im2col'] * 1e3:.3f} ms, col2im {t['col2im'] * 1e3:.3f} ms")
    print(f"share of the same-shape GEMM rate: min {min(shares):.0%}, max {max(shares):.0%}")


if __name__ == "__main__":
    main()
