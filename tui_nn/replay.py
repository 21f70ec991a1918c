"""Replay: the exact state of a recorded run at any iteration.

:class:`Replayer` keeps one trainer of the recording's configuration (the data is loaded once).
``state_at(i)`` restores the last snapshot at or before ``i`` and recomputes forward with the
deterministic trainer, so the trainer then holds what the run held at iteration ``i``, bit for
bit (``tests/test_replay.py`` checks it against a straight run at random iterations). Moving
forward from where it stands it only runs the difference.
"""

from __future__ import annotations

from .recording import Recording, RecordingError, Snap


class Replayer:
    def __init__(self, recording: Recording):
        from .config import TrainConfig
        from .trainer import Trainer

        self.recording = recording
        try:
            self.trainer = Trainer(TrainConfig.from_dict(recording.config))
        except ValueError as e:  # e.g. its data file is gone
            raise RecordingError(f"{recording.path}: config: {' '.join(str(e).split())}") from None
        digest = recording.conf.get("data_digest")
        if digest not in (None, self.trainer.dataset.digest):
            raise RecordingError(f"{recording.path}: the data file {self.trainer.config.data} has changed since "
                                 "this run was recorded; restore the file to replay it")
        self._at: Snap | None = None  # the snapshot the trainer was last restored from

    @property
    def iteration(self) -> int:
        return self.trainer.iteration

    def check_cursor(self, iteration: int) -> None:
        rec = self.recording
        if not rec.first <= iteration <= rec.end:
            raise RecordingError(f"iteration {iteration:,} is outside the recording of {rec.path} "
                                 f"({rec.first:,} to {rec.end:,}); give an iteration in that range")

    def state_at(self, iteration: int):
        """The trainer standing at ``iteration`` exactly (it is this replayer's: read it only)."""
        from .checkpoint import CheckpointError

        self.check_cursor(iteration)
        snap = self.recording.snapshot_before(iteration)
        t = self.trainer
        if not (self._at is snap and snap.iteration <= t.iteration <= iteration):
            ck = self.recording.read_snapshot(snap)
            try:
                from .checkpoint import check

                check(ck)
                t.restore(ck)
            except CheckpointError as e:
                raise RecordingError(f"{self.recording.path}: snapshot at iteration {snap.iteration}: "
                                     f"{str(e).split(': ', 1)[-1]}") from None
            self._at = snap
        if iteration > t.iteration:
            t.advance(iteration - t.iteration)
        if t.iteration != iteration:
            raise RecordingError(f"{self.recording.path}: the run stops at iteration {t.iteration:,} when "
                                 f"recomputed, not at {iteration:,}; the recording does not match this "
                                 "version of tui-nn")
        return t
