"""The scenario file's schema: one loader, one module per part of the file.

- `loader`: `load_scenario` (YAML/JSON file) and `parse_scenario` (mapping) -> `Scenario`; top-level keys.
- `market`: participants, market parameters, trading periods (the honest-supplier market).
- `grid`: the grid-balanced settlement part (`market.settlement: grid_balanced`).
- `certificates`: the `certificates` and `carbon` parts.

Nothing here touches a chain: parsing a scenario only validates it.
"""

from energy_trading.scenarios.schema.loader import Scenario, load_scenario, parse_scenario
from energy_trading.scenarios.schema.market import ScenarioError

__all__ = ["Scenario", "ScenarioError", "load_scenario", "parse_scenario"]
