"""Chain client for `SignedBook`, the lean signed-bilateral lifecycle (issue 13).

A seller and a buyer sign the terms of a bilateral contract off chain (EIP-712 `Deal`); anyone opens it in
one transaction, escrowing from the parties' internal balances on the signed book (`deposit` once,
`withdraw` when wanted). The auditor approves it naming the whole order; the two meters sign their FINAL
reading of the order and a relayer hands both in with `report`, which settles the order in the same
transaction. Every call after opening passes the order itself (`SignedOrder.order`): the book stores only its
hash. Batches (`open_many`, `approve_many`, `report_many`, `settle_many`) skip a refused item alone.
Matched trades (seed 003 eq 5) take the same path: after the matching window `materialize` hands the verified
best assignment of the `MatchingMarket` (published with `MarketClient.publish_offer` / `publish_request` /
`submit`) to the signed book, one order word per pair, escrowed from the signed-book balances, for the buyers
that accepted its price (`set_matched_price_cap`; a request names no price).
Provider reputation (seed 003 eq 1-2): the book tallies each seller's orders per period (`tally`);
`ProviderReputation.fold` (`fold` here) reads the tally, so no extra call is needed to record a trade.
Handling fees (pull payments): a settlement accrues its order's fee in the seller's period tally; anyone
moves the accrued fees to the fee recipient's internal balance with `collect_fees` (`uncollected_fees`).
Energies are Wh and token amounts base units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.messages import encode_typed_data
from web3 import Web3
from web3.logs import DISCARD

from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import register_enum
from energy_trading.chain.txresult import TxResult
from energy_trading.clients import eip712
from energy_trading.clients.market import CHUNK_SIZE, MarketClient, Settlement, Side
from energy_trading.clients.sending import SendingClient
from energy_trading.models.matching import MatchResult

__all__ = [
    "SignedClient",
    "SignedOrder",
    "SignedStatus",
    "Tally",
    "compact",
    "deal_typed_data",
    "final_reading_typed_data",
]


class SignedStatus(IntEnum):
    """An order's status on the signed book (`SignedClient.status`; the book's private constants)."""

    NONE = 0  # never opened, or ended (settled, cancelled, expired)
    AGREED = 1  # opened, not approved yet
    ACTIVE = 2  # approved
    ACTIVE_READ = 3  # approved, one side's final reading stored


# `WrongOrder(orderId, expectedStatus)` carries the status as a uint256: a revert names it
register_enum("WrongOrder.expectedStatus", SignedStatus)

_NO_READING = (0, "0x0000000000000000000000000000000000000000", b"\0" * 32, b"\0" * 32)
_ORDER_TYPES = ["uint256", "address", "address", "uint256", "uint256", "uint256", "address"]
_ORDER_TYPES += ["uint64", "uint64", "uint128", "uint128"]


def _domain(chain_id: int, book: str) -> dict[str, Any]:
    return eip712.domain("SignedBook", chain_id, book)


def deal_typed_data(chain_id: int, book: str, deal: Sequence[Any]) -> dict[str, Any]:
    """EIP-712 typed data of a `Deal` `(periodId, seller, buyer, energyWh, pricePerKwh, bonus, nonce)` on the
    signed book at `book` (energy in Wh, price per kWh and bonus in token base units; any unspent nonce)."""
    message = dict(zip((f["name"] for f in eip712.DEAL_FIELDS), deal, strict=True))
    return eip712.typed_data("Deal", eip712.DEAL_FIELDS, _domain(chain_id, book), message)


def compact(signature: bytes) -> tuple[bytes, bytes]:
    """EIP-2098 compact form `(r, vs)` of a 65-byte signature `r || s || v` (v 27 or 28)."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r, ((v - 27) << 255 | s).to_bytes(32, "big")


def final_reading_typed_data(
    chain_id: int, book: str, order_id: int, side: int, energy_wh: int, meter: str
) -> dict[str, Any]:
    """EIP-712 typed data of a meter's `FinalReading` of an order (side 0 seller / rho, 1 buyer; Wh)."""
    message = {"orderId": order_id, "side": side, "energyWh": energy_wh, "meter": meter}
    return eip712.typed_data("FinalReading", eip712.READING_FIELDS, _domain(chain_id, book), message)


