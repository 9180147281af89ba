"""IncentiveCurrency (seed 004 §3.4, SPEC §8): tariff, purchase incentives by time-of-use band, vintages
with an operating life, spending towards handling fees, redemption, retirement after expiry, and the block
creator's reward. Every refusal is checked to leave the contract's state (and the tokens) unchanged."""

import brownie
import incentive_fixtures
import pytest
from brownie import accounts, web3
from conftest import reverts_with
from incentive_fixtures import (
    BANDS,
    BLOCK_REWARD,
    BLOCK_REWARD_LIFE,
    DAY,
    FEE,
    FEE_RATE,
    OFF_PEAK,
    OFF_PEAK_LIFE,
    OFF_PEAK_PER_KWH,
    PEAK,
    PEAK_LIFE,
    PEAK_PER_KWH,
    REDEEM_RATE,
    RESERVE,
    UNIT,
    VINTAGE_SECONDS,
    delivery_time,
    deploy_incentives,
    hour_of,
    market_books,
    set_coinbase,
    settled_order,
    sleep_past,
    snapshot,
    tariff_bands,
)
from market_fixtures import WAD, active_order, block_time

inc = incentive_fixtures.inc  # the module's fixture (pytest finds fixtures by module attribute)

ZERO = "0x0000000000000000000000000000000000000000"


def set_tariff(inc, admin, hour_bands=None, bands=BANDS):
    return inc.setTariff(hour_bands or tariff_bands(), bands, {"from": admin})


def refused(error, *args):
    """Expect a revert with custom error `error` whose first arguments are `args` (the rest, e.g. the block
    time, is not pinned)."""
    if not args:
        return brownie.reverts(revert_pattern=rf"{error}(: .*)?")
    head = ", ".join(str(a).lower() for a in args)
    return brownie.reverts(revert_pattern=rf"{error}: {head}(, .*)?")


