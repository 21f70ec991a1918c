"""Every fast path (tui_nn.fast) against the plain path, bit for bit.

The plain code (``Network.evaluate``, ``SearchOptimizer.run``'s loop, ``Network.forward``/
``backward``) defines the numbers; ``TUI_NN_PLAIN=1`` runs it alone. Each test runs the same
work both ways and compares the bytes of every result (losses, accuracies, accepted steps,
weights, gradients, the random stream and the optimizer's state). These tests set the switch
themselves, so they compare both paths whichever way the suite runs.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_nn import events as ev
from tui_nn.fast import JOBS, faster
from tui_nn.network import Network
from tui_nn.optimizers import make_optimizer
from tui_nn.trainer import Trainer, TrainConfig

F32 = np.float32
OUTPUTS = ("softmax", "sigmoid", "linear")


@pytest.fixture
def switch(monkeypatch):
    """``switch(plain)``: the plain path alone (True) or the fast paths where they apply (False)."""
    return lambda plain: monkeypatch.setenv("TUI_NN_PLAIN", "1" if plain else "0")


def model(hidden, activation, output, n_out, dropout=0.0, seed=0, scale=1.0):
    loss = {"softmax": "categorical_crossentropy", "sigmoid": "binary_crossentropy", "linear": "mse"}[output]
    net = Network(2, hidden, n_out, activation=activation, output_activation=output, loss=loss, dropout=dropout)
    rng = np.random.RandomState(seed)
    net.params[...] = (scale * rng.randn(net.n_params)).astype(F32)
    net.set_rng(np.random.RandomState(seed + 1))
    return net


def data(output, n_out, n, seed=0):
    rng = np.random.RandomState(seed + 100)
    X = rng.randn(n, 2).astype(F32)
    if output == "softmax":
        y = np.sort(rng.randint(0, n_out, n)).astype(np.int64)  # grouped by class, as the book's sets
    elif output == "sigmoid":
        y = rng.randint(0, 2, (n, n_out)).astype(F32)
    else:
        y = rng.randn(n, n_out).astype(F32)
    return X, y


def lean_and_plain_step(lean, net, Xb, yb):
    """One batch through the lean step, then the same batch through the plain path (the net's
    gradients are then the plain ones): (loss, accuracy, lean gradients, plain loss, plain accuracy)."""
    from tui_nn.network import score

    with np.errstate(all="ignore"):
        loss, acc = lean.forward(Xb, yb)
        lean.backward()
        fast_grads = net.grads.copy()
        out = net.forward(Xb, training=True)
        plain_loss = float(np.mean(net.loss_function.forward(out, yb)))
        plain_acc = score(net.task, out, yb, net.predictions)
        net.backward(yb)
    return loss, acc, fast_grads, plain_loss, plain_acc


def same_bytes(a, b, what=""):
    """The same bits, NaN for NaN whatever its sign."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.dtype == b.dtype and a.shape == b.shape, what
    if a.dtype.kind == "f":
        nan = np.isnan(a)
        assert np.array_equal(nan, np.isnan(b)), f"{what}: {a} != {b}"
        a, b = np.where(nan, 0, a), np.where(nan, 0, b)
    assert a.tobytes() == b.tobytes(), f"{what}: {a} != {b}"


# -- the switch ---------------------------------------------------------------------------------


def test_the_switch_turns_every_fast_path_off_and_they_apply_without_it(switch):
    net = model((3,), "relu", "softmax", 3)
    X, y = data("softmax", 3, 60)
    switch(False)
    assert all(faster(job, net, X, y) is not None for job in JOBS)
    switch(True)
    assert all(faster(job, net, X, y) is None for job in JOBS)


@pytest.mark.parametrize("output,n_out", [("softmax", 3), ("sigmoid", 1), ("linear", 1)])
def test_fast_search_and_step_apply_to_every_output_kind(switch, output, n_out):
    switch(False)
    net = model((8, 4), "tanh", output, n_out)
    X, y = data(output, n_out, 50)
    assert faster("search", net, X, y) is not None
    assert faster("step", net, X, y) is not None


