"""The trainer: the book's chapter-6 runs to the digit, chunk independence, the event stream,
commands, determinism, early stopping, epochs and divergence."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tui_nn import events as ev
from tui_nn.trainer import (EXPLODED, EXPLOSION_PATIENCE, EXPLOSION_PATIENCE_EVALS, ConfigError, Trainer,
                             TrainConfig)

# -- helpers ----------------------------------------------------------------------------------


def run_chunked(trainer: Trainer, chunk: int, start: bool = True) -> list[ev.Event]:
    out = trainer.start_events() if start else []
    while not trainer.done:
        got = trainer.advance(chunk)
        assert got, "advance returned nothing before the run was done"
        out += got
    return out


def progress(events) -> dict[str, np.ndarray]:
    """The Progress chunks of ``events`` joined, after checking they are contiguous."""
    chunks = [e for e in events if isinstance(e, ev.Progress)]
    assert chunks, "no progress"
    for a, b in zip(chunks, chunks[1:]):
        assert b.iteration == a.iteration + len(a)
    return {
        "first": chunks[0].iteration,
        "losses": np.concatenate([c.losses for c in chunks]),
        "accuracies": np.concatenate([c.accuracies for c in chunks]),
        "accepted": np.concatenate([c.accepted for c in chunks]),
        "improved": np.concatenate([c.improved for c in chunks]),
    }


def all_progress(events) -> dict[str, np.ndarray]:
    """Every Progress chunk joined, with its iteration numbers (runs may restart at 0)."""
    chunks = [e for e in events if isinstance(e, ev.Progress)]
    return {"iterations": np.concatenate([c.iterations for c in chunks]),
            **{k: np.concatenate([getattr(c, k) for c in chunks])
               for k in ("losses", "accuracies", "accepted", "improved")}}


def same_progress(a, b):
    assert a["first"] == b["first"]
    for k in ("losses", "accuracies", "accepted", "improved"):
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


# -- the book's chapter-6 runs ------------------------------------------------------------------


def test_book_hill_climb_vertical():
    t = Trainer(TrainConfig())  # vertical, hill-climb, 10,000 iterations, seed 0
    events = list(t.events())
    p = progress(events)
    assert len(p["losses"]) == 10_000
    improved = np.flatnonzero(p["improved"])
    assert len(improved) == 243
    assert improved[-1] == 9397
    assert abs(p["losses"][9397] - 0.1727971) < 2e-7
    summary = of(events, ev.Finished)[0].summary
    assert summary["improvements"] == 243
    assert summary["best_iteration"] == 9397
    assert abs(summary["best_loss"] - 0.1727971) < 2e-7
    assert summary["train_accuracy"] == pytest.approx(0.93, abs=1e-12)
    assert summary["iterations"] == 10_000


def test_book_random_search_vertical():
    s = Trainer(TrainConfig(optimizer="random-search")).run()
    assert s["best_iteration"] == 9450
    assert abs(s["best_loss"] - 1.0964295) < 2e-7
    assert round(s["train_accuracy"], 4) == 0.3333


def test_book_hill_climb_spiral():
    s = Trainer(TrainConfig(dataset="spiral")).run()
    assert s["best_iteration"] == 5415
    assert abs(s["best_loss"] - 1.0790575) < 2e-7
    assert s["train_accuracy"] == pytest.approx(0.39, abs=1e-12)


def book_chapter6(dataset: str, hidden: int, iterations: int, optimizer: str, reseed: int | None = None):
    """The book's chapter-6 loop written out plainly, with nnfs.init()'s arithmetic: randn and
    zeros in float32, np.dot computed in float64 and rounded to float32. One candidate at a time.
    ``reseed``: the book's "same data, other seeds" experiment, np.random.seed(reseed) after the data."""
    rng = np.random.RandomState(0)

    def randn(*shape):
        return rng.randn(*shape).astype(np.float32)

    def zeros(shape):
        return np.zeros(shape, dtype=np.float32)

    def dot(a, b):
        return np.dot(a.astype(np.float64), b.astype(np.float64)).astype(np.float32)

    samples, classes = 100, 3
    X = zeros((samples * classes, 2))
    y = np.zeros(samples * classes, dtype="uint8")
    for c in range(classes):
        ix = range(samples * c, samples * (c + 1))
        if dataset == "vertical":
            X[ix] = np.c_[randn(samples) * .1 + c / 3, randn(samples) * .1 + 0.5]
        else:
            r = np.linspace(0.0, 1, samples)
            t = np.linspace(c * 4, (c + 1) * 4, samples) + randn(samples) * 0.2
            X[ix] = np.c_[r * np.sin(t * 2.5), r * np.cos(t * 2.5)]
        y[ix] = c
    if reseed is not None:
        rng.seed(reseed)

    w1, b1 = 0.01 * randn(2, hidden), zeros((1, hidden))
    w2, b2 = 0.01 * randn(hidden, 3), zeros((1, 3))
    lowest_loss = 9999999
    best = [a.copy() for a in (w1, b1, w2, b2)]
    losses, accuracies, improvements = [], [], []
    for iteration in range(iterations):
        if optimizer == "hill-climb":
            w1 += 0.05 * randn(2, hidden)
            b1 += 0.05 * randn(1, hidden)
            w2 += 0.05 * randn(hidden, 3)
            b2 += 0.05 * randn(1, 3)
        else:
            w1 = 0.05 * randn(2, hidden)
            b1 = 0.05 * randn(1, hidden)
            w2 = 0.05 * randn(hidden, 3)
            b2 = 0.05 * randn(1, 3)
        a1 = np.maximum(0, dot(X, w1) + b1)
        z = dot(a1, w2) + b2
        exp_values = np.exp(z - np.max(z, axis=1, keepdims=True))
        probabilities = exp_values / np.sum(exp_values, axis=1, keepdims=True)
        clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
        loss = np.mean(-np.log(clipped[range(len(clipped)), y]))
        accuracy = np.mean(np.argmax(probabilities, axis=1) == y)
        losses.append(loss)
        accuracies.append(accuracy)
        if loss < lowest_loss:
            improvements.append(iteration)
            best = [a.copy() for a in (w1, b1, w2, b2)]
            lowest_loss = loss
        else:
            w1, b1, w2, b2 = (a.copy() for a in best)
    params = np.concatenate([a.ravel() for a in best])
    return np.array(losses, np.float32), np.array(accuracies), improvements, params


