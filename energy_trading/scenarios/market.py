"""The market section of a scenario run: honest-supplier trading periods (seed 003 §3-§6; SPEC §2-3).

`register_participants` registers, approves and funds the scenario's participants; the `step_*` functions
are the market's period steps, which `energy_trading.scenarios.runner.PERIOD_STEPS` lists in order (open,
publish, contracts, match, audit, sign, deliver, settle, reputation, withdraw, report); `market_summary`
prints the per-period table, reputation and token conservation.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from energy_trading.chain.deploy import MarketParams
from energy_trading.clients.market import OrderStatus, Side, kwh
from energy_trading.clients.registry import Role, zone_id
from energy_trading.scenarios.context import WAD, PeriodRun, RunContext, to_tokens
from energy_trading.scenarios.schema.market import Behaviour, MarketSpec

__all__ = [
    "market_params",
    "market_summary",
    "register_participants",
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
    for c in run.spec.contracts:
        oid = ctx.market.propose(
            ctx.address(c.seller), run.period.id, ctx.address(c.buyer), kwh(c.energy_kwh), ctx.price(c.price)
        )
        ctx.market.accept(ctx.address(c.buyer), oid, ctx.tokens(c.bonus))
        run.contract_orders.append(oid)


def step_match(ctx: RunContext, run: PeriodRun) -> None:
    ctx.market.advance_to(run.period, "matching")
    if run.spec.offers and run.request_ids:
        run.match = ctx.market.solve(run.period.id, ctx.scenario.market.solver_time_limit_s)
        pairs = ctx.market.pairs_of(run.match)
        if pairs:
            ctx.market.submit(ctx.solver, run.period.id, pairs)
        ctx.market.advance_to(run.period, "signing")
        if pairs:
            run.matched_orders = ctx.market.materialize(ctx.solver, run.period.id, pairs)
    else:
        ctx.market.advance_to(run.period, "signing")


def _no_skips(ctx: RunContext, what: str) -> None:
    """Raise if the last batch skipped an item (the scenario expects every item to be accepted)."""
    skipped = ctx.market.skipped()
    if skipped:
        raise RuntimeError(f"{what}: the contract refused batch items (item, revert data): {skipped}")


def step_audit(ctx: RunContext, run: PeriodRun) -> None:
    """The auditor rejects the scenario's rejected contracts and approves the rest in one batch."""
    rejected = {run.contract_orders[i] for i in run.spec.reject}
    for oid in run.orders:
        if oid in rejected:
            ctx.market.reject(oid, "scenario")
    approved = [oid for oid in run.orders if oid not in rejected]
    if approved:
        ctx.market.approve_many(approved)
        _no_skips(ctx, "approveOrders")


def step_sign(ctx: RunContext, run: PeriodRun) -> None:
    for oid in run.orders:
        o = ctx.market.order(oid)
        if o.status is not OrderStatus.APPROVED:
            continue
        for party, deposit in ((o.buyer, o.buyer_deposit), (o.seller, o.seller_deposit)):
            # a party with nothing to escrow (a seller without deposit) sends nothing; the order is active
            # once the transaction that escrows the last deposit emits `OrderActivated`
            if (deposit or party == o.buyer) and ctx.market.activated(ctx.market.sign(party, oid)):
                break


def step_deliver(ctx: RunContext, run: PeriodRun) -> None:
    explicit = dict(zip(run.contract_orders, run.spec.readings, strict=False))
    batch: list[tuple[int, Side, int, str]] = []
    for oid in run.orders:
        o = ctx.market.order(oid)
        if o.status is not OrderStatus.ACTIVE:
            continue
        if oid in explicit:
            rho, gamma = kwh(explicit[oid].generated_kwh), kwh(explicit[oid].consumed_kwh)
        else:
            seller_id = ctx.ids_by_address[o.seller]
            b = run.spec.behaviours.get(seller_id, Behaviour("honest"))
            rho = int(o.energy_wh * b.delivered_fraction(ctx.rng))
            gamma = max(rho - kwh(b.loss_kwh), 0)
        run.readings[oid] = (rho, gamma)
        for side, party, energy in ((Side.SELLER, o.seller, rho), (Side.BUYER, o.buyer, gamma)):
            if energy > 0:  # a missing reading counts as 0 Wh
                meter = ctx.accounts[ctx.ids_by_address[party]].meters[0]
                batch.append((oid, side, energy, meter))
    if batch:  # every reading of the period relayed in one transaction
        ctx.market.submit_readings(ctx.relayer, batch)
        _no_skips(ctx, "submitReadings")


def step_settle(ctx: RunContext, run: PeriodRun) -> None:
    ctx.market.advance_to(run.period, "settlement")
    active = [oid for oid in run.orders if ctx.market.order(oid).status is OrderStatus.ACTIVE]
    if active:  # one batch settles the period
        run.settlements.update(ctx.market.settle_many(ctx.relayer, active))
        _no_skips(ctx, "settleMany")


def step_reputation(ctx: RunContext, run: PeriodRun) -> None:
    traded = {ctx.ids_by_address[ctx.market.parties(oid)[0]] for oid in run.settlements}
    for pid in ctx.scenario.providers:
        if pid in traded:
            ctx.market.fold(ctx.address(pid), ctx.relayer)
        ctx.reputation.setdefault(pid, []).append(ctx.market.reputation_of(ctx.address(pid)) / WAD)


def step_withdraw(ctx: RunContext, run: PeriodRun) -> None:
    if not ctx.scenario.market.withdraw_each_period:
        return
    for p in ctx.scenario.participants:
        if ctx.market.withdrawable(ctx.address(p.id)):
            ctx.market.withdraw(ctx.address(p.id))
    if ctx.market.withdrawable(ctx.d.operator):
        ctx.market.withdraw(ctx.d.operator)


def step_report(ctx: RunContext, run: PeriodRun) -> None:
    orders = []
    for oid in run.orders:
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
    return {
        p.id: {
            "tokens": to_tokens(ctx.market.balance(ctx.address(p.id))),
            "withdrawable": to_tokens(ctx.market.withdrawable(ctx.address(p.id))),
        }
        for p in ctx.scenario.participants
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
        lines.append(
            f"conservation: order book holds {conservation['order_book_holds']:.6f} = escrowed "
            f"{conservation['escrowed']:.6f} + withdrawable {conservation['withdrawable']:.6f} -> "
            f"{'OK' if ok else 'VIOLATED'}"
        )
    return lines
