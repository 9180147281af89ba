"""Command line: ``consensus-emulator run|reproduce|validate|sweep|calibrate``.

* ``run PROTOCOL [options]`` runs one configuration and prints its metrics as a table for people, or
  with ``--json`` as JSON (sorted keys; same seed, same bytes).
* ``reproduce {all|NAME} --out DIR`` writes a CSV and a PNG per paper figure/table
  with a progress bar and prints a summary against each paper's stated result.
* ``validate etcd`` compares Raft failover on a real 5-member etcd cluster with the
  emulator (`consensus_emulator.validation.etcd`): median and p90 within ±15 % per setting; exit
  3 when some setting is outside, 1 when etcd cannot be run.
* ``sweep SWEEP.yaml --out DIR`` runs a parameter sweep on Dask (`consensus_emulator.sweep`).
* ``calibrate`` re-solves the CRSM cost calibration (seed 000 §IV-B) and prints it.

Bad input stops before any simulation with exit code 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import difflib
import json
import math
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from consensus_emulator.config import (
    JITTER_KINDS,
    NETWORK_PROFILES,
    PROFILE_COSTS,
    PROTOCOLS,
    ConfigError,
    CRSMParams,
    ETPSParams,
    FaultConfig,
    HotStuffParams,
    HybridParams,
    PBFTParams,
    RaftParams,
    SBETParams,
    ShardedParams,
    SimConfig,
    SPFTParams,
    WeightedRaftParams,
    WorkloadConfig,
    default_config,
)

__all__ = ["build_config", "main"]

DEFAULT_NODES = {
    "crsm": 4,
    "raft": 5,
    "weighted-raft": 30,
    "pbft": 4,
    "hotstuff": 4,
    "sbet": 5,
    "sharded": 12,
    "hybrid": 8,
    "spft": 5,
    "etps": 5,
}
DEFAULT_TX = {"sbet": 20, "spft": 20, "etps": 20}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="consensus-emulator",
        description="Seeded discrete-event emulator of CRSM, Raft, weighted Raft, PBFT, HotStuff, SBET, "
        "sharded consensus, the hybrid PoS+PBFT, SPFT and ETPS on one network model "
        "(times in ms, sizes in bytes).",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    r = sub.add_parser(
        "run",
        help="run one configuration and print its metrics (a table; --json for machines)",
        description="Run one protocol configuration; print its metrics as a table, or as JSON with --json.",
    )
    r.add_argument("protocol", help=f"one of: {', '.join(PROTOCOLS)}")
    g = r.add_argument_group("run")
    g.add_argument(
        "--nodes",
        type=int,
        help="consensus nodes (default: crsm 4, raft 5, weighted-raft 30, "
        "pbft/hotstuff 4, sbet 5, sharded 12)",
    )
    g.add_argument(
        "--rounds",
        type=int,
        default=20,
        help="blocks (rounds) to attempt (default 20; sharded settles --trades instead)",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the run's random generator (default 0)")
    g.add_argument("--tx", type=int, help="transactions per block, theta (default 1000; sbet 20)")
    g.add_argument("--max-time-ms", type=float, default=600_000.0, help="stop after this simulated time")
    g.add_argument("--json", action="store_true", help="print the configuration and metrics as JSON")
    g.add_argument(
        "--rounds-detail", action="store_true", help="include every round's record (implies --json)"
    )
    w = r.add_argument_group("workload")
    w.add_argument(
        "--arrival",
        choices=("saturated", "poisson"),
        default="saturated",
        help="pending-pool feed (default saturated)",
    )
    w.add_argument("--rate-tps", type=float, default=1000.0, help="poisson arrival rate (tx/s)")
    w.add_argument(
        "--replay",
        metavar="RESULTS_JSON",
        help="feed the 'transactions' (time_s, size_bytes) of an energy-trading results.json",
    )
    n = r.add_argument_group("network")
    n.add_argument(
        "--network",
        choices=sorted(NETWORK_PROFILES),
        help="network profile (default per protocol); raft-paper also sets its stable-storage write "
        "(3.0 +- 1.75 ms)",
    )
    n.add_argument("--latency-ms", type=float, help="base one-way latency (ms)")
    n.add_argument("--jitter", choices=JITTER_KINDS, help="jitter distribution")
    n.add_argument("--jitter-ms", type=float, help="jitter scale (ms)")
    n.add_argument("--bandwidth-mbps", type=float, help="link bandwidth (Mbit/s)")
    n.add_argument("--area-km", type=float, help="side of the square the nodes are placed in (km)")
    n.add_argument("--link-mtbf-ms", type=float, help="mean up time of a link (ms); 0 = never fails")
    n.add_argument("--link-mttr-ms", type=float, help="mean down time of a link (ms)")
    f = r.add_argument_group("faults")
    f.add_argument("--crashed", type=int, default=0, help="nodes crashed from the start (random)")
    f.add_argument("--silent", type=int, default=0, help="nodes that never answer consensus messages")
    f.add_argument("--malicious", type=int, default=0, help="nodes that vote against everything")
    f.add_argument(
        "--crash-leader-at",
        type=float,
        action="append",
        default=[],
        metavar="MS",
        help="crash the current leader/primary at this time (repeatable)",
    )
    p = r.add_argument_group("protocol parameters")
    p.add_argument("--domains", type=int, help="crsm: consensus domains D (default 1)")
    p.add_argument(
        "--threshold",
        type=float,
        help="approval fraction: crsm 0.8 (4/5), raft/weighted-raft 0.5 (strictly more), sbet gamma 2/3",
    )
    p.add_argument("--storage-nodes", type=int, help="crsm: dedicated storage nodes (default 0)")
    p.add_argument("--vote-timeout-ms", type=float, help="crsm: vote timeout (default 300)")
    p.add_argument("--timeout-min-ms", type=float, help="raft: minimum election timeout (default 150)")
    p.add_argument("--timeout-max-ms", type=float, help="raft: maximum election timeout (default 300)")
    p.add_argument("--heartbeat-ms", type=float, help="raft/weighted-raft/crsm: heartbeat period")
    p.add_argument("--leader", type=int, help="raft/weighted-raft: start with this node (0-based) as leader")
    p.add_argument(
        "--elect-every-round", action="store_true", help="raft/weighted-raft: new election each round"
    )
    p.add_argument(
        "--weights-from",
        metavar="JSON",
        help="weighted-raft: node_weights[/_by_round] of a results.json, or a {id: weight} object",
    )
    p.add_argument("--weights-rpc", metavar="URL", help="weighted-raft: read allWeights() over JSON-RPC")
    p.add_argument(
        "--weights-address", help="weighted-raft: address of the weights contract (with --weights-rpc)"
    )
    p.add_argument(
        "--participation-gamma",
        type=float,
        help="weighted-raft: gamma of the seed 001 eq 19 participation weight (default 0)",
    )
    p.add_argument(
        "--view-change-timeout-ms",
        type=float,
        help="pbft/hybrid/spft: view-change timeout (default 500/500/2000)",
    )
    p.add_argument(
        "--committee-fraction",
        type=float,
        help="hybrid: share of nodes in the PoS-chosen PBFT committee (0.5)",
    )
    p.add_argument(
        "--target-spacing-ms", type=float, help="etps: mean time between PoS blocks (default 600000, PPCoin)"
    )
    p.add_argument("--view-timeout-ms", type=float, help="hotstuff: pacemaker timeout (default 500)")
    p.add_argument("--t-max-ms", type=float, help="sbet/spft/etps: maximum waiting time t_max (default 500)")
    p.add_argument("--block-interval-ms", type=float, help="sbet: time between block rounds (default 500)")
    p.add_argument("--no-redundancy", action="store_true", help="sbet: disable the redundant data exchange")
    p.add_argument("--queries", type=int, help="sbet: transactions queried after the run (default 30)")
    p.add_argument(
        "--creator-rule",
        choices=("sample", "argmax"),
        help="sbet: draw the creator with seed 002 eq 7's probability (default) or take the largest "
        "(Algorithm 1)",
    )
    p.add_argument("--shards", type=int, help="sharded: number of shards (default 3; 1 = general)")
    p.add_argument("--trades", type=int, help="sharded: trades to settle (default 30)")
    p.add_argument("--capacity", type=int, help="sharded: transactions per regional block (default 10)")

    rp = sub.add_parser(
        "reproduce",
        help="reproduce the papers' figures and tables (CSV + PNG)",
        description="Reproduce seed 000 Figs 5-10, seed 001 Tables 3-7 and Figs 1-3, 7, 10, "
        "seed 002 Figs 5-8, "
        "seed 003 Fig 5, the Raft election validation and the CRSM calibration; each output gets a verdict "
        "(AGREES / NUMBERS MISS / SHAPE ONLY / DIFFERS / CALIBRATED) from its checks against the paper.",
    )
    rp.add_argument(
        "name", nargs="?", help="'all', an experiment name, or a prefix such as seed000 (see --list)"
    )
    rp.add_argument(
        "--out", type=Path, default=Path("out/reproduce"), help="output directory (default out/reproduce)"
    )
    rp.add_argument("--seed", type=int, default=0, help="experiment seed (default 0)")
    rp.add_argument(
        "--jobs",
        type=int,
        default=min(2, os.cpu_count() or 1),
        help="Dask worker processes (default min(2, CPUs), at most one per item; 1 = in this process)",
    )
    rp.add_argument("--list", action="store_true", help="list the experiments and exit")
    rp.add_argument("--no-progress", action="store_true", help="no progress bar")

    _add_validate_parser(sub)

    from consensus_emulator.sweep.command import add_sweep_parser

    add_sweep_parser(sub)

    c = sub.add_parser(
        "calibrate",
        help="re-solve the CRSM cost calibration (seed 000: 15/76/12 ms)",
        description="Solve tx_pack_ms, tx_verify_ms and store_ms_per_kb so that CRSM with 4 "
        "nodes and 1000 transactions gives 15 / 76 / 12 ms, and print them as JSON.",
    )
    c.add_argument("--seed", type=int, default=0)
    return parser


# ------------------------------------------------------------------ run
#: `run`'s protocol options (argparse dest) -> the protocols that read them; any other protocol refuses the
#: option instead of running without it (`pbft --domains 3` used to run a plain PBFT and exit 0).
OPTION_PROTOCOLS: dict[str, frozenset[str]] = {
    "domains": frozenset({"crsm"}),
    "threshold": frozenset({"crsm", "raft", "weighted-raft", "sbet"}),
    "storage_nodes": frozenset({"crsm"}),
    "vote_timeout_ms": frozenset({"crsm"}),
    "timeout_min_ms": frozenset({"raft"}),
    "timeout_max_ms": frozenset({"raft"}),
    "heartbeat_ms": frozenset({"crsm", "raft", "weighted-raft"}),
    "leader": frozenset({"raft", "weighted-raft"}),
    "elect_every_round": frozenset({"raft", "weighted-raft"}),
    "weights_from": frozenset({"weighted-raft"}),
    "weights_rpc": frozenset({"weighted-raft"}),
    "weights_address": frozenset({"weighted-raft"}),
    "participation_gamma": frozenset({"weighted-raft"}),
    "view_change_timeout_ms": frozenset({"pbft", "hybrid", "spft"}),
    "committee_fraction": frozenset({"hybrid"}),
    "target_spacing_ms": frozenset({"etps"}),
    "view_timeout_ms": frozenset({"hotstuff"}),
    "t_max_ms": frozenset({"sbet", "spft", "etps"}),
    "block_interval_ms": frozenset({"sbet"}),
    "no_redundancy": frozenset({"sbet"}),
    "queries": frozenset({"sbet"}),
    "creator_rule": frozenset({"sbet"}),
    "shards": frozenset({"sharded"}),
    "trades": frozenset({"sharded"}),
    "capacity": frozenset({"sharded"}),
}


def _refuse_foreign_options(protocol: str, args: argparse.Namespace) -> None:
    """`ConfigError` naming every given option that `protocol` does not read."""
    foreign = [
        f"--{dest.replace('_', '-')} ({', '.join(sorted(users))} only)"
        for dest, users in OPTION_PROTOCOLS.items()
        if protocol not in users and getattr(args, dest, None) not in (None, False)
    ]
    if foreign:
        raise ConfigError(
            f"{protocol} does not use {'; '.join(foreign)}: drop the option or pick that protocol"
        )


def build_config(args: argparse.Namespace) -> SimConfig:
    """Turn `run` arguments into a validated `SimConfig` (raises `ConfigError`)."""
    from consensus_emulator import chain_input

    protocol = args.protocol
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    _refuse_foreign_options(protocol, args)
    nodes = args.nodes
    params: Any
    if protocol == "weighted-raft":
        params, nodes = _weighted_params(args, nodes, chain_input)
    nodes = nodes if nodes is not None else DEFAULT_NODES[protocol]
    cfg = default_config(protocol, n_nodes=nodes)
    if protocol != "weighted-raft":
        params = _params(protocol, args)
    network = NETWORK_PROFILES[args.network] if args.network else cfg.network
    net_changes = {
        "base_latency_ms": args.latency_ms,
        "jitter": args.jitter,
        "jitter_ms": args.jitter_ms,
        "bandwidth_mbps": args.bandwidth_mbps,
        "area_km": args.area_km,
        "link_mtbf_ms": args.link_mtbf_ms,
        "link_mttr_ms": args.link_mttr_ms,
    }
    network = replace(network, **{k: v for k, v in net_changes.items() if v is not None})
    costs = PROFILE_COSTS.get(args.network or "", cfg.costs)  # raft-paper: the stable-storage write
    block = args.tx if args.tx is not None else DEFAULT_TX.get(protocol, 1000)
    workload = WorkloadConfig(block_tx=block, arrival=args.arrival, rate_tps=args.rate_tps)
    if args.replay:
        if protocol in ("sbet", "sharded"):
            raise ConfigError(
                f"--replay feeds a proposer's pending pool; {protocol} generates its own trades"
            )
        workload = replace(
            workload, arrival="replay", replay=chain_input.transactions_from_results(args.replay)
        )
    faults = FaultConfig(
        n_crashed=args.crashed,
        n_silent=args.silent,
        n_malicious=args.malicious,
        crash_leader_at_ms=tuple(args.crash_leader_at),
    )
    return SimConfig(
        protocol=protocol,
        n_nodes=nodes,
        params=params,
        network=network,
        costs=costs,
        faults=faults,
        workload=workload,
        rounds=args.rounds,
        seed=args.seed,
        max_time_ms=args.max_time_ms,
    ).validate()


def _set(base: Any, **changes: Any) -> Any:
    return replace(base, **{k: v for k, v in changes.items() if v is not None})


def _params(protocol: str, args: argparse.Namespace) -> Any:
    if protocol == "crsm":
        return _set(
            CRSMParams(),
            domains=args.domains,
            threshold=args.threshold,
            storage_nodes=args.storage_nodes,
            vote_timeout_ms=args.vote_timeout_ms,
            heartbeat_ms=args.heartbeat_ms,
        )
    if protocol == "raft":
        return _set(
            RaftParams(),
            timeout_min_ms=args.timeout_min_ms,
            timeout_max_ms=args.timeout_max_ms,
            heartbeat_ms=args.heartbeat_ms,
            threshold=args.threshold,
            initial_leader=args.leader,
            elect_every_round=args.elect_every_round or None,
        )
    if protocol == "pbft":
        return _set(PBFTParams(), view_change_timeout_ms=args.view_change_timeout_ms)
    if protocol == "hotstuff":
        return _set(HotStuffParams(), view_timeout_ms=args.view_timeout_ms)
    if protocol == "sbet":
        return _set(
            SBETParams(),
            gamma=args.threshold,
            t_max_ms=args.t_max_ms,
            block_interval_ms=args.block_interval_ms,
            queries=args.queries,
            creator_rule=args.creator_rule,
            redundant_exchange=False if args.no_redundancy else None,
        )
    if protocol == "hybrid":
        return _set(
            HybridParams(),
            committee_fraction=args.committee_fraction,
            view_change_timeout_ms=args.view_change_timeout_ms,
        )
    if protocol == "spft":
        return _set(SPFTParams(), t_max_ms=args.t_max_ms, view_change_timeout_ms=args.view_change_timeout_ms)
    if protocol == "etps":
        return _set(ETPSParams(), t_max_ms=args.t_max_ms, target_spacing_ms=args.target_spacing_ms)
    return _set(ShardedParams(), shards=args.shards, trades=args.trades, block_capacity_tx=args.capacity)


def _weighted_params(args: argparse.Namespace, nodes: int | None, chain_input: Any) -> tuple[Any, int | None]:
    params = _set(
        WeightedRaftParams(),
        threshold=args.threshold,
        heartbeat_ms=args.heartbeat_ms,
        participation_gamma=args.participation_gamma,
        initial_leader=args.leader,
        elect_every_round=args.elect_every_round or None,
    )
    source = None
    if args.weights_from and args.weights_rpc:
        raise ConfigError("give either --weights-from or --weights-rpc, not both")
    if args.weights_from:
        source = chain_input.weights_from_results(args.weights_from)
    elif args.weights_rpc:
        if not args.weights_address:
            raise ConfigError("--weights-rpc needs --weights-address of the weights contract")
        source = chain_input.weights_from_rpc(args.weights_rpc, args.weights_address)
    if source is None:
        return params, nodes
    if nodes is not None and nodes != source.n_nodes:
        raise ConfigError(f"--nodes {nodes} disagrees with the {source.n_nodes} participants in the weights")
    return replace(params, weights=source.weights, weights_by_round=source.by_round), source.n_nodes


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become null, tuples lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    from consensus_emulator.protocols import run

    cfg = build_config(args)
    result = run(cfg)
    out: dict[str, Any] = {"config": cfg.to_dict(), "metrics": result.summary()}
    out["metrics"]["messages_by_kind"] = result.messages_by_kind
    if args.rounds_detail:
        out["rounds"] = [
            {
                **asdict(r),
                "prepare_ms": r.prepare_ms,
                "consensus_ms": r.consensus_ms,
                "formal_ms": r.formal_ms,
                "tps": r.tps,
            }
            for r in result.rounds
        ]
    if args.json or args.rounds_detail:
        print(json.dumps(_clean(out), indent=2, sort_keys=True))
    else:
        print(format_run(cfg.to_dict(), _clean(out["metrics"])))
    return 0


#: The metrics people read first, in order: key, label, unit.
_HEADLINE = (
    ("blocks_committed", "blocks committed", ""),
    ("throughput_tps", "throughput (committed tx / simulated span)", "tx/s"),
    ("tps_mean", "TPS per block, mean (seed 000 eq 3-4)", "tx/s"),
    ("block_latency_ms", "block latency", "ms"),
    ("tx_latency_ms", "transaction latency", "ms"),
    ("messages_per_block", "messages per block", ""),
    ("bytes_per_block", "bytes per block", "B"),
    ("elections", "elections", ""),
    ("sim_time_ms", "simulated time", "ms"),
)


def _number(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:,}" if isinstance(value, int) else str(value)


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        if set(value) == {"count"} or not value:
            return _number(value.get("count", 0)) + " measured"
        return ", ".join(f"{k}: {_inline(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_inline(v) for v in value)
    return _number(value)


def format_run(config: dict[str, Any], metrics: dict[str, Any]) -> str:
    """One run as a table for people: what ran, the headline metrics, then every other metric."""
    workload = config.get("workload", {})
    faults = config.get("faults", {})
    lines = [
        f"{config['protocol']} on {config['n_nodes']} nodes, {config['rounds']} rounds, "
        f"seed {config['seed']} "
        f"({workload.get('arrival', '?')} workload, {workload.get('block_tx', '?')} tx per block; "
        f"{faults.get('n_crashed', 0)} crashed, {faults.get('n_malicious', 0)} malicious)",
    ]
    rows: list[tuple[str, str]] = []
    for key, label, unit in _HEADLINE:
        if key in metrics:
            text = _number(metrics[key])
            if key == "blocks_committed" and "rounds_attempted" in metrics:
                text += f" of {_number(metrics['rounds_attempted'])} rounds"
            rows.append((label, f"{text} {unit}".rstrip()))
    shown = {k for k, _, _ in _HEADLINE} | {"protocol", "rounds_attempted"}
    labels = {
        "leader_counts": "leader counts (node id from 0: rounds led)",
        "phases_ms": "phases (ms)",
        "tps_std": "TPS per block, std (seed 000 eq 3-4)",
    }
    rows += [
        (labels.get(key, key.replace("_", " ")), _inline(v))
        for key, v in sorted(metrics.items())
        if key not in shown
    ]
    width = max(len(label) for label, _ in rows)
    lines += [f"  {label:<{width}}  {value}" for label, value in rows]
    replayed = workload.get("replay") if workload.get("arrival") == "replay" else None
    if replayed:
        committed = int(metrics.get("tx_committed", 0))
        lines.append(
            f"replay: {committed} of {replayed} transactions committed"
            + (
                ""
                if committed >= replayed
                else f" (NOT drained: the run stopped after {config['rounds']} rounds; raise --rounds)"
            )
        )
    lines.append("(all metrics and the full configuration as JSON: add --json)")
    return "\n".join(lines)


# ------------------------------------------------------------------ reproduce
def _cmd_reproduce(args: argparse.Namespace) -> int:
    from consensus_emulator import reproduce as rep

    if args.list:
        names = rep.select(args.name or "all")
        for name in names:
            item = rep.ITEMS[name]
            print(f"{name:20s} {item.paper}: {item.reproduces}")
        return 0
    if args.name is None:
        raise ConfigError("reproduce needs an item name: 'all', a name or a prefix (list them with --list)")
    names = rep.select(args.name)
    if args.jobs < 1:
        raise ConfigError("--jobs must be >= 1")
    started = time.perf_counter()
    # one item runs in this process: starting a Dask cluster for it costs more than it can save
    jobs = min(args.jobs, len(names))
    summaries = rep.reproduce(names, args.out, seed=args.seed, jobs=jobs, progress=not args.no_progress)
    elapsed = time.perf_counter() - started
    print(rep.format_summary(summaries))
    print(
        f"{len(summaries)} outputs in {args.out} (verdicts in summary.json / summary.csv, every check in "
        f"checks.csv); wall time {elapsed:.0f} s with {jobs} job(s)"
    )
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from consensus_emulator.calibration import CRSM_TARGET_MS, calibrate_crsm, measure_crsm_phases

    costs = calibrate_crsm(seed=args.seed)
    out = {
        "target_ms": CRSM_TARGET_MS,
        "measured_ms": measure_crsm_phases(costs, seed=args.seed),
        "costs": {k: asdict(costs)[k] for k in ("tx_pack_ms", "tx_verify_ms", "store_ms_per_kb")},
    }
    print(json.dumps(out, indent=2, sort_keys=True))
    return 0


# ------------------------------------------------------------------ validate
def _add_validate_parser(sub: Any) -> None:
    v = sub.add_parser(
        "validate",
        help="compare the emulator with a real system (etcd: a 5-member cluster on loopback)",
        description="Start 5 etcd members on 127.0.0.1 behind a loopback delay proxy, kill the leader "
        "repeatedly, and compare election and first-write times with the emulator run with etcd's "
        "rules and the measured link delay and fsync time. Each setting's emulated median and p90 "
        "election time must lie within ±15 % of etcd's (the tolerance of the raft-election item); "
        "the table gives a verdict per setting. Writes CSV and CDF plots.",
        epilog="exit status: 0 every setting within ±15 %; 3 the comparison ran but some setting is "
        "outside the tolerance; 1 etcd could not be installed or started; 2 bad arguments.",
    )
    v.add_argument("system", choices=("etcd",), help="the real system to compare with")
    v.add_argument(
        "--out", type=Path, default=Path("out/validate"), help="output directory (default out/validate)"
    )
    v.add_argument("--trials", type=int, default=20, help="leader kills per setting (default 20)")
    v.add_argument(
        "--settings",
        default="25:150,25:300,50:500",
        help="comma-separated HEARTBEAT_MS:ELECTION_MS etcd settings (default 25:150,25:300,50:500)",
    )
    v.add_argument(
        "--delay-ms",
        type=float,
        default=7.5,
        help="one-way delay added to every peer connection (default 7.5)",
    )
    v.add_argument("--emulated-trials", type=int, default=1000, help="emulated failovers per setting")
    v.add_argument("--seed", type=int, default=0, help="seed of the kill timing and the emulator")


def _cmd_validate(args: argparse.Namespace) -> int:
    from consensus_emulator.validation import etcd

    try:
        settings = [etcd.Setting.parse(s) for s in args.settings.split(",") if s.strip()]
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if not settings or args.trials < 1 or args.emulated_trials < 1 or args.delay_ms < 0:
        raise ConfigError(
            "validate needs at least one setting, --trials >= 1, --emulated-trials >= 1, --delay-ms >= 0"
        )
    started = time.perf_counter()
    try:
        summaries = etcd.run_validation(
            args.out,
            settings=settings,
            trials=args.trials,
            delay_ms=args.delay_ms,
            emulated_trials=args.emulated_trials,
            seed=args.seed,
        )
    except etcd.EtcdError as exc:
        print(f"consensus-emulator: validate etcd: {exc}", file=sys.stderr)
        return 1
    print("\nElection time after a leader kill (ms), real etcd vs emulator:")
    print(etcd.format_table(summaries))
    missed = [s for s in summaries if etcd.misses(s)]
    print(
        f"{len(summaries) - len(missed)} of {len(summaries)} settings within ±{100 * etcd.TOLERANCE:g} % on "
        "median and p90 election time"
        + (f"; outside: {', '.join(s['setting'] for s in missed)}" if missed else "")
    )
    print(f"CSV and CDF plots in {args.out}; wall time {time.perf_counter() - started:.0f} s")
    return 3 if missed else 0


def _parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args(argv)`, except that unknown options are refused by the sub-command's parser (its
    usage, not the top level's) with the closest option it has: "did you mean --out?" (exit 2). Python
    3.11's argparse has no `suggest_on_error`. (The twin of energy_trading.cli.main._parse_args.)"""
    args, extra = parser.parse_known_args(argv)
    if not extra:
        return args
    sub = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices.get(getattr(args, "command", None) or "", parser)
    options = [o for action in sub._actions for o in action.option_strings if o.startswith("--")]
    hints = {}
    for word in extra:
        name = word.split("=", 1)[0]
        if name.startswith("-") and name.lstrip("-")[:1].isalpha():
            close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
            if close:
                hints[name] = close[0]
    message = f"unrecognized arguments: {' '.join(extra)}"
    if len(hints) == 1:
        message += f"; did you mean {next(iter(hints.values()))}?"
    elif hints:
        message += "; " + ", ".join(f"{k}: did you mean {v}?" for k, v in hints.items())
    sub.error(message)  # prints the sub-command's usage and exits 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``consensus-emulator`` console script."""
    args = _parse_args(_parser(), argv)
    try:
        if getattr(args, "seed", 0) < 0:  # numpy's generators take non-negative seeds only
            raise ConfigError(f"--seed must be >= 0 (got {args.seed})")
        if args.command == "run":
            return _cmd_run(args)
        if args.command == "reproduce":
            return _cmd_reproduce(args)
        if args.command == "validate":
            return _cmd_validate(args)
        if args.command == "sweep":
            from consensus_emulator.sweep.command import cmd_sweep

            return cmd_sweep(args)
        return _cmd_calibrate(args)
    except BrokenPipeError:
        # the reader went away (`consensus-emulator run crsm | head`): stop quietly, as the Python docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except ConfigError as exc:
        print(f"consensus-emulator: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
