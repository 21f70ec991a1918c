"""Every setting of a training run and every optimizer hyperparameter, in one table.

A setting's name, type, range (each end open or closed), default and help are written here
once. Everything else is derived from this table: ``TrainConfig`` and the optimizers validate
with it, the command line builds its options from it (``--batch-size`` is ``batch_size``), the
sweep reads its grid keys and grid files by it, and the dashboard's optimizer panel shows its
ranges. Errors name the setting (``seed must be ...``); front ends turn the name into their own
word for it (the CLI: ``--seed``).

Standard library only: ``tui-nn --help`` reads this table without importing NumPy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


class SettingError(ValueError):
    """A value out of range. The message starts with the setting's name, kept in ``setting``
    (``None`` for an error about several settings at once). ``mentions`` names the other
    parameters the message names as words (``resume``, ``out``), so that a front end can put
    its own word for them too (see :func:`error_for_flags`)."""

    def __init__(self, message: str, setting: str | None = None, mentions: tuple[str, ...] = ()):
        super().__init__(message)
        self.setting = setting
        self.mentions = tuple(mentions)


@dataclass(frozen=True)
class Setting:
    """One setting: its type (``int``, ``float``, ``str``, ``bool`` or ``tuple`` of layer widths),
    default, range (``low``/``high``, inclusive unless ``low_open``/``high_open``) or ``choices``,
    and help. A setting whose default is ``None`` may be ``None``: the default the help names
    (the dataset's, or one that follows from other settings)."""

    name: str
    type: type
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    metavar: str = ""

    @property
    def flag(self) -> str:
        """The command-line spelling: ``batch_size`` -> ``--batch-size``."""
        return flag(self.name)

    def range_text(self) -> str:
        """``[0, 1)``, ``(0, 1e+06]``, ``>= 1``; empty for a setting without a range."""
        if self.low is not None and self.high is not None:
            lo, hi = "(" if self.low_open else "[", ")" if self.high_open else "]"
            return f"{lo}{_num(self.low)}, {_num(self.high)}{hi}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {_num(self.low)}"
        if self.high is not None:
            return f"{'<' if self.high_open else '<='} {_num(self.high)}"
        return ""

    def contains(self, value: float) -> bool:
        """Whether a number lies in this setting's range (its open ends excluded)."""
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            return False
        if self.high is not None and (value >= self.high if self.high_open else value > self.high):
            return False
        return True

    def validate(self, value):
        """``value`` as this setting's type; a :class:`SettingError` naming the setting otherwise."""
        if value is None and self.default is None:
            return None
        name = self.name
        if self.choices:
            if value not in self.choices:
                raise SettingError(f"unknown {name} {value!r}; choose one of {', '.join(self.choices)}", name)
            return value
        if self.type is bool:
            if not isinstance(value, bool):
                raise SettingError(f"{name} must be true or false, got {value!r}", name)
            return value
        if self.type is str:
            if not isinstance(value, str):
                raise SettingError(f"{name} must be text, got {value!r}", name)
            return value
        if self.type in (tuple, object):
            return value  # layers: checked with the rest of the model by ModelSpec; label: a name or index
        if self.type is int:
            if isinstance(value, bool) or not _is_integer(value):
                raise SettingError(f"{name} must be an integer, got {value!r}", name)
            number = int(value)
        else:
            not_a_number = SettingError(f"{name} must be a number, got {value!r}", name)
            if isinstance(value, bool):
                raise not_a_number
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise not_a_number from None
            if not math.isfinite(number):
                raise SettingError(f"{name} must be finite, got {value!r}", name)
        if not self.contains(number):
            if self.low is not None and self.high is None:
                above = "above" if self.low_open else "at least"
                raise SettingError(f"{name} must be {above} {_num(self.low)}, got {_num(number)}", name)
            raise SettingError(f"{name} must be in {self.range_text()}, got {_num(number)}", name)
        return number


def parse_layers(value) -> tuple[int, ...]:
    """The ``layers`` setting from what a user writes: ``"64,64"``, ``64``, ``[64, 64]``, or ``0``
    (also ``"0"``, ``[0]`` and ``[]``) for no hidden layer (the inputs go straight to the output:
    logistic or softmax regression). The command line's ``--layers`` and the sweep's ``layers``
    grid key both read it here; anything else is a :class:`SettingError` naming ``layers``."""
    if isinstance(value, (list, tuple)):
        parts = list(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        parts = [value]
    else:
        parts = str(value).split(",")
    try:
        widths = tuple(int(str(p).strip()) for p in parts if not isinstance(p, bool))
    except ValueError:
        widths = None
    if widths in ((), (0,)) and len(parts) <= 1:
        return ()
    if not widths or len(widths) != len(parts) or any(w <= 0 for w in widths):
        raise SettingError(f"layers: {value!r} is not a list of hidden layer widths; give comma-separated "
                           "positive integers, e.g. 64,64, or 0 for no hidden layer", "layers")
    return widths


def flag(name: str) -> str:
    """A setting's command-line option: ``min_temperature`` -> ``--min-temperature``."""
    return "--" + name.replace("_", "-")


def _is_integer(value) -> bool:
    try:
        return int(value) == value and not isinstance(value, (str, bytes))
    except (TypeError, ValueError, OverflowError):
        return False


def _num(x: float) -> str:
    """A bound or value as messages show it: 1e+06, 0.5, 2**32."""
    if isinstance(x, int) and x >= 2**16 and x & (x - 1) == 0:
        return f"2**{x.bit_length() - 1}"
    return str(x) if isinstance(x, int) else f"{x:g}"


# --- training settings (TrainConfig's fields, in its order) ------------------------------------

TASKS = ("classification", "regression")
HIDDEN_ACTIVATIONS = ("relu", "sigmoid", "tanh", "linear")  # the network's activations but softmax
INITS = ("nnfs", "he", "glorot")
OPTIMIZER_NAMES = ("random-search", "hill-climb", "anneal", "sgd", "adagrad", "rmsprop", "adam")
SEED_RANGE = dict(low=0, high=2**32, high_open=True)
PRECISIONS = ("book", "fast")  # tui_nn.network.PRODUCTS

_TRAINING = (
    # data
    Setting("dataset", str, "vertical", "Built-in dataset (list them with `tui-nn datasets`).", metavar="NAME"),
    Setting("data", str, None, "Train on a table of numbers in a text file instead (see datasets/README.md).",
            metavar="PATH"),
    Setting("label", object, None, "Label column of the --data file: header name or 0-based index [default: last].",
            metavar="COL"),
    Setting("task", str, None, "Classification or regression [default: from the data].", choices=TASKS),
    Setting("samples", int, None, "Samples per class for a built-in dataset.", low=1, metavar="N"),
    Setting("classes", int, None, "Number of classes for vertical, spiral or blobs.", low=2, metavar="N"),
    Setting("noise", float, None,
            "Noise of a generated dataset, the Playground's slider: the standard deviation of moons' and "
            "circles' jitter [default 0.1], blobs' cluster_std [1], xor's jitter [0], the book's spiral angle "
            "noise [0.2] and vertical spread [0.1]; not for sine or real sets.", low=0.0, metavar="X"),
    Setting("val_split", float, None,
            "Fraction of the whole data set held out for validation [default: 0 for the book's sets, 0.2 "
            "otherwise]. Keras's validation_split (the course's) is a fraction of the training part instead: "
            "add --val-of-train.",
            low=0.0, high=1.0, high_open=True, metavar="F"),
    Setting("test_split", float, 0.0, "Fraction held out for a final test accuracy.",
            low=0.0, high=1.0, high_open=True, metavar="F"),
    Setting("val_of_train", bool, False,
            "Read --val-split as a fraction of the training part left after --test-split, as Keras's "
            "validation_split does (--test-split 0.2 --val-split 0.2 --val-of-train: 64% train, 16% "
            "validation, 20% test), not of the whole data set."),
    Setting("standardize", bool, None, "Standardise features on the training part [default: per dataset]."),
    # model
    Setting("layers", tuple, (3,), "Hidden layer widths, comma-separated, e.g. 64,64; 0 for no hidden layer.",
            metavar="WIDTHS"),
    Setting("features", str, None,
            "Input features of 2-D data, the Playground's: any of x1,x2,x1^2,x2^2,x1*x2,sin(x1),sin(x2), "
            "comma-separated [default: x1,x2].", metavar="LIST"),
    Setting("activation", str, "relu", "Activation of the hidden layers.", choices=HIDDEN_ACTIVATIONS),
    Setting("dropout", float, 0.0, "Dropout rate after each hidden layer, in [0, 1).", low=0.0, high=1.0,
            high_open=True, metavar="RATE"),
    Setting("init", str, "nnfs", "Weight initialisation: the book's 0.01 * randn, He, or Glorot.", choices=INITS),
    # optimisation
    Setting("optimizer", str, "hill-climb", "How the weights are searched or trained.", choices=OPTIMIZER_NAMES),
    Setting("iterations", int, None, "Iterations to run [default: 10000 unless --epochs].", low=1, metavar="N"),
    Setting("epochs", int, None, "Passes over the training data (mini-batches per pass follow from --batch-size).",
            low=1, metavar="N"),
    Setting("batch_size", int, 0, "Mini-batch size for gradient optimizers; 0 = full batch.", low=0, metavar="N"),
    Setting("seed", int, 0, "One seed gives the same data and the same run.", **SEED_RANGE, metavar="N"),
    Setting("data_seed", int, None, "Seed the data and its split with N instead of --seed, which then seeds only "
            "the weights and the training (the book's 'same data, other seeds') [default: --seed].",
            **SEED_RANGE, metavar="N"),
    Setting("target_loss", float, None, "Stop once the best loss is at or below L.", metavar="L"),
    Setting("eval_every", int, None,
            "Evaluate on the full data every N iterations [default: every epoch or 1% of the run].",
            low=1, metavar="N"),
    Setting("patience", int, None,
            "Early stopping (Keras's EarlyStopping): stop after N evaluations in a row (every epoch by default; "
            "see --eval-every) in which --monitor did not improve by more than --min-delta [default: off].",
            low=1, metavar="N"),
    Setting("min_delta", float, 0.0, "Early stopping: the least change of --monitor that counts as improving.",
            low=0.0, metavar="X"),
    Setting("monitor", str, "val_loss", "Early stopping and --restore-best: the evaluation's figure to watch "
            "(val_loss and val_accuracy need validation data: --val-split).", choices=("val_loss", "loss", "val_accuracy")),
    Setting("restore_best", bool, False,
            "End with the weights of the best evaluation by --monitor (Keras's restore_best_weights; the "
            "course keeps the model with the best validation loss), whether the run stopped early or not."),
    Setting("stop_on_explosion", bool, True,
            "Stop a gradient run whose loss stays over 5x its first for 100 steps (3 evaluations with "
            "mini-batches); a non-finite loss always stops it."),
    Setting("precision", str, None,
            "How gradient steps multiply: 'book' as the book's nnfs.init() (float64 products rounded to "
            "float32, the book's numbers to the bit) or 'fast' (float32 products) [default: book for the "
            "book's datasets vertical, spiral and sine, fast otherwise].", choices=PRECISIONS),
)
TRAINING: dict[str, Setting] = {s.name: s for s in _TRAINING}
"""TrainConfig's fields (but ``hyperparams``, whose keys are in :data:`OPTIMIZERS`). A ``label``
is a column name or index (type ``object``); ``layers`` are checked with the model by ModelSpec."""
DATA = ("dataset", "data", "label", "task", "samples", "classes", "val_split", "test_split", "val_of_train",
        "standardize", "data_seed", "noise")
"""The settings that decide the data and its split (one load serves every run that shares them)."""
SOURCE = DATA[:6]
"""Where the data come from (the command line's data options)."""
MODEL = ("layers", "activation", "dropout", "init")  # (features: a run setting, as the data's own options)
CHANGEABLE_ON_RESUME = ("optimizer", "iterations", "epochs", "target_loss")
"""A checkpoint fixes every other setting: changing it would not continue the same run."""


# --- race settings (``tui-nn race``; every training setting above applies to each contender) --------

RACE: dict[str, Setting] = {s.name: s for s in (
    Setting("optimizers", str, "hill-climb,sgd,adam,rmsprop",
            "The contenders, comma-separated: optimizer names, each with its own hyperparameters after "
            "colons if wanted (adam:lr=0.05:beta1=0.8). The same optimizer twice needs different "
            "hyperparameters.", metavar="LIST"),
    Setting("time", float, None,
            "Race for a CPU-time budget instead of an iteration budget: each contender trains until its "
            "own process has used this much CPU time (30s, 2m, 1.5h; a plain number is seconds), so a "
            "contender that shares a core with another is not cut short. Not deterministic: the iterations "
            "reached depend on the machine and its load; the iteration budget (the default) is.",
            low=0.0, high=1e6, low_open=True, metavar="DURATION"),
)}
"""The settings of a race beyond the training settings (``--optimizers`` replaces ``--optimizer``)."""


def lookup(name: str) -> Setting:
    """The setting called ``name``: a training setting or a race setting."""
    return TRAINING[name] if name in TRAINING else RACE[name]


# --- optimizer hyperparameters -------------------------------------------------------------------


def _hyper(name: str, default: float, low: float, high: float, help: str, **bounds) -> Setting:
    return Setting(name, float, default, help, low=low, high=high, metavar="X", **bounds)


@dataclass(frozen=True)
class OptimizerSettings:
    kind: str  # "search" (derivative-free, scores the whole training set) or "gradient"
    hyper: tuple[Setting, ...]


_SCALE = _hyper("scale", 0.05, 0.0, 1e3, "standard deviation of the perturbation", low_open=True)
_LR = dict(low=0.0, high=1e6, help="learning rate", low_open=True)
_DECAY = _hyper("decay", 0.0, 0.0, 1e6, "learning-rate decay: lr / (1 + decay * t)")
_EPSILON = _hyper("epsilon", 1e-7, 0.0, 1.0, "added to the denominator", low_open=True)

# The book's chapter-14 regularisers, on every hidden layer (weight_regularizer_l1, ... of its
# Layer_Dense); gradient optimizers take them, so they are set, swept and edited live as the rest.
_REGULARIZERS = (
    _hyper("l1", 0.0, 0.0, 1e6, "L1 penalty on the hidden layers' weights (the book's weight_regularizer_l1)"),
    _hyper("l2", 0.0, 0.0, 1e6, "L2 penalty on the hidden layers' weights (the book's weight_regularizer_l2)"),
    _hyper("bias_l1", 0.0, 0.0, 1e6, "L1 penalty on the hidden layers' biases (the book's bias_regularizer_l1)"),
    _hyper("bias_l2", 0.0, 0.0, 1e6, "L2 penalty on the hidden layers' biases (the book's bias_regularizer_l2)"),
)
REGULARIZERS = tuple(h.name for h in _REGULARIZERS)

OPTIMIZERS: dict[str, OptimizerSettings] = {
    "random-search": OptimizerSettings("search", (
        _hyper("scale", 0.05, 0.0, 1e3, "standard deviation of the fresh draw", low_open=True),)),
    "hill-climb": OptimizerSettings("search", (_SCALE,)),
    "anneal": OptimizerSettings("search", (
        _SCALE,
        _hyper("temperature", 0.01, 0.0, 1e6, "starting temperature T0", low_open=True),
        _hyper("cooling", 0.999, 0.0, 1.0, "factor applied to T every iteration", low_open=True),
        _hyper("min_temperature", 1e-6, 0.0, 1e6, "floor for T", low_open=True),
    )),
    "sgd": OptimizerSettings("gradient", (
        _hyper("lr", 1.0, **_LR), _DECAY,
        _hyper("momentum", 0.0, 0.0, 1.0, "fraction of the previous update kept"), *_REGULARIZERS,
    )),
    "adagrad": OptimizerSettings("gradient", (_hyper("lr", 1.0, **_LR), _DECAY, _EPSILON, *_REGULARIZERS)),
    "rmsprop": OptimizerSettings("gradient", (
        _hyper("lr", 0.001, **_LR), _DECAY, _EPSILON,
        _hyper("rho", 0.9, 0.0, 1.0, "cache decay rate", high_open=True),  # 1 never updates the cache
        *_REGULARIZERS,
    )),
    "adam": OptimizerSettings("gradient", (
        _hyper("lr", 0.001, **_LR), _DECAY, _EPSILON,
        _hyper("beta1", 0.9, 0.0, 1.0, "momentum decay", high_open=True),  # 1 divides by 0
        _hyper("beta2", 0.999, 0.0, 1.0, "cache decay", high_open=True), *_REGULARIZERS,
    )),
}
assert tuple(OPTIMIZERS) == OPTIMIZER_NAMES


# The order of the hyperparameter options in --help and of the sweep's list options (which sets the
# sweep's expansion order, so the order of its results columns).
HYPERPARAMETERS: tuple[str, ...] = ("lr", "scale", "momentum", "decay", "epsilon", "rho", "beta1", "beta2",
                                    "temperature", "cooling", "min_temperature", *REGULARIZERS)
assert set(HYPERPARAMETERS) == {h.name for s in OPTIMIZERS.values() for h in s.hyper}


def hyper_users(name: str) -> list[str]:
    """The optimizers that take hyperparameter ``name``."""
    return [opt for opt, s in OPTIMIZERS.items() if any(h.name == name for h in s.hyper)]


def hyper_help(name: str) -> str:
    """The command line's help for a hyperparameter: what it is, who takes it, its range and
    (where every optimizer agrees) its default."""
    users = hyper_users(name)
    declared = [h for opt in users for h in OPTIMIZERS[opt].hyper if h.name == name]
    helps = [h.help for h in declared]
    first = declared[0]
    described = max(helps, key=helps.count)  # scale: "the perturbation" for two of its three
    who = "gradient optimizers" if users == [o for o, s in OPTIMIZERS.items() if s.kind == "gradient"] \
        else ", ".join(users)
    text = f"{described[0].upper()}{described[1:]} ({who}); {first.range_text()}"
    defaults = {h.default for h in declared}
    if len(defaults) == 1:
        text += f" [default: {first.default:g}]"
    else:
        text += " [default: " + ", ".join(f"{opt} {h.default:g}" for opt, h in zip(users, declared)) + "]"
    return text + "."


def error_for_flags(err: Exception) -> str:
    """A core error as the command line shows it: the setting's name at its start becomes its
    option wherever it appears (``seed must be ...`` -> ``--seed must be ...``), and so do the
    parameters the error ``mentions`` (``choose another out`` -> ``choose another --out``) and
    other settings' names that cannot be read as prose (``test_split`` -> ``--test-split``);
    other errors as they are."""
    import re

    message = " ".join(str(err).split())
    name = getattr(err, "setting", None)
    names = list(getattr(err, "mentions", ()))
    if name and message.startswith(f"unknown {name} "):
        return f"{flag(name)}: {message}"
    if name and message.startswith((name + " ", name + ":")):
        names.insert(0, name)
    if not names:
        return message
    names += [n for n in (*TRAINING, *HYPERPARAMETERS) if "_" in n and n not in names]
    return re.sub(r"(?<![-\w])(" + "|".join(names) + r")(?!\w)", lambda m: flag(m.group(1)), message)