def test_nothing_fast_where_it_is_not_proven(switch):
    switch(False)
    X, y = data("softmax", 3, 40)
    dropout = model((6,), "relu", "softmax", 3, dropout=0.3)
    assert faster("step", dropout, X, y) is None  # its masks come from the network's own layers
    book = Network(2, (6,), 3, precision="book")
    assert faster("step", book, X, y) is None  # the lean step multiplies in float32
    wide = Network(2, (6,), 3, dtype=np.float64)
    assert faster("search", wide, X, y) is None and faster("step", wide, X, y) is None
    assert faster("evaluate", wide, X, y)() == wide.evaluate(X, y)  # the plain code, remembered
    with pytest.raises(ValueError, match="unknown job"):
        faster("train", dropout, X, y)


# -- evaluation: one point and batches of candidates ---------------------------------------------

models = st.fixed_dictionaries({
    "hidden": st.lists(st.integers(1, 12), min_size=1, max_size=2).map(tuple),
    "activation": st.sampled_from(["relu", "sigmoid", "tanh", "linear"]),
    "output": st.sampled_from(OUTPUTS),
    "n_out": st.integers(1, 5),
    "dropout": st.sampled_from([0.0, 0.3]),
    "n": st.integers(1, 70),
    "k": st.integers(1, 9),
    "scale": st.sampled_from([0.01, 1.0, 30.0]),  # 30: saturated softmax and sigmoid, near-ties
    "seed": st.integers(0, 2**16),
})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=models)
def test_scores_of_candidates_equal_the_plain_evaluation(switch, m):
    n_out = max(m["n_out"], 2) if m["output"] == "softmax" else m["n_out"]
    net = model(m["hidden"], m["activation"], m["output"], n_out, m["dropout"], m["seed"], m["scale"])
    X, y = data(m["output"], n_out, m["n"], m["seed"])
    P = (m["scale"] * np.random.RandomState(m["seed"] + 7).randn(m["k"], net.n_params)).astype(F32)
    switch(False)
    search = faster("search", net, X, y)
    if search is None:  # a BLAS whose stacked products add in another order: nothing to compare
        return
    losses, accs = search.score(P)
    point = net.params.copy()
    with np.errstate(all="ignore"):
        for i, p in enumerate(P):
            net.params[...] = p
            loss, acc = net.evaluate(X, y)
            same_bytes(losses[i], F32(loss), f"loss of candidate {i}")
            same_bytes(accs[i], np.float64(acc), f"accuracy of candidate {i}")
    net.params[...] = point
    evaluate = faster("evaluate", net, X, y)
    if evaluate is not None:
        same_bytes(np.array(evaluate()), np.array(net.evaluate(X, y)), "one point")


@pytest.mark.parametrize("n_in,hidden,activation", [
    (2, (64,), "relu"),        # the first layer's products laid out (K, N, units) for a wide second layer
    (2, (8, 32), "relu"),      # a narrow product turned into the wide layout by its rounding
    (2, (32, 16), "tanh"),     # wide after wide
    (2, (20, 4), "sigmoid"),   # wide, then narrow again
    (5, (24,), "relu"),        # a first layer of more than two inputs
    (17, (6,), "relu"),        # ... and of many (a @ W from the data)
])
def test_the_kernel_scores_wide_layers_as_the_plain_evaluation(switch, n_in, hidden, activation):
    net = Network(n_in, hidden, 3, activation=activation)
    rng = np.random.RandomState(3)
    net.params[...] = (0.3 * rng.randn(net.n_params)).astype(F32)
    X = rng.randn(150, n_in).astype(F32)
    y = np.sort(rng.randint(0, 3, 150))
    switch(False)
    search = faster("search", net, X, y)
    assert search is not None
    for k in (1, 3, 7):  # views of several batch sizes into the same scratch arrays
        P = (0.3 * rng.randn(k, net.n_params)).astype(F32)
        losses, accs = search.score(P)
        for i, p in enumerate(P):
            net.params[...] = p
            loss, acc = net.evaluate(X, y)
            same_bytes(losses[i], F32(loss), f"loss of candidate {i} of {k}")
            same_bytes(accs[i], np.float64(acc), f"accuracy of candidate {i} of {k}")


def test_an_evaluation_is_computed_again_only_when_weights_or_settings_change(switch, monkeypatch):
    switch(False)
    net = model((8,), "relu", "sigmoid", 1)  # no kernel: one point's evaluation, remembered
    X, y = data("sigmoid", 1, 40)
    calls = []
    plain = net.evaluate
    evaluate = faster("evaluate", net, X, y)
    compute = evaluate.evaluate
    monkeypatch.setattr(evaluate, "evaluate", lambda: calls.append(1) or compute())
    first = evaluate()
    assert evaluate() == first and len(calls) == 1
    net.params[0] += 0.5
    assert evaluate() == plain(X, y) != first and len(calls) == 2
    net.dense[0].l2 = 0.1  # a layer setting (regularisation, say) may change the loss
    evaluate()
    assert len(calls) == 3


