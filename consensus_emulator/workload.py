"""The pending-transaction pool that proposers draw blocks from.

Seed 000 §III-B puts pending transactions in a Redis cache from which the primary takes
theta at a time; every protocol here draws from the same kind of pool. A batch keeps
each transaction's arrival time (ms) and size (bytes) so that block sizes and
transaction latencies follow the workload, including a replayed scenario stream.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from consensus_emulator.config import WorkloadConfig

__all__ = ["Batch", "TxPool"]


@dataclass(frozen=True)
class Batch:
    """A run of transactions: arrival times (ms) and sizes (bytes), oldest first."""

    arrivals: np.ndarray
    sizes: np.ndarray

    @property
    def count(self) -> int:
        return len(self.arrivals)

    @property
    def nbytes(self) -> float:
        return float(self.sizes.sum())

    def split(self, parts: int) -> list[Batch]:
        """Cut into `parts` consecutive chunks of ceil(count / parts) (seed 000 §III-B)."""
        size = -(-self.count // parts) if self.count else 0
        return [
            Batch(self.arrivals[k * size : (k + 1) * size], self.sizes[k * size : (k + 1) * size])
            for k in range(parts)
        ]

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        if not batches:
            return Batch(np.empty(0), np.empty(0))
        return Batch(
            np.concatenate([b.arrivals for b in batches]), np.concatenate([b.sizes for b in batches])
        )


class TxPool:
    """Pending transactions, fed by the configured arrival process.

    saturated: always at least `block_tx` pending; each taken tx "arrives" when taken.
    poisson: exponential inter-arrival times at `rate_tps`.
    replay: the given (time_ms, size_bytes) stream.
    """

    def __init__(
        self, env: simpy.Environment, cfg: WorkloadConfig, rng: np.random.Generator, tx_bytes: int
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.rng = rng
        self.tx_bytes = tx_bytes
        self._front: deque[Batch] = deque()  # requeued batches, served first
        self._arrivals: list[float] = []
        self._sizes: list[float] = []
        self._head = 0
        self._waiters: list[simpy.Event] = []
        self.total_arrived = 0
        if cfg.arrival == "poisson":
            env.process(self._poisson())
        elif cfg.arrival == "replay":
            env.process(self._replay())

    @property
    def saturated(self) -> bool:
        return self.cfg.arrival == "saturated"

    def pending(self) -> int:
        if self.saturated:
            return 1 << 30
        return sum(b.count for b in self._front) + len(self._arrivals) - self._head

    def _push(self, size: float) -> None:
        self._arrivals.append(self.env.now)
        self._sizes.append(size)
        self.total_arrived += 1
        waiters, self._waiters = self._waiters, []
        for w in waiters:
            w.succeed()

    def _poisson(self):
        gap_ms = 1000.0 / self.cfg.rate_tps
        while True:
            yield self.env.timeout(self.rng.exponential(gap_ms))
            self._push(self.tx_bytes)

    def _replay(self):
        for time_ms, size in sorted(self.cfg.replay):
            if time_ms > self.env.now:
                yield self.env.timeout(time_ms - self.env.now)
            self._push(size)

    def when_nonempty(self) -> simpy.Event:
        """Event that fires once at least one transaction is pending."""
        event = self.env.event()
        if self.pending() > 0:
            event.succeed()
        else:
            self._waiters.append(event)
        return event

    def take(self, k: int) -> Batch:
        """Remove and return up to `k` of the oldest pending transactions.

        Requeued (failed) transactions come first, then fresh ones.
        """
        parts: list[Batch] = []
        need = k
        while need > 0 and self._front:
            b = self._front.popleft()
            if b.count > need:
                parts.append(Batch(b.arrivals[:need], b.sizes[:need]))
                self._front.appendleft(Batch(b.arrivals[need:], b.sizes[need:]))
                need = 0
            else:
                parts.append(b)
                need -= b.count
        if need > 0 and self.saturated:
            parts.append(Batch(np.full(need, self.env.now), np.full(need, float(self.tx_bytes))))
            need = 0
        if need > 0:
            end = min(len(self._arrivals), self._head + need)
            parts.append(
                Batch(np.array(self._arrivals[self._head : end]), np.array(self._sizes[self._head : end]))
            )
            self._head = end
            if self._head > 4096 and self._head * 2 > len(self._arrivals):
                del self._arrivals[: self._head]
                del self._sizes[: self._head]
                self._head = 0
        return Batch.concat(parts)

    def requeue(self, batch: Batch) -> None:
        """Put transactions that failed consensus back at the front (seed 000 Fig 4)."""
        if batch.count:
            self._front.appendleft(batch)
