"""Scenario files (YAML/JSON) run against a deployment: one loader and schema, one runner, sections.

- `schema/`: `load_scenario` / `parse_scenario` and the schema of every part of the file (no chain code).
- `runner`: `run_scenario` with the one period step list `PERIOD_STEPS` and the sections `EXTENSIONS`;
  `write_results`, `summary`.
- `context`: `RunContext`, `PeriodRun`, `ScenarioExtension`, shared by the runner and the sections.
- sections: `market` (honest-supplier periods), `grid` (grid-balanced settlement), `certificates`
  (green certificates and carbon).
- `plots`: every figure; `emulation`: the consensus emulator fed by a deployment.
"""

from __future__ import annotations

from energy_trading._lazy import lazy_exports

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

#: public name -> the module that defines it. Imported on first use (PEP 562), so the schema alone
#: (`energy-trading schema`, editors' validators, a scenario file checked before anything deploys) loads
#: no chain library.
_EXPORTS = {
    "EXTENSIONS": "energy_trading.scenarios.runner",
    "PERIOD_STEPS": "energy_trading.scenarios.runner",
    "add_period_step": "energy_trading.scenarios.runner",
    "register_extension": "energy_trading.scenarios.runner",
    "run_scenario": "energy_trading.scenarios.runner",
    "summary": "energy_trading.scenarios.runner",
    "write_results": "energy_trading.scenarios.runner",
    "PeriodRun": "energy_trading.scenarios.context",
    "RunContext": "energy_trading.scenarios.context",
    "ScenarioExtension": "energy_trading.scenarios.context",
    "Scenario": "energy_trading.scenarios.schema",
    "ScenarioError": "energy_trading.scenarios.schema",
    "load_scenario": "energy_trading.scenarios.schema",
    "parse_scenario": "energy_trading.scenarios.schema",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
