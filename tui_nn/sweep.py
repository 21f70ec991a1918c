"""Hyperparameter sweeps: train one network per point of a grid and keep the best.

The pieces, in the order a sweep uses them:

- :func:`plan_sweep` turns grid values (``{"lr": [0.01, 0.001], "epochs": 100, ...}``) into a
  :class:`Plan`: the validated list of :class:`Configuration` s to train. Each configuration's
  ``TrainConfig.seed`` is a hash of the sweep seed and the configuration itself, and its
  ``data_seed`` is the sweep seed (or the one given), so every configuration sees the same data and split, and its
  result does not depend on where or in which order it runs.
- :func:`run_configuration` trains one configuration and returns a plain dict (what a worker
  sends back).
- :class:`Sweep` runs a plan on a backend (:class:`LocalPool` of worker processes,
  :class:`DaskBackend` for a Dask cluster, or :class:`InlineBackend` in this process), appends
  each result to the CSV and JSON-lines files as it arrives, retries configurations whose worker
  died, and reports :class:`SweepEvent` s to front ends. Commands (pause, resume, cancel, stop)
  may be sent from any thread.

This module is core: no Textual, no click. Dask is imported only by :class:`DaskBackend`.
"""

from __future__ import annotations

import collections
import csv
import difflib
import hashlib
import io
import json
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import tomllib
import traceback
import uuid
from dataclasses import dataclass, field
from multiprocessing.connection import wait as wait_for_connections
from pathlib import Path
from typing import Any, Callable

import numpy as np

from . import events as ev
from .plain import json_safe
from .settings import HYPERPARAMETERS, TRAINING
from .trainer import TrainConfig, Trainer


class SweepError(ValueError):
    """A bad grid, option or results file; ``str(err)`` is one line naming it and the fix."""


METRICS = {"val_loss": "min", "val_accuracy": "max"}
DEFAULT_VAL_SPLIT = 0.2  # selection needs validation data
DEFAULT_RETRIES = 2  # extra attempts for a configuration whose worker died

# Grid keys and how their values are read: every training setting of tui_nn.settings but the seeds
# (the sweep sets those), every hyperparameter, and "nodes" and "depth", which build `layers`.
_SETTINGS = {name: s for name, s in TRAINING.items() if name not in ("seed", "data_seed")}
_INT = {name for name, s in _SETTINGS.items() if s.type is int} | {"nodes", "depth"}
_FLOAT = {name for name, s in _SETTINGS.items() if s.type is float}
_STR = {name for name, s in _SETTINGS.items() if s.type in (str, object)}
_BOOL = {name for name, s in _SETTINGS.items() if s.type is bool}
HYPERPARAMS = sorted(HYPERPARAMETERS)
GRID_KEYS = sorted(_INT | _FLOAT | _STR | _BOOL | {"layers"} | set(HYPERPARAMS))
_DATA_KEYS = ("dataset", "data", "label", "task", "samples", "classes")

CSV_RESULTS = ("val_loss", "val_accuracy", "train_loss", "train_accuracy", "test_accuracy", "epochs", "seconds",
               "status", "seed")  # test_accuracy: empty without --test-split
_METRIC_COLUMNS = CSV_RESULTS[:6]  # the numbers, read back as floats
DONE = ("ok", "diverged")  # statuses --resume skips; failed and cancelled configurations run again


# --- grids ---------------------------------------------------------------------------------------


def _coerce(key: str, value):
    """One grid value, read as the type `key` takes; a one-line SweepError otherwise."""
    def bad(kind):
        return SweepError(f"{key}: {value!r} is not {kind}")

    if key in _INT:
        if isinstance(value, bool):
            raise bad("an integer")
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad("an integer") from None
    if key in _FLOAT or key in HYPERPARAMS:
        if isinstance(value, bool):
            raise bad("a number")
        try:
            return float(str(value).strip()) if isinstance(value, str) else float(value)
        except (TypeError, ValueError):
            raise bad("a number") from None
    if key in _BOOL:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise bad("true or false")
    if key == "layers":
        # One candidate architecture: 64, "64,64" or [64, 64].
        if isinstance(value, (list, tuple)):
            parts = list(value)
        elif isinstance(value, int) and not isinstance(value, bool):
            parts = [value]
        else:
            parts = str(value).split(",")
        try:
            widths = tuple(int(str(p).strip()) for p in parts)
        except ValueError:
            raise bad("a list of layer widths such as [64, 64] or \"64,64\"") from None
        if not widths or any(w <= 0 for w in widths):
            raise bad("a list of positive layer widths")
        return widths
    if isinstance(value, (dict, list)):
        raise bad("a single value")
    return str(value)


