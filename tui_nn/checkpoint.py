"""Checkpoints: everything a trainer needs for a bit-identical continuation, in one ``.npz`` file.

A checkpoint holds one JSON document (``meta``: the configuration, the run's counters and bests,
the optimizer's hyperparameters and scalar state, the evaluations) and NumPy arrays (the flat
parameter vector and its companions, the random stream, the optimizer's arrays, the loss and
accuracy histories). The names of what is saved are listed once, below; :meth:`Trainer.save_checkpoint`
and :meth:`Trainer.from_checkpoint` are thin wrappers around :func:`write` and :func:`read`, and
the trainer restores its own fields from a :class:`Checkpoint` (nobody else writes them).

Files are written atomically (:mod:`tui_nn.atomic`) and read with ``allow_pickle=False``.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FORMAT = "tui-nn/checkpoint/1"

# The run's scalar state, saved in ``meta`` under the trainer's own attribute names and restored
# as saved. (Everything else in ``meta`` is named in ``write`` and read back by the trainer.)
RUN_STATE = ("iteration", "limit", "epoch", "batch_pos", "state", "best_loss", "best_iteration",
             "reference_loss", "reference_eval", "last_train_loss", "improvements", "accepted_total",
             "elapsed", "evaluations", "switches", "has_grads", "exploded_for")
# The trainer's arrays, saved under these names: always present, and present only when set.
ARRAYS = ("best_params", "prev_params", "last_good")
OPTIONAL_ARRAYS = ("order", "eval_good", "spike_good")
OPTIMIZER_PREFIX = "opt_"  # an optimizer's array state, e.g. opt_velocity
HISTORY = ("losses", "accuracies")  # history.Series, saved as hist_<name>_<array>


@dataclass
class Checkpoint:
    """A checkpoint as read from disk."""

    path: Path
    meta: dict  # the JSON document
    arrays: dict[str, np.ndarray]

    @property
    def config(self) -> dict:
        return self.meta["config"]

    def optimizer_state(self) -> dict:
        state = dict(self.meta.get("optimizer_state", {}))
        n = len(OPTIMIZER_PREFIX)
        state.update({k[n:]: v for k, v in self.arrays.items() if k.startswith(OPTIMIZER_PREFIX)})
        return state

    def history(self, name: str) -> dict[str, np.ndarray]:
        pre = f"hist_{name}_"
        return {k[len(pre):]: v for k, v in self.arrays.items() if k.startswith(pre)}


def write(path, trainer) -> Path:
    """Write ``trainer``'s whole state to ``path`` atomically; returns the path."""
    from .atomic import atomic_write
    from .optimizers import rng_state_to_array

    path = Path(path)
    config = trainer.config.to_dict()
    if config["data"]:  # resumable from any working folder
        config["data"] = str(Path(config["data"]).resolve())
    meta = {"format": FORMAT, "config": config, "data_digest": trainer.dataset.digest,
            **{k: getattr(trainer, k) for k in RUN_STATE},
            "optimizer": trainer.optimizer.name, "hyperparams": trainer.optimizer.hp}
    arrays = {"params": trainer.net.params, "grads": trainer.net.grads, "rng": rng_state_to_array(trainer.rng),
              **{k: getattr(trainer, k) for k in ARRAYS}}
    arrays.update({k: getattr(trainer, k) for k in OPTIONAL_ARRAYS if getattr(trainer, k) is not None})
    for k, v in trainer.optimizer.state_dict().items():
        if isinstance(v, np.ndarray):
            arrays[OPTIMIZER_PREFIX + k] = v
        else:
            meta.setdefault("optimizer_state", {})[k] = v
    for name in HISTORY:
        for k, v in getattr(trainer, name).to_arrays().items():
            arrays[f"hist_{name}_{k}"] = v
    blob = json.dumps(meta, default=_json_default)
    atomic_write(path, lambda f: np.savez(f, meta=np.array(blob), **arrays))
    return path


def read(path) -> Checkpoint:
    """Read every array of the checkpoint at ``path`` now, so a truncated or damaged file is
    reported here, as a ``ValueError`` whose message names the file."""
    from .atomic import open_regular

    path = Path(path)
    try:
        with open_regular(path) as f, np.load(f, allow_pickle=False) as npz:  # no pipe or device
            arrays = {k: npz[k] for k in npz.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        raise ValueError(f"{path} is not a tui-nn checkpoint ({e}); give a file written by --checkpoint") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a tui-nn checkpoint; give a file written by --checkpoint")
    return Checkpoint(path, meta, arrays)


def default_path(trainer) -> Path:
    """Where a run saves without --checkpoint: the file it was resumed from, else a new file
    named after the data, optimizer and seed in the working folder (never another run's file)."""
    resumed = getattr(trainer, "resumed_from", None)
    if resumed is not None:
        return Path(resumed)
    c = trainer.config
    name = Path(c.data).stem if c.data else c.dataset
    stem = f"tui-nn-{name}-{trainer.optimizer.name}-seed{c.seed}"
    path, k = Path(f"{stem}.ckpt.npz"), 1
    while path.exists():
        k += 1
        path = Path(f"{stem}-{k}.ckpt.npz")
    return path


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o))
