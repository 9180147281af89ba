"""Feed what the contracts produced into the consensus emulator (SPEC §6: weights live on chain;
the emulator reads them).

`consensus_figures` runs, on one seeded network model, weighted Raft with the node weights
read from `NodeWeights.allWeights()` beside plain Raft on the same nodes, and CRSM replaying
the transaction stream (signed sizes, in send order) that a run sent to the chain.

The replay's arrival times are NOT the wall-clock send times (those depend on how loaded the machine
was, so one run committed 15 of 156 transactions and the next 148): `replay_stream` keeps the order and
signed sizes of the transactions and draws their inter-arrival gaps from a seeded Poisson process, and
the emulation runs until every replayed transaction is committed (the stream is drained).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from consensus_emulator import default_config, run
from consensus_emulator.chain_input import weights_from_mapping
from energy_trading.chain.connection import TxRecord
from energy_trading.chain.deploy import Deployment

__all__ = ["REPLAY_RATE_TPS", "chain_node_weights", "consensus_figures", "replay_stream"]

WAD = 10**18

#: Mean arrival rate of the replayed stream, transactions per second (seeded Poisson gaps).
REPLAY_RATE_TPS = 50.0


def replay_stream(
    transactions: list[TxRecord], seed: int, rate_tps: float = REPLAY_RATE_TPS
) -> tuple[tuple[float, int], ...]:
    """The run's transactions as a deterministic CRSM arrival stream ((time_ms, size_bytes), ...).

    Args:
        transactions: the run's transaction log, in the order the chain received them.
        seed: seeds the inter-arrival gaps (same seed and log, same stream).
        rate_tps: mean arrival rate, transactions per second.
    Returns:
        One (arrival time ms, signed size bytes) per transaction, in send order; the first arrives at 0.
    """
    rng = np.random.default_rng(seed)
    gaps_ms = rng.exponential(1000.0 / rate_tps, size=len(transactions))
    gaps_ms[:1] = 0.0
    times = np.cumsum(gaps_ms)
    return tuple((float(t), tx.size_bytes) for t, tx in zip(times, transactions, strict=True))


def chain_node_weights(d: Deployment) -> dict[str, float]:
    """Active participants' node weights (0..100) from `NodeWeights.allWeights()`, by account label."""
    nodes, weights = d.node_weights.functions.allWeights().call()
    return {
        d.chain.label_of(node): weight / WAD
        for node, weight in zip(nodes, weights, strict=True)
        if d.registry.functions.isActive(node).call()
    }


def consensus_figures(
    weights: dict[str, float], transactions: list[TxRecord], rounds: int = 60, seed: int = 7
) -> dict[str, Any]:
    """Weighted Raft vs Raft on the chain's node weights, and CRSM replaying the chain's transactions.

    Args:
        weights: node weight (0..100 scale) by participant label; at least two must be positive.
        transactions: the run's transaction log (seconds since its start, signed size in bytes).
        rounds: blocks to emulate per protocol.
        seed: the emulator's seed (same seed, same figures).
    Returns:
        JSON-ready figures: per protocol its metrics summary, leader counts mapped back to labels.
    """
    positive = {label: w for label, w in weights.items() if w > 0}
    if len(positive) < 2:
        raise ValueError(f"need at least two nodes with positive weight to elect a leader, got {positive}")
    source = weights_from_mapping(positive, "NodeWeights.allWeights()")
    labels = source.ids  # emulator node k is labels[k]
    figures: dict[str, Any] = {"nodes": {label: positive[label] for label in labels}}
    base = default_config("weighted-raft", n_nodes=source.n_nodes)
    weighted = replace(
        base,
        params=replace(base.params, weights=source.weights, elect_every_round=True),
        rounds=rounds,
        seed=seed,
    ).validate()
    plain = replace(default_config("raft", n_nodes=source.n_nodes), rounds=rounds, seed=seed).validate()
    for name, cfg in (("weighted-raft", weighted), ("raft", plain)):
        summary = run(cfg).summary()
        summary["leader_counts"] = {labels[int(k)]: v for k, v in summary["leader_counts"].items()}
        figures[name] = summary
    if transactions:
        stream = replay_stream(transactions, seed)
        last_arrival_ms = stream[-1][0]
        crsm = default_config("crsm", n_nodes=4)
        crsm = replace(
            crsm,
            workload=replace(crsm.workload, arrival="replay", replay=stream),
            # the run ends when the stream has drained (the simulator finishes then); these bounds
            # only stop a run that could never drain (every round failing)
            rounds=4 * len(stream) + 100,
            max_time_ms=last_arrival_ms + 60_000.0,
            seed=seed,
        ).validate()
        summary = run(crsm).summary()
        figures["crsm-replay"] = summary | {
            "transactions_replayed": len(stream),
            "drained": summary["tx_committed"] == len(stream),
        }
    return figures
