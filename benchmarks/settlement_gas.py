"""Gas of grid-balanced settlement with penalty redistribution at 10, 100 and 1000 registered participants.

Seed 001 eq 34 shares each default penalty among every other node by credit weight. `PenaltyPool` does it in
O(1) per penalty (a per-round reward-per-weight accumulator, the two parties' would-be accrual as debt, pull
withdrawals); the named baseline, `NaivePenaltyPool`, loops over every node on each penalty. Both are measured
in the same run, on the same chain, with the same participants and credit weights.

For each participant count N the benchmark registers and approves N participants, enrols them in the credit
ledger (and in the naive pool) with weights, then settles one defaulting order per period through
`GridBalancedSettlement.settle` (a stand-in market account holds MARKET_ROLE), releases its penalty with
`PenaltyPool.release`, and has one bystander claim its share (`PenaltyPool.claim`). The baseline books the
same penalty with `NaivePenaltyPool.distribute`. Each row is the second of two consecutive rounds at that N,
after three warm-up rounds, so every row measures the same kind of round. The O(1) path still grows by a few
hundred gas per doubling of the number of *rounds* (binary search in the weight history), never with N.

The baseline's first distribution after new nodes joined (the unmeasured round) writes every new node's
`owed` slot from zero (22,100 gas each): 25,491,514 gas for the 900 nodes added between 100 and 1,000, above
the package's default transaction gas limit (`DEFAULT_GAS_LIMIT`, 15,000,000), so its transactions are sent
with the node's whole block gas limit. If the loop does not fit in one block of the node even so, the
benchmark says so and reports the sizes it could measure.

Progress (phases with elapsed seconds, registration bars) goes to stderr; stdout has only the table or JSON.

Runs on a throwaway anvil node (node_modules/.bin/anvil) unless `--rpc` names one.
Usage: python benchmarks/settlement_gas.py [--sizes 10 100 1000] [--rpc URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from tqdm import tqdm
from web3 import Web3

from energy_trading import connect, deploy
from energy_trading.chain.deploy import deploy_contract
from energy_trading.chain.devnode import anvil_node
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.registry import DEFAULT_RATED_POWER_W, RegistryClient, Role, Source, zone_id
from energy_trading.models.units import to_price, to_wad


def anvil():
    """A fresh anvil with a huge block gas limit and free gas, so setup transactions cost nothing."""
    return anvil_node("--gas-limit", "1000000000", "--base-fee", "0", "--gas-price", "0")


class LoopTooLong(Exception):
    """The baseline's loop over every node did not fit in one block of the node."""

    def __init__(self, nodes: int, block_gas: int) -> None:
        super().__init__(
            f"NaivePenaltyPool.distribute over {nodes:,} nodes reverted with the whole block gas limit "
            f"({block_gas:,} gas) as its transaction gas limit: the naive loop does not fit in one block "
            f"of this node (run without --rpc, or give the node a larger --gas-limit)"
        )
        self.nodes = nodes


def _say(t0: float, message: str) -> None:
    """One progress line on stderr with the seconds since the start."""
    print(f"[settlement_gas {time.monotonic() - t0:7.1f} s] {message}", file=sys.stderr, flush=True)


