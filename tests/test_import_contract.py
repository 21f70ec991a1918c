"""The core runs without the front ends: no Textual, textual-plotext or click outside them.

Front ends are tui_nn/cli/, tui_nn/__main__.py, anything under tui_nn/tui/, and modules or
packages named app, widgets or screens. Everything else is core: the static check reads every
import statement in it (including ones inside functions), the runtime check imports it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tui_nn"
FORBIDDEN = {"textual", "textual_plotext", "click"}
FRONT_END_NAMES = {"app", "widgets", "screens"}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_front_end(module: str) -> bool:
    parts = module.split(".")
    if parts[0] != "tui_nn" or len(parts) < 2:
        return False
    return parts[1] in {"cli", "__main__", "tui"} or any(p in FRONT_END_NAMES for p in parts[1:])


def core_files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if not is_front_end(module_name(p)))


def from_target(node: ast.ImportFrom, package: list[str]) -> str:
    """The absolute name of the module a ``from ... import`` reads, inside ``package``."""
    if not node.level:
        return node.module
    base = package[: len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module an import statement anywhere in `source` may load, as absolute names."""
    package = module.split(".") if is_package else module.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            target = from_target(node, package)
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)  # `from . import cli`
    return found


def violations(source: str, module: str, is_package: bool = False) -> list[str]:
    return sorted(
        name
        for name in imported_modules(source, module, is_package)
        if name.split(".")[0] in FORBIDDEN or is_front_end(name)
    )


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_core_module_imports_no_front_end(path: Path):
    bad = violations(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    assert not bad, f"{path.name} is core code but imports {', '.join(bad)}"


def test_core_is_what_we_think():
    names = {module_name(p) for p in core_files()}
    assert {"tui_nn", "tui_nn.network", "tui_nn.data"} <= names
    assert "tui_nn.cli" not in names and "tui_nn.__main__" not in names


@pytest.mark.parametrize(
    "source",
    [
        "import textual",
        "def f():\n    from textual.app import App",
        "import textual_plotext as tp",
        "import click.testing",
        "from . import cli",
        "from .cli import main",
        "from .tui.app import Dashboard",
        "from tui_nn.widgets import Chart",
    ],
)
def test_checker_catches_front_end_imports(source):
    assert violations(source, "tui_nn.trainer")


def test_checker_allows_core_imports():
    source = "import numpy as np\nfrom . import data\nfrom .network import Network\nimport clickhouse"
    assert violations(source, "tui_nn.trainer") == []


def test_importing_the_core_loads_no_front_end_library():
    optional = ["trainer", "optimizers", "events"]
    modules = ["tui_nn.network", "tui_nn.data"] + [
        f"tui_nn.{name}" for name in optional if (PACKAGE / f"{name}.py").exists()
    ]
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=PACKAGE.parent, check=True).stdout
    loaded = set(json.loads(out))
    assert set(modules) <= loaded
    assert not {m.split(".")[0] for m in loaded} & FORBIDDEN


def test_running_headless_a_session_and_a_sweep_loads_no_front_end_library(tmp_path):
    """Not only importing: a headless run (through runner.Session), a ProcessSession-free
    Session and an inline sweep, run in a fresh interpreter, load no Textual or click."""
    code = (
        "import io, json, sys\n"
        "from tui_nn.headless import Outputs, run_headless\n"
        "from tui_nn.trainer import Trainer, TrainConfig\n"
        "out = io.StringIO()\n"
        "assert run_headless(Trainer(TrainConfig(iterations=200)), Outputs(fmt='jsonl', progress=False), out,"
        " io.StringIO()) == 0\n"
        "from tui_nn.sweep import InlineBackend, Sweep, plan_sweep\n"
        "plan = plan_sweep({'dataset': 'vertical', 'samples': 30, 'optimizer': 'sgd', 'lr': [0.1, 0.5],"
        " 'iterations': 20}, seed=0)\n"
        "assert len(Sweep(plan, InlineBackend()).run()) == 2\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path,
                         check=True).stdout
    loaded = {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}
    assert "tui_nn" in loaded and not loaded & FORBIDDEN


