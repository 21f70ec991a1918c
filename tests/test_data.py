"""The data layer: book sets bit-identical to nnfs, registry sets, user files, splitting."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tui_nn.data import (
    DATASETS,
    DataError,
    Dataset,
    example_files,
    load_dataset,
    load_file,
    prepare,
    project_2d,
)

MAGIC = Path(__file__).parents[1].parent / "shared" / "data" / "magic04.data"

# --- the book's datasets, against nnfs itself ------------------------------------------------

# nnfs.init() monkeypatches numpy globally, so the reference runs in its own process.
NNFS_REFERENCE = """
import sys
import numpy as np
import nnfs
from nnfs.datasets import sine_data, spiral_data, vertical_data

nnfs.init()
out = {}
for name, make, args in [
    ("vertical", vertical_data, (100, 3)),
    ("vertical_50x5", vertical_data, (50, 5)),
    ("spiral", spiral_data, (100, 3)),
    ("spiral_37x4", spiral_data, (37, 4)),
]:
    np.random.seed(0)
    out[name + "_X"], out[name + "_y"] = make(*args)
    out[name + "_next"] = 0.01 * np.random.randn(2, 3)  # the book's first Layer_Dense weights
out["sine_X"], out["sine_y"] = sine_data()
out["sine_250_X"], out["sine_250_y"] = sine_data(250)
np.savez(sys.argv[1], **out)
"""


@pytest.fixture(scope="module")
def nnfs_ref(tmp_path_factory):
    if importlib.util.find_spec("nnfs") is None:
        pytest.skip("nnfs is not installed")
    out = tmp_path_factory.mktemp("nnfs") / "ref.npz"
    subprocess.run([sys.executable, "-c", NNFS_REFERENCE, str(out)], check=True)
    return dict(np.load(out))


@pytest.mark.parametrize(
    "ref, name, samples, classes",
    [
        ("vertical", "vertical", None, None),
        ("vertical_50x5", "vertical", 50, 5),
        ("spiral", "spiral", None, None),
        ("spiral_37x4", "spiral", 37, 4),
    ],
)
def test_book_classification_sets_are_bit_identical_to_nnfs(nnfs_ref, ref, name, samples, classes):
    rng = np.random.RandomState(0)
    ds = load_dataset(name, samples=samples, classes=classes, rng=rng)

    assert ds.X.dtype == np.float32 and nnfs_ref[ref + "_X"].dtype == np.float32
    assert np.array_equal(ds.X, nnfs_ref[ref + "_X"])
    assert ds.y.dtype == np.int64
    assert np.array_equal(ds.y, nnfs_ref[ref + "_y"])
    # the trainer draws its first weights from the same stream, right where the book does
    assert np.array_equal(0.01 * rng.randn(2, 3).astype(np.float32), nnfs_ref[ref + "_next"])


@pytest.mark.parametrize("ref, samples", [("sine", None), ("sine_250", 250)])
def test_sine_matches_nnfs_and_draws_nothing(nnfs_ref, ref, samples):
    rng = np.random.RandomState(0)
    ds = load_dataset("sine", samples=samples, rng=rng)

    # nnfs returns float64 here (np.arange is not patched); the values are its float32 casts
    assert ds.X.dtype == np.float32 and ds.y.dtype == np.float32
    assert np.array_equal(ds.X, nnfs_ref[ref + "_X"].astype(np.float32))
    assert np.array_equal(ds.y, nnfs_ref[ref + "_y"].astype(np.float32))
    assert ds.task == "regression" and ds.n_outputs == 1 and ds.class_names is None
    assert rng.randint(1000) == np.random.RandomState(0).randint(1000)


# --- the registry ------------------------------------------------------------------------------

REGISTRY_SHAPES = {
    "vertical": (300, 2, 3),
    "spiral": (300, 2, 3),
    "sine": (1000, 1, 0),
    "moons": (200, 2, 2),
    "circles": (200, 2, 2),
    "blobs": (300, 2, 3),
    "xor": (200, 2, 2),
    "iris": (150, 4, 3),
    "wine": (178, 13, 3),
    "breast-cancer": (569, 30, 2),
    "digits": (1797, 64, 10),
}


def test_registry_lists_every_set():
    assert set(DATASETS) == set(REGISTRY_SHAPES)
    for name in ("vertical", "spiral", "sine"):
        assert DATASETS[name].kind == "book"
        assert DATASETS[name].val_split == 0.0 and not DATASETS[name].standardize
    for name in ("moons", "circles", "blobs", "xor"):
        assert DATASETS[name].val_split == 0.2 and not DATASETS[name].standardize
    for name in ("iris", "wine", "breast-cancer", "digits"):
        assert DATASETS[name].kind == "real"
        assert DATASETS[name].val_split == 0.2 and DATASETS[name].standardize


@pytest.mark.parametrize("name", sorted(REGISTRY_SHAPES))
def test_registry_set_loads_with_its_shape(name):
    n, d, n_classes = REGISTRY_SHAPES[name]
    ds = load_dataset(name, rng=np.random.RandomState(3))

    assert ds.name == name and ds.task == DATASETS[name].task
    assert ds.X.shape == (n, d) and ds.X.dtype == np.float32
    assert np.isfinite(ds.X).all()
    assert len(ds.feature_names) == d
    assert ds.n_classes == n_classes
    if n_classes:
        assert ds.y.shape == (n,) and ds.y.dtype == np.int64
        assert len(ds.class_names) == n_classes
        assert set(np.unique(ds.y)) == set(range(n_classes))
        assert ds.n_outputs == (1 if n_classes == 2 else n_classes)
    # same seed, same data
    again = load_dataset(name, rng=np.random.RandomState(3))
    assert np.array_equal(ds.X, again.X) and np.array_equal(ds.y, again.y)


def test_real_sets_keep_their_class_names():
    assert load_dataset("breast-cancer", rng=np.random.RandomState(0)).class_names == [
        "malignant", "benign"
    ]
    iris = load_dataset("iris", rng=np.random.RandomState(0))
    assert iris.feature_names[0] == "sepal length (cm)"


def test_samples_are_per_class():
    ds = load_dataset("spiral", samples=10, classes=4, rng=np.random.RandomState(0))
    assert np.bincount(ds.y).tolist() == [10] * 4
    ds = load_dataset("moons", samples=7, rng=np.random.RandomState(0))
    assert np.bincount(ds.y).tolist() == [7, 7]
    ds = load_dataset("blobs", samples=5, classes=6, rng=np.random.RandomState(0))
    assert np.bincount(ds.y).tolist() == [5] * 6
    ds = load_dataset("iris", samples=10, rng=np.random.RandomState(0))  # at most 10 per class
    assert np.bincount(ds.y).tolist() == [10, 10, 10]


def test_xor_labels_follow_the_quadrants():
    ds = load_dataset("xor", rng=np.random.RandomState(0))
    same_sign = (ds.X[:, 0] >= 0) == (ds.X[:, 1] >= 0)
    assert np.array_equal(ds.y, same_sign.astype(np.int64))
    assert np.abs(ds.X).max() <= 1.0


def test_generated_sets_depend_on_the_seed():
    a = load_dataset("moons", rng=np.random.RandomState(0))
    b = load_dataset("moons", rng=np.random.RandomState(1))
    assert not np.array_equal(a.X, b.X)


def test_unknown_dataset_suggests_the_closest_name():
    with pytest.raises(DataError) as err:
        load_dataset("spirl", rng=np.random.RandomState(0))
    message = str(err.value)
    assert "did you mean 'spiral'" in message
    assert all(name in message for name in DATASETS)


def test_dataset_names_are_forgiving_about_case_and_underscores():
    ds = load_dataset("Breast_Cancer", rng=np.random.RandomState(0))
    assert ds.name == "breast-cancer"


@pytest.mark.parametrize(
    "name, kwargs, expected",
    [
        ("spiral", {"samples": 0}, "samples must be at least 1"),
        ("spiral", {"samples": -5}, "samples must be at least 1"),
        ("spiral", {"samples": 2.5}, "whole number"),
        ("spiral", {"classes": 1}, "classes must be at least 2"),
        ("spiral", {"classes": 0}, "classes must be at least 2"),
        ("moons", {"classes": 3}, "moons always has 2 classes"),
        ("sine", {"classes": 3}, "regression"),
        ("iris", {"classes": 2}, "iris has 3 classes"),
        ("spiral", {"samples": 10**6, "classes": 3}, "give fewer samples"),
        ("moons", {"noise": -0.1}, "noise must be a number >= 0, got -0.1"),
        ("moons", {"noise": float("nan")}, "noise must be a number >= 0, got nan"),
        ("moons", {"noise": 10**400}, r"noise must be a number >= 0, got 10000000000000000000…$"),  # too big for a float
    ],
)
def test_bad_registry_arguments_raise_one_line_errors(name, kwargs, expected):
    with pytest.raises(DataError, match=expected) as err:
        load_dataset(name, rng=np.random.RandomState(0), **kwargs)
    assert "\n" not in str(err.value)


def test_a_huge_whole_noise_is_a_number_like_any_other():
    # a checkpoint's config may say noise=10**33 (an int too large for int64, as the loader
    # property test found): the data come out, or a one-line error, never a TypeError
    X = load_dataset("moons", noise=10**33, rng=np.random.RandomState(0)).X
    assert X.shape[1] == 2 and np.isfinite(X).all()


def test_classes_equal_to_a_real_sets_own_count_is_accepted():
    assert load_dataset("iris", classes=3, rng=np.random.RandomState(0)).n_classes == 3


# --- user files --------------------------------------------------------------------------------


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


@pytest.mark.parametrize(
    "text",
    [
        "x1,x2,label\n1,2,a\n3,4,b\n5,6,a\n",
        "x1;x2;label\n1;2;a\n3;4;b\n5;6;a\n",
        "x1\tx2\tlabel\n1\t2\ta\n3\t4\tb\n5\t6\ta\n",
        "x1  x2   label\n 1 2 a\n3    4 b\n5 6\ta\n",
        "x1, x2, label\r\n1, 2, a\r\n3, 4, b\r\n5, 6, a\r\n",
        '"x1","x2","label"\n"1","2","a"\n3,4,"b"\n5,6,a\n',
        "\ufeffx1,x2,label\n\n# a comment\n1,2,a\n3,4,b\n\n5,6,a",
    ],
    ids=["comma", "semicolon", "tab", "whitespace", "crlf-spaces", "quoted", "bom-blank-comment"],
)
def test_separators_and_headers_are_detected(tmp_path, text):
    ds = load_file(write(tmp_path, text))
    assert ds.X.tolist() == [[1, 2], [3, 4], [5, 6]]
    assert ds.X.dtype == np.float32
    assert ds.y.tolist() == [0, 1, 0] and ds.class_names == ["a", "b"]
    assert ds.feature_names == ["x1", "x2"]
    assert ds.task == "classification" and ds.n_outputs == 1 and ds.name == "data.csv"


def test_headerless_file_reads_every_row_as_data(tmp_path):
    ds = load_file(write(tmp_path, "1 2 0\n3 4 1\n5 6 2\n"))
    assert ds.X.shape == (3, 2) and ds.feature_names == ["x1", "x2"]
    assert ds.y.tolist() == [0, 1, 2] and ds.n_outputs == 3


TABLE = "a,b,kind,c\n1,2,x,10\n3,4,y,20\n5,6,x,30\n"


@pytest.mark.parametrize("label", ["kind", "KIND", 2, -2, "2"])
def test_label_column_by_name_or_index(tmp_path, label):
    ds = load_file(write(tmp_path, TABLE), label=label)
    assert ds.feature_names == ["a", "b", "c"]
    assert ds.X.tolist() == [[1, 2, 10], [3, 4, 20], [5, 6, 30]]
    assert ds.class_names == ["x", "y"] and ds.y.tolist() == [0, 1, 0]


def test_integer_labels_are_classes_in_numeric_order(tmp_path):
    ds = load_file(write(tmp_path, "f,label\n0.5,10\n1.5,2\n2.5,2\n3.5,1.0\n"))
    assert ds.task == "classification"
    assert ds.class_names == ["1.0", "2", "10"]
    assert ds.y.tolist() == [2, 1, 1, 0]


def test_a_file_read_again_gives_its_current_contents_in_arrays_of_its_own(tmp_path):
    path = write(tmp_path, "f,label\n0.5,a\n1.5,b\n")
    first = load_file(path)
    first.X[0, 0] = 99.0  # a caller changing its copy changes nobody else's
    first.class_names.append("zzz")
    again = load_file(path)
    assert again.X.tolist() == [[0.5], [1.5]] and again.class_names == ["a", "b"]
    path.write_text("f,label\n2.5,c\n3.5,c\n4.5,d\n")  # edited: read afresh
    assert load_file(path).X.tolist() == [[2.5], [3.5], [4.5]]


def test_fractional_labels_are_a_regression_target(tmp_path):
    ds = load_file(write(tmp_path, "f,t\n0,0.5\n1,-1.25\n2,3\n"))
    assert ds.task == "regression" and ds.class_names is None and ds.n_classes == 0
    assert ds.y.dtype == np.float32 and ds.y.tolist() == [[0.5], [-1.25], [3.0]]
    assert ds.n_outputs == 1


def test_task_forces_classes_or_regression(tmp_path):
    path = write(tmp_path, "f,t\n0,1\n1,2\n2,1\n")
    ds = load_file(path, task="regression")
    assert ds.task == "regression" and ds.y.tolist() == [[1.0], [2.0], [1.0]]
    ds = load_file(write(tmp_path, "f,t\n0,0.5\n1,1.5\n2,0.5\n"), task="classification")
    assert ds.task == "classification" and ds.class_names == ["0.5", "1.5"]


def test_magic_gamma_telescope_file(tmp_path):
    if not MAGIC.is_file():
        pytest.skip(f"{MAGIC} is not available")
    ds = load_file(MAGIC)
    assert ds.X.shape == (19020, 10) and ds.X.dtype == np.float32
    assert ds.class_names == ["g", "h"]
    assert np.bincount(ds.y).tolist() == [12332, 6688]
    assert ds.n_outputs == 1
    first = [28.7967, 16.0021, 2.6449, 0.3918, 0.1982, 27.7004, 22.011, -8.2027, 40.092, 81.8828]
    assert np.array_equal(ds.X[0], np.array(first, dtype=np.float32))


def test_example_files_ship_and_load():
    files = example_files()
    assert {"two-moons", "xor-semicolon", "sine-regression", "rings"} <= set(files)
    assert all(p.name != "README.md" for p in files.values())
    assert load_file(files["sine-regression"]).task == "regression"
    rings = load_file(files["rings"])
    assert rings.class_names == ["inner", "outer"] and rings.X.shape == (200, 2)
    for path in files.values():
        assert path.stat().st_size < 50_000
        load_file(path)


BAD_FILES = [
    # (content, expected fragments of the message)
    ("", ["empty"]),
    ("\n\n  \n# only a comment\n", ["empty"]),
    ("x1,x2,label\n", ["no data rows"]),
    ("1,2,a\n3,4,b\n5,6\n", ["line 3", "expected 3 columns, found 2"]),
    ("1,2,a\n3,4,b,9\n", ["line 2", "expected 3 columns, found 4"]),
    ("x1,x2,label\n1,2,a\n3,abc,b\n", ["line 3", "column 2 (x2)", "'abc'"]),
    ("1;2;a\n3;4,5;b\n", ["line 2", "column 2", "decimal point"]),
    ("1,2,a\n3,,b\n", ["line 2", "column 2", "empty feature"]),
    ("1,2,a\n3,nan,b\n", ["line 2", "column 2", "NaN"]),
    ("1,2,a\n3,-inf,b\n", ["line 2", "column 2", "infinite"]),
    ("1,2,a\n3,1e39,b\n", ["line 2", "column 2", "too large for float32"]),
    ("1,2,0.5\n3,4,nan\n", ["line 2", "column 3", "NaN"]),
    ("1,2,a\n3,4,a\n", ["only one class", "'a'"]),
    # a number over a number: line 1 is data with a bad cell, not a header to drop
    ("1,x,0\n3,4,1\n5,6,0\n", ["line 1", "column 2", "non-numeric feature 'x'", "a name that is not a number"]),
    ("1,2,a\n3,4,\n", ["line 2", "column 3", "empty label"]),
    ("1\n2\n3\n", ["only 1 column"]),
    (b"1,2,a\n3,4,\xe9\n", ["line 2", "column 5", "UTF-8"]),
    (b"\xff\xfe1\x002\x00", ["line 1", "column 1", "UTF-8"]),
]


@pytest.mark.parametrize("content, expected", BAD_FILES)
def test_bad_files_raise_one_line_errors_naming_the_place(tmp_path, content, expected):
    path = write(tmp_path, content, name="bad-input.csv")
    with pytest.raises(DataError) as err:
        load_file(path)
    message = str(err.value)
    assert "\n" not in message
    assert "bad-input.csv" in message
    for fragment in expected:
        assert fragment in message


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"label": 4}, ["out of range", "3 columns", "0..2"]),
        ({"label": -4}, ["out of range", "3 columns"]),
        ({"label": "colour"}, ["no column named 'colour'", "'x1', 'x2', 'label'"]),
        ({"task": "regression"}, ["line 2", "column 3 (label)", "non-numeric target 'a'"]),
        ({"task": "clustering"}, ["unknown task"]),
        ({"task": "classification", "content": "1,2,0\n3,4,inf\n5,6,1\n"}, ["line 2", "column 3", "infinite label"]),
        ({"task": "classification", "content": "1,2,0\n3,4,nan\n5,6,1\n"}, ["line 2", "column 3", "NaN label"]),
    ],
)
def test_bad_label_and_task_options(tmp_path, kwargs, expected):
    content = kwargs.pop("content", "x1,x2,label\n1,2,a\n3,4,b\n")
    path = write(tmp_path, content, name="opts.csv")
    with pytest.raises(DataError) as err:
        load_file(path, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    for fragment in expected:
        assert fragment in message


def test_oversized_quoted_field_is_a_data_error(tmp_path):
    path = write(tmp_path, '1,2,a\n"' + "9" * 200_000 + '",4,b\n', name="huge.csv")
    with pytest.raises(DataError, match="huge.csv: line 2: cannot parse quoted fields"):
        load_file(path)


def test_an_empty_file_name_is_named_as_such():
    with pytest.raises(DataError, match="the data file name is empty; give the path of a data file"):
        load_file("")


def test_label_by_name_needs_a_header(tmp_path):
    with pytest.raises(DataError, match="no header row"):
        load_file(write(tmp_path, "1,2,a\n3,4,b\n"), label="label")


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(DataError, match="nope.csv: no such file"):
        load_file(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a directory"):
        load_file(tmp_path)
    if os.name == "posix" and os.geteuid() != 0:  # root reads anything
        path = write(tmp_path, "1,2,a\n3,4,b\n", name="locked.csv")
        path.chmod(0)
        with pytest.raises(DataError, match="locked.csv: permission denied"):
            load_file(path)


# --- prepare -----------------------------------------------------------------------------------


def make_dataset(n_per_class=(60, 30, 10), d=3, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat(np.arange(len(n_per_class)), n_per_class).astype(np.int64)
    X = (rng.randn(len(y), d) * [1, 10, 100] + [5, -3, 50]).astype(np.float32)
    return Dataset("toy", X, y, "classification", ["a", "b", "c"], ["f1", "f2", "f3"], "test")


def test_split_is_stratified():
    split = prepare(make_dataset(), val_split=0.2, test_split=0.1, standardize=False,
                    rng=np.random.RandomState(0))
    assert np.bincount(split.y_test).tolist() == [6, 3, 1]
    assert np.bincount(split.y_val).tolist() == [12, 6, 2]
    assert np.bincount(split.y_train).tolist() == [42, 21, 7]
    # every sample lands in exactly one part
    rows = np.concatenate([split.X_train, split.X_val, split.X_test])
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, make_dataset().X.tolist()))


def test_standardisation_is_fitted_on_the_training_part_only():
    split = prepare(make_dataset(), val_split=0.3, standardize=True, rng=np.random.RandomState(0))
    assert np.allclose(split.X_train.mean(axis=0), 0, atol=1e-5)
    assert np.allclose(split.X_train.std(axis=0), 1, atol=1e-5)
    assert not np.allclose(split.X_val.mean(axis=0), 0, atol=1e-5)
    assert split.X_train.dtype == split.X_val.dtype == np.float32
    raw = make_dataset().X
    assert np.allclose(split.transform(raw), (raw - split.mean) / split.scale, atol=1e-5)


def test_constant_feature_is_not_divided_by_zero():
    ds = make_dataset()
    ds.X[:, 1] = 7.0
    split = prepare(ds, val_split=0.0, standardize=True, rng=np.random.RandomState(0))
    assert np.isfinite(split.X_train).all() and np.all(split.X_train[:, 1] == 0)


def test_no_split_draws_nothing_and_keeps_order():
    rng = np.random.RandomState(0)
    ds = load_dataset("vertical", rng=rng)
    split = prepare(ds, val_split=0.0, standardize=False, rng=rng)
    assert np.array_equal(split.X_train, ds.X) and np.array_equal(split.y_train, ds.y)
    assert split.X_val.shape == split.X_test.shape == (0, 2) and split.y_val.shape == (0,)
    assert split.mean is None and split.n_outputs == 3
    reference = np.random.RandomState(0)
    load_dataset("vertical", rng=reference)
    assert np.array_equal(rng.randn(5), reference.randn(5))


def test_split_is_deterministic_for_a_seed():
    a = prepare(make_dataset(), val_split=0.2, standardize=True, rng=np.random.RandomState(5))
    b = prepare(make_dataset(), val_split=0.2, standardize=True, rng=np.random.RandomState(5))
    assert np.array_equal(a.X_val, b.X_val) and np.array_equal(a.y_train, b.y_train)


def test_tiny_class_falls_back_to_an_unstratified_split():
    split = prepare(make_dataset((20, 20, 1)), val_split=0.2, standardize=False,
                    rng=np.random.RandomState(0))
    assert len(split.y_train) + len(split.y_val) == 41 and len(split.y_val) == 9


def test_regression_targets_are_left_unchanged():
    ds = load_dataset("sine", samples=50, rng=np.random.RandomState(0))
    split = prepare(ds, val_split=0.2, standardize=True, rng=np.random.RandomState(0))
    assert split.y_train.dtype == np.float32 and split.y_train.shape == (40, 1)
    assert set(split.y_train.ravel().tolist()) <= set(ds.y.ravel().tolist())
    assert split.n_outputs == 1 and split.n_classes == 0


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({"val_split": 1.0}, "val_split must be in"),
        ({"val_split": -0.1}, "val_split must be in"),
        ({"val_split": 0.5, "test_split": 0.5}, "leaves no training data"),
    ],
)
def test_bad_split_fractions(kwargs, expected):
    with pytest.raises(DataError, match=expected):
        prepare(make_dataset(), standardize=False, rng=np.random.RandomState(0), **kwargs)


def test_too_few_samples_to_split_is_a_data_error():
    ds = Dataset("one", np.ones((1, 2), np.float32), np.zeros(1, np.int64), "classification",
                 ["a", "b"], ["x1", "x2"], "test")
    with pytest.raises(DataError, match="too few"):
        prepare(ds, val_split=0.5, standardize=False, rng=np.random.RandomState(0))


# --- display and imports -----------------------------------------------------------------------


def test_project_2d():
    X2 = np.arange(6, dtype=np.float32).reshape(3, 2)
    assert project_2d(X2) is X2
    assert project_2d(np.array([[1.0], [2.0]])).tolist() == [[1, 0], [2, 0]]
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5) * [10, 1, 0.1, 0.1, 0.1]
    P = project_2d(X)
    assert P.shape == (200, 2)
    assert P[:, 0].var() > P[:, 1].var() > 0.5  # the two widest directions


def test_core_import_is_light():
    code = (
        "import sys, tui_nn.data; "
        "heavy = [m for m in ('sklearn', 'textual', 'click') if m in sys.modules]; "
        "print(heavy)"
    )
    root = Path(__file__).parents[1]
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert result.stdout.strip() == "[]"
