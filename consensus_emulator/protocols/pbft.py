"""PBFT (Castro & Liskov 1999; seed 000 §III-C, Fig 3a) with a vectorised normal case.

n = 3f + 1 replicas (f = floor((n-1)/3)); the primary of view v is replica v mod n.
One block per round (times in ms):

1. prepare: the primary packs, hashes and signs the block;
2. consensus: PRE-PREPARE (block) to the n-1 backups; each backup verifies the block and
   multicasts PREPARE to all others; a replica is *prepared* with the pre-prepare plus
   2f matching prepares from different backups (its own included); prepared replicas
   multicast COMMIT; a replica commits with 2f+1 matching commits (its own included).
   The block is decided when 2f+1 honest replicas have committed;
3. formal: every honest replica that committed stores the block; the round ends when
   the last one has.

Messages per block without faults: (n-1) pre-prepare + (n-1)^2 prepare (each backup to
every other replica) + n(n-1) commit (every replica to every other) = 2n(n-1), the
O(n^2) of seed 000 §III-C. Client requests and replies are not modelled (transactions
come from the shared pool, as in every protocol here).

The prepare and commit phases are all-to-all, so they are computed for all replicas
at once with `consensus_emulator.vector` (same network and CPU model as the SimPy
actors: serial sends, FIFO processing, per-message costs); SimPy sequences the rounds,
timeouts and view changes. Documented approximations: commits arriving before a replica
is prepared do not delay its prepare quorum; a crash takes effect at the next round.

Faults: crashed and silent replicas send nothing; malicious replicas send prepares and
commits for a different digest (they cost traffic and CPU but never count). A faulty
primary sends no pre-prepare; backups time out after `view_change_timeout_ms` and run a
view change: VIEW-CHANGE from every honest replica to all, NEW-VIEW from the new primary
once it holds 2f+1 of them ((n-1) + honest*(n-1) messages). With more than f faulty
replicas no quorum forms and every round fails (TPS 0).
"""

from __future__ import annotations

import numpy as np

from consensus_emulator.config import PBFTParams, SimConfig
from consensus_emulator.metrics import ElectionRecord, RunResult
from consensus_emulator.sim import Sim
from consensus_emulator.vector import fifo_finish, kth_valid_finish, serial_departures

__all__ = ["PBFT", "pbft_messages_per_block", "run_pbft"]


def pbft_messages_per_block(n: int) -> int:
    """Closed form of the fault-free message count: (n-1) + (n-1)^2 + n(n-1)."""
    return (n - 1) + (n - 1) ** 2 + n * (n - 1)


class Replica:
    """Fault state of one replica (its normal-case work is computed in array form)."""

    def __init__(self, fault: str | None) -> None:
        self.crashed = fault == "crashed"
        self.silent = fault == "silent"
        self.malicious = fault == "malicious"
        self.crashed_at: float | None = 0.0 if self.crashed else None
        self._env = None

    def crash(self) -> None:
        if not self.crashed:
            self.crashed_at = self._env.now if self._env is not None else 0.0
        self.crashed = True