# --- no import cycles ------------------------------------------------------------------------


def package_imports(root: Path) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, from every import statement (including ones
    inside functions; not those under ``if TYPE_CHECKING:``, which never run). ``from . import x``
    depends on the submodule x, not on the package's ``__init__``; importing ``a.b.c`` also runs
    ``a.b`` unless the importer is inside it already."""
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {}
    for module, path in modules.items():
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        found: set[str] = set()

        def visit(node):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    for other in child.orelse:
                        visit(other)
                    continue
                if isinstance(child, ast.Import):
                    found.update(alias.name for alias in child.names)
                elif isinstance(child, ast.ImportFrom):
                    target = from_target(child, package)
                    for alias in child.names:
                        sub = f"{target}.{alias.name}"
                        found.add(sub if sub in modules else target)
                visit(child)

        visit(ast.parse(path.read_text(encoding="utf-8")))
        own = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        deps = set()
        for name in found:
            parts = name.split(".")
            prefixes = [p for p in (".".join(parts[:i]) for i in range(1, len(parts) + 1)) if p in modules]
            if prefixes:
                deps.add(prefixes[-1])
                deps.update(p for p in prefixes[:-1] if p not in own)
        deps.discard(module)
        graph[module] = deps
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The modules that import each other, directly or through others (each cycle's members)."""
    remaining = {m: set(deps) for m, deps in graph.items()}
    while True:  # peel off modules that import nothing left; what stays is in or behind a cycle
        leaves = [m for m, deps in remaining.items() if not deps & remaining.keys()]
        if not leaves:
            break
        for m in leaves:
            del remaining[m]
    cycles, seen = [], set()
    for start in sorted(remaining):
        if start not in seen and start in _reachable(remaining, start):
            members = sorted(m for m in _reachable(remaining, start) if start in _reachable(remaining, m))
            seen.update(members)
            cycles.append(members)
    return cycles


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    reach, todo = set(), [start]
    while todo:
        for dep in graph[todo.pop()] & graph.keys():
            if dep not in reach:
                reach.add(dep)
                todo.append(dep)
    return reach


def test_the_package_has_no_import_cycles():
    """A newcomer sees the layers from the imports: no module imports one that (directly or
    through others) imports it back, not even inside a function."""
    cycles = import_cycles(package_imports(PACKAGE))
    assert not cycles, "import cycles: " + "; ".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_check_sees_a_function_level_import(tmp_path):
    """network.py imported weights.py, which imported network.py inside a function: found."""
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "network.py").write_text("from . import weights\n")
    (pkg / "weights.py").write_text("def load():\n    from .network import Network\n")
    (pkg / "sub" / "__init__.py").write_text("from .a import x\n")
    (pkg / "sub" / "a.py").write_text("from . import b\n")  # a submodule, not the package: no cycle
    (pkg / "sub" / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n")
    assert import_cycles(package_imports(pkg)) == [["pkg.network", "pkg.weights"]]
    (pkg / "sub" / "b.py").write_text("from pkg.sub import x\n")  # needs the package's __init__ done
    assert import_cycles(package_imports(pkg)) == [["pkg.network", "pkg.weights"], ["pkg.sub", "pkg.sub.a", "pkg.sub.b"]]


def test_no_module_is_over_600_lines_unless_its_opening_comment_says_why():
    """A newcomer reads a module in one sitting; the few that must be longer say why at the top
    (their docstring names the 600-line limit and the reason)."""
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if source.count("\n") > 600:
            doc = ast.get_docstring(ast.parse(source)) or ""
            if "600 lines" not in doc:
                long.append(f"{path.relative_to(PACKAGE.parent)}: {source.count(chr(10))} lines")
    assert not long, "over 600 lines without saying why: " + ", ".join(long)
