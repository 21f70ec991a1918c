"""What a sweep is given: its options' defaults, the grid keys and how their values are read,
and grid files (TOML or JSON).

The grid keys come from the settings table (tui_nn.settings): every training setting but the
seeds (the sweep sets those), every optimizer hyperparameter, and ``nodes``/``depth``, which
build ``layers``.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from pathlib import Path
from typing import Any

from ..settings import HYPERPARAMETERS, TRAINING, SettingError, parse_layers


class SweepError(SettingError):
    """A bad grid, option or results file; ``str(err)`` is one line naming it and the fix. As
    every core error it names parameters as the Python API spells them (``random``, ``out``);
    ``setting`` and ``mentions`` say which, so the command line can show its options instead."""


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
    if key == "layers":  # one candidate architecture: 64, "64,64", [64, 64], or 0 (no hidden layer)
        try:
            return parse_layers(value)
        except SettingError as e:
            raise SweepError(str(e), "layers") from None
    if isinstance(value, (dict, list)):
        raise bad("a single value")
    return str(value)


def axis(key: str, value) -> list:
    """The candidate values of one grid key: a list stays a list, a single value is one candidate."""
    values = list(value) if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise SweepError(f"{key}: empty list; give at least one value")
    out = [_coerce(key, v) for v in values]
    seen = set()
    for v in out:
        if v in seen:
            raise SweepError(f"{key}: {show_value(v)} appears twice; give each value once")
        seen.add(v)
    return out


_SYNONYMS = {"learning_rate": "lr", "learningrate": "lr", "lr_decay": "decay", "batch": "batch_size",
             "batchsize": "batch_size", "hidden": "nodes", "units": "nodes", "width": "nodes", "neurons": "nodes",
             "n_layers": "depth", "num_layers": "depth", "hidden_layers": "layers", "epoch": "epochs"}


def unknown_key(key: str, where: str) -> SweepError:
    close = [_SYNONYMS[key.lower()]] if key.lower() in _SYNONYMS else difflib.get_close_matches(
        key, GRID_KEYS, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return SweepError(f"{where}unknown option {key!r}; {hint}known: {', '.join(GRID_KEYS)}")


def load_grid_file(path) -> dict[str, Any]:
    """Read a grid file: TOML (``.toml``) or JSON (anything else), one key per option.

    A list gives the candidates of an option, a single value fixes it. Optimizer
    hyperparameters may also sit in a ``[hyperparams]`` table. ``seed`` is the sweep seed,
    ``seeds`` a list of training seeds to repeat every configuration over (``--seeds``).
    """
    path = Path(path)
    from ..atomic import open_regular

    try:
        with open_regular(path) as f:  # a named pipe or a device is refused, never waited on
            data = f.read()
    except OSError as e:
        raise SweepError(f"grid file {path}: {e.strerror or e}; give a readable TOML or JSON file") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise SweepError(f"grid file {path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from None
    try:
        if path.suffix.lower() == ".toml":
            raw = tomllib.loads(text)
        else:
            raw = json.loads(text)
    except RecursionError:  # hostile nesting: the parser stops at the interpreter's depth limit
        raise SweepError(f"grid file {path}: nested too deeply; give one list of values per option") from None
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
                    raise unknown_key(hkey, f"grid file {path}: ")
                values[hname] = hvalue
            continue
        if name not in ("seed", "seeds") and name not in GRID_KEYS:
            raise unknown_key(key, f"grid file {path}: ")
        values[name] = value
    for name, value in values.items():
        if name not in ("seed", "seeds"):
            try:
                axis(name, value)  # a bad value is reported with the file's name
            except SweepError as e:
                raise SweepError(f"grid file {path}: {e}") from None
    return values


def show_value(value) -> str:
    """A grid value as the CSV and the tables show it."""
    if isinstance(value, tuple):  # layers; () is no hidden layer, as --layers 0 says it
        return ",".join(map(str, value)) or "0"
    if isinstance(value, float):
        return repr(value)
    return str(value)

