"""``tui-nn sweep``: train one network per point of a hyperparameter grid and keep the best.

The ``tui-nn`` group loads it on first use (``Group.LAZY`` in ``tui_nn/cli/__init__.py``), so
``tui-nn --help`` does not build its options; it takes the shared data options from there.
Like ``cli/__init__.py``, it imports only click and the standard library at the top: the sweep
core (NumPy, the trainer), Dask and Textual load inside the command.
"""

from __future__ import annotations

import math
import sys
import threading
import time

import click

from ..exit_codes import FAILED, INTERRUPTED, OK
from ..plain import fmt, isatty
from ..progress import ProgressBar
from ..settings import DATA as DATA_KEYS  # the settings that decide the data and its split
from ..settings import TRAINING
from . import HYPER_OPTIONS, DataSource, InputError, data_options, option, refuse_empty_paths

METRIC_CHOICES = ("val_loss", "val_accuracy")
# Flags whose value is a comma-separated list of candidates, in the order they expand
# (the last varying one fastest); (option, grid key, help).
LIST_OPTIONS = (
    ("--nodes", "nodes", "Hidden layer widths to try, e.g. 16,32,64."),
    ("--depth", "depth", "Numbers of hidden layers to try (each --nodes wide) [default: 1]."),
    ("--activation", "activation", f"Hidden activations to try: {', '.join(TRAINING['activation'].choices)}."),
    ("--dropout", "dropout", f"Dropout rates to try, each in {TRAINING['dropout'].range_text()}."),
    ("--init", "init", f"Weight initialisations to try: {', '.join(TRAINING['init'].choices)}."),
    ("--optimizer", "optimizer",
     f"Optimizers to try [default: {TRAINING['optimizer'].default}]; see `tui-nn train --help`."),
    *((opt, name, f"Values to try: {text[0].lower()}{text[1:]}") for opt, name, text in HYPER_OPTIONS),
    ("--batch-size", "batch_size", "Mini-batch sizes to try; 0 = full batch."),
    ("--epochs", "epochs", "Epoch counts to try."),
    ("--iterations", "iterations", "Iteration counts to try (instead of --epochs)."),
)


def _list_options(f):
    for option, name, text in reversed(LIST_OPTIONS):
        f = click.option(option, name, metavar="LIST", help=text)(f)
    return f


@click.command()
@click.option("--grid", "grid_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Grid file (TOML or JSON): any train option or hyperparameter, a list to try several values.")
@_list_options
@click.option("--param", "params", multiple=True, metavar="NAME=LIST",
              help="Any other option or hyperparameter, e.g. --param beta1=0.9,0.99 "
                   "(layers take ';' between candidates: --param 'layers=64,64;128').")
@data_options
@click.option("--val-split", type=click.FloatRange(0, 1, min_open=True, max_open=True), metavar="F",
              help="Fraction held out to pick the best configuration [default: 0.2].")
@click.option("--test-split", type=click.FloatRange(0, 1, max_open=True), metavar="F",
              help="Fraction held out for a final test accuracy [default: 0].")
@option("seed", default=None, show_default=False,
        help="Sweep seed: the data split, each configuration's seed and --random [default: 0].")
@option("data_seed", help="Seed of the data and its split, the same for every configuration [default: --seed].")
@click.option("--seeds", "seeds", metavar="LIST",
              help="Run every configuration once per seed (e.g. 0,1,2,3,4; the training seed, the data stay "
                   "from --data-seed) and show each one's mean and spread over them.")
@click.option("--random", "sample", type=click.IntRange(min=1), metavar="N",
              help="Train N configurations drawn from the grid (by the seed) instead of all of them; "
                   "needed past 10,000 configurations, the most a sweep runs.")
@click.option("--metric", type=click.Choice(METRIC_CHOICES), default="val_loss", show_default=True,
              help="What picks the best configuration (ties: the lowest configuration number).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), metavar="N",
              help="Configurations trained at once (worker processes) [default: all cores].")
@click.option("--scheduler", metavar="ADDRESS",
              help="Run on a Dask cluster: tcp://HOST:PORT of its scheduler, or `local` for a local one.")
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True, metavar="N",
              help="Extra attempts for a configuration whose worker dies.")
