"""tui-nn: watch and steer how a small neural network learns, in a terminal.

The names below load on first use, so ``import tui_nn`` (and ``tui-nn --help``) stays fast.
"""

__version__ = "0.1.0"

_LAZY = {
    "Trainer": ("tui_nn.trainer", "Trainer"),
    "TrainConfig": ("tui_nn.trainer", "TrainConfig"),
    "Session": ("tui_nn.runner", "Session"),
    "Network": ("tui_nn.network", "Network"),
    "ModelSpec": ("tui_nn.network", "ModelSpec"),
    "load_dataset": ("tui_nn.data", "load_dataset"),
    "load_file": ("tui_nn.data", "load_file"),
    "events": ("tui_nn.events", None),
    "weights": ("tui_nn.weights", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'tui_nn' has no attribute {name!r}") from None
    import importlib

    mod = importlib.import_module(module)
    return mod if attr is None else getattr(mod, attr)
