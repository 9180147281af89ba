"""The `energy-trading demo` story: one short walkthrough per section, printed as it runs."""

from energy_trading.demo.story import run_demo

__all__ = ["run_demo"]
