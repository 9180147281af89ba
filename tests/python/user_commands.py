"""Running the installed commands as a user does (a subprocess with the README's PATH), shared by the
entry-point and README-command tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from energy_trading.chain.project import REPO_ROOT

BIN = Path(sys.executable).parent
NOISE = ("Traceback", "Warning", "WARNING")


def user_env() -> dict[str, str]:
    """The environment of a user who followed the README: .venv/bin and node_modules/.bin on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{REPO_ROOT / 'node_modules' / '.bin'}{os.pathsep}{env['PATH']}"
    env.pop("PYTHONWARNINGS", None)
    env["MPLBACKEND"] = "Agg"
    return env


def run(*argv: str, timeout: float = 300, input: str | None = None, cwd: Path = REPO_ROOT):
    """Run a command as a user types it; returns the completed process (text)."""
    return subprocess.run(
        list(argv), capture_output=True, text=True, timeout=timeout, input=input, cwd=cwd, env=user_env()
    )


def assert_quiet(text: str) -> None:
    """No traceback and no warning in what a command printed."""
    for word in NOISE:
        assert word not in text, f"{word!r} in output:\n{text}"


GOOD_INSTANCE = {
    "requests": [{"id": "r1", "energy_kwh": 5}, {"id": "r2", "energy_kwh": 3}],
    "providers": [
        {"id": "sun", "price": 0.4, "capacity_kwh": 6, "reputation": 0.9},
        {"id": "wind", "price": 0.3, "capacity_kwh": 4, "reputation": 0.5},
    ],
}


TINY_SCENARIO = {
    "name": "tiny",
    "participants": [
        {"id": "g", "role": "generator", "source": "solar"},
        {"id": "c", "role": "consumer"},
    ],
    "periods": [
        {
            "offers": [{"provider": "g", "price": 0.5, "capacity_kwh": 10}],
            "requests": [{"consumer": "c", "energy_kwh": 4}],
        },
        {"contracts": [{"seller": "g", "buyer": "c", "price": 0.5, "energy_kwh": 2, "bonus": 0.1}]},
    ],
}
