"""The one settings table (tui_nn/settings.py) and everything derived from it: TrainConfig's
fields and validation, the optimizers' hyperparameters, the command line's options and the
sweep's grid keys all take a setting's name, range and default from the table, so a value just
outside a range is refused by each of them alike, and one just inside is taken."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from click.testing import CliRunner

from tui_nn import settings
from tui_nn.cli import main
from tui_nn.optimizers import OPTIMIZERS
from tui_nn.trainer import ConfigError, TrainConfig


def test_trainconfig_is_the_table():
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    assert set(fields) == set(settings.TRAINING) | {"hyperparams"}
    config = TrainConfig()
    for name, setting in settings.TRAINING.items():
        assert getattr(config, name) == setting.default, name
        assert setting.help


def test_the_optimizers_take_their_hyperparameters_from_the_table():
    assert tuple(OPTIMIZERS) == settings.OPTIMIZER_NAMES
    for name, cls in OPTIMIZERS.items():
        assert cls.hyper == settings.OPTIMIZERS[name].hyper
        assert cls.kind == settings.OPTIMIZERS[name].kind
        for h in cls.hyper:
            assert h.validate(h.default) == h.default


def test_the_table_imports_no_numpy():
    code = "import sys, tui_nn.settings; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def _edges():
    """(setting name, hyperparameter?, value, accepted) just at and beyond every bound."""
    cases = []

    def edges(s, hyper):
        step = 1 if s.type is int else 1e-9
        for bound, is_open, outward in ((s.low, s.low_open, -1), (s.high, s.high_open, +1)):
            if bound is None:
                continue
            cases.append((s.name, hyper, bound, not is_open))
            cases.append((s.name, hyper, bound + outward * step, False))
            cases.append((s.name, hyper, bound - outward * (step if s.type is int else 1e-6), True))

    for s in settings.TRAINING.values():
        edges(s, False)
    for name in settings.HYPERPARAMETERS:
        opt = settings.hyper_users(name)[0]
        edges(next(h for h in settings.OPTIMIZERS[opt].hyper if h.name == name), opt)
    return cases


def _config(name, hyper, value) -> TrainConfig:
    if hyper:
        return TrainConfig(optimizer=hyper, hyperparams={name: value})
    extra = {"val_split": 0.0} if name == "test_split" else {}  # the two must leave training data
    return TrainConfig(**{name: value, **extra})


@pytest.mark.parametrize("name, hyper, value, accepted", _edges())
def test_every_bound_is_where_the_table_says(name, hyper, value, accepted):
    """TrainConfig and the command line agree with the table at every end of every range,
    open or closed (rho may not reach 1; momentum may)."""
    try:
        _config(name, hyper, value).validate()
        core_ok = True
    except ConfigError as e:
        core_ok = False
        assert e.setting == name and str(e).startswith(name + " must be")
    assert core_ok == accepted

    value_text = str(value) if isinstance(value, int) else repr(float(value))
    args = ["train", "--headless", settings.flag(name), value_text]
    args += ["--optimizer", hyper] if hyper else []
    args += ["--val-split", "0"] if name == "test_split" else []
    args += [] if name in ("iterations", "epochs") else ["--iterations", "1"]
    result = CliRunner().invoke(main, args)
    if accepted:  # (it may still fail for another reason: a split that leaves no training data)
        assert "must be" not in result.output and "range" not in result.output, result.output
    else:
        assert result.exit_code == 2, result.output
        assert settings.flag(name) in result.output


def test_core_errors_name_the_setting_and_the_cli_names_the_option():
    with pytest.raises(ConfigError, match=r"^seed must be in \[0, 2\*\*32\), got -1$"):
        TrainConfig(seed=-1).validate()
    result = CliRunner().invoke(main, ["train", "--headless", "--optimizer", "adam", "--lr", "-1"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == "Error: --lr must be in (0, 1e+06], got -1"
    result = CliRunner().invoke(main, ["train", "--headless", "--val-split", "0.6", "--test-split", "0.5"])
    assert "Error: --val-split plus --test-split must leave some training data" in result.output


def test_help_lists_every_setting_with_its_range():
    text = CliRunner().invoke(main, ["train", "--help"], terminal_width=200).output
    for name in [*settings.TRAINING, *settings.HYPERPARAMETERS]:
        assert settings.flag("data" if name == "data" else name) + " " in text, name
    assert "Cache decay rate (rmsprop); [0, 1) [default: 0.9]." in text


def test_every_training_setting_and_hyperparameter_is_a_grid_key():
    from tui_nn.sweep import GRID_KEYS

    assert set(GRID_KEYS) == (set(settings.TRAINING) - {"seed", "data_seed"}) | {"nodes", "depth"} | set(
        settings.HYPERPARAMETERS)


def _raised_texts(path):
    """The string pieces of every ``raise`` in a module's source."""
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Raise) and node.exc is not None:
            for part in ast.walk(node.exc):
                if isinstance(part, ast.Constant) and isinstance(part.value, str):
                    yield node.lineno, part.value


