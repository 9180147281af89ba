"""The scenario file as one pydantic v2 schema: every key, type, range and cross reference, checked up front.

`ScenarioFile` describes the whole file (`docs/scenario-format.md`): the top level, `market`, `participants`,
`periods` (offers, requests, contracts, readings, behaviours, reject), the grid-balanced fields, and the
`certificates`, `carbon` and `incentives` sections. Every model refuses unknown keys (`StrictModel`,
``extra="forbid"``), so a typo anywhere (`requets:` inside a period, `bonsu:` in a request) is an error that
names its full path and suggests the nearest allowed key; cross-field checks (unique ids, references to
known participants with the right role, readings per contract, cycle order) name the path too.

`validate_scenario_file(data, what)` raises `InputError` (`energy_trading.models.validation`, shared with
the matching-instance schema) listing every problem; `ScenarioFile.model_json_schema()` is what
`energy-trading schema scenario` prints for editors. `schema.market` turns the validated models into the
runner's dataclasses; the grid, certificates and incentives sections parse their validated parts with
their own modules (which add the checks that need the whole section, e.g. rounds against periods).
Units: energy in kWh, prices in currency per kWh, bonuses, fees and funds in tokens, times in seconds.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, StrictBool, StrictInt, StrictStr, Tag, model_validator

from energy_trading.models.roles import ROLE_NAMES, SOURCE_NAMES
from energy_trading.models.validation import StrictModel, validate

__all__ = ["ScenarioFile", "validate_scenario_file"]

#: A participant id as the file spells it ("1" and 1 name the same participant).
Ref = Annotated[StrictStr | StrictInt, Field(description="a participant id")]
Count = Annotated[StrictInt, Field(ge=0)]
Round = Annotated[StrictInt, Field(ge=1, description="round number, 1-based")]
Hour = Annotated[StrictInt, Field(ge=0, le=23, description="UTC hour 0..23")]


def _nonneg(description: str, default: Any = ...) -> Any:
    """A finite number >= 0 (required unless `default` is given)."""
    return Field(default, ge=0, allow_inf_nan=False, description=description)


def _positive(description: str, default: Any = ...) -> Any:
    """A finite number > 0 (required unless `default` is given)."""
    return Field(default, gt=0, allow_inf_nan=False, description=description)


# ------------------------------------------------------------------------------------------------ market


class ScheduleSection(StrictModel):
    """Seconds of each phase of a trading period."""

    publish_s: StrictInt | None = Field(None, ge=1, description="offers and requests, s (default 3600)")
    matching_s: StrictInt | None = Field(None, ge=1, description="matching submissions, s (default 1800)")
    signing_s: StrictInt | None = Field(None, ge=1, description="audit and escrow, s (default 3600)")
    readings_s: StrictInt | None = Field(None, ge=1, description="meter readings, s (default 86400)")


class CrossingFee(StrictModel):
    """Grid-crossing fee per kWh between two zones (eta of seed 003 eq 3)."""

    zones: list[StrictStr] = Field(min_length=2, max_length=2, description="the two zone names")
    fee: Decimal = _nonneg("currency per kWh")


class MarketSection(StrictModel):
    """Market parameters; the grid-balanced ones (S, B, G, decay) apply with `settlement: grid_balanced`."""

    settlement: Literal["honest_supplier", "grid_balanced"] = "honest_supplier"
    handling_fee: Decimal = _nonneg("tokens per order, paid by the buyer", Decimal("0.01"))
    alpha: Decimal = Field(Decimal("0.4"), ge=0, le=1, description="alpha of seed 003 eq 2")
    tau_kwh: Decimal = _nonneg("allowed transmission loss of the honest-supplier reward, kWh", Decimal("0.2"))
    tokens_per_currency: Decimal = _positive("tokens per currency unit", Decimal(1))
    feed_in_price: Decimal | None = _nonneg("S of seed 001 §4.3, currency per kWh (grid_balanced)", None)
    grid_price: Decimal | None = _nonneg("B, currency per kWh (grid_balanced)", None)
    grid_fee: Decimal | None = _nonneg("G, currency per kWh (grid_balanced)", None)
    decay_every: StrictInt | None = Field(None, ge=0, description="l of seed 001 eq 24, rounds (default 30)")
    decay_delta: Decimal | None = _nonneg("delta of seed 001 eq 24 (default 0.05)", None)
    max_reading_factor: StrictInt | None = Field(None, ge=1, description="reading cap, x contract (10)")
    schedule: ScheduleSection | None = None
    crossing_fees: list[CrossingFee] | None = None
    solver_time_limit_s: Decimal = _positive("HiGHS time limit per period, s", Decimal(20))
    withdraw_each_period: StrictBool = True

    @model_validator(mode="after")
    def _grid_prices(self) -> MarketSection:
        if self.settlement == "grid_balanced":
            missing = [k for k in ("feed_in_price", "grid_price", "grid_fee") if getattr(self, k) is None]
            if missing:
                raise ValueError(
                    f"market: a grid_balanced market needs {', '.join(missing)} "
                    "(currency per kWh: S, B, G of seed 001 §4.3)"
                )
        return self


# ------------------------------------------------------------------------------------------ participants


class Participant(StrictModel):
    """A participant: registered with one meter and approved by the auditor before period 1."""

    id: Ref
    role: Literal[tuple(ROLE_NAMES)]  # type: ignore[valid-type]
    source: Literal[(*SOURCE_NAMES, "none")] | None = Field(  # type: ignore[valid-type]
        None, description="primary source (generators and prosumers); a consumer has none"
    )
    renewable: StrictBool | None = Field(None, description="instead of source: solar (true) or fossil")
    zone: StrictStr = Field("zone-1", min_length=1, description="grid zone, at most 32 bytes of UTF-8")
    credit_weight: Decimal | None = Field(None, ge=0, le=100, description="initial W for grid_balanced")
    funds: Decimal = Field(Decimal(1000), ge=0, allow_inf_nan=False, description="tokens issued at start")

    @model_validator(mode="after")
    def _consistent(self) -> Participant:
        if len(self.zone.encode()) > 32:
            raise ValueError(f"zone {self.zone!r} is longer than 32 bytes of UTF-8")
        if self.role == "consumer" and self.source not in (None, "none"):
            raise ValueError("a consumer has no energy source (drop the key)")
        if self.role != "consumer" and self.source == "none":
            raise ValueError(f"a {self.role} needs a source: one of {', '.join(SOURCE_NAMES)}")
        return self


# ----------------------------------------------------------------------------------------------- periods


class Offer(StrictModel):
    """A provider's offer for the period: price r_j and capacity a_j."""

    provider: Ref
    price: Decimal = _nonneg("currency per kWh")
    capacity_kwh: Decimal = _nonneg("kWh")


