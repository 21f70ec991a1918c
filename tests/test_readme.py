"""The README's Python examples run as written (doctest), in a scratch folder."""

from __future__ import annotations

import doctest
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_examples(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the example writes a checkpoint file
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 10
    assert result.failed == 0


def test_readme_quickstart_is_two_commands_and_ci_runs_the_second():
    text = README.read_text()
    quick = text.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("\n", 1)[1].strip() for b in quick.split("```")[1::2]]
    assert len(blocks) == 2 and all("\n" not in b for b in blocks)
    assert blocks[0].endswith("tui-nn train")
    ci = (README.parent / ".ci" / "run").read_text()
    assert blocks[1] in ci


def test_every_test_the_reliability_section_names_exists():
    import re

    text = README.read_text()
    section = text.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    named = re.findall(r"`(tests/[\w/]+\.py)::(\w+)`", section)
    assert len(named) >= 15
    for file, test in named:
        source = (README.parent / file).read_text()
        assert re.search(rf"^(async )?def {test}\(", source, re.M), f"{file}::{test} is gone"


def test_the_test_command_runs_the_suite_on_the_fast_paths_and_on_the_plain_path():
    quick = README.read_text().split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    command = quick.split("```")[3].split("\n", 1)[1].strip()
    runs = [part.strip() for part in command.split("&&") if "pytest" in part]
    assert runs == [".venv/bin/python -m pytest -n 2", "TUI_NN_PLAIN=1 .venv/bin/python -m pytest -n 2"]