@dataclass(frozen=True)
class Tally:
    """The signed book's reputation tally of one seller in one period (`SignedBook.tallyOf`).

    Attributes:
        open_orders: orders opened and not ended yet (Agreed or Active); `fold` waits while any is open, at
            most until the period's readings end + settlement grace.
        trades: orders settled through the policy (expired, rejected and fallen-back orders are no trade).
        sum_v_wad: sum over those trades of v = min(1, delivered / agreed) in WAD (seed 003 §5.1.2).
    """

    open_orders: int
    trades: int
    sum_v_wad: int


@dataclass(frozen=True)
class SignedOrder:
    """An opened order: its id (the deal's EIP-712 digest) and the `Order` tuple every later call passes."""

    id: int
    order: tuple[Any, ...]

    @property
    def hash(self) -> bytes:
        """`SignedBook.orderHash(order)`: keccak256 of the ABI-encoded order (what the auditor names)."""
        return Web3.keccak(abi_encode(_ORDER_TYPES, list(self.order)))

    @property
    def seller(self) -> str:
        """The seller's address."""
        return self.order[1]

    @property
    def buyer(self) -> str:
        """The buyer's address."""
        return self.order[2]


class SignedClient(SendingClient):
    """Drives a deployment's `SignedBook`; signs as each step's account."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment)
        self.book = deployment.signed_book
        self._next_nonce: dict[str, int] = {}
        self._handling_fee: int | None = None
        self.matched_skipped: list[tuple[int, bytes]] = []

    # ------------------------------------------------------------------ plumbing

    def _events(self, name: str) -> list[Any]:
        assert self.last_receipt is not None
        return list(getattr(self.book.events, name)().process_receipt(self.last_receipt, errors=DISCARD))

    def skipped(self) -> list[tuple[int, bytes]]:
        """(index, revert data) of every batch item the last transaction skipped."""
        return [(e.args.index, bytes(e.args.reason)) for e in self._events("BatchItemSkipped")]

    # ------------------------------------------------------------------ balances

    def deposit(self, account: str, amount: int) -> TxResult:
        """Move `amount` token base units from `account`'s wallet into its internal balance, first allowing
        the book exactly `amount` unless a standing allowance (`allow`) already covers it."""
        if self.token.functions.allowance(account, self.book.address).call() < amount:
            self._send(self.token.functions.approve(self.book.address, amount), account)
        return self._tx(self.book.functions.deposit(amount), account)

    def allow(self, owner: str, amount: int) -> TxResult:
        """`owner` allows the book to pull up to `amount` token base units on `deposit` (one standing
        allowance instead of an approval per deposit)."""
        return self._tx(self.token.functions.approve(self.book.address, amount), owner)

    def escrow(self, book_policy: str, deal: Sequence[Any]) -> tuple[int, int]:
        """What opening `deal` takes from the parties' internal balances (token base units): (buyer's deposit
        plus the handling fee, seller's deposit), from the policy the book maps `book_policy` (the period's
        policy on the order book) to."""
        policy = self.book.functions.policyFor(book_policy).call()
        if int(policy, 16) == 0:
            raise ValueError(f"period policy {book_policy}: not mapped on the signed book (mapPolicy)")
        abi = self.d.signed_policy.abi  # every policy has ISettlementPolicy's `deposits`
        terms = (0, *deal[:6], 0)  # Terms(orderId, periodId, seller, buyer, energyWh, pricePerKwh, bonus, 0)
        buyer, seller = self.chain.w3.eth.contract(address=policy, abi=abi).functions.deposits(terms).call()
        return buyer + self._fee(), seller

    def withdraw(self, account: str) -> int:
        """Pull `account`'s whole internal balance; returns the amount (token base units)."""
        self._send(self.book.functions.withdraw(), account)
        return self._events("Withdrawn")[0].args.amount

    def withdrawable(self, account: str) -> int:
        """`account`'s internal balance on the signed book (token base units)."""
        return self.book.functions.withdrawable(account).call()

    def uncollected_fees(self, pairs: Sequence[tuple[str, int]]) -> int:
        """Handling fees of the settled trades of each (seller, period id) in `pairs` that nobody collected
        yet (token base units, each pair once): a settlement accrues its fee in the seller's period tally
        instead of crediting the fee recipient, and `collect_fees` moves it to the fee recipient's internal
        balance."""
        return sum(self.book.functions.uncollectedFees(s, p).call() for s, p in set(pairs))

    def collect_fees(self, sender: str, pairs: Sequence[tuple[str, int]]) -> int:
        """Anyone: credit the fee recipient's internal balance with the accrued handling fees of the (seller,
        period id) `pairs`; returns the amount (token base units). No transaction when nothing is due (the
        book refuses a collection of nothing: `NothingToCollect`)."""
        due = [(s, p) for s, p in dict.fromkeys(pairs) if self.book.functions.uncollectedFees(s, p).call()]
        if not due:
            return 0
        self._send(self.book.functions.collectFees([s for s, _ in due], [p for _, p in due]), sender)
        return sum(e.args.amount for e in self._events("FeesCollected"))

    def set_matched_price_cap(self, buyer: str, max_price_per_kwh: int) -> TxResult:
        """`buyer` (for itself only) accepts matched orders (`materialize`) up to `max_price_per_kwh` token
        base units per kWh; a pair whose offer is dearer is skipped with `PriceAboveCap`. The default cap is
        0: a buyer that never sets one gets no matched order (a request names no price, so this is the
        buyer's consent to the offers' prices)."""
        if max_price_per_kwh < 0:
            raise ValueError(
                f"max_price_per_kwh: must be >= 0 token base units per kWh, got {max_price_per_kwh}"
            )
        return self._tx(self.book.functions.setMatchedPriceCap(max_price_per_kwh), buyer)

    def matched_price_cap(self, buyer: str) -> int:
        """The highest price per kWh (token base units) `buyer` accepts on a matched order (0: none)."""
        return self.book.functions.matchedPriceCap(buyer).call()

    # ------------------------------------------------------------------ opening

    def next_nonce(self, seller: str) -> int:
        """The seller's next unspent nonce, counted here from 0 (unordered nonces: any unspent one works)."""
        n = self._next_nonce.get(seller, 0)
        while self.book.functions.nonceUsed(seller, n).call():
            n += 1
        self._next_nonce[seller] = n + 1
        return n

    def deal(
        self, seller: str, period_id: int, buyer: str, energy_wh: int, price_per_kwh: int, bonus: int = 0
    ) -> tuple[Any, ...]:
        """The `Deal` tuple for these terms with the seller's next unspent nonce."""
        return (period_id, seller, buyer, energy_wh, price_per_kwh, bonus, self.next_nonce(seller))

    def sign_deal(self, party: str, deal: Sequence[Any]) -> bytes:
        """`party`'s EIP-712 signature of `deal` (made with its key, off chain)."""
        typed = deal_typed_data(self.chain.chain_id, self.book.address, deal)
        return bytes(self.chain.key_of(party).sign_message(encode_typed_data(full_message=typed)).signature)

    def _opened(self) -> list[SignedOrder]:
        return [SignedOrder(e.args.orderId, tuple(e.args.order.values())) for e in self._events("Opened")]

    def open(
        self,
        seller: str,
        period_id: int,
        buyer: str,
        energy_wh: int,
        price_per_kwh: int,
        bonus: int = 0,
        relayer: str | None = None,
    ) -> SignedOrder:
        """Both parties sign the terms here; `relayer` (default the seller) opens the contract in one call,
        escrowing the deposits and the fee from the internal balances."""
        deal = self.deal(seller, period_id, buyer, energy_wh, price_per_kwh, bonus)
        fn = self.book.functions.open(deal, self.sign_deal(seller, deal), self.sign_deal(buyer, deal))
        self._send(fn, relayer or seller)
        return self._opened()[0]

    def open_many(self, relayer: str, deals: Sequence[Sequence[Any]]) -> list[SignedOrder]:
        """Open many signed deals in one call (each signed here by its two parties); refused items are skipped
        (`skipped()`). Returns the orders opened."""
        sellers = [self.sign_deal(d[1], d) for d in deals]
        buyers = [self.sign_deal(d[2], d) for d in deals]
        self._send(self.book.functions.openMany([tuple(d) for d in deals], sellers, buyers), relayer)
        return self._opened()

    def matched_order_id(self, request_id: int) -> int:
        """The signed-book order id of a materialised request: keccak256(abi.encode(matching, requestId))."""
        encoded = abi_encode(["address", "uint256"], [self.d.matching.address, request_id])
        return int.from_bytes(Web3.keccak(encoded), "big")

    def materialize(
        self,
        sender: str,
        period_id: int,
        pairs: Sequence[tuple[int, int]] | MatchResult,
        chunks_per_call: int = 4,
    ) -> list[SignedOrder]:
        """Open every pair of the period's best assignment `pairs` (as submitted, or the `solve` result) as a
        signed-book order, `chunks_per_call` chunks of CHUNK_SIZE pairs per transaction (`materializeSigned`,
        between matchEnd and signEnd). Each buyer must first accept the prices (`set_matched_price_cap`). A
        pair the book refuses (a party inactive or short of balance on the signed book, the offer's price
        above the buyer's cap, its request already opened) is skipped alone: `matched_skipped` then lists
        (pair index in `pairs`, revert data); handing the same pairs in again retries them. Returns the orders
        opened."""
        if chunks_per_call < 1:
            raise ValueError(f"chunks_per_call: must be at least 1, got {chunks_per_call}")
        pair_list = MarketClient._pair_list(pairs)
        step = CHUNK_SIZE * chunks_per_call
        orders: list[SignedOrder] = []
        self.matched_skipped = []
        for c in range(0, len(pair_list), step):
            chunk = pair_list[c : c + step]
            self._send(self.d.matching.functions.materializeSigned(period_id, c // CHUNK_SIZE, chunk), sender)
            orders += self._opened()
            self.matched_skipped += [(c + i, reason) for i, reason in self.skipped()]
        return orders

    def revoke(self, party: str, deal: Sequence[Any]) -> TxResult:
        """Seller (spends its nonce) or buyer (closes this one deal): revoke terms not yet opened."""
        return self._tx(self.book.functions.revoke(tuple(deal)), party)

    # ------------------------------------------------------------------ audit

    def approve(self, o: SignedOrder) -> TxResult:
        """Auditor: approve (activate) the order it reviewed."""
        return self._tx(self.book.functions.approve(o.id, o.hash), self.d.auditor)

    def approve_many(self, orders: Sequence[SignedOrder]) -> TxResult:
        """Auditor: approve many orders in one call; refused items are skipped (`skipped()`)."""
        return self._tx(
            self.book.functions.approveMany([o.id for o in orders], [o.hash for o in orders]), self.d.auditor
        )

    def reject(self, o: SignedOrder, reason: str) -> TxResult:
        """Auditor: reject an opened order (escrow refunded) with a short reason code."""
        code = reason.encode()[:32].ljust(32, b"\0")
        return self._tx(self.book.functions.reject(o.id, o.order, code), self.d.auditor)

    def expire(self, sender: str, o: SignedOrder) -> TxResult:
        """Anyone after the period's signing window: end an order never approved (escrow refunded)."""
        return self._tx(self.book.functions.expire(o.id, o.order), sender)

    # ------------------------------------------------------------------ readings and settlement

    def final_reading(
        self, o: SignedOrder, side: Side, energy_wh: int, meter: str
    ) -> tuple[int, str, bytes, bytes]:
        """A `Reading` tuple: `meter`'s final reading of the order (Wh) with its compact EIP-712 signature."""
        typed = final_reading_typed_data(
            self.chain.chain_id, self.book.address, o.id, int(side), energy_wh, meter
        )
        sig = self.chain.key_of(meter).sign_message(encode_typed_data(full_message=typed)).signature
        return (energy_wh, meter, *compact(bytes(sig)))

    def report_item(
        self,
        o: SignedOrder,
        delivered: tuple[int, str] | None,
        received: tuple[int, str] | None,
    ) -> tuple[Any, ...]:
        """A `Report` tuple with the seller's `(Wh, meter)` and the buyer's `(Wh, meter)` final readings
        (None: that side not in this report)."""
        seller = self.final_reading(o, Side.SELLER, *delivered) if delivered else _NO_READING
        buyer = self.final_reading(o, Side.BUYER, *received) if received else _NO_READING
        return (o.id, o.order, seller, buyer)

    def _settlements(self) -> dict[int, Settlement]:
        assert self.last_receipt is not None
        events = self._events("Settled")
        fee = self._fee()
        share = int(self.last_receipt["gasUsed"]) // max(len(events), 1)
        return {
            e.args.orderId: Settlement(
                e.args.orderId,
                e.args.deliveredWh,
                e.args.receivedWh,
                fee,
                *(e.args.outcome[k] for k in ("toSeller", "toBuyer", "toGrid", "toPool")),
                *(e.args.outcome[k] for k in ("sellerPenalty", "buyerPenalty", "reward")),
                share,
            )
            for e in events
        }

    def report(
        self,
        relayer: str,
        o: SignedOrder,
        delivered: tuple[int, str] | None,
        received: tuple[int, str] | None,
    ) -> Settlement | None:
        """Relay the final readings of an order; returns its settlement when this call completed the readings
        (None when one side is still missing)."""
        self._send(self.book.functions.report(self.report_item(o, delivered, received)), relayer)
        return self._settlements().get(o.id)

    def report_many(self, relayer: str, items: Sequence[tuple[Any, ...]]) -> dict[int, Settlement]:
        """Relay many `report_item`s in one call; returns the settlements made (refused: `skipped()`)."""
        self._send(self.book.functions.reportMany(list(items)), relayer)
        return self._settlements()

    def _fee(self) -> int:
        """The book's handling fee (immutable, read once)."""
        if self._handling_fee is None:
            self._handling_fee = self.book.functions.handlingFee().call()
        return self._handling_fee

    def settle(self, sender: str, o: SignedOrder) -> Settlement | None:
        """Anyone after the readings window: settle with the stored readings (None when it fell back)."""
        self._send(self.book.functions.settle(o.id, o.order), sender)
        return self._settlements().get(o.id)

    def settle_many(self, sender: str, orders: Sequence[SignedOrder]) -> dict[int, Settlement]:
        """Anyone: `settle` many in one call; refused items are skipped (`skipped()`)."""
        self._send(self.book.functions.settleMany([o.id for o in orders], [o.order for o in orders]), sender)
        return self._settlements()

    def period_contracted_wh(self, period_id: int) -> int:
        """Wh of every approved order of a grid-balanced period on the signed book (what its settlements pass
        as the period's total, seed 001 eq 15; 0 for an honest-supplier period)."""
        return self.book.functions.periodContractedWh(period_id).call()

    # ------------------------------------------------------------------ reputation

    def tally(self, seller: str, period_id: int) -> Tally:
        """The book's reputation tally of `seller` in `period_id` (counts, and the sum of v in WAD)."""
        return Tally(*self.book.functions.tallyOf(seller, period_id).call())

    def fold(self, provider: str, sender: str | None = None) -> int:
        """Anyone: fold the provider's finished periods (this book's tallies and the order book's records
        together) into RC (seed 003 eq 1-2); returns RC_j in WAD. A period with an open order waits until
        nothing is open or its readings end + settlement grace has passed."""
        self._send(self.d.reputation.functions.fold(provider), sender or provider)
        return self.reputation_of(provider)

    def reputation_of(self, provider: str) -> int:
        """RC_j in WAD after the provider's last folded period."""
        return self.d.reputation.functions.reputationOf(provider).call()

    def status(self, o: SignedOrder) -> int:
        """0 none or ended, 1 Agreed (opened), 2 Active (approved), 3 Active with one final reading stored."""
        return self.book.functions.statusOf(o.id, o.order).call()
