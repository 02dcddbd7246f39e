"""Splits and resampling: train/val/test splits, KFold/StratifiedKFold (scikit-learn's contract), cross_validate,
bootstrap samples and bagging ensembles."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.utils.data import (
    BaggingEnsemble,
    CVResult,
    KFold,
    StratifiedKFold,
    Subset,
    TensorDataset,
    bootstrap_indices,
    cross_validate,
    train_val_test_split,
)


def _g(seed):
    return cr.Generator().manual_seed(seed)


# ------------------------------------------------------------------------------------------ train/val/test
def test_train_val_test_split_counts_partition_and_seed():
    tr, va, te = train_val_test_split(103, (0.8, 0.1, 0.1), generator=_g(0))
    # floor(103 * f) = 82, 10, 10 and the one left over goes to the first split
    assert (len(tr), len(va), len(te)) == (83, 10, 10)
    assert sorted(np.concatenate([tr, va, te]).tolist()) == list(range(103))
    again = train_val_test_split(103, (0.8, 0.1, 0.1), generator=_g(0))
    assert all(np.array_equal(a, b) for a, b in zip((tr, va, te), again))
    other = train_val_test_split(103, (0.8, 0.1, 0.1), generator=_g(1))
    assert not np.array_equal(tr, other[0])


def test_train_val_test_split_of_a_dataset_gives_subsets():
    ds = TensorDataset(cr.arange(20) * 10)
    parts = train_val_test_split(ds, (0.5, 0.5), generator=_g(2))
    assert all(isinstance(p, Subset) for p in parts) and [len(p) for p in parts] == [10, 10]
    vals = sorted(int(p[i][0]) for p in parts for i in range(len(p)))
    assert vals == list(range(0, 200, 10))


@pytest.mark.parametrize("fractions,shown", [((0.5, 0.4), "0.4"), ((0.7, 0.5, -0.2), "-0.2"), ((1.0,), "1.0")])
def test_train_val_test_split_bad_fractions(fractions, shown):
    with pytest.raises(ValueError, match=shown):
        train_val_test_split(10, fractions)


# ----------------------------------------------------------------------------------------------- k-fold
@pytest.mark.parametrize("n,k", [(10, 2), (10, 3), (11, 5), (7, 7)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_kfold_partitions_the_indices(n, k, shuffle):
    kf = KFold(k, shuffle=shuffle, random_state=0 if shuffle else None)
    folds = list(kf.split(np.zeros((n, 2))))
    assert len(folds) == kf.get_n_splits() == k
    tests = np.concatenate([t for _, t in folds])
    assert sorted(tests.tolist()) == list(range(n))  # each sample in exactly one test fold
    for train, test in folds:
        assert np.array_equal(np.sort(np.concatenate([train, test])), np.arange(n))
        assert np.all(np.diff(train) > 0) and np.all(np.diff(test) > 0)  # sorted, as scikit-learn
    sizes = sorted(len(t) for _, t in folds)
    assert sizes[-1] - sizes[0] <= 1


def test_kfold_matches_scikit_learn_without_shuffle():
    skm = pytest.importorskip("sklearn.model_selection")
    for n, k in [(10, 3), (13, 4), (5, 5)]:
        for (a, b), (c, d) in zip(KFold(k).split(np.zeros(n)), skm.KFold(k).split(np.zeros(n))):
            assert np.array_equal(a, c) and np.array_equal(b, d)


def test_stratified_kfold_matches_scikit_learn_without_shuffle():
    skm = pytest.importorskip("sklearn.model_selection")
    rng = np.random.default_rng(0)
    for k in (2, 3, 5):
        y = rng.choice([2, 0, 7], size=40, p=[0.5, 0.3, 0.2])
        ours = list(StratifiedKFold(k).split(np.zeros(40), y))
        theirs = list(skm.StratifiedKFold(k).split(np.zeros(40), y))
        for (a, b), (c, d) in zip(ours, theirs):
            assert np.array_equal(a, c) and np.array_equal(b, d)


def test_stratified_kfold_keeps_class_proportions():
    y = np.array([0] * 30 + [1] * 12 + [2] * 6)
    np.random.default_rng(1).shuffle(y)
    for train, test in StratifiedKFold(3, shuffle=True, random_state=_g(0)).split(y, y):
        assert sorted(np.concatenate([train, test]).tolist()) == list(range(48))
        np.testing.assert_array_equal(np.bincount(y[test], minlength=3), [10, 4, 2])
        np.testing.assert_array_equal(np.bincount(y[train], minlength=3), [20, 8, 4])


def test_kfold_shuffle_is_seeded():
    def tests(seed):
        return [t.tolist() for _, t in KFold(4, shuffle=True, random_state=seed).split(20)]
    assert tests(0) == tests(0) and tests(0) != tests(1)
    assert tests(0) != [t.tolist() for _, t in KFold(4).split(20)]


@pytest.mark.parametrize("k", [1, 0, -3])
def test_k_below_two_is_rejected(k):
    with pytest.raises(ValueError, match=f"n_splits={k}"):
        KFold(k)
    with pytest.raises(ValueError, match=f"n_splits={k}"):
        cross_validate(lambda tr, va: 0.0, TensorDataset(cr.arange(10)), k=k)


def test_kfold_bad_input():
    with pytest.raises(ValueError, match="n_splits=6.*n_samples=5"):
        list(KFold(6).split(5))
    with pytest.raises(ValueError, match="random_state"):
        KFold(3, random_state=0)
    with pytest.raises(ValueError, match="labels"):
        list(StratifiedKFold(2).split(10))
    with pytest.raises(ValueError, match="n_splits=4"):
        list(StratifiedKFold(4).split(6, [0, 0, 0, 1, 1, 1]))
    with pytest.warns(UserWarning, match="only 2 members"):
        list(StratifiedKFold(3).split(7, [0, 0, 0, 0, 0, 1, 1]))


# ----------------------------------------------------------------------------------------- cross_validate
def test_cross_validate_scores_each_fold():
    y = cr.arange(12).float()
    ds = TensorDataset(y)
    seen = []

    def fit(train, val):
        assert len(train) + len(val) == 12
        seen.append(sorted(int(val[i][0]) for i in range(len(val))))
        return float(np.mean([float(val[i][0]) for i in range(len(val))]))  # a score we can recompute

    res = cross_validate(fit, ds, k=3, generator=_g(0))
    assert isinstance(res, CVResult) and len(res.scores) == 3
    assert sorted(sum(seen, [])) == list(range(12))
    expected = [float(np.mean(v)) for v in seen]
    np.testing.assert_allclose(res.scores, expected)
    assert res.mean == pytest.approx(np.mean(expected)) and res.std == pytest.approx(np.std(expected))
    assert "±" in str(res)


def test_cross_validate_stratified():
    labels = np.array([0] * 8 + [1] * 4)
    ds = TensorDataset(cr.tensor(labels))
    fracs = []
    res = cross_validate(lambda tr, va: fracs.append(np.mean([int(va[i][0]) for i in range(len(va))])) or 1.0,
                         ds, k=4, stratify=labels, generator=_g(3))
    assert res.std == 0.0 and res.mean == 1.0
    np.testing.assert_allclose(fracs, [1 / 3] * 4)


# --------------------------------------------------------------------------------------------- bootstrap
def test_bootstrap_has_duplicates_and_oob_near_one_over_e():
    n = 20000
    sample, oob = bootstrap_indices(n, generator=_g(0))
    assert sample.shape == (n,) and sample.min() >= 0 and sample.max() < n
    assert len(np.unique(sample)) < n  # with replacement: repeats
    assert set(oob.tolist()).isdisjoint(sample.tolist())
    assert len(oob) + len(np.unique(sample)) == n
    assert abs(len(oob) / n - np.exp(-1)) < 0.01  # (1 - 1/n)^n -> 1/e
    again, _ = bootstrap_indices(n, generator=_g(0))
    assert np.array_equal(sample, again)


@pytest.mark.parametrize("n", [0, -5])
def test_bootstrap_bad_n(n):
    with pytest.raises(ValueError, match=f"n={n}"):
        bootstrap_indices(n)


# ----------------------------------------------------------------------------------------------- bagging
class _Const(nn.Module):
    def __init__(self, rows):
        super().__init__()
        self.rows = cr.tensor(rows)

    def forward(self, x):
        return self.rows


def test_bagging_mean_averages_member_outputs():
    members = [nn.Linear(3, 4) for _ in range(3)]
    ens = BaggingEnsemble(members, mode="mean")
    x = cr.randn(5, 3)
    expected = sum(m(x).detach().numpy() for m in members) / 3
    np.testing.assert_allclose(ens(x).detach().numpy(), expected, rtol=1e-6, atol=1e-6)
    assert len(list(ens.parameters())) == 6  # the members' parameters are registered


def test_bagging_vote_takes_the_majority():
    a = [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]]
    b = [[0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]
    c = [[0.1, 0.2, 0.7], [0.3, 0.6, 0.1]]
    out = BaggingEnsemble([_Const(a), _Const(b), _Const(c)], mode="vote")(None)
    assert out.dtype == cr.int64 and out.tolist() == [0, 1]
    tie = BaggingEnsemble([_Const([[0.0, 1.0, 0.0]]), _Const([[0.0, 0.0, 1.0]])], mode="vote")(None)
    assert tie.tolist() == [1]  # ties go to the smaller class index
    with pytest.raises(ValueError, match="'median'"):
        BaggingEnsemble([_Const(a)], mode="median")
