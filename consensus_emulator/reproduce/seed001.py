"""Seed 001 (Xiong et al., credit-weighted Raft, Front. Energy Res. 2023): Tables 3-7."""

from __future__ import annotations

from typing import Any

import numpy as np

from consensus_emulator.config import (
    METRO,
    RaftParams,
    SimConfig,
    WeightedRaftParams,
    WorkloadConfig,
)
from consensus_emulator.metrics import RunResult
from consensus_emulator.protocols import run
from consensus_emulator.reproduce.output import Output
from consensus_emulator.reproduce.util import run_seed, steps

TABLE3_TRADITIONAL = (6, 5, 5, 9, 8, 5, 6, 8, 3, 4, 9, 7, 4, 11, 7)
TABLE3_IMPROVED = (146, 24, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
TABLE4_TRADITIONAL = (7, 5, 8, 9, 3, 9, 8, 8, 5, 10, 5, 9, 6, 7, 4)
TABLE4_IMPROVED = (0,) * 15
#: Seed 001 Tables 5-7: (consensus count, before ms, after ms, gain %) per scenario.
TABLES5_7 = {
    5: (
        (10, 24.89, 24.70, 0.78),
        (20, 49.78, 48.81, 1.96),
        (50, 124.45, 118.45, 4.83),
        (100, 248.91, 233.24, 6.30),
        (150, 373.36, 347.00, 7.06),
        (200, 497.82, 459.13, 7.77),
    ),
    6: (
        (10, 25.56, 25.38, 0.70),
        (20, 51.12, 50.05, 2.09),
        (50, 127.79, 120.79, 5.48),
        (100, 255.58, 234.78, 8.14),
        (150, 383.37, 348.67, 9.05),
        (200, 511.16, 462.66, 9.49),
    ),
    7: (
        (10, 26.85, 26.35, 1.84),
        (20, 53.70, 52.38, 2.46),
        (50, 134.24, 128.16, 4.53),
        (100, 268.48, 249.86, 6.94),
        (150, 402.72, 370.09, 8.10),
        (200, 536.96, 486.67, 9.36),
    ),
}
#: Scenario of each table: the fixed leader (paper node id).
TABLE_LEADER = {5: 1, 6: 2, 7: 5}


def _seed001(protocol: str, params: Any, seed: int, rounds: int = 200) -> RunResult:
    return run(
        SimConfig(
            protocol=protocol,
            n_nodes=30,
            params=params,
            network=METRO,
            workload=WorkloadConfig(block_tx=1),
            rounds=rounds,
            seed=seed,
        )
    )


def tables3_4(seed: int) -> list[Output]:
    """Seed 001 Tables 3-4: leader counts over 200 elections (30 nodes, weights gamma = 0)."""
    trad = _seed001("raft", RaftParams(elect_every_round=True), run_seed(seed, "t34", "raft"))
    impr = _seed001(
        "weighted-raft", WeightedRaftParams(elect_every_round=True), run_seed(seed, "t34", "weighted")
    )
    t_counts = trad.leader_counts()
    i_counts = impr.leader_counts()
    outputs = []
    for table, ids, p_trad, p_impr in (
        (3, range(0, 15), TABLE3_TRADITIONAL, TABLE3_IMPROVED),
        (4, range(15, 30), TABLE4_TRADITIONAL, TABLE4_IMPROVED),
    ):
        rows = [
            [i + 1, t_counts.get(i, 0), i_counts.get(i, 0), p_trad[k], p_impr[k]] for k, i in enumerate(ids)
        ]

        def plot(fig, rows=rows, table=table):
            ax = fig.add_subplot(111)
            xs = np.array([r[0] for r in rows])
            ax.bar(xs - 0.3, [r[1] for r in rows], width=0.2, label="Raft (emulated)")
            ax.bar(xs - 0.1, [r[3] for r in rows], width=0.2, label="Raft (paper)")
            ax.bar(xs + 0.1, [r[2] for r in rows], width=0.2, label="weighted Raft (emulated)")
            ax.bar(xs + 0.3, [r[4] for r in rows], width=0.2, label="weighted Raft (paper)")
            ax.set_xticks(xs)
            ax.set_xlabel("node (paper numbering)")
            ax.set_ylabel("times elected leader in 200 elections")
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3, axis="y")

        leaders = {r[0]: r[2] for r in rows if r[2]}
        trad_vals = [r[1] for r in rows]
        if table == 3:
            ok = bool(leaders) and len(leaders) <= 4 and max(leaders.values()) >= 100
            emulated = (
                f"weighted Raft leaders: {leaders}; "
                f"Raft: every node leads {min(trad_vals)}-{max(trad_vals)} times"
            )
            paper = (
                "weighted Raft: nodes 1, 2, 5 lead 146, 24, 30 times; traditional Raft: all nodes 3-11 times"
            )
        else:
            ok = not leaders
            emulated = (
                f"consumer nodes lead {sum(leaders.values())} times under weighted Raft; "
                f"{min(trad_vals)}-{max(trad_vals)} times each under Raft"
            )
            paper = "consumer nodes 16-30 never lead under weighted Raft; 3-10 times each under Raft"
        outputs.append(
            Output(
                f"seed001_table{table}",
                f"Seed 001 Table {table}: leader elections (A)"
                if table == 3
                else f"Seed 001 Table {table}: leader elections (B)",
                ["node", "raft_emulated", "weighted_raft_emulated", "raft_paper", "weighted_raft_paper"],
                rows,
                paper,
                emulated,
                ok,
                plot,
            )
        )
    return outputs


