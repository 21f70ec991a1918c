"""Datasets: the book's generators, scikit-learn sets and user files, as float32 arrays.

`load_dataset` builds a registry set, `load_file` reads a user's table, and `prepare` splits and
standardises either one into the `Split` the trainer uses. Randomness comes only from the legacy
`np.random.RandomState` passed in; the book sets draw from it exactly what `nnfs` draws after
`nnfs.init()`, so the trainer's weights come out bit-identical to the book's.

scikit-learn costs ~0.7 s to import, so it is imported inside the functions that need it.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .datafile import CLASSIFICATION, REGRESSION, DataError  # noqa: F401  (part of this module's API)

MAX_SAMPLES = 1_000_000  # total rows a registry set may generate; more would only exhaust memory


def _n_outputs(task: str, class_names: list[str] | None, y: np.ndarray) -> int:
    if task == REGRESSION:
        return int(y.shape[1]) if y.ndim == 2 else 1
    n_classes = len(class_names or ())
    return 1 if n_classes <= 2 else n_classes


@dataclass
class Dataset:
    """Raw data, unsplit and unscaled."""

    name: str
    X: np.ndarray  # float32, (n, d)
    y: np.ndarray  # classification: int64 class ids (n,); regression: float32 (n, k)
    task: str
    class_names: list[str] | None
    feature_names: list[str]
    source: str
    digest: str | None = None  # SHA-256 of a file's bytes: a checkpoint resumes only on the same data

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.task == CLASSIFICATION and self.class_names else 0

    @property
    def n_outputs(self) -> int:
        return _n_outputs(self.task, self.class_names, self.y)


@dataclass
class Split:
    """What the trainer trains on: train/validation/test parts and the fitted standardisation."""

    name: str
    task: str
    class_names: list[str] | None
    feature_names: list[str]
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None  # fitted on the training part only; None if not standardised
    scale: np.ndarray | None

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names) if self.task == CLASSIFICATION and self.class_names else 0

    @property
    def n_outputs(self) -> int:
        return _n_outputs(self.task, self.class_names, self.y_train)

    def transform(self, X) -> np.ndarray:
        """Apply the fitted standardisation to new raw inputs."""
        X = np.asarray(X, dtype=np.float32)
        if X.ndim != 2 or X.shape[1] != self.n_features:
            raise DataError(
                f"expected inputs of shape (n, {self.n_features}), got {X.shape}; "
                f"give one column per feature ({', '.join(self.feature_names)})"
            )
        if self.mean is None or self.scale is None:
            return X.copy()
        return ((X.astype(np.float64) - self.mean) / self.scale).astype(np.float32)


@dataclass(frozen=True)
class DatasetInfo:
    """A registry entry: what `load_dataset(name)` builds and how to train on it by default."""

    name: str
    kind: str  # "book" | "generated" | "real"
    description: str
    source: str
    task: str
    default_samples: int | None  # per class (total for sine); None: the set's fixed size
    default_classes: int | None
    val_split: float
    standardize: bool


def _info(name, kind, description, source, task=CLASSIFICATION, samples=None, classes=None):
    book = kind == "book"
    return DatasetInfo(
        name=name,
        kind=kind,
        description=description,
        source=source,
        task=task,
        default_samples=samples,
        default_classes=classes,
        val_split=0.0 if book else 0.2,  # the book trains on every point
        standardize=kind == "real",
    )


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        _info("vertical", "book", "Three vertical stripes of points, one per class",
              "nnfs.datasets.vertical_data (Neural Networks from Scratch)", samples=100, classes=3),
        _info("spiral", "book", "Interleaved spiral arms, one per class",
              "nnfs.datasets.spiral_data (Neural Networks from Scratch, after cs231n)",
              samples=100, classes=3),
        _info("sine", "book", "y = sin(2 pi x) on [0, 1), a regression curve",
              "nnfs.datasets.sine_data (Neural Networks from Scratch)", task=REGRESSION,
              samples=1000),
        _info("moons", "generated", "Two interleaving half circles with noise",
              "sklearn.datasets.make_moons(noise=0.1)", samples=100, classes=2),
        _info("circles", "generated", "A small circle inside a larger one, with noise",
              "sklearn.datasets.make_circles(noise=0.1, factor=0.5)", samples=100, classes=2),
        _info("blobs", "generated", "Gaussian blobs, one per class",
              "sklearn.datasets.make_blobs(cluster_std=1.0)", samples=100, classes=3),
        _info("xor", "generated", "Points in [-1, 1]^2; class 1 where x and y have the same sign",
              "uniform points, label = sign(x) * sign(y) > 0, no label noise",
              samples=100, classes=2),
        _info("iris", "real", "Iris flowers: 150 samples, 4 measurements, 3 species",
              "sklearn.datasets.load_iris (Fisher 1936, UCI)"),
        _info("wine", "real", "Wine cultivars: 178 samples, 13 chemical measurements, 3 classes",
              "sklearn.datasets.load_wine (UCI)"),
        _info("breast-cancer", "real",
              "Breast cancer biopsies: 569 samples, 30 features, malignant or benign",
              "sklearn.datasets.load_breast_cancer (Wisconsin diagnostic, UCI)"),
        _info("digits", "real", "Handwritten digits: 1797 images of 8x8 pixels, 10 classes",
              "sklearn.datasets.load_digits (UCI optical recognition of handwritten digits)"),
    ]
}


# --- registry sets -----------------------------------------------------------------------------


def _randn32(rng: np.random.RandomState, n: int) -> np.ndarray:
    # nnfs.init() wraps np.random.randn as randn(...).astype('float32')
    return rng.randn(n).astype(np.float32)


def _vertical(samples, classes, rng, noise=0.1):
    # nnfs.datasets.vertical_data, float32 as under nnfs.init(); noise: the stripes' spread (the book's 0.1)
    X = np.zeros((samples * classes, 2), dtype=np.float32)
    y = np.zeros(samples * classes, dtype=np.int64)
    for c in range(classes):
        ix = slice(samples * c, samples * (c + 1))
        X[ix] = np.c_[_randn32(rng, samples) * noise + c / 3, _randn32(rng, samples) * noise + 0.5]
        y[ix] = c
    return X, y


def _spiral(samples, classes, rng, noise=0.2):
    # nnfs.datasets.spiral_data: float64 arithmetic with float32 noise (the book's 0.2), stored as float32
    X = np.zeros((samples * classes, 2), dtype=np.float32)
    y = np.zeros(samples * classes, dtype=np.int64)
    for c in range(classes):
        ix = slice(samples * c, samples * (c + 1))
        r = np.linspace(0.0, 1, samples)
        t = np.linspace(c * 4, (c + 1) * 4, samples) + _randn32(rng, samples) * noise
        X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = c
    return X, y


def _sine(samples):
    # nnfs.datasets.sine_data: float64, no randomness
    X = np.arange(samples).reshape(-1, 1) / samples
    y = np.sin(2 * np.pi * X).reshape(-1, 1)
    return X.astype(np.float32), y.astype(np.float32)


def _xor(samples, rng, noise=0.0):
    # class 0 in the quadrants where the signs differ, class 1 where they agree: uniform in each;
    # noise > 0 then moves every point by normal jitter of that deviation (across the axes, too)
    n = 2 * samples
    X = rng.uniform(-1.0, 1.0, size=(n, 2))
    y = np.repeat(np.arange(2, dtype=np.int64), samples)
    sign_x = np.where(X[:, 0] >= 0, 1.0, -1.0)
    X[:, 1] = np.abs(X[:, 1]) * sign_x * np.where(y == 1, 1.0, -1.0)
    if noise:
        X += noise * rng.randn(n, 2)
    return X.astype(np.float32), y


def _sklearn_generated(name, samples, classes, rng, noise=None):
    from sklearn import datasets  # deferred: ~0.7 s import

    seed = rng.randint(2**31 - 1)
    if name == "moons":
        X, y = datasets.make_moons(n_samples=(samples, samples), noise=_or(noise, 0.1), random_state=seed)
    elif name == "circles":
        X, y = datasets.make_circles(
            n_samples=(samples, samples), noise=_or(noise, 0.1), factor=0.5, random_state=seed
        )
    else:
        X, y = datasets.make_blobs(n_samples=[samples] * classes, n_features=2, cluster_std=_or(noise, 1.0),
                                   random_state=seed)
    return X.astype(np.float32), y.astype(np.int64)


def _non_negative(x) -> bool:
    """A finite number >= 0 (an int too large for a float, 1e400, is not; neither is a bool)."""
    if isinstance(x, bool) or not isinstance(x, (int, float, np.integer, np.floating)):
        return False
    try:
        return math.isfinite(x) and x >= 0
    except OverflowError:
        return False


def _or(value, default):
    return default if value is None else value


def _real(name):
    from sklearn import datasets  # deferred: ~0.7 s import

    loader = {
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "breast-cancer": datasets.load_breast_cancer,
        "digits": datasets.load_digits,
    }[name]
    bunch = loader()
    return (
        bunch.data.astype(np.float32),
        bunch.target.astype(np.int64),
        [str(c) for c in bunch.target_names],
        [str(f) for f in bunch.feature_names],
    )


_VARIABLE_CLASSES = {"vertical", "spiral", "blobs"}


def _count(what: str, value, default: int | None, minimum: int) -> int | None:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise DataError(f"{what} must be a whole number, got {value!r}; give e.g. {default or 2}")
    if value < minimum:
        raise DataError(f"{what} must be at least {minimum}, got {value}; give a larger number")
    return int(value)


def _unknown_name(name: str) -> DataError:
    known = ", ".join(DATASETS)
    close = difflib.get_close_matches(str(name).lower(), DATASETS, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return DataError(f"unknown dataset {str(name)!r}; {hint}known datasets: {known}")


def dataset_key(name) -> str:
    """The registry key for a dataset name as a user may type it ('Breast_Cancer' -> 'breast-cancer')."""
    return str(name).strip().lower().replace("_", "-")


def load_dataset(
    name: str,
    *,
    samples: int | None = None,
    classes: int | None = None,
    noise: float | None = None,
    rng: np.random.RandomState,
) -> Dataset:
    """Build registry set `name`; `samples` is per class (total for sine), as in nnfs; `noise`
    (None: the set's own) for the generated sets and the book's vertical and spiral."""
    key = dataset_key(name)
    info = DATASETS.get(key)
    if info is None:
        raise _unknown_name(name)
    samples = _count("samples", samples, info.default_samples, 1)
    classes = _count("classes", classes, info.default_classes, 2)

    if info.task == REGRESSION and classes is not None:
        raise DataError(f"{key} is a regression set, so classes do not apply; leave classes unset")
    if info.kind != "real" and key not in _VARIABLE_CLASSES and classes != info.default_classes:
        raise DataError(
            f"{key} always has {info.default_classes} classes, got classes={classes}; "
            "leave classes unset or pick vertical, spiral or blobs"
        )
    if samples is not None and samples * (classes or 1) > MAX_SAMPLES:
        raise DataError(
            f"{key}: {samples} samples x {classes or 1} classes is more than {MAX_SAMPLES:,} rows; "
            "give fewer samples"
        )

    if noise is not None and (info.kind == "real" or key == "sine"):
        raise DataError(f"{key} has no noise to set; noise applies to moons, circles, blobs, xor, spiral and "
                        "vertical")
    if noise is not None and not _non_negative(noise):
        shown = repr(noise) if len(repr(noise)) <= 24 else repr(noise)[:20] + "…"
        raise DataError(f"noise must be a number >= 0, got {shown}")
    two_d = ["x1", "x2"]
    if key == "vertical":
        X, y = _vertical(samples, classes, rng, _or(noise, 0.1))
        names, features = [str(c) for c in range(classes)], two_d
        source = f"nnfs vertical_data(samples={samples}, classes={classes}) as under nnfs.init()"
    elif key == "spiral":
        X, y = _spiral(samples, classes, rng, _or(noise, 0.2))
        names, features = [str(c) for c in range(classes)], two_d
        source = f"nnfs spiral_data(samples={samples}, classes={classes}) as under nnfs.init()"
    elif key == "sine":
        X, y = _sine(samples)
        names, features = None, ["x"]
        source = f"nnfs sine_data(samples={samples})"
    elif key == "xor":
        X, y = _xor(samples, rng, _or(noise, 0.0))
        names, features = ["0", "1"], two_d
        source = f"xor: {samples} uniform points per class, class 1 where sign(x) == sign(y)"
    elif info.kind == "generated":
        X, y = _sklearn_generated(key, samples, classes, rng, noise)
        names, features = [str(c) for c in range(classes)], two_d
        source = f"{info.source}, {samples} samples per class"
    if noise is not None:
        source += f"; noise {noise:g}"
    if info.kind == "real":
        X, y, names, features = _real(key)
        if classes is not None and classes != len(names):
            raise DataError(
                f"{key} has {len(names)} classes, got classes={classes}; leave classes unset"
            )
        source = info.source
        if samples is not None:
            # at most `samples` per class, picked with rng, in the original order
            keep = np.concatenate(
                [rng.permutation(np.flatnonzero(y == c))[:samples] for c in range(len(names))]
            )
            keep.sort()
            X, y = X[keep], y[keep]
            source += f", at most {samples} samples per class"
    return Dataset(key, X, y, info.task, names, features, source)


# --- user files (read by tui_nn/datafile.py) --------------------------------------------------

_FILE_CACHE: dict[tuple, Dataset] = {}  # a few parsed files, for processes that load one many times
_FILE_CACHE_SIZE = 4


def load_file(path, *, label: str | int | None = None, task: str | None = None) -> Dataset:
    """Read a table of numbers: one row per sample, features plus one label column.

    The separator (comma, semicolon, tab or whitespace) and a header row are detected. The label
    column is given by header name or 0-based index (default: the last). String labels and
    integer labels are classes; other numbers are regression targets (`task` forces either).

    A file read before in this process, unchanged since (same size and modification time), is
    not parsed again (a sweep worker trains many configurations on one file); every call gets
    arrays of its own.
    """
    try:
        st = Path(path).stat()
        key = (str(Path(path).resolve()), st.st_ino, st.st_mtime_ns, st.st_ctime_ns, st.st_size, label, task)
    except (OSError, TypeError):
        key = None  # _load_file reports the problem
    cached = _FILE_CACHE.get(key) if key is not None else None
    if cached is None:
        cached = _load_file(path, label=label, task=task)
        if key is not None:
            if len(_FILE_CACHE) >= _FILE_CACHE_SIZE:
                _FILE_CACHE.pop(next(iter(_FILE_CACHE)))
            _FILE_CACHE[key] = cached
    return dataclasses.replace(cached, X=cached.X.copy(), y=cached.y.copy(),
                               class_names=None if cached.class_names is None else list(cached.class_names),
                               feature_names=list(cached.feature_names))


def _load_file(path, *, label: str | int | None = None, task: str | None = None) -> Dataset:
    if isinstance(path, str) and not path.strip():
        raise DataError("the data file name is empty; give the path of a data file")
    path = Path(path)
    if task not in (None, CLASSIFICATION, REGRESSION):
        raise DataError(f"unknown task {task!r}; use '{CLASSIFICATION}' or '{REGRESSION}'")
    if isinstance(label, bool) or not isinstance(label, (str, int, np.integer, type(None))):
        raise DataError(f"label must be a column name or a 0-based column index, got {label!r}")

    from .datafile import read_table  # the table reader, streamed in blocks

    X, y, task, class_names, feature_names, source, digest = read_table(path, label=label, task=task)
    return Dataset(path.name, X, y, task, class_names, feature_names, source, digest)


# --- splitting and scaling ---------------------------------------------------------------------


def _split_off(idx, y, fraction, stratify, seed):
    """Split `idx` into (rest, part) with `fraction` in part; stratified when the classes allow."""
    from sklearn.model_selection import train_test_split  # deferred: ~0.7 s import

    if stratify:
        try:
            return train_test_split(idx, test_size=fraction, stratify=y[idx], random_state=seed)
        except ValueError:
            pass  # a class too small to stratify: split unstratified
    return train_test_split(idx, test_size=fraction, random_state=seed)


def prepare(
    ds: Dataset,
    *,
    val_split: float,
    test_split: float = 0.0,
    standardize: bool,
    rng: np.random.RandomState,
    val_of_train: bool = False,
) -> Split:
    """Split `ds` (stratified for classes) and standardise with the training part's statistics.

    `val_split` and `test_split` are fractions of the whole data set; with `val_of_train`,
    `val_split` is a fraction of what `test_split` leaves (as Keras's ``validation_split``).
    `rng` is only drawn from when a split is made, so the book's stream stays intact otherwise.
    """
    for what, value in (("val_split", val_split), ("test_split", test_split)):
        if not 0.0 <= value < 1.0:
            raise DataError(f"{what} must be in [0, 1), got {value}; give a fraction such as 0.2")
    if not val_of_train and val_split + test_split >= 1.0:
        raise DataError(
            f"val_split + test_split = {val_split + test_split:g} leaves no training data; "
            "make them sum to less than 1"
        )
    X = np.asarray(ds.X, dtype=np.float32)
    y = ds.y
    stratify = ds.task == CLASSIFICATION
    train = np.arange(ds.n_samples)
    test = val = train[:0]
    try:
        if test_split > 0:
            train, test = _split_off(train, y, test_split, stratify, rng.randint(2**31 - 1))
        if val_split > 0:
            of_rest = val_split if val_of_train else val_split / (1.0 - test_split)
            train, val = _split_off(train, y, of_rest, stratify, rng.randint(2**31 - 1))
    except ValueError:
        raise DataError(
            f"{ds.name}: {ds.n_samples} samples are too few to split off "
            f"val_split={val_split:g} and test_split={test_split:g}; use more samples or no split"
        ) from None

    mean = scale = None
    if standardize:
        X_train = X[train].astype(np.float64)
        mean = X_train.mean(axis=0)
        scale = X_train.std(axis=0)
        scale[scale == 0] = 1.0
        mean, scale = mean.astype(np.float32), scale.astype(np.float32)
    split = Split(ds.name, ds.task, ds.class_names, ds.feature_names,
                  X[train], y[train], X[val], y[val], X[test], y[test], mean, scale)
    if standardize:
        split.X_train = split.transform(split.X_train)
        split.X_val = split.transform(split.X_val)
        split.X_test = split.transform(split.X_test)
    return split


# --- example files and display -----------------------------------------------------------------


def example_files() -> dict[str, Path]:
    """Example data files shipped in datasets/ (tui_nn/examples/ in a wheel), by file stem."""
    here = Path(__file__).resolve().parent
    for folder in (here / "examples", here.parent / "datasets"):
        if folder.is_dir():
            return {
                p.stem: p
                for p in sorted(folder.iterdir())
                if p.is_file() and p.name != "README.md" and not p.name.startswith(".")
            }
    return {}


def project_2d(X) -> np.ndarray:
    """For display only: X if 2-D, (x, 0) if 1-D, else its first 2 principal components."""
    X = np.asarray(X)
    n, d = X.shape
    if d == 2:
        return X
    if d == 1:
        return np.c_[X, np.zeros_like(X)]
    if d == 0 or n < 2:
        return np.zeros((n, 2), dtype=np.float32)
    from sklearn.decomposition import PCA  # deferred: ~0.7 s import

    return PCA(n_components=2, svd_solver="full").fit_transform(X).astype(np.float32)
