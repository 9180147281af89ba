"""CRSM: the consensus resource slicing model of seed 000 §III.

Actors (one SimPy process each, plus a heartbeat process per node):

* `Monitor` (Mon_Node, §III-A-1): receives heartbeats, judges node health, picks a
  healthy primary at random every round (§III-D-6), waits until the storage domain has
  synchronised to the new height (§III-A-1 (5)-(6)) before starting the next round, and
  reselects the primary when it stops answering (§III-D-5).
* `CRSMNode` (Con_Node, and Pri_Node while it leads a round): votes on the preparatory
  block of its domain and stores formal blocks.
* `StorageNode` (Sto_Node): stores formal blocks only.

One round (S3-S7, Fig 4; time in ms):

1. prepare: the primary takes theta pending transactions and cuts them into k = D
   preparatory blocks of ceil(theta / D) (§III-B); cost theta * tx_pack + D * (hash + sign).
2. consensus: each preparatory block goes to every member of its domain; members verify
   signature, hash and each transaction, and vote; a domain of m members passes with
   ceil(4/5 * m) approving votes, the primary's own included (§III-C "Commit"); it fails
   early once too many reject, or when the vote timeout expires (§IV-F).
3. formal: the data of passed domains is merged into one formal block, signed and sent
   to all consensus and storage nodes, each of which verifies and stores it (S6-S7).
   The primary marshals each preparatory and formal block once and then pays one send
   call per recipient (`CRSMNode.send_serialised`).
   Data of failed domains goes back to the pool for the next round (Fig 4 caption).

Messages per round without faults: (N-1) preparatory + (N-1) votes + (N-1+S) formal,
i.e. 3(N-1)+S for N consensus and S dedicated storage nodes (the O(n) of §III-C, Fig 3d).
Heartbeats and the monitor's start/done notes are control traffic, not counted.

Choices where the paper is silent (documented here so they can be searched):
* the 4/5 threshold is over the configured members of a domain; crashed or silent
  members count as missing votes, never shrink the domain;
* a malicious node votes against every preparatory block, its own as primary included
  (vote-against nodes never approve anything, in every protocol here);
* a round whose domains all fail produces no formal block (TPS 0 for that round), and so
  does a round whose approving votes, summed over the domains, fall short of
  ``global_threshold`` (4/5) of the N consensus nodes (§IV-F "V >= 4/5 N", §III-D-2): all
  its data goes back to the pool; with a few faults the sum still passes and only the
  domains short of their own 4/5 carry their data over;
* heartbeats carry the node's height, which is how the monitor checks the storage
  domain before the next round (§III-A-1 (5)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from consensus_emulator.config import CRSMParams, SimConfig
from consensus_emulator.metrics import ElectionRecord, RunResult
from consensus_emulator.network import CONTROL, Message
from consensus_emulator.sim import Node, Sim, Timer
from consensus_emulator.workload import Batch

__all__ = ["CRSM", "domain_threshold", "run_crsm"]


def domain_threshold(members: int, threshold: float) -> int:
    """Approving votes a domain of `members` needs: ceil(threshold * members) (4/5 rule)."""
    return max(1, math.ceil(threshold * members - 1e-9))


@dataclass
class _DomainVote:
    members: list[int]
    need: int
    yes: set[int] = field(default_factory=set)
    no: set[int] = field(default_factory=set)
    passed: bool | None = None

    def decide(self) -> None:
        if self.passed is not None:
            return
        if len(self.yes) >= self.need:
            self.passed = True
        elif len(self.no) > len(self.members) - self.need:
            self.passed = False


class CRSMNode(Node):
    """A consensus node (and the primary while it leads a round)."""

    def __init__(self, crsm: CRSM, node_id: int, fault: str | None) -> None:
        super().__init__(crsm.sim, node_id, fault)
        self.crsm = crsm
        self.height = 0
        self.votes: dict[int, _DomainVote] = {}
        self.vote_round = -1
        self.all_decided = None
        self.inflight: Batch | None = None
        self.env.process(self._heartbeat())

    def _heartbeat(self):
        params = self.crsm.params
        yield self.env.timeout(self.sim.rng.uniform(0, params.heartbeat_ms))
        while not self.crashed:
            self.net.send(
                self.id,
                self.crsm.monitor_id,
                "heartbeat",
                self.costs.vote_bytes,
                self.height,
                category=CONTROL,
            )
            yield self.env.timeout(params.heartbeat_ms)

    def receive_cost(self, msg: Message) -> float:
        c = self.costs
        if msg.kind == "preblock":
            count = msg.payload[2]
            return c.recv_ms + c.verify_sig_ms + c.hash_cost(msg.size) + count * c.tx_verify_ms
        if msg.kind == "formal":
            return c.recv_ms + c.verify_sig_ms + c.hash_cost(msg.size) + c.store_cost(msg.size)
        if msg.kind == "vote":
            return c.recv_ms + c.verify_sig_ms
        return 0.0

    def handle(self, msg):
        if isinstance(msg, Timer):
            return None
        if msg.kind == "start":
            if not self.silent:
                self.env.process(self.lead_round(msg.payload))
            return None
        if msg.kind == "preblock":
            return self._vote(msg)
        if msg.kind == "vote":
            self._count_vote(msg)
            return None
        if msg.kind == "formal":
            _, height = msg.payload
            self.height = max(self.height, height)
            self.crsm.stored(height, self.env.now)
        return None

    def _vote(self, msg: Message):
        rnd, domain, _count = msg.payload
        yield from self.work(self.costs.sign_ms)
        approve = not self.malicious
        yield from self.send(msg.src, "vote", self.costs.vote_bytes, (rnd, domain, approve))

    def _count_vote(self, msg: Message) -> None:
        rnd, domain, approve = msg.payload
        if rnd != self.vote_round or domain not in self.votes:
            return
        tally = self.votes[domain]
        (tally.yes if approve else tally.no).add(msg.src)
        tally.decide()
        if all(t.passed is not None for t in self.votes.values()) and not self.all_decided.triggered:
            self.all_decided.succeed()

    # ------------------------------------------------------------ primary
    def send_serialised(self, groups: list[tuple[str, float, tuple, list[int]]]):
        """Send each (kind, size, payload, recipients) message, serialised once, to its recipients.

        The primary has the bytes of every preparatory and formal block already (it hashed and
        signed them, and stores the formal one), so its CPU marshals each block once and then
        pays one send call per recipient; the copies then travel in parallel on the links, as
        in the Raft model's `replicate_entry`. (Marshalling the formal block again for every
        recipient cost 0.6 ms per node at 600 tx and made seed 000 Fig 8's TPS fall beyond
        three domains instead of levelling off.)
        """
        if self.crashed:
            return
        c = self.costs
        with self.cpu.request() as req:
            yield req
            t = self.env.now
            for kind, size, payload, recipients in groups:
                t += c.marshal_ms_per_kb * size / 1000.0
                for dst in recipients:
                    if dst == self.id:
                        continue
                    t += c.send_ms
                    self.net.send(self.id, dst, kind, size, payload, ready_at=t, reliable=self.reliable)
            yield self.env.timeout(t - self.env.now)

    def lead_round(self, rnd: int):
        """S3-S7 of seed 000 for round `rnd` (this node is the primary)."""
        sim, crsm, c, p = self.sim, self.crsm, self.costs, self.crsm.params
        env = self.env
        if sim.pool.pending() == 0:
            yield sim.pool.when_nonempty()
        record = sim.open_round(self.id)
        crsm.records[rnd] = record
        batch = sim.pool.take(sim.cfg.workload.block_tx)
        self.inflight = batch
        chunks = batch.split(p.domains)
        sizes = [c.block_bytes(ch.count, ch.nbytes) for ch in chunks]
        # S3: preparatory blocks (seed 000 §III-B: k = D blocks of ceil(theta/k) tx)
        yield from self.work(batch.count * c.tx_pack_ms + sum(c.hash_cost(s) + c.sign_ms for s in sizes))
        if self.crashed:
            return
        record.t_prepared = env.now
        self.vote_round = rnd
        self.all_decided = env.event()
        self.votes = {}
        for d, members in enumerate(crsm.domains):
            tally = _DomainVote(members, domain_threshold(len(members), p.threshold))
            if self.id in members and not self.malicious:
                tally.yes.add(self.id)  # "including itself" (§III-C)
            if chunks[d].count == 0:
                tally.passed = True
            tally.decide()
            self.votes[d] = tally
        if all(t.passed is not None for t in self.votes.values()):
            self.all_decided.succeed()
        # S4: send each preparatory block to the members of its domain
        groups = [
            ("preblock", sizes[d], (rnd, d, chunks[d].count), [m for m in members if m != self.id])
            for d, members in enumerate(crsm.domains)
            if chunks[d].count
        ]
        yield from self.send_serialised(groups)
        # S5: collect votes until every domain decided or the vote timeout expires
        remaining = p.vote_timeout_ms - (env.now - record.t_prepared)
        if not self.all_decided.triggered and remaining > 0:
            yield self.all_decided | env.timeout(remaining)
        if self.crashed:
            return
        record.t_decided = env.now
        self.vote_round = -1
        # §IV-F: V >= 4/5 N over the domains that had data to vote on (all of them unless the
        # block holds fewer transactions than there are domains)
        voting = [d for d in self.votes if chunks[d].count]
        approvals = sum(len(self.votes[d].yes) for d in voting)
        voters = sum(len(self.votes[d].members) for d in voting)
        needed = math.ceil(p.global_threshold * voters - 1e-9)
        if approvals < needed:
            passed, failed = [], list(chunks)
            record.note = f"approvals {approvals} < {needed} of {voters} (V >= 4/5 N)"
        else:
            passed = [chunks[d] for d, t in self.votes.items() if t.passed]
            failed = [chunks[d] for d, t in self.votes.items() if not t.passed]
            record.note = f"domains passed {len(passed)}/{len(chunks)}"
        if failed:
            sim.pool.requeue(Batch.concat(failed))  # Fig 4: data carried to the next round
        formal = Batch.concat(passed)
        self.inflight = None
        if formal.count == 0:
            record.t_final = env.now
            crsm.formal[rnd] = formal
            self.net.send(self.id, crsm.monitor_id, "done", c.vote_bytes, (rnd, 0), category=CONTROL)
            return
        # S6: merge the passed data into the formal block
        size = c.block_bytes(formal.count, formal.nbytes)
        yield from self.work(c.hash_cost(size) + c.sign_ms + c.store_cost(size))
        if self.crashed:
            return
        crsm.height += 1
        height = crsm.height
        crsm.formal[rnd] = formal
        crsm.block_round[height] = rnd
        self.height = height
        crsm.stored(height, env.now)
        # S7: broadcast to consensus and storage nodes
        recipients = [n for n in crsm.all_storers if n != self.id]
        yield from self.send_serialised([("formal", size, (rnd, height), recipients)])
        self.net.send(self.id, crsm.monitor_id, "done", c.vote_bytes, (rnd, height), category=CONTROL)


class StorageNode(CRSMNode):
    """A storage-domain node: stores formal blocks, never votes or leads (Sto_Node)."""

    def handle(self, msg):
        if isinstance(msg, Message) and msg.kind in ("start", "preblock"):
            return None
        return super().handle(msg)


class Monitor(Node):
    """The monitoring node (seed 000 §III-A-1); assumed reliable (§III-D-5)."""

    def __init__(self, crsm: CRSM, node_id: int) -> None:
        super().__init__(crsm.sim, node_id)
        self.crsm = crsm
        self.last_seen: dict[int, float] = {}
        self.heights: dict[int, int] = {}
        self.done_event = self.env.event()
        self.done_payload: tuple[int, int] | None = None
        self.env.process(self.rounds())

    def receive_cost(self, msg: Message) -> float:
        return 0.0

    def handle(self, msg):
        if isinstance(msg, Timer):
            return None
        if msg.kind == "heartbeat":
            self.last_seen[msg.src] = self.env.now
            self.heights[msg.src] = msg.payload
        elif msg.kind == "done" and not self.done_event.triggered:
            self.done_payload = msg.payload
            self.done_event.succeed()
        return None

    def healthy(self, node: int) -> bool:
        seen = self.last_seen.get(node)
        return seen is not None and self.env.now - seen <= self.crsm.params.heartbeat_timeout_ms

    def rounds(self):
        sim, crsm, p, env = self.sim, self.crsm, self.crsm.params, self.env
        yield env.timeout(p.heartbeat_timeout_ms)  # learn who is alive first
        rnd = 0
        lost_at: float | None = None
        lost_to_crash = False  # lost_at is the crash of the primary: the reselection is a failover
        while not sim.rounds_done():
            if sim.pool.pending() == 0:
                # a replayed or Poisson stream between arrivals: the round starts when there is work, so
                # its timeout never takes a primary waiting for transactions for a failed one (that left
                # two primaries on one height and lost the stale round's block: a replay never drained)
                yield sim.pool.when_nonempty()
            healthy = [n for n in range(crsm.n) if self.healthy(n)]
            if not healthy:
                if lost_at is not None and env.now - lost_at > p.round_timeout_ms:
                    break
                lost_at = env.now if lost_at is None else lost_at
                yield env.timeout(p.heartbeat_ms)
                continue
            primary = int(sim.rng.choice(healthy))  # random healthy primary (§III-A-1 (1))
            if lost_at is not None:
                sim.elections.append(
                    ElectionRecord(lost_at, env.now, primary, "primary reselected", from_crash=lost_to_crash)
                )
                lost_at, lost_to_crash = None, False
            crsm.primary = primary
            rnd += 1
            self.done_event = env.event()
            self.net.send(self.id, primary, "start", self.costs.vote_bytes, rnd, category=CONTROL)
            started = env.now
            while not self.done_event.triggered:
                yield self.done_event | env.timeout(p.heartbeat_ms)
                if self.done_event.triggered:
                    break
                if not self.healthy(primary) or env.now - started > p.round_timeout_ms:
                    break
            if not self.done_event.triggered:
                # §III-D-5: the primary is down; its data returns to the pool, reselect.
                node = crsm.nodes[primary]
                if node.inflight is not None:
                    sim.pool.requeue(node.inflight)
                    node.inflight = None
                record = crsm.records.get(rnd)
                if record is not None and not record.committed:
                    record.t_final = env.now
                    record.note = "primary failed"
                lost_to_crash = node.crashed_at is not None
                lost_at = node.crashed_at if lost_to_crash else env.now
                continue
            _, height = self.done_payload
            if height:
                yield from self._await_sync(height)
            record = crsm.records.get(rnd)
            if record is not None:
                formal = crsm.formal.get(rnd, Batch.concat([]))
                t_final = crsm.store_times.get(height, record.t_final) if height else record.t_final
                sim.commit(record, formal, t_final)
        sim.finish()

    def _await_sync(self, height: int):
        """Wait until healthy storers report `height` in a heartbeat (§III-A-1 (6))."""
        p, env = self.crsm.params, self.env
        deadline = env.now + 2 * p.heartbeat_ms + p.heartbeat_timeout_ms
        while env.now < deadline:
            lagging = [
                n for n in self.crsm.all_storers if self.healthy(n) and self.heights.get(n, 0) < height
            ]
            if not lagging:
                return
            yield env.timeout(p.heartbeat_ms / 2)


class CRSM:
    """Builds the actors of one CRSM run and exposes its state to the harness."""

    def __init__(self, cfg: SimConfig) -> None:
        p: CRSMParams = cfg.params
        self.params = p
        self.n = cfg.n_nodes
        self.monitor_id = cfg.n_nodes + p.storage_nodes
        self.sim = Sim(cfg, endpoints=self.monitor_id + 1)
        # S2: nodes join the domains in turn
        self.domains = [[n for n in range(self.n) if n % p.domains == d] for d in range(p.domains)]
        self.all_storers = list(range(self.n + p.storage_nodes))
        self.height = 0
        self.primary: int | None = None
        self.records: dict = {}
        self.formal: dict[int, Batch] = {}
        self.block_round: dict[int, int] = {}
        self.store_times: dict[int, float] = {}
        faults = self.sim.faults
        self.nodes: list[CRSMNode] = [CRSMNode(self, i, faults.get(i)) for i in range(self.n)]
        self.nodes += [StorageNode(self, self.n + s, None) for s in range(p.storage_nodes)]
        self.monitor = Monitor(self, self.monitor_id)
        self.sim.schedule_leader_crashes(self.nodes, lambda: self.primary)

    def stored(self, height: int, t: float) -> None:
        """A node stored formal block `height` at time t; the block is final at the last store."""
        self.store_times[height] = max(self.store_times.get(height, t), t)

    def run(self) -> RunResult:
        result = self.sim.run("crsm")
        committed = [r for r in result.rounds if r.committed]
        result.extra["domains"] = self.params.domains
        result.extra["domain_sizes"] = [len(d) for d in self.domains]
        result.extra["domain_threshold_votes"] = [
            domain_threshold(len(d), self.params.threshold) for d in self.domains
        ]
        result.extra["reselections"] = len(result.elections)
        result.extra["tx_in_blocks"] = sum(r.tx_count for r in committed)
        return result


def run_crsm(cfg: SimConfig) -> RunResult:
    """Run CRSM with `cfg` (protocol "crsm") and return its metrics."""
    return CRSM(cfg).run()
