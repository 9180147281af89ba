"""Raft (Ongaro & Ousterhout 2014) and weighted Raft (seed 001 §4.1) on the shared network.

Both share one actor, `RaftNode` (follower / candidate / leader), and differ in two rules:

=================  ======================================  =====================================
rule               Raft                                    weighted Raft (seed 001)
=================  ======================================  =====================================
election timeout   U[min, max] ms, redrawn at every reset  ``100 + 5 * n_i`` ms, n_i = weight rank
                                                           (eq 7; 1 = heaviest, ties by lower id)
election quorum    votes of more than half of the servers  weights of voters (self included) over
                                                           half of the total weight (§4.1.1 (2))
commit quorum      acks of more than half of the servers   acknowledging weights over half of the
                                                           total weight (§4.1.1 consensus (3))
=================  ======================================  =====================================

Weights change between rounds: from `WeightedRaftParams.weights_by_round` (a chain run),
else the synthetic seed 001 market of `consensus_emulator.weights`; the consensus
participation weight W_g (eq 19) goes to the "valid repliers" of each committed round:
the followers whose acks arrived up to and including the one that completed the quorum
(§4.2.3), ordered by arrival.

Replication of one block (phases of `metrics`): prepare = the leader packs, hashes and
signs the block; consensus = AppendEntries to every follower, each of which verifies
the transactions and persists the entry before acknowledging ("copies it locally after
confirming that it is correct", seed 001 §4.1.1), until the commit quorum; formal = the
leader applies and stores the block (followers learn the commit index with the next
AppendEntries, as in Raft). Messages per block: (n-1) AppendEntries + (n-1) acks =
2(n-1); an uncontested election costs (n-1) RequestVote + (n-1) replies; heartbeats
are control traffic.

A leader that cannot gather the commit quorum within `commit_timeout_ms` records the
round as failed (TPS 0), puts the block back in the pool and tries again; a run with
no progress for `stall_ms` stops (e.g. too many crashed nodes to form any quorum).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from consensus_emulator.config import (
    RAFT_PAPER,
    RAFT_PAPER_COSTS,
    CostConfig,
    NetworkConfig,
    RaftParams,
    SimConfig,
    WeightedRaftParams,
)
from consensus_emulator.metrics import ElectionRecord, RunResult
from consensus_emulator.network import CONTROL, Message
from consensus_emulator.sim import Node, Sim, Timer
from consensus_emulator.weights import Seed001Market, timeout_ranks

__all__ = ["RaftCluster", "leader_failover_trial", "run_raft", "weighted_quorum"]

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"


def weighted_quorum(weights: np.ndarray, agreeing: set[int] | list[int], threshold: float = 0.5) -> bool:
    """Seed 001 §4.1.1: the agreeing nodes' weights exceed `threshold` of the total (strictly)."""
    total = float(np.sum(weights))
    got = float(np.sum(weights[list(agreeing)])) if agreeing else 0.0
    return got > threshold * total + 1e-12 * max(total, 1.0)


