"""Fixtures for the in-process tests of the `energy_trading` package (no node, no brownie)."""

import pytest

from energy_trading import connect, deploy
from energy_trading.compiler import compile_contracts


@pytest.fixture(scope="session")
def artifacts():
    """Compiled once per session (and cached on disk between sessions)."""
    return compile_contracts()


@pytest.fixture
def chain():
    """A fresh in-process EVM for each test."""
    return connect()


@pytest.fixture
def deployment(chain, artifacts):
    """Every contract deployed to a fresh in-process EVM."""
    return deploy(chain, artifacts)


@pytest.fixture(scope="session")
def anvil_url():
    """A throwaway anvil node (from node_modules/.bin) for the RPC deployment path."""
    import shutil
    import socket
    import subprocess
    import time

    from energy_trading.project import REPO_ROOT

    binary = shutil.which("anvil") or str(REPO_ROOT / "node_modules" / ".bin" / "anvil")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([binary, "--port", str(port), "--silent"], stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    yield url
    proc.terminate()
    proc.wait(timeout=10)