@pytest.mark.parametrize("dataset,hidden,optimizer", [
    ("vertical", 3, "hill-climb"),
    ("vertical", 3, "random-search"),
    ("spiral", 8, "hill-climb"),
])
def test_every_candidate_equals_the_plain_book_loop(dataset, hidden, optimizer):
    n = 2000
    losses, accuracies, improvements, params = book_chapter6(dataset, hidden, n, optimizer)
    assert len(improvements) > 5
    t = Trainer(TrainConfig(dataset=dataset, layers=(hidden,), optimizer=optimizer, iterations=n))
    p = progress(list(t.events()))
    np.testing.assert_array_equal(p["losses"].astype(np.float32), losses)
    np.testing.assert_array_equal(p["accuracies"], accuracies)
    assert np.flatnonzero(p["improved"]).tolist() == improvements
    assert np.flatnonzero(p["accepted"]).tolist() == improvements
    np.testing.assert_array_equal(t.net.params, params)
    assert t.best_loss == float(losses[improvements[-1]])


def test_data_seed_zero_and_seed_s_is_the_book_loop_reseeded_after_the_data():
    """The book's "same data, ten seeds": data from seed 0, then np.random.seed(S) before the weights."""
    n = 1000
    runs = []
    for s in range(10):
        losses, accuracies, improvements, params = book_chapter6("vertical", 3, n, "hill-climb", reseed=s)
        t = Trainer(TrainConfig(data_seed=0, seed=s, iterations=n))
        p = progress(list(t.events()))
        np.testing.assert_array_equal(p["losses"].astype(np.float32), losses)
        assert np.flatnonzero(p["improved"]).tolist() == improvements
        np.testing.assert_array_equal(t.net.params, params)
        np.testing.assert_array_equal(t.X_train, Trainer(TrainConfig(iterations=1)).X_train)  # seed 0's data
        runs.append(improvements)
    assert len({tuple(r) for r in runs}) == 10  # ten different searches over the same data


# -- chunking ---------------------------------------------------------------------------------

CHUNK_CONFIGS = {
    "hill-climb": dict(iterations=400),
    "random-search": dict(optimizer="random-search", iterations=400),
    "anneal": dict(optimizer="anneal", hyperparams={"temperature": 0.05}, iterations=400),
    "adam-minibatch-dropout": dict(optimizer="adam", hyperparams={"lr": 0.02}, layers=(16,), dropout=0.2,
                                   batch_size=32, iterations=400),
    "sgd-momentum": dict(dataset="spiral", optimizer="sgd", hyperparams={"momentum": 0.9, "lr": 0.5},
                         iterations=300),
}


@pytest.mark.parametrize("name", CHUNK_CONFIGS)
def test_results_do_not_depend_on_chunking(name):
    runs = {}
    for chunk in (1, 7, 100_000):
        t = Trainer(TrainConfig(**CHUNK_CONFIGS[name]))
        events = run_chunked(t, chunk)
        others = [e.to_dict(timing=False) for e in events if not isinstance(e, ev.Progress)]
        runs[chunk] = progress(events), others, t.net.params.copy(), t.summary()
    (p1, o1, w1, s1) = runs[1]
    for chunk in (7, 100_000):
        p, o, w, s = runs[chunk]
        same_progress(p1, p)
        assert o == o1  # evaluations, finished: same values at the same iterations
        np.testing.assert_array_equal(w, w1)
        for k in ("best_loss", "best_iteration", "improvements", "accepted", "train_loss"):
            assert s[k] == s1[k], k


# -- the event stream ---------------------------------------------------------------------------


