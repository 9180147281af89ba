"""Raft validation: leader failover of Ongaro & Ousterhout 2014 §9.3 (Fig 16).

The item runs `consensus_emulator.validation.raft_paper.compare_with_paper` (the paper's 1000
trials per range, 100 for 150-150 ms; every trial stops at 10 s without a leader) and checks,
per timeout range, the median and 90th percentile within 15 % of the paper. Most reference
values come from Fig 16's plotted data (the figure's SVG source in Ongaro's dissertation
repository; extraction error under 2 %, see `raft_paper`); the values the text states
(150-155 median 287 ms, 150-200 worst 513 ms, 12-24 mean 35 ms and worst 152 ms, 150-150
"consistently longer than 10 seconds") are checked too. One model constant, the LogCabin
cluster's stable-storage write (`RAFT_PAPER_COSTS`: 3.0 ms on average, each write uniformly
within +-1.75 ms), was chosen from a small grid of write-time distributions against four ranges
(12-24, 25-50, 150-151 and 150-155 ms, median and p90); those eight checks are printed as
"fitted" and left out of the verdict, which rests on the other five ranges, the 150-150 lower
bound and the text's numbers (out of sample, docs/validation.md).
"""

from __future__ import annotations

import numpy as np

from consensus_emulator.reproduce.output import Output
from consensus_emulator.reproduce.util import steps
from consensus_emulator.reproduce.verdict import Check, claim, number
from consensus_emulator.validation.raft_paper import TOLERANCE as RAFT_REL

#: The paper numbers the write time of `RAFT_PAPER_COSTS` (persist_ms, persist_spread_ms) was
#: chosen against (consensus_emulator/config.py, docs/validation.md): printed, not in the verdict.
FITTED = {(r, stat) for r in ("12-24", "25-50", "150-151", "150-155") for stat in ("median", "p90")}
#: What docs/validation.md measured at other seeds (1000 trials per range), quoted in the output.
SEED_CAVEAT = (
    "at other seeds (docs/validation.md) the out-of-sample ranges stayed within 15 % (seeds 1-2), but two "
    "fitted p90s missed: 150-155 +16.0 % at seed 1 and 25-50 -15.0 % at seed 2 (-14.8 % at seed 0, at the "
    "edge)"
)


def _checks(rows) -> list[Check]:
    """Median and p90 per range (150-150: the paper's lower bound as a claim) plus the text's numbers."""
    checks: list[Check] = []
    by = {r.label: r for r in rows}
    for r in rows:
        p = r.paper
        if p.lower_bound:
            checks.append(
                claim(
                    "§9.3: 150-150 ms, no randomness: elections consistently over 10 s (>= 95 % of trials)",
                    "leader election consistently took longer than 10 seconds (split votes)",
                    r.emulated["over_10s"] >= 0.95,
                    f"{r.emulated['over_10s']:.0%} of {r.trials} trials over 10 s",
                )
            )
            continue
        for stat in ("median", "p90"):
            src = p.source(stat)
            how = (
                "stated in the text"
                if src == "text"
                else f"Fig 16 plotted data (read within {p.uncertainty:.0%})"
            )
            fitted = (p.label, stat) in FITTED
            checks.append(
                number(
                    f"Fig 16, {p.label} ms: {stat} failover (ms), {how}"
                    + (", write time fitted to it" if fitted else ""),
                    getattr(p, stat),
                    r.emulated[stat],
                    rel=RAFT_REL,
                    fitted=fitted,
                )
            )
    if "150-200" in by:
        checks.append(
            number(
                "§9.3: 150-200 ms, worst of 1000 trials (ms), text",
                513.0,
                by["150-200"].emulated["max"],
                rel=RAFT_REL,
            )
        )
    if "12-24" in by:
        e = by["12-24"].emulated
        checks.append(number("§9.3: 12-24 ms, mean failover (ms), text", 35.0, e["mean"], rel=RAFT_REL))
        checks.append(number("§9.3: 12-24 ms, longest trial (ms), text", 152.0, e["max"], rel=RAFT_REL))
    return checks


