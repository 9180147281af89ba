"""The pure grid-balanced settlement model (seed 001 eq 14-17, 26-34; SPEC §4) as a specification."""

import itertools
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_trading.models.grid_settlement import (
    Delivery,
    GridPrices,
    credit_series,
    credit_update,
    decay,
    money,
    penalties,
    settle_round,
)

PAPER = GridPrices.of("0.4", "0.75", "0.04")
F = Fraction


def test_surplus_is_sold_to_the_grid_at_the_feed_in_price():
    # SPEC §4: V_f = E_ay*U + (E_af-E_ay)*S (plus), seed 001 Table 1 row 2: 121.40
    m = money("0.63", 200, 180, PAPER)
    assert m.seller_income == F("113.4") + F(8)
    assert m.feed_in == F(8)
    assert m.grid_revenue == F("7.2") - F(8)


def test_shortfall_is_bought_from_the_grid_at_the_grid_price():
    # eq 29-31, Table 1-2 row 11/26: consumer took 80 kWh of a 60 kWh contract that was fully generated
    m = money("0.67", 60, 80, PAPER)
    assert m.seller_income == F("40.2")
    assert m.buyer_expense == 60 * (F("0.67") + F("0.04")) + 20 * F("0.75")
    assert m.grid_revenue == 60 * F("0.04") + 20 * F("0.75")
    assert m.feed_in == 0


@given(
    price=st.decimals("0.01", "2", places=2),
    generated=st.integers(0, 1000),
    consumed=st.integers(0, 1000),
)
def test_money_balances_buyer_against_seller_and_grid(price, generated, consumed):
    m = money(str(price), generated, consumed, PAPER)
    assert m.buyer_expense == m.seller_income + m.grid_revenue
    assert m.seller_income >= 0 and m.buyer_expense >= 0


def test_performing_node_gains_its_share_of_the_round_contract():
    after, drop = credit_update(50, 100, 100, 400)
    assert after == 50 + F(50 * 100, 400)
    assert drop == 0


def test_over_delivery_is_not_a_default():
    after, drop = credit_update(50, 100, 130, 400)
    assert drop == 0 and after > 50


def test_defaulting_node_loses_the_undelivered_fraction_of_its_weight():
    after, drop = credit_update("95.6", 200, 180, 2310)
    assert drop == F("9.56")
    assert after == F("86.04")


@given(
    w=st.fractions(0, 100),
    contract=st.integers(1, 500),
    actual=st.integers(0, 1000),
    extra=st.integers(0, 5000),
)
def test_credit_weight_stays_between_zero_and_one_hundred(w, contract, actual, extra):
    after, drop = credit_update(w, contract, actual, contract + extra)
    assert 0 <= after <= 100
    assert 0 <= drop <= w


def test_one_defaulter_compensates_the_counterparty_and_pools_the_rest():
    # Table 2 row 17: M_y = (U-S)(C_e-E_ay)(1+dW) = 0.23*20*(1+9.56) = 48.576
    p = penalties("0.63", 200, 200, 180, 0, "9.56", PAPER)
    assert p.buyer_penalty == F("0.23") * 20 * F("10.56")
    assert p.seller_compensation == F("0.23") * 20
    assert p.pooled == p.buyer_penalty - p.seller_compensation
    assert p.seller_penalty == 0 and p.buyer_compensation == 0


def test_both_defaulting_pay_without_epsilon_and_nobody_is_compensated():
    p = penalties("0.6", 100, 80, 90, 4, 2, PAPER)
    assert p.seller_penalty == (F("0.75") - F("0.6") - F("0.04")) * 20 * 4  # eps = 0
    assert p.buyer_penalty == (F("0.6") - F("0.4")) * 10 * 2
    assert p.seller_compensation == p.buyer_compensation == 0
    assert p.pooled == p.seller_penalty + p.buyer_penalty


def test_a_negative_loss_rate_means_no_penalty():
    # U below S: the seller loses nothing when the buyer under-consumes
    p = penalties("0.3", 100, 100, 50, 0, 30, PAPER)
    assert p.buyer_penalty == 0 and p.pooled == 0


def test_pooled_penalty_goes_to_every_other_node_by_weight_after_the_round():
    deliveries = [Delivery.of("g1", "c1", "0.6", 100, 100, 50), Delivery.of("g2", "c2", "0.6", 100, 100, 100)]
    weights = {"g1": 50, "c1": 50, "g2": 20, "c2": 60, "idle": 20}
    r = settle_round(deliveries, weights, PAPER)
    pooled = r.contracts[0].penalties.pooled
    others = {n: r.weights_after[n] for n in ("g2", "c2", "idle")}
    assert r.penalty_shares["g1"] == r.penalty_shares["c1"] == 0
    for n, w in others.items():
        assert r.penalty_shares[n] == pooled * w / sum(others.values())
    assert r.weights_after["idle"] == 20  # a node without a contract keeps its weight


@given(st.data())
@settings(max_examples=60)
def test_round_shares_add_up_to_the_pooled_penalties(data):
    n = data.draw(st.integers(2, 5))
    deliveries = []
    for i in range(n):
        c = data.draw(st.integers(1, 300))
        deliveries.append(
            Delivery.of(
                f"g{i}",
                f"c{i}",
                data.draw(st.sampled_from(["0.5", "0.6", "0.65", "0.7"])),
                c,
                data.draw(st.integers(0, 2 * c)),
                data.draw(st.integers(0, 2 * c)),
            )
        )
    weights = {f"{k}{i}": data.draw(st.integers(1, 100)) for i in range(n) for k in "gc"}
    r = settle_round(deliveries, weights, PAPER)
    assert sum(r.penalty_shares.values()) + r.carried == r.pooled
    for c in r.contracts:
        p = c.penalties
        assert p.pooled >= 0
        assert p.seller_compensation + p.buyer_compensation <= p.seller_penalty + p.buyer_penalty


def test_decay_multiplies_by_e_to_the_minus_delta():
    assert float(decay(100, "0.05")) == pytest.approx(95.1229424500714)


def test_always_performing_node_rises_and_always_defaulting_node_falls():
    up = credit_series(0, 100, 1500, [100] * 120)
    down = credit_series(100, 100, 1500, [60] * 120)
    assert up[-1] > 80 and down[-1] < F(1, 10**9)
    assert all(b <= a for a, b in itertools.pairwise(down))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(energy_kwh=0), "contracted energy"),
        (dict(generated_kwh=-1), "readings"),
        (dict(buyer="g"), "itself"),
    ],
)
def test_bad_contracts_are_refused_with_what_to_fix(kwargs, message):
    args = dict(seller="g", buyer="c", price="0.6", energy_kwh=10, generated_kwh=10, consumed_kwh=10) | kwargs
    with pytest.raises(ValueError, match=message):
        Delivery.of(**args)


def test_a_trading_node_without_weight_is_refused():
    with pytest.raises(ValueError, match="no credit weight"):
        settle_round([Delivery.of("g", "c", "0.6", 10, 10, 10)], {"g": 10}, PAPER)