class Request(StrictModel):
    """A consumer's request R_i with an optional honest-supplier bonus."""

    consumer: Ref
    energy_kwh: Decimal = _positive("kWh")
    bonus: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False, description="tokens")


class Contract(StrictModel):
    """A bilateral contract: the seller proposes, the buyer accepts, the auditor audits."""

    seller: Ref
    buyer: Ref
    price: Decimal = _positive("currency per kWh")
    energy_kwh: Decimal = _positive("kWh")
    bonus: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False, description="tokens")

    @model_validator(mode="after")
    def _two_parties(self) -> Contract:
        if str(self.seller) == str(self.buyer):
            raise ValueError(f"seller and buyer are both '{self.seller}'")
        return self


class Reading(StrictModel):
    """The meters of one contract: the seller's generated (rho) and the buyer's consumed (gamma) kWh."""

    generated_kwh: Decimal = _nonneg("kWh")
    consumed_kwh: Decimal = _nonneg("kWh")


class Behaviour(StrictModel):
    """How a provider delivers orders without explicit readings."""

    kind: Literal["honest", "short", "random"] = "honest"
    fraction: Decimal | None = Field(None, ge=0, le=1, description="short: share delivered")
    range: list[Decimal] | None = Field(
        None, min_length=2, max_length=2, description="random: [low, high] shares delivered"
    )
    loss_kwh: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False, description="gamma = rho - loss")

    @model_validator(mode="after")
    def _parameters(self) -> Behaviour:
        if self.kind == "short" and self.fraction is None:
            raise ValueError("kind short needs fraction (the share of the contracted energy delivered)")
        if self.kind == "random":
            if self.range is None:
                raise ValueError("kind random needs range: [low, high] fractions of the contracted energy")
            low, high = self.range
            if low < 0 or low > high:
                raise ValueError(f"range must have 0 <= low <= high (got [{low}, {high}])")
        return self


