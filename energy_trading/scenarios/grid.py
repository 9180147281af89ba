"""The grid-balanced section of a scenario run (seed 001 §4-5): every order through the market, reported.

A scenario whose market says `"settlement": "grid_balanced"` (schema: `energy_trading.scenarios.schema.grid`)
is run by `run_grid_scenario` instead of the honest-supplier period loop:

1. fresh credit ledger, penalty pool, node weights, grid account and policy at the scenario's S, B, G;
2. every participant registered, approved and enrolled;
3. per period (a grid-balanced period of the signed book, `SignedBook`, issue 13), the treasury issues what
   each party escrows and each deposits it once on the signed book; every contract
   `{seller, buyer, price, energy_kwh}` is signed off chain by both parties and all open in one `openMany`,
   are approved in one `approveMany`, and from the period's signing deadline (when its contracted total is
   final) the meters' final readings `{generated_kwh, consumed_kwh}` (same order, each signed by its meter)
   of every contract go in one `reportMany`, which settles them in order; then the round's penalties are
   released and every node's share claimed;
4. everything reported is read back from the chain (events and views): per contract `seller_income`,
   `buyer_expense`, `grid_revenue`, `seller_penalty`, `buyer_penalty`; per participant
   `credit_weight_before`, `credit_weight_after`, `penalty_share`; `node_weights` and
   `node_weights_by_round` (0..100) for the consensus emulator.

Units: scenarios give energy in kWh and prices in currency per kWh (converted at the market's rate t,
`tokens_per_currency`, default 1); results give money in tokens and weights on the 0..100 scale.
`paper_comparison` prints seed 001 Tables 1-2 beside the paper's printed numbers when the scenario carries
them (`paper_tables`); `energy_trading.scenarios.plots.plot_credit_weights` draws Fig 8's curves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from energy_trading.chain.connection import Chain
from energy_trading.chain.deploy import GridParams, deploy_grid
from energy_trading.clients.grid import GridClient
from energy_trading.clients.market import MarketClient
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.clients.signed import SignedClient
from energy_trading.models.grid_settlement import Delivery, GridPrices
from energy_trading.models.units import from_tokens, from_wad, to_price, to_wh
from energy_trading.scenarios.context import RunContext, ScenarioExtension, terminal_progress
from energy_trading.scenarios.schema.grid import (
    GRID_SETTLEMENT,
    GridPeriod,
    GridScenario,
    is_grid_scenario,
    parse_grid_scenario,
)

__all__ = ["SECTION", "grid_summary", "paper_comparison", "run_grid_scenario"]


def _f(x: Fraction) -> float:
    return float(x)


def run_grid_scenario(
    chain: Chain,
    d: Any,
    scenario: GridScenario,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
) -> dict[str, Any]:
    """Run a grid-balanced scenario on the deployment `d`; return the results (JSON-ready).

    `progress(iterable, description)` wraps the period loop; default: a tqdm bar on stderr when it is a
    terminal (tqdm's `disable=None`), since a long scenario takes minutes.
    """
    wrap = progress or terminal_progress
    t = Fraction(d.market_params.tokens_per_currency_wad, 10**18)  # prices are currency per kWh
    contracts = deploy_grid(
        chain,
        d.artifacts,
        d.operator,
        d.registry,
        d.token,
        d.order_book,
        _in_tokens(scenario.params, t),
        signed_book=d.signed_book,
    )
    fee = d.order_book.functions.handlingFee().call()
    g = GridClient(chain, d.operator, contracts, policy="signed_grid_policy")
    run = _GridRun(d, g, MarketClient(d), SignedClient(d), t, fee)
    # the scenario's node weights read the deployment's certificates and carbon ledger (seed 001 eq 20-22)
    run.g.set_weight_sources(getattr(d, "green_certificates", None), getattr(d, "carbon_ledger", None))
    run.register(scenario, wrap)
    periods_out: list[dict[str, Any]] = []
    weights_by_round: list[dict[str, float]] = []
    for period in wrap(scenario.periods, f"{scenario.name}: periods"):
        periods_out.append(run.play(period))
        weights_by_round.append({i: _f(w) for i, w in _node_weights(run.g, run.ids).items()})
    run.g.collect(d.signed_book.address)
    results: dict[str, Any] = {
        "scenario": scenario.name,
        "settlement": GRID_SETTLEMENT,
        "market": {
            "feed_in_price": _f(scenario.params.prices.feed_in),
            "grid_price": _f(scenario.params.prices.grid),
            "grid_fee": _f(scenario.params.prices.fee),
            "decay_every": scenario.params.weights.decay_every,
            "decay_delta": _f(scenario.params.weights.delta),
        },
        "contracts": {name: c.address for name, c in contracts.items()},
        "participants": dict(run.address),
        "periods": periods_out,
        "node_weights": weights_by_round[-1] if weights_by_round else {},
        "node_weights_by_round": weights_by_round,
    }
    plot = scenario.raw.get("x_plot") or {}
    if isinstance(plot, Mapping) and plot.get("credit_weights"):
        results["plot_nodes"] = [str(n) for n in plot["credit_weights"]]
    if scenario.paper_tables:
        text, worst = paper_comparison(results, scenario.paper_tables)
        results["paper_comparison"] = {"max_abs_deviation": worst, "table": text}
    return results


#: Seconds between the meters' approval and the first period (see `GridRun.register`).
METERS_INSTALLED_BEFORE_S = 3_600


@dataclass
class _GridRun:
    """One grid-balanced run: clients, market rate t, handling fee and the participants' accounts by id."""

    d: Any
    g: GridClient
    m: MarketClient
    sb: SignedClient
    t: Fraction
    fee: int
    address: dict[str, str] = field(default_factory=dict)
    meter: dict[str, str] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)

    def register(
        self, scenario: GridScenario, wrap: Callable[[Iterable[Any], str], Iterable[Any]] = lambda it, d: it
    ) -> None:
        """Register, approve and enrol every participant at its initial credit weight (`wrap`: progress)."""
        reg = RegistryClient(self.d)
        for p in wrap(scenario.participants, f"{scenario.name}: registering participants"):
            renewable = Source.SOLAR if p.renewable else Source.FOSSIL
            source = Source.NONE if p.role == Role.CONSUMER else renewable
            part = reg.register(f"{scenario.name}/{p.id}", p.role, source, zone="scenario")
            reg.approve(part.address)
            self.address[p.id], self.meter[p.id] = part.address, part.meters[0]
            weight = p.credit_weight if p.credit_weight is not None else scenario.params.initial_credit_weight
            self.g.enrol(part.address, weight)
        self.ids = {a: i for i, a in self.address.items()}
        # The meters were installed an hour before trading starts: a meter's readings are bounded by its rated
        # power x the time since its approval (issue 10), and this scenario relays them as soon as it signs.
        self.d.chain.advance_time(METERS_INSTALLED_BEFORE_S)

    def play(self, period: GridPeriod) -> dict[str, Any]:
        """One period = one settlement round: escrow, readings, settlement, penalty shares; its results."""
        m, g, d, sb = self.m, self.g, self.d, self.sb
        p = m.open_period(policy=g.policy.address)
        deals = [
            sb.deal(
                self.address[c.seller],
                p.id,
                self.address[c.buyer],
                to_wh(c.energy_kwh),
                to_price(c.price * self.t),
            )
            for c in period.contracts
        ]
        needed: dict[str, int] = {}
        for deal in deals:
            buyer_escrow, seller_escrow = sb.escrow(p.policy, deal)
            needed[deal[2]] = needed.get(deal[2], 0) + buyer_escrow
            needed[deal[1]] = needed.get(deal[1], 0) + seller_escrow
        for account, amount in needed.items():
            if amount:  # the treasury issues what each party escrows; one deposit per party and period
                m.fund(account, amount)
                sb.deposit(account, amount)
        opened = sb.open_many(d.operator, deals)
        _refuse_skips(sb, "openMany")
        orders = list(zip(opened, period.contracts, strict=True))
        sb.approve_many(opened)
        _refuse_skips(sb, "approveMany")
        # a grid order settles from the signing deadline, when the period's contracted total is final
        m.advance_to(p, "delivery")
        items = [
            sb.report_item(
                o,
                (to_wh(c.generated_kwh), self.meter[c.seller]),
                (to_wh(c.consumed_kwh), self.meter[c.buyer]),
            )
            for o, c in orders
        ]
        sb.report_many(d.operator, items)  # settles every order, in order
        _refuse_skips(sb, "reportMany")
        breakdowns = {b.order_id: b for b in g.breakdowns_in(sb.last_receipt)}
        g.release_all()
        round_id = breakdowns[orders[0][0].id].round
        for node in self.address.values():
            if g.pool.functions.claimable(node, 1_000).call():
                g.claim(node)
        rows = [(o.id, c) for o, c in orders]
        return _period_result(g, p.id, round_id, rows, breakdowns, self.address, self.ids)


