"""Every estimator in the package keeps one contract (the table in CONTRIBUTING.md).

Each test module that owns estimators lists them in ``ESTIMATOR_CASES``
(see ``estimator_contract.py``); this module collects those cases and checks
each one. A class that has ``fit`` but is not a
:class:`~hinton_utils.core.estimator.Estimator`, or an estimator no test module
describes, fails here too.
"""

from __future__ import annotations

import copy
import importlib
import inspect
import pickle
import pkgutil
from pathlib import Path

import numpy as np
import pytest

import hinton_utils
from hinton_utils.core import backend as B
from hinton_utils.core.estimator import Estimator, NotFittedError

TESTS = Path(__file__).parent

#: Names the shared vocabulary replaces (CONTRIBUTING.md, "One vocabulary").
BANNED_NAMES = {"lr", "n_steps", "n_cycles", "n_iter", "n_passes", "seed", "random_state"}


def _collect_cases() -> dict[str, object]:
    cases = {}
    for path in sorted(TESTS.glob("test_*.py")):
        if path.stem == "test_estimators":
            continue
        module = importlib.import_module(path.stem)
        for key, case in getattr(module, "ESTIMATOR_CASES", {}).items():
            cases[f"{path.stem.removeprefix('test_')}.{key}"] = case
    return cases


CASES = _collect_cases()
IDS = sorted(CASES)


def _package_classes_with_fit() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(hinton_utils.__path__, "hinton_utils."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == info.name and callable(getattr(cls, "fit", None)):
                found.append(cls)
    return found


def _arrays(value):
    """Every array in ``value`` (an array, a Tensor, or nested lists/tuples/dicts of them)."""
    if isinstance(value, dict):
        return [a for key in sorted(value) for a in _arrays(value[key])]
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in _arrays(item)]
    return [B.asnumpy(getattr(value, "data", value))]


def _learned(estimator, names):
    return {name: _arrays(getattr(estimator, name)) for name in names}


def _assert_same(a, b):
    assert a.keys() == b.keys()
    for name in a:
        assert len(a[name]) == len(b[name]), name
        for x, y in zip(a[name], b[name], strict=True):
            np.testing.assert_array_equal(x, y, err_msg=name)


def _snapshot(estimator) -> bytes:
    return pickle.dumps({k: _plain(v) for k, v in sorted(vars(estimator).items())})


def _plain(value):
    if hasattr(value, "bit_generator"):
        return repr(value.bit_generator.state)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "data") and hasattr(value, "grad"):  # a Tensor or Parameter
        return B.asnumpy(value.data).tobytes()
    if hasattr(value, "__array__") or hasattr(value, "get"):
        try:
            return B.asnumpy(value).tobytes()
        except (TypeError, ValueError):
            pass
    if hasattr(value, "__dict__") and not isinstance(value, type):
        return {k: _plain(v) for k, v in sorted(vars(value).items())}
    try:
        pickle.dumps(value)
    except (TypeError, pickle.PicklingError, AttributeError):
        return repr(type(value))
    return value


def test_every_class_with_fit_is_an_estimator_described_by_a_case():
    classes = _package_classes_with_fit()
    not_estimators = [c.__qualname__ for c in classes if not issubclass(c, Estimator)]
    assert not not_estimators, f"classes with fit must subclass Estimator: {not_estimators}"
    described = {type(case.make(0)) for case in CASES.values()}
    concrete = [c for c in classes if not c.__name__.startswith("_")]
    missing = [c.__qualname__ for c in concrete if c not in described]
    assert not missing, f"no ESTIMATOR_CASES entry describes {missing}"


@pytest.mark.parametrize("case_id", IDS)
def test_parameters_repr_and_vocabulary(case_id):
    estimator = CASES[case_id].make(0)
    cls = type(estimator)
    params = estimator.get_params()
    signature = inspect.signature(cls.__init__).parameters
    assert list(params) == [n for n in signature if n != "self"]
    assert "rng" in params, "every estimator takes rng at construction"
    banned = BANNED_NAMES & set(params)
    assert not banned, f"{cls.__name__} uses {sorted(banned)}; see CONTRIBUTING's vocabulary"
    text = repr(estimator)
    assert text.startswith(f"{cls.__name__}(") and " object at " not in text
    assert cls(**params).get_params().keys() == params.keys()
    with pytest.raises(ValueError, match="no parameter"):
        estimator.set_params(not_a_parameter=1)
    fit_params = inspect.signature(cls.fit).parameters
    training = {"learning_rate", "n_epochs", "batch_size", "momentum", "weight_decay", "rng"}
    assert not training & set(fit_params), "training settings belong in the constructor"


