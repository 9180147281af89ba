"""Certificate and carbon scenarios (seed 001 §3.3, §4.2.4-4.2.5; Fig 9 in its manner).

A scenario (YAML or JSON, already loaded into a mapping; the format is `docs/scenario-format.md`'s, whose
runner `energy-trading run` hands these sections to this module) may carry a `certificates` section, a
`carbon` section, or both; `is_certificate_scenario` says whether it does. `parse_certificate_scenario`
validates them into dataclasses and `run_certificate_scenario` plays them round by round on a deployment:

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

Units: energy in kWh, certificates in MWh (1 certificate), tokens as whole tokens (1 token = 1e18 base
units), carbon in kg CO2e, weights on the 0..100 scale. `plot_certificate_weights` draws the weights over
rounds in the manner of seed 001 Fig 9.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from energy_trading.chain.connection import Chain
from energy_trading.clients.certificates import (
    WH_PER_MWH,
    CarbonClient,
    CertificatesClient,
    carbon_weights,
    green_weights,
)
from energy_trading.clients.registry import (
    ROLE_NAMES,
    SOURCE_NAMES,
    Participant,
    RegistryClient,
    Role,
    Source,
)

__all__ = [
    "AllowanceTrade",
    "CarbonCycleSpec",
    "CertificateClaim",
    "CertificateRun",
    "CertificateScenario",
    "CertificateScenarioError",
    "CertificateTrade",
    "GenerationProfile",
    "certificate_summary",
    "certificates_walkthrough",
    "certify_market_period",
    "is_certificate_scenario",
    "market_generation",
    "parse_certificate_scenario",
    "plot_certificate_weights",
    "run_certificate_scenario",
    "take_market_run",
]

TOKEN = 10**18
DAY = 86_400
_ROLES = ROLE_NAMES
_SOURCES = SOURCE_NAMES
_CYCLE_KEYS = {"first_round", "last_round", "quotas", "emissions_kg_per_round", "report_every", "trades"}


class CertificateScenarioError(ValueError):
    """A certificate or carbon section is malformed or cannot be played; the message says where and why."""


@dataclass(frozen=True)
class ScenarioParticipant:
    """A node of the scenario: its id, role and primary source (None for consumers)."""

    id: str
    role: Role
    source: Source


@dataclass(frozen=True)
class GenerationProfile:
    """Metered generation of `node`: `kwh_per_round` kWh each round from `from_round` on, scaled by a seeded
    uniform factor in [1 - variation, 1 + variation]."""

    node: str
    kwh_per_round: float
    from_round: int = 1
    variation: float = 0.0


@dataclass(frozen=True)
class CertificateTrade:
    """In round `round`, `seller` sells `certificates` (MWh) to `buyer` at `price` tokens per certificate."""

    round: int
    seller: str
    buyer: str
    certificates: int
    price: float


@dataclass(frozen=True)
class CertificateClaim:
    """In round `round`, `node` claims (retires) `certificates` of its own."""

    round: int
    node: str
    certificates: int


@dataclass(frozen=True)
class AllowanceTrade:
    """In round `round`, `seller` sells `kg` allowances to `buyer` at `price` tokens per kg."""

    round: int
    seller: str
    buyer: str
    kg: int
    price: float


@dataclass(frozen=True)
class CarbonCycleSpec:
    """One carbon cycle over rounds `first_round..last_round` (seed 001 §4.2.5: a year in the paper)."""

    first_round: int
    last_round: int
    quotas: Mapping[str, int]
    emissions_kg_per_round: Mapping[str, int] = field(default_factory=dict)
    report_every: int = 10
    trades: tuple[AllowanceTrade, ...] = ()


@dataclass(frozen=True)
class CertificateScenario:
    """A validated certificate/carbon scenario."""

    name: str
    rounds: int
    seed: int
    participants: tuple[ScenarioParticipant, ...]
    generation: tuple[GenerationProfile, ...] = ()
    trades: tuple[CertificateTrade, ...] = ()
    claims: tuple[CertificateClaim, ...] = ()
    track: tuple[str, ...] = ()
    carbon: tuple[CarbonCycleSpec, ...] = ()
    from_market: bool = False

    def generation_kwh(self) -> dict[str, list[float]]:
        """Every profile's metered kWh per round (index 0 = round 1), drawn from the scenario's seed."""
        rng = np.random.default_rng(self.seed)
        out: dict[str, list[float]] = {}
        for g in self.generation:
            factors = rng.uniform(1 - g.variation, 1 + g.variation, size=self.rounds)
            series = [
                0.0 if r + 1 < g.from_round else g.kwh_per_round * float(f) for r, f in enumerate(factors)
            ]
            out[g.node] = [a + b for a, b in zip(out.get(g.node, [0.0] * self.rounds), series, strict=True)]
        return out


def is_certificate_scenario(data: Mapping[str, Any]) -> bool:
    """True when the scenario has a `certificates` or a `carbon` section."""
    return isinstance(data, Mapping) and ("certificates" in data or "carbon" in data)


# ---------------------------------------------------------------------------------------------- parsing


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise CertificateScenarioError(f"{where} must be an integer >= {minimum}, got {value!r}")
    return value


def _num(value: Any, where: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise CertificateScenarioError(f"{where} must be a number >= {minimum}, got {value!r}")
    return float(value)


def _items(section: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    items = section.get(key, []) or []
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise CertificateScenarioError(f"{where}.{key} must be a list of mappings")
    return items


def parse_certificate_scenario(data: Mapping[str, Any], name: str = "scenario") -> CertificateScenario:
    """Validate a scenario's participants, `certificates` and `carbon` sections.

    Raises `CertificateScenarioError` naming the offending entry and what is expected.
    """
    if not is_certificate_scenario(data):
        raise CertificateScenarioError(f"{name}: no `certificates` or `carbon` section")
    name = str(data.get("name", name))
    rounds = _rounds(data, name)
    seed = _int(data.get("seed", 0), f"{name}: seed")
    participants = _participants(data.get("participants"), name)
    ids = {p.id for p in participants}

    def node(value: Any, where: str) -> str:
        text = str(value)
        if text not in ids:
            raise CertificateScenarioError(f"{where}: unknown participant {text!r} (known: {sorted(ids)})")
        return text

    def round_of(value: Any, where: str) -> int:
        r = _int(value, where, 1)
        if r > rounds:
            raise CertificateScenarioError(f"{where}: round {r} is after the last round ({rounds})")
        return r

    cert = data.get("certificates", {}) or {}
    if not isinstance(cert, Mapping):
        raise CertificateScenarioError(f"{name}: certificates must be a mapping")
    kinds = {p.id: p for p in participants}
    generation = []
    for i, g in enumerate(_items(cert, "generation", f"{name}: certificates")):
        where = f"{name}: certificates.generation[{i}]"
        profile = GenerationProfile(
            node=node(g.get("node"), where),
            kwh_per_round=_num(g.get("kwh_per_round"), f"{where}.kwh_per_round"),
            from_round=round_of(g.get("from_round", 1), f"{where}.from_round"),
            variation=_num(g.get("variation", 0.0), f"{where}.variation"),
        )
        if profile.variation > 1:
            raise CertificateScenarioError(f"{where}.variation must lie in [0, 1], got {profile.variation}")
        if kinds[profile.node].role == Role.CONSUMER:
            raise CertificateScenarioError(f"{where}: {profile.node} is a consumer and generates nothing")
        generation.append(profile)
    trades = []
    for i, t in enumerate(_items(cert, "trades", f"{name}: certificates")):
        where = f"{name}: certificates.trades[{i}]"
        trade = CertificateTrade(
            round=round_of(t.get("round"), f"{where}.round"),
            seller=node(t.get("seller"), f"{where}.seller"),
            buyer=node(t.get("buyer"), f"{where}.buyer"),
            certificates=_int(t.get("certificates"), f"{where}.certificates", 1),
            price=_num(t.get("price"), f"{where}.price"),
        )
        if trade.seller == trade.buyer:
            raise CertificateScenarioError(f"{where}: seller and buyer are both {trade.seller}")
        if trade.price <= 0:
            raise CertificateScenarioError(f"{where}.price must be > 0 tokens per certificate")
        trades.append(trade)
    claims = [
        CertificateClaim(
            round=round_of(c.get("round"), f"{name}: certificates.claims[{i}].round"),
            node=node(c.get("node"), f"{name}: certificates.claims[{i}].node"),
            certificates=_int(c.get("certificates"), f"{name}: certificates.claims[{i}].certificates", 1),
        )
        for i, c in enumerate(_items(cert, "claims", f"{name}: certificates"))
    ]
    default_track = [g.node for g in generation] + [t.buyer for t in trades] + [c.node for c in claims]
    track = tuple(
        node(n, f"{name}: certificates.track") for n in cert.get("track", dict.fromkeys(default_track))
    )
    unknown = set(cert) - {"rounds", "generation", "trades", "claims", "track", "from_market"}
    if unknown:
        raise CertificateScenarioError(
            f"{name}: unknown certificates keys {sorted(unknown)}; "
            "expected rounds, generation, trades, claims, track, from_market"
        )
    carbon = _carbon(data.get("carbon", {}) or {}, name, node, round_of)
    scenario = CertificateScenario(
        name=name,
        rounds=rounds,
        seed=seed,
        participants=participants,
        generation=tuple(generation),
        trades=tuple(trades),
        claims=tuple(claims),
        track=track,
        carbon=carbon,
        from_market=_flag(cert.get("from_market", False), f"{name}: certificates.from_market"),
    )
    periods = sum(int(p.get("repeat", 1)) if isinstance(p, Mapping) else 1 for p in data.get("periods") or [])
    if scenario.from_market and periods != scenario.rounds:
        raise CertificateScenarioError(
            f"{name}: certificates.from_market plays one round per market period: rounds ({scenario.rounds}) "
            f"must equal the number of periods ({periods}); drop certificates.rounds"
        )
    return scenario


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise CertificateScenarioError(f"{where} must be true or false, got {value!r}")
    return value


def _rounds(data: Mapping[str, Any], name: str) -> int:
    """`certificates.rounds` or `carbon.rounds` (equal if both given), else the market's period count."""
    given = {
        key: (data.get(key) or {}).get("rounds")
        for key in ("certificates", "carbon")
        if isinstance(data.get(key), Mapping) and "rounds" in data[key]
    }
    values = {_int(v, f"{name}: {k}.rounds", 1) for k, v in given.items()}
    if len(values) > 1:
        raise CertificateScenarioError(
            f"{name}: certificates.rounds and carbon.rounds differ ({sorted(values)})"
        )
    if values:
        return values.pop()
    periods = data.get("periods") or []
    count = sum(int(p.get("repeat", 1)) if isinstance(p, Mapping) else 1 for p in periods)
    if count < 1:
        raise CertificateScenarioError(
            f"{name}: set certificates.rounds (or carbon.rounds): how many rounds to play"
        )
    return count