def _refuse_skips(sb: SignedClient, what: str) -> None:
    """Raise if the signed book's last batch skipped an item (every contract of a scenario goes through)."""
    if sb.skipped():
        raise RuntimeError(f"SignedBook.{what}: refused batch items (item, revert data): {sb.skipped()}")


def _in_tokens(params: GridParams, t: Fraction) -> GridParams:
    """The scenario's S, B, G (currency per kWh) in tokens per kWh at the market's rate t."""
    p = params.prices
    return replace(params, prices=GridPrices(p.feed_in * t, p.grid * t, p.fee * t))


def _node_weights(g: GridClient, ids: Mapping[str, str]) -> dict[str, Fraction]:
    return {ids[a]: w for a, w in g.all_weights().items() if a in ids}


def _period_result(
    g: GridClient,
    period_id: int,
    round_id: int,
    orders: list[tuple[int, Delivery]],
    breakdowns: Mapping[int, Any],
    address: Mapping[str, str],
    ids: Mapping[str, str],
) -> dict[str, Any]:
    before: dict[str, Fraction] = {}
    after: dict[str, Fraction] = {}
    rows = []
    for order_id, c in orders:
        b = breakdowns[order_id]
        for who, w0, w1 in (
            (c.seller, b.seller_weight_before, b.seller_weight_after),
            (c.buyer, b.buyer_weight_before, b.buyer_weight_after),
        ):
            before.setdefault(who, w0)
            after[who] = w1
        rows.append(
            {
                "order_id": hex(order_id),
                "seller": c.seller,
                "buyer": c.buyer,
                "price": _f(c.price),
                "energy_kwh": _f(c.energy_kwh),
                "generated_kwh": _f(c.generated_kwh),
                "consumed_kwh": _f(c.consumed_kwh),
                "seller_income": _f(b.seller_income),
                "buyer_expense": _f(b.buyer_expense),
                "grid_revenue": _f(b.grid_revenue),
                "feed_in": _f(b.feed_in),
                "seller_penalty": _f(b.seller_penalty),
                "buyer_penalty": _f(b.buyer_penalty),
                "seller_compensation": _f(b.seller_compensation),
                "buyer_compensation": _f(b.buyer_compensation),
                "pooled": _f(b.pooled),
            }
        )
    participants = {}
    for pid, a in address.items():
        idle = from_wad(g.credit.functions.creditWeightAt(a, round_id).call())
        participants[pid] = {
            "credit_weight_before": _f(before.get(pid, idle)),
            "credit_weight_after": _f(after.get(pid, idle)),
            "penalty_share": _f(from_tokens(g.pool.functions.shareOf(a, round_id).call())),
        }
    return {"period": period_id, "round": round_id, "contracts": rows, "participants": participants}