@pytest.mark.parametrize("case_id", IDS)
def test_same_seed_same_weights_and_refit_is_repeatable(case_id):
    case = CASES[case_id]
    first = case.fit(case.make(3))
    again = case.fit(case.make(3))
    _assert_same(_learned(first, case.learned), _learned(again, case.learned))
    before = _learned(first, case.learned)
    case.fit(first)  # fitting the same object again starts from the same generator
    _assert_same(before, _learned(first, case.learned))


@pytest.mark.parametrize("case_id", IDS)
def test_a_generator_passed_in_is_not_advanced(case_id):
    case = CASES[case_id]
    gen = B.rng(11)
    state = copy.deepcopy(gen.bit_generator.state)
    estimator = case.fit(case.make(gen))
    assert gen.bit_generator.state == state
    weights = _learned(estimator, case.learned)
    _assert_same(weights, _learned(case.fit(case.make(gen)), case.learned))


@pytest.mark.parametrize("case_id", IDS)
def test_score_is_a_float_and_changes_nothing(case_id):
    case = CASES[case_id]
    estimator = case.fit(case.make(0))
    before = _snapshot(estimator)
    value = case.score(estimator)
    assert isinstance(value, float), f"score must return a float; got {type(value).__name__}"
    assert np.isfinite(value)
    assert _snapshot(estimator) == before, "score must not change the estimator"
    assert case.score(estimator) == value
    doc = inspect.getdoc(type(estimator).score) or ""
    assert "higher" in doc.lower(), "score's docstring says that higher is better, and what it is"


@pytest.mark.parametrize("case_id", IDS)
def test_using_an_unfitted_estimator_raises_not_fitted(case_id):
    case = CASES[case_id]
    with pytest.raises(NotFittedError, match="not fitted"):
        case.score(case.make(0))


@pytest.mark.parametrize("case_id", IDS)
def test_bad_rng_is_refused_at_construction(case_id):
    case = CASES[case_id]
    with pytest.raises(ValueError, match="rng"):
        case.make(-1)
    with pytest.raises(TypeError, match="rng"):
        case.make(np.random.RandomState(0))  # noqa: NPY002 (the legacy API is what is refused)
    with pytest.raises(TypeError, match="rng"):
        case.make(None)


class _Noisy(Estimator):
    """A toy estimator: the mean of the data plus one random draw."""

    def __init__(self, scale: float = 1.0, *, rng=0):
        if scale < 0:
            raise ValueError("scale must be >= 0")
        self.scale = scale
        self.rng = rng

    def fit(self, X):
        gen = self._fit_generator()
        self.mean_ = float(np.mean(X)) + self.scale * float(gen.standard_normal())
        return self

    def score(self, X):
        """Negative squared distance to the fitted mean (higher is better)."""
        self._check_is_fitted("mean_")
        return -float(np.mean((np.asarray(X) - self.mean_) ** 2))


def test_the_base_class_on_a_toy_estimator():
    toy = _Noisy(2.0, rng=5)
    assert repr(toy) == "_Noisy(scale=2.0, rng=5)"
    assert repr(_Noisy()) == "_Noisy()"
    assert toy.get_params() == {"scale": 2.0, "rng": 5}
    assert toy.set_params(scale=3.0) is toy and toy.scale == 3.0
    with pytest.raises(ValueError, match="scale must be >= 0"):
        toy.set_params(scale=-1.0)
    assert toy.scale == 3.0  # a refused change leaves the estimator as it was
    with pytest.raises(NotFittedError, match="_Noisy is not fitted"):
        toy.score([1.0])
    assert toy.fit([0.0]).mean_ == toy.fit([0.0]).mean_
    gen = B.rng(1)
    assert "Generator" in repr(_Noisy(rng=gen))
    first = _Noisy(rng=gen).fit([0.0]).mean_
    assert _Noisy(rng=gen).fit([0.0]).mean_ == first
    assert gen.standard_normal() == B.rng(1).standard_normal()  # never advanced by fit
    assert isinstance(NotFittedError("x"), (ValueError, AttributeError))