def raft_election(seed: int, trials: int | None = None) -> list[Output]:
    """Raft failover time per election-timeout range vs Fig 16 (Ongaro & Ousterhout 2014, §9.3).

    Args:
        seed: base seed of `compare_with_paper`.
        trials: trials per range (default: the paper's 1000, 100 for 150-150 ms).
    """
    from consensus_emulator.validation.raft_paper import (
        RANGES_BOTTOM,
        RANGES_TOP,
        ROW_HEADER,
        compare_with_paper,
    )

    keys = tuple(dict.fromkeys(RANGES_TOP + RANGES_BOTTOM))
    rows, cdfs = [], {}
    for key in steps(keys, "raft ranges"):
        got, raw = compare_with_paper(seed=seed, trials=trials, ranges=(key,), tolerance=RAFT_REL)
        rows += got
        cdfs.update(raw)
    checks = _checks(rows)
    missed = [
        f"{r.label} {s} {r.emulated[s]:.0f} vs {getattr(r.paper, s):.0f} ms ({r.rel_error(s):+.0%})"
        for r in rows
        if not r.paper.lower_bound
        for s in ("median", "p90")
        if not r.agrees(s)
    ]
    # the text's own numbers (worst trials, means) that miss, beside the per-range medians / p90s
    missed += [
        f"{c.what.split(': ', 1)[1].split(' (ms)')[0]} {float(c.emulated):.0f} vs {float(c.paper):.0f} ms "
        f"({float(c.emulated) / float(c.paper) - 1:+.0%})"
        for c in checks
        if c.numeric and not c.ok and c.what.startswith("§9.3")
    ]
    by = {r.label: r for r in rows}
    statements = (
        f"150-150: {by['150-150'].emulated['over_10s']:.0%} of trials over 10 s; "
        f"150-155 median {by['150-155'].emulated['median']:.0f} ms; "
        f"150-200 worst {by['150-200'].emulated['max']:.0f} ms; "
        f"12-24 mean {by['12-24'].emulated['mean']:.0f} ms, max {by['12-24'].emulated['max']:.0f} ms; "
        f"median and p90 within 15 % in {sum(r.agrees_median_p90 for r in rows if not r.paper.lower_bound)} "
        f"of {sum(not r.paper.lower_bound for r in rows)} ranges; the verdict counts the "
        f"{sum(not c.fitted for c in checks)} out-of-sample checks, not the "
        f"{sum(c.fitted for c in checks)} fitted ones"
    )

    def plot(fig):
        for k, ranges in enumerate((RANGES_TOP, RANGES_BOTTOM)):
            ax = fig.add_subplot(1, 2, k + 1)
            for lo, hi in ranges:
                t = np.sort(cdfs[(lo, hi)])
                ax.plot(
                    np.where(np.isfinite(t), t, 1e4), np.arange(1, len(t) + 1) / len(t), label=f"{lo}-{hi} ms"
                )
            ax.set_xscale("log")
            ax.set_xlim(10, 1e4)
            ax.set_xlabel("time without leader (ms)")
            ax.set_ylabel("cumulative fraction of trials")
            ax.grid(alpha=0.3)
            ax.legend(fontsize=7)

    return [
        Output(
            "raft_election",
            "Raft failover (5 servers, ~15 ms broadcast time), cf. Ongaro & Ousterhout 2014 Fig 16",
            ROW_HEADER,
            [r.row() for r in rows],
            "Fig 16 medians / p90 per timeout range (read from the figure's plotted data, reading error "
            "under 2 %; each compared within a ±15 % tolerance); text: 150-150 "
            "consistently over 10 s (split votes); 150-155 median 287 ms; 150-200 worst of 1000 trials "
            "513 ms; 12-24 mean 35 ms, longest 152 ms",
            statements,
            checks,
            plot,
            ref="Ongaro & Ousterhout 2014 §9.3, Fig 16 (text numbers; curve data from the figure's "
            "SVG in github.com/ongardie/dissertation, consensus_emulator/validation/raft_paper.py)",
            note=("outside 15 %: " + "; ".join(missed) + " (docs/validation.md). " if missed else "")
            + "The stable-storage write time (3.0 ms +- 1.75 ms, uniform) is fitted to the 12-24, 25-50, "
            "150-151 and 150-155 ms medians and p90s: those 8 checks are printed but not in the verdict; "
            + SEED_CAVEAT,
        )
    ]
