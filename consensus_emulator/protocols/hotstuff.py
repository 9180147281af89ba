"""Basic HotStuff (Yin et al. 2019, Algorithm 2; seed 000 §III-C, Fig 3b) on SimPy actors.

The leader of view v is replica v mod n; quorum q = n - f, f = floor((n-1)/3). A view:

1. every replica sends NEW-VIEW to the view's leader, which waits for q (its own
   included) -- the round starts here;
2. prepare: the leader packs, hashes and signs the block;
3. consensus: PREPARE (block) to all; replicas verify the transactions and send a vote;
   with q votes the leader forms prepareQC and sends PRE-COMMIT; q votes -> precommitQC,
   COMMIT; q votes -> commitQC: the block is decided;
4. formal: DECIDE (commitQC) to all; each replica verifies it and stores the block.

Votes go only to the leader and QCs are single (threshold) signatures, so each phase
costs n-1 messages: per block (n-1) NEW-VIEW + 4(n-1) leader messages + 3(n-1) votes
= 8(n-1), linear in n. The leader counts its own vote; all replicas vote even after the
quorum is reached.

Faults: crashed and silent replicas send nothing; malicious replicas vote with an
invalid partial signature (counted as traffic, never toward a QC). A pacemaker moves a
replica to the next view after `view_timeout_ms` without a decision, doubling the
timeout after every view that timed out (exponential back-off without decrease, so
that a timeout too short for large n adapts once and stays adapted); a faulty leader
thus costs one timeout and the next leader takes over (recorded as an election).
"""

from __future__ import annotations

from consensus_emulator.config import HotStuffParams, SimConfig
from consensus_emulator.metrics import ElectionRecord, RunResult
from consensus_emulator.network import Message
from consensus_emulator.sim import Node, Sim, Timer
from consensus_emulator.workload import Batch

__all__ = ["HotStuff", "hotstuff_messages_per_block", "run_hotstuff"]

PHASES = ("prepare", "pre-commit", "commit", "decide")
VOTE_OF = {"prepare": "prepare-vote", "pre-commit": "pre-commit-vote", "commit": "commit-vote"}
NEXT_PHASE = {"prepare-vote": "pre-commit", "pre-commit-vote": "commit", "commit-vote": "decide"}


def hotstuff_messages_per_block(n: int) -> int:
    """Closed form of the fault-free message count of basic HotStuff: 8(n-1)."""
    return 8 * (n - 1)