#: A behaviour by name (only `honest` needs no parameters) or in full (`{kind: short, fraction: 0.8}`);
#: the callable discriminator picks the branch, so an error is reported for that branch only
#: ("tagged-" parts are left out of paths).
BehaviourEntry = Annotated[
    Annotated[Literal["honest"], Tag("tagged-name")] | Annotated[Behaviour, Tag("tagged-full")],
    Discriminator(lambda v: "tagged-name" if isinstance(v, str) else "tagged-full"),
]


class Period(StrictModel):
    """One trading period; `repeat: N` makes it stand for N identical periods."""

    repeat: StrictInt = Field(1, ge=1, description="how many identical periods this entry stands for")
    offers: list[Offer] | None = None
    requests: list[Request] | None = None
    contracts: list[Contract] | None = None
    readings: list[Reading] | None = Field(None, description="one per contract, same order, or none")
    behaviours: dict[str, BehaviourEntry] | None = Field(None, description="per provider id")
    reject: list[Count] | None = Field(None, description="indexes of `contracts` the auditor rejects")

    @model_validator(mode="after")
    def _consistent(self) -> Period:
        contracts, readings = self.contracts or [], self.readings or []
        if readings and len(readings) != len(contracts):
            raise ValueError(
                f"readings has {len(readings)} entries for {len(contracts)} contracts: give one per "
                "contract, in the same order, or none (then delivery behaviours apply)"
            )
        for i, index in enumerate(self.reject or []):
            if index >= len(contracts):
                raise ValueError(
                    f"reject[{i}] must be the index of one of the period's contracts (got {index})"
                )
        providers = [str(o.provider) for o in self.offers or []]
        twice = sorted({p for p in providers if providers.count(p) > 1})
        if twice:
            raise ValueError(f"offers: a provider publishes one offer per period ({twice} offer twice)")
        return self


# ------------------------------------------------------------------------------- certificates and carbon


class Generation(StrictModel):
    """Metered generation of a node: kWh per round from `from_round` on, with a seeded variation."""

    node: Ref
    kwh_per_round: Decimal = _nonneg("kWh per round")
    from_round: Round = 1
    variation: Decimal = Field(Decimal(0), ge=0, le=1, description="uniform factor in [1 - v, 1 + v]")


class CertificateTrade(StrictModel):
    """A certificate sale in round `round`."""

    round: Round
    seller: Ref
    buyer: Ref
    certificates: StrictInt = Field(ge=1, description="certificates (MWh)")
    price: Decimal = _positive("tokens per certificate")


class Claim(StrictModel):
    """A node claims (retires) certificates of its own."""

    round: Round
    node: Ref
    certificates: StrictInt = Field(ge=1)


class CertificatesSection(StrictModel):
    """Green certificates (seed 001 §3.3, §4.2.4)."""

    rounds: Round | None = Field(None, description="rounds to play (default: the market's periods)")
    generation: list[Generation] | None = None
    trades: list[CertificateTrade] | None = None
    claims: list[Claim] | None = None
    track: list[Ref] | None = Field(None, description="participants drawn in certificate_weights.png")
    from_market: StrictBool = Field(False, description="certify the market's meter readings instead")


