"""Run reproduce items (serially or on Dask workers via `sweep.executor.map_tasks`), write their outputs."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from pathlib import Path

from consensus_emulator.reproduce.output import Summary, write_output, write_summary
from consensus_emulator.reproduce.registry import ITEMS
from consensus_emulator.reproduce.util import set_progress

__all__ = ["reproduce", "run_item", "run_items"]


def run_item(name: str, seed: int, out_dir: str, progress: bool = False) -> list[Summary]:
    """Run one registered item and write its files into `out_dir`; picklable for worker processes."""
    set_progress(progress)
    started = time.perf_counter()
    outputs = ITEMS[name].func(seed)
    seconds = time.perf_counter() - started
    return [replace(write_output(o, Path(out_dir)), seconds=seconds) for o in outputs]


def run_items(
    names: list[str], seed: int, out_dir: Path, workers: int, progress: bool = True
) -> dict[str, list[Summary]]:
    """Run the items `names` on `workers` processes (1 = in this process): the ONE place that
    decides how items execute. It goes through the emulator's one executor,
    `consensus_emulator.sweep.executor.map_tasks` (a Dask LocalCluster of `workers` processes,
    or serially in this process for ``workers <= 1``); outputs do not depend on it."""
    from consensus_emulator.sweep.executor import map_tasks

    order = sorted(names, key=lambda k: -ITEMS[k].cost)
    done = map_tasks(
        partial(run_item, seed=seed, out_dir=str(out_dir), progress=progress),
        order,
        workers=0 if workers <= 1 else workers,
        progress=progress,
        desc="reproduce",
    )
    return dict(zip(order, done, strict=True))


def reproduce(
    names: list[str], out_dir: Path, *, seed: int = 0, jobs: int = 1, progress: bool = True
) -> list[Summary]:
    """Run the items `names`, write their files and the summary into `out_dir`, return the summaries."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = run_items(names, seed, out_dir, jobs, progress)
    summaries = [s for name in names for s in results[name]]
    write_summary(summaries, out_dir)
    return summaries