class RaftNode(Node):
    """One Raft server."""

    def __init__(self, cluster: RaftCluster, node_id: int, fault: str | None) -> None:
        super().__init__(cluster.sim, node_id, fault)
        self.cluster = cluster
        self.state = FOLLOWER
        self.term = 0
        self.voted_for: int | None = None
        self.votes: set[int] = set()
        self.last_log_term = 0
        self.last_log_index = 0
        self.leader_id: int | None = None
        # leader's replication state
        self.repl_index = 0
        self.acks: set[int] = set()
        self.ack_order: list[int] = []
        self.commit_event = None
        self.inflight = None
        # election bookkeeping: when the candidate's own vote is on stable storage
        self.vote_durable_at = 0.0
        self.disk_free_at = 0.0
        self.last_leader_contact = -math.inf
        self.last_write_at = -1.0
        self.term_durable_at = 0.0
        self.office_term = -1
        self.tick_phase = float(cluster.sim.rng.uniform(0.0, cluster.tick_ms)) if cluster.tick_ms else 0.0

    # ------------------------------------------------------------ timers
    def arm_election_timer(self) -> None:
        """(Re)start the election timer: a fresh timeout, counted in ticks on a logical clock."""
        timeout = self.cluster.timeout_for(self.id)
        tick = self.cluster.tick_ms
        if tick:
            # etcd/raft: electionElapsed restarts at 0 and grows by one on every tick of this
            # node's ticker; the timer fires on the tick where it reaches the timeout.
            now = self.env.now
            next_tick = self.tick_phase + math.floor((now - self.tick_phase) / tick + 1.0) * tick
            timeout = next_tick - now + (max(1, round(timeout / tick)) - 1) * tick
        self.set_timer("election", timeout)

    def handle(self, msg):
        if isinstance(msg, Timer):
            if msg.name == "election" and self.state != LEADER:
                return self.start_election()
            if msg.name == "heartbeat" and self.state == LEADER:
                return self.send_heartbeats()
            if msg.name == "take_office" and self.state == CANDIDATE and self.term == self.office_term:
                self.become_leader()
            return None
        term = msg.payload[0]
        if msg.kind == "request_vote" and self.in_lease():
            return None  # etcd CheckQuorum: a live leader was heard recently; ignore, keep the term
        if term > self.term:
            self.step_down(term)
            self.term_durable_at = self.persist()
            if self.cluster.reset_timer_on_new_term:
                self.arm_election_timer()
        kind = msg.kind
        if kind == "request_vote":
            return self.on_request_vote(msg)
        if kind == "vote":
            self.on_vote(msg)
            return None
        if kind in ("append", "heartbeat"):
            return self.on_append(msg)
        if kind == "ack":
            self.on_ack(msg)
        return None

    def in_lease(self) -> bool:
        """CheckQuorum lease: heard from a leader within the minimum election timeout."""
        cluster = self.cluster
        return (
            cluster.check_quorum
            and self.state == FOLLOWER
            and self.leader_id is not None
            and self.env.now - self.last_leader_contact < cluster.params.timeout_min_ms
        )

    def receive_cost(self, msg: Message) -> float:
        c = self.costs
        if msg.kind == "append":
            count = msg.payload[2]
            return (
                c.recv_ms
                + c.verify_sig_ms
                + c.hash_cost(msg.size)
                + count * c.tx_verify_ms
                + c.store_cost(msg.size)
                + c.persist_ms  # the mean write; term/vote writes draw their spread in `persist`
            )
        return c.recv_ms

    def persist(self) -> float:
        """Queue a write of (term, vote) to this node's disk; return when it is durable (ms).

        The disk is a FIFO device beside the CPU: the Raft state changes in memory at once
        (timers keep running, later messages are handled), and whatever must follow the
        write - the vote reply, the candidate taking office - waits for its completion.
        """
        cluster = self.cluster
        coalesce = cluster.vote_writes == 1
        if coalesce and self.last_write_at == self.env.now and self.disk_free_at >= self.env.now:
            return self.disk_free_at  # one write carries every change made at this instant
        free = cluster.disk_free_at if cluster.shared_disk else self.disk_free_at
        write = self.costs.persist_ms
        spread = self.costs.persist_spread_ms
        if spread > 0:  # each write its own fsync time, uniform in persist_ms +- spread
            write += float(cluster.sim.rng.uniform(-spread, spread))
        done = max(self.env.now, free) + write
        self.disk_free_at = done
        if cluster.shared_disk:
            cluster.disk_free_at = done
        self.last_write_at = self.env.now
        return done

    def send_when_durable(self, durable_at: float, dst: int, kind: str, payload: tuple) -> None:
        """Send a reply once the write it depends on is on stable storage."""
        wait = durable_at - self.env.now
        if wait <= 0:
            self.env.process(self.send(dst, kind, self.costs.vote_bytes, payload))
            return

        def later():
            yield self.env.timeout(wait)
            if not self.crashed:
                yield from self.send(dst, kind, self.costs.vote_bytes, payload)

        self.env.process(later())

    # ------------------------------------------------------------ elections
    def step_down(self, term: int) -> None:
        was_leader = self.state == LEADER
        self.term = term
        self.state = FOLLOWER
        self.voted_for = None
        self.leader_id = None
        self.cancel_timer("heartbeat")
        if was_leader:
            self.arm_election_timer()

    def start_election(self):
        """Timeout: new term, vote for self, persist that vote, ask every peer for theirs."""
        self.state = CANDIDATE
        self.term += 1
        self.voted_for = self.id
        self.votes = {self.id}
        self.arm_election_timer()
        return self._request_votes(self.term)

    def _request_votes(self, term: int):
        self.vote_durable_at = self.persist()
        if self.cluster.persist_vote_before_request:
            # etcd: a non-leader's Ready (HardState term + vote) is fsynced before its messages go out
            yield self.env.timeout(self.vote_durable_at - self.env.now)
            if self.crashed or self.state != CANDIDATE or self.term != term:
                return
        # otherwise the write runs on the disk while the RequestVotes are in flight and the
        # candidate takes office only once its own vote is durable (see `win`)
        if self.cluster.quorum(self.votes):
            self.win()
            return
        payload = (self.term, self.id, self.last_log_term, self.last_log_index)
        yield from self.multicast(self.cluster.peers(self.id), "request_vote", self.costs.vote_bytes, payload)

    def on_request_vote(self, msg: Message):
        term, cand, llt, lli = msg.payload
        up_to_date = (llt, lli) >= (self.last_log_term, self.last_log_index)
        grant = term == self.term and self.voted_for in (None, cand) and up_to_date and not self.malicious
        durable = self.term_durable_at
        if grant:
            if self.voted_for is None:
                durable = self.persist()  # etcd: joins the new-term write; LogCabin: a second write
            self.voted_for = cand
            self.arm_election_timer()
        # a vote (or a refusal that carries a new term) leaves only once it is on stable storage
        self.send_when_durable(durable, msg.src, "vote", (self.term, grant))
        return None

    def on_vote(self, msg: Message) -> None:
        term, granted = msg.payload
        if self.state != CANDIDATE or term != self.term or not granted:
            return
        self.votes.add(msg.src)
        if self.cluster.quorum(self.votes):
            self.win()

    def win(self) -> None:
        """A quorum voted: take office once the candidate's own vote is on stable storage."""
        wait = self.vote_durable_at - self.env.now
        if wait > 0:
            self.office_term = self.term
            self.set_timer("take_office", wait)
        else:
            self.become_leader()

    def become_leader(self) -> None:
        self.state = LEADER
        self.leader_id = self.id
        self.cancel_timer("election")
        self.cluster.leader_elected(self)
        self.set_timer("heartbeat", 0.0)
        if self.cluster.replicate:
            self.env.process(self.lead())

    def send_heartbeats(self):
        self.set_timer("heartbeat", self.cluster.heartbeat_ms)
        payload = (self.term, self.id, 0)
        return self.multicast(
            self.cluster.peers(self.id), "heartbeat", self.costs.vote_bytes, payload, CONTROL
        )

    # ------------------------------------------------------------ replication
    def on_append(self, msg: Message):
        term = msg.payload[0]
        if term < self.term:
            return None
        if self.state != FOLLOWER:
            self.state = FOLLOWER
            self.cancel_timer("heartbeat")
        self.leader_id = msg.src
        self.last_leader_contact = self.env.now
        self.arm_election_timer()
        if msg.kind == "heartbeat":
            for listener in self.cluster.heartbeat_listeners:
                listener(self, term)
            return None
        _, index, _count = msg.payload
        self.last_log_term, self.last_log_index = term, index
        return self.send(msg.src, "ack", self.costs.vote_bytes, (self.term, index, not self.malicious))

    def on_ack(self, msg: Message) -> None:
        term, index, success = msg.payload
        if self.state != LEADER or term != self.term or index != self.repl_index or not success:
            return
        self.acks.add(msg.src)
        self.ack_order.append(msg.src)
        if (
            self.commit_event is not None
            and not self.commit_event.triggered
            and self.cluster.quorum(self.acks)
        ):
            self.commit_event.succeed(list(self.ack_order))

    def replicate_entry(self, followers: list[int], size: float, payload: tuple):
        """AppendEntries of one entry to every follower, as real Raft leaders send it.

        The entry is serialised once and handed to one connection per follower (LogCabin
        runs a thread per peer, etcd a stream per peer), so the leader's CPU pays the
        marshalling once plus a send call per follower, not a full serialisation each;
        the transfers then proceed in parallel on the followers' links. (Serialising
        the whole block once per follower made a 1000-tx block cost ~1 ms x (n-1) of
        leader CPU: at 256 nodes the last followers heard from the leader after their
        election timeout and every term ended in a new election.)
        """
        if self.crashed:
            return
        c = self.costs
        with self.cpu.request() as req:
            yield req
            t = self.env.now + c.marshal_ms_per_kb * size / 1000.0
            for dst in followers:
                if dst == self.id:
                    continue
                t += c.send_ms
                self.net.send(self.id, dst, "append", size, payload, ready_at=t, reliable=self.reliable)
            yield self.env.timeout(t - self.env.now)

    def lead(self):
        """Replicate blocks while leader (one block per round)."""
        sim, c, cluster, env = self.sim, self.costs, self.cluster, self.env
        term = self.term
        while self.state == LEADER and self.term == term and not self.crashed and not sim.rounds_done():
            if sim.pool.pending() == 0:
                yield sim.pool.when_nonempty()
            record = sim.open_round(self.id)
            batch = sim.pool.take(sim.cfg.workload.block_tx)
            self.inflight = batch
            size = c.block_bytes(batch.count, batch.nbytes)
            yield from self.work(batch.count * c.tx_pack_ms + c.hash_cost(size) + c.sign_ms)
            if self.crashed or self.state != LEADER:
                return
            record.t_prepared = env.now
            self.repl_index = self.last_log_index + 1
            self.last_log_term, self.last_log_index = self.term, self.repl_index
            self.acks = set() if self.malicious else {self.id}
            self.ack_order = []
            self.commit_event = env.event()
            if cluster.quorum(self.acks):
                self.commit_event.succeed([])
            order = cluster.send_order(self.id)
            yield from self.replicate_entry(order, size, (self.term, self.repl_index, batch.count))
            if not self.commit_event.triggered:
                yield self.commit_event | env.timeout(cluster.commit_timeout_ms)
            if self.crashed:
                return
            if not self.commit_event.triggered:
                record.t_decided = record.t_final = env.now
                record.note = "no commit quorum"
                sim.pool.requeue(batch)
                self.inflight = None
                cluster.round_finished(committed=False)
                continue
            record.t_decided = env.now
            valid = self.commit_event.value
            yield from self.work(c.store_cost(size))
            self.inflight = None
            sim.commit(record, batch, env.now)
            cluster.round_finished(committed=True, valid_repliers=valid)
            if cluster.elect_every_round:
                return


