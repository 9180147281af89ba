"""Gas per step of the market's order lifecycle, beside an OpenZeppelin ERC-20 `transfer` measured in the
same run as the baseline unit.

Steps: publish an offer, publish a request, submit an assignment (and its gas per pair at 1, 16 and 64
pairs, so the per-pair cost of on-chain verification shows), materialise one chunk of 16 matched orders,
propose and accept a bilateral contract, the auditor's approval, the buyer's signature (escrow of deposit
and fee), a meter reading sent by the meter and one relayed with its EIP-712 signature, settlement
(honest-supplier policy), reputation folding and the pulled withdrawal.
The baseline is `EnergyToken.transfer` (an unmodified OpenZeppelin 5 ERC-20 transfer between two funded
accounts), so "x transfer" reads as: this step costs as much as that many plain token transfers.

Runs on the in-process EVM (py-evm) unless `--rpc` names a node; gas does not depend on the backend.
Usage: python benchmarks/market_gas.py [--rpc URL] [--json] [--plot PATH]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from energy_trading import connect, deploy
from energy_trading.clients.market import CHUNK_SIZE, MarketClient, Side, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source

BASELINE = "OpenZeppelin ERC-20 transfer"


def measure(rpc: str | None) -> dict[str, int]:
    """Run every step once (the assignment at three sizes) and return gas used per step."""
    chain = connect(rpc, seed="bench:market-gas")
    d = deploy(chain)
    reg, mk = RegistryClient(d), MarketClient(d)
    gas: dict[str, int] = {}

    def used() -> int:
        return int(mk.last_receipt["gasUsed"])

    providers = [reg.register(f"p{i}", Role.GENERATOR, Source.SOLAR, zone="north") for i in range(4)]
    consumers = [reg.register(f"c{i}", Role.CONSUMER, zone="north") for i in range(8)]
    for p in providers + consumers:
        reg.approve(p.address)
    for c in consumers:
        mk.fund(c.address, tokens(10_000))
        mk.allow(c.address, 2**255)
    # the baseline: a plain transfer between two funded accounts (warm recipient, like most market steps)
    mk.fund(providers[0].address, tokens(1))
    chain.transact(d.token.functions.transfer(consumers[1].address, 1), consumers[0].address)
    mk._send(d.token.functions.transfer(consumers[1].address, 1), consumers[0].address)
    gas[BASELINE] = used()

    period = mk.open_period()
    gas["open period (operator)"] = used()
    offers = []
    for p in providers:
        offers.append(mk.publish_offer(p.address, period.id, tokens("0.5"), kwh(1_000)))
    gas["publish offer"] = used()
    requests = []
    for k in range(64):
        requests.append(mk.publish_request(consumers[k % 8].address, period.id, 1_000 + k, tokens("0.1")))
    gas["publish request"] = used()
    mk.advance_to(period, "matching")
    per_pair = {}
    for n in (1, 16, 64):
        pairs = [(r, offers[i % 4]) for i, r in enumerate(requests[:n])]
        mk.submit(consumers[0].address, period.id, pairs)
        gas[f"submit assignment, {n} pair{'s' if n > 1 else ''}"] = used()
        per_pair[n] = used()
    gas["  marginal gas per verified pair (16 -> 64)"] = (per_pair[64] - per_pair[16]) // 48
    mk.advance_to(period, "signing")
    pairs = [(r, offers[i % 4]) for i, r in enumerate(requests[:64])]
    orders = mk.materialize(consumers[0].address, period.id, pairs[:CHUNK_SIZE])
    gas[f"materialise a chunk of {CHUNK_SIZE} matched orders"] = used()

    # bilateral contract, audit, escrow, readings, settlement, withdrawal on a fresh period
    period2 = mk.open_period()
    seller, buyer = providers[1], consumers[2]
    oid = mk.propose(seller.address, period2.id, buyer.address, kwh(10), tokens("0.5"))
    gas["propose bilateral contract"] = used()
    mk.accept(buyer.address, oid, tokens("0.5"))
    gas["accept proposal"] = used()
    mk.approve(oid)
    gas["audit: approve order"] = used()
    mk._send(d.order_book.functions.sign(oid), buyer.address)
    gas["sign: escrow deposit + fee"] = used()
    mk.approve(orders[0])
    # the meter itself needs ether to send its own reading (relayed readings need none)
    fund = chain.w3.eth.send_transaction({"from": chain.funder, "to": seller.meters[0], "value": 10**18})
    chain.w3.eth.wait_for_transaction_receipt(fund)
    mk.submit_reading(oid, Side.SELLER, kwh(10), seller.meters[0])
    gas["meter reading sent by the meter"] = used()
    mk.submit_reading(oid, Side.BUYER, kwh("9.9"), buyer.meters[0], relayer=providers[3].address)
    gas["meter reading relayed with EIP-712 signature"] = used()
    mk.advance_to(period2, "settlement")
    mk.settle(providers[3].address, oid)
    gas["settle (honest-supplier policy)"] = used()
    mk.fold(seller.address)
    gas["fold reputation (1 period)"] = used()
    mk.withdraw(seller.address)
    gas["withdraw"] = used()
    return gas


def table(gas: dict[str, int]) -> str:
    """The figures beside the baseline, as text."""
    base = gas[BASELINE]
    lines = [f"{'step':52s} {'gas':>10s} {'x transfer':>11s}"]
    for step, value in gas.items():
        lines.append(f"{step:52s} {value:>10,d} {value / base:>11.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rpc", metavar="URL", help="JSON-RPC node (default: in-process EVM)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--plot", metavar="PATH", help="also draw the figures as a PNG bar chart")
    args = parser.parse_args(argv)
    gas = measure(args.rpc)
    if args.json:
        print(json.dumps({"baseline": BASELINE, "gas": gas}, indent=2))
    else:
        print(table(gas))
    if args.plot:
        from energy_trading.scenarios.plots import plot_gas

        rows = [(k, v) for k, v in gas.items() if k != BASELINE and not k.startswith("  ")]
        print(f"wrote {plot_gas(rows, (BASELINE, gas[BASELINE]), Path(args.plot))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
