"""The shared network model: links with latency, jitter, bandwidth, queues and outages.

One `Network` object carries every message of a run. Per message it computes

    depart  = max(ready, free[src, dst])           # FIFO behind earlier messages on the link
    arrival = depart + size / bandwidth + base[src, dst] + jitter

where `ready` is when the sender's CPU finished serialising it, `base[src, dst]` is the
fixed latency of the link (`NetworkConfig.base_latency_ms` plus distance times
`ms_per_km`) and `jitter` a fresh draw from the configured distribution. Delivery is a
SimPy timeout whose callback puts the message into the receiver's inbox, so a message
costs one event rather than one process.

Links that go down and come back are SimPy processes (`_link_actor`, one per undirected
link, started only when `link_mtbf_ms > 0`). A message sent over a link that is down is
lost (counted in `stats.lost`) unless it is sent `reliable=True`, which models a
transport that retransmits until the link is back (TCP, gRPC): it leaves when the
outage ends. A message already in flight is delivered. A crashed receiver drops what
arrives.

For all-to-all phases too large for per-message events (PBFT at 1024 nodes) the same
model is offered in array form by `fanout_delays`; it draws from the same jitter
distribution and honours the same link state, so a protocol can use one or the other
for a phase, never both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy

from consensus_emulator.config import NetworkConfig

if TYPE_CHECKING:
    from consensus_emulator.nodes import Node

__all__ = ["CONTROL", "Message", "MessageStats", "Network"]

#: Message category for background traffic (heartbeats, monitor control) that is not
#: counted in "messages per block".
CONTROL = "control"
CONSENSUS = "consensus"


@dataclass(slots=True)
class Message:
    """One message on the wire. `size` in bytes; `payload` is protocol-defined."""

    kind: str
    src: int
    dst: int
    size: int
    payload: Any = None
    category: str = CONSENSUS
    sent_at: float = 0.0


@dataclass
class MessageStats:
    """Message and byte counters, by kind and category."""

    by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    bytes_by_kind: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    consensus_messages: int = 0
    consensus_bytes: int = 0
    control_messages: int = 0
    lost: int = 0

    def add(self, kind: str, count: int, size_each: float, category: str = CONSENSUS) -> None:
        total_bytes = round(count * size_each)
        self.by_kind[kind] += count
        self.bytes_by_kind[kind] += total_bytes
        if category == CONTROL:
            self.control_messages += count
        else:
            self.consensus_messages += count
            self.consensus_bytes += total_bytes


class _JitterSource:
    """Buffered draws of the per-message jitter (ms) from the run's generator."""

    def __init__(self, cfg: NetworkConfig, rng: np.random.Generator, chunk: int = 4096) -> None:
        self.cfg = cfg
        self.rng = rng
        self.chunk = chunk
        self._buf = np.empty(0)
        self._pos = 0

    def draw(self, shape: int | tuple[int, ...]) -> np.ndarray:
        cfg, rng = self.cfg, self.rng
        if cfg.jitter == "none" or cfg.jitter_ms == 0:
            return np.zeros(shape)
        if cfg.jitter == "uniform":
            return rng.uniform(0.0, cfg.jitter_ms, shape)
        if cfg.jitter == "exponential":
            return rng.exponential(cfg.jitter_ms, shape)
        return cfg.jitter_ms * rng.lognormal(0.0, 0.5, shape)

    def one(self) -> float:
        if self._pos >= len(self._buf):
            self._buf = self.draw(self.chunk)
            self._pos = 0
        value = self._buf[self._pos]
        self._pos += 1
        return float(value)


