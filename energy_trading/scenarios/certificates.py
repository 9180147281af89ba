"""The certificate and carbon section of a scenario run (seed 001 §3.3, §4.2.4-4.2.5; Fig 9 in its manner).

A scenario may carry a `certificates` section, a `carbon` section, or both (schema:
`energy_trading.scenarios.schema.certificates`). `run_certificate_scenario` plays them round by round on a
deployment:

1. every participant `{id, role, source | renewable}` registered and approved (or taken from `participants`
   when the market runner already registered them);
2. per round r = 1..`rounds`: each `generation` profile's metered kWh of the round is reported by the
   generator's meter (EIP-712 signed, relayed) and becomes certificates by eq 6; `trades` of round r sell
   certificates on the exchange (oldest ids first; the treasury issues the buyer's tokens); `claims` of
   round r retire the node's oldest certificates; carbon cycles open at their `first_round` (regulator sets
   the quotas), the nodes' meters report `emissions_kg_per_round` every `report_every` rounds, allowance
   `trades` happen, and the cycle closes and every node is settled (in bounded batches) at `last_round`;
   finally the eq 20 weight of every tracked node is read from the chain;
3. everything reported is read back from the chain: per participant certificates issued, held, claimed,
   counted, bought, sold; total issued/claimed; weights per round; per carbon cycle each node's quota,
   net purchases, emissions, A_ce, compliance and eq 21 weight.

With `certificates.from_market: true` the market's period step `certify_market_period` plays round r right
after market period r settles. Units: energy in kWh, certificates in MWh (1 certificate), tokens as whole
tokens (1 token = 1e18 base units), carbon in kg CO2e, weights on the 0..100 scale.
`energy_trading.scenarios.plots.plot_certificate_weights` draws the weights over rounds (cf. Fig 9).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

from energy_trading.chain.connection import Chain
from energy_trading.clients.certificates import CarbonClient, CertificatesClient
from energy_trading.clients.registry import Participant, RegistryClient, Source
from energy_trading.models.certificates import WH_PER_MWH, carbon_weights, green_weights
from energy_trading.scenarios.context import RunContext, ScenarioExtension, terminal_progress
from energy_trading.scenarios.schema.certificates import (
    CarbonCycleSpec,
    CertificateClaim,
    CertificateScenario,
    CertificateScenarioError,
    CertificateTrade,
    is_certificate_scenario,
    parse_certificate_scenario,
)

__all__ = [
    "SECTION",
    "CertificateRun",
    "certificate_summary",
    "certify_market_period",
    "market_generation",
    "run_certificate_scenario",
    "take_market_run",
]

TOKEN = 10**18
DAY = 86_400


class CertificateRun:
    """The certificate and carbon side of one scenario run, played one round at a time.

    `run_certificate_scenario` drives the rounds itself (a scenario without market periods: round r is the
    day r of a series ending before the current block). With `certificates.from_market: true`, the market
    runner's period step `certify_market_period` plays round r right after market period r settles, and the
    metered energy each renewable seller delivered in that period (the order book's seller-side meter
    readings) is reported as generation over the period's delivery window, beside any `generation` profile.
    """

    def __init__(
        self,
        chain: Chain,
        d: Any,
        scenario: CertificateScenario,
        participants: Mapping[str, Participant] | None = None,
    ) -> None:
        self.chain, self.d, self.scenario = chain, d, scenario
        self.certs, self.carbon = CertificatesClient(d), CarbonClient(d)
        self.people = dict(participants or {})
        reg = RegistryClient(d)
        for p in scenario.participants:
            if p.id not in self.people:
                self.people[p.id] = reg.register(f"{scenario.name}/{p.id}", p.role, p.source, zone="scenario")
                reg.approve(self.people[p.id].address)
        self.address = {i: p.address for i, p in self.people.items()}
        self.kwh = scenario.generation_kwh()
        self.by_round = _index(scenario)
        self.bought: dict[str, int] = dict.fromkeys(self.address, 0)
        self.sold: dict[str, int] = dict.fromkeys(self.address, 0)
        self.market_kwh: dict[str, float] = dict.fromkeys(self.address, 0.0)
        self.trades_out: list[dict[str, Any]] = []
        self.weights_by_round: list[dict[str, float]] = []
        self.cycles_out: list[dict[str, Any]] = []
        self.open_cycles: dict[int, int] = {}
        self.rounds_played = 0

    def play_round(self, r: int, start: int, end: int, metered_wh: Mapping[str, int] | None = None) -> None:
        """Round `r` over the metering window [start, end) (unix seconds, already past): generation readings
        (profiles plus `metered_wh` from the market), certificate sales and claims, carbon steps, weights."""
        d, certs = self.d, self.certs
        if r > self.scenario.rounds:
            raise CertificateScenarioError(
                f"{self.scenario.name}: round {r} is beyond certificates.rounds ({self.scenario.rounds})"
            )
        readings = {n: round(series[r - 1] * 1000) for n, series in self.kwh.items()}
        for n, wh in (metered_wh or {}).items():
            readings[n] = readings.get(n, 0) + wh
            self.market_kwh[n] += wh / 1000
        for node, wh in readings.items():
            if wh:
                p = self.people[node]
                certs.report_generation(p.address, p.meters[0], start, end, wh, relayer=d.operator)
        for t in self.by_round["trades"].get(r, []):
            paid = _sell(d, certs, self.address[t.seller], self.address[t.buyer], t, r)
            self.bought[t.buyer] += t.certificates
            self.sold[t.seller] += t.certificates
            self.trades_out.append(
                {
                    "round": r,
                    "seller": t.seller,
                    "buyer": t.buyer,
                    "certificates": t.certificates,
                    "tokens": paid,
                }
            )
        for c in self.by_round["claims"].get(r, []):
            _claim(certs, self.address[c.node], c, r)
        for i, cycle in enumerate(self.scenario.carbon):
            result = _carbon_round(d, self.carbon, self.people, cycle, r, self.open_cycles, i)
            if result is not None:
                self.cycles_out.append(result)
        total = certs.total_issued()
        counted = {n: certs.counted(self.address[n]) for n in self.scenario.track}
        self.weights_by_round.append(green_weights(counted, total=total))
        self.rounds_played = r

    def results(self) -> dict[str, Any]:
        """The results section (JSON-ready), read back from the chain."""
        d, certs = self.d, self.certs
        per_participant = {}
        for i, a in self.address.items():
            generation = d.green_certificates.functions.generation(a).call()
            per_participant[i] = {
                "issued": generation[1],
                "held": certs.held(a),
                "claimed": certs.claimed(a),
                "counted": certs.counted(a),
                "bought": self.bought[i],
                "sold": self.sold[i],
                "generation_kwh": generation[0] / 1000,
                "from_market_kwh": self.market_kwh[i],
                "carried_kwh": (generation[0] % WH_PER_MWH) / 1000,
            }
        total = certs.total_issued()
        return {
            "scenario": self.scenario.name,
            "rounds": self.rounds_played,
            "participants": self.address,
            "certificates": {
                "total_issued": total,
                "total_claimed": d.green_certificates.functions.totalClaimed().call(),
                "per_participant": per_participant,
                "weights": green_weights({i: v["counted"] for i, v in per_participant.items()}, total=total),
                "tracked": list(self.scenario.track),
                "weights_by_round": self.weights_by_round,
                "trades": self.trades_out,
            },
            "carbon": {"cycles": self.cycles_out},
            "contracts": {
                "green_certificates": d.green_certificates.address,
                "certificate_exchange": d.certificate_exchange.address,
                "carbon_ledger": d.carbon_ledger.address,
            },
        }


def run_certificate_scenario(
    chain: Chain,
    d: Any,
    scenario: CertificateScenario,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    participants: Mapping[str, Participant] | None = None,
    market_run: CertificateRun | None = None,
) -> dict[str, Any]:
    """Play `scenario` on the deployment `d`; return the results (JSON-ready), all read back from the chain.

    `participants` maps scenario ids to participants the caller already registered and approved (the market
    runner); missing ones are registered and approved here. `progress(iterable, description)` wraps the round
    loop; default: a tqdm bar on stderr when it is a terminal (a 200-round scenario takes a few minutes).
    `market_run` is the run the market's period loop already played (`from_market`); its results are returned.
    """
    if market_run is not None:
        return market_run.results()
    if scenario.from_market:
        raise CertificateScenarioError(
            f"{scenario.name}: certificates.from_market needs market periods (run it with energy-trading run)"
        )
    wrap = progress or terminal_progress
    run = CertificateRun(chain, d, scenario, participants)
    # Rounds are the days after the meters' approval (a meter certifies nothing from before it was approved:
    # `PeriodBeforeApproval`); the chain clock moves past the last round so every period lies in the past.
    now = chain.w3.eth.get_block("latest")["timestamp"]
    base = (now // DAY + 1) * DAY
    chain.advance_to(base + scenario.rounds * DAY)
    for r in wrap(range(1, scenario.rounds + 1), f"{scenario.name}: rounds"):
        run.play_round(r, base + (r - 1) * DAY, base + r * DAY)
    return run.results()


def market_generation(run: CertificateRun, sellers: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Metered Wh per renewable seller from (seller id, delivered Wh) pairs of one market period; sellers
    that do not qualify for certificates (hydro, fossil, consumers) are left out."""
    renewable = {Source.SOLAR, Source.WIND, Source.BIOMASS}
    kinds = {p.id: p for p in run.scenario.participants}
    out: dict[str, int] = {}
    for seller, wh in sellers:
        if wh and kinds[seller].source in renewable:
            out[seller] = out.get(seller, 0) + wh
    return out


