"""The headless front end: consume a trainer's events and write them to a terminal or a pipe.

``run_headless`` is what ``tui-nn train --headless`` does. It drives the trainer through the
same :class:`~tui_nn.runner.Session` as the dashboard (one chunking rule) and prints the stream
on stdout as ``text`` (the book's lines), ``jsonl`` or ``csv``, in iteration order whatever the
chunking (the same command prints the same bytes; wall-clock figures only with ``timing``);
draws a live progress bar on stderr only when stderr is a terminal; writes the full JSON-lines
event log (``--log``), checkpoints and the final weights. SIGINT/SIGTERM (see
:mod:`tui_nn.signals`) stop the run and save a checkpoint; a signal while the outputs are
written lets them finish. A ``--log`` that cannot be written stops the run the same way. Exit
statuses in :mod:`tui_nn.exit_codes`.
"""

from __future__ import annotations

import json
import math
import os
import queue
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from . import events as ev
from . import exit_codes, inspect, weights
from .checkpoint import default_path as default_checkpoint_path
from .optimizers import decayed_rate
from .progress import ProgressBar
from .signals import Interrupts
from .settings import REGULARIZERS
from .trainer import Trainer

from .exit_codes import DIVERGED as EXIT_DIVERGED, INTERRUPTED as EXIT_INTERRUPTED, OK as EXIT_OK
from .plain import fmt as number, isatty, json_safe

FORMATS = ("text", "jsonl", "csv")
CSV_HEADER = "iteration,loss,accuracy,accepted,best_loss"


@dataclass
class Outputs:
    fmt: str = "text"
    every: int | None = None  # a stream line every N iterations (text: None = evaluations only)
    log: str | None = None
    save: str | None = None
    checkpoint: str | None = None
    checkpoint_every: int | None = None
    record: str | None = None  # a new recording file (tui_nn.recording)
    plot: bool = False
    progress: bool | None = None  # None: a bar when stderr is a terminal
    timing: bool = False  # wall-clock figures (elapsed, it/s) in the summary and the log


class _Bar:
    """The progress bar of a training run (tui_nn.progress), from the events' numbers."""

    def __init__(self, stream: TextIO):
        def write(text: str) -> None:
            stream.write(text)
            stream.flush()

        self.bar = ProgressBar(write)

    @property
    def shown(self) -> bool:
        return self.bar.shown

    def update(self, iteration: int, limit: int, best: float, its: float, force: bool = False) -> None:
        total = max(limit, 1)
        frac = min(1.0, iteration / total)
        best_text = f"{best:.7f}" if math.isfinite(best) else "—"
        self.bar.draw(frac, f"{frac:6.1%}  it {iteration:,}/{total:,}  best {best_text}  {its:,.0f} it/s", force)

    def clear(self) -> None:
        self.bar.clear()


class _Log:
    """The full JSON-lines event log: every iteration as its own line, plus every event.
    ``problem`` says why it could not be written (the run then stops, see ``run_headless``)."""

    def __init__(self, path: str, timing: bool = False):
        self.path, self.timing = path, timing
        self.problem: str | None = None
        self.f = open(path, "w", encoding="utf-8", buffering=1 << 20)

    def write(self, e: ev.Event) -> None:
        if self.problem or isinstance(e, SESSION_ONLY):
            return  # weights go to checkpoints and --save, not into the stream log
        try:
            if isinstance(e, ev.Progress):
                self.f.write(_iteration_lines(e))
            else:
                self.f.write(json.dumps(e.to_dict(timing=self.timing)) + "\n")
        except OSError as err:
            self._failed(err)

    def _failed(self, err: OSError) -> None:
        self.problem = f"--log {self.path}: cannot write ({err.strerror or err})"
        try:
            self.f.close()
        except OSError:
            pass

    def close(self) -> None:
        if self.problem:
            return
        try:
            self.f.close()
        except OSError as err:
            self._failed(err)


