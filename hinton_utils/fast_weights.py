"""Chapter 02: Fast weights: a decaying Hebbian memory on a second, faster time scale.

Ordinary ("slow") weights change slowly and hold long-term knowledge; neuron
activities change fast and hold the present. Fast weights sit in between: they
change quickly with each experience and decay quickly, so they can hold the
recent past. The memory is a matrix ``A`` written with a decaying outer-product
(Hebbian) rule and read by a matrix-vector product::

    A <- decay * A + eta * v k^T       (write value v under key k)
    v_hat = A q                        (read with query q)

Unrolled, ``A_T q = eta * sum_t decay**(T-t) (k_t . q) v_t``: a read is a
recency-weighted, similarity-weighted sum of the stored values, which is
(unnormalised, linear) attention to the recent past (Ba et al. 2016). The fast
learning rate eta is every function's ``learning_rate`` argument.

Hinton's 1973 use of fast weights was *true recursion*: a recursive call re-uses
the same hidden units, and on return the caller's state is restored from the fast
weights. :func:`run_recursion` implements that for nested arithmetic expressions.
"""

from __future__ import annotations

from typing import Any

from .core import backend as B
from .core.validation import check_array, check_int, check_real

__all__ = [
    "OPS",
    "accumulate",
    "batching_cost",
    "evaluate_reference",
    "random_codebook",
    "random_expressions",
    "read",
    "recency_profile",
    "retrieval_accuracy",
    "run_recursion",
    "write",
]

OPS = ("+", "-", "*")  # the operators of run_recursion's expressions, all mod 10


def _check_decay(decay: Any) -> float:
    return check_real(decay, "decay", low=0.0, high=1.0, low_open=True)


def _check_learning_rate(learning_rate: Any) -> float:
    return check_real(learning_rate, "learning_rate", low=0.0, low_open=True)


