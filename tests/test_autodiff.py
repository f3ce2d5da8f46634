"""Reverse-mode autodiff: every operation's gradient against central finite differences.

All gradient checks run in float64 with step 1e-6 and require agreement to a
relative tolerance of 1e-6 (absolute 1e-8 for entries near zero). Inputs are
drawn from hypothesis-chosen shapes and seeds, kept away from the kinks of
relu/max so that finite differences are valid there.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.signal import correlate2d

from hinton_utils.core import autodiff as ad
from hinton_utils.core import functional
from hinton_utils.core.autodiff import Tensor

RTOL, ATOL = 1e-6, 1e-8
FAST = settings(max_examples=12, deadline=None)

seeds = st.integers(0, 2**31 - 1)
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)
pairs = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3)


def assert_gradients_match(f, arrays, seed=0):
    analytic, numeric = functional.gradcheck(f, arrays, rng=seed)
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        assert a.shape == np.shape(arrays[i])
        # Central differences lose about eps**2 * f''' plus roundoff |f| * 1e-16 / eps,
        # so the absolute tolerance scales with the gradient's size.
        atol = ATOL * max(1.0, float(np.abs(n).max(initial=0.0)))
        np.testing.assert_allclose(a, n, rtol=RTOL, atol=atol, err_msg=f"input {i}")


def normal(seed, shape, scale=1.0):
    return scale * np.random.default_rng(seed).standard_normal(shape)


def away_from_zero(seed, shape, low=0.3, high=2.0):
    """Random values with |x| in [low, high] and a random sign."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


# ------------------------------------------------------------- gradient checks
@FAST
@given(pairs, seeds, st.sampled_from(["add", "sub", "mul", "div", "pow"]))
def test_broadcasting_binary_ops(shape_pair, seed, op):
    sa, sb = shape_pair.input_shapes
    a, b = normal(seed, sa), away_from_zero(seed + 1, sb)
    if op == "pow":  # a**b needs a positive base for d/db
        a = np.abs(a) + 0.5
    fns = {
        "add": lambda x, y: x + y,
        "sub": lambda x, y: x - y,
        "mul": lambda x, y: x * y,
        "div": lambda x, y: x / y,
        "pow": lambda x, y: x**y,
    }
    out = fns[op](Tensor(a), Tensor(b))
    np.testing.assert_allclose(out.data, fns[op](a, b))  # same values as NumPy
    assert_gradients_match(fns[op], [a, b], seed)


@FAST
@given(shapes, seeds)
def test_scalar_operands_negation_and_powers(shape, seed):
    x = away_from_zero(seed, shape, 0.5, 2.0)
    assert_gradients_match(lambda t: -t + 2.0 * t - 3.0 / t + (1.5 - t) * 0.5, [x], seed)
    assert_gradients_match(lambda t: t**3 + t**2 + (t * t) ** 0.5, [x], seed)
    assert_gradients_match(lambda t: 2.0**t, [x], seed)


@FAST
@given(shapes, seeds, st.sampled_from(["exp", "log", "sigmoid", "tanh", "relu", "softplus"]))
def test_unary_ops(shape, seed, name):
    x = away_from_zero(seed, shape, 0.05, 3.0)  # relu's kink at 0 is avoided
    if name == "log":
        x = np.abs(x)
    fn = getattr(ad, name)
    assert_gradients_match(fn, [x], seed)


@FAST
@given(shapes, seeds)
def test_leaky_relu_and_methods_agree_with_functions(shape, seed):
    x = away_from_zero(seed, shape, 0.05, 3.0)
    assert_gradients_match(lambda t: ad.leaky_relu(t, 0.2), [x], seed)
    t = Tensor(x)
    for name in ("exp", "sigmoid", "tanh", "relu", "softplus"):
        np.testing.assert_array_equal(getattr(t, name)().data, getattr(ad, name)(t).data)


