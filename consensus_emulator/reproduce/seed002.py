"""Seed 002 (Huang et al., SBET with redundant data exchange, 2021): Figs 5-8.

The paper's numbers and claims are from its §IV-A (text beside Figs 5-8): block creation
time grows with t_max for all three methods and is N-shaped in the block size; SBET takes
twice SPFT's time, ETPS nearly a hundred times; volume 100 takes longer than volume 200;
query delay around 25 ms; accuracy holds up to 33.33 % malicious and, with redundant
exchange, up to one third missing.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np

from consensus_emulator.config import (
    MICROGRID,
    CostConfig,
    ETPSParams,
    FaultConfig,
    SBETParams,
    SimConfig,
    SPFTParams,
    WorkloadConfig,
)
from consensus_emulator.metrics import RunResult
from consensus_emulator.protocols import run
from consensus_emulator.reproduce.output import Output, lines
from consensus_emulator.reproduce.util import run_seed, steps
from consensus_emulator.reproduce.verdict import Check, claim, number

#: Methods of Figs 5-6: SBET, the PBFT-based SPFT and the PoS-based ETPS (`protocols.spft`, `.etps`).
METHODS = ("SBET", "SPFT", "ETPS")
#: "twice" (SBET / SPFT) and "nearly a hundred times" (ETPS / the others): tolerances fixed in advance.
TWICE_REL, HUNDRED_REL = 0.25, 0.5
#: Fig 7: "around 25 ms", compared within ±5 ms.
QUERY_MS, QUERY_ABS = 25.0, 5.0
#: Fig 8: accuracy that counts as "performs well" / "guaranteed".
GOOD_ACCURACY = 0.9


def _sbet(
    n: int,
    seed: int,
    *,
    t_max: float = 500.0,
    block: int = 20,
    rounds: int = 5,
    redundant: bool = True,
    queries: int = 0,
    network=MICROGRID,
    n_malicious: int = 0,
) -> RunResult:
    return run(
        SimConfig(
            protocol="sbet",
            n_nodes=n,
            params=SBETParams(
                t_max_ms=t_max, block_interval_ms=t_max, redundant_exchange=redundant, queries=queries
            ),
            network=network,
            costs=CostConfig(tx_bytes=800),
            workload=WorkloadConfig(block_tx=block),
            faults=FaultConfig(n_malicious=n_malicious),
            rounds=rounds,
            seed=seed,
        )
    )


def _method(method: str, seed: int, *, t_max: float, block: int, rounds: int) -> RunResult:
    """One run of `method` (5 microgrids, 800-byte trades) for Figs 5-6."""
    if method == "SBET":
        return _sbet(5, seed, t_max=t_max, block=block, rounds=rounds)
    params = SPFTParams(t_max_ms=t_max) if method == "SPFT" else ETPSParams(t_max_ms=t_max)
    return run(
        SimConfig(
            protocol=method.lower(),
            n_nodes=5,
            params=params,
            # ETPS computes its block transfer in closed form without outages; link outage events over
            # its ten simulated minutes per block would only cost wall time
            network=replace(MICROGRID, link_mtbf_ms=0.0) if method == "ETPS" else MICROGRID,
            costs=CostConfig(tx_bytes=800),
            workload=WorkloadConfig(block_tx=block),
            rounds=rounds,
            seed=seed,
            max_time_ms=1e10,  # ETPS: about ten minutes per block
        )
    )


def _creation_ms(res: RunResult) -> float:
    stats = res.extra["block_creation_ms"]
    return float(stats["mean"]) if stats.get("count") else math.nan


def _creation_figure(
    seed: int, tag: str, xs: tuple[float, ...], x_name: str, runner
) -> tuple[list[list], dict[str, list[float]]]:
    """Block creation times per (method, volume) over `xs`. Every method runs with the same seed
    at every x (common random numbers: the same microgrid positions, primaries and stake lottery),
    so a curve shows the effect of x rather than of the draws."""
    rows, series = [], {}
    for volume in steps((100, 200), f"seed002 {tag}"):
        for method in METHODS:
            ys = []
            for x in xs:
                rs = run_seed(seed, tag, volume, method)
                res = runner(method, rs, x, volume)
                ys.append(_creation_ms(res))
                rows.append([volume, method, x, _creation_ms(res), res.summary()["blocks_committed"]])
            series[f"{method}, volume {volume}"] = ys
    return rows, series


def _ratio_checks(
    series: dict[str, list[float]], xs: tuple[float, ...], x_name: str, fig: int
) -> list[Check]:
    checks = []
    for volume in (100, 200):
        sb, sp, et = (series[f"{m}, volume {volume}"] for m in METHODS)
        for k, x in enumerate(xs):
            at = f"Fig {fig}, volume {volume}, {x_name} {x:g}"
            checks.append(number(f"{at}: SBET / SPFT creation time", 2.0, sb[k] / sp[k], rel=TWICE_REL))
            checks.append(
                number(
                    f"{at}: ETPS / mean(SBET, SPFT) creation time",
                    100.0,
                    et[k] / ((sb[k] + sp[k]) / 2),
                    rel=HUNDRED_REL,
                )
            )
    for method in METHODS:
        a, b = series[f"{method}, volume 100"], series[f"{method}, volume 200"]
        checks.append(
            claim(
                f"Fig {fig}, {method}: volume 100 takes longer than volume 200 at every {x_name}",
                "the average time with data column 100 is greater than with 200 (all three methods)",
                all(x > y for x, y in zip(a, b, strict=True)),
                ", ".join(f"{x:.0f}/{y:.0f}" for x, y in zip(a, b, strict=True)) + " ms",
            )
        )
    return checks


def _log_plot(xs, series, xlabel):
    def plot(fig):
        ax = fig.add_subplot(111)
        lines(ax, xs, series, xlabel, "average block creation time (ms, log)")
        ax.set_yscale("log")

    return plot


def fig5(seed: int) -> list[Output]:
    """Seed 002 Fig 5: average block-creation time vs t_max, data volume 100 and 200, three methods."""
    t_maxes = (500.0, 1000.0, 1500.0, 2000.0)
    rows, series = _creation_figure(
        seed,
        "s2f5",
        t_maxes,
        "t_max",
        lambda m, rs, t, volume: _method(m, rs, t_max=t, block=20, rounds=volume // 20),
    )
    checks = [
        claim(
            f"Fig 5, {key}: creation time grows with t_max",
            "the average time of block creation gradually increases with the time interval",
            all(b > a for a, b in itertools.pairwise(ys)),
            " -> ".join(f"{y:.0f}" for y in ys) + " ms",
        )
        for key, ys in series.items()
    ]
    checks += _ratio_checks(series, t_maxes, "t_max", 5)
    sb_sp = [
        a / b
        for v in (100, 200)
        for a, b in zip(series[f"SBET, volume {v}"], series[f"SPFT, volume {v}"], strict=False)
    ]
    return [
        Output(
            "seed002_fig5",
            "Seed 002 Fig 5: block creation time vs time interval t_max (5 microgrids)",
            ["volume", "method", "t_max_ms", "block_creation_ms", "blocks"],
            rows,
            "creation time grows with the time interval for all three methods; SBET takes twice SPFT's time "
            "(one more data exchange round), ETPS nearly a hundred times; volume 100 slower than 200",
            f"SBET / SPFT = {min(sb_sp):.2f}-{max(sb_sp):.2f}; ETPS "
            + ", ".join(f"{y / 1000:.0f}" for y in series["ETPS, volume 100"])
            + " s (volume 100)",
            checks,
            _log_plot([t / 1000 for t in t_maxes], series, "t_max (s)"),
            ref="seed 002 §IV-A-1, Fig 5",
            note="SBET's election and its redundant data exchange each wait up to t_max (eq 6; the exchange "
            "only when some MG misses a transaction), against SPFT's one eq 6 data window plus PBFT, so "
            f"SBET / SPFT is {min(sb_sp):.2f}-{max(sb_sp):.2f} (paper 2); volume 100 is not "
            "slower than 200 at every t_max (the checks give the times): both volumes run the same "
            "waits per block, and only which links happen to be down differs; "
            "ETPS's ratio follows from the PoS target spacing (PPCoin's 10 min), not from seed 002, "
            "which gives none",
        )
    ]


def fig6(seed: int) -> list[Output]:
    """Seed 002 Fig 6: average block-creation time vs block size (t_max = 1 s), three methods."""
    sizes = (10.0, 15.0, 20.0, 25.0)
    rows, series = _creation_figure(
        seed,
        "s2f6",
        sizes,
        "block size",
        lambda m, rs, b, volume: _method(m, rs, t_max=1000.0, block=int(b), rounds=max(1, round(volume / b))),
    )
    checks = [
        claim(
            f"Fig 6, {key}: N-shaped over block sizes 10-25 (up, down, up)",
            "an N-shaped curve as the block size increases, especially for ETPS",
            ys[1] > ys[0] and ys[2] < ys[1] and ys[3] > ys[2],
            " -> ".join(f"{y:.0f}" for y in ys) + " ms",
        )
        for key, ys in series.items()
    ]
    checks += _ratio_checks(series, sizes, "block size", 6)
    spread = max(max(ys) / min(ys) for k, ys in series.items() if not k.startswith("ETPS"))
    spft200 = series["SPFT, volume 200"]
    return [
        Output(
            "seed002_fig6",
            "Seed 002 Fig 6: block creation time vs block size (t_max = 1 s)",
            ["volume", "method", "block_tx", "block_creation_ms", "blocks"],
            rows,
            "N-shaped curve over block sizes 10-25 (especially ETPS); SBET about twice SPFT; ETPS nearly a "
            "hundred times",
            f"SBET and SPFT vary by at most {100 * (spread - 1):.0f} % over block sizes "
            f"(t_max waits dominate)",
            checks,
            _log_plot(sizes, series, "transactions per block"),
            ref="seed 002 §IV-A-1, Fig 6",
            note="in the model a block's size only adds its CPU and transfer time (a few ms at "
            "10-25 trades of "
            "800 bytes) to waits of about t_max = 1 s, so no N shape can appear; the paper "
            "gives no mechanism; SBET / SPFT is "
            + ", ".join(f"{a / b:.1f}" for a, b in zip(series["SBET, volume 200"], spft200, strict=True))
            + " at volume 200 because that run's seeded placement puts every other microgrid far from "
            f"SPFT's primary, so its eq 6 data window (1 - d / d_max) t_max is only {min(spft200):.0f}-"
            f"{max(spft200):.0f} ms of t_max = 1000",
        )
    ]


def fig7(seed: int) -> list[Output]:
    """Seed 002 Fig 7: query delay vs number of block creators (3..12 microgrids)."""
    creators = tuple(range(3, 13))
    labels = ("SBET", "SPFT/ETPS data path")
    rows, series = [], {label: [] for label in labels}
    for n in steps(creators, "seed002 fig7 creators"):
        for redundant, label in ((True, labels[0]), (False, labels[1])):
            res = _sbet(
                n,
                run_seed(seed, "s2f7", n, redundant),
                t_max=500.0,
                block=10,
                rounds=3,
                redundant=redundant,
                queries=30,
            )
            lat = res.extra["query_latency_ms"]
            mean = float(lat["mean"]) if lat.get("count") else math.nan
            series[label].append(mean)
            rows.append([n, label, mean, lat.get("p95", math.nan), res.extra["query_accuracy"]])
    values = [v for ys in series.values() for v in ys if not math.isnan(v)]
    outside = sum(1 for v in values if abs(v - QUERY_MS) > QUERY_ABS)
    checks = [
        number(f"Fig 7, {label}, {n} creators: query delay (ms)", QUERY_MS, ys[k], abs_=QUERY_ABS)
        for label, ys in series.items()
        for k, n in enumerate(creators)
    ]

    def plot(fig):
        ax = fig.add_subplot(111)
        lines(ax, creators, series, "block creators (microgrids)", "query delay (ms)")
        ax.axhline(QUERY_MS, color="grey", ls=":", label="paper ~25 ms")

    return [
        Output(
            "seed002_fig7",
            "Seed 002 Fig 7: query delay vs number of block creators",
            ["creators", "method", "query_ms_mean", "query_ms_p95", "accuracy"],
            rows,
            "query delay around 25 ms for all three methods, for 3-12 creators",
            f"query delay {min(values):.1f}-{max(values):.1f} ms",
            checks,
            plot,
            ref="seed 002 §IV-A-2, Fig 7",
            note="the query step (a client asks every microgrid, accepts gamma matching answers) is the "
            "same for all three methods; SPFT and ETPS are represented by SBET's data path without "
            "redundant exchange; the delay is the round trip to the gamma-th (2/3 of the MGs) fastest "
            f"answer, each way over the model's microgrid links ({MICROGRID.base_latency_ms:.0f} ms + "
            f"{MICROGRID.ms_per_km} ms/km in a {MICROGRID.area_km:.0f} km area + exponential jitter of mean "
            f"{MICROGRID.jitter_ms:.0f} ms; seed 002 publishes no link delay or distance), so it lies at "
            f"{min(values):.1f}-{max(values):.1f} ms and {outside} of {len(values)} points fall outside the "
            f"paper's {QUERY_MS:.0f} ± {QUERY_ABS:.0f} ms; the paper gives no number that would set the "
            "profile, so it is not tuned to 25",
        )
    ]


def fig8(seed: int) -> list[Output]:
    """Seed 002 Fig 8: query accuracy vs ratio of malicious MGs or missing transactions (30 MGs)."""
    n = 30
    ratios = (0.1, 0.2, 0.3, 1 / 3, 0.4)
    rows = []
    series: dict[str, list[float]] = {}
    trials = 2
    for kind in ("malicious", "missing"):
        for redundant, label in ((True, "SBET"), (False, "no redundant exchange")):
            ys = []
            for ratio in steps(ratios, f"seed002 fig8 {kind} {label}"):
                accs = []
                for t in range(trials):
                    rs = run_seed(seed, "s2f8", kind, redundant, round(ratio, 4), t)
                    if kind == "malicious":
                        net = replace(MICROGRID, link_mtbf_ms=0.0)
                        res = _sbet(
                            n,
                            rs,
                            block=15,
                            rounds=6,
                            redundant=redundant,
                            queries=30,
                            network=net,
                            n_malicious=round(ratio * n),
                        )
                    else:
                        mttr = MICROGRID.link_mttr_ms
                        net = replace(MICROGRID, link_mtbf_ms=mttr * (1 - ratio) / ratio)
                        res = _sbet(n, rs, block=15, rounds=6, redundant=redundant, queries=30, network=net)
                    accs.append(res.extra["query_accuracy"] or 0.0)
                acc = float(np.mean(accs))
                ys.append(acc)
                rows.append([kind, label, ratio, acc])
            series[f"{label}, {kind}"] = ys
    sb_mal = series["SBET, malicious"]
    sb_miss = series["SBET, missing"]
    base_miss = series["no redundant exchange, missing"]
    checks = [
        claim(
            f"Fig 8, {100 * r:.1f} % malicious: SBET accuracy "
            + (f">= {GOOD_ACCURACY}" if r <= 1 / 3 + 1e-9 else f"< {GOOD_ACCURACY}"),
            "accuracy performs well when malicious MGs are not more than 33.33 %",
            (a >= GOOD_ACCURACY) if r <= 1 / 3 + 1e-9 else (a < GOOD_ACCURACY),
            f"{a:.2f}",
        )
        for r, a in zip(ratios, sb_mal, strict=True)
    ]
    checks += [
        claim(
            f"Fig 8, {100 * r:.1f} % missing: SBET accuracy >= {GOOD_ACCURACY}",
            "with redundant exchange accuracy is guaranteed with less than one third missing",
            a >= GOOD_ACCURACY,
            f"{a:.2f}",
        )
        for r, a in zip(ratios, sb_miss, strict=True)
        if r < 1 / 3 - 1e-9
    ]
    checks += [
        claim(
            f"Fig 8, {100 * r:.1f} % missing: the methods without redundant exchange lose data (accuracy "
            "below SBET's)",
            "the missing data in the other two methods cannot be stored and queried",
            b < a,
            f"{b:.2f} vs SBET {a:.2f}",
        )
        for r, a, b in zip(ratios, sb_miss, base_miss, strict=True)
    ]

    def plot(fig):
        ax1 = fig.add_subplot(121)
        ax2 = fig.add_subplot(122)
        for key, ys in series.items():
            ax = ax1 if key.endswith("malicious") else ax2
            ax.plot([100 * r for r in ratios], ys, marker="o", label=key.rsplit(",", 1)[0])
        for ax, name in ((ax1, "malicious MGs (%)"), (ax2, "link downtime / missing copies (%)")):
            ax.set_xlabel(name)
            ax.set_ylabel("query accuracy")
            ax.set_ylim(-0.05, 1.05)
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)

    return [
        Output(
            "seed002_fig8",
            "Seed 002 Fig 8: query accuracy vs malicious / missing ratio (30 microgrids)",
            ["kind", "method", "ratio", "query_accuracy"],
            rows,
            "SBET's accuracy holds while malicious MGs are at most 33.33 %; with redundant exchange it holds "
            "with under one third of transactions missing, while the other methods lose the missing data "
            "(no numbers in the text)",
            "SBET malicious: "
            + ", ".join(f"{100 * r:.0f}%: {a:.2f}" for r, a in zip(ratios, sb_mal, strict=True))
            + "; missing SBET vs none: "
            + ", ".join(
                f"{100 * r:.0f}%: {a:.2f}/{b:.2f}" for r, a, b in zip(ratios, sb_miss, base_miss, strict=True)
            ),
            checks,
            plot,
            ref="seed 002 §IV-A-2, Fig 8",
            note="SPFT and ETPS are represented by SBET's data path without redundant exchange (their "
            "accuracy depends only on which copies arrive); at 10 % link downtime the transactions that "
            f"miss an MG are still held by at least gamma of them, so nothing is lost without the exchange "
            f"either ({base_miss[0]:.2f})",
        )
    ]