# ---------------------------------------------------------------------------------------------- reporting


def paper_comparison(results: Mapping[str, Any], paper_tables: Mapping[str, Any]) -> tuple[str, float]:
    """Seed 001 Tables 1-2 as computed on chain beside the paper's printed numbers.

    Returns the text (two tables) and the largest absolute deviation over the computed cells; the
    "W before" cells are the scenario's own inputs (credit weights before the round), printed beside
    the paper's but left out of that figure.
    """
    period = results["periods"][0]
    by_seller = {c["seller"]: c for c in period["contracts"]}
    by_buyer = {c["buyer"]: c for c in period["contracts"]}
    parts = period["participants"]
    worst = 0.0
    lines: list[str] = []

    def cell(ours: float, paper: float, computed: bool = True) -> str:
        nonlocal worst
        if computed:
            worst = max(worst, abs(ours - paper))
        return f"{ours:8.2f} {paper:8.2f}"

    specs = (
        ("table1", "Table 1: generation nodes", by_seller, "income", "seller_income", "seller_penalty"),
        ("table2", "Table 2: consumption nodes", by_buyer, "expense", "buyer_expense", "buyer_penalty"),
    )
    for key, title, rows, money_key, ours_money, ours_penalty in specs:
        table = paper_tables.get(key) or {}
        lines.append(f"{title} (each cell: on chain | paper)")
        header = f"{'node':>4} {money_key:>17} {'grid revenue':>17} {'W before':>17} {'W after':>17}"
        lines.append(header + f" {'penalty':>17} {'A_i share':>17}")
        for node, paper in table.items():
            c, p = rows[str(node)], parts[str(node)]
            lines.append(
                f"{node!s:>4} "
                + " ".join(
                    (
                        cell(c[ours_money], paper[money_key]),
                        cell(c["grid_revenue"], paper["grid_revenue"]),
                        cell(p["credit_weight_before"], paper["weight_before"], computed=False),
                        cell(p["credit_weight_after"], paper["weight_after"]),
                        cell(c[ours_penalty], paper["penalty"]),
                        cell(p["penalty_share"], paper["share"]),
                    )
                )
            )
        lines.append("")
    lines.append(
        f"largest deviation from the paper over the computed cells: {worst:.4f} (paper prints 2 decimals; "
        "'W before' is the scenario's input, not counted)"
    )
    return "\n".join(lines), worst


