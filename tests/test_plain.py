"""tui_nn/plain.py: the one JSON-safe converter, number format and terminal test; and the exit
statuses, which live in tui_nn/exit_codes.py alone."""

from __future__ import annotations

import io
import json
import math
import re
from pathlib import Path

import numpy as np

from tui_nn import exit_codes
from tui_nn.plain import fmt, isatty, json_safe


def test_json_safe_gives_standard_json_for_numpy_values_and_non_finite_numbers():
    value = {"loss": math.inf, "nan": float("nan"), "arr": np.array([1.0, np.nan, -np.inf], np.float32),
             "ints": np.arange(3), "scalar": np.float32(0.5), "nested": [(1, np.int64(2))],
             "timing": {"elapsed": 1.5, "keep": 1}}
    out = json_safe(value, drop={"elapsed"})
    assert out == {"loss": None, "nan": None, "arr": [1.0, None, None], "ints": [0, 1, 2], "scalar": 0.5,
                   "nested": [[1, 2]], "timing": {"keep": 1}}
    json.dumps(out, allow_nan=False)  # standard JSON: no NaN, no Infinity


def test_fmt_and_isatty():
    assert fmt(0.123456789) == "0.123457" and fmt(0.5, 7, fixed=True) == "0.5000000"
    assert fmt(None) == "—" and fmt(None, missing="") == "" and fmt(math.inf) == "inf"
    assert not isatty(io.StringIO()) and not isatty(object())


def test_exit_statuses_are_numbered_in_one_module():
    package = Path(exit_codes.__file__).parent
    numbered = re.compile(r"SystemExit\(\d|exit_code\s*=\s*\d|exit_status\s*=\s*\d|EXIT_\w+\s*=\s*\d"
                          r"|return_code=\d|return 130$")
    offenders = []
    for path in package.rglob("*.py"):
        if path.name == "exit_codes.py":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#")[0]
            if numbered.search(code.rstrip()):
                offenders.append(f"{path.relative_to(package)}:{n}: {line.strip()}")
    assert not offenders, offenders
    assert (exit_codes.OK, exit_codes.BAD_INPUT, exit_codes.DIVERGED, exit_codes.INTERRUPTED) == (0, 2, 3, 130)
