"""The scenario file's schema: one loader, one module per part of the file.

- `loader`: `load_scenario` (YAML/JSON file) and `parse_scenario` (mapping) -> `Scenario`; top-level keys.
- `market`: participants, market parameters, trading periods (the honest-supplier market).
- `grid`: the grid-balanced settlement part (`market.settlement: grid_balanced`).
- `certificates`: the `certificates` and `carbon` parts.

Nothing here touches a chain: parsing a scenario only validates it.
"""

from __future__ import annotations

import importlib
from typing import Any

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


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
