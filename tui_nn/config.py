"""What decides a run: :class:`TrainConfig`, checked against the settings table.

Its fields' defaults, ranges and help live in :mod:`tui_nn.settings`; the trainer
(:mod:`tui_nn.trainer`) runs a configuration, and checkpoints (:mod:`tui_nn.checkpoint`) store
and check one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

from .network import ModelSpec
from .optimizers import OPTIMIZERS
from .settings import TRAINING, SettingError


class ConfigError(SettingError):
    """A configuration value is out of range; the message starts with the setting's name
    (``seed must be ...``) and says what is allowed; ``setting`` holds the name."""


def _default(name: str):
    return TRAINING[name].default


@dataclass
class TrainConfig:
    """Everything that decides a run. The defaults, ranges and help of these fields are in
    :mod:`tui_nn.settings` (``TRAINING``); ``hyperparams`` holds optimizer hyperparameters."""

    # data
    dataset: str = _default("dataset")
    data: str | None = _default("data")  # a user file; overrides dataset
    label: str | None = _default("label")  # label column (name or index) for files
    task: str | None = _default("task")  # force "classification" or "regression" for files
    samples: int | None = _default("samples")  # per class, for generated sets
    classes: int | None = _default("classes")
    noise: float | None = _default("noise")  # None: the generated set's own
    val_split: float | None = _default("val_split")  # None: the dataset's default (0 for the book's sets)
    test_split: float = _default("test_split")
    val_of_train: bool = _default("val_of_train")  # val_split of the part left after test_split (Keras)
    standardize: bool | None = _default("standardize")  # None: the dataset's default
    # model
    layers: tuple[int, ...] = _default("layers")
    features: str | None = _default("features")  # 2-D data: the inputs the network sees (tui_nn.features)
    activation: str = _default("activation")
    dropout: float = _default("dropout")
    init: str = _default("init")
    # optimisation
    optimizer: str = _default("optimizer")
    hyperparams: dict = field(default_factory=dict)
    iterations: int | None = _default("iterations")  # default 10,000 unless epochs is given
    epochs: int | None = _default("epochs")
    batch_size: int = _default("batch_size")  # 0 = full batch
    seed: int = _default("seed")
    data_seed: int | None = _default("data_seed")  # seeds the data and split instead of `seed`
    target_loss: float | None = _default("target_loss")  # finish at the first eval with best <= this
    eval_every: int | None = _default("eval_every")  # None: every epoch (mini-batch) or every 1% of the run
    patience: int | None = _default("patience")  # early stopping after this many evaluations without improvement
    min_delta: float = _default("min_delta")
    monitor: str = _default("monitor")
    restore_best: bool = _default("restore_best")
    stop_on_explosion: bool = _default("stop_on_explosion")  # False: only a non-finite loss stops (EXPLODED)
    precision: str | None = _default("precision")  # None: "book" on the book's datasets, else "fast"

    def __post_init__(self):
        from .data import DATASETS, dataset_key

        if dataset_key(self.dataset) in DATASETS:  # 'Spiral' is spiral, with spiral's defaults
            self.dataset = dataset_key(self.dataset)
        self.layers = tuple(int(w) for w in self.layers)
        self.hyperparams = dict(self.hyperparams)

    def validate(self) -> "TrainConfig":
        """Check every field against its range in :mod:`tui_nn.settings`; a :class:`ConfigError`
        naming the first bad one otherwise."""
        for name, setting in TRAINING.items():
            try:
                setting.validate(getattr(self, name))
            except SettingError as e:
                raise ConfigError(str(e), name) from None
        cls = OPTIMIZERS[self.optimizer]
        for k, v in self.hyperparams.items():
            try:
                cls.spec(k).validate(v)
            except ValueError as e:
                raise ConfigError(str(e), k) from None
        if self.features is not None:
            from .features import parse

            try:
                parse(self.features)
            except ValueError as e:
                raise ConfigError(str(e), "features") from None
        if not self.val_of_train and (self.val_split or 0) + self.test_split >= 1:
            raise ConfigError("val_split plus test_split must leave some training data", "val_split")
        try:
            ModelSpec(self.layers, self.activation, self.dropout, self.init)
        except ValueError as e:
            raise ConfigError(str(e), "layers") from None
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["layers"] = list(self.layers)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})
