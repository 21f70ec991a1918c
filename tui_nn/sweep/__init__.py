"""Hyperparameter sweeps: train one network per point of a grid and keep the best.

The modules, in the order a sweep uses them (each imports only those above it):

- ``grid``: the grid keys (from the settings table), how their values are read, grid files,
  and :class:`SweepError`.
- ``plan``: :func:`plan_sweep` turns grid values into a :class:`Plan`, the validated list of
  :class:`Configuration` s to train, each with its own seed.
- ``worker``: :func:`run_configuration` trains one configuration and returns a plain dict
  (what a worker sends back).
- ``results``: :class:`Result`, the ranking, and :class:`ResultsFiles` (the CSV table and the
  JSON-lines histories, appended per result and read back by ``--resume``).
- ``events``: the one vocabulary of backends, the sweep and its front ends (dataclasses).
- ``local``: :class:`LocalPool`, worker processes on this machine.
- ``dask_backend``: :class:`DaskBackend`, a Dask cluster (Dask is imported only when used).
- ``backends``: the backend interface, :class:`InlineBackend` and :func:`make_backend`.
- ``orchestrator``: :class:`Sweep` runs a plan on a backend, streams results to the files,
  retries configurations whose worker died, and reports events to front ends.

This package is core: no Textual, no click. The names below are its public interface.
"""

from .backends import InlineBackend, default_jobs, make_backend
from .dask_backend import LOCAL_DASK_CONFIG, DaskBackend
from .events import (ConfigCancelled, ConfigDone, ConfigFinished, ConfigProgress, ConfigRerun, ConfigRetried,
                     ConfigRunning, ConfigSubmitted, SweepEvent, SweepFinished, SweepPaused, SweepStarted,
                     WorkerLost)
from .grid import DEFAULT_RETRIES, DEFAULT_VAL_SPLIT, GRID_KEYS, HYPERPARAMS, METRICS, SweepError, load_grid_file, \
    show_value
from .local import LocalPool
from .orchestrator import Sweep
from .plan import MAX_CONFIGURATIONS, Configuration, Plan, config_seed, estimated_cost, format_params, plan_sweep
from .results import (CSV_RESULTS, DONE, OverSeeds, Result, ResultsFiles, csv_columns, history_path_for, log_path_for,
                      over_seeds, ranking, writable_problem)
from .worker import limit_blas_threads, redirect_output, run_configuration

__all__ = [
    "CSV_RESULTS", "DEFAULT_RETRIES", "MAX_CONFIGURATIONS", "DEFAULT_VAL_SPLIT", "DONE", "GRID_KEYS", "HYPERPARAMS", "LOCAL_DASK_CONFIG",
    "METRICS", "ConfigCancelled", "ConfigDone", "ConfigFinished", "ConfigProgress", "ConfigRerun", "ConfigRetried",
    "ConfigRunning", "ConfigSubmitted", "Configuration", "DaskBackend", "InlineBackend", "LocalPool", "OverSeeds", "Plan",
    "Result", "ResultsFiles", "Sweep", "SweepError", "SweepEvent", "SweepFinished", "SweepPaused", "SweepStarted",
    "WorkerLost", "config_seed", "csv_columns", "default_jobs", "estimated_cost", "format_params",
    "history_path_for", "limit_blas_threads", "load_grid_file", "log_path_for", "make_backend", "over_seeds", "plan_sweep",
    "ranking", "redirect_output", "run_configuration", "show_value", "writable_problem",
]
