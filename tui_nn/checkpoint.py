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
import math
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .events import TrainerState

FORMAT = "tui-nn/checkpoint/1"

# The run's scalar state, saved in ``meta`` under the trainer's own attribute names and restored
# as saved. (Everything else in ``meta`` is named in ``write`` and read back by the trainer.)
RUN_STATE = ("iteration", "limit", "epoch", "batch_pos", "state", "best_loss", "best_iteration",
             "reference_loss", "reference_eval", "last_train_loss", "improvements", "accepted_total",
             "elapsed", "evaluations", "switches", "has_grads", "exploded_for", "es_best", "es_best_iteration",
             "es_wait", "stop_reason", "penalties")
# The trainer's arrays, saved under these names: always present, and present only when set.
ARRAYS = ("best_params", "prev_params", "last_good")
OPTIONAL_ARRAYS = ("order", "eval_good", "spike_good", "es_best_params")
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

    path = Path(path)
    meta, arrays = capture(trainer)
    blob = json.dumps(meta, default=_json_default)
    atomic_write(path, lambda f: np.savez(f, meta=np.array(blob), **arrays))
    return path


def capture(trainer, *, history: bool = True) -> tuple[dict, dict[str, np.ndarray]]:
    """``trainer``'s whole state as a checkpoint holds it: the JSON document and the arrays
    (references to the trainer's own arrays: write or copy them before it runs on). Without
    ``history`` the loss and accuracy histories stay out (a recording's snapshots keep the
    whole stream elsewhere); :meth:`Checkpoint.history` then gives empty ones."""
    from .optimizers import rng_state_to_array

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
    for name in HISTORY if history else ():
        for k, v in getattr(trainer, name).to_arrays().items():
            arrays[f"hist_{name}_{k}"] = v
    return meta, arrays


def read(path) -> Checkpoint:
    """Read every array of the checkpoint at ``path`` now and check every field (see
    :func:`check`), so a truncated, damaged or crafted file is reported here, as a
    :class:`CheckpointError` (a ``ValueError``) whose one line names the file and the field."""
    from .atomic import open_regular

    path = Path(path)
    try:
        with open_regular(path) as f, np.load(f, allow_pickle=False) as npz:  # no pipe or device
            arrays = {k: npz[k] for k in npz.files}
        blob = arrays.pop("meta")
        if blob.shape != () or blob.dtype.kind != "U":
            raise ValueError("meta is not one JSON text")
        meta = json.loads(str(blob))
    except RecursionError:
        raise CheckpointError(f"{path}: meta: JSON nested too deeply; give a checkpoint that tui-nn saved") from None
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as e:
        e = e.strerror if isinstance(e, OSError) and e.strerror else " ".join(str(e).split())
        raise CheckpointError(f"{path} is not a tui-nn checkpoint ({e}); give a checkpoint that tui-nn saved") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not a tui-nn checkpoint; give a checkpoint that tui-nn saved")
    ck = Checkpoint(path, meta, arrays)
    check(ck)
    return ck


# --- checking a checkpoint ---------------------------------------------------------------------


class CheckpointError(ValueError):
    """A checkpoint that cannot be resumed: one line naming the file and the field at fault."""


class _Bad(Exception):
    """A field that fails its check: (field, problem)."""


MAX_COUNT = 2**53  # iterations, steps and counts beyond this are not from a real run


def _int(low: int = 0):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= MAX_COUNT:
            raise _Bad("", f"expected a whole number in {low}..2**53, got {v!r:.40}")
    return check


def _number(*, nan=False, inf=False, none=False, low=None):
    def check(v):
        if v is None and none:
            return
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise _Bad("", f"expected a number, got {v!r:.40}")
        if (math.isnan(v) and not nan) or (math.isinf(v) and not inf):
            raise _Bad("", f"expected a finite number, got {v}")
        if low is not None and v < low:
            raise _Bad("", f"expected a number >= {low}, got {v}")
    return check


def _one_of(*choices):
    def check(v):
        if not isinstance(v, str) or v not in choices:
            raise _Bad("", f"expected one of {', '.join(choices)}, got {v!r:.40}")
    return check


