"""The incentive currency's pure model (seed 004 §3.4) and its chain client, in process: the client's results
against the model's arithmetic, the in-process block creator, and holdings by vintage over time."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from energy_trading import ChainRevert, connect, deploy
from energy_trading.clients.incentives import IncentiveParams, IncentivesClient, sealed_by
from energy_trading.clients.market import MarketClient, Side, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.incentives import (
    DAY,
    UNIT,
    WAD,
    Band,
    IncentiveError,
    Tariff,
    fee_spend,
    purchase_incentive,
    vintage_id,
    vintage_start,
)

PEAK = Band(2 * UNIT, 30 * DAY)
OFF_PEAK = Band(UNIT // 2, 3 * DAY)


# ------------------------------------------------------------------ pure model


def test_tariff_refuses_bad_tables_naming_the_field():
    with pytest.raises(IncentiveError, match=r"tariff.hours: need 24"):
        Tariff((1,) * 23, (PEAK,))
    with pytest.raises(IncentiveError, match=r"tariff.hours\[5\]: band 3"):
        Tariff((1,) * 5 + (3,) + (1,) * 18, (PEAK, OFF_PEAK))
    with pytest.raises(IncentiveError, match=r"tariff.bands\[0\].life"):
        Tariff((1,) * 24, (Band(UNIT, 0),))
    with pytest.raises(IncentiveError, match=r"tariff.bands: need 1..8"):
        Tariff((0,) * 24, ())


def test_band_follows_the_utc_hour():
    tariff = Tariff.from_hours([OFF_PEAK, PEAK], {1: range(0, 17), 2: range(17, 21)})
    day = 1_800_000_000 // DAY * DAY
    assert tariff.band_at(day + 16 * 3600 + 3599) == 1
    assert tariff.band_at(day + 17 * 3600) == 2
    assert tariff.band_at(day + 22 * 3600) == 0
    assert tariff.terms(0) == Band(0, 0) and tariff.terms(2) == PEAK


def test_vintage_ids_sort_by_issuance_time():
    a = vintage_id(1_800_000_000, 3, 7, DAY)
    b = vintage_id(1_800_000_000 + DAY, 1, 1, DAY)
    assert a < b and a & 0xFF == 3 and (a >> 8) & (2**64 - 1) == 7
    assert vintage_start(1_800_000_123, DAY) == 1_800_000_123 // DAY * DAY


@given(st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10**7), st.integers(0, 10 * UNIT))
def test_purchase_incentive_counts_the_energy_both_meters_agree_on(contracted, rho, gamma, rate):
    amount = purchase_incentive(contracted, rho, gamma, rate)
    assert amount == min(contracted, rho, gamma) * rate // 1000
    assert amount <= purchase_incentive(contracted, contracted, contracted, rate)


@given(
    st.integers(1, 10**18),
    st.integers(1, 10**16),
    st.lists(st.tuples(st.integers(1, 10**6), st.integers(0, 10**22)), max_size=5, unique_by=lambda t: t[0]),
)
def test_fee_spend_is_oldest_first_and_never_exceeds_the_fee(fee, rate, holdings):
    spend = fee_spend(fee, rate, holdings)
    assert 0 <= spend.rebate <= fee
    assert spend.rebate <= spend.total_units * rate // WAD + len(spend.units)
    held = dict(holdings)
    used = sorted(spend.units)
    for vid in used[:-1]:  # every vintage before the last one used is drained
        assert spend.units[vid] == held[vid]
    for vid in held:  # nothing younger than the last used vintage is touched
        if used and vid > used[-1]:
            assert vid not in spend.units


# ------------------------------------------------------------------ chain client


@pytest.fixture(scope="module")
def world(artifacts):
    """A deployment whose tariff makes every hour peak, and one settled 10 kWh purchase of `buyer`."""
    chain = connect()
    every_hour_peak = Tariff.from_hours([OFF_PEAK, PEAK], {2: range(24)})
    d = deploy(chain, artifacts, incentives=IncentiveParams(tariff=every_hour_peak))
    reg, mk, inc = RegistryClient(d), MarketClient(d), IncentivesClient(d)
    seller = reg.register("seller", Role.GENERATOR, Source.SOLAR)
    buyer = reg.register("buyer", Role.CONSUMER)
    for p in (seller, buyer):
        reg.approve(p.address)
    mk.fund(buyer.address, tokens(100))
    mk.allow(buyer.address, 2**255)
    period = mk.open_period()
    oid = mk.propose(seller.address, period.id, buyer.address, 10_000, tokens("0.5"))
    mk.accept(buyer.address, oid)
    mk.approve(oid)
    mk.sign(buyer.address, oid)
    mk.submit_reading(oid, Side.SELLER, 9_000, seller.meters[0], relayer=d.operator)
    mk.submit_reading(oid, Side.BUYER, 9_600, buyer.meters[0], relayer=d.operator)
    mk.advance_to(period, "settlement")
    mk.settle(d.operator, oid)
    return chain, d, inc, buyer.address, oid, period, every_hour_peak


def test_client_issue_matches_the_model(world):
    _, d, inc, buyer, oid, period, tariff = world
    issued = inc.issue_purchase_incentive(oid, d.operator)
    band = tariff.band_at(period.sign_end)
    assert issued.amount == purchase_incentive(10_000, 9_000, 9_600, tariff.terms(band).incentive_per_kwh)
    assert issued.vintage == vintage_id(period.sign_end, band, 1, DAY) and issued.to == buyer
    v = inc.vintage(issued.vintage)
    assert (v.start, v.expires_at, v.band) == (
        vintage_start(period.sign_end, DAY),
        vintage_start(period.sign_end, DAY) + PEAK.life_s,
        band,
    )
    assert inc.holdings(buyer) == {issued.vintage: issued.amount}
    with pytest.raises(ChainRevert, match="AlreadyIssued"):
        inc.issue_purchase_incentive(oid, d.operator)


def test_client_spends_oldest_first_like_the_model(world):
    _, d, inc, buyer, oid, _, _ = world
    live = inc.live_holdings(buyer)
    expected = fee_spend(d.market_params.handling_fee, IncentiveParams().fee_rate, live)
    reserve = inc.reserve()
    units, rebate = inc.spend_on_fee(buyer, oid)
    assert (units, rebate) == (expected.total_units, expected.rebate) and rebate > 0
    assert inc.reserve() == reserve - rebate


def test_block_creator_in_process_is_the_sealer(world):
    chain, d, inc, *_ = world
    sealer = chain.new_account("sealer")
    reward = inc.claim_block_reward(sealer, d.operator)
    assert reward.to == sealer and reward.amount == IncentiveParams().block_reward
    block = chain.w3.eth.get_block("latest")
    assert block["miner"] == sealer
    assert inc.contract.functions.blockRewarded(block["number"]).call()
    # the next block is sealed by nobody again (py-evm's default coinbase): no reward
    with pytest.raises(ChainRevert, match="NoBlockCreator"):
        inc._send(inc.contract.functions.claimBlockReward(), d.operator)


def test_expired_lots_are_retired_not_spent(world):
    chain, d, inc, buyer, *_ = world
    holdings = inc.holdings(buyer)
    vid, units = max(holdings.items())
    chain.advance_to(inc.vintage(vid).expires_at)
    assert inc.live_holdings(buyer) == []
    with pytest.raises(ChainRevert, match="LotExpired"):
        inc.redeem(buyer, vid, units)
    assert inc.retire(buyer, vid, d.operator) == units
    totals = inc.totals()
    assert totals["issued"] == totals["spent"] + totals["redeemed"] + totals["retired"] + totals["live"]
    assert inc.vintage(vid).held == 0


def test_sealed_by_restores_the_default_coinbase():
    chain = connect()
    sealer = chain.new_account("s")
    with sealed_by(chain, sealer):
        chain.w3.eth.send_transaction({"from": chain.funder, "to": sealer, "value": 1})
    chain.w3.eth.send_transaction({"from": chain.funder, "to": sealer, "value": 1})
    latest = chain.w3.eth.get_block("latest")
    previous = chain.w3.eth.get_block(latest["number"] - 1)
    assert previous["miner"] == sealer and latest["miner"] != sealer
