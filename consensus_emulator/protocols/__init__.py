"""One module per protocol; `run(cfg)` dispatches on `cfg.protocol`."""

from __future__ import annotations

from collections.abc import Callable

from consensus_emulator.config import SimConfig
from consensus_emulator.metrics import RunResult

__all__ = ["run"]


def _runner(protocol: str) -> Callable[[SimConfig], RunResult]:
    if protocol == "crsm":
        from consensus_emulator.protocols.crsm import run_crsm

        return run_crsm
    if protocol in ("raft", "weighted-raft"):
        from consensus_emulator.protocols.raft import run_raft

        return run_raft
    if protocol == "pbft":
        from consensus_emulator.protocols.pbft import run_pbft

        return run_pbft
    if protocol == "hotstuff":
        from consensus_emulator.protocols.hotstuff import run_hotstuff

        return run_hotstuff
    if protocol == "sbet":
        from consensus_emulator.protocols.sbet import run_sbet

        return run_sbet
    if protocol == "sharded":
        from consensus_emulator.protocols.sharded import run_sharded

        return run_sharded
    if protocol == "hybrid":
        from consensus_emulator.protocols.hybrid import run_hybrid

        return run_hybrid
    if protocol == "spft":
        from consensus_emulator.protocols.spft import run_spft

        return run_spft
    if protocol == "etps":
        from consensus_emulator.protocols.etps import run_etps

        return run_etps
    raise KeyError(protocol)


def run(cfg: SimConfig) -> RunResult:
    """Validate `cfg` and run its protocol; raises `ConfigError` before simulating if invalid."""
    cfg.validate()
    return _runner(cfg.protocol)(cfg)
