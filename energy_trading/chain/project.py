"""Where the repository's files are, and the compiler settings in `brownie-config.yaml`.

`brownie-config.yaml` is the single source of truth for the compiler version, EVM
version, optimizer and remappings: brownie reads it, and so does `energy_trading.chain.compiler`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

__all__ = ["REPO_ROOT", "CompilerSettings", "compiler_settings", "solc_wrapper_path"]

REPO_ROOT = Path(__file__).resolve().parents[2]


class ToolchainError(RuntimeError):
    """The offline toolchain (node_modules, solc wrapper) is missing or broken."""


@dataclass(frozen=True)
class CompilerSettings:
    """Solidity compiler settings as brownie-config.yaml states them."""

    solc_version: str
    evm_version: str
    optimizer_enabled: bool
    optimizer_runs: int
    remappings: tuple[str, ...]


@cache
def compiler_settings(config_path: Path | None = None) -> CompilerSettings:
    """Read the `compiler:` section of brownie-config.yaml."""
    path = config_path or REPO_ROOT / "brownie-config.yaml"
    config = yaml.safe_load(path.read_text())["compiler"]
    solc = config["solc"]
    return CompilerSettings(
        solc_version=str(solc["version"]),
        evm_version=str(config["evm_version"]),
        optimizer_enabled=bool(solc["optimizer"]["enabled"]),
        optimizer_runs=int(solc["optimizer"]["runs"]),
        remappings=tuple(solc.get("remappings", [])),
    )


def solc_wrapper_path() -> Path:
    """The solcjs wrapper that speaks native solc's command line (tools/solc.js)."""
    wrapper = REPO_ROOT / "tools" / "solc.js"
    solcjs = REPO_ROOT / "node_modules" / "solc" / "package.json"
    if not solcjs.exists():
        raise ToolchainError(
            f"{solcjs} is missing: run `make setup` (or `npm ci`) in {REPO_ROOT} to install the "
            "pinned solcjs compiler"
        )
    if not os.access(wrapper, os.X_OK):
        raise ToolchainError(f"{wrapper} is not executable: run `chmod +x {wrapper}`")
    return wrapper
