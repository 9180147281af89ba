"""The one loader of scenario files: read YAML or JSON, validate the top level, return a `Scenario`.

`parse_scenario` first checks the whole file against the pydantic schema (`schema.file.ScenarioFile`: every
key at every level, types, ranges, references), then the sections' own parsers (grid-balanced, certificates
and carbon, incentives) so that every error is raised before anything is deployed; then it builds the
market part (`energy_trading.scenarios.schema.market`) and expands `repeat`. `Scenario.raw` keeps the
mapping for the sections, which parse it again when they run.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from energy_trading.models.roles import Role
from energy_trading.models.validation import InputError
from energy_trading.scenarios.schema.certificates import (
    CertificateScenarioError,
    is_certificate_scenario,
    parse_certificate_scenario,
)
from energy_trading.scenarios.schema.file import validate_scenario_file
from energy_trading.scenarios.schema.grid import GridScenarioError, is_grid_scenario, parse_grid_scenario
from energy_trading.scenarios.schema.incentives import IncentiveScenarioError, parse_incentives
from energy_trading.scenarios.schema.market import (
    MarketSpec,
    ParticipantSpec,
    PeriodSpec,
    ScenarioError,
    market_spec,
    participant_specs,
    period_spec,
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
    return parse_scenario(data, name=path.stem, what=str(path))


def parse_scenario(data: Any, name: str = "scenario", what: str | None = None) -> Scenario:
    """Validate a loaded scenario mapping. Raises `ScenarioError` naming the field to fix (every problem the
    schema finds, one per line, each with its path and, for an unknown key, the nearest allowed one).

    `what` names the input in the message (default: `name`). A period entry may carry `repeat: N` to stand
    for N identical periods.
    """
    if not isinstance(data, Mapping):
        raise ScenarioError(
            f"{what or name}: a scenario is a mapping of keys to values (got {type(data).__name__})"
        )
    try:
        model = validate_scenario_file(data, what or name)
    except InputError as exc:
        raise ScenarioError(str(exc)) from None
    _check_sections(data, name)
    periods: list[PeriodSpec] = []
    for period, raw in zip(model.periods or [], data.get("periods") or [], strict=True):
        periods.extend([period_spec(period, raw)] * period.repeat)
    return Scenario(
        model.name if model.name is not None else name,
        model.description or "",
        model.seed,
        market_spec(model.market),
        participant_specs(model.participants),
        tuple(periods),
        data,
    )


def _check_sections(data: Mapping[str, Any], name: str) -> None:
    """Run the sections' own parsers now (they run again when their section plays) so a section that
    cannot be played (e.g. too few readings for a grid round) is refused before anything is deployed."""
    try:
        if is_grid_scenario(data):
            parse_grid_scenario(data, name)
        if is_certificate_scenario(data):
            parse_certificate_scenario(data, name)
        if data.get("incentives") is not None:
            parse_incentives(data["incentives"])
    except (GridScenarioError, CertificateScenarioError, IncentiveScenarioError) as exc:
        raise ScenarioError(str(exc)) from None
