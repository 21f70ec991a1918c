"""Early stopping as Keras's EarlyStopping(monitor, patience, min_delta, restore_best_weights):
a run whose validation loss rises stops after exactly `patience` evaluations, restores the best
weights bit for bit, says why, and continues bit-identically from a checkpoint."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from tui_nn import events as ev
from tui_nn.cli import main
from tui_nn.trainer import Trainer, TrainConfig

# The spiral with a third held out and a wide layer: the validation loss bottoms out near
# iteration 1150 and rises after it (the network learns the training points by heart).
OVERFITS = dict(dataset="spiral", val_split=0.3, optimizer="adam", layers=(64,), hyperparams={"lr": 0.05},
                iterations=3000, eval_every=50)


def evaluations(t: Trainer) -> list[ev.Evaluation]:
    return [e for e in t.events() if isinstance(e, ev.Evaluation)]


def keras_stop(values: list[float], patience: int, min_delta: float = 0.0):
    """Where Keras's rule stops on these monitored values (lower is better): (index of the best, of the stop)."""
    best, best_at, wait = np.inf, -1, 0
    for i, v in enumerate(values):
        if v + min_delta < best:
            best, best_at, wait = v, i, 0
        else:
            wait += 1
            if wait >= patience:
                return best_at, i
    return best_at, None


@pytest.fixture(scope="module")
def free_run():
    """The run without early stopping: every scheduled evaluation's iteration and validation loss."""
    evs = evaluations(Trainer(TrainConfig(**OVERFITS)))[1:]  # the first is of the initial weights: not counted
    return [e.iteration for e in evs], [e.val_loss for e in evs]


@pytest.mark.parametrize("patience", [1, 4])
def test_a_rising_validation_loss_stops_after_exactly_patience_evaluations_with_the_best_weights(free_run, patience):
    iterations, val_losses = free_run
    best_at, stop_at = keras_stop(val_losses, patience)
    assert stop_at == best_at + patience  # the loss rose at each of the `patience` evaluations after the best
    assert all(v > val_losses[best_at] for v in val_losses[best_at + 1:stop_at + 1])
    t = Trainer(TrainConfig(**OVERFITS, patience=patience, restore_best=True))
    evs = evaluations(t)
    assert t.iteration == iterations[stop_at] < OVERFITS["iterations"] and t.state == "finished"
    reference = Trainer(TrainConfig(**OVERFITS))
    reference.advance(iterations[best_at])
    np.testing.assert_array_equal(t.net.params, reference.net.params)  # the best evaluation's weights
    assert evs[-1].val_loss == val_losses[best_at]  # evaluated again after the restore
    plural = "s" * (patience > 1)
    assert t.stop_reason == (f"early stopping: val_loss did not improve for {patience} evaluation{plural} "
                             f"(best {val_losses[best_at]:.7g} at iteration {iterations[best_at]}, its weights restored)")
    assert t.summary()["stop_reason"] == t.stop_reason


def test_without_restore_best_the_last_weights_stay_and_min_delta_stops_sooner(free_run):
    iterations, val_losses = free_run
    t = Trainer(TrainConfig(**OVERFITS, patience=3))
    t.run()
    _, stop_at = keras_stop(val_losses, 3)
    reference = Trainer(TrainConfig(**OVERFITS))
    reference.advance(iterations[stop_at])
    np.testing.assert_array_equal(t.net.params, reference.net.params)
    delta = Trainer(TrainConfig(**OVERFITS, patience=3, min_delta=0.05))
    delta.run()
    _, delta_stop = keras_stop(val_losses, 3, 0.05)
    assert delta.iteration == iterations[delta_stop] < t.iteration
    assert "by more than 0.05" in delta.stop_reason