def test_progress_chunks_cover_every_iteration_once():
    t = Trainer(TrainConfig(iterations=1234))
    events = list(t.events(chunk=100))
    chunks = of(events, ev.Progress)
    assert sum(len(c) for c in chunks) == 1234
    assert chunks[0].iteration == 0
    p = progress(events)
    assert len(p["losses"]) == len(p["accuracies"]) == len(p["accepted"]) == len(p["improved"]) == 1234
    assert chunks[-1].best_loss == t.best_loss == p["losses"][p["improved"]].min()
    # hill-climb: an improvement is exactly an accepted candidate
    np.testing.assert_array_equal(p["accepted"], p["improved"])
    assert isinstance(events[0], ev.Started) and isinstance(events[-1], ev.Finished)
    assert len(of(events, ev.Finished)) == 1


def test_gradient_steps_are_always_accepted_and_full_batch_best_follows_each_step():
    t = Trainer(TrainConfig(optimizer="sgd", iterations=200))
    p = progress(list(t.events()))
    assert p["accepted"].all() and len(p["accepted"]) == 200
    # full batch: each step's loss is the training loss; improved marks its running minima
    running = np.minimum.accumulate(p["losses"])
    expected = np.concatenate([[True], p["losses"][1:] < running[:-1]])
    np.testing.assert_array_equal(p["improved"], expected)
    assert t.best_loss == p["losses"].min()


def test_mini_batch_best_loss_is_the_full_data_training_loss_at_evaluations():
    t = Trainer(TrainConfig(dataset="moons", optimizer="adam", hyperparams={"lr": 0.01}, batch_size=4,
                            iterations=3000))
    events = list(t.events())
    p = progress(events)
    assert p["accepted"].all() and not p["improved"].any()  # one batch's loss is not the training loss
    evals = of(events, ev.Evaluation)
    train_losses = [e.train_loss for e in evals]
    assert t.best_loss == min(train_losses)
    assert t.best_iteration == evals[int(np.argmin(train_losses))].iteration
    assert p["losses"].min() < t.best_loss  # some lucky batch scored lower: not the best loss
    t.net.params[...] = t.best_params
    assert t.metrics(t.X_train, t.y_train)[0] == t.best_loss


def test_one_bad_mini_batch_is_not_divergence():
    # a batch of one with a confident miss scores ~16 (> 5x the first loss); the run is healthy
    t = Trainer(TrainConfig(dataset="spiral", layers=(64,), optimizer="sgd", hyperparams={"lr": 0.1},
                            batch_size=1, iterations=30_000))
    events = list(t.events())
    assert not of(events, ev.Diverged) and t.state == "finished"
    assert progress(events)["losses"].max() > EXPLODED * 1.1
    assert t.summary()["train_loss"] < 1.1


def test_mini_batch_run_whose_training_loss_explodes_diverges_to_the_last_healthy_evaluation():
    # saturated softmax outputs: every batch loss is finite (clipped), the training loss is ~10
    t = Trainer(TrainConfig(dataset="vertical", layers=(16,), optimizer="sgd", batch_size=8, iterations=4000,
                            eval_every=50, hyperparams={"lr": 0.05}))
    t.start_events()
    t.advance(100)
    healthy = t.net.params.copy()
    t.set_hyperparam("lr", 100.0)
    events = t.advance(400)
    (d,) = of(events, ev.Diverged)
    # exploded at the evaluations of 150, 200 and 250: three in a row stop the run
    assert t.state == "diverged" and d.iteration == t.iteration == 100 + EXPLOSION_PATIENCE_EVALS * 50
    assert d.reason == "training loss exploded (over 5x the first for 3 evaluations)" and d.loss > EXPLODED
    np.testing.assert_array_equal(t.net.params, healthy)
    assert t.best_loss < 1.2  # the exploded evaluation is not a best


@pytest.mark.parametrize("config,every", [
    (dict(iterations=1000), 10),  # 1% of the run
    (dict(iterations=1000, eval_every=75), 75),
    (dict(optimizer="adam", batch_size=64, iterations=50), 5),  # every epoch: ceil(300 / 64)
])
def test_evaluations_come_at_the_cadence(config, every):
    t = Trainer(TrainConfig(**config))
    events = list(t.events(chunk=33))
    its = [e.iteration for e in of(events, ev.Evaluation)]
    limit = config["iterations"]
    expected = list(range(0, limit + 1, every))
    if expected[-1] != limit:
        expected.append(limit)
    assert its == expected
    for e in of(events, ev.Evaluation):
        assert e.optimizer == t.optimizer.name and e.train_loss is not None
    assert of(events, ev.Evaluation)[-1].train_loss == t.summary()["train_loss"]


def test_started_and_snapshot_describe_the_run():
    t = Trainer(TrainConfig(optimizer="sgd", hyperparams={"lr": 1.0}, iterations=10))
    started, first_eval, snap = t.start_events()
    assert isinstance(started, ev.Started) and started.n_params == 21 and started.n_train == 300
    assert started.dataset == "vertical" and started.optimizer == "sgd" and started.n_val == 0
    assert first_eval.iteration == 0 and first_eval.lr == 1.0
    assert snap.grads is None and not snap.delta.any()
    before = t.net.params.copy()
    t.advance(1)
    snap = t.snapshot()
    np.testing.assert_allclose(snap.delta, -1.0 * snap.grads, rtol=1e-5, atol=1e-8)
    np.testing.assert_array_equal(snap.params - snap.delta, before)
    snap.params[0] = 123.0  # a copy: the trainer's weights are untouched
    assert t.net.params[0] != 123.0


