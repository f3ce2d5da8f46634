"""Offline data: bundled images, generated toys, and the checksum-verified IDX loader."""

from __future__ import annotations

import gzip
import hashlib
import struct

import numpy as np
import pytest

from hinton_utils import data


def test_digits_shape_range_and_binarize():
    X, y = data.digits()
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert X.min() == 0.0 and X.max() == 1.0
    assert y.dtype == np.int64 and set(np.unique(y)) == set(range(10))
    Xb, _ = data.digits(binarize=True)
    assert set(np.unique(Xb)) == {0.0, 1.0}
    X[0, 0] = 99.0  # callers get copies: the cache cannot be corrupted
    assert data.digits()[0][0, 0] != 99.0


def test_mnist_5k_is_real_mnist_shuffled_in_a_fixed_order():
    X, y = data.mnist_5k()
    assert X.shape == (5000, 784) and X.dtype == np.float32
    assert 0.0 <= X.min() and X.max() == pytest.approx(1.0)
    assert np.bincount(y).tolist() == [500] * 10
    assert len(set(y[:50].tolist())) > 5, "the file is sorted by label; we must shuffle"
    np.testing.assert_array_equal(y, data.mnist_5k()[1])
    # Real digits: the average image is dark at the borders and bright in the middle.
    mean_image = X.mean(axis=0).reshape(28, 28)
    assert mean_image[:2].max() < 0.05 and mean_image[10:18, 10:18].mean() > 0.2


def test_random_patterns_are_pm1_and_seeded():
    P = data.random_patterns(50, 200, rng=1)
    assert P.shape == (50, 200) and set(np.unique(P)) == {-1.0, 1.0}
    assert abs(P.mean()) < 0.05
    np.testing.assert_array_equal(P, data.random_patterns(50, 200, rng=1))


@pytest.mark.parametrize(("n", "count"), [(2, 6), (3, 14), (4, 30), (5, 62)])
def test_bars_and_stripes_counts_and_structure(n, count):
    B = data.bars_and_stripes(n)
    assert B.shape == (count, n * n)
    assert len({row.tobytes() for row in B}) == count
    for row in B.reshape(-1, n, n):
        rows_equal = np.all(row == row[0:1, :])
        cols_equal = np.all(row == row[:, 0:1])
        assert rows_equal or cols_equal


def test_encoder_patterns():
    E = data.encoder_patterns(4)
    assert E.shape == (4, 8)
    np.testing.assert_array_equal(E[:, :4], np.eye(4))
    np.testing.assert_array_equal(E[:, 4:], np.eye(4))


def _write_idx(path, array, compress):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        payload = gzip.compress(payload)
    path.write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize("compress", [False, True])
def test_load_mnist_idx_round_trip(tmp_path, compress):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28))
    labels = rng.integers(0, 10, size=7)
    suffix = ".gz" if compress else ""
    img_path, lab_path = tmp_path / f"img{suffix}", tmp_path / f"lab{suffix}"
    img_sha = _write_idx(img_path, images, compress)
    lab_sha = _write_idx(lab_path, labels, compress)
    X, y = data.load_mnist_idx(img_path, lab_path, img_sha, lab_sha)
    assert X.shape == (7, 784) and X.dtype == np.float32
    np.testing.assert_allclose(X * 255, images.reshape(7, 784), atol=1e-4)
    np.testing.assert_array_equal(y, labels)


def test_idx_checksum_mismatch_is_refused(tmp_path):
    path = tmp_path / "x.idx"
    _write_idx(path, np.zeros((2, 3)), compress=False)
    with pytest.raises(ValueError, match="sha256 mismatch"):
        data.read_idx(path, "0" * 64)


def test_idx_loader_never_downloads_and_explains_itself(tmp_path):
    with pytest.raises(FileNotFoundError, match="never downloads"):
        data.read_idx(tmp_path / "missing.gz", "a" * 64)
    with pytest.raises(ValueError, match="images_sha256 is required"):
        data.load_mnist_idx(tmp_path / "mine.idx", tmp_path / "labels.idx")


def test_idx_bad_magic_and_truncation(tmp_path):
    bad = tmp_path / "bad.idx"
    bad.write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(ValueError, match="bad magic number"):
        data.read_idx(bad, hashlib.sha256(bad.read_bytes()).hexdigest())
    short = tmp_path / "short.idx"
    short.write_bytes(struct.pack(">BBBBI", 0, 0, 8, 1, 10) + b"\x01\x02")
    with pytest.raises(ValueError, match="needs 18"):
        data.read_idx(short, hashlib.sha256(short.read_bytes()).hexdigest())


def test_idx_wrong_shapes_are_refused(tmp_path):
    img, lab = tmp_path / "i.idx", tmp_path / "l.idx"
    img_sha = _write_idx(img, np.zeros((3, 8, 8)), compress=False)
    lab_sha = _write_idx(lab, np.zeros(3), compress=False)
    with pytest.raises(ValueError, match="28×28"):
        data.load_mnist_idx(img, lab, img_sha, lab_sha)
    img_sha = _write_idx(img, np.zeros((3, 28, 28)), compress=False)
    lab_sha = _write_idx(lab, np.zeros(4), compress=False)
    with pytest.raises(ValueError, match="one label per image"):
        data.load_mnist_idx(img, lab, img_sha, lab_sha)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: data.digits(binarize=1), TypeError, "binarize must be True or False"),
        (lambda: data.mnist_5k(binarize="no"), TypeError, "binarize must be True or False"),
        (lambda: data.random_patterns(0, 5, 0), ValueError, "n_patterns must be >= 1"),
        (lambda: data.random_patterns(2, 5.0, 0), TypeError, "n_units must be an int"),
        (lambda: data.random_patterns(2, 5, None), TypeError, "rng must be"),
        (lambda: data.bars_and_stripes(0), ValueError, "n must be >= 1"),
        (lambda: data.bars_and_stripes(9), ValueError, "n must be <= 6"),
        (lambda: data.encoder_patterns(1), ValueError, "n must be >= 2"),
        (lambda: data.read_idx(42, "a" * 64), TypeError, "path must be a str"),
        (lambda: data.read_idx("x", "abc"), ValueError, "sha256 must be a SHA-256 hex digest"),
        (lambda: data.read_idx("x", 5), TypeError, "sha256 must be a hex string"),
    ],
)
def test_bad_input_is_named(call, error, match):
    with pytest.raises(error, match=match):
        call()
