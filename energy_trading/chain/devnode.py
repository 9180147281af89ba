"""A throwaway local anvil node (from npm `@foundry-rs/anvil-linux-amd64`) for tests and benchmarks."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

from energy_trading.chain.project import REPO_ROOT

__all__ = ["anvil_node"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def anvil_node(*extra_args: str, startup_timeout_s: float = 20.0) -> Iterator[str]:
    """Start anvil on a free loopback port, yield its HTTP URL, and stop it afterwards.

    `extra_args` go to anvil as they are (e.g. "--gas-limit", "1000000000"). Raises `RuntimeError`
    when anvil does not accept connections within `startup_timeout_s` seconds.
    """
    binary = shutil.which("anvil") or str(REPO_ROOT / "node_modules" / ".bin" / "anvil")
    port = _free_port()
    # --max-persisted-states 0: states evicted from memory are dropped, not written under
    # ~/.foundry/anvil/tmp, a directory anvil leaves behind when stopped (foundry-rs/foundry#4251)
    args = [binary, "--port", str(port), "--silent", "--max-persisted-states", "0", *extra_args]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + startup_timeout_s
        while True:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"anvil ({binary}) did not start on port {port}: run `make setup`")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
