"""Sharded multi-centre collaborative consensus (seed 003 §4.3, Fig 3; simulation §6, Fig 5).

The trading network is split by region into `shards` shards (consecutive node ids;
shards = 1 is the paper's "general consensus mechanism" over all nodes). Each trade
belongs to a random region. Per shard, concurrently and independently (times in ms):

1. regional consensus, PoW style: every live node of the shard works on the hash
   puzzle, solving it in U[puzzle_min, puzzle_max] ms (§6: [20, 40]); the first solver
   packs up to `block_capacity_tx` pending trades of its region into a block and
   broadcasts it to the shard; each peer verifies it and returns a confirmation; the
   regional block is final once every live peer confirmed ("wait for broadcast
   confirmation", §6). Trades beyond the capacity wait for the next round ("trading
   congestion");
2. global consensus, asynchronous: the shard's proxy node (lowest id of the shard,
   "the blockchain nodes in the sharding network will select a proxy node") publishes
   the regional record to the other proxies, which verify and acknowledge it; the
   record is on the big chain once all have. The shard does not wait for this before
   its next regional round ("the regional consensus and the consensus of large network
   supply and demand are reached in an asynchronous manner").

A trade reaches consensus when its regional block is final; the global record follows
asynchronously ("the accuracy of all regional consensuses that have been on the chain
will be verified and reflected in the next consensus", §4.3). The "consensus time" of
seed 003 Fig 5 is when the last trade reached consensus; the time when the last global
record was confirmed is reported too (`global_time_ms`), and the mean over trades of the
time each reached consensus in its own shard (`mean_trade_consensus_ms`). In the round records the
decision is the regional finality and the formal phase the global confirmation.
Link delays of the `SHARDED_003` profile are U[0, 20] ms (§6: "data broadcasting speed
between nodes is between [0, 20]").

Messages per regional block without faults: (m-1) block + (m-1) confirmations for a
shard of m nodes, plus, when sharded, 1 winner-to-proxy note (if the winner is not the
proxy) + (S-1) publications + (S-1) acknowledgements. Correction of inaccurate regional
records and punishment of lying proxies (§4.3) are not modelled (all proxies honest).
"""

from __future__ import annotations

import numpy as np

from consensus_emulator.config import ShardedParams, SimConfig
from consensus_emulator.metrics import RoundRecord, RunResult
from consensus_emulator.network import Message
from consensus_emulator.sim import Node, Sim, Timer
from consensus_emulator.workload import Batch

__all__ = ["Sharded", "run_sharded", "shard_members"]


def shard_members(n: int, shards: int) -> list[list[int]]:
    """Split node ids 0..n-1 into `shards` regions of consecutive ids (sizes differ by <= 1)."""
    bounds = np.linspace(0, n, shards + 1).round().astype(int)
    return [list(range(bounds[k], bounds[k + 1])) for k in range(shards)]


class ShardNode(Node):
    """A peer node; proxies also take part in the global (inter-shard) step."""

    def __init__(self, sh: Sharded, node_id: int, fault: str | None) -> None:
        super().__init__(sh.sim, node_id, fault)
        self.sh = sh

    def receive_cost(self, msg: Message) -> float:
        c = self.costs
        if msg.kind in ("block", "publish"):
            count = msg.payload[1]
            return c.recv_ms + c.verify_sig_ms + c.hash_cost(msg.size) + count * c.tx_verify_ms
        return c.recv_ms + c.verify_sig_ms

    def handle(self, msg):
        if isinstance(msg, Timer):
            return None
        key = msg.payload[0]
        if msg.kind == "block":
            yield from self.work(self.costs.store_cost(msg.size) + self.costs.sign_ms)
            yield from self.send(msg.src, "confirm", self.costs.vote_bytes, (key,))
        elif msg.kind == "confirm":
            self.sh.confirmed(key, msg.src)
        elif msg.kind == "note":
            self.sh.env.process(self.sh.publish(self, key))
        elif msg.kind == "publish":
            yield from self.work(self.costs.sign_ms)
            yield from self.send(msg.src, "ack", self.costs.vote_bytes, (key,))
        elif msg.kind == "ack":
            self.sh.acked(key, msg.src)


