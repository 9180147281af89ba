"""Every user entry point run as a user runs it: the installed commands in a subprocess (or a
pseudo-terminal for the console), asserting on what they print and write, and that they print no
traceback and no warning."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect

from energy_trading.chain.project import REPO_ROOT
from energy_trading.cli.console import EXAMPLES

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


def test_console_runs_every_banner_example():
    child = pexpect.spawn(
        str(BIN / "energy-trading"), ["console"], cwd=str(REPO_ROOT), env=user_env(), encoding="utf-8",
        timeout=180,
    )  # fmt: skip
    try:
        child.expect(">>> ")
        banner = child.before
        assert "energy-trading console (in-process EVM)" in banner
        for line in EXAMPLES:
            assert line in banner
        outputs = []
        for line in EXAMPLES:
            child.sendline(line)
            child.expect(">>> ")
            outputs.append(child.before)
        child.sendline("exit()")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    transcript = "\n".join(outputs)
    assert_quiet(banner + transcript)
    assert "Error" not in transcript and "reverted" not in transcript, transcript
    assert "<Status.APPROVED: 2>" in outputs[0]
    assert child.exitstatus == 0
