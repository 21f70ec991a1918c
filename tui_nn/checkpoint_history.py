"""A checkpoint's history, for ``tui-nn replay CHECKPOINT``.

A checkpoint holds its run's configuration (seed included), the iterations where the optimizer
was switched and to what, the last optimizer's hyperparameters and the whole state at its
iteration, but not the stream of iterations before it. Runs are deterministic, so the history is
recomputed: a fresh run of the configuration, switched at the same iterations (the last switch
with the checkpoint's hyperparameters, earlier ones with their optimizer's defaults), is recorded
into a temporary recording up to the checkpoint's iteration, and its state there is compared
with the checkpoint's, every field and array bit for bit (the time taken aside).

- Equal: the recording is the run's history, and replay gives the exact state at any iteration
  of it (``tests/test_checkpoint_history.py`` checks it at random iterations).
- Not equal: something the checkpoint does not keep changed the run (a nudged weight, a
  hyperparameter changed by hand, a reset, a resume with more iterations, a switch with other
  hyperparameters than these). The recording then holds only the checkpoint's own state, at its
  iteration, with the loss history and evaluations as the checkpoint keeps them (the loss as
  the lowest and highest of each bucket, not each iteration); :attr:`History.note` says so.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .recording import Recorder, Recording, RecordingError, _plain


@dataclass
class History:
    recording: Recording
    exact: bool
    note: str  # what the replay shows, when it is not the exact history


def is_checkpoint(path) -> bool:
    """Whether ``path`` starts as a checkpoint does (an ``.npz`` is a zip file)."""
    from .atomic import open_regular

    try:
        with open_regular(path) as f:
            return f.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def prepare(ck_path):
    """The checkpoint at ``ck_path`` read and checked, and a fresh run of its configuration:
    what :func:`recompute` starts from (quick; a RecordingError says what is wrong)."""
    from .checkpoint import CheckpointError, check_fits, read
    from .config import TrainConfig
    from .trainer import Trainer

    try:
        ck = read(ck_path)
        t = Trainer(TrainConfig.from_dict(ck.config))
        check_fits(ck, t)
    except CheckpointError as e:
        raise RecordingError(str(e)) from None
    except ValueError as e:  # e.g. its data file is gone
        raise RecordingError(f"{ck_path}: config: {' '.join(str(e).split())}") from None
    if ck.meta.get("data_digest") not in (None, t.dataset.digest):
        raise RecordingError(f"{ck_path}: the data file {t.config.data} has changed since this checkpoint was saved; "
                             "restore the file to replay it")
    return ck, t


def recompute(ck_path, into, progress: Callable[[int, int], None] | None = None, prepared=None) -> History:
    """The history of the checkpoint at ``ck_path``, recorded into the new file ``into``;
    ``progress(iterations done, iterations in all)`` is called as it goes (the dashboard shows
    it); ``prepared``: what :func:`prepare` gave for it, if it was called already."""
    from .checkpoint import capture

    ck, t = prepared or prepare(ck_path)
    target, switches = ck.meta["iteration"], [tuple(s) for s in ck.meta["switches"]]
    if ck.meta["limit"] != t.limit and ck.meta["limit"] >= target and ck.meta["limit"] > 0:
        t.run_for(ck.meta["limit"])  # as a resume with --iterations would leave it, from the start
    recorder = Recorder(into, t)
    try:
        recorder.record(t.start_events(), t)
        pending = [s for i, s in enumerate(switches) if i > 0 or s[1] != t.optimizer.name]
        while True:
            if pending and pending[0][0] == t.iteration:
                _, name = pending.pop(0)
                hp = ck.meta["hyperparams"] if not pending else {}
                try:
                    recorder.record(t.switch_optimizer(name, **hp), t, command=True)
                except ValueError:
                    break
                continue
            if t.iteration >= target or t.done or (pending and pending[0][0] < t.iteration):
                break
            stop = pending[0][0] if pending else target
            n = max(1, min(1 << 14, recorder.next_snapshot - t.iteration, stop - t.iteration))
            c0 = time.perf_counter()
            out = t.advance(n)
            recorder.record(out, t, seconds=time.perf_counter() - c0)
            if progress is not None:
                progress(t.iteration, target)
    finally:
        recorder.close(t)
    if t.iteration == target and _same_state(capture(t, history=False), ck):
        return History(Recording.open(into), True, "")
    # Not the run: keep the checkpoint's own state, and its history as it keeps it
    Path(into).unlink()
    t.restore(ck)
    Recorder(into, t).close()
    rec = Recording.open(into)
    rec.kept = {"losses": ck.history("losses"), "evaluations": list(ck.meta["evaluations"])}
    note = (f"{ck_path}: recomputing the run from its configuration and optimizer switches does not give its state "
            f"at iteration {target:,} (a weight nudged, a hyperparameter changed, a reset or a resume with more "
            "iterations is not kept in a checkpoint); shown: the state at that iteration only, with the loss history "
            "as the checkpoint keeps it")
    return History(rec, False, note)


def _same_state(got: tuple[dict, dict], ck) -> bool:
    meta, arrays = got
    mine = {k: v for k, v in ck.meta.items() if k != "elapsed"}
    meta = {k: v for k, v in meta.items() if k != "elapsed"}
    text = [json.dumps(m, sort_keys=True, default=_plain) for m in (meta, mine)]
    if text[0] != text[1]:
        return False
    theirs = {k: v for k, v in ck.arrays.items() if not k.startswith("hist_")}
    return arrays.keys() == theirs.keys() and all(
        a.dtype == theirs[k].dtype and a.shape == theirs[k].shape and a.tobytes() == theirs[k].tobytes()
        for k, a in arrays.items())
