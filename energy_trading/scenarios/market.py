"""The market section of a scenario run: honest-supplier trading periods (seed 003 §3-§6; SPEC §2-3).

`register_participants` registers, approves and funds the scenario's participants; the `step_*` functions
are the market's period steps, which `energy_trading.scenarios.runner.PERIOD_STEPS` lists in order (open,
publish, contracts, match, audit, sign, deliver, settle, reputation, withdraw, report); `market_summary`
prints the per-period table, reputation and token conservation.

Bilateral contracts take the lean path (issue 13, docs/gas.md): `SignedBook`. The parties top up their
internal balance on the signed book once per period (never per trade), both sign each deal off chain
(EIP-712), the operator opens the period's deals in one `openMany`, the auditor approves them in one
`approveMany`, and the operator relays both final readings of every order in one `reportMany`, which
settles them; balances are pulled at the end of the run (or every period with `withdraw_each_period`).
Matched orders (requests served by offers) stay on `OrderBook`: `SignedBook` has no matched path yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from energy_trading.chain.deploy import MarketParams
from energy_trading.clients.market import OrderStatus, Settlement, Side, kwh
from energy_trading.clients.registry import Role, zone_id
from energy_trading.clients.signed import SignedOrder
from energy_trading.scenarios.context import WAD, PeriodRun, RunContext, to_tokens
from energy_trading.scenarios.schema.market import Behaviour, MarketSpec

__all__ = [
    "market_params",
    "market_summary",
    "register_participants",
    "signed_totals",
    "step_audit",
    "step_contracts",
    "step_deliver",
    "step_match",
    "step_open",
    "step_publish",
    "step_reputation",
    "step_settle",
    "step_sign",
    "step_withdraw",
]


def step_open(ctx: RunContext, run: PeriodRun) -> None:
    run.balances_before = _balances(ctx)
    run.period = ctx.market.open_period(ctx.scenario.market.schedule)


def step_publish(ctx: RunContext, run: PeriodRun) -> None:
    pid = run.period.id
    for o in run.spec.offers:
        run.offer_ids[o.provider] = ctx.market.publish_offer(
            ctx.address(o.provider), pid, ctx.price(o.price), kwh(o.capacity_kwh)
        )
    for r in run.spec.requests:
        run.request_ids.append(
            ctx.market.publish_request(ctx.address(r.consumer), pid, kwh(r.energy_kwh), ctx.tokens(r.bonus))
        )


def step_contracts(ctx: RunContext, run: PeriodRun) -> None:
    """The period's bilateral contracts on the signed book: each party's internal balance there is topped up
    once for all its deals of the period (a standing allowance, then one `deposit`), both parties sign every
    deal off chain, and the operator opens them all in one `openMany`. A buyer's deposit also covers the most
    its requests of the period can escrow once matched (each at the period's highest offer price), so a buyer
    deposits at most once a period; what is left is pulled with the withdrawals."""
    sb = ctx.signed
    deals = [
        sb.deal(
            ctx.address(c.seller),
            run.period.id,
            ctx.address(c.buyer),
            kwh(c.energy_kwh),
            ctx.price(c.price),
            ctx.tokens(c.bonus),
        )
        for c in run.spec.contracts
    ]
    _top_up(ctx, run, deals, _request_bounds(ctx, run))
    if deals:
        run.signed_orders = sb.open_many(ctx.relayer, deals)
        _no_signed_skips(ctx, "openMany")


def _request_bounds(ctx: RunContext, run: PeriodRun) -> dict[str, int]:
    """Per buyer, the most its requests of the period escrow on the signed book once matched: each request
    priced at the period's highest offer (the honest-supplier deposit R*r*t + bonus grows with the price)."""
    if not run.request_ids or not run.offer_ids:
        return {}
    offers, requests = ctx.market._book(run.period.id)
    if not offers:
        return {}
    seller, top = next(iter(offers.values()))[0], max(o[2] for o in offers.values())
    bounds: dict[str, int] = {}
    for r in requests.values():
        deal = (run.period.id, seller, r[0], r[3], top, r[4], 0)
        bounds[r[0]] = bounds.get(r[0], 0) + ctx.signed.escrow(run.period.policy, deal)[0]
    return bounds


def _top_up(
    ctx: RunContext, run: PeriodRun, deals: list[tuple[Any, ...]], extra: dict[str, int] | None = None
) -> None:
    """Each party of `deals` deposits on the signed book, in one transaction, what opening them (plus `extra`
    per account, base units) escrows beyond its balance there (a standing allowance first, once)."""
    sb = ctx.signed
    needed: dict[str, int] = dict(extra or {})
    for deal in deals:
        buyer_escrow, seller_escrow = sb.escrow(run.period.policy, deal)
        needed[deal[2]] = needed.get(deal[2], 0) + buyer_escrow
        needed[deal[1]] = needed.get(deal[1], 0) + seller_escrow
    for account, amount in needed.items():
        short = amount - sb.withdrawable(account)
        if short > 0:
            if ctx.d.token.functions.allowance(account, sb.book.address).call() < short:
                sb.allow(account, 2**255)
            sb.deposit(account, short)


def step_match(ctx: RunContext, run: PeriodRun, *, on_order_book: bool = False) -> None:
    """Solve the period off chain (HiGHS), submit the assignment (verified on chain), and after the matching
    window open its pairs as orders of the signed book (`materializeSigned`), the buyers having topped up
    their signed-book balance for them and accepted the period's prices (`_accept_prices`).

    With `on_order_book` the pairs open on the order book instead (`materialize`; audited, signed with the
    escrow, read and settled by the order-book steps): the incentive currency (seed 004 §3.4) verifies a
    purchase from the order book's stored settled order, and the signed book keeps no order once settled."""
    ctx.market.advance_to(run.period, "matching")
    if run.spec.offers and run.request_ids:
        run.match = ctx.market.solve(run.period.id, ctx.scenario.market.solver_time_limit_s)
        pairs = ctx.market.pairs_of(run.match)
        if pairs:
            ctx.market.submit(ctx.solver, run.period.id, pairs)
        ctx.market.advance_to(run.period, "signing")
        if pairs and on_order_book:
            run.matched_orders = ctx.market.materialize(ctx.solver, run.period.id, pairs)
        elif pairs:
            deals = _matched_deals(ctx, run, pairs)
            _top_up(ctx, run, deals)
            _accept_prices(ctx, run, deals)
            run.signed_matched = ctx.signed.materialize(ctx.solver, run.period.id, pairs)
            if ctx.signed.matched_skipped:
                raise RuntimeError(
                    f"materializeSigned: the signed book refused pairs (index, revert data): "
                    f"{ctx.signed.matched_skipped}"
                )
            run.signed_requests = {ctx.signed.matched_order_id(r): r for r, _ in pairs}
    else:
        ctx.market.advance_to(run.period, "signing")


def _accept_prices(ctx: RunContext, run: PeriodRun, deals: list[tuple[Any, ...]]) -> None:
    """Each buyer of `deals` accepts matched orders up to the period's highest offer price (its signed-book
    `matchedPriceCap`, token base units per kWh; a request names no price, and without the cap the book
    refuses the pair). A cap is a standing consent: it is raised when below that price, never lowered, so a
    buyer sends at most one transaction a period and none while the prices stay within its cap."""
    top = max(ctx.price(o.price) for o in run.spec.offers)
    for buyer in dict.fromkeys(d[2] for d in deals):
        if ctx.signed.matched_price_cap(buyer) < top:
            ctx.signed.set_matched_price_cap(buyer, top)


def _matched_deals(ctx: RunContext, run: PeriodRun, pairs: list[tuple[int, int]]) -> list[tuple[Any, ...]]:
    """The `Deal` the matching market hands the signed book for each pair (request id, offer id): the offer's
    seller and price, the request's buyer, energy and bonus (what the deposits are computed from)."""
    offers, requests = ctx.market._book(run.period.id)
    deals = []
    for r, o in pairs:
        offer, request = offers[o], requests[r]
        deals.append((run.period.id, offer[0], request[0], request[3], offer[2], request[4], r))
    return deals


def _no_skips(ctx: RunContext, what: str) -> None:
    """Raise if the last batch skipped an item (the scenario expects every item to be accepted)."""
    skipped = ctx.market.skipped()
    if skipped:
        raise RuntimeError(f"{what}: the contract refused batch items (item, revert data): {skipped}")


def _no_signed_skips(ctx: RunContext, what: str) -> None:
    """Raise if the signed book's last batch skipped an item."""
    skipped = ctx.signed.skipped()
    if skipped:
        raise RuntimeError(f"SignedBook.{what}: refused batch items (item, revert data): {skipped}")


def step_audit(ctx: RunContext, run: PeriodRun) -> None:
    """The auditor rejects the scenario's rejected contracts and approves the rest in one batch per book."""
    for i in run.spec.reject:
        o = run.signed_orders[i]
        ctx.signed.reject(o, "scenario")
        run.signed_rejected.add(o.id)
    approved_signed = [o for o in run.signed if o.id not in run.signed_rejected]
    if approved_signed:
        ctx.signed.approve_many(approved_signed)
        _no_signed_skips(ctx, "approveMany")
    if run.book_orders:
        ctx.market.approve_many(run.book_orders)
        _no_skips(ctx, "approveOrders")


def step_sign(ctx: RunContext, run: PeriodRun) -> None:
    for oid in run.book_orders:
        o = ctx.market.order(oid)
        if o.status is not OrderStatus.APPROVED:
            continue
        for party, deposit in ((o.buyer, o.buyer_deposit), (o.seller, o.seller_deposit)):
            # a party with nothing to escrow (a seller without deposit) sends nothing; the order is active
            # once the transaction that escrows the last deposit emits `OrderActivated`
            if (deposit or party == o.buyer) and ctx.market.activated(ctx.market.sign(party, oid)):
                break


def _planned(ctx: RunContext, run: PeriodRun, seller: str, energy_wh: int) -> tuple[int, int]:
    """(rho, gamma) Wh of an order without explicit readings: the seller's behaviour draws the delivered share
    (one draw from the run's generator for a random behaviour), the loss comes off the received side."""
    b = run.spec.behaviours.get(ctx.ids_by_address[seller], Behaviour("honest"))
    rho = int(energy_wh * b.delivered_fraction(ctx.rng))
    return rho, max(rho - kwh(b.loss_kwh), 0)


def _meter(ctx: RunContext, party: str) -> str:
    return ctx.accounts[ctx.ids_by_address[party]].meters[0]


def step_deliver(ctx: RunContext, run: PeriodRun) -> None:
    """Meters report. Signed orders first (the scenario's contracts, in order; the random draws keep that
    order): both final readings of every order in one `reportMany`, which settles each in the same call (a
    0 Wh reading is reported as such). Then the order book's orders: every non-zero reading in one batch (a
    missing reading counts 0 Wh), settled by `step_settle`."""
    items = []
    for i, so in enumerate(run.signed):
        if so.id in run.signed_rejected:
            continue
        if i < len(run.signed_orders) and i < len(run.spec.readings):
            r = run.spec.readings[i]
            rho, gamma = kwh(r.generated_kwh), kwh(r.consumed_kwh)
        else:
            rho, gamma = _planned(ctx, run, so.seller, so.order[3])
        run.readings[so.id] = (rho, gamma)
        items.append(
            ctx.signed.report_item(so, (rho, _meter(ctx, so.seller)), (gamma, _meter(ctx, so.buyer)))
        )
    if items:  # every signed order of the period reported and settled in one transaction
        run.signed_settlements.update(ctx.signed.report_many(ctx.relayer, items))
        _no_signed_skips(ctx, "reportMany")
    batch: list[tuple[int, Side, int, str]] = []
    for oid in run.book_orders:
        o = ctx.market.order(oid)
        if o.status is not OrderStatus.ACTIVE:
            continue
        rho, gamma = _planned(ctx, run, o.seller, o.energy_wh)
        run.readings[oid] = (rho, gamma)
        for side, party, energy in ((Side.SELLER, o.seller, rho), (Side.BUYER, o.buyer, gamma)):
            if energy > 0:  # a missing reading counts as 0 Wh
                batch.append((oid, side, energy, _meter(ctx, party)))
    if batch:  # every reading of the period relayed in one transaction
        ctx.market.submit_readings(ctx.relayer, batch)
        _no_skips(ctx, "submitReadings")


def step_settle(ctx: RunContext, run: PeriodRun) -> None:
    """After the readings window: one batch settles the order book's orders of the period; a signed order
    still open (its `reportMany` settlement deferred by the policy) is settled by one `settleMany`."""
    ctx.market.advance_to(run.period, "settlement")
    active = [oid for oid in run.book_orders if ctx.market.order(oid).status is OrderStatus.ACTIVE]
    if active:  # one batch settles the period
        run.settlements.update(ctx.market.settle_many(ctx.relayer, active))
        _no_skips(ctx, "settleMany")
    done = run.signed_rejected | run.signed_settlements.keys()
    left = [o for o in run.signed if o.id not in done and ctx.signed.status(o) != 0]
    if left:
        run.signed_settlements.update(ctx.signed.settle_many(ctx.relayer, left))
        _no_signed_skips(ctx, "settleMany")


def step_reputation(ctx: RunContext, run: PeriodRun) -> None:
    """Fold the period into RC_j (seed 003 eq 1-2) of every provider that sold in it, on either book (the
    reputation contract counts the order book's trades and, where deployed with it, the signed book's), and
    record every provider's RC_j."""
    traded = {ctx.ids_by_address[ctx.market.parties(oid)[0]] for oid in run.settlements}
    # the signed book's trades count too: `fold` reads its per-(seller, period) tally
    traded |= {ctx.ids_by_address[so.seller] for so in run.signed if so.id in run.signed_settlements}
    for pid in ctx.scenario.providers:
        if pid in traded:
            ctx.market.fold(ctx.address(pid), ctx.relayer)
        ctx.reputation.setdefault(pid, []).append(ctx.market.reputation_of(ctx.address(pid)) / WAD)


def step_withdraw(ctx: RunContext, run: PeriodRun) -> None:
    """With `withdraw_each_period`: everyone pulls its balances from both books after every period. Otherwise
    the order book's balances stay and the signed book's are pulled after the last period (deposits are
    topped up per period, so nothing is pulled in between)."""
    accounts = [ctx.address(p.id) for p in ctx.scenario.participants] + [ctx.d.operator]
    if ctx.scenario.market.withdraw_each_period:
        for a in accounts:
            if ctx.market.withdrawable(a):
                ctx.market.withdraw(a)
    if ctx.scenario.market.withdraw_each_period or run.index == len(ctx.scenario.periods):
        # the signed book accrues each settled trade's handling fee in its seller's period tally: the relayer
        # (anyone may) credits them to the operator (the fee recipient) before it pulls its balance
        ctx.signed.collect_fees(ctx.relayer, _signed_fee_pairs(ctx))
        for a in accounts:
            if ctx.signed.withdrawable(a):
                ctx.signed.withdraw(a)


def _signed_fee_pairs(ctx: RunContext) -> list[tuple[str, int]]:
    """(seller, period id) of every signed order settled so far (where the signed book accrues fees)."""
    return [
        (so.seller, so.order[0])
        for run in ctx.periods
        for so in run.signed
        if so.id in run.signed_settlements
    ]


_SIGNED_STATUS = {0: "ended", 1: "agreed", 2: "active", 3: "active"}


def _signed_row(ctx: RunContext, run: PeriodRun, so: SignedOrder) -> dict[str, Any]:
    """The results row of a signed order, in the order book's columns (id: the deal's EIP-712 digest, hex)."""
    s = run.signed_settlements.get(so.id)
    if so.id in run.signed_rejected:
        status = "rejected"
    elif s is not None:
        status = "settled"
    else:
        status = _SIGNED_STATUS[ctx.signed.status(so)]
    energy_wh, price, bonus, buyer_deposit, seller_deposit = (so.order[k] for k in (3, 4, 5, 9, 10))
    rho, gamma = run.readings.get(so.id, (0, 0))
    return {
        "id": hex(so.id),
        "origin": "matched" if so.id in run.signed_requests else "bilateral",
        "status": status,
        "seller": ctx.ids_by_address[so.seller],
        "buyer": ctx.ids_by_address[so.buyer],
        "request_id": run.signed_requests.get(so.id),
        "energy_kwh": energy_wh / 1000,
        "price": to_tokens(price),
        "bonus": to_tokens(bonus),
        "escrow": to_tokens(buyer_deposit + seller_deposit + s.fee) if s else 0.0,
        "readings": {
            "delivered_kwh": s.delivered_wh / 1000 if s else 0.0,
            "received_kwh": s.received_wh / 1000 if s else 0.0,
        },
        "planned_readings": {"delivered_kwh": rho / 1000, "received_kwh": gamma / 1000},
        **_payout_columns(s),
    }


def _payout_columns(s: Settlement | None) -> dict[str, Any]:
    return {
        "payouts": None
        if s is None
        else {
            "to_seller": to_tokens(s.to_seller),
            "to_buyer": to_tokens(s.to_buyer),
            "to_grid": to_tokens(s.to_grid),
            "to_pool": to_tokens(s.to_pool),
        },
        "reward": to_tokens(s.reward) if s else 0.0,
        "penalty": to_tokens(s.seller_penalty + s.buyer_penalty) if s else 0.0,
        "fee": to_tokens(s.fee) if s else 0.0,
    }


def step_report(ctx: RunContext, run: PeriodRun) -> None:
    orders = [_signed_row(ctx, run, so) for so in run.signed]
    for oid in run.book_orders:
        o = ctx.market.order(oid)
        s = run.settlements.get(oid)
        rho, gamma = run.readings.get(oid, (0, 0))
        orders.append(
            {
                "id": oid,
                "origin": o.origin.name.lower(),
                "status": o.status.name.lower(),
                "seller": ctx.ids_by_address[o.seller],
                "buyer": ctx.ids_by_address[o.buyer],
                "request_id": o.request_id or None,
                "energy_kwh": o.energy_wh / 1000,
                "price": to_tokens(o.price_per_kwh),
                "bonus": to_tokens(o.bonus),
                "escrow": to_tokens(o.buyer_deposit + o.seller_deposit + o.fee) if s else 0.0,
                "readings": {"delivered_kwh": o.delivered_wh / 1000, "received_kwh": o.received_wh / 1000},
                "planned_readings": {"delivered_kwh": rho / 1000, "received_kwh": gamma / 1000},
                **_payout_columns(s),
            }
        )
    m = run.match
    run.result = {
        "period": run.period.id,
        "orders": orders,
        "matching": None
        if m is None
        else {
            "assignment": {str(k): v for k, v in m.assignment.items()},
            "objective": m.objective,
            "served_kwh": m.served_wh / 1000,
            "unserved_requests": m.unserved,
            "optimal": m.optimal,
            "gap": m.gap,
            "solve_time_s": round(m.solve_time_s, 4),
            "on_chain_best": ctx.market.best(run.period.id)["objective_wad"] / WAD,
        },
        "balances_before": run.balances_before,
        "balances_after": _balances(ctx),
        "reputation": {pid: series[-1] for pid, series in ctx.reputation.items()},
    }


def _balances(ctx: RunContext) -> dict[str, dict[str, float]]:
    """Per participant: wallet tokens, and what it may pull from the two books (order book + signed book)."""
    return {
        p.id: {
            "tokens": to_tokens(ctx.market.balance(ctx.address(p.id))),
            "withdrawable": to_tokens(
                ctx.market.withdrawable(ctx.address(p.id)) + ctx.signed.withdrawable(ctx.address(p.id))
            ),
        }
        for p in ctx.scenario.participants
    }


def signed_totals(ctx: RunContext) -> dict[str, int]:
    """The signed book's token accounting, by summation (it keeps no running totals): tokens it holds, the
    escrow of its open orders, the internal balances of every participant and the operator (the fee
    recipient), and the handling fees accrued in the sellers' period tallies and not collected yet, token
    base units."""
    sb = ctx.signed
    fee = sb.book.functions.handlingFee().call()
    escrowed = sum(
        so.order[9] + so.order[10] + fee for run in ctx.periods for so in run.signed if sb.status(so)
    )
    accounts = [ctx.address(p.id) for p in ctx.scenario.participants] + [ctx.d.operator]
    return {
        "held": ctx.market.balance(sb.book.address),
        "escrowed": escrowed,
        "withdrawable": sum(sb.withdrawable(a) for a in set(accounts)),
        "uncollected_fees": sb.uncollected_fees(_signed_fee_pairs(ctx)),
    }


def register_participants(ctx: RunContext) -> None:
    m = ctx.market
    for p in ctx.wrap(ctx.scenario.participants, "registering participants"):
        who = ctx.registry.register(p.id, p.role, p.source, zone=p.zone)
        ctx.registry.approve(who.address)
        ctx.accounts[p.id] = who
        ctx.ids_by_address[who.address] = p.id
        if p.funds > 0:
            m.fund(who.address, ctx.tokens(p.funds))
        if p.role is not Role.GENERATOR:
            # one standing allowance instead of an approval per order
            m.allow(who.address, 2**255)
    for zone_a, zone_b, fee in ctx.scenario.market.crossing_fees:
        m.set_crossing_fee(zone_id(zone_a), zone_id(zone_b), ctx.price(fee))


def market_params(spec: MarketSpec) -> MarketParams:
    """The deployment parameters a scenario's market section asks for."""
    return MarketParams(
        tokens_per_currency_wad=int(spec.tokens_per_currency * WAD),
        alpha_wad=int(spec.alpha * WAD),
        handling_fee=int(spec.handling_fee * WAD),
        tau_wh=kwh(spec.tau_kwh),
    )


def market_summary(results: Mapping[str, Any]) -> list[str]:
    """The market's lines of the run summary: per period the orders, the energy of the settled orders (as
    contracted and as the sellers' meters delivered, kWh), escrow and payouts (tokens); then reputation per
    provider and the order book's token conservation."""
    lines: list[str] = []
    periods = results.get("periods") or []
    if periods:
        lines.append(
            f"{'period':>6} {'orders':>6} {'settled':>7} {'rejected':>8} {'contracted kWh':>14} "
            f"{'delivered kWh':>13} {'escrow':>9} {'to sellers':>10} {'refunds':>9} {'rewards':>8} "
            f"{'penalties':>9} {'fees':>6}"
        )
        for p in periods:
            orders = p["orders"]
            settled = [o for o in orders if o["payouts"]]
            lines.append(
                f"{p['period']:>6} {len(orders):>6} {len(settled):>7} "
                f"{sum(o['status'] == 'rejected' for o in orders):>8} "
                f"{sum(o['energy_kwh'] for o in settled):>14.1f} "
                f"{sum(o['readings']['delivered_kwh'] for o in settled):>13.1f} "
                f"{sum(o['escrow'] for o in settled):>9.3f} "
                f"{sum(o['payouts']['to_seller'] for o in settled):>10.3f} "
                f"{sum(o['payouts']['to_buyer'] for o in settled):>9.3f} "
                f"{sum(o['reward'] for o in settled):>8.3f} {sum(o['penalty'] for o in settled):>9.3f} "
                f"{sum(o['fee'] for o in settled):>6.2f}"
            )
    reputation = results.get("reputation_by_period") or {}
    if reputation:
        lines.append("reputation RC_j after each period (seed 003 eq 1-2):")
        for pid, series in reputation.items():
            lines.append(f"  provider {pid:>10}: " + " ".join(f"{v:.3f}" for v in series))
    conservation = results.get("conservation")
    if conservation:
        ok = conservation["holds_equals_escrowed_plus_withdrawable"]
        line = (
            f"conservation: order book holds {conservation['order_book_holds']:.6f} = escrowed "
            f"{conservation['escrowed']:.6f} + withdrawable {conservation['withdrawable']:.6f}"
        )
        if "signed_book_holds" in conservation:
            line += (
                f"; signed book holds {conservation['signed_book_holds']:.6f} = escrowed "
                f"{conservation['signed_escrowed']:.6f} + withdrawable "
                f"{conservation['signed_withdrawable']:.6f} + uncollected fees "
                f"{conservation.get('signed_uncollected_fees', 0.0):.6f}"
            )
        lines.append(f"{line} -> {'OK' if ok else 'VIOLATED'}")
    return lines