def _text_or_none(v):
    if v is not None and not (isinstance(v, str) and len(v) < 1000):
        raise _Bad("", f"expected text or null, got {v!r:.40}")


def _bool(v):
    if not isinstance(v, bool):
        raise _Bad("", f"expected true or false, got {v!r:.40}")


def _evaluations(v):
    if not isinstance(v, list):
        raise _Bad("", "expected a list of evaluations")
    for i, e in enumerate(v):
        if not isinstance(e, dict) or not all(isinstance(k, str) for k in e):
            raise _Bad(f"[{i}]", "expected an object")
        _field(f"[{i}].iteration", _int(0), e.get("iteration"))
        for k, x in e.items():
            if k != "iteration":
                _field(f"[{i}].{k}", _number(nan=True, inf=True, none=True), x)


def _switches(v):
    from .optimizers import OPTIMIZERS

    if not isinstance(v, list) or not v:
        raise _Bad("", "expected a non-empty list of [iteration, optimizer]")
    for i, sw in enumerate(v):
        if not isinstance(sw, list) or len(sw) != 2:
            raise _Bad(f"[{i}]", "expected [iteration, optimizer]")
        _field(f"[{i}][0]", _int(0), sw[0])
        _field(f"[{i}][1]", _one_of(*OPTIMIZERS), sw[1])


def _penalties(v):
    from .settings import REGULARIZERS

    if not isinstance(v, dict) or set(v) != set(REGULARIZERS):
        raise _Bad("", f"expected an object with {', '.join(REGULARIZERS)}")
    for k, x in v.items():
        _field(f".{k}", _number(low=0), x)


def _field(name: str, check, value) -> None:
    """Run ``check`` on ``value``; a failure names ``name`` (and any part of it the check names)."""
    try:
        check(value)
    except _Bad as e:
        part, problem = e.args
        raise _Bad(name + part, problem) from None


# Every key of RUN_STATE, with its check; True: required (False: older files may lack it).
RUN_STATE_CHECKS = {
    "iteration": (_int(0), True),
    "limit": (_int(1), True),
    "epoch": (_int(0), True),
    "batch_pos": (_int(0), True),
    "state": (_one_of(*TrainerState), True),
    "best_loss": (_number(inf=True), True),
    "best_iteration": (_int(-1), True),
    "reference_loss": (_number(none=True), True),
    "reference_eval": (_number(none=True), True),
    "last_train_loss": (_number(nan=True, inf=True, none=True), True),
    "improvements": (_int(0), True),
    "accepted_total": (_int(0), True),
    "elapsed": (_number(low=0), True),
    "evaluations": (_evaluations, True),
    "switches": (_switches, True),
    "has_grads": (_bool, True),
    "exploded_for": (_int(0), False),
    "es_best": (_number(inf=True), False),
    "es_best_iteration": (_int(-1), False),
    "es_wait": (_int(0), False),
    "stop_reason": (_text_or_none, False),
    "penalties": (_penalties, False),  # the user's L1/L2, kept while a search optimizer trains
}
_PARAMETER_ARRAYS = ("params", "grads", *ARRAYS, "eval_good", "spike_good", "es_best_params")
_FINITE = ("params", *ARRAYS, "eval_good", "spike_good", "es_best_params")  # weights a run continues from
_SERIES = {"start": ("i", None), "lo": ("f", None), "hi": ("f", None), "last": ("f", None),
           "meta": ("i", (6,)), "pending": ("f", (3,))}
MAX_SERIES_CAPACITY = 1 << 20


def check(ck: Checkpoint) -> None:
    """Check every field of ``ck`` that does not depend on the data: keys, types, ranges, array
    kinds and shapes, finite weights; :func:`check_fits` checks the rest against the rebuilt run."""
    try:
        _check_meta(ck.meta)
        _check_arrays(ck)
    except _Bad as e:
        field, problem = e.args
        raise CheckpointError(f"{ck.path}: damaged checkpoint: {field}: {problem}; "
                              "resume from another checkpoint or start a new run") from None


