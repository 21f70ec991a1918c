"""The command line: version, help, `summary`, `datasets`, and how bad input is reported."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import tui_nn
from tui_nn import cli
from tui_nn.cli import main

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def run(*args: str):
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()  # click >= 8.2 keeps stderr apart by default
    return runner.invoke(main, list(args), prog_name="tui-nn")


def param_counts(output: str) -> list[int]:
    """The Params column of a summary's dense rows."""
    return [int(line.split()[-1]) for line in output.splitlines() if line.startswith("dense")]


def assert_one_line_error(result, *fragments: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


# --- version and help ------------------------------------------------------------------------


def test_version():
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"tui-nn {tui_nn.__version__}\n"
    assert tui_nn.__version__ == "0.1.0"


def test_help_lists_the_commands():
    result = run("--help")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: tui-nn ")
    commands = result.output.split("Commands:")[1]
    for name in ("summary", "datasets", "sweep", "train"):
        assert re.search(rf"^\s+{name}\s+\S", commands, re.M), f"{name} missing from --help"
    assert "sweep     Train the same network over a grid of hyperparameters" in commands


def test_lazily_loaded_commands_are_listed_with_their_own_first_help_line():
    import importlib

    for name, (module, short_help) in cli.Group.LAZY.items():
        command = getattr(importlib.import_module(module), name)
        assert command.help.strip().splitlines()[0] == short_help


@pytest.mark.parametrize("command", ["summary", "datasets"])
def test_subcommand_help(command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: tui-nn {command} ")


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", "linear"])
def test_every_hidden_activation_offered_builds_a_network(activation):
    result = run("summary", "--inputs", "2", "--outputs", "3", "--activation", activation)
    assert result.exit_code == 0, result.output
    assert f"dense1 (Dense, {activation})" in result.output


# --- summary -----------------------------------------------------------------------------------


def test_summary_from_sizes():
    result = run("summary", "--inputs", "10", "--outputs", "1", "--layers", "64,64")
    assert result.exit_code == 0, result.output
    assert param_counts(result.output) == [704, 4160, 65]
    assert "Total params: 4929" in result.output
    assert "dense3 (Dense, sigmoid)" in result.output and "binary_crossentropy" in result.output


@pytest.mark.parametrize(
    "args, output_activation, loss",
    [
        (["--outputs", "3"], "softmax", "categorical_crossentropy"),
        (["--outputs", "1", "--task", "regression"], "linear", "mean_squared_error"),
    ],
)
def test_summary_output_layer_follows_outputs_and_task(args, output_activation, loss):
    result = run("summary", "--inputs", "2", "--layers", "4", *args)
    assert result.exit_code == 0, result.output
    assert f"dense2 (Dense, {output_activation})" in result.output
    assert loss in result.output


def test_summary_model_options():
    result = run("summary", "--inputs", "2", "--outputs", "3", "--layers", "8,8",
                 "--activation", "tanh", "--dropout", "0.5")
    assert result.exit_code == 0, result.output
    assert param_counts(result.output) == [24, 72, 27]
    assert "dense1 (Dense, tanh)" in result.output
    assert "Dropout 0.5" in result.output


def test_summary_defaults_to_the_vertical_dataset():
    result = run("summary")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("vertical: 300 samples x 2 features, 3 classes")
    assert param_counts(result.output) == [9, 12]  # the book's 2-3-3 model


def test_summary_takes_sizes_from_a_dataset():
    result = run("summary", "--dataset", "iris", "--layers", "8")
    assert result.exit_code == 0, result.output
    assert param_counts(result.output) == [4 * 8 + 8, 8 * 3 + 3]
    assert "dense2 (Dense, softmax)" in result.output


def test_summary_takes_sizes_from_a_file():
    result = run("summary", "--data", str(PROJECT_ROOT / "datasets" / "sine-regression.tsv"))
    assert result.exit_code == 0, result.output
    assert param_counts(result.output) == [1 * 3 + 3, 3 * 1 + 1]
    assert "dense2 (Dense, linear)" in result.output


def test_summary_of_the_magic_file(magic_path):
    result = run("summary", "--data", str(magic_path), "--layers", "64,64")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("magic04.data: 19020 samples x 10 features, 2 classes")
    assert param_counts(result.output) == [704, 4160, 65]
    assert "Total params: 4929" in result.output
    assert "dense3 (Dense, sigmoid)" in result.output


def test_summary_sizes_that_agree_with_the_dataset_are_accepted():
    result = run("summary", "--dataset", "iris", "--inputs", "4", "--outputs", "3")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--dataset", "iris", "--inputs", "3"], "--inputs 3 does not match iris"),
        (["--dataset", "iris", "--outputs", "1"], "--outputs 1 does not match iris"),
        (["--inputs", "3"], "give both --inputs and --outputs"),
    ],
)
def test_summary_rejects_inconsistent_sizes(args, fragment):
    result = run("summary", *args)
    assert result.exit_code == 2
    assert fragment in result.stderr


