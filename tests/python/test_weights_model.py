"""The pure node-weight model (seed 001 eq 8-25) as a specification."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energy_trading.models.weights import (
    WAD,
    WeightParams,
    WeightParts,
    carbon_settlement,
    carbon_weight,
    consensus_step,
    consensus_update,
    decay_factor,
    decay_factor_wad,
    green_weight,
    line_weight,
    node_weight,
    volume_weight,
)

F = Fraction
FULL = WeightParts(credit=F(100), volume=F(100), consensus=F(100), green=F(100), carbon=F(100), line=F(100))


def test_paper_factors_make_a_perfect_node_weigh_exactly_one_hundred():
    # seed 001 §5.2: alpha=beta=0.2, gamma=0.3, eta=0.1; mu1=lambda=0.1 (generation); mu2=0.2 (consumption)
    assert node_weight(FULL, generator=True) == 100
    assert node_weight(FULL, generator=False) == 100


def test_line_reliability_counts_for_generation_nodes_only():
    parts = WeightParts(line=F(100))
    assert node_weight(parts, generator=True) == 10
    assert node_weight(parts, generator=False) == 0


def test_carbon_counts_double_for_consumption_nodes():
    parts = WeightParts(carbon=F(50))
    assert node_weight(parts, generator=False) == 2 * node_weight(parts, generator=True)


def test_factors_that_could_push_a_weight_above_one_hundred_are_refused():
    with pytest.raises(ValueError, match="at most 1"):
        WeightParams(alpha=F(1, 2), beta=F(1, 2))


def test_volume_weight_spans_the_round_from_its_floor_to_its_largest_contract():
    # eq 18 with phi = 0.5: m = 40, E_max = 200 -> (v - 20) / 180 * 100
    assert volume_weight(200, 40, 200) == 100
    assert volume_weight(110, 40, 200) == 50
    assert volume_weight(40, 40, 200) == F(20, 180) * 100


def test_volume_weight_is_capped_for_a_node_with_several_contracts():
    assert volume_weight(500, 40, 200) == 100


def test_consensus_step_follows_k_plus_one_over_k_and_is_capped():
    assert consensus_step(1) == 2
    assert consensus_step(4, omega=F(1, 2)) == F(5, 8)
    assert consensus_update(99, 1) == 100
    with pytest.raises(ValueError, match="from 1"):
        consensus_step(0)


def test_green_weight_is_the_share_of_all_certificates():
    assert green_weight(3, 12) == 25
    assert green_weight(0, 0) == 0


def test_carbon_weight_normalises_the_settlement_over_the_cycle():
    assert carbon_settlement(100, 20, 150) == -30
    assert carbon_weight(-30, -30, 70) == 0
    assert carbon_weight(20, -30, 70) == 50
    assert carbon_weight(5, 5, 5) == 100  # every node settled the same


def test_line_weight_is_the_share_of_transmissions_without_failure():
    assert line_weight(8, 2) == 75
    assert line_weight(0, 0) == 0
    with pytest.raises(ValueError, match="between 0 and transmissions"):
        line_weight(2, 3)


def test_decay_factor_is_e_to_the_minus_delta_rounded_down_in_wad():
    assert decay_factor_wad(F(1, 20)) == 951229424500714009  # e^-0.05 = 0.9512294245007140090914...
    assert decay_factor_wad(F(1, 20)) <= decay_factor(F(1, 20)) * WAD < decay_factor_wad(F(1, 20)) + 1


@given(
    parts=st.builds(WeightParts, *[st.fractions(0, 100) for _ in range(6)]),
    generator=st.booleans(),
)
def test_node_weight_stays_between_zero_and_one_hundred(parts, generator):
    assert 0 <= node_weight(parts, generator) <= 100
