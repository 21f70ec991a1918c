"""A sweep's results: one :class:`Result` per configuration, ranked by the plan's metric, and
the files they are appended to as they arrive (a CSV table and JSON-lines histories), read back
by ``--resume``."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..plain import json_safe
from .grid import METRICS, SweepError, show_value
from .plan import Plan

CSV_RESULTS = ("val_loss", "val_accuracy", "train_loss", "train_accuracy", "test_accuracy", "epochs", "seconds",
               "status", "seed")  # test_accuracy: empty without --test-split
_METRIC_COLUMNS = CSV_RESULTS[:6]  # the numbers, read back as floats
DONE = ("ok", "diverged")  # statuses --resume skips; failed and cancelled configurations run again


def csv_columns(plan: Plan) -> list[str]:
    """The results table's header: the configuration number, the grid's varying options, the results."""
    return ["index", *plan.varying, *CSV_RESULTS]


@dataclass
class Result:
    index: int
    params: dict
    seed: int
    status: str  # ok | diverged | failed | cancelled
    val_loss: float | None = None
    val_accuracy: float | None = None
    train_loss: float | None = None
    train_accuracy: float | None = None
    epochs: float | None = None
    seconds: float = 0.0
    history: list[dict] = field(default_factory=list)
    error: str | None = None
    weights: Any = None  # the final weights (NumPy), when they came back in this session
    attempts: int = 1
    test_accuracy: float | None = None  # on the --test-split data, if any

    def score(self, metric: str) -> float:
        """Smaller is better; failed, cancelled or non-finite results score inf."""
        value = getattr(self, metric)
        if self.status not in DONE or value is None or not math.isfinite(value):
            return math.inf
        return value if METRICS[metric] == "min" else -value

    def csv_row(self, varying: list[str]) -> list[str]:
        return [str(self.index), *(show_value(self.params[k]) for k in varying),
                *(_num(getattr(self, k)) for k in _METRIC_COLUMNS),
                f"{self.seconds:.3f}", self.status, str(self.seed)]

    def record(self) -> dict:
        """The JSON-lines record: the result with its history (no weights)."""
        return json_safe({"index": self.index, "params": {k: list(v) if isinstance(v, tuple) else v
                                                         for k, v in self.params.items()},
                        "seed": self.seed, "status": self.status, "val_loss": self.val_loss,
                        "val_accuracy": self.val_accuracy, "train_loss": self.train_loss,
                        "train_accuracy": self.train_accuracy, "test_accuracy": self.test_accuracy,
                        "epochs": self.epochs,
                        "seconds": self.seconds, "error": self.error, "history": self.history})


def ranking(results, metric: str) -> list[Result]:
    """Best first; ties broken by configuration index (lowest first)."""
    return sorted(results, key=lambda r: (r.score(metric), r.index))


@dataclass
class OverSeeds:
    """One grid point over its seeds (``--seeds``): the mean and the spread (sample standard
    deviation, None with fewer than two runs) of each number over the runs that finished."""

    group: int
    params: dict
    runs: int  # finished runs with a finite score
    of: int  # seeds in the sweep
    mean: dict[str, float | None]
    spread: dict[str, float | None]

    def score(self, metric: str) -> float:
        value = self.mean.get(metric)
        if value is None:
            return math.inf
        return value if METRICS[metric] == "min" else -value


SEED_METRICS = ("val_loss", "val_accuracy", "train_loss", "train_accuracy", "test_accuracy")


def over_seeds(results, plan: Plan) -> list[OverSeeds]:
    """Each grid point's results over its seeds, best mean first (ties: the lowest point)."""
    import statistics

    by_group: dict[int, list[Result]] = {}
    params: dict[int, dict] = {}
    for c in plan.configurations:
        by_group.setdefault(c.group, [])
        params[c.group] = c.params
    for r in results:
        c = plan.configuration(r.index)
        if math.isfinite(r.score(plan.metric)):
            by_group[c.group].append(r)
    out = []
    for group, runs in by_group.items():
        mean, spread = {}, {}
        for key in SEED_METRICS:
            values = [getattr(r, key) for r in runs if getattr(r, key) is not None]
            mean[key] = statistics.fmean(values) if values else None
            spread[key] = statistics.stdev(values) if len(values) > 1 else None
        out.append(OverSeeds(group, params[group], len(runs), len(plan.seeds or ()), mean, spread))
    return sorted(out, key=lambda s: (s.score(plan.metric), s.group))