#: Certificate runs played inside the market runner's period loop, by id of its `RunContext`.
_MARKET_RUNS: dict[int, CertificateRun] = {}


def certify_market_period(ctx: Any, run: Any) -> None:
    """Market runner period step (after "settle"; see `energy_trading.scenarios.runner.PERIOD_STEPS`).

    For a scenario with `certificates.from_market: true`, play certificate round `run.index`: the energy each
    renewable seller's meter reported as delivered in the period's settled orders (the order book's on-chain
    seller readings, and the signed book's) becomes a generation reading over the period's delivery window
    [sign_end, readings_end), then the round's sales, claims and carbon steps run.
    Other scenarios are left alone.
    """
    raw = ctx.scenario.raw
    if not is_certificate_scenario(raw) or not (raw.get("certificates") or {}).get("from_market"):
        return
    state = _MARKET_RUNS.get(id(ctx))
    if state is None:
        scenario = parse_certificate_scenario(raw, ctx.scenario.name)
        state = _MARKET_RUNS[id(ctx)] = CertificateRun(ctx.chain, ctx.d, scenario, ctx.accounts)
    delivered = []
    for oid in run.settlements:
        o = ctx.market.order(oid)
        delivered.append((ctx.ids_by_address[o.seller], o.delivered_wh))
    for so in run.signed:  # on the signed book: its `Settled` event has the reading
        if so.id in run.signed_settlements:
            delivered.append((ctx.ids_by_address[so.seller], run.signed_settlements[so.id].delivered_wh))
    state.play_round(
        run.index, run.period.sign_end, run.period.readings_end, market_generation(state, delivered)
    )