@pytest.mark.parametrize("output,n_out,activation", [("sigmoid", 1, "relu"), ("sigmoid", 3, "tanh"),
                                                     ("linear", 2, "sigmoid")])
def test_one_point_is_evaluated_in_blocks_of_rows_as_the_plain_evaluation(switch, output, n_out, activation):
    net = model((64, 64), activation, output, n_out, scale=0.3)
    X, y = data(output, n_out, 3001)
    switch(False)
    evaluate = faster("evaluate", net, X, y)
    assert evaluate.evaluate.rows < len(X)  # several blocks of rows, the last one short
    same_bytes(np.array(evaluate()), np.array(net.evaluate(X, y)))


def test_the_kernel_handles_ties_and_nan_as_the_plain_argmax(switch):
    switch(False)
    net = model((4,), "relu", "softmax", 3)
    X, y = data("softmax", 3, 30)
    P = np.zeros((3, net.n_params), F32)  # all outputs equal: argmax picks class 0
    P[1] = 1.0
    P[2, 0] = np.nan
    losses, accs = faster("search", net, X, y).score(P)
    for i, p in enumerate(P):
        net.params[...] = p
        loss, acc = net.evaluate(X, y)
        same_bytes(losses[i], F32(loss))
        same_bytes(accs[i], np.float64(acc))


# -- the three searches: whole runs of the loop ---------------------------------------------------

SEARCHES = [("random-search", {}), ("hill-climb", {}), ("hill-climb", {"scale": 0.01}),
            ("anneal", {"temperature": 0.05}), ("anneal", {"temperature": 2.0, "cooling": 0.99})]


def search_run(switch, plain, name, hp, net, X, y, chunks):
    switch(plain)
    net = copy.deepcopy(net)
    opt = make_optimizer(name, **hp)
    rng = np.random.RandomState(5)
    parts = [opt.run(net, X, y, n, rng) for n in chunks]
    joined = [np.concatenate([p[i] for p in parts]) for i in range(3)]
    return joined, net.params.copy(), rng.get_state()[1:], opt


@pytest.mark.parametrize("name,hp", SEARCHES, ids=[f"{n}{'-' + '-'.join(h) if h else ''}" for n, h in SEARCHES])
@pytest.mark.parametrize("output,hidden,n_out,dropout", [
    ("softmax", (3,), 3, 0.0),     # the book's chapter-6 model
    ("softmax", (16, 8), 4, 0.3),  # deeper, dropout (inactive when scoring)
    ("sigmoid", (8,), 1, 0.0),
    ("linear", (5,), 2, 0.0),
])
def test_search_runs_accept_the_same_steps(switch, name, hp, output, hidden, n_out, dropout):
    net = model(hidden, "relu", output, n_out, dropout, scale=0.1)
    X, y = data(output, n_out, 90)
    chunks = [1, 37, 250]  # the batch sizes adapt within and across runs
    fast, fast_params, fast_rng, fast_opt = search_run(switch, False, name, hp, net, X, y, chunks)
    plain, plain_params, plain_rng, plain_opt = search_run(switch, True, name, hp, net, X, y, chunks)
    assert plain[2].sum() > 3, "a test of acceptance needs acceptances"
    for what, a, b in zip(("losses", "accuracies", "accepted"), fast, plain):
        same_bytes(a, b, what)
    same_bytes(fast_params, plain_params, "final point")
    assert all(np.array_equal(a, b) for a, b in zip(fast_rng, plain_rng)), "random stream"
    fs, ps = fast_opt.state_dict(), plain_opt.state_dict()
    assert fs.keys() == ps.keys()
    for key in fs:
        same_bytes(fs[key], ps[key], key)
    same_bytes(fast_opt.prev_point, plain_opt.prev_point, "previous point")