class HotStuffNode(Node):
    """A HotStuff replica (and the leader of every view v with v mod n == id)."""

    def __init__(self, hs: HotStuff, node_id: int, fault: str | None) -> None:
        super().__init__(hs.sim, node_id, fault)
        self.hs = hs
        self.view = 0
        self.view_started_at = 0.0
        self.missed_views = 0
        # leader state for the view it leads
        self.lead_view = -1
        self.new_views: set[int] = set()
        self.votes: dict[str, set[int]] = {}
        self.advanced: set[str] = set()
        self.record = None
        self.batch: Batch | None = None
        self.block_size = 0.0

    # ------------------------------------------------------------ views
    def view_timeout(self) -> float:
        """Pacemaker timeout (ms): doubles after each view that timed out, never shrinks."""
        return self.hs.params.view_timeout_ms * 2 ** min(self.missed_views, 10)

    def enter_view(self, view: int):
        """Move to `view`, arm the pacemaker and send NEW-VIEW to its leader."""
        self.view = view
        self.view_started_at = self.env.now
        self.set_timer("view", self.view_timeout())
        leader = self.hs.leader_of(view)
        if leader == self.id:
            self.on_new_view_from(self.id, view)
            return
        yield from self.send(leader, "new-view", self.costs.vote_bytes, (view,))

    def receive_cost(self, msg: Message) -> float:
        c = self.costs
        if msg.kind == "prepare":
            count = msg.payload[1]
            return c.recv_ms + c.verify_sig_ms + c.hash_cost(msg.size) + count * c.tx_verify_ms
        return c.recv_ms + c.verify_sig_ms

    def handle(self, msg):
        if isinstance(msg, Timer):
            if msg.name == "view":
                self.missed_views += 1
                if self.lead_view == self.view:
                    self.abandon_view()
                self.hs.view_timed_out(self.view, self.view_started_at)
                return self.enter_view(self.view + 1)
            return None
        view = msg.payload[0]
        kind = msg.kind
        if kind == "new-view":
            self.on_new_view_from(msg.src, view)
            return None
        if kind in NEXT_PHASE:
            self.on_vote(msg)
            return None
        if view < self.view:
            return None
        if kind == "decide":
            return self.on_decide(view)
        if kind in VOTE_OF:
            if view > self.view:
                self.view = view
                self.set_timer("view", self.view_timeout())
            return self._vote(msg.src, VOTE_OF[kind], view)
        return None

    def _vote(self, leader: int, kind: str, view: int):
        yield from self.work(self.costs.sign_ms)  # partial signature
        yield from self.send(leader, kind, self.costs.vote_bytes, (view, not self.malicious))

    def on_decide(self, view: int):
        yield from self.work(self.costs.store_cost(self.hs.block_size.get(view, 0.0)))
        if self.crashed:
            return
        self.hs.stored(view, self.id, self.env.now)
        yield from self.enter_view(view + 1)

    # ------------------------------------------------------------ leader
    def abandon_view(self) -> None:
        """The leader's own pacemaker fired: give up the view, return its block to the pool."""
        record = self.record
        self.lead_view = -1
        if record is not None and not record.committed and self.batch is not None:
            record.t_final = self.env.now
            record.note = "view timed out"
            self.sim.pool.requeue(self.batch)
        self.batch = None
        self.record = None

    def on_new_view_from(self, src: int, view: int) -> None:
        if self.hs.leader_of(view) != self.id or view < self.lead_view:
            return
        if view > self.lead_view:
            self.lead_view = view
            self.new_views = set()
            own = set() if self.malicious else {self.id}  # vote-against nodes never approve
            self.votes = {k: set(own) for k in NEXT_PHASE}
            self.advanced = set()
            self.record = None
        self.new_views.add(src)
        if self.sim.rounds_done():
            return
        if self.record is None and len(self.new_views) >= self.hs.quorum and not self.silent:
            self.record = self.sim.open_round(self.id)
            self.hs.view_started(view, self.id)
            self.env.process(self.propose(view))

    def propose(self, view: int):
        sim, c = self.sim, self.costs
        if sim.pool.pending() == 0:
            yield sim.pool.when_nonempty()
        batch = sim.pool.take(sim.cfg.workload.block_tx)
        self.batch = batch
        size = c.block_bytes(batch.count, batch.nbytes)
        self.hs.block_size[view] = size
        yield from self.work(batch.count * c.tx_pack_ms + c.hash_cost(size) + c.sign_ms)
        if self.crashed or self.lead_view != view:
            sim.pool.requeue(batch)
            return
        self.record.t_prepared = self.env.now
        yield from self.multicast(self.hs.peers(self.id), "prepare", size, (view, batch.count))

    def on_vote(self, msg: Message) -> None:
        view, valid = msg.payload
        if view != self.lead_view or not valid or self.record is None:
            return
        tally = self.votes[msg.kind]
        tally.add(msg.src)
        if len(tally) >= self.hs.quorum and msg.kind not in self.advanced:
            self.advanced.add(msg.kind)
            self.env.process(self.advance(NEXT_PHASE[msg.kind], view))

    def advance(self, phase: str, view: int):
        """Form the QC (combine partial signatures) and broadcast the next phase."""
        yield from self.work(self.costs.sign_ms)
        if self.crashed or self.lead_view != view:
            return
        if phase == "decide":
            self.record.t_decided = self.env.now
            self.hs.decided(view, self.record, self.batch)
            self.batch = None
        yield from self.multicast(self.hs.peers(self.id), phase, self.costs.vote_bytes, (view,))
        if phase == "decide":
            yield from self.on_decide(view)