def take_market_run(ctx: Any) -> CertificateRun | None:
    """The certificate run the market's period loop played for `ctx` (None if it played none)."""
    return _MARKET_RUNS.pop(id(ctx), None)


def _index(s: CertificateScenario) -> dict[str, dict[int, list[Any]]]:
    out: dict[str, dict[int, list[Any]]] = {"trades": {}, "claims": {}}
    for t in s.trades:
        out["trades"].setdefault(t.round, []).append(t)
    for c in s.claims:
        out["claims"].setdefault(c.round, []).append(c)
    return out


def _oldest_first(certs: CertificatesClient, owner: str, wanted: int, what: str) -> list[tuple[int, int]]:
    """(certificate id, amount) pairs covering `wanted` certificates of `owner`, oldest ids first."""
    holdings = certs.holdings(owner)
    have = sum(holdings.values())
    if have < wanted:
        raise CertificateScenarioError(f"{what}: needs {wanted} certificates but holds {have}")
    picks, left = [], wanted
    for cid in sorted(holdings):
        take = min(left, holdings[cid])
        picks.append((cid, take))
        left -= take
        if not left:
            break
    return picks


def _sell(d: Any, certs: CertificatesClient, seller: str, buyer: str, t: CertificateTrade, r: int) -> float:
    price = int(Fraction(str(t.price)) * TOKEN)
    certs._send(d.token.functions.issue(buyer, price * t.certificates), d.operator)  # the buyer's cash in
    paid = 0
    for cid, amount in _oldest_first(
        certs, seller, t.certificates, f"round {r}: {t.seller} selling to {t.buyer}"
    ):
        listing = certs.list_for_sale(seller, cid, amount, price)
        paid += certs.buy(buyer, listing, amount)
    return paid / TOKEN


def _claim(certs: CertificatesClient, owner: str, c: CertificateClaim, r: int) -> None:
    for cid, amount in _oldest_first(certs, owner, c.certificates, f"round {r}: {c.node} claiming"):
        certs.claim(owner, cid, amount, f"scenario round {r}".encode())


