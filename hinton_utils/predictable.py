"""Chapter 17: predictable, not slow, features, and linear dynamics in a latent space.

Hinton's principle (2017): transform the measurements until you reach a state
vector in which the dynamics are *linear*, so that prediction, and a change of
viewpoint, is a matrix multiplication. This module holds the chapter's pieces:

* a toy movie: a von-Mises bump rotating round a ring of pixels at ``omega``
  radians per frame (fast and perfectly predictable) on top of a global
  brightness that drifts as an AR(1) process (slow and unpredictable);
* PCA whitening, slow feature analysis (Wiskott & Sejnowski 2002: minimise
  ``<(Δy)²> / var(y)``, a generalised eigenproblem) and a predictability
  criterion (canonical correlation between ``z_t`` and ``z_{t+1}``, which is the
  same as the best one-step linear prediction);
* least-squares linear dynamics ``z_{t+1} ≈ A z_t``, the rotation angle of a
  2×2 ``A`` in closed form, rollouts ``A^k z``, and their errors against a
  copy-the-last-frame baseline;
* viewpoint as one matrix: 3×3 similarity poses for the parts of an object,
  a change of viewpoint that multiplies every part's pose by the same matrix,
  and a renderer from poses back to pixels (the bridge to capsules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .core import backend as B
from .core.validation import check_array, check_int, check_real

__all__ = [
    "FACE_PARTS",
    "BumpMovie",
    "FeatureComparison",
    "LinearFeatures",
    "RolloutErrors",
    "Whitener",
    "ar1_forecast_error",
    "canonical_correlation",
    "compare_features",
    "copy_last_error",
    "fit_linear_dynamics",
    "interpolate_pose",
    "pose_matrix",
    "pose_params",
    "predictable_features",
    "r_squared",
    "relative_poses",
    "render_parts",
    "rollout",
    "rollout_errors",
    "rotating_bump",
    "rotation_angle",
    "slow_features",
    "slowness",
    "whiten",
]


# ---------------------------------------------------------------------------
# The toy movie
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BumpMovie:
    """Frames of the rotating bump, with the two hidden causes that made them.

    Attributes:
        frames: shape (n_frames, n_pixels): bump + brightness + pixel noise.
        phase: shape (n_frames,): the bump's angle on the ring, in [0, 2π).
        brightness: shape (n_frames,): the AR(1) brightness added to every pixel.
    """

    frames: Any
    phase: Any
    brightness: Any


def _ar1(n: int, rho: float, sd: float, gen: Any) -> Any:
    """A stationary AR(1) path: ``b_{t+1} = ρ b_t + sqrt(1 − ρ²) sd ε_t``."""
    xp = B.xp()
    eps = gen.standard_normal(n)
    innovation = sd * math.sqrt(1.0 - rho * rho)
    out = xp.empty(n)
    b = sd * float(eps[0])
    out[0] = b
    for t in range(1, n):
        b = rho * b + innovation * float(eps[t])
        out[t] = b
    return out


def rotating_bump(
    n_frames: int,
    rng: Any,
    *,
    n_pixels: int = 32,
    omega: float = 0.5,
    kappa: float = 2.0,
    rho: float = 0.95,
    brightness_sd: float = 0.3,
    noise_sd: float = 0.01,
) -> BumpMovie:
    """A 1-D movie: a bump rotating round a ring of pixels, under a drifting brightness.

    Pixel ``i`` sits at angle ``φ_i = 2π i / n_pixels``. Frame ``t`` is

    ``x_t[i] = exp(κ (cos(φ_i − θ_t) − 1)) + b_t + σ ε_{t,i}``,

    with ``θ_t = θ_0 + ω t`` (a random start, then exactly ``omega`` per frame) and
    ``b_t`` a stationary AR(1) process with lag-one correlation ``rho`` and
    standard deviation ``brightness_sd``.

    Args:
        n_frames: number of frames (at least 3).
        rng: int seed or Generator.
        n_pixels: pixels on the ring (at least 4).
        omega: the bump's angular speed, radians per frame.
        kappa: the von-Mises concentration (larger: a narrower bump).
        rho: the brightness's lag-one correlation, in [0, 1).
        brightness_sd: the brightness's stationary standard deviation.
        noise_sd: the standard deviation of independent pixel noise.

    Returns:
        A :class:`BumpMovie` of float64 arrays.
    """
    n_frames = check_int(n_frames, "n_frames", low=3)
    n_pixels = check_int(n_pixels, "n_pixels", low=4)
    omega = check_real(omega, "omega")
    kappa = check_real(kappa, "kappa", low=0.0, low_open=True)
    rho = check_real(rho, "rho", low=0.0, high=1.0, high_open=True)
    brightness_sd = check_real(brightness_sd, "brightness_sd", low=0.0)
    noise_sd = check_real(noise_sd, "noise_sd", low=0.0)
    gen = B.as_generator(rng, "rng")
    xp = B.xp()
    theta0 = 2.0 * math.pi * float(gen.random())
    theta = theta0 + omega * xp.arange(n_frames, dtype=xp.float64)
    phi = 2.0 * math.pi * xp.arange(n_pixels, dtype=xp.float64) / n_pixels
    bump = xp.exp(kappa * (xp.cos(phi[None, :] - theta[:, None]) - 1.0))
    brightness = _ar1(n_frames, rho, brightness_sd, gen)
    noise = noise_sd * gen.standard_normal((n_frames, n_pixels))
    frames = bump + brightness[:, None] + noise
    return BumpMovie(frames=frames, phase=xp.mod(theta, 2.0 * math.pi), brightness=brightness)


# ---------------------------------------------------------------------------
# Whitening, slowness and predictability
# ---------------------------------------------------------------------------


def _covariance(X: Any) -> Any:
    Xc = X - X.mean(axis=0)
    return Xc.T @ Xc / X.shape[0]


def _inverse_sqrt(C: Any, name: str) -> Any:
    """``C^{-1/2}`` of a symmetric positive-definite matrix (refuses a singular one)."""
    xp = B.xp()
    values, vectors = xp.linalg.eigh(C)
    if float(values[0]) <= 1e-12 * max(float(values[-1]), 1e-300):
        raise ValueError(
            f"{name} has (nearly) linearly dependent columns: whiten it first or use fewer"
        )
    return (vectors / xp.sqrt(values)) @ vectors.T


@dataclass(frozen=True)
class Whitener:
    """PCA whitening: ``z = (x − mean) @ weights`` has identity covariance on the data.

    Attributes:
        mean: shape (n_features,).
        weights: shape (n_features, n_components): principal axes divided by their
            standard deviations.
        unweights: shape (n_components, n_features): maps ``z`` back to (centred) ``x``.
        variances: shape (n_components,): the principal variances, largest first.
    """

    mean: Any
    weights: Any
    unweights: Any
    variances: Any

    def transform(self, X: Any) -> Any:
        """Whitened coordinates of one frame, shape (n_features,), or of the rows of ``X``."""
        X = check_array(X, "X", ndim=(1, 2), dtype="float64")
        if X.shape[-1] != self.mean.shape[0]:
            raise ValueError(
                f"X must have {self.mean.shape[0]} columns; got shape {tuple(X.shape)}"
            )
        return (X - self.mean) @ self.weights

    def inverse(self, Z: Any) -> Any:
        """The frames that the whitened coordinates ``Z`` stand for (the PCA reconstruction)."""
        Z = check_array(Z, "Z", ndim=(1, 2), dtype="float64")
        if Z.shape[-1] != self.weights.shape[1]:
            raise ValueError(
                f"Z must have {self.weights.shape[1]} columns; got shape {tuple(Z.shape)}"
            )
        return self.mean + Z @ self.unweights


def whiten(X: Any, n_components: int) -> Whitener:
    """Fit PCA whitening to the rows of ``X``, keeping ``n_components`` principal axes.

    Args:
        X: data, shape (n_samples, n_features).
        n_components: how many principal axes to keep (1 to n_features).

    Returns:
        A :class:`Whitener`; ``whitener.transform(X)`` has mean 0 and identity covariance.
    """
    X = check_array(X, "X", ndim=2, dtype="float64", min_size=2)
    n_components = check_int(n_components, "n_components", low=1, high=X.shape[1])
    if X.shape[0] < 2:
        raise ValueError(f"X must have at least 2 rows; got {X.shape[0]}")
    xp = B.xp()
    values, vectors = xp.linalg.eigh(_covariance(X))
    values, vectors = values[::-1][:n_components], vectors[:, ::-1][:, :n_components]
    if float(values[-1]) <= 1e-12 * float(values[0]):
        raise ValueError(
            f"n_components={n_components} keeps a direction with no variance; use fewer"
        )
    sd = xp.sqrt(values)
    return Whitener(
        mean=X.mean(axis=0), weights=vectors / sd, unweights=(vectors * sd).T, variances=values
    )


def slowness(Y: Any) -> Any:
    """The slowness of each column: ``<(y_{t+1} − y_t)²> / var(y)``.

    This is the Δ-value of slow feature analysis: 0 for a constant signal, 2 for
    white noise, ``2 (1 − ρ)`` for an AR(1) process with lag-one correlation ρ and
    ``2 (1 − cos ω)`` for a sinusoid that advances ω radians per step.

    Args:
        Y: signals, shape (n_steps,) or (n_steps, n_signals).

    Returns:
        A float for 1-D input, else shape (n_signals,).
    """
    Y = check_array(Y, "Y", ndim=(1, 2), dtype="float64", min_size=2)
    if Y.shape[0] < 2:
        raise ValueError(f"Y must have at least 2 time steps; got {Y.shape[0]}")
    xp = B.xp()
    variance = Y.var(axis=0)
    if bool(xp.any(variance <= 0)):
        raise ValueError("Y must not contain a constant signal (its slowness is undefined)")
    result = (xp.diff(Y, axis=0) ** 2).mean(axis=0) / variance
    return float(result) if Y.ndim == 1 else result


@dataclass(frozen=True)
class LinearFeatures:
    """Linear features ``y = (z − mean) @ weights``, best first.

    Attributes:
        weights: shape (n_inputs, n_components); each column has unit variance on the data.
        mean: shape (n_inputs,): the data's mean, removed before projecting.
        scores: shape (n_components,): slowness (ascending) for :func:`slow_features`,
            canonical correlation (descending) for :func:`predictable_features`.
    """

    weights: Any
    mean: Any
    scores: Any

    def transform(self, Z: Any) -> Any:
        """The features of the rows of ``Z``."""
        Z = check_array(Z, "Z", ndim=2, shape=(None, self.weights.shape[0]), dtype="float64")
        return (Z - self.mean) @ self.weights


def _check_signals(Z: Any, n_components: Any, lag: int = 1) -> tuple[Any, int]:
    Z = check_array(Z, "Z", ndim=2, dtype="float64")
    if Z.shape[0] < Z.shape[1] + lag + 2:
        raise ValueError(f"Z must have more time steps than columns; got shape {tuple(Z.shape)}")
    n = Z.shape[1] if n_components is None else n_components
    return Z, check_int(n, "n_components", low=1, high=Z.shape[1])


def slow_features(Z: Any, n_components: int | None = None) -> LinearFeatures:
    """Slow feature analysis: the linear features that change least from step to step.

    Minimises ``w^T Ċ w`` subject to ``w^T C w = 1`` (and decorrelation from the
    slower features), where ``C`` is the covariance of ``z`` and ``Ċ = <Δz Δzᵀ>``
    the second moment of its one-step differences: the generalised eigenproblem
    ``Ċ w = λ C w``, solved by whitening with ``C^{-1/2}``. The eigenvalue λ is
    the feature's slowness (see :func:`slowness`).

    Args:
        Z: signals, shape (n_steps, n_inputs), more steps than inputs.
        n_components: how many features to return (default: all).

    Returns:
        :class:`LinearFeatures` with the slowest first; ``scores`` are the slownesses.
    """
    Z, n = _check_signals(Z, n_components)
    xp = B.xp()
    S = _inverse_sqrt(_covariance(Z), "Z")
    D = xp.diff(Z, axis=0)
    values, vectors = xp.linalg.eigh(S @ (D.T @ D / D.shape[0]) @ S)
    return LinearFeatures(weights=S @ vectors[:, :n], mean=Z.mean(axis=0), scores=values[:n])


def canonical_correlation(X: Any, Y: Any, n_components: int | None = None) -> tuple[Any, Any, Any]:
    """Canonical correlation analysis (Hotelling 1936) of paired rows of ``X`` and ``Y``.

    Finds directions ``u_k``, ``v_k`` that maximise the correlation of ``X u`` and
    ``Y v``, each pair uncorrelated with the earlier ones: the singular value
    decomposition of ``C_xx^{-1/2} C_xy C_yy^{-1/2}``.

    Args:
        X: shape (n_samples, p).
        Y: shape (n_samples, q).
        n_components: how many pairs (default ``min(p, q)``).

    Returns:
        ``(U, V, correlations)``: U of shape (p, n), V of shape (q, n), each column
        giving a unit-variance projection of the centred data, and the canonical
        correlations in descending order.
    """
    X = check_array(X, "X", ndim=2, dtype="float64")
    Y = check_array(Y, "Y", ndim=2, dtype="float64")
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have the same rows; got {X.shape[0]} and {Y.shape[0]}")
    if X.shape[0] <= X.shape[1] + Y.shape[1]:
        raise ValueError(f"X and Y need more rows than columns; got {X.shape[0]} rows")
    n_max = min(X.shape[1], Y.shape[1])
    n = check_int(n_max if n_components is None else n_components, "n_components", low=1)
    if n > n_max:
        raise ValueError(f"n_components must be <= {n_max}; got {n}")
    xp = B.xp()
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    Sx = _inverse_sqrt(Xc.T @ Xc / X.shape[0], "X")
    Sy = _inverse_sqrt(Yc.T @ Yc / Y.shape[0], "Y")
    left, values, right_t = xp.linalg.svd(Sx @ (Xc.T @ Yc / X.shape[0]) @ Sy)
    return Sx @ left[:, :n], Sy @ right_t.T[:, :n], xp.clip(values[:n], 0.0, 1.0)


def predictable_features(Z: Any, n_components: int | None = None, lag: int = 1) -> LinearFeatures:
    """The linear features of the present that best predict the future.

    Canonical correlation between ``z_t`` and ``z_{t+lag}``: the feature
    ``y_t = u^T z_t`` whose correlation with the best linear read-out
    ``v^T z_{t+lag}`` of the future is largest. Its square is the ``R²`` of that
    one-step linear prediction, so "most correlated with the future" and
    "best predicted linearly" pick the same subspace.

    Args:
        Z: signals, shape (n_steps, n_inputs), more steps than inputs.
        n_components: how many features to return (default: all).
        lag: how many steps ahead to predict (>= 1).

    Returns:
        :class:`LinearFeatures` with the most predictable first; ``scores`` are the
        canonical correlations.
    """
    lag = check_int(lag, "lag", low=1)
    Z, n = _check_signals(Z, n_components, lag)
    U, _, correlations = canonical_correlation(Z[:-lag], Z[lag:], n)
    return LinearFeatures(weights=U, mean=Z[:-lag].mean(axis=0), scores=correlations)


def r_squared(features: Any, targets: Any) -> float:
    """The fraction of the targets' variance explained by a linear fit (with intercept).

    ``1 − Σ‖residual‖² / Σ‖target − mean‖²`` over all target columns, for the
    least-squares fit of ``targets`` on ``features``. For one feature and one target
    it is the squared Pearson correlation.

    Args:
        features: shape (n_samples,) or (n_samples, n_features).
        targets: shape (n_samples,) or (n_samples, n_targets).
    """
    xp = B.xp()
    F = check_array(features, "features", ndim=(1, 2), dtype="float64")
    T = check_array(targets, "targets", ndim=(1, 2), dtype="float64")
    F = F[:, None] if F.ndim == 1 else F
    T = T[:, None] if T.ndim == 1 else T
    if F.shape[0] != T.shape[0]:
        raise ValueError(
            f"features and targets must have the same rows; got {F.shape[0]} and {T.shape[0]}"
        )
    Fc, Tc = F - F.mean(axis=0), T - T.mean(axis=0)
    total = float((Tc**2).sum())
    if total <= 0:
        raise ValueError("targets must not be constant")
    coef = xp.linalg.lstsq(Fc, Tc, rcond=None)[0]
    return 1.0 - float(((Tc - Fc @ coef) ** 2).sum()) / total


@dataclass(frozen=True)
class FeatureComparison:
    """What slow feature analysis and the predictability criterion find in one movie.

    "Explained" is the fraction of a learned feature's variance that a linear
    function of a hidden cause accounts for (:func:`r_squared` with the cause as
    the regressor); the phase enters as ``(cos θ, sin θ)``.

    Attributes:
        slowness: the slowest feature's slowness.
        slow_by_brightness, slow_by_phase: how much of the slowest feature each cause explains.
        predictable_by_brightness, predictable_by_phase: the same for the two most
            predictable features together.
        correlations: every canonical correlation between ``z_t`` and ``z_{t+1}``, descending.
        brightness_rank: the rank (0 = most predictable) of the predictable feature
            that brightness explains best, and ``brightness_correlation`` its score.
        modulus, angle: the eigenvalues ``r e^{±iθ}`` of the 2×2 dynamics fitted to
            the two most predictable features.
    """

    slowness: float
    slow_by_brightness: float
    slow_by_phase: float
    predictable_by_brightness: float
    predictable_by_phase: float
    correlations: Any
    brightness_rank: int
    brightness_correlation: float
    modulus: float
    angle: float


def compare_features(movie: BumpMovie, n_components: int = 10) -> FeatureComparison:
    """Whiten a :class:`BumpMovie`, then ask which hidden cause each criterion finds.

    Args:
        movie: the frames and the two causes that made them.
        n_components: principal components kept before whitening.
    """
    if not isinstance(movie, BumpMovie):
        raise TypeError(f"movie must be a BumpMovie; got {type(movie).__name__}")
    xp = B.xp()
    Z = whiten(movie.frames, n_components).transform(movie.frames)
    phase = xp.stack([xp.cos(movie.phase), xp.sin(movie.phase)], axis=1)
    slow = slow_features(Z, 1)
    pred = predictable_features(Z)
    y_slow = slow.transform(Z)
    y_pred = pred.transform(Z)
    by_brightness = [r_squared(movie.brightness, y_pred[:, k]) for k in range(y_pred.shape[1])]
    rank = max(range(len(by_brightness)), key=by_brightness.__getitem__)
    modulus, angle = rotation_angle(fit_linear_dynamics(y_pred[:, :2]))
    return FeatureComparison(
        slowness=float(slow.scores[0]),
        slow_by_brightness=r_squared(movie.brightness, y_slow),
        slow_by_phase=r_squared(phase, y_slow),
        predictable_by_brightness=r_squared(movie.brightness, y_pred[:, :2]),
        predictable_by_phase=r_squared(phase, y_pred[:, :2]),
        correlations=pred.scores,
        brightness_rank=rank,
        brightness_correlation=float(pred.scores[rank]),
        modulus=modulus,
        angle=angle,
    )


# ---------------------------------------------------------------------------
# Linear dynamics in the latent space
# ---------------------------------------------------------------------------


def fit_linear_dynamics(Y: Any) -> Any:
    """Least-squares ``A`` in ``y_{t+1} ≈ A y_t``: ``A = C_{10} C_{00}^{-1}``.

    Args:
        Y: a latent trajectory, shape (n_steps, k), more steps than dimensions.

    Returns:
        ``A``, shape (k, k).
    """
    Y = check_array(Y, "Y", ndim=2, dtype="float64")
    if Y.shape[0] < Y.shape[1] + 2:
        raise ValueError(f"Y must have more time steps than columns; got shape {tuple(Y.shape)}")
    xp = B.xp()
    now, nxt = Y[:-1], Y[1:]
    return xp.linalg.solve(now.T @ now, now.T @ nxt).T


def rotation_angle(A: Any) -> tuple[float, float]:
    """The modulus and angle of the eigenvalues of a real 2×2 matrix, in closed form.

    A 2×2 matrix with complex eigenvalues ``r e^{±iθ}`` turns every vector by θ
    per application (in a suitable basis) and scales it by r: a rotation when
    ``r = 1``. The eigenvalues solve ``λ² − tr(A) λ + det(A) = 0``.

    Args:
        A: shape (2, 2).

    Returns:
        ``(r, θ)`` with θ in [0, π]. For real eigenvalues, ``r`` is the larger
        absolute value and θ is 0 (positive) or π (negative).
    """
    A = check_array(A, "A", shape=(2, 2), dtype="float64")
    trace = float(A[0, 0] + A[1, 1])
    det = float(A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0])
    disc = trace * trace - 4.0 * det
    if disc < 0:
        r = math.sqrt(det)
        return r, math.acos(max(-1.0, min(1.0, trace / (2.0 * r))))
    roots = ((trace + math.sqrt(disc)) / 2.0, (trace - math.sqrt(disc)) / 2.0)
    big = max(roots, key=abs)
    return abs(big), 0.0 if big >= 0 else math.pi


def rollout(A: Any, z0: Any, n_steps: int) -> Any:
    """Iterate the linear dynamics: ``z_k = A^k z_0`` for k = 0 … n_steps.

    Args:
        A: shape (k, k).
        z0: one start, shape (k,), or a batch, shape (n, k).
        n_steps: how many steps to roll out.

    Returns:
        Shape (n_steps + 1, k) or (n_steps + 1, n, k); entry 0 is ``z0``.
    """
    A = check_array(A, "A", ndim=2, dtype="float64")
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square; got shape {tuple(A.shape)}")
    z = check_array(z0, "z0", ndim=(1, 2), dtype="float64")
    if z.shape[-1] != A.shape[0]:
        raise ValueError(f"z0 must have {A.shape[0]} entries per row; got shape {tuple(z.shape)}")
    n_steps = check_int(n_steps, "n_steps", low=0)
    xp = B.xp()
    out = xp.empty((n_steps + 1, *z.shape))
    out[0] = z
    for k in range(n_steps):
        z = z @ A.T
        out[k + 1] = z
    return out


@dataclass(frozen=True)
class RolloutErrors:
    """Mean squared pixel error of k-step predictions, split into two parts.

    Each frame's error is split into its mean over pixels (a brightness error)
    and what is left (an error in the bump's shape and position). Arrays have
    shape (horizon,), entry ``k − 1`` for a ``k``-step prediction.

    Attributes:
        latent_bump, latent_brightness: predicting with ``A^k`` in the latent space.
        copy_bump, copy_brightness: predicting that frame ``t + k`` equals frame ``t``.
    """

    latent_bump: Any
    latent_brightness: Any
    copy_bump: Any
    copy_brightness: Any


def _split_error(error: Any) -> tuple[float, float]:
    level = error.mean(axis=1)
    return float(((error - level[:, None]) ** 2).mean()), float((level**2).mean())


def rollout_errors(frames: Any, whitener: Whitener, A: Any, horizon: int) -> RolloutErrors:
    """Predict frames 1 … horizon steps ahead from every start, in two ways, and score both.

    The latent prediction whitens frame ``t``, applies ``A^k`` and maps back to
    pixels; the baseline copies frame ``t``. Every start ``t`` with ``t + horizon``
    inside ``frames`` is used.

    Args:
        frames: held-out frames, shape (n_frames, n_pixels), n_frames > horizon.
        whitener: the :class:`Whitener` that defines the latent space.
        A: the latent dynamics, shape (k, k), k = the whitener's components.
        horizon: the longest prediction, in frames.
    """
    if not isinstance(whitener, Whitener):
        raise TypeError(f"whitener must be a Whitener; got {type(whitener).__name__}")
    frames = check_array(frames, "frames", ndim=2, dtype="float64")
    k = whitener.weights.shape[1]
    A = check_array(A, "A", shape=(k, k), dtype="float64")
    horizon = check_int(horizon, "horizon", low=1)
    if frames.shape[0] <= horizon:
        raise ValueError(f"frames must have more than horizon={horizon} rows")
    xp = B.xp()
    n_starts = frames.shape[0] - horizon
    start = frames[:n_starts]
    path = rollout(A, whitener.transform(start), horizon)
    parts = xp.empty((4, horizon))
    for step in range(1, horizon + 1):
        target = frames[step : step + n_starts]
        parts[0:2, step - 1] = xp.asarray(_split_error(whitener.inverse(path[step]) - target))
        parts[2:4, step - 1] = xp.asarray(_split_error(start - target))
    return RolloutErrors(*parts)


def ar1_forecast_error(rho: float, sd: float, steps: Any) -> Any:
    """The error variance of the best k-step forecast of a stationary AR(1): ``sd² (1 − ρ^{2k})``.

    The best forecast of ``b_{t+k}`` from ``b_t`` is ``ρ^k b_t``; what it cannot
    know is the innovations still to come.
    """
    rho = check_real(rho, "rho", low=0.0, high=1.0)
    sd = check_real(sd, "sd", low=0.0)
    steps = check_array(steps, "steps", values="nonnegative", dtype="float64")
    return sd * sd * (1.0 - rho ** (2.0 * steps))


def copy_last_error(rho: float, sd: float, steps: Any) -> Any:
    """The error variance of forecasting a stationary AR(1) by its last value: ``2 sd² (1 − ρ^k)``."""
    rho = check_real(rho, "rho", low=0.0, high=1.0)
    sd = check_real(sd, "sd", low=0.0)
    steps = check_array(steps, "steps", values="nonnegative", dtype="float64")
    return 2.0 * sd * sd * (1.0 - rho**steps)


# ---------------------------------------------------------------------------
# Viewpoint as one matrix: poses of parts, and rendering them to pixels
# ---------------------------------------------------------------------------

# A face as four parts. Each entry: the part's pose in the face's own frame
# (x, y, angle, log-scale) and its shape (half-width, half-height) in the part's frame.
FACE_PARTS: dict[str, tuple[tuple[float, float, float, float], tuple[float, float]]] = {
    "left eye": ((-0.32, 0.3, 0.0, 0.0), (0.16, 0.1)),
    "right eye": ((0.32, 0.3, 0.0, 0.0), (0.16, 0.1)),
    "nose": ((0.0, -0.02, 0.0, 0.0), (0.08, 0.22)),
    "mouth": ((0.0, -0.42, 0.0, 0.0), (0.32, 0.08)),
}


def pose_matrix(x: float, y: float, angle: float, log_scale: float = 0.0) -> Any:
    """A 3×3 homogeneous similarity transform: scale, then rotate, then translate.

    It maps points in a part's own frame to its parent's frame:
    ``[[s cos a, −s sin a, x], [s sin a, s cos a, y], [0, 0, 1]]`` with ``s = e^{log_scale}``.
    Composing poses is multiplying matrices.
    """
    x, y = check_real(x, "x"), check_real(y, "y")
    angle = check_real(angle, "angle")
    log_scale = check_real(log_scale, "log_scale", low=-20.0, high=20.0)
    s = math.exp(log_scale)
    c, n = s * math.cos(angle), s * math.sin(angle)
    return B.xp().asarray([[c, -n, x], [n, c, y], [0.0, 0.0, 1.0]])


def _check_pose(M: Any, name: str) -> Any:
    M = check_array(M, name, ndim=(2, 3), dtype="float64")
    if M.shape[-2:] != (3, 3):
        raise ValueError(f"{name} must be a 3x3 pose matrix (or a stack); got {tuple(M.shape)}")
    xp = B.xp()
    bottom = xp.asarray([0.0, 0.0, 1.0])
    if not bool(xp.allclose(M[..., 2, :], bottom, atol=1e-9)):
        raise ValueError(f"{name} must have last row [0, 0, 1]")
    a, b = M[..., 0, 0], M[..., 1, 0]
    if not bool(
        xp.allclose(M[..., 1, 1], a, atol=1e-9) and xp.allclose(M[..., 0, 1], -b, atol=1e-9)
    ):
        raise ValueError(f"{name} must be a similarity transform (rotation times scale)")
    if bool(xp.any(a * a + b * b <= 0)):
        raise ValueError(f"{name} must have a positive scale")
    return M


def pose_params(M: Any) -> tuple[float, float, float, float]:
    """The ``(x, y, angle, log_scale)`` of a 3×3 similarity pose (inverse of :func:`pose_matrix`).

    The angle is in (−π, π].
    """
    M = _check_pose(M, "M")
    if M.ndim != 2:
        raise ValueError(f"M must be one 3x3 pose; got shape {tuple(M.shape)}")
    a, b = float(M[0, 0]), float(M[1, 0])
    return float(M[0, 2]), float(M[1, 2]), math.atan2(b, a), 0.5 * math.log(a * a + b * b)


def relative_poses(poses: Any) -> Any:
    """Every part's pose seen from every other part: ``R[i, j] = poses[i]^{-1} poses[j]``.

    These part-to-part relations are what stay fixed when the viewpoint changes:
    multiplying every pose by the same matrix ``V`` on the left cancels.

    Args:
        poses: shape (n_parts, 3, 3).

    Returns:
        Shape (n_parts, n_parts, 3, 3).
    """
    P = _check_pose(poses, "poses")
    if P.ndim != 3:
        raise ValueError(f"poses must be a stack of 3x3 poses; got shape {tuple(P.shape)}")
    xp = B.xp()
    inv = xp.linalg.inv(P)
    return xp.einsum("iab,jbc->ijac", inv, P)


def interpolate_pose(M0: Any, M1: Any, t: float) -> Any:
    """The pose a fraction ``t`` of the way from ``M0`` to ``M1``, through the parameters.

    Position and log-scale move linearly; the angle turns the short way round.
    """
    t = check_real(t, "t", low=0.0, high=1.0)
    x0, y0, a0, s0 = pose_params(_check_pose(M0, "M0"))
    x1, y1, a1, s1 = pose_params(_check_pose(M1, "M1"))
    turn = (a1 - a0 + math.pi) % (2.0 * math.pi) - math.pi
    return pose_matrix(x0 + t * (x1 - x0), y0 + t * (y1 - y0), a0 + t * turn, s0 + t * (s1 - s0))


def render_parts(poses: Any, shapes: Any, size: int = 32, extent: float = 1.5) -> Any:
    """Pixels from coordinates: draw each part as a soft ellipse at its pose.

    Pixel centres cover the square ``[−extent, extent]²`` (row 0 at the top). A
    pixel at point ``p`` sees part ``i`` through the part's own coordinates
    ``u = poses[i]^{-1} p``; the part paints ``exp(−½ ((u_x/w)² + (u_y/h)²))``
    and the image keeps the brightest part at each pixel.

    Args:
        poses: shape (n_parts, 3, 3): each part's pose in the image frame.
        shapes: shape (n_parts, 2): each part's half-width and half-height (> 0).
        size: pixels per side.
        extent: half the side of the square the image shows.

    Returns:
        The image, shape (size, size), values in [0, 1].
    """
    P = _check_pose(poses, "poses")
    if P.ndim != 3:
        raise ValueError(f"poses must be a stack of 3x3 poses; got shape {tuple(P.shape)}")
    S = check_array(shapes, "shapes", shape=(P.shape[0], 2), dtype="float64")
    xp = B.xp()
    if bool(xp.any(S <= 0)):
        raise ValueError("shapes must hold positive half-widths and half-heights")
    size = check_int(size, "size", low=2)
    extent = check_real(extent, "extent", low=0.0, low_open=True)
    coords = extent * (2.0 * (xp.arange(size) + 0.5) / size - 1.0)
    gx, gy = xp.meshgrid(coords, coords[::-1])
    points = xp.stack([gx.ravel(), gy.ravel(), xp.ones(size * size)])
    local = xp.linalg.inv(P) @ points  # (n_parts, 3, n_pixels)
    u = local[:, 0, :] / S[:, 0:1]
    v = local[:, 1, :] / S[:, 1:2]
    return xp.exp(-0.5 * (u * u + v * v)).max(axis=0).reshape(size, size)
