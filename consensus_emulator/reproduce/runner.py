"""Run reproduce items (serially or in worker processes) and write their outputs."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
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
    decides how items execute, so another executor (e.g. Dask) can replace it."""
    from tqdm import tqdm

    order = sorted(names, key=lambda k: -ITEMS[k].cost)
    results: dict[str, list[Summary]] = {}
    bar = tqdm(total=len(order), desc="reproduce", unit="item", disable=not progress)
    if workers <= 1:
        for name in order:
            bar.set_postfix_str(name)
            results[name] = run_item(name, seed, str(out_dir), progress)
            bar.update(1)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_item, name, seed, str(out_dir), progress): name for name in order}
            for fut in as_completed(futures):
                results[futures[fut]] = fut.result()
                bar.set_postfix_str(futures[fut])
                bar.update(1)
    bar.close()
    return results


def reproduce(
    names: list[str], out_dir: Path, *, seed: int = 0, jobs: int = 1, progress: bool = True
) -> list[Summary]:
    """Run the items `names`, write their files and the summary into `out_dir`, return the summaries."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = run_items(names, seed, out_dir, jobs, progress)
    summaries = [s for name in names for s in results[name]]
    write_summary(summaries, out_dir)
    return summaries