def test_to_dict_is_json_ready_and_deterministic_without_timing():
    import json

    t = Trainer(TrainConfig(iterations=50))
    for e in t.events():
        d = e.to_dict(timing=False)
        json.dumps(d, allow_nan=False)
        assert "elapsed" not in json.dumps(d) and "its_per_sec" not in json.dumps(d)
    assert "elapsed" in e.to_dict()["summary"]


# -- determinism with commands ----------------------------------------------------------------

SCRIPT = [
    (120, "switch", ("adam", {"lr": 0.01})),
    (55, "set", ("lr", 0.005)),
    (31, "weight", (3, 0.5)),
    (44, "switch", ("anneal", {"temperature": 0.02})),
    (60, "set", ("scale", 0.1)),
    (29, "reset", ()),
    (70, "switch", ("rmsprop", {"lr": 0.01})),
    (40, None, ()),
]


def scripted_run(chunk: int) -> tuple[list[dict], list[dict], dict]:
    t = Trainer(TrainConfig(layers=(8,), dropout=0.1, batch_size=64, iterations=600, eval_every=20))
    events = t.start_events()
    for steps, cmd, args in SCRIPT:
        target = t.iteration + steps
        while t.iteration < target:
            events += t.advance(min(chunk, target - t.iteration))
        if cmd == "switch":
            events += t.switch_optimizer(args[0], **args[1])
        elif cmd == "set":
            events += t.set_hyperparam(*args)
        elif cmd == "weight":
            events += t.set_weight(*args)
        elif cmd == "reset":
            events += t.reset()
    while not t.done:
        events += t.advance(chunk)
    return ([e.to_dict(timing=False) for e in events],
            [e.to_dict(timing=False) for e in events if not isinstance(e, ev.Progress)], all_progress(events))


def test_same_commands_at_the_same_iterations_give_the_same_stream():
    full_a, _, _ = scripted_run(13)
    full_b, _, _ = scripted_run(13)
    assert full_a == full_b
    kinds = {d["event"] for d in full_a}
    assert {"optimizer_switched", "hyperparam_changed", "weight_changed", "reset", "finished"} <= kinds


def test_the_scripted_stream_does_not_depend_on_chunking():
    _, others_a, p_a = scripted_run(13)
    _, others_b, p_b = scripted_run(1000)
    assert others_a == others_b
    assert p_a.keys() == p_b.keys()
    for k in p_a:
        np.testing.assert_array_equal(p_a[k], p_b[k], err_msg=k)
    # the run restarted at the reset and went on to its limit
    its = p_a["iterations"]
    assert its[0] == 0 and np.sum(its == 0) == 2 and its[-1] == 599


def test_a_different_seed_gives_a_different_stream():
    a = progress(list(Trainer(TrainConfig(iterations=100)).events()))
    b = progress(list(Trainer(TrainConfig(iterations=100, seed=1)).events()))
    assert not np.array_equal(a["losses"], b["losses"])


# -- commands -----------------------------------------------------------------------------------


def test_reset_gives_the_same_start_as_a_fresh_trainer():
    a = Trainer(TrainConfig(iterations=500))
    a.start_events()
    a.advance(250)
    reset = a.reset()
    assert [type(e) for e in reset] == [ev.ResetDone, ev.Evaluation, ev.Snapshot]
    assert a.iteration == 0 and a.state == "ready" and a.best_loss == math.inf and len(a.losses) == 0
    b = Trainer(TrainConfig(iterations=500))
    fresh = b.start_events()
    assert [e.to_dict() for e in reset[1:]] == [e.to_dict() for e in fresh[1:]]
    rest_a = [e.to_dict(timing=False) for e in run_chunked(a, 64, start=False)]
    rest_b = [e.to_dict(timing=False) for e in run_chunked(b, 64, start=False)]
    assert rest_a == rest_b


def test_reset_keeps_the_current_optimizer_with_fresh_state():
    a = Trainer(TrainConfig(iterations=300))
    a.start_events()
    a.advance(100)
    a.switch_optimizer("adam", lr=0.02)
    a.advance(50)
    a.reset()
    assert a.optimizer.name == "adam" and a.optimizer.hp["lr"] == 0.02 and a.optimizer.steps == 0
    b = Trainer(TrainConfig(iterations=300, optimizer="adam", hyperparams={"lr": 0.02}))
    b.start_events()
    same_progress(progress(a.advance(300)), progress(b.advance(300)))


