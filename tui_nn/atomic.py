"""Atomic file writes: a temporary file in the same folder, flushed, then renamed.

A crash mid-write leaves the previous file (or nothing) in place, never a broken one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, BinaryIO


def atomic_write(path, data: bytes | Callable[[BinaryIO], None]) -> Path:
    """Write ``data`` (bytes, or a function writing to a binary file) to ``path`` atomically."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
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
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def check_writable(path) -> str | None:
    """Why ``path`` cannot be written (one line), or None if it can. Writes nothing."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
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
    return None
