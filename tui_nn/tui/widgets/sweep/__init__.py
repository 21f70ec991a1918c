"""The sweep dashboard's widgets, one per module."""

from .curves_chart import CurvesChart
from .leaderboard import Leaderboard

__all__ = ["CurvesChart", "Leaderboard"]