def test_switch_keeps_the_weights_and_continues():
    t = Trainer(TrainConfig(optimizer="adam", hyperparams={"lr": 0.02}, iterations=1000))
    t.start_events()
    t.advance(150)
    before = t.net.params.copy()
    out = t.switch_optimizer("hill-climb", scale=0.02)
    switched, evaluation = out
    assert isinstance(switched, ev.OptimizerSwitched)
    assert (switched.iteration, switched.old, switched.new, switched.hyperparams) == (150, "adam", "hill-climb",
                                                                                     {"scale": 0.02})
    np.testing.assert_array_equal(t.net.params, before)  # params unchanged at the switch
    loss_at_switch = evaluation.train_loss
    assert evaluation.optimizer == "hill-climb"
    p = progress(t.advance(300))
    assert p["first"] == 150 and t.iteration == 450
    kept = p["losses"][p["accepted"]]
    assert len(kept) > 0
    assert np.all(kept < loss_at_switch)  # never a step that makes the weights worse
    assert np.all(np.diff(kept) < 0)
    assert t.metrics(t.X_train, t.y_train)[0] < loss_at_switch
    assert t.switches == [(0, "adam"), (150, "hill-climb")]


def test_switch_to_random_search_never_throws_away_trained_weights():
    t = Trainer(TrainConfig(optimizer="adam", hyperparams={"lr": 0.02}, iterations=1000))
    t.start_events()
    t.advance(200)
    trained = t.net.params.copy()
    loss = t.switch_optimizer("random-search")[1].train_loss
    p = progress(t.advance(300))
    assert np.all(p["losses"][p["accepted"]] < loss)
    if not p["accepted"].any():
        np.testing.assert_array_equal(t.net.params, trained)
    assert t.metrics(t.X_train, t.y_train)[0] <= loss


def test_switch_gives_fresh_optimizer_state():
    t = Trainer(TrainConfig(optimizer="adam", iterations=100))
    t.start_events()
    t.advance(20)
    assert t.optimizer.steps == 20 and t.optimizer.buffers
    t.switch_optimizer("adam", lr=0.01)
    assert t.optimizer.steps == 0 and not t.optimizer.buffers and t.optimizer.hp["lr"] == 0.01


def test_switch_to_an_unknown_optimizer_changes_nothing():
    t = Trainer(TrainConfig(iterations=100))
    t.start_events()
    t.advance(10)
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        t.switch_optimizer("lbfgs")
    with pytest.raises(ValueError, match="momentum must be in"):
        t.switch_optimizer("sgd", momentum=7)
    assert t.optimizer.name == "hill-climb" and t.switches == [(0, "hill-climb")]


def test_set_hyperparam_takes_effect():
    t = Trainer(TrainConfig(optimizer="sgd", hyperparams={"lr": 0.5}, iterations=100))
    t.start_events()
    t.advance(5)
    (changed,) = t.set_hyperparam("lr", 0.25)
    assert changed == ev.HyperparamChanged(5, "sgd", "lr", 0.5, 0.25, 0.25, {"lr": 0.25})  # the rate now, too
    before = t.net.params.copy()
    t.advance(1)
    np.testing.assert_allclose(t.net.params - before, -0.25 * t.net.grads, rtol=1e-5, atol=1e-8)
    assert t.evaluate().lr == 0.25


def test_a_refused_hyperparam_changes_nothing():
    a = Trainer(TrainConfig(optimizer="adam", hyperparams={"lr": 0.01}, iterations=300))
    b = Trainer(TrainConfig(optimizer="adam", hyperparams={"lr": 0.01}, iterations=300))
    for t in (a, b):
        t.start_events()
        t.advance(100)
    for name, value, msg in [("lr", -1, "lr must be in"), ("beta1", 2, "beta1 must be in"),
                             ("scale", 0.1, "adam has no hyperparameter 'scale'"), ("lr", "x", "must be a number")]:
        with pytest.raises(ValueError, match=msg):
            a.set_hyperparam(name, value)
    assert a.optimizer.hp == b.optimizer.hp
    assert [e.to_dict(timing=False) for e in run_chunked(a, 50, start=False)] == \
           [e.to_dict(timing=False) for e in run_chunked(b, 50, start=False)]


def test_set_weight_moves_one_weight_and_search_restarts_from_there():
    t = Trainer(TrainConfig(iterations=1000))
    t.start_events()
    t.advance(300)
    good = t.metrics(t.X_train, t.y_train)[0]
    changed, evaluation, snap = t.set_weight(0, 25.0)
    assert changed == ev.WeightChanged(300, 0, changed.old, 25.0)
    assert t.net.params[0] == 25.0 and snap.params[0] == 25.0
    assert snap.delta[0] == 25.0 - changed.old and np.count_nonzero(snap.delta) == 1
    assert evaluation.train_loss > good
    # hill-climb now compares candidates with the moved weights' loss, not the old best
    p = progress(t.advance(200))
    assert p["accepted"].any()
    assert np.all(p["losses"][p["accepted"]] < evaluation.train_loss)
    for index, value in [(-1, 0.0), (21, 0.0), (3, float("nan")), (3, float("inf")), (2.5, 0.0), (3, "x"),
                         (None, 1.0)]:
        with pytest.raises(ValueError):
            t.set_weight(index, value)
    assert t.set_weight(np.int64(4), np.float32(0.25))[0].new == 0.25  # NumPy numbers are fine


def test_extend_raises_the_limit_and_reopens_a_finished_run():
    t = Trainer(TrainConfig(iterations=100))
    list(t.events())
    assert t.state == "finished"
    (changed,) = t.extend(50)
    assert changed == ev.LimitChanged(100, 150) and t.state == "running"
    p = progress(run_chunked(t, 30, start=False))
    assert p["first"] == 100 and len(p["losses"]) == 50 and t.iteration == 150
    for bad in (0, -5, 2.5):
        with pytest.raises(ValueError, match="extend by a positive number of iterations"):
            t.extend(bad)
    assert t.limit == 150


