"""``tui-nn race``: several optimizers trained from the same start (core: :mod:`tui_nn.race`)."""

from __future__ import annotations

import click

from .. import settings
from . import (DataSource, InputError, _given, _is_terminal, build_interruptibly, data_options, main, model_options,
               option, run_options)

FORMATS = ("text", "jsonl")


class DurationType(click.ParamType):
    """``--time``: ``30s``, ``2m``, ``1.5h`` or a number of seconds."""

    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        from ..race import RaceError, parse_duration

        try:
            seconds = parse_duration(value)
        except RaceError as e:
            self.fail(str(e).removeprefix("time "), param, ctx)
        s = settings.RACE["time"]
        if not s.contains(seconds):
            self.fail(f"{value!r} is more than {s.high:g} s; give a shorter budget", param, ctx)
        return seconds


@main.command()
@data_options
@model_options
@option("optimizers", show_default=True)
@run_options(exclude=("optimizer",))
@option("time", type=DurationType())
@click.option("--headless", is_flag=True, help="No dashboard: print the final table (or --format jsonl) on stdout.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Headless output: the final table, or one JSON-lines stream of every contender (each record "
                   "tagged with \"contender\"; a contender's records are what 'tui-nn train --format jsonl' "
                   "prints for its options), in iteration order.")
@click.option("--every", type=click.IntRange(min=1), metavar="N",
              help="jsonl: an iteration record every N iterations [default: every iteration].")
@click.option("--timing", is_flag=True,
              help="Headless: iterations per second in the table and wall-clock figures in the stream; "
                   "without them the same command prints the same bytes.")
@click.option("--paused", is_flag=True, help="Dashboard: start paused.")
def race(source: DataSource, spec, optimizers, run: dict, time, headless, fmt, every, timing, paused) -> None:
    """Race optimizers from the same start: the same data, the same initial weights.

    Every contender is the run 'tui-nn train' makes of the same options with its optimizer
    (its final weights are the same, bit for bit). Each trains in a process of its own, at
    once; with more contenders than cores the operating system shares the cores between them
    evenly.

    \b
    The budget is the same for every contender:
      iterations  --iterations or --epochs (default 10,000 iterations), deterministic: the
                  same command prints the same bytes;
      --time 30s  30 s of CPU time each, counted by each contender's own process (one BLAS
                  thread each), so sharing a core costs a contender nothing; the race takes
                  about contenders / cores x 30 s. Not deterministic: the iterations reached
                  depend on the machine and its load.

    \b
    Examples:
      tui-nn race --optimizers hill-climb,sgd,adam,rmsprop --dataset spiral --layers 64
      tui-nn race --optimizers adam:lr=0.01,adam:lr=0.05 --headless --format jsonl

    A hyperparameter option (--lr 0.05) goes to every contender that takes it; a contender's
    own value (adam:lr=0.01) wins. The same optimizer twice needs different hyperparameters
    (identical contenders would train the same run). Exit status: 0 done, 1 a contender failed, 2 bad input, 130 interrupted
    (each unfinished contender saves a checkpoint to continue with 'tui-nn train --resume').
    """
    from ..race import Race, RaceError, parse_contenders

    ctx = click.get_current_context()
    if run["iterations"] and run["epochs"]:
        raise InputError("give --iterations or --epochs, not both")
    if every is not None and fmt != "jsonl":
        raise InputError("--every applies to --format jsonl; drop --every, or add --format jsonl")
    interactive = not headless and _is_terminal()
    if headless and paused:
        raise InputError("--paused applies to the dashboard; drop --paused or --headless")
    try:
        contenders = parse_contenders(optimizers, run.pop("hyperparams"))
    except RaceError as e:
        text = " ".join(str(e).split())
        raise InputError(settings.flag(e.setting) + text[len(e.setting):] if e.setting and text.startswith(e.setting)
                         else text) from None
    if _given(ctx, "batch_size") and all(settings.OPTIMIZERS[c.optimizer].kind == "search" for c in contenders):
        raise InputError("--batch-size applies to gradient optimizers, and every contender is a search; "
                         "drop --batch-size")
    from ..trainer import TrainConfig  # deferred: NumPy, ~0.1 s

    config = TrainConfig(dataset=source.dataset, data=source.path, label=source.label, task=source.task,
                         samples=source.samples, classes=source.classes, layers=spec.hidden,
                         activation=spec.activation, dropout=spec.dropout, init=spec.init, optimizer=contenders[0].optimizer,
                         **run)
    the_race, interrupts = build_interruptibly(
        lambda: Race(config, contenders, cpu_seconds=time, paused=paused and interactive))
    if interactive:
        interrupts.restore()  # the dashboard reads Ctrl-C as a key
        raise SystemExit(_dashboard(the_race, paused))
    if not headless:
        click.echo("tui-nn: not a terminal, racing headless (use --headless to silence this note)", err=True)
    from ..race_headless import run_race_headless

    try:
        status = run_race_headless(the_race, fmt=fmt, every=every, timing=timing, interrupts=interrupts)
    finally:
        interrupts.restore()
    raise SystemExit(status)


def _dashboard(the_race, paused: bool) -> int:
    """The race dashboard; ``o`` hands a contender over to the training dashboard (exactly,
    through a checkpoint in the working folder, which the training dashboard then saves to)
    and comes back to the race, paused, when it closes. The final table goes to the terminal."""
    from .. import exit_codes
    from ..checkpoint import default_path
    from ..race_headless import final_table, save_unfinished
    from ..tui.app import create_app  # deferred: Textual, ~0.3 s
    from ..tui.race_app import RaceApp, RaceBoard

    board = RaceBoard(the_race, paused=paused)
    interrupted = False
    try:
        while True:
            app = RaceApp(board)
            action = app.run()
            interrupted = app.interrupted
            if action is None:
                break
            index = action[1]
            path = default_path(the_race.trainers[index])
            trainer = the_race.trainer(index, path)  # the contender's state, exactly
            the_race.drop(index)
            board.opened.add(index)
            the_race.standings[index].state = "opened"
            full = create_app(trainer, paused=True)
            full.run()
            if full.outcome is not None:
                click.echo(full.outcome.summary())
            if full.return_code == exit_codes.INTERRUPTED:  # Ctrl+C or a signal there ends the race too
                interrupted = True
                break
        # q as Ctrl-C: every unfinished contender is saved (train's dashboard does the same)
        saved = save_unfinished(the_race, click.get_text_stream("stderr"), "interrupted" if interrupted else "stopped")
    finally:
        the_race.stop()
    click.echo(final_table(the_race))
    for i, path in saved.items():
        click.echo(f"{the_race.contenders[i].label} saved to {path}; continue it with tui-nn train --resume {path}",
                   err=True)
    return exit_codes.INTERRUPTED if interrupted else exit_codes.OK