class PBFT:
    """One PBFT run."""

    def __init__(self, cfg: SimConfig) -> None:
        self.params: PBFTParams = cfg.params
        self.sim = Sim(cfg)
        self.env = self.sim.env
        self.n = cfg.n_nodes
        self.f = (self.n - 1) // 3
        self.replicas = [Replica(self.sim.faults.get(i)) for i in range(self.n)]
        for r in self.replicas:
            r._env = self.env
        self.cpu_free = np.zeros(self.n)
        self.view = 0
        self.sim.schedule_leader_crashes(self.replicas, lambda: self.view % self.n)
        self.env.process(self.rounds())

    # ------------------------------------------------------------ state
    def _masks(self) -> tuple[np.ndarray, np.ndarray]:
        active = np.array([not (r.crashed or r.silent) for r in self.replicas])
        malicious = np.array([r.malicious for r in self.replicas])
        return active, malicious

    def _count(self, kind: str, senders: int, size: float, rows: np.ndarray) -> None:
        """Charge `senders` x (n-1) messages and the ones lost on down links."""
        net = self.net
        net.stats.add(kind, int(senders) * (self.n - 1), size)
        senders_idx = np.flatnonzero(rows)
        if senders_idx.size:
            down = ~net.up[senders_idx]
            down[np.arange(senders_idx.size), senders_idx] = False  # no link to oneself
            net.stats.lost += int(down.sum())

    @property
    def net(self):
        return self.sim.net

    # ------------------------------------------------------------ rounds
    def rounds(self):
        sim, env = self.sim, self.env
        while not sim.rounds_done():
            primary = self.view % self.n
            record = sim.open_round(primary)
            rep = self.replicas[primary]
            # a view change after the primary crashed is a failover, timed from the crash (as Raft's)
            crash = rep.crashed_at if rep.crashed else None
            if rep.crashed or rep.silent:
                yield env.timeout(self.params.view_change_timeout_ms)
                record.t_prepared = record.t_decided = record.t_final = env.now
                record.note = "faulty primary"
                yield from self.view_change(env.now if crash is None else crash, crash is not None)
                continue
            ok = yield from self.normal_case(record, primary)
            if not ok:
                crash = rep.crashed_at if rep.crashed else None  # it may have crashed during the round
                yield from self.view_change(record.t_start if crash is None else crash, crash is not None)
        sim.finish()

    def normal_case(self, record, p: int):
        """Pre-prepare, prepare and commit of one block; returns True when decided."""
        sim, env, c, net, n, f = self.sim, self.env, self.sim.costs, self.net, self.n, self.f
        batch = sim.pool.take(sim.cfg.workload.block_tx)
        size = c.block_bytes(batch.count, batch.nbytes)
        start = max(env.now, self.cpu_free[p])
        t_prep = start + batch.count * c.tx_pack_ms + c.hash_cost(size) + c.sign_ms
        yield env.timeout(t_prep - env.now)
        record.t_prepared = t_prep
        active, malicious = self._masks()
        honest = active & ~malicious
        ids = np.arange(n)
        # PRE-PREPARE: primary -> backups, serialised on the primary's CPU
        s_block = c.send_cost(size)
        dep_pp = serial_departures(np.full(n, t_prep), n, s_block)[p]
        wire = net.fanout_delays(np.array([p]), ids, size, "pre-prepare", count=False)[0]
        self._count("pre-prepare", 1, size, ids == p)
        arr_pp = dep_pp + wire
        primary_free = t_prep + (n - 1) * s_block
        verify = c.recv_ms + c.verify_sig_ms + c.hash_cost(size) + batch.count * c.tx_verify_ms
        v = np.where(active & np.isfinite(arr_pp), np.maximum(arr_pp, self.cpu_free) + verify, np.inf)
        v[p] = t_prep
        # PREPARE: every backup that validated the pre-prepare, to all others
        s_vote = c.send_cost(c.vote_bytes)
        msg_cost = c.recv_ms + c.verify_sig_ms
        send_prep = active & np.isfinite(v) & (ids != p)
        start_prep = np.where(send_prep, v + c.sign_ms, np.inf)
        P = serial_departures(start_prep, n, s_vote) + net.fanout_delays(
            ids, ids, c.vote_bytes, "prepare", count=False
        )
        self._count("prepare", send_prep.sum(), c.vote_bytes, send_prep)
        free0 = np.where(send_prep, start_prep + (n - 1) * s_vote, v)
        free0[p] = primary_free
        valid_prep = np.broadcast_to((send_prep & ~malicious)[:, None], (n, n))
        order, fin = fifo_finish(P, free0, msg_cost)
        own_prep = (send_prep & ~malicious).astype(int)
        prepared = kth_valid_finish(order, fin, valid_prep, 2 * f - own_prep)
        prepared = np.where(np.isneginf(prepared), free0, prepared)
        prepared[~honest] = np.inf
        # COMMIT: prepared honest replicas (and malicious ones, with a bad digest)
        send_commit = (honest & np.isfinite(prepared)) | (active & malicious & np.isfinite(v))
        commit_at = np.where(honest, prepared, free0) + c.sign_ms
        start_commit = np.where(send_commit, commit_at, np.inf)
        C = serial_departures(start_commit, n, s_vote) + net.fanout_delays(
            ids, ids, c.vote_bytes, "commit", count=False
        )
        self._count("commit", send_commit.sum(), c.vote_bytes, send_commit)
        arrivals = np.vstack([P, C])
        valid_commit = np.vstack(
            [np.zeros((n, n), dtype=bool), np.broadcast_to((send_commit & ~malicious)[:, None], (n, n))]
        )
        order2, fin2 = fifo_finish(arrivals, free0, msg_cost)
        own_commit = (send_commit & honest).astype(int)
        committed = kth_valid_finish(order2, fin2, valid_commit, 2 * f + 1 - own_commit)
        own_done = np.where(send_commit, start_commit + (n - 1) * s_vote, -np.inf)
        committed = np.maximum(committed, own_done)
        committed[~honest] = np.inf
        last_work = np.where(np.isfinite(fin2), fin2, -np.inf).max(axis=0)
        self.cpu_free = np.maximum.reduce(
            [self.cpu_free, np.where(np.isfinite(last_work), last_work, 0), own_done]
        )
        done = np.sort(committed[np.isfinite(committed)])
        if done.size < 2 * f + 1:
            t_fail = t_prep + self.params.view_change_timeout_ms
            yield env.timeout(t_fail - env.now)
            record.t_decided = record.t_final = env.now
            record.note = "no commit quorum"
            sim.pool.requeue(batch)
            return False
        record.t_decided = float(done[2 * f])
        t_final = float(done.max()) + c.store_cost(size)
        self.cpu_free = np.where(
            np.isfinite(committed), np.maximum(self.cpu_free, committed + c.store_cost(size)), self.cpu_free
        )
        yield env.timeout(t_final - env.now)
        sim.commit(record, batch, t_final)
        return True

    def view_change(self, t_start: float, from_crash: bool = False):
        """Move to view v+1 (VIEW-CHANGE all-to-all, NEW-VIEW from the new primary); `t_start`: when the
        primary was lost, its crash when `from_crash` (the election is then a failover)."""
        env, c, net, n, f = self.env, self.sim.costs, self.net, self.n, self.f
        self.view += 1
        new_p = self.view % n
        active, malicious = self._masks()
        honest = active & ~malicious
        ids = np.arange(n)
        s_vote = c.send_cost(c.vote_bytes)
        msg_cost = c.recv_ms + c.verify_sig_ms
        start = np.where(honest, np.maximum(env.now, self.cpu_free) + c.sign_ms, np.inf)
        V = serial_departures(start, n, s_vote) + net.fanout_delays(
            ids, ids, c.vote_bytes, "view-change", count=False
        )
        self._count("view-change", honest.sum(), c.vote_bytes, honest)
        free0 = np.where(honest, start + (n - 1) * s_vote, np.inf)
        if not honest[new_p]:
            return
        order, fin = fifo_finish(V[:, [new_p]], free0[[new_p]], msg_cost)
        t_quorum = kth_valid_finish(order, fin, honest[:, None], np.array([2 * f]))[0]
        if not np.isfinite(t_quorum):
            return
        t_send = max(t_quorum, free0[new_p]) + c.sign_ms
        dep = serial_departures(np.full(n, t_send), n, s_vote)[new_p]
        arr = dep + net.fanout_delays(np.array([new_p]), ids, c.vote_bytes, "new-view", count=False)[0]
        self._count("new-view", 1, c.vote_bytes, ids == new_p)
        got = np.sort(np.where(honest & (ids != new_p), arr + msg_cost, np.inf))
        got = got[np.isfinite(got)]
        if got.size < 2 * f:
            return
        t_end = float(got[2 * f - 1]) if f > 0 else t_send
        self.cpu_free = np.maximum(self.cpu_free, np.where(np.isfinite(arr), arr + msg_cost, 0.0))
        yield env.timeout(max(0.0, t_end - env.now))
        self.sim.elections.append(
            ElectionRecord(t_start, t_end, new_p, f"view {self.view}", from_crash=from_crash)
        )

    def run(self) -> RunResult:
        result = self.sim.run("pbft")
        result.extra["f"] = self.f
        result.extra["views"] = self.view
        return result


def run_pbft(cfg: SimConfig) -> RunResult:
    """Run PBFT with `cfg` (protocol "pbft")."""
    return PBFT(cfg).run()
