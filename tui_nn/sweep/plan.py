"""A sweep's plan: the validated configurations of a grid, each with its own seed.

:func:`plan_sweep` turns grid values (``{"lr": [0.01, 0.001], "epochs": 100, ...}``) into a
:class:`Plan`. Each configuration's ``TrainConfig.seed`` is a hash of the sweep seed and the
configuration itself, and its ``data_seed`` is the sweep seed (or the one given), so every
configuration sees the same data and split, and its result does not depend on where or in
which order it runs.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..trainer import TrainConfig, Trainer
from .grid import DEFAULT_VAL_SPLIT, GRID_KEYS, HYPERPARAMS, METRICS, SweepError, axis, show_value, unknown_key


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
    group: int | None = None  # with --seeds: the grid point this is one seed of (the same for each seed)

    def label(self) -> str:
        return format_params(self.params)


def format_params(params: dict) -> str:
    return " ".join(f"{k}={show_value(v)}" for k, v in params.items()) or "(single configuration)"


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
    total: int  # size of the full grid (before --random), times the seeds
    seeds: tuple[int, ...] | None = None  # --seeds: every grid point runs once per seed

    def __post_init__(self):
        self._by_index = {c.index: c for c in self.configurations}

    def configuration(self, index: int) -> Configuration:
        """The configuration at grid position ``index`` (KeyError if this sweep does not run it)."""
        return self._by_index[index]

    @property
    def varying(self) -> list[str]:
        return [k for k, v in self.axes.items() if len(v) > 1]

    def trainer(self, configuration: Configuration) -> Trainer:
        """A fresh trainer for one configuration (for the dashboard or to rebuild the best)."""
        return Trainer(TrainConfig.from_dict(configuration.config))


MAX_CONFIGURATIONS = 10_000
"""The most configurations one sweep runs (each is validated up front, about a millisecond
apiece). A larger grid needs ``--random N``, which draws N of them without listing the grid."""


def plan_sweep(values: dict[str, Any], *, seed: int = 0, random: int | None = None,
               metric: str = "val_loss", data_seed: int | None = None, seeds=None) -> Plan:
    """Validate grid values and list the configurations (all of them, or ``random`` sampled).
    Every configuration's data and split come from ``data_seed`` (default: ``seed``).

    ``seeds``: run every point of the grid once per seed, with that seed as its training seed
    (``TrainConfig.seed``), so a learner sees how much of a difference is luck; ``random``
    then draws grid points, each run with every seed. Without it, each configuration's seed is
    a hash of the sweep seed and the configuration.

    ``values`` maps grid keys (see ``GRID_KEYS``) to a list of candidates or a single value.
    Keys are expanded in the order given, the last varying fastest. Raises SweepError (a
    ValueError) with a one-line message for anything wrong, before anything runs.
    """
    if metric not in METRICS:
        raise SweepError(f"unknown metric {metric!r}; choose one of {', '.join(METRICS)}", "metric")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise SweepError(f"seed must be an integer in [0, 2**32), got {seed!r}", "seed")
    if random is not None and random < 1:
        raise SweepError(f"random must be at least 1, got {random}", "random")
    axes: dict[str, list] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in GRID_KEYS:
            raise unknown_key(key, "")
        axes[name] = axis(name, value)
    if "layers" in axes and ("nodes" in axes or "depth" in axes):
        raise SweepError("give either layers or nodes/depth, not both")
    if "depth" in axes and "nodes" not in axes:
        raise SweepError("depth needs nodes: give the hidden layer width(s) with nodes")
    if "data" in axes and "dataset" in axes:
        raise SweepError("give either dataset or data, not both")
    axes.setdefault("val_split", [DEFAULT_VAL_SPLIT])
    if 0.0 in axes["val_split"]:
        raise SweepError("val_split must be above 0: a sweep selects the best configuration on validation data",
                         "val_split")

    if seeds is not None:
        seeds = _check_seeds(seeds)
    repeats = len(seeds) if seeds else 1
    sizes = [len(v) for v in axes.values()]
    points = math.prod(sizes)  # counted, never expanded: only the configurations to run are built
    total = points * repeats
    if random is None:
        if total > MAX_CONFIGURATIONS:
            raise SweepError(f"the grid has {total:,} configurations, more than a sweep runs "
                             f"({MAX_CONFIGURATIONS:,}); give fewer values, or draw N of them to "
                             "train with random=N", mentions=("random",))
        indices = range(points)
    else:
        if random * repeats > MAX_CONFIGURATIONS:
            raise SweepError(f"random must be at most {MAX_CONFIGURATIONS // repeats:,}, got {random}"
                             + (f" (a sweep runs at most {MAX_CONFIGURATIONS:,} configurations, {len(seeds)} "
                                "seeds each)" if seeds else ""), "random")
        indices = sorted(_sample(points, random, seed))
    data_seed = seed if data_seed is None else data_seed
    if seeds is None:
        configurations = [_configuration(axes, i, seed, data_seed) for i in indices]
    else:
        configurations = []
        for point in indices:
            c = _configuration(axes, point, seed, data_seed)
            configurations += [Configuration(point * repeats + k, c.params, {**c.config, "seed": s}, s, group=point)
                               for k, s in enumerate(seeds)]
    return Plan(axes, seed, metric, configurations, total, seeds)


def _check_seeds(seeds) -> tuple[int, ...]:
    seeds = tuple(seeds)
    if not seeds:
        raise SweepError("seeds: empty list; give at least one seed", "seeds")
    for s in seeds:
        if not isinstance(s, int) or isinstance(s, bool) or not 0 <= s < 2**32:
            raise SweepError(f"seeds: {s!r} is not an integer in [0, 2**32)", "seeds")
    if len(set(seeds)) != len(seeds):
        raise SweepError("seeds: a seed appears twice; give each seed once", "seeds")
    return seeds


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
        # The setting goes with it: the front end names where the value came from.
        raise SweepError(f"{' '.join(str(e).split())}{where}", getattr(e, "setting", None)) from None
    as_dict = config.to_dict()
    seed = config_seed(sweep_seed, as_dict)
    as_dict["seed"] = seed
    return Configuration(index, params, as_dict, seed)