@click.option("--out", default="results.csv", show_default=True, type=click.Path(dir_okay=False), metavar="FILE",
              help="Results table, one row per configuration, appended as they finish.")
@click.option("--history", type=click.Path(dir_okay=False), metavar="FILE",
              help="Each run's per-epoch history as JSON lines [default: --out with .jsonl].")
@click.option("--resume", is_flag=True, help="Continue the sweep in --out: skip the configurations it has.")
@click.option("--save-best", type=click.Path(dir_okay=False), metavar="FILE",
              help="Save the best model's weights to FILE (.json readable, .npz exact).")
@click.option("--headless", is_flag=True, help="No dashboard: a progress bar (plain lines in a pipe), then the table.")
def sweep(grid_file, params, source: DataSource, val_split, test_split, seed, data_seed, seeds, sample, metric, jobs,
          scheduler, retries, out, history, resume, save_best, headless, **lists) -> None:
    """Train the same network over a grid of hyperparameters and keep the best.

    \b
    tui-nn sweep --data magic04.data --nodes 16,32,64 --depth 2 --dropout 0,0.2 \\
        --lr 0.01,0.005,0.001 --batch-size 32,64,128 --optimizer adam --epochs 100

    Every configuration gets the same data split and a seed of its own derived from --seed,
    so results do not depend on --jobs or the cluster. Results stream into --out as they
    finish; --resume skips the configurations already there.

    \b
    Exit status: 0 done, 1 no configuration succeeded, 2 bad input, 130 interrupted.
    """
    if not headless and sys.stdout.isatty() and sys.stdin.isatty():
        # The dashboard's first frame comes once the grid is planned (the data check and the
        # workers start behind it): say so at once rather than leave the terminal blank.
        click.echo("tui-nn sweep: planning the grid; the dashboard opens next...", err=True)
    # Deferred: the sweep core brings in NumPy and the trainer (~0.2 s; scikit-learn ~0.7 s
    # once data is split). Dask (~1 s) loads only with --scheduler, Textual only for the dashboard.
    from concurrent.futures import ThreadPoolExecutor

    from ..sweep import (ResultsFiles, Sweep, SweepError, load_grid_file, log_path_for, make_backend, plan_sweep,
                         writable_problem)

    refuse_empty_paths({"--grid": grid_file, "--out": out, "--history": history, "--save-best": save_best})
    values = load_grid_file(grid_file) if grid_file is not None else {}
    file_seed = values.pop("seed", None)
    file_seeds = values.pop("seeds", None)
    seeds = _seed_list(seeds) if seeds is not None else file_seeds
    from_file = dict(values, **({"seeds": seeds} if seeds is file_seeds and seeds is not None else {}))
    _add_flags(values, lists, params, source, val_split, test_split)
    from_file = {k for k, v in from_file.items() if k == "seeds" or values.get(k) is v}  # not overridden by a flag
    _refuse_shared_files(grid_file, values.get("data"), out, history, save_best)
    sweep_seed = seed if seed is not None else (file_seed if file_seed is not None else 0)
    if not isinstance(sweep_seed, int) or isinstance(sweep_seed, bool) or not 0 <= sweep_seed < 2**32:
        raise SweepError(f"grid file {grid_file}: seed must be an integer in [0, 2**32), got {sweep_seed!r}")
    try:
        plan = plan_sweep(values, seed=sweep_seed, random=sample, metric=metric, data_seed=data_seed, seeds=seeds)
    except SweepError as e:
        raise SweepError(_relabel(e, params, grid_file, from_file, set(values))) from None
    if save_best is not None:
        problem = writable_problem(save_best)
        if problem:
            raise InputError(f"--save-best: {problem}")
        if not save_best.endswith((".json", ".npz")):
            raise InputError(f"--save-best {save_best}: use a .json (readable) or .npz (exact) file name")
    files = ResultsFiles(plan, out, history, resume=resume)
    for warning in files.warnings:
        click.echo(f"Warning: {warning}", err=True)
    interactive = not headless and sys.stdout.isatty() and sys.stdin.isatty()
    if not headless and not interactive:
        click.echo("tui-nn: not a terminal, running headless (use --headless to silence this note)", err=True)
    # Under the dashboard, what workers on this machine print goes to a file, not over the screen.
    log = _WorkerLog(log_path_for(files.out)) if interactive else None

    def start() -> Sweep:
        """The data check while the workers (or the Dask cluster) start, then the sweep."""
        with ThreadPoolExecutor(1) as pool:
            checked = pool.submit(_check_data, plan)
            backend = make_backend(scheduler, jobs, retries, todo=len(plan.configurations) - len(files.previous),
                                   log=log.path if log else None)
            try:
                shapes.update(checked.result())
            except BaseException:
                backend.close(terminate=True)
                raise
        return Sweep(plan, backend, files=files, retries=retries, live=interactive)

    shapes: dict = {}
    if interactive:
        try:
            status = _dashboard(plan, start, save_best, shapes)
        finally:
            log.close()
        raise SystemExit(status)
    raise SystemExit(_headless(start(), save_best, shapes))


