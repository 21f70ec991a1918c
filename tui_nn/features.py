"""Input features for 2-D data, as TensorFlow Playground offers them: the network sees any of
``x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)`` computed from the two coordinates, so a learner
can solve circles with no hidden layer (``--features x1^2,x2^2 --layers 0``).

NumPy only. The trainer expands its (standardised, if the run standardises) 2-D points with
:func:`expand`; views that draw the plane expand their grid the same way.
"""

from __future__ import annotations

import numpy as np

FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def parse(text: str) -> tuple[str, ...]:
    """``"x1^2, x2^2"`` -> ``("x1^2", "x2^2")``; a ValueError naming an unknown or repeated one."""
    names = tuple(part.strip().replace(" ", "") for part in str(text).split(","))
    for name in names:
        if name not in FEATURES:
            raise ValueError(f"features has an unknown feature {name!r}; choose any of {', '.join(FEATURES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"features {text!r} names a feature twice; give each once")
    return names


def expand(X: np.ndarray, names) -> np.ndarray:
    """The features ``names`` of 2-D points ``X`` (n, 2), as float32 columns in that order."""
    X = np.asarray(X, np.float32)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"features apply to 2-D data; this data has {X.shape[-1]} features")
    x1, x2 = X[:, 0], X[:, 1]
    return np.ascontiguousarray(np.stack([FEATURES[n](x1, x2) for n in names], axis=1), np.float32)
