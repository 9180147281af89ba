"""The SimPy harness shared by all protocols: the run context and the node actor.

`Sim` owns the environment (time in ms), the run's single `numpy.random.Generator`
(seeded from `SimConfig.seed`; nothing here touches the global `random`), the
`Network`, the transaction pool, the fault assignment and the round records.

`Node` is the actor base class: one SimPy process per node reads its inbox in order,
charges the receive cost to the node's CPU (a capacity-1 SimPy resource shared with any
other process of the node, e.g. a primary's round coroutine) and dispatches to
`handle`. Timers are messages the node sends itself, so they queue behind work like
everything else. A crashed node drops everything; a silent node keeps its control
traffic (heartbeats) but ignores consensus messages.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy

from consensus_emulator.config import FaultConfig, SimConfig
from consensus_emulator.metrics import ElectionRecord, RoundRecord, RunResult
from consensus_emulator.network import CONSENSUS, CONTROL, Message, Network
from consensus_emulator.workload import Batch, TxPool

__all__ = ["Node", "Sim", "Timer", "assign_faults"]


@dataclass(slots=True)
class Timer:
    """A timer firing in a node's own inbox; stale tokens are ignored."""

    name: str
    token: int
    category: str = CONTROL


def assign_faults(faults: FaultConfig, eligible: Sequence[int], rng: np.random.Generator) -> dict[int, str]:
    """Map node id -> "crashed" | "silent" | "malicious" (explicit ids, then random draws)."""
    kinds: dict[int, str] = {}
    for kind, ids in (
        ("crashed", faults.crashed),
        ("silent", faults.silent),
        ("malicious", faults.malicious),
    ):
        for node in ids:
            kinds[node] = kind
    for kind, count in (
        ("crashed", faults.n_crashed),
        ("silent", faults.n_silent),
        ("malicious", faults.n_malicious),
    ):
        if count == 0:
            continue
        free = [n for n in eligible if n not in kinds]
        for node in rng.choice(free, size=count, replace=False):
            kinds[int(node)] = kind
    return kinds


class Sim:
    """Run context: environment, generator, network, pool, faults and records.

    Args:
        cfg: the validated run configuration.
        endpoints: network endpoints (defaults to `cfg.n_nodes`; CRSM adds its monitor
            and storage nodes, SBET a querying client).
        flaky_endpoints: endpoints whose links may go down (default: all).
    """

    def __init__(
        self, cfg: SimConfig, endpoints: int | None = None, flaky_endpoints: int | None = None
    ) -> None:
        self.cfg = cfg.validate()
        self.rng = np.random.default_rng(cfg.seed)
        self.env = simpy.Environment()
        self.costs = cfg.costs
        self.net = Network(self.env, cfg.network, endpoints or cfg.n_nodes, self.rng, flaky_endpoints)
        self.pool = TxPool(self.env, cfg.workload, self.rng, cfg.costs.tx_bytes)
        self.faults = assign_faults(cfg.faults, range(cfg.n_nodes), self.rng)
        self.rounds: list[RoundRecord] = []
        self.elections: list[ElectionRecord] = []
        self.finished = self.env.event()
        self.extra: dict[str, Any] = {}
        self._msg_mark = (0, 0)
        self.charge_messages = True  # False when rounds overlap and protocols count their own

    # ------------------------------------------------------------ rounds
    def open_round(self, proposer: int) -> RoundRecord:
        """Start a round now; messages from here to the next round are charged to it."""
        self._charge_messages()
        record = RoundRecord(height=len(self.rounds) + 1, proposer=proposer, t_start=self.env.now)
        self.rounds.append(record)
        return record

    def _charge_messages(self) -> None:
        if not self.charge_messages:
            return
        stats = self.net.stats
        now = (stats.consensus_messages, stats.consensus_bytes)
        if self.rounds:
            last = self.rounds[-1]
            last.messages += now[0] - self._msg_mark[0]
            last.bytes += now[1] - self._msg_mark[1]
        self._msg_mark = now

    def commit(self, record: RoundRecord, batch: Batch, t_final: float) -> None:
        """Mark `record` committed with `batch`, final (stored everywhere) at `t_final`."""
        record.committed = batch.count > 0
        record.tx_count = batch.count
        record.t_final = t_final
        if batch.count:
            record.tx_latency_ms = float(np.mean(t_final - batch.arrivals))
        replay = self.cfg.workload.replay if self.cfg.workload.arrival == "replay" else ()
        if replay and sum(r.tx_count for r in self.rounds if r.committed) >= len(replay):
            self.finish()  # a replayed stream is drained: every transaction is in a committed block

    def rounds_done(self) -> bool:
        return len(self.rounds) >= self.cfg.rounds

    def finish(self) -> None:
        if not self.finished.triggered:
            self.finished.succeed()

    def run(self, protocol: str, *, settle_ms: float = 0.0) -> RunResult:
        """Run until `finish()` or `max_time_ms`, then collect the result."""
        env = self.env
        limit = env.timeout(self.cfg.max_time_ms)
        env.run(until=self.finished | limit)
        if settle_ms > 0:
            env.run(until=env.now + settle_ms)
        self._charge_messages()
        stats = self.net.stats
        return RunResult(
            protocol=protocol,
            config=self.cfg.to_dict(),
            rounds=self.rounds,
            elections=self.elections,
            sim_time_ms=float(env.now),
            messages_by_kind=dict(sorted(stats.by_kind.items())),
            control_messages=stats.control_messages,
            lost_messages=stats.lost,
            extra=self.extra,
        )

    # ------------------------------------------------------------ faults
    def schedule_leader_crashes(
        self, nodes: Sequence[Node], current_leader: Callable[[], int | None]
    ) -> None:
        """Crash whoever leads at each of `FaultConfig.crash_leader_at_ms`."""

        def crasher(at: float):
            yield self.env.timeout(at)
            leader = current_leader()
            if leader is not None:
                nodes[leader].crash()

        for at in self.cfg.faults.crash_leader_at_ms:
            self.env.process(crasher(at))


