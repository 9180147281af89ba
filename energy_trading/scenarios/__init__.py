"""Scenario files (YAML/JSON) run against a deployment: one loader and schema, one runner, sections.

- `schema/`: `load_scenario` / `parse_scenario` and the schema of every part of the file (no chain code).
- `runner`: `run_scenario` with the one period step list `PERIOD_STEPS` and the sections `EXTENSIONS`;
  `write_results`, `summary`.
- `context`: `RunContext`, `PeriodRun`, `ScenarioExtension`, shared by the runner and the sections.
- sections: `market` (honest-supplier periods), `grid` (grid-balanced settlement), `certificates`
  (green certificates and carbon).
- `plots`: every figure; `emulation`: the consensus emulator fed by a deployment.
"""

from energy_trading.scenarios.context import PeriodRun, RunContext, ScenarioExtension
from energy_trading.scenarios.runner import (
    EXTENSIONS,
    PERIOD_STEPS,
    add_period_step,
    register_extension,
    run_scenario,
    summary,
    write_results,
)
from energy_trading.scenarios.schema import Scenario, ScenarioError, load_scenario, parse_scenario

__all__ = [
    "EXTENSIONS",
    "PERIOD_STEPS",
    "PeriodRun",
    "RunContext",
    "Scenario",
    "ScenarioError",
    "ScenarioExtension",
    "add_period_step",
    "load_scenario",
    "parse_scenario",
    "register_extension",
    "run_scenario",
    "summary",
    "write_results",
]
