"""The dashboard's model (RunView), fed with real trainer events, without any UI."""

from __future__ import annotations

import numpy as np

from tui_nn import events as ev
from tui_nn.trainer import TrainConfig, Trainer
from tui_nn.tui.numbers import num
from tui_nn.tui.state import MAX_LOG_LINES_PER_FLUSH, RunView


def fed(config: TrainConfig, chunks, paused: bool = True):
    trainer = Trainer(config)
    view = RunView(trainer.started(), paused=paused)
    view.apply(trainer.start_events())
    for n in chunks:
        view.apply(trainer.advance(n))
    return trainer, view


def test_every_loss_value_reaches_the_chart_series_whatever_the_chunking():
    trainer, view = fed(TrainConfig(samples=30, iterations=5000), [1, 7, 300, 1, 2048, 2643])
    assert view.losses.count == trainer.losses.count == 5000
    for mine, theirs in zip(view.losses.arrays(), trainer.losses.arrays()):
        assert np.array_equal(mine, theirs)


def test_book_run_log_ends_with_the_books_last_new_best_line():
    trainer, view = fed(TrainConfig(), [10_000])  # the book's chapter-6 run, in one chunk
    lines = [line.text for line in view.take_log()]
    assert lines[0].startswith("Training on vertical (300 samples): a 2→3→3 network (21 parameters), hill-climb")
    best = [line for line in lines if line.startswith("New set of weights found")]
    assert len(best) == MAX_LOG_LINES_PER_FLUSH  # the rest summarised, not flooding the log
    assert f"… {243 - MAX_LOG_LINES_PER_FLUSH} more new bests, not listed" in lines
    assert best[-1] == "New set of weights found, iteration: 9,397 loss: 0.1727971 acc: 0.9300"  # the one format
    assert lines[-1].startswith("Finished after iteration 9,999: best loss 0.1727971 at iteration 9,397")
    assert view.state == "finished" and view.take_log() == []


def test_search_statistics_are_exact_between_evaluations():
    trainer, view = fed(TrainConfig(samples=30, iterations=1000), [37, 250, 113])
    s = trainer.optimizer.stats()
    assert (view.stats["tried"], view.stats["accepted"]) == (s["tried"], s["accepted"]) == (400, s["accepted"])
    assert view.train_loss == trainer.optimizer.current_loss  # the current weights' loss, not a stale one
    view.apply(trainer.switch_optimizer("anneal"))
    view.apply(trainer.advance(10))
    assert view.stats["tried"] == 10 and "temperature" in view.stats


def test_weight_names_follow_the_book_layout():
    trainer, view = fed(TrainConfig(samples=10), [])
    assert view.weight_name(0) == "dense1 w[x1→h1]"
    assert view.weight_name(1 * 3 + 2) == "dense1 w[x2→h3]"
    assert view.weight_name(6) == "dense1 bias[h1]"
    assert view.weight_name(9 + 2 * 3 + 1) == "dense2 w[h3→o2]"
    assert view.weight_name(20) == "dense2 bias[o3]"


def test_lifecycle_states():
    trainer, view = fed(TrainConfig(samples=10, iterations=50), [50], paused=False)
    assert view.state == "finished" and view.paused
    view.apply(trainer.extend(50))
    assert view.limit == trainer.limit == 100
    view.apply(trainer.reset())  # the session was not paused: training starts again
    assert view.state == "running" and view.iteration == 0 and view.losses.count == 0
    assert view.limit == trainer.limit == 50
    view.apply([ev.Diverged(3, float("nan"), "loss is not a number"), ev.Paused(3)])
    assert view.state == "diverged"  # a pause after divergence does not hide it
    view.apply([ev.Resumed(3)])
    assert view.state == "running"
    view.apply([ev.Failed(3, "bad value", "")])
    assert view.state == "running" and view.take_log()[-1].text == "Refused: bad value"
    view.apply([ev.Failed(3, "RuntimeError: boom", "Traceback ...")])
    assert view.state == "failed" and "boom" in view.take_log()[-1].text