class Node:
    """A SimPy actor with an inbox, one CPU and timers.

    Subclasses implement `handle(msg)` (may return a generator to keep working on the
    CPU) and may override `receive_cost(msg)` (ms of CPU charged before `handle`).
    """

    def __init__(self, sim: Sim, node_id: int, fault: str | None = None) -> None:
        self.sim = sim
        self.env = sim.env
        self.net = sim.net
        self.costs = sim.costs
        self.id = node_id
        self.inbox = simpy.Store(self.env)
        self.cpu = simpy.Resource(self.env, capacity=1)
        self.crashed = fault == "crashed"
        self.crashed_at: float | None = 0.0 if self.crashed else None
        self.silent = fault == "silent"
        self.malicious = fault == "malicious"
        self._timers: dict[str, int] = {}
        self.reliable = False  # hold messages over down links until they come back
        self.net.attach(self)
        self.env.process(self._loop())

    # ------------------------------------------------------------ basics
    @property
    def honest(self) -> bool:
        return not (self.crashed or self.silent or self.malicious)

    def crash(self) -> None:
        """Stop the node for good (its in-flight messages still arrive)."""
        if not self.crashed:
            self.crashed_at = self.env.now
        self.crashed = True
        self._timers.clear()

    def work(self, ms: float) -> Generator[simpy.Event, Any, None]:
        """Occupy this node's CPU for `ms` milliseconds."""
        if ms <= 0:
            return
        with self.cpu.request() as req:
            yield req
            yield self.env.timeout(ms)

    # ------------------------------------------------------------ timers
    def set_timer(self, name: str, delay_ms: float) -> None:
        """(Re)arm timer `name`; an earlier arming of the same name is cancelled."""
        token = self._timers.get(name, 0) + 1
        self._timers[name] = token
        event = self.env.timeout(max(0.0, delay_ms))
        event.callbacks.append(lambda _e: None if self.crashed else self.inbox.put(Timer(name, token)))

    def cancel_timer(self, name: str) -> None:
        self._timers[name] = self._timers.get(name, 0) + 1

    # ------------------------------------------------------------ sending
    def send(self, dst: int, kind: str, size: float, payload: Any = None, category: str = CONSENSUS):
        """Send one message (generator: charges the send cost to the CPU first)."""
        yield from self.send_batch([(dst, kind, size, payload)], category=category)

    def multicast(
        self, dsts: Iterable[int], kind: str, size: float, payload: Any = None, category: str = CONSENSUS
    ):
        """Send the same message to each of `dsts` (except self), one after another."""
        yield from self.send_batch(
            [(d, kind, size, payload) for d in dsts if d != self.id], category=category
        )

    def send_batch(self, items: Sequence[tuple[int, str, float, Any]], category: str = CONSENSUS):
        """Send several messages; message k leaves when the CPU has serialised k of them."""
        if self.crashed or not items:
            return
        costs = self.costs
        per = [costs.send_cost(size) for _, _, size, _ in items]
        with self.cpu.request() as req:
            yield req
            t = self.env.now
            for (dst, kind, size, payload), cost in zip(items, per, strict=True):
                t += cost
                self.net.send(
                    self.id, dst, kind, size, payload, ready_at=t, category=category, reliable=self.reliable
                )
            yield self.env.timeout(t - self.env.now)

    # ------------------------------------------------------------ the loop
    def receive_cost(self, msg: Message) -> float:
        return self.costs.recv_ms

    def handle(self, msg: Message | Timer):  # pragma: no cover - overridden
        raise NotImplementedError

    def _loop(self):
        while True:
            msg = yield self.inbox.get()
            if self.crashed:
                continue
            if isinstance(msg, Timer):
                if self._timers.get(msg.name) != msg.token:
                    continue
            else:
                if self.silent and msg.category != CONTROL:
                    continue
                cost = self.receive_cost(msg)
                if cost > 0:
                    yield from self.work(cost)
                if self.crashed:
                    continue
            out = self.handle(msg)
            if out is not None:
                yield from out