class AllowanceTrade(StrictModel):
    """An allowance sale (kg CO2e) inside a carbon cycle."""

    round: Round
    seller: Ref
    buyer: Ref
    kg: StrictInt = Field(ge=1)
    price: Decimal = _nonneg("tokens per kg")


class CarbonCycle(StrictModel):
    """One carbon cycle over rounds first_round..last_round (seed 001 §4.2.5)."""

    first_round: Round
    last_round: Round
    quotas: dict[str, Count] = Field(min_length=1, description="kg CO2e per enrolled node")
    emissions_kg_per_round: dict[str, Count] | None = None
    report_every: StrictInt = Field(10, ge=1, description="rounds between emission reports")
    trades: list[AllowanceTrade] | None = None


class CarbonSection(StrictModel):
    """Carbon cycles with quotas, emissions and allowance trades."""

    rounds: Round | None = None
    cycles: list[CarbonCycle] | None = None


# ------------------------------------------------------------------------------------------ incentives


class Band(StrictModel):
    """A time-of-use band of the incentive tariff (seed 004 §3.4)."""

    incentive_per_kwh: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False, description="units per kWh")
    life_days: Decimal = Field(Decimal(0), ge=0, allow_inf_nan=False, description="operating life, days")
    hours: list[Hour] | None = None


class Tariff(StrictModel):
    """The incentive tariff: band 1, 2, ..."""

    bands: list[Band]


class IncentivesSection(StrictModel):
    """Seed 004 §3.4's time-stamped incentive currency."""

    tariff: Tariff | None = None
    fee_rate: Decimal = Field(Decimal("0.001"), gt=0, allow_inf_nan=False, description="tokens per unit")
    redeem_rate: Decimal = Field(Decimal("0.0005"), ge=0, allow_inf_nan=False, description="tokens per unit")
    block_rewards_per_period: Count = 1
    spend_on_fees: StrictBool = True
    delivery_hours: list[Hour] | None = None


# ---------------------------------------------------------------------------------------------- the file


def _check_refs(
    problems: list[str], known: dict[str, str], refs: Iterable[tuple[str, Any, str | None]]
) -> None:
    """Append a problem for each reference (path, id, refused role) that names no participant or one whose
    role cannot take that part; unknown ids get the nearest known one as a suggestion."""
    for where, value, refused in refs:
        pid = str(value)
        if pid not in known:
            close = difflib.get_close_matches(pid, list(known), n=1, cutoff=0.6)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            problems.append(f"{where}: '{pid}' is not a participant id{hint}")
        elif known[pid] == refused:
            verb = "sell" if refused == "consumer" else "buy"
            problems.append(f"{where}: '{pid}' is a {refused} and cannot {verb}")


