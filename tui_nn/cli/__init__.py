"""The ``tui-nn`` command line.

Commands are ``@main.command()`` functions. Commands that train share their options through
two decorators:

- ``@data_options`` adds ``--dataset/--data/--label/--task/--samples/--classes`` and passes the
  command one ``source: DataSource`` (``source.load(rng)`` returns a ``tui_nn.data.Dataset``);
- ``@model_options`` adds ``--layers/--activation/--dropout/--init`` and passes one
  ``spec: ModelSpec``.

Bad input needs no handling in a command: ``main`` turns any ``ValueError`` raised while a
command runs (``tui_nn.data.DataError`` is one) into a one-line ``Error: ...`` and exit status 2.

Options of training settings and hyperparameters are built from the settings table
(``tui_nn.settings``: name, type, range, default, help); a core error names the setting and
``main`` shows it as the option (``seed must be ...`` -> ``--seed must be ...``).

This module imports only click, the standard library and the stdlib-only ``tui_nn.settings``
and ``exit_codes``. NumPy, scikit-learn and Textual are imported inside the command
bodies, so ``--help`` and ``--version`` stay instant.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import click

from .. import __version__, exit_codes, settings
from ..signals import Interrupts
from ..settings import TRAINING

DEFAULT_DATASET = TRAINING["dataset"].default


class InputError(click.ClickException):
    """Bad input found while a command runs: printed as one ``Error: ...`` line, exit status 2."""

    exit_code = exit_codes.BAD_INPUT


class Group(click.Group):
    """A click group whose subcommands report bad input on one line, without a traceback.

    A bad flag or flag value (click's ``UsageError``) becomes one ``Error: ...`` line naming
    the command's ``--help``.

    ``ValueError`` (and so ``tui_nn.data.DataError``) raised by a subcommand becomes an
    ``InputError``; click prints ``Error: <message>`` on stderr and exits with status 2.
    """

    # Commands defined in modules of their own, loaded only when used (or shown in full), so
    # ``tui-nn --help`` does not build their options: name -> (module, short help).
    LAZY = {"sweep": ("tui_nn.cli.sweep", "Train the same network over a grid of hyperparameters and keep the best."),
            "replay": ("tui_nn.cli.replay", "Travel through a recorded run: its exact state at any iteration."),
            "race": ("tui_nn.cli.race", "Race optimizers from the same start: the same data, the same initial weights.")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, name: str):
        if name in self.LAZY and name not in self.commands:
            import importlib

            self.add_command(getattr(importlib.import_module(self.LAZY[name][0]), name))
        return super().get_command(ctx, name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        if args and args[0] not in self.list_commands(ctx):
            for name in self.LAZY:  # a misspelt command: load them all, so click's suggestion sees them
                self.get_command(ctx, name)
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(n) for n in names)  # as click's own listing
        rows = []
        for name in names:
            if name in self.LAZY and name not in self.commands:
                stand_in = click.Command(name, help=self.LAZY[name][1])  # shortened the way click does
                rows.append((name, stand_in.get_short_help_str(limit)))
                continue
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            # click prints the usage and a hint on lines of their own: fold them into one line.
            where = err.ctx.command_path if err.ctx is not None else ctx.command_path
            message = " ".join(err.format_message().split())
            raise InputError(f"{message} (see '{where} --help')") from err
        except ValueError as err:  # a core error names the setting (seed); the user typed --seed
            raise InputError(settings.error_for_flags(err)) from err


@click.group(name="tui-nn", cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="tui-nn", message="%(prog)s %(version)s")
def main() -> None:
    """Train small neural networks with NumPy and watch them learn."""


# --- shared options ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSource:
    """Where the data comes from, as the data options gave it (nothing is loaded yet)."""

    dataset: str = DEFAULT_DATASET
    path: str | None = None
    label: str | None = None  # column name or 0-based index, for --data files
    task: str | None = None
    samples: int | None = None  # per class, for built-in datasets
    classes: int | None = None
    explicit: bool = False  # True if the user chose the data (any option other than --task)

    def load(self, rng):
        """The ``tui_nn.data.Dataset`` described; ``rng`` is a ``np.random.RandomState``."""
        # Deferred: tui_nn.data brings in NumPy (~0.1 s); it imports scikit-learn (~0.7 s)
        # only for the sets and splits that need it.
        from .. import data

        if self.path is not None:
            return data.load_file(self.path, label=self.label, task=self.task)
        ds = data.load_dataset(self.dataset, samples=self.samples, classes=self.classes, rng=rng)
        if self.task is not None and self.task != ds.task:
            raise click.UsageError(
                f"dataset {ds.name} is a {ds.task} dataset; drop --task {self.task}"
            )
        return ds


def option(name: str, *decls: str, **overrides):
    """The click option of a setting of :mod:`tui_nn.settings`: its flag, type and range,
    default and help come from the table; ``overrides`` adjust them for one command."""
    s = settings.lookup(name)
    kwargs: dict = {"help": s.help, "metavar": s.metavar or None}
    if s.default is not None and "[default:" not in s.help:
        kwargs.update(default=s.default, show_default=True)
    if s.choices:
        kwargs.update(type=click.Choice(s.choices), metavar=None)
    elif s.type is bool:
        decls = (f"{s.flag}/--no-{s.flag[2:]}", *decls)
        kwargs.update(default=s.default, metavar=None)
    elif s.type in (int, float):
        kind = click.IntRange if s.type is int else click.FloatRange
        bounds = {"min": s.low, "max": s.high, "min_open": s.low_open, "max_open": s.high_open}
        if s.type is int and s.high_open:  # an integer range's open end is the integer below it
            bounds.update(max=s.high - 1, max_open=False)
        if s.low is None and s.high is None:
            kwargs["type"] = s.type
        else:
            kwargs["type"] = kind(**{k: v for k, v in bounds.items() if v is not None})
    kwargs.update(overrides)
    if s.type is not bool:
        decls = (s.flag, *decls)
    return click.option(*decls, **kwargs)


def refuse_empty_paths(paths: dict[str, str | None]) -> None:
    """An empty path (an unset shell variable) is an error, never a silent default."""
    for option, path in paths.items():
        if path is not None and not path.strip():
            raise click.UsageError(f"{option} is empty; give the path of a file, or drop {option}")


def _given(ctx: click.Context, name: str) -> bool:
    source = ctx.get_parameter_source(name)
    return source is not None and source != click.core.ParameterSource.DEFAULT


def data_options(f):
    """Add the data options to a command and pass it ``source: DataSource`` instead."""

    @functools.wraps(f)
    def wrapper(*args, dataset, data_path, label, task, samples, classes, **kwargs):
        ctx = click.get_current_context()
        if data_path is not None:
            if not data_path.strip():  # an unset shell variable: never the default dataset
                raise click.UsageError("--data is empty; give the path of a data file, or drop --data")
            if _given(ctx, "dataset"):
                raise click.UsageError("give either --dataset or --data, not both")
            for option, value in (("--samples", samples), ("--classes", classes)):
                if value is not None:
                    raise click.UsageError(f"{option} applies to built-in datasets, not to --data files")
        elif label is not None:
            raise click.UsageError("--label applies to --data files; built-in datasets have their labels")
        explicit = data_path is not None or any(
            _given(ctx, name) for name in ("dataset", "label", "samples", "classes")
        )
        source = DataSource(dataset, data_path, label, task, samples, classes, explicit)
        return f(*args, source=source, **kwargs)

    options = [option(name, *(("data_path",) if name == "data" else ())) for name in settings.SOURCE]
    for add in reversed(options):
        wrapper = add(wrapper)
    return wrapper


def parse_layers(ctx, param, value: str | None) -> tuple[int, ...] | None:
    """click callback: ``"64,64"`` -> ``(64, 64)``, ``"0"`` -> ``()`` (no hidden layer), as
    :func:`tui_nn.settings.parse_layers` reads them (the sweep's grid key too)."""
    if value is None:
        return None
    try:
        return settings.parse_layers(value)
    except settings.SettingError as e:
        raise click.BadParameter(str(e).removeprefix("layers: ")) from None


def model_options(f):
    """Add the model options to a command and pass it ``spec: ModelSpec`` instead."""

    @functools.wraps(f)
    def wrapper(*args, layers, activation, dropout, init, **kwargs):
        from ..network import ModelSpec  # deferred: NumPy, ~0.1 s

        spec = ModelSpec(hidden=layers, activation=activation, dropout=dropout, init=init)
        return f(*args, spec=spec, **kwargs)

    layers = ",".join(map(str, TRAINING["layers"].default))
    options = [option("layers", default=layers, callback=parse_layers)] + [
        option(name) for name in settings.MODEL[1:]]
    for add in reversed(options):
        wrapper = add(wrapper)
    return wrapper


# --- commands ----------------------------------------------------------------------------------


@main.command()
@click.option("--inputs", type=click.IntRange(min=1), metavar="N",
              help="Number of inputs (instead of taking the sizes from a dataset).")
@click.option("--outputs", type=click.IntRange(min=1), metavar="N",
              help="Number of outputs: 1 is sigmoid + binary cross-entropy, more is softmax.")
@data_options
@model_options
def summary(inputs, outputs, source: DataSource, spec) -> None:
    """Print the model's layers and parameter counts.

    Give the sizes (--inputs 10 --outputs 1), or a dataset or file to take them from.
    """
    import numpy as np  # deferred with the network core: ~0.1 s

    from ..network import Network

    sizes_given = inputs is not None or outputs is not None
    if sizes_given and not source.explicit:
        if inputs is None or outputs is None:
            raise click.UsageError("give both --inputs and --outputs, or a dataset to take them from")
        task = source.task or "classification"
    else:
        ds = source.load(np.random.RandomState(0))
        for option, given, actual in (("--inputs", inputs, ds.n_features), ("--outputs", outputs, ds.n_outputs)):
            if given is not None and given != actual:
                raise click.UsageError(
                    f"{option} {given} does not match {ds.name}, which needs {actual}; "
                    "drop the sizes or the dataset"
                )
        inputs, outputs, task = ds.n_features, ds.n_outputs, ds.task
        click.echo(f"{ds.name}: {ds.n_samples} samples x {ds.n_features} feature{'s' if ds.n_features != 1 else ''}, {_classes(ds)}")
    click.echo(Network.from_spec(spec, inputs, outputs, task).summary())


@main.command()
def datasets() -> None:
    """List the built-in datasets and the example data files."""
    import numpy as np  # deferred: NumPy ~0.1 s, scikit-learn ~0.7 s for the generated/real sets

    from .. import data

    rows = [("NAME", "SHAPE", "TASK", "SOURCE")]
    for name, info in data.DATASETS.items():
        ds = data.load_dataset(name, rng=np.random.RandomState(0))
        rows.append((name, f"{ds.n_samples} x {ds.n_features}", _classes(ds), info.source))
    click.echo("Built-in datasets (tui-nn ... --dataset NAME), at their default size:\n")
    click.echo(_table(rows))

    examples = data.example_files()
    if examples:
        rows = [("NAME", "SHAPE", "TASK", "PATH")]
        for name, path in examples.items():
            ds = data.load_file(path)
            rows.append((name, f"{ds.n_samples} x {ds.n_features}", _classes(ds), _display_path(path)))
        click.echo("\nExample files (tui-nn ... --data PATH):\n")
        click.echo(_table(rows))


# Hyperparameter options: (option, name in the optimizer, help), from the settings table.
HYPER_OPTIONS = tuple((settings.flag(name), name, settings.hyper_help(name)) for name in settings.HYPERPARAMETERS)
# The settings of train_options: all but the data and the model's.
RUN_SETTINGS = tuple(name for name in TRAINING if name not in settings.SOURCE + settings.MODEL)
FORMATS = ("text", "jsonl", "csv")


class SpeedType(click.ParamType):
    """``--speed``: a positive number of iterations per second, or ``max`` for full speed."""

    name = "speed"

    def convert(self, value, param, ctx):
        if isinstance(value, float) or value == "max":
            return value
        text = str(value).strip().lower()
        if text in ("max", "full"):
            return "max"
        try:
            speed = float(text)
        except ValueError:
            speed = float("nan")
        if not speed > 0 or speed == float("inf"):
            self.fail(f"{value!r} is not a speed; give iterations per second (a positive number, "
                      "e.g. 640) or max for full speed", param, ctx)
        return speed


def run_options(exclude: tuple[str, ...] = ()):
    """The optimisation and run options of ``train`` but ``exclude``; the decorated command
    gets ``run: dict`` (``race`` leaves out ``optimizer``, its ``--optimizers`` names them)."""
    return functools.partial(_run_options, names=tuple(n for n in RUN_SETTINGS if n not in exclude))


def _run_options(f, names: tuple[str, ...]):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        run = {n: kwargs.pop(n) for n in names}
        run["hyperparams"] = {name: kwargs.pop(name) for _, name, _ in HYPER_OPTIONS
                              if kwargs.get(name) is not None}
        for _, name, _ in HYPER_OPTIONS:
            kwargs.pop(name, None)
        return f(*args, run=run, **kwargs)

    options = [*[option("optimizer") for _ in ("optimizer",) if "optimizer" in names],
               *[click.option(opt, name, type=float, metavar="X", help=text) for opt, name, text in HYPER_OPTIONS],
               *[option(name) for name in names if name != "optimizer"]]
    for add in reversed(options):
        wrapper = add(wrapper)
    return wrapper


train_options = run_options()


@main.command()
@data_options
@model_options
@train_options
@click.option("--headless", is_flag=True, help="No dashboard: stream progress to stdout.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Headless stream format on stdout.")
@click.option("--every", type=click.IntRange(min=1), metavar="N",
              help="A stream line every N iterations [text default: the book's lines (chapter 6's new bests, "
                   "chapter 10's every 100th epoch of its full-batch book-precision setup) or evaluations; "
                   "jsonl/csv default: every iteration].")
@click.option("--log", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the full JSON-lines event log (every iteration) to FILE.")
@click.option("--save", type=click.Path(dir_okay=False), metavar="FILE",
              help="Save the final weights to FILE (.json readable, .npz exact).")
@click.option("--checkpoint", type=click.Path(dir_okay=False), metavar="FILE",
              help="Checkpoint file (written at the end, every --checkpoint-every iterations, on Ctrl-C, or with s).")
@click.option("--checkpoint-every", type=click.IntRange(min=1), metavar="N", help="Write the checkpoint every N iterations.")
@click.option("--resume", type=click.Path(dir_okay=False), metavar="FILE",
              help="Continue a checkpointed run bit-identically (data, model and optimizer come from FILE; "
                   "--iterations then means how many more).")
@click.option("--record", type=click.Path(dir_okay=False), metavar="RUN",
              help="Record the run to a new file RUN (its events and exact snapshots) for tui-nn replay.")
@click.option("--plot", is_flag=True, help="Headless: draw the loss and accuracy curves at the end.")
@click.option("--timing", is_flag=True, help="Headless: wall-clock figures (seconds, it/s) in the summary and the "
              "log; without them the same command prints the same bytes.")
@click.option("--paused", is_flag=True, help="Dashboard: start paused.")
@click.option("--speed", type=SpeedType(), metavar="N|max",
              help="Dashboard: iterations per second at launch, or max for full speed "
                   "[default: 640, the book's 10,000 iterations in about 16 s; < and > halve and double it].")
@click.option("--pixels", is_flag=True, help="Dashboard: decision regions in real pixels (kitty/sixel terminals).")
def train(source: DataSource, spec, run: dict, headless, fmt, every, log, save, checkpoint, checkpoint_every,
          resume, record, plot, timing, paused, speed, pixels) -> None:
    """Train a network: the live dashboard, or a headless stream with --headless.

    \b
    Exit status: 0 done, 2 bad input, 3 diverged, 130 interrupted (Ctrl-C saves a checkpoint).
    """

    from ..atomic import check_writable, same_file

    refuse_empty_paths({"--log": log, "--save": save, "--checkpoint": checkpoint, "--resume": resume,
                        "--record": record})
    problem = same_file({"--data": source.path, "--resume": resume, "--log": log, "--save": save,
                         "--checkpoint": checkpoint, "--record": record},
                        allowed=(frozenset(("--resume", "--checkpoint")),))
    if problem:
        raise InputError(problem)
    if record is not None and os.path.lexists(record):
        raise InputError(f"--record {record}: the file exists and a recording is never written over; "
                         "give a new file name")
    for option, path in (("--log", log), ("--save", save), ("--checkpoint", checkpoint), ("--record", record)):
        if path is not None:
            problem = check_writable(path)
            if problem:
                raise InputError(f"{option}: {problem}")
    if save is not None and not save.endswith((".json", ".npz")):
        raise InputError(f"--save {save}: use a .json (readable) or .npz (exact) file name")
    if checkpoint is not None and not checkpoint.endswith(".npz"):
        raise InputError(f"--checkpoint {checkpoint}: checkpoints are .npz files; end the name with .npz")

    _lock_checkpoint("--checkpoint" if checkpoint else "--resume", checkpoint or resume)
    _lock_checkpoint("--record", record)
    interactive = not headless and _is_terminal()
    if not interactive and not resume and _given(click.get_current_context(), "batch_size"):
        from ..optimizers import OPTIMIZERS

        if OPTIMIZERS[run["optimizer"]].kind == "search":
            raise InputError(f"--batch-size applies to gradient optimizers; {run['optimizer']} scores every "
                             "candidate on the whole training set; drop --batch-size")
    # One interrupt path from here to the last output written (tui_nn.signals): while the trainer
    # is built (a large file or a scikit-learn set takes a while) a signal ends the command;
    # once training runs it stops the run, which saves a checkpoint.
    trainer, interrupts = build_interruptibly(lambda: _make_trainer(source, spec, run, resume))
    if interactive:
        interrupts.restore()  # the dashboard reads Ctrl-C as a key
    else:
        interrupts.defer()  # from here a signal stops the run (run_headless saves a checkpoint)
    if not headless and not interactive:
        click.echo("tui-nn: not a terminal, running headless (use --headless to silence this note)", err=True)
    if interactive:
        from ..tui import run_dashboard  # it imports Textual and plotext (~0.3 s)

        options = {} if speed is None else {"speed": None if speed == "max" else speed}
        app = run_dashboard(trainer, paused=paused, checkpoint_path=checkpoint, record=record, pixels=pixels,
                            **options)
        if app.outcome is not None:  # the terminal is restored: say where the run stands
            click.echo(app.outcome.summary())
        raise SystemExit(app.exit_status if app.return_code is None else app.return_code)

    try:
        from ..headless import Outputs, run_headless

        if checkpoint_every and not checkpoint:
            from ..checkpoint import default_path

            checkpoint = str(default_path(trainer))
            problem = check_writable(checkpoint)
            if problem:
                raise InputError(f"--checkpoint-every: cannot write the checkpoint: {problem} "
                                 "(or give --checkpoint FILE)")
        out = Outputs(fmt=fmt, every=every, log=log, save=save, checkpoint=checkpoint,
                      checkpoint_every=checkpoint_every, record=record, plot=plot, timing=timing)
        status = run_headless(trainer, out, interrupts=interrupts)
    finally:
        interrupts.restore()  # only now: every output has been written
    raise SystemExit(status)


def build_interruptibly(make):
    """``make()`` with the one interrupt path installed (returned with what it made, to be
    deferred or restored by the caller): a signal while it builds (a large file or a
    scikit-learn set takes a while) ends the command at once, exit 130, nothing to save."""
    interrupts = Interrupts().install()
    try:
        return make(), interrupts
    except KeyboardInterrupt:
        interrupts.restore()
        click.echo("tui-nn: interrupted before training started; nothing to save", err=True)
        raise SystemExit(exit_codes.INTERRUPTED) from None
    except BaseException:
        interrupts.restore()
        raise


def _make_trainer(source: DataSource, spec, run: dict, resume: str | None):
    """Build the Trainer the options describe (or restore it from a checkpoint)."""
    # Deferred: the trainer brings in NumPy (~0.1 s); scikit-learn (~0.7 s) loads only for the
    # datasets and splits that need it.
    from ..optimizers import OPTIMIZERS
    from ..trainer import Trainer, TrainConfig

    if run["iterations"] and run["epochs"]:
        raise InputError("give --iterations or --epochs, not both")
    if resume:
        return _resume_trainer(resume, run)
    _check_hyperparams(OPTIMIZERS[run["optimizer"]], run["hyperparams"])
    config = TrainConfig(
        dataset=source.dataset, data=source.path, label=source.label, task=source.task,
        samples=source.samples, classes=source.classes, layers=spec.hidden, activation=spec.activation,
        dropout=spec.dropout, init=spec.init, **run)
    return Trainer(config)


# Options a checkpoint fixes: changing them would not continue the same run.
FIXED_BY_CHECKPOINT = tuple("data_path" if name == "data" else name for name in TRAINING
                            if name not in settings.CHANGEABLE_ON_RESUME)


def _check_hyperparams(opt, hyperparams: dict, whose: str = "") -> None:
    known = {h.name for h in opt.hyper}
    for option, name, _ in HYPER_OPTIONS:
        if name in hyperparams and name not in known:
            raise InputError(f"{option} does not apply to {opt.name}{whose}; its hyperparameters are "
                             + ", ".join("--" + k.replace("_", "-") for k in sorted(known)))


def _resume_trainer(resume: str, run: dict):
    """The checkpointed run, continued: --iterations/--epochs say how much more; --optimizer
    switches (keeping the weights) and hyperparameter options change the optimizer's values."""
    from ..optimizers import OPTIMIZERS
    from ..trainer import Trainer, TrainerState

    ctx = click.get_current_context()
    fixed = [name for name in FIXED_BY_CHECKPOINT if _given(ctx, name)]
    if fixed:
        names = ", ".join("--" + ("data" if n == "data_path" else n.replace("_", "-")) for n in fixed)
        raise InputError(f"{names} cannot change on --resume: the checkpoint fixes the data, model, seed and "
                         "batch size; drop it, or start a new run without --resume")
    if not os.path.exists(resume):  # a pipe or a device is the checkpoint reader's to refuse
        raise InputError(f"--resume {resume}: no such file; give a checkpoint written by --checkpoint")
    trainer = Trainer.from_checkpoint(resume)
    if run["iterations"] or run["epochs"]:
        trainer.run_for(run["iterations"], epochs=run["epochs"])
    elif trainer.state is TrainerState.FINISHED and trainer.iteration < trainer.limit:  # it had reached --target-loss
        trainer.run_for(trainer.limit - trainer.iteration)
    elif trainer.state is TrainerState.FINISHED:
        raise InputError(f"--resume {resume}: that run already finished; add --iterations N or --epochs N "
                         "to run more")
    if trainer.state is TrainerState.DIVERGED:
        trainer.recover()  # from the last good weights, with fresh optimizer state
    hyperparams = run["hyperparams"]
    if _given(ctx, "optimizer") and run["optimizer"] != trainer.optimizer.name:
        _check_hyperparams(OPTIMIZERS[run["optimizer"]], hyperparams)
        trainer.switch_optimizer(run["optimizer"], **hyperparams)
    else:
        _check_hyperparams(type(trainer.optimizer), hyperparams, " (the checkpoint's optimizer)")
        for name, value in hyperparams.items():
            trainer.set_hyperparam(name, value)
    if _given(ctx, "target_loss"):
        trainer.set_target_loss(run["target_loss"])
    if _given(ctx, "stop_on_explosion"):
        trainer.set_stop_on_explosion(run["stop_on_explosion"])
    return trainer


# --- helpers -----------------------------------------------------------------------------------


def _lock_checkpoint(option: str, path: str | None) -> None:
    """Let one run at a time write checkpoint ``path``; the lock ends with the command."""
    from ..atomic import TargetLock, TargetLockedError

    if path is None:
        return
    try:
        lock = TargetLock(path).acquire()
    except TargetLockedError as err:
        raise InputError(f"{option} {path}: {err.strerror}; wait for it to finish or choose another file") from None
    except OSError:
        return  # no lock file in that folder: a missing folder is reported by the checks after this
    click.get_current_context().call_on_close(lock.release)


def _is_terminal() -> bool:
    """Whether the dashboard can run: both standard input and output are a terminal."""
    import sys

    return sys.stdout.isatty() and sys.stdin.isatty()


def _classes(ds) -> str:
    return "regression" if ds.task == "regression" else f"{ds.n_classes} classes"


def _table(rows: list[tuple[str, ...]]) -> str:
    """Plain text columns, left-aligned, two spaces apart."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows
    )


def _display_path(path) -> str:
    """``path`` relative to the working directory when it is below it, so it can be pasted."""
    try:
        return str(path.relative_to(os.getcwd()))
    except ValueError:
        return str(path)