def test_a_restored_run_keeps_its_history():
    trainer = Trainer(TrainConfig(samples=30, iterations=1000))
    trainer.advance(400)
    view = RunView(trainer.started(), paused=True)
    view.apply(trainer.start_events())
    assert view.losses.count == 400 and view.iteration == 400
    assert any(line.text.startswith("Continuing at iteration 400") for line in view.take_log())


def test_reset_restores_the_configured_length_in_epochs():
    trainer, view = fed(TrainConfig(samples=30, optimizer="sgd", epochs=3, batch_size=16), [5])
    view.apply(trainer.extend(10))
    view.apply(trainer.reset())
    assert view.limit == trainer.limit == 3 * 6  # 90 samples in batches of 16


def test_at_slow_speeds_every_candidate_is_logged_and_at_full_speed_only_new_bests():
    slow = RunView(Trainer(TrainConfig(samples=30)).started(), paused=False, speed=1.25)
    fast_trainer = Trainer(TrainConfig(samples=30))
    fast = RunView(fast_trainer.started(), paused=False, speed=None)
    slow_trainer = Trainer(TrainConfig(samples=30))
    slow.apply(slow_trainer.start_events())
    fast.apply(fast_trainer.start_events())
    for _ in range(6):
        slow.apply(slow_trainer.advance(1))
    fast.apply(fast_trainer.advance(6))
    slow_lines = [line.text for line in slow.take_log()][1:]
    fast_lines = [line.text for line in fast.take_log()][1:]
    assert len(slow_lines) == 6  # one per iteration: accepted (a new best) or rejected, with the reason
    for n, text in enumerate(slow_lines):
        assert (text.startswith("New set of weights found, iteration: " + str(n))
                or text.startswith(f"iteration {n}: candidate rejected, loss "))
    assert any("rejected" in t and "≥ best" in t for t in slow_lines)
    assert fast_lines == [t for t in slow_lines if t.startswith("New set")]  # same run, bests only


def test_optimizer_names_on_the_loss_chart_neither_overlap_nor_run_off_its_edge():
    from tui_nn.tui.widgets.chart import place_switch_labels

    columns = 48
    switches = [(20_886, "anneal"), (35_755, "sgd"), (36_000, "adam"), (149_000, "rmsprop")]
    placed = place_switch_labels(switches, 150_000, columns, rows=7, legend_rows=3)
    spans = {}
    for at, name, column, row, align in placed:
        assert row is not None
        start = column + 1 if align == "left" else column - len(name)  # a column apart from its marker
        assert 0 <= start and start + len(name) <= columns  # within the chart
        if row < 3:
            assert start >= 10  # clear of the legend, top left
        for other in spans.get(row, []):
            assert start + len(name) < other[0] or other[1] < start  # a space at least between names
        spans.setdefault(row, []).append((start, start + len(name)))
    assert placed[-1][4] == "right"  # near the right edge: written to the left of its marker


def test_a_new_best_line_pairs_the_best_loss_with_the_accuracy_of_the_same_weights():
    # full batch: the best is a step's loss; the line gives that step's iteration and accuracy
    trainer, view = fed(TrainConfig(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1.0},
                                    iterations=300), [37, 100, 163])
    ref = Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1.0},
                              iterations=300))
    chunks = [e for e in ref.events() if isinstance(e, ev.Progress)]
    losses = np.concatenate([c.losses for c in chunks])
    accs = np.concatenate([c.accuracies for c in chunks])
    best_lines = [line.text for line in view.take_log() if line.kind == "best"]
    assert best_lines
    for text in best_lines:
        it = int(text.split("iteration: ")[1].split()[0].replace(",", ""))
        assert text.endswith(f"loss: {num(losses[it], 7)} acc: {num(accs[it])}"), text


def test_the_view_takes_limits_and_rates_from_events_not_from_formulas():
    config = TrainConfig(dataset="spiral", layers=(8,), optimizer="sgd", hyperparams={"lr": 1.0, "decay": 0.01},
                         epochs=40, batch_size=100)
    trainer, view = fed(config, [7, 50])
    assert view.lr == trainer.optimizer.lr  # mid-way between evaluations, too
    view.apply(trainer.extend(500))
    assert view.limit == trainer.limit
    view.apply(trainer.reset())
    assert view.limit == trainer.limit == 40 * 3 and view.lr == 1.0 and view.iteration == 0
