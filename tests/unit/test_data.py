"""chainrule.utils.data against torch.utils.data: datasets, samplers, DataLoader and default_collate.

Sequential loaders must give torch's batches exactly; shuffled ones are checked by their properties (a permutation
per epoch, seeded reproducibility), since chainrule's random streams differ from PyTorch's.
"""

from __future__ import annotations

import collections
import warnings

import numpy as np
import pytest
import torch
import torch.utils.data as tud
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.utils.data as cud
from tests.helpers import to_numpy


def _same(ours, theirs):
    """Recursively: same container structure, same values and dtypes (tensors), same Python values otherwise."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"expected a Tensor, got {type(ours).__name__}"
        a, b = to_numpy(ours), theirs.numpy()
        assert a.dtype == b.dtype and a.shape == b.shape, f"{a.dtype}{a.shape} vs {b.dtype}{b.shape}"
        np.testing.assert_array_equal(a, b)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs) and ours.keys() == theirs.keys()
        for k in theirs:
            _same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), f"{type(ours)} vs {type(theirs)}"
        for a, b in zip(ours, theirs):
            _same(a, b)
    else:
        assert ours == theirs


def _data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) % 3
    return x, y


def _both(n=10):
    x, y = _data(n)
    return cud.TensorDataset(cr.tensor(x), cr.tensor(y)), tud.TensorDataset(torch.tensor(x), torch.tensor(y))


# ------------------------------------------------------------------------------------------------- collate
P = collections.namedtuple("P", "a b")
COLLATE_CASES = {
    "ints": lambda: [1, 2, 3],
    "floats": lambda: [1.0, 2.5],
    "bools": lambda: [True, False],
    "strings": lambda: ["a", "bc"],
    "np_f32": lambda: [np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)],
    "np_i32_scalars": lambda: [np.int32(1), np.int32(5)],
    "np_f64_scalars": lambda: [np.float64(1.5), np.float64(-1)],
    "tuples": lambda: [(1, 2.0, "x"), (3, 4.0, "y")],
    "lists": lambda: [[1, 2], [3, 4]],
    "dicts": lambda: [{"a": 1, "b": np.ones(2, np.float32)}, {"a": 2, "b": np.zeros(2, np.float32)}],
    "namedtuple": lambda: [P(1, 2.0), P(3, 4.0)],
    "nested": lambda: [({"k": [1, 2]}, np.float32(1)), ({"k": [3, 4]}, np.float32(2))],
}


@pytest.mark.parametrize("case", list(COLLATE_CASES))
def test_default_collate_matches_torch(case):
    batch = COLLATE_CASES[case]()
    _same(cud.default_collate(batch), tud.default_collate(batch))


def test_default_collate_tensors_stack():
    xs = [np.random.rand(2, 3).astype(np.float32) for _ in range(4)]
    _same(cud.default_collate([cr.tensor(x) for x in xs]), tud.default_collate([torch.tensor(x) for x in xs]))


@pytest.mark.parametrize("sample", [np.ones(3), (np.ones(2), 2), [np.float32(1)], 3, "s", {"a": np.zeros(1)}])
def test_default_convert_matches_torch(sample):
    _same(cud.default_convert(sample), tud.default_convert(sample))


@pytest.mark.parametrize("batch,err", [([[1, 2], [3]], RuntimeError), ([object()], TypeError),
                                       ([np.array(["a"])], TypeError)])
def test_default_collate_bad_input_like_torch(batch, err):
    with pytest.raises(err):
        tud.default_collate(batch)
    with pytest.raises(err, match="default_collate"):
        cud.default_collate(batch)


# ------------------------------------------------------------------------------------------------ datasets
def test_tensor_dataset_items_and_len():
    ours, theirs = _both()
    assert len(ours) == len(theirs) == 10
    _same(list(ours[3]), list(theirs[3]))
    with pytest.raises(ValueError, match="size mismatch"):
        cud.TensorDataset(cr.zeros(3, 2), cr.zeros(4))


def test_subset_and_concat_match_torch():
    ours, theirs = _both()
    idx = [7, 2, 2, 9]
    so, st = cud.Subset(ours, idx), tud.Subset(theirs, idx)
    assert len(so) == len(st)
    for i in range(len(idx)):
        _same(list(so[i]), list(st[i]))
    co, ct = ours + so, theirs + st
    assert isinstance(co, cud.ConcatDataset) and len(co) == len(ct) == 14
    assert co.cumulative_sizes == ct.cumulative_sizes
    for i in [0, 9, 10, 13, -1, -14]:
        _same(list(co[i]), list(ct[i]))
    with pytest.raises(ValueError, match="-15"):
        co[-15]


def test_random_split_lengths_and_partition():
    ds = cud.TensorDataset(cr.arange(23))
    for lengths in ([10, 13], [0.5, 0.3, 0.2], [0.7, 0.3]):
        parts = cud.random_split(ds, lengths, generator=cr.Generator().manual_seed(1))
        theirs = tud.random_split(range(23), lengths, generator=torch.Generator().manual_seed(1))
        assert [len(p) for p in parts] == [len(p) for p in theirs]
        every = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
        assert every == list(range(23))  # disjoint and covering


def test_random_split_seeded():
    ds = list(range(50))
    def draw(seed):
        return [p.indices for p in cud.random_split(ds, [25, 25], generator=cr.Generator().manual_seed(seed))]
    assert draw(3) == draw(3)
    assert draw(3) != draw(4)
    cr.manual_seed(5)
    a = cud.random_split(ds, [25, 25])[0].indices
    cr.manual_seed(5)
    assert cud.random_split(ds, [25, 25])[0].indices == a


@pytest.mark.parametrize("lengths,value", [([5, -1, 6], "-1"), ([3, 3], "6"), ([2.5, 7.5], "2.5"),
                                          ([0.5, 0.4], "0.5")])
def test_random_split_bad_lengths(lengths, value):
    with pytest.raises(ValueError, match=value):
        cud.random_split(list(range(10)), lengths)


def test_iterable_dataset_and_chain():
    class Stream(cud.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    class TStream(tud.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(self.n))

        def __len__(self):
            return self.n

    for kw in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        ours, theirs = cud.DataLoader(Stream(8), **kw), tud.DataLoader(TStream(8), **kw)
        _same(list(ours), list(theirs))
        assert len(ours) == len(theirs)
    assert list(Stream(2) + Stream(3)) == [0, 1, 0, 1, 2]
    with pytest.raises(ValueError, match="shuffle"):
        cud.DataLoader(Stream(3), shuffle=True)


# ------------------------------------------------------------------------------------------------ samplers
def test_sequential_and_batch_sampler_match_torch():
    assert list(cud.SequentialSampler(range(5))) == list(tud.SequentialSampler(range(5)))
    for bs in (1, 2, 3, 7):
        for drop in (False, True):
            ours = cud.BatchSampler(cud.SequentialSampler(range(10)), bs, drop)
            theirs = tud.BatchSampler(tud.SequentialSampler(range(10)), bs, drop)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize("bad", [0, -2, 1.5, True])
def test_batch_size_must_be_positive_int(bad):
    with pytest.raises(ValueError, match=f"batch_size={bad!r}"):
        cud.BatchSampler(range(4), bad, False)
    with pytest.raises(ValueError, match="batch_size"):
        cud.DataLoader(list(range(4)), batch_size=bad)


def test_random_sampler_permutation_and_replacement():
    g = cr.Generator().manual_seed(0)
    perm = list(cud.RandomSampler(range(20), generator=g))
    assert sorted(perm) == list(range(20)) and perm != list(range(20))
    more = list(cud.RandomSampler(range(5), num_samples=12, generator=g))
    assert len(more) == 12 and sorted(more[:5]) == sorted(more[5:10]) == list(range(5))  # whole permutations first
    rep = list(cud.RandomSampler(range(5), replacement=True, num_samples=200, generator=g))
    assert len(rep) == 200 and set(rep) == set(range(5)) and len(set(rep[:6])) < 6  # repeats
    with pytest.raises(ValueError, match="num_samples=0"):
        cud.RandomSampler(range(5), num_samples=0)
    with pytest.raises(TypeError, match="replacement"):
        cud.RandomSampler(range(5), replacement=1)


def test_subset_random_sampler():
    idx = [3, 8, 11, 40]
    out = list(cud.SubsetRandomSampler(idx, generator=cr.Generator().manual_seed(2)))
    assert sorted(out) == idx and len(cud.SubsetRandomSampler(idx)) == 4


def test_weighted_random_sampler_frequencies():
    w = [0.1, 0.0, 0.6, 0.3]
    draws = np.array(list(cud.WeightedRandomSampler(w, 20000, generator=cr.Generator().manual_seed(0))))
    freq = np.bincount(draws, minlength=4) / draws.size
    np.testing.assert_allclose(freq, np.array(w) / sum(w), atol=0.015)
    once = list(cud.WeightedRandomSampler(cr.tensor([1.0, 2.0, 3.0]), 3, replacement=False))
    assert sorted(once) == [0, 1, 2]
    with pytest.raises(ValueError, match="num_samples=4"):
        cud.WeightedRandomSampler([1.0, 0.0, 1.0, 1.0], 4, replacement=False)
    with pytest.raises(ValueError, match=r"shape \(2, 2\)"):
        cud.WeightedRandomSampler([[1.0, 2.0], [3.0, 4.0]], 2)


# ---------------------------------------------------------------------------------------------- DataLoader
@pytest.mark.parametrize("bs,drop", [(1, False), (3, False), (3, True), (10, False), (4, True), (16, False)])
def test_sequential_loader_matches_torch(bs, drop):
    ours, theirs = _both(10)
    lo, lt = cud.DataLoader(ours, batch_size=bs, drop_last=drop), tud.DataLoader(theirs, batch_size=bs, drop_last=drop)
    assert len(lo) == len(lt)
    got = list(lo)
    assert len(got) == len(lo)
    _same(got, list(lt))


def test_loader_over_subset_and_python_samples_matches_torch():
    ours, theirs = _both(10)
    idx = [9, 0, 4, 4, 7]
    _same(list(cud.DataLoader(cud.Subset(ours, idx), batch_size=2)),
          list(tud.DataLoader(tud.Subset(theirs, idx), batch_size=2)))
    samples = [{"x": np.full(2, i, np.float32), "y": i, "name": f"s{i}"} for i in range(5)]
    _same(list(cud.DataLoader(samples, batch_size=2)), list(tud.DataLoader(samples, batch_size=2)))
    _same(list(cud.DataLoader(samples, batch_size=None)), list(tud.DataLoader(samples, batch_size=None)))


def test_custom_collate_sampler_and_batch_sampler():
    ours, theirs = _both(7)
    _same(list(cud.DataLoader(ours, batch_size=3, collate_fn=lambda b: [len(b)])),
          list(tud.DataLoader(theirs, batch_size=3, collate_fn=lambda b: [len(b)])))
    order = [6, 1, 3, 0, 2, 5, 4]
    _same(list(cud.DataLoader(ours, batch_size=2, sampler=order)),
          list(tud.DataLoader(theirs, batch_size=2, sampler=order)))
    batches = [[0, 1, 2], [6], [3, 3]]
    lo, lt = cud.DataLoader(ours, batch_sampler=batches), tud.DataLoader(theirs, batch_sampler=batches)
    _same(list(lo), list(lt))
    assert len(lo) == len(lt) == 3


def test_shuffled_epoch_is_a_permutation_and_seeded():
    x = cr.arange(50)
    ds = cud.TensorDataset(x)

    def epoch(loader):
        return np.concatenate([b[0].numpy() for b in loader]).tolist()

    loader = cud.DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator().manual_seed(0))
    e1, e2 = epoch(loader), epoch(loader)
    assert sorted(e1) == sorted(e2) == list(range(50))
    assert e1 != list(range(50)) and e1 != e2  # shuffled, and a new order each epoch
    again = cud.DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator().manual_seed(0))
    assert epoch(again) == e1
    other = cud.DataLoader(ds, batch_size=8, shuffle=True, generator=cr.Generator().manual_seed(1))
    assert epoch(other) != e1
    cr.manual_seed(7)
    g1 = epoch(cud.DataLoader(ds, batch_size=8, shuffle=True))
    cr.manual_seed(7)
    assert epoch(cud.DataLoader(ds, batch_size=8, shuffle=True)) == g1


def test_loader_drop_last_and_len():
    ds = cud.TensorDataset(cr.arange(10))
    assert [len(b[0]) for b in cud.DataLoader(ds, batch_size=4, shuffle=True)] == [4, 4, 2]
    loader = cud.DataLoader(ds, batch_size=4, shuffle=True, drop_last=True)
    assert len(loader) == 2 and [len(b[0]) for b in loader] == [4, 4]
    assert len(cud.DataLoader(ds, batch_size=3)) == 4
    assert len(iter(cud.DataLoader(ds, batch_size=3))) == 4


def test_loader_batch_dtypes_match_torch():
    x = np.random.rand(6, 2)  # float64 stays float64, as in torch
    ours = next(iter(cud.DataLoader(cud.TensorDataset(cr.tensor(x), cr.tensor([1, 2, 3, 4, 5, 6])), batch_size=4)))
    theirs = next(iter(tud.DataLoader(tud.TensorDataset(torch.tensor(x), torch.tensor([1, 2, 3, 4, 5, 6])),
                                      batch_size=4)))
    _same(ours, theirs)


@pytest.mark.parametrize("kwargs,match", [
    (dict(batch_size=2, sampler=[0, 1], shuffle=True), "mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_size=2"),
    (dict(batch_size=None, drop_last=True), "drop_last"),
    (dict(num_workers=-1), "num_workers"),
])
def test_loader_bad_options_like_torch(kwargs, match):
    with pytest.raises(ValueError):
        tud.DataLoader(list(range(4)), **kwargs)
    with pytest.raises(ValueError, match=match):
        cud.DataLoader(list(range(4)), **kwargs)


def test_num_workers_runs_in_process_with_a_warning():
    ds = cud.TensorDataset(cr.arange(5))
    with pytest.warns(UserWarning, match="num_workers=2"):
        loader = cud.DataLoader(ds, batch_size=2, num_workers=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3], [4]]


def test_chainrule_data_alias_and_pytorch_spelling():
    assert cr.data.DataLoader is cr.utils.data.DataLoader is cud.DataLoader
    assert cr.data.transforms is cud.transforms
    import chainrule.data as alias
    assert alias.TensorDataset is cud.TensorDataset


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 40), bs=st.integers(1, 12), drop=st.booleans(), shuffle=st.booleans(), seed=st.integers(0, 99))
def test_loader_epoch_property(n, bs, drop, shuffle, seed):
    """Any loader: len() batches, each of batch_size but maybe the last, covering each index at most once."""
    loader = cud.DataLoader(cud.TensorDataset(cr.arange(n)), batch_size=bs, shuffle=shuffle, drop_last=drop,
                            generator=cr.Generator().manual_seed(seed))
    sizes = [len(b[0]) for b in loader]
    assert len(sizes) == len(loader) == (n // bs if drop else -(-n // bs))
    assert all(s == bs for s in sizes[:-1]) and (not sizes or (sizes[-1] == bs if drop else 0 < sizes[-1] <= bs))
    seen = np.concatenate([b[0].numpy() for b in loader]) if sizes else np.zeros(0, np.int64)
    assert len(set(seen.tolist())) == len(seen) == (n // bs * bs if drop else n)
    if not shuffle:
        assert seen.tolist() == list(range(len(seen)))
