"""The `certificates` and `carbon` parts of a scenario file (seed 001 §3.3, §4.2.4-4.2.5).

`parse_certificate_scenario` validates the participants, the generation profiles, certificate trades and
claims, and the carbon cycles into a `CertificateScenario`; errors (`CertificateScenarioError`) name the
entry and what is expected. The format is `docs/scenario-format.md`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from energy_trading.models.roles import ROLE_NAMES, SOURCE_NAMES, Role, Source

__all__ = [
    "AllowanceTrade",
    "CarbonCycleSpec",
    "CertificateClaim",
    "CertificateScenario",
    "CertificateScenarioError",
    "CertificateTrade",
    "GenerationProfile",
    "ScenarioParticipant",
    "is_certificate_scenario",
    "parse_certificate_scenario",
]

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
