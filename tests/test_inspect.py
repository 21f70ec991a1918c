"""The confusion matrix and per-class precision and recall (tui_nn.inspect): scikit-learn's
numbers, its zero-division convention, and the headless summary that prints them."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tui_nn import inspect
from tui_nn.headless import Outputs, run_headless
from tui_nn.trainer import Trainer, TrainConfig


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 5).flatmap(lambda k: st.tuples(
    st.just(k), st.lists(st.tuples(st.integers(0, k - 1), st.integers(0, k - 1)), min_size=1, max_size=40))))
def test_matrix_precision_and_recall_are_scikit_learns(case):
    from sklearn import metrics

    k, pairs = case
    y_true = np.array([t for t, _ in pairs], np.int64)
    y_pred = np.array([p for _, p in pairs], np.int64)
    labels = list(range(k))
    m = inspect.confusion_matrix(y_true, y_pred, k)
    assert m.dtype == np.int64 and m.shape == (k, k)
    np.testing.assert_array_equal(m, metrics.confusion_matrix(y_true, y_pred, labels=labels))
    precision, recall = inspect.precision_recall(m)
    # zero_division=0 is the value scikit-learn's default ("warn") gives, without the warning
    np.testing.assert_array_equal(precision, metrics.precision_score(
        y_true, y_pred, labels=labels, average=None, zero_division=0))
    np.testing.assert_array_equal(recall, metrics.recall_score(
        y_true, y_pred, labels=labels, average=None, zero_division=0))


def test_a_class_never_predicted_or_absent_scores_zero():
    m = inspect.confusion_matrix([0, 0, 1], [0, 0, 0], 3)  # class 1 never predicted, class 2 absent
    precision, recall = inspect.precision_recall(m)
    assert precision.tolist() == [2 / 3, 0.0, 0.0]
    assert recall.tolist() == [1.0, 0.0, 0.0]


def test_labels_outside_the_classes_are_an_error():
    with pytest.raises(ValueError, match="outside the classes 0..1"):
        inspect.confusion_matrix([0, 2], [0, 1], 2)


def test_a_single_sigmoid_output_is_two_classes():
    t = Trainer(TrainConfig(dataset="moons", optimizer="adam", layers=(8,), iterations=50,
                            hyperparams={"lr": 0.05}))
    assert t.net.n_outputs == 1
    t.run()
    c = inspect.confusion(t.net, t.X_val, t.y_val)
    assert c.matrix.shape == (2, 2) and c.total == len(t.X_val)
    accuracy = np.trace(c.matrix) / c.total
    assert accuracy == t.metrics(t.X_val, t.y_val)[1]


def _headless(fmt: str, **config) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = run_headless(Trainer(TrainConfig(**config)), Outputs(fmt=fmt, progress=False), out, err)
    assert status == 0
    return out.getvalue(), err.getvalue()


SPIRAL = dict(dataset="spiral", optimizer="adam", layers=(16,), iterations=200, hyperparams={"lr": 0.05},
              val_split=0.2)


def test_headless_text_ends_with_both_confusion_matrices_the_same_bytes_every_run():
    text, _ = _headless("text", **SPIRAL)
    assert text == _headless("text", **SPIRAL)[0]
    t = Trainer(TrainConfig(**SPIRAL))
    t.run()
    train = inspect.confusion(t.net, t.X_train, t.y_train)
    tail = text[text.index("  train confusion"):]
    rows = tail.splitlines()
    assert rows[1].split() == ["0", "1", "2", "recall"]
    for i in range(3):  # a row per true class: its counts, then its recall
        assert rows[2 + i].split() == [str(i), *map(str, train.matrix[i]), f"{train.recall[i]:.4f}"]
    assert rows[5].split() == ["precision", *(f"{p:.4f}" for p in train.precision)]
    assert "  val confusion (rows: true class, columns: predicted)" in tail


def test_headless_jsonl_summary_carries_the_confusion():
    text, _ = _headless("jsonl", **SPIRAL)
    summary = json.loads(text.splitlines()[-1])
    c = summary["confusion"]
    assert c["classes"] == ["0", "1", "2"] and set(c) == {"classes", "train", "val"}
    assert sum(map(sum, c["val"]["matrix"])) == 60  # spiral: 300 samples, a fifth held out
    m = np.array(c["train"]["matrix"])
    assert np.trace(m) / m.sum() == pytest.approx(summary["train_accuracy"])
    assert c["train"]["recall"] == inspect.precision_recall(m)[1].tolist()


def test_csv_shows_it_on_stderr_and_regression_has_none():
    out, err = _headless("csv", **SPIRAL)
    assert "train confusion" in err and "confusion" not in out
    text, _ = _headless("text", dataset="sine", optimizer="adam", iterations=20)
    assert "confusion" not in text