def _iteration_lines(p: ev.Progress, every: int = 1) -> str:
    idx = np.arange(len(p))
    if every > 1:
        idx = idx[(p.iteration + idx) % every == 0]
    its = p.iteration + idx
    return "".join(
        f'{{"event": "iteration", "iteration": {i}, "loss": {_num(l)}, "accuracy": {_num(a)}, '
        f'"accepted": {"true" if acc else "false"}, "improved": {"true" if imp else "false"}}}\n'
        for i, l, a, acc, imp in zip(its.tolist(), p.losses[idx].tolist(), p.accuracies[idx].tolist(),
                                     p.accepted[idx].tolist(), p.improved[idx].tolist())
    )


def _num(x: float) -> str:
    return repr(float(x)) if math.isfinite(x) else "null"


def _acc_str(x) -> str:
    return "—" if x is None else f"{x:.4g}"


# Events about the session itself (pauses, snapshots of the weights, its end): not part of the
# run's stream, so neither printed nor logged.
SESSION_ONLY = (ev.Snapshot, ev.Paused, ev.Resumed, ev.Stopped, ev.SpeedChanged)


def run_headless(trainer: Trainer, out: Outputs, stdout: TextIO | None = None,
                 stderr: TextIO | None = None, interrupts: Interrupts | None = None) -> int:
    """Run ``trainer`` to its end (or a signal); write the outputs; return the exit status.
    ``interrupts`` (installed by the caller before the trainer was built) stay installed until
    every output is written; without it, ``run_headless`` installs its own."""
    own = interrupts is None
    interrupts = (interrupts or Interrupts()).install().defer()
    try:
        return _run(trainer, out, stdout or sys.stdout, stderr or sys.stderr, interrupts)
    finally:
        if own:
            interrupts.restore()


class _Guarded:
    """A standard stream whose failure stops the run instead of losing it: the terminal hung up
    (EIO: the SSH connection dropped, under ``nohup``) or the reader of a pipe went away (EPIPE:
    ``| head``). The first failure is kept in ``problem``; later writes are dropped, so the
    checkpoint, the weights and the log are still written (see ``_run``)."""

    def __init__(self, stream: TextIO, name: str):
        self.stream, self.name = stream, name
        self.problem: str | None = None

    def _do(self, action, *args) -> None:
        if self.problem is None:
            try:
                action(*args)
            except (OSError, ValueError) as err:  # ValueError: the stream was closed
                self.problem = f"{self.name}: cannot write ({getattr(err, 'strerror', None) or err})"

    def write(self, text: str) -> None:
        self._do(self.stream.write, text)

    def flush(self) -> None:
        self._do(self.stream.flush)

    def isatty(self) -> bool:
        return isatty(self.stream)


def _run(t: Trainer, out: Outputs, stdout: TextIO, stderr: TextIO, interrupts: Interrupts) -> int:
    stdout, stderr = _Guarded(stdout, "standard output"), _Guarded(stderr, "standard error")
    try:
        return _run_guarded(t, out, stdout, stderr, interrupts)
    finally:
        if stdout.problem and stdout.stream is sys.stdout:
            _silence(sys.stdout)  # else Python's own flush at exit prints a BrokenPipeError


