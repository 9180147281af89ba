"""Raft leader failover vs Ongaro & Ousterhout 2014 §9.3 / Fig 16 (reference table in raft_paper.py,
values from the figure's plotted data in Ongaro's dissertation sources; see that module).

Each check runs the paper's 1000 seeded emulated failovers of its setup (seed 0, as in
docs/validation.md) and compares the median and 90th percentile with the paper's value for that
timeout range, within 15 %. A range the model stops reaching fails here (an earlier model missed
25-50 ms p90 and carried it as a strict xfail; docs/validation.md has its numbers).
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


def _comparison(lo, hi):
    # the paper's 1000 trials per range: at 300 the 150-151 median (a CDF of steps one timeout
    # apart) moves by +-15 % from seed to seed, more than the tolerance
    rows, _ = compare_with_paper(seed=0, ranges=((lo, hi),))
    return rows[0]


def test_the_reference_table_carries_the_values_the_text_states():
    # the published medians (ms) the emulator is checked against, range by range
    medians = {k: v.median for k, v in PAPER_FIG16.items() if not v.lower_bound}
    assert medians == {
        (150, 151): 1199.0,
        (150, 155): 287.0,
        (150, 175): 141.0,
        (150, 200): 146.5,
        (150, 300): 171.0,
        (12, 24): 30.0,
        (25, 50): 43.0,
        (50, 100): 66.7,
        (100, 200): 120.1,
    }
    assert PAPER_FIG16[(150, 155)].median == 287.0
    assert PAPER_FIG16[(150, 155)].source("median") == "text"
    assert PAPER_FIG16[(150, 200)].max == 513.0
    assert PAPER_FIG16[(12, 24)].mean == 35.0 and PAPER_FIG16[(12, 24)].max == 152.0
    assert PAPER_FIG16[(150, 150)].lower_bound and PAPER_FIG16[(150, 150)].median == 10_000.0
    assert TOLERANCE == 0.15


# every range with a median and p90 reference (1000 trials, seed 0, docs/validation.md). The closest
# is 25-50 p90, 62.8 vs 73.7 ms (-14.8 %): it sits where the first election rounds end and the
# second ones begin, so it moves from -15.0 % to -3.8 % between seeds 0-4 (150-155 p90: -4 % to +16 %)
AGREEING = [
    (150, 151),
    (150, 155),
    (150, 175),
    (150, 200),
    (150, 300),
    (12, 24),
    (25, 50),
    (50, 100),
    (100, 200),
]


@pytest.mark.parametrize(("lo", "hi"), AGREEING, ids=[f"{lo}-{hi}" for lo, hi in AGREEING])
def test_median_and_p90_within_15_percent_of_the_paper(lo, hi):
    row = _comparison(lo, hi)
    paper = row.paper
    for stat in ("median", "p90"):
        got, ref = row.emulated[stat], getattr(paper, stat)
        assert abs(got - ref) <= TOLERANCE * ref, (
            f"{paper.label} {stat}: emulated {got:.0f} ms, paper {ref:.0f} ms"
        )


def test_identical_timeouts_are_dominated_by_split_votes():
    # the paper: with 150-150 ms "leader election consistently took longer than 10 seconds"
    times = emulate_range(150, 150, 40, seed=3, cap_ms=10_000.0)
    assert np.mean(np.isinf(times)) >= 0.9


def test_twelve_to_24_ms_worst_case_not_beyond_the_texts_longest_trial():
    # "it takes only 35 ms on average ... (the longest trial took 152 ms)" (of 1000 trials)
    stats = failover_stats(emulate_range(12, 24, TRIALS, seed=5))
    assert stats["max"] <= 152.0
    assert abs(stats["mean"] - 35.0) <= TOLERANCE * 35.0, f"mean {stats['mean']:.1f} ms vs 35 ms"


def test_identical_timeouts_report_infinite_percentiles_not_nan():
    stats = failover_stats(np.array([100.0, np.inf, np.inf]))
    assert stats["median"] == np.inf and stats["max"] == np.inf and stats["over_10s"] == pytest.approx(2 / 3)


def test_downtime_ends_when_the_followers_hear_the_new_leader():
    # the paper times "until the other servers received the new leader's first heartbeat":
    # one heartbeat delivery after the new leader takes office
    from consensus_emulator.protocols.raft import leader_failover_trial

    for seed in range(5):
        elected = leader_failover_trial(150, 200, seed=seed)
        heard = leader_failover_trial(150, 200, seed=seed, until="heartbeat")
        assert elected < heard < elected + 2.0
    with pytest.raises(ValueError, match="until"):
        leader_failover_trial(150, 200, seed=0, until="vote")


def test_no_trial_is_shorter_than_half_the_minimum_timeout():
    # the leader dies within its heartbeat interval (half the minimum timeout)
    times = emulate_range(100, 200, 100, seed=7)
    assert times.min() >= 50.0
