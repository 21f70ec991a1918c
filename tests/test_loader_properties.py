"""Damaged and crafted checkpoints and weight files (issue 11, items 10 and 11).

A loader gives either a correct load (the run or model then works) or its one documented
error: ``tui_nn.checkpoint.CheckpointError`` / ``tui_nn.weights.WeightsFileError``, both
``ValueError``, one line naming the file and the field. The command line prints that line as
``Error: ...`` with exit status 2. Crafted cases first (each a traceback before), then
hypothesis mutating real files: keys removed, types changed, shapes broken, deep nesting.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tui_nn import checkpoint, weights
from tui_nn.checkpoint import CheckpointError
from tui_nn.cli import main
from tui_nn.network import Network
from tui_nn.weights import WeightsFileError
from tui_nn.trainer import Trainer, TrainConfig

CONFIGS = {
    "hill-climb": dict(iterations=40),
    "adam": dict(dataset="spiral", optimizer="adam", batch_size=16, dropout=0.2, val_split=0.2, iterations=60),
    "anneal": dict(optimizer="anneal", iterations=40),
}
_SAVED: dict[str, tuple[dict, dict]] = {}


def saved(name: str, tmp_path) -> tuple[dict, dict]:
    """(meta, arrays) of a real checkpoint of a short run, part-way through."""
    if name not in _SAVED:
        t = Trainer(TrainConfig(**CONFIGS[name]))
        t.start_events()
        t.advance(25)
        path = tmp_path / "real.npz"
        t.save_checkpoint(path)
        ck = checkpoint.read(path)
        _SAVED[name] = (ck.meta, ck.arrays)
    meta, arrays = _SAVED[name]
    return json.loads(json.dumps(meta)), {k: v.copy() for k, v in arrays.items()}


def write(path, meta, arrays, raw_meta: str | None = None):
    np.savez(path, meta=np.array(raw_meta if raw_meta is not None else json.dumps(meta)), **arrays)
    return path


def check_one(path) -> Trainer | None:
    """Load a checkpoint; None after checking its error is one line naming the file."""
    try:
        t = Trainer.from_checkpoint(path)
    except CheckpointError as err:
        message = str(err)
        assert "\n" not in message and str(path) in message
        return None
    t.advance(3)  # a checkpoint that loads must also continue
    return t


def set_in(d: dict, dotted: str, value):
    *parents, last = dotted.split(".")
    for p in parents:
        d = d[p]
    if value is _DELETE:
        del d[last]
    else:
        d[last] = value


_DELETE = object()
DEEP = "[" * 50_000 + "]" * 50_000


def crafted_cases():
    """(name, config, change of meta, change of arrays, field named in the error)."""
    nan_params = lambda z: z["params"].__setitem__(0, np.nan)  # noqa: E731
    return [
        ("missing iteration", "hill-climb", lambda m: m.pop("iteration"), None, "iteration: missing"),
        ("missing config", "hill-climb", lambda m: m.pop("config"), None, "config: expected an object"),
        ("missing rng", "hill-climb", None, lambda z: z.pop("rng"), "rng: missing"),
        ("missing params", "hill-climb", None, lambda z: z.pop("params"), "params: missing"),
        ("optimizer state without steps", "adam", lambda m: m["optimizer_state"].pop("steps"), None,
         "optimizer_state.steps: missing"),
        ("config as a list", "hill-climb", lambda m: m.__setitem__("config", [1, 2]), None, "config: expected an object"),
        ("iteration as text", "hill-climb", lambda m: m.__setitem__("iteration", "25"), None,
         "iteration: expected a whole number"),
        ("negative iteration", "hill-climb", lambda m: m.__setitem__("iteration", -5), None, "iteration: expected"),
        ("bad switches", "hill-climb", lambda m: m.__setitem__("switches", [[0]]), None, "switches[0]: expected"),
        ("switch to no optimizer", "hill-climb", lambda m: m.__setitem__("switches", [[0, "magic"]]), None,
         "switches[0][1]: expected one of"),
        ("order out of range", "adam", None, lambda z: z["order"].__setitem__(0, 10**6), "order: expected an order"),
        ("short rng", "hill-climb", None, lambda z: z.__setitem__("rng", z["rng"][:100]), "rng: expected 627"),
        ("NaN parameters", "hill-climb", None, nan_params, "params: NaN or infinite value at index 0"),
        ("complex parameters", "hill-climb", None, lambda z: z.__setitem__("params", z["params"].astype(np.complex64)),
         "params: expected real numbers"),
        ("parameters of another model", "hill-climb", None, lambda z: z.__setitem__("params", z["params"][:-1]),
         "params: expected 21 float32 values"),
        ("float64 parameters", "hill-climb", None, lambda z: z.__setitem__("params", z["params"].astype(np.float64)),
         "params: expected 21 float32 values"),
        ("unknown state", "hill-climb", lambda m: m.__setitem__("state", "flying"), None, "state: expected one of"),
        ("bad hyperparameter", "adam", lambda m: m["hyperparams"].__setitem__("lr", -1), None, "hyperparams.lr"),
        ("bad setting", "hill-climb", lambda m: m["config"].__setitem__("seed", -1), None, "config.seed"),
        ("layers as text", "hill-climb", lambda m: m["config"].__setitem__("layers", "3"), None, "config.layers"),
        ("batch position past the epoch", "adam", lambda m: m.__setitem__("batch_pos", 10**6), None, "batch_pos"),
        ("evaluation without iteration", "hill-climb", lambda m: m["evaluations"][0].pop("iteration"), None,
         "evaluations[0].iteration"),
        ("history sizes", "hill-climb", None, lambda z: z.__setitem__("hist_losses_lo", z["hist_losses_lo"][:2]),
         "hist_losses_lo: expected"),
        ("history capacity", "hill-climb", None, lambda z: z["hist_losses_meta"].__setitem__(3, 2**40),
         "hist_losses_meta: inconsistent"),
        ("unknown array", "hill-climb", None, lambda z: z.__setitem__("opt_buf_cache", z["params"]), "opt_buf_cache"),
    ]


@pytest.mark.parametrize("case", crafted_cases(), ids=lambda c: c[0])
def test_a_crafted_checkpoint_is_one_error_naming_the_field(tmp_path, case):
    _, name, change_meta, change_arrays, field = case
    meta, arrays = saved(name, tmp_path)
    if change_meta:
        change_meta(meta)
    if change_arrays:
        change_arrays(arrays)
    path = write(tmp_path / "crafted.npz", meta, arrays)
    with pytest.raises(CheckpointError) as err:
        Trainer.from_checkpoint(path)
    assert str(path) in str(err.value) and field in str(err.value) and "\n" not in str(err.value)


def test_deeply_nested_meta_is_one_error(tmp_path):
    meta, arrays = saved("hill-climb", tmp_path)
    path = write(tmp_path / "deep.npz", meta, arrays, raw_meta='{"format": "tui-nn/checkpoint/1", "x": ' + DEEP + "}")
    with pytest.raises(CheckpointError, match="nested too deeply"):
        Trainer.from_checkpoint(path)


def test_the_command_line_prints_one_error_line_for_a_crafted_checkpoint(tmp_path, monkeypatch):
    meta, arrays = saved("hill-climb", tmp_path)
    meta["iteration"] = "many"
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "c.npz", meta, arrays)
    try:
        runner = CliRunner(mix_stderr=False)
    except TypeError:
        runner = CliRunner()
    result = runner.invoke(main, ["train", "--headless", "--resume", "c.npz", "--iterations", "5"])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: c.npz: damaged checkpoint: iteration: "), lines


def test_an_untouched_checkpoint_still_loads_and_continues(tmp_path):
    for name in CONFIGS:
        meta, arrays = saved(name, tmp_path)
        assert check_one(write(tmp_path / f"{name}.npz", meta, arrays)) is not None


# --- mutations ---------------------------------------------------------------------------------

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
json_values = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([10**30, -(10**30), 2**63]),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.sampled_from(["adam", "running", "relu"]),
    st.lists(st.integers(-1, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just([[[[[[[[[[1]]]]]]]]]]),
)


def meta_paths(meta: dict, prefix="") -> list[str]:
    out = []
    for k, v in meta.items():
        if k == "format" or "." in k:
            continue
        out.append(prefix + k)
        if isinstance(v, dict):
            out += meta_paths(v, prefix + k + ".")
    return out


def mutate_array(a: np.ndarray, how: str) -> np.ndarray:
    if how == "int":
        return a.astype(np.int64) if a.dtype.kind != "f" or np.isfinite(a).all() else a.astype(np.int32, casting="unsafe")
    if how == "float64":
        return a.astype(np.float64)
    if how == "complex":
        return a.astype(np.complex128)
    if how == "bool":
        return a.astype(bool)
    if how == "short":
        return a[: len(a) // 2]
    if how == "long":
        return np.concatenate([a, a[:3]])
    if how == "2d":
        return a.reshape(1, -1)
    if how == "nan":
        b = a.astype(np.float64) if a.dtype.kind != "f" else a.copy()
        if b.size:
            b.flat[0] = math.nan
        return b
    if how == "huge":
        b = a.copy()
        if b.size and b.dtype.kind in "iuf":
            b.flat[-1] = np.iinfo(b.dtype).max if b.dtype.kind in "iu" else np.finfo(b.dtype).max
        return b
    return a


@SETTINGS
@given(name=st.sampled_from(list(CONFIGS)), data=st.data())
def test_a_mutated_checkpoint_loads_correctly_or_is_one_error(tmp_path, name, data):
    meta, arrays = saved(name, tmp_path)
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        if data.draw(st.booleans(), label="meta or arrays"):
            key = data.draw(st.sampled_from(meta_paths(meta)), label="meta key")
            set_in(meta, key, data.draw(st.one_of(st.just(_DELETE), json_values), label="value"))
        else:
            key = data.draw(st.sampled_from(sorted(arrays)), label="array")
            how = data.draw(st.sampled_from(["delete", "int", "float64", "complex", "bool", "short", "long", "2d",
                                             "nan", "huge"]), label="how")
            if how == "delete":
                del arrays[key]
            else:
                arrays[key] = mutate_array(arrays[key], how)
    check_one(write(tmp_path / "mutated.npz", meta, arrays))


def weights_document() -> dict:
    net = Network(3, (4,), 2, dtype=np.float32)
    net.initialize(np.random.RandomState(0))
    return weights.to_dict(net)


@SETTINGS
@given(data=st.data(), suffix=st.sampled_from([".json", ".npz"]))
def test_a_mutated_weights_file_loads_correctly_or_is_one_error(tmp_path, data, suffix):
    doc = weights_document()
    net = weights.from_dict(doc)
    if suffix == ".npz":
        meta = {k: v for k, v in doc.items() if k != "layers"}
        meta["layers"] = [{k: v for k, v in l.items() if k not in ("weights", "biases")} for l in doc["layers"]]
        doc, params = meta, net.params.copy()
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        where = data.draw(st.sampled_from(["top", "layer"] + (["params"] if suffix == ".npz" else [])), label="where")
        if where == "params":
            how = data.draw(st.sampled_from(["int", "float64", "complex", "bool", "short", "long", "2d", "nan",
                                             "huge"]), label="how")
            params = mutate_array(params, how)
            continue
        layers = doc.get("layers")
        if where == "layer" and isinstance(layers, list) and layers:
            target = data.draw(st.sampled_from(layers), label="layer")
        else:
            target = doc
        if not isinstance(target, dict):
            continue
        key = data.draw(st.sampled_from(sorted(target) or ["x"]), label="key")
        value = data.draw(st.one_of(st.just(_DELETE), json_values), label="value")
        if value is _DELETE:
            target.pop(key, None)
        else:
            target[key] = value
    path = tmp_path / f"w{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(doc))
    else:
        np.savez(path, params=params, meta=json.dumps(doc))
    try:
        loaded = weights.load(path)
    except WeightsFileError as err:
        assert "\n" not in str(err) and str(path) in str(err)
        return
    out = loaded.forward(np.ones((2, loaded.n_inputs)))
    assert np.isfinite(loaded.params).all() and out.shape == (2, loaded.n_outputs)


def test_every_saved_run_field_has_a_check():
    # a field added to the checkpoint's run state must say how a loaded value is checked
    assert set(checkpoint.RUN_STATE_CHECKS) == set(checkpoint.RUN_STATE)
