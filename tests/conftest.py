"""Fixtures shared by the test modules."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
MAGIC_PATH = PROJECT_ROOT.parent / "shared" / "data" / "magic04.data"


@pytest.fixture(scope="session")
def magic_path() -> Path:
    """The UCI MAGIC gamma telescope file, kept next to the project (never copied into it)."""
    if not MAGIC_PATH.is_file():
        pytest.skip(f"MAGIC data file not found at {MAGIC_PATH}")
    return MAGIC_PATH
