"""load_file on arbitrary input: it loads a consistent Dataset or raises a one-line DataError."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_nn.data import DataError, load_file

SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
SEPARATORS = [",", ";", "\t", " ", "   "]
TABLE_CHARS = "0123456789.-e,; \t\n\r#abgnif\""
BAD_CELLS = ["", "abc", "nan", "NaN", "inf", "-inf", "1e400", "1,5", '"', '"x"', "#", "\x00", "é"]


@pytest.fixture(scope="module")
def data_file(tmp_path_factory):
    return tmp_path_factory.mktemp("prop") / "input.csv"


def check(path):
    """Load `path`; return the Dataset, or None after checking the DataError is one clean line."""
    try:
        ds = load_file(path)
    except DataError as err:
        message = str(err)
        assert message and "\n" not in message and "\r" not in message
        assert path.name in message
        return None
    n = ds.X.shape[0]
    assert ds.X.dtype == np.float32 and ds.X.ndim == 2 and n >= 1 and ds.X.shape[1] >= 1
    assert np.isfinite(ds.X).all()
    assert len(ds.feature_names) == ds.X.shape[1]
    if ds.task == "classification":
        assert ds.y.dtype == np.int64 and ds.y.shape == (n,)
        assert ds.n_classes >= 2 and len(ds.class_names) == ds.n_classes
        assert ds.y.min() >= 0 and ds.y.max() < ds.n_classes
    else:
        assert ds.task == "regression"
        assert ds.y.dtype == np.float32 and ds.y.shape == (n, 1) and np.isfinite(ds.y).all()
    return ds


@SETTINGS
@given(content=st.binary(max_size=400))
def test_random_bytes(data_file, content):
    data_file.write_bytes(content)
    check(data_file)


@SETTINGS
@given(content=st.text(alphabet=st.sampled_from(list(TABLE_CHARS)), max_size=300))
def test_random_table_like_text(data_file, content):
    data_file.write_text(content, encoding="utf-8", newline="")
    check(data_file)


numbers = st.one_of(
    st.integers(-1000, 1000).map(str),
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr),
)


@st.composite
def tables(draw):
    """A well-formed table: its separator, rows of numbers, a label column of 2+ classes."""
    sep = draw(st.sampled_from(SEPARATORS))
    n_rows = draw(st.integers(2, 12))
    n_features = draw(st.integers(1, 5))
    string_labels = draw(st.booleans())
    pool = ["cat", "dog", "emu"] if string_labels else ["0", "1", "2"]
    labels = draw(st.lists(st.sampled_from(pool), min_size=n_rows, max_size=n_rows)
                  .filter(lambda ls: len(set(ls)) >= 2))
    rows = [draw(st.lists(numbers, min_size=n_features, max_size=n_features)) + [label]
            for label in labels]
    header = [f"f{i}" for i in range(n_features)] + ["label"] if draw(st.booleans()) else None
    return sep, header, rows


def render(sep, header, rows, newline="\n"):
    lines = ([sep.join(header)] if header else []) + [sep.join(row) for row in rows]
    return newline.join(lines) + newline


@SETTINGS
@given(table=tables(), newline=st.sampled_from(["\n", "\r\n"]))
def test_well_formed_tables_load_exactly(data_file, table, newline):
    sep, header, rows = table
    data_file.write_text(render(sep, header, rows, newline), encoding="utf-8", newline="")
    ds = check(data_file)
    assert ds is not None, "a well-formed table must load"
    expected = np.array([[float(c) for c in row[:-1]] for row in rows], dtype=np.float32)
    assert np.array_equal(ds.X, expected)
    assert ds.task == "classification"
    assert [ds.class_names[i] for i in ds.y] == [row[-1] for row in rows]
    n_features = len(rows[0]) - 1
    assert ds.feature_names == (header[:-1] if header else [f"x{i + 1}" for i in range(n_features)])


@SETTINGS
@given(table=tables(), data=st.data())
def test_tables_with_a_fault_are_rejected_or_loaded_consistently(data_file, table, data):
    sep, header, rows = table
    fault = data.draw(st.sampled_from(["cell", "ragged", "blank"]))
    r = data.draw(st.integers(0, len(rows) - 1))
    row = list(rows[r])
    if fault == "cell":
        row[data.draw(st.integers(0, len(row) - 2))] = data.draw(st.sampled_from(BAD_CELLS))
    elif fault == "ragged":
        row = row[:-1] if data.draw(st.booleans()) else row + ["7"]
    else:
        row = []
    rows = rows[:r] + [row] + rows[r + 1:]
    data_file.write_text(render(sep, header, rows), encoding="utf-8", newline="")
    ds = check(data_file)
    if ds is not None and fault == "ragged" and sep in (",", ";", "\t"):
        raise AssertionError("a ragged row must be rejected")
