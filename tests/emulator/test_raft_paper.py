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


AGREEING = [(150, 151), (150, 155), (150, 300), (12, 24), (25, 50), (50, 100), (100, 200)]


@pytest.mark.parametrize(("lo", "hi"), AGREEING, ids=[f"{lo}-{hi}" for lo, hi in AGREEING])
def test_median_and_p90_within_15_percent_of_the_paper(lo, hi):
    row = _comparison(lo, hi)
    paper = row.paper
    for stat in ("median", "p90"):
        got, ref = row.emulated[stat], getattr(paper, stat)
        assert abs(got - ref) <= TOLERANCE * ref, (
            f"{paper.label} {stat}: emulated {got:.0f} ms, paper {ref:.0f} ms"
        )


# Reached with 1000 trials (docs/validation.md): 150-175 median 135 ms vs 170 (-21 %); 150-200 p90
# 186 ms vs 230 (-19 %). The paper's numbers for these two are read off the figure (+-20 %).
SHORT = [(150, 175), (150, 200)]


@pytest.mark.xfail(
    strict=True, reason="emulated 150-175 median / 150-200 p90 are 19-21 % under the figure reading"
)
@pytest.mark.parametrize(("lo", "hi"), SHORT, ids=[f"{lo}-{hi}" for lo, hi in SHORT])
def test_median_and_p90_within_15_percent_where_the_model_is_short(lo, hi):
    row = _comparison(lo, hi)
    assert row.agrees_median_p90


def test_identical_timeouts_are_dominated_by_split_votes():
    # the paper: with 150-150 ms "leader election consistently took longer than 10 seconds"
    times = emulate_range(150, 150, 40, seed=3, cap_ms=10_000.0)
    assert np.mean(np.isinf(times)) >= 0.9


def test_twelve_to_24_ms_mean_and_worst_case_near_the_text():
    # "it takes only 35 ms on average ... the longest trial took 152 ms" (1000 trials)
    stats = failover_stats(emulate_range(12, 24, TRIALS, seed=5))
    assert abs(stats["mean"] - 35.0) <= TOLERANCE * 35.0
    assert stats["max"] < 152.0 * 1.5


def test_no_trial_is_shorter_than_half_the_minimum_timeout():
    # the leader dies within its heartbeat interval (half the minimum timeout)
    times = emulate_range(100, 200, 100, seed=7)
    assert times.min() >= 50.0