class RaftCluster:
    """The servers of one Raft / weighted-Raft run and the rules that differ between them.

    Args:
        cfg: protocol "raft" or "weighted-raft".
        replicate: leaders replicate blocks (False for pure election experiments).
        log_lengths: initial last-log index per node (Raft §9.3 gives servers different
            log lengths so that some candidates are ineligible).
    """

    def __init__(
        self,
        cfg: SimConfig,
        *,
        replicate: bool = True,
        log_lengths: list[int] | None = None,
        shared_disk: bool = False,
    ) -> None:
        self.weighted = cfg.protocol == "weighted-raft"
        self.params: RaftParams | WeightedRaftParams = cfg.params
        self.sim = Sim(cfg)
        self.env = self.sim.env
        self.n = cfg.n_nodes
        self.replicate = replicate
        self.shared_disk = shared_disk  # one disk for all servers (a test cluster on one machine)
        self.disk_free_at = 0.0
        p = self.params
        self.heartbeat_ms = p.heartbeat if isinstance(p, RaftParams) else p.heartbeat_ms
        raft_rules = p if isinstance(p, RaftParams) else RaftParams()
        self.tick_ms = raft_rules.tick_ms
        self.granularity_ms = raft_rules.timeout_granularity_ms
        self.persist_vote_before_request = raft_rules.persist_vote_before_request
        self.reset_timer_on_new_term = raft_rules.reset_timer_on_new_term
        self.vote_writes = raft_rules.vote_writes
        self.check_quorum = raft_rules.check_quorum
        self.elect_every_round = p.elect_every_round
        longest_timeout = (
            p.timeout_max_ms if isinstance(p, RaftParams) else p.base_timeout_ms + p.step_ms * self.n
        )
        self.commit_timeout_ms = max(1000.0, 4 * longest_timeout)
        self.stall_ms = 20 * longest_timeout + 1000.0
        self.market: Seed001Market | None = None
        self.round = 0
        if self.weighted:
            p = self.params
            if not p.weights and not p.weights_by_round:
                self.market = Seed001Market(self.n, self.sim.rng, gamma=p.participation_gamma)
            self.w_g = np.zeros(self.n)
        self.weights = np.ones(self.n)
        self.ranks = np.arange(1, self.n + 1)
        self._next_weights()
        faults = self.sim.faults
        self.nodes = [RaftNode(self, i, faults.get(i)) for i in range(self.n)]
        if log_lengths is not None:
            for node, length in zip(self.nodes, log_lengths, strict=True):
                node.last_log_term, node.last_log_index = 1, int(length)
        self.leader: int | None = None
        self.election_started = 0.0
        self.last_progress = 0.0
        self.leader_history: list[int] = []
        self.leader_watchers: list = []  # events fired at the next election
        self.heartbeat_listeners: list = []  # callables (node, term) run when a follower hears a heartbeat
        self.sim.schedule_leader_crashes(self.nodes, lambda: self.leader)
        self._start()

    # ------------------------------------------------------------ rules
    def timeout_for(self, node: int) -> float:
        """Election timeout (ms): U[min, max] for Raft, 100 + 5 * rank for seed 001 eq 7.

        Raft draws from the multiples of `timeout_granularity_ms` in [min, max] (whole
        milliseconds in LogCabin); granularity 0 draws from the continuum.
        """
        p = self.params
        if self.weighted:
            return p.base_timeout_ms + p.step_ms * float(self.ranks[node])
        lo, hi, step = p.timeout_min_ms, p.timeout_max_ms, self.granularity_ms
        if step > 0:
            return lo + step * float(self.sim.rng.integers(0, math.floor((hi - lo) / step + 1e-9) + 1))
        return float(self.sim.rng.uniform(lo, hi))

    def quorum(self, agreeing: set[int]) -> bool:
        """Election / commit quorum: count majority (Raft) or weight majority (seed 001)."""
        if self.weighted:
            return weighted_quorum(self.weights, agreeing, self.params.threshold)
        return len(agreeing) > self.params.threshold * self.n

    def peers(self, node: int) -> list[int]:
        return [i for i in range(self.n) if i != node]

    def send_order(self, leader: int) -> list[int]:
        """Followers in the order the leader serialises AppendEntries to them (by id)."""
        return self.peers(leader)

    # ------------------------------------------------------------ weights
    def _next_weights(self) -> None:
        self.round += 1
        if not self.weighted:
            return
        p = self.params
        if self.market is not None:
            self.weights = self.market.step()
        else:
            rows = p.weights_by_round or (p.weights,)
            base = np.asarray(rows[min(self.round, len(rows)) - 1], dtype=float)
            self.weights = base + p.participation_gamma * self.w_g
        self.ranks = timeout_ranks(self.weights)

    def round_finished(self, committed: bool, valid_repliers: list[int] | None = None) -> None:
        self.last_progress = self.env.now
        if committed and self.weighted and valid_repliers is not None:
            if self.market is not None:
                self.market.participate(valid_repliers)
            else:
                k = max(self.round, 1)
                for node in valid_repliers:  # eq 19
                    self.w_g[node] = min(100.0, self.w_g[node] + (k + 1) / k)
        self._next_weights()
        if self.sim.rounds_done():
            self.sim.finish()
        elif self.elect_every_round:
            self.reset_election()

    # ------------------------------------------------------------ elections
    def _start(self) -> None:
        p = self.params
        if p.initial_leader is not None:
            for node in self.nodes:
                node.term = 1
            leader = self.nodes[p.initial_leader]
            leader.state = LEADER
            self.leader = leader.id
            for node in self.nodes:
                if node.id != leader.id:
                    node.leader_id = leader.id
                    node.arm_election_timer()
            leader.set_timer("heartbeat", 0.0)
            if self.replicate:
                self.env.process(leader.lead())
        else:
            self.reset_election()
        self.env.process(self._watchdog())

    def reset_election(self) -> None:
        """All live servers become followers with fresh timers (a new election starts now)."""
        self.election_started = self.env.now
        self.leader = None
        for node in self.nodes:
            if node.crashed:
                continue
            node.state = FOLLOWER
            node.voted_for = None
            node.cancel_timer("heartbeat")
            node.arm_election_timer()

    def leader_elected(self, node: RaftNode) -> None:
        old = self.leader
        start = self.election_started
        crash = old is not None and old != node.id and self.nodes[old].crashed_at is not None
        if crash:
            start = self.nodes[old].crashed_at
            if self.nodes[old].inflight is not None:
                self.sim.pool.requeue(self.nodes[old].inflight)
                self.nodes[old].inflight = None
        cause = f"crash of node {old}, term {node.term}" if crash else f"term {node.term}"
        self.sim.elections.append(ElectionRecord(start, self.env.now, node.id, cause, from_crash=crash))
        self.leader = node.id
        watchers, self.leader_watchers = self.leader_watchers, []
        for event in watchers:
            event.succeed(node.id)
        self.leader_history.append(node.id)
        self.last_progress = self.env.now

    def _watchdog(self):
        while True:
            yield self.env.timeout(self.stall_ms / 4)
            if self.env.now - self.last_progress > self.stall_ms:
                self.sim.finish()
                return

    def run(self) -> RunResult:
        result = self.sim.run(self.sim.cfg.protocol)
        result.extra["leader_history"] = self.leader_history
        if self.weighted:
            result.extra["final_weights"] = [round(float(w), 4) for w in self.weights]
        return result