@FAST
@given(shapes, seeds, st.data())
def test_sum_mean_max_over_axes(shape, seed, data):
    ndim = len(shape)
    axis = data.draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1),
            st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple),
        )
    )
    keepdims = data.draw(st.booleans())
    # Distinct, well-separated values so that the maximum is unique and stable under ±1e-6.
    x = np.random.default_rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1 + 0.01
    assert_gradients_match(lambda t: t.sum(axis=axis, keepdims=keepdims), [x], seed)
    assert_gradients_match(lambda t: t.mean(axis=axis, keepdims=keepdims), [x], seed)
    assert_gradients_match(lambda t: t.max(axis=axis, keepdims=keepdims), [x], seed)
    np.testing.assert_allclose(Tensor(x).mean(axis, keepdims).data, x.mean(axis, keepdims=keepdims))
    np.testing.assert_allclose(Tensor(x).max(axis, keepdims).data, x.max(axis, keepdims=keepdims))


def test_max_splits_the_gradient_between_ties():
    x = Tensor(np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


@FAST
@given(shapes, seeds)
def test_reshape_and_transpose(shape, seed):
    x = normal(seed, shape)
    perm = tuple(np.random.default_rng(seed).permutation(len(shape)))
    assert_gradients_match(lambda t: t.reshape(-1), [x], seed)
    assert_gradients_match(lambda t: t.reshape((1, *shape[::-1])), [x], seed)
    assert_gradients_match(lambda t: t.transpose(perm) * t.transpose(perm), [x], seed)
    assert_gradients_match(lambda t: t.T, [x], seed)
    np.testing.assert_array_equal(Tensor(x).transpose(perm).data, x.transpose(perm))


@FAST
@given(st.integers(2, 6), st.integers(1, 4), seeds)
def test_indexing_slices_and_repeated_rows(n_rows, n_cols, seed):
    x = normal(seed, (n_rows, n_cols))
    rows = np.random.default_rng(seed).integers(0, n_rows, size=7)  # repeats are likely
    assert_gradients_match(lambda t: t[rows], [x], seed)
    assert_gradients_match(lambda t: functional.embedding(t, rows.reshape(7, 1)), [x], seed)
    assert_gradients_match(lambda t: t[1:, ::2] * 2.0, [x], seed)
    assert_gradients_match(lambda t: t[rows, rows % n_cols], [x], seed)
    assert_gradients_match(lambda t: t[-1], [x], seed)


def test_embedding_gradient_adds_up_repeated_indices():
    table = Tensor(np.zeros((4, 2)), requires_grad=True)
    functional.embedding(table, np.array([[1, 1], [3, 1]])).sum().backward()
    np.testing.assert_array_equal(table.grad, [[0, 0], [3, 3], [0, 0], [1, 1]])


@FAST
@given(st.lists(st.integers(1, 3), min_size=1, max_size=4), st.integers(0, 2), seeds)
def test_concatenate_and_stack(sizes, axis, seed):
    base = [2, 3, 2]
    arrays = []
    for i, n in enumerate(sizes):
        shape = list(base)
        shape[axis] = n
        arrays.append(normal(seed + i, tuple(shape)))
    assert_gradients_match(lambda *ts: ad.concatenate(list(ts), axis=axis), arrays, seed)
    np.testing.assert_array_equal(
        ad.concatenate([Tensor(a) for a in arrays], axis).data, np.concatenate(arrays, axis)
    )
    same = [normal(seed + i, (2, 3)) for i in range(len(sizes))]
    assert_gradients_match(lambda *ts: ad.stack(list(ts), axis=axis), same, seed)


@FAST
@given(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4), st.integers(1, 3), seeds)
def test_matmul_2d_batched_and_linear(n, k, m, batch, seed):
    a, b, bias = normal(seed, (n, k)), normal(seed + 1, (k, m)), normal(seed + 2, (m,))
    assert_gradients_match(lambda x, y: x @ y, [a, b], seed)
    assert_gradients_match(functional.linear, [a, b, bias], seed)
    np.testing.assert_allclose(
        functional.linear(Tensor(a), Tensor(b), Tensor(bias)).data, a @ b + bias
    )
    batched = normal(seed + 3, (batch, n, k))
    assert_gradients_match(lambda x, y: x @ y, [batched, b], seed)  # b broadcast over batch


