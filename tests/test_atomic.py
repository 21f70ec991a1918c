"""Tests for atomic writes and the writability check (tui_nn/atomic.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tui_nn.atomic as atomic
from tui_nn.atomic import atomic_write, check_writable


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_bytes_and_returns_the_path(tmp_path):
    path = tmp_path / "out.bin"
    assert atomic_write(str(path), b"\x00hello") == path
    assert path.read_bytes() == b"\x00hello"
    assert names(tmp_path) == ["out.bin"]


def test_writer_function_gets_a_binary_file(tmp_path):
    def writer(f):
        f.write(b"one ")
        f.write(b"two")

    atomic_write(tmp_path / "out.txt", writer)
    assert (tmp_path / "out.txt").read_bytes() == b"one two"


def test_replaces_an_existing_file(tmp_path):
    path = tmp_path / "model.json"
    path.write_bytes(b"old and longer content")
    atomic_write(path, b"new")
    assert path.read_bytes() == b"new"
    assert names(tmp_path) == ["model.json"]


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failing_writer_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, error):
    path = tmp_path / "model.npz"
    path.write_bytes(b"previous weights")

    def writer(f):
        f.write(b"half of the new weights")
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, writer)
    assert path.read_bytes() == b"previous weights"
    assert names(tmp_path) == ["model.npz"]


def test_a_failing_first_write_creates_nothing(tmp_path):
    def writer(f):
        raise ValueError("cannot serialise")

    with pytest.raises(ValueError, match="cannot serialise"):
        atomic_write(tmp_path / "new.json", writer)
    assert names(tmp_path) == []


def test_a_failing_rename_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "model.json"
    path.write_bytes(b"old")

    def broken_replace(src, dst):
        raise PermissionError("rename refused")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(PermissionError):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert names(tmp_path) == ["model.json"]


def test_the_temp_file_is_complete_and_in_the_same_folder_before_the_rename(tmp_path, monkeypatch):
    # same folder, so the rename cannot cross file systems and is atomic
    seen = {}
    real_replace = os.replace

    def spy(src, dst):
        seen["src"], seen["dst"] = Path(src), Path(dst)
        seen["content"] = Path(src).read_bytes()
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    atomic_write(tmp_path / "sub.json", b"{}")
    assert seen["src"].parent == tmp_path and seen["src"] != seen["dst"]
    assert seen["dst"] == tmp_path / "sub.json"
    assert seen["content"] == b"{}"


def test_relative_paths_write_into_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    atomic_write("plain.txt", b"x")
    assert (tmp_path / "plain.txt").read_bytes() == b"x"
    assert names(tmp_path) == ["plain.txt"]


def test_a_missing_folder_is_an_error_and_creates_nothing(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "nope" / "x.json", b"{}")
    assert names(tmp_path) == []


# ---------------------------------------------------------------------------------------
# check_writable


def test_check_writable_accepts_new_and_existing_files(tmp_path, monkeypatch):
    assert check_writable(tmp_path / "new.json") is None
    (tmp_path / "old.json").write_text("{}")
    assert check_writable(tmp_path / "old.json") is None
    monkeypatch.chdir(tmp_path)
    assert check_writable("bare-name.npz") is None
    assert names(tmp_path) == ["old.json"]  # leaves nothing behind
    assert (tmp_path / "old.json").read_text() == "{}"


def test_check_writable_explains_a_directory(tmp_path):
    assert check_writable(tmp_path) == f"{tmp_path} is a directory; give a file name"


def test_check_writable_explains_a_missing_folder(tmp_path):
    message = check_writable(tmp_path / "missing" / "model.json")
    assert message == f"folder {tmp_path / 'missing'} does not exist; create it or choose another path"
    assert not (tmp_path / "missing").exists()


def test_check_writable_explains_a_file_used_as_folder(tmp_path):
    (tmp_path / "file").write_text("")
    assert check_writable(tmp_path / "file" / "model.json") == f"{tmp_path / 'file'} is not a folder; choose another path"


def test_check_writable_explains_missing_permissions(tmp_path, monkeypatch):
    folder, existing = tmp_path / "ro", tmp_path / "locked.json"
    folder.mkdir()
    existing.write_text("{}")
    denied = {folder, existing}
    real_access = os.access
    # simulated, because permission bits do not stop root (tests may run as root in CI)
    monkeypatch.setattr(atomic.os, "access", lambda p, mode: Path(p) not in denied and real_access(p, mode))
    assert check_writable(folder / "model.json") == f"folder {folder} is not writable; choose another path"
    assert check_writable(existing) == (
        f"{existing} is not writable; choose another path or fix its permissions")


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores permission bits")
def test_check_writable_with_real_permissions(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        assert "is not writable" in check_writable(folder / "model.json")
    finally:
        folder.chmod(0o755)


# ---------------------------------------------------------------------------------------
# stale temporaries (a writer killed mid-write), reading only regular files, one writer per target


def test_only_temporaries_of_dead_writers_of_the_same_target_are_removed(tmp_path):
    import fcntl

    target = tmp_path / "c.npz"
    stale = tmp_path / ".c.npz.abcd1234.tmp"
    live = tmp_path / ".c.npz.live0000.tmp"
    other_target = tmp_path / ".c.npz.old.abcd1234.tmp"  # a temporary of c.npz.old
    not_ours = tmp_path / ".c.npz.notes.txt"
    for p in (stale, live, other_target, not_ours):
        p.write_bytes(b"x")
    with open(live, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a writer in the middle of its write
        assert atomic.remove_stale_temporaries(target) == [stale]
        atomic_write(target, b"new")
    assert names(tmp_path) == sorted(["c.npz", live.name, other_target.name, not_ours.name])


def test_open_regular_refuses_pipes_devices_and_folders(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(atomic.NotRegularFileError, match="named pipe"):
        atomic.open_regular(fifo)  # returns at once: no writer is waited for
    with pytest.raises(atomic.NotRegularFileError, match="character device"):
        atomic.open_regular("/dev/zero")
    with pytest.raises(IsADirectoryError):
        atomic.open_regular(tmp_path)
    with pytest.raises(FileNotFoundError):
        atomic.open_regular(tmp_path / "missing")
    (tmp_path / "f").write_bytes(b"data")
    with atomic.open_regular(tmp_path / "f") as f:
        assert f.read() == b"data"


def test_a_target_lock_admits_one_holder_and_leaves_nothing_behind(tmp_path):
    target = tmp_path / "c.npz"
    with atomic.TargetLock(target):
        with pytest.raises(atomic.TargetLockedError, match=f"another run \\(process {os.getpid()}\\)"):
            atomic.TargetLock(target).acquire()
        atomic_write(target, b"saved while locked")
    assert names(tmp_path) == ["c.npz"]
    with atomic.TargetLock(target):  # free again
        pass
    assert names(tmp_path) == ["c.npz"]