def test_restore_best_alone_keeps_the_best_validation_model_to_the_end(free_run):
    iterations, val_losses = free_run
    config = {**OVERFITS, "iterations": 1500}
    t = Trainer(TrainConfig(**config, restore_best=True))
    t.run()
    assert t.iteration == 1500 and t.stop_reason is None
    best_at = int(np.argmin(val_losses[:1500 // 50]))
    reference = Trainer(TrainConfig(**OVERFITS))
    reference.advance(iterations[best_at])
    np.testing.assert_array_equal(t.net.params, reference.net.params)


def test_monitor_loss_and_val_accuracy():
    t = Trainer(TrainConfig(**OVERFITS, patience=2, monitor="val_accuracy"))
    t.run()
    assert t.stop_reason.startswith("early stopping: val_accuracy did not improve for 2 evaluations")
    loss = Trainer(TrainConfig(**{**OVERFITS, "val_split": 0.0, "iterations": 200}, patience=2, monitor="loss"))
    loss.run()
    assert loss.stop_reason is None  # the training loss keeps falling


def test_a_checkpoint_while_waiting_continues_bit_for_bit(tmp_path, free_run):
    iterations, val_losses = free_run
    best_at, stop_at = keras_stop(val_losses, 4)
    whole = Trainer(TrainConfig(**OVERFITS, patience=4, restore_best=True))
    whole.run()
    half = Trainer(TrainConfig(**OVERFITS, patience=4, restore_best=True))
    half.advance(iterations[best_at + 2])  # two evaluations into the wait
    assert half.es_wait == 2
    half.save_checkpoint(tmp_path / "c.npz")
    resumed = Trainer.from_checkpoint(tmp_path / "c.npz")
    assert resumed.es_wait == 2 and resumed.es_best_iteration == iterations[best_at]
    resumed.run()
    assert resumed.iteration == whole.iteration == iterations[stop_at]
    np.testing.assert_array_equal(resumed.net.params, whole.net.params)
    assert resumed.stop_reason == whole.stop_reason


def test_extending_a_stopped_run_starts_the_patience_afresh():
    t = Trainer(TrainConfig(**OVERFITS, patience=2))
    t.run()
    stopped = t.iteration
    t.extend(100)
    assert t.state == "running" and t.stop_reason is None
    t.run()
    assert t.iteration > stopped


def test_command_line(free_run):
    iterations, val_losses = free_run
    runner = CliRunner()
    args = ["train", "--headless", "--dataset", "spiral", "--val-split", "0.3", "--optimizer", "adam", "--lr", "0.05",
            "--layers", "64", "--iterations", "3000", "--eval-every", "50"]
    out = runner.invoke(main, [*args, "--patience", "4", "--restore-best", "--monitor", "val_loss",
                               "--min-delta", "0"], catch_exceptions=False).output
    best_at, stop_at = keras_stop(val_losses, 4)
    assert f"Finished: {iterations[stop_at]:,} iterations" in out
    assert "  stopped by early stopping: val_loss did not improve for 4 evaluations" in out
    for bad, word in ((["--patience", "0"], "--patience"), (["--min-delta", "-1"], "--min-delta"),
                      (["--monitor", "acc"], "--monitor")):
        result = runner.invoke(main, [*args, *bad])
        assert result.exit_code == 2 and word in result.output and len(result.output.strip().splitlines()) == 1
    no_val = runner.invoke(main, ["train", "--headless", "--optimizer", "adam", "--patience", "3"])
    assert no_val.exit_code == 2
    assert no_val.output.strip() == ("Error: --monitor val_loss needs validation data: give --val-split (e.g. 0.2) "
                                     "or --monitor loss")


def test_each_sweep_configuration_stops_on_its_own_and_the_results_show_the_epoch(tmp_path, free_run):
    import csv

    iterations, val_losses = free_run
    _, stop_at = keras_stop(val_losses, 4)
    out = tmp_path / "results.csv"
    result = CliRunner().invoke(main, [
        "sweep", "--dataset", "spiral", "--optimizer", "adam", "--lr", "0.05", "--nodes", "64", "--iterations", "3000",
        "--val-split", "0.3", "--param", "eval_every=50", "--param", "patience=4,1000", "--jobs", "1",
        "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open()))
    epochs = {int(r["patience"]): float(r["epochs"]) for r in rows}
    # the sweep's own split of the data (its seed): the patient one runs to the end, the other stops
    assert epochs[1000] == 3000 and epochs[4] < 3000