def ceil_div(a, b):
    return -(-a // b)


@pytest.fixture
def peak(inc, admin):
    """A tariff where every hour is the peak band."""
    set_tariff(inc, admin)
    return inc


@pytest.fixture
def earned(peak, mkt, people, auditor):
    """A settled 10 kWh peak purchase of c1 with its incentive issued: (order id, vintage id, amount)."""
    oid, period = settled_order(mkt, people, auditor)
    tx = peak.issuePurchaseIncentive(oid, {"from": accounts[9]})
    vid, amount = tx.return_value
    return oid, vid, amount, period


# ------------------------------------------------------------------ deployment and tariff


def test_constructor_refuses_bad_parameters(mkt, admin):
    from brownie import IncentiveCurrency

    args = [
        admin,
        admin,
        mkt.book,
        mkt.token,
        VINTAGE_SECONDS,
        BLOCK_REWARD,
        BLOCK_REWARD_LIFE,
        (FEE_RATE, 0),
        "",
    ]
    for index, value, error in [
        (4, 0, "BadTariff"),
        (5, 0, "ZeroAmount"),
        (6, 0, "BadTariff"),
        (7, (0, REDEEM_RATE), "ZeroRate"),
    ]:
        bad = list(args)
        bad[index] = value
        with reverts_with(error):
            IncentiveCurrency.deploy(*bad, {"from": admin})


def test_operator_sets_a_tariff_in_force_from_the_next_second(inc, admin):
    tx = set_tariff(inc, admin, tariff_bands(peak_hours=range(17, 21), idle_hours=range(0, 6)))
    now = tx.timestamp
    assert tx.return_value == 1 and inc.tariffCount() == 1
    assert tx.events["TariffSet"]["version"] == 1 and tx.events["TariffSet"]["effectiveFrom"] == now + 1
    assert inc.tariffVersionAt(now) == 0, "never retroactive"
    assert inc.tariffVersionAt(now + 1) == 1
    assert list(inc.hourBands(1)) == tariff_bands(peak_hours=range(17, 21), idle_hours=range(0, 6))
    assert tuple(inc.bandTerms(1, PEAK)) == (PEAK_PER_KWH, PEAK_LIFE)
    assert tuple(inc.bandTerms(1, OFF_PEAK)) == (OFF_PEAK_PER_KWH, OFF_PEAK_LIFE)
    sleep_past(now + 1)
    second = set_tariff(inc, admin)
    assert inc.tariffVersionAt(second.timestamp) == 1 and inc.tariffVersionAt(second.timestamp + 1) == 2


def test_stranger_cannot_set_the_tariff(inc, mkt, stranger):
    before = snapshot(inc, mkt, [stranger], [])
    with brownie.reverts(revert_pattern=r"AccessControlUnauthorizedAccount: .*"):
        set_tariff(inc, stranger)
    assert snapshot(inc, mkt, [stranger], []) == before
    assert inc.tariffVersionAt(block_time() + 10) == 0


def test_stranger_cannot_set_rates_or_withdraw_the_reserve(inc, mkt, stranger):
    before = snapshot(inc, mkt, [stranger], [])
    with brownie.reverts(revert_pattern=r"AccessControlUnauthorizedAccount: .*"):
        inc.setRates(1, 1, {"from": stranger})
    with brownie.reverts(revert_pattern=r"AccessControlUnauthorizedAccount: .*"):
        inc.withdrawReserve(stranger, 1, {"from": stranger})
    assert snapshot(inc, mkt, [stranger], []) == before


@pytest.mark.parametrize(
    "hour_bands, bands, reason",
    [
        (tariff_bands(), [], "band count"),
        (tariff_bands(), [(1, 1)] * 9, "band count"),
        ([3] * 24, BANDS, "hour band out of range"),
        (tariff_bands(), [(UNIT, 0), (UNIT, DAY)], "band life"),
        (tariff_bands(), [(UNIT, DAY), (UNIT, 101 * 365 * DAY)], "band life"),
    ],
)
def test_bad_tariffs_are_refused(inc, mkt, admin, hour_bands, bands, reason):
    before = snapshot(inc, mkt, [admin], [])
    with reverts_with("BadTariff", reason):
        inc.setTariff(hour_bands, bands, {"from": admin})
    assert snapshot(inc, mkt, [admin], []) == before


def test_operator_sets_rates_but_not_a_zero_fee_rate(inc, admin):
    tx = inc.setRates(2 * FEE_RATE, 0, {"from": admin})
    assert tuple(inc.rates()) == (2 * FEE_RATE, 0)
    assert tx.events["RatesSet"]["feeRate"] == 2 * FEE_RATE
    with reverts_with("ZeroRate"):
        inc.setRates(0, REDEEM_RATE, {"from": admin})
    assert tuple(inc.rates()) == (2 * FEE_RATE, 0)


# ------------------------------------------------------------------ purchase incentives


def test_peak_purchase_earns_lots_stamped_with_the_delivery_time(peak, mkt, people, auditor):
    oid, period = settled_order(mkt, people, auditor, energy=10_000)
    books = market_books(mkt)
    tx = peak.issuePurchaseIncentive(oid, {"from": accounts[9]})  # anyone may pull it
    vid, amount = tx.return_value
    stamp = delivery_time(period)
    assert vid == peak.vintageId(stamp, PEAK, 1)
    assert amount == 10 * PEAK_PER_KWH  # 10 kWh at 2 units per kWh
    assert peak.balanceOf(people.c1, vid) == amount
    start = stamp // VINTAGE_SECONDS * VINTAGE_SECONDS
    v = peak.vintage(vid).dict()
    assert (v["start"], v["expiresAt"], v["band"], v["tariffVersion"], v["incentivePerKwh"]) == (
        start,
        start + PEAK_LIFE,
        PEAK,
        1,
        PEAK_PER_KWH,
    )
    assert v["issued"] == amount and peak.heldSupply(vid) == amount and peak.issuedForOrder(oid) == amount
    assert tx.events["VintageCreated"]["id"] == vid
    e = tx.events["PurchaseIncentiveIssued"]
    assert (e["orderId"], e["buyer"], e["id"], e["purchasedWh"], e["amount"]) == (
        oid,
        people.c1,
        vid,
        10_000,
        amount,
    )
    assert market_books(mkt) == books, "the market's tokens are untouched"
    balance, escrowed, withdrawable = books
    assert balance == escrowed + withdrawable


def test_the_band_comes_from_the_hour_of_delivery(inc, admin, mkt, people, auditor):
    # Every hour off-peak except the hour the next period's delivery will start in (about 2.5 h from now).
    upcoming = hour_of(block_time() + 1 + 3_600 + 1_800 + 3_600)
    set_tariff(inc, admin, tariff_bands(peak_hours=()))
    oid, period = settled_order(mkt, people, auditor, energy=4_000)
    assert hour_of(delivery_time(period)) == upcoming
    vid, amount = inc.issuePurchaseIncentive(oid, {"from": accounts[9]}).return_value
    assert inc.vintage(vid)["band"] == OFF_PEAK and amount == 4 * OFF_PEAK_PER_KWH
    assert inc.vintage(vid)["expiresAt"] - inc.vintage(vid)["start"] == OFF_PEAK_LIFE


def test_incentive_counts_only_the_energy_both_meters_agree_on(peak, mkt, people, auditor):
    oid, _ = settled_order(mkt, people, auditor, energy=10_000, delivered=8_000, received=9_500)
    _, amount = peak.issuePurchaseIncentive(oid, {"from": accounts[9]}).return_value
    assert amount == 8 * PEAK_PER_KWH


def test_an_order_is_rewarded_once(peak, earned, mkt, people):
    oid, vid, _, _ = earned
    before = snapshot(peak, mkt, [people.c1], [vid])
    with reverts_with("AlreadyIssued", oid):
        peak.issuePurchaseIncentive(oid, {"from": people.c1})
    assert snapshot(peak, mkt, [people.c1], [vid]) == before


def test_unsettled_order_earns_nothing(peak, mkt, people, auditor):
    oid, _ = active_order(mkt, people, auditor)
    before = snapshot(peak, mkt, [people.c1], [])
    with reverts_with("OrderNotSettled", oid, 4):
        peak.issuePurchaseIncentive(oid, {"from": people.c1})
    with reverts_with("OrderNotSettled", 999, 0):
        peak.issuePurchaseIncentive(999, {"from": people.c1})
    assert snapshot(peak, mkt, [people.c1], []) == before and peak.issuedForOrder(oid) == 0


def test_purchase_outside_every_band_earns_nothing(inc, admin, mkt, people, auditor):
    set_tariff(inc, admin, tariff_bands(idle_hours=range(24)))
    oid, _ = settled_order(mkt, people, auditor)
    with reverts_with("NotIncentivised", oid, 0, 10_000):
        inc.issuePurchaseIncentive(oid, {"from": accounts[9]})
    assert inc.issuedForOrder(oid) == 0 and tuple(inc.totals()) == (0, 0, 0, 0)


def test_undelivered_purchase_earns_nothing(peak, mkt, people, auditor):
    oid, _ = settled_order(mkt, people, auditor, delivered=0, received=10_000)
    with reverts_with("NotIncentivised", oid, PEAK, 0):
        peak.issuePurchaseIncentive(oid, {"from": accounts[9]})


def test_delivery_before_any_tariff_earns_nothing(inc, admin, mkt, people, auditor):
    oid, period = settled_order(mkt, people, auditor)
    set_tariff(inc, admin)  # published after the delivery: not retroactive
    with reverts_with("NoTariff", delivery_time(period)):
        inc.issuePurchaseIncentive(oid, {"from": accounts[9]})
    assert inc.issuedForOrder(oid) == 0


def test_no_lots_are_issued_into_an_expired_vintage(peak, mkt, people, auditor):
    oid, period = settled_order(mkt, people, auditor)
    start = delivery_time(period) // VINTAGE_SECONDS * VINTAGE_SECONDS
    sleep_past(start + PEAK_LIFE)
    vid = peak.vintageId(delivery_time(period), PEAK, 1)
    with refused("LotExpired", vid, start + PEAK_LIFE):
        peak.issuePurchaseIncentive(oid, {"from": accounts[9]})
    assert peak.issuedForOrder(oid) == 0 and tuple(peak.totals()) == (0, 0, 0, 0)


# ------------------------------------------------------------------ transfers and expiry


def test_lots_move_before_expiry_and_never_after(peak, earned, mkt, people):
    inc = peak
    _, vid, amount, _ = earned
    c1, c2 = people.c1, people.c2
    inc.safeTransferFrom(c1, c2, vid, UNIT, b"", {"from": c1})
    assert inc.balanceOf(c2, vid) == UNIT and inc.heldSupply(vid) == amount
    sleep_past(inc.vintage(vid)["expiresAt"])
    before = snapshot(inc, mkt, [c1, c2], [vid])
    with refused("LotExpired", vid):
        inc.safeTransferFrom(c1, c2, vid, UNIT, b"", {"from": c1})
    with refused("LotExpired", vid):
        inc.safeBatchTransferFrom(c2, c1, [vid], [UNIT], b"", {"from": c2})
    assert snapshot(inc, mkt, [c1, c2], [vid]) == before


# ------------------------------------------------------------------ spending towards the handling fee


def test_buyer_spends_lots_towards_the_fee_it_paid(peak, earned, mkt, people):
    inc = peak
    oid, vid, amount, _ = earned
    c1 = people.c1
    token_before, reserve_before, books = mkt.token.balanceOf(c1), mkt.token.balanceOf(inc), market_books(mkt)
    tx = inc.spendOnFee(oid, [vid], {"from": c1})
    units, rebate = tx.return_value
    assert rebate == FEE and units == ceil_div(FEE * WAD, FEE_RATE)
    assert inc.balanceOf(c1, vid) == amount - units
    assert mkt.token.balanceOf(c1) == token_before + FEE and mkt.token.balanceOf(inc) == reserve_before - FEE
    assert inc.vintage(vid)["spent"] == units and inc.feeRebate(oid) == FEE
    assert tx.events["FeeSpent"]["rebate"] == FEE and tx.events["LotsSpent"]["units"] == units
    assert market_books(mkt) == books


def test_spending_draws_the_oldest_vintage_first(peak, mkt, people, auditor):
    # two purchases a day apart: two vintages; the fee of the second is paid from the older lots first
    old_oid, _ = settled_order(mkt, people, auditor, energy=2_000)  # 4 units, less than the 10 the fee needs
    old = peak.issuePurchaseIncentive(old_oid, {"from": accounts[9]}).return_value[0]
    sleep_past(block_time() + DAY)
    new_oid, _ = settled_order(mkt, people, auditor, energy=10_000)
    new = peak.issuePurchaseIncentive(new_oid, {"from": accounts[9]}).return_value[0]
    assert old < new, "ids sort by issuance time"
    with reverts_with("IdsNotOldestFirst", new, old):
        peak.spendOnFee(new_oid, [new, old], {"from": people.c1})
    units, rebate = peak.spendOnFee(new_oid, [old, new], {"from": people.c1}).return_value
    assert rebate == FEE
    assert peak.balanceOf(people.c1, old) == 0, "the older vintage is drained first"
    assert peak.balanceOf(people.c1, new) == 20 * UNIT - (units - 4 * UNIT)


def test_fee_rebate_is_capped_and_partial_when_lots_run_short(peak, mkt, people, auditor):
    oid, _ = settled_order(mkt, people, auditor, energy=1_000)  # 2 units, worth 0.002 of the 0.01 fee
    vid = peak.issuePurchaseIncentive(oid, {"from": accounts[9]}).return_value[0]
    units, rebate = peak.spendOnFee(oid, [vid], {"from": people.c1}).return_value
    assert (units, rebate) == (2 * UNIT, 2 * UNIT * FEE_RATE // WAD)
    with reverts_with("FeeAlreadySpent", oid):
        peak.spendOnFee(oid, [vid], {"from": people.c1})


def test_fee_is_rebated_once(peak, earned, mkt, people):
    inc = peak
    oid, vid, _, _ = earned
    inc.spendOnFee(oid, [vid], {"from": people.c1})
    before = snapshot(inc, mkt, [people.c1], [vid])
    with reverts_with("FeeAlreadySpent", oid):
        inc.spendOnFee(oid, [vid], {"from": people.c1})
    assert snapshot(inc, mkt, [people.c1], [vid]) == before


def test_only_the_buyer_spends_towards_its_fee(peak, earned, mkt, people, stranger):
    inc = peak
    oid, vid, _, _ = earned
    inc.safeTransferFrom(people.c1, stranger, vid, 5 * UNIT, b"", {"from": people.c1})
    before = snapshot(inc, mkt, [people.c1, stranger], [vid])
    with reverts_with("NotBuyer", oid, stranger, people.c1):
        inc.spendOnFee(oid, [vid], {"from": stranger})
    assert snapshot(inc, mkt, [people.c1, stranger], [vid]) == before


def test_spending_needs_a_settled_order_and_lots(peak, earned, mkt, people, auditor):
    inc = peak
    oid, vid, _, _ = earned
    active, _ = active_order(mkt, people, auditor)
    with reverts_with("OrderNotSettled", active, 4):
        inc.spendOnFee(active, [vid], {"from": people.c1})
    with reverts_with("NothingToSpend", oid):
        inc.spendOnFee(oid, [], {"from": people.c1})
    with reverts_with("UnknownVintage", 12345):
        inc.spendOnFee(oid, [12345], {"from": people.c1})


def test_spending_after_expiry_is_refused(peak, earned, mkt, people):
    inc = peak
    oid, vid, _, _ = earned
    sleep_past(inc.vintage(vid)["expiresAt"])
    before = snapshot(inc, mkt, [people.c1], [vid])
    with refused("LotExpired", vid):
        inc.spendOnFee(oid, [vid], {"from": people.c1})
    assert snapshot(inc, mkt, [people.c1], [vid]) == before and inc.feeRebate(oid) == 0


def test_spending_with_an_empty_reserve_is_refused(mkt, admin, people, auditor):
    bare = deploy_incentives(mkt, admin, fund=0)
    set_tariff(bare, admin)
    oid, _ = settled_order(mkt, people, auditor)
    vid = bare.issuePurchaseIncentive(oid, {"from": accounts[9]}).return_value[0]
    before = snapshot(bare, mkt, [people.c1], [vid])
    with reverts_with("ReserveShort", FEE, 0):
        bare.spendOnFee(oid, [vid], {"from": people.c1})
    assert snapshot(bare, mkt, [people.c1], [vid]) == before


# ------------------------------------------------------------------ redemption


def test_holder_redeems_lots_for_energy_tokens(peak, earned, mkt, people):
    inc = peak
    _, vid, amount, _ = earned
    before = mkt.token.balanceOf(people.c1)
    tx = inc.redeem(vid, 4 * UNIT, {"from": people.c1})
    assert tx.return_value == 4 * UNIT * REDEEM_RATE // WAD
    assert mkt.token.balanceOf(people.c1) == before + tx.return_value
    assert inc.balanceOf(people.c1, vid) == amount - 4 * UNIT and inc.vintage(vid)["redeemed"] == 4 * UNIT
    assert tx.events["LotsRedeemed"]["tokens"] == tx.return_value


def test_redeeming_after_expiry_is_refused(peak, earned, mkt, people):
    inc = peak
    _, vid, _, _ = earned
    sleep_past(inc.vintage(vid)["expiresAt"])
    before = snapshot(inc, mkt, [people.c1], [vid])
    with refused("LotExpired", vid):
        inc.redeem(vid, UNIT, {"from": people.c1})
    assert snapshot(inc, mkt, [people.c1], [vid]) == before


def test_redeeming_more_than_held_or_nothing_is_refused(peak, earned, mkt, people, admin, stranger):
    inc = peak
    _, vid, amount, _ = earned
    before = snapshot(inc, mkt, [people.c1, stranger], [vid])
    with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
        inc.redeem(vid, UNIT, {"from": stranger})
    with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
        inc.redeem(vid, amount + 1, {"from": people.c1})
    with reverts_with("ZeroAmount"):
        inc.redeem(vid, 0, {"from": people.c1})
    with reverts_with("ZeroAmount"):  # dust worth no token
        inc.redeem(vid, 1, {"from": people.c1})
    inc.setRates(FEE_RATE, 0, {"from": admin})
    with reverts_with("ZeroRate"):
        inc.redeem(vid, UNIT, {"from": people.c1})
    assert snapshot(inc, mkt, [people.c1, stranger], [vid])["balances"] == before["balances"]
    assert snapshot(inc, mkt, [people.c1, stranger], [vid])["reserve"] == before["reserve"]


# ------------------------------------------------------------------ retirement


def test_anyone_retires_expired_lots(peak, earned, mkt, people, stranger):
    inc = peak
    _, vid, amount, _ = earned
    with refused("LotNotExpired", vid):
        inc.retire(people.c1, vid, {"from": stranger})
    sleep_past(inc.vintage(vid)["expiresAt"])
    tx = inc.retire(people.c1, vid, {"from": stranger})
    assert tx.return_value == amount and inc.balanceOf(people.c1, vid) == 0
    e = tx.events["LotsRetired"]
    assert (e["holder"], e["id"], e["units"], e["retiredBy"]) == (people.c1, vid, amount, stranger)
    v = inc.vintage(vid)
    assert v["issued"] == v["retired"] == amount and inc.heldSupply(vid) == 0 and inc.liveSupply() == 0
    with reverts_with("ZeroAmount"):
        inc.retire(people.c1, vid, {"from": stranger})
    with reverts_with("UnknownVintage", 7):
        inc.retire(people.c1, 7, {"from": stranger})


# ------------------------------------------------------------------ reserve


def test_reserve_withdrawal_is_limited_to_the_surplus(peak, earned, mkt, people, admin):
    inc = peak
    _, _, amount, _ = earned
    committed = ceil_div(amount * max(FEE_RATE, REDEEM_RATE), WAD)
    assert inc.reserveSurplus() == RESERVE - committed
    with reverts_with("ReserveCommitted", RESERVE, RESERVE - committed):
        inc.withdrawReserve(admin, RESERVE, {"from": admin})
    tx = inc.withdrawReserve(admin, RESERVE - committed, {"from": admin})
    assert tx.events["ReserveWithdrawn"]["tokens"] == RESERVE - committed
    assert mkt.token.balanceOf(inc) == committed


# ------------------------------------------------------------------ block creator reward


def test_block_creator_is_rewarded_once_per_block(inc, mkt, stranger):
    creator = accounts[8]
    set_coinbase(creator)
    tx = inc.claimBlockReward({"from": stranger})  # any transaction may claim it
    vid, amount = tx.return_value
    assert amount == BLOCK_REWARD and inc.balanceOf(creator, vid) == BLOCK_REWARD
    assert inc.balanceOf(stranger, vid) == 0
    assert inc.blockRewarded(tx.block_number)
    v = inc.vintage(vid)
    assert (v["band"], v["tariffVersion"], v["expiresAt"] - v["start"]) == (0, 0, BLOCK_REWARD_LIFE)
    e = tx.events["BlockRewardIssued"]
    assert (e["blockNumber"], e["creator"], e["amount"]) == (tx.block_number, creator, BLOCK_REWARD)
    # the next block is rewarded separately, into the same day's vintage
    tx2 = inc.claimBlockReward({"from": stranger})
    assert tx2.block_number == tx.block_number + 1 and tx2.return_value[0] == vid
    assert inc.balanceOf(creator, vid) == 2 * BLOCK_REWARD


def test_a_block_is_never_rewarded_twice(inc, mkt, stranger):
    creator = accounts[8]
    set_coinbase(creator)
    web3.provider.make_request("evm_setAutomine", [False])
    try:
        first = inc.claimBlockReward({"from": stranger, "required_confs": 0, "gas_limit": 300_000})
        second = inc.claimBlockReward({"from": accounts[7], "required_confs": 0, "gas_limit": 300_000})
        web3.provider.make_request("evm_mine", [])
    finally:
        web3.provider.make_request("evm_setAutomine", [True])
    first.wait(1)
    second.wait(1)
    assert first.block_number == second.block_number
    assert first.status == 1 and second.status == 0
    assert second.revert_msg.startswith("BlockAlreadyRewarded")
    assert inc.totals()[0] == BLOCK_REWARD, "issued once"
    assert (
        sum(inc.balanceOf(a, first.return_value[0]) for a in (creator, stranger, accounts[7])) == BLOCK_REWARD
    )


def test_no_reward_without_a_block_creator(inc, mkt, stranger):
    set_coinbase(ZERO)
    with refused("NoBlockCreator"):
        inc.claimBlockReward({"from": stranger})
    assert inc.totals()[0] == 0


def test_expired_block_reward_can_be_retired_but_not_redeemed(inc, mkt, stranger):
    creator = accounts[8]
    set_coinbase(creator)
    vid = inc.claimBlockReward({"from": stranger}).return_value[0]
    sleep_past(inc.vintage(vid)["expiresAt"])
    with refused("LotExpired", vid):
        inc.redeem(vid, UNIT, {"from": creator})
    assert inc.retire(creator, vid, {"from": stranger}).return_value == BLOCK_REWARD
    assert inc.vintage(vid)["retired"] == BLOCK_REWARD
