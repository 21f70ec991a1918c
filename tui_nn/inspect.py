"""Looking inside a classifier: the confusion matrix and per-class precision and recall.

NumPy only (no front end): the headless summary prints it, the dashboard's confusion panel draws
it, both from the same functions. Rows are the true class, columns the predicted class, as
scikit-learn's ``confusion_matrix``; class ``i`` is the network's output ``i`` (a single sigmoid
output gives two classes, 0 and 1).

Zero division follows scikit-learn's default (``zero_division="warn"`` scores 0.0, here without
the warning): a class never predicted has precision 0.0, a class absent from the data has
recall 0.0.

>>> m = confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2], 3)
>>> m.tolist()
[[1, 0, 0], [0, 1, 1], [0, 0, 1]]
>>> [p.tolist() for p in precision_recall(m)]
[[1.0, 1.0, 0.5], [1.0, 0.5, 1.0]]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def confusion_matrix(y_true, y_pred, n_classes: int) -> np.ndarray:
    """A ``(n_classes, n_classes)`` int64 matrix: entry ``[i, j]`` counts samples of true class
    ``i`` predicted as ``j``."""
    y_true = np.asarray(y_true, np.int64).reshape(-1)
    y_pred = np.asarray(y_pred, np.int64).reshape(-1)
    if len(y_true) != len(y_pred):
        raise ValueError(f"{len(y_true)} labels but {len(y_pred)} predictions")
    for name, y in (("label", y_true), ("prediction", y_pred)):
        if len(y) and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"a {name} outside the classes 0..{n_classes - 1}")
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes * n_classes)
    return counts.reshape(n_classes, n_classes)


def precision_recall(matrix: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-class precision (correct / predicted as the class) and recall (correct / of the
    class), float64; 0.0 where the denominator is 0 (scikit-learn's default)."""
    m = np.asarray(matrix, np.int64)
    correct = np.diag(m).astype(np.float64)
    predicted, actual = m.sum(axis=0), m.sum(axis=1)
    precision = np.divide(correct, predicted, out=np.zeros_like(correct), where=predicted > 0)
    recall = np.divide(correct, actual, out=np.zeros_like(correct), where=actual > 0)
    return precision, recall


def class_ids(y: np.ndarray) -> np.ndarray:
    """Class ids from the trainer's targets: ids, one-hot rows, or a 0/1 column."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return np.argmax(y, axis=1)
    return np.rint(y.reshape(-1)).astype(np.int64)


def n_classes(net) -> int:
    """How many classes a classifier tells apart (a single sigmoid output: two)."""
    return max(net.n_outputs, 2)


@dataclass(frozen=True)
class Confusion:
    """One data part's confusion matrix with its per-class precision and recall."""

    matrix: np.ndarray

    @property
    def precision(self) -> np.ndarray:
        return precision_recall(self.matrix)[0]

    @property
    def recall(self) -> np.ndarray:
        return precision_recall(self.matrix)[1]

    @property
    def total(self) -> int:
        return int(self.matrix.sum())

    def to_dict(self) -> dict:
        """The shape the headless ``jsonl`` summary carries: ``{"matrix": [[...]] (rows: true
        class, columns: predicted), "precision": [...], "recall": [...]}``."""
        precision, recall = precision_recall(self.matrix)
        return {"matrix": self.matrix.tolist(), "precision": precision.tolist(), "recall": recall.tolist()}


def confusion(net, X: np.ndarray, y: np.ndarray, precision: str = "book") -> Confusion:
    """The confusion of ``net``'s predictions on (X, y), with the book's arithmetic (as every
    evaluation) unless ``precision`` says "fast" (float32 products, as the dashboard's panels
    draw: about a third of the cost; a prediction can differ only where two outputs tie to
    float32's precision)."""
    predicted = net.predictions(net.forward(X, precision=precision))
    return Confusion(confusion_matrix(class_ids(y), predicted, n_classes(net)))


def format_confusion(c: Confusion, class_names: list[str], title: str) -> str:
    """The matrix as text: a header line, one row per true class ending in its recall, and a
    last row of precisions (4 decimals)."""
    k = len(c.matrix)
    names = [str(n) for n in class_names] if len(class_names) == k else [str(i) for i in range(k)]
    precision, recall = precision_recall(c.matrix)
    label = max(len("precision"), *(len(n) for n in names))
    width = max(6, *(len(n) for n in names), len(str(int(c.matrix.max(initial=0)))))
    lines = [f"  {title} (rows: true class, columns: predicted)",
             f"    {'':<{label}}" + "".join(f"  {n:>{width}}" for n in names) + "  recall"]
    for name, row, r in zip(names, c.matrix.tolist(), recall.tolist()):
        lines.append(f"    {name:<{label}}" + "".join(f"  {v:>{width}}" for v in row) + f"  {r:.4f}")
    lines.append(f"    {'precision':<{label}}" + "".join(f"  {p:>{width}.4f}" for p in precision.tolist()))
    return "\n".join(lines)
