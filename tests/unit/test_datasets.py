"""chainrule.datasets: MNIST-1D generation and cache, the IDX reader, MNIST/Fashion-MNIST file resolution, parsed
cache and checked downloads, scikit-learn's digits, synthetic sets and the name registry.

The network is never touched: every test runs with ``_urlopen`` replaced by a function that fails (or serves bytes
the test made), ``$HOME`` in a temporary directory, ``$CHAINRULE_DATA`` unset and the Debian directory switched off.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import struct
import sys
import time
import urllib.error
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule import datasets as D
from chainrule.datasets import _files, mnist, mnist1d

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


def _offline(url, timeout):
    raise urllib.error.URLError("network disabled in tests")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """A fresh home (so a fresh ~/.cache/chainrule), no $CHAINRULE_DATA, no Debian files, no network."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.setattr(D.FashionMNIST, "system_dirs", ())
    monkeypatch.setattr(_files, "_urlopen", _offline)
    return home


# ------------------------------------------------------------------------------------------------ IDX files
def idx_bytes(arr: np.ndarray, code: int) -> bytes:
    """An IDX file written from the format's definition (independently of the reader under test)."""
    big = arr.astype(arr.dtype.newbyteorder(">"))
    return bytes([0, 0, code, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) + big.tobytes()


def write_idx(path: Path, arr: np.ndarray, code: int = 0x08, gz: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = idx_bytes(arr, code)
    path.write_bytes(gzip.compress(raw, compresslevel=1) if gz else raw)
    return path


def write_set(d: Path, marker: int = 7, n: int = 6, train: bool = True, gz: bool = True) -> tuple[np.ndarray, ...]:
    """Images and labels in MNIST's file names under ``d``; every image pixel (0, 0) holds ``marker``."""
    rng = np.random.default_rng(marker)
    x = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    x[:, 0, 0] = marker
    y = (np.arange(n) % 10).astype(np.uint8)
    stem = "train" if train else "t10k"
    ext = ".gz" if gz else ""
    write_idx(d / f"{stem}-images-idx3-ubyte{ext}", x, gz=gz)
    write_idx(d / f"{stem}-labels-idx1-ubyte{ext}", y, gz=gz)
    return x, y


@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("dtype,code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                        (np.float32, 0x0D), (np.float64, 0x0E)])
def test_read_idx_round_trip(tmp_path, gz, dtype, code):
    arr = (np.arange(2 * 3 * 5) - 7).reshape(2, 3, 5).astype(dtype)
    if dtype == np.uint8:
        arr = np.arange(30, dtype=np.uint8).reshape(2, 3, 5) * 8
    out = D.read_idx(write_idx(tmp_path / "a.idx", arr, code, gz))
    assert out.shape == (2, 3, 5) and out.dtype == np.dtype(dtype) and out.dtype.isnative
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_bad_magic_names_the_file(tmp_path, gz):
    raw = b"\x00\x01\x08\x01" + struct.pack(">I", 3) + b"abc"
    p = tmp_path / "bad-magic-idx1-ubyte"
    p.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match="bad-magic-idx1-ubyte.*magic"):
        D.read_idx(p)


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_truncated_and_trailing(tmp_path, gz):
    raw = idx_bytes(np.zeros((4, 28, 28), np.uint8), 0x08)
    p = tmp_path / "short-images-idx3-ubyte"
    p.write_bytes(gzip.compress(raw[:-10]) if gz else raw[:-10])
    with pytest.raises(ValueError, match=r"short-images-idx3-ubyte.*truncated.*\(4, 28, 28\)"):
        D.read_idx(p)
    p.write_bytes(gzip.compress(raw + b"\x00") if gz else raw + b"\x00")
    with pytest.raises(ValueError, match="short-images-idx3-ubyte.*trailing"):
        D.read_idx(p)


def test_read_idx_cut_gzip_stream(tmp_path):
    p = tmp_path / "cut.gz"
    p.write_bytes(gzip.compress(idx_bytes(np.ones((50, 28, 28), np.uint8), 0x08))[:40])
    with pytest.raises(ValueError, match="cut.gz.*gzip"):
        D.read_idx(p)


# ------------------------------------------------------------------------------------------------ MNIST / Fashion
@pytest.mark.parametrize("cls", [D.FashionMNIST, D.MNIST])
@pytest.mark.parametrize("gz", [True, False])
def test_idx_dataset_from_root(tmp_path, cls, gz):
    x, y = write_set(tmp_path / "data" / cls.folder / "raw", gz=gz)
    xt, yt = write_set(tmp_path / "data" / cls.folder / "raw", marker=9, n=4, train=False, gz=gz)
    ds, test = cls(root=tmp_path / "data"), cls(root=tmp_path / "data", train=False)
    assert len(ds) == 6 and len(test) == 4
    assert ds.data.dtype == np.uint8 and ds.data.shape == (6, 28, 28) and ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data, x)
    np.testing.assert_array_equal(ds.targets, y)
    np.testing.assert_array_equal(test.data, xt)
    img, label = ds[3]
    assert isinstance(img, cr.Tensor) and img.dtype == cr.float32 and tuple(img.shape) == (1, 28, 28)
    np.testing.assert_allclose(img.numpy()[0], x[3] / 255.0, rtol=1e-6)
    assert type(label) is int and label == 3
    seen = cls(root=tmp_path / "data", transform=lambda a: a, target_transform=lambda t: t + 100)[2]
    assert seen[0].dtype == np.uint8 and seen[0].shape == (28, 28) and seen[1] == 102


def test_resolution_order_root_env_cache_system(tmp_path, monkeypatch, isolated):
    root, env, system = tmp_path / "root", tmp_path / "env", tmp_path / "debian"
    write_set(root / "FashionMNIST" / "raw", marker=1)
    write_set(env / "FashionMNIST", marker=2)  # <base>/<Name> without raw/ is searched too
    write_set(isolated / ".cache" / "chainrule" / "FashionMNIST" / "raw", marker=3)
    write_set(system, marker=4)
    monkeypatch.setattr(D.FashionMNIST, "system_dirs", (str(system),))
    monkeypatch.setenv("CHAINRULE_DATA", str(env))

    def marker(**kw):
        return int(D.FashionMNIST(**kw).data[0, 0, 0])

    assert marker(root=root) == 1
    assert marker() == 2
    monkeypatch.delenv("CHAINRULE_DATA")
    assert marker() == 3
    for f in (isolated / ".cache" / "chainrule" / "FashionMNIST" / "raw").iterdir():
        f.unlink()
    assert marker() == 4
    # an explicit root may hold the files directly; the env/cache roots only under <Name>/
    flat = tmp_path / "flat"
    write_set(flat, marker=5)
    assert marker(root=flat) == 5


def test_not_found_offline_says_how_to_get_the_files(tmp_path):
    with pytest.raises(D.DatasetNotFoundError) as e:
        D.FashionMNIST(root=tmp_path / "nothing")
    msg = str(e.value)
    assert isinstance(e.value, RuntimeError)
    for needle in ("apt install dataset-fashion-mnist", "CHAINRULE_DATA", "train-images-idx3-ubyte.gz",
                   "fashion-mnist.s3", "network disabled in tests", str(tmp_path / "nothing")):
        assert needle in msg, (needle, msg)
    with pytest.raises(D.DatasetNotFoundError, match="ossci-datasets.*t10k-labels") as e2:
        D.MNIST(train=False)
    assert "apt install" not in str(e2.value)


def test_download_false_does_not_touch_the_network(monkeypatch):
    def boom(url, timeout):
        raise AssertionError("network used with download=False")

    monkeypatch.setattr(_files, "_urlopen", boom)
    with pytest.raises(D.DatasetNotFoundError, match="download=False"):
        D.MNIST(download=False)


def _serve(monkeypatch, files: dict[str, bytes]):
    calls = []

    def fake(url, timeout):
        calls.append(url)
        name = url.rsplit("/", 1)[1]
        if name not in files:
            raise urllib.error.URLError("404")
        return io.BytesIO(files[name])

    monkeypatch.setattr(_files, "_urlopen", fake)
    return calls


def test_download_with_checksum_then_load(tmp_path, monkeypatch, isolated):
    src = tmp_path / "upstream"
    x, y = write_set(src, marker=11)
    files = {p.name: p.read_bytes() for p in src.iterdir()}
    monkeypatch.setattr(D.FashionMNIST, "sha256", {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
    calls = _serve(monkeypatch, files)
    ds = D.FashionMNIST()
    np.testing.assert_array_equal(ds.data, x)
    raw = isolated / ".cache" / "chainrule" / "FashionMNIST" / "raw"
    assert sorted(p.name for p in raw.iterdir()) == sorted(files)  # no temporary files left
    assert all(u.startswith(D.FashionMNIST.mirrors[0]) for u in calls)
    calls.clear()
    D.FashionMNIST()
    assert calls == []  # found in the cache the second time


def test_download_sha256_mismatch_refuses_and_leaves_nothing(monkeypatch, isolated):
    _serve(monkeypatch, {"train-images-idx3-ubyte.gz": b"not the real file",
                         "train-labels-idx1-ubyte.gz": b"nor this"})
    with pytest.raises(D.ChecksumError, match="SHA-256 mismatch"):
        D.MNIST()
    raw = isolated / ".cache" / "chainrule" / "MNIST" / "raw"
    assert not raw.exists() or list(raw.iterdir()) == []


def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch):
    write_set(tmp_path / "up", marker=12)
    files = {p.name: p.read_bytes() for p in (tmp_path / "up").iterdir()}
    monkeypatch.setattr(D.MNIST, "sha256", {k: hashlib.sha256(v).hexdigest() for k, v in files.items()})
    monkeypatch.setattr(D.MNIST, "mirrors", ("https://dead.invalid/", "https://alive.invalid/"))

    def fake(url, timeout):
        if "dead" in url:
            raise urllib.error.URLError("connection refused")
        return io.BytesIO(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(_files, "_urlopen", fake)
    assert int(D.MNIST(root=tmp_path / "r").data[0, 0, 0]) == 12


def test_shape_checks_name_the_file(tmp_path):
    d = tmp_path / "MNIST"
    write_idx(d / "train-images-idx3-ubyte.gz", np.zeros((3, 27, 28), np.uint8))
    write_idx(d / "train-labels-idx1-ubyte.gz", np.zeros(3, np.uint8))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz.*\(N, 28, 28\).*\(3, 27, 28\)"):
        D.MNIST(root=tmp_path)
    write_idx(d / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28), np.uint8))
    write_idx(d / "train-labels-idx1-ubyte.gz", np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz.*3 uint8 labels"):
        D.MNIST(root=tmp_path)


def test_parsed_cache_60000_images_loads_fast_and_follows_the_source(tmp_path, monkeypatch):
    d = tmp_path / "FashionMNIST" / "raw"
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (60000, 28, 28), dtype=np.uint8)
    y = rng.integers(0, 10, 60000).astype(np.uint8)
    write_idx(d / "train-images-idx3-ubyte", x, gz=False)
    write_idx(d / "train-labels-idx1-ubyte", y, gz=False)
    first = D.FashionMNIST(root=tmp_path)
    np.testing.assert_array_equal(first.data, x)

    def no_parse(path):
        raise AssertionError(f"parsed {path} again instead of using the cache")

    monkeypatch.setattr(mnist, "read_idx", no_parse)
    t0 = time.perf_counter()
    second = D.FashionMNIST(root=tmp_path)
    assert time.perf_counter() - t0 < 1.0
    np.testing.assert_array_equal(second.data, x)
    np.testing.assert_array_equal(second.targets, y.astype(np.int64))
    assert list((tmp_path / "FashionMNIST" / "processed").glob(".*part")) == []
    # a changed source file is parsed again, not served stale from the cache
    monkeypatch.setattr(mnist, "read_idx", D.read_idx)
    small = np.full((2, 28, 28), 5, np.uint8)
    write_idx(d / "train-images-idx3-ubyte", small, gz=False)
    write_idx(d / "train-labels-idx1-ubyte", np.array([1, 2], np.uint8), gz=False)
    os.utime(d / "train-images-idx3-ubyte", ns=(1, 1))
    np.testing.assert_array_equal(D.FashionMNIST(root=tmp_path).data, small)


def test_real_fashion_mnist_from_the_debian_package(monkeypatch):
    if not (DEBIAN_FASHION / "train-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed ({DEBIAN_FASHION} missing): "
                    "apt-get install -y dataset-fashion-mnist")
    monkeypatch.setattr(D.FashionMNIST, "system_dirs", (str(DEBIAN_FASHION),))
    train, test = D.FashionMNIST(), D.FashionMNIST(train=False)
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    # Fashion-MNIST is balanced: 6,000 / 1,000 images of each of the 10 classes
    np.testing.assert_array_equal(np.bincount(train.targets), np.full(10, 6000))
    np.testing.assert_array_equal(np.bincount(test.targets), np.full(10, 1000))
    assert train.data.max() == 255 and train.classes[9] == "Ankle boot"


# ------------------------------------------------------------------------------------------------ MNIST-1D
@pytest.fixture(scope="module")
def mnist1d_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("mnist1d")
    D.MNIST1D(root=root)
    return root


def test_mnist1d_shapes_dtypes_and_split(mnist1d_root):
    train, test = D.MNIST1D(root=mnist1d_root), D.MNIST1D(root=mnist1d_root, train=False)
    assert train.data.shape == (4000, 40) and test.data.shape == (1000, 40)
    assert train.data.dtype == np.float32 and train.targets.dtype == np.int64
    # the paper's set: 500 signals of each digit, standardised as a whole
    y = np.concatenate([train.targets, test.targets])
    np.testing.assert_array_equal(np.bincount(y), np.full(10, 500))
    x = np.concatenate([train.data, test.data]).astype(np.float64)
    assert abs(x.mean()) < 1e-5 and abs(x.std() - 1) < 1e-5
    sig, label = train[0]
    assert isinstance(sig, cr.Tensor) and sig.dtype == cr.float32 and tuple(sig.shape) == (40,)
    assert type(label) is int and label == train.targets[0]


def test_mnist1d_cache_hit_is_fast_and_identical(mnist1d_root, monkeypatch):
    first = D.MNIST1D(root=mnist1d_root)

    def no_generation(seed=42):
        raise AssertionError("generated again instead of reading the cache")

    monkeypatch.setattr(mnist1d, "generate_mnist1d", no_generation)
    t0 = time.perf_counter()
    again = D.MNIST1D(root=mnist1d_root)
    assert time.perf_counter() - t0 < 0.5
    np.testing.assert_array_equal(again.data, first.data)
    np.testing.assert_array_equal(again.targets, first.targets)


def test_mnist1d_deterministic_and_keeps_global_rng():
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    a, b = D.generate_mnist1d(42, num_samples=100), D.generate_mnist1d(42, num_samples=100)
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # the caller's stream is untouched
    assert a["x"].shape == (80, 40) and a["x_test"].shape == (20, 40)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.allclose(D.generate_mnist1d(7, num_samples=100)["x"], a["x"])


def test_mnist1d_download_false_and_missing_package(tmp_path, monkeypatch):
    with pytest.raises(D.DatasetNotFoundError, match="download=False"):
        D.MNIST1D(root=tmp_path, download=False)
    monkeypatch.setitem(sys.modules, "mnist1d", None)
    monkeypatch.setitem(sys.modules, "mnist1d.data", None)
    with pytest.raises(ImportError, match=r"chainrule\[mnist1d\]"):
        D.MNIST1D(root=tmp_path)


# ------------------------------------------------------------------------------------------------ digits
def test_digits_split_and_values():
    from sklearn.datasets import load_digits

    ref = load_digits()
    train, test = D.Digits(), D.Digits(train=False)
    assert len(train) + len(test) == 1797 and len(test) == 359
    assert train.data.dtype == np.uint8 and train.data.shape[1:] == (8, 8) and train.data.max() == 16
    # train and test partition the bundled set: together, the same images with the same labels
    both = np.concatenate([train.data, test.data]).reshape(1797, -1).astype(np.float64)
    labels = np.concatenate([train.targets, test.targets])
    key = np.lexsort(np.column_stack([both, labels]).T)
    ref_x = ref.images.reshape(1797, -1)
    ref_key = np.lexsort(np.column_stack([ref_x, ref.target]).T)
    np.testing.assert_array_equal(both[key], ref_x[ref_key])
    np.testing.assert_array_equal(labels[key], ref.target[ref_key])
    img, label = test[0]
    assert img.dtype == cr.float32 and tuple(img.shape) == (1, 8, 8)
    np.testing.assert_allclose(img.numpy()[0], test.data[0] / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(D.Digits(split_seed=0).data, train.data)
    with pytest.raises(ValueError, match="test_fraction"):
        D.Digits(test_fraction=1.5)


def test_digits_without_sklearn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r'pip install "chainrule\[digits\]"'):
        D.Digits()


# ------------------------------------------------------------------------------------------------ synthetic sets
MAKERS = [(D.make_spirals, dict(classes=3), 3), (D.make_moons, {}, 2), (D.make_xor, {}, 2),
          (D.make_blobs, dict(centers=4), 4)]


@pytest.mark.parametrize("maker,kw,k", MAKERS, ids=lambda v: getattr(v, "__name__", ""))
def test_synthetic_shapes_labels_balance_and_seeding(maker, kw, k):
    X, y = maker(101, generator=0, **kw)
    assert X.shape == (101, 2) and X.dtype == np.float32 and y.dtype == np.int64
    counts = np.bincount(y, minlength=k)
    assert len(counts) == k and counts.max() - counts.min() <= 1
    X2, y2 = maker(101, generator=cr.Generator().manual_seed(0), **kw)
    X3, _ = maker(101, generator=cr.Generator().manual_seed(0), **kw)
    np.testing.assert_array_equal(X2, X3)
    assert not np.array_equal(maker(101, generator=1, **kw)[0], X)
    np.testing.assert_array_equal(maker(101, generator=0, **kw)[0], X)


def test_spirals_points_lie_on_their_arms():
    X, y = D.make_spirals(90, classes=3, noise=0.0, generator=0, turns=1.5)
    r = np.hypot(X[:, 0], X[:, 1]).astype(np.float64)
    keep = r > 1e-3
    expected = 2 * np.pi * y / 3 + 2 * np.pi * 1.5 * r
    actual = np.arctan2(X[:, 1], X[:, 0])
    np.testing.assert_allclose(np.cos(actual - expected)[keep], 1.0, atol=1e-5)
    assert r.max() == pytest.approx(1.0, abs=1e-6)


def test_moons_match_scikit_learn_without_noise():
    from sklearn.datasets import make_moons

    ref_x, ref_y = make_moons(n_samples=31, shuffle=False, noise=0.0)
    X, y = D.make_moons(31, noise=0.0, shuffle=False)
    np.testing.assert_allclose(X, ref_x, atol=1e-6)
    np.testing.assert_array_equal(y, ref_y)


def test_xor_is_not_linearly_separable_but_the_product_separates():
    X, y = D.make_xor(400, noise=0.2, generator=3)
    target = 2.0 * y - 1

    def lstsq_acc(F):
        A = np.column_stack([F, np.ones(len(F))])
        w = np.linalg.lstsq(A, target, rcond=None)[0]
        return np.mean(np.sign(A @ w) == target)

    assert lstsq_acc(X) < 0.8
    assert lstsq_acc(np.column_stack([X, X[:, 0] * X[:, 1]])) > 0.95
    X0, y0 = D.make_xor(8, noise=0.0, shuffle=False)
    np.testing.assert_array_equal(y0, (X0[:, 0] > 0) ^ (X0[:, 1] > 0))


def test_blobs_recover_their_centres():
    centres = np.array([[0.0, 0.0], [5.0, -3.0], [-4.0, 6.0]])
    X, y = D.make_blobs(3000, centers=centres, std=0.5, generator=0)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(0), centres[k], atol=0.05)
        assert X[y == k].std(0) == pytest.approx([0.5, 0.5], rel=0.1)
    X, y, c = D.make_blobs(600, centers=3, n_features=5, generator=1, return_centers=True)
    assert c.shape == (3, 5) and X.shape == (600, 5) and np.all(np.abs(c) <= 10)
    for k in range(3):
        np.testing.assert_allclose(X[y == k].mean(0), c[k], atol=0.4)


