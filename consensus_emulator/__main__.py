"""`python -m consensus_emulator`: the `consensus-emulator` command (the same entry point as the console
script)."""

import sys

from consensus_emulator.cli import main

if __name__ == "__main__":
    sys.exit(main())
