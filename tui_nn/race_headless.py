"""``tui-nn race --headless``: run a :class:`~tui_nn.race.Race` and print its outcome.

``text`` prints a line about the race and, at the end, the final table (best first). ``jsonl``
prints one stream: each contender's records exactly as ``tui-nn train --format jsonl`` prints
them for its options, each tagged with ``"contender"`` first, merged by iteration then
contender (:class:`~tui_nn.race.Merge`), so the same command prints the same bytes however the
processes were scheduled (with an iteration budget; a ``--time`` budget is not deterministic).
SIGINT/SIGTERM stop every contender; each unfinished one saves a checkpoint first (continue it
with ``tui-nn train --resume FILE``); so does a standard output that cannot be written any more
(``| head``). Exit status: 0 done (a contender that diverged is a result of the race), 1 a
contender failed, 4 the output could not be written, 130 interrupted.
"""

from __future__ import annotations

import json
import math
import queue
import re
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from . import events as ev
from . import exit_codes
from .headless import SESSION_ONLY, Outputs, _confusions, _Stream
from .plain import fmt as number, json_safe
from .race import DONE, SUMMARY_KEY, Merge, Race, ranking
from .signals import Interrupts

_ITERATION = re.compile(r'"iteration": (\d+)')


class _Lines:
    """Collects what a train-format stream writes, to hand it on line by line."""

    def __init__(self):
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def take(self) -> list[str]:
        text, self.parts = "".join(self.parts), []
        return text.splitlines(keepends=True)