def test_no_core_error_names_a_command_line_option():
    """The core (everything but tui_nn/cli and tui_nn/tui) raises errors that name settings and
    parameters as the Python API spells them (``layers``, ``out``); only the CLI says ``--layers``."""
    import re
    from pathlib import Path

    import tui_nn

    root = Path(tui_nn.__file__).parent
    found = [f"{path.relative_to(root)}:{line}: {text!r}"
             for path in sorted(root.rglob("*.py")) if path.relative_to(root).parts[0] not in ("cli", "tui")
             for line, text in _raised_texts(path) if re.search(r"(?<![\w-])--[a-z]", text)]
    assert not found, "\n".join(found)


def test_sweep_and_model_errors_name_parameters_and_the_cli_names_options(tmp_path, monkeypatch):
    import importlib.util

    from tui_nn.network import Network
    from tui_nn.sweep import SweepError, make_backend, plan_sweep

    grid = {"dataset": "vertical", "nodes": [4]}
    cases = [  # (Python API call, its message, the command line's arguments, its message)
        (lambda: plan_sweep(grid, random=10_001), "random must be at most 10,000, got 10001",
         ["sweep", "--nodes", "4", "--random", "10001"], "--random must be at most 10,000, got 10001"),
        (lambda: plan_sweep(grid, seeds=[1, 1]), "seeds: a seed appears twice; give each seed once",
         ["sweep", "--nodes", "4", "--seeds", "1,1"], "--seeds: a seed appears twice; give each seed once"),
        (lambda: make_backend("tcp://127.0.0.1:1", 1, 0), "scheduler tcp://127.0.0.1:1: Dask is not installed",
         ["sweep", "--nodes", "4", "--scheduler", "tcp://127.0.0.1:1"],
         "--scheduler tcp://127.0.0.1:1: Dask is not installed"),
        (lambda: Network(2, (99_999_999_999,), 3), "layers too large: a 2-99999999999-3 network",
         ["train", "--headless", "--dataset", "vertical", "--layers", "99999999999"],
         "--layers too large: a 2-99999999999-3 network"),
    ]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "distributed" else real(name, *a))
    monkeypatch.chdir(tmp_path)
    for call, core, args, cli in cases:
        with pytest.raises(ValueError) as e:
            call()
        assert str(e.value).startswith(core) and "--" not in str(e.value), str(e.value)
        result = CliRunner().invoke(main, [*args, "--headless"] if args[0] == "sweep" else args)
        line = result.output.strip().splitlines()[-1]
        assert result.exit_code == 2 and line.startswith("Error: " + cli), result.output
    assert not list(tmp_path.iterdir())  # nothing written by a refused command
    assert issubclass(SweepError, ValueError)
