"""The `energy-trading demo` story: one module per section, one short function per step.

`story.run_demo` tells them in order: `registration`, `market` (a whole market day), `certificates`
(green certificates and carbon), `grid` (grid-balanced settlement), `consensus` (the emulator fed by this
chain). `expect.expect_refusal` prints a refusal.
"""

from energy_trading.demo.story import run_demo

__all__ = ["run_demo"]
