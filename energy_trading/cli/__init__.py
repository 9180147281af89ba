"""The `energy-trading` command (`main`) and its interactive console."""

from energy_trading.cli.main import main

__all__ = ["main"]
