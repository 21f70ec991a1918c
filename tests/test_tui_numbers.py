"""One number format for the whole dashboard (issue 13, defect 6): every panel, title, log line
and the status bar print numbers through ``tui_nn/tui/numbers.py``; none formats on its own."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

import tui_nn.tui
from tui_nn import events as ev
from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.numbers import cell, epochs, exact, num, percent, speed
from tui_nn.tui.state import RunView
from tui_nn.tui.widgets.optimizer_panel import OptimizerPanel

TUI = Path(tui_nn.tui.__file__).parent


def formatting_of_its_own(path: Path) -> list[str]:
    """Every place in ``path`` that turns a number into text by itself: an f-string or
    ``format`` spec (``{x:.4g}``, ``{n:,}``, ``{r:.1%}``), ``str.format`` or ``%`` formatting."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            found.append(f"{path.name}:{node.lineno}: {{{ast.unparse(node.value)}:{ast.unparse(node.format_spec)}}}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "format"
              and len(node.args) > 1):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format" \
                and isinstance(node.func.value, ast.Constant):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
        elif (isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant)
              and isinstance(node.left.value, str)):
            found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_of_the_dashboard_formats_a_number_itself():
    modules = [p for p in TUI.rglob("*.py") if p.name != "numbers.py"]
    assert len(modules) > 10
    found = [line for p in sorted(modules) for line in formatting_of_its_own(p)]
    assert not found, "format numbers with tui_nn/tui/numbers.py:\n" + "\n".join(found)


def test_the_check_sees_a_panel_formatting_on_its_own(tmp_path):
    panel = tmp_path / "panel.py"
    panel.write_text('a = f"lr {lr:.4g}"\nb = f"{n:,} points"\nc = "%.2f" % x\nd = "{:.1%}".format(r)\n'
                     'e = format(x, ".3g")\nf = f"{name} {count(n)}"\n')
    assert len(formatting_of_its_own(panel)) == 5


def test_the_formats():
    assert num(7.285e-05) == "0.00007285" and num(58_670.0) == "58,670" and num(-0.00001, 2) == "-0.000010"
    assert num(-1e-14) == "0.000000000000"  # beyond twelve decimals: zero, never a negative zero
    assert exact(0.78125) == "0.78125" and exact(1e-7) == "0.0000001" and exact(2.0) == "2"
    assert percent(1166 / 6180) == "18.9%"
    assert speed(1.25) == "1.25/s" and speed(81_920) == "81,920/s" and speed(None) == "max"
    assert cell(-0.001) == " 0.00" and cell(0.5) == " 0.50" and len(cell(-1e9)) <= 6
    assert epochs(40.0) == "40" and epochs(12_000) == "12,000" and epochs(3.4) == "3.400"


def small_view(**overrides) -> tuple[Trainer, RunView]:
    t = Trainer(TrainConfig(**{"samples": 30, "iterations": 300, "seed": 0, **overrides}))
    return t, RunView(t.started())


def test_log_lines_use_the_one_format():
    """Counts with separators, losses with seven significant digits, settings as typed, never an
    exponent (the log once printed losses .7f, accuracies .4g and settings :g)."""
    t, view = small_view(optimizer="sgd", hyperparams={"lr": 1e-5}, iterations=20_000, samples=400)
    view.apply(t.start_events())
    view.apply(t.advance(1500))
    view.apply(t.set_hyperparam("lr", 0.00002))
    text = "\n".join(line.text for line in view.take_log())
    assert "(1,200 samples)" in text, text
    assert "lr=0.00001" in text and "lr: 0.00001 → 0.00002" in text, text
    assert "e-0" not in text and "e+0" not in text, text
    best = [line for line in text.splitlines() if line.startswith("New best loss")]
    assert best and all(len(line.split("loss: ")[1].split()[0].strip("0.").replace(".", "")) <= 7 for line in best)


def test_the_optimizer_panel_shows_rates_and_counts_in_the_one_format():
    view = small_view(optimizer="anneal")[1]
    view.stats = {"tried": 6180, "accepted": 1166, "acceptance_rate": 1166 / 6180, "temperature": 0.000012346}
    view.optimizer_kind = "search"
    assert str(OptimizerPanel._stats_text(view)) == "accepted 1,166/6,180 (18.9%)  T 0.00001235"
    view.stats["temperature"] = 0.000001  # anneal at its floor: no zeros that suggest a precision it has not
    assert str(OptimizerPanel._stats_text(view)).endswith("T 0.000001")
    view.stats["temperature"] = 0.000012346
    view.optimizer_kind, view.lr = "gradient", 0.78125
    assert str(OptimizerPanel._stats_text(view)) == "lr now 0.7812"
    view.lr = 0.001  # a learning rate as set reads as it was typed, not "0.001000"
    assert str(OptimizerPanel._stats_text(view)) == "lr now 0.001"
    view.lr = 0.5 / (1 + 0.001 * 3)  # decayed: four significant digits
    assert str(OptimizerPanel._stats_text(view)) == "lr now 0.4985"
    assert np.isfinite(view.lr)