def _axis(key: str, value) -> list:
    """The candidate values of one grid key: a list stays a list, a single value is one candidate."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise SweepError(f"{key}: empty list; give at least one value")
    out = [_coerce(key, v) for v in values]
    seen = set()
    for v in out:
        if v in seen:
            raise SweepError(f"{key}: {_show(v)} appears twice; give each value once")
        seen.add(v)
    return out


_SYNONYMS = {"learning_rate": "lr", "learningrate": "lr", "lr_decay": "decay", "batch": "batch_size",
             "batchsize": "batch_size", "hidden": "nodes", "units": "nodes", "width": "nodes", "neurons": "nodes",
             "n_layers": "depth", "num_layers": "depth", "hidden_layers": "layers", "epoch": "epochs"}


def _unknown_key(key: str, where: str) -> SweepError:
    close = [_SYNONYMS[key.lower()]] if key.lower() in _SYNONYMS else difflib.get_close_matches(
        key, GRID_KEYS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return SweepError(f"{where}unknown option {key!r}; {hint}known: {', '.join(GRID_KEYS)}")


def load_grid_file(path) -> dict[str, Any]:
    """Read a grid file: TOML (``.toml``) or JSON (anything else), one key per option.

    A list gives the candidates of an option, a single value fixes it. Optimizer
    hyperparameters may also sit in a ``[hyperparams]`` table. ``seed`` is the sweep seed.
    """
    path = Path(path)
    from .atomic import open_regular

    try:
        with open_regular(path) as f:  # a named pipe or a device is refused, never waited on
            text = f.read().decode("utf-8")
    except OSError as e:
        raise SweepError(f"grid file {path}: {e.strerror or e}; give a readable TOML or JSON file") from None
    try:
        if path.suffix.lower() == ".toml":
            raw = tomllib.loads(text)
        else:
            raw = json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as e:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise SweepError(f"grid file {path}: not valid {kind} ({' '.join(str(e).split())})") from None
    if not isinstance(raw, dict):
        raise SweepError(f"grid file {path}: expected a table of options at the top level")
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.replace("-", "_")
        if name == "hyperparams" and isinstance(value, dict):
            for hkey, hvalue in value.items():
                hname = hkey.replace("-", "_")
                if hname not in HYPERPARAMS:
                    raise _unknown_key(hkey, f"grid file {path}: ")
                values[hname] = hvalue
            continue
        if name != "seed" and name not in GRID_KEYS:
            raise _unknown_key(key, f"grid file {path}: ")
        values[name] = value
    for name, value in values.items():
        if name != "seed":
            try:
                _axis(name, value)  # a bad value is reported with the file's name
            except SweepError as e:
                raise SweepError(f"grid file {path}: {e}") from None
    return values


def _show(value) -> str:
    """A grid value as the CSV and the tables show it."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def config_seed(sweep_seed: int, config: dict) -> int:
    """A 32-bit seed from the sweep seed and a configuration (stable across runs and machines).

    ``config`` is a ``TrainConfig.to_dict()``. Its own seeds and the fields left at their
    defaults are left out (so a new TrainConfig field does not change every seed), and a data
    file counts by its name only (so the same sweep from another folder gives the same seeds).
    """
    defaults = TrainConfig().to_dict()
    key = {k: v for k, v in config.items() if k not in ("seed", "data_seed") and v != defaults.get(k, ...)}
    if key.get("data"):
        key["data"] = Path(key["data"]).name
    blob = json.dumps({"sweep_seed": sweep_seed, "config": key}, sort_keys=True, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(blob.encode()).digest()[:4], "big")


@dataclass(frozen=True)
class Configuration:
    index: int  # position in the full grid (stable under --random and --resume)
    params: dict  # the values of the grid's varying options, in grid order
    config: dict  # TrainConfig.to_dict(), what a worker trains
    seed: int

    def label(self) -> str:
        return format_params(self.params)


def format_params(params: dict) -> str:
    return " ".join(f"{k}={_show(v)}" for k, v in params.items()) or "(single configuration)"


