"""``tui-nn replay RUN``: travel through a recorded run (``tui-nn train --record RUN``).

The dashboard opens on the recording with a cursor; ``--headless`` prints what the recording
holds and, with ``--at N``, the run's exact state at iteration N (``--checkpoint FILE`` saves it,
to continue with ``tui-nn train --resume FILE``). Loaded lazily by the ``tui-nn`` group
(``Group.LAZY``); NumPy, the trainer and Textual load inside the command.
"""

from __future__ import annotations

import os

import click

from .. import exit_codes
from ..plain import fmt
from . import HYPER_OPTIONS, InputError, _check_hyperparams, _is_terminal, _lock_checkpoint, option, refuse_empty_paths


def _fork_options(f):
    for opt, name, text in reversed(HYPER_OPTIONS):
        f = click.option(opt, name, type=float, metavar="X", help=f"Fork: {text[0].lower()}{text[1:]}")(f)
    return f


@click.command()
@click.argument("run", type=click.Path(dir_okay=False), metavar="RUN")
@click.option("--branch", metavar="NAME", default="main", show_default=True,
              help="The branch of the recording to open (a fork of the run).")
@click.option("--fork", "fork_name", metavar="NAME",
              help="Fork at --at N: continue from exactly that state with --optimizer and/or new hyperparameters, "
                   "kept in RUN as branch NAME.")
@option("optimizer", default=None, show_default=False, help="Fork: the optimizer to continue with [default: the run's].")
@_fork_options
@option("iterations", help="Fork: how many iterations to run [default: as many as the run had left].")
@click.option("--at", "at", type=click.IntRange(min=0), metavar="N",
              help="The iteration to stand at [default: the recording's end].")
@click.option("--checkpoint", type=click.Path(dir_okay=False), metavar="FILE",
              help="Save the exact state at --at N as a checkpoint (continue it with tui-nn train --resume FILE).")