def grid_summary(results: Mapping[str, Any]) -> str:
    """A text report of a grid-balanced run: per round totals, the paper comparison if any, node weights."""
    lines = [
        "grid-balanced settlement (seed 001 §4.3), every number read back from the chain:",
        f"{'round':>5} {'orders':>6} {'defaults':>8} {'income':>10} {'expense':>10} {'grid':>9} "
        f"{'penalties':>9} {'compens.':>9} {'pooled':>8} {'shared':>8}",
    ]
    for p in results.get("periods", []):
        rows = p["contracts"]
        defaults = sum(
            (c["generated_kwh"] < c["energy_kwh"]) + (c["consumed_kwh"] < c["energy_kwh"]) for c in rows
        )
        shared = sum(v["penalty_share"] for v in p["participants"].values())
        lines.append(
            f"{p['round']:>5} {len(rows):>6} {defaults:>8} "
            f"{sum(c['seller_income'] for c in rows):>10.2f} {sum(c['buyer_expense'] for c in rows):>10.2f} "
            f"{sum(c['grid_revenue'] for c in rows):>9.2f} "
            f"{sum(c['seller_penalty'] + c['buyer_penalty'] for c in rows):>9.2f} "
            f"{sum(c['seller_compensation'] + c['buyer_compensation'] for c in rows):>9.2f} "
            f"{sum(c['pooled'] for c in rows):>8.2f} {shared:>8.2f}"
        )
    comparison = results.get("paper_comparison")
    if comparison:
        lines += ["", comparison["table"]]
    weights = results.get("node_weights") or {}
    if weights:
        top = sorted(weights.items(), key=lambda kv: -kv[1])
        lines.append(
            "node weights W_f / W_y after the last round (eq 8-13, 0..100): "
            + ", ".join(f"{k} {v:.2f}" for k, v in top[:10])
            + (" ..." if len(top) > 10 else "")
        )
    return "\n".join(lines)


def _run(ctx: RunContext, raw: Mapping[str, Any]) -> dict[str, Any]:
    return run_grid_scenario(ctx.chain, ctx.d, parse_grid_scenario(raw, ctx.scenario.name), ctx.progress)


def _plot(section: Mapping[str, Any], out: Path) -> list[Path]:
    from energy_trading.scenarios.plots import plot_credit_weights

    return [plot_credit_weights(section, out / "credit_weights.png")]


#: The grid-balanced section: replaces the honest-supplier period loop.
SECTION = ScenarioExtension(
    "grid", is_grid_scenario, _run, replaces_market=True, plot=_plot, summary=grid_summary
)
