"""Sweep executor: wall time of one fixed sweep serially, on 1 and on 2 Dask workers.

The named baseline is the serial loop in this process (``map_tasks(..., workers=0)``, no
Dask). The same runs then go through `map_tasks` on a fresh `LocalCluster` of 1 and of 2
single-threaded worker processes, cluster start-up and shutdown included (a user pays
them). For each executor the script prints the wall time, the speed-up over the
baseline, the CPU seconds of the processes while they ran the tasks (``time.process_time``
around each task: in a Dask worker this includes the worker's own event-loop threads) and
the parallelism obtained, CPU seconds / wall seconds: about 1 for the serial loop, up to N
for N workers on an idle machine with N free cores. It also prints the load
average before and after (other users' processes compete for the same cores, so wall
times are noisy) and checks that every executor returned identical metrics.

The fixed sweep (the sweep file below): PBFT, HotStuff and CRSM (domains of 5) at 64 and
128 nodes, crashed share 0 / 0.2, 4 seeds, 3 blocks of 1000 tx: 48 runs. Table and plot
writing are not timed (they do not depend on the executor).

``--sweep FILE`` times a sweep file instead, e.g. the shipped Fig 10 sweep (360 runs, minutes).

Usage: python benchmarks/sweep_bench.py [--workers 1 2] [--sweep sweeps/seed000_fig10_extended.yaml]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import yaml

from consensus_emulator.config import SimConfig
from consensus_emulator.sweep.executor import map_tasks
from consensus_emulator.sweep.runner import run_config
from consensus_emulator.sweep.spec import expand, load_sweep, parse_sweep

SWEEP = """\
name: bench
protocols:
  pbft: {}
  hotstuff: {}
  crsm: {nodes_per_domain: 5}
fixed: {rounds: 3, block_tx: 1000, max_time_ms: 5000}
axes:
  nodes: [64, 128]
  crashed_share: [0.0, 0.2]
seeds: 4
plots: [tps_mean]
"""


def _timed(cfg: SimConfig) -> tuple[dict[str, float | int | None], float]:
    """One sweep run and the CPU seconds its process used meanwhile (all threads)."""
    started = time.process_time()
    metrics = run_config(cfg)
    return metrics, time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local cluster sizes to time")
    parser.add_argument("--sweep", type=Path, help="time this sweep file instead of the fixed one")
    args = parser.parse_args()
    spec = load_sweep(args.sweep) if args.sweep else parse_sweep(yaml.safe_load(SWEEP), "bench")
    configs = [r.config for r in expand(spec)]
    load_before = os.getloadavg()
    rows, results = [], {}
    for workers in [0, *args.workers]:
        label = "serial (baseline)" if workers == 0 else f"LocalCluster, {workers} worker(s)"
        started = time.perf_counter()
        out = map_tasks(_timed, configs, workers=workers, progress=False)
        wall = time.perf_counter() - started
        cpu = sum(seconds for _, seconds in out)
        results[label] = [metrics for metrics, _ in out]
        rows.append((label, wall, cpu))
    load_after = os.getloadavg()
    base = rows[0][1]
    what = args.sweep or "the fixed sweep (PBFT, HotStuff, CRSM; 64/128 nodes; crashed 0/20 %; 4 seeds)"
    print(f"{what}: {len(configs)} runs")
    print(f"{'executor':28s} {'wall s':>7s} {'vs serial':>10s} {'task CPU s':>11s} {'CPU s / wall s':>15s}")
    for label, wall, cpu in rows:
        print(f"{label:28s} {wall:7.1f} {base / wall:9.2f}x {cpu:11.1f} {cpu / wall:15.2f}")
    identical = all(r == results[rows[0][0]] for r in results.values())
    print(f"metrics identical across executors: {identical}")
    print(
        f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on "
        f"{os.cpu_count()} CPUs: other processes share these cores, so wall times are noisy"
    )
    if not identical:
        raise SystemExit("the executors produced different metrics")


if __name__ == "__main__":
    main()