class Sharded:
    """One run of the sharded multi-centre consensus (or the general one, shards = 1)."""

    def __init__(self, cfg: SimConfig) -> None:
        self.params: ShardedParams = cfg.params
        self.n = cfg.n_nodes
        self.sim = Sim(cfg)
        self.sim.charge_messages = False
        self.env = self.sim.env
        self.shards = shard_members(self.n, self.params.shards)
        self.proxies = [members[0] for members in self.shards]
        faults = self.sim.faults
        self.nodes = [ShardNode(self, i, faults.get(i)) for i in range(self.n)]
        rng = self.sim.rng
        region = rng.integers(0, self.params.shards, size=self.params.trades)
        self.pools = [
            Batch(
                np.zeros(int((region == k).sum())),
                np.full(int((region == k).sum()), float(cfg.costs.tx_bytes)),
            )
            for k in range(self.params.shards)
        ]
        self.waiting: dict[tuple[int, int], dict] = {}
        self.settled = 0
        self.settle_times: list[float] = []
        self.consensus_times: list[float] = []
        self.trade_times: list[float] = []  # regional finality of each trade (ms)
        self.current = [None] * self.params.shards
        for k in range(self.params.shards):
            self.env.process(self.regional(k))

    # ------------------------------------------------------------ regional
    def regional(self, k: int):
        """PoW-style regional consensus of shard k, round after round."""
        sim, env, p, c, rng = self.sim, self.env, self.params, self.sim.costs, self.sim.rng
        members = self.shards[k]
        height = 0
        while self.pools[k].count:
            live = [m for m in members if not self.nodes[m].crashed]
            if not live:
                return
            height += 1
            record = RoundRecord(height=len(sim.rounds) + 1, proposer=-1, t_start=env.now)
            sim.rounds.append(record)
            solve = rng.uniform(p.puzzle_min_ms, p.puzzle_max_ms, size=len(live))
            winner = self.nodes[live[int(np.argmin(solve))]]
            record.proposer = winner.id
            self.current[k] = winner.id
            yield env.timeout(float(solve.min()))
            pool = self.pools[k]
            take = min(pool.count, p.block_capacity_tx)
            batch = Batch(pool.arrivals[:take], pool.sizes[:take])
            self.pools[k] = Batch(pool.arrivals[take:], pool.sizes[take:])
            size = c.block_bytes(batch.count, batch.nbytes)
            yield from winner.work(batch.count * c.tx_pack_ms + c.hash_cost(size) + c.sign_ms)
            record.t_prepared = env.now
            key = (k, height)
            peers = [m for m in members if m != winner.id]
            expected = {m for m in peers if not self.nodes[m].crashed}
            entry = {
                "record": record,
                "batch": batch,
                "expected": expected,
                "got": set(),
                "event": env.event(),
                "messages": 0,
                "bytes": 0.0,
            }
            self.waiting[key] = entry
            if not expected:
                entry["event"].succeed()
            self._charge(entry, len(peers), size)
            self._charge(entry, len(expected), c.vote_bytes)
            yield from winner.multicast(peers, "block", size, (key, batch.count))
            if not entry["event"].triggered:
                yield entry["event"] | env.timeout(8 * self._max_delay() + 10 * c.sign_ms + 100.0)
            record.t_decided = env.now
            self.consensus_times.append(env.now)
            self.trade_times.extend([env.now] * batch.count)
            if len(self.shards) == 1:
                self._settle(key, env.now)
                continue
            proxy = self.nodes[self.proxies[k]]
            if proxy.id == winner.id:
                env.process(self.publish(proxy, key))
            else:
                self._charge(entry, 1, c.vote_bytes)
                env.process(winner.send(proxy.id, "note", c.vote_bytes, (key, batch.count)))

    def confirmed(self, key, src: int) -> None:
        entry = self.waiting.get(key)
        if entry is None:
            return
        entry["got"].add(src)
        if entry["got"] >= entry["expected"] and not entry["event"].triggered:
            entry["event"].succeed()

    # ------------------------------------------------------------ global
    def publish(self, proxy: ShardNode, key):
        """The proxy publishes shard k's regional record to the other proxies (async)."""
        entry = self.waiting[key]
        c = self.sim.costs
        others = [q for q in self.proxies if q != proxy.id]
        entry["acks_expected"] = {q for q in others if not self.nodes[q].crashed}
        entry["acks"] = set()
        size = c.header_bytes + 32 * entry["batch"].count
        self._charge(entry, len(others), size)
        self._charge(entry, len(entry["acks_expected"]), c.vote_bytes)
        if not entry["acks_expected"]:
            self._settle(key, self.env.now)
            return
        yield from proxy.multicast(others, "publish", size, (key, entry["batch"].count))

    def acked(self, key, src: int) -> None:
        entry = self.waiting.get(key)
        if entry is None:
            return
        entry["acks"].add(src)
        if entry["acks"] >= entry["acks_expected"]:
            self._settle(key, self.env.now)

    def _settle(self, key, t: float) -> None:
        entry = self.waiting.pop(key)
        record = entry["record"]
        record.messages = entry["messages"]
        record.bytes = int(entry["bytes"])
        self.sim.commit(record, entry["batch"], t)
        self.settled += entry["batch"].count
        self.settle_times.append(t)
        if self.settled >= self.params.trades:
            self.sim.finish()

    def _charge(self, entry: dict, count: int, size: float) -> None:
        entry["messages"] += count
        entry["bytes"] += count * size

    def _max_delay(self) -> float:
        cfg = self.sim.net.cfg
        return float(self.sim.net.base.max()) + cfg.jitter_ms * (1.0 if cfg.jitter == "uniform" else 5.0)

    def run(self) -> RunResult:
        result = self.sim.run("sharded")
        result.extra["shards"] = [len(s) for s in self.shards]
        result.extra["proxies"] = self.proxies
        result.extra["trades"] = self.params.trades
        result.extra["trades_settled"] = self.settled
        done = self.settled >= self.params.trades
        result.extra["consensus_time_ms"] = max(self.consensus_times) if done else None
        result.extra["global_time_ms"] = max(self.settle_times) if done else None
        result.extra["mean_trade_consensus_ms"] = float(np.mean(self.trade_times)) if done else None
        return result


def run_sharded(cfg: SimConfig) -> RunResult:
    """Run the sharded multi-centre consensus with `cfg` (protocol "sharded")."""
    return Sharded(cfg).run()
