"""Seed 003 eq 1-2 (SPEC §2): the paper's reputation model and its fixed-point mirror."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_trading.models.reputation import (
    WAD,
    ReputationLedger,
    completion_ratio,
    completion_ratio_wad,
    current_reputation,
    fold,
    fold_wad,
    reputation_series,
)


def test_honest_provider_approaches_one_geometrically():
    # RC(T) = 1 - (1 - alpha)^T when every trade is complete and RC(0) = 0
    series = reputation_series([[1.0] * 10] * 5, alpha=0.4)
    assert series == pytest.approx([1 - 0.6**t for t in range(1, 6)])


def test_a_period_without_trades_leaves_reputation_unchanged():
    assert reputation_series([[1.0], [], [0.5]], alpha=0.4) == pytest.approx([0.4, 0.4, 0.44])


def test_current_reputation_is_the_mean_completion_ratio():
    assert current_reputation([1.0, 0.5, 0.0]) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="at least one trade"):
        current_reputation([])


def test_over_delivery_is_capped_at_one():
    assert completion_ratio(12, 10) == 1.0
    assert completion_ratio_wad(12_000, 10_000) == WAD
    with pytest.raises(ValueError, match="agreed energy must be > 0"):
        completion_ratio(1, 0)


def test_alpha_outside_zero_one_is_refused():
    with pytest.raises(ValueError, match="alpha must be in"):
        fold(0.0, [1.0], alpha=1.5)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.tuples(st.integers(0, 20_000), st.integers(1, 20_000)), max_size=5), max_size=6),
    st.integers(0, WAD),
)
def test_fixed_point_stays_within_rounding_of_the_float_model(periods, alpha_wad):
    ledger = ReputationLedger(alpha_wad)
    ratios = []
    for t, trades in enumerate(periods, start=1):
        for delivered, agreed in trades:
            ledger.record("j", t, delivered, agreed)
        ratios.append([completion_ratio(d, a) for d, a in trades])
    rc = ledger.fold("j")
    expected = reputation_series(ratios, alpha_wad / WAD)[-1] if ratios else 0.0
    assert 0 <= rc <= WAD
    # each period rounds down by at most a few wei; floats carry ~1e-16 relative error
    assert abs(rc / WAD - expected) < 1e-12


def test_fold_wad_is_eq_2_rounded_down():
    assert fold_wad(0, WAD, 1, 4 * WAD // 10) == 4 * WAD // 10
    assert fold_wad(WAD // 2, WAD, 2, WAD // 2) == WAD // 4 + WAD // 4  # C = 0.5