def estimated_cost(config: dict, n_samples: int = 10_000) -> float:
    """A rough relative training time of ``config`` (a ``TrainConfig.to_dict()``), to schedule
    the longest configurations first. The data are the same for every configuration of a sweep,
    so a typical size stands in for theirs; a step costs its batch times the parameters, plus a
    fixed overhead per step."""
    widths = [10, *(config.get("layers") or []), 2]
    params = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    batch = min(config.get("batch_size") or n_samples, n_samples)
    if config.get("iterations"):
        steps = config["iterations"]
    else:
        steps = (config.get("epochs") or 1) * -(-n_samples // batch)
    return steps * (batch * params + 20_000)


@dataclass
class Plan:
    """A validated sweep: the configurations to train and how to pick the best."""

    axes: dict[str, list]  # every grid key with its candidates (one candidate = fixed)
    seed: int
    metric: str
    configurations: list[Configuration]
    total: int  # size of the full grid (before --random)

    def __post_init__(self):
        self._by_index = {c.index: c for c in self.configurations}

    def configuration(self, index: int) -> Configuration:
        """The configuration at grid position ``index`` (KeyError if this sweep does not run it)."""
        return self._by_index[index]

    @property
    def varying(self) -> list[str]:
        return [k for k, v in self.axes.items() if len(v) > 1]

    @property
    def columns(self) -> list[str]:
        return ["index", *self.varying, *CSV_RESULTS]

    def trainer(self, configuration: Configuration) -> Trainer:
        """A fresh trainer for one configuration (for the dashboard or to rebuild the best)."""
        return Trainer(TrainConfig.from_dict(configuration.config))


def plan_sweep(values: dict[str, Any], *, seed: int = 0, random: int | None = None,
               metric: str = "val_loss", data_seed: int | None = None) -> Plan:
    """Validate grid values and list the configurations (all of them, or ``random`` sampled).
    Every configuration's data and split come from ``data_seed`` (default: ``seed``).

    ``values`` maps grid keys (see ``GRID_KEYS``) to a list of candidates or a single value.
    Keys are expanded in the order given, the last varying fastest. Raises SweepError (a
    ValueError) with a one-line message for anything wrong, before anything runs.
    """
    if metric not in METRICS:
        raise SweepError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise SweepError(f"seed must be an integer in [0, 2**32), got {seed!r}")
    if random is not None and random < 1:
        raise SweepError(f"--random must be at least 1, got {random}")
    axes: dict[str, list] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in GRID_KEYS:
            raise _unknown_key(key, "")
        axes[name] = _axis(name, value)
    if "layers" in axes and ("nodes" in axes or "depth" in axes):
        raise SweepError("give either layers or nodes/depth, not both")
    if "depth" in axes and "nodes" not in axes:
        raise SweepError("depth needs nodes: give the hidden layer width(s) with nodes")
    if "data" in axes and "dataset" in axes:
        raise SweepError("give either dataset or data, not both")
    axes.setdefault("val_split", [DEFAULT_VAL_SPLIT])
    if 0.0 in axes["val_split"]:
        raise SweepError("val_split must be above 0: a sweep selects the best configuration on validation data")

    sizes = [len(v) for v in axes.values()]
    total = math.prod(sizes)
    if random is None:
        indices = range(total)
    else:
        indices = sorted(_sample(total, random, seed))
    configurations = [_configuration(axes, i, seed, seed if data_seed is None else data_seed) for i in indices]
    return Plan(axes, seed, metric, configurations, total)


def _sample(total: int, n: int, seed: int) -> list[int]:
    """``n`` distinct grid indices (all of them if the grid is smaller), drawn from ``seed``."""
    if n >= total:
        return list(range(total))
    rng = np.random.RandomState(seed)
    if total <= 10_000_000:
        return [int(i) for i in rng.choice(total, size=n, replace=False)]
    picked: dict[int, None] = {}
    while len(picked) < n:  # a huge grid: draw until n distinct (collisions are rare)
        picked.setdefault(int(rng.randint(0, total, dtype=np.int64)), None)
    return list(picked)


def _configuration(axes: dict[str, list], index: int, sweep_seed: int, data_seed: int) -> Configuration:
    chosen: dict[str, Any] = {}
    rest = index
    for key in reversed(axes):  # mixed radix, the last key fastest (as itertools.product)
        rest, i = divmod(rest, len(axes[key]))
        chosen[key] = axes[key][i]
    chosen = {k: chosen[k] for k in axes}
    params = {k: chosen[k] for k, v in axes.items() if len(v) > 1}

    fields_: dict[str, Any] = {}
    hyperparams = {}
    for key, value in chosen.items():
        if key in HYPERPARAMS:
            hyperparams[key] = value
        elif key not in ("nodes", "depth"):
            fields_[key] = value
    if "nodes" in chosen:
        fields_["layers"] = (chosen["nodes"],) * chosen.get("depth", 1)
    if fields_.get("data"):
        # Workers may run in another folder (or on another machine with the same paths).
        fields_["data"] = str(Path(fields_["data"]).expanduser().resolve())
    try:
        config = TrainConfig(**fields_, hyperparams=hyperparams, data_seed=data_seed).validate()
    except ValueError as e:
        where = f" ({format_params(params)})" if params else ""
        error = SweepError(f"{' '.join(str(e).split())}{where}")
        error.setting = getattr(e, "setting", None)  # the front end names where the value came from
        raise error from None
    as_dict = config.to_dict()
    seed = config_seed(sweep_seed, as_dict)
    as_dict["seed"] = seed
    return Configuration(index, params, as_dict, seed)


# --- one configuration (runs in a worker) ------------------------------------------------------------


def run_configuration(config: dict, report: Callable[[dict], None] | None = None,
                      should_stop: Callable[[], bool] | None = None) -> dict:
    """Train one configuration to the end; return a plain, picklable result dict.

    ``report`` gets each evaluation (epoch, train/val loss and accuracy) as it happens;
    ``should_stop`` is asked after each one and ends the run as ``cancelled`` when true.
    """
    # Overflow in exp and the like are how a diverging run looks; the trainer reports the
    # divergence, and NumPy's RuntimeWarnings would only land over the dashboard or the bar.
    with np.errstate(all="ignore"):
        return _run_configuration(config, report, should_stop)


def _run_configuration(config, report, should_stop) -> dict:
    t0 = time.perf_counter()
    try:
        trainer = Trainer(TrainConfig.from_dict(config))
        t0 = time.perf_counter()  # seconds count the training, not loading the data
        history: list[dict] = []
        status = "ok"
        for event in trainer.events():
            if isinstance(event, ev.Evaluation):
                point = {"epoch": event.epoch, "iteration": event.iteration,
                         "train_loss": event.train_loss, "train_accuracy": event.train_accuracy,
                         "val_loss": event.val_loss, "val_accuracy": event.val_accuracy}
                history.append(point)
                if report is not None:
                    report(point)
                if should_stop is not None and should_stop():
                    return {"status": "cancelled", "history": history, "seconds": time.perf_counter() - t0}
            elif isinstance(event, ev.Diverged):
                status = "diverged"
        s = trainer.summary()
        summary = {k: s[k] for k in ("val_loss", "val_accuracy", "train_loss", "train_accuracy",
                                      "test_accuracy", "epochs", "iterations")}
        return {"status": status, "summary": summary, "history": history,
                "weights": trainer.net.params.copy(), "seconds": time.perf_counter() - t0}
    except Exception as e:  # noqa: BLE001 - a failed configuration must not end the sweep
        return {"status": "failed", "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                "history": [], "seconds": time.perf_counter() - t0}


def redirect_output(log) -> None:
    """Send this process's standard output and error (file descriptors 1 and 2, so also what C
    code and logging write) to the end of the file ``log``: a worker must not write over the
    sweep dashboard."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, ValueError, OSError):
            pass
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # Python-level streams onto the new descriptors too (they may have been replaced).
    sys.stdout = open(1, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", buffering=1, closefd=False)


_threads_limited = False


def limit_blas_threads() -> None:
    """One BLAS/OpenMP thread in this process (a worker): parallelism comes from the workers."""
    global _threads_limited
    if not _threads_limited:
        from threadpoolctl import threadpool_limits  # comes with scikit-learn

        threadpool_limits(1)
        _threads_limited = True


# --- results --------------------------------------------------------------------------------------


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
        return [str(self.index), *(_show(self.params[k]) for k in varying),
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


def _num(x) -> str:
    return "" if x is None else repr(float(x))


def writable_problem(path) -> str | None:
    """Why the file ``path`` cannot be written, or None: ``tui_nn.atomic.check_writable``, the
    one up-front check every command makes of its outputs (it really opens or creates the file)."""
    from .atomic import check_writable

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
        if self.out == self.history:
            raise SweepError(f"the results table and the histories would both be {self.out}; give other names")
        for path in (self.out, self.history):
            problem = writable_problem(path)
            if problem:
                raise SweepError(problem)
        if not resume:
            for path in (self.out, self.history):
                if path.exists():
                    raise SweepError(f"{path} already exists; add --resume to continue that sweep, "
                                     "or give another --out")
        elif self.out.exists():
            self.previous = self._read_previous()
            self._rewrite()

    def _read_previous(self) -> dict[int, Result]:
        by_index = {c.index: c for c in self.plan.configurations}
        columns = self.plan.columns
        with open(self.out, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
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
                             f"{','.join(columns)}; --resume needs the same grid, or give another --out")
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
                                 "--resume needs the same grid, or give another --out")
            record = dict(zip(columns, row))
            if str(c.seed) != record["seed"] or any(_show(c.params[k]) != record[k] for k in self.plan.varying):
                raise SweepError(f"{self.out}: configuration {index} was run with other options or another "
                                 "seed; --resume needs the same command, or give another --out")
            if record["status"] not in DONE:
                done.pop(index, None)
                continue
            floats = {k: (float(record[k]) if record[k] else None) for k in _METRIC_COLUMNS}
            done[index] = Result(index, c.params, c.seed, record["status"], seconds=float(record["seconds"] or 0),
                                 **floats)
        histories = self._read_histories()
        for index, result in done.items():
            result.history = histories.get(index, [])
        return done

    def _read_histories(self) -> dict[int, list]:
        out: dict[int, list] = {}
        if not self.history.exists():
            return out
        with open(self.history, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                    out[int(record["index"])] = record.get("history") or []
                except (ValueError, KeyError, TypeError):
                    continue  # a line cut short by an interruption
        return out

    def _rewrite(self) -> None:
        """Rewrite both files with only the complete results kept, before appending more."""
        from .atomic import atomic_write

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.plan.columns)
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
            self._writer.writerow(self.plan.columns)
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


# --- events for front ends -------------------------------------------------------------------------


@dataclass
class SweepEvent:
    pass


@dataclass
class SweepStarted(SweepEvent):
    total: int  # configurations in this sweep (after --random)
    todo: int  # still to run (the others came from --resume)
    backend: str  # e.g. "2 local worker processes"
    capacity: int


@dataclass
class ConfigSubmitted(SweepEvent):
    index: int
    attempt: int


@dataclass
class ConfigRunning(SweepEvent):
    """A worker started the configuration (``pid`` of the worker process, ``host`` where known)."""

    index: int
    attempt: int
    pid: int | None
    host: str | None = None


@dataclass
class ConfigProgress(SweepEvent):
    index: int
    attempt: int
    point: dict  # epoch, iteration, train/val loss and accuracy


@dataclass
class ConfigFinished(SweepEvent):
    result: Result
    best: Result | None  # the best so far, after this one


@dataclass
class ConfigRetried(SweepEvent):
    index: int
    attempt: int  # the attempt that is starting now (1 = the first retry)
    reason: str


@dataclass
class SweepPaused(SweepEvent):
    paused: bool


@dataclass
class SweepFinished(SweepEvent):
    results: list[Result]  # ranked, best first
    interrupted: bool


# --- backends ------------------------------------------------------------------------------------
#
# A backend runs configurations somewhere and reports messages, each a tuple:
#   ("running", index, attempt, pid, host)   ("progress", index, attempt, point)
#   ("done", index, attempt, result dict)    ("lost", index, attempt, reason)
#   ("cancelled", index, attempt)          ("rerun", index, attempt, reason): started again by the
#                                            backend itself (a Dask scheduler after a worker died)


class InlineBackend:
    """Runs each configuration in this process, one at a time (tests, debugging)."""

    description = "in-process"
    ahead = 0  # configurations submitted beyond the capacity (see DaskBackend.ahead)

    def __init__(self):
        self.capacity = 1
        self._queue: collections.deque = collections.deque()

    def submit(self, c: Configuration, attempt: int, live: bool) -> None:
        self._queue.append((c, attempt, live))

    def cancel(self, index: int) -> bool:
        return False

    def wait(self, timeout: float) -> list[tuple]:
        if not self._queue:
            return []
        from threadpoolctl import threadpool_limits

        c, attempt, live = self._queue.popleft()
        messages: list[tuple] = [("running", c.index, attempt, os.getpid(), None)]
        report = (lambda p: messages.append(("progress", c.index, attempt, p))) if live else None
        with threadpool_limits(1):
            result = run_configuration(c.config, report)
        messages.append(("done", c.index, attempt, result))
        return messages

    def close(self, terminate: bool = False) -> None:
        self._queue.clear()


def _worker_main(conn, log=None) -> None:
    """A local worker process: run configurations sent over ``conn`` until told to stop; its
    output goes to the file ``log`` if given. It ends quietly when the sweep is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the sweep's to handle, not each worker's
    parent = os.getppid()  # the sweep, or the fork server that exits with it
    _die_with_parent(parent)
    if log is not None:
        redirect_output(log)
    limit_blas_threads()

    def orphaned() -> bool:  # asked after every evaluation
        if os.getppid() != parent:
            os._exit(0)
        return False

    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            index, attempt, config, live = task
            conn.send(("running", index, attempt, os.getpid(), None))
            report = (lambda p: conn.send(("progress", index, attempt, p))) if live else None
            conn.send(("done", index, attempt, run_configuration(config, report, orphaned)))
    except (EOFError, OSError):  # the sweep is gone (killed): nobody to tell
        return


def _die_with_parent(parent: int) -> None:
    """Linux: have the kernel kill this process when its parent dies (PR_SET_PDEATHSIG), so a
    worker does not train on for a sweep that was killed. Elsewhere the worker notices at its
    next evaluation (see _worker_main)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # died before the call
        os._exit(0)


def _context(start_method: str | None = None, preload: tuple[str, ...] = ()):
    """Worker processes come from a fork server where there is one: it imports the trainer (and
    scikit-learn, which splitting the data needs) once, and each worker starts as a fork of it
    in milliseconds, instead of ~1.5 s of imports per spawned worker. Elsewhere: spawn.

    Multiprocessing's helper processes start now, from the calling thread (a dashboard started
    later redirects stderr, which they cannot start with); the fork server does its imports in
    the background while this process goes on."""
    if start_method is None:
        start_method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    ctx = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        from multiprocessing import forkserver

        ctx.set_forkserver_preload(["tui_nn.sweep", "sklearn.model_selection", *preload])
        # Its forks (local workers, and Dask's) inherit the server's SIGINT disposition: started
        # with SIGINT ignored, they leave Ctrl-C to the sweep, which stops them, instead of
        # each printing a KeyboardInterrupt traceback.
        main = threading.current_thread() is threading.main_thread()
        old = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
        try:
            forkserver.ensure_running()
        finally:
            if main:
                signal.signal(signal.SIGINT, old)
    else:
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()
    return ctx


class _Worker:
    def __init__(self, ctx, log=None):
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_worker_main, args=(child, log), daemon=True,
                                   name="tui-nn-sweep-worker")
        self.process.start()
        child.close()
        self.task: tuple[int, int] | None = None  # (index, attempt) while busy
        self.cancelled = False
        self.started = False  # has it ever started a configuration?


class LocalPool:
    """``jobs`` worker processes on this machine, each fed one configuration at a time.

    The pool watches every worker's process: one that dies (killed, out of memory) costs only
    the configuration it was running, reported as lost; a fresh worker takes its place.
    Cancelling a running configuration ends its worker the same way. With ``log``, what the
    workers print goes to the end of that file instead of the terminal.
    """

    ahead = 0  # a worker takes a configuration when it is free

    def __init__(self, jobs: int, start_method: str | None = None, log=None):
        self.capacity = jobs
        self.log = None if log is None else str(log)
        self.description = f"{jobs} local worker process{'es' if jobs != 1 else ''}"
        self._ctx = _context(start_method)
        self._workers: list[_Worker] = []  # started at the first submits
        self._stillborn = 0  # workers in a row that died before starting anything

    def submit(self, c: Configuration, attempt: int, live: bool) -> None:
        worker = next((w for w in self._workers if w.task is None), None)
        if worker is None:
            worker = _Worker(self._ctx, self.log)
            self._workers.append(worker)
        worker.task = (c.index, attempt)
        worker.conn.send((c.index, attempt, c.config, live))

    def cancel(self, index: int) -> bool:
        for w in self._workers:
            if w.task is not None and w.task[0] == index:
                w.cancelled = True
                w.process.kill()
                return True
        return False

    def wait(self, timeout: float) -> list[tuple]:
        busy = [w for w in self._workers if w.task is not None]
        if not busy:
            return []
        ready = set(wait_for_connections([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout))
        messages: list[tuple] = []
        for w in busy:
            if w.conn in ready or w.process.sentinel in ready:
                messages += self._read(w)
        return messages

    def _read(self, w: _Worker) -> list[tuple]:
        messages = []
        try:
            while w.conn.poll():
                msg = w.conn.recv()
                messages.append(msg)
                if msg[0] == "running":
                    w.started = True
                    self._stillborn = 0
                elif msg[0] == "done":
                    w.task = None
        except (EOFError, OSError):
            pass  # the worker is gone; what it sent before is above
        if w.task is not None and not w.process.is_alive():
            index, attempt = w.task
            w.process.join()
            if w.cancelled:
                messages.append(("cancelled", index, attempt))
            else:
                messages.append(("lost", index, attempt,
                                 f"worker process {w.process.pid} died (exit code {w.process.exitcode})"))
            w.conn.close()
            self._workers.remove(w)
            if not w.started and not w.cancelled:
                self._stillborn += 1
                if self._stillborn >= 3:
                    raise SweepError(f"worker processes exit before they start (exit code {w.process.exitcode}); "
                                     "a script that runs a sweep needs `if __name__ == \"__main__\":`")
        return messages

    def close(self, terminate: bool = False) -> None:
        for w in self._workers:
            if terminate or w.task is not None:
                w.process.kill()
            else:
                try:
                    w.conn.send(None)
                except OSError:
                    pass
        for w in self._workers:
            w.process.join(5)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()
        self._workers.clear()


# Dask settings for the local cluster (the README shows the same for `dask scheduler` and
# `dask worker`, as a DASK_CONFIG file: MALLOC_TRIM_THRESHOLD_ cannot be unset by a DASK_...
# environment variable, whose names Dask lower-cases). Measured
# with two workers on two cores: the worker's statistical profiler (every thread's stack every
# 10 ms) slows this Python-heavy training loop by about 15%, and the nanny's default
# MALLOC_TRIM_THRESHOLD_=65536 (memory handed back to the system after every small free) by
# 15-20% more; the event-loop health tick (20 ms) and memory monitor (100 ms) add a little.
LOCAL_DASK_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,  # None: not set
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def _dask_run(config: dict, index: int, attempt: int, topic: str | None, cancel_event: str | None,
              live: bool = True) -> dict:
    """The task each Dask worker runs: one configuration, reporting through worker events (that
    it started, and with ``live`` each evaluation)."""
    import socket

    from distributed import Event, get_worker

    limit_blas_threads()
    report = should_stop = None
    if topic is not None:
        worker = get_worker()
        worker.log_event(topic, {"kind": "running", "index": index, "attempt": attempt,
                                 "pid": os.getpid(), "host": socket.gethostname()})

    if topic is not None and live:
        def report(point):
            worker.log_event(topic, {"kind": "progress", "index": index, "attempt": attempt,
                                     "point": json_safe(point)})
    if cancel_event is not None:
        event, last = Event(cancel_event), [time.monotonic()]

        def should_stop():  # ask the scheduler at most once a second
            if time.monotonic() - last[0] < 1.0:
                return False
            last[0] = time.monotonic()
            return event.is_set()
    return run_configuration(config, report, should_stop)


def _local_cluster(LocalCluster):
    """A LocalCluster whose scheduler serves no HTTP: without a dashboard, distributed's scheduler
    still starts an HTTP server (for metrics and health checks) on port 8787, warning when that
    is taken (dask/distributed#7207); a sweep's own cluster needs neither."""
    from distributed import Scheduler

    class Quiet(Scheduler):
        def start_http_server(self, routes, dashboard_address, default_port=0, ssl_options=None):
            pass

    class Cluster(LocalCluster):
        async def _start(self):
            self.scheduler_spec = {**self.scheduler_spec, "cls": Quiet}
            await super()._start()

    return Cluster


def _output_plugin(log: str):
    """A Dask worker plugin that sends the worker's output to the file ``log`` (a local cluster's
    workers write to this terminal otherwise). Defined here so the core imports no Dask."""
    from distributed import WorkerPlugin

    class WorkerOutput(WorkerPlugin):
        idempotent = True

        def __init__(self, log):
            self.log = log

        def setup(self, worker):
            redirect_output(self.log)

    return WorkerOutput(log)


class DaskBackend:
    """Configurations as Dask tasks: one ``Client.submit`` per configuration.

    ``address`` is a scheduler (``tcp://host:8786``) or ``"local"`` for a ``LocalCluster`` of
    ``jobs`` single-threaded worker processes on the loopback interface. A worker that dies
    takes its running task with it. On the local cluster the scheduler gives such a task up at
    once (``allowed-failures`` 0), so the sweep's own ``--retries`` count; a cluster of its own
    reruns it first up to its ``allowed-failures`` (the README starts the scheduler with 0).
    ``retries`` also reruns a task that raised.
    """

    def __init__(self, address: str, jobs: int, retries: int = DEFAULT_RETRIES, connect_timeout: float = 3.0,
                 log=None):
        import importlib.util
        import logging

        if importlib.util.find_spec("distributed") is None:
            raise SweepError(f"--scheduler {address}: Dask is not installed; install it with "
                             "pip install 'tui-nn[dask]' (or pip install 'dask[distributed]'), "
                             "or drop --scheduler to use local worker processes")
        forked = address == "local" and "forkserver" in multiprocessing.get_all_start_methods()
        if forked:
            # Local workers fork from a server that imports distributed, the trainer and
            # scikit-learn while this process imports distributed and starts the scheduler.
            # (Forked workers do not get the nanny's pre-spawn environment; limit_blas_threads
            # does what its OMP/OPENBLAS variables would.)
            _context("forkserver", preload=("distributed",))
        # Deferred: dask.distributed costs ~0.5 s to import; only --scheduler needs it.
        import dask
        from distributed import Client, LocalCluster

        self.retries = retries
        self.cluster = None
        if address == "local":
            for name in ("distributed", "distributed.nanny", "distributed.scheduler"):
                logging.getLogger(name).setLevel(logging.ERROR)  # no chatter when a worker is killed
            dask.config.set(LOCAL_DASK_CONFIG)
            dask.config.set({"distributed.scheduler.http.routes": []})  # no HTTP server (_local_cluster)
            # A task whose worker dies fails at once (KilledWorker) instead of being rerun up to 3
            # times by the scheduler: the sweep retries it itself, --retries times, and says so.
            dask.config.set({"distributed.scheduler.allowed-failures": 0})
            if forked:
                dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})
            # silence_logs: the workers log errors only; at WARNING each one stopped in the middle
            # of a configuration (an interrupted sweep) says its task "ended with CancelledError".
            self.cluster = _local_cluster(LocalCluster)(n_workers=jobs, threads_per_worker=1, processes=True,
                                                        host="127.0.0.1", dashboard_address=None,
                                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
            if log is not None:  # every worker of our cluster, also one started after another died
                self.client.register_plugin(_output_plugin(str(log)), name="tui-nn-worker-output")
            self.description = f"a local Dask cluster of {jobs} worker process{'es' if jobs != 1 else ''}"
        else:
            try:
                self.client = Client(address, timeout=connect_timeout)
            except (OSError, TimeoutError, ValueError) as e:
                raise SweepError(f"cannot reach the Dask scheduler at {address} ({' '.join(str(e).split())[:160]}); "
                                 "start one with `dask scheduler`, or check the address") from None
            self.description = f"the Dask cluster at {address}"
        self.token = uuid.uuid4().hex[:8]
        self.topic = f"tui-nn-sweep-{self.token}"
        self._inbox: queue.Queue = queue.Queue()
        self._futures: dict[int, Any] = {}
        self._started: dict[tuple[int, int], tuple] = {}  # (index, attempt) -> (pid, host) running it
        self._subscribed = False
        self._capacity, self._capacity_at = 1, -math.inf

    @property
    def capacity(self) -> int:
        """Worker threads in the cluster (asked again at most once a second: workers come and go)."""
        now = time.monotonic()
        if now - self._capacity_at > 1.0:
            self._capacity = max(1, sum(self.client.nthreads().values()))
            self._capacity_at = now
        return self._capacity

    @property
    def ahead(self) -> int:
        """Configurations submitted beyond the capacity when nothing needs to hold them back (no
        dashboard to pause or cancel them): the scheduler then hands a worker its next one as
        soon as it is free, without a round trip to this process."""
        return self.capacity

    def _on_event(self, event) -> None:
        _, msg = event
        if msg.get("kind") == "running":
            key, where = (msg["index"], msg["attempt"]), (msg["pid"], msg["host"])
            before = self._started.get(key)
            if before is not None and before != where:
                # The scheduler started the task again (its worker died or left, up to the
                # scheduler's allowed-failures): that is a retry, which --retries counts.
                self._inbox.put(("rerun", *key, f"its Dask worker (pid {before[0]} on {before[1]}) died"))
            self._started[key] = where
            self._inbox.put(("running", *key, *where))
        else:
            self._inbox.put(("progress", msg["index"], msg["attempt"], msg["point"]))

    def submit(self, c: Configuration, attempt: int, live: bool) -> None:
        if not self._subscribed:
            self.client.subscribe_topic(self.topic, self._on_event)
            self._subscribed = True
        cancel = f"{self.topic}-cancel-{c.index}"
        future = self.client.submit(_dask_run, c.config, c.index, attempt, self.topic, cancel, live,
                                    key=f"tui-nn-sweep-{self.token}-{c.index}-{attempt}", pure=False,
                                    retries=self.retries)
        self._futures[c.index] = future
        # Completions come back through the inbox, with progress events, so the sweep also hears
        # UI commands while it waits; as_completed would block until a task finishes.
        future.add_done_callback(lambda f, i=c.index, a=attempt: self._inbox.put(("future", i, a, f)))

    def cancel(self, index: int) -> bool:
        future = self._futures.get(index)
        if future is None:
            return False
        from distributed import Event

        Event(f"{self.topic}-cancel-{index}", client=self.client).set()  # the running task stops
        future.cancel()
        return True

    def wait(self, timeout: float) -> list[tuple]:
        try:
            items = [self._inbox.get(timeout=timeout)]
        except queue.Empty:
            return []
        while True:
            try:
                items.append(self._inbox.get_nowait())
            except queue.Empty:
                break
        return [self._translate(item) for item in items]

    def _translate(self, item: tuple) -> tuple:
        if item[0] != "future":
            return item
        from distributed import KilledWorker

        _, index, attempt, future = item
        self._futures.pop(index, None)
        if future.status == "finished":
            return ("done", index, attempt, future.result())
        if future.status == "cancelled":
            return ("cancelled", index, attempt)
        error = future.exception()
        if isinstance(error, KilledWorker):
            where = getattr(getattr(error, "last_worker", None), "address", None) or "?"
            return ("lost", index, attempt, f"its Dask worker ({where}) died")
        return ("done", index, attempt, {"status": "failed", "error": f"{type(error).__name__}: {error}",
                                         "history": [], "seconds": 0.0})

    def close(self, terminate: bool = False) -> None:
        if self._futures:
            self.client.cancel(list(self._futures.values()))
        self._futures.clear()
        if self.cluster is not None:
            self.client.shutdown()  # our own cluster: stop scheduler and workers at once
            self.cluster.close()
        else:
            self.client.close()  # someone else's cluster: just leave it


def make_backend(scheduler: str | None, jobs: int | None, retries: int = DEFAULT_RETRIES, todo: int | None = None,
                 log=None):
    """The backend the options ask for: a Dask scheduler address, ``"local"``, or local processes
    (``jobs`` of them, default all cores, but no more than the ``todo`` configurations).

    ``log``: a file for what the workers on this machine print (a remote cluster's workers
    print where they run)."""
    jobs = jobs or default_jobs()
    if todo is not None:
        jobs = max(1, min(jobs, todo))
    if scheduler == "inline":
        return InlineBackend()
    if scheduler:
        return DaskBackend(scheduler, jobs, retries, log=log if scheduler == "local" else None)
    return LocalPool(jobs, log=log)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# --- the sweep -----------------------------------------------------------------------------------


class Sweep:
    """Run a plan on a backend, stream results to files, and report events.

    ``run()`` blocks until every configuration has a result, ``stop()`` is called or the
    process is interrupted; call it from the thread that should do the bookkeeping. ``pause``,
    ``resume``, ``cancel`` and ``stop`` may be called from any thread.
    """

    def __init__(self, plan: Plan, backend=None, *, files: ResultsFiles | None = None,
                 retries: int = DEFAULT_RETRIES, live: bool = False):
        self.plan = plan
        self.backend = backend if backend is not None else InlineBackend()
        self.files = files
        self.retries = retries
        self.live = live
        self.results: dict[int, Result] = dict(files.previous) if files is not None else {}
        ranked = ranking(self.results.values(), plan.metric)
        self._best = ranked[0] if ranked and math.isfinite(ranked[0].score(plan.metric)) else None
        self.running: dict[int, int] = {}  # index -> attempt
        self.attempts: dict[int, int] = {}
        self.reruns: dict[int, int] = {}  # index -> times a backend started an attempt again itself
        self.paused = False
        self.interrupted = False
        self._best_weights: tuple[int, Any] | None = None
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()  # guards results/running for readers in other threads
        self._listeners: list[Callable[[SweepEvent], None]] = []

    # -- commands (any thread) ------------------------------------------------------------------
    def pause(self) -> None:
        self._commands.put(("pause",))

    def resume(self) -> None:
        self._commands.put(("resume",))

    def cancel(self, index: int) -> None:
        self._commands.put(("cancel", index))

    def stop(self) -> None:
        self._commands.put(("stop",))

    def subscribe(self, listener: Callable[[SweepEvent], None]) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Callable[[SweepEvent], None]) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- state (any thread) ---------------------------------------------------------------------
    def snapshot(self) -> tuple[dict[int, Result], dict[int, int]]:
        with self._lock:
            return dict(self.results), dict(self.running)

    @property
    def best(self) -> Result | None:
        """The best result so far (lowest configuration number among equals), if any is usable."""
        return self._best

    def ranked(self) -> list[Result]:
        with self._lock:
            return ranking(self.results.values(), self.plan.metric)

    # -- running --------------------------------------------------------------------------------
    def run(self, on_event: Callable[[SweepEvent], None] | None = None) -> list[Result]:
        """Run every configuration without a result; return all results, best first."""
        if on_event is not None:
            self.subscribe(on_event)
        pending = [c for c in self.plan.configurations if c.index not in self.results]
        if self.backend.capacity > 1:
            # Longest first, so the sweep does not end with one worker busy and the others idle.
            # Every configuration has its own seed: the order changes no result.
            pending.sort(key=lambda c: -estimated_cost(c.config))
        pending = collections.deque(pending)
        stopping = False
        if self.files is not None:
            self.files.open()
        try:
            self._emit(SweepStarted(len(self.plan.configurations), len(pending), self.backend.description,
                                    self.backend.capacity))
            while True:
                stopping = self._apply_commands(pending, block=False) or stopping
                if stopping:
                    break
                room = self.backend.capacity + (0 if self.live else self.backend.ahead)
                while not self.paused and pending and len(self.running) < room:
                    c = pending.popleft()
                    attempt = self.attempts.get(c.index, 0)
                    with self._lock:
                        self.running[c.index] = attempt
                    self.backend.submit(c, attempt, self.live)
                    self._emit(ConfigSubmitted(c.index, attempt))
                if not self.running:
                    if not pending:
                        break
                    stopping = self._apply_commands(pending, block=True)  # paused: wait for a command
                    continue
                for message in self.backend.wait(0.2):
                    self._handle(message, pending)
        except BaseException:
            self.interrupted = True
            self.backend.close(terminate=True)
            raise
        finally:
            if self.files is not None:
                self.files.close()
        self.interrupted = stopping and (bool(pending) or bool(self.running))
        self.backend.close(terminate=stopping)
        results = self.ranked()
        self._emit(SweepFinished(results, self.interrupted))
        return results

    def _apply_commands(self, pending, block: bool) -> bool:
        """Apply queued commands; True if the sweep should stop."""
        stop = False
        while True:
            try:
                cmd = self._commands.get(block=block)
            except queue.Empty:
                return stop
            block = False
            if cmd[0] == "stop":
                stop = True
            elif cmd[0] in ("pause", "resume"):
                if self.paused != (cmd[0] == "pause"):
                    self.paused = cmd[0] == "pause"
                    self._emit(SweepPaused(self.paused))
            elif cmd[0] == "cancel":
                index = cmd[1]
                if index in self.running:
                    self.backend.cancel(index)  # (the inline backend cannot: its run just finishes)
                else:
                    for c in list(pending):
                        if c.index == index:
                            pending.remove(c)
                            self._finish(Result(c.index, c.params, c.seed, "cancelled", attempts=0))

    def _handle(self, message: tuple, pending) -> None:
        kind, index, attempt = message[:3]
        if self.running.get(index) != attempt:
            return  # from an attempt that was given up (a retried or cancelled run)
        c = self.plan.configuration(index)
        if kind == "running":
            self._emit(ConfigRunning(index, attempt, message[3], message[4]))
        elif kind == "progress":
            self._emit(ConfigProgress(index, attempt, message[3]))
        elif kind == "cancelled":
            self._finish(Result(index, c.params, c.seed, "cancelled", attempts=attempt + 1))
        elif kind == "rerun":  # the backend started it again itself (Dask's scheduler): a retry too
            reason = message[3]
            self.reruns[index] = self.reruns.get(index, 0) + 1
            used = attempt + self.reruns[index]  # retries so far
            if used <= self.retries:
                self._emit(ConfigRetried(index, used, reason))
            else:
                self.backend.cancel(index)
                self._finish(Result(index, c.params, c.seed, "failed", error=reason, attempts=used))
        elif kind == "lost":
            reason = message[3]
            used = attempt + self.reruns.get(index, 0)
            if used < self.retries:
                with self._lock:
                    del self.running[index]
                self.attempts[index] = used + 1
                pending.appendleft(c)  # first in line again
                self._emit(ConfigRetried(index, used + 1, reason))
            else:
                self._finish(Result(index, c.params, c.seed, "failed", error=reason, attempts=used + 1))
        elif kind == "done":
            self._finish(self._result(c, message[3], attempt))

    def _result(self, c: Configuration, raw: dict, attempt: int) -> Result:
        s = raw.get("summary") or {}
        return Result(c.index, c.params, c.seed, raw["status"], s.get("val_loss"), s.get("val_accuracy"),
                      s.get("train_loss"), s.get("train_accuracy"), s.get("epochs"), raw.get("seconds", 0.0),
                      raw.get("history", []), raw.get("error"), raw.get("weights"),
                      attempt + self.reruns.get(c.index, 0) + 1,
                      test_accuracy=s.get("test_accuracy"))

    def _finish(self, result: Result) -> None:
        weights, result.weights = result.weights, None
        metric = self.plan.metric
        with self._lock:
            self.running.pop(result.index, None)
            self.results[result.index] = result
        best = self._best
        if math.isfinite(result.score(metric)) and (
                best is None or (result.score(metric), result.index) < (best.score(metric), best.index)):
            self._best = best = result
            self._best_weights = (result.index, weights) if weights is not None else None
        if self.files is not None:
            self.files.append(result)
        self._emit(ConfigFinished(result, best))

    def _emit(self, event: SweepEvent) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- the best model -------------------------------------------------------------------------
    def finished_trainer(self, index: int) -> Trainer:
        """A trainer for configuration ``index`` as its run ended, to open in the training
        dashboard: its final weights, at its last iteration, finished (or diverged), with the
        evaluations of its history.

        The weights come from the worker when this configuration is the best of this session
        (the only one whose weights are kept); otherwise it is trained again here, which gives
        the same run (it is deterministic) and the optimizer's state with it.
        """
        trainer = self.plan.trainer(self.plan.configuration(index))
        kept, result = self._best_weights, self.results.get(index)  # (the sweep may still run)
        if kept is None or kept[0] != index or result is None:
            with np.errstate(all="ignore"):  # as in run_configuration
                trainer.run()
            return trainer
        history = result.history
        trainer.load_final_state(kept[1], iteration=history[-1]["iteration"] if history else trainer.limit,
                                 epoch=result.epochs, evaluations=history, elapsed=result.seconds,
                                 diverged=result.status == "diverged")
        return trainer

    def best_trainer(self) -> Trainer | None:
        """A trainer holding the best configuration's final weights.

        They come from the worker when it ran in this session; otherwise (a resumed sweep) the
        configuration is trained again, which gives the same weights (it is deterministic).
        """
        best = self.best
        if best is None:
            return None
        trainer = self.plan.trainer(self.plan.configuration(best.index))
        if self._best_weights is not None and self._best_weights[0] == best.index:
            trainer.set_weights(self._best_weights[1])
        else:
            with np.errstate(all="ignore"):  # as in run_configuration
                trainer.run()
        return trainer
