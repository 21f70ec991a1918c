"""The live dashboard's forks (issue 15): ``f`` forks the paused run where it stands, ``b`` shows
the next branch. The session does the work (:mod:`tui_nn.branches`) and answers with a
:class:`~tui_nn.events.BranchShown` event: the panels then start again from that branch's whole
state, as they start from a run's first event, and the loss chart draws the other branches
beside it (their own colour, labelled with name and optimizer)."""

from __future__ import annotations

from .. import events as ev
from .numbers import count
from .state import LogLine, RunView

REDRAW_ALL = {"status", "series", "weights", "optimizer", "log", "layout"}


class Branching:
    """Mixed into the training dashboard (:class:`~tui_nn.tui.app.TuiNNApp`)."""

    def action_fork(self) -> None:
        if not self._stands_still("a fork starts from the paused run's exact state"):
            return
        self.send(ev.Fork())

    def action_next_branch(self) -> None:
        names = self.view.branches
        if len(names) < 2:
            self.notify("This run has one branch: f (while paused) forks it where it stands.")
            return
        if self._stands_still("the branch shown is left where it stands"):
            self.send(ev.ChooseBranch(names[(names.index(self.view.branch) + 1) % len(names)]))

    def _stands_still(self, why: str) -> bool:
        if self.view.state == "running":
            self.notify(f"Pause first (space): {why}.", severity="warning")
            return False
        return True

    def _show_branch(self, events: list[ev.Event]) -> list[ev.Event]:
        """Fold in the events up to the last BranchShown, then view its branch; the rest is
        left to fold into the new view."""
        k = max(i for i, e in enumerate(events) if isinstance(e, ev.BranchShown))
        self._dirty |= self.view.apply(events[:k])
        e, old = events[k], self.view
        view = RunView(e.started, paused=True, speed=old.speed)
        view.started = True  # no 'Training on ...' again: the log goes on
        view.hp_memory = {**old.hp_memory, **view.hp_memory}
        view.elapsed = old.elapsed
        view.overlays, view.branch, view.branches = e.overlays, e.branch, list(e.branches)
        # The status bar's numbers are the state's own (a search's last accepted candidate, a
        # gradient step's), which its start event does not hold: the view would show its last
        # evaluation's instead. A fork goes on from exactly the state left, and a branch shown
        # again stands where it was left: the numbers shown there.
        view.left = {**old.left, old.branch: (old.iteration, _numbers(old))}
        at, numbers = view.left.get(old.branch if e.forked else e.branch, (None, None))
        if at == e.iteration:
            (view.train_loss, view.train_accuracy, view.val_loss, view.val_accuracy, view._loss_at) = numbers
        if e.forked:
            text = (f"Forked at iteration {count(e.iteration)}: {e.branch} goes on from here, the run so far is "
                    f"kept as {', '.join(n for n in e.branches if n != e.branch)} (b shows another branch)")
        else:
            text = f"Showing branch {e.branch}, at iteration {count(e.iteration)} with {e.started.optimizer}"
        view.log.append(LogLine("optimizer", text))
        self.notify(text, title="Fork" if e.forked else "Branch")
        self.view = view
        self._dirty |= REDRAW_ALL
        return events[k + 1:]


def _numbers(view: RunView) -> tuple:
    return view.train_loss, view.train_accuracy, view.val_loss, view.val_accuracy, view._loss_at
