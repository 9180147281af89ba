"""Stateful fuzzing of GreenCertificates and CertificateExchange against the pure model (seed 001 eq 6).

Random sequences of readings (renewable and not), transfers, sales and claims. After every step:
issued == floor(cumulative Wh / 1 MWh) per generator, total issued == held + claimed, every account's
held/claimed/counted equals the model's, and non-qualifying generators hold nothing. Attempts to move
claimed certificates (transfer, sale, second claim) are made on purpose and must all fail.
"""

import brownie
import test_certificates as shared
from brownie import accounts, chain
from conftest import CONSUMER, GENERATOR, HYDRO, PROSUMER, SOLAR, SOURCE_NONE, WIND
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from test_certificates import participant, period, signed

from energy_trading.models.certificates import WH_PER_MWH, CertificateBook, CertificateError

# Fixtures shared with test_certificates (pytest finds fixtures by module attribute).
certs, exchange, token = shared.certs, shared.exchange, shared.token

PRICE = 7 * 10**18
# The health checks below judge how examples are generated, not what the chain does: 15 steps of
# several drawn values each can exceed hypothesis's size budget, which is not a failure of the ledger.
SETTINGS = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.data_too_large,
        HealthCheck.too_slow,
        HealthCheck.large_base_example,
    ],
)

generator_index = st.integers(min_value=0, max_value=1)
actor_index = st.integers(min_value=0, max_value=3)
energy_wh = st.integers(min_value=0, max_value=2_600_000)
pick = st.integers(min_value=0, max_value=255)
amount = st.integers(min_value=1, max_value=4)


class Market:
    """The deployed contracts and the registered participants the machine acts on (set up once per test)."""

    def __init__(self, certs, exchange, token, registry, auditor, admin):
        self.certs, self.exchange, self.token = certs, exchange, token
        self.generators = [
            (accounts[3], participant(registry, auditor, accounts[3], GENERATOR, SOLAR)),
            (accounts[4], participant(registry, auditor, accounts[4], PROSUMER, WIND)),
        ]
        self.outsiders = [  # a hydro plant and an unapproved wind farm: never certified
            (accounts[6], participant(registry, auditor, accounts[6], GENERATOR, HYDRO)),
            (accounts[7], participant(registry, auditor, accounts[7], GENERATOR, WIND, approve=False)),
        ]
        homes = [accounts[5], accounts[8]]
        for home in homes:
            participant(registry, auditor, home, CONSUMER, SOURCE_NONE)
        self.actors = [g for g, _ in self.generators] + homes
        for who in self.actors:  # everyone may buy and sell
            token.issue(who, 10**6 * 10**18, {"from": admin})
            token.approve(exchange, 2**256 - 1, {"from": who})
            certs.setApprovalForAll(exchange, True, {"from": who})