# --- datasets ----------------------------------------------------------------------------------


def test_datasets_lists_the_registry_and_the_example_files():
    from tui_nn import data

    result = run("datasets")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.output.splitlines() if line.strip()}
    for name, info in data.DATASETS.items():
        assert name in rows, f"{name} not listed"
        assert info.source in rows[name]
    assert re.match(r"vertical\s+300 x 2\s+3 classes\s", rows["vertical"])
    assert re.match(r"sine\s+1000 x 1\s+regression\s", rows["sine"])
    assert re.match(r"iris\s+150 x 4\s+3 classes\s", rows["iris"])

    examples = data.example_files()
    assert examples, "no example files shipped in datasets/"
    for name, path in examples.items():
        assert name in rows, f"example file {name} not listed"
        listed = Path(rows[name].split()[-1])
        assert (listed if listed.is_absolute() else Path.cwd() / listed).resolve() == path.resolve()


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_dataset_names_the_known_ones():
    from tui_nn.data import DATASETS

    line = assert_one_line_error(run("summary", "--dataset", "nosuchset"), "'nosuchset'")
    for name in DATASETS:
        assert name in line


@pytest.mark.parametrize("layers", ["", "64,0", "0,64", "64,-1", "abc", "64,,64", "1.5", "64;64"])
def test_bad_layers(layers):
    result = run("summary", "--inputs", "2", "--outputs", "1", "--layers", layers)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for '--layers'")


def test_layers_0_is_no_hidden_layer():
    result = run("summary", "--inputs", "2", "--outputs", "1", "--layers", "0")
    assert result.exit_code == 0 and "Total params: 3" in result.stdout  # one unit on two inputs


@pytest.mark.parametrize("args", [["--dropout", "1"], ["--activation", "softmax"], ["--samples", "0"]])
def test_bad_option_values(args):
    line = assert_one_line_error(run("summary", *args), "Error: Invalid value for", args[0])
    assert line.endswith("(see 'tui-nn summary --help')")


def test_unknown_option_or_command_is_one_line():
    assert_one_line_error(run("train", "--bogus"), "No such option '--bogus'", "tui-nn train --help")
    assert_one_line_error(run("trian"), "No such command 'trian'", "Did you mean 'train'")
    assert_one_line_error(run("swep"), "No such command 'swep'", "Did you mean 'sweep'")


def test_missing_data_file(tmp_path):
    missing = tmp_path / "missing.csv"
    assert_one_line_error(run("summary", "--data", str(missing)), str(missing))