def _num(x) -> str:
    return "" if x is None else repr(float(x))


def writable_problem(path) -> str | None:
    """Why the file ``path`` cannot be written, or None: ``tui_nn.atomic.check_writable``, the
    one up-front check every command makes of its outputs (it really opens or creates the file)."""
    from ..atomic import check_writable

    return check_writable(path)


def log_path_for(out) -> Path:
    """Where the sweep dashboard sends what local workers print: results.csv -> results.log."""
    out = Path(out)
    return out.with_suffix(".log") if out.suffix else out.with_name(out.name + ".log")


def history_path_for(out) -> Path:
    """The default JSON-lines history file next to ``out``: results.csv -> results.jsonl."""
    out = Path(out)
    return out.with_suffix(".jsonl") if out.suffix else out.with_name(out.name + ".jsonl")


class ResultsFiles:
    """The CSV table (one row per configuration) and the JSON-lines histories, both appended to
    and flushed per result, so an interrupted sweep loses nothing."""

    def __init__(self, plan: Plan, out, history=None, resume: bool = False):
        self.plan = plan
        self.out = Path(out)
        self.history = Path(history) if history is not None else history_path_for(self.out)
        self.previous: dict[int, Result] = {}
        self.warnings: list[str] = []  # what --resume dropped from damaged files, for the user
        if self.out == self.history:
            raise SweepError(f"the results table and the histories would both be {self.out}; give other names")
        for path in (self.out, self.history):
            problem = writable_problem(path)
            if problem:
                raise SweepError(problem)
        if not resume:
            for path in (self.out, self.history):
                if path.exists():
                    raise SweepError(f"{path} already exists; pass resume to continue that sweep, "
                                     "or choose another out", mentions=("resume", "out"))
        elif self.out.exists():
            self.previous = self._read_previous()
            self._rewrite()

    def _read_previous(self) -> dict[int, Result]:
        by_index = {c.index: c for c in self.plan.configurations}
        columns = csv_columns(self.plan)
        lines = self._lines(self.out)
        try:
            rows = list(csv.reader(lines))
        except csv.Error as e:
            raise SweepError(f"{self.out}: not a results table ({e}); choose another out",
                             mentions=("out",)) from None
        if not rows:
            return {}
        header = rows[0]
        if header == [c for c in columns if c != "test_accuracy"]:
            # Written before there was a test_accuracy column: read it as empty (the file is
            # rewritten with the column before anything is appended).
            at = columns.index("test_accuracy")
            header = columns
            rows = [header, *(row[:at] + [""] + row[at:] if len(row) == len(columns) - 1 else row
                              for row in rows[1:])]
        if header != columns:
            raise SweepError(f"{self.out} has the columns {','.join(rows[0])}, but this sweep writes "
                             f"{','.join(columns)}; resume needs the same grid, or choose another out",
                             mentions=("resume", "out"))
        done: dict[int, Result] = {}
        n = len(columns)
        for row in rows[1:]:
            if len(row) != n:
                continue  # a line cut short by an interruption
            try:
                index = int(row[0])
            except ValueError:
                continue
            c = by_index.get(index)
            if c is None:
                if 0 <= index < self.plan.total:
                    continue  # not drawn by this --random: keep the row, do not count it
                raise SweepError(f"{self.out}: configuration {index} is not in this grid; "
                                 "resume needs the same grid, or choose another out", mentions=("resume", "out"))
            # By position: a grid over epochs has two "epochs" columns (the option, then how many
            # epochs the configuration ran), so a dict by name would keep only the second.
            given = dict(zip(self.plan.varying, row[1:1 + len(self.plan.varying)]))
            record = dict(zip(CSV_RESULTS, row[1 + len(self.plan.varying):]))
            if str(c.seed) != record["seed"] or any(show_value(c.params[k]) != given[k] for k in self.plan.varying):
                raise SweepError(f"{self.out}: configuration {index} was run with other options or another "
                                 "seed; resume needs the same options, or choose another out",
                                 mentions=("resume", "out"))
            if record["status"] not in DONE:
                done.pop(index, None)
                continue
            floats = {k: (float(record[k]) if record[k] else None) for k in _METRIC_COLUMNS}
            done[index] = Result(index, c.params, c.seed, record["status"], seconds=float(record["seconds"] or 0),
                                 **floats)
        histories = self._read_histories()
        missing = sorted(index for index in done if index not in histories)
        if missing:
            self.warnings.append(f"{self.history} has no history for configuration{'s' if len(missing) > 1 else ''} "
                                 f"{', '.join(map(str, missing))}; running {'them' if len(missing) > 1 else 'it'} again")
        for index in missing:
            del done[index]
        for index, result in done.items():
            result.history = histories[index]
        return done

    def _read_histories(self) -> dict[int, list]:
        out: dict[int, list] = {}
        if not self.history.exists():
            return out
        for line in self._lines(self.history):
            try:
                record = json.loads(line)
                out[int(record["index"])] = record.get("history") or []
            except (ValueError, KeyError, TypeError, RecursionError):
                continue  # not one of ours
        return out

    def _lines(self, path: Path) -> list[str]:
        """The complete lines of a results file. A last line without its newline was cut short
        (the sweep was killed while writing it): it is dropped with a warning, and its
        configuration runs again."""
        from ..atomic import open_regular

        try:
            with open_regular(path) as f:
                data = f.read()
        except OSError as e:
            raise SweepError(f"{path}: {e.strerror or e}; choose another out", mentions=("out",)) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SweepError(f"{path}: not a results file of tui-nn (not UTF-8 text at byte {e.start}); "
                             "choose another out", mentions=("out",)) from None
        lines = text.splitlines(keepends=True)
        if lines and not lines[-1].endswith("\n"):
            self.warnings.append(f"{path}: dropped its last line, cut short when the sweep was stopped "
                                 f"({lines[-1][:40]!r}); that configuration runs again")
            lines.pop()
        return lines

    def _rewrite(self) -> None:
        """Rewrite both files with only the complete results kept, before appending more."""
        from ..atomic import atomic_write

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(csv_columns(self.plan))
        for index in sorted(self.previous):
            w.writerow(self.previous[index].csv_row(self.plan.varying))
        atomic_write(self.out, buf.getvalue().encode())
        lines = "".join(json.dumps(self.previous[i].record()) + "\n" for i in sorted(self.previous))
        atomic_write(self.history, lines.encode())

    def open(self) -> None:
        new = not self.out.exists() or self.out.stat().st_size == 0
        self._csv = open(self.out, "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._csv, lineterminator="\n")
        if new:
            self._writer.writerow(csv_columns(self.plan))
            self._csv.flush()
        self._jsonl = open(self.history, "a", encoding="utf-8")

    def append(self, result: Result) -> None:
        self._writer.writerow(result.csv_row(self.plan.varying))
        self._jsonl.write(json.dumps(result.record()) + "\n")
        for f in (self._csv, self._jsonl):
            f.flush()
            os.fsync(f.fileno())

    def close(self) -> None:
        for name in ("_csv", "_jsonl"):
            f = getattr(self, name, None)
            if f is not None:
                f.close()
