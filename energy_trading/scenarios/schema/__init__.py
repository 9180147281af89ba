"""The scenario file's schema: one loader, one module per part of the file.

- `loader`: `load_scenario` (YAML/JSON file) and `parse_scenario` (mapping) -> `Scenario`; top-level keys.
- `market`: participants, market parameters, trading periods (the honest-supplier market).
- `grid`: the grid-balanced settlement part (`market.settlement: grid_balanced`).
- `certificates`: the `certificates` and `carbon` parts.

Nothing here touches a chain: parsing a scenario only validates it.
"""

from __future__ import annotations

from energy_trading._lazy import lazy_exports

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_scenario"]

#: public name -> defining module, imported on first use (PEP 562): `schema.file` (the pydantic model that
#: `energy-trading schema scenario` prints) must load without the loader's section parsers, which import
#: the chain layer's parameter types.
_EXPORTS = {
    "Scenario": "energy_trading.scenarios.schema.loader",
    "load_scenario": "energy_trading.scenarios.schema.loader",
    "parse_scenario": "energy_trading.scenarios.schema.loader",
    "ScenarioError": "energy_trading.scenarios.schema.market",
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