def test_malformed_data_file(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("x1,x2,label\n1,2,a\n3,oops,b\n")
    assert_one_line_error(run("summary", "--data", str(path)), "line 3", "oops")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--dataset", "iris", "--data", "x.csv"], "either --dataset or --data"),
        (["--data", "x.csv", "--samples", "5"], "--samples applies to built-in datasets"),
        (["--label", "y"], "--label applies to --data files"),
        (["--dataset", "sine", "--task", "classification"], "sine is a regression dataset"),
        (["--dataset", "moons", "--classes", "3"], "moons always has 2 classes"),
    ],
)
def test_conflicting_data_options(args, fragment):
    result = run("summary", *args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert fragment in result.stderr.strip().splitlines()[-1]


def test_value_errors_from_any_command_become_one_line_errors():
    """The mechanism train and sweep rely on: no handling needed in the command itself."""
    from tui_nn.data import DataError

    group = cli.Group("demo")

    @group.command()
    def data():
        raise DataError("data.csv: line 3: bad row; fix it")

    @group.command()
    def model():
        raise ValueError("layer widths must be positive,\ngot 0")

    runner = CliRunner()
    result = runner.invoke(group, ["data"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert "Error: data.csv: line 3: bad row; fix it" in result.output
    result = runner.invoke(group, ["model"])
    assert result.exit_code == 2
    assert "Error: layer widths must be positive, got 0\n" in result.output


def test_other_exceptions_are_not_hidden():
    group = cli.Group("demo")

    @group.command()
    def crash():
        raise KeyError("a bug")

    result = CliRunner().invoke(group, ["crash"])
    assert isinstance(result.exception, KeyError)


# --- train opens the dashboard --------------------------------------------------------------------


@pytest.fixture
def dashboard_launches(monkeypatch):
    """Pretend to be in a terminal and record how ``train`` builds the dashboard."""
    import tui_nn.tui.app as app_module

    launches = []

    class FakeApp:
        exit_status = 0
        return_code = 0
        outcome = None  # how it ended: nothing to summarise

        def run(self):
            pass

    def fake_create_app(trainer, **kwargs):
        launches.append((trainer, kwargs))
        return FakeApp()

    monkeypatch.setattr(cli, "_is_terminal", lambda: True)
    monkeypatch.setattr(app_module, "create_app", fake_create_app)
    return launches


def test_train_opens_the_dashboard_at_the_watchable_default_speed(dashboard_launches):
    assert run("train").exit_code == 0
    [(trainer, kwargs)] = dashboard_launches
    assert trainer.config.optimizer == "hill-climb" and trainer.config.dataset == "vertical"
    assert kwargs.get("paused") is False
    # create_app's default is the watchable speed (tests/test_tui.py pins it); not full speed.
    assert "speed" not in kwargs


@pytest.mark.parametrize("args, speed, paused", [
    (["--speed", "40"], 40.0, False),
    (["--speed", "max", "--paused"], None, True),
    (["--speed", "2.5"], 2.5, False),
])
def test_train_speed_and_paused_reach_the_dashboard(dashboard_launches, args, speed, paused):
    assert run("train", *args).exit_code == 0
    [(_, kwargs)] = dashboard_launches
    assert kwargs["speed"] == speed and kwargs["paused"] is paused


@pytest.mark.parametrize("value", ["0", "-5", "fast", "inf", "nan"])
def test_train_bad_speed(dashboard_launches, value):
    line = assert_one_line_error(run("train", "--speed", value), "--speed", "max for full speed")
    assert value in line
    assert not dashboard_launches


# --- real processes ----------------------------------------------------------------------------


def test_installed_script_runs():
    script = Path(sys.executable).parent / "tui-nn"
    if not script.exists():
        pytest.skip(f"tui-nn is not installed next to {sys.executable}")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Usage: tui-nn ")
    assert "summary" in proc.stdout and "datasets" in proc.stdout


def test_python_dash_m():
    proc = subprocess.run([sys.executable, "-m", "tui_nn", "--version"], capture_output=True,
                          text=True, cwd=PROJECT_ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == f"tui-nn {tui_nn.__version__}\n"


def test_help_and_version_import_no_heavy_modules():
    """--help, --version and every command's --help stay fast: no NumPy, scikit-learn, Textual."""
    code = """
import json, sys
from tui_nn.cli import main
import click
names = main.list_commands(click.Context(main))
main(["--help"], prog_name="tui-nn", standalone_mode=False)
top_level = sorted(sys.modules)  # after the top-level --help alone
invocations = [["--help"], ["--version"]] + [[name, "--help"] for name in names]
for args in invocations:
    try:
        main(args, prog_name="tui-nn")
    except SystemExit as exit:
        assert exit.code == 0, (args, exit.code)
print(json.dumps({"commands": names, "modules": sorted(sys.modules), "top_level": top_level}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=PROJECT_ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["commands"] == ["datasets", "race", "replay", "summary", "sweep", "train"]
    loaded = {name.split(".")[0] for name in report["modules"]}
    assert "click" in loaded  # the check ran in a process that did load the CLI
    assert not loaded & {"numpy", "sklearn", "textual", "textual_plotext", "plotext"}
    # `tui-nn --help` lists sweep without building its options (it loads on first use)
    assert "tui_nn.cli.sweep" not in report["top_level"] and "tui_nn.cli.sweep" in report["modules"]
