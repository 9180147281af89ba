"""Raft leader failover vs Ongaro & Ousterhout 2014 §9.3 / Fig 16 (reference table in raft_paper.py).

Each check runs a few hundred seeded emulated failovers of the paper's setup and compares the
median and 90th percentile with the paper's value for that timeout range, within 15 %. Ranges the
model does not reach are marked xfail (strict) with the number it reaches, so that they are
reported, not hidden, and a fix that reaches them shows up as XPASS.
"""

import numpy as np
import pytest

from consensus_emulator.validation.raft_paper import (
    PAPER_FIG16,
    TOLERANCE,
    compare_with_paper,
    emulate_range,
    failover_stats,
)

TRIALS = 300


def _comparison(lo, hi, trials=TRIALS):
    rows, _ = compare_with_paper(seed=11, trials=trials, ranges=((lo, hi),))
    return rows[0]


def test_the_reference_table_carries_the_values_the_text_states():
    assert PAPER_FIG16[(150, 155)].median == 287.0
    assert PAPER_FIG16[(150, 155)].source("median") == "text"
    assert PAPER_FIG16[(150, 200)].max == 513.0
    assert PAPER_FIG16[(12, 24)].mean == 35.0 and PAPER_FIG16[(12, 24)].max == 152.0
    assert PAPER_FIG16[(150, 150)].lower_bound and PAPER_FIG16[(150, 150)].median == 10_000.0
    assert TOLERANCE == 0.15


AGREEING = [(150, 155), (150, 300), (25, 50), (50, 100), (100, 200)]


@pytest.mark.parametrize(("lo", "hi"), AGREEING, ids=[f"{lo}-{hi}" for lo, hi in AGREEING])
def test_median_and_p90_within_15_percent_of_the_paper(lo, hi):
    row = _comparison(lo, hi)
    paper = row.paper
    for stat in ("median", "p90"):
        got, ref = row.emulated[stat], getattr(paper, stat)
        assert abs(got - ref) <= TOLERANCE * ref, (
            f"{paper.label} {stat}: emulated {got:.0f} ms, paper {ref:.0f} ms"
        )


# Not reached (300 trials, seed 11; in brackets 1000 trials, seed 0, docs/validation.md):
#   150-151 median 1477 ms vs 1150, +28 % (+14 %);   150-175 median 137 vs 170, -19 % (-20 %);
#   150-200 p90 177 vs 230, -23 % (-21 %);            12-24 median 25 vs 30, -18 % (-14 %).
# The 150-151 median and the 150-175 / 150-200 values are read off the figure (+-20-35 %).
SHORT = [(150, 151), (150, 175), (150, 200), (12, 24)]


@pytest.mark.xfail(
    strict=True, reason="outside 15 % of the paper at these ranges; numbers in the comment above"
)
@pytest.mark.parametrize(("lo", "hi"), SHORT, ids=[f"{lo}-{hi}" for lo, hi in SHORT])
def test_median_and_p90_within_15_percent_where_the_model_misses(lo, hi):
    row = _comparison(lo, hi)
    assert row.agrees_median_p90


def test_identical_timeouts_are_dominated_by_split_votes():
    # the paper: with 150-150 ms "leader election consistently took longer than 10 seconds"
    times = emulate_range(150, 150, 40, seed=3, cap_ms=10_000.0)
    assert np.mean(np.isinf(times)) >= 0.9


def test_twelve_to_24_ms_worst_case_not_beyond_the_texts_longest_trial():
    # "the longest trial took 152 ms" (of 1000). The text's mean of 35 ms is not reached: the
    # emulated mean is 28-29 ms (-17 %, docs/validation.md); the 12-24 xfail above covers the range.
    stats = failover_stats(emulate_range(12, 24, TRIALS, seed=5))
    assert stats["max"] <= 152.0


def test_identical_timeouts_report_infinite_percentiles_not_nan():
    stats = failover_stats(np.array([100.0, np.inf, np.inf]))
    assert stats["median"] == np.inf and stats["max"] == np.inf and stats["over_10s"] == pytest.approx(2 / 3)


def test_no_trial_is_shorter_than_half_the_minimum_timeout():
    # the leader dies within its heartbeat interval (half the minimum timeout)
    times = emulate_range(100, 200, 100, seed=7)
    assert times.min() >= 50.0
