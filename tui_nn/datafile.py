"""A user's data file: a table of numbers, read in blocks, with errors naming line and column.

``read_table`` streams the file in blocks of about ``BLOCK_BYTES``: each block is hashed (the
SHA-256 of the bytes read), decoded and split into lines. A block of plain rows is parsed by
NumPy's C reader (``np.loadtxt``: the same correctly rounded numbers as Python's ``float``); a
block it cannot read (quotes, an empty or non-numeric cell, a ragged row, a number only
``float`` accepts such as ``1_000``) is read row by row, which finds the exact cell to report.
So memory stays near the size of the arrays (benchmarks/bench_datafile.py: a 200 MB file).

Errors come in the order a reader of the whole file meets them: bytes that are not UTF-8, then
anywhere in the file a row that cannot be split (wrong number of columns, bad quotes), then a
non-numeric feature cell, then a value too large for float32, then the label column.
"""

from __future__ import annotations

import csv
import hashlib
import math
from itertools import repeat
from pathlib import Path

import numpy as np

CLASSIFICATION = "classification"
REGRESSION = "regression"


class DataError(ValueError):
    """Bad input. str(err) is ONE line naming the problem (file, line and column where they apply)
    and the fix."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).splitlines()))

BLOCK_BYTES = 8 << 20  # about 100k rows of a typical table per block
_HEAD_RECORDS = 20  # rows sampled to detect the separator

_SEPARATORS = ("\t", ";", ",")  # tried in this order; None means runs of whitespace
SEPARATOR_NAMES = {"\t": "tab", ";": "semicolon", ",": "comma", None: "whitespace"}
_NUMBERS_FIX = "features must be numbers; use the label option for a text column"


def _quote(cell: str, limit: int = 40) -> str:
    return repr(cell if len(cell) <= limit else cell[:limit] + "...")


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _detect_separator(lines: list[str]) -> str | None:
    """The separator with the same non-zero count on every sampled line, else whitespace if that
    splits every line alike, else the separator found on most lines (ragged rows get reported)."""
    counts = {sep: [line.count(sep) for line in lines] for sep in _SEPARATORS}
    for sep in _SEPARATORS:
        if counts[sep][0] > 0 and len(set(counts[sep])) == 1:
            return sep
    fields = {len(line.split()) for line in lines}
    if len(fields) == 1 and fields.pop() > 1:
        return None
    present = {sep: sum(c > 0 for c in counts[sep]) for sep in _SEPARATORS}
    best = max(_SEPARATORS, key=lambda sep: (present[sep], sum(counts[sep])))
    return best if present[best] else None


class _Reader:
    """Error reporting for one file: every message names it and says how to fix the problem."""

    def __init__(self, path: Path):
        self.path = path
        self.separator: str | None = None
        self.header: list[str] | None = None
        self.first_line: int | None = None  # line number of the first non-comment line

    def error(self, problem: str, fix: str, line: int | None = None, col: int | None = None):
        where = ""
        if line is not None:
            where = f"line {line}, " if col is not None else f"line {line}: "
        if col is not None:
            name = self.header[col] if self.header and col < len(self.header) else ""
            where += f"column {col + 1}" + (f" ({name[:40]})" if name else "") + ": "
        return DataError(f"{self.path}: {where}{problem}; {fix}")

    def split(self, line: str, lineno: int) -> list[str]:
        sep = self.separator
        if sep is None:
            return line.split()
        if '"' not in line:
            return [cell.strip() for cell in line.split(sep)]
        try:
            return [cell.strip() for cell in next(csv.reader([line], delimiter=sep))]
        except (csv.Error, StopIteration) as err:
            problem = f"cannot parse quoted fields ({err})"
            raise self.error(problem, "check the quotes", lineno) from None


# --- reading blocks ----------------------------------------------------------------------------


def _open(path: Path):
    from .atomic import NotRegularFileError, open_regular

    try:
        return open_regular(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory; give the path of a data file") from None
    except PermissionError:
        raise DataError(f"{path}: permission denied; make the file readable") from None
    except NotRegularFileError as err:
        raise DataError(f"{path}: {err.strerror}; give the path of a data file") from None
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror or err}); check the file") from None


def _blocks(path: Path, f, hasher):
    """Yield (number of the first line, lines) for blocks of whole lines: decoded as UTF-8 (a
    byte-order mark dropped), line ends ``\\r\\n``, ``\\r`` and ``\\n`` alike."""
    carry, first = b"", True
    lineno = 1
    raw_lines, col0 = 0, 0  # b"\n" before the block, bytes since the last one (for decoding errors)
    while True:
        try:
            chunk = f.read(BLOCK_BYTES)
        except OSError as err:
            raise DataError(f"{path}: cannot read ({err.strerror or err}); check the file") from None
        hasher.update(chunk)
        data = carry + chunk
        if chunk:
            cut = data.rfind(b"\n") + 1 or data.rfind(b"\r", 0, len(data) - 1) + 1
            block, carry = data[:cut], data[cut:]
            if not block:
                continue  # no line end yet: read on
        else:
            block, carry = data, b""
        try:
            text = block.decode("utf-8-sig" if first else "utf-8")
        except UnicodeDecodeError as err:
            line = raw_lines + block.count(b"\n", 0, err.start) + 1
            start = block.rfind(b"\n", 0, err.start) + 1
            col = err.start - start + 1 + (col0 if start == 0 else 0)
            raise DataError(
                f"{path}: line {line}, column {col}: byte 0x{block[err.start]:02x} is not UTF-8 text; "
                "save the file as UTF-8"
            ) from None
        first = False
        newlines = block.count(b"\n")
        raw_lines += newlines
        col0 = len(block) - (block.rfind(b"\n") + 1) + (col0 if newlines == 0 else 0)
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if chunk:
            lines.pop()  # the empty rest after the block's last line end
        yield lineno, lines
        lineno += len(lines)
        if not chunk:
            return


def _records(lineno: int, lines: list[str]) -> tuple[list[str], np.ndarray, bool]:
    """The data lines of a block (not blank, not a # comment), their line numbers, and whether
    they are plain for NumPy's reader (no quotes; no NUL, which its text arrays would drop)."""
    text = "\n".join(lines)
    if "#" in text or not all(map(str.strip, lines)):
        keep = [k for k, line in enumerate(lines) if (s := line.lstrip()) and s[0] != "#"]
        lines = [lines[k] for k in keep]
        text = "\n".join(lines)
        numbers = np.asarray(keep, dtype=np.int64) + lineno
    else:
        numbers = np.arange(lineno, lineno + len(lines), dtype=np.int64)
    return lines, numbers, '"' not in text and "\x00" not in text


# --- cells to numbers --------------------------------------------------------------------------


def _float64_cells(reader, rows, linenos, cols, what, fix_non_numeric) -> np.ndarray:
    """rows of cell text -> float64 array; the first bad cell is reported with line and column."""
    try:
        return np.array([[float(c) for c in row] for row in rows], dtype=np.float64).reshape(len(rows), len(cols))
    except ValueError:
        pass
    for row, lineno in zip(rows, linenos):
        for cell, col in zip(row, cols):
            if not _is_number(cell):
                if cell == "":
                    fix = "fill in a value or remove the row"
                    raise reader.error(f"empty {what} cell", fix, lineno, col) from None
                fix = fix_non_numeric
                if lineno == reader.first_line and reader.header is None:
                    fix += "; if this line is a header, give every column a name that is not a number"
                if "," in cell and reader.separator != ",":
                    fix = "use '.' as the decimal point"
                raise reader.error(f"non-numeric {what} {_quote(cell)}", fix, lineno, col) from None
    raise reader.error(f"cannot read the {what} cells as numbers", fix_non_numeric)


def _float32(reader, values: np.ndarray, linenos, cols, what) -> np.ndarray:
    """float64 -> float32; the first NaN, infinite or too large value is reported."""
    with np.errstate(over="ignore"):
        values32 = values.astype(np.float32)
    bad = ~np.isfinite(values32)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        v = values[r, c]
        problem = "NaN" if math.isnan(v) else "infinite value" if math.isinf(v) else (
            f"value {v:g} is too large for float32 (max 3.4e38)")
        fix = "replace it with a finite number or remove the row"
        raise reader.error(f"{problem} in a {what} cell", fix, int(linenos[r]), cols[c])
    return values32


class _Table:
    """The parsed blocks so far, and the first error of each kind (reported in that order)."""

    def __init__(self, reader: _Reader, n_cols: int, label_col: int):
        self.reader, self.n_cols, self.label_col = reader, n_cols, label_col
        self.feature_cols = [c for c in range(n_cols) if c != label_col]
        self.X: list[np.ndarray] = []
        self.labels: list[np.ndarray] = []
        self.linenos: list[np.ndarray] = []
        self.errors: dict[str, DataError] = {}  # "rows", "numbers", "range": the first of each

    def add(self, plain: bool, lines: list[str], linenos: np.ndarray) -> None:
        if "rows" in self.errors or not lines:
            return
        parsed = self._fast(lines) if plain else None
        if parsed is None:
            parsed = self._row_by_row(lines, linenos)
            if parsed is None:
                return
        values, labels = parsed
        if self.errors:
            return  # only an earlier kind of error can still come
        try:
            self.X.append(_float32(self.reader, values, linenos, self.feature_cols, "feature"))
        except DataError as err:
            self.errors["range"] = err
            self.X, self.labels, self.linenos = [], [], []
            return
        self.labels.append(labels)
        self.linenos.append(linenos)

    def _fast(self, lines):
        """NumPy's reader for a block of plain rows; None if it cannot read them all."""
        sep, n = self.reader.separator, self.n_cols
        if sep is None:
            if set(map(len, map(str.split, lines))) != {n}:
                return None
        elif set(map(str.count, lines, repeat(sep))) != {n - 1}:
            return None  # NumPy's reader would ignore extra columns
        try:
            values = np.loadtxt(lines, delimiter=sep, usecols=self.feature_cols, dtype=np.float64,
                                comments=None, ndmin=2)
            if self.errors:
                return values, None
            labels = np.loadtxt(lines, delimiter=sep, usecols=self.label_col, dtype=str,
                                comments=None, ndmin=1)
        except ValueError:
            return None
        return values, np.char.strip(labels)

    def _row_by_row(self, lines, linenos):
        reader, rows, labels = self.reader, [], []
        for line, lineno in zip(lines, linenos.tolist()):
            try:
                cells = reader.split(line, lineno)
            except DataError as err:
                self.errors = {"rows": err}
                return None
            if len(cells) != self.n_cols:
                self.errors = {"rows": reader.error(
                    f"expected {self.n_cols} columns, found {len(cells)} "
                    f"({SEPARATOR_NAMES[reader.separator]} separated)",
                    "give every row the same number of columns", lineno)}
                return None
            labels.append(cells.pop(self.label_col))
            rows.append(cells)
        if "numbers" in self.errors:
            return None
        try:
            values = _float64_cells(reader, rows, linenos, self.feature_cols, "feature", _NUMBERS_FIX)
        except DataError as err:
            self.errors["numbers"] = err
            self.X, self.labels, self.linenos = [], [], []
            return None
        has_nul = any("\x00" in s for s in labels)
        return values, np.array(labels, dtype=object if has_nul else str)

    def result(self):
        for kind in ("rows", "numbers", "range"):
            if kind in self.errors:
                raise self.errors[kind]
        X = np.concatenate(self.X) if len(self.X) > 1 else self.X[0]
        self.X = []
        labels = np.concatenate(self.labels) if len(self.labels) > 1 else self.labels[0]
        linenos = np.concatenate(self.linenos) if len(self.linenos) > 1 else self.linenos[0]
        return X, labels, linenos


# --- the whole file ----------------------------------------------------------------------------


def read_table(path: Path, *, label, task):
    """Read ``path``: (X, y, task, class_names, feature_names, source, digest)."""
    reader = _Reader(path)
    hasher = hashlib.sha256()
    with _open(path) as f:
        blocks = _blocks(path, f, hasher)
        head: list[tuple[list[str], np.ndarray, bool]] = []  # blocks read before the set-up
        n_head = 0
        for lineno, lines in blocks:
            head.append(_records(lineno, lines))
            n_head += len(head[-1][0])
            if n_head > _HEAD_RECORDS:
                break
        try:
            table = _set_up(reader, head, label)
            setup_error = None
        except DataError as err:
            table, setup_error = None, err
        for lineno, lines in blocks:  # the rest of the file
            if table is not None:
                recs, nums, plain = _records(lineno, lines)
                table.add(plain, recs, nums)
    if setup_error is not None:
        raise setup_error  # after the whole file was read: bytes that are not UTF-8 come first
    X, labels, linenos = table.result()
    task, y, class_names = _parse_labels(reader, labels, linenos, table.label_col, task)

    if reader.header:
        feature_names = [reader.header[c] or f"x{k}" for k, c in enumerate(table.feature_cols, 1)]
    else:
        feature_names = [f"x{k}" for k in range(1, len(table.feature_cols) + 1)]
    source = (
        f"file {path}: {len(X)} rows, {SEPARATOR_NAMES[reader.separator]} separated, "
        f"{'header' if reader.header else 'no header'}, label column {table.label_col + 1}"
    )
    return X, y, task, class_names, feature_names, source, hasher.hexdigest()


def _set_up(reader: _Reader, head, label) -> _Table:
    """Separator, header and label column from the first rows; the head blocks parsed."""
    records = [(int(n), line) for recs, nums, _ in head for line, n in zip(recs, nums)]
    if not records:
        fix = "add one row per sample: feature values and a label"
        raise reader.error("the file is empty (no data rows)", fix)
    reader.separator = _detect_separator([line for _, line in records[:_HEAD_RECORDS]])
    reader.first_line = records[0][0]

    first = reader.split(records[0][1], records[0][0])
    second = reader.split(records[1][1], records[1][0]) if len(records) > 1 else None
    if second is None:
        has_header = not any(_is_number(c) for c in first)
    else:
        # A header names its columns: some name stands over a number, and no number stands over
        # a number ('1,x,0' over '3,4,1' is a data row with a bad cell, not a header).
        pairs = list(zip(first, second))
        has_header = (any(not _is_number(a) and _is_number(b) for a, b in pairs)
                      and not any(_is_number(a) and _is_number(b) for a, b in pairs))
    n_cols = len(first)
    if has_header:
        reader.header = first
        if len(records) == 1:
            raise reader.error("no data rows below the header", "add rows of data")
    if n_cols < 2:
        raise reader.error(
            f"found only 1 column ({SEPARATOR_NAMES[reader.separator]} separated)",
            "give feature columns and a label column, separated by comma, semicolon, tab or spaces",
            records[1][0] if has_header else records[0][0],
        )
    table = _Table(reader, n_cols, _label_column(reader, label, n_cols))
    skip = 1 if has_header else 0
    for recs, nums, plain in head:
        if skip and recs:
            recs, nums, skip = recs[1:], nums[1:], 0
        table.add(plain, recs, nums)
    return table


def _label_column(reader: _Reader, label, n_cols: int) -> int:
    if isinstance(label, str):
        wanted = label.strip()
        if reader.header:
            for i, name in enumerate(reader.header):
                if name == wanted:
                    return i
            for i, name in enumerate(reader.header):
                if name.lower() == wanted.lower():
                    return i
        try:
            label = int(wanted)  # "3" from a command line
        except ValueError:
            if not reader.header:
                raise reader.error(
                    f"label {label!r} given by name but the file has no header row",
                    f"give the label column's 0-based index (0..{n_cols - 1}) instead",
                ) from None
            raise reader.error(
                f"no column named {label!r}",
                f"pick one of: {', '.join(repr(h) for h in reader.header)}",
            ) from None
    if label is None:
        return n_cols - 1
    if not -n_cols <= label < n_cols:
        raise reader.error(
            f"label column index {label} is out of range: the file has {n_cols} columns",
            f"use 0..{n_cols - 1}, or -{n_cols}..-1 to count from the end",
        )
    return int(label) % n_cols


def _parse_labels(reader, labels: np.ndarray, linenos: np.ndarray, col: int, task):
    """Label cells (an array of text) -> (task, y, class_names)."""
    try:
        numbers = labels.astype(np.float64)  # the same numbers as float() of each cell
    except ValueError:
        numbers = None

    if task is None:
        integers = numbers is not None and np.isfinite(numbers).all() and (numbers % 1 == 0).all()
        task = CLASSIFICATION if numbers is None or integers else REGRESSION

    if task == REGRESSION:
        fix = "regression needs a numeric label column; drop task regression for text classes"
        if numbers is None:
            for s, lineno in zip(labels.tolist(), linenos.tolist()):
                if not _is_number(s):
                    _float64_cells(reader, [[s]], [lineno], [col], "target", fix)  # raises
        y = _float32(reader, numbers.reshape(-1, 1), linenos, [col], "target")
        return task, y, None

    empty = np.flatnonzero(labels == "")
    if empty.size:
        raise reader.error("empty label cell", "give every row a label", int(linenos[empty[0]]), col)
    if numbers is not None:
        bad = np.flatnonzero(~np.isfinite(numbers))
        if bad.size:
            problem = "NaN label" if math.isnan(numbers[bad[0]]) else "infinite label"
            raise reader.error(problem, "give every row a class label", int(linenos[bad[0]]), col)
        unique, first = np.unique(numbers, return_index=True)  # first: where each value first appears
        class_names = [str(labels[i]) for i in first.tolist()]
        y = np.searchsorted(unique, numbers).astype(np.int64)
    else:
        names, y = np.unique(labels, return_inverse=True)
        class_names = [str(s) for s in names.tolist()]
        y = y.astype(np.int64).reshape(-1)
    if len(class_names) < 2:
        raise reader.error(
            f"only one class ({_quote(class_names[0])}) in the label column {col + 1}",
            "a classifier needs at least 2 classes; check the label column or use task regression",
        )
    return task, y, class_names
