"""Run a sweep file: check it, skip what is stored, run the rest on Dask, write table and plots."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from consensus_emulator.config import SimConfig
from consensus_emulator.sweep.executor import map_tasks
from consensus_emulator.sweep.metrics import flat_metrics
from consensus_emulator.sweep.plots import write_plots
from consensus_emulator.sweep.spec import SweepFile, SweepRun, expand, load_sweep
from consensus_emulator.sweep.store import ResultStore, write_summary, write_table

__all__ = ["SweepReport", "run_config", "run_sweep"]


@dataclass(frozen=True)
class SweepReport:
    """What `run_sweep` did (wall time is reported, never written into the table)."""

    name: str
    runs: int  # configurations x seeds in the sweep
    reused: int  # found in the store and skipped
    ran: int  # simulated in this call
    table: Path
    summary: Path
    plots: tuple[Path, ...]
    seconds: float


def run_config(cfg: SimConfig) -> dict[str, float | int | None]:
    """Simulate one configuration and return its flat metrics (runs in a Dask worker)."""
    from consensus_emulator.protocols import run

    return flat_metrics(run(cfg))


def _cost(run: SweepRun) -> float:
    """Rough relative cost, to start the slowest runs first (nodes dominate)."""
    return run.config.n_nodes * run.config.rounds


def run_sweep(
    spec_path: str | Path,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
) -> SweepReport:
    """Run the sweep file `spec_path` into `out_dir` and return a report.

    The file is checked and every configuration validated before anything runs
    (`ConfigError` otherwise). Runs already stored in ``out_dir/runs`` under their
    configuration hash are skipped; the others run through `map_tasks` (a LocalCluster of
    `workers` processes by default, the Dask cluster at `scheduler`, or serially in this
    process with ``workers=0``) and are stored as each finishes. Then ``results.csv``,
    ``summary.csv`` and one PNG per plotted metric and axis are written.
    """
    started = time.perf_counter()
    spec: SweepFile = load_sweep(spec_path)
    runs = expand(spec, str(spec_path))
    out = Path(out_dir)
    store = ResultStore(out)
    (out / "sweep.json").write_text(
        json.dumps(spec.model_dump(mode="json"), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    done = store.done()
    # One run per key: identical configurations (e.g. an axis that does not change the config)
    # are simulated once.
    pending = list({r.key: r for r in runs if r.key not in done}.values())
    pending.sort(key=_cost, reverse=True)
    map_tasks(
        run_config,
        [r.config for r in pending],
        workers=workers,
        scheduler=scheduler,
        progress=progress,
        desc=spec.name,
        on_result=lambda i, metrics: store.put(pending[i], metrics),
    )
    table = write_table(runs, store, out)
    summary = write_summary(runs, store, out)
    plots = write_plots(runs, store, list(spec.plots), out)
    return SweepReport(
        name=spec.name,
        runs=len(runs),
        reused=sum(1 for r in runs if r.key in done),
        ran=len(pending),
        table=table,
        summary=summary,
        plots=tuple(plots),
        seconds=time.perf_counter() - started,
    )
