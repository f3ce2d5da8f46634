"""Finite differences of a model's loss with respect to its parameters, for the tests.

``functional.numerical_gradient`` differentiates a function of given arrays; a
model owns its parameters, so these tests nudge each parameter entry in place.
"""

from __future__ import annotations

import numpy as np

from hinton_utils.core import autodiff as ad


def numeric_parameter_gradients(model, loss, eps=1e-6):
    """Central differences of ``loss()`` with respect to every parameter entry (float64)."""
    grads = []
    with ad.no_grad():
        for p in model.parameters():
            g = np.zeros_like(p.data)
            flat, gflat = p.data.reshape(-1), g.reshape(-1)
            for k in range(flat.size):
                old = flat[k]
                flat[k] = old + eps
                up = loss().item()
                flat[k] = old - eps
                down = loss().item()
                flat[k] = old
                gflat[k] = (up - down) / (2 * eps)
            grads.append(g)
    return grads