@pytest.mark.parametrize("name", ["spirals", "moons"])
def test_synthetic_sets_are_learnable_by_nearest_neighbour(name):
    kw = dict(noise=0.05) if name == "spirals" else dict(noise=0.1)
    train, test = D.get_dataset(name, "train", n=300, **kw), D.get_dataset(name, "test", n=300, **kw)
    assert not np.array_equal(train.data, test.data)
    d = ((test.data[:, None, :] - train.data[None, :, :]) ** 2).sum(-1)
    acc = np.mean(train.targets[d.argmin(1)] == test.targets)
    assert acc > 0.9


def test_synthetic_dataset_wraps_arrays():
    X, y = D.make_moons(10, generator=0)
    ds = D.SyntheticDataset(X, y)
    x3, y3 = ds[3]
    assert len(ds) == 10 and x3.dtype == cr.float32 and y3.dtype == cr.int64
    np.testing.assert_array_equal(x3.numpy(), X[3])
    assert int(y3.item()) == y[3] and ds.classes == ["0", "1"]
    with pytest.raises(ValueError, match="SyntheticDataset"):
        D.SyntheticDataset(X, y[:5])


def test_synthetic_bad_input():
    with pytest.raises(ValueError, match="make_spirals.*n=2, classes=3"):
        D.make_spirals(2, classes=3)
    with pytest.raises(ValueError, match="noise must be >= 0, got -1"):
        D.make_moons(10, noise=-1)
    with pytest.raises(ValueError, match="std must be >= 0"):
        D.make_blobs(10, std=-0.1)
    with pytest.raises(TypeError, match="generator|Generator"):
        D.make_xor(10, generator="seed")


