"""Nobody but the trainer writes the trainer's state: front ends, the sweep and the CLI set runs
up through TrainConfig and the trainer's methods, and learn about them from its events.

The check reads the package's source (AST): outside ``trainer.py`` no statement assigns to an
attribute (or an item of an attribute) of an object reached through a name that holds a trainer
(``trainer``, ``t``, ``self.trainer``, ...), nor calls ``setattr`` on one.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tui_nn"
OWNERS = {"trainer.py"}  # the trainer's own module
TRAINER_NAMES = {"trainer", "t", "tr"}  # how the code base names a trainer it holds


def _root(node: ast.AST) -> str | None:
    """``trainer`` for ``trainer.net.params[...]``; ``self.trainer`` for ``self.trainer.x``."""
    chain = []
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        if isinstance(node, ast.Attribute):
            chain.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or not chain:
        return None
    chain.reverse()
    if node.id == "self" and chain[0] in TRAINER_NAMES and len(chain) > 1:
        return f"self.{chain[0]}"
    return node.id if node.id in TRAINER_NAMES else None


def trainer_writes(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("setattr", "delattr")
              and node.args and isinstance(node.args[0], (ast.Name, ast.Attribute))):
            target = node.args[0]
            name = target.id if isinstance(target, ast.Name) else _root(ast.Attribute(target, "x", ast.Store()))
            if name in TRAINER_NAMES or (name or "").startswith("self."):
                found.append((node.lineno, ast.unparse(node)))
            continue
        for target in targets:
            for t in ast.walk(target) if isinstance(target, (ast.Tuple, ast.List)) else [target]:
                if isinstance(t, (ast.Attribute, ast.Subscript)) and _root(t):
                    found.append((node.lineno, ast.unparse(t)))
    return found


def test_no_module_outside_the_trainer_assigns_a_trainer_attribute():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name in OWNERS and path.parent == PACKAGE:
            continue
        for line, what in trainer_writes(path.read_text(encoding="utf-8")):
            offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {what}")
    assert not offenders, "assigned from outside the trainer (use a Trainer method):\n" + "\n".join(offenders)


def test_the_check_sees_the_writes_it_forbids():
    bad = """
trainer.limit = 5
trainer.config.target_loss = 0.1
t.state = "running"
self.trainer.iteration += 1
trainer.net.params[...] = w
setattr(trainer, "best_params", w)
"""
    assert [line for line, _ in trainer_writes(bad)] == [2, 3, 4, 5, 6, 7]
    fine = """
self.limit = 5
view.state = "running"
trainer.run_for(5)
x = trainer.limit
"""
    assert trainer_writes(fine) == []
