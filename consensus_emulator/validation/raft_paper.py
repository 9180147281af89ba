"""Raft leader failover vs the Raft paper's measurements (Ongaro & Ousterhout 2014, §9.3, Fig 16).

The experiment of the paper: five LogCabin servers, broadcast time "roughly 15 ms", the leader
crashed uniformly at random within its heartbeat interval (half the minimum election timeout),
servers with different log lengths (some candidates cannot win), a synchronized heartbeat
broadcast just before the crash; 1000 trials per timeout range (100 for 150-150 ms). The
emulated counterpart is `consensus_emulator.protocols.raft.leader_failover_trial`.

Reference numbers (`PAPER_FIG16`)
---------------------------------
Values marked ``text`` are stated in the paper's prose (and again in the dissertation, below):

* 150-150 ms: "leader election consistently took longer than 10 seconds" (100 trials);
* 150-155 ms: "median downtime of 287 ms";
* 150-200 ms: "the worst-case completion time (over 1000 trials) was 513 ms";
* 12-24 ms: "it takes only 35 ms on average ... (the longest trial took 152 ms)".

Every other value (``figure``) is taken from the plotted data of the same figure as published
in Ongaro's dissertation ("Consensus: Bridging Theory and Practice", Stanford 2014, chapter 9,
section "How fast will the complete Raft algorithm elect a leader in real networks?", figure
``fig:leaderelection:benchmark``: the paper's Fig 16, same LogCabin benchmark, same numbers in
the text, caption "Each line represents 1000 trials (except for 100 trials for 150-150 ms)"),
whose sources are public: github.com/ongardie/dissertation, ``leaderelection/benchmarks-randomness.svg`` (top
graph, log time axis) and ``leaderelection/benchmarks-scale.svg`` (bottom graph, linear axis),
commit 42841d17fe81. Each curve there is an empirical CDF drawn as an SVG path with one step of
1/1000 (1/100 for 150-150) per trial, so the 50th, 90th and 99th percentiles and the longest trial
are the x positions where the path crosses those levels, converted to ms with the axis ticks
(top: 100 ms at x = 54.43 pt, 72.65 pt per decade; bottom: 0 ms at x = 41.91 pt, 46.90 pt per
100 ms). The conversion reproduces the three numbers the text states - 150-155 median 287.3 ms
(text 287), 150-200 worst 512 ms (text 513), 12-24 worst 151.7 ms (text 152) - so the extraction
error is well under 1 % (`uncertainty` 2 %). The 150-150 curve starts at 9.9 s (median 41 s),
consistent with "longer than 10 seconds".

These replace readings that an earlier version of this module made from memory of the figure;
four of those were 15-25 % off (150-175 median 170 vs 141 ms, 150-200 median 165 vs 146.5 ms and
p90 230 vs 193.5 ms, 25-50 p90 63 vs 73.7 ms), which is where the "misses" at 150-175 and 150-200
came from.

`compare_with_paper` is the function that the ``raft_election`` item of ``reproduce`` calls:
it returns one `RangeComparison` per range (emulated median / p90 / p99 / max / mean and the
fraction over 10 s, the paper's values with their source, `rel_error(stat)`, `agrees(stat)`,
`agrees_median_p90`, and `row()` for a CSV with `ROW_HEADER`) plus the raw times for CDF
plots. With the paper's 1000 trials per range it takes about 40 s of one CPU, most of it in the
150-150 and 150-151 ms ranges, whose split votes go on for many simulated seconds (each trial
stops at `CAP_MS`, 10 s, the longest time Fig 16 shows).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PAPER_FIG16",
    "RANGES_BOTTOM",
    "RANGES_TOP",
    "ROW_HEADER",
    "TOLERANCE",
    "PaperRange",
    "RangeComparison",
    "compare_with_paper",
    "emulate_range",
    "failover_stats",
]

#: Relative tolerance of an agreement (median and p90).
TOLERANCE = 0.15

#: A trial without a leader this long (ms) after the crash stops and counts as `inf`. The paper
#: reports 150-150 ms only as "longer than 10 seconds" and every other reading of Fig 16 is at
#: most 10 s, so no compared statistic needs a longer trial; simulating split votes up to 20 s
#: doubled the cost of the 150-150 and 150-151 ms ranges (the slowest trials) and changed no
#: compared statistic (tests/emulator/test_raft_paper.py checks this on 150-151 ms).
CAP_MS = 10_000.0

RANGES_TOP: tuple[tuple[int, int], ...] = (
    (150, 150),
    (150, 151),
    (150, 155),
    (150, 175),
    (150, 200),
    (150, 300),
)
RANGES_BOTTOM: tuple[tuple[int, int], ...] = ((12, 24), (25, 50), (50, 100), (100, 200), (150, 300))


@dataclass(frozen=True)
class PaperRange:
    """The paper's failover-time distribution for one election-timeout range (ms).

    `lower_bound`: the values are lower bounds (150-150: every trial took over 10 s).
    `sources`: "text" (stated in the prose, exact) or "figure" (Fig 16's plotted data) per statistic.
    """

    lo: int
    hi: int
    trials: int
    median: float
    p90: float
    p99: float
    max: float
    mean: float | None = None
    sources: tuple[tuple[str, str], ...] = ()
    uncertainty: float = 0.2
    lower_bound: bool = False

    @property
    def label(self) -> str:
        return f"{self.lo}-{self.hi}"

    def source(self, stat: str) -> str:
        return dict(self.sources).get(stat, "figure")


_TEXT_MEDIAN = (("median", "text"),)
#: Extraction precision of a ``figure`` value: the CDF steps are located to 0.01 pt in the SVG
#: and the axis calibration reproduces the text's 287, 513 and 152 ms within 0.5 %.
_SVG = 0.02
PAPER_FIG16: dict[tuple[int, int], PaperRange] = {
    (r.lo, r.hi): r
    for r in (
        # top graph (log axis, dissertation benchmarks-randomness.svg): randomness of the timeout
        PaperRange(
            150,
            150,
            100,
            10_000.0,
            10_000.0,
            10_000.0,
            10_000.0,
            sources=(("median", "text"), ("p90", "text"), ("p99", "text"), ("max", "text")),
            lower_bound=True,
        ),
        PaperRange(150, 151, 1000, 1199.0, 3131.0, 6012.0, 8233.0, uncertainty=_SVG),
        PaperRange(150, 155, 1000, 287.0, 610.0, 1242.0, 2143.0, sources=_TEXT_MEDIAN, uncertainty=_SVG),
        PaperRange(150, 175, 1000, 141.0, 291.0, 467.0, 610.0, uncertainty=_SVG),
        PaperRange(150, 200, 1000, 146.5, 193.5, 352.0, 513.0, sources=(("max", "text"),), uncertainty=_SVG),
        PaperRange(150, 300, 1000, 171.0, 244.0, 415.0, 603.0, uncertainty=_SVG),
        # bottom graph (linear axis, dissertation benchmarks-scale.svg): scale of the timeout
        PaperRange(
            12,
            24,
            1000,
            30.0,
            53.1,
            86.9,
            152.0,
            mean=35.0,
            sources=(("max", "text"), ("mean", "text")),
            uncertainty=_SVG,
        ),
        PaperRange(25, 50, 1000, 43.0, 73.7, 118.9, 276.3, uncertainty=_SVG),
        PaperRange(50, 100, 1000, 66.7, 95.8, 168.9, 253.3, uncertainty=_SVG),
        PaperRange(100, 200, 1000, 120.1, 165.5, 277.1, 335.2, uncertainty=_SVG),
    )
}


@dataclass(frozen=True)
class RangeComparison:
    """Emulated vs paper failover times (ms) for one timeout range."""

    label: str
    trials: int
    emulated: dict[str, float]
    paper: PaperRange
    tolerance: float

    def rel_error(self, stat: str) -> float:
        """(emulated - paper) / paper for `stat` ("median", "p90", "p99", "max", "mean")."""
        ref = getattr(self.paper, stat)
        got = self.emulated.get(stat, math.nan)
        if ref is None or not math.isfinite(got):
            return math.inf if ref is not None else math.nan
        return (got - ref) / ref

    def agrees(self, stat: str) -> bool:
        """Within the tolerance (for a lower bound: at least the bound, minus the tolerance)."""
        got = self.emulated.get(stat, math.nan)
        ref = getattr(self.paper, stat)
        if self.paper.lower_bound:
            return got >= ref * (1 - self.tolerance)
        return math.isfinite(got) and abs(got - ref) <= self.tolerance * ref

    @property
    def agrees_median_p90(self) -> bool:
        return self.agrees("median") and self.agrees("p90")

    def row(self) -> list:
        """A flat CSV row: range, trials, then emulated / paper / error per statistic."""
        out: list = [self.label, self.trials]
        for stat in ("median", "p90", "p99", "max"):
            out += [
                self.emulated[stat],
                getattr(self.paper, stat),
                self.paper.source(stat),
                self.rel_error(stat),
            ]
        out += [self.emulated["over_10s"], self.agrees_median_p90]
        return out


ROW_HEADER = [
    "timeout_range_ms",
    "trials",
    *[
        f"{s}_{k}"
        for s in ("median", "p90", "p99", "max")
        for k in ("emulated_ms", "paper_ms", "source", "error")
    ],
    "emulated_over_10s",
    "median_p90_within_tolerance",
]


def failover_stats(times: np.ndarray) -> dict[str, float]:
    """Median, p90, p99, max, mean (finite trials) and the fraction over 10 s of failover times (ms).

    A trial with no leader by its cap is `inf`; percentiles that land on such trials are `inf`.
    """
    times = np.asarray(times, dtype=float)
    done = times[np.isfinite(times)]

    def pct(q: float) -> float:
        # interpolating towards an unfinished (inf) trial gives nan; such a percentile is inf
        value = float(np.percentile(np.where(np.isfinite(times), times, 1e300), q))
        return math.inf if value >= 1e299 else value

    return {
        "median": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": float(times.max()),
        "mean": float(done.mean()) if done.size else math.nan,
        "over_10s": float(np.mean(times > 10_000.0)),
    }


def emulate_range(lo: float, hi: float, trials: int, *, seed: int = 0, cap_ms: float = CAP_MS) -> np.ndarray:
    """Failover times (ms) of `trials` seeded trials of the paper's setup for timeouts U[lo, hi].

    A trial still without a leader `cap_ms` after the crash stops there and counts as `inf`.
    """
    from consensus_emulator.protocols.raft import leader_failover_trial

    return np.array(
        [
            leader_failover_trial(lo, hi, seed=seed * 1_000_003 + t, cap_ms=cap_ms, until="heartbeat")
            for t in range(trials)
        ]
    )


def compare_with_paper(
    *,
    seed: int = 0,
    trials: int | None = None,
    ranges: tuple[tuple[int, int], ...] | None = None,
    tolerance: float = TOLERANCE,
    cap_ms: float = CAP_MS,
) -> tuple[list[RangeComparison], dict[tuple[int, int], np.ndarray]]:
    """Emulate every Fig 16 range and compare with the paper.

    Args:
        seed: base seed (trial t of a range uses seed * 1_000_003 + t).
        trials: trials per range (default: the paper's, 1000; 100 for 150-150).
        ranges: subset of `PAPER_FIG16` keys (default: all, top graph first).
        tolerance: relative tolerance of an agreement.
        cap_ms: a trial without a leader this long after the crash stops and counts as `inf`.

    Returns:
        (one `RangeComparison` per range, the raw failover times per range in ms).
    """
    keys = ranges or tuple(dict.fromkeys(RANGES_TOP + RANGES_BOTTOM))
    out: list[RangeComparison] = []
    raw: dict[tuple[int, int], np.ndarray] = {}
    for key in keys:
        paper = PAPER_FIG16[key]
        n = trials if trials is not None else paper.trials
        times = emulate_range(key[0], key[1], n, seed=seed, cap_ms=cap_ms)
        raw[key] = times
        out.append(RangeComparison(paper.label, n, failover_stats(times), paper, tolerance))
    return out, raw
