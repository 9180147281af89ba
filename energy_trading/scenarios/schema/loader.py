"""The one loader of scenario files: read YAML or JSON, validate the top level, return a `Scenario`.

`parse_scenario` checks the top-level keys, parses the market part (`energy_trading.scenarios.schema.market`)
and expands `repeat`; the grid-balanced and certificate/carbon sections are validated by their own schema
modules when their section runs (`Scenario.raw` keeps the mapping for them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from energy_trading.clients.registry import Role
from energy_trading.scenarios.schema.market import (
    MarketSpec,
    ParticipantSpec,
    PeriodSpec,
    ScenarioError,
    as_list,
    as_mapping,
    parse_market,
    parse_number,
    parse_participants,
    parse_period,
)

__all__ = ["Scenario", "load_scenario", "parse_scenario"]


@dataclass(frozen=True)
class Scenario:
    """A validated scenario. `raw` keeps the loaded mapping for extensions (grid, certificates, carbon)."""

    name: str
    description: str
    seed: int
    market: MarketSpec
    participants: tuple[ParticipantSpec, ...]
    periods: tuple[PeriodSpec, ...]
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    def participant(self, pid: str) -> ParticipantSpec:
        """The participant with scenario id `pid`."""
        for p in self.participants:
            if p.id == pid:
                return p
        raise KeyError(pid)

    @property
    def providers(self) -> list[str]:
        """Ids of generators and prosumers, in file order."""
        return [p.id for p in self.participants if p.role is not Role.CONSUMER]


def load_scenario(path: str | Path) -> Scenario:
    """Read a YAML (.yaml/.yml) or JSON scenario file and validate it."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError(f"{path}: no such scenario file")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ScenarioError(
            f"{path}: not valid {'JSON' if path.suffix == '.json' else 'YAML'}: {exc}"
        ) from None
    return parse_scenario(data, name=path.stem)


def parse_scenario(data: Any, name: str = "scenario") -> Scenario:
    """Validate a loaded scenario mapping. Raises `ScenarioError` naming the field to fix.

    A period entry may carry `repeat: N` to stand for N identical periods.
    """
    data = as_mapping(data, "the scenario")
    known = {
        "name",
        "description",
        "seed",
        "market",
        "participants",
        "periods",
        "certificates",
        "carbon",
        "incentives",
    }
    extra = {k for k in data if k not in known and not str(k).startswith("x_") and k != "paper_tables"}
    if extra:
        raise ScenarioError(f"unknown top-level keys {sorted(extra)}: expected {sorted(known)}")
    market = parse_market(data.get("market"))
    participants = parse_participants(data.get("participants"))
    ids = {p.id: p for p in participants}
    periods: list[PeriodSpec] = []
    for i, raw in enumerate(as_list(data.get("periods"), "periods")):
        where = f"periods[{i}]"
        raw = as_mapping(raw, where)
        repeat = int(parse_number(raw.get("repeat", 1), f"{where}.repeat", Decimal(1)))
        spec = parse_period(raw, where, ids)
        periods.extend([spec] * repeat)
    seed = int(parse_number(data.get("seed", 0), "seed"))
    return Scenario(
        str(data.get("name", name)),
        str(data.get("description", "")),
        seed,
        market,
        participants,
        tuple(periods),
        data,
    )
