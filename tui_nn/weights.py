"""Saving and loading a :class:`~tui_nn.network.Network`: ``.json`` (readable, layer by layer)
or ``.npz`` (the flat parameter vector, exact), written atomically.

Loading checks every field before anything is allocated: types, layer sizes and how they
chain, the parameter count, finite weights within the dtype's range, float32 or float64 only,
JSON nesting. A file that fails raises :class:`WeightsFileError` (a ``ValueError``), one line
naming the file and the field; nothing else is raised. Files are read only if they are regular
files (a named pipe would block) and with ``allow_pickle=False``.

    >>> from tui_nn import weights
    >>> weights.save(net, "model.json")      # or .npz
    >>> net = weights.load("model.json")

The dependency goes one way: this module builds networks; ``tui_nn.network`` knows nothing of files.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import numpy as np

from .network import ACTIVATIONS, INITS, LOSS_ALIASES, LOSSES, MAX_PARAMS, Network


class WeightsFileError(ValueError):
    """A weights file or ``to_dict()`` document that cannot be loaded: str(err) is one line
    naming the file (when there is one), the field and what is wrong with it."""


FORMAT = "tui-nn/weights/1"
_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def to_dict(net: Network) -> dict:
    """The model as a JSON-ready document."""
    return {
        "format": FORMAT,
        "loss": net.loss_function.name,
        "dropout": net.dropout_rate,
        "init": net.init,
        "dtype": net.dtype.name,
        "has_biases": net.has_biases,
        "layers": [
            {"inputs": d.n_inputs, "units": d.n_neurons, "activation": act,
             "weights": d.weights.tolist(), "biases": d.biases[0].tolist()}
            for d, act in zip(net.dense, net.activation_names)
        ],
    }


def from_dict(data: dict, dtype=None) -> Network:
    """Rebuild a model from ``to_dict()``; ``dtype`` defaults to the stored one (else float32).

    Every field is checked (types, sizes, finite weights); a bad one raises
    :class:`WeightsFileError` naming it.
    """
    spec = _checked_spec(data, with_values=True)
    dtype = np.dtype(dtype) if dtype is not None else spec["dtype"]
    if dtype not in _DTYPES:
        raise WeightsFileError(f"dtype: {dtype} is not float32 or float64")
    layers = data["layers"]
    values = []
    for i, (l, (n_in, n_out)) in enumerate(zip(layers, zip(spec["widths"], spec["widths"][1:]))):
        w = _finite_array(l["weights"], dtype, f"layers[{i}].weights")
        b = _finite_array(l["biases"], dtype, f"layers[{i}].biases").reshape(1, -1)
        if w.shape != (n_in, n_out) or b.shape != (1, n_out):
            raise WeightsFileError(f"layer {n_in}->{n_out}: weights {w.shape} / biases {b.shape} "
                                   f"do not match {(n_in, n_out)} / {(1, n_out)}")
        values.append((w, b))
    net = spec["build"](dtype)
    for d, (w, b) in zip(net.dense, values):
        d.weights[...] = w
        d.biases[...] = b
    return net


def save(net: Network, path) -> Path:
    """Save ``net`` to ``.json`` or ``.npz``, atomically."""
    from .atomic import atomic_write

    path = Path(path)
    if path.suffix == ".json":
        atomic_write(path, json.dumps(to_dict(net), indent=1).encode())
    else:
        meta = {k: v for k, v in to_dict(net).items() if k != "layers"}
        meta["layers"] = [{k: v for k, v in l.items() if k not in ("weights", "biases")}
                          for l in to_dict(net)["layers"]]
        atomic_write(path, lambda f: np.savez(f, params=net.params, meta=json.dumps(meta)))
    return path


def load(path) -> Network:
    """Load a model saved by :func:`save`.

    A file that is not a whole, sane model (unreadable, not a regular file, damaged, a
    missing or ill-typed field, sizes that do not fit, NaN or infinite or out-of-range
    weights, a dtype other than float32/float64) raises :class:`WeightsFileError` (a
    ``ValueError``) with one line naming the file and the field; nothing else is raised.
    """
    from .atomic import open_regular

    path = Path(path)
    try:
        with open_regular(path) as f:
            if path.suffix == ".json":
                return from_dict(_json_document(f.read()))
            with np.load(f, allow_pickle=False) as z:
                if "meta" not in z.files or "params" not in z.files:
                    missing = "meta" if "meta" not in z.files else "params"
                    raise WeightsFileError(f"{missing}: missing; this is not a weights file saved by tui-nn")
                meta, params = z["meta"], z["params"]
            if meta.shape != () or meta.dtype.kind != "U":
                raise WeightsFileError("meta: expected one JSON text")
            return _from_npz(_json_document(str(meta)), params)
    except WeightsFileError as e:
        raise WeightsFileError(f"{path}: {e}") from None
    except OSError as e:
        raise WeightsFileError(f"{path}: cannot read ({e.strerror or e}); give a weights file saved by tui-nn") from None
    except (ValueError, EOFError, zipfile.BadZipFile, zlib.error) as e:  # a damaged .npz
        raise WeightsFileError(f"{path}: not a weights file ({' '.join(str(e).split())}); "
                               "give a .json or .npz file saved by tui-nn") from None


def _from_npz(meta, params: np.ndarray):
    spec = _checked_spec(meta, with_values=False)
    if params.dtype not in _DTYPES:
        raise WeightsFileError(f"params: dtype {params.dtype} is not float32 or float64")
    if params.ndim != 1:
        raise WeightsFileError(f"params: expected a flat vector, got shape {params.shape}")
    if params.size != spec["n_params"]:
        raise WeightsFileError(f"{params.size} parameters stored, the layers need {spec['n_params']}")
    if not np.isfinite(params).all():
        raise WeightsFileError(f"params: NaN or infinite value at index {int(np.argmin(np.isfinite(params)))}")
    net = spec["build"](params.dtype)
    net.params[...] = params
    return net


def _json_document(text) -> dict:
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise WeightsFileError(f"byte {e.start} is not UTF-8 text") from None
    try:
        data = json.loads(text)
    except RecursionError:  # hostile nesting: the parser stops at the interpreter's depth limit
        raise WeightsFileError("JSON nested too deeply") from None
    except ValueError as e:
        raise WeightsFileError(f"not valid JSON ({' '.join(str(e).split())})") from None
    if not isinstance(data, dict):
        raise WeightsFileError(f"expected a JSON object at the top level, got {type(data).__name__}")
    return data


def _checked_spec(data, *, with_values: bool) -> dict:
    """Check a saved model's description field by field; return its widths, parameter count,
    dtype and a builder, without allocating anything."""
    if not isinstance(data, dict):
        raise WeightsFileError(f"expected an object with the model's fields, got {type(data).__name__}")
    fmt = data.get("format", "tui-nn/weights/1")
    if fmt != "tui-nn/weights/1":
        raise WeightsFileError(f"format: {fmt!r:.40} is not tui-nn/weights/1")
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise WeightsFileError("layers: expected a non-empty list of layers")
    widths, activations = [], []
    for i, l in enumerate(layers):
        where = f"layers[{i}]"
        if not isinstance(l, dict):
            raise WeightsFileError(f"{where}: expected an object, got {type(l).__name__}")
        for key in ("inputs", "units"):
            n = l.get(key)
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_PARAMS:
                raise WeightsFileError(f"{where}.{key}: expected a whole number in 1..{MAX_PARAMS}, got {n!r:.40}")
        if i == 0:
            widths.append(l["inputs"])
        elif l["inputs"] != widths[-1]:
            raise WeightsFileError(f"{where}.inputs: {l['inputs']} does not match the {widths[-1]} units before it")
        widths.append(l["units"])
        act = l.get("activation")
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise WeightsFileError(f"{where}.activation: {act!r:.40} is not one of {', '.join(ACTIVATIONS)}")
        activations.append(act)
        if with_values:
            for key in ("weights", "biases"):
                if not isinstance(l.get(key), list):
                    raise WeightsFileError(f"{where}.{key}: expected a list of numbers")
    n_params = sum((a + 1) * b for a, b in zip(widths, widths[1:]))
    if n_params > MAX_PARAMS:
        raise WeightsFileError(f"layers: {n_params:,} parameters, more than the {MAX_PARAMS:,} a model may have")
    loss = data.get("loss")
    if loss is not None and (not isinstance(loss, str) or LOSS_ALIASES.get(loss, loss) not in LOSSES):
        raise WeightsFileError(f"loss: {loss!r:.40} is not one of {', '.join(LOSSES)}")
    dropout = data.get("dropout", 0.0)
    if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
        raise WeightsFileError(f"dropout: expected a number in [0, 1), got {dropout!r:.40}")
    init = data.get("init", "nnfs")
    if not isinstance(init, str) or init not in INITS:
        raise WeightsFileError(f"init: {init!r:.40} is not one of {', '.join(INITS)}")
    biases = data.get("has_biases", True)
    if not isinstance(biases, bool):
        raise WeightsFileError(f"has_biases: expected true or false, got {biases!r:.40}")
    dtype = data.get("dtype", "float32")
    if dtype not in ("float32", "float64"):
        raise WeightsFileError(f"dtype: {dtype!r:.40} is not float32 or float64")

    def build(dtype):
        return Network(widths[0], widths[1:-1], widths[-1], activations=activations, loss=loss,
                       dropout=dropout, init=init, dtype=dtype, biases=biases)

    return {"widths": widths, "n_params": n_params, "dtype": np.dtype(dtype), "build": build}


def _finite_array(values, dtype, where: str) -> np.ndarray:
    """A list of numbers from a document -> an array of ``dtype``; anything else is refused."""
    try:
        a = np.asarray(values)
    except (ValueError, TypeError, OverflowError, RecursionError):
        a = None
    if a is None or a.dtype.kind not in "if":  # no text, booleans, nulls or ragged rows
        raise WeightsFileError(f"{where}: expected numbers in rows of equal length")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise WeightsFileError(f"{where}: NaN or infinite value")
    with np.errstate(over="ignore"):
        out = a.astype(dtype)
    if not np.isfinite(out).all():
        raise WeightsFileError(f"{where}: a value is too large for {dtype} (max {np.finfo(dtype).max:.3g})")
    return out


