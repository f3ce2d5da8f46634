"""Argument checks shared by every public function, in scikit-learn's spirit.

Each check raises ``TypeError`` (wrong kind of thing) or ``ValueError`` (right
kind, wrong value) with a message that names the argument and says what was
expected, so a reader's mistake is explained where it happens.
"""

from __future__ import annotations

import numbers
from typing import Any

from . import backend as B

__all__ = [
    "check_array",
    "check_choice",
    "check_int",
    "check_real",
]


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """``value`` as an int with ``low <= value <= high`` (either bound optional)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {type(value).__name__}")
    value = int(value)
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}; got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}; got {value}")
    return value


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """``value`` as a finite float inside the given (open or closed) bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name} must be finite; got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}; got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name} must be {'<' if high_open else '<='} {high}; got {value}")
    return value


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """``value`` as one of the strings in ``choices``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {choices}; got {type(value).__name__}")
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def check_array(
    array: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype: Any = None,
    values: str | None = None,
    min_size: int = 1,
) -> Any:
    """Check ``array`` and return it as an array of the active backend.

    Args:
        array: what the caller passed.
        name: the argument's name, used in every message.
        ndim: the required number of dimensions (or a tuple of allowed ones).
        shape: the required shape; ``None`` entries match any length.
        dtype: convert to this dtype after the checks (e.g. ``"float64"``).
        values: extra promise about the entries: ``"binary"`` (0/1), ``"pm1"``
            (-1/+1) or ``"nonnegative"``.
        min_size: the fewest elements allowed.

    Raises:
        TypeError: not array-like, or not numeric.
        ValueError: wrong shape, too small, NaN/infinite entries, or entries
            outside the promised ``values``.
    """
    xp = B.xp()
    if isinstance(array, (str, bytes, dict, set)) or array is None:
        raise TypeError(f"{name} must be an array of numbers; got {type(array).__name__}")
    try:
        arr = xp.asarray(array)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name} must be an array of numbers; could not convert: {err}") from err
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {arr.dtype}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be {want}; got shape {tuple(arr.shape)}")
    if shape is not None:
        if arr.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(arr.shape, shape)
        ):
            pretty = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {pretty}; got {tuple(arr.shape)}")
    if arr.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} element(s); got {arr.size}")
    if arr.dtype.kind == "f" and not bool(xp.isfinite(arr).all()):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    if values == "binary" and not bool(((arr == 0) | (arr == 1)).all()):
        raise ValueError(f"{name} must contain only 0 and 1")
    elif values == "pm1" and not bool(((arr == -1) | (arr == 1)).all()):
        raise ValueError(f"{name} must contain only -1 and +1")
    elif values == "nonnegative" and not bool((arr >= 0).all()):
        raise ValueError(f"{name} must be non-negative")
    elif values not in (None, "binary", "pm1", "nonnegative"):
        raise ValueError(f"values must be None, 'binary', 'pm1' or 'nonnegative'; got {values!r}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr
