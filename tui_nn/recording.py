"""Recordings: a run's configuration, its event stream and exact snapshots of its state, in one file.

``tui-nn train --record RUN`` writes one; ``tui-nn replay RUN`` reads it (:mod:`tui_nn.replay`
reconstructs the state at any iteration from it). The file is append-only and made of records:

    MAGIC                                  one line naming the format
    tag (4 bytes) | length (u32) | crc32 (u32) | payload      repeated

Tags: ``CONF`` (first: the configuration, the data's digest), ``PROG`` (consecutive iterations'
losses, accuracies and accept/improve flags, concatenated from the trainer's Progress chunks),
``EVNT`` (any other event of the run as its JSON dict: evaluations, optimizer switches, ...) and
``SNAP`` (the trainer's whole state as :func:`tui_nn.checkpoint.capture` gives it, so a
checkpoint and a snapshot hold the same keys, without the histories). A payload is a small JSON
document and arrays described in it (dtype, shape, how they are packed), decoded with
``np.frombuffer``: nothing is unpickled, and a record's size is checked before it is inflated.

Records are appended whole; a run killed mid-write leaves a torn last record, which the reader
drops (and, on a recording still being written, waits for). A record that fails its checksum
with records after it is damage, reported as :class:`RecordingError`.

Compactness: per iteration a float32 loss (a search's losses are float32; a gradient run's are
kept as float64 when float32 would round them), a float64 accuracy and two flags, byte-shuffled
and deflated; a snapshot every ``SNAPSHOT_SECONDS`` of training (arrays equal to the weights
stored once). ``benchmarks/bench_replay.py`` measures size, overhead and scrubbing.
"""

from __future__ import annotations

import json
import os
import struct
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import events as ev

MAGIC = b"tui-nn recording 1\n"
_HEAD = struct.Struct("<4sII")  # tag, payload length, crc32 of the payload
MAX_RECORD = 1 << 30  # no real record is this large; a larger length is damage
FLUSH_ITERATIONS = 1 << 16  # iterations buffered before a PROG record is written
FLUSH_SECONDS = 0.5  # or this long (a replay following the run sees it this late at most)
SYNC_SECONDS = 10.0  # fsync at most this often (and at the end)
SNAPSHOT_SECONDS = 0.03  # training time between snapshots: replay recomputes at most about this much
MIN_SNAPSHOT_EVERY, MAX_SNAPSHOT_EVERY = 64, 1 << 16
_DTYPES = {"<f4", "<f8", "<i8", "<u8", "|b1", "|u1", "<i4", "<u4"}


class RecordingError(ValueError):
    """A file that is not a readable recording: one line naming the file, the problem and the fix."""


# --- payloads: JSON + arrays ---------------------------------------------------------------------


