"""--seeds (issue 12): every configuration runs once per seed, with that seed as its training seed
and the data from --data-seed, and the final table and the leaderboard show each configuration's
mean and spread over its seeds."""

from __future__ import annotations

import asyncio
import statistics

import pytest
from click.testing import CliRunner
from textual.widgets import DataTable

from tui_nn.cli import main
from tui_nn.sweep import InlineBackend, Sweep, SweepError, over_seeds, plan_sweep, run_configuration
from tui_nn.trainer import TrainConfig
from tui_nn.tui.numbers import num
from tui_nn.tui.sweep_app import SweepApp

GRID = {"dataset": "vertical", "samples": 60, "nodes": 8, "optimizer": "adam", "lr": [0.05, 0.01], "epochs": 20}
SEEDS = [0, 1, 2]


@pytest.fixture(scope="module")
def swept():
    plan = plan_sweep(GRID, seed=7, data_seed=0, seeds=SEEDS)
    return plan, Sweep(plan, InlineBackend()).run()


def test_each_configuration_runs_once_per_seed_as_train_would_with_that_seed(swept):
    plan, results = swept
    assert len(results) == 6 and plan.total == 6
    for r in results:
        c = plan.configuration(r.index)
        assert r.seed == c.seed == SEEDS[r.index % 3] and c.group == r.index // 3
        alone = TrainConfig(dataset="vertical", samples=60, layers=(8,), optimizer="adam",
                            hyperparams={"lr": r.params["lr"]}, epochs=20, val_split=0.2, seed=r.seed, data_seed=0)
        assert run_configuration(alone.to_dict())["summary"]["val_loss"] == r.val_loss


def test_mean_and_spread_over_seeds(swept):
    plan, results = swept
    summaries = over_seeds(results, plan)
    assert [s.params["lr"] for s in summaries] == [0.05, 0.01]  # best mean first
    for s in summaries:
        losses = [r.val_loss for r in results if r.params == s.params]
        assert (s.runs, s.of) == (3, 3)
        assert s.mean["val_loss"] == statistics.fmean(losses) and s.spread["val_loss"] == statistics.stdev(losses)


def test_bad_seeds_are_refused():
    with pytest.raises(SweepError, match="appears twice"):
        plan_sweep(GRID, seeds=[1, 1])
    with pytest.raises(SweepError, match="empty"):
        plan_sweep(GRID, seeds=[])


def test_headless_sweep_prints_mean_and_spread_per_configuration(tmp_path, swept):
    plan, results = swept
    out = tmp_path / "r.csv"
    try:
        runner = CliRunner(mix_stderr=False)  # click < 8.2
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["sweep", "--headless", "--dataset", "vertical", "--samples", "60", "--nodes", "8",
                                  "--optimizer", "adam", "--lr", "0.05,0.01", "--epochs", "20", "--seed", "7",
                                  "--data-seed", "0", "--seeds", "0,1,2", "--jobs", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    table = result.stdout.split("Over 3 seeds (0, 1, 2):\n")[1].split("\n\n")[0].splitlines()
    assert table[0].split() == ["lr", "seeds", "val_loss", "mean", "±", "sd", "val_acc", "mean", "±", "sd",
                                "train_loss", "mean", "±", "sd", "train_acc", "mean", "±", "sd"]
    best = over_seeds(results, plan)[0]
    assert table[1].split()[:6] == ["*", "0.05", "3/3", f"{best.mean['val_loss']:.6g}", "±",
                                    f"{best.spread['val_loss']:.2g}"]
    assert "Error" not in result.stderr


def test_leaderboard_shows_each_rows_seed_and_its_configurations_mean_and_spread(swept):
    asyncio.run(leaderboard(swept))


async def leaderboard(swept):
    plan, _ = swept
    sweep = Sweep(plan, InlineBackend())
    sweep.run()
    app = SweepApp(sweep)
    async with app.run_test(size=(160, 30)) as pilot:
        await pilot.pause()
        table = app.query_one(DataTable)
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[-2:] == ["seed", "val_loss over seeds"]
        summaries = {s.params["lr"]: s for s in over_seeds(sweep.results.values(), plan)}
        for i in range(table.row_count):
            row = [str(cell) for cell in table.get_row_at(i)]
            s = summaries[float(row[2])]
            assert row[-2] == str(plan.configuration(int(row[1])).seed)
            assert row[-1] == f"{num(s.mean['val_loss'], 4)} ± {num(s.spread['val_loss'], 2)} (3/3)"  # the dashboard's one format
