"""consensus_emulator: a seeded discrete-event model of block production.

CRSM, Raft, weighted Raft, PBFT, HotStuff, SBET and sharded multi-centre consensus run on
one network model (per-link latency with jitter, bandwidth, intermittent links, per-node
processing cost, faults). Time is in ms, sizes in bytes, work in transactions.

Typical use::

    from consensus_emulator import default_config, run
    result = run(default_config("crsm", n_nodes=4, rounds=20))
    result.summary()["phases_ms"]      # {'prepare': 15.0, 'consensus': 76.0, 'formal': 12.0}
"""

from consensus_emulator.config import ConfigError, SimConfig, default_config
from consensus_emulator.metrics import RunResult
from consensus_emulator.protocols import run

__all__ = ["ConfigError", "RunResult", "SimConfig", "default_config", "run"]
