"""The estimator contract every trained model in the book keeps.

scikit-learn's conventions, adapted for a book whose readers rerun cells:

- The constructor takes every hyperparameter and ``rng`` (an int seed or a
  Generator) as keywords, validates them, and stores each one unchanged under
  its own name, so :meth:`Estimator.get_params` and ``repr`` can read them back.
- ``fit`` starts from :meth:`Estimator._fit_generator`: a fresh Generator built
  from the seed (or a copy of the caller's Generator). Fitting twice gives the
  same weights, and a Generator the caller passed is never advanced by ``fit``.
- What ``fit`` learns is stored in attributes ending in ``_`` (``W_``, ``coef_``).
  Using a model before ``fit`` raises :class:`NotFittedError`.
- ``score`` is higher-is-better (a log-likelihood, an accuracy, a negative
  error), says which in its docstring, and never changes the estimator.

The table in CONTRIBUTING.md lists the shared vocabulary (``learning_rate``,
``n_epochs``, ``batch_size``, ``momentum``, ``weight_decay``, ``n_gibbs``).
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from . import backend as B

__all__ = ["Estimator", "NotFittedError", "check_rng"]


class NotFittedError(ValueError, AttributeError):
    """A model was used before ``fit`` (a ValueError and an AttributeError, as in scikit-learn)."""


class Estimator:
    """Base class: parameters, a readable ``repr``, a fresh generator per fit.

    Subclasses list their hyperparameters as keyword arguments of ``__init__``
    and store each under the same attribute name. Nothing else is required.
    """

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [
            name
            for name, p in signature.parameters.items()
            if name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        ]

    def get_params(self) -> dict[str, Any]:
        """The constructor's arguments, by name, as this estimator stores them."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> Estimator:
        """Change hyperparameters (validated as the constructor would); returns ``self``.

        Raises:
            ValueError: a name that is not one of the constructor's arguments.
        """
        names = self._param_names()
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no parameter {unknown[0]!r}; its parameters are "
                f"{', '.join(names)}"
            )
        merged = {**self.get_params(), **params}
        fresh = type(self)(**merged)
        for name in names:
            setattr(self, name, getattr(fresh, name))
        return self

    def __repr__(self) -> str:
        defaults = {
            name: p.default
            for name, p in inspect.signature(type(self).__init__).parameters.items()
            if p.default is not inspect.Parameter.empty
        }
        shown = []
        for name, value in self.get_params().items():
            if name in defaults and _same(value, defaults[name]):
                continue
            shown.append(f"{name}={_short_repr(value)}")
        return f"{type(self).__name__}({', '.join(shown)})"

    def _fit_generator(self) -> Any:
        """A fresh Generator for one call of ``fit``, derived from ``self.rng``.

        A seed gives a new Generator seeded with it; a Generator is copied, so
        the caller's stays where it was and every fit starts from the same state.
        """
        rng = self.rng  # type: ignore[attr-defined]
        if B._is_generator(rng):
            return copy.deepcopy(rng)
        return B.as_generator(rng, "rng")

    def _check_is_fitted(self, attribute: str) -> None:
        """Raise :class:`NotFittedError` unless ``fit`` has set ``attribute``."""
        if getattr(self, attribute, None) is None:
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet: call fit(X) before using it"
            )


def check_rng(rng: Any, name: str = "rng") -> Any:
    """Validate an ``rng`` given at construction and return it unchanged.

    Raises the errors of :func:`hinton_utils.core.backend.as_generator` (a
    negative seed, ``None``, a legacy ``RandomState``) without creating or
    advancing anything.
    """
    if B._is_generator(rng):
        return rng
    B.as_generator(rng, name)
    return rng


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b) and type(a) is type(b)
    except (TypeError, ValueError):
        return a is b


def _short_repr(value: Any) -> str:
    if B._is_generator(value):
        return f"<{type(value).__name__}>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