@FAST
@given(st.integers(1, 5), st.integers(2, 5), seeds)
def test_softmax_family_and_losses(n, k, seed):
    z = normal(seed, (n, k), 2.0)
    labels = np.random.default_rng(seed).integers(0, k, size=n)
    soft = np.random.default_rng(seed + 1).dirichlet(np.ones(k), size=n)
    assert_gradients_match(functional.log_softmax, [z], seed)
    assert_gradients_match(lambda t: functional.log_softmax(t, axis=0), [z], seed)
    assert_gradients_match(functional.softmax, [z], seed)
    assert_gradients_match(lambda t: functional.cross_entropy(t, labels), [z], seed)
    assert_gradients_match(lambda t: functional.cross_entropy(t, soft, reduction="sum"), [z], seed)
    targets01 = (np.random.default_rng(seed).random((n, k)) > 0.5).astype(float)
    assert_gradients_match(
        lambda t: functional.binary_cross_entropy_with_logits(t, targets01), [z], seed
    )
    y = normal(seed + 2, (n, k))
    assert_gradients_match(lambda t, u: functional.mse(t, u), [z, y], seed)
    # The values are the textbook formulas.
    p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(functional.softmax(Tensor(z)).data, p)
    ce = functional.cross_entropy(Tensor(z), labels).item()
    assert ce == pytest.approx(-np.mean(np.log(p[np.arange(n), labels])))
    assert functional.cross_entropy(Tensor(z), soft, "sum").item() == pytest.approx(
        -(soft * np.log(p)).sum()
    )
    s = 1 / (1 + np.exp(-z))
    bce = -np.mean(targets01 * np.log(s) + (1 - targets01) * np.log(1 - s))
    assert functional.binary_cross_entropy_with_logits(
        Tensor(z), targets01
    ).item() == pytest.approx(bce)
    assert functional.mse(Tensor(z), y).item() == pytest.approx(np.mean((z - y) ** 2))


@settings(max_examples=8, deadline=None)
@given(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 3),
    st.sampled_from(["valid", "same"]),
    seeds,
)
def test_conv2d(n, c, f, kh, kw, padding, seed):
    x = normal(seed, (n, c, 5, 4))
    w = normal(seed + 1, (f, c, kh, kw))
    b = normal(seed + 2, (f,))
    assert_gradients_match(lambda a, k, bb: functional.conv2d(a, k, bb, padding), [x, w, b], seed)
    out = functional.conv2d(Tensor(x), Tensor(w), Tensor(b), padding).data
    # Against SciPy's cross-correlation, channel by channel.
    if padding == "same":
        top, left = (kh - 1) // 2, (kw - 1) // 2
        x = np.pad(x, ((0, 0), (0, 0), (top, kh - 1 - top), (left, kw - 1 - left)))
    ref = np.array(
        [
            [
                sum(correlate2d(x[i, ch], w[j, ch], mode="valid") for ch in range(c)) + b[j]
                for j in range(f)
            ]
            for i in range(n)
        ]
    )
    np.testing.assert_allclose(out, ref, atol=1e-12)
    assert out.shape[2:] == ((5, 4) if padding == "same" else (5 - kh + 1, 4 - kw + 1))


def test_a_small_network_end_to_end():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6, 1, 4, 4))
    labels = rng.integers(0, 3, size=6)
    params = [rng.standard_normal(s) * 0.5 for s in [(2, 1, 3, 3), (2,), (8, 3), (3,)]]

    def loss(k, kb, w, wb):
        h = ad.tanh(functional.conv2d(Tensor(x), k, kb, "valid")).reshape(6, 8)
        return functional.cross_entropy(functional.linear(h, w, wb), labels)

    assert_gradients_match(loss, params)


