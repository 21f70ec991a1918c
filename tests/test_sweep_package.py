"""The sweep package reads as layers: each module imports only the ones below it (no import
cycles), and none is over 600 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SWEEP = Path(__file__).resolve().parents[1] / "tui_nn" / "sweep"
MODULES = sorted(p.stem for p in SWEEP.glob("*.py") if p.stem != "__init__")


def sweep_imports(module: str) -> set[str]:
    """The sibling modules ``module`` imports anywhere (also inside functions)."""
    found = set()
    for node in ast.walk(ast.parse((SWEEP / f"{module}.py").read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found & set(MODULES)


def test_the_sweep_modules_import_each_other_without_cycles():
    graph = {m: sweep_imports(m) for m in MODULES}
    order: list[str] = []
    while graph:
        ready = sorted(m for m, deps in graph.items() if deps <= set(order))
        assert ready, f"import cycle among {sorted(graph)}"
        order += ready
        for m in ready:
            del graph[m]
    assert order[0] == "grid" and order[-1] == "orchestrator"


@pytest.mark.parametrize("module", MODULES)
def test_each_sweep_module_stays_under_600_lines(module):
    assert len((SWEEP / f"{module}.py").read_text(encoding="utf-8").splitlines()) <= 600