@pytest.mark.parametrize("optimizer", ["hill-climb", "anneal"])
def test_search_stops_at_the_iteration_that_reaches_the_target_whatever_the_chunking(optimizer):
    plain = Trainer(TrainConfig(optimizer=optimizer, iterations=3000))
    p = progress(run_chunked(plain, 3000))
    first_hit = int(np.flatnonzero(p["accepted"] & (p["losses"] <= 0.5))[0])
    reference = Trainer(TrainConfig(optimizer=optimizer, iterations=first_hit + 1))
    reference.run()
    for chunk in (1, 7, 5000):
        t = Trainer(TrainConfig(optimizer=optimizer, iterations=3000, target_loss=0.5))
        events = run_chunked(t, chunk)
        assert t.state == "finished" and t.iteration == first_hit + 1
        assert of(events, ev.Finished)[0].summary["best_loss"] <= 0.5
        assert of(events, ev.Evaluation)[-1].iteration == t.iteration
        assert t.advance(100) == []  # finished: nothing more
        # the weights and the random stream are where a run of exactly that length leaves them
        np.testing.assert_array_equal(t.net.params, reference.net.params)
        np.testing.assert_array_equal(t.rng.get_state()[1], reference.rng.get_state()[1])
        assert t.rng.get_state()[2] == reference.rng.get_state()[2]


def test_gradient_target_loss_is_the_training_loss_at_an_evaluation():
    for chunk in (3, 500):
        t = Trainer(TrainConfig(dataset="moons", optimizer="adam", hyperparams={"lr": 0.01}, batch_size=4,
                                iterations=4000, target_loss=0.3))
        events = run_chunked(t, chunk)
        evals = of(events, ev.Evaluation)
        assert t.state == "finished" and t.iteration < 4000 and t.iteration % t.eval_every == 0
        assert evals[-1].iteration == t.iteration and evals[-1].train_loss <= 0.3
        assert all(e.train_loss > 0.3 for e in evals[:-1])
        assert progress(events)["losses"].min() < 0.2  # single batches reached it much earlier


def test_epochs_give_epochs_times_steps_per_epoch():
    t = Trainer(TrainConfig(optimizer="adam", epochs=3, batch_size=32))
    assert t.steps_per_epoch == 10 and t.limit == 30  # ceil(300 / 32) mini-batches per epoch
    events = list(t.events(chunk=4))
    s = of(events, ev.Finished)[0].summary
    assert s["iterations"] == 30 and s["epochs"] == 3.0
    assert [e.epoch for e in of(events, ev.Evaluation)] == [0.0, 1.0, 2.0, 3.0]
    assert sorted(t.order.tolist()) == list(range(300))  # each epoch is a shuffled pass

    full = Trainer(TrainConfig(optimizer="sgd", epochs=4))  # full batch: one step per epoch
    assert full.run()["iterations"] == 4
    search = Trainer(TrainConfig(epochs=7))  # a search candidate is scored on the whole set
    assert search.run()["iterations"] == 7


# -- divergence ---------------------------------------------------------------------------------


@pytest.mark.parametrize("lr", [5.0, 1e6])
def test_divergence_stops_with_the_last_good_weights(lr):
    config = TrainConfig(dataset="sine", layers=(8,), optimizer="sgd", hyperparams={"lr": lr}, iterations=300)
    t = Trainer(config)
    events = list(t.events())
    (diverged,) = of(events, ev.Diverged)
    assert events[-1] is diverged
    assert t.state == "diverged" and t.done
    assert diverged.reason in ("loss exploded", "loss is infinite", "loss is not a number")
    d = diverged.iteration
    p = progress(events)
    assert len(p["losses"]) == d and np.isfinite(p["losses"]).all()
    assert np.isfinite(t.net.params).all()
    # the weights are those that gave the last finite loss: d - 1 steps from the start
    ref = Trainer(config)
    if d > 1:
        ref.advance(d - 1)
    np.testing.assert_array_equal(t.net.params, ref.net.params)
    assert ref.net.loss(ref.X_train, ref.y_train) == pytest.approx(p["losses"][-1], rel=1e-5)
    assert not of(events, ev.Finished)
    assert t.advance(10) == []


def test_a_saturated_classifier_counts_as_diverged_and_a_healthy_run_does_not():
    # Cross-entropy is clipped, so a far too large step leaves a finite loss of ~16 rather than
    # inf: the run is stopped all the same, with the weights of the last sane step.
    wild = Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1e4},
                               iterations=500))
    (diverged,) = of(list(wild.events()), ev.Diverged)
    assert diverged.reason == f"loss exploded (over 5x the first for {EXPLOSION_PATIENCE} steps)"
    assert 5 * 1.0986 < diverged.loss < 16.2
    assert wild.net.loss(wild.X_train, wild.y_train) < 5 * 1.0986
    for config in (TrainConfig(dataset="spiral", layers=(64,), optimizer="adam", hyperparams={"lr": 0.5},
                               iterations=3000),
                   TrainConfig(dataset="sine", layers=(16, 16), optimizer="sgd", hyperparams={"lr": 0.5},
                               iterations=3000)):
        healthy = Trainer(config)
        assert not of(list(healthy.events()), ev.Diverged) and healthy.state == "finished"