# ------------------------------------------------------------------------------------------------ registry
def test_list_and_get_dataset(tmp_path, monkeypatch):
    assert D.list_datasets() == sorted(["mnist1d", "fashion_mnist", "mnist", "digits", "spirals", "moons", "xor",
                                        "blobs", "world_english_bible", "shapes_segmentation", "shapes_detection"])
    small = D.generate_mnist1d(3, num_samples=50)
    monkeypatch.setattr(mnist1d, "generate_mnist1d", lambda seed: small if seed == 3 else None)
    ds = D.get_dataset("mnist1d", "test", root=tmp_path, seed=3)
    assert isinstance(ds, D.MNIST1D) and len(ds) == 10
    np.testing.assert_array_equal(ds.data, small["x_test"])
    write_set(tmp_path / "FashionMNIST", marker=3, n=4, train=False)
    ds = D.get_dataset("fashion-mnist", "test", root=tmp_path)
    assert isinstance(ds, D.FashionMNIST) and not ds.train and len(ds) == 4
    a, b = D.get_dataset("blobs", n=50, seed=4), D.get_dataset("blobs", n=50, seed=4)
    np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("typo,suggestion", [("fashion_mnst", "fashion_mnist"), ("mnist_1d", "mnist1d"),
                                             ("spiral", "spirals")])
def test_get_dataset_unknown_name_suggests(typo, suggestion):
    with pytest.raises(ValueError, match=f"unknown dataset '{typo}'; did you mean '{suggestion}'"):
        D.get_dataset(typo)
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'val'"):
        D.get_dataset("moons", "val")


def test_datasets_batch_through_the_dataloader(tmp_path):
    from chainrule.utils.data import DataLoader

    x, y = write_set(tmp_path / "MNIST", n=10)
    xb, yb = next(iter(DataLoader(D.MNIST(root=tmp_path), batch_size=4)))
    assert tuple(xb.shape) == (4, 1, 28, 28) and xb.dtype == cr.float32 and yb.dtype == cr.int64
    np.testing.assert_allclose(xb.numpy()[:, 0], x[:4] / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(yb.numpy(), y[:4])
    xb, yb = next(iter(DataLoader(D.get_dataset("xor", n=12), batch_size=5)))
    assert tuple(xb.shape) == (5, 2) and xb.dtype == cr.float32 and tuple(yb.shape) == (5,)
