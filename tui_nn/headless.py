"""The headless front end: consume a trainer's events and write them to a terminal or a pipe.

``run_headless`` is what ``tui-nn train --headless`` does. It prints the stream on stdout as
``text`` (the book's lines), ``jsonl`` or ``csv``; draws a live progress bar on stderr only
when stderr is a terminal; writes the full JSON-lines event log (``--log``), checkpoints and the
final weights; and on SIGINT/SIGTERM saves a checkpoint, prints the summary and where the
checkpoint went, and returns 130. Exit statuses: 0 done, 3 diverged, 130 interrupted.
"""

from __future__ import annotations

import json
import math
import os
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from . import events as ev
from .checkpoint import default_path as default_checkpoint_path
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
    plot: bool = False
    progress: bool | None = None  # None: a bar when stderr is a terminal


class _Interrupt:
    """Turns SIGINT/SIGTERM into a flag checked between chunks (main thread only)."""

    def __init__(self):
        self.signum: int | None = None
        self._old = {}

    def __enter__(self):
        import threading

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame):
        self.signum = signum

    def __exit__(self, *exc):
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


class _Bar:
    """A one-line progress bar redrawn in place at most 10 times a second."""

    def __init__(self, stream: TextIO, total: int):
        self.stream, self.total, self.last = stream, total, 0.0
        self.shown = False

    def update(self, t: Trainer, its: float, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self.last < 0.1:
            return
        self.last = now
        total = max(t.limit, 1)
        frac = min(1.0, t.iteration / total)
        width = 24
        filled = int(frac * width)
        bar = "█" * filled + "·" * (width - filled)
        best = f"{t.best_loss:.7f}" if math.isfinite(t.best_loss) else "—"
        line = f"\r{bar} {frac:6.1%}  it {t.iteration:,}/{total:,}  best {best}  {its:,.0f} it/s"
        self.stream.write(line + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False


class _Log:
    """The full JSON-lines event log: every iteration as its own line, plus every event."""

    def __init__(self, path: str):
        self.f = open(path, "w", encoding="utf-8", buffering=1 << 20)

    def write(self, e: ev.Event) -> None:
        if isinstance(e, ev.Progress):
            self.f.write(_iteration_lines(e))
        elif isinstance(e, ev.Snapshot):
            return  # weights go to checkpoints and --save, not into the stream log
        else:
            self.f.write(json.dumps(e.to_dict()) + "\n")

    def close(self) -> None:
        self.f.close()


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


def run_headless(trainer: Trainer, out: Outputs, stdout: TextIO | None = None,
                 stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    show_bar = out.progress if out.progress is not None else isatty(stderr)
    real_stdout = stdout
    if show_bar:
        stdout = _Buffered(real_stdout)  # lines go out between bar redraws, on a line of their own
    log = _Log(out.log) if out.log else None
    bar = _Bar(stderr, trainer.limit) if show_bar else None
    t = trainer
    status = EXIT_OK
    wall0 = time.perf_counter()
    it0 = t.iteration
    next_ckpt = _next_multiple(t.iteration, out.checkpoint_every)
    interrupted_path = None
    ckpt_problem = None
    n = t.chunk_size()
    printer = _Stream(t, out, stdout)
    if out.fmt == "csv":
        stdout.write(CSV_HEADER + "\n")
    try:
        with _Interrupt() as intr:
            stream = t.start_events() if t.iteration == 0 and t.state == "ready" else [t.evaluate()]
            if t.iteration == 0 and out.fmt == "text":
                c = t.config
                src = Path(c.data).name if c.data else c.dataset
                stdout.write(f"tui-nn: {t.optimizer.name} on {src} ({t.n_train} training, {len(t.X_val)} validation "
                             f"samples), {t.net.n_params} parameters, seed {c.seed}\n")
            elif out.fmt == "text":
                stdout.write(f"tui-nn: resuming at iteration {t.iteration:,} of {t.limit:,} with {t.optimizer.name}\n")
            while True:
                for e in stream:
                    if log:
                        log.write(e)
                    printer.emit(e)
                    if isinstance(e, ev.Diverged):
                        status = EXIT_DIVERGED
                if bar:
                    if stdout.pending():
                        bar.clear()
                        stdout.flush()
                    el = time.perf_counter() - wall0
                    bar.update(t, (t.iteration - it0) / el if el > 0 else 0.0, force=not bar.shown)
                if intr.signum is not None:
                    interrupted_path = Path(out.checkpoint) if out.checkpoint else default_checkpoint_path(t)
                    try:
                        saved = t.save_checkpoint(interrupted_path)
                    except OSError as err:
                        ckpt_problem = f"{interrupted_path}: {err.strerror or err}"
                    else:
                        if log:
                            log.write(saved)
                    status = EXIT_INTERRUPTED
                    break
                if t.done:
                    break
                if next_ckpt is not None:
                    n = min(n, next_ckpt - t.iteration)
                t0 = time.perf_counter()
                stream = t.advance(n)
                n = _next_chunk(n, time.perf_counter() - t0)
                if next_ckpt is not None and t.iteration >= next_ckpt:
                    saved = t.save_checkpoint(out.checkpoint)
                    stream.append(saved)
                    next_ckpt = _next_multiple(t.iteration, out.checkpoint_every)
    finally:
        if bar:
            bar.clear()
            stdout.flush()
        if log:
            log.close()
    stdout = real_stdout
    wall = time.perf_counter() - wall0
    if out.save:
        t.net.save(out.save)
    if out.checkpoint and status in (EXIT_OK, EXIT_DIVERGED):
        t.save_checkpoint(out.checkpoint)  # diverged: the last good weights, to resume with a lower rate
    summary = t.summary()
    summary["elapsed"] = wall
    summary["its_per_sec"] = (t.iteration - it0) / wall if wall > 0 else 0.0
    _print_summary(summary, t, out, stdout, stderr, status, interrupted_path, ckpt_problem)
    if out.plot:
        _plot(t, stdout if out.fmt == "text" else stderr)
    return status


CHUNK_SECONDS = 0.05  # headless chunks: a signal is acted on within about this long


def _next_chunk(n: int, seconds: float) -> int:
    """The next chunk's length: about CHUNK_SECONDS of work, growing at most 4x at a time."""
    if seconds <= 0:
        return min(n * 4, 1 << 16)
    return max(1, min(n * 4, 1 << 16, int(n * CHUNK_SECONDS / seconds)))


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


def _next_multiple(i: int, every: int | None) -> int | None:
    if not every:
        return None
    return (i // every + 1) * every


class _Stream:
    """Writes the per-iteration stream in the chosen format; tracks the running best loss."""

    def __init__(self, t: Trainer, out: Outputs, stdout: TextIO):
        self.t, self.out, self.w = t, out, stdout
        self.best = t.best_loss
        self.metric = "r2" if t.net.task == "regression" else "acc"
        self.print_every = max(1, -(-t.limit // 20))  # about 20 evaluation lines per run in text
        self.next_print = t.iteration

    def running_best(self, p: ev.Progress) -> np.ndarray:
        """The best loss after each iteration of the chunk."""
        gains = np.where(p.improved, p.losses, np.inf)
        best = np.minimum.accumulate(np.concatenate([[self.best], gains]))[1:]
        self.best = float(best[-1]) if len(best) else self.best
        return best

    def emit(self, e: ev.Event) -> None:
        fmt, out, w, t, metric = self.out.fmt, self.out, self.w, self.t, self.metric
        if isinstance(e, ev.Progress):
            best = self.running_best(e)
            every = out.every or (1 if fmt != "text" else None)
            if fmt == "text":
                if t.optimizer.kind == "search":
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
            show = e.iteration >= self.next_print or e.iteration >= t.limit
            if fmt == "text" and out.every is None and t.optimizer.kind == "gradient" and show:
                self.next_print = (e.iteration // self.print_every + 1) * self.print_every
                val = "" if e.val_loss is None else f", val_loss: {e.val_loss:.4f}, val_{metric}: {e.val_accuracy:.4f}"
                w.write(f"epoch: {e.epoch:g}, iteration: {e.iteration}, loss: {e.train_loss:.4f}, "
                        f"{metric}: {e.train_accuracy:.4f}{val}, lr: {e.lr:.6g}\n")
            elif fmt == "jsonl":
                w.write(json.dumps(e.to_dict()) + "\n")
        elif isinstance(e, ev.Diverged):
            if fmt == "jsonl":
                w.write(json.dumps(e.to_dict()) + "\n")
            else:
                msg = (f"Diverged at iteration {e.iteration}: {e.reason}; the last good weights are kept. "
                       f"Lower the learning rate (--lr) and try again.")
                (w if fmt == "text" else sys.stderr).write(msg + "\n")
        elif isinstance(e, (ev.CheckpointSaved, ev.OptimizerSwitched)) and fmt == "jsonl":
            w.write(json.dumps(e.to_dict()) + "\n")


def _print_summary(s: dict, t: Trainer, out: Outputs, stdout, stderr, status, ckpt, ckpt_problem=None) -> None:
    if ckpt_problem:
        stderr.write(f"Interrupted: could not save the checkpoint ({ckpt_problem}); "
                     "give a writable --checkpoint FILE next time\n")
        ckpt = None
    if out.fmt == "jsonl":
        stdout.write(json.dumps({"event": "summary", "status": status, **{k: json_safe(v) for k, v in s.items()},
                                 **({"checkpoint": str(ckpt)} if ckpt else {})}) + "\n")
        stdout.flush()
        if ckpt:
            stderr.write(f"Interrupted: checkpoint saved to {ckpt}; continue with --resume {ckpt}\n")
        return
    w = stdout if out.fmt == "text" else stderr
    metric = "R²" if s["metric"] == "r2" else "accuracy"
    head = {EXIT_OK: "Finished", EXIT_DIVERGED: "Diverged", EXIT_INTERRUPTED: "Interrupted"}[status]
    best_it = f" at iteration {s['best_iteration']}" if s["best_iteration"] >= 0 else ""
    lines = [
        f"{head}: {s['iterations']:,} iterations in {s['elapsed']:.2f} s ({s['its_per_sec']:,.0f} it/s), "
        f"optimizer {s['optimizer']}",
        f"  best loss        {number(s['best_loss'], 7, fixed=True)}{best_it}",
        f"  improvements     {s['improvements']:,} (steps accepted: {s['accepted']:,})",
        f"  train loss       {number(s['train_loss'], 7, fixed=True)}   train {metric} {_acc_str(s['train_accuracy'])}",
    ]
    if s["val_loss"] is not None:
        lines.append(f"  val loss         {number(s['val_loss'], 7, fixed=True)}   "
                     f"val {metric} {_acc_str(s['val_accuracy'])}")
    if s["test_accuracy"] is not None:
        lines.append(f"  test {metric:<11} {_acc_str(s['test_accuracy'])}")
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