def test_recovering_from_divergence_starts_the_optimizer_afresh():
    t = Trainer(TrainConfig(dataset="sine", layers=(8,), optimizer="adam", hyperparams={"lr": 1e3},
                            iterations=300))
    list(t.events())
    assert t.state == "diverged" and t.optimizer.steps > 0 and t.optimizer.buffers
    t.recover()
    assert t.optimizer.steps == 0 and not t.optimizer.buffers  # no moments left from the explosion
    t.set_hyperparam("lr", 0.001)
    assert np.isfinite(progress(t.advance(50))["losses"]).all() and t.state == "running"


def test_after_divergence_recover_and_continue_with_a_smaller_lr():
    t = Trainer(TrainConfig(dataset="sine", layers=(8,), optimizer="sgd", hyperparams={"lr": 5.0}, iterations=300))
    list(t.events())
    at = t.iteration
    t.recover()
    t.set_hyperparam("lr", 0.01)
    p = progress(t.advance(50))
    assert t.iteration == at + 50 and t.state == "running" and np.isfinite(p["losses"]).all()


# -- configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize("kw,msg", [
    (dict(optimizer="newton"), "unknown optimizer 'newton'; choose one of"),
    (dict(iterations=0), "iterations must be at least 1, got 0"),
    (dict(epochs=-1), "epochs must be at least 1"),
    (dict(batch_size=-5), "batch_size must be at least 0"),
    (dict(val_split=1.0), "val_split must be in [0, 1)"),
    (dict(val_split=0.5, test_split=0.5), "val_split plus test_split must leave some training data"),
    (dict(seed=-1), "seed must be in [0, 2**32)"),
    (dict(data_seed=2**32), "data_seed must be in [0, 2**32), got 2**32"),
    (dict(target_loss=float("nan")), "target_loss must be finite"),
    (dict(iterations=2.5), "iterations must be an integer, got 2.5"),
    (dict(layers=(3, 0)), "layer widths must be positive"),
])
def test_bad_configuration_is_refused_with_a_clear_message(kw, msg):
    with pytest.raises(ConfigError) as e:
        Trainer(TrainConfig(**kw))
    assert str(e.value).startswith(msg) and "\n" not in str(e.value)
    assert "--" not in str(e.value)  # the API names settings, not command-line options


def test_overrides_and_config_round_trip():
    t = Trainer(TrainConfig(iterations=10), optimizer="adam", hyperparams={"lr": 0.1})
    assert t.optimizer.name == "adam" and t.optimizer.hp["lr"] == 0.1 and t.limit == 10
    assert TrainConfig.from_dict(t.config.to_dict()) == t.config


def test_val_split_is_of_the_whole_set_unless_val_of_train_reads_it_as_keras_does():
    whole = Trainer(TrainConfig(dataset="moons", val_split=0.2, test_split=0.2, iterations=1))
    assert (len(whole.X_train), len(whole.X_val), len(whole.X_test)) == (120, 40, 40)  # of 200 samples
    keras = Trainer(TrainConfig(dataset="moons", val_split=0.2, test_split=0.2, val_of_train=True, iterations=1))
    n_rest = 200 - 40
    split_at = int(n_rest * (1 - 0.2))  # Keras: fit(validation_split=0.2) keeps the first 80% of what it gets
    assert (len(keras.X_train), len(keras.X_val), len(keras.X_test)) == (split_at, n_rest - split_at, 40)
    TrainConfig(val_split=0.6, test_split=0.5, val_of_train=True).validate()  # 60% of the other half


def test_validation_split_is_evaluated():
    t = Trainer(TrainConfig(dataset="moons", layers=(16,), optimizer="sgd", iterations=200))
    events = list(t.events())
    s = t.summary()
    assert t.split.X_val.shape[0] == 40  # the generated sets hold back 20%
    assert s["val_accuracy"] > 0.8 and 0 < s["val_loss"] < 0.5
    last = of(events, ev.Evaluation)[-1]
    assert (last.val_loss, last.val_accuracy) == (s["val_loss"], s["val_accuracy"])


@pytest.mark.parametrize("optimizer", ["adam", "sgd", "hill-climb"])
def test_a_pickled_trainer_trains_and_resets_exactly_as_the_original(optimizer):
    import pickle

    config = TrainConfig(dataset="spiral", layers=(16,), optimizer=optimizer, batch_size=32, iterations=400)
    original = Trainer(config)
    original.advance(37)
    copy = pickle.loads(pickle.dumps(original))  # how the dashboard hands its trainer to a child process
    layer = copy.net.dense[0]
    assert np.shares_memory(layer.weights, copy.net.params) and np.shares_memory(layer.dweights, copy.net.grads)
    original.run()
    copy.run()
    np.testing.assert_array_equal(copy.net.params, original.net.params)
    assert copy.best_loss == original.best_loss
    copy.reset()
    np.testing.assert_array_equal(copy.net.params, Trainer(config).net.params)


