"""Emulator performance: wall time and simulated messages per second vs node count.

Runs PBFT, HotStuff and CRSM at 16, 64, 256 and 1024 nodes (LAN profile, 1000-tx
blocks, CRSM in domains of 16 nodes; wall time is the best of a few repeats for the
fast ones), prints one row per configuration, then the growth exponent
k of wall time ~ n^k per protocol (least squares on log-log) next to the growth of the
simulated message count. PBFT, whose message count grows as n^2, is the named baseline:
the linear protocols (HotStuff, CRSM) are reported relative to it.

PBFT's all-to-all phases are computed in array form and HotStuff/CRSM run one SimPy
event per message, so the wall-time exponents say how each emulation scales, not
only how the protocols do.

Usage: python benchmarks/emulator_bench.py [--nodes 16 64 256 1024] [--rounds 3]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

from consensus_emulator import run
from consensus_emulator.config import (
    LAN,
    CRSMParams,
    HotStuffParams,
    PBFTParams,
    SimConfig,
    WorkloadConfig,
)

BASELINE = "pbft"
#: Timeouts far beyond any normal-case round, so the benchmark measures the normal case.
NO_TIMEOUT_MS = 1e7


def config(protocol: str, n: int, rounds: int, block: int, seed: int) -> SimConfig:
    params = {
        "pbft": PBFTParams(view_change_timeout_ms=NO_TIMEOUT_MS),
        "hotstuff": HotStuffParams(view_timeout_ms=NO_TIMEOUT_MS),
        "crsm": CRSMParams(
            domains=max(1, n // 16), vote_timeout_ms=NO_TIMEOUT_MS, round_timeout_ms=NO_TIMEOUT_MS
        ),
    }[protocol]
    return SimConfig(
        protocol=protocol,
        n_nodes=n,
        params=params,
        network=LAN,
        workload=WorkloadConfig(block_tx=block),
        rounds=rounds,
        seed=seed,
        max_time_ms=NO_TIMEOUT_MS * 10,
    )


def measure(protocol: str, n: int, rounds: int, block: int, seed: int) -> dict[str, float]:
    """One configuration; wall time is the best of up to 5 repeats taken within about 1 s."""
    cfg = config(protocol, n, rounds, block, seed)
    walls = []
    while len(walls) < 5 and sum(walls) < 1.0:
        started = time.perf_counter()
        result = run(cfg)
        walls.append(time.perf_counter() - started)
    wall = min(walls)
    summary = result.summary()
    messages = sum(result.messages_by_kind.values())
    return {
        "wall_s": wall,
        "messages": messages,
        "consensus_msgs_per_block": summary["messages_per_block"] or 0.0,
        "msgs_per_s": messages / wall if wall > 0 else math.inf,
        "tps": summary["tps_mean"],
        "blocks": summary["blocks_committed"],
    }


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares exponent k of y ~ x^k."""
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], epilog="PBFT is the named baseline."
    )
    parser.add_argument("--nodes", type=int, nargs="+", default=[16, 64, 256, 1024], help="node counts")
    parser.add_argument(
        "--protocols", nargs="+", default=["pbft", "hotstuff", "crsm"], choices=["pbft", "hotstuff", "crsm"]
    )
    parser.add_argument("--rounds", type=int, default=3, help="blocks per run (default 3)")
    parser.add_argument("--block", type=int, default=1000, help="transactions per block (default 1000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    for protocol in args.protocols:  # warm up imports and caches so the first row is not inflated
        measure(protocol, 8, 1, 10, args.seed)
    rows: dict[str, list[dict[str, float]]] = {p: [] for p in args.protocols}
    header = (
        f"{'protocol':9s} {'n':>5s} {'wall s':>8s} {'sim msgs':>10s} {'msgs/block':>11s} {'sim msgs/s':>11s} "
        f"{'TPS (sim)':>10s} {'blocks':>6s}"
    )
    print(header)
    print("-" * len(header))
    for protocol in args.protocols:
        for n in args.nodes:
            m = measure(protocol, n, args.rounds, args.block, args.seed)
            rows[protocol].append(m)
            print(
                f"{protocol:9s} {n:5d} {m['wall_s']:8.2f} {m['messages']:10d} "
                f"{m['consensus_msgs_per_block']:11.0f} {m['msgs_per_s']:11.0f} "
                f"{m['tps']:10.0f} {m['blocks']:6d}",
                flush=True,
            )

    print()
    print(f"growth exponents over n = {args.nodes} (wall ~ n^k, messages/block ~ n^k); baseline {BASELINE}")
    base_wall = slope(args.nodes, [r["wall_s"] for r in rows.get(BASELINE, [])]) if BASELINE in rows else None
    print(f"{'protocol':9s} {'k wall':>7s} {'k msgs':>7s} {'k wall - k wall(pbft)':>22s}")
    for protocol, ms in rows.items():
        k_wall = slope(args.nodes, [r["wall_s"] for r in ms])
        k_msgs = slope(args.nodes, [max(r["consensus_msgs_per_block"], 1.0) for r in ms])
        rel = f"{k_wall - base_wall:+.2f}" if base_wall is not None else "n/a"
        print(f"{protocol:9s} {k_wall:7.2f} {k_msgs:7.2f} {rel:>22s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