class HotStuff:
    """One basic-HotStuff run."""

    def __init__(self, cfg: SimConfig) -> None:
        self.params: HotStuffParams = cfg.params
        self.sim = Sim(cfg)
        self.env = self.sim.env
        self.n = cfg.n_nodes
        self.f = (self.n - 1) // 3
        self.quorum = self.n - self.f
        self.block_size: dict[int, float] = {}
        self.pending: dict[int, list] = {}
        self.current_leader: int | None = None
        self.lost_at: float | None = None
        self.lost_to_crash = False  # lost_at is the crash of the view's leader: the new view is a failover
        self.last_progress = 0.0
        faults = self.sim.faults
        self.nodes = [HotStuffNode(self, i, faults.get(i)) for i in range(self.n)]
        self.honest = [i for i in range(self.n) if faults.get(i) is None]
        self.sim.schedule_leader_crashes(self.nodes, lambda: self.current_leader)
        for node in self.nodes:
            if not node.crashed:
                self.env.process(node.enter_view(1))
        self.env.process(self._watchdog())

    def leader_of(self, view: int) -> int:
        return view % self.n

    def peers(self, node: int) -> list[int]:
        return [i for i in range(self.n) if i != node]

    # ------------------------------------------------------------ bookkeeping
    def view_started(self, view: int, leader: int) -> None:
        if self.lost_at is not None:
            record = ElectionRecord(self.lost_at, self.env.now, leader, f"view {view}", self.lost_to_crash)
            self.sim.elections.append(record)
            self.lost_at, self.lost_to_crash = None, False
        self.current_leader = leader

    def view_timed_out(self, view: int, view_started_at: float) -> None:
        """A replica gave up `view`; the outage began when the view did (or at the crash)."""
        leader = self.nodes[self.leader_of(view)]
        if self.lost_at is None:
            crashed = leader.crashed_at if leader.crashed_at is not None else -1.0
            self.lost_at = max(crashed, view_started_at)
            self.lost_to_crash = crashed >= view_started_at  # the leader crashed during this view
        if leader.crashed and leader.lead_view == view and leader.record is not None:
            leader.abandon_view()
        if self.sim.rounds_done() and not self.pending:
            self.sim.finish()

    def decided(self, view: int, record, batch: Batch) -> None:
        self.pending[view] = [record, batch, self.env.now, 0]
        self.last_progress = self.env.now

    def stored(self, view: int, node: int, t: float) -> None:
        entry = self.pending.get(view)
        if entry is None:
            return
        entry[2] = max(entry[2], t)
        entry[3] += 1
        expected = sum(1 for i in self.honest if not self.nodes[i].crashed)
        if entry[3] >= expected:
            self._finalize(view)

    def _finalize(self, view: int) -> None:
        record, batch, t_final, _ = self.pending.pop(view)
        self.sim.commit(record, batch, t_final)
        if self.sim.rounds_done() and not self.pending:
            self.sim.finish()

    def _watchdog(self):
        stall = 2**11 * self.params.view_timeout_ms
        while True:
            yield self.env.timeout(stall / 2)
            if self.env.now - self.last_progress > stall:
                self.sim.finish()
                return

    def run(self) -> RunResult:
        result = self.sim.run("hotstuff")
        for view in list(self.pending):
            self._finalize(view)
        result.extra["f"] = self.f
        result.extra["quorum"] = self.quorum
        return result


def run_hotstuff(cfg: SimConfig) -> RunResult:
    """Run basic HotStuff with `cfg` (protocol "hotstuff")."""
    return HotStuff(cfg).run()