def run_race_headless(race: Race, *, fmt: str = "text", every: int | None = None, timing: bool = False,
                      stdout: TextIO | None = None, stderr: TextIO | None = None,
                      interrupts: Interrupts | None = None) -> int:
    """Run ``race`` to its end (or a signal); print it; return the exit status."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    own = interrupts is None
    interrupts = (interrupts or Interrupts()).install().defer()
    try:
        return _run(race, fmt, every, timing, stdout, stderr, interrupts)
    finally:
        if own:
            interrupts.restore()


class _Out:
    """Standard output that records why it cannot be written (``| head``, a full disk) instead
    of raising: the race then stops as on Ctrl-C, its contenders saved."""

    def __init__(self, stream: TextIO):
        self.stream, self.problem = stream, None

    def write(self, text: str) -> None:
        if self.problem is None:
            try:
                self.stream.write(text)
            except (OSError, ValueError) as err:
                self.problem = getattr(err, "strerror", None) or str(err)

    def flush(self) -> None:
        self.write("")
        if self.problem is None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as err:
                self.problem = getattr(err, "strerror", None) or str(err)


def _run(race: Race, fmt, every, timing, stdout, stderr, interrupts) -> int:
    n = len(race.contenders)
    stdout = _Out(stdout)
    tags = [f'{{"contender": {json.dumps(c.label)}, ' for c in race.contenders]
    merge = Merge(n, stdout.write)
    lines = [_Lines() for _ in range(n)]
    streams = [_Stream(s.start, Outputs(fmt="jsonl", every=every, timing=timing), lines[i])
               for i, s in enumerate(race.standings)]
    if fmt == "text":
        stdout.write(_heading(race) + "\n")
        stdout.flush()
    arrived: queue.SimpleQueue = queue.SimpleQueue()
    race.on_events = lambda i, batch: arrived.put((i, batch))
    interrupted = False
    race.start()
    try:
        while not race.done:
            if interrupts.signum is not None or stdout.problem:
                interrupted = True
                break
            try:
                i, batch = arrived.get(timeout=0.05)
            except queue.Empty:
                continue
            if fmt == "jsonl":
                _records(i, batch, streams[i], lines[i], tags[i], merge)
                # From the batch itself, not race.standings[i].done: the standing is marked done
                # as the end arrives, while earlier batches of the contender may still wait in
                # ``arrived``; the order printed would then depend on the contenders' speeds.
                if any(isinstance(e, (ev.Finished, ev.Diverged)) for e in batch):
                    merge.advance(i, SUMMARY_KEY)
                merge.flush()
        while fmt == "jsonl" and not interrupted:  # what came with the last batches
            try:
                i, batch = arrived.get_nowait()
            except queue.Empty:
                break
            _records(i, batch, streams[i], lines[i], tags[i], merge)
        saved = save_unfinished(race, stderr) if interrupted else {}
        summaries = _summaries(race)
    finally:
        race.stop()
    if fmt == "jsonl":
        for i, (status, summary) in summaries.items():
            if summary is not None:
                record = {"event": "summary", "status": status,
                          **{k: json_safe(v) for k, v in summary.items() if timing or k not in ev.TIMING}}
                merge.add(i, SUMMARY_KEY, tags[i] + json.dumps(record)[1:] + "\n")
        for i in range(n):
            merge.advance(i, DONE)
        merge.flush()
    else:
        stdout.write(final_table(race, timing) + "\n")
    stdout.flush()
    if stdout.problem:
        where = "".join(f"; {race.contenders[i].label} saved to {path}" for i, path in saved.items())
        stderr.write(f"Error: cannot write the standard output ({stdout.problem}); the race stopped{where}; "
                     "continue one with tui-nn train --headless --resume FILE\n")
        return exit_codes.OUTPUT_FAILED
    if interrupted:
        for i, path in saved.items():
            stderr.write(f"Interrupted: {race.contenders[i].label} saved to {path}; continue it with "
                         f"tui-nn train --headless --resume {path}\n")
        return exit_codes.INTERRUPTED
    if any(s.state == "failed" for s in race.standings):
        for s in race.standings:
            if s.state == "failed":
                stderr.write(f"Error: contender {s.contender.label} failed: {s.error}\n")
        return exit_codes.FAILED
    return exit_codes.OK


def _records(i: int, batch: list[ev.Event], stream: _Stream, lines: _Lines, tag: str, merge: Merge) -> None:
    """Contender ``i``'s events as train's jsonl lines, tagged and keyed for the merge."""
    for e in batch:
        if isinstance(e, SESSION_ONLY) or isinstance(e, ev.Started):
            continue
        stream.emit(e)
        for line in lines.take():
            if isinstance(e, ev.Progress):
                key = 2 * int(_ITERATION.search(line).group(1)) + 1
            else:
                key = 2 * e.iteration
            merge.add(i, key, tag + line[1:])
        if isinstance(e, ev.Progress):
            merge.advance(i, 2 * (e.iteration + len(e)))


def _summaries(race: Race) -> dict[int, tuple[int, dict | None]]:
    """Each contender's summary as ``train`` prints it, with train's exit status: the Finished
    event's; a diverged run's from its trainer, handed over through a checkpoint; a
    classifier's confusion matrices (train's summary has them) from its final weights."""
    out: dict[int, tuple[int, dict | None]] = {}
    with tempfile.TemporaryDirectory(prefix="tui-nn-race-") as folder:
        for s in race.standings:
            if s.state == "finished":
                t = race.trainers[s.index]  # this process's copy: the data, and the final weights given
                t.set_weights(s.params)
                out[s.index] = (exit_codes.OK, _with_confusion(s.summary, t))
            elif s.state == "diverged":
                try:
                    t = race.trainer(s.index, Path(folder) / f"{s.index}.ckpt.npz")
                except (RuntimeError, ValueError, OSError):
                    out[s.index] = (exit_codes.DIVERGED, None)
                    continue
                s.summary = t.summary()
                out[s.index] = (exit_codes.DIVERGED, _with_confusion(s.summary, t))
            else:
                out[s.index] = (exit_codes.INTERRUPTED, None)
    return out


def _with_confusion(summary: dict, t) -> dict:
    if t.net.task != "classification":
        return summary
    return {**summary, "confusion": _confusions(t)}


def save_unfinished(race: Race, stderr, state: str = "interrupted") -> dict[int, str]:
    """Checkpoint every unfinished contender in the working folder (nothing is lost); their
    state becomes ``state``."""
    from .checkpoint import default_path

    race.send_all(ev.Pause())
    saved = {}
    for s in race.standings:
        if s.done:
            continue
        path = default_path(race.trainers[s.index])
        if race.save(s.index, path) is not None:
            saved[s.index] = str(path)
        else:
            stderr.write(f"Could not save {s.contender.label}\n")
        s.state = state
    return saved


def _heading(race: Race) -> str:
    s0, c = race.standings[0].start, race.config
    src = Path(c.data).name if c.data else c.dataset
    budget = (f"{race.cpu_seconds:g} s of CPU time each (not deterministic)" if race.cpu_seconds
              else f"{s0.limit:,} iterations each")
    return (f"tui-nn race: {len(race.contenders)} contenders on {src} ({s0.n_train} training, {s0.n_val} validation "
            f"samples), {s0.n_params} parameters, seed {c.seed}, {budget}")


def final_table(race: Race, timing: bool = False) -> str:
    """The contenders, best first (by validation loss if there is a validation set, else by the
    final training loss); it/s only with ``timing`` (the rest prints the same bytes every run)."""
    standings = ranking(race.standings)
    has_val = any(s.val_loss is not None for s in standings)
    metric = "R²" if standings[0].start.data.task == "regression" else "accuracy"
    head = ["#", "contender", "iterations", "best loss", "at", "loss", metric]
    if has_val:
        head += ["val loss", f"val {metric}"]
    if timing:
        head.append("it/s")
    head.append("status")
    rows = [head]
    for rank, s in enumerate(standings, 1):
        row = [str(rank), s.contender.label, f"{s.iteration:,}", _loss(s.best_loss),
               f"{s.best_iteration:,}" if s.best_iteration >= 0 else "—", _loss(s.train_loss), _acc(s.train_accuracy)]
        if has_val:
            row += [_loss(s.val_loss), _acc(s.val_accuracy)]
        if timing:
            row.append(f"{s.its_per_sec:,.0f}")
        row.append(s.state)
        rows.append(row)
    widths = [max(len(r[k]) for r in rows) for k in range(len(head))]
    right = {2, 3, 4, 5, 6, 7, 8, 9}
    return "\n".join("  ".join(cell.rjust(w) if k in right and k < len(head) - 1 else cell.ljust(w)
                               for k, (cell, w) in enumerate(zip(r, widths))).rstrip() for r in rows)


def _loss(x) -> str:
    return "—" if x is None or not math.isfinite(x) else number(x, 7, fixed=True)


def _acc(x) -> str:
    return "—" if x is None else f"{x:.4f}"