def _silence(stream: TextIO) -> None:
    """Point a failed standard stream at /dev/null (the recipe of Python's signal docs for EPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _run_guarded(t: Trainer, out: Outputs, stdout: _Guarded, stderr: _Guarded, interrupts: Interrupts) -> int:
    from .runner import Session

    show_bar = out.progress if out.progress is not None else isatty(stderr)
    real_stdout = guard = stdout
    if show_bar:
        stdout = _Buffered(real_stdout)  # lines go out between bar redraws, on a line of their own
    bar = _Bar(stderr) if show_bar else None
    log = _Log(out.log, out.timing) if out.log else None
    start = t.started()
    printer = _Stream(start, out, stdout)
    if out.fmt == "csv":
        stdout.write(CSV_HEADER + "\n")
    if out.fmt == "text" and start.iteration == 0:
        c = t.config
        src = Path(c.data).name if c.data else c.dataset
        stdout.write(f"tui-nn: {start.optimizer} on {src} ({start.n_train} training, {start.n_val} validation "
                     f"samples), {start.n_params} parameters, seed {c.seed}"
                     + (f", {t.net.precision} precision\n" if t.optimizer.kind == "gradient" else "\n"))
    elif out.fmt == "text":
        stdout.write(f"tui-nn: resuming at iteration {start.iteration:,} of {start.limit:,} with {start.optimizer}\n")
    status = EXIT_OK
    ended = failure = None
    iteration, limit, best = start.iteration, start.limit, start.best_loss
    events: queue.SimpleQueue = queue.SimpleQueue()
    session = Session(t, events.put, checkpoint_path=out.checkpoint, checkpoint_every=out.checkpoint_every,
                      record=out.record)
    wall0 = time.perf_counter()
    stopping = False
    session.start()
    try:
        while True:
            try:
                batch = events.get(timeout=0.05)
            except queue.Empty:
                batch = []
            if any(isinstance(e, ev.Stopped) for e in batch):
                stopped = True
            else:
                stopped = False
            for e in batch:
                if isinstance(e, SESSION_ONLY):
                    continue
                if log:
                    log.write(e)
                printer.emit(e)
                if isinstance(e, ev.Progress):
                    iteration, best = e.iteration + len(e), e.best_loss
                elif isinstance(e, ev.LimitChanged):
                    limit = e.limit
                elif isinstance(e, (ev.Finished, ev.Diverged)):
                    ended = e
                    status = EXIT_DIVERGED if isinstance(e, ev.Diverged) else EXIT_OK
                elif isinstance(e, ev.Failed):
                    if e.traceback:
                        failure = e
                    else:  # a periodic checkpoint could not be written: say so, go on
                        stderr.write(f"Warning: {e.error}\n")
            if stopped:
                break
            if bar:
                if stdout.pending():
                    bar.clear()
                    stdout.flush()
                el = time.perf_counter() - wall0
                bar.update(iteration, limit, best, (iteration - start.iteration) / el if el > 0 else 0.0,
                           force=not bar.shown)
            if not stopping and (ended or failure or interrupts.signum is not None or (log and log.problem)
                                 or guard.problem):
                session.send(ev.Stop())
                stopping = True
    finally:
        session.stop()  # (it has stopped already unless something above raised)
        if bar:
            bar.clear()
            stdout.flush()
    stdout = real_stdout
    wall = time.perf_counter() - wall0
    # The session has ended: the trainer is ours. Nothing below is cut short by a signal.
    if failure is not None:
        if log:
            log.close()
        stderr.write(failure.traceback or failure.error)
        stderr.write(f"Error: the trainer failed at iteration {failure.iteration}: {failure.error}\n")
        return exit_codes.FAILED
    interrupted_path = ckpt_problem = None
    log_problem = (log.problem if log else None) or guard.problem
    if ended is None:  # stopped by a signal or by the log: save where it stands
        status = exit_codes.OUTPUT_FAILED if log_problem else EXIT_INTERRUPTED
        interrupted_path = Path(out.checkpoint) if out.checkpoint else default_checkpoint_path(t)
        try:
            saved = t.save_checkpoint(interrupted_path)
        except OSError as err:
            ckpt_problem = f"{interrupted_path}: {err.strerror or err}"
        else:
            if log:
                log.write(saved)
    if log:
        log.close()
        if log.problem and not log_problem:  # the last lines did not fit: the run is whole, the log is not
            log_problem = log.problem
            status = exit_codes.OUTPUT_FAILED
    if out.save:
        weights.save(t.net, out.save)
    if out.checkpoint and interrupted_path is None:
        t.save_checkpoint(out.checkpoint)  # diverged: the last good weights, to resume with a lower rate
    summary = t.summary()
    summary["elapsed"] = wall
    summary["its_per_sec"] = (t.iteration - start.iteration) / wall if wall > 0 else 0.0
    if t.net.task == "classification":
        summary["confusion"] = _confusions(t)
    _print_summary(summary, out, stdout, stderr, status, interrupted_path, ckpt_problem,
                   finished=ended is not None)
    if out.plot:
        _plot(t, stdout if out.fmt == "text" else stderr)
    if log_problem:
        where = (f"; checkpoint saved to {interrupted_path}, continue with --resume {interrupted_path}"
                 if interrupted_path and not ckpt_problem else "")
        stderr.write(f"Error: {log_problem}; the run stopped at iteration {t.iteration:,}{where}\n")
    stdout.flush()
    if interrupts.signum is not None and status in (EXIT_OK, EXIT_DIVERGED):
        return EXIT_INTERRUPTED  # a signal came once the run had ended: every output is written
    return status


class _Buffered:
    """Holds the stream's lines until the progress bar has been cleared from the terminal."""

    def __init__(self, stream: TextIO):
        self.stream, self.parts = stream, []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def pending(self) -> bool:
        return bool(self.parts)

    def flush(self) -> None:
        if self.parts:
            self.stream.write("".join(self.parts))
            self.parts.clear()
        self.stream.flush()

    def isatty(self) -> bool:
        return isatty(self.stream)