# ----------------------------------------------------- graph and engine logic
def test_gradcheck_catches_a_wrong_gradient():
    def wrong_square(t):
        def backward(g):
            t._accumulate(g * t.data)  # should be 2 * t.data

        return Tensor._make(t.data**2, (t,), backward, "wrong")

    x = normal(0, (3,))
    analytic, numeric = functional.gradcheck(wrong_square, [x])
    assert not np.allclose(analytic[0], numeric[0], rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(2 * analytic[0], numeric[0], rtol=RTOL)


def test_reused_tensors_accumulate_and_leaves_keep_accumulating():
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = x * x + x  # x used three times: dy/dx = 2x + 1
    z = y * y  # a diamond: y feeds both factors
    z.sum().backward()
    xv = x.data
    np.testing.assert_allclose(x.grad, 2 * (xv * xv + xv) * (2 * xv + 1))
    first = x.grad.copy()
    (x * 3.0).sum().backward()  # leaf gradients add up until cleared
    np.testing.assert_allclose(x.grad, first + 3.0)
    x.zero_grad()
    assert x.grad is None


def test_intermediate_gradients_are_freed_unless_retained():
    x = Tensor(np.ones(3), requires_grad=True)
    h = (x * 2.0).retain_grad()
    k = h * 3.0
    (k * h).sum().backward()
    np.testing.assert_allclose(h.grad, 2 * 3.0 * h.data)
    assert k.grad is None


def test_no_grad_and_detach_build_no_graph():
    w = Tensor(np.ones((2, 2)), requires_grad=True)
    with ad.no_grad():
        assert not ad.is_grad_enabled()
        out = (w @ w).sum()
    assert ad.is_grad_enabled()
    assert not out.requires_grad and out.parents == ()
    with pytest.raises(RuntimeError, match="needs no gradient"):
        out.backward()
    d = (w * 2.0).detach()
    assert not d.requires_grad
    (w * d).sum().backward()
    np.testing.assert_allclose(w.grad, 2.0 * np.ones((2, 2)))  # nothing flowed through d


def test_a_deep_chain_needs_no_recursion():
    x = Tensor(np.array([0.5]), requires_grad=True)
    y = x
    for _ in range(5000):
        y = y * 1.0001
    y.sum().backward()
    assert x.grad[0] == pytest.approx(1.0001**5000)


def test_backward_with_an_explicit_gradient():
    x = Tensor(np.arange(3.0), requires_grad=True)
    (x * 2.0).backward(np.array([1.0, 10.0, 100.0]))
    np.testing.assert_allclose(x.grad, [2.0, 20.0, 200.0])


def test_stable_at_extreme_inputs_without_warnings():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = Tensor(z, requires_grad=True)
        np.testing.assert_allclose(ad.sigmoid(t).data, [[0.0, 0.5, 1.0]])
        np.testing.assert_allclose(ad.softplus(t).data, [[0.0, np.log(2.0), 1000.0]])
        np.testing.assert_allclose(functional.log_softmax(t).data, [[-2000.0, -1000.0, 0.0]])
        loss = functional.cross_entropy(t, np.array([0]))
        assert loss.item() == pytest.approx(2000.0)
        loss.backward()
        np.testing.assert_allclose(t.grad, [[-1.0, 0.0, 1.0]])
        bce = functional.binary_cross_entropy_with_logits(Tensor(z), np.array([[1.0, 1.0, 0.0]]))
        assert bce.item() == pytest.approx((1000.0 + np.log(2.0) + 1000.0) / 3)


def test_float32_stays_float32():
    x = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    w = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
    out = functional.cross_entropy(ad.relu(x @ w * 2.0 + 1.0), np.array([0, 1]))
    assert out.dtype == np.float32
    out.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_ndarray_on_the_left_defers_to_tensor():
    x = Tensor(np.ones(2), requires_grad=True)
    out = np.array([2.0, 3.0]) * x + np.array([1.0, 1.0])
    assert isinstance(out, Tensor)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, [2.0, 3.0])