# -- the divergence rule: a transient spike runs on, a lasting one or a non-finite loss stops --------


@pytest.mark.parametrize("optimizer,hyperparams", [
    ("rmsprop", {"lr": 0.02, "decay": 1e-5, "rho": 0.999}),  # the book's chapter 10: loss ~1.1 -> ~10 -> ~1.3
    ("adagrad", {"lr": 1.0, "decay": 1e-4}),  # loss ~1.1 -> ~10.7 for four epochs, then recovers
])
def test_the_books_transient_spikes_do_not_stop_the_run(optimizer, hyperparams):
    t = Trainer(TrainConfig(dataset="spiral", layers=(64,), optimizer=optimizer, hyperparams=hyperparams,
                            iterations=300))
    events = list(t.events())
    losses = np.concatenate([e.losses for e in of(events, ev.Progress)])
    assert losses.max() > EXPLODED * losses[0]  # it did spike
    assert not of(events, ev.Diverged) and t.state == "finished" and losses[-1] < 2 * losses[0]


def test_a_lasting_explosion_stops_the_run_with_the_weights_before_it_began():
    config = dict(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1e4}, iterations=500)
    t = Trainer(TrainConfig(**config))
    events = list(t.events())
    (d,) = of(events, ev.Diverged)
    losses = np.concatenate([e.losses for e in of(events, ev.Progress)])
    over = losses > EXPLODED * max(losses[0], 1)
    start = d.iteration - EXPLOSION_PATIENCE + 1  # the stretch of steps over the threshold that stopped it
    assert over[start:].all() and not over[start - 1]
    # the weights of the last step before the stretch: the loss they give is the last healthy one
    assert t.net.loss(t.X_train, t.y_train) == pytest.approx(losses[start - 1], rel=1e-6)


def test_the_stop_on_explosion_can_be_turned_off_but_not_for_non_finite_losses():
    calm = Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1e4},
                               iterations=500, stop_on_explosion=False))
    list(calm.events())
    assert calm.state == "finished"
    wild = Trainer(TrainConfig(dataset="sine", layers=(8,), optimizer="sgd", hyperparams={"lr": 1e3},
                               iterations=300, stop_on_explosion=False))
    (d,) = of(list(wild.events()), ev.Diverged)
    assert d.reason in ("loss is infinite", "loss is not a number")


def test_the_explosion_count_survives_a_checkpoint(tmp_path):
    config = TrainConfig(dataset="spiral", layers=(16,), optimizer="sgd", hyperparams={"lr": 1e4}, iterations=500)
    whole = Trainer(config)
    whole.start_events()
    rest = whole.advance(500)
    part = Trainer(config)
    part.start_events()
    part.advance(40)  # inside the exploded stretch
    assert part.exploded_for > 0
    part.save_checkpoint(tmp_path / "c.npz")
    resumed = Trainer.from_checkpoint(tmp_path / "c.npz")
    assert [e.to_dict(timing=False) for e in resumed.advance(460) if e.kind == "diverged"] == \
        [e.to_dict(timing=False) for e in rest if e.kind == "diverged"]


def test_the_trainers_state_is_a_typed_state_through_its_life_and_a_checkpoint(tmp_path):
    """ready -> running -> finished, running again when extended; the Started event and a
    resumed trainer carry the same TrainerState (logs and checkpoints keep the plain word)."""
    from tui_nn.trainer import TrainerState

    t = Trainer(TrainConfig(dataset="vertical", samples=30, optimizer="sgd", iterations=20, seed=0))
    assert t.state is TrainerState.READY and t.started().state is TrainerState.READY
    t.advance(5)
    assert t.state is TrainerState.RUNNING
    t.advance(100)
    assert t.state is TrainerState.FINISHED and t.done
    assert t.started().state == "finished"
    t.save_checkpoint(tmp_path / "c.npz")
    resumed = Trainer.from_checkpoint(tmp_path / "c.npz")
    assert resumed.state is TrainerState.FINISHED
    resumed.extend(10)
    assert resumed.state is TrainerState.RUNNING


def test_full_batch_best_weights_are_the_best_steps_whatever_the_chunks():
    """Full-batch gradient descent takes the best loss per step: the best weights are the ones
    that gave it (before their update), not the chunk's last weights, so a run cut into other
    chunks (the dashboard's, a fork's, a resume's) keeps the same best weights, bit for bit."""
    def run(chunk):
        t = Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="adam", hyperparams={"lr": 0.5},
                                iterations=1000))
        run_chunked(t, chunk)
        return t

    a, b = run(7), run(1000)
    assert a.per_iteration_best and a.best_iteration % a.eval_every == 0  # first of its segment
    np.testing.assert_array_equal(a.best_params, b.best_params)
    replay = Trainer(TrainConfig(dataset="spiral", layers=(16,), optimizer="adam", hyperparams={"lr": 0.5},
                                 iterations=a.best_iteration))
    run_chunked(replay, 50)  # the weights at the best iteration, before its update
    np.testing.assert_array_equal(a.best_params, replay.net.params)