def _carbon_round(
    d: Any,
    carbon: CarbonClient,
    people: Mapping[str, Participant],
    spec: CarbonCycleSpec,
    r: int,
    open_cycles: dict[int, int],
    index: int,
) -> dict[str, Any] | None:
    """Play round `r` of one carbon cycle; return the cycle's results when it closes in this round."""
    if not spec.first_round <= r <= spec.last_round:
        return None
    if r == spec.first_round:
        open_cycles[index] = carbon.open_cycle({people[n].address: q for n, q in spec.quotas.items()})
    cycle = open_cycles[index]
    for t in spec.trades:
        if t.round == r:
            price = int(Fraction(str(t.price)) * TOKEN)
            buyer = people[t.buyer].address
            carbon._send(d.token.functions.issue(buyer, price * t.kg), d.operator)
            listing = carbon.list_allowances(people[t.seller].address, cycle, t.kg, price)
            carbon.buy_allowances(buyer, listing, t.kg)
    since_first = r - spec.first_round + 1
    if since_first % spec.report_every == 0 or r == spec.last_round:
        span = spec.report_every if since_first % spec.report_every == 0 else since_first % spec.report_every
        for n, kg in spec.emissions_kg_per_round.items():
            # 0 kg is reported too: a node whose meter never reports settles as non-compliant (issue 10)
            p = people[n]
            carbon.report_emissions(p.address, p.meters[0], cycle, kg * span, relayer=d.operator)
    if r != spec.last_round:
        return None
    nodes = [people[n].address for n in spec.quotas]
    settlements = carbon.close_and_settle(cycle, nodes)
    ids = {people[n].address: n for n in spec.quotas}
    weights = carbon_weights({ids[a]: v for a, v in settlements.items()})
    lo, hi = d.carbon_ledger.functions.carbonSettlementRange(cycle).call()
    out_nodes = {}
    for a, n in ids.items():
        pos = carbon.position(a, cycle)
        out_nodes[n] = {
            "quota_kg": pos.quota,
            "net_bought_kg": pos.net_bought,
            "emitted_kg": pos.emitted,
            "settlement_kg": settlements[a],
            "compliant": settlements[a] >= 0,
            "weight": weights[n],
        }
    return {
        "cycle": cycle,
        "first_round": spec.first_round,
        "last_round": spec.last_round,
        "range_kg": [lo, hi],
        "non_compliant": sorted(n for n, v in out_nodes.items() if not v["compliant"]),
        "nodes": out_nodes,
    }


# ---------------------------------------------------------------------------------------------- reporting


def certificate_summary(results: Mapping[str, Any]) -> str:
    """Tables for people: certificates per participant (with the final eq 20 weight) and each carbon cycle's
    settlement per node (eq 22, with compliance and the eq 21 weight)."""
    cert = results["certificates"]
    lines = [
        f"green certificates after {results['rounds']} rounds: {cert['total_issued']} issued (1 per MWh), "
        f"{cert['total_claimed']} claimed",
        f"{'node':>8} {'issued':>7} {'held':>6} {'claimed':>7} {'bought':>6} {'sold':>5} {'W_gc':>7}",
    ]
    for node, v in cert["per_participant"].items():
        if v["issued"] or v["counted"] or v["sold"]:
            lines.append(
                f"{node:>8} {v['issued']:>7} {v['held']:>6} {v['claimed']:>7} {v['bought']:>6} "
                f"{v['sold']:>5} {cert['weights'][node]:>7.2f}"
            )
    for c in results["carbon"]["cycles"]:
        lines.append(
            f"carbon cycle {c['cycle']} (rounds {c['first_round']}-{c['last_round']}), kg CO2e; "
            f"non-compliant: {', '.join(c['non_compliant']) or 'none'}"
        )
        lines.append(f"{'node':>8} {'quota':>8} {'A_b':>7} {'A_e':>8} {'A_ce':>7} {'W_ce':>7}")
        for node, v in c["nodes"].items():
            lines.append(
                f"{node:>8} {v['quota_kg']:>8} {v['net_bought_kg']:>7} {v['emitted_kg']:>8} "
                f"{v['settlement_kg']:>7} {v['weight']:>7.2f}"
            )
    return "\n".join(lines)


def _run(ctx: RunContext, raw: Mapping[str, Any]) -> dict[str, Any]:
    scenario = parse_certificate_scenario(raw, ctx.scenario.name)
    market_run = take_market_run(ctx)  # rounds already played inside the period loop (from_market)
    return run_certificate_scenario(
        ctx.chain, ctx.d, scenario, progress=ctx.progress, participants=ctx.accounts, market_run=market_run
    )


def _plot(section: Mapping[str, Any], out: Path) -> list[Path]:
    from energy_trading.scenarios.plots import plot_certificate_weights

    return [plot_certificate_weights(section, out / "certificate_weights.png")]


#: The certificates and carbon section: runs after the market loop, with its participants.
SECTION = ScenarioExtension(
    "certificates", is_certificate_scenario, _run, plot=_plot, summary=certificate_summary
)