def _participants(raw: Any, name: str) -> tuple[ScenarioParticipant, ...]:
    if not isinstance(raw, list) or not raw:
        raise CertificateScenarioError(f"{name}: participants must be a non-empty list")
    out: list[ScenarioParticipant] = []
    for i, p in enumerate(raw):
        where = f"{name}: participants[{i}]"
        if not isinstance(p, Mapping) or "id" not in p:
            raise CertificateScenarioError(f"{where} must be a mapping with an id")
        role = _ROLES.get(str(p.get("role")))
        if role is None:
            raise CertificateScenarioError(
                f"{where}.role must be one of {sorted(_ROLES)}, got {p.get('role')!r}"
            )
        if role == Role.CONSUMER:
            source = Source.NONE
            if p.get("source") not in (None, "none"):
                raise CertificateScenarioError(f"{where}: a consumer has no source, got {p.get('source')!r}")
        elif "source" in p:
            source = _SOURCES.get(str(p["source"]))
            if source is None:
                raise CertificateScenarioError(
                    f"{where}.source must be one of {sorted(_SOURCES)} for a {role.name.lower()}"
                )
        else:  # as the market runner reads it: renewable (default) means solar, otherwise fossil
            source = Source.SOLAR if p.get("renewable", True) else Source.FOSSIL
        out.append(ScenarioParticipant(str(p["id"]), role, source))
    ids = [p.id for p in out]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise CertificateScenarioError(f"{name}: participant ids {duplicates} appear more than once")
    return tuple(out)