def _check_meta(meta: dict) -> None:
    from .optimizers import OPTIMIZERS
    from .settings import TRAINING
    from .config import ConfigError, TrainConfig

    config = meta.get("config")
    if not isinstance(config, dict):
        raise _Bad("config", "expected an object with the run's settings")
    layers = config.get("layers", [1])
    if not isinstance(layers, list) or not all(isinstance(w, int) and not isinstance(w, bool) for w in layers):
        raise _Bad("config.layers", f"expected a list of whole numbers, got {layers!r:.40}")
    hp = config.get("hyperparams", {})
    if not isinstance(hp, dict):
        raise _Bad("config.hyperparams", "expected an object")
    for name, setting in TRAINING.items():  # JSON numbers as the settings' own types (seed 1.0 is not a seed)
        value = config.get(name)
        if setting.type is int and value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise _Bad(f"config.{name}", f"expected a whole number, got {value!r:.40}")
    try:
        TrainConfig.from_dict(config).validate()
    except ConfigError as e:
        raise _Bad(f"config.{getattr(e, 'setting', None) or 'settings'}", " ".join(str(e).split())) from None
    except (TypeError, ValueError, AttributeError) as e:
        raise _Bad("config", " ".join(str(e).split())[:200]) from None
    digest = meta.get("data_digest")
    if digest is not None and not (isinstance(digest, str) and len(digest) == 64
                                   and all(c in "0123456789abcdef" for c in digest)):
        raise _Bad("data_digest", "expected a SHA-256 in hex")
    for key, (check, required) in RUN_STATE_CHECKS.items():
        if key in meta:
            _field(key, check, meta[key])
        elif required:
            raise _Bad(key, "missing")
    _field("optimizer", _one_of(*OPTIMIZERS), meta.get("optimizer"))
    hp = meta.get("hyperparams")
    if not isinstance(hp, dict):
        raise _Bad("hyperparams", "expected an object")
    cls = OPTIMIZERS[meta["optimizer"]]
    for k, v in hp.items():
        try:
            cls.spec(k).validate(v)
        except ValueError as e:
            raise _Bad(f"hyperparams.{k}", " ".join(str(e).split())) from None
    state = meta.get("optimizer_state", {})
    if not isinstance(state, dict):
        raise _Bad("optimizer_state", "expected an object")
    fresh = {k: v for k, v in cls().state_dict().items() if not isinstance(v, np.ndarray)}
    for k, v in fresh.items():  # the scalars its optimizer keeps: steps, and a search's losses and counts
        if k not in state:
            raise _Bad(f"optimizer_state.{k}", "missing")
        _field(f"optimizer_state.{k}", _int(0) if isinstance(v, int) else _number(inf=True), state[k])
    for k in state:
        if k not in fresh:
            raise _Bad(f"optimizer_state.{k}", f"not kept by {cls.name}")


def _check_arrays(ck: Checkpoint) -> None:
    z, meta = ck.arrays, ck.meta
    required = ["params", "grads", "rng", *ARRAYS,
                *(f"hist_{name}_{k}" for name in HISTORY for k in _SERIES)]
    for key in required:
        if key not in z:
            raise _Bad(key, "missing")
    kind = meta["optimizer"]
    for key, a in z.items():
        known = (key in required or key in OPTIONAL_ARRAYS
                 or (key.startswith(OPTIMIZER_PREFIX) and _optimizer_array(kind, key[len(OPTIMIZER_PREFIX):])))
        if not known:
            raise _Bad(key, f"not an array a {kind} checkpoint holds")
        if a.dtype.kind not in "iuf":
            raise _Bad(key, f"expected real numbers, got dtype {a.dtype}")
    for key in [*_PARAMETER_ARRAYS, *(k for k in z if k.startswith(OPTIMIZER_PREFIX) and k != "opt_uniform_rng")]:
        if key in z:
            a = z[key]
            if a.dtype.kind != "f" or a.ndim != 1:
                raise _Bad(key, f"expected a flat vector of floats, got {a.dtype} {a.shape}")
            if (key in _FINITE or key == "opt_best_point") and not np.isfinite(a).all():
                raise _Bad(key, f"NaN or infinite value at index {int(np.argmin(np.isfinite(a)))}")
    for key in ("rng", "opt_uniform_rng"):
        if key in z:
            _check_rng(key, z[key])
    if "order" in z and (z["order"].dtype.kind not in "iu" or z["order"].ndim != 1):
        raise _Bad("order", f"expected a flat vector of sample indices, got {z['order'].dtype} {z['order'].shape}")
    for name in HISTORY:
        _check_series(f"hist_{name}", ck.history(name))