def tables5_7(seed: int) -> list[Output]:
    """Seed 001 Tables 5-7: total consensus time with a fixed leader, before/after weights."""
    seeds = 3
    outputs = []
    for table, leader in steps(TABLE_LEADER.items(), "seed001 tables5-7"):
        before, after = np.zeros(200), np.zeros(200)
        for s in range(seeds):
            rs = run_seed(seed, "t57", leader, s)
            trad = _seed001("raft", RaftParams(initial_leader=leader - 1), rs)
            impr = _seed001(
                "weighted-raft", WeightedRaftParams(initial_leader=leader - 1, participation_gamma=0.3), rs
            )
            before += np.cumsum([r.consensus_ms for r in trad.rounds][:200]) / seeds
            after += np.cumsum([r.consensus_ms for r in impr.rounds][:200]) / seeds
        paper = TABLES5_7[table]
        rows = []
        for k, pb, pa, pg in paper:
            gain = 100 * (before[k - 1] - after[k - 1]) / before[k - 1]
            rows.append([k, before[k - 1], after[k - 1], gain, pb, pa, pg])
        gains = [r[3] for r in rows]
        ok = gains[-1] > gains[0] and 3.0 <= gains[-1] <= 15.0

        def plot(fig, rows=rows):
            ax = fig.add_subplot(121)
            ks = [r[0] for r in rows]
            ax.plot(ks, [r[1] for r in rows], marker="o", label="Raft (emulated)")
            ax.plot(ks, [r[2] for r in rows], marker="o", label="weighted (emulated)")
            ax.plot(ks, [r[4] for r in rows], ls="--", label="Raft (paper)")
            ax.plot(ks, [r[5] for r in rows], ls="--", label="weighted (paper)")
            ax.set_xlabel("number of consensus")
            ax.set_ylabel("total consensus time (ms)")
            ax.legend(fontsize=7)
            ax.grid(alpha=0.3)
            ax2 = fig.add_subplot(122)
            ax2.plot(ks, [r[3] for r in rows], marker="o", label="emulated")
            ax2.plot(ks, [r[6] for r in rows], ls="--", marker="s", label="paper")
            ax2.set_xlabel("number of consensus")
            ax2.set_ylabel("efficiency gain (%)")
            ax2.legend(fontsize=7)
            ax2.grid(alpha=0.3)

        outputs.append(
            Output(
                f"seed001_table{table}",
                f"Seed 001 Table {table}: total consensus time, leader node {leader} (scenario {table - 4})",
                [
                    "consensus",
                    "before_ms",
                    "after_ms",
                    "gain_pct",
                    "paper_before_ms",
                    "paper_after_ms",
                    "paper_gain_pct",
                ],
                rows,
                f"gain grows from {paper[0][3]} % (10) to {paper[-1][3]} % (200); "
                f"{paper[-1][1]} -> {paper[-1][2]} ms after 200",
                f"gain grows from {gains[0]:.2f} % to {gains[-1]:.2f} %; "
                f"{before[-1]:.1f} -> {after[-1]:.1f} ms after 200 (mean of {seeds} seeds)",
                ok,
                plot,
            )
        )
    return outputs