def _carbon(
    section: Any, name: str, node: Callable[[Any, str], str], round_of: Callable[[Any, str], int]
) -> tuple[CarbonCycleSpec, ...]:
    if not isinstance(section, Mapping):
        raise CertificateScenarioError(f"{name}: carbon must be a mapping with a `cycles` list")
    extra = sorted(set(section) - {"rounds", "cycles"})
    if extra:
        raise CertificateScenarioError(f"{name}: unknown carbon keys {extra}; expected rounds, cycles")
    cycles: list[CarbonCycleSpec] = []
    last_end = 0
    for i, c in enumerate(_items(section, "cycles", f"{name}: carbon")):
        where = f"{name}: carbon.cycles[{i}]"
        first = round_of(c.get("first_round"), f"{where}.first_round")
        last = round_of(c.get("last_round"), f"{where}.last_round")
        if last < first or first <= last_end:
            raise CertificateScenarioError(
                f"{where}: rounds {first}..{last} must be in order, after the previous cycle (to {last_end})"
            )
        last_end = last
        unknown = set(c) - _CYCLE_KEYS
        if unknown:
            raise CertificateScenarioError(
                f"{where}: unknown keys {sorted(unknown)}; expected {sorted(_CYCLE_KEYS)}"
            )
        if not isinstance(c.get("quotas"), Mapping) or not c["quotas"]:
            raise CertificateScenarioError(
                f"{where}.quotas must map node ids to kg CO2e (the enrolled nodes)"
            )
        quotas = {node(k, f"{where}.quotas"): _int(v, f"{where}.quotas[{k}]") for k, v in c["quotas"].items()}
        emissions = {
            node(k, f"{where}.emissions_kg_per_round"): _int(v, f"{where}.emissions_kg_per_round[{k}]")
            for k, v in (c.get("emissions_kg_per_round") or {}).items()
        }
        for n in emissions:
            if n not in quotas:
                raise CertificateScenarioError(f"{where}: {n} emits but has no quota (not enrolled)")
        trades = []
        for j, t in enumerate(_items(c, "trades", where)):
            tw = f"{where}.trades[{j}]"
            trade = AllowanceTrade(
                round=round_of(t.get("round"), f"{tw}.round"),
                seller=node(t.get("seller"), f"{tw}.seller"),
                buyer=node(t.get("buyer"), f"{tw}.buyer"),
                kg=_int(t.get("kg"), f"{tw}.kg", 1),
                price=_num(t.get("price"), f"{tw}.price"),
            )
            if not first <= trade.round <= last:
                raise CertificateScenarioError(
                    f"{tw}: round {trade.round} is outside the cycle {first}..{last}"
                )
            if trade.seller not in quotas or trade.buyer not in quotas:
                raise CertificateScenarioError(f"{tw}: both parties need a quota in this cycle")
            trades.append(trade)
        cycles.append(
            CarbonCycleSpec(
                first_round=first,
                last_round=last,
                quotas=quotas,
                emissions_kg_per_round=emissions,
                report_every=_int(c.get("report_every", 10), f"{where}.report_every", 1),
                trades=tuple(trades),
            )
        )
    return tuple(cycles)


