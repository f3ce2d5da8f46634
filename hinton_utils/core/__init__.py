"""The floor every chapter stands on; nothing here imports a chapter module.

- :mod:`~hinton_utils.core.backend`: NumPy or CuPy (``xp``, ``asnumpy``, ``rng``).
- :mod:`~hinton_utils.core.validation`: argument checks whose messages name the argument.
- :mod:`~hinton_utils.core.special`: logistic, softplus, log-sum-exp, Bernoulli draws.
- :mod:`~hinton_utils.core.binary`: binary states, energies, exact enumeration, Gibbs sweeps.
- :mod:`~hinton_utils.core.autodiff`: the reverse-mode engine (``Tensor``, ``backward``).
- :mod:`~hinton_utils.core.functional`: losses, softmax, embedding, ``conv2d``, gradient checks.
- :mod:`~hinton_utils.core.nn`: layers, modules and the one training loop.
- :mod:`~hinton_utils.core.optim`: SGD with momentum, RMSprop, Adam.
- :mod:`~hinton_utils.core.estimator`: the estimator contract every model keeps.
"""

from __future__ import annotations

from . import (
    autodiff,
    backend,
    binary,
    estimator,
    functional,
    nn,
    optim,
    special,
    validation,
)

__all__ = [
    "autodiff",
    "backend",
    "binary",
    "estimator",
    "functional",
    "nn",
    "optim",
    "special",
    "validation",
]
