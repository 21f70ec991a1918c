"""Safe file access: atomic writes, regular-file reads and one writer per target.

- ``atomic_write`` writes a temporary file in the same folder, flushed, then renamed: a crash
  mid-write leaves the previous file (or nothing) in place, never a broken one. Temporaries a
  killed writer left behind are removed by the next write of the same target.
- ``open_regular`` opens a file for reading only if it is a regular file: a named pipe without
  a writer would block forever and ``/dev/zero`` never ends.
- ``TargetLock`` lets one run at a time write a target (an advisory ``flock``).
- ``check_writable`` and ``same_file`` are the commands' up-front checks of their outputs.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable


def atomic_write(path, data: bytes | Callable[[BinaryIO], None]) -> Path:
    """Write ``data`` (bytes, or a function writing to a binary file) to ``path`` atomically."""
    path = Path(path)
    remove_stale_temporaries(path)
    fd, tmp = _locked_temporary(path)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would, or
        # the mode of the file it replaces.
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data)
            f.flush()
            os.fsync(f.fileno())
            os.replace(tmp, path)  # still locked: the lock ends when the file closes
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def _locked_temporary(path: Path) -> tuple[int, str]:
    """A new temporary beside ``path``, locked while it is written: a live writer's temporary
    is never taken for a stale one (see ``remove_stale_temporaries``)."""
    while True:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
        fcntl.flock(fd, fcntl.LOCK_EX)  # a cleaner may hold it for an instant, then unlinks it
        if _same_file(fd, tmp):
            return fd, tmp
        os.close(fd)  # removed by a cleaner between mkstemp and flock: take another name


def _same_file(fd: int, path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (own.st_dev, own.st_ino)


def remove_stale_temporaries(path) -> list[Path]:
    """Remove the temporaries of ``path`` whose writer died (``kill -9`` mid-write); return them.

    A writer holds a lock on its temporary until it is renamed, and the lock ends with the
    process, so a temporary that can be locked is stale. Another live writer's is left alone.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    # mkstemp's names: the prefix, 8 characters from [a-z0-9_], the suffix
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp")
    removed = []
    try:
        names = [n for n in os.listdir(folder) if pattern.fullmatch(n)]
    except OSError:
        return removed
    for name in names:
        tmp = folder / name
        try:
            fd = os.open(tmp, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live writer's
            if _same_file(fd, tmp):
                os.unlink(tmp)
                removed.append(tmp)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed


# --- reading -----------------------------------------------------------------------------------

_KINDS = {stat.S_IFIFO: "a named pipe (FIFO)", stat.S_IFCHR: "a character device",
          stat.S_IFBLK: "a block device", stat.S_IFSOCK: "a socket"}


class NotRegularFileError(OSError):
    """The path names a pipe, device or socket: reading it could block forever or never end."""


def open_regular(path) -> BinaryIO:
    """Open ``path`` for binary reading if it is a regular file.

    Raises ``FileNotFoundError``, ``PermissionError``, ``IsADirectoryError`` or
    ``NotRegularFileError`` (all ``OSError``; ``strerror`` says why in a few words). Opening
    never blocks: a named pipe is refused without waiting for a writer.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "is a directory", str(path))
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise NotRegularFileError(errno.EINVAL, f"is {kind}, not a regular file", str(path))
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


# --- one writer per target ---------------------------------------------------------------------


class TargetLockedError(OSError):
    """Another live process holds the lock on this target."""


class TargetLock:
    """An advisory lock (``flock``) that one run holds on a file it writes, e.g. a checkpoint.

    The lock lives on a hidden ``.NAME.lock`` beside the target (the target itself is replaced
    by every atomic write, so a lock on it would not last); the lock file is removed on release.
    The system drops the lock when its process dies, so a ``kill -9`` never blocks the next run.

    >>> with TargetLock("run.npz"):          # doctest: +SKIP
    ...     save(...)                       # a second run's TargetLock raises TargetLockedError
    """

    def __init__(self, path):
        self.path = Path(path)
        self.lock_path = self.path.parent / f".{self.path.name}.lock"
        self._fd: int | None = None

    def acquire(self) -> "TargetLock":
        while True:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
                os.close(fd)
                who = f" (process {holder})" if holder.isdigit() else ""
                raise TargetLockedError(
                    errno.EWOULDBLOCK, f"another run{who} is writing this file", str(self.path)) from None
            if _same_file(fd, self.lock_path):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                self._fd = fd
                return self
            os.close(fd)  # its holder removed it as we opened it: lock the new one

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.unlink(self.lock_path)  # while still locked, so no one locks a removed file
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "TargetLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def check_writable(path) -> str | None:
    """Why ``path`` cannot be written (one line naming the fix), or None if it can.

    The one up-front check of every output of every command. Beyond the permission bits (which
    root passes everywhere) it really opens the file: an existing one for appending (its content
    is left as it is), a new one is created and removed again. So /proc, /sys, a read-only file
    system or a device such as /dev/full is refused before any training, not after it."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if str(path) in ("", "."):
        return "the path is empty; give a file name"
    if path.is_dir():
        return f"{path} is a directory; give a file name"
    if not parent.exists():
        return f"folder {parent} does not exist; create it or choose another path"
    if not parent.is_dir():
        return f"{parent} is not a folder; choose another path"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"folder {parent} is not writable; choose another path"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{path} is not writable; choose another path or fix its permissions"
    if path.exists() and not path.is_file():
        return f"{path} is not a regular file (a device, pipe or socket); give the path of a file"
    try:
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK))
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            path.unlink()
    except OSError as e:
        return f"cannot write {path} ({e.strerror or e}); choose another path"
    return None


def same_file(paths: dict[str, object], allowed: tuple[frozenset, ...] = ()) -> str | None:
    """Which two options name the same file (one line naming the fix), or None.

    ``paths`` maps each option (``--log``) to its path, or None when not given. Two paths are
    the same file when they resolve to the same place (``./a`` and ``a``, a symbolic link) or,
    for existing files, share an inode (a hard link). ``allowed`` lists pairs that may share a
    file (``--resume`` and ``--checkpoint``: a run continues into its own checkpoint)."""
    seen: list[tuple[str, object, set]] = []
    for option, path in paths.items():
        if path is None:
            continue
        p = Path(path).expanduser()
        keys: set = {("path", str(p.resolve()))}
        try:
            st = os.stat(p)
            keys.add(("inode", st.st_dev, st.st_ino))
        except OSError:
            pass
        for other, other_path, other_keys in seen:
            if keys & other_keys and frozenset((option, other)) not in allowed:
                shown = path if str(path) == str(other_path) else f"{other_path} and {path}"
                return f"{other} and {option} name the same file ({shown}); give each its own file"
        seen.append((option, path, keys))
    return None

