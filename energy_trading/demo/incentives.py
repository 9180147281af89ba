"""`energy-trading demo`'s incentive currency section (seed 004 §3.4): see
`energy_trading.scenarios.incentives.incentives_walkthrough`."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

__all__ = ["DEMO_OUT", "incentives_section"]

#: Where the demo writes its holdings plot (relative to the working directory).
DEMO_OUT = Path("results") / "demo"


def incentives_section(d: Any, out: TextIO) -> dict[str, Any]:
    """A peak purchase earning lots, a fee spend, a block creator reward, a night vintage expiring and
    retired; writes `results/demo/incentive_holdings.png`."""
    from energy_trading.scenarios.incentives import incentives_walkthrough

    return incentives_walkthrough(d, out, plot_path=DEMO_OUT / "incentive_holdings.png")
