"""How a test module describes one of its estimators to the shared contract test.

A test module that owns estimator classes exposes ``ESTIMATOR_CASES``, a dict
from a short id to a :class:`Case`; ``tests/test_estimators.py`` collects them
all and checks every one against the contract in CONTRIBUTING.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One estimator, small enough that a fit takes well under a second.

    Attributes:
        make: ``make(rng)`` returns an unfitted estimator built with that ``rng``.
        fit: ``fit(estimator)`` fits it on small data (and returns it).
        score: ``score(fitted)`` returns its score on small data.
        learned: names of the fitted attributes (ending in ``_``) that two fits
            with the same seed must reproduce exactly.
    """

    make: Callable[[Any], Any]
    fit: Callable[[Any], Any]
    score: Callable[[Any], Any]
    learned: tuple[str, ...]
