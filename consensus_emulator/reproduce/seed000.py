"""Seed 000 (Hu et al., CRSM, IEEE Access 2020): Figs 5-10 and the §IV-B calibration point."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from consensus_emulator.config import (
    LAN,
    CRSMParams,
    FaultConfig,
    HotStuffParams,
    HybridParams,
    PBFTParams,
    RaftParams,
    SimConfig,
    WorkloadConfig,
)
from consensus_emulator.metrics import RunResult
from consensus_emulator.protocols import run
from consensus_emulator.reproduce.output import Output, lines
from consensus_emulator.reproduce.util import run_seed, steps
from consensus_emulator.reproduce.verdict import claim, number

#: The paper's baselines in Figs 5-6 (seed 000 §IV-B): Raft, PBFT and the hybrid PoS+PBFT of its [31]
#: (`consensus_emulator.protocols.hybrid`).
PAPER_BASELINES = ("raft", "pbft", "hybrid")
#: Fig 8 "tends to be stable": the last point within this fraction of the peak (a plateau, no decline).
PLATEAU = 0.03
#: Fig 9 "much larger" / "not much higher" as ratios of TPS, fixed before looking at the results.
MUCH_LARGER, NOT_MUCH = 1.2, 1.1


def _crsm(n: int, domains: int, block: int, seed: int, rounds: int = 20, **faults: Any) -> RunResult:
    return run(
        SimConfig(
            protocol="crsm",
            n_nodes=n,
            params=CRSMParams(domains=domains),
            network=LAN,
            workload=WorkloadConfig(block_tx=block),
            faults=FaultConfig(**faults),
            rounds=rounds,
            seed=seed,
        )
    )


def _proto(protocol: str, n: int, block: int, seed: int, rounds: int = 20) -> RunResult:
    params: Any = {
        "raft": RaftParams(),
        "pbft": PBFTParams(),
        "hotstuff": HotStuffParams(view_timeout_ms=2000.0),
        "hybrid": HybridParams(),
        "crsm": CRSMParams(domains=max(1, n // 4)),
    }[protocol]
    cfg = SimConfig(
        protocol=protocol,
        n_nodes=n,
        params=params,
        network=LAN,
        workload=WorkloadConfig(block_tx=block),
        rounds=rounds,
        seed=seed,
    )
    return run(cfg)


def fig5_6(seed: int) -> list[Output]:
    """Seed 000 Figs 5-6: TPS vs number of nodes; CRSM uses domains of about 4 nodes."""
    nodes = (4, 8, 12, 16, 20)
    protocols = ("crsm", *PAPER_BASELINES, "hotstuff")
    tps: dict[str, list[float]] = {p: [] for p in protocols}
    peak: dict[str, list[float]] = {p: [] for p in protocols}
    rows = []
    for n in steps(nodes, "seed000 fig5 nodes"):
        for p in protocols:
            result = _proto(p, n, 1000, run_seed(seed, "fig5", p, n))
            values = result.tps_values()
            tps[p].append(float(values.mean()))
            peak[p].append(float(values.max()))
            rows.append(
                [n, p, max(1, n // 4) if p == "crsm" else "", values.mean(), values.max(), values.std()]
            )
    checks5 = [
        claim(
            f"Fig 5, N = {n}: CRSM {kind} TPS above {b}'s",
            "CRSM's peak and average TPS significantly above the others' at every node count",
            series[p_ := "crsm"][i] > series[b][i],
            f"CRSM {series[p_][i]:.0f} vs {b} {series[b][i]:.0f} tx/s",
        )
        for i, n in enumerate(nodes)
        for kind, series in (("average", tps), ("peak", peak))
        for b in PAPER_BASELINES
    ]

    def plot5(fig):
        ax = fig.add_subplot(111)
        lines(ax, nodes, {p: tps[p] for p in protocols}, "nodes", "TPS (tx/s), mean of 20 blocks")

    fig5 = Output(
        "seed000_fig5",
        "Seed 000 Fig 5: TPS vs number of nodes (1000-tx blocks, LAN)",
        ["nodes", "protocol", "crsm_domains", "tps_mean", "tps_peak", "tps_std"],
        rows,
        "CRSM's peak and average TPS are significantly higher than Raft's, PBFT's and the hybrid's "
        "at every node count (no numbers in the text; HotStuff shown as an extra, not compared)",
        ", ".join(
            f"N={n}: CRSM {tps['crsm'][i]:.0f} vs best paper baseline "
            f"{max(tps[b][i] for b in PAPER_BASELINES):.0f}"
            for i, n in enumerate(nodes)
        ),
        checks5,
        plot5,
        ref="seed 000 §IV-B, Fig 5",
        note="at N = 4 CRSM has one domain, so every node verifies the whole block as in Raft and PBFT, "
        "but a round needs all 4 votes (ceil(4/5 x 4)) and ends when every node has stored the formal "
        "block (S7), where Raft and PBFT commit on 3 of 4: CRSM "
        f"{tps['crsm'][0]:.0f} vs Raft {tps['raft'][0]:.0f} and PBFT {tps['pbft'][0]:.0f} tx/s; the "
        "paper's lead at N = 4 needs baselines with higher costs than the calibrated CRSM's, and it "
        "reports none of theirs",
    )
    avg = {p: float(np.mean(tps[p])) for p in protocols}
    avg_peak = {p: float(np.mean(peak[p])) for p in protocols}

    def plot6(fig):
        ax = fig.add_subplot(111)
        xs = np.arange(len(protocols))
        ax.bar(xs - 0.2, [avg[p] for p in protocols], width=0.4, label="average TPS")
        ax.bar(xs + 0.2, [avg_peak[p] for p in protocols], width=0.4, label="peak TPS")
        ax.set_xticks(xs, protocols)
        ax.set_ylabel("TPS (tx/s), averaged over N = 4..20")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, axis="y")

    fig6 = Output(
        "seed000_fig6",
        "Seed 000 Fig 6: average TPS of each algorithm over N = 4..20",
        ["protocol", "tps_average", "tps_peak_average"],
        [[p, avg[p], avg_peak[p]] for p in protocols],
        "CRSM's average TPS is the highest of the compared algorithms (no numbers in the text)",
        ", ".join(f"{p} {avg[p]:.0f}" for p in protocols),
        [
            claim(
                f"Fig 6: CRSM's average TPS above {b}'s",
                "CRSM's average TPS is the highest",
                avg["crsm"] > avg[b],
                f"CRSM {avg['crsm']:.0f} vs {b} {avg[b]:.0f} tx/s",
            )
            for b in PAPER_BASELINES
        ],
        plot6,
        ref="seed 000 §IV-B, Fig 6",
    )
    return [fig5, fig6]


def fig7(seed: int) -> list[Output]:
    """Seed 000 Fig 7: fixed D in {2, 3, 4}; TPS vs nodes per domain, blocks of 200 and 600."""
    domains = (2, 3, 4)
    per_domain = (2, 3, 4, 5)
    blocks = (200, 600)
    rows, series = [], {}
    for d in steps(domains, "seed000 fig7 domains"):
        for b in blocks:
            ys = []
            for m in per_domain:
                res = _crsm(d * m, d, b, run_seed(seed, "fig7", d, b, m))
                ys.append(res.tps_mean)
                rows.append([d, b, m, d * m, res.tps_mean, res.tps_values().std()])
            series[f"D={d}, block {b}"] = ys

    def plot(fig):
        ax = fig.add_subplot(111)
        lines(ax, per_domain, series, "consensus nodes per domain", "TPS (tx/s)")

    drop = [100 * (1 - series[k][-1] / series[k][0]) for k in series]
    return [
        Output(
            "seed000_fig7",
            "Seed 000 Fig 7: CRSM TPS vs nodes per domain (D fixed)",
            ["domains", "block_tx", "nodes_per_domain", "nodes", "tps_mean", "tps_std"],
            rows,
            "with the number of domains fixed, TPS falls as the nodes per domain increase "
            "(no numbers in the text)",
            f"drop {min(drop):.0f}-{max(drop):.0f} % from 2 to 5 nodes per domain",
            [
                claim(
                    f"Fig 7, {key}: TPS falls at every step from 2 to 5 nodes per domain",
                    "TPS lower as the nodes per domain increase",
                    all(ys[i + 1] < ys[i] for i in range(len(ys) - 1)),
                    " -> ".join(f"{y:.0f}" for y in ys),
                )
                for key, ys in series.items()
            ],
            plot,
            ref="seed 000 §IV-C, Fig 7",
        )
    ]


def fig8(seed: int) -> list[Output]:
    """Seed 000 Fig 8: 4 or 5 nodes per domain, 600-tx blocks; TPS vs number of domains."""
    rows, series = [], {}
    for m, max_d in steps(((4, 5), (5, 4)), "seed000 fig8"):
        ys = []
        for d in range(1, max_d + 1):
            res = _crsm(d * m, d, 600, run_seed(seed, "fig8", m, d))
            ys.append(res.tps_mean)
            rows.append([m, d, d * m, res.tps_mean, res.tps_values().std()])
        series[f"{m} nodes per domain"] = ys

    def plot(fig):
        ax = fig.add_subplot(111)
        for label, ys in series.items():
            ax.plot(range(1, len(ys) + 1), ys, marker="o", label=label)
        ax.set_xlabel("consensus domains D")
        ax.set_ylabel("TPS (tx/s), 600-tx blocks")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    desc = "; ".join(f"{k}: " + " -> ".join(f"{v:.0f}" for v in ys) for k, ys in series.items())
    return [
        Output(
            "seed000_fig8",
            "Seed 000 Fig 8: CRSM TPS vs number of consensus domains",
            ["nodes_per_domain", "domains", "nodes", "tps_mean", "tps_std"],
            rows,
            "TPS rises with the number of domains, ever more slowly, and tends to be stable "
            "(no numbers in the text)",
            desc,
            [
                c
                for key, ys in series.items()
                for c in (
                    claim(
                        f"Fig 8, {key}: TPS rises from 1 to 2 domains",
                        "TPS increases with the domain number",
                        ys[1] > ys[0],
                        f"{ys[0]:.0f} -> {ys[1]:.0f}",
                    ),
                    claim(
                        f"Fig 8, {key}: each gain no larger than the one before",
                        "the increase becomes slower and slower",
                        all(b <= a for a, b in zip(np.diff(ys), np.diff(ys)[1:], strict=False)),
                        ", ".join(f"{g:+.0f}" for g in np.diff(ys)),
                    ),
                    claim(
                        f"Fig 8, {key}: TPS at the most domains within {PLATEAU:.0%} of the peak",
                        "TPS tends to be stable (a plateau, not a decline)",
                        ys[-1] >= (1 - PLATEAU) * max(ys),
                        f"last {ys[-1]:.0f} vs peak {max(ys):.0f} ({ys[-1] / max(ys) - 1:+.1%})",
                    ),
                )
            ],
            plot,
            ref="seed 000 §IV-D, Fig 8",
            note="the primary marshals each preparatory and formal block once (it already holds their "
            "bytes) and pays a send call per recipient, so what still grows with N = 4D is one vote to "
            "receive (0.32 ms) and one 0.02 ms send per node, while splitting the verification saves "
            "42/D ms: the gains shrink towards zero (an earlier version marshalled the formal block again "
            "for every recipient, 0.6 ms per node at 600 tx, and TPS fell 6 % from D = 3 to 5)",
        )
    ]


def fig9(seed: int) -> list[Output]:
    """Seed 000 Fig 9: TPS vs transactions per block, mean +- std over 20 blocks."""
    conditions = ((4, 1), (8, 2), (12, 3), (16, 4), (20, 4))
    blocks = (100, 200, 300, 400, 500, 600, 800, 1000)
    rows, series, errs = [], {}, {}
    checks = []
    fits: list[tuple[float, float, float]] = []
    for n, d in steps(conditions, "seed000 fig9"):
        ys, es = [], []
        for b in blocks:
            res = _crsm(n, d, b, run_seed(seed, "fig9", n, d, b))
            values = res.tps_values()
            ys.append(float(values.mean()))
            es.append(float(values.std()))
            rows.append([n, d, b, values.mean(), values.std()])
        key = f"N={n}, D={d}"
        series[key], errs[key] = ys, es
        t = dict(zip(blocks, ys, strict=True))
        checks.append((t[600] / t[200], t[600] / t[500], max(ys), t[1000]))
        # Block time (ms) = fixed + per_tx * block_tx, least squares over the block sizes: the node's
        # processing limit is 1000 / per_tx tx/s.
        per_tx, fixed = np.polyfit(blocks, [1000.0 * b / y for b, y in zip(blocks, ys, strict=True)], 1)
        fits.append((fixed, per_tx, t[1000] * per_tx / 1000.0))
    verdict_checks = [
        c
        for (n, d), (r200, r500, top, last) in zip(conditions, checks, strict=True)
        for c in (
            claim(
                f"Fig 9, N={n}, D={d}: TPS(600) much larger than TPS(200) (ratio > {MUCH_LARGER})",
                "600 tx per block much larger than 200",
                r200 > MUCH_LARGER,
                f"ratio {r200:.2f}",
            ),
            claim(
                f"Fig 9, N={n}, D={d}: TPS(600) not much higher than TPS(500) (ratio < {NOT_MUCH})",
                "600 not much higher than 500",
                r500 < NOT_MUCH,
                f"ratio {r500:.2f}",
            ),
            claim(
                f"Fig 9, N={n}, D={d}: TPS falls beyond the saturation point (TPS(1000) < peak)",
                "beyond the node's threshold TPS is reduced by blocking",
                last < top * 0.99,
                f"TPS(1000) {last:.0f} vs peak {top:.0f}",
            ),
        )
    ]

    def plot(fig):
        ax = fig.add_subplot(111)
        for key, ys in series.items():
            ax.errorbar(blocks, ys, yerr=errs[key], marker="o", capsize=3, label=key)
        ax.set_xlabel("transactions per block")
        ax.set_ylabel("TPS (tx/s), mean +- std of 20 blocks")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    return [
        Output(
            "seed000_fig9",
            "Seed 000 Fig 9: CRSM TPS vs block size",
            ["nodes", "domains", "block_tx", "tps_mean", "tps_std"],
            rows,
            "TPS with 600 tx per block is much larger than with 200 but not much higher than with 500; "
            "beyond the node's processing limit TPS is reduced by blocking (no numbers in the text)",
            "TPS(600)/TPS(200) = "
            + ", ".join(f"{c[0]:.2f} (N={n}, D={d})" for (n, d), c in zip(conditions, checks, strict=True))
            + "; TPS(600)/TPS(500) = "
            + ", ".join(f"{c[1]:.2f}" for c in checks)
            + "; no decline beyond saturation is modelled",
            verdict_checks,
            plot,
            ref="seed 000 §IV-E, Fig 9",
            note="each block's time is a fixed part plus a part linear in its transactions (least squares "
            "over 100-1000 tx: "
            + ", ".join(
                f"{fixed:.1f} + {per_tx:.3f} ms/tx at N={n}"
                for (n, _d), (fixed, per_tx, _share) in zip(conditions, fits, strict=True)
            )
            + "), so TPS rises towards the node's processing limit 1000 / per-tx ms ("
            + ", ".join(f"{1000.0 / per_tx:.0f}" for _fixed, per_tx, _share in fits)
            + " tx/s) and reaches "
            + ", ".join(f"{100 * share:.0f}" for _f, _p, share in fits)
            + " % of it at 1000 tx, but never falls: a fall needs a cost that grows faster than the block "
            "(a full buffer, a blocked sender), and §IV-E names neither the buffer nor the block size at "
            "which blocking starts (its setup: 2.2 GHz nodes with 8 GB on a LAN, gRPC, whose default 4 MB "
            "message limit is 16,777 of the model's 250-byte transactions), so the model adds none rather "
            "than tune one; "
            f"at N=4 (one domain) the fixed part is only {fits[0][0]:.1f} ms, so 600 tx per block gain "
            f"{100 * (checks[0][0] - 1):.0f} % over 200 (paper: much larger, taken as > 20 %)",
        )
    ]


def fig10(seed: int) -> list[Output]:
    """Seed 000 Fig 10: TPS vs randomly disconnected nodes (domains of about 5 nodes).

    Each point is `trials` random placements of the f crashed nodes; a rise of TPS from f to f + 1
    faulty nodes counts as a rise unless the two points' placement ranges (min..max TPS) overlap.
    """
    rows, series, spread = [], {}, {}
    zero_at = {}
    trials = 4
    for n in steps((8, 12, 16, 20), "seed000 fig10 N"):
        d = max(1, n // 5)
        ys, ranges = [], []
        for f in range(0, n // 2 + 1):
            tps = [
                _crsm(n, d, 600, run_seed(seed, "fig10", n, f, t), rounds=10, n_crashed=f).tps_mean
                for t in range(trials)
            ]
            ys.append(float(np.mean(tps)))
            ranges.append((float(np.min(tps)), float(np.max(tps))))
            rows.append([n, d, f, f / n, float(np.mean(tps)), float(np.min(tps)), float(np.max(tps))])
        series[f"N={n} (D={d})"], spread[n] = ys, ranges
        zero_at[n] = next((f for f, y in enumerate(ys) if y == 0.0), None)
    checks = []
    for n, ys in zip((8, 12, 16, 20), series.values(), strict=True):
        lo_hi = spread[n]
        rises = [f for f in range(1, len(ys)) if lo_hi[f][0] > lo_hi[f - 1][1]]
        checks.append(
            claim(
                f"Fig 10, N={n}: TPS never rises with one more faulty node beyond the spread of the {trials} "
                "placements (a rise: the lowest placement at f + 1 above the highest at f)",
                "throughput decreases as malicious nodes increase",
                not rises,
                " -> ".join(f"{y:.0f}" for y in ys)
                + "".join(
                    f"; f={f - 1}->{f}: {lo_hi[f - 1][0]:.0f}-{lo_hi[f - 1][1]:.0f} -> "
                    f"{lo_hi[f][0]:.0f}-{lo_hi[f][1]:.0f}"
                    for f in rises
                ),
            )
        )
        below = max(f for f in range(len(ys)) if f < n / 3)
        checks.append(
            claim(
                f"Fig 10, N={n}: TPS above 0 at f = {below}, the most faulty nodes below N/3",
                "throughput 0 only once malicious nodes exceed about one third of N",
                ys[below] > 0.0,
                f"{ys[below]:.0f} tx/s",
            )
        )
        beyond = [f for f in range(len(ys)) if f > n / 3]
        checks.append(
            claim(
                f"Fig 10, N={n}: TPS 0 for every f > N/3 (f = {beyond[0]}..{beyond[-1]})",
                "throughput 0 once malicious nodes exceed about one third of N",
                all(ys[f] == 0.0 for f in beyond),
                ", ".join(f"f={f}: {ys[f]:.0f}" for f in beyond),
            )
        )
        checks.append(
            number(
                f"Fig 10, N={n}: faulty nodes at which TPS first reaches 0 (paper: the first f above N/3; "
                "'about' taken as ±1 node)",
                n // 3 + 1,
                zero_at[n] if zero_at[n] is not None else math.nan,
                abs_=1,
            )
        )

    def plot(fig):
        ax = fig.add_subplot(111)
        for key, ys in series.items():
            ax.plot(range(len(ys)), ys, marker="o", label=key)
        ax.set_xlabel("disconnected (malicious) nodes")
        ax.set_ylabel(f"TPS (tx/s), mean of {trials} placements x 10 rounds")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)

    return [
        Output(
            "seed000_fig10",
            "Seed 000 Fig 10: CRSM TPS vs number of disconnected nodes",
            ["nodes", "domains", "faulty", "faulty_ratio", "tps_mean", "tps_min", "tps_max"],
            rows,
            "TPS decreases as malicious nodes increase and is 0 once they exceed about one third of N, "
            "so above 0 below N/3 (no numbers in the text; the first f with TPS 0 compared with the first "
            "f above N/3 within ±1 node)",
            "TPS first 0 at "
            + ", ".join(
                f"N={n}: f={z} (f/N = {z / n:.2f})" if z is not None else f"N={n}: not within f <= N/2"
                for n, z in zero_at.items()
            )
            + "; TPS, highest placement with no crash -> lowest with one: "
            + ", ".join(f"N={n}: {spread[n][0][1]:.0f} -> {spread[n][1][0]:.0f}" for n in zero_at)
            + " tx/s",
            checks,
            plot,
            ref="seed 000 §IV-F, Fig 10",
            note="the model's own limit is N/5, not N/3: §IV-F's rule, which the model follows, continues "
            "only if the votes of the remaining nodes reach V >= 4/5 N, so with f crashed nodes a formal "
            "block needs N - f >= ceil(4N/5), i.e. f <= N/5, and TPS is 0 from f = floor(N/5) + 1 (f/N = "
            "0.25 at N = 8, 12, 16, 20); the paper's figure shows about 1/3, which its own stated rule "
            "cannot give",
        )
    ]


def crsm_calibration(seed: int) -> list[Output]:
    """The calibration point: CRSM, 4 nodes, 1000 transactions: 15 / 76 / 12 ms."""
    from consensus_emulator.calibration import CRSM_TARGET_MS, measure_crsm_phases

    runs = [measure_crsm_phases(seed=run_seed(seed, "cal", k)) for k in range(3)]
    rows = [
        [phase, target, float(np.mean([r[phase] for r in runs]))] for phase, target in CRSM_TARGET_MS.items()
    ]
    total = sum(r[2] for r in rows)
    rows.append(["total", 103.0, total])

    def plot(fig):
        ax = fig.add_subplot(111)
        xs = np.arange(len(rows))
        ax.bar(xs - 0.2, [r[1] for r in rows], width=0.4, label="paper")
        ax.bar(xs + 0.2, [r[2] for r in rows], width=0.4, label="emulated")
        ax.set_xticks(xs, [r[0] for r in rows])
        ax.set_ylabel("ms")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3, axis="y")

    return [
        Output(
            "crsm_calibration",
            "Seed 000 §IV-B: CRSM phases with 4 nodes and 1000 transactions",
            ["phase", "paper_ms", "emulated_ms"],
            rows,
            "15 ms prepare + 76 ms consensus + 12 ms formal block = 103 ms",
            " + ".join(f"{r[2]:.1f}" for r in rows[:3]) + f" = {total:.1f} ms",
            [number(f"§IV-B: {r[0]} (ms)", r[1], r[2], abs_=1.0) for r in rows],
            plot,
            ref="seed 000 §IV-B (text beside Figs 5-6)",
            calibrated=True,
            note="tx_pack_ms, tx_verify_ms and store_ms_per_kb were solved from these three numbers "
            "(consensus_emulator.calibration), so agreement is by construction",
        )
    ]