class ScenarioFile(StrictModel):
    """A scenario for `energy-trading run` (docs/scenario-format.md). Keys starting with `x_` are
    extensions passed through unchecked; `paper_tables` holds reference numbers, never inputs."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="energy-trading scenario",
        json_schema_extra={"patternProperties": {"^x_": {}}},
    )

    name: StrictStr | None = Field(None, description="name of the run (default: the file name)")
    description: StrictStr | None = None
    seed: Count = Field(0, description="seed of the delivery behaviours' random generator")
    market: MarketSection | None = None
    participants: list[Participant] = Field(min_length=1)
    periods: list[Period] | None = None
    certificates: CertificatesSection | None = None
    carbon: CarbonSection | None = None
    incentives: IncentivesSection | None = None
    paper_tables: dict[str, Any] | None = Field(None, description="reference data, never used as input")

    @model_validator(mode="before")
    @classmethod
    def _extensions(cls, data: Any) -> Any:
        """`x_*` keys are the file's own extensions (e.g. `x_plot`): pass them through."""
        if isinstance(data, dict):
            data = {k: v for k, v in data.items() if not str(k).startswith("x_")}
        return data

    @model_validator(mode="after")
    def _references(self) -> ScenarioFile:
        problems: list[str] = []
        known: dict[str, str] = {}
        for i, p in enumerate(self.participants):
            if str(p.id) in known:
                problems.append(
                    f"participants[{i}].id: '{p.id}' is used twice; participant ids must be unique"
                )
            known.setdefault(str(p.id), p.role)
        refs: list[tuple[str, Any, str | None]] = []
        grid = self.market is not None and self.market.settlement == "grid_balanced"
        if grid and self.incentives is not None:
            problems.append(
                "incentives: runs inside the honest-supplier market loop, "
                "which a grid_balanced market replaces"
            )
        for k, period in enumerate(self.periods or []):
            at = f"periods[{k}]"
            unused = [key for key in ("offers", "requests", "behaviours", "reject") if getattr(period, key)]
            if grid and unused:
                problems.append(
                    f"{at}.{unused[0]}: a grid_balanced market settles the period's contracts "
                    f"(with one reading each) only; drop {', '.join(unused)}"
                )
            refs += [
                (f"{at}.offers[{i}].provider", o.provider, "consumer")
                for i, o in enumerate(period.offers or [])
            ]
            refs += [
                (f"{at}.requests[{i}].consumer", r.consumer, "generator")
                for i, r in enumerate(period.requests or [])
            ]
            for i, c in enumerate(period.contracts or []):
                refs += [(f"{at}.contracts[{i}].seller", c.seller, "consumer")]
                refs += [(f"{at}.contracts[{i}].buyer", c.buyer, "generator")]
            refs += [(f"{at}.behaviours.{pid}", pid, "consumer") for pid in period.behaviours or {}]
        cert = self.certificates
        if cert is not None:
            refs += [
                (f"certificates.generation[{i}].node", g.node, "consumer")
                for i, g in enumerate(cert.generation or [])
            ]
            for i, t in enumerate(cert.trades or []):
                refs += [(f"certificates.trades[{i}].seller", t.seller, None)]
                refs += [(f"certificates.trades[{i}].buyer", t.buyer, None)]
            refs += [
                (f"certificates.claims[{i}].node", c.node, None) for i, c in enumerate(cert.claims or [])
            ]
            refs += [(f"certificates.track[{i}]", n, None) for i, n in enumerate(cert.track or [])]
        last_end = 0
        for i, cycle in enumerate(self.carbon.cycles or [] if self.carbon else []):
            at = f"carbon.cycles[{i}]"
            first, last = cycle.first_round, cycle.last_round
            if last < first or first <= last_end:
                problems.append(
                    f"{at}: rounds {first}..{last} must be in order, after the previous cycle (to {last_end})"
                )
            last_end = last
            for j, t in enumerate(cycle.trades or []):
                if not first <= t.round <= last:
                    problems.append(f"{at}.trades[{j}]: round {t.round} is outside the cycle {first}..{last}")
            refs += [(f"{at}.quotas.{n}", n, None) for n in cycle.quotas]
            refs += [
                (f"{at}.emissions_kg_per_round.{n}", n, None) for n in cycle.emissions_kg_per_round or {}
            ]
            for j, t in enumerate(cycle.trades or []):
                refs += [
                    (f"{at}.trades[{j}].seller", t.seller, None),
                    (f"{at}.trades[{j}].buyer", t.buyer, None),
                ]
        _check_refs(problems, known, refs)
        if problems:
            raise ValueError("\n  ".join(problems))
        return self


def validate_scenario_file(data: Any, what: str = "scenario") -> ScenarioFile:
    """Check a loaded scenario mapping against `ScenarioFile`; raise `InputError` (a `ValueError`) whose
    lines name each problem's path, e.g. ``periods[2].requests[0]: unknown key 'bonsu'; did you mean
    'bonus'?``."""
    return validate(ScenarioFile, data, what)
