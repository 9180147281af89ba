"""Grid-balanced scenarios (seed 001 §4-5): parse, run every order through the market, report.

A scenario whose market says `"settlement": "grid_balanced"` is run by `run_grid_scenario`:

1. fresh credit ledger, penalty pool, node weights, grid account and policy at the scenario's S, B, G
   (`feed_in_price`, `grid_price`, `grid_fee`; optional `decay_every`, `decay_delta`, `max_reading_factor`);
2. every participant (`id`, `role`, `renewable`, `credit_weight`) registered, approved and enrolled;
3. per period, every contract `{seller, buyer, price, energy_kwh}` proposed, accepted, audited and signed
   into escrow on the order book, the meters' readings `{generated_kwh, consumed_kwh}` (same order) relayed
   with their EIP-712 signatures, the order settled after the readings window, the round's penalties
   released and every node's share claimed;
4. everything reported is read back from the chain (events and views): per contract `seller_income`,
   `buyer_expense`, `grid_revenue`, `seller_penalty`, `buyer_penalty`; per participant
   `credit_weight_before`, `credit_weight_after`, `penalty_share`; `node_weights` and
   `node_weights_by_round` (0..100) for the consensus emulator.

Units: scenarios give energy in kWh and prices in currency per kWh (converted at the market's rate t,
`tokens_per_currency`, default 1); results give money in tokens and weights on the 0..100 scale.
`paper_comparison` prints seed 001 Tables 1-2 beside the paper's printed numbers when the scenario carries
them (`paper_tables`), and `plot_credit_weights` draws Fig 8's credit-weight curves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from tqdm import tqdm

from energy_trading.chain.connection import Chain
from energy_trading.chain.deploy import GridParams, deploy_grid
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.grid import GridClient
from energy_trading.clients.market import MarketClient, Side
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.grid_settlement import Delivery, GridPrices, q
from energy_trading.models.units import from_tokens, from_wad, to_price, to_wh
from energy_trading.models.weights import WeightParams

__all__ = [
    "GRID_SETTLEMENT",
    "GridParticipant",
    "GridPeriod",
    "GridScenario",
    "GridScenarioError",
    "grid_summary",
    "grid_walkthrough",
    "is_grid_scenario",
    "paper_comparison",
    "parse_grid_scenario",
    "plot_credit_weights",
    "run_grid_scenario",
]

GRID_SETTLEMENT = "grid_balanced"
_ROLES = {"generator": Role.GENERATOR, "consumer": Role.CONSUMER, "prosumer": Role.PROSUMER}


class GridScenarioError(ValueError):
    """The scenario cannot be run as written; the message says what to change."""


@dataclass(frozen=True)
class GridParticipant:
    """A node: `id` as the scenario names it, its role, whether it generates from renewables, W_a(0)."""

    id: str
    role: Role
    renewable: bool
    credit_weight: Fraction | None


@dataclass(frozen=True)
class GridPeriod:
    """One trading period (= one settlement round)."""

    contracts: tuple[Delivery, ...]


@dataclass(frozen=True)
class GridScenario:
    """A parsed grid-balanced scenario."""

    name: str
    params: GridParams
    participants: tuple[GridParticipant, ...]
    periods: tuple[GridPeriod, ...]
    paper_tables: Mapping[str, Any] | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


def is_grid_scenario(data: Mapping[str, Any]) -> bool:
    """Whether a loaded scenario asks for grid-balanced settlement."""
    market = data.get("market") or {}
    return isinstance(market, Mapping) and market.get("settlement") == GRID_SETTLEMENT


def _number(value: Any, where: str, minimum: Fraction | None = Fraction(0)) -> Fraction:
    if isinstance(value, bool) or value is None:
        raise GridScenarioError(f"{where}: expected a number, got {value!r}")
    try:
        number = q(value if not isinstance(value, float) else repr(value))
    except (ValueError, TypeError, ZeroDivisionError):
        raise GridScenarioError(f"{where}: expected a number, got {value!r}") from None
    if minimum is not None and number < minimum:
        raise GridScenarioError(f"{where}: must be >= {minimum}, got {value!r}")
    return number


def _params(market: Mapping[str, Any]) -> GridParams:
    missing = [k for k in ("feed_in_price", "grid_price", "grid_fee") if k not in market]
    if missing:
        raise GridScenarioError(
            f"market: a grid_balanced market needs {', '.join(missing)} "
            "(tokens per kWh: S, B, G of seed 001 §4.3)"
        )
    prices = GridPrices(
        _number(market["feed_in_price"], "market.feed_in_price"),
        _number(market["grid_price"], "market.grid_price"),
        _number(market["grid_fee"], "market.grid_fee"),
    )
    defaults = WeightParams()
    decay_every = market.get("decay_every", defaults.decay_every)
    if not isinstance(decay_every, int) or decay_every < 0:
        raise GridScenarioError(
            f"market.decay_every: expected a whole number of rounds >= 0, got {decay_every!r}"
        )
    factor = market.get("max_reading_factor", 10)
    if not isinstance(factor, int) or factor < 1:
        raise GridScenarioError(f"market.max_reading_factor: expected a whole number >= 1, got {factor!r}")
    weights = WeightParams(
        decay_every=decay_every,
        delta=_number(market.get("decay_delta", defaults.delta), "market.decay_delta"),
    )
    return GridParams(prices=prices, max_reading_factor=factor, weights=weights)


def parse_grid_scenario(data: Mapping[str, Any], name: str = "scenario") -> GridScenario:
    """Validate a loaded scenario (a YAML/JSON mapping) and return it typed.

    Raises `GridScenarioError` naming the offending key and what it should hold.
    """
    if not is_grid_scenario(data):
        raise GridScenarioError(f'market.settlement must be "{GRID_SETTLEMENT}" for a grid-balanced scenario')
    params = _params(data["market"])
    participants: list[GridParticipant] = []
    seen: set[str] = set()
    for i, p in enumerate(data.get("participants") or []):
        where = f"participants[{i}]"
        if not isinstance(p, Mapping) or "id" not in p:
            raise GridScenarioError(f"{where}: each participant needs an id")
        pid = str(p["id"])
        if pid in seen:
            raise GridScenarioError(f"{where}: participant id {pid!r} is used twice")
        seen.add(pid)
        role = _ROLES.get(str(p.get("role", "")).lower())
        if role is None:
            raise GridScenarioError(
                f"{where}: role must be one of {', '.join(_ROLES)}, got {p.get('role')!r}"
            )
        weight = p.get("credit_weight")
        w = None if weight is None else _number(weight, f"{where}.credit_weight")
        if w is not None and w > 100:
            raise GridScenarioError(f"{where}.credit_weight: must lie in 0..100, got {weight!r}")
        participants.append(GridParticipant(pid, role, bool(p.get("renewable", False)), w))
    if not participants:
        raise GridScenarioError("participants: a scenario needs at least two participants")
    roles = {p.id: p.role for p in participants}
    periods: list[GridPeriod] = []
    for k, period in enumerate(data.get("periods") or []):
        where = f"periods[{k}]"
        contracts = period.get("contracts") or []
        readings = period.get("readings") or []
        if len(readings) != len(contracts):
            raise GridScenarioError(
                f"{where}: {len(contracts)} contracts but {len(readings)} readings; "
                "list one {generated_kwh, consumed_kwh} per contract, in the same order"
            )
        out = []
        for j, (c, r) in enumerate(zip(contracts, readings, strict=True)):
            at = f"{where}.contracts[{j}]"
            seller, buyer = str(c.get("seller")), str(c.get("buyer"))
            for who, side in ((seller, "seller"), (buyer, "buyer")):
                if who not in roles:
                    raise GridScenarioError(f"{at}.{side}: {who!r} is not a participant id")
            if roles[seller] == Role.CONSUMER:
                raise GridScenarioError(f"{at}.seller: {seller!r} is a consumer and cannot sell")
            if roles[buyer] == Role.GENERATOR:
                raise GridScenarioError(f"{at}.buyer: {buyer!r} is a generator and cannot buy")
            if seller == buyer:
                raise GridScenarioError(f"{at}: seller and buyer are both {seller!r}")
            energy = _number(c.get("energy_kwh"), f"{at}.energy_kwh")
            if energy == 0:
                raise GridScenarioError(f"{at}.energy_kwh: must be > 0")
            contract = Delivery(
                seller,
                buyer,
                _number(c.get("price"), f"{at}.price"),
                energy,
                _number(r.get("generated_kwh"), f"{where}.readings[{j}].generated_kwh"),
                _number(r.get("consumed_kwh"), f"{where}.readings[{j}].consumed_kwh"),
            )
            for value, what in (
                (contract.energy_kwh, "energy_kwh"),
                (contract.generated_kwh, "generated_kwh"),
            ):
                try:
                    to_wh(value)
                except ValueError as exc:
                    raise GridScenarioError(f"{at}.{what}: {exc}") from None
            if contract.price == 0:
                raise GridScenarioError(f"{at}.price: must be > 0")
            out.append(contract)
        if not out:
            raise GridScenarioError(f"{where}: a period needs at least one contract")
        periods.append(GridPeriod(tuple(out)))
    if not periods:
        raise GridScenarioError("periods: a scenario needs at least one period")
    return GridScenario(
        name=str(data.get("name", name)),
        params=params,
        participants=tuple(participants),
        periods=tuple(periods),
        paper_tables=data.get("paper_tables"),
        raw=data,
    )


# ---------------------------------------------------------------------------------------------- running


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
    wrap = progress or (
        lambda it, desc: tqdm(it, desc=desc, unit="period", disable=None, file=sys.stderr, leave=False)
    )
    t = Fraction(d.market_params.tokens_per_currency_wad, 10**18)  # prices are currency per kWh
    contracts = deploy_grid(
        chain, d.artifacts, d.operator, d.registry, d.token, d.order_book, _in_tokens(scenario.params, t)
    )
    g = GridClient(chain, d.operator, contracts)
    # the scenario's node weights read the deployment's certificates and carbon ledger (eq 20-22)
    g.set_weight_sources(getattr(d, "green_certificates", None), getattr(d, "carbon_ledger", None))
    m = MarketClient(d)
    policy = contracts["grid_policy"].address
    fee = d.order_book.functions.handlingFee().call()
    reg = RegistryClient(d)
    address: dict[str, str] = {}
    meter: dict[str, str] = {}
    for p in scenario.participants:
        source = Source.NONE if p.role == Role.CONSUMER else (Source.SOLAR if p.renewable else Source.FOSSIL)
        part = reg.register(f"{scenario.name}/{p.id}", p.role, source, zone="scenario")
        reg.approve(part.address)
        address[p.id], meter[p.id] = part.address, part.meters[0]
        weight = p.credit_weight if p.credit_weight is not None else scenario.params.initial_credit_weight
        g.enrol(part.address, weight)
    ids = {a: i for i, a in address.items()}

    periods_out: list[dict[str, Any]] = []
    weights_by_round: list[dict[str, float]] = []
    for period in wrap(scenario.periods, f"{scenario.name}: periods"):
        p = m.open_period(policy=policy)
        orders = []
        for c in period.contracts:
            seller, buyer = address[c.seller], address[c.buyer]
            order_id = m.propose(seller, p.id, buyer, to_wh(c.energy_kwh), to_price(c.price * t))
            m.accept(buyer, order_id)
            m.approve(order_id)
            o = m.order(order_id)
            m.fund(buyer, o.buyer_deposit + fee)  # the treasury issues what each party escrows
            m.sign(buyer, order_id)
            if o.seller_deposit:
                m.fund(seller, o.seller_deposit)
                m.sign(seller, order_id)
            orders.append((order_id, c))
        for order_id, c in orders:  # relayed with the meters' EIP-712 signatures; a missing reading is 0 Wh
            for side, energy, who in (
                (Side.SELLER, c.generated_kwh, c.seller),
                (Side.BUYER, c.consumed_kwh, c.buyer),
            ):
                if energy:
                    m.submit_reading(order_id, side, to_wh(energy), meter[who], relayer=d.operator)
        m.advance_to(p, "settlement")
        breakdowns = {}
        for order_id, _c in orders:
            m.settle(d.operator, order_id)
            for b in g.breakdowns_in(m.last_receipt):
                breakdowns[b.order_id] = b
        g.release_all()
        round_id = breakdowns[orders[0][0]].round
        for node in address.values():
            if g.pool.functions.claimable(node, 1_000).call():
                g.claim(node)
        periods_out.append(_period_result(g, p.id, round_id, orders, breakdowns, address, ids))
        weights_by_round.append({i: _f(w) for i, w in _node_weights(g, ids).items()})
    chain.transact(contracts["grid_account"].functions.collect(d.order_book.address), d.operator)
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
        "participants": {i: a for i, a in address.items()},
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
                "order_id": order_id,
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

    Returns the text (two tables) and the largest absolute deviation over every compared cell.
    """
    period = results["periods"][0]
    by_seller = {c["seller"]: c for c in period["contracts"]}
    by_buyer = {c["buyer"]: c for c in period["contracts"]}
    parts = period["participants"]
    worst = 0.0
    lines: list[str] = []

    def cell(ours: float, paper: float) -> str:
        nonlocal worst
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
                        cell(p["credit_weight_before"], paper["weight_before"]),
                        cell(p["credit_weight_after"], paper["weight_after"]),
                        cell(c[ours_penalty], paper["penalty"]),
                        cell(p["penalty_share"], paper["share"]),
                    )
                )
            )
        lines.append("")
    lines.append(f"largest deviation from the paper over every cell: {worst:.4f} (paper prints 2 decimals)")
    return "\n".join(lines), worst