def _optimizer_array(kind: str, name: str) -> bool:
    from .optimizers import OPTIMIZERS

    cls = OPTIMIZERS[kind]
    if cls.kind == "gradient":
        return name.startswith("buf_") and name[4:].isidentifier()
    return name == "best_point" or (name == "uniform_rng" and kind == "anneal")


def _check_rng(key: str, a: np.ndarray) -> None:
    if a.dtype != np.uint64 or a.shape != (627,):
        raise _Bad(key, f"expected 627 uint64 values (a random generator's state), got {a.dtype} {a.shape}")
    if (a[:624] >= 2**32).any() or a[624] > 624 or a[625] > 1 or not np.isfinite(a[626:].view(np.float64)).all():
        raise _Bad(key, "not a random generator's state")


def _check_series(key: str, d: dict) -> None:
    for k, (kind, shape) in _SERIES.items():
        a = d[k]
        if a.dtype.kind != kind or a.ndim != 1 or (shape and a.shape != shape):
            raise _Bad(f"{key}_{k}", f"expected {shape or 'a flat vector'} of {'integers' if kind == 'i' else 'floats'}, "
                                     f"got {a.dtype} {a.shape}")
    n = len(d["start"])
    for k in ("lo", "hi", "last"):
        if len(d[k]) != n:
            raise _Bad(f"{key}_{k}", f"expected {n} values like {key}_start, got {len(d[k])}")
    width, count, nxt, capacity, p_n, p_start = (int(v) for v in d["meta"])
    if not (2 <= capacity <= MAX_SERIES_CAPACITY and capacity % 2 == 0 and n <= capacity and width >= 1
            and count >= 0 and nxt >= 0 and 0 <= p_n <= width and p_start >= 0):
        raise _Bad(f"{key}_meta", "inconsistent sizes")


def check_fits(ck: Checkpoint, trainer) -> None:
    """Check the arrays whose sizes follow from the data and the model against the run rebuilt
    from the checkpoint's configuration (``trainer``)."""
    from .optimizers import OPTIMIZERS

    z, meta = ck.arrays, ck.meta
    n, dtype = trainer.net.n_params, trainer.net.params.dtype
    try:
        for key in [*_PARAMETER_ARRAYS, *(k for k in z if k.startswith(OPTIMIZER_PREFIX) and k != "opt_uniform_rng")]:
            if key in z and (z[key].shape != (n,) or z[key].dtype != dtype):
                raise _Bad(key, f"expected {n} {dtype} values for this model, got {z[key].dtype} {z[key].shape}")
        n_train = trainer.n_train
        if "order" in z:
            order = z["order"]
            if order.shape != (n_train,) or not np.array_equal(np.sort(order), np.arange(n_train)):
                raise _Bad("order", f"expected an order of the {n_train} training samples")
        if OPTIMIZERS[meta["optimizer"]].kind == "search":
            steps = 1
        else:
            steps = -(-n_train // trainer.batch_size)
        if meta["batch_pos"] >= steps:
            raise _Bad("batch_pos", f"expected less than {steps} mini-batches per epoch, got {meta['batch_pos']}")
    except _Bad as e:
        field, problem = e.args
        raise CheckpointError(f"{ck.path}: damaged checkpoint: {field}: {problem}; "
                              "resume from another checkpoint or start a new run") from None


def default_path(trainer, optimizer: str | None = None) -> Path:
    """Where a run saves without --checkpoint: the file it was resumed from, else a new file
    named after the data, optimizer (``optimizer``: the one in use now, if the dashboard
    switched) and seed in the working folder (never another run's file)."""
    resumed = getattr(trainer, "resumed_from", None)
    if resumed is not None:
        return Path(resumed)
    c = trainer.config
    name = Path(c.data).stem if c.data else c.dataset
    stem = f"tui-nn-{name}-{optimizer or trainer.optimizer.name}-seed{c.seed}"
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