class CertificateMachine(RuleBasedStateMachine):
    """Hypothesis drives the contracts and the pure `CertificateBook` side by side (brownie's own
    `state_machine` helper is broken in its compiled 1.22 wheel, so this uses hypothesis directly and
    reverts the chain to the post-setup snapshot at the start of every example)."""

    market: Market

    def __init__(self):
        super().__init__()
        chain.revert()
        m = self.market
        self.certs, self.exchange, self.token = m.certs, m.exchange, m.token
        self.generators, self.outsiders, self.actors = m.generators, m.outsiders, m.actors
        self.book = CertificateBook()
        self.next_period = {}
        self.minted = {str(g): 0 for g, _ in self.generators}  # from the contract's own mint results

    # ------------------------------------------------------------------ helpers

    def _report(self, generator, meter, wh):
        n = self.next_period.get(meter, 0)
        self.next_period[meter] = n + 1
        start, end = period(n)
        signature = signed(self.certs, generator, meter, start, end, wh)
        return self.certs.reportGeneration(generator, meter, start, end, wh, signature, {"from": generator})

    def _pair(self, index, pick):
        """Two distinct actors."""
        n = len(self.actors)
        return self.actors[index], self.actors[(index + 1 + pick % (n - 1)) % n]

    def _id(self, pick):
        return pick % self.book.last_id + 1 if self.book.last_id else 1

    # ------------------------------------------------------------------ rules

    @rule(st_generator=generator_index, st_wh=energy_wh)
    def renewable_reading(self, st_generator, st_wh):
        generator, meter = self.generators[st_generator]
        tx = self._report(generator, meter, st_wh)
        cid, amount = (int(v) for v in tx.return_value)
        expected = self.book.report(str(generator), st_wh)
        assert (cid, amount) == (expected.certificate_id, expected.amount)
        if amount:
            record = self.certs.certificate(cid).dict()
            assert (record["generator"], record["amount"]) == (generator, amount)
            assert self.certs.balanceOf(generator, cid) == amount
        self.minted[str(generator)] += amount

    @rule(st_outsider=generator_index, st_wh=energy_wh)
    def reading_of_a_non_qualifying_generator(self, st_outsider, st_wh):
        generator, meter = self.outsiders[st_outsider]
        with brownie.reverts(revert_pattern=r"NotRenewableGenerator: .*"):
            self._report(generator, meter, st_wh + WH_PER_MWH)
        self.next_period[meter] -= 1

    @rule(st_actor=actor_index, st_pick=pick, st_amount=amount)
    def transfer(self, st_actor, st_pick, st_amount):
        sender, receiver = self._pair(st_actor, st_pick)
        cid = self._id(st_pick)
        try:
            self.book.transfer(str(sender), str(receiver), cid, st_amount)
        except CertificateError:
            with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
                self.certs.safeTransferFrom(sender, receiver, cid, st_amount, b"", {"from": sender})
            return
        self.certs.safeTransferFrom(sender, receiver, cid, st_amount, b"", {"from": sender})

    @rule(st_actor=actor_index, st_pick=pick, st_amount=amount)
    def sale(self, st_actor, st_pick, st_amount):
        seller, buyer = self._pair(st_actor, st_pick)
        cid = self._id(st_pick)
        try:
            self.book.transfer(str(seller), str(buyer), cid, st_amount)
        except CertificateError:
            with brownie.reverts(revert_pattern=r"InsufficientCertificates: .*"):
                self.exchange.list(cid, st_amount, PRICE, {"from": seller})
            return
        listing = self.exchange.list(cid, st_amount, PRICE, {"from": seller}).return_value
        paid_before = self.token.balanceOf(seller)
        self.exchange.buy(listing, st_amount, {"from": buyer})
        assert self.token.balanceOf(seller) - paid_before == st_amount * PRICE

    @rule(st_actor=actor_index, st_pick=pick, st_amount=amount)
    def claim(self, st_actor, st_pick, st_amount):
        owner, cid = self.actors[st_actor], self._id(st_pick)
        try:
            self.book.claim(str(owner), cid, st_amount)
        except CertificateError:
            with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
                self.certs.claim(cid, st_amount, b"", {"from": owner})
            return
        self.certs.claim(cid, st_amount, b"", {"from": owner})

    @rule(st_actor=actor_index, st_pick=pick)
    def claimed_certificates_cannot_move(self, st_actor, st_pick):
        owner = self.actors[st_actor]
        claimed = [(cid, v) for (o, cid), v in self.book.claimed.items() if o == str(owner)]
        if not claimed:
            return
        cid, value = claimed[st_pick % len(claimed)]
        # Everything beyond the transferable balance is claimed: none of it can move.
        beyond = self.book.balance(str(owner), cid) + value
        other = self.actors[(st_actor + 1) % len(self.actors)]
        with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
            self.certs.safeTransferFrom(owner, other, cid, beyond, b"", {"from": owner})
        with brownie.reverts(revert_pattern=r"InsufficientCertificates: .*"):
            self.exchange.list(cid, beyond, PRICE, {"from": owner})
        with brownie.reverts(revert_pattern=r"ERC1155InsufficientBalance: .*"):
            self.certs.claim(cid, beyond, b"", {"from": owner})

    # ------------------------------------------------------------------ invariants

    @invariant()
    def issued_is_floor_of_cumulative_mwh_per_generator(self):
        for generator, _ in self.generators:
            cumulative = self.certs.generation(generator)[0]
            model = self.book.generators.get(str(generator))
            assert cumulative == (model.cumulative_wh if model else 0)
            # seed 001 eq 6 with the carried remainder: what was actually minted is the floor of the MWh.
            assert self.minted[str(generator)] == cumulative // WH_PER_MWH

    @invariant()
    def total_supply_is_held_plus_claimed(self):
        issued, claimed, held = self.certs.totalIssued(), self.certs.totalClaimed(), self.certs.totalSupply()
        assert issued == held + claimed
        assert (issued, claimed, held) == (
            self.book.total_issued,
            self.book.total_claimed,
            self.book.total_held,
        )
        assert sum(self.certs.heldCertificates(a) for a in self.actors) == held
        assert self.certs.totalCountedCertificates() == issued

    @invariant()
    def every_account_matches_the_model(self):
        for who in self.actors:
            name = str(who)
            assert self.certs.heldCertificates(who) == self.book.held(name)
            assert self.certs.claimedCertificates(who) == self.book.claimed_by(name)
            assert self.certs.countedCertificates(who) == self.book.counted(name)
        for (owner, cid), value in self.book.claimed.items():
            assert self.certs.claimedBalanceOf(owner, cid) == value

    @invariant()
    def non_qualifying_generators_get_nothing(self):
        for generator, _ in self.outsiders:
            assert self.certs.heldCertificates(generator) == 0
            assert self.certs.generation(generator)[0] == 0

    @invariant()
    def exchange_holds_nothing(self):
        assert self.token.balanceOf(self.exchange) == 0


def test_certificate_ledger_matches_the_model(certs, exchange, token, registry, auditor, admin):
    CertificateMachine.market = Market(certs, exchange, token, registry, auditor, admin)
    chain.snapshot()
    run_state_machine_as_test(CertificateMachine, settings=SETTINGS)