# -- the gradient step -----------------------------------------------------------------------------


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=models, batch=st.integers(1, 40))
def test_the_lean_step_equals_forward_loss_score_and_backward(switch, m, batch):
    n_out = max(m["n_out"], 2) if m["output"] == "softmax" else m["n_out"]
    net = model(m["hidden"], m["activation"], m["output"], n_out, 0.0, m["seed"], m["scale"])
    X, y = data(m["output"], n_out, max(m["n"], batch), m["seed"])
    Xb, yb = X[:batch], y[:batch]
    switch(False)
    lean = faster("step", net, X, y)
    assert lean is not None
    loss, acc, fast_grads, plain_loss, plain_acc = lean_and_plain_step(lean, net, Xb, yb)
    same_bytes(np.float64(loss), np.float64(plain_loss), "loss")
    same_bytes(np.float64(acc), np.float64(plain_acc), "accuracy")
    np.testing.assert_array_equal(fast_grads, net.grads)  # equal values (+0 and -0 may differ)


GRADIENT_RUNS = {
    "sgd": dict(optimizer="sgd", hyperparams={"lr": 1.0}),
    "sgd-momentum-decay": dict(optimizer="sgd", hyperparams={"lr": 1.0, "decay": 1e-3, "momentum": 0.9}),
    "adagrad": dict(optimizer="adagrad", hyperparams={"lr": 1.0, "decay": 1e-4}),
    "rmsprop": dict(optimizer="rmsprop", hyperparams={"lr": 0.02, "decay": 1e-5, "rho": 0.999}),
    "adam": dict(optimizer="adam", hyperparams={"lr": 0.05, "decay": 5e-7}),
    # short memories: the bias corrections 1 - beta**t reach exactly 1 in float32 within the run
    "adam-short-memory": dict(optimizer="adam", hyperparams={"lr": 0.02, "beta1": 0.5, "beta2": 0.6}),
}
MODELS = {
    "spiral-64": dict(dataset="spiral", layers=(64,)),
    "spiral-minibatch-tanh": dict(dataset="spiral", layers=(16, 8), activation="tanh", batch_size=32),
    "sine-regression": dict(dataset="sine", layers=(16, 16), samples=200),
    "spiral-dropout": dict(dataset="spiral", layers=(32,), dropout=0.1),
}


def trainer_run(switch, plain, **config):
    switch(plain)
    t = Trainer(TrainConfig(**config))
    events = [e.to_dict(timing=False) for e in t.events(chunk=50)]  # fixed chunks: comparable streams
    return events, t.net.params.copy(), t.optimizer.state_dict()


@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("opt_name", GRADIENT_RUNS)
def test_gradient_runs_are_the_same_on_both_paths(switch, opt_name, model_name):
    config = {**MODELS[model_name], **GRADIENT_RUNS[opt_name], "iterations": 120}
    fast_events, fast_params, fast_state = trainer_run(switch, False, **config)
    plain_events, plain_params, plain_state = trainer_run(switch, True, **config)
    assert fast_events == plain_events
    same_bytes(fast_params, plain_params, "weights")
    for key in fast_state:
        np.testing.assert_array_equal(fast_state[key], plain_state[key], err_msg=key)


def test_the_books_chapter6_run_is_the_same_on_both_paths(switch):
    fast_events, fast_params, _ = trainer_run(switch, False, iterations=1500)
    plain_events, plain_params, _ = trainer_run(switch, True, iterations=1500)
    assert fast_events == plain_events
    same_bytes(fast_params, plain_params)
    assert sum(e["event"] == ev.Evaluation.kind for e in fast_events) > 10


# -- the compiled loops (numba) --------------------------------------------------------------------

