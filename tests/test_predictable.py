"""Chapter 17 kernels: slowness, predictability, linear latent dynamics, and poses."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from hinton_utils import predictable as P


def _ar1(n, rho, sd, seed):
    gen = np.random.default_rng(seed)
    out = np.empty(n)
    out[0] = sd * gen.standard_normal()
    eps = gen.standard_normal(n) * sd * math.sqrt(1 - rho * rho)
    for t in range(1, n):
        out[t] = rho * out[t - 1] + eps[t]
    return out


def _rotation(angle):
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


@pytest.fixture(scope="module")
def movie():
    return P.rotating_bump(6000, rng=0)


@pytest.fixture(scope="module")
def mixed_sources():
    """Two AR(1) sources (slow ρ = 0.95, fast ρ = 0.3) and white noise, mixed linearly."""
    n = 20000
    S = np.stack([_ar1(n, 0.95, 1.0, 1), _ar1(n, 0.3, 1.0, 2), _ar1(n, 0.0, 1.0, 3)], axis=1)
    M = np.array([[1.0, 0.5, -0.3], [0.2, 1.0, 0.4], [-0.6, 0.3, 1.0]])
    return S, S @ M.T


# --- the movie -----------------------------------------------------------------------------


def test_noiseless_movie_is_the_von_mises_bump_advancing_omega_per_frame():
    m = P.rotating_bump(
        50, rng=3, n_pixels=16, omega=0.7, kappa=3.0, brightness_sd=0.0, noise_sd=0.0
    )
    phi = 2 * np.pi * np.arange(16) / 16
    expected = np.exp(3.0 * (np.cos(phi[None, :] - m.phase[:, None]) - 1))
    np.testing.assert_allclose(m.frames, expected, atol=1e-12)
    steps = np.angle(np.exp(1j * np.diff(m.phase)))
    np.testing.assert_allclose(steps, 0.7, atol=1e-12)
    assert np.all(m.brightness == 0)


def test_brightness_is_a_stationary_ar1_with_the_requested_statistics():
    rho, sd, n = 0.9, 0.5, 200_000
    b = P.rotating_bump(n, rng=4, n_pixels=4, rho=rho, brightness_sd=sd).brightness
    # Monte-Carlo tolerances: the effective sample size of an AR(1) is n (1-ρ)/(1+ρ).
    n_eff = n * (1 - rho) / (1 + rho)
    assert b.var() == pytest.approx(sd**2, abs=5 * sd**2 * math.sqrt(2 / n_eff))
    lag1 = np.corrcoef(b[:-1], b[1:])[0, 1]
    assert lag1 == pytest.approx(rho, abs=5 * math.sqrt((1 - rho**2) / n) * 2)


def test_movie_is_deterministic_under_its_seed():
    a, b = P.rotating_bump(100, rng=7), P.rotating_bump(100, rng=7)
    np.testing.assert_array_equal(a.frames, b.frames)
    assert not np.array_equal(a.frames, P.rotating_bump(100, rng=8).frames)


# --- whitening ----------------------------------------------------------------------------


def test_whitening_gives_identity_covariance_and_inverts(movie):
    X = movie.frames[:3000]
    w = P.whiten(X, 10)
    Z = w.transform(X)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(np.cov(Z.T, bias=True), np.eye(10), atol=1e-10)
    # The reconstruction is the orthogonal projection onto the top-10 principal axes.
    _, vecs = np.linalg.eigh(np.cov(X.T, bias=True))
    top = vecs[:, ::-1][:, :10]
    Xc = X - X.mean(axis=0)
    np.testing.assert_allclose(w.inverse(Z), X.mean(axis=0) + Xc @ top @ top.T, atol=1e-10)
    np.testing.assert_allclose(w.transform(X[7]), Z[7])  # one frame at a time
    full = P.whiten(X, 32)
    np.testing.assert_allclose(full.inverse(full.transform(X)), X, atol=1e-10)


# --- slowness and slow feature analysis ------------------------------------------------------


def test_slowness_of_a_sinusoid_is_two_times_one_minus_cos_omega():
    omega = 0.5
    y = np.cos(omega * np.arange(200_000))
    assert P.slowness(y) == pytest.approx(2 * (1 - math.cos(omega)), rel=1e-4)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.95])
def test_slowness_of_an_ar1_is_two_times_one_minus_rho(rho):
    n = 200_000
    y = _ar1(n, rho, 1.0, 5)
    # Δ-value = 2(1 - r̂1) to first order; SE of the lag-1 autocorrelation is sqrt((1-ρ²)/n).
    tol = 2 * 5 * math.sqrt((1 - rho**2 + 1e-3) / n) + 5 * 2 * (1 - rho) * math.sqrt(2 / n)
    assert P.slowness(y) == pytest.approx(2 * (1 - rho), abs=tol)


def test_slow_features_solve_the_generalised_eigenproblem(mixed_sources):
    _, X = mixed_sources
    sfa = P.slow_features(X)
    C = np.cov(X.T, bias=True)
    D = np.diff(X, axis=0)
    Cdot = D.T @ D / len(D)
    expected = scipy.linalg.eigh(Cdot, C, eigvals_only=True)
    np.testing.assert_allclose(sfa.scores, expected, rtol=1e-10)
    W = sfa.weights
    np.testing.assert_allclose(W.T @ C @ W, np.eye(3), atol=1e-10)  # unit variance, decorrelated
    np.testing.assert_allclose(Cdot @ W, C @ W * sfa.scores, atol=1e-10)
    np.testing.assert_allclose(P.slowness(sfa.transform(X)), sfa.scores, rtol=1e-9)


def test_slowest_feature_beats_every_direction_in_a_brute_force_scan(mixed_sources):
    _, X = mixed_sources
    X2 = X[:, :2]
    angles = np.linspace(0, np.pi, 200_001)
    directions = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    # Slowness of y = X d for every direction d, as the ratio of two quadratic forms ...
    C = np.cov(X2.T, bias=True)
    D = np.diff(X2, axis=0)
    Cdot = D.T @ D / len(D)
    scanned = np.einsum("ni,ij,nj->n", directions, Cdot, directions) / np.einsum(
        "ni,ij,nj->n", directions, C, directions
    )
    # ... which is what slowness() measures on the projected signal.
    np.testing.assert_allclose(P.slowness(X2 @ directions[::20_000].T), scanned[::20_000])
    sfa = P.slow_features(X2)
    assert scanned.min() >= sfa.scores[0] - 1e-12
    assert scanned.min() == pytest.approx(sfa.scores[0], rel=1e-6)
    assert scanned.max() == pytest.approx(sfa.scores[1], rel=1e-6)


def test_slow_feature_analysis_unmixes_the_slowest_source(mixed_sources):
    S, X = mixed_sources
    y = P.slow_features(X, 1).transform(X)[:, 0]
    assert abs(np.corrcoef(y, S[:, 0])[0, 1]) > 0.99


# --- canonical correlation and predictability ---------------------------------------------


def test_canonical_correlation_against_a_direct_computation():
    gen = np.random.default_rng(11)
    latent = gen.standard_normal((5000, 2))
    X = latent @ gen.standard_normal((2, 4)) + 0.8 * gen.standard_normal((5000, 4))
    Y = latent @ gen.standard_normal((2, 3)) + 0.8 * gen.standard_normal((5000, 3))
    U, V, rho = P.canonical_correlation(X, Y)
    Cxx, Cyy = np.cov(X.T, bias=True), np.cov(Y.T, bias=True)
    Cxy = (X - X.mean(0)).T @ (Y - Y.mean(0)) / len(X)
    direct = np.sqrt(
        np.sort(np.linalg.eigvals(np.linalg.solve(Cxx, Cxy) @ np.linalg.solve(Cyy, Cxy.T)).real)[
            ::-1
        ][:3]
    )
    np.testing.assert_allclose(rho, direct, rtol=1e-9)
    # Each pair of projections has exactly that correlation, and unit variance.
    for k in range(3):
        a, b = (X - X.mean(0)) @ U[:, k], (Y - Y.mean(0)) @ V[:, k]
        assert a.var() == pytest.approx(1.0) and b.var() == pytest.approx(1.0)
        assert np.mean(a * b) == pytest.approx(rho[k], abs=1e-10)
    # Pairs are uncorrelated with one another.
    np.testing.assert_allclose(U.T @ Cxx @ U, np.eye(3), atol=1e-10)
    np.testing.assert_allclose(U.T @ Cxy @ V, np.diag(rho), atol=1e-10)


def test_with_one_target_the_canonical_correlation_is_the_multiple_correlation():
    gen = np.random.default_rng(12)
    X = gen.standard_normal((3000, 4))
    y = X @ np.array([1.0, -0.5, 0.2, 0.0]) + gen.standard_normal(3000)
    _, _, rho = P.canonical_correlation(X, y[:, None])
    assert rho[0] ** 2 == pytest.approx(P.r_squared(X, y), rel=1e-10)


def test_canonical_correlations_are_invariant_to_invertible_linear_maps():
    gen = np.random.default_rng(13)
    X = gen.standard_normal((2000, 3))
    Y = X @ gen.standard_normal((3, 3)) + gen.standard_normal((2000, 3))
    _, _, rho = P.canonical_correlation(X, Y)
    _, _, rho2 = P.canonical_correlation(
        X @ gen.standard_normal((3, 3)) + 5.0, Y @ gen.standard_normal((3, 3)) - 2.0
    )
    np.testing.assert_allclose(rho, rho2, rtol=1e-8)


def test_predictability_equals_the_r2_of_the_best_one_step_linear_prediction(mixed_sources):
    _, X = mixed_sources
    pf = P.predictable_features(X)
    _, V, rho = P.canonical_correlation(X[:-1], X[1:])
    np.testing.assert_allclose(pf.scores, rho)
    future = (X[1:] - X[1:].mean(0)) @ V
    for k in range(3):
        assert P.r_squared(X[:-1], future[:, k]) == pytest.approx(rho[k] ** 2, rel=1e-9)


def test_predictability_of_independent_ar1_sources_is_their_rho(mixed_sources):
    _, X = mixed_sources
    n = len(X)
    expected = np.array([0.95, 0.3, 0.0])
    tol = 5 * np.sqrt((1 - expected**2) / n) + 5 / n
    scores = P.predictable_features(X).scores
    np.testing.assert_allclose(scores[:2], expected[:2], atol=tol[:2].max())
    assert scores[2] < 5 / math.sqrt(n)  # white noise: nothing to predict


def test_compare_features_reports_what_each_criterion_finds():
    m = P.rotating_bump(4000, rng=1)
    c = P.compare_features(m)
    assert c.slowness == pytest.approx(2 * (1 - 0.95), abs=0.015)
    assert c.slow_by_brightness > 0.99 and c.slow_by_phase < 0.01
    assert c.predictable_by_phase > 0.999 and c.predictable_by_brightness < 0.01
    assert c.brightness_rank >= 6 and c.brightness_correlation == pytest.approx(0.95, abs=0.015)
    assert c.modulus == pytest.approx(1, abs=1e-3) and c.angle == pytest.approx(0.5, abs=1e-3)
    # Below the switch point rho = cos(omega), slow feature analysis finds the phase too.
    fast_drift = P.compare_features(P.rotating_bump(4000, rng=1, rho=0.7))
    assert fast_drift.slow_by_phase > 0.99 and fast_drift.predictable_by_phase > 0.999


def test_slow_picks_brightness_and_predictable_picks_the_phase(movie):
    X = movie.frames[:5000]
    Z = P.whiten(X, 10).transform(X)
    phase = np.stack([np.cos(movie.phase[:5000]), np.sin(movie.phase[:5000])], axis=1)
    bright = movie.brightness[:5000]
    slow = P.slow_features(Z, 1).transform(Z)
    assert P.r_squared(slow, bright) > 0.99 and P.r_squared(slow, phase) < 0.01
    pred = P.predictable_features(Z, 2).transform(Z)
    assert P.r_squared(pred, phase) > 0.999 and P.r_squared(pred, bright) < 0.01


# --- linear dynamics ------------------------------------------------------------------------


def test_fit_linear_dynamics_recovers_a_noiseless_system_exactly():
    gen = np.random.default_rng(14)
    Q, _ = np.linalg.qr(gen.standard_normal((4, 4)))
    A = 0.99 * Q
    z = np.empty((60, 4))
    z[0] = gen.standard_normal(4)
    for t in range(59):
        z[t + 1] = A @ z[t]
    np.testing.assert_allclose(P.fit_linear_dynamics(z), A, atol=1e-8)


@pytest.mark.parametrize("omega", [0.1, 0.5, 2.0, 3.0])
def test_rotation_angle_of_a_scaled_rotation_in_any_basis(omega):
    gen = np.random.default_rng(15)
    basis = gen.standard_normal((2, 2)) + 2 * np.eye(2)
    A = basis @ (0.9 * _rotation(omega)) @ np.linalg.inv(basis)
    r, angle = P.rotation_angle(A)
    assert r == pytest.approx(0.9, abs=1e-12) and angle == pytest.approx(omega, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-3, 3), min_size=4, max_size=4))
def test_rotation_angle_matches_numpy_eigenvalues(entries):
    A = np.array(entries).reshape(2, 2)
    r, angle = P.rotation_angle(A)
    ev = np.linalg.eigvals(A)
    big = ev[np.argmax(np.abs(ev))]
    assert r == pytest.approx(abs(big), abs=1e-6)
    if abs(big) < 1e-6:
        return  # both eigenvalues are (numerically) zero: the angle means nothing
    if abs(ev[0].imag) > 1e-6:
        assert angle == pytest.approx(abs(np.angle(ev[0])), abs=1e-6)
    else:
        assert angle in (0.0, math.pi)


def test_fitted_latent_dynamics_is_a_rotation_by_omega(movie):
    X = movie.frames[:5000]
    Z = P.whiten(X, 10).transform(X)
    F = P.predictable_features(Z, 2).transform(Z)
    r, angle = P.rotation_angle(P.fit_linear_dynamics(F))
    assert r == pytest.approx(1.0, abs=1e-3) and angle == pytest.approx(0.5, abs=1e-3)


def test_rollout_is_repeated_matrix_multiplication():
    gen = np.random.default_rng(16)
    A, z0 = gen.standard_normal((3, 3)) / 2, gen.standard_normal((5, 3))
    path = P.rollout(A, z0, 6)
    for k in range(7):
        np.testing.assert_allclose(path[k], z0 @ np.linalg.matrix_power(A, k).T, atol=1e-12)
    np.testing.assert_allclose(P.rollout(A, z0[0], 6)[:, :], path[:, 0, :])


def test_rollout_errors_split_the_mean_squared_error_and_match_copy_last(movie):
    X = movie.frames[:400]
    full = P.whiten(X, 32)
    err = P.rollout_errors(X, full, np.eye(32), 5)
    # With every component kept and A = I, the latent prediction is the last frame.
    np.testing.assert_allclose(err.latent_bump, err.copy_bump, atol=1e-12)
    np.testing.assert_allclose(err.latent_brightness, err.copy_brightness, atol=1e-12)
    for k in range(1, 6):
        direct = np.mean((X[: 400 - 5] - X[k : 400 - 5 + k]) ** 2)
        assert err.copy_bump[k - 1] + err.copy_brightness[k - 1] == pytest.approx(direct)


def test_latent_rollout_beats_copying_the_last_frame(movie):
    X = movie.frames
    w = P.whiten(X[:5000], 10)
    A = P.fit_linear_dynamics(w.transform(X[:5000]))
    err = P.rollout_errors(X[5000:], w, A, 30)
    assert err.latent_bump.max() < 5e-4 < 0.1 < err.copy_bump.max()
    assert np.argmin(err.copy_bump[5:]) + 6 == 25  # the bump comes back after 4π / ω ≈ 25 frames


def test_ar1_forecast_errors_match_monte_carlo():
    rho, sd, n = 0.95, 0.3, 400_000
    b = _ar1(n, rho, sd, 17)
    steps = np.array([1, 5, 20])
    best = P.ar1_forecast_error(rho, sd, steps)
    copy = P.copy_last_error(rho, sd, steps)
    n_eff = n * (1 - rho) / (1 + rho)
    for k, e_best, e_copy in zip(steps, best, copy):
        m_best = np.mean((b[k:] - rho**k * b[:-k]) ** 2)
        m_copy = np.mean((b[k:] - b[:-k]) ** 2)
        assert m_best == pytest.approx(e_best, rel=6 * math.sqrt(2 / n_eff))
        assert m_copy == pytest.approx(e_copy, rel=6 * math.sqrt(2 / n_eff))
    assert np.all(best <= copy)  # ρ^k is the better forecast for every k


# --- poses: viewpoint as one matrix ------------------------------------------------------


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-5, 5),
    st.floats(-5, 5),
    st.floats(-3.1, 3.1),
    st.floats(-2, 2),
    st.floats(-5, 5),
    st.floats(-5, 5),
    st.floats(-1.5, 1.5),
    st.floats(-2, 2),
)
def test_poses_round_trip_and_compose_by_matrix_product(x, y, a, s, x2, y2, a2, s2):
    M = P.pose_matrix(x, y, a, s)
    np.testing.assert_allclose(P.pose_params(M), (x, y, a, s), atol=1e-9)
    _, _, angle, log_scale = P.pose_params(M @ P.pose_matrix(x2, y2, a2, s2))
    assert log_scale == pytest.approx(s + s2, abs=1e-9)
    assert np.cos(angle - (a + a2)) == pytest.approx(1.0, abs=1e-9)  # angles add


def _face(pose):
    poses = np.stack([pose @ P.pose_matrix(*part) for part, _ in P.FACE_PARTS.values()])
    shapes = np.array([shape for _, shape in P.FACE_PARTS.values()])
    return poses, shapes


def test_a_viewpoint_change_leaves_every_part_to_part_relation_unchanged():
    poses, _ = _face(P.pose_matrix(0.2, -0.1, 0.3, 0.1))
    V = P.pose_matrix(-0.4, 0.5, 1.1, -0.2)
    moved = V @ poses
    np.testing.assert_allclose(P.relative_poses(moved), P.relative_poses(poses), atol=1e-12)
    # ... and the change itself can be read off any one part: the same V from every part.
    for before, after in zip(poses, moved):
        np.testing.assert_allclose(after @ np.linalg.inv(before), V, atol=1e-12)


def test_rendering_is_equivariant_to_pixel_shifts_and_quarter_turns():
    size, extent = 24, 1.5
    poses, shapes = _face(P.pose_matrix(0.0, 0.0, 0.2, -0.3))
    image = P.render_parts(poses, shapes, size, extent)
    pixel = 2 * extent / size
    shifted = P.render_parts(P.pose_matrix(2 * pixel, 0, 0) @ poses, shapes, size, extent)
    np.testing.assert_allclose(shifted[:, 2:], image[:, :-2], atol=1e-12)
    turned = P.render_parts(P.pose_matrix(0, 0, np.pi / 2) @ poses, shapes, size, extent)
    np.testing.assert_allclose(turned, np.rot90(image), atol=1e-12)
    assert image.max() <= 1.0 and image.min() >= 0.0


def test_interpolated_pose_ends_at_both_poses_and_turns_the_short_way():
    M0, M1 = P.pose_matrix(0, 0, 3.0, 0.0), P.pose_matrix(2, 4, -3.0, 1.0)
    np.testing.assert_allclose(P.interpolate_pose(M0, M1, 0.0), M0, atol=1e-12)
    np.testing.assert_allclose(P.interpolate_pose(M0, M1, 1.0), M1, atol=1e-12)
    x, y, a, s = P.pose_params(P.interpolate_pose(M0, M1, 0.5))
    assert (x, y, s) == pytest.approx((1, 2, 0.5))
    assert abs(abs(a) - math.pi) < 1e-9  # through π, not through 0


# --- bad input ------------------------------------------------------------------------------

GOOD = np.random.default_rng(0).standard_normal((50, 3))
W3 = P.whiten(GOOD, 3)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: P.rotating_bump(2, rng=0), ValueError, "n_frames must be >= 3"),
        (lambda: P.rotating_bump(10, rng=None), TypeError, "rng must be"),
        (lambda: P.rotating_bump(10, rng=0, rho=1.0), ValueError, "rho must be < 1"),
        (lambda: P.rotating_bump(10, rng=0, kappa=0.0), ValueError, "kappa must be > 0"),
        (lambda: P.rotating_bump(10, rng=0, noise_sd=-1.0), ValueError, "noise_sd must be >= 0"),
        (lambda: P.whiten(GOOD, 4), ValueError, "n_components must be <= 3"),
        (lambda: P.whiten(np.ones((5, 2)), 1), ValueError, "no variance"),
        (lambda: P.whiten("x", 1), TypeError, "X must be an array"),
        (lambda: W3.transform(np.ones((4, 2))), ValueError, "X must have 3 columns"),
        (lambda: W3.inverse(np.ones((4, 2))), ValueError, "Z must have 3 columns"),
        (lambda: P.slowness(np.ones(10)), ValueError, "constant signal"),
        (lambda: P.slowness(np.ones((1, 2))), ValueError, "at least 2"),
        (lambda: P.slow_features(GOOD[:4]), ValueError, "more time steps than columns"),
        (lambda: P.slow_features(GOOD, 0), ValueError, "n_components must be >= 1"),
        (lambda: P.slow_features(np.c_[GOOD, GOOD[:, :1]]), ValueError, "linearly dependent"),
        (lambda: P.canonical_correlation(GOOD, GOOD[:10]), ValueError, "same rows"),
        (lambda: P.canonical_correlation(GOOD, GOOD, 4), ValueError, "n_components must be <= 3"),
        (lambda: P.predictable_features(GOOD, lag=0), ValueError, "lag must be >= 1"),
        (lambda: P.predictable_features(GOOD, 1.5), TypeError, "n_components must be an int"),
        (lambda: P.r_squared(GOOD, GOOD[:5]), ValueError, "same rows"),
        (lambda: P.r_squared(GOOD, np.ones(50)), ValueError, "must not be constant"),
        (lambda: P.fit_linear_dynamics(GOOD[:3]), ValueError, "more time steps"),
        (lambda: P.compare_features(GOOD), TypeError, "movie must be a BumpMovie"),
        (lambda: P.rotation_angle(np.eye(3)), ValueError, r"A must have shape \(2, 2\)"),
        (lambda: P.rollout(np.ones((2, 3)), np.ones(2), 3), ValueError, "A must be square"),
        (lambda: P.rollout(np.eye(2), np.ones(3), 3), ValueError, "z0 must have 2 entries"),
        (lambda: P.rollout(np.eye(2), np.ones(2), -1), ValueError, "n_steps must be >= 0"),
        (lambda: P.rollout_errors(GOOD, "w", np.eye(3), 2), TypeError, "whitener must be"),
        (lambda: P.rollout_errors(GOOD, W3, np.eye(2), 2), ValueError, "A must have shape"),
        (lambda: P.rollout_errors(GOOD, W3, np.eye(3), 50), ValueError, "more than horizon"),
        (lambda: P.ar1_forecast_error(1.5, 1.0, [1]), ValueError, "rho must be <= 1"),
        (lambda: P.copy_last_error(0.5, 1.0, [-1]), ValueError, "steps must be non-negative"),
        (lambda: P.pose_matrix(0, 0, "a"), TypeError, "angle must be a real number"),
        (lambda: P.pose_params(np.eye(2)), ValueError, "M must be a 3x3 pose"),
        (lambda: P.pose_params(np.ones((3, 3))), ValueError, "last row"),
        (lambda: P.relative_poses(np.eye(3)), ValueError, "stack of 3x3 poses"),
        (lambda: P.interpolate_pose(np.eye(3), np.eye(3), 2.0), ValueError, "t must be <= 1"),
        (
            lambda: P.render_parts(np.eye(3)[None], np.array([[1.0, -1.0]])),
            ValueError,
            "shapes must hold positive",
        ),
        (lambda: P.render_parts(np.eye(3)[None], np.ones((2, 2))), ValueError, "shapes must have"),
        (
            lambda: P.render_parts(np.diag([1.0, 2.0, 1.0])[None], np.ones((1, 2))),
            ValueError,
            "similarity transform",
        ),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.gpu
def test_kernels_agree_on_cupy_and_numpy(on_both_backends):
    frames = P.rotating_bump(800, rng=0).frames

    def run(xp):
        X = xp.asarray(frames)
        w = P.whiten(X, 10)
        Z = w.transform(X)
        return xp.concatenate(
            [
                P.slow_features(Z).scores,
                P.predictable_features(Z).scores,
                P.fit_linear_dynamics(Z).ravel(),
            ]
        )

    cpu, gpu = on_both_backends(run)
    np.testing.assert_allclose(cpu, gpu, atol=1e-8)