# ---------------------------------------------------------------------------------------------- running


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
    wrap = progress or (
        lambda it, desc: tqdm(it, desc=desc, unit="round", disable=None, file=sys.stderr, leave=False)
    )
    run = CertificateRun(chain, d, scenario, participants)
    # Rounds are days ending before the current block, so every metering period lies in the past.
    now = chain.w3.eth.get_block("latest")["timestamp"]
    base = (now // DAY - scenario.rounds - 1) * DAY
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
    seller readings) becomes a generation reading over the period's delivery window [sign_end, readings_end),
    then the round's sales, claims and carbon steps run. Other scenarios are left alone.
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


# ---------------------------------------------------------------------------------------------- plotting


def plot_certificate_weights(
    results: Mapping[str, Any], path: str | Path, nodes: Sequence[str] | None = None
) -> Path:
    """Draw the eq 20 weights of the tracked nodes over rounds (in the manner of seed 001 Fig 9) as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cert = results["certificates"]
    nodes = list(nodes or cert["tracked"])
    series = cert["weights_by_round"]
    rounds = range(1, len(series) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for n in nodes:
        ax.plot(rounds, [w.get(n, 0.0) for w in series], label=f"node {n}")
    ax.set_xlabel("transaction round")
    ax.set_ylabel("green-certificate weight $W_{gc}$ (0-100)")
    ax.set_title(f"{results['scenario']}: certificate weights (seed 001 eq 20, cf. Fig 9)")
    ax.set_xlim(1, max(len(series), 2))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


# ---------------------------------------------------------------------------------------------- demo


def certificates_walkthrough(d: Any, out: Any) -> dict[str, Any]:
    """`energy-trading demo`'s certificates and carbon section (seed 001 §3.3, §4.2.4-4.2.5).

    A solar farm's meter reports 2.6 MWh over three hours (2 certificates, 0.6 MWh carried), a hydro plant's
    reading is refused, a household buys a certificate for EnergyToken and claims it (and cannot move it
    afterwards), and a carbon cycle settles a coal plant that bought allowances too few. Prints each step;
    returns the figures read back from the chain for tests.
    """
    from energy_trading.chain.errors import ChainRevert

    chain = d.chain
    certs, carbon, reg = CertificatesClient(d), CarbonClient(d), RegistryClient(d)
    print("Green certificates and carbon allowances (seed 001 §3.3, §4.2.4-4.2.5, SPEC §5)", file=out)
    solar = reg.register("demo-solar", Role.GENERATOR, Source.SOLAR)
    hydro = reg.register("demo-hydro", Role.GENERATOR, Source.HYDRO)
    coal = reg.register("demo-coal", Role.GENERATOR, Source.FOSSIL)
    home = reg.register("demo-household", Role.CONSUMER)
    for p in (solar, hydro, coal, home):
        reg.approve(p.address)
    now = chain.w3.eth.get_block("latest")["timestamp"]
    hour = 3600
    start = (now // hour - 4) * hour
    for i, kwh in enumerate((800, 1100, 700)):
        got = certs.report_generation(
            solar.address, solar.meters[0], start + i * hour, start + (i + 1) * hour, kwh * 1000
        )
        print(
            f"  solar meter reports {kwh:>5} kWh -> {got.amount} certificate(s) minted, "
            f"{got.carried_wh / 1000:.0f} kWh carried (eq 6)",
            file=out,
        )
    refusal: ChainRevert | None = None
    try:
        certs.report_generation(hydro.address, hydro.meters[0], start, start + hour, 5_000_000)
    except ChainRevert as exc:
        refusal = exc
        print(f"  refused  a hydro plant's reading: {exc.error} (non-hydro renewables only)", file=out)
    price = 40 * TOKEN
    chain.transact(d.token.functions.issue(home.address, price), d.operator)
    listing = certs.list_for_sale(solar.address, 1, 1, price)
    paid = certs.buy(home.address, listing, 1)
    print(
        f"  household buys 1 certificate for {paid / TOKEN:.0f} tokens (atomic swap on the exchange)",
        file=out,
    )
    certs.claim(home.address, 1, 1, b"household consumption")
    print("  household claims it as proof of green consumption", file=out)
    try:
        certs.transfer(home.address, solar.address, 1, 1)
    except ChainRevert as exc:
        print(f"  refused  moving a claimed certificate: {exc.error}", file=out)
    nodes = [solar.address, home.address]
    w_gc = {p.label: d.node_weights.functions.greenWeight(p.address).call() / TOKEN for p in (solar, home)}
    print(
        "  W_gc (eq 20) read by NodeWeights: "
        + ", ".join(f"{k} {v:.1f}" for k, v in w_gc.items())
        + f" (counted {[certs.counted(a) for a in nodes]} of {certs.total_issued()})",
        file=out,
    )
    quotas = {solar.address: 500, coal.address: 3000, home.address: 200}
    cycle = carbon.open_cycle(quotas)
    carbon.report_emissions(coal.address, coal.meters[0], cycle, 3400)
    carbon.report_emissions(home.address, home.meters[0], cycle, 150)
    # the solar farm's meter reports 0 kg: a missing report would settle as non-compliance (issue 10)
    carbon.report_emissions(solar.address, solar.meters[0], cycle, 0)
    allowance_price = 5 * 10**16
    ask = carbon.list_allowances(solar.address, cycle, 300, allowance_price)
    chain.transact(d.token.functions.issue(coal.address, 300 * allowance_price), d.operator)
    carbon.buy_allowances(coal.address, ask, 300)
    settled = carbon.close_and_settle(cycle, list(quotas))
    labels = {solar.address: "solar", coal.address: "coal", home.address: "household"}
    w_ce = {a: d.node_weights.functions.carbonWeight(a).call() / TOKEN for a in quotas}
    for a, amount in settled.items():
        status = "compliant" if amount >= 0 else "NON-COMPLIANT"
        print(
            f"  carbon cycle {cycle}: {labels[a]:9s} A_ce = {amount:>5} kg (eq 22) {status:13s} "
            f"W_ce {w_ce[a]:.1f}",
            file=out,
        )
    return {
        "hydro_refusal": refusal.error if refusal else None,
        "held": {p.label: certs.held(p.address) for p in (solar, home)},
        "claimed": {p.label: certs.claimed(p.address) for p in (solar, home)},
        "green_weights": w_gc,
        "settlements": {labels[a]: v for a, v in settled.items()},
        "carbon_weights": {labels[a]: v for a, v in w_ce.items()},
    }
