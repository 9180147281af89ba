"""Configuration dataclasses of the emulator, their validation and the calibrated defaults.

Units everywhere: time in milliseconds (ms), sizes in bytes, work in transactions (tx).

A run is described by one `SimConfig`: the protocol name, the node count, the shared
`NetworkConfig`, `CostConfig` (per-node processing cost), `FaultConfig`, `WorkloadConfig`
and a protocol-specific parameter dataclass (`CRSMParams`, `RaftParams`, ...).
`SimConfig.validate()` rejects impossible configurations with a `ConfigError` that says
what to fix, before any simulation starts.

Calibration (seed 000 §IV-B): with `LAN` and `COSTS` below, CRSM with 4 nodes, one
consensus domain and a 1000-transaction block spends 15 ms preparing the preparatory
block, 76 ms in domain consensus and 12 ms producing and storing the formal block
(103 ms in all). Physical constants (1 Gbit/s links, 0.2 ms one-way LAN latency,
250-byte signed transactions, 0.5 ms signatures) were fixed first; the three costs
`tx_pack_ms`, `tx_verify_ms` and `store_ms_per_kb` were then solved from the three
phase times by `consensus_emulator.calibration.calibrate_crsm`, whose result is
checked by the test suite.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

__all__ = [
    "COSTS",
    "LAN",
    "METRO",
    "MICROGRID",
    "NETWORK_PROFILES",
    "PROFILE_COSTS",
    "PROTOCOLS",
    "RAFT_PAPER",
    "RAFT_PAPER_COSTS",
    "SHARDED_003",
    "CRSMParams",
    "ConfigError",
    "CostConfig",
    "ETPSParams",
    "FaultConfig",
    "HotStuffParams",
    "HybridParams",
    "NetworkConfig",
    "PBFTParams",
    "RaftParams",
    "SBETParams",
    "SPFTParams",
    "ShardedParams",
    "SimConfig",
    "WeightedRaftParams",
    "WorkloadConfig",
    "default_config",
]


class ConfigError(ValueError):
    """An impossible or inconsistent configuration; the message says what to change."""


JITTER_KINDS = ("none", "uniform", "exponential", "lognormal")


@dataclass(frozen=True)
class NetworkConfig:
    """One network model shared by every protocol.

    One-way delay of a message of `s` bytes on link (i, j), sent at time t:
    ``queue(i, j) + s / bandwidth + base_latency_ms + distance(i, j) * ms_per_km + jitter``
    where `queue` is the FIFO wait behind earlier messages on the same directed link and
    `jitter` is drawn per message from the `jitter` distribution with scale `jitter_ms`
    (uniform: U[0, jitter_ms]; exponential: mean jitter_ms; lognormal: median jitter_ms,
    sigma 0.5). Nodes sit uniformly at random in an `area_km` x `area_km` square.

    Links go down and come back (SBET's intermittent microgrids, seed 002 eq 2): each
    undirected link alternates exponentially distributed up periods (mean
    `link_mtbf_ms`) and down periods (mean `link_mttr_ms`); a message sent while its
    link is down is lost. `link_mtbf_ms = 0` means links never fail.

    Attributes:
        base_latency_ms: propagation + switching delay common to all links (ms).
        jitter: distribution of the per-message extra delay, one of JITTER_KINDS.
        jitter_ms: scale of the jitter (ms).
        bandwidth_mbps: bandwidth of every directed link (Mbit/s).
        area_km: side of the square the nodes are placed in (km); 0 puts all at one spot.
        ms_per_km: extra one-way delay per km of distance (ms/km).
        link_mtbf_ms: mean up time of a link (ms); 0 = links never go down.
        link_mttr_ms: mean down time of a link (ms).
    """

    base_latency_ms: float = 0.2
    jitter: str = "exponential"
    jitter_ms: float = 0.05
    bandwidth_mbps: float = 1000.0
    area_km: float = 0.0
    ms_per_km: float = 0.005
    link_mtbf_ms: float = 0.0
    link_mttr_ms: float = 0.0

    def validate(self) -> None:
        if self.base_latency_ms < 0 or not math.isfinite(self.base_latency_ms):
            raise ConfigError(f"network latency must be >= 0 ms, got {self.base_latency_ms}")
        if self.jitter not in JITTER_KINDS:
            raise ConfigError(f"unknown jitter distribution {self.jitter!r}; use one of {JITTER_KINDS}")
        if self.jitter_ms < 0:
            raise ConfigError(f"jitter must be >= 0 ms, got {self.jitter_ms}")
        if self.bandwidth_mbps <= 0:
            raise ConfigError(f"bandwidth must be > 0 Mbit/s, got {self.bandwidth_mbps}")
        if self.area_km < 0 or self.ms_per_km < 0:
            raise ConfigError("area_km and ms_per_km must be >= 0")
        if self.link_mtbf_ms < 0 or self.link_mttr_ms < 0:
            raise ConfigError("link_mtbf_ms and link_mttr_ms must be >= 0")
        if self.link_mtbf_ms > 0 and self.link_mttr_ms <= 0:
            raise ConfigError("links that fail (link_mtbf_ms > 0) need link_mttr_ms > 0 to come back")

    @property
    def bytes_per_ms(self) -> float:
        """Link bandwidth in bytes per millisecond."""
        return self.bandwidth_mbps * 1e6 / 8.0 / 1000.0

    @property
    def link_availability(self) -> float:
        """Long-run fraction of time a link is up."""
        if self.link_mtbf_ms <= 0:
            return 1.0
        return self.link_mtbf_ms / (self.link_mtbf_ms + self.link_mttr_ms)


#: Switched 1 Gbit/s LAN as in seed 000 §IV-A (20 hosts, no Internet access).
LAN = NetworkConfig()
#: Ongaro & Ousterhout 2014 §9.3 ran five servers on a LAN; by their §5.6 the broadcast
#: time includes persisting to stable storage, so the network is a LAN and
#: `RAFT_PAPER_COSTS` adds the writes (see below).
RAFT_PAPER = NetworkConfig(base_latency_ms=0.2, jitter="exponential", jitter_ms=0.1)
#: Thirty trading nodes spread over a 100 km metropolitan fibre network (seed 001 §5.2);
#: the base latency is set so that Raft with paper node 1 leading needs about 2.5 ms per
#: consensus, the 24.89 ms per 10 consensuses of seed 001 Table 5.
METRO = NetworkConfig(
    base_latency_ms=0.55, jitter="exponential", jitter_ms=0.02, area_km=100.0, ms_per_km=0.005
)
#: Cooperative microgrids of seed 002: wide area (50 km square), 10 Mbit/s links with
#: long delays that drop out about 10 % of the time (seed 002 §II-A, eq 2).
MICROGRID = NetworkConfig(
    base_latency_ms=5.0,
    jitter="exponential",
    jitter_ms=2.0,
    bandwidth_mbps=10.0,
    area_km=50.0,
    ms_per_km=0.1,
    link_mtbf_ms=2700.0,
    link_mttr_ms=300.0,
)
#: Seed 003 §6: "data broadcasting speed between nodes is between [0, 20]" ms.
SHARDED_003 = NetworkConfig(base_latency_ms=0.0, jitter="uniform", jitter_ms=20.0, bandwidth_mbps=100.0)

NETWORK_PROFILES: dict[str, NetworkConfig] = {
    "lan": LAN,
    "raft-paper": RAFT_PAPER,
    "metro": METRO,
    "microgrid": MICROGRID,
    "sharded-003": SHARDED_003,
}


@dataclass(frozen=True)
class CostConfig:
    """Per-node processing cost (ms of one CPU) and message sizes (bytes).

    Every node has one CPU; all work below is serialised on it (a SimPy resource).
    Sending a message costs `send_ms + marshal_ms_per_kb * kB` of the sender's CPU;
    receiving costs `recv_ms` plus whatever verification the protocol does.

    The three starred values are the calibrated ones (see module docstring).
    """

    tx_pack_ms: float = 0.0135  # * proposer: fetch, decode and hash one tx into a block
    tx_verify_ms: float = 0.0697  # * validator: signature + semantic check of one tx
    store_ms_per_kb: float = 0.0117  # * persist one kB of a formal block
    sign_ms: float = 0.5  # sign a block or a vote
    verify_sig_ms: float = 0.3  # verify one signature on a message
    hash_ms_per_kb: float = 0.004  # SHA-256 of one kB
    send_ms: float = 0.02  # per-message send overhead (gRPC call, syscall)
    marshal_ms_per_kb: float = 0.004  # serialise one kB
    recv_ms: float = 0.02  # per-message receive overhead
    persist_ms: float = 0.0  # Raft: write term/vote/log entry to stable storage (fsync) per RPC
    # Raft: a term/vote write takes persist_ms +- this, uniformly (fsync time varies from write to
    # write); 0 = every write takes persist_ms
    persist_spread_ms: float = 0.0
    tx_bytes: int = 250  # one signed energy-trading transaction
    header_bytes: int = 200  # block header / message envelope
    vote_bytes: int = 150  # a signed vote or acknowledgement (envelope + hash + signature)

    def validate(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0 or not math.isfinite(value):
                raise ConfigError(f"cost {f.name} must be a finite number >= 0, got {value}")
        if self.tx_bytes <= 0:
            raise ConfigError(f"tx_bytes must be > 0, got {self.tx_bytes}")
        if self.persist_spread_ms > self.persist_ms:
            raise ConfigError(
                f"persist_spread_ms ({self.persist_spread_ms}) must be <= persist_ms ({self.persist_ms}): "
                "a write cannot take negative time"
            )

    def send_cost(self, size_bytes: float) -> float:
        """CPU time (ms) a sender spends on one message of `size_bytes`."""
        return self.send_ms + self.marshal_ms_per_kb * size_bytes / 1000.0

    def hash_cost(self, size_bytes: float) -> float:
        """CPU time (ms) to hash `size_bytes`."""
        return self.hash_ms_per_kb * size_bytes / 1000.0

    def store_cost(self, size_bytes: float) -> float:
        """CPU/disk time (ms) to persist `size_bytes`."""
        return self.store_ms_per_kb * size_bytes / 1000.0

    def block_bytes(self, tx_count: int, tx_bytes_total: float | None = None) -> float:
        """Size of a block carrying `tx_count` transactions (bytes)."""
        body = self.tx_bytes * tx_count if tx_bytes_total is None else tx_bytes_total
        return self.header_bytes + body


#: Calibrated defaults (seed 000: 15 / 76 / 12 ms for 4 nodes, 1000 tx).
COSTS = CostConfig()
#: Raft paper §9.3 cluster (LogCabin): one stable-storage write (term/vote metadata + fsync)
#: takes 3.0 ms on average, each write uniformly between 1.25 and 4.75 ms (fsync time varies
#: from write to write). Calibrated once for the whole of Fig 16, not per range (see
#: `consensus_emulator.validation.raft_paper` and docs/validation.md): a candidate writes
#: before its RequestVotes leave, so a peer whose timeout falls within ~3.3 ms (write + link)
#: of the candidate's has become a candidate itself and the vote splits; the spread moves the
#: servers' timers apart from one split round to the next. The mean sets how often a first
#: round splits (12-24 / 25-50 ms ask for 3.0 ms; a constant 2.5 ms left 25-50's p90 21 %
#: short), the spread how fast repeated splits at 150-151 ms break up (its median at seed 0:
#: ±1.0 ms +34 %, ±1.5 ms +12 %, ±1.75 ms -2 %, ±2.0 ms -13 %). The same model with a 14.4 ms
#: write (the prose's "broadcast time of roughly 15 ms" read as one write) splits every first
#: round at 150-155 ms (median ~900 ms).
RAFT_PAPER_COSTS = CostConfig(persist_ms=3.0, persist_spread_ms=1.75)
#: Costs that go with a network profile when `run --network NAME` selects it.
PROFILE_COSTS: dict[str, CostConfig] = {"raft-paper": RAFT_PAPER_COSTS}


@dataclass(frozen=True)
class FaultConfig:
    """Which nodes misbehave and how.

    crashed: stop completely (no heartbeats, no messages) from t = 0.
    silent: keep sending heartbeats (look healthy to a monitor) but never answer
        consensus messages (omission fault).
    malicious: answer, but vote against every proposal (Byzantine "vote-against").
    Each kind can be given by explicit node ids or by a count; counted nodes are drawn
    at random (from the run's generator) among nodes not already faulty.
    crash_leader_at_ms: crash whichever node leads (primary, leader, creator) at these
        simulated times (ms).
    """

    crashed: tuple[int, ...] = ()
    silent: tuple[int, ...] = ()
    malicious: tuple[int, ...] = ()
    n_crashed: int = 0
    n_silent: int = 0
    n_malicious: int = 0
    crash_leader_at_ms: tuple[float, ...] = ()

    def validate(self, n_nodes: int) -> None:
        explicit = [*self.crashed, *self.silent, *self.malicious]
        for node in explicit:
            if not 0 <= node < n_nodes:
                raise ConfigError(f"faulty node id {node} is outside 0..{n_nodes - 1}")
        if len(set(explicit)) != len(explicit):
            raise ConfigError("a node can have only one fault kind (crashed, silent or malicious)")
        counts = (self.n_crashed, self.n_silent, self.n_malicious)
        if min(counts) < 0:
            raise ConfigError("fault counts must be >= 0")
        if len(explicit) + sum(counts) > n_nodes:
            raise ConfigError(
                f"{len(explicit) + sum(counts)} faulty nodes requested but only {n_nodes} exist"
            )
        if any(t < 0 for t in self.crash_leader_at_ms):
            raise ConfigError("crash_leader_at_ms times must be >= 0 ms")


@dataclass(frozen=True)
class WorkloadConfig:
    """Where transactions come from.

    arrival: "saturated" keeps the pending pool full (seed 000 §IV-B sends 1000 tx/s to
        the cache "to ensure that the blockchain system can get enough data for consensus
        each time"); "poisson" draws arrivals at `rate_tps`; "replay" feeds the
        (time, size) stream of a scenario run (`replay` list of (time_ms, size_bytes)).
    block_tx: transactions per block, theta of seed 000 §III-B.
    """

    block_tx: int = 1000
    arrival: str = "saturated"
    rate_tps: float = 1000.0
    replay: tuple[tuple[float, int], ...] = ()

    def validate(self) -> None:
        if self.block_tx < 1:
            raise ConfigError(f"block size (transactions per block) must be >= 1, got {self.block_tx}")
        if self.arrival not in ("saturated", "poisson", "replay"):
            raise ConfigError(f"unknown arrival process {self.arrival!r}; use saturated, poisson or replay")
        if self.arrival == "poisson" and self.rate_tps <= 0:
            raise ConfigError("a poisson workload needs rate_tps > 0")
        if self.arrival == "replay":
            if not self.replay:
                raise ConfigError("a replay workload needs a non-empty transaction stream")
            if any(t < 0 or s <= 0 for t, s in self.replay):
                raise ConfigError("replayed transactions need time_s >= 0 and size_bytes > 0")


# --------------------------------------------------------------------------- protocols


@dataclass(frozen=True)
class CRSMParams:
    """CRSM (seed 000 §III).

    domains: D consensus domains; nodes are assigned to domains in turn (S2).
    threshold: fraction of a domain's members that must approve (4/5, §III-C and
        eq 1); a domain of m members passes with ceil(threshold * m) yes votes,
        the primary's own vote included.
    storage_nodes: dedicated storage-domain nodes on top of the consensus nodes
        (every consensus node also stores the formal block, S7).
    vote_timeout_ms: the "limit time" after which non-voting nodes are judged invalid
        (§IV-F); a domain still short of votes then fails and its data goes to the
        next round (Fig 4 caption).
    heartbeat_ms / heartbeat_timeout_ms: heartbeat period to the monitoring node and
        the silence after which the monitor treats a node as unhealthy.
    round_timeout_ms: the monitor reselects the primary if a round has not finished
        by then (§III-D-5: "the system will reselect the primary node").
    global_threshold: fraction of all N consensus nodes whose approving votes, summed over
        the domains, a formal block needs (§IV-F: "if the vote of the remaining node
        V >= 4/5 N is collected, the formal block will continue to be generated; otherwise,
        the consensus fails"; §III-D-2: fewer than 4/5 approvals, no new block); 0 disables.
    """

    domains: int = 1
    threshold: float = 0.8
    global_threshold: float = 0.8
    storage_nodes: int = 0
    vote_timeout_ms: float = 300.0
    heartbeat_ms: float = 50.0
    heartbeat_timeout_ms: float = 150.0
    round_timeout_ms: float = 1000.0

    def validate(self, n_nodes: int) -> None:
        if self.domains < 1:
            raise ConfigError(f"CRSM needs at least one consensus domain, got {self.domains}")
        if self.domains > n_nodes:
            raise ConfigError(
                f"CRSM cannot split {n_nodes} nodes into {self.domains} domains; use --domains <= {n_nodes}"
            )
        _check_threshold(self.threshold)
        if not 0.0 <= self.global_threshold <= 1.0:
            raise ConfigError(f"global_threshold must lie in [0, 1], got {self.global_threshold}")
        if self.storage_nodes < 0:
            raise ConfigError("storage_nodes must be >= 0")
        _check_positive(
            vote_timeout_ms=self.vote_timeout_ms,
            heartbeat_ms=self.heartbeat_ms,
            heartbeat_timeout_ms=self.heartbeat_timeout_ms,
            round_timeout_ms=self.round_timeout_ms,
        )


@dataclass(frozen=True)
class RaftParams:
    """Raft (Ongaro & Ousterhout 2014): randomised election timeouts U[min, max] ms.

    heartbeat_ms defaults to half the minimum election timeout, as in §9.3 of the
    Raft paper. threshold: fraction of servers whose acknowledgement commits (a
    strict majority, > 1/2, is Raft's rule; the value is the fraction that must be
    exceeded). initial_leader: start with this node as leader (term 1) instead of
    electing one (seed 001 §5.2.2 fixes the leader per scenario). elect_every_round:
    hold a fresh election before each round (the baseline of seed 001 Tables 3-4).

    How real implementations time and run elections (see `protocols/raft.py`):

    timeout_granularity_ms: timeouts are drawn uniformly from the multiples of this step
        in [min, max], both ends included. LogCabin, the Raft paper's implementation, draws
        whole milliseconds (`randomRange(ms, ms)` into a `uint64_t`), so "150-151" is
        150 or 151 ms; 0 draws from the continuum.
    tick_ms: a logical clock (etcd/raft): timers count ticks of this length, each node's
        ticker has its own phase, and a timeout fires on the tick that reaches it. None =
        timers fire at their exact time (LogCabin uses the wall clock).
    persist_vote_before_request: the candidate writes its term and self-vote to stable
        storage before sending RequestVote (LogCabin's startNewElection, etcd's rule that
        a non-leader persists a Ready before sending its messages, hashicorp/raft's
        setCurrentTerm). False: the write runs while the RequestVotes are in flight and
        the candidate takes office only once it is durable.
    reset_timer_on_new_term: any message of a higher term resets the election timer
        (etcd's becomeFollower). False: only granting a vote or hearing the leader does
        (Raft paper Fig 2, LogCabin).
    vote_writes: stable-storage writes a server makes, one after the other, before it
        answers a RequestVote of a new term that it grants: LogCabin 2 (stepDown writes
        the new term, then the vote is written), etcd 1 (one HardState per Ready).
    check_quorum: a follower that heard from its leader less than `timeout_min_ms` ago
        ignores RequestVotes (etcd's CheckQuorum lease, on in etcd servers), without
        adopting their term.
    """

    timeout_min_ms: float = 150.0
    timeout_max_ms: float = 300.0
    heartbeat_ms: float | None = None
    threshold: float = 0.5
    initial_leader: int | None = None
    elect_every_round: bool = False
    timeout_granularity_ms: float = 1.0
    tick_ms: float | None = None
    persist_vote_before_request: bool = True
    reset_timer_on_new_term: bool = False
    vote_writes: int = 2
    check_quorum: bool = False

    def validate(self, n_nodes: int) -> None:
        if self.timeout_min_ms <= 0 or self.timeout_max_ms < self.timeout_min_ms:
            raise ConfigError(
                f"Raft election timeout range must satisfy 0 < min <= max, got "
                f"{self.timeout_min_ms}..{self.timeout_max_ms} ms"
            )
        if self.heartbeat_ms is not None and self.heartbeat_ms <= 0:
            raise ConfigError("heartbeat_ms must be > 0")
        if self.timeout_granularity_ms < 0 or not math.isfinite(self.timeout_granularity_ms):
            raise ConfigError(f"timeout_granularity_ms must be >= 0, got {self.timeout_granularity_ms}")
        if self.vote_writes not in (1, 2):
            raise ConfigError(f"vote_writes must be 1 or 2, got {self.vote_writes}")
        if self.tick_ms is not None and not (self.tick_ms > 0 and math.isfinite(self.tick_ms)):
            raise ConfigError(f"tick_ms must be > 0 (or None for a continuous clock), got {self.tick_ms}")
        _check_threshold(self.threshold)
        _check_leader(self.initial_leader, n_nodes)

    @property
    def heartbeat(self) -> float:
        return self.heartbeat_ms if self.heartbeat_ms is not None else self.timeout_min_ms / 2.0


@dataclass(frozen=True)
class WeightedRaftParams:
    """Weighted Raft (seed 001 §4.1).

    Election timeout of the node ranked n_i by weight: `base_timeout_ms + step_ms * n_i`
    (eq 7: 100 + 5 n_i ms, n_i = 1 for the heaviest). A candidate wins, and a log entry
    commits, once the weights of the nodes that agreed (its own included) exceed
    `threshold` (one half) of the total weight.

    weights: initial weights by node (0..100 scale); empty = synthetic seed 001 weights.
    weights_by_round: optional per-round weights (one tuple per round), e.g. from a
        chain run; rounds beyond the list keep the last entry.
    participation_gamma: gamma of eq 9/12 for the consensus-participation weight W_g of
        eq 19, which the emulator itself updates from who replied in time (0 disables;
        the paper uses 0 for the leader-election study §5.2.1 and 0.3 for §5.2.2).
    elect_every_round: hold a fresh election each round (seed 001 §5.2.1 ran 200
        elections); otherwise a leader stays until it fails.
    initial_leader: start with this node as leader instead of electing one
        (seed 001 §5.2.2: scenarios 1-3 fix paper nodes 1, 2 and 5 as leaders).
    """

    base_timeout_ms: float = 100.0
    step_ms: float = 5.0
    threshold: float = 0.5
    heartbeat_ms: float = 50.0
    weights: tuple[float, ...] = ()
    weights_by_round: tuple[tuple[float, ...], ...] = ()
    participation_gamma: float = 0.0
    elect_every_round: bool = False
    initial_leader: int | None = None

    def validate(self, n_nodes: int) -> None:
        _check_threshold(self.threshold)
        _check_leader(self.initial_leader, n_nodes)
        _check_positive(base_timeout_ms=self.base_timeout_ms, heartbeat_ms=self.heartbeat_ms)
        if self.step_ms < 0:
            raise ConfigError("step_ms must be >= 0")
        for row in (self.weights, *self.weights_by_round):
            if row and len(row) != n_nodes:
                raise ConfigError(
                    f"got {len(row)} node weights for {n_nodes} nodes; give one weight per node"
                )
            if any(w < 0 or not math.isfinite(w) for w in row):
                raise ConfigError("node weights must be finite and >= 0")
            if row and sum(row) <= 0:
                raise ConfigError("node weights must not all be zero")
        if not 0 <= self.participation_gamma <= 1:
            raise ConfigError("participation_gamma must lie in [0, 1]")


@dataclass(frozen=True)
class PBFTParams:
    """PBFT (Castro & Liskov 1999): pre-prepare, prepare, commit; f = floor((n-1)/3).

    view_change_timeout_ms: a backup that has not seen the block committed by then
    starts a view change to primary (v + 1) mod n.
    """

    view_change_timeout_ms: float = 500.0

    def validate(self, n_nodes: int) -> None:
        if n_nodes < 4:
            raise ConfigError(f"PBFT needs n >= 4 nodes (n = 3f + 1 with f >= 1), got {n_nodes}")
        _check_positive(view_change_timeout_ms=self.view_change_timeout_ms)


@dataclass(frozen=True)
class HotStuffParams:
    """Basic (non-pipelined) HotStuff (Yin et al. 2019): four leader phases, linear votes.

    The leader of view v is node v mod n; quorum n - f with f = floor((n-1)/3).
    view_timeout_ms: the pacemaker moves to the next view when a view has not decided.
    """

    view_timeout_ms: float = 500.0

    def validate(self, n_nodes: int) -> None:
        if n_nodes < 4:
            raise ConfigError(f"HotStuff needs n >= 4 nodes (n = 3f + 1 with f >= 1), got {n_nodes}")
        _check_positive(view_timeout_ms=self.view_timeout_ms)


@dataclass(frozen=True)
class HybridParams:
    """Hybrid PoS + PBFT (Wu, Song & Wang 2020, seed 000's reference [31], its Figs 5-6 baseline).

    PoS picks a committee of the nodes holding the most stake; the committee runs PBFT on
    each block; the primary then sends the committed block to the other nodes, which verify
    and store it. [31]'s own committee size is not given in seed 000, so it is a parameter.

    committee_fraction: share of the N nodes in the committee (at least `min_committee`).
    min_committee: smallest committee (PBFT needs 4).
    view_change_timeout_ms: as in PBFT, inside the committee.
    """

    committee_fraction: float = 0.5
    min_committee: int = 4
    view_change_timeout_ms: float = 500.0

    def validate(self, n_nodes: int) -> None:
        if n_nodes < 4:
            raise ConfigError(f"the hybrid PoS+PBFT needs n >= 4 nodes (a PBFT committee), got {n_nodes}")
        if not 0 < self.committee_fraction <= 1:
            raise ConfigError(f"committee_fraction must lie in (0, 1], got {self.committee_fraction}")
        if self.min_committee < 4:
            raise ConfigError(f"min_committee must be >= 4 (PBFT), got {self.min_committee}")
        _check_positive(view_change_timeout_ms=self.view_change_timeout_ms)


@dataclass(frozen=True)
class SPFTParams:
    """SPFT: seed 002's PBFT-based baseline (its §IV-A, after its reference [7]).

    Microgrids broadcast their trades with seed 002's eq 6 wait (up to `t_max_ms`); the
    primary of the view collects them for that window, then PBFT (pre-prepare, prepare,
    commit) agrees on the block. No redundant data exchange.
    """

    t_max_ms: float = 500.0
    view_change_timeout_ms: float = 2000.0

    def validate(self, n_nodes: int) -> None:
        if n_nodes < 4:
            raise ConfigError(f"SPFT (PBFT) needs n >= 4 microgrids, got {n_nodes}")
        _check_positive(t_max_ms=self.t_max_ms, view_change_timeout_ms=self.view_change_timeout_ms)


@dataclass(frozen=True)
class ETPSParams:
    """ETPS: seed 002's proof-of-stake baseline (its §IV-A, after its reference [6]).

    After the same data window as SPFT (`t_max_ms`), every microgrid checks a stake kernel
    once per `slot_ms` and wins a slot with probability `stake_i / sum(stake) * q`, q set
    so that a block is found on average every `target_spacing_ms`; the winner builds and
    signs the block and every microgrid verifies it (each transaction's signature plus the
    kernel proof) before it counts as created. Defaults: PPCoin's one-second kernel
    granularity and ten-minute stake target spacing (King & Nadal 2012); [6]'s own
    values are not given in seed 002.
    """

    t_max_ms: float = 500.0
    slot_ms: float = 1000.0
    target_spacing_ms: float = 600_000.0
    stake_min: float = 1.0
    stake_max: float = 100.0

    def validate(self, n_nodes: int) -> None:
        if n_nodes < 2:
            raise ConfigError(f"ETPS needs at least 2 microgrids, got {n_nodes}")
        _check_positive(
            t_max_ms=self.t_max_ms, slot_ms=self.slot_ms, target_spacing_ms=self.target_spacing_ms
        )
        if self.target_spacing_ms < self.slot_ms:
            raise ConfigError("target_spacing_ms must be >= slot_ms (at most one block per slot)")
        if not 0 < self.stake_min <= self.stake_max:
            raise ConfigError("stakes must satisfy 0 < stake_min <= stake_max")


@dataclass(frozen=True)
class SBETParams:
    """SBET (seed 002 §II-III).

    gamma: verification ratio of eq 4 (2/3).
    t_max_ms: the maximum waiting time t_max of eq 6 (0.5 .. 2.0 s in §IV-A).
    block_interval_ms: time between block-creation rounds (0.5 s in §IV-A).
    busy_prob: probability that a microgrid answers "No" (occupied) to the creator
        election (Algorithm 1 lines 5-9).
    redundant_exchange: the redundant data exchange of §III-B (False gives the
        baseline without it, whose missing data "cannot be stored", §IV-A-2).
    creator_rule: "sample" draws the creator with probability p_i of eq 7 (text of
        §III-B); "argmax" takes the largest p_i (Algorithm 1 line 12).
    storage_min / storage_max: free storage space s_i of eq 7 drawn per node (MB).
    queries: transactions a client looks up after the run (query latency and accuracy,
        §IV-A-2); 0 skips the query phase.
    """

    gamma: float = 2.0 / 3.0
    t_max_ms: float = 500.0
    block_interval_ms: float = 500.0
    busy_prob: float = 0.1
    redundant_exchange: bool = True
    creator_rule: str = "sample"
    storage_min: float = 10.0
    storage_max: float = 28.8
    queries: int = 30

    def validate(self, n_nodes: int) -> None:
        if n_nodes < 2:
            raise ConfigError("SBET needs at least 2 microgrids")
        _check_threshold(self.gamma)
        _check_positive(t_max_ms=self.t_max_ms, block_interval_ms=self.block_interval_ms)
        if not 0 <= self.busy_prob < 1:
            raise ConfigError("busy_prob must lie in [0, 1)")
        if self.creator_rule not in ("sample", "argmax"):
            raise ConfigError("creator_rule must be 'sample' or 'argmax'")
        if not 0 < self.storage_min <= self.storage_max:
            raise ConfigError("storage space must satisfy 0 < storage_min <= storage_max")
        if self.queries < 0:
            raise ConfigError("queries must be >= 0")


@dataclass(frozen=True)
class ShardedParams:
    """Sharded multi-centre consensus (seed 003 §4.3, §6).

    shards: number of regional shards (1 = the "general" unsharded mechanism).
    puzzle_min_ms / puzzle_max_ms: hash-puzzle solving time U[20, 40] ms (§6).
    block_capacity_tx: transactions one regional block can hold; the rest waits for
        the next round ("trading congestion", §6).
    trades: trades to settle in the run (the x axis of seed 003 Fig 5); each belongs to
        a random region (shard).
    """

    shards: int = 3
    puzzle_min_ms: float = 20.0
    puzzle_max_ms: float = 40.0
    block_capacity_tx: int = 10
    trades: int = 30

    def validate(self, n_nodes: int) -> None:
        if self.shards < 1:
            raise ConfigError("sharded consensus needs at least one shard")
        if self.shards > n_nodes:
            raise ConfigError(
                f"cannot split {n_nodes} nodes into {self.shards} shards; use --shards <= {n_nodes}"
            )
        if not 0 <= self.puzzle_min_ms <= self.puzzle_max_ms:
            raise ConfigError("hash-puzzle time range must satisfy 0 <= min <= max")
        if self.block_capacity_tx < 1:
            raise ConfigError("block_capacity_tx must be >= 1")
        if self.trades < 1:
            raise ConfigError("trades must be >= 1")


PROTOCOL_PARAMS: dict[str, type] = {
    "crsm": CRSMParams,
    "raft": RaftParams,
    "weighted-raft": WeightedRaftParams,
    "pbft": PBFTParams,
    "hotstuff": HotStuffParams,
    "sbet": SBETParams,
    "sharded": ShardedParams,
    "hybrid": HybridParams,
    "spft": SPFTParams,
    "etps": ETPSParams,
}
PROTOCOLS: tuple[str, ...] = tuple(PROTOCOL_PARAMS)
DEFAULT_NETWORK: dict[str, str] = {
    "crsm": "lan",
    "raft": "lan",
    "weighted-raft": "lan",
    "pbft": "lan",
    "hotstuff": "lan",
    "sbet": "microgrid",
    "sharded": "sharded-003",
    "hybrid": "lan",
    "spft": "microgrid",
    "etps": "microgrid",
}


@dataclass(frozen=True)
class SimConfig:
    """Everything one run needs.

    rounds: blocks (rounds) to attempt; the run also stops at `max_time_ms` of
    simulated time. seed: the single seed of the run's numpy Generator.
    """

    protocol: str
    n_nodes: int
    params: Any
    network: NetworkConfig = LAN
    costs: CostConfig = COSTS
    faults: FaultConfig = field(default_factory=FaultConfig)
    workload: WorkloadConfig = field(default_factory=WorkloadConfig)
    rounds: int = 20
    seed: int = 0
    max_time_ms: float = 600_000.0

    def validate(self) -> SimConfig:
        """Raise `ConfigError` naming the first problem; return self when valid."""
        if self.protocol not in PROTOCOL_PARAMS:
            raise ConfigError(f"unknown protocol {self.protocol!r}; choose one of {', '.join(PROTOCOLS)}")
        expected = PROTOCOL_PARAMS[self.protocol]
        if not isinstance(self.params, expected):
            raise ConfigError(
                f"protocol {self.protocol} needs {expected.__name__}, got {type(self.params).__name__}"
            )
        if self.n_nodes < 1:
            raise ConfigError(f"need at least one node, got {self.n_nodes}")
        if self.rounds < 1:
            raise ConfigError(f"rounds must be >= 1, got {self.rounds}")
        if self.max_time_ms <= 0:
            raise ConfigError("max_time_ms must be > 0")
        self.network.validate()
        self.costs.validate()
        self.faults.validate(self.n_nodes)
        self.workload.validate()
        self.params.validate(self.n_nodes)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON view of the configuration (for the `run` output)."""
        out = asdict(self)
        out["workload"]["replay"] = len(self.workload.replay)
        return out

    def with_(self, **changes: Any) -> SimConfig:
        return replace(self, **changes)


def default_config(protocol: str, n_nodes: int = 4, **overrides: Any) -> SimConfig:
    """A `SimConfig` with the protocol's default parameters and network profile."""
    if protocol not in PROTOCOL_PARAMS:
        raise ConfigError(f"unknown protocol {protocol!r}; choose one of {', '.join(PROTOCOLS)}")
    base: dict[str, Any] = {
        "protocol": protocol,
        "n_nodes": n_nodes,
        "params": PROTOCOL_PARAMS[protocol](),
        "network": NETWORK_PROFILES[DEFAULT_NETWORK[protocol]],
    }
    base.update(overrides)
    return SimConfig(**base)


def _check_threshold(value: float) -> None:
    if not (0 < value <= 1) or not math.isfinite(value):
        raise ConfigError(f"threshold must lie in (0, 1], got {value}")


def _check_leader(leader: int | None, n_nodes: int) -> None:
    if leader is not None and not 0 <= leader < n_nodes:
        raise ConfigError(f"initial leader {leader} is outside 0..{n_nodes - 1}")


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0 or not math.isfinite(value):
            raise ConfigError(f"{name} must be > 0, got {value}")
