"""Stateful fuzzing of IncentiveCurrency against a pure model of its ledger (seed 004 §3.4, SPEC §8).

Random sequences of purchase-incentive issuance, block rewards to changing block creators, transfers, fee
spends, redemptions, retirements and clock jumps of whole days. After every step, per vintage:
issued == sum of holders' balances + spent + redeemed + retired (the supply invariant), every balance equals
the model's, no lot of an expired vintage moved, no order or block was rewarded twice, the reserve holds what
the model says, and the order book's token conservation is unchanged. Refused calls (expired lots, double
issue, over-spend) are expected by the model and checked to revert.
"""

import brownie
import incentive_fixtures
from brownie import accounts, chain
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from incentive_fixtures import (
    BLOCK_REWARD,
    BLOCK_REWARD_LIFE,
    DAY,
    FEE,
    FEE_RATE,
    HOUR,
    PEAK_LIFE,
    PEAK_PER_KWH,
    REDEEM_RATE,
    RESERVE,
    UNIT,
    VINTAGE_SECONDS,
    delivery_time,
    market_books,
    set_coinbase,
    settled_order,
    sleep_past,
    tariff_bands,
)
from market_fixtures import WAD, block_time

inc = incentive_fixtures.inc  # the module's fixture (pytest finds fixtures by module attribute)