def _seed_list(text: str) -> list[int]:
    from ..sweep import SweepError

    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise SweepError(f"--seeds {text}: give integers separated by commas, e.g. 0,1,2") from None


class _WorkerLog:
    """The file the workers' output goes to while the dashboard is up; removed again if they
    printed nothing into a new one, named at the end otherwise."""

    def __init__(self, path):
        self.path = path
        self.size = path.stat().st_size if path.exists() else None

    def close(self) -> None:
        try:
            size = self.path.stat().st_size
        except OSError:
            return
        if size == (self.size or 0):
            if self.size is None:
                self.path.unlink(missing_ok=True)
        else:
            click.echo(f"The workers printed warnings or errors; see {self.path}.", err=True)


def _add_flags(values: dict, lists: dict, params, source: DataSource, val_split, test_split) -> None:
    """Put the options given on the command line into the grid values (they win over the file)."""
    from ..sweep import SweepError

    if source.explicit or not any(k in values for k in ("dataset", "data")):
        for key in ("dataset", "data", "label", "samples", "classes"):
            values.pop(key, None)
        if source.path is not None:
            values["data"] = source.path
            if source.label is not None:
                values["label"] = source.label
        else:
            values["dataset"] = source.dataset
            for key in ("samples", "classes"):
                if getattr(source, key) is not None:
                    values[key] = getattr(source, key)
    if source.task is not None:
        values["task"] = source.task
    for _, name, _ in LIST_OPTIONS:
        text = lists.get(name)
        if text is not None:
            values[name] = _split(f"--{name.replace('_', '-')}", text, ",")
    for item in params:
        name, eq, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not eq or not name:
            raise SweepError(f"--param {item}: give NAME=VALUES, e.g. --param beta1=0.9,0.99")
        values[name] = _split(f"--param {name}", text, ";" if name == "layers" else ",")
    if val_split is not None:
        values["val_split"] = val_split
    if test_split is not None:
        values["test_split"] = test_split


def _refuse_shared_files(grid_file, data, out, history, save_best) -> None:
    """Two options naming one file would overwrite an input or another output: refuse up front."""
    from ..atomic import same_file
    from ..sweep import history_path_for

    datas = data if isinstance(data, list) else [data]
    named = {"--grid": grid_file, **{"--data" if len(datas) == 1 else f"--data {d}": d for d in datas},
             "--out": out, "--history": history if history is not None else history_path_for(out),
             "--save-best": save_best}
    problem = same_file(named)
    if problem:
        raise InputError(problem)


def _relabel(err, params, grid_file, from_file: set, given: set) -> str:
    """The core names a bad value by its setting (``beta1 must be ...``); name where the value
    came from: --param (which wins over the flag), the grid file (``from_file``: the keys whose
    value it gave, or a grid key no option gave, such as layers built from its nodes and depth),
    or the flag."""
    from ..settings import error_for_flags
    from ..sweep import GRID_KEYS

    name = getattr(err, "setting", None)
    if name is None:
        return error_for_flags(err)  # it may still mention options (``random=N``)
    if name in {item.partition("=")[0].strip().replace("-", "_") for item in params}:
        return f"--param {name}: {err}"
    if grid_file and (name in from_file or (name in GRID_KEYS and name not in given)):
        return f"grid file {grid_file}: {name}: {err}"
    return error_for_flags(err)