def run(rpc_url: str, sizes: list[int], failures: list[str] | None = None) -> list[dict[str, int]]:
    """The rows at each size. When the baseline's loop does not fit in a block at some size, the message goes
    to `failures` (raised when `failures` is None) and the rows measured before it are returned."""
    t0 = time.monotonic()
    _say(t0, f"deploying on {rpc_url}")
    chain = connect(rpc_url, seed="settlement-gas-benchmark")
    d = deploy(chain)
    registry_client = RegistryClient(d)  # signs each meter's binding consent with the meter's key
    op = d.operator
    naive = deploy_contract(chain, d.artifacts["NaivePenaltyPool"], op, op)
    market = chain.new_account("market-stand-in")
    policy = d.grid_policy
    chain.transact(policy.functions.grantRole(policy.functions.MARKET_ROLE().call(), market), op)
    attestation = Web3.keccak(text="benchmark participant")
    free_gas = chain.w3.eth.gas_price == 0
    # the naive loop's first distribution to new nodes exceeds the default transaction gas limit at 1,000
    block_gas = int(chain.w3.eth.get_block("latest")["gasLimit"])

    nodes: list[str] = []

    def add_participants(count: int) -> None:
        """Register, approve and enrol participants up to `count`. Setup only: transactions are sent without
        waiting for each receipt (anvil mines each on arrival), then every receipt is checked."""
        sent = []
        for i in tqdm(range(len(nodes), count), desc=f"registering up to {count}", unit="node", leave=False):
            generator = i % 2 == 0
            who = chain.new_account(f"node{i}", fund_wei=0 if free_gas else 10**17)
            meter = chain.new_account(f"node{i}/meter", fund_wei=0)
            role, source = (Role.GENERATOR, Source.SOLAR) if generator else (Role.CONSUMER, Source.NONE)
            weight = to_wad(10 + (37 * i) % 90)
            for fn, sender in (
                (
                    d.registry.functions.register(
                        int(role),
                        int(source),
                        zone_id("bench"),
                        attestation,
                        [registry_client.meter_request(who, meter, DEFAULT_RATED_POWER_W)],
                    ),
                    who,
                ),
                (d.registry.functions.approve(who), d.auditor),
                (d.credit_weights.functions.enrol(who, weight), op),
                (naive.functions.addNode(who, weight), op),
            ):
                sent.append(fn.transact({"from": sender, "gas": 500_000}))
            nodes.append(who)
        for tx in sent:
            if chain.w3.eth.wait_for_transaction_receipt(tx, poll_latency=0.01)["status"] != 1:
                raise RuntimeError(f"setup transaction {tx.hex()} reverted")

    def one_round(period: int) -> dict[str, int]:
        """One defaulting order (the buyer takes 90 of 100 kWh): settle, release, claim; and the baseline."""
        seller, buyer, bystander = nodes[0], nodes[1], nodes[2]
        terms = (period, period, seller, buyer, 100_000, to_price("0.63"), 0, 100_000)
        outcome = policy.functions.settle(terms, 100_000, 90_000).call({"from": market})
        settle = chain.transact(policy.functions.settle(terms, 100_000, 90_000), market)
        pooled = outcome[3]
        # what the market transfers to the pool; the order completes its period, so the round is closed
        chain.transact(d.token.functions.issue(d.penalty_pool.address, pooled), op)
        release = chain.transact(d.penalty_pool.functions.release(1), op)
        claim = chain.transact(d.penalty_pool.functions.claim(bystander, 1), op)
        try:
            distribute = chain.transact(naive.functions.distribute(seller, buyer, pooled), op, gas=block_gas)
        except ChainRevert as exc:
            if exc.error == "Revert":  # no revert data: out of gas (the role and the weights are in place)
                raise LoopTooLong(len(nodes), block_gas) from exc
            raise
        return {
            "settle": settle["gasUsed"],
            "release": release["gasUsed"],
            "claim": claim["gasUsed"],
            "naive_distribute": distribute["gasUsed"],
        }

    # Warm-up: the very first rounds initialise storage every later round finds in place (first checkpoints,
    # counters, the claim cursor). Then, per size, an unmeasured round right after the registrations (whose
    # enrolments already created the next round's total-weight checkpoint) and the measured round after it,
    # so every row is the same kind of round: one that follows another round, not a batch of enrolments.
    _say(t0, f"deployed; registering {sizes[0]} participants and 3 warm-up rounds")
    add_participants(sizes[0])
    for period in (1, 2, 3):
        one_round(period)
    rows = []
    period = 3
    for n in sizes:
        if n > len(nodes):
            _say(t0, f"{n:,} participants: registering {n - len(nodes):,} more")
            add_participants(n)
        _say(t0, f"{n:,} participants: registered; two rounds (the second is measured)")
        try:
            first = one_round(period := period + 1)
            g = one_round(period := period + 1)
        except LoopTooLong as exc:
            if failures is None:
                raise
            failures.append(str(exc))  # main prints it after the rows measured so far
            break
        rows.append(
            {
                "participants": n,
                "settle": g["settle"],
                "release": g["release"],
                "claim": g["claim"],
                "o1_total": g["settle"] + g["release"],
                "naive_distribute": g["naive_distribute"],
                # the unmeasured round: the loop's first distribution to the nodes added for this size
                "naive_first_after_joins": first["naive_distribute"],
            }
        )
    _say(t0, "done")
    return rows


def table(rows: list[dict[str, int]]) -> str:
    head = (
        f"{'participants':>12} | {'settle':>9} | {'release':>8} | {'claim/node':>10} | "
        f"{'settle+release':>14} | {'baseline: naive loop':>20} | {'loop / release':>14}"
    )
    lines = [
        "Penalty redistribution gas (seed 001 eq 34): O(1) PenaltyPool vs the naive loop baseline, same run",
        head,
        "-" * len(head),
    ]
    for r in rows:
        ratio = r["naive_distribute"] / r["release"]
        lines.append(
            f"{r['participants']:>12,} | {r['settle']:>9,} | {r['release']:>8,} | {r['claim']:>10,} | "
            f"{r['o1_total']:>14,} | {r['naive_distribute']:>20,} | {ratio:>13.1f}x"
        )
    first, last = rows[0], rows[-1]
    lines.append(
        f"settle+release from {first['participants']} to {last['participants']} participants: "
        f"{last['o1_total'] - first['o1_total']:+,} gas; naive loop: "
        f"{last['naive_distribute'] - first['naive_distribute']:+,} gas"
    )
    lines.append(
        "naive loop's first distribution after the nodes of each size joined (unmeasured round, every new "
        "node's share written from zero): "
        + ", ".join(f"{r['naive_first_after_joins']:,} at {r['participants']:,}" for r in rows)
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000], help="participant counts")
    parser.add_argument("--rpc", metavar="URL", help="a JSON-RPC node (default: start a throwaway anvil)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    sizes = sorted(set(args.sizes))
    if sizes[0] < 3:
        parser.error("every size must be at least 3 (a seller, a buyer and a bystander)")
    failures: list[str] = []
    if args.rpc:
        rows = run(args.rpc, sizes, failures)
    else:
        with anvil() as url:
            rows = run(url, sizes, failures)
    if rows:
        print(json.dumps(rows, indent=2) if args.json else table(rows))
    for failure in failures:
        print(f"settlement_gas: {failure}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
