"""How the demo shows a refusal: run an action that must revert and print the contract's custom error."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from energy_trading.chain.errors import ChainRevert

__all__ = ["expect_refusal"]


def expect_refusal(action: Callable[[], object], out: TextIO, what: str) -> ChainRevert:
    """Run `action`, which must revert; print and return the decoded refusal."""
    try:
        action()
    except ChainRevert as refusal:
        print(f"  refused  {what}: {refusal.error}", file=out)
        return refusal
    raise AssertionError(f"{what} was expected to be refused but succeeded")