special = st.sampled_from([0.0, -0.0, 1e-45, 1e-30, 3e38, -3e38, np.inf, -np.inf, np.nan])
adam_updates = st.fixed_dictionaries({
    "n": st.integers(1, 300),
    "scale": st.sampled_from([1e-20, 1e-3, 1.0, 1e20]),
    "specials": st.lists(special, max_size=6),
    "steps": st.integers(0, 400),  # 1 - beta**t: from far from 1 to exactly 1 in float32
    "lr": st.sampled_from([1e-3, 0.05, 3.0]),
    "beta1": st.sampled_from([0.9, 0.5]),
    "beta2": st.sampled_from([0.999, 0.6]),
    "seed": st.integers(0, 2**16),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(u=adam_updates)
def test_compiled_adam_updates_as_adams_own_update(switch, u):
    switch(False)
    net = model((4,), "relu", "sigmoid", 1)
    X, y = data("sigmoid", 1, 10)
    lean = faster("step", net, X, y)
    assert lean.loops is not None, "numba is a dependency: the compiled Adam applies"
    rng = np.random.RandomState(u["seed"])
    values = (u["scale"] * rng.randn(4, net.n_params)).astype(F32)
    for i, v in enumerate(u["specials"]):  # NaN, infinities, subnormals, signed zeros among them
        values[i % 4, rng.randint(net.n_params)] = v
    values[3] = np.abs(values[3])  # the cache of squares: never negative
    results = []
    for fast in (True, False):
        opt = make_optimizer("adam", lr=u["lr"], beta1=u["beta1"], beta2=u["beta2"])
        opt.steps = u["steps"]
        params, grads = net.params, net.grads
        params[...], grads[...] = values[0], values[1]
        opt.buffer("momentum", params)[...], opt.buffer("cache", params)[...] = values[2], values[3]
        with np.errstate(all="ignore"):
            lean.update(opt) if fast else opt.update(params, grads)
        results.append((params.copy(), opt.buffers["momentum"].copy(), opt.buffers["cache"].copy(), opt.steps))
    for what, a, b in zip(("weights", "momentum", "cache", "steps"), *results):
        same_bytes(a, b, what)


@pytest.mark.parametrize("config", [
    {**MODELS["spiral-minibatch-tanh"], **GRADIENT_RUNS["adam"], "iterations": 120},
    # one sigmoid output, ReLU: the step's element-wise work compiled (and a search kernel)
    dict(dataset="moons", layers=(16, 16), optimizer="adam", hyperparams={"lr": 0.05}, batch_size=16,
         iterations=150),
    dict(dataset="vertical", layers=(3,), optimizer="hill-climb", iterations=600),
], ids=["softmax-tanh", "sigmoid-relu", "search"])
def test_without_numba_the_fast_paths_use_numpy_alone_with_the_same_results(switch, monkeypatch, config):
    import tui_nn.fast as fast

    compiled_run = trainer_run(switch, False, **config)
    monkeypatch.setattr(fast, "loops", lambda: None)  # as where numba cannot be imported
    switch(False)
    assert faster("step", Network(2, (4,), 3), *data("softmax", 3, 20)).loops is None
    numpy_run = trainer_run(switch, False, **config)
    assert compiled_run[0] == numpy_run[0]
    same_bytes(compiled_run[1], numpy_run[1], "weights")


def test_the_compiled_loops_work_where_no_cache_directory_is_writable(tmp_path):
    """numba caches compiled code next to the module or in the user's cache directory; where
    neither can be written (here: files in the way), it compiles in each process instead."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    package = Path(__file__).resolve().parents[1] / "tui_nn"
    shutil.copytree(package, tmp_path / "tui_nn", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tui_nn" / "fast" / "__pycache__").write_text("in the way")
    (tmp_path / "blocked").write_text("in the way")
    code = (
        "import os, numpy as np\n"
        "from tui_nn.trainer import Trainer, TrainConfig\n"
        "import tui_nn.fast as fast\n"
        "assert fast.loops() is not None and 'tui_nn' in fast.loops().__file__\n"
        "assert type(fast.loops().adam._cache).__name__ == 'NullCache'  # compiled without a cache\n"
        "def run(plain):\n"
        "    os.environ['TUI_NN_PLAIN'] = plain\n"
        "    t = Trainer(TrainConfig(dataset='spiral', layers=(8,), optimizer='adam', iterations=60))\n"
        "    t.run()\n"
        "    return t.net.params.tobytes()\n"
        "assert run('0') == run('1')\n"
        "print('ok')\n"
    )
    blocked = str(tmp_path / "blocked" / "cache")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": blocked, "XDG_CACHE_HOME": blocked,
           "NUMBA_CACHE_DIR": blocked, "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, env=env)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]
    assert not list(tmp_path.rglob("*.nbi"))  # nothing cached anywhere under it


def kernel_of(switch, net, X, y):
    switch(False)
    search = faster("search", net, X, y)
    return search.score if search is not None else None


@pytest.mark.parametrize("hidden", [(3,), (64,), (8, 4)])
def test_the_books_models_are_scored_by_the_compiled_kernel(switch, hidden):
    from tui_nn.fast.fused import FusedKernel

    net = model(hidden, "relu", "softmax", 3)
    X, y = data("softmax", 3, 300)
    assert isinstance(kernel_of(switch, net, X, y), FusedKernel)


fused_cases = st.fixed_dictionaries({
    "hidden": st.lists(st.integers(1, 70), min_size=1, max_size=2).map(tuple),
    "activation": st.sampled_from(["relu", "linear"]),
    "n_out": st.integers(2, 8),
    "n": st.integers(1, 300),
    "k": st.integers(1, 300),
    "scale": st.sampled_from([0.0, 0.01, 1.0, 30.0, 1e30]),  # 0: every output tied; 1e30: inf - inf
    "specials": st.lists(st.sampled_from([np.nan, np.inf, -np.inf, 0.0, -0.0]), max_size=4),
    "seed": st.integers(0, 2**16),
})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=fused_cases)
def test_the_compiled_kernel_scores_as_the_numpy_kernel_and_the_plain_evaluation(switch, m):
    from tui_nn.fast.fused import FusedKernel
    from tui_nn.fast.search import _BookKernel

    net = model(m["hidden"], m["activation"], "softmax", m["n_out"], seed=m["seed"])
    X, y = data("softmax", m["n_out"], m["n"], m["seed"])
    rng = np.random.RandomState(m["seed"])
    P = (m["scale"] * rng.randn(m["k"], net.n_params)).astype(F32)
    for v in m["specials"]:
        P[rng.randint(m["k"]), rng.randint(net.n_params)] = v
    switch(False)
    fused = FusedKernel.build(net, X, y, __import__("tui_nn.fast", fromlist=["loops"]).loops())
    numpy_kernel = _BookKernel.build(net, X, y)
    if fused is None or numpy_kernel is None:  # this BLAS adds this shape in an order no kernel takes
        return
    with np.errstate(all="ignore"):
        got, expected = fused(P), numpy_kernel(P)
        for what, a, b in zip(("losses", "accuracies"), got, expected):
            same_bytes(a, b, what)
        for i in sorted({0, m["k"] - 1}):
            net.params[...] = P[i]
            loss, acc = net.evaluate(X, y)
            same_bytes(got[0][i], F32(loss), f"loss of candidate {i}")
            same_bytes(got[1][i], np.float64(acc), f"accuracy of candidate {i}")


def test_a_shape_whose_sums_no_loop_reproduces_is_scored_with_numpy_calls(switch, monkeypatch):
    import tui_nn.fast.fused as fused
    from tui_nn.fast.search import _BookKernel

    net = model((64,), "relu", "softmax", 3, scale=0.1)
    X, y = data("softmax", 3, 120)
    monkeypatch.setattr(fused, "_sums_order", lambda *shape: None)  # as a BLAS adding in another order
    assert isinstance(kernel_of(switch, net, X, y), _BookKernel)
    chunks = [1, 300]
    fast, fast_params, fast_rng, _ = search_run(switch, False, "hill-climb", {}, net, X, y, chunks)
    plain, plain_params, plain_rng, _ = search_run(switch, True, "hill-climb", {}, net, X, y, chunks)
    assert plain[2].sum() > 3
    for what, a, b in zip(("losses", "accuracies", "accepted"), fast, plain):
        same_bytes(a, b, what)
    same_bytes(fast_params, plain_params, "final point")


@pytest.mark.parametrize("config", [dict(iterations=1500, layers=(64,)),
                                    dict(iterations=800, dataset="spiral", layers=(16, 8), optimizer="random-search")])
def test_wide_and_deep_search_runs_are_the_same_on_both_paths(switch, config):
    fast_events, fast_params, _ = trainer_run(switch, False, **config)
    plain_events, plain_params, _ = trainer_run(switch, True, **config)
    assert fast_events == plain_events
    same_bytes(fast_params, plain_params)


def test_the_compiled_kernel_keeps_infinities_of_a_one_unit_layer(switch):
    from tui_nn.fast.fused import FusedKernel

    net = model((4, 1), "relu", "softmax", 3)
    X, y = data("softmax", 3, 50)
    P = (1e30 * np.random.RandomState(4).randn(6, net.n_params)).astype(F32)  # inf inside the network
    fused = kernel_of(switch, net, X, y)
    assert isinstance(fused, FusedKernel)
    with np.errstate(all="ignore"):
        losses, accs = fused(P)
        for i, p in enumerate(P):
            net.params[...] = p
            loss, acc = net.evaluate(X, y)
            same_bytes(losses[i], F32(loss), f"loss of candidate {i}")
            same_bytes(accs[i], np.float64(acc), f"accuracy of candidate {i}")


@pytest.mark.parametrize("scale", [1e-30, 30.0, 1e30])  # 1e30: infinities and NaN in every pass
def test_the_compiled_sigmoid_step_equals_the_plain_step_at_extreme_scales(switch, scale):
    net = model((8, 8), "relu", "sigmoid", 1, scale=scale)
    X, y = data("sigmoid", 1, 40)
    X[3] = 0.0  # a row of zeros: signed zeros through ReLU
    switch(False)
    lean = faster("step", net, X, y)
    assert lean.fused_sigmoid
    loss, acc, fast_grads, plain_loss, plain_acc = lean_and_plain_step(lean, net, X, y)
    same_bytes(np.float64(loss), np.float64(plain_loss), "loss")
    same_bytes(np.float64(acc), np.float64(plain_acc), "accuracy")
    same_bytes(fast_grads, net.grads, "gradients")  # ReLU's +0 where off, even for NaN


def test_a_warm_up_loads_every_compiled_loop_that_runs_use(switch):
    """After ``warm_up()`` a search and a gradient run compile nothing more: a process that times
    its work (a race's worker) pays numba's start before its first job, not during it."""
    import tui_nn.fast as fast

    switch(False)
    fast.warm_up()
    loops = fast.loops()
    kernels = {name: f for name, f in vars(loops).items() if hasattr(f, "signatures")}
    assert kernels and all(f.signatures for f in kernels.values())
    before = {name: len(f.signatures) for name, f in kernels.items()}
    Trainer(TrainConfig(dataset="vertical", layers=(64,), iterations=300)).run()
    Trainer(TrainConfig(dataset="moons", layers=(16, 16), optimizer="adam", iterations=60, batch_size=8)).run()
    assert {name: len(f.signatures) for name, f in kernels.items()} == before


def test_the_batch_size_follows_the_rate_of_acceptances():
    from tui_nn.fast.search import _Batcher

    def feed(batcher, n, every):  # a stream of candidates, one in ``every`` acceptable (None: none)
        pos = 0
        while pos < n:
            k = batcher.take(10**6, 1)
            hits = [j for j in range(k) if every and (pos + j) % every == every - 1]
            batcher.accepted_at(hits[0] if hits else None, k)
            pos += hits[0] + 1 if hits else k

    cheap, dear = _Batcher(cost_ratio=5.0), _Batcher(cost_ratio=0.5)  # a call's cost / a candidate's
    for batcher in (cheap, dear):
        feed(batcher, 5000, None)  # no acceptance for a long while: large batches
    assert cheap.take(10**6, 1) == _Batcher.MAX and dear.take(10**6, 1) > 16
    for batcher in (cheap, dear):
        feed(batcher, 3000, 3)  # then one candidate in three accepted: sqrt(2 ratio / (1/3))
    assert 4 <= cheap.take(10**6, 1) <= 7 and 1 <= dear.take(10**6, 1) <= 2
    assert cheap.take(10**6, 10**6) == 1 and cheap.take(2, 1) <= 2  # the memory budget, what remains


def test_while_the_compiled_loops_load_in_the_background_evaluations_use_numpy_with_the_same_bits(switch, monkeypatch):
    # The dashboard's trainer process loads numba on a thread of its own so that its first
    # evaluation (on the first frame) does not wait for it; a search waits, and then evaluations
    # use the compiled kernel, which remembers the search's current point.
    import threading

    from tui_nn import fast
    from tui_nn.fast.fused import FusedKernel
    from tui_nn.fast.search import _BookKernel

    switch(False)
    release = threading.Event()
    loading = threading.Thread(target=release.wait, daemon=True)
    loading.start()
    monkeypatch.setattr(fast, "_background", loading)
    net = model((3,), "relu", "softmax", 3)
    X, y = data("softmax", 3, 300)
    try:
        during = faster("evaluate", net, X, y)
        assert isinstance(fast._kernel(net, X, y, fast._loops_for_evaluation()), _BookKernel)
        first = during()
    finally:
        release.set()
        loading.join()
    after = faster("evaluate", net, X, y)
    assert isinstance(fast._kernel(net, X, y, fast._loops_for_evaluation()), FusedKernel)
    switch(True)
    assert first == after() == net.evaluate(X, y)