# ----------------------------------------------------------------- bad input
def test_tensor_refuses_non_float_data():
    with pytest.raises(TypeError, match="floating point.*int64"):
        Tensor(np.arange(3))
    with pytest.raises(TypeError, match="data must"):
        Tensor("abc")
    with pytest.raises(ValueError, match="data must not contain NaN"):
        Tensor(np.array([np.nan]))
    with pytest.raises(TypeError, match="requires_grad must be a bool"):
        Tensor(np.ones(2), requires_grad=1)
    assert Tensor(np.arange(3), dtype="float32").dtype == np.float32
    with pytest.raises(TypeError, match="dtype must be a floating"):
        Tensor(np.ones(2), dtype="int32")


def test_matmul_and_linear_errors_name_both_shapes():
    a, b = Tensor(np.ones((3, 4))), Tensor(np.ones((5, 2)))
    with pytest.raises(ValueError, match=r"\(3, 4\).*\(5, 2\)"):
        a @ b
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ad.matmul(Tensor(np.ones(3)), a)
    with pytest.raises(ValueError, match=r"linear shape mismatch.*\(3, 4\).*\(5, 2\)"):
        functional.linear(a, b)
    with pytest.raises(ValueError, match="bias must have shape"):
        functional.linear(a, Tensor(np.ones((4, 2))), Tensor(np.ones(3)))


def test_elementwise_and_shape_errors():
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) do not broadcast"):
        Tensor(np.ones((2, 3))) + Tensor(np.ones(4))
    with pytest.raises(ValueError, match="cannot reshape"):
        Tensor(np.ones(6)).reshape(4, 2)
    with pytest.raises(ValueError, match="axes must be a permutation"):
        Tensor(np.ones((2, 3))).transpose(0, 0)
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        Tensor(np.ones((2, 3))).sum(axis=2)
    with pytest.raises(ValueError, match="tensors must match"):
        ad.concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)
    with pytest.raises(ValueError, match="tensors must be a non-empty"):
        ad.concatenate([])
    with pytest.raises(ValueError, match="tensors must all have the same shape"):
        ad.stack([Tensor(np.ones(2)), Tensor(np.ones(3))])
    with pytest.raises(ValueError, match="grad must be given"):
        (Tensor(np.ones(2), requires_grad=True) * 2.0).backward()
    with pytest.raises(ValueError, match="grad must have the tensor's shape"):
        (Tensor(np.ones(2), requires_grad=True) * 2.0).backward(np.ones(3))
    with pytest.raises(ValueError, match="item"):
        Tensor(np.ones(2)).item()
    with pytest.raises(ValueError, match="slope must be >= 0"):
        ad.leaky_relu(Tensor(np.ones(2)), -0.1)


def test_loss_and_embedding_errors():
    z = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"targets must be class labels in \[0, 4\)"):
        functional.cross_entropy(z, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"targets must have shape \(3,\)"):
        functional.cross_entropy(z, np.array([0, 1]))
    with pytest.raises(ValueError, match="targets given as distributions"):
        functional.cross_entropy(z, np.ones((3, 2)) / 2)
    with pytest.raises(ValueError, match="logits must be 2-D"):
        functional.cross_entropy(Tensor(np.zeros(3)), np.array([0]))
    with pytest.raises(ValueError, match="reduction must be one of"):
        functional.cross_entropy(z, np.array([0, 1, 2]), reduction="max")
    with pytest.raises(ValueError, match="targets must lie in"):
        functional.binary_cross_entropy_with_logits(z, np.full((3, 4), 2.0))
    with pytest.raises(ValueError, match="target must have the prediction's shape"):
        functional.mse(z, np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"indices must lie in \[0, 3\)"):
        functional.embedding(Tensor(np.ones((3, 2))), np.array([0, 3]))
    with pytest.raises(TypeError, match="indices must be integers"):
        functional.embedding(Tensor(np.ones((3, 2))), np.array([0.0]))
    with pytest.raises(ValueError, match="table must be 2-D"):
        functional.embedding(Tensor(np.ones(3)), np.array([0]))


