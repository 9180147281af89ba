"""Importing and connecting prints no warning even with every warning shown (`python -W default`), which is
what a user's own pytest run does (web3 imports the deprecated `websockets.legacy`)."""

import subprocess
import sys


def test_connect_prints_no_warning_with_all_warnings_shown() -> None:
    code = "from energy_trading import connect, deploy; chain = connect(); print(chain.w3.eth.chain_id)"
    done = subprocess.run(
        [sys.executable, "-W", "default", "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.strip().isdigit()