def _split(option: str, text: str, sep: str) -> list[str]:
    from ..sweep import SweepError

    if not text.strip():
        raise SweepError(f"{option}: empty list; give at least one value")
    parts = [p.strip() for p in text.split(sep)]
    if any(not p for p in parts):
        raise SweepError(f"{option}: empty value in {text!r}; separate values with '{sep}'")
    return parts




def _check_data(plan) -> dict[tuple, tuple]:
    """Load each distinct data source once, so a bad file or split fails before any training.

    Returns (inputs, outputs, task) by data source, to print the best model's summary."""
    shapes = {}
    for c in plan.configurations:
        key = tuple(str(c.config.get(k)) for k in DATA_KEYS)
        if key not in shapes:
            split = plan.trainer(c).split
            shapes[key] = (split.n_features, split.n_outputs, split.task)
    return shapes


# --- headless --------------------------------------------------------------------------------------


def _echo(text: str = "") -> None:
    """click.echo to stdout, which may be a pipe whose reader has gone (``| head``): output is
    then dropped, so the rest (saving the best model, the exit status) still happens."""
    try:
        click.echo(text)
    except BrokenPipeError:
        _drop_stdout()


def _drop_stdout() -> None:
    """Send the rest of stdout (and what is still buffered) to /dev/null."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class _Report:
    """What a headless sweep prints: a bar on a terminal, one line per result otherwise."""

    def __init__(self, run, stream=None):
        self.run = run
        self.stream = stream or sys.stdout
        self.tty = isatty(self.stream)
        self.done = self.total = 0
        self.t0 = time.perf_counter()
        self.progress: ProgressBar | None = None  # the one progress bar (tui_nn.progress)
        self.closed = False  # the reader of the output has gone (a pipe into `head`)

    def __call__(self, event) -> None:
        from .. import sweep as sw

        if isinstance(event, sw.SweepStarted):
            self.total, self.done = event.total, event.total - event.todo
            plan = self.run.plan
            axes = " x ".join(f"{k} ({len(plan.axes[k])})" for k in plan.varying)
            count = f"{event.total} configuration{'s' if event.total != 1 else ''}"
            if event.total < plan.total:  # --random
                over = f" drawn at random from the {plan.total} of {axes}"
            else:
                over = f" over {axes}" if axes else ""
            resumed = f", {self.done} already in {self.run.files.out}" if self.done and self.run.files else ""
            self._line(f"Sweep: {count}{over} on {event.backend}{resumed}")
            if self.run.files is not None:
                self._line(f"Results: {self.run.files.out}  histories: {self.run.files.history}")
        elif isinstance(event, sw.ConfigFinished):
            self.done += 1
            if not self.tty:
                r = event.result
                seed = f" seed={r.seed}" if self.run.plan.seeds else ""
                self._line(f"[{self.done}/{self.total}] #{r.index} {sw.format_params(r.params)}{seed}: "
                           f"{_outcome(r)} ({r.seconds:.1f} s)")
        elif isinstance(event, sw.ConfigRetried):
            self._line(f"#{event.index}: {event.reason}; retrying (attempt {event.attempt + 1})")
        if self.tty:
            self._bar(force=not isinstance(event, sw.ConfigProgress))

    def _line(self, text: str) -> None:
        self.clear()
        self._write(text + "\n")

    def _write(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except BrokenPipeError:
            self.closed = True
            if self.stream is sys.stdout:
                _drop_stdout()
            self.run.stop()  # nobody sees the sweep any more: stop it, --resume continues it

    def _bar(self, force: bool = False) -> None:
        if self.progress is None:
            import shutil  # deferred: ~3 ms (with its compression modules) that --help need not pay

            self.progress = ProgressBar(self._write, lambda: shutil.get_terminal_size().columns)
        frac = self.done / self.total if self.total else 1.0
        best, metric = self.run.best, self.run.plan.metric
        best_text = f"best #{best.index} {metric} {getattr(best, metric):.6g}" if best else ""
        self.progress.draw(frac, f"{self.done}/{self.total}  running {len(self.run.running)}  {best_text}"
                                 f"  {_clock(time.perf_counter() - self.t0)}", force)

    def clear(self) -> None:
        if self.progress is not None:
            self.progress.clear()


def _headless(run, save_best, shapes) -> int:
    import signal

    def terminate(signum, frame):
        raise KeyboardInterrupt

    report = _Report(run)
    old = signal.signal(signal.SIGTERM, terminate)
    try:
        results = run.run(report)
    except KeyboardInterrupt:
        report.clear()
        done = sum(1 for r in run.results.values() if r.status in ("ok", "diverged"))
        where = f" ({run.files.out})" if run.files else ""
        _echo(f"Interrupted: {done} of {len(run.plan.configurations)} configurations done{where}; "
                   "run the same command with --resume to continue.")
        return INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, old)
    report.clear()
    if report.closed and run.interrupted:
        done = sum(1 for r in run.results.values() if r.status in ("ok", "diverged"))
        where = f" ({run.files.out})" if run.files else ""
        click.echo(f"Stopped: the output was closed; {done} of {len(run.plan.configurations)} configurations "
                   f"done{where}; run the same command with --resume to continue.", err=True)
        return INTERRUPTED
    _echo(_final_table(results, run.plan))
    if run.plan.seeds:
        _echo("\n" + _seeds_table(results, run.plan))
    return _finish(run, results, save_best, shapes)


def _finish(run, results, save_best, shapes) -> int:
    for r in results:
        if r.status == "failed":
            _echo(f"#{r.index} failed: {r.error}")
    best = run.best
    if best is None:
        _echo("No configuration finished with a finite validation score.")
        return FAILED
    from ..sweep import format_params

    metric = run.plan.metric
    _echo(f"\nBest: #{best.index} {format_params(best.params)}: {metric} {getattr(best, metric):.6g}")
    if save_best is not None:
        from ..weights import save  # deferred with the sweep core (NumPy)

        trainer = run.best_trainer()
        save(trainer.net, save_best)
        _echo(f"Saved its weights to {save_best}")
        net = trainer.net
    else:
        from ..network import ModelSpec, Network

        config = run.plan.configuration(best.index).config
        spec = ModelSpec(config["layers"], config["activation"], config["dropout"], config["init"])
        net = Network.from_spec(spec, *shapes[tuple(str(config.get(k)) for k in DATA_KEYS)])
    _echo(net.summary())
    return OK


def _final_table(results, plan, limit: int = 20) -> str:
    from ..sweep import show_value

    # The test accuracy only when there are test data (a --test-split above 0).
    tested = any(c.config.get("test_split") for c in plan.configurations)
    seeds = ("seed",) if plan.seeds else ()
    header = ("", "#", *plan.varying, *seeds, "val_loss", "val_acc", "train_loss", "train_acc", *(("test_acc",) * tested),
              "epochs", "seconds", "status")
    rows = [header]
    best_index = results[0].index if results and math.isfinite(results[0].score(plan.metric)) else None
    for r in results[:limit]:
        rows.append(("*" if r.index == best_index else "", str(r.index), *(show_value(r.params[k]) for k in plan.varying),
                     *((str(r.seed),) if seeds else ()),
                     fmt(r.val_loss), fmt(r.val_accuracy, 4), fmt(r.train_loss), fmt(r.train_accuracy, 4),
                     *((fmt(r.test_accuracy, 4),) * tested), _epochs(r.epochs), f"{r.seconds:.1f}", r.status))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) if i >= 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             .rstrip() for row in rows]
    if len(results) > limit:
        lines.append(f"... and {len(results) - limit} more")
    return "\n".join(lines)


def _epochs(x) -> str:
    """``30,000`` when whole (not ``3e+04``), else four significant digits."""
    return f"{int(x):,}" if x is not None and math.isfinite(x) and float(x).is_integer() else fmt(x, 4)


def _seeds_table(results, plan) -> str:
    """Each configuration over its seeds (--seeds): the mean and spread (standard deviation) of
    its numbers, best mean first, so a learner sees how much of a difference is luck."""
    from ..sweep import over_seeds, show_value

    tested = any(c.config.get("test_split") for c in plan.configurations)
    keys = ("val_loss", "val_accuracy", "train_loss", "train_accuracy", *(("test_accuracy",) * tested))
    names = {"val_loss": "val_loss", "val_accuracy": "val_acc", "train_loss": "train_loss",
             "train_accuracy": "train_acc", "test_accuracy": "test_acc"}
    header = ("", *plan.varying, "seeds", *(names[k] + " mean ± sd" for k in keys))
    rows = [header]
    summaries = over_seeds(results, plan)
    for rank, s in enumerate(summaries):
        best = rank == 0 and math.isfinite(s.score(plan.metric))
        rows.append(("*" if best else "", *(show_value(s.params[k]) for k in plan.varying), f"{s.runs}/{s.of}",
                     *(_mean_sd(s.mean[k], s.spread[k], 4 if "accuracy" in k else 6) for k in keys)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(w) if i >= 1 else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths)))
             .rstrip() for row in rows]
    return f"Over {len(plan.seeds)} seeds ({', '.join(map(str, plan.seeds))}):\n" + "\n".join(lines)


def _mean_sd(mean, sd, digits: int = 6) -> str:
    return fmt(mean, digits) if sd is None else f"{fmt(mean, digits)} ± {fmt(sd, 2)}"


def _outcome(r) -> str:
    if r.status in ("ok", "diverged"):
        text = f"val_loss {fmt(r.val_loss)}  val_accuracy {fmt(r.val_accuracy, 4)}"
        return text if r.status == "ok" else text + "  (diverged)"
    return r.status + (f": {r.error}" if r.error else "")


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# --- dashboard -------------------------------------------------------------------------------------


def _dashboard(plan, start, save_best, shapes) -> int:
    """The live sweep dashboard. Its first frame comes first: it calls ``start`` (the data check,
    the workers) behind it, and the sweep then runs in a thread of its own."""
    # Deferred: Textual costs ~0.3 s to import.
    from ..tui.sweep_app import SweepApp

    outcome: dict = {}
    started = threading.Event()  # set once ``start`` has returned (or failed)

    def start_and_run():
        outcome["starting"] = True
        try:
            outcome["run"] = run = start()
        finally:
            started.set()
        thread = threading.Thread(target=drive, args=(run,), name="tui-nn-sweep", daemon=True)
        outcome["thread"] = thread
        thread.start()
        return run

    def drive(run):
        try:
            outcome["results"] = run.run()
        except BaseException as e:  # noqa: BLE001 - reported after the dashboard closes
            outcome["error"] = e

    # The workers start behind the dashboard, where sys.stderr is Textual's (no file descriptor):
    # multiprocessing's resource tracker, which hands its child our stderr, starts now instead.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    app = SweepApp(plan=plan, start=start_and_run)
    while True:
        action = app.run()
        if action is None or action[0] != "open":
            break
        _open_training_dashboard(outcome["run"], action[1])
        app = SweepApp(outcome["run"])
    if action is not None and action[0] == "error":
        raise action[1]
    if "starting" in outcome:
        started.wait()  # q while the workers were starting: let them start, then stop them
    run = outcome.get("run")
    if run is None:  # left before the sweep started
        click.echo("Stopped before the sweep started: nothing ran; run the same command to start it.")
        return INTERRUPTED
    thread = outcome["thread"]
    if thread.is_alive():
        run.stop()
        thread.join()
    if "error" in outcome:
        raise outcome["error"]
    results = run.ranked()
    if results:
        click.echo(_final_table(results, run.plan))
        if run.plan.seeds:
            click.echo("\n" + _seeds_table(results, run.plan))
    if run.interrupted or (action is not None and action[0] == "interrupt"):
        click.echo(f"Stopped: run the same command with --resume to continue ({run.files.out}).")
        return INTERRUPTED
    return _finish(run, results, save_best, shapes)


def _open_training_dashboard(run, index: int) -> None:
    """The training dashboard over configuration ``index`` as its run ended (trained weights)."""
    from ..tui.app import create_app

    if run._best_weights is None or run._best_weights[0] != index:
        click.echo(f"Training #{index} again to open it (its weights are not in this session)...", err=True)
    create_app(run.finished_trainer(index), paused=True).run()