def plot_credit_weights(
    results: Mapping[str, Any], path: str | Path, nodes: Iterable[str] | None = None, title: str | None = None
) -> Path:
    """Credit weight of `nodes` after each round, as computed on chain (seed 001 Fig 7-8).

    Default nodes: the scenario's `x_plot.credit_weights` list (kept in results as `plot_nodes`), else all.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods = results["periods"]
    if nodes is None:
        nodes = results.get("plot_nodes") or list(periods[0]["participants"])
    chosen = list(nodes)
    if len(periods) == 1:  # one round (Tables 1-2): each node's weight before and after it, as bars
        return _plot_one_round(results, chosen, Path(path), title, plt)
    fig, ax = plt.subplots(figsize=(7, 4))
    rounds = list(range(len(periods) + 1))  # round 0: the initial weights
    for node in chosen:
        first = periods[0]["participants"][node]["credit_weight_before"]
        after = [p["participants"][node]["credit_weight_after"] for p in periods]
        ax.plot(rounds, [first, *after], label=f"node {node}")
    decay = results.get("market", {}).get("decay_every") or 0
    if decay:
        for r in range(decay + 1, len(periods) + 1, decay):
            ax.axvline(r - 0.5, color="grey", lw=0.5, ls=":")
    ax.set_xlabel("settlement round (consensus iteration)")
    ax.set_ylabel("credit weight W_a (0..100)")
    ax.set_ylim(-2, 102)
    ax.set_title(title or f"{results.get('scenario', '')}: credit weights (dotted: decay, eq 24)")
    ax.legend()
    ax.grid(alpha=0.3)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def _plot_one_round(
    results: Mapping[str, Any], nodes: list[str], out: Path, title: str | None, plt: Any
) -> Path:
    parts = results["periods"][0]["participants"]
    x = list(range(len(nodes)))
    fig, ax = plt.subplots(figsize=(max(7, 0.3 * len(nodes) + 2), 4))
    ax.bar([i - 0.2 for i in x], [parts[n]["credit_weight_before"] for n in nodes], 0.4, label="before")
    ax.bar([i + 0.2 for i in x], [parts[n]["credit_weight_after"] for n in nodes], 0.4, label="after")
    ax.set_xticks(x, nodes, fontsize=8)
    ax.set_xlabel("node")
    ax.set_ylabel("credit weight W_a (0..100)")
    ax.set_ylim(0, 118)
    ax.set_title(
        title or f"{results.get('scenario', '')}: credit weights before and after the round (eq 14-17)"
    )
    ax.legend(loc="upper right", ncol=2)
    ax.grid(alpha=0.3, axis="y")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


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


def grid_walkthrough(d: Any, out: Any) -> dict[str, Any]:
    """`energy-trading demo`'s grid-balanced section: one period on the deployment's grid policy.

    Two generator-consumer pairs and a bystander; one consumer takes only 80% of its contract, so it pays a
    penalty that compensates its generator and is shared out by credit weight. Prints each step; returns the
    on-chain breakdowns and shares (tokens) for tests.
    """
    m, g, reg = MarketClient(d), GridClient.of(d), RegistryClient(d)
    print("Grid-balanced settlement with credit weights (seed 001 §4.3, SPEC §4)", file=out)
    people = {}
    for label, role, weight in (
        ("wind-farm", Role.GENERATOR, 70),
        ("solar-roof", Role.GENERATOR, 60),
        ("factory", Role.CONSUMER, 80),
        ("school", Role.CONSUMER, 90),
        ("bakery", Role.CONSUMER, 50),
    ):
        p = reg.register(f"grid-demo/{label}", role, Source.WIND if role == Role.GENERATOR else Source.NONE)
        reg.approve(p.address)
        g.enrol(p.address, weight)
        people[label] = p
        print(f"  enrolled {label:10s} credit weight {weight}", file=out)
    fee = d.order_book.functions.handlingFee().call()
    period = m.open_period(policy=d.grid_policy.address)
    plan = (("wind-farm", "factory", 200_000, 200_000), ("solar-roof", "school", 100_000, 80_000))
    orders = []
    for seller, buyer, contract_wh, taken_wh in plan:
        s, b = people[seller].address, people[buyer].address
        oid = m.propose(s, period.id, b, contract_wh, to_price("0.62"))
        m.accept(b, oid)
        m.approve(oid)
        o = m.order(oid)
        m.fund(b, o.buyer_deposit + fee)
        m.sign(b, oid)
        m.fund(s, o.seller_deposit)
        m.sign(s, oid)
        m.submit_reading(oid, Side.SELLER, contract_wh, people[seller].meters[0], relayer=d.operator)
        m.submit_reading(oid, Side.BUYER, taken_wh, people[buyer].meters[0], relayer=d.operator)
        orders.append((oid, seller, buyer))
        print(
            f"  order {oid}: {seller} -> {buyer} {contract_wh / 1000:.0f} kWh at 0.62, escrow buyer "
            f"{o.buyer_deposit / 1e18:.2f} / seller {o.seller_deposit / 1e18:.2f} tokens; metered "
            f"{contract_wh / 1000:.0f} kWh sent, {taken_wh / 1000:.0f} kWh taken",
            file=out,
        )
    m.advance_to(period, "settlement")
    breakdowns = {}
    for oid, seller, buyer in orders:
        m.settle(d.operator, oid)
        (b,) = g.breakdowns_in(m.last_receipt)
        breakdowns[oid] = b
        print(
            f"  settled {oid}: {seller} income {float(b.seller_income):.2f} "
            f"(feed-in {float(b.feed_in):.2f}), "
            f"{buyer} expense {float(b.buyer_expense):.2f}, grid {float(b.grid_revenue):+.2f}; "
            f"W {float(b.seller_weight_before):.2f}->{float(b.seller_weight_after):.2f} / "
            f"{float(b.buyer_weight_before):.2f}->{float(b.buyer_weight_after):.2f}; "
            f"penalty {float(b.buyer_penalty + b.seller_penalty):.2f}, compensation "
            f"{float(b.seller_compensation + b.buyer_compensation):.2f}, pooled {float(b.pooled):.2f}",
            file=out,
        )
    g.release_all()
    round_id = next(iter(breakdowns.values())).round
    shares = {label: g.share_of(p.address, round_id) for label, p in people.items()}
    print(
        "  pooled penalty shared by credit weight after the round (eq 34): "
        + ", ".join(f"{k} {float(v):.4f}" for k, v in shares.items()),
        file=out,
    )
    bakery = people["bakery"].address
    g.claim(bakery)
    try:
        g.withdraw_share(people["factory"].address, g.pool.functions.withdrawable(bakery).call())
        raise AssertionError("withdrawing another node's share succeeded")
    except ChainRevert as refusal:
        print(f"  refused  factory withdrawing the bakery's share: {refusal.error}", file=out)
    g.withdraw_share(bakery)
    print(f"  bakery withdrew {float(shares['bakery']):.4f} tokens (pull payment)", file=out)
    weights = {ids: g.node_weight(p.address) for ids, p in people.items()}
    print(
        "  node weights for weighted Raft (eq 8-13): "
        + ", ".join(f"{k} {float(v):.2f}" for k, v in weights.items()),
        file=out,
    )
    return {"breakdowns": breakdowns, "shares": shares, "node_weights": weights}