def run_raft(cfg: SimConfig) -> RunResult:
    """Run Raft or weighted Raft (by `cfg.protocol`)."""
    return RaftCluster(cfg).run()


def leader_failover_trial(
    timeout_min_ms: float,
    timeout_max_ms: float,
    *,
    seed: int,
    network: NetworkConfig = RAFT_PAPER,
    costs: CostConfig = RAFT_PAPER_COSTS,
    n: int = 5,
    cap_ms: float = 10_000.0,
    params: RaftParams | None = None,
    distinct_logs: bool = True,
    shared_disk: bool = False,
    until: str = "elected",
) -> float:
    """Time (ms) from the crash of a leader to the election of the next (Raft paper §9.3, Fig 16).

    Setup of the Raft paper: five servers, heartbeats every half minimum election timeout
    (one synchronized broadcast to all followers), servers with different log lengths (so
    some candidates cannot win), the leader crashed uniformly at random within its
    heartbeat interval. `params` replaces the Raft rules (e.g. etcd's, see
    `consensus_emulator.validation.etcd`; its timeouts and initial leader are set here);
    `distinct_logs=False` gives every server the same log (an idle etcd cluster);
    `shared_disk=True` queues every server's writes on one disk (a cluster on one machine).
    `until`: where the measured downtime ends - "elected", when the new leader takes office
    (etcd's "became leader" log line), or "heartbeat", when every surviving follower has
    received the new leader's first heartbeat (the end point of the Raft paper's benchmark,
    dissertation §9.6: "until the other servers received the new leader's first heartbeat").
    Returns `inf` when no leader emerged within `cap_ms`.
    """
    if until not in ("elected", "heartbeat"):
        raise ValueError(f"until must be 'elected' or 'heartbeat', got {until!r}")
    base = params if params is not None else RaftParams()
    params = replace(base, timeout_min_ms=timeout_min_ms, timeout_max_ms=timeout_max_ms, initial_leader=0)
    cfg = SimConfig(
        protocol="raft",
        n_nodes=n,
        params=params,
        network=network,
        costs=costs,
        seed=seed,
        max_time_ms=cap_ms * 10,
    )
    rng = np.random.default_rng([seed, 1])
    lengths = [n + 5, *(n + 4 - rng.permutation(n - 1))]  # leader longest, the rest all different
    if not distinct_logs:
        lengths = [n + 5] * n
    cluster = RaftCluster(cfg, replicate=False, log_lengths=lengths, shared_disk=shared_disk)
    env = cluster.env
    hb = params.heartbeat
    crash_at = 3 * hb + float(rng.uniform(0, hb))
    outcome: dict[str, float] = {}

    def crash_and_watch():
        yield env.timeout(crash_at)
        cluster.nodes[0].crash()
        elected = env.event()
        if until == "elected":
            cluster.leader_watchers.append(elected)
        else:
            survivors = {node.id for node in cluster.nodes if not node.crashed}
            heard: set[int] = set()
            old_term = cluster.nodes[0].term

            def on_heartbeat(node, term):
                # a heartbeat of a later term than the crashed leader's comes from its successor
                if term > old_term and not elected.triggered:
                    heard.add(node.id)
                    if heard >= survivors - {node.leader_id}:
                        elected.succeed(node.leader_id)

            cluster.heartbeat_listeners.append(on_heartbeat)
        yield elected | env.timeout(cap_ms)
        if elected.triggered:
            outcome["elected"] = env.now
        cluster.sim.finish()

    env.process(crash_and_watch())
    cluster.sim.run("raft")
    if "elected" not in outcome:
        return math.inf
    return outcome["elected"] - crash_at