def random_codebook(n_items: int, dim: int, rng: Any) -> Any:
    """``n_items`` random codes of length ``dim`` with entries ±1/sqrt(dim) (unit length).

    Returns:
        A float64 array of shape (n_items, dim); row ``i`` codes item ``i``.
    """
    n_items = check_int(n_items, "n_items", low=1)
    dim = check_int(dim, "dim", low=1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    signs = xp.where(gen.random((n_items, dim)) < 0.5, 1.0, -1.0)
    return signs / dim**0.5


def write(A: Any, keys: Any, values: Any, *, decay: float, learning_rate: float = 1.0) -> Any:
    """One fast-weight update ``A <- decay * A + eta * v k^T``, for one memory or a batch.

    Args:
        A: the memory, shape (d_v, d_k), or a batch (B, d_v, d_k): one matrix per sequence.
        keys: shape (d_k,) or (B, d_k).
        values: shape (d_v,) or (B, d_v).
        decay: the fraction of the memory kept per write, in (0, 1].
        learning_rate: the fast learning rate eta > 0.

    Returns:
        The new memory (a new array; ``A`` is not modified).
    """
    A = check_array(A, "A", ndim=(2, 3), dtype="float64")
    k = check_array(keys, "keys", ndim=A.ndim - 1, dtype="float64")
    v = check_array(values, "values", ndim=A.ndim - 1, dtype="float64")
    decay, eta = _check_decay(decay), _check_learning_rate(learning_rate)
    if k.shape[-1] != A.shape[-1] or k.shape[:-1] != A.shape[:-2]:
        raise ValueError(f"keys must have shape {A.shape[:-2] + A.shape[-1:]}; got {k.shape}")
    if v.shape[-1] != A.shape[-2] or v.shape[:-1] != A.shape[:-2]:
        raise ValueError(f"values must have shape {A.shape[:-1]}; got {v.shape}")
    return decay * A + eta * v[..., :, None] * k[..., None, :]


def accumulate(keys: Any, values: Any, *, decay: float, learning_rate: float = 1.0) -> Any:
    """The memory after writing a whole sequence of pairs, in closed form.

    ``A_T = eta * sum_t decay**(T-1-t) v_t k_t^T`` for t = 0..T-1, which equals
    ``T`` successive calls of :func:`write` starting from zero.

    Args:
        keys: shape (T, d_k), or (B, T, d_k) for B sequences.
        values: shape (T, d_v), or (B, T, d_v).
        decay: in (0, 1].
        learning_rate: the fast learning rate eta > 0.

    Returns:
        Shape (d_v, d_k), or (B, d_v, d_k).
    """
    k = check_array(keys, "keys", ndim=(2, 3), dtype="float64")
    v = check_array(values, "values", ndim=k.ndim, dtype="float64")
    if v.shape[:-1] != k.shape[:-1]:
        raise ValueError(f"values must have {k.shape[:-1]} leading dims like keys; got {v.shape}")
    decay, eta = _check_decay(decay), _check_learning_rate(learning_rate)
    xp = B.xp()
    T = k.shape[-2]
    weights = eta * decay ** xp.arange(T - 1, -1, -1, dtype=xp.float64)
    return xp.einsum("...tv,t,...tk->...vk", v, weights, k)


def read(A: Any, queries: Any) -> Any:
    """Read the memory: ``A q`` for one query (d_k,), several (n, d_k), or per sequence.

    With a batch of memories (B, d_v, d_k) the queries must be (B, d_k) or
    (B, n, d_k), one set per memory.
    """
    A = check_array(A, "A", ndim=(2, 3), dtype="float64")
    q = check_array(queries, "queries", ndim=(1, 2, 3), dtype="float64")
    if q.shape[-1] != A.shape[-1]:
        raise ValueError(f"queries must have {A.shape[-1]} entries in the last axis; got {q.shape}")
    xp = B.xp()
    if A.ndim == 2:
        if q.ndim == 3:
            raise ValueError("queries must be 1-D or 2-D for a single memory A")
        return q @ A.T
    if q.shape[0] != A.shape[0] or q.ndim == 1:
        raise ValueError(f"queries must start with the batch size {A.shape[0]}; got {q.shape}")
    if q.ndim == 2:
        return xp.einsum("bvk,bk->bv", A, q)
    return xp.einsum("bvk,bnk->bnv", A, q)


def _decode(outputs: Any, codebook: Any) -> Any:
    """Index of the codeword with the largest dot product (a clean-up memory)."""
    return (outputs @ codebook.T).argmax(axis=-1)


def _distinct_indices(gen: Any, n_rows: int, n_pick: int, n_total: int) -> Any:
    """``n_pick`` distinct indices in [0, n_total) per row, by argsort of random keys."""
    xp = B.xp()
    return xp.argsort(gen.random((n_rows, n_total)), axis=1)[:, :n_pick]


def _retrieval_trials(
    n_pairs: int, decay: float, n_trials: int, gen: Any, n_keys: int, n_values: int, dim: int
) -> Any:
    """Correct/incorrect (n_trials, n_pairs) for every stored pair, oldest first."""
    xp = B.xp()
    key_codes = random_codebook(n_keys, dim, gen)
    value_codes = random_codebook(n_values, dim, gen)
    key_idx = _distinct_indices(gen, n_trials, n_pairs, n_keys)  # distinct letters
    val_idx = xp.floor(gen.random((n_trials, n_pairs)) * n_values).astype(xp.int64)
    K, V = key_codes[key_idx], value_codes[val_idx]  # (n_trials, n_pairs, dim)
    A = accumulate(K, V, decay=decay)
    out = read(A, K)  # query with every stored key
    return _decode(out, value_codes) == val_idx


def retrieval_accuracy(
    n_pairs: Any,
    decays: Any,
    rng: Any,
    *,
    n_trials: int = 500,
    n_keys: int = 26,
    n_values: int = 10,
    dim: int = 64,
) -> Any:
    """Associative retrieval without learning: accuracy for each number of pairs and decay.

    Each trial stores ``K`` key→value pairs (distinct keys drawn from ``n_keys``
    letters, values from ``n_values`` digits, each coded by a random ±1/sqrt(dim)
    vector) with ``A <- decay * A + v k^T``, then queries with each stored key and
    decodes the answer as the nearest digit code.

    Args:
        n_pairs: numbers of pairs K to store, a 1-D sequence of ints in [1, n_keys].
        decays: decays to try, a 1-D sequence in (0, 1].
        rng: an int seed or a Generator.
        n_trials: sequences per setting.
        n_keys, n_values, dim: vocabulary sizes and code length.

    Returns:
        Accuracy, shape (len(decays), len(n_pairs)), averaged over all stored pairs.
    """
    n_keys = check_int(n_keys, "n_keys", low=1)
    n_values = check_int(n_values, "n_values", low=2)
    dim = check_int(dim, "dim", low=1)
    n_trials = check_int(n_trials, "n_trials", low=1)
    Ks = check_array(n_pairs, "n_pairs", ndim=1)
    ds = check_array(decays, "decays", ndim=1, dtype="float64")
    if Ks.dtype.kind not in "iu" or bool((Ks < 1).any()) or bool((Ks > n_keys).any()):
        raise ValueError(f"n_pairs must be integers in [1, n_keys={n_keys}]")
    if bool((ds <= 0).any()) or bool((ds > 1).any()):
        raise ValueError("decays must lie in (0, 1]")
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    acc = xp.zeros((ds.shape[0], Ks.shape[0]))
    for i, lam in enumerate(B.asnumpy(ds)):
        for j, K in enumerate(B.asnumpy(Ks)):
            ok = _retrieval_trials(int(K), float(lam), n_trials, gen, n_keys, n_values, dim)
            acc[i, j] = ok.mean()
    return acc


def recency_profile(
    n_pairs: int,
    decay: float,
    rng: Any,
    *,
    n_trials: int = 2000,
    n_keys: int = 26,
    n_values: int = 10,
    dim: int = 64,
) -> Any:
    """Retrieval accuracy by the *age* of a pair: index 0 is the most recent write.

    Returns:
        Shape (n_pairs,): accuracy for pairs written 0, 1, ..., n_pairs-1 writes ago.
    """
    n_keys = check_int(n_keys, "n_keys", low=1)
    n_pairs = check_int(n_pairs, "n_pairs", low=1, high=n_keys)
    decay = _check_decay(decay)
    n_trials = check_int(n_trials, "n_trials", low=1)
    n_values = check_int(n_values, "n_values", low=2)
    dim = check_int(dim, "dim", low=1)
    gen = B.as_generator(rng, "rng")
    ok = _retrieval_trials(n_pairs, decay, n_trials, gen, n_keys, n_values, dim)
    return ok.mean(axis=0)[::-1]


# ----------------------------------------------------------------------------- recursion
def random_expressions(n_expressions: int, depth: int, rng: Any) -> tuple[Any, Any, Any]:
    """Random nested expressions ``a0 op0 (a1 op1 (... (a_{D-1} op_{D-1} leaf)))``, mod 10.

    Returns:
        ``(ops, operands, leaves)``: int arrays of shapes (n, depth), (n, depth), (n,);
        ``ops`` index :data:`OPS`, operands and leaves are digits 0–9.
    """
    n = check_int(n_expressions, "n_expressions", low=1)
    depth = check_int(depth, "depth", low=1)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    ops = xp.floor(gen.random((n, depth)) * len(OPS)).astype(xp.int64)
    operands = xp.floor(gen.random((n, depth)) * 10).astype(xp.int64)
    leaves = xp.floor(gen.random(n) * 10).astype(xp.int64)
    return ops, operands, leaves


def _apply(op: Any, a: Any, r: Any) -> Any:
    xp = B.xp()
    return xp.where(op == 0, a + r, xp.where(op == 1, a - r, a * r)) % 10


def evaluate_reference(ops: Any, operands: Any, leaves: Any) -> Any:
    """The value of each expression of :func:`random_expressions`, by ordinary evaluation."""
    ops = check_array(ops, "ops", ndim=2)
    operands = check_array(operands, "operands", shape=tuple(ops.shape))
    leaves = check_array(leaves, "leaves", shape=(ops.shape[0],))
    r = leaves.astype(B.xp().int64)
    for j in range(ops.shape[1] - 1, -1, -1):
        r = _apply(ops[:, j], operands[:, j], r)
    return r


def run_recursion(
    ops: Any,
    operands: Any,
    leaves: Any,
    rng: Any,
    *,
    dim: int = 64,
    decay: float = 1.0,
    learning_rate: float = 1.0,
    key_codes: str = "random",
) -> dict[str, Any]:
    """Evaluate nested expressions by true recursion on one set of hidden units.

    A call at depth ``j`` puts its frame, the pair (operator, left operand), on the
    *same* ``dim`` hidden units used by every other depth: the first half codes the
    operator, the second half the operand, each as a ±1 codeword. Before it
    recurses into its right-hand sub-expression it writes its hidden state into the
    fast weights under a key for depth ``j`` (``A <- decay * A + eta * h key_j^T``);
    the callee then overwrites the hidden units with its own frame. On return the
    caller's state is read back, ``h_hat = A key_j``, cleaned up to the nearest
    operator and operand codewords, and used to finish the computation.

    Each expression has its own fast-weight matrix, so a batch of B expressions holds
    B matrices of shape (dim, dim): the batching cost of fast weights.

    Args:
        ops, operands, leaves: from :func:`random_expressions`.
        rng: an int seed or a Generator (for the codewords and keys).
        dim: the number of hidden units (even).
        decay: fast-weight decay per write, in (0, 1].
        learning_rate: the fast learning rate eta > 0.
        key_codes: ``"random"`` (random unit vectors, which interfere a little) or
            ``"orthogonal"`` (one-hot depth codes, needs depth <= dim: no interference).

    Returns:
        A dict with ``result`` (n,) the values computed, ``correct`` (n,) whether each
        equals :func:`evaluate_reference`, and ``restored`` (n, depth) whether the frame
        at each depth was restored exactly.
    """
    ops = check_array(ops, "ops", ndim=2)
    operands = check_array(operands, "operands", shape=tuple(ops.shape))
    leaves = check_array(leaves, "leaves", shape=(ops.shape[0],))
    if ops.dtype.kind not in "iu" or bool((ops < 0).any()) or bool((ops >= len(OPS)).any()):
        raise ValueError(f"ops must be integers in [0, {len(OPS)})")
    if operands.dtype.kind not in "iu" or bool(((operands < 0) | (operands > 9)).any()):
        raise ValueError("operands must be integer digits 0-9")
    dim = check_int(dim, "dim", low=2)
    if dim % 2:
        raise ValueError(f"dim must be even (half for the operator, half the operand); got {dim}")
    decay, eta = _check_decay(decay), _check_learning_rate(learning_rate)
    if key_codes not in ("random", "orthogonal"):
        raise ValueError(f"key_codes must be 'random' or 'orthogonal'; got {key_codes!r}")
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    n, depth = ops.shape
    half = dim // 2
    op_code = random_codebook(len(OPS), half, gen) * half**0.5  # ±1 codewords
    val_code = random_codebook(10, half, gen) * half**0.5
    if key_codes == "orthogonal":
        if depth > dim:
            raise ValueError(f"key_codes='orthogonal' needs depth <= dim; got {depth} > {dim}")
        keys = xp.eye(dim)[:depth]
    else:
        keys = random_codebook(depth, dim, gen)

    A = xp.zeros((n, dim, dim))  # one fast-weight matrix per expression
    for j in range(depth):  # descend: each call saves its frame, then the callee overwrites h
        h = xp.concatenate([op_code[ops[:, j]], val_code[operands[:, j]]], axis=1)
        A = decay * A + eta * h[:, :, None] * keys[j][None, None, :]
    r = leaves.astype(xp.int64)  # the innermost call just returns its leaf
    restored = xp.zeros((n, depth), dtype=bool)
    for j in range(depth - 1, -1, -1):  # return: restore the caller's hidden state
        h_hat = A @ keys[j]
        op_hat = _decode(h_hat[:, :half], op_code)
        val_hat = _decode(h_hat[:, half:], val_code)
        restored[:, j] = (op_hat == ops[:, j]) & (val_hat == operands[:, j])
        r = _apply(op_hat, val_hat, r)
    correct = r == evaluate_reference(ops, operands, leaves)
    return {"result": r, "correct": correct, "restored": restored}


# ----------------------------------------------------------------------------- cost
def batching_cost(batch: int, dim: int, *, bytes_per_float: int = 4) -> dict[str, float]:
    """Memory and arithmetic per time step for a batch, slow weights vs fast weights.

    One step of a recurrent layer with ``dim`` units, for ``batch`` sequences:

    * slow weights: one shared (dim, dim) matrix, read once per step for the whole
      batch as a matrix-matrix product: ``2 batch dim^2`` flops;
    * fast weights: a private (dim, dim) matrix per sequence, read (``2 dim^2``) and
      rewritten (decay plus outer product, ``3 dim^2``) for each sequence.

    Returns:
        A dict with ``slow_bytes``/``fast_bytes`` (weight memory), ``slow_flops``/
        ``fast_flops`` (per step), and ``slow_intensity``/``fast_intensity``
        (flops per byte of weights moved: high means compute-bound, low means the
        chip waits on memory).
    """
    batch = check_int(batch, "batch", low=1)
    dim = check_int(dim, "dim", low=1)
    bpf = check_int(bytes_per_float, "bytes_per_float", low=1)
    d2 = float(dim) ** 2
    slow_bytes = d2 * bpf
    fast_bytes = batch * d2 * bpf
    slow_flops = 2.0 * batch * d2
    fast_flops = batch * (2.0 * d2 + 3.0 * d2)
    # fast weights are read and written back each step: twice the bytes moved
    return {
        "slow_bytes": slow_bytes,
        "fast_bytes": fast_bytes,
        "slow_flops": slow_flops,
        "fast_flops": fast_flops,
        "slow_intensity": slow_flops / slow_bytes,
        "fast_intensity": fast_flops / (2.0 * fast_bytes),
    }


def time_one_step(batch: int, dim: int, rng: Any, *, repeats: int = 5) -> dict[str, float]:
    """Time one step of slow weights and of fast weights for a batch, on this machine.

    Slow: one shared (dim, dim) matrix applied to the whole batch as a single
    matrix product. Fast: each sequence reads its own (dim, dim) matrix and
    rewrites it (decay plus an outer product). Float32; the best of ``repeats``.

    Returns:
        ``{"slow_seconds": ..., "fast_seconds": ...}``. Timings vary with load:
        print them, never assert them.
    """
    import time

    xp = B.xp()
    batch = check_int(batch, "batch", low=1)
    dim = check_int(dim, "dim", low=1)
    repeats = check_int(repeats, "repeats", low=1)
    gen = B.as_generator(rng, "rng")
    H = gen.standard_normal((batch, dim)).astype(xp.float32)
    W = (gen.standard_normal((dim, dim)) / xp.sqrt(dim)).astype(xp.float32)
    A = (gen.standard_normal((batch, dim, dim)) / xp.sqrt(dim)).astype(xp.float32)

    def slow_step() -> Any:
        return H @ W

    def fast_step() -> Any:
        out = xp.einsum("bij,bj->bi", A, H)  # read: one matrix-vector product per sequence
        A.__imul__(0.95)  # decay
        A.__iadd__(0.5 * out[:, :, None] * H[:, None, :])  # write: an outer product each
        return out

    def best(step: Any) -> float:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            step()
            if B.name() == "cupy":
                xp.cuda.runtime.deviceSynchronize()
            times.append(time.perf_counter() - start)
        return min(times)

    return {"slow_seconds": best(slow_step), "fast_seconds": best(fast_step)}
