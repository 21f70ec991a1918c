"""The built wheel carries the example data files, and they are found from an installed copy."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        pytest.fail(f"building the wheel failed: {proc.stderr[-2000:]}")
    return next(out.glob("tui_nn-*.whl"))


def test_wheel_contains_examples_and_entry_point(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    examples = {Path(n).name for n in names if n.startswith("tui_nn/examples/")}
    shipped = {p.name for p in (ROOT / "datasets").iterdir() if p.is_file()}
    assert shipped and shipped <= examples
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "tui-nn = tui_nn.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_wheel_finds_its_examples(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    code = ("import json, tui_nn.data as d; from pathlib import Path; "
            "print(json.dumps({k: str(v) for k, v in d.example_files().items()})); "
            "print(d.load_file(next(iter(d.example_files().values()))).X.shape)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.splitlines()[0])
    assert found and all(str(target) in p for p in found.values())