class Network:
    """Links between `n` endpoints (consensus nodes plus any monitor or client).

    Args:
        env: the SimPy environment (time in ms).
        cfg: the network model.
        n: number of endpoints; ids are 0..n-1.
        rng: the run's generator (positions, jitter, link outages).
        flaky_endpoints: only links among endpoints 0..flaky_endpoints-1 go down (e.g. the
            microgrids of SBET, not the querying client); default all.
    """

    def __init__(
        self,
        env: simpy.Environment,
        cfg: NetworkConfig,
        n: int,
        rng: np.random.Generator,
        flaky_endpoints: int | None = None,
    ) -> None:
        self.env = env
        self.cfg = cfg
        self.n = n
        self.rng = rng
        self.bytes_per_ms = cfg.bytes_per_ms
        if cfg.area_km > 0:
            self.positions = rng.uniform(0.0, cfg.area_km, size=(n, 2))
        else:
            self.positions = np.zeros((n, 2))
        diff = self.positions[:, None, :] - self.positions[None, :, :]
        self.distance_km = np.sqrt((diff**2).sum(axis=2))
        self.base = cfg.base_latency_ms + self.distance_km * cfg.ms_per_km
        np.fill_diagonal(self.base, 0.0)
        self.link_free = np.zeros((n, n))
        self.up = np.ones((n, n), dtype=bool)
        self.up_at = np.zeros((n, n))  # when a down link comes back (ms)
        self.nodes: list[Node | None] = [None] * n
        self.stats = MessageStats()
        self.jitter = _JitterSource(cfg, rng)
        self.on_deliver: Callable[[Message], None] | None = None
        flaky = n if flaky_endpoints is None else flaky_endpoints
        if cfg.link_mtbf_ms > 0:
            for i in range(flaky):
                for j in range(i + 1, flaky):
                    env.process(self._link_actor(i, j))

    # ------------------------------------------------------------------ links
    def _link_actor(self, i: int, j: int):
        """Alternate exponential up and down periods of link (i, j) (seed 002 eq 2)."""
        cfg = self.cfg
        if self.rng.random() >= cfg.link_availability:
            yield from self._outage(i, j)
        while True:
            yield self.env.timeout(self.rng.exponential(cfg.link_mtbf_ms))
            yield from self._outage(i, j)

    def _outage(self, i: int, j: int):
        down_for = self.rng.exponential(self.cfg.link_mttr_ms)
        self.up[i, j] = self.up[j, i] = False
        self.up_at[i, j] = self.up_at[j, i] = self.env.now + down_for
        yield self.env.timeout(down_for)
        self.up[i, j] = self.up[j, i] = True

    def attach(self, node: Node) -> None:
        self.nodes[node.id] = node

    # --------------------------------------------------------------- messages
    def send(
        self,
        src: int,
        dst: int,
        kind: str,
        size: float,
        payload: Any = None,
        *,
        ready_at: float | None = None,
        category: str = CONSENSUS,
        reliable: bool = False,
    ) -> float | None:
        """Send one message; return its arrival time (ms) or None if it was lost.

        ready_at: when the sender's CPU hands the message to the link (default: now).
        reliable: if the link is down, hold the message until it is back instead of
            losing it.
        """
        env = self.env
        self.stats.add(kind, 1, size, category)
        if src == dst:
            raise ValueError(f"node {src} tried to send {kind} to itself")
        ready = env.now if ready_at is None else ready_at
        if not self.up[src, dst]:
            if not reliable:
                self.stats.lost += 1
                return None
            ready = max(ready, self.up_at[src, dst])
        depart = max(ready, self.link_free[src, dst])
        done = depart + size / self.bytes_per_ms
        self.link_free[src, dst] = done
        arrival = done + self.base[src, dst] + self.jitter.one()
        msg = Message(kind, src, dst, int(size), payload, category, env.now)
        event = env.timeout(arrival - env.now)
        event.callbacks.append(lambda _e, m=msg: self._deliver(m))
        return arrival

    def _deliver(self, msg: Message) -> None:
        node = self.nodes[msg.dst]
        if node is None or node.crashed:
            return
        if self.on_deliver is not None:
            self.on_deliver(msg)
        node.inbox.put(msg)

    # -------------------------------------------------------- vectorised form
    def fanout_delays(
        self, srcs: np.ndarray, dsts: np.ndarray, size: float, kind: str, *, count: bool = True
    ) -> np.ndarray:
        """One-way delays (ms) of one message of `size` bytes from every src to every dst.

        Returns a len(srcs) x len(dsts) array: transfer time + base latency + jitter;
        `inf` where the link is down (the message is lost) and on the diagonal src == dst.
        Links are assumed idle (small all-to-all messages); the counts are added to
        `stats` when `count` is true.
        """
        srcs = np.asarray(srcs)
        dsts = np.asarray(dsts)
        delays = self.base[np.ix_(srcs, dsts)] + size / self.bytes_per_ms
        delays = delays + self.jitter.draw(delays.shape)
        same = srcs[:, None] == dsts[None, :]
        lost = ~self.up[np.ix_(srcs, dsts)] & ~same
        delays[lost | same] = np.inf
        if count:
            sent = int(delays.size - same.sum())
            self.stats.add(kind, sent, size)
            self.stats.lost += int(lost.sum())
        return delays
