"""The shared argument checks: every message names the argument and what was expected."""

from __future__ import annotations

import numpy as np
import pytest

from hinton_utils.core.validation import check_array, check_choice, check_int, check_real


def test_check_array_accepts_and_converts():
    out = check_array([[0, 1], [1, 0]], "S", ndim=2, values="binary", dtype="float64")
    assert out.dtype == np.float64 and out.shape == (2, 2)
    assert check_array(np.ones(3), "v", shape=(None,)).shape == (3,)


@pytest.mark.parametrize(
    ("kwargs", "array", "error", "match"),
    [
        ({}, None, TypeError, "X must be an array of numbers"),
        ({}, "text", TypeError, "X must be an array of numbers"),
        ({}, np.array(["a", "b"]), TypeError, "X must hold real numbers"),
        ({}, [[1, 2], [3]], TypeError, "could not convert"),
        ({"ndim": 2}, [1.0, 2.0], ValueError, r"X must be 2-D; got shape \(2,\)"),
        ({"ndim": (1, 2)}, np.zeros((1, 1, 1)), ValueError, "X must be 1-D or 2-D"),
        ({"shape": (None, 3)}, np.zeros((2, 2)), ValueError, r"X must have shape \(any, 3\)"),
        ({}, np.zeros(0), ValueError, "at least 1 element"),
        ({}, [1.0, np.inf], ValueError, "NaN or infinite"),
        ({"values": "binary"}, [0.0, 0.5], ValueError, "only 0 and 1"),
        ({"values": "pm1"}, [1.0, 0.0], ValueError, "only -1 and"),
        ({"values": "nonnegative"}, [-1.0], ValueError, "non-negative"),
        ({"values": "odd"}, [1.0], ValueError, "values must be None"),
    ],
)
def test_check_array_errors(kwargs, array, error, match):
    with pytest.raises(error, match=match):
        check_array(array, "X", **kwargs)


def test_scalar_checks():
    assert check_int(np.int64(3), "k", low=1) == 3
    assert check_real(2, "lr", low=0.0, low_open=True) == 2.0
    assert check_choice("oja", "rule", ("hebb", "oja")) == "oja"
    with pytest.raises(TypeError, match="k must be an int"):
        check_int(True, "k")
    with pytest.raises(ValueError, match="k must be <= 5"):
        check_int(6, "k", high=5)
    with pytest.raises(TypeError, match="lr must be a real number"):
        check_real("0.1", "lr")
    with pytest.raises(ValueError, match="lr must be finite"):
        check_real(float("nan"), "lr")
    with pytest.raises(ValueError, match="lr must be < 1"):
        check_real(1.0, "lr", high=1.0, high_open=True)
    with pytest.raises(TypeError, match="rule must be a string"):
        check_choice(1, "rule", ("a",))
    with pytest.raises(ValueError, match="rule must be one of"):
        check_choice("b", "rule", ("a",))
