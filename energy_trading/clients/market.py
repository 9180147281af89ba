"""Chain client for the market contracts: periods, offers, requests, verified matching, orders.

`MarketClient` wraps `OrderBook`, `MatchingMarket`, `ProviderReputation`, `EnergyToken` and the
honest-supplier policy of a `Deployment`. It signs as whichever account the step belongs to (the
seller, the buyer, the auditor, a meter or a relayer) and returns plain dataclasses; refusals raise
`ChainRevert` naming the contract's custom error. Energies are Wh and token amounts base units at this
layer; `kwh()` and `tokens()` convert from the human units the scenarios use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum
from typing import Any

from eth_account.messages import encode_typed_data
from web3.logs import DISCARD
from web3.types import TxReceipt

from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import iso_time, register_enum
from energy_trading.chain.txresult import TxResult
from energy_trading.clients import eip712
from energy_trading.clients.sending import SendingClient
from energy_trading.models.matching import MatchingInstance, MatchResult, onchain_revenue_wad, solve

__all__ = [
    "CHUNK_SIZE",
    "MarketClient",
    "Order",
    "OrderStatus",
    "Origin",
    "Period",
    "PhaseReached",
    "Schedule",
    "Settlement",
    "Side",
    "as_kwh",
    "as_tokens",
    "honest_supplier_split",
    "kwh",
    "tokens",
]

WAD = 10**18
CHUNK_SIZE = 16


def kwh(value: float | str) -> int:
    """kWh -> Wh (integer, rounded down), via the decimal text so 0.1 kWh is exactly 100 Wh."""
    return int(Decimal(str(value)) * 1000)


def tokens(value: float | str) -> int:
    """Whole tokens -> base units (18 decimals, rounded down), via the decimal text."""
    return int(Decimal(str(value)) * WAD)


def as_kwh(wh: int) -> str:
    """Wh as a kWh text, e.g. 12500 -> "12.5 kWh"."""
    return f"{Decimal(wh) / 1000:f} kWh"


def as_tokens(base_units: int) -> str:
    """Token base units (18 decimals) as whole tokens, exact, e.g. 5 * 10**17 -> "0.5 tokens"."""
    text = f"{Decimal(base_units) / WAD:f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return f"{text} tokens"


def _short(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) == 42 else address


def _name(address: str, labels: Mapping[str, str] | None) -> str:
    """The account's label when `labels` (checksummed address -> label, e.g. `Chain.labels`) knows it, else
    the short address."""
    return (labels or {}).get(address) or _short(address)


class OrderStatus(IntEnum):
    """`IEnergyMarket.OrderStatus`."""

    NONE = 0
    PROPOSED = 1
    AGREED = 2
    APPROVED = 3
    ACTIVE = 4
    SETTLED = 5
    REJECTED = 6
    CANCELLED = 7


class Origin(IntEnum):
    """`IEnergyMarket.Origin`."""

    BILATERAL = 0
    MATCHED = 1


class Side(IntEnum):
    """`IEnergyMarket.Side`: whose meter a reading comes from."""

    SELLER = 0
    BUYER = 1


for _enum in (OrderStatus, Origin, Side):
    register_enum(f"IEnergyMarket.{_enum.__name__}", _enum)


@dataclass(frozen=True)
class Schedule:
    """Phase lengths of a trading period, seconds (publish, matching, signing, delivery/readings)."""

    publish_s: int = 3_600
    matching_s: int = 1_800
    signing_s: int = 3_600
    readings_s: int = 86_400


@dataclass(frozen=True)
class Period:
    """`IEnergyMarket.Period`: the policy and the phase deadlines (unix seconds)."""

    id: int
    policy: str
    opens_at: int
    publish_end: int
    match_end: int
    sign_end: int
    readings_end: int

    def __repr__(self) -> str:
        return (
            f"Period(#{self.id}, policy {_short(self.policy)}: opened {iso_time(self.opens_at)}, "
            f"publish until {iso_time(self.publish_end)}, match until {iso_time(self.match_end)}, sign until "
            f"{iso_time(self.sign_end)}, readings until {iso_time(self.readings_end)})"
        )


class PhaseReached(int):
    """What `MarketClient.advance_to` returns: the chain time reached (unix seconds; it is that int, so code
    that used the number keeps working), shown as the phase of the period reached and when it started."""

    period_id: int
    phase: str
    starts_at: int

    def __new__(cls, now: int, period_id: int, phase: str, starts_at: int) -> PhaseReached:
        reached = super().__new__(cls, now)
        reached.period_id, reached.phase, reached.starts_at = period_id, phase, starts_at
        return reached

    def __repr__(self) -> str:
        return (
            f"PhaseReached({self.phase} of period #{self.period_id}, which started "
            f"{iso_time(self.starts_at)}; chain time now {iso_time(int(self))})"
        )

    __str__ = int.__repr__  # the number, as before, wherever it is formatted


@dataclass(frozen=True)
class Order:
    """`IEnergyMarket.Order` (energies Wh, amounts token base units)."""

    id: int
    seller: str
    period_id: int
    status: OrderStatus
    origin: Origin
    seller_signed: bool
    buyer_signed: bool
    buyer: str
    request_id: int
    energy_wh: int
    price_per_kwh: int
    bonus: int
    fee: int
    buyer_deposit: int
    seller_deposit: int
    delivered_wh: int
    received_wh: int
    #: Account labels by checksummed address (the client's `Chain.labels`), used by the repr only.
    labels: Mapping[str, str] | None = field(default=None, repr=False, compare=False)

    @property
    def energy_kwh(self) -> Decimal:
        """Contracted energy, kWh."""
        return Decimal(self.energy_wh) / 1000

    def __repr__(self) -> str:
        return (
            f"Order(#{self.id} {self.origin.name} {self.status.name}, period {self.period_id}: "
            f"{_name(self.seller, self.labels)} -> {_name(self.buyer, self.labels)}, "
            f"{as_kwh(self.energy_wh)} at "
            f"{as_tokens(self.price_per_kwh)}/kWh, bonus {as_tokens(self.bonus)}, fee {as_tokens(self.fee)}, "
            f"escrow buyer {as_tokens(self.buyer_deposit)} seller {as_tokens(self.seller_deposit)}, "
            f"metered {as_kwh(self.delivered_wh)} sent / {as_kwh(self.received_wh)} received)"
        )


@dataclass(frozen=True)
class Settlement:
    """What `settle` paid, from the `OrderSettled` event."""

    order_id: int
    delivered_wh: int
    received_wh: int
    fee: int
    to_seller: int
    to_buyer: int
    to_grid: int
    to_pool: int
    seller_penalty: int
    buyer_penalty: int
    reward: int
    gas_used: int

    def __repr__(self) -> str:
        return (
            f"Settlement(order #{self.order_id}: {as_kwh(self.delivered_wh)} sent, "
            f"{as_kwh(self.received_wh)} received; seller {as_tokens(self.to_seller)}, buyer "
            f"{as_tokens(self.to_buyer)}, grid {as_tokens(self.to_grid)}, pool {as_tokens(self.to_pool)}; "
            f"penalties seller {as_tokens(self.seller_penalty)} buyer {as_tokens(self.buyer_penalty)}, "
            f"reward {as_tokens(self.reward)}, fee {as_tokens(self.fee)}; {self.gas_used:,} gas)"
        )


def honest_supplier_split(
    energy_wh: int, price_per_kwh: int, bonus: int, delivered_wh: int, received_wh: int, tau_wh: int
) -> dict[str, int]:
    """Seed 003 §5.2 (eq 6-7) in the contract's integers: the pure oracle of `HonestSupplierSettlement`.

    The buyer escrowed ``bill = ceil(R*r/1000)`` plus `bonus`. Reward: the bonus if gamma >= R, half of
    it (rounded down) if rho >= R and gamma >= R - tau, else 0. Penalty when rho < R:
    ``ceil(r*(R - gamma)/1000)`` capped at the bill. The seller gets bill - penalty + reward; the buyer
    the rest.
    """
    bill = -(-energy_wh * price_per_kwh // 1000)
    if received_wh >= energy_wh:
        reward = bonus
    elif delivered_wh >= energy_wh and received_wh + tau_wh >= energy_wh:
        reward = bonus // 2
    else:
        reward = 0
    penalty = 0
    if delivered_wh < energy_wh:
        shortfall = max(energy_wh - received_wh, 0)
        penalty = min(-(-shortfall * price_per_kwh // 1000), bill)
    return {
        "to_seller": bill - penalty + reward,
        "to_buyer": bonus - reward + penalty,
        "reward": reward,
        "penalty": penalty,
        "deposit": bill + bonus,
    }


def meter_reading_typed_data(
    chain_id: int, order_book: str, order_id: int, side: int, energy_wh: int, meter: str, nonce: int
) -> dict[str, Any]:
    """EIP-712 typed data of `OrderBook`'s `MeterReading` (what a meter signs so anyone can relay it).

    `side` is 0 for the seller's meter (rho) and 1 for the buyer's (gamma); `energy_wh` in Wh; `nonce` is
    the meter's current nonce on the order book (`nonces(meter)`).
    """
    message = {"orderId": order_id, "side": side, "energyWh": energy_wh, "meter": meter, "nonce": nonce}
    domain = eip712.domain("EnergyMarket", chain_id, order_book)
    return eip712.typed_data("MeterReading", eip712.METER_READING_FIELDS, domain, message)


class MarketClient(SendingClient):
    """Drives the market contracts of a deployment."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment)
        self.book = deployment.order_book
        self.matching = deployment.matching
        self.reputation = deployment.reputation
        # Values that never change once read, so each is read once (a scenario would otherwise re-read them
        # for every order or period): immutables by name, each offer's and request's period, each order's
        # parties.
        self._immutables: dict[str, int] = {}
        self._offer_period: dict[int, int] = {}
        self._request_period: dict[int, int] = {}
        self._parties: dict[int, tuple[str, str]] = {}

    # ------------------------------------------------------------------ plumbing

    def _event(self, receipt: TxReceipt, contract: Any, name: str) -> list[Any]:
        return list(getattr(contract.events, name)().process_receipt(receipt, errors=DISCARD))

    def _immutable(self, contract: Any, name: str) -> int:
        """An `immutable` of a contract (handlingFee, tokensPerCurrency), read once."""
        key = f"{contract.address}.{name}"
        if key not in self._immutables:
            self._immutables[key] = getattr(contract.functions, name)().call()
        return self._immutables[key]

    # ------------------------------------------------------------------ tokens

    def fund(self, account: str, amount: int) -> TxResult:
        """Treasurer (the operator): issue `amount` token base units to `account` against off-chain cash."""
        t = self._immutable(self.token, "tokensPerCurrency")
        currency = -(-amount * WAD // t)  # round the cash up so at least `amount` tokens are minted
        return self._tx(self.token.functions.issue(account, currency), self.d.operator)

    def balance(self, account: str) -> int:
        """EnergyToken balance (base units)."""
        return self.token.functions.balanceOf(account).call()

    def withdrawable(self, account: str) -> int:
        """What `account` can pull from the order book."""
        return self.book.functions.withdrawable(account).call()

    def deposit(self, account: str, amount: int) -> TxResult:
        """Move `amount` token base units from `account`'s wallet into its internal balance on the order book
        (allows them first); `sign` then escrows from it with no further approval."""
        self.allow(account, amount)
        return self._tx(self.book.functions.deposit(amount), account)

    def allow(self, owner: str, amount: int) -> TxResult:
        """ERC-20 allowance for the order book to take `amount` from `owner` at signing."""
        return self._tx(self.token.functions.approve(self.book.address, amount), owner)

    # ------------------------------------------------------------------ periods

    def open_period(self, schedule: Schedule = Schedule(), policy: str | None = None) -> Period:
        """Operator: open a period starting now with `schedule`'s phase lengths (default policy: honest)."""
        now = self.chain.now()
        publish_end = now + schedule.publish_s
        match_end = publish_end + schedule.matching_s
        sign_end = match_end + schedule.signing_s
        readings_end = sign_end + schedule.readings_s
        receipt = self._send(
            self.book.functions.openPeriod(
                policy or self.d.honest_policy.address, publish_end, match_end, sign_end, readings_end
            ),
            self.d.operator,
        )
        period_id = self._event(receipt, self.book, "PeriodOpened")[0].args.periodId
        return self.period(period_id)

    def period(self, period_id: int) -> Period:
        """The period's schedule and policy; ValueError for a period that was never opened."""
        period = Period(period_id, *self.book.functions.period(period_id).call())
        if int(period.policy, 16) == 0:
            count = self.book.functions.periodCount().call()
            opened = f"periods opened: 1..{count}" if count else "no period opened yet"
            raise ValueError(f"period {period_id}: no such period ({opened})")
        return period

    def advance_to(self, period: Period, phase: str) -> PhaseReached:
        """Move the chain's clock to the start of `phase` of `period`: "matching", "signing", "delivery" (the
        period's signEnd: audits closed; a SignedBook grid order settles in its readings call from here),
        "settlement" (no-op if already past). Returns the chain time reached (unix seconds, an int) that shows
        the phase and its start time."""
        starts = {
            "matching": period.publish_end,
            "signing": period.match_end,
            "delivery": period.sign_end,
            "settlement": period.readings_end,
        }
        if phase not in starts:
            raise ValueError(f"unknown phase {phase!r}: use one of {sorted(starts)}")
        return PhaseReached(self.chain.advance_to(starts[phase]), period.id, phase, starts[phase])

    # ------------------------------------------------------------------ offers and requests

    def publish_offer(self, seller: str, period_id: int, price_per_kwh: int, capacity_wh: int) -> int:
        """Provider: publish (or replace) its offer; returns the offer id."""
        receipt = self._send(
            self.matching.functions.publishOffer(period_id, price_per_kwh, capacity_wh), seller
        )
        return self._event(receipt, self.matching, "OfferPublished")[0].args.offerId

    def publish_request(self, buyer: str, period_id: int, energy_wh: int, bonus: int = 0) -> int:
        """Consumer: publish a request; returns the request id."""
        receipt = self._send(self.matching.functions.publishRequest(period_id, energy_wh, bonus), buyer)
        return self._event(receipt, self.matching, "RequestPublished")[0].args.requestId

    def set_crossing_fee(self, zone_a: bytes, zone_b: bytes, fee_per_kwh: int) -> TxResult:
        """Operator: the grid-crossing fee per kWh between two zones (eta of eq 3)."""
        return self._tx(self.matching.functions.setCrossingFee(zone_a, zone_b, fee_per_kwh), self.d.operator)

    def book_of(self, period_id: int) -> tuple[list[int], list[int]]:
        """(offer ids, live request ids) published for a period, ascending (scans the ids on chain)."""
        offers, requests = self._book(period_id)
        return list(offers), list(requests)

    def _book(self, period_id: int) -> tuple[dict[int, Any], dict[int, Any]]:
        """The period's offers and live requests by id, ascending, as the contract returns them.

        Every id is scanned, but an id already seen in another period is skipped without a read: an offer's
        or a request's period never changes (an offer is replaced in place under its id)."""
        n_offers, n_requests = self.matching.functions.counts().call()
        offers: dict[int, Any] = {}
        for o in range(1, n_offers + 1):
            if self._offer_period.get(o, period_id) == period_id:
                raw = self.matching.functions.offer(o).call()
                self._offer_period[o] = raw[1]
                if raw[1] == period_id:
                    offers[o] = raw
        requests: dict[int, Any] = {}
        for r in range(1, n_requests + 1):
            if self._request_period.get(r, period_id) == period_id:
                raw = self.matching.functions.request(r).call()
                self._request_period[r] = raw[1]
                if raw[1] == period_id and not raw[2]:
                    requests[r] = raw
        return offers, requests

    def instance(self, period_id: int) -> MatchingInstance:
        """The period's matching problem with the contract's fixed point (ids are on-chain ids)."""
        book_offers, book_requests = self._book(period_id)
        offer_ids, request_ids = list(book_offers), list(book_requests)
        offers, requests = list(book_offers.values()), list(book_requests.values())
        t = self._immutable(self.matching, "tokensPerCurrency")
        fees: dict[tuple[bytes, bytes], int] = {}

        def fee(a: bytes, b: bytes) -> int:
            if (a, b) not in fees:
                fees[(a, b)] = self.matching.functions.crossingFee(a, b).call()
            return fees[(a, b)]

        # A prosumer's request paired with its own offer is refused on chain (`SelfMatch`): the solver has no
        # party information, so the pair is handed to it as infeasible (negative revenue).
        revenue = tuple(
            tuple(-1 if r[0] == o[0] else onchain_revenue_wad(r[3], o[2], fee(r[5], o[5]), t) for o in offers)
            for r in requests
        )
        return MatchingInstance(
            request_ids=tuple(request_ids),
            energy_wh=tuple(r[3] for r in requests),
            provider_ids=tuple(offer_ids),
            capacity_wh=tuple(o[3] for o in offers),
            revenue_wad=revenue,
            reputation_wad=tuple(o[4] for o in offers),
        )

    @staticmethod
    def pairs_of(result: MatchResult) -> list[tuple[int, int]]:
        """The (request id, offer id) pairs of an assignment, ascending by request id as verified."""
        inst = result.instance
        return sorted((int(inst.request_ids[i]), int(inst.provider_ids[j])) for i, j in result.pairs)

    def solve(self, period_id: int, time_limit_s: float | None = 30.0) -> MatchResult:
        """Solve the period's matching off chain (HiGHS MILP)."""
        return solve(self.instance(period_id), time_limit_s=time_limit_s)

    @classmethod
    def _pair_list(cls, pairs: Sequence[tuple[int, int]] | MatchResult) -> list[list[int]]:
        """(request id, offer id) pairs as the verifier takes them, from pairs or a `solve` result."""
        if isinstance(pairs, MatchResult):
            pairs = cls.pairs_of(pairs)
        return [list(p) for p in pairs]

    def evaluate(self, period_id: int, pairs: Sequence[tuple[int, int]] | MatchResult) -> tuple[int, int]:
        """The verifier's (objective WAD, served Wh) of `pairs` (or of a `solve` result), by eth_call
        (reverts like a submission)."""
        return self.chain.call(self.matching.functions.evaluate(period_id, self._pair_list(pairs)))

    def submit(
        self, submitter: str, period_id: int, pairs: Sequence[tuple[int, int]] | MatchResult
    ) -> TxResult:
        """Submit an assignment, (request id, offer id) pairs or a `solve` result, for verification during
        the matching window."""
        return self._tx(
            self.matching.functions.submitAssignment(period_id, self._pair_list(pairs)), submitter
        )

    def best(self, period_id: int) -> dict[str, Any]:
        """The stored best submission of a period."""
        b = self.matching.functions.best(period_id).call()
        keys = ("submitter", "pair_count", "chunk_count", "chunks_materialized", "objective_wad", "served_wh")
        return dict(zip(keys, b, strict=True))

    def materialize(
        self, sender: str, period_id: int, pairs: Sequence[tuple[int, int]] | MatchResult
    ) -> list[int]:
        """Turn every chunk of the (submitted, best) assignment `pairs` (or `solve` result) into orders;
        returns the order ids."""
        order_ids: list[int] = []
        pair_list = self._pair_list(pairs)
        for c in range(0, len(pair_list), CHUNK_SIZE):
            chunk = pair_list[c : c + CHUNK_SIZE]
            receipt = self._send(
                self.matching.functions.materialize(period_id, c // CHUNK_SIZE, chunk), sender
            )
            order_ids += [e.args.orderId for e in self._event(receipt, self.book, "MatchedOrderCreated")]
        return order_ids

    # ------------------------------------------------------------------ bilateral contracts

    def propose(self, seller: str, period_id: int, buyer: str, energy_wh: int, price_per_kwh: int) -> int:
        """Seller: propose a bilateral contract; returns the order id."""
        receipt = self._send(
            self.book.functions.proposeContract(period_id, buyer, energy_wh, price_per_kwh), seller
        )
        return self._event(receipt, self.book, "ContractProposed")[0].args.orderId

    def accept(self, buyer: str, order_id: int, bonus: int = 0) -> TxResult:
        """Buyer: accept a proposal with an optional honest-supplier bonus."""
        return self._tx(self.book.functions.acceptProposal(order_id, bonus), buyer)

    # ------------------------------------------------------------------ audit, escrow, readings, settlement

    def approve(self, order_id: int) -> TxResult:
        """Auditor: approve an agreed order."""
        return self._tx(self.book.functions.approveOrder(order_id, self.terms_hash(order_id)), self.d.auditor)

    def terms_hash(self, order_id: int) -> bytes:
        """The hash of an order's current terms, named by the auditor's approval (read it when reviewing)."""
        return bytes(self.book.functions.termsHash(order_id).call())

    def approve_many(self, order_ids: Sequence[int], reviewed: Sequence[bytes] | None = None) -> TxResult:
        """Auditor: approve many orders in one transaction (`reviewed`: the terms hashes read at review time,
        default: read now). Refused items are skipped; see `skipped()`."""
        hashes = list(reviewed) if reviewed is not None else [self.terms_hash(o) for o in order_ids]
        return self._tx(self.book.functions.approveOrders(list(order_ids), hashes), self.d.auditor)

    def skipped(self) -> list[tuple[int, bytes]]:
        """(item, revert data) of every batch item the last transaction skipped."""
        assert self.last_receipt is not None
        return [
            (e.args.item, bytes(e.args.reason))
            for e in self._event(self.last_receipt, self.book, "BatchItemSkipped")
        ]

    def reject(self, order_id: int, reason: str) -> TxResult:
        """Auditor: reject an agreed order with a short reason code."""
        return self._tx(
            self.book.functions.rejectOrder(order_id, reason.encode()[:32].ljust(32, b"\0")), self.d.auditor
        )

    def sign(self, party: str, order_id: int) -> TxResult:
        """Party: escrow its deposit (buyer: deposit + handling fee), from its internal balance when that
        covers it, otherwise from its wallet (allowed first)."""
        o = self.order(order_id)
        fee = self._immutable(self.book, "handlingFee")
        amount = o.buyer_deposit + fee if party == o.buyer else o.seller_deposit
        if amount and self.withdrawable(party) < amount:
            self.allow(party, amount)
        return self._tx(self.book.functions.sign(order_id), party)

    def reading_signature(self, meter: str, order_id: int, side: Side, energy_wh: int) -> bytes:
        """The meter's EIP-712 signature over its next reading (uses the meter's current nonce)."""
        nonce = self.book.functions.nonces(meter).call()
        typed = meter_reading_typed_data(
            self.chain.chain_id, self.book.address, order_id, int(side), energy_wh, meter, nonce
        )
        signed = self.chain.key_of(meter).sign_message(encode_typed_data(full_message=typed))
        return bytes(signed.signature)

    def submit_reading(
        self, order_id: int, side: Side, energy_wh: int, meter: str, relayer: str | None = None
    ) -> TxResult:
        """Record a cumulative meter reading: relayed by `relayer` with the meter's signature, or (relayer
        None) sent by the meter itself, which then needs ether for gas."""
        if relayer is None:
            return self._tx(
                self.book.functions.submitReading(order_id, int(side), energy_wh, meter, b""), meter
            )
        signature = self.reading_signature(meter, order_id, side, energy_wh)
        return self._tx(
            self.book.functions.submitReading(order_id, int(side), energy_wh, meter, signature), relayer
        )

    def submit_readings(self, relayer: str, readings: Sequence[tuple[int, Side, int, str]]) -> TxResult:
        """Relay many cumulative readings `(order_id, side, energy_wh, meter)` in one transaction, each signed
        by its meter here (nonces counted per meter in order). Refused items are skipped; see `skipped()`."""
        nonces: dict[str, int] = {}
        items = []
        for order_id, side, energy_wh, meter in readings:
            if meter not in nonces:
                nonces[meter] = self.book.functions.nonces(meter).call()
            nonce = nonces[meter]
            nonces[meter] = nonce + 1
            typed = meter_reading_typed_data(
                self.chain.chain_id, self.book.address, order_id, int(side), energy_wh, meter, nonce
            )
            sig = self.chain.key_of(meter).sign_message(encode_typed_data(full_message=typed)).signature
            items.append((order_id, int(side), energy_wh, meter, bytes(sig)))
        return self._tx(self.book.functions.submitReadings(items), relayer)

    def settle_many(self, sender: str, order_ids: Sequence[int]) -> dict[int, Settlement]:
        """Anyone: settle many orders in one transaction; returns what each settled order paid (an order its
        policy refused after the deadline falls back to refunds and is absent, as are skipped ones: see
        `skipped()`). Each `Settlement.gas_used` is the batch's gas divided by the orders settled."""
        receipt = self._send(self.book.functions.settleMany(list(order_ids)), sender)
        events = self._event(receipt, self.book, "OrderSettled")
        share = int(receipt["gasUsed"]) // max(len(events), 1)
        return {e.args.orderId: self._settlement(e.args, share) for e in events}

    def settle(self, sender: str, order_id: int) -> Settlement:
        """Settle an order after its readings window; returns what was paid."""
        receipt = self._send(self.book.functions.settle(order_id), sender)
        return self._settlement(
            self._event(receipt, self.book, "OrderSettled")[0].args, int(receipt["gasUsed"])
        )

    @staticmethod
    def _settlement(e: Any, gas_used: int) -> Settlement:
        o = e.outcome
        return Settlement(
            e.orderId,
            e.deliveredWh,
            e.receivedWh,
            e.fee,
            o["toSeller"],
            o["toBuyer"],
            o["toGrid"],
            o["toPool"],
            o["sellerPenalty"],
            o["buyerPenalty"],
            o["reward"],
            gas_used,
        )

    def expire(self, sender: str, order_id: int) -> TxResult:
        """Cancel an order that never took effect (after the signing window), refunding deposits."""
        return self._tx(self.book.functions.expire(order_id), sender)

    def withdraw(self, account: str) -> int:
        """Pull `account`'s withdrawable balance; returns the amount."""
        receipt = self._send(self.book.functions.withdraw(), account)
        return self._event(receipt, self.book, "Withdrawn")[0].args.amount

    def fold(self, provider: str, sender: str | None = None) -> int:
        """Fold the provider's finished periods into RC (eq 1-2); returns RC_j in WAD."""
        self._send(self.reputation.functions.fold(provider), sender or provider)
        return self.reputation_of(provider)

    # ------------------------------------------------------------------ views

    def order(self, order_id: int) -> Order:
        """One order; ValueError for an order that was never created."""
        raw = self.book.functions.order(order_id).call()
        if OrderStatus(raw[2]) is OrderStatus.NONE:
            count = self.book.functions.orderCount().call()
            created = f"orders created: 1..{count}" if count else "no order created yet"
            raise ValueError(f"order {order_id}: no such order ({created})")
        status, origin = OrderStatus(raw[2]), Origin(raw[3])
        order = Order(order_id, raw[0], raw[1], status, origin, *raw[4:], labels=self.chain.labels)
        self._parties[order_id] = (order.seller, order.buyer)
        return order

    def parties(self, order_id: int) -> tuple[str, str]:
        """(seller, buyer) of an order: read once (with `order`), since an order's parties never change."""
        if order_id not in self._parties:
            self.order(order_id)
        return self._parties[order_id]

    def activated(self, result: TxResult) -> bool:
        """Whether the transaction of `result` (a `sign`) activated its order (an `OrderActivated` event),
        read from its receipt instead of from the order afterwards."""
        return bool(self._event(result.receipt, self.book, "OrderActivated"))

    def reputation_of(self, provider: str) -> int:
        """RC_j in WAD after the provider's last folded period."""
        return self.reputation.functions.reputationOf(provider).call()

    def totals(self) -> dict[str, int]:
        """The order book's token accounting: balance held, escrowed, withdrawable."""
        return {
            "held": self.balance(self.book.address),
            "escrowed": self.book.functions.totalEscrowed().call(),
            "withdrawable": self.book.functions.totalWithdrawable().call(),
        }