def pack(meta: dict, arrays: dict[str, np.ndarray] | None = None, *, level: int = 1) -> bytes:
    """One record's payload: ``meta`` (JSON-ready) and ``arrays``, each packed as suits it:
    flags as bits; a float series with few distinct values (accuracies: k/n) as an index into
    them; other numbers byte-shuffled (the exponents' bytes side by side); all deflated."""
    parts, index = [], []
    for name, a in (arrays or {}).items():
        a = np.ascontiguousarray(a)
        if a.dtype == bool:
            codec, raw = "bits", np.packbits(a.ravel()).tobytes()
        elif (a.dtype.kind == "f" and a.size > 64
              and (found := _as_index(a.ravel(), min(a.size // 4, 65535))) is not None):
            codec = "index"
            raw = struct.pack("<I", len(found[0])) + found[0].tobytes() + _shuffle(found[1])
        elif a.dtype.itemsize > 1 and a.size > 16:
            codec, raw = "shuffle", _shuffle(a)
        else:
            codec, raw = "zlib", a.tobytes()
        data = zlib.compress(raw, level)
        index.append([name, a.dtype.str, list(a.shape), codec, len(data)])
        parts.append(data)
    head = json.dumps({"meta": meta, "arrays": index}, separators=(",", ":")).encode()
    return struct.pack("<I", len(head)) + head + b"".join(parts)


def _as_index(a: np.ndarray, most: int):
    """(distinct values, each element's index into them) if ``a`` has at most ``most`` distinct
    bit patterns, else None."""
    bits = a.view(np.dtype(f"u{a.dtype.itemsize}"))
    patterns, where = np.unique(bits, return_inverse=True)
    if len(patterns) > most:
        return None
    return patterns.view(a.dtype), where.ravel().astype(np.uint8 if len(patterns) <= 256 else np.uint16)


def _shuffle(a: np.ndarray) -> bytes:
    return a.view(np.uint8).reshape(-1, a.dtype.itemsize).T.tobytes()


def unpack(payload: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """The (meta, arrays) of a payload; ``ValueError`` saying what is wrong with it."""
    if len(payload) < 4:
        raise ValueError("record too short")
    (n,) = struct.unpack_from("<I", payload)
    doc = json.loads(payload[4:4 + n])
    if not isinstance(doc, dict) or not isinstance(doc.get("meta"), dict) or not isinstance(doc.get("arrays"), list):
        raise ValueError("record header is not a tui-nn record's")
    arrays, pos = {}, 4 + n
    for entry in doc["arrays"]:
        if not (isinstance(entry, list) and len(entry) == 5):
            raise ValueError("bad array entry")
        name, dtype, shape, codec, size = entry
        if (not isinstance(name, str) or dtype not in _DTYPES or not isinstance(shape, list)
                or not all(isinstance(d, int) and 0 <= d < 1 << 40 for d in shape)
                or codec not in ("bits", "shuffle", "zlib", "index") or not isinstance(size, int) or size < 0):
            raise ValueError(f"bad array entry {name!r:.40}")
        dt = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64))
        expect = {"bits": (count + 7) // 8, "index": 4 + 65535 * dt.itemsize + 2 * count}.get(codec, count * dt.itemsize)
        d = zlib.decompressobj()
        raw = d.decompress(payload[pos:pos + size], expect + 1)  # never inflates more than it could hold
        if (len(raw) != expect and codec != "index") or len(raw) > expect or not d.eof:
            raise ValueError(f"array {name}: size does not match its shape")
        pos += size
        if codec == "bits":
            a = np.unpackbits(np.frombuffer(raw, np.uint8), count=count).astype(bool)
        elif codec == "index":
            (k,) = struct.unpack_from("<I", raw)
            width = 1 if k <= 256 else 2
            if not 0 < k <= 65535 or len(raw) != 4 + k * dt.itemsize + width * count:
                raise ValueError(f"array {name}: size does not match its shape")
            values = np.frombuffer(raw, dt, k, 4)
            where = np.frombuffer(raw[4 + k * dt.itemsize:], np.uint8).reshape(width, count).T.copy()
            where = where.view(np.uint8 if width == 1 else np.uint16).ravel()
            if count and where.max() >= k:
                raise ValueError(f"array {name}: index out of range")
            a = values[where]
        elif codec == "shuffle":
            a = np.frombuffer(raw, np.uint8).reshape(dt.itemsize, count).T.copy().view(dt).ravel()
        else:
            a = np.frombuffer(raw, dt).copy()
        arrays[name] = a.reshape(shape)
    if pos != len(payload):
        raise ValueError("trailing bytes after the arrays")
    return doc["meta"], arrays


def _record(tag: bytes, payload: bytes) -> bytes:
    return _HEAD.pack(tag, len(payload), zlib.crc32(payload)) + payload


# --- writing -------------------------------------------------------------------------------------


class Recorder:
    """Writes a recording while a :class:`~tui_nn.runner.Session` drives the trainer (in the
    session's thread, which owns the trainer): ``record(events, trainer)`` after each chunk or
    command, ``close(trainer)`` at the end. ``snapshot_every`` fixes the snapshot spacing in
    iterations (tests); by default it follows the measured speed (``SNAPSHOT_SECONDS``)."""

    def __init__(self, path, trainer, *, snapshot_every: int | None = None, fork: dict | None = None):
        self.path = Path(path)
        self.fixed_every = snapshot_every
        self.every = snapshot_every or MIN_SNAPSHOT_EVERY
        self.branch = fork["name"] if fork else "main"
        self._progress: list[ev.Progress] = []
        self._buffered = 0
        self._pending: list[ev.Event] = []
        self._last_flush = self._last_sync = time.monotonic()
        self._compute, self._since = 0.0, 0
        if fork:  # a branch of an existing recording (whole: see Recording.check_appendable)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
            self._write(b"FORK", pack(fork))
            self.snapshot(trainer)
            os.fsync(self._fd)
            return
        # 'x': a recording is never written over (the command refuses an existing file up front)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o644)
        config = trainer.config.to_dict()
        if config["data"]:
            config["data"] = str(Path(config["data"]).resolve())
        from . import __version__

        os.write(self._fd, MAGIC)
        self._write(b"CONF", pack({"format": "tui-nn/recording/1", "version": __version__, "config": config,
                                   "data_digest": trainer.dataset.digest, "n_params": trainer.net.n_params,
                                   "start": trainer.iteration}))
        self.snapshot(trainer)
        os.fsync(self._fd)

    @property
    def _tag(self) -> dict:
        return {} if self.branch == "main" else {"branch": self.branch}

    @property
    def next_snapshot(self) -> int:
        return self._last_snapshot + self.every

    def record(self, events: list[ev.Event], trainer, *, seconds: float = 0.0, command: bool = False) -> None:
        """Append ``events`` (what the trainer just emitted); a snapshot when one is due, and
        after a command (it may have changed the state: the stream after it starts from there)."""
        for e in events:
            if isinstance(e, ev.Progress):
                self._progress.append(e)
                self._buffered += len(e)
                self._since += len(e)
            elif not isinstance(e, (ev.Snapshot, ev.Started, ev.BranchShown)):
                self._pending.append(e)
        self._compute += seconds
        now = time.monotonic()
        if command or any(not isinstance(e, (ev.Progress, ev.Evaluation, ev.Snapshot)) for e in events):
            self.flush()
        elif self._buffered >= FLUSH_ITERATIONS or now - self._last_flush >= FLUSH_SECONDS:
            self.flush()
        if command or trainer.iteration >= self.next_snapshot or (trainer.done and self._last_snapshot != trainer.iteration):
            self.snapshot(trainer)

    def flush(self) -> None:
        if self._progress:
            ps = self._progress
            losses = np.concatenate([p.losses for p in ps]).astype(np.float64, copy=False)
            low = losses.astype(np.float32)
            if np.array_equal(low.astype(np.float64), losses, equal_nan=True):
                losses = low
            last = ps[-1]
            meta = {"iteration": ps[0].iteration, "best_loss": _num(last.best_loss), "epoch": last.epoch,
                    **self._tag}
            self._write(b"PROG", pack(meta, {
                "losses": losses, "accuracies": np.concatenate([p.accuracies for p in ps]).astype(np.float64),
                "accepted": np.concatenate([p.accepted for p in ps]), "improved": np.concatenate([p.improved for p in ps])}))
            self._progress, self._buffered = [], 0
        for e in self._pending:
            self._write(b"EVNT", pack({**e.to_dict(timing=False), **self._tag}))
        self._pending = []
        self._last_flush = now = time.monotonic()
        if now - self._last_sync >= SYNC_SECONDS:
            os.fsync(self._fd)
            self._last_sync = now

    def snapshot(self, trainer) -> None:
        """The trainer's exact state now (after every event before it has been written)."""
        from .checkpoint import capture

        meta, arrays = capture(trainer, history=False)
        meta["evaluations"] = []  # the stream has them
        meta["elapsed"] = 0.0
        params = arrays["params"].tobytes()
        same = [k for k, a in arrays.items()
                if k != "params" and a.dtype == arrays["params"].dtype and a.tobytes() == params]
        meta["same_as_params"] = same
        arrays = {k: a for k, a in arrays.items() if k not in same}
        state = np.frombuffer(json.dumps(meta, default=_plain).encode(), np.uint8)
        payload = pack({"iteration": trainer.iteration, **self._tag}, {"state": state, **arrays})
        self._write(b"SNAP", payload)
        self._last_snapshot = trainer.iteration
        if self.fixed_every is None and self._since and self._compute > 0:
            # About SNAPSHOT_SECONDS of recomputing, but snapshots never outweigh about a third of
            # the stream (some 3 bytes an iteration for a search): a byte an iteration at most
            rate = self._since / self._compute
            every = max(rate * SNAPSHOT_SECONDS, len(payload))
            self.every = int(min(MAX_SNAPSHOT_EVERY, max(MIN_SNAPSHOT_EVERY, every)))
        self._compute, self._since = 0.0, 0

    def close(self, trainer=None) -> None:
        if self._fd < 0:
            return
        try:
            if trainer is not None and trainer.iteration != self._last_snapshot:
                self.snapshot(trainer)
            self.flush()
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
            self._fd = -1

    def _write(self, tag: bytes, payload: bytes) -> None:
        os.write(self._fd, _record(tag, payload))


def _num(x):
    return None if x is None or not np.isfinite(x) else float(x)


def _plain(o):
    if isinstance(o, np.generic):
        return o.item()
    raise TypeError(type(o))


# --- reading -------------------------------------------------------------------------------------


@dataclass
class Snap:
    iteration: int
    offset: int  # where its record starts in the file


@dataclass
class Branch:
    """One line of the run: ``main`` (the recorded run) or a fork of it, which starts from its
    parent's state at ``at`` (``fork``: how it was made: optimizer, hyperparameters)."""

    name: str = "main"
    parent: str | None = None
    at: int = 0
    fork: dict = field(default_factory=dict)
    starts: list = field(default_factory=list)  # per PROG record: first iteration
    losses: list = field(default_factory=list)
    accuracies: list = field(default_factory=list)
    accepted: list = field(default_factory=list)
    improved: list = field(default_factory=list)
    events: list = field(default_factory=list)  # JSON dicts of the other events, in order
    snapshots: list = field(default_factory=list)


@dataclass
class Recording:
    """A recording as read so far (call :meth:`refresh` to read what was appended since), seen
    through one of its branches (``branch``; ``main`` unless chosen): ``starts``, ``losses``,
    ``events``, ``snapshots``, ``first`` and ``end`` are that branch's."""

    path: Path
    conf: dict = field(default_factory=dict)
    branches: dict = field(default_factory=lambda: {"main": Branch()})
    branch: str = "main"
    offset: int = 0  # where the next unread record starts
    torn: bool = False  # the last record is incomplete (the writer was killed, or is writing it)
    # a checkpoint's history where it could not be recomputed (tui_nn.checkpoint_history): its
    # bucketed loss Series arrays ("losses") and its evaluations, shown instead of the stream
    kept: dict | None = None

    @classmethod
    def open(cls, path, branch: str = "main") -> "Recording":
        rec = cls(Path(path))
        rec.refresh()
        if not rec.conf or not rec.branches["main"].snapshots:
            raise RecordingError(f"{rec.path}: the recording was cut short before its first snapshot (its "
                                 "writer was stopped at once, or the file was truncated); record the run again")
        rec.choose(branch)
        return rec

    def choose(self, branch: str) -> None:
        if branch not in self.branches or not self.branches[branch].snapshots:
            names = ", ".join(n for n, b in self.branches.items() if b.snapshots)
            raise RecordingError(f"{self.path} has no branch {branch!r}; its branches: {names}")
        self.branch = branch

    @property
    def current(self) -> Branch:
        return self.branches[self.branch]

    starts = property(lambda self: self.current.starts)
    losses = property(lambda self: self.current.losses)
    accuracies = property(lambda self: self.current.accuracies)
    accepted = property(lambda self: self.current.accepted)
    events = property(lambda self: self.current.events)
    snapshots = property(lambda self: self.current.snapshots)

    @property
    def config(self) -> dict:
        return self.conf["config"]

    @property
    def first(self) -> int:
        """The first iteration the recording can give (a branch: its parent's first)."""
        b = self.current
        while b.parent is not None:
            b = self.branches[b.parent]
        return b.snapshots[0].iteration if b.snapshots else 0

    @property
    def end(self) -> int:
        """The last iteration whose state the recording can give (the stream's end)."""
        return self.end_of(self.current)

    @staticmethod
    def end_of(b: Branch) -> int:
        ends = [s.iteration for s in b.snapshots]
        if b.starts:
            ends.append(b.starts[-1] + len(b.losses[-1]))
        return max(ends) if ends else 0

    def lineage(self, branch: str | None = None) -> list[Branch]:
        """The branch and its ancestors, the branch first."""
        b, out = self.branches[branch or self.branch], []
        while True:
            out.append(b)
            if b.parent is None:
                return out
            b = self.branches[b.parent]

    def series(self, branch: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every iteration's number, loss, accuracy and accept flag along ``branch`` (its parents'
        up to where it starts, then its own), concatenated."""
        parts, until = [], None
        for b in self.lineage(branch):
            for s, l, a, k in zip(b.starts, b.losses, b.accuracies, b.accepted):
                n = len(l) if until is None else max(0, min(len(l), until - s))
                if n:
                    parts.append((np.arange(s, s + n), l[:n], a[:n], k[:n]))
            until = b.at
        if not parts:
            return (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros(0, bool))
        parts.sort(key=lambda p: p[0][0])
        its, losses, accs, accepted = (np.concatenate([p[i] for p in parts]) for i in range(4))
        return its, losses.astype(np.float64), accs.astype(np.float64), accepted

    def evaluations(self, branch: str | None = None) -> list[dict]:
        if self.kept is not None:
            return list(self.kept["evaluations"])
        out, until = [], None
        for b in self.lineage(branch):
            out += [e for e in b.events if e.get("event") == "evaluation" and (until is None or e["iteration"] < until)]
            until = b.at
        return sorted(out, key=lambda e: e["iteration"])

    def events_until(self, iteration: int, branch: str | None = None) -> list[dict]:
        """The run's other events (evaluations, switches, edits, ...) along ``branch`` at or
        before ``iteration``, in order."""
        out, until = [], None
        for b in self.lineage(branch):
            out += [e for e in b.events if e.get("iteration", 0) <= iteration and (until is None or e["iteration"] < until)]
            until = b.at
        return sorted(out, key=lambda e: e["iteration"])

    def snapshot_before(self, iteration: int) -> Snap:
        """The last snapshot at or before ``iteration`` along the current branch (the latest of
        several at one iteration: the one after any command there)."""
        for b in self.lineage():
            found = [s for s in b.snapshots if s.iteration <= iteration]
            if found and (b.parent is None or iteration >= b.at):
                return found[-1]
        raise RecordingError(f"{self.path}: no snapshot before iteration {iteration}")

    def read_snapshot(self, snap: Snap):
        """The snapshot's state as a :class:`tui_nn.checkpoint.Checkpoint` (not yet checked)."""
        from .checkpoint import HISTORY, Checkpoint
        from .history import Series

        with open(self.path, "rb") as f:
            f.seek(snap.offset)
            got = self._next(f, snap.offset, os.fstat(f.fileno()).st_size)
        try:
            _, arrays = unpack(got[1])
            meta = json.loads(arrays.pop("state").tobytes())
            for k in meta.pop("same_as_params", []):
                arrays[k] = arrays["params"].copy()
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RecordingError(f"{self.path}: damaged snapshot at byte {snap.offset}; record the run again") from None
        empty = Series().to_arrays()
        for name in HISTORY:
            arrays.update({f"hist_{name}_{k}": v for k, v in empty.items()})
        return Checkpoint(self.path, meta, arrays)

    def refresh(self) -> bool:
        """Read the records appended since the last call; whether any were."""
        from .atomic import open_regular

        try:
            f = open_regular(self.path)
        except OSError as e:
            raise RecordingError(f"{self.path}: {e.strerror or e}; give a recording of a run (tui-nn train can record one)") from None
        with f:
            size = os.fstat(f.fileno()).st_size
            if self.offset == 0:
                head = f.read(len(MAGIC))
                if head != MAGIC:
                    if MAGIC.startswith(head) and size < len(MAGIC):
                        self.torn = True
                        return False
                    raise RecordingError(f"{self.path} is not a tui-nn recording or checkpoint; give a recording "
                                         "of a run (tui-nn train can record one) or a checkpoint")
                self.offset = len(MAGIC)
            f.seek(self.offset)
            grew = False
            while True:
                start = self.offset
                got = self._next(f, start, size)
                if got is None:
                    break
                tag, payload = got
                try:
                    self._take(tag, payload, start)
                except (ValueError, KeyError, TypeError) as e:
                    raise RecordingError(f"{self.path}: damaged recording: record at byte {start}: "
                                         f"{' '.join(str(e).split())[:120]}; record the run again") from None
                self.offset = f.tell()
                grew = True
            return grew

    def _next(self, f, start: int, size: int):
        """The record at ``start`` as (tag, payload), or None at the end or a torn last record."""
        head = f.read(_HEAD.size)
        if len(head) < _HEAD.size:
            self.torn = bool(head)
            return None
        tag, length, crc = _HEAD.unpack(head)
        if tag not in (b"CONF", b"PROG", b"EVNT", b"SNAP", b"FORK") or length > MAX_RECORD:
            if start + _HEAD.size + 64 >= size:  # garbage at the very end: an interrupted write
                self.torn = True
                return None
            raise RecordingError(f"{self.path}: damaged recording at byte {start}; record the run again")
        if start + _HEAD.size + length > size:
            self.torn = True
            return None
        payload = f.read(length)
        if zlib.crc32(payload) != crc:
            if start + _HEAD.size + length == size:
                self.torn = True
                return None
            raise RecordingError(f"{self.path}: damaged recording at byte {start} (checksum); record the run again")
        self.torn = False
        return tag, payload

    def _take(self, tag: bytes, payload: bytes, offset: int) -> None:
        if tag == b"SNAP":  # only its iteration now; the state is read when needed
            (n,) = struct.unpack_from("<I", payload)
            meta = json.loads(payload[4:4 + n])["meta"]
            it = meta["iteration"]
            if not isinstance(it, int) or it < 0:
                raise ValueError("snapshot without an iteration")
            self._branch(meta).snapshots.append(Snap(it, offset))
            return
        meta, arrays = unpack(payload)
        if tag == b"CONF":
            if self.conf or meta.get("format") != "tui-nn/recording/1" or not isinstance(meta.get("config"), dict):
                raise ValueError("not a tui-nn recording's configuration")
            self.conf = meta
        elif not self.conf:
            raise ValueError("records before the configuration")
        elif tag == b"FORK":
            name, parent, at = meta.get("name"), meta.get("parent"), meta.get("at")
            if (not isinstance(name, str) or name in self.branches or parent not in self.branches
                    or not isinstance(at, int)):
                raise ValueError(f"bad branch {name!r:.40}")
            self.branches[name] = Branch(name, parent, at, meta)
        elif tag == b"PROG":
            b = self._branch(meta)
            n = len(arrays["losses"])
            if any(arrays[k].shape != (n,) for k in ("accuracies", "accepted", "improved")):
                raise ValueError("progress arrays of different lengths")
            it = meta["iteration"]
            if b.starts and it != b.starts[-1] + len(b.losses[-1]):
                raise ValueError(f"progress at iteration {it} does not follow the one before")
            b.starts.append(int(it))
            b.losses.append(arrays["losses"])
            b.accuracies.append(arrays["accuracies"])
            b.accepted.append(arrays["accepted"])
            b.improved.append(arrays["improved"])
        elif tag == b"EVNT":
            b = self._branch(meta)
            if meta.get("event") == "reset":  # the run started over: the recording is its new run
                b.starts, b.losses, b.accuracies, b.accepted, b.improved = [], [], [], [], []
                b.events, b.snapshots = [], []
            b.events.append(meta)

    def _branch(self, meta: dict) -> Branch:
        name = meta.get("branch", "main")
        if name not in self.branches:
            raise ValueError(f"a record of an unknown branch {name!r:.40}")
        return self.branches[name]
