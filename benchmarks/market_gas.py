"""Gas per step of the market's order lifecycle, beside an OpenZeppelin ERC-20 `transfer` measured in the
same run as the baseline unit.

Steps: publish an offer, publish a request, submit an assignment (and its gas per pair at 1, 16 and 64
pairs, so the per-pair cost of on-chain verification shows), materialise one chunk of 16 matched orders,
propose and accept a bilateral contract, the auditor's approval, the buyer's signature (escrow of deposit
and fee, from its wallet and from its internal balance), a meter reading sent by the meter and one relayed
with its EIP-712 signature, settlement (honest-supplier policy), reputation folding and the pulled withdrawal;
a deposit into the internal balance.

All-in totals of one trade (every transaction from agreement to settlement, steady state: accounts already
registered, offers published):
- legacy bilateral: propose, accept, audit, ERC-20 approve, sign, two relayed readings, settle, two
  withdrawals (the path before issue 13);
- OrderBook bilateral from the internal balance: propose, accept, audit, the buyer's sign from its internal
  balance, two relayed readings, settle (a deposit or withdrawal happens when the user wants, not per trade);
- lean matched: the request, its share of the offer and of the assignment (1 pair) and one materialised
  order (a chunk of 16 / 16), audit, the buyer's sign from its internal balance, two readings, settle.
Batched per trade, at 10 and 100 trades in one period: the same lifecycles with the audit, the readings and
the settlement each sent as one batch (`approveOrders`, `submitReadings`, `settleMany`), total gas / trades.
`OrderBook`'s signed opening (`openSignedContract`, the "lean bilateral" rows of earlier runs) was removed
(review 2 finding 2); the OrderBook bilateral rows are its remaining path: propose + accept + sign.
SignedBook (issue 13, docs/gas.md): open with both signatures, audit by hash, both final readings relayed in
one call that settles, for the first trade of new parties and in steady state (same parties again), and per
trade at 10 and 100 trades batched (`openMany`, `approveMany`, `reportMany`): for 10 sellers and 10 buyers
that never traded (fresh) and for the same parties again in a new period (steady state).
Handling fees: a SignedBook settlement accrues its fee in the seller's period tally; `collectFees` (anyone,
whenever, many (seller, period) pairs in one call) credits them to the fee recipient and is not part of a
trade's figures, as deposits and withdrawals are not. Matched trades on the
SignedBook: offer, request, assignment, `materializeSigned` (one order word per pair, terms from the request
and offer), audit, readings that settle; all-in for one trade (first and steady state) and per trade at 10
and 100 (64 pairs per `materializeSigned` call, `approveMany`, `reportMany`), beside the OrderBook matched
figures ("lean matched") of the same run.
One grid-balanced trade (seed 001 §4.3, `GridBalancedSettlement` with credit weights, node weights and the
penalty pool) on each book, same run, fresh parties whose settlement opens a new credit round and enrols them:
on OrderBook propose, accept, audit, both parties' sign from their internal balances, two relayed readings,
settle after the readings window (8 transactions);
on SignedBook open, audit, both final readings in one call that settles (from the period's signEnd, 3).
The baseline is `EnergyToken.transfer` (an unmodified OpenZeppelin 5 ERC-20 transfer between two funded
accounts), so "x transfer" reads as: this step costs as much as that many plain token transfers.

Runs on the in-process EVM (py-evm) unless `--rpc` names a node; gas does not depend on the backend.
Progress (one line per phase with the seconds since the start) goes to stderr; stdout has only the table
or the JSON.
Usage: python benchmarks/market_gas.py [--rpc URL] [--json] [--plot PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from energy_trading import connect, deploy
from energy_trading.clients.market import CHUNK_SIZE, MarketClient, Side, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.clients.signed import SignedClient, SignedOrder

BASELINE = "OpenZeppelin ERC-20 transfer"
_START = time.monotonic()


def _say(message: str) -> None:
    """One progress line on stderr with the seconds since the start (stdout keeps the table or the JSON)."""
    print(f"[market_gas {time.monotonic() - _START:6.1f} s] {message}", file=sys.stderr, flush=True)


def measure(rpc: str | None) -> dict[str, int]:
    """Run every step once (the assignment at three sizes) and return gas used per step."""
    _say(f"deploying ({rpc or 'in-process EVM'})")
    chain = connect(rpc, seed="bench:market-gas")
    d = deploy(chain)
    _say("deployed; registering 12 participants, offers, requests, assignments (1, 16, 64 pairs)")
    reg, mk = RegistryClient(d), MarketClient(d)
    gas: dict[str, int] = {}

    def used() -> int:
        return int(mk.last_receipt["gasUsed"])

    providers = [reg.register(f"p{i}", Role.GENERATOR, Source.SOLAR, zone="north") for i in range(4)]
    consumers = [reg.register(f"c{i}", Role.CONSUMER, zone="north") for i in range(8)]
    for p in providers + consumers:
        reg.approve(p.address)
    for c in consumers:
        mk.fund(c.address, tokens(10_000))
        mk.allow(c.address, 2**255)
    # the baseline: a plain transfer between two funded accounts (warm recipient, like most market steps)
    mk.fund(providers[0].address, tokens(1))
    chain.transact(d.token.functions.transfer(consumers[1].address, 1), consumers[0].address)
    mk._send(d.token.functions.transfer(consumers[1].address, 1), consumers[0].address)
    gas[BASELINE] = used()

    period = mk.open_period()
    gas["open period (operator)"] = used()
    offers = []
    for p in providers:
        offers.append(mk.publish_offer(p.address, period.id, tokens("0.5"), kwh(1_000)))
    gas["publish offer"] = used()
    requests = []
    for k in range(64):
        requests.append(mk.publish_request(consumers[k % 8].address, period.id, 1_000 + k, tokens("0.1")))
    gas["publish request"] = used()
    mk.advance_to(period, "matching")
    per_pair = {}
    for n in (1, 16, 64):
        pairs = [(r, offers[i % 4]) for i, r in enumerate(requests[:n])]
        mk.submit(consumers[0].address, period.id, pairs)
        gas[f"submit assignment, {n} pair{'s' if n > 1 else ''}"] = used()
        per_pair[n] = used()
    gas["  marginal gas per verified pair (16 -> 64)"] = (per_pair[64] - per_pair[16]) // 48
    mk.advance_to(period, "signing")
    pairs = [(r, offers[i % 4]) for i, r in enumerate(requests[:64])]
    orders = mk.materialize(consumers[0].address, period.id, pairs[:CHUNK_SIZE])
    gas[f"materialise a chunk of {CHUNK_SIZE} matched orders"] = used()

    # bilateral contract, audit, escrow, readings, settlement, withdrawal on a fresh period
    _say("one bilateral trade on OrderBook, from the wallet and from the internal balance")
    period2 = mk.open_period()
    seller, buyer = providers[1], consumers[2]
    oid = mk.propose(seller.address, period2.id, buyer.address, kwh(10), tokens("0.5"))
    gas["propose bilateral contract"] = used()
    mk.accept(buyer.address, oid, tokens("0.5"))
    gas["accept proposal"] = used()
    mk.approve(oid)
    gas["audit: approve order"] = used()
    mk._send(d.order_book.functions.sign(oid), buyer.address)
    gas["sign: escrow deposit + fee"] = used()
    mk.approve(orders[0])
    # the meter itself needs ether to send its own reading (relayed readings need none)
    fund = chain.w3.eth.send_transaction({"from": chain.funder, "to": seller.meters[0], "value": 10**18})
    chain.w3.eth.wait_for_transaction_receipt(fund)
    mk.submit_reading(oid, Side.SELLER, kwh(10), seller.meters[0])
    gas["meter reading sent by the meter"] = used()
    mk.submit_reading(oid, Side.BUYER, kwh("9.9"), buyer.meters[0], relayer=providers[3].address)
    gas["meter reading relayed with EIP-712 signature"] = used()
    mk.advance_to(period2, "settlement")
    mk.settle(providers[3].address, oid)
    gas["settle (honest-supplier policy)"] = used()
    mk.fold(seller.address)
    gas["fold reputation (1 period)"] = used()
    mk.withdraw(seller.address)
    gas["withdraw"] = used()
    mk.allow(buyer.address, tokens(10))
    gas["ERC-20 approve before signing"] = used()

    # the same bilateral trade with escrow from and payment to the internal balances (no ERC-20 approve)
    period3 = mk.open_period()
    for a in (seller, buyer):
        mk.fund(a.address, tokens(1_000))
    mk.deposit(seller.address, tokens(100))
    mk.deposit(buyer.address, tokens(100))
    gas["deposit into internal balance (when the user wants)"] = used()
    internal = mk.propose(seller.address, period3.id, buyer.address, kwh(10), tokens("0.5"))
    steps = [used()]
    mk.accept(buyer.address, internal, tokens("0.5"))
    steps.append(used())
    mk.approve(internal)
    steps.append(used())
    mk.sign(buyer.address, internal)  # from the internal balance: no allowance needed
    steps.append(used())
    mk.submit_reading(internal, Side.SELLER, kwh(10), seller.meters[0], relayer=providers[3].address)
    steps.append(used())
    mk.submit_reading(internal, Side.BUYER, kwh("9.9"), buyer.meters[0], relayer=providers[3].address)
    steps.append(used())
    mk.advance_to(period3, "settlement")
    mk.settle(providers[3].address, internal)
    steps.append(used())
    gas["ALL-IN legacy bilateral (11 transactions)"] = (
        sum(
            gas[k]
            for k in (
                "propose bilateral contract",
                "accept proposal",
                "audit: approve order",
                "ERC-20 approve before signing",
                "sign: escrow deposit + fee",
                "meter reading relayed with EIP-712 signature",
                "settle (honest-supplier policy)",
            )
        )
        + gas["meter reading relayed with EIP-712 signature"]
        + 2 * gas["withdraw"]
    )
    gas["ALL-IN OrderBook bilateral, internal balance (7 transactions)"] = sum(steps)
    _say("lean matched trade on OrderBook")
    gas.update(lean_matched(chain, d, reg, mk))
    _say("SignedBook: one trade, new parties and the same parties again")
    gas.update(signed_book(chain, d, reg, mk))
    _say("grid-balanced trade on each book")
    gas.update(grid_trade(chain, d, reg, mk))
    for n in (10, 100):
        _say(f"OrderBook: {n} bilateral trades batched")
        gas[f"PER TRADE OrderBook bilateral, {n} trades batched"] = batched_bilateral(chain, d, reg, mk, n)
        _say(f"OrderBook: {n} matched trades batched")
        gas[f"PER TRADE lean matched, {n} trades batched"] = batched_matched(chain, d, reg, mk, n)
    for n in (10, 100):
        _say(f"SignedBook: {n} bilateral trades batched, new parties then the same parties again")
        fresh, steady = batched_signed(chain, d, reg, mk, n)
        gas[f"SignedBook PER TRADE bilateral, {n} trades batched"] = fresh
        gas[f"SignedBook PER TRADE bilateral, {n} trades batched, steady state"] = steady
    _say("SignedBook: one matched trade")
    gas.update(signed_matched(chain, d, reg, mk))
    for n in (10, 100):
        _say(f"SignedBook: {n} matched trades batched")
        split = batched_signed_matched(chain, d, reg, mk, n)
        gas[f"SignedBook PER TRADE matched, {n} trades batched"] = sum(split.values())
        for step, value in split.items():
            gas[f"  of which {step}, at {n}"] = value
    _say("done")
    return gas


def _signed_people(
    reg: RegistryClient, mk: MarketClient, sb: SignedClient, tag: str, n: int
) -> tuple[list[Any], list[Any]]:
    """`n` approved providers and consumers, each with tokens in its SignedBook internal balance; each
    consumer accepts matched orders up to 1 token/kWh (its `matchedPriceCap`, set once like the deposit)."""
    providers = [reg.register(f"{tag}p{i}", Role.GENERATOR, Source.SOLAR, zone="north") for i in range(n)]
    consumers = [reg.register(f"{tag}c{i}", Role.CONSUMER, zone="north") for i in range(n)]
    for a in providers + consumers:
        reg.approve(a.address)
        mk.fund(a.address, tokens(10_000))
        sb.deposit(a.address, tokens(10_000))
    for c in consumers:
        sb.set_matched_price_cap(c.address, tokens(1))
    return providers, consumers


def signed_book(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient) -> dict[str, int]:
    """One SignedBook trade, step by step: open (both signatures), audit, both final readings relayed in one
    call that settles, withdraw. Measured for the first trade of fresh parties and meters (their nonce word

    and meter budget words are created) and for a later trade of the same parties (steady state)."""
    sb = SignedClient(d)
    (seller,), (buyer,) = _signed_people(reg, mk, sb, "sb", 1)
    relayer = reg.register("sbrelay", Role.CONSUMER, zone="north")
    period = mk.open_period()
    g: dict[str, int] = {}

    def used() -> int:
        return int(sb.last_receipt["gasUsed"])

    mk.fund(seller.address, tokens(1))
    sb.deposit(seller.address, tokens(1))
    g["SignedBook deposit into internal balance (when the user wants)"] = used()
    for phase in ("first trade of new parties", "steady state"):
        o = sb.open(seller.address, period.id, buyer.address, kwh(10), tokens("0.5"), tokens("0.5"))
        steps = {f"SignedBook open signed contract (2 EIP-712 signatures), {phase}": used()}
        sb.approve(o)
        steps[f"SignedBook audit: approve (activates), {phase}"] = used()
        st = sb.report(relayer.address, o, (kwh(10), seller.meters[0]), (kwh("9.9"), buyer.meters[0]))
        assert st is not None, "both readings in: the order must settle in the same call"
        steps[f"SignedBook both final readings relayed + settle (1 call), {phase}"] = used()
        g.update(steps)
        g[f"SignedBook ALL-IN bilateral, {phase} (3 transactions)"] = sum(steps.values())
    sb.withdraw(seller.address)
    g["SignedBook withdraw (when the user wants)"] = used()
    return g


def grid_trade(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient) -> dict[str, int]:
    """One grid-balanced trade on OrderBook and the same on SignedBook (same run, same ledgers, fresh parties:
    each settlement opens its period's credit round and enrols its two parties). The seller delivers 10 kWh,
    the buyer takes 9.9 kWh (the surplus is fed in). Returns the all-in gas and the settling step of each."""
    sb = SignedClient(d)
    g: dict[str, int] = {}
    (seller,), (buyer,) = _people(reg, mk, "gridob", 1)
    for a in (seller, buyer):  # the grid policy escrows a seller deposit too
        mk.fund(a.address, tokens(1_000))
        mk.deposit(a.address, tokens(1_000))
    period = mk.open_period(policy=d.grid_policy.address)
    oid = mk.propose(seller.address, period.id, buyer.address, kwh(10), tokens("0.5"))
    total = int(mk.last_receipt["gasUsed"])
    mk.accept(buyer.address, oid, tokens("0.5"))
    total += int(mk.last_receipt["gasUsed"])
    mk.approve(oid)
    total += int(mk.last_receipt["gasUsed"])
    for party in (seller, buyer):
        mk.sign(party.address, oid)  # from the internal balance
        total += int(mk.last_receipt["gasUsed"])
    mk.submit_reading(oid, Side.SELLER, kwh(10), seller.meters[0], relayer=buyer.address)
    total += int(mk.last_receipt["gasUsed"])
    mk.submit_reading(oid, Side.BUYER, kwh("9.9"), buyer.meters[0], relayer=buyer.address)
    total += int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "settlement")
    mk.settle(buyer.address, oid)
    settled = int(mk.last_receipt["gasUsed"])
    g["OrderBook grid-balanced settle"] = settled
    g["OrderBook ALL-IN grid-balanced bilateral (8 transactions)"] = total + settled

    (seller,), (buyer,) = _signed_people(reg, mk, sb, "gridsb", 1)
    period = mk.open_period(policy=d.signed_grid_policy.address)
    o = sb.open(seller.address, period.id, buyer.address, kwh(10), tokens("0.5"), 0)
    total = int(sb.last_receipt["gasUsed"])
    sb.approve(o)
    total += int(sb.last_receipt["gasUsed"])
    mk.advance_to(period, "delivery")
    st = sb.report(buyer.address, o, (kwh(10), seller.meters[0]), (kwh("9.9"), buyer.meters[0]))
    assert st is not None, "from signEnd both readings settle a grid order in the same call"
    g["SignedBook grid-balanced both readings + settle (1 call)"] = int(sb.last_receipt["gasUsed"])
    g["SignedBook ALL-IN grid-balanced bilateral (3 transactions)"] = (
        total + g["SignedBook grid-balanced both readings + settle (1 call)"]
    )
    return g


def batched_signed(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient, n: int) -> tuple[int, int]:
    """Gas per trade of `n` SignedBook trades in one period (10 sellers, 10 buyers): one `openMany`, one
    `approveMany`, one `reportMany` (both final readings of every order, settling each); total / n. Returns
    (fresh, steady): first for parties that never traded (their meters' budget words and the sellers' first
    reputation records are created in the batch), then for the same parties again in a new period (steady
    state, as the single-trade figure: each seller's period is still registered with the reputation ledger,
    a meter's budget word is updated, not created)."""
    sb = SignedClient(d)
    providers, consumers = _signed_people(reg, mk, sb, f"sb{n}", 10)
    fresh = _signed_batch(mk, sb, providers, consumers, n)
    steady = _signed_batch(mk, sb, providers, consumers, n)
    return fresh, steady


def _signed_batch(
    mk: MarketClient, sb: SignedClient, providers: list[Any], consumers: list[Any], n: int
) -> int:
    """One period of `n` batched SignedBook trades between `providers` and `consumers`; gas / n."""
    period = mk.open_period()
    deals = []
    for k in range(n):
        seller, buyer = providers[k % 10], consumers[(k // 10 + k) % 10]
        deals.append(sb.deal(seller.address, period.id, buyer.address, kwh(1), tokens("0.5"), 0))
    orders: list[SignedOrder] = sb.open_many(consumers[0].address, deals)
    assert len(orders) == n and not sb.skipped(), sb.skipped()
    total = int(sb.last_receipt["gasUsed"])
    sb.approve_many(orders)
    assert not sb.skipped(), sb.skipped()
    total += int(sb.last_receipt["gasUsed"])
    meters = {a.address: a.meters[0] for a in providers + consumers}
    items = [sb.report_item(o, (kwh(1), meters[o.seller]), (kwh(1), meters[o.buyer])) for o in orders]
    settled = sb.report_many(consumers[0].address, items)
    assert len(settled) == n and not sb.skipped(), sb.skipped()
    total += int(sb.last_receipt["gasUsed"])
    return total // n


def signed_matched(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient) -> dict[str, int]:
    """One matched trade on the SignedBook, step by step: the offer, the request, the assignment (1 pair),
    `materializeSigned` (one order word), audit, both final readings relayed in one call that settles. For
    the first trade of new parties (their meters' budget words and the matcher's nonce word are created) and
    for a second trade of the same parties in a new period (steady state)."""
    sb = SignedClient(d)
    (seller,), (buyer,) = _signed_people(reg, mk, sb, "sm", 1)
    g: dict[str, int] = {}

    def used() -> int:
        return int(sb.last_receipt["gasUsed"])

    for phase in ("first trade of new parties", "steady state"):
        period = mk.open_period()
        steps: dict[str, int] = {}
        offer = mk.publish_offer(seller.address, period.id, tokens("0.5"), kwh(1_000))
        steps[f"SignedBook matched: publish offer, {phase}"] = int(mk.last_receipt["gasUsed"])
        req = mk.publish_request(buyer.address, period.id, kwh(1), 0)
        steps[f"SignedBook matched: publish request, {phase}"] = int(mk.last_receipt["gasUsed"])
        mk.advance_to(period, "matching")
        mk.submit(buyer.address, period.id, [(req, offer)])
        steps[f"SignedBook matched: submit assignment (1 pair), {phase}"] = int(mk.last_receipt["gasUsed"])
        mk.advance_to(period, "signing")
        (o,) = sb.materialize(buyer.address, period.id, [(req, offer)])
        steps[f"SignedBook matched: materializeSigned (1 order word), {phase}"] = used()
        sb.approve(o)
        steps[f"SignedBook matched: audit approve, {phase}"] = used()
        st = sb.report(buyer.address, o, (kwh(1), seller.meters[0]), (kwh(1), buyer.meters[0]))
        assert st is not None, "both readings in: the order must settle in the same call"
        steps[f"SignedBook matched: both readings + settle, {phase}"] = used()
        g.update(steps)
        g[f"SignedBook ALL-IN matched, {phase} (6 transactions)"] = sum(steps.values())
    return g


def batched_signed_matched(
    chain: Any, d: Any, reg: RegistryClient, mk: MarketClient, n: int
) -> dict[str, int]:
    """Gas per trade of `n` matched trades on the SignedBook in one period (10 providers, 10 consumers,
    fresh): 10 offers, n requests, one assignment, `materializeSigned` (64 pairs per call), `approveMany`,
    `reportMany` (both final readings of every order, settling each). Returns each step's total / n (their
    sum is the per-trade figure)."""
    sb = SignedClient(d)
    providers, consumers = _signed_people(reg, mk, sb, f"sm{n}", 10)
    period = mk.open_period()
    split = dict.fromkeys(
        ("offers", "requests", "assignment", "materializeSigned", "approveMany", "reportMany"), 0
    )
    offers = []
    for p in providers:
        offers.append(mk.publish_offer(p.address, period.id, tokens("0.5"), kwh(1_000)))
        split["offers"] += int(mk.last_receipt["gasUsed"])
    requests = []
    for k in range(n):
        requests.append(mk.publish_request(consumers[k % 10].address, period.id, kwh(1), 0))
        split["requests"] += int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "matching")
    pairs = [(r, offers[(i // 10 + i) % 10]) for i, r in enumerate(requests)]
    mk.submit(consumers[0].address, period.id, pairs)
    split["assignment"] = int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "signing")
    before = chain.w3.eth.block_number
    orders = sb.materialize(consumers[0].address, period.id, pairs)
    assert len(orders) == n and not sb.matched_skipped, sb.matched_skipped
    split["materializeSigned"] = sum(
        int(chain.w3.eth.get_block(b, full_transactions=False)["gasUsed"])
        for b in range(before + 1, chain.w3.eth.block_number + 1)
    )
    sb.approve_many(orders)
    assert not sb.skipped(), sb.skipped()
    split["approveMany"] = int(sb.last_receipt["gasUsed"])
    meters = {a.address: a.meters[0] for a in providers + consumers}
    items = [sb.report_item(o, (kwh(1), meters[o.seller]), (kwh(1), meters[o.buyer])) for o in orders]
    settled = sb.report_many(consumers[0].address, items)
    assert len(settled) == n and not sb.skipped(), sb.skipped()
    split["reportMany"] = int(sb.last_receipt["gasUsed"])
    return {step: total // n for step, total in split.items()}


def _people(reg: RegistryClient, mk: MarketClient, tag: str, n: int) -> tuple[list[Any], list[Any]]:
    """`n` approved providers and `n` approved consumers, each with tokens in its internal balance."""
    providers = [reg.register(f"{tag}p{i}", Role.GENERATOR, Source.SOLAR, zone="north") for i in range(n)]
    consumers = [reg.register(f"{tag}c{i}", Role.CONSUMER, zone="north") for i in range(n)]
    for a in providers + consumers:
        reg.approve(a.address)
    for c in consumers:
        mk.fund(c.address, tokens(10_000))
        mk.deposit(c.address, tokens(10_000))
    return providers, consumers


def _lifecycle_tail(chain: Any, mk: MarketClient, period: Any, orders: list[tuple[int, Any, Any]]) -> int:
    """Batched audit, each buyer's sign from its internal balance (activates the order), batched relayed
    readings and batched settlement of agreed `orders` [(id, seller, buyer)]; returns the gas."""
    total = 0
    mk.approve_many([o for o, _, _ in orders])
    total += int(mk.last_receipt["gasUsed"])
    assert not mk.skipped(), mk.skipped()
    for oid, _, buyer in orders:
        assert mk.activated(mk.sign(buyer.address, oid)), f"order {oid}: the buyer's sign must activate it"
        total += int(mk.last_receipt["gasUsed"])
    readings = []
    for oid, seller, buyer in orders:
        readings += [(oid, Side.SELLER, kwh(1), seller.meters[0]), (oid, Side.BUYER, kwh(1), buyer.meters[0])]
    mk.submit_readings(orders[0][1].address, readings)
    total += int(mk.last_receipt["gasUsed"])
    assert not mk.skipped(), mk.skipped()
    mk.advance_to(period, "settlement")
    mk.settle_many(orders[0][1].address, [o for o, _, _ in orders])
    total += int(mk.last_receipt["gasUsed"])
    assert not mk.skipped(), mk.skipped()
    return total


def batched_bilateral(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient, n: int) -> int:
    """Gas per trade of `n` bilateral trades on `OrderBook` in one period (10 sellers, 10 buyers): each
    proposed and accepted, then one `approveOrders`, each buyer's sign from its internal balance, one
    `submitReadings`, one `settleMany`; total / n."""
    providers, consumers = _people(reg, mk, f"b{n}", 10)
    period = mk.open_period()
    orders, total = [], 0
    for k in range(n):
        seller, buyer = providers[k % 10], consumers[(k // 10 + k) % 10]
        oid = mk.propose(seller.address, period.id, buyer.address, kwh(1), tokens("0.5"))
        total += int(mk.last_receipt["gasUsed"])
        mk.accept(buyer.address, oid)
        total += int(mk.last_receipt["gasUsed"])
        orders.append((oid, seller, buyer))
    mk.advance_to(period, "signing")
    total += _lifecycle_tail(chain, mk, period, orders)
    return total // n


def batched_matched(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient, n: int) -> int:
    """Gas per trade of `n` lean matched trades in one period: 10 offers, n requests, one assignment,
    materialised in chunks, batched audit / readings / settlement; each buyer signs from its balance."""
    providers, consumers = _people(reg, mk, f"m{n}", 10)
    period = mk.open_period()
    total = 0
    offers = []
    for p in providers:
        offers.append(mk.publish_offer(p.address, period.id, tokens("0.5"), kwh(1_000)))
        total += int(mk.last_receipt["gasUsed"])
    requests = []
    for k in range(n):
        requests.append(mk.publish_request(consumers[k % 10].address, period.id, kwh(1), 0))
        total += int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "matching")
    pairs = [(r, offers[i % 10]) for i, r in enumerate(requests)]
    mk.submit(consumers[0].address, period.id, pairs)
    total += int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "signing")
    before = chain.w3.eth.block_number
    ids = mk.materialize(consumers[0].address, period.id, pairs)
    total += sum(
        int(chain.w3.eth.get_block(b, full_transactions=False)["gasUsed"])
        for b in range(before + 1, chain.w3.eth.block_number + 1)
    )
    orders = []
    for i, oid in enumerate(ids):
        orders.append((oid, providers[i % 10], consumers[i % 10]))
    mk.approve_many(ids)
    total += int(mk.last_receipt["gasUsed"])
    for oid, _, buyer in orders:
        mk.sign(buyer.address, oid)
        total += int(mk.last_receipt["gasUsed"])
    readings = []
    for oid, seller, buyer in orders:
        readings += [(oid, Side.SELLER, kwh(1), seller.meters[0]), (oid, Side.BUYER, kwh(1), buyer.meters[0])]
    mk.submit_readings(consumers[0].address, readings)
    total += int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "settlement")
    mk.settle_many(consumers[0].address, ids)
    total += int(mk.last_receipt["gasUsed"])
    assert not mk.skipped()
    return total // n


def lean_matched(chain: Any, d: Any, reg: RegistryClient, mk: MarketClient) -> dict[str, int]:
    """All-in gas of one lean matched trade (no batching), from its request to its settlement."""
    providers, consumers = _people(reg, mk, "one", 1)
    (seller,), (buyer,) = providers, consumers
    period = mk.open_period()
    offer = mk.publish_offer(seller.address, period.id, tokens("0.5"), kwh(1_000))
    g = {"offer": int(mk.last_receipt["gasUsed"])}
    req = mk.publish_request(buyer.address, period.id, kwh(1), 0)
    g["request"] = int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "matching")
    mk.submit(buyer.address, period.id, [(req, offer)])
    g["assignment"] = int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "signing")
    (oid,) = mk.materialize(buyer.address, period.id, [(req, offer)])
    g["materialise"] = int(mk.last_receipt["gasUsed"])
    mk.approve(oid)
    g["audit"] = int(mk.last_receipt["gasUsed"])
    mk.sign(buyer.address, oid)
    g["sign"] = int(mk.last_receipt["gasUsed"])
    mk.submit_reading(oid, Side.SELLER, kwh(1), seller.meters[0], relayer=buyer.address)
    g["r1"] = int(mk.last_receipt["gasUsed"])
    mk.submit_reading(oid, Side.BUYER, kwh(1), buyer.meters[0], relayer=buyer.address)
    g["r2"] = int(mk.last_receipt["gasUsed"])
    mk.advance_to(period, "settlement")
    mk.settle(buyer.address, oid)
    g["settle"] = int(mk.last_receipt["gasUsed"])
    return {
        "sign: escrow from the internal balance (no ERC-20 approve)": g["sign"],
        "ALL-IN lean matched, 1 trade (9 transactions)": sum(g.values()),
    }


def table(gas: dict[str, int]) -> str:
    """The figures beside the baseline, as text."""
    base = gas[BASELINE]
    lines = [f"{'step':52s} {'gas':>10s} {'x transfer':>11s}"]
    for step, value in gas.items():
        lines.append(f"{step:52s} {value:>10,d} {value / base:>11.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpc", metavar="URL", help="JSON-RPC node (default: in-process EVM)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--plot", metavar="PATH", help="also draw the figures as a PNG bar chart")
    args = parser.parse_args(argv)
    gas = measure(args.rpc)
    if args.json:
        print(json.dumps({"baseline": BASELINE, "gas": gas}, indent=2))
    else:
        print(table(gas))
    if args.plot:
        from energy_trading.scenarios.plots import plot_gas

        rows = [(k, v) for k, v in gas.items() if k != BASELINE and not k.startswith("  ")]
        print(f"wrote {plot_gas(rows, (BASELINE, gas[BASELINE]), Path(args.plot))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
