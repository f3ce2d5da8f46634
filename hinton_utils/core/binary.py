"""Binary units: every state of a small network, its index, and the enumeration cap.

Exact answers in the book (partition functions, posteriors, KL divergences) come
from listing every joint state of a few binary units. The list is built here
once, in one order: row ``k`` holds the bits of ``k`` with unit 0 as the most
significant bit, so ``state_index(all_states(n)) == arange(2**n)``.

:data:`MAX_ENUMERATED_UNITS` is the one cap: a table of ``2**20`` rows of 20
float64 units is 160 MiB, and anything larger is a sign that an exact method
was called on a model meant for sampling. Code that needs more states than one
table holds walks them in blocks with :func:`state_blocks`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import backend as B
from .validation import check_array, check_choice, check_int

__all__ = [
    "MAX_BLOCKED_UNITS",
    "MAX_ENUMERATED_UNITS",
    "UNITS",
    "all_states",
    "state_blocks",
    "state_index",
]

#: The most units whose states may be listed in one table (2**20 rows).
MAX_ENUMERATED_UNITS = 20
#: Largest network walked block by block (2**24 states, never all in memory).
MAX_BLOCKED_UNITS = 24
#: 0/1 units or -1/+1 (spin) units.
UNITS = ("binary", "pm1")


def _bits(start: int, stop: int, n: int, dtype: Any) -> Any:
    xp = B.xp()
    k = xp.arange(start, stop, dtype="int64")[:, None]
    shifts = xp.arange(n - 1, -1, -1, dtype="int64")[None, :]
    return ((k >> shifts) & 1).astype(dtype)


def all_states(n: int, *, units: str = "binary", dtype: Any = "float64") -> Any:
    """All ``2**n`` joint states of ``n`` units, one per row, in binary counting order.

    Args:
        n: number of units, 1 to :data:`MAX_ENUMERATED_UNITS`.
        units: ``"binary"`` for 0/1 states or ``"pm1"`` for -1/+1.
        dtype: the float dtype of the table.

    Returns:
        An array of shape ``(2**n, n)``; row ``k`` is ``k`` in binary, unit 0 first.
    """
    n = check_int(n, "n", low=1, high=MAX_ENUMERATED_UNITS)
    units = check_choice(units, "units", UNITS)
    bits = _bits(0, 1 << n, n, dtype)
    return 2 * bits - 1 if units == "pm1" else bits


def state_blocks(n: int, block: int = 1 << 16, *, dtype: Any = "float64") -> Iterator[Any]:
    """The rows of ``all_states(n)`` in consecutive blocks of at most ``block`` rows.

    For sums over every state of up to :data:`MAX_BLOCKED_UNITS` units (an RBM's
    partition function over its smaller side) without holding all of them.
    """
    n = check_int(n, "n", low=1, high=MAX_BLOCKED_UNITS)
    block = check_int(block, "block", low=1)
    total = 1 << n
    for start in range(0, total, block):
        yield _bits(start, min(start + block, total), n, dtype)


def state_index(S: Any) -> Any:
    """The row of :func:`all_states` that each 0/1 state in ``S`` occupies.

    Args:
        S: 0/1 states of shape ``(n,)`` or ``(n_states, n)``, ``n`` at most
            :data:`MAX_BLOCKED_UNITS`.

    Returns:
        int64 indices of shape ``(n_states,)`` (a 0-d array for one state).
    """
    xp = B.xp()
    S = check_array(S, "S", ndim=(1, 2), values="binary")
    n = S.shape[-1]
    check_int(n, "the number of units in S", low=1, high=MAX_BLOCKED_UNITS)
    weights = 2 ** xp.arange(n - 1, -1, -1, dtype="int64")
    return (S.astype("int64") * weights).sum(axis=-1)
