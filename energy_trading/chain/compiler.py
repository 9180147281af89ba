"""Compile the repository's contracts with py-solc-x through the solcjs wrapper.

The same settings as brownie (read from brownie-config.yaml) so both paths deploy
identical bytecode. Results are cached under `build/energy_trading/` keyed by a hash
of every source file and the settings, so repeated runs skip the ~1 s compile.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solcx

from energy_trading.chain.project import REPO_ROOT, compiler_settings, solc_wrapper_path

__all__ = ["Artifact", "CompileError", "compile_contracts", "is_cached", "source_count"]

SOURCE_DIRS = ("contracts", "interfaces")
CACHE_DIR = REPO_ROOT / "build" / "energy_trading"


class CompileError(RuntimeError):
    """solc reported errors; the message holds its formatted diagnostics."""


@dataclass(frozen=True)
class Artifact:
    """ABI and creation bytecode of one compiled contract."""

    name: str
    source: str
    abi: list[dict[str, Any]]
    bytecode: str


def _sources(root: Path) -> dict[str, str]:
    files = sorted(p for d in SOURCE_DIRS for p in (root / d).rglob("*.sol"))
    return {p.relative_to(root).as_posix(): p.read_text() for p in files}


def _standard_input(sources: dict[str, str]) -> dict[str, Any]:
    s = compiler_settings()
    return {
        "language": "Solidity",
        "sources": {name: {"content": text} for name, text in sources.items()},
        "settings": {
            "evmVersion": s.evm_version,
            "optimizer": {"enabled": s.optimizer_enabled, "runs": s.optimizer_runs},
            "remappings": list(s.remappings),
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }


def _input_and_cache_file(root: Path) -> tuple[dict[str, Any], Path]:
    input_json = _standard_input(_sources(root))
    key = hashlib.sha256(json.dumps(input_json, sort_keys=True).encode()).hexdigest()[:16]
    return input_json, CACHE_DIR / f"{key}.json"


def source_count(root: Path = REPO_ROOT) -> int:
    """How many .sol files a compile reads (contracts/ and interfaces/)."""
    return len(_sources(root))


def is_cached(root: Path = REPO_ROOT) -> bool:
    """True when the current sources and settings were compiled before (the next compile is instant)."""
    return _input_and_cache_file(root)[1].exists()


def compile_contracts(root: Path = REPO_ROOT, use_cache: bool = True) -> dict[str, Artifact]:
    """Compile every .sol file under contracts/ and interfaces/.

    Returns a mapping from contract name to its artifact. Raises `CompileError`
    with solc's messages when the sources do not compile.
    """
    input_json, cache_file = _input_and_cache_file(root)
    if use_cache and cache_file.exists():
        output = json.loads(cache_file.read_text())
    else:
        output = solcx.compile_standard(
            input_json,
            solc_binary=solc_wrapper_path(),
            allow_paths=str(root),
            base_path=str(root),
        )
        errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
        if errors:
            raise CompileError("\n".join(e.get("formattedMessage", e["message"]) for e in errors))
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        # written aside, then renamed: parallel test workers never read a half-written cache file
        partial = cache_file.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(json.dumps(output))
        os.replace(partial, cache_file)
    artifacts: dict[str, Artifact] = {}
    for source, contracts in output["contracts"].items():
        for name, data in contracts.items():
            artifacts[name] = Artifact(name, source, data["abi"], "0x" + data["evm"]["bytecode"]["object"])
    return artifacts
