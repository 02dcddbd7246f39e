"""chainrule.train.metrics against hand-worked examples (and torch where it has the metric)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.train import metrics as M

# 6 samples, 3 classes. true: 0 1 2 2 1 0; predicted (arg-max): 0 2 2 2 1 1
SCORES = np.array([[0.9, 0.05, 0.05],
                   [0.1, 0.3, 0.6],
                   [0.2, 0.2, 0.6],
                   [0.0, 0.1, 0.9],
                   [0.1, 0.8, 0.1],
                   [0.3, 0.4, 0.3]], dtype=np.float32)
TRUE = np.array([0, 1, 2, 2, 1, 0])
# confusion (rows true, columns predicted), counted by hand
CM = np.array([[1, 1, 0],
               [0, 1, 1],
               [0, 0, 2]])
PRECISION = np.array([1 / 1, 1 / 2, 2 / 3])  # diagonal / column sums
RECALL = np.array([1 / 2, 1 / 2, 2 / 2])  # diagonal / row sums
F1 = np.array([2 * 1 * 0.5 / 1.5, 2 * 0.5 * 0.5 / 1.0, 2 * (2 / 3) * 1 / (5 / 3)])


def test_accuracy_scores_onehot_and_tensors():
    assert M.accuracy(SCORES, TRUE) == pytest.approx(4 / 6)
    onehot = np.eye(3)[TRUE]
    assert M.accuracy(cr.tensor(SCORES), cr.tensor(onehot)) == pytest.approx(4 / 6)
    assert M.accuracy(np.array([0, 2, 2, 2, 1, 1]), TRUE) == pytest.approx(4 / 6)  # integer predictions


def test_accuracy_binary_threshold():
    probs = np.array([0.9, 0.2, 0.6, 0.4], dtype=np.float32)
    target = np.array([1, 0, 0, 0])
    assert M.accuracy(probs, target) == pytest.approx(3 / 4)  # predicted 1 0 1 0
    logits = np.array([[2.0], [-1.0], [-0.5], [0.3]])
    assert M.accuracy(logits, np.array([1, 0, 0, 0]), threshold=0.0) == pytest.approx(3 / 4)  # 1 0 0 1


def test_top_k_accuracy_by_hand_and_torch():
    # true class 1 of row 1 scores 0.3: 2nd of 3 -> in top 2, not top 1; row 5: 0 has 0.3, two classes tie at the top
    assert M.top_k_accuracy(SCORES, TRUE, k=1) == pytest.approx(4 / 6)
    assert M.top_k_accuracy(SCORES, TRUE, k=2) == pytest.approx(6 / 6)
    assert M.top_k_accuracy(SCORES, TRUE, k=3) == 1.0
    rng = np.random.default_rng(0)
    s, t = rng.normal(size=(50, 7)), rng.integers(0, 7, 50)
    for k in (1, 3, 5):
        ref = (torch.topk(torch.from_numpy(s), k, dim=1).indices == torch.from_numpy(t)[:, None]).any(1).double().mean()
        assert M.top_k_accuracy(s, t, k) == pytest.approx(float(ref))


def test_confusion_matrix_by_hand():
    cm = M.confusion_matrix(SCORES, TRUE)
    np.testing.assert_array_equal(cm, CM)
    assert cm.dtype == np.int64
    np.testing.assert_array_equal(M.confusion_matrix(np.array([0, 1]), np.array([1, 1]), num_classes=4),
                                  np.array([[0, 0, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))


def test_precision_recall_f1_per_class_and_macro():
    np.testing.assert_allclose(M.precision(SCORES, TRUE, average=None), PRECISION)
    np.testing.assert_allclose(M.recall(SCORES, TRUE, average=None), RECALL)
    np.testing.assert_allclose(M.f1_score(SCORES, TRUE, average=None), F1)
    assert M.precision(SCORES, TRUE) == pytest.approx(PRECISION.mean())
    assert M.recall(SCORES, TRUE) == pytest.approx(RECALL.mean())
    assert M.f1_score(SCORES, TRUE) == pytest.approx(F1.mean())


def test_never_predicted_class_scores_zero_not_nan():
    pred, true = np.array([0, 0, 1, 1]), np.array([0, 2, 1, 2])  # class 2 never predicted
    p = M.precision(pred, true, num_classes=3, average=None)
    np.testing.assert_allclose(p, [1 / 2, 1 / 2, 0.0])  # predicted 1 for a true 1 and a true 2
    np.testing.assert_allclose(M.recall(pred, true, num_classes=3, average=None), [1.0, 1.0, 0.0])
    np.testing.assert_allclose(M.f1_score(pred, true, num_classes=3, average=None), [2 / 3, 2 / 3, 0.0])


def test_mse_mae_match_torch():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    assert M.mse(a, b) == pytest.approx(float(torch.nn.functional.mse_loss(ta, tb)), rel=1e-12)
    assert M.mae(cr.tensor(a), cr.tensor(b)) == pytest.approx(float(torch.nn.functional.l1_loss(ta, tb)), rel=1e-12)


def test_running_metrics_over_unequal_batches_equal_the_whole():
    cuts = [(0, 4), (4, 5), (5, 6)]  # sizes 4, 1, 1; the last two batches lack class 2
    acc, f1 = M.get_metric("accuracy"), M.get_metric("f1")
    for lo, hi in cuts:
        acc.update(SCORES[lo:hi], TRUE[lo:hi])
        f1.update(np.array([0, 2, 2, 2, 1, 1])[lo:hi], TRUE[lo:hi])  # integer labels: matrix grows batch by batch
    assert acc.compute() == pytest.approx(4 / 6)  # not the mean of batch means (3/4 + 1 + 0) / 3
    assert f1.compute() == pytest.approx(F1.mean())


def test_get_metric_names_and_errors():
    assert M.get_metric("top2_accuracy").name == "top2_accuracy"
    m = M.get_metric(lambda o, t: 1.0)
    assert isinstance(m, M.MeanMetric)
    with pytest.raises(ValueError, match="unknown metric 'acuracy'"):
        M.get_metric("acuracy")
    with pytest.raises(TypeError, match="metric must be"):
        M.get_metric(3)


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="output has 6 samples but target has 5"):
        M.accuracy(SCORES, TRUE[:5])
    with pytest.raises(ValueError, match=r"k must be in \[1, 3\], got 4"):
        M.top_k_accuracy(SCORES, TRUE, k=4)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        M.confusion_matrix(SCORES, TRUE, num_classes=2)
    with pytest.raises(ValueError, match=r"output shape \(2,\) differs from target shape \(3,\)"):
        M.mse(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match="average must be 'macro' or None"):
        M.precision(SCORES, TRUE, average="micro")
    with pytest.raises(ValueError, match=r"expected output of shape \(N, C\)"):
        M.accuracy(np.zeros((2, 3, 4)), np.zeros(2))