SETTINGS = settings(
    max_examples=12,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow, HealthCheck.large_base_example],
)
ENERGY_WH = 10_000
pick = st.integers(min_value=0, max_value=255)
units = st.integers(min_value=1, max_value=25).map(lambda n: n * UNIT // 2)


class Setup:
    """Contracts, actors and three settled peak purchases (on three different days), set up once per test."""

    def __init__(self, inc, mkt, people, auditor, admin):
        inc.setTariff(tariff_bands(), [(UNIT // 2, 3 * DAY), (PEAK_PER_KWH, PEAK_LIFE)], {"from": admin})
        self.inc, self.mkt = inc, mkt
        self.orders = []  # (order id, buyer, vintage start)
        for buyer in (people.c1, people.c2, people.c1):
            oid, period = settled_order(mkt, people, auditor, energy=ENERGY_WH, buyer=buyer)
            start = delivery_time(period) // VINTAGE_SECONDS * VINTAGE_SECONDS
            self.orders.append((oid, buyer, start))
        self.actors = [people.c1, people.c2, people.p1, accounts[8]]
        self.creators = [people.p1, accounts[8]]
        # Start half an hour after a day boundary so no step runs close to a vintage's expiry second.
        sleep_past((block_time() // DAY + 1) * DAY + HOUR // 2)


class IncentiveMachine(RuleBasedStateMachine):
    """Hypothesis drives the contract and a dictionary model side by side; the chain is reverted to the
    post-setup snapshot at the start of every example (brownie's `state_machine` helper is broken in 1.22)."""

    setup: Setup

    def __init__(self):
        super().__init__()
        chain.revert()
        s = self.setup
        self.inc, self.mkt, self.actors = s.inc, s.mkt, s.actors
        self.books = market_books(self.mkt)
        self.expiry = {}  # vintage id -> expiresAt
        self.ledger = {}  # vintage id -> [issued, spent, redeemed, retired]
        self.balance = {}  # (holder, vintage id) -> units
        self.issued_orders = {}  # order id -> vintage id
        self.rebated = set()
        self.reserve = RESERVE
        self.rewarded_blocks = set()

    # ------------------------------------------------------------------ helpers

    def _expired(self, vid, at=None):
        return (at if at is not None else block_time() + 1) >= self.expiry[vid]

    def _vid(self, pick):
        ids = sorted(self.expiry)
        return ids[pick % len(ids)] if ids else None

    def _credit(self, holder, vid, amount):
        key = (str(holder), vid)
        self.balance[key] = self.balance.get(key, 0) + amount

    def _held(self, holder, vid):
        return self.balance.get((str(holder), vid), 0)

    # ------------------------------------------------------------------ rules

    @rule(st_order=st.integers(min_value=0, max_value=2))
    def issue_purchase_incentive(self, st_order):
        oid, buyer, start = self.setup.orders[st_order]
        vid = self.inc.vintageId(start, 2, 1)
        expires = start + PEAK_LIFE
        if oid in self.issued_orders:
            with brownie.reverts(revert_pattern=r"AlreadyIssued: .*"):
                self.inc.issuePurchaseIncentive(oid, {"from": accounts[9]})
            return
        if block_time() + 1 >= expires:
            with brownie.reverts(revert_pattern=r"LotExpired: .*"):
                self.inc.issuePurchaseIncentive(oid, {"from": accounts[9]})
            return
        got, amount = self.inc.issuePurchaseIncentive(oid, {"from": accounts[9]}).return_value
        assert (got, amount) == (vid, ENERGY_WH * PEAK_PER_KWH // 1000)
        self.expiry.setdefault(vid, expires)
        self.ledger.setdefault(vid, [0, 0, 0, 0])[0] += amount
        self._credit(buyer, vid, amount)
        self.issued_orders[oid] = vid

    @rule(st_creator=pick)
    def block_reward(self, st_creator):
        creator = self.setup.creators[st_creator % len(self.setup.creators)]
        set_coinbase(creator)
        tx = self.inc.claimBlockReward({"from": accounts[9]})
        vid, amount = tx.return_value
        assert tx.block_number not in self.rewarded_blocks and amount == BLOCK_REWARD
        self.rewarded_blocks.add(tx.block_number)
        start = tx.timestamp // VINTAGE_SECONDS * VINTAGE_SECONDS
        assert vid == self.inc.vintageId(tx.timestamp, 0, 0)
        self.expiry.setdefault(vid, start + BLOCK_REWARD_LIFE)
        self.ledger.setdefault(vid, [0, 0, 0, 0])[0] += amount
        self._credit(creator, vid, amount)

    @rule(st_from=pick, st_to=pick, st_vid=pick, st_units=units)
    def transfer(self, st_from, st_to, st_vid, st_units):
        vid = self._vid(st_vid)
        if vid is None:
            return
        sender = self.actors[st_from % len(self.actors)]
        receiver = self.actors[st_to % len(self.actors)]
        if self._expired(vid):
            with brownie.reverts(revert_pattern=r"LotExpired: .*"):
                self.inc.safeTransferFrom(sender, receiver, vid, st_units, b"", {"from": sender})
            return
        if self._held(sender, vid) < st_units:
            with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
                self.inc.safeTransferFrom(sender, receiver, vid, st_units, b"", {"from": sender})
            return
        self.inc.safeTransferFrom(sender, receiver, vid, st_units, b"", {"from": sender})
        self._credit(sender, vid, -st_units)
        self._credit(receiver, vid, st_units)

    @rule(st_order=st.integers(min_value=0, max_value=2))
    def spend_on_fee(self, st_order):
        oid, buyer, _ = self.setup.orders[st_order]
        live = [v for v in sorted(self.expiry) if not self._expired(v) and self._held(buyer, v) > 0]
        if oid in self.rebated:
            with brownie.reverts(revert_pattern=r"FeeAlreadySpent: .*"):
                self.inc.spendOnFee(oid, live, {"from": buyer})
            return
        # the model's arithmetic: oldest first, units rounded up, rebate rounded down, at most the fee
        remaining, spent = FEE, {}
        for v in live:
            needed = -(-remaining * WAD // FEE_RATE)
            take = min(self._held(buyer, v), needed)
            if take:
                remaining -= min(remaining, take * FEE_RATE // WAD)
                spent[v] = take
            if remaining == 0:
                break
        if remaining == FEE:
            with brownie.reverts(revert_pattern=r"NothingToSpend: .*"):
                self.inc.spendOnFee(oid, live, {"from": buyer})
            return
        got_units, rebate = self.inc.spendOnFee(oid, live, {"from": buyer}).return_value
        assert (got_units, rebate) == (sum(spent.values()), FEE - remaining)
        for v, take in spent.items():
            self._credit(buyer, v, -take)
            self.ledger[v][1] += take
        self.rebated.add(oid)
        self.reserve -= rebate

    @rule(st_holder=pick, st_vid=pick, st_units=units)
    def redeem(self, st_holder, st_vid, st_units):
        vid = self._vid(st_vid)
        if vid is None:
            return
        holder = self.actors[st_holder % len(self.actors)]
        if self._expired(vid):
            with brownie.reverts(revert_pattern=r"LotExpired: .*"):
                self.inc.redeem(vid, st_units, {"from": holder})
            return
        if self._held(holder, vid) < st_units:
            with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
                self.inc.redeem(vid, st_units, {"from": holder})
            return
        tokens = self.inc.redeem(vid, st_units, {"from": holder}).return_value
        assert tokens == st_units * REDEEM_RATE // WAD
        self._credit(holder, vid, -st_units)
        self.ledger[vid][2] += st_units
        self.reserve -= tokens

    @rule(st_holder=pick, st_vid=pick)
    def retire(self, st_holder, st_vid):
        vid = self._vid(st_vid)
        if vid is None:
            return
        holder = self.actors[st_holder % len(self.actors)]
        if not self._expired(vid):
            with brownie.reverts(revert_pattern=r"LotNotExpired: .*"):
                self.inc.retire(holder, vid, {"from": accounts[9]})
            return
        held = self._held(holder, vid)
        if held == 0:
            with brownie.reverts(revert_pattern=r"ZeroAmount.*"):
                self.inc.retire(holder, vid, {"from": accounts[9]})
            return
        assert self.inc.retire(holder, vid, {"from": accounts[9]}).return_value == held
        self._credit(holder, vid, -held)
        self.ledger[vid][3] += held

    @rule(st_days=st.integers(min_value=1, max_value=12))
    def advance(self, st_days):
        sleep_past(block_time() + st_days * DAY)

    # ------------------------------------------------------------------ invariants

    @invariant()
    def supply_is_held_plus_spent_redeemed_retired_per_vintage(self):
        for vid, row in self.ledger.items():
            issued, spent, redeemed, retired = row
            v = self.inc.vintage(vid).dict()
            assert [v[k] for k in ("issued", "spent", "redeemed", "retired")] == row
            held = sum(self.inc.balanceOf(a, vid) for a in self.actors)
            assert held == self.inc.heldSupply(vid) == issued - spent - redeemed - retired
            assert v["expiresAt"] == self.expiry[vid]
        totals = [sum(row[i] for row in self.ledger.values()) for i in range(4)]
        assert list(self.inc.totals()) == totals
        assert self.inc.liveSupply() == totals[0] - sum(totals[1:])

    @invariant()
    def every_balance_matches_the_model(self):
        for vid in self.ledger:
            for a in self.actors:
                assert self.inc.balanceOf(a, vid) == self._held(a, vid)

    @invariant()
    def no_order_or_block_rewarded_twice(self):
        for oid, _, _ in self.setup.orders:
            issued = self.inc.issuedForOrder(oid)
            assert issued == (ENERGY_WH * PEAK_PER_KWH // 1000 if oid in self.issued_orders else 0)
        for number in self.rewarded_blocks:
            assert self.inc.blockRewarded(number)
        assert sum(self.ledger[v][0] for v in self.ledger if self.inc.vintage(v)["band"] == 0) == (
            len(self.rewarded_blocks) * BLOCK_REWARD
        )

    @invariant()
    def reserve_and_market_tokens_are_conserved(self):
        assert self.mkt.token.balanceOf(self.inc) == self.reserve
        assert market_books(self.mkt) == self.books
        balance, escrowed, withdrawable = self.books
        assert balance == escrowed + withdrawable


def test_incentive_ledger_matches_the_model(inc, mkt, people, auditor, admin):
    IncentiveMachine.setup = Setup(inc, mkt, people, auditor, admin)
    chain.snapshot()
    run_state_machine_as_test(IncentiveMachine, settings=SETTINGS)
