"""How a dashboard ended, and what the terminal says about it once the dashboard has gone."""

from __future__ import annotations

import math

from .numbers import count, num
from .state import RunView


class Outcome:
    """How a dashboard ended: the run's figures as it last showed them, the checkpoint saved on
    the way out (None: finished, or nothing to save) and whether a signal or Ctrl+C ended it."""

    def __init__(self, view: RunView, checkpoint: str | None, interrupted: bool):
        self.view, self.checkpoint, self.interrupted = view, checkpoint, interrupted

    def summary(self) -> str:
        """What the terminal shows after the dashboard has gone (the headless summary's wording)."""
        v = self.view
        head = {"finished": "Finished", "diverged": "Diverged", "failed": "Failed"}.get(
            v.state, "Interrupted" if self.interrupted else "Stopped")
        metric = "R²" if v.task == "regression" else "accuracy"
        lines = [f"{head}: {count(v.iteration)} iterations, optimizer {v.optimizer}",
                 f"  best loss        {num(v.best_loss, 7) if math.isfinite(v.best_loss) else 'none yet'}",
                 f"  train loss       {num(v.train_loss, 7)}   train {metric} {num(v.train_accuracy)}"]
        if v.val_loss is not None:
            lines.append(f"  val loss         {num(v.val_loss, 7)}   val {metric} {num(v.val_accuracy)}")
        if self.checkpoint:
            lines.append(f"  checkpoint saved to {self.checkpoint}; continue with: tui-nn train --resume "
                         f"{self.checkpoint}")
        elif v.state not in ("finished", "failed") and v.iteration:
            lines.append("  no checkpoint could be saved: the progress of this session is lost")
        return "\n".join(lines)