def test_conv2d_errors():
    x = Tensor(np.ones((1, 2, 5, 5)))
    with pytest.raises(ValueError, match=r"channel mismatch.*\(1, 2, 5, 5\).*\(3, 1, 3, 3\)"):
        functional.conv2d(x, Tensor(np.ones((3, 1, 3, 3))))
    with pytest.raises(ValueError, match="x must be 4-D"):
        functional.conv2d(Tensor(np.ones((2, 5, 5))), Tensor(np.ones((3, 2, 3, 3))))
    with pytest.raises(ValueError, match="padding must be one of"):
        functional.conv2d(x, Tensor(np.ones((3, 2, 3, 3))), padding="full")
    with pytest.raises(ValueError, match="larger than the images"):
        functional.conv2d(x, Tensor(np.ones((3, 2, 6, 1))))
    with pytest.raises(ValueError, match=r"bias must have shape \(3,\)"):
        functional.conv2d(x, Tensor(np.ones((3, 2, 3, 3))), Tensor(np.ones(2)))


def test_gradient_check_helpers_refuse_float32_and_bad_eps():
    with pytest.raises(ValueError, match=r"arrays\[0\] must be float64"):
        functional.gradcheck(ad.exp, [np.ones(2, dtype=np.float32)])
    with pytest.raises(ValueError, match=r"arrays\[0\] must be float64"):
        functional.numerical_gradient(lambda t: t.sum(), [np.ones(2, dtype=np.float32)])
    with pytest.raises(ValueError, match="eps must be > 0"):
        functional.numerical_gradient(lambda t: t.sum(), [np.ones(2)], eps=0.0)
    with pytest.raises(TypeError, match="rng must be"):
        functional.gradcheck(ad.exp, [np.ones(2)], rng=None)


# ------------------------------------------------------------------------ GPU
@pytest.mark.gpu
def test_same_gradients_on_cupy(on_both_backends):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 4)), rng.standard_normal((4, 3))
    labels = rng.integers(0, 3, size=5)
    img, k = rng.standard_normal((2, 1, 5, 5)), rng.standard_normal((2, 1, 3, 3))

    def grads(xp):
        W = Tensor(xp.asarray(w), requires_grad=True)
        K = Tensor(xp.asarray(k), requires_grad=True)
        conv = functional.conv2d(Tensor(xp.asarray(img)), K, padding="same").sum()
        loss = (
            functional.cross_entropy(ad.tanh(Tensor(xp.asarray(x)) @ W), xp.asarray(labels)) + conv
        )
        loss.backward()
        return xp.concatenate([W.grad.ravel(), K.grad.ravel()])

    on_numpy, on_cupy = on_both_backends(grads)
    np.testing.assert_allclose(on_cupy, on_numpy, rtol=1e-10)


@pytest.mark.parametrize("axis", [1.5, "0", [0.5], True])
def test_reductions_refuse_an_axis_that_is_not_an_int(axis):
    t = Tensor(np.ones((2, 3)))
    for reduce in (t.sum, t.mean, t.max):
        with pytest.raises(TypeError, match="axis"):
            reduce(axis=axis)


@pytest.mark.parametrize(
    "targets",
    [
        np.array([[-0.5, 1.5, 0.0], [0.2, 0.3, 0.5]]),  # a negative entry
        np.array([[0.5, 0.5, 0.0], [0.2, 0.2, 0.2]]),  # a row summing to 0.6
    ],
)
def test_cross_entropy_refuses_soft_targets_that_are_not_distributions(targets):
    with pytest.raises(ValueError, match="non-negative with every row summing to 1"):
        functional.cross_entropy(Tensor(np.zeros((2, 3))), targets)


def test_tensor_constant_wraps_without_copy_or_graph():
    data = np.arange(3.0)
    t = Tensor.constant(data)
    assert t.data is data and not t.requires_grad and t.parents == ()
    w = Tensor(np.ones(3), requires_grad=True)
    (t * w).sum().backward()
    np.testing.assert_array_equal(w.grad, data)
