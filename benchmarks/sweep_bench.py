"""Sweep executor: wall time of one fixed sweep serially, on 1 and on 2 Dask workers.

The named baseline is the serial run in this process (``workers=0``, no Dask). The same
sweep then runs on a fresh `LocalCluster` of 1 and of 2 single-threaded worker processes
(cluster start-up included, since a user pays it), each into an empty directory so
nothing is reused. The script prints each wall time, the speed-up over the baseline,
the cluster start-up cost on its own (a cluster mapping two trivial tasks), the machine's
load average before and after (other users' load makes wall times noisy), and checks
that the three tables are byte-for-byte identical.

The fixed sweep: PBFT, HotStuff and CRSM (domains of 5) at 32 and 64 nodes, crashed
share 0 / 0.2, 3 seeds, 3 blocks of 1000 tx (36 runs).

Usage: python benchmarks/sweep_bench.py [--workers 1 2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from consensus_emulator.sweep.executor import map_tasks
from consensus_emulator.sweep.runner import run_sweep

SWEEP = """\
name: bench
protocols:
  pbft: {}
  hotstuff: {}
  crsm: {nodes_per_domain: 5}
fixed: {rounds: 3, block_tx: 1000, max_time_ms: 5000}
axes:
  nodes: [32, 64]
  crashed_share: [0.0, 0.2]
seeds: 3
plots: [tps_mean]
"""


def _noop(x: int) -> int:
    return x


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local cluster sizes to time")
    args = parser.parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "bench.yaml"
        spec.write_text(SWEEP)
        rows = []
        tables = {}
        for workers in [0, *args.workers]:
            label = "serial (baseline)" if workers == 0 else f"{workers} Dask worker(s)"
            started = time.perf_counter()
            report = run_sweep(spec, Path(tmp) / f"w{workers}", workers=workers, progress=False)
            wall = time.perf_counter() - started
            tables[label] = report.table.read_bytes()
            rows.append((label, report.ran, wall))
        startup = {}
        for workers in args.workers:
            started = time.perf_counter()
            map_tasks(_noop, [0, 1], workers=workers, progress=False)
            startup[workers] = time.perf_counter() - started
    load_after = os.getloadavg()
    base = rows[0][2]
    print(f"sweep of {rows[0][1]} runs (PBFT, HotStuff, CRSM; 32/64 nodes; crashed 0/20 %; 3 seeds)")
    print(f"{'executor':22s} {'runs':>5s} {'wall s':>8s} {'vs serial':>10s}")
    for label, ran, wall in rows:
        print(f"{label:22s} {ran:5d} {wall:8.1f} {base / wall:9.2f}x")
    for workers, seconds in startup.items():
        print(f"LocalCluster of {workers} start + 2 trivial tasks + shutdown: {seconds:.1f} s")
    identical = len(set(tables.values())) == 1
    print(f"tables identical across executors: {identical}")
    print(
        f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f} on "
        f"{os.cpu_count()} CPUs: wall times are noisy when other work shares the machine"
    )
    if not identical:
        raise SystemExit("the executors produced different tables")


if __name__ == "__main__":
    main()