@click.option("--headless", is_flag=True, help="No dashboard: print the recording's contents and the state at --at.")
def replay(run, branch, fork_name, optimizer, iterations, at, checkpoint, headless, **hyper) -> None:
    """Travel through a recorded run: its exact state at any iteration.

    RUN is a file written by `tui-nn train --record RUN`; the state at an iteration is the
    nearest snapshot before it, recomputed forward with the deterministic trainer. RUN may be a
    checkpoint: its history is recomputed from its configuration and optimizer switches (exact
    when that gives the checkpoint's state bit for bit; else its own state and loss history).

    \b
    Exit status: 0 done, 2 bad input (not a recording, a damaged one, an iteration outside it).
    """
    from ..atomic import check_writable, same_file

    refuse_empty_paths({"RUN": run, "--checkpoint": checkpoint})
    problem = same_file({"RUN": run, "--checkpoint": checkpoint})
    if problem:
        raise InputError(problem)
    if not os.path.lexists(run):
        raise InputError(f"{run}: no such file; give a recording written by tui-nn train --record")
    if checkpoint is not None:
        if not checkpoint.endswith(".npz"):
            raise InputError(f"--checkpoint {checkpoint}: checkpoints are .npz files; end the name with .npz")
        problem = check_writable(checkpoint)
        if problem:
            raise InputError(f"--checkpoint: {problem}")
        _lock_checkpoint("--checkpoint", checkpoint)
    from ..recording import Recording  # NumPy: ~0.1 s

    hyperparams = {k: v for k, v in hyper.items() if v is not None}
    if fork_name is None and (optimizer or hyperparams or iterations):
        raise InputError("--optimizer, --iterations and hyperparameters say how to fork: add --fork NAME and --at N")
    if fork_name is not None and at is None:
        raise InputError("--fork needs --at N: the iteration to fork at")
    from ..checkpoint_history import is_checkpoint

    if not is_checkpoint(run):
        _replay(run, Recording.open(run, branch), None, fork_name, optimizer, iterations, at, checkpoint, headless,
                hyperparams)
        return
    if fork_name is not None or branch != "main":
        raise InputError(f"{run} is a checkpoint, which has no branches to open or add; fork it with "
                         f"tui-nn train --resume {run} --optimizer NAME")
    import shutil
    import tempfile

    from ..checkpoint_history import prepare, recompute

    prepared = prepare(run)  # a checkpoint that cannot be replayed: one line, exit 2, before anything opens
    folder = tempfile.mkdtemp(prefix="tui-nn-history-")  # the history is recomputed, never kept
    try:
        into = os.path.join(folder, "history.rec")
        if not headless and _is_terminal():
            from ..tui.replay_app import create_history_app  # Textual: ~0.3 s

            # the dashboard opens on the checkpoint at once and shows the recomputation's progress
            app = create_history_app(run, into, cursor=at, prepared=prepared)
            app.run()
            raise SystemExit(app.return_code or exit_codes.OK)
        history = recompute(run, into, prepared=prepared)
        _replay(run, history.recording, history.note, None, None, None, at, checkpoint, headless, hyperparams)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _replay(run, recording, note, fork_name, optimizer, iterations, at, checkpoint, headless, hyperparams) -> None:
    """Replay ``recording``: ``run`` itself, or (``note`` not None) the history recomputed from
    the checkpoint ``run``, which ``note`` describes when it is not the exact history."""
    history = note is not None
    from ..replay import Replayer

    replayer = Replayer(recording)
    if at is not None:
        replayer.check_cursor(at)
    if fork_name is not None:
        from ..optimizers import OPTIMIZERS
        from ..replay import fork

        _check_hyperparams(OPTIMIZERS[optimizer or replayer.state_at(at).optimizer.name], hyperparams)
        if is_live(recording.path):
            raise InputError(f"{run} is still being recorded; fork it once its run has ended")
        _lock_checkpoint("RUN", run)  # one writer at a time
        t = fork(recording, at, fork_name, optimizer=optimizer, hyperparams=hyperparams, iterations=iterations)
        click.echo(f"{run}: branch {fork_name} forked at iteration {at:,} with {t.optimizer.name}, "
                   f"iterations {at:,} to {t.iteration:,}")
        click.echo(state_line(t))
        return
    if not headless and _is_terminal():
        from ..tui.replay_app import create_replay_app  # Textual: ~0.3 s

        app = create_replay_app(replayer, cursor=at, live=lambda: is_live(recording.path), note=note,
                                checkpoint=run if history else None)
        app.run()
        raise SystemExit(app.return_code or exit_codes.OK)
    cursor = recording.end if at is None else at
    t = replayer.state_at(cursor)
    click.echo(describe(recording, run if history else None))
    if note:
        click.echo(note)
    if at is not None or checkpoint is not None:
        click.echo(state_line(t))
    if checkpoint is not None:
        t.save_checkpoint(checkpoint)
        click.echo(f"checkpoint of iteration {cursor:,} saved to {checkpoint}; continue with: "
                   f"tui-nn train --resume {checkpoint}")


def describe(recording, name=None) -> str:
    """One line: what the recording (of ``name``, a checkpoint's history) holds."""
    c = recording.config
    src = os.path.basename(c["data"]) if c.get("data") else c["dataset"]
    live = " (still being recorded)" if is_live(recording.path) else ""
    torn = " (its last record was cut short and is left out)" if recording.torn and not live else ""
    branch = "" if recording.branch == "main" else f" branch {recording.branch} (forked at {recording.current.at:,}),"
    others = [n for n in recording.branches if n != recording.branch]
    others = f"; branches: {', '.join(others)}" if others else ""
    # a checkpoint's history is recomputed (its snapshots follow the speed, so their number is not told)
    held = "recomputed from the checkpoint" if name else f"{len(recording.snapshots):,} snapshots"
    return (f"{name or recording.path}:{branch} {c['optimizer']} on {src}, seed {c['seed']}, iterations "
            f"{recording.first:,} to {recording.end:,}, {held}{live}{torn}{others}")


def state_line(t) -> str:
    """The run's state where the trainer stands, in a few deterministic numbers."""
    loss, acc = t.metrics(t.X_train, t.y_train)
    opt = t.optimizer
    hp = ", ".join(f"{k} {v:g}" for k, v in opt.hp.items())
    return (f"iteration {t.iteration:,}: training loss {fmt(loss)}, accuracy {fmt(acc, 4)}; best loss "
            f"{fmt(t.best_loss)} at iteration {t.best_iteration:,}; {opt.name} ({hp})")


def is_live(path) -> bool:
    """Whether a ``tui-nn train --record`` is writing ``path`` now (it holds its lock)."""
    from ..atomic import TargetLock, TargetLockedError

    try:
        TargetLock(path).acquire().release()
    except TargetLockedError:
        return True
    except OSError:
        return False
    return False