BOOK_EVERY = 100  # the book's chapter-10 loop prints every 100th epoch


class _Stream:
    """Writes the per-iteration stream in the chosen format; tracks the running best loss."""

    def __init__(self, start: ev.Started, out: Outputs, stdout: TextIO):
        self.out, self.w = out, stdout
        self.best = start.best_loss
        self.search = start.optimizer_kind == "search"
        self.limit = start.limit
        self.metric = "r2" if start.data.task == "regression" else "acc"
        self.print_every = max(1, -(-start.limit // 20))  # about 20 evaluation lines per run in text
        self.next_print = start.iteration
        # The book's own setup (a full-batch classification run of a gradient optimizer in book
        # precision) prints the book's chapter-10 lines instead, so a learner can diff the two.
        batch = start.config.get("batch_size") or 0
        self.book = (out.fmt == "text" and start.optimizer_kind == "gradient" and self.metric == "acc"
                     and start.model.get("precision") == "book" and (not batch or batch >= start.n_train)
                     # with L1/L2 (chapter 14) the evaluation lines show data_loss and reg_loss instead
                     and not any(start.hyperparams.get(k) for k in REGULARIZERS))
        if self.book:
            hp = start.hyperparams
            self.rate = lambda steps: decayed_rate(hp["lr"], hp.get("decay", 0.0), steps)
            # The optimizer has taken one step per iteration since it started (or was switched to).
            self.fresh_at = max(i for i, _ in start.switches if i <= start.iteration) if start.switches else 0

    def running_best(self, p: ev.Progress) -> np.ndarray:
        """The best loss after each iteration of the chunk."""
        gains = np.where(p.improved, p.losses, np.inf)
        best = np.minimum.accumulate(np.concatenate([[self.best], gains]))[1:]
        self.best = float(best[-1]) if len(best) else self.best
        return best

    def book_lines(self, p: ev.Progress, every: int) -> None:
        """The lines the book's chapter-10 loop prints every 100th epoch (``if not epoch % 100:
        print(f'epoch: {epoch}, ' + f'acc: {accuracy:.3f}, ' + f'loss: {loss:.3f}, ' +
        f'lr: {optimizer.current_learning_rate}')``), byte for byte: the epoch's forward pass
        (its loss a float32, as the book's) and the rate the previous step used."""
        for i in np.flatnonzero(p.iterations % every == 0):
            epoch = p.iteration + int(i)
            lr = self.rate(max(epoch - self.fresh_at - 1, 0))
            self.w.write(f"epoch: {epoch}, acc: {p.accuracies[i]:.3f}, loss: {np.float32(p.losses[i]):.3f}, "
                         f"lr: {lr}\n")

    def emit(self, e: ev.Event) -> None:
        fmt, out, w, metric = self.out.fmt, self.out, self.w, self.metric
        if isinstance(e, ev.Progress):
            best = self.running_best(e)
            every = out.every or (1 if fmt != "text" else None)
            if fmt == "text" and self.book:
                self.book_lines(e, out.every or BOOK_EVERY)
            elif fmt == "text":
                if self.search:
                    for i in np.flatnonzero(e.improved):
                        w.write(f"New set of weights found, iteration: {e.iteration + int(i)} "
                                f"loss: {e.losses[i]:.7f} {metric}: {e.accuracies[i]:.4g}\n")
                if every:
                    for i in np.flatnonzero(e.iterations % every == 0):
                        w.write(f"iteration: {e.iteration + int(i)}, loss: {e.losses[i]:.7f}, "
                                f"{metric}: {e.accuracies[i]:.4f}, best: {number(best[i], 7, fixed=True)}\n")
            elif fmt == "jsonl":
                w.write(_iteration_lines(e, every))
            else:
                w.write("".join(
                    f"{e.iteration + int(i)},{_num(e.losses[i])},{_num(e.accuracies[i])},"
                    f"{int(e.accepted[i])},{_num(best[i])}\n"
                    for i in np.flatnonzero(e.iterations % every == 0)))
        elif isinstance(e, ev.Evaluation):
            show = e.iteration >= self.next_print or e.iteration >= self.limit
            if fmt == "text" and out.every is None and not self.search and not self.book and show:
                self.next_print = (e.iteration // self.print_every + 1) * self.print_every
                val = "" if e.val_loss is None else f", val_loss: {e.val_loss:.4f}, val_{metric}: {e.val_accuracy:.4f}"
                loss = f"{e.train_loss:.4f}" if not e.reg_loss else \
                    f"{e.train_loss + e.reg_loss:.4f} (data_loss: {e.train_loss:.4f}, reg_loss: {e.reg_loss:.4f})"
                w.write(f"epoch: {e.epoch:g}, iteration: {e.iteration}, loss: {loss}, "
                        f"{metric}: {e.train_accuracy:.4f}{val}, lr: {e.lr:.6g}\n")
            elif fmt == "jsonl":
                w.write(json.dumps(e.to_dict(timing=out.timing)) + "\n")
        elif isinstance(e, ev.Diverged):
            if fmt == "jsonl":
                w.write(json.dumps(e.to_dict(timing=out.timing)) + "\n")
            else:
                msg = (f"Diverged at iteration {e.iteration}: {e.reason}; the last good weights are kept. "
                       f"Lower the learning rate (--lr) and try again.")
                (w if fmt == "text" else sys.stderr).write(msg + "\n")
        elif isinstance(e, ev.LimitChanged):
            self.limit = e.limit
        elif isinstance(e, (ev.CheckpointSaved, ev.OptimizerSwitched)) and fmt == "jsonl":
            w.write(json.dumps(e.to_dict(timing=out.timing)) + "\n")


def _confusions(t: Trainer) -> dict:
    """The summary's ``confusion``: ``{"classes": [names], "train": {...}, "val": {...}}``, each
    part as :meth:`tui_nn.inspect.Confusion.to_dict` (no ``val`` without validation data)."""
    k = inspect.n_classes(t.net)
    names = [str(n) for n in (t.split.class_names or [])]
    out: dict = {"classes": names if len(names) == k else [str(i) for i in range(k)]}
    for part, X, y in (("train", t.X_train, t.y_train), ("val", t.X_val, t.y_val)):
        if len(X):
            out[part] = inspect.confusion(t.net, X, y).to_dict()
    return out


def _print_summary(s: dict, out: Outputs, stdout, stderr, status, ckpt, ckpt_problem=None, *,
                   finished: bool = True) -> None:
    if ckpt_problem:
        stderr.write(f"Interrupted: could not save the checkpoint ({ckpt_problem}); "
                     "give a writable --checkpoint FILE next time\n")
        ckpt = None
    if out.fmt == "jsonl":
        s = s if out.timing else {k: v for k, v in s.items() if k not in ev.TIMING}
        stdout.write(json.dumps({"event": "summary", "status": status, **{k: json_safe(v) for k, v in s.items()},
                                 **({"checkpoint": str(ckpt)} if ckpt else {})}) + "\n")
        stdout.flush()
        if ckpt and status == EXIT_INTERRUPTED:
            stderr.write(f"Interrupted: checkpoint saved to {ckpt}; continue with --resume {ckpt}\n")
        return
    w = stdout if out.fmt == "text" else stderr
    metric = "R²" if s["metric"] == "r2" else "accuracy"
    head = {EXIT_OK: "Finished", EXIT_DIVERGED: "Diverged", EXIT_INTERRUPTED: "Interrupted",
            exit_codes.OUTPUT_FAILED: "Stopped" if not finished else "Finished"}[status]
    best_it = f" at iteration {s['best_iteration']}" if s["best_iteration"] >= 0 else ""
    timing = f" in {s['elapsed']:.2f} s ({s['its_per_sec']:,.0f} it/s)" if out.timing else ""
    lines = [
        f"{head}: {s['iterations']:,} iterations{timing}, optimizer {s['optimizer']}",
        *([f"  stopped by {s['stop_reason']}"] if s.get("stop_reason") else []),
        f"  best loss        {number(s['best_loss'], 7, fixed=True)}{best_it}",
        f"  improvements     {s['improvements']:,} (steps accepted: {s['accepted']:,})",
        f"  train loss       {number(s['train_loss'], 7, fixed=True)}   train {metric} {_acc_str(s['train_accuracy'])}",
    ]
    if s.get("reg_loss"):
        lines.append(f"  reg loss         {number(s['reg_loss'], 7, fixed=True)}   (L1/L2 penalties; the losses "
                     "above are data losses)")
    if s["val_loss"] is not None:
        lines.append(f"  val loss         {number(s['val_loss'], 7, fixed=True)}   "
                     f"val {metric} {_acc_str(s['val_accuracy'])}")
    if s["test_accuracy"] is not None:
        lines.append(f"  test {metric:<11} {_acc_str(s['test_accuracy'])}")
    if "confusion" in s:
        lines += [inspect.format_confusion(inspect.Confusion(np.asarray(c["matrix"], np.int64)), s["confusion"]["classes"],
                                   f"{part} confusion")
                  for part, c in s["confusion"].items() if part != "classes"]
    if out.save:
        lines.append(f"  weights saved to {out.save}")
    if ckpt:
        lines.append(f"  checkpoint saved to {ckpt}; continue with: tui-nn train --headless --resume {ckpt}")
    elif out.checkpoint and status == EXIT_DIVERGED:
        lines.append(f"  checkpoint (the last good weights) saved to {out.checkpoint}; continue with a lower rate: "
                     f"tui-nn train --headless --resume {out.checkpoint} --lr X")
    elif out.checkpoint and status == EXIT_OK:
        lines.append(f"  checkpoint saved to {out.checkpoint}")
    w.write("\n".join(lines) + "\n")
    w.flush()


def _plot(t: Trainer, stdout: TextIO) -> None:
    """The loss and accuracy curves, drawn in the terminal with plotext."""
    import plotext as plt  # deferred: only for --plot

    it, lo, hi, last = t.losses.arrays()
    _, alo, ahi, alast = t.accuracies.arrays()
    if len(it) == 0:
        return
    plt.clear_figure()
    plt.subplots(1, 2)
    plt.plotsize(min(_term_width(), 140), 20)
    plt.subplot(1, 1)
    plt.title("loss (min/max per bucket)")
    plt.plot(it.tolist(), _finite(hi), label="max", marker="braille")
    plt.plot(it.tolist(), _finite(lo), label="min", marker="braille")
    plt.xlabel("iteration")
    plt.subplot(1, 2)
    plt.title("accuracy" if t.net.task != "regression" else "R²")
    plt.plot(it.tolist(), _finite(alast), marker="braille")
    plt.xlabel("iteration")
    chart = plt.build()
    if not isatty(stdout) or os.environ.get("NO_COLOR"):
        chart = plt.uncolorize(chart)
    stdout.write(chart + "\n")


def _finite(a) -> list:
    a = np.asarray(a, float)
    good = np.isfinite(a)
    fill = float(np.nanmax(a[good])) if good.any() else 0.0
    return np.where(good, a, fill).tolist()


def _term_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100
