"""`python -m energy_trading`: the `energy-trading` command (the same entry point as the console script)."""

import sys

from energy_trading.cli import main

if __name__ == "__main__":
    sys.exit(main())
