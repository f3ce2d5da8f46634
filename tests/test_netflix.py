"""Chapter 10's Netflix miniature: synthetic ratings, an RBM per user, matrix factorisation."""

from __future__ import annotations

import numpy as np
import pytest

from hinton_utils import netflix
from hinton_utils.core import backend as B


@pytest.fixture(scope="module")
def ratings():
    return netflix.synthetic_ratings(500, 100, rank=5, observed=0.3, scale=3.0, rng=0)


def test_synthetic_ratings_masks_are_disjoint_and_sized(ratings):
    R, train, test = ratings["R"], ratings["train"], ratings["test"]
    assert set(np.unique(R)) == {0.0, 1.0}
    assert not np.any(train & test)
    assert 0.27 < train.mean() < 0.33 and 0.08 < test.mean() < 0.12


def test_rbm_and_matrix_factorisation_beat_the_item_mean_and_blend(ratings):
    R, train, test = ratings["R"], ratings["train"], ratings["test"]

    def rmse(pred):
        return netflix.rmse(pred, R, test)

    item_mean = (R * train).sum(0) / train.sum(0)
    baseline = rmse(np.tile(item_mean, (R.shape[0], 1)))
    p_rbm = netflix.ratings_rbm_predict(
        R, train, n_hidden=10, learning_rate=0.5, n_epochs=40, weight_decay=1e-2, rng=1
    )
    p_mf = netflix.matrix_factorization_predict(R, train, rank=5, reg=2.0, n_epochs=15, rng=2)
    assert np.all((p_rbm > 0) & (p_rbm < 1)) and np.all((p_mf >= 0) & (p_mf <= 1))
    e_rbm, e_mf = rmse(p_rbm), rmse(p_mf)
    e_blend = rmse(0.5 * (p_rbm + p_mf))
    assert e_rbm < baseline - 0.02 and e_mf < baseline - 0.02
    # convexity of squared error: the average is never worse than the worse of the two
    assert e_blend <= max(e_rbm, e_mf)


def test_the_rbm_predictions_are_seeded_and_more_gibbs_steps_still_learn(ratings):
    R, train = ratings["R"][:100], ratings["train"][:100]
    kw = {"n_hidden": 5, "n_epochs": 3, "rng": 4}
    np.testing.assert_array_equal(
        netflix.ratings_rbm_predict(R, train, **kw), netflix.ratings_rbm_predict(R, train, **kw)
    )
    p = netflix.ratings_rbm_predict(R, train, n_gibbs=3, **kw)
    assert p.shape == R.shape and np.all((p > 0) & (p < 1))


def test_netflix_functions_reject_bad_input(ratings):
    R, train = ratings["R"], ratings["train"]
    with pytest.raises(TypeError, match="mask"):
        netflix.rmse(R, R, train.astype(float))
    with pytest.raises(ValueError, match="pred"):
        netflix.rmse(R[:, :3], R, train)
    with pytest.raises(ValueError, match="R"):
        netflix.ratings_rbm_predict(R * 3, train, rng=0)
    with pytest.raises(ValueError, match="n_gibbs"):
        netflix.ratings_rbm_predict(R, train, n_gibbs=0, rng=0)
    with pytest.raises(ValueError, match="rank"):
        netflix.matrix_factorization_predict(R, train, rank=0, rng=0)
    with pytest.raises(ValueError, match="n_epochs"):
        netflix.matrix_factorization_predict(R, train, n_epochs=0, rng=0)
    with pytest.raises(ValueError, match="observed"):
        netflix.synthetic_ratings(10, 10, observed=1.5, rng=0)
    with pytest.raises(ValueError, match="mask"):
        netflix.rmse(R, R, np.zeros_like(train))


R_SMALL = np.eye(4)
MASK_SMALL = np.ones((4, 4), dtype=bool)


@pytest.mark.parametrize(
    "call",
    [
        lambda rng: netflix.synthetic_ratings(4, 4, rng=rng),
        lambda rng: netflix.ratings_rbm_predict(R_SMALL, MASK_SMALL, n_epochs=1, rng=rng),
        lambda rng: netflix.matrix_factorization_predict(
            R_SMALL, MASK_SMALL, rank=2, n_epochs=1, rng=rng
        ),
    ],
    ids=["synthetic_ratings", "ratings_rbm_predict", "matrix_factorization_predict"],
)
def test_a_negative_seed_is_refused_with_a_message_naming_rng(call):
    with pytest.raises(ValueError, match="rng"):
        call(-1)
    with pytest.raises(TypeError, match="rng"):
        call(np.random.RandomState(0))  # noqa: NPY002 (the legacy API is what is refused)
    call(B.rng(0))  # a Generator is fine
