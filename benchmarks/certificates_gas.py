"""Gas of green-certificate issuance, transfer, sale and claim beside OpenZeppelin's plain ERC-1155.

The baseline, `contracts/baselines/PlainERC1155.sol`, is OpenZeppelin's ERC-1155 with an open `mint` and
nothing else: the cost of the bare token standard. It is deployed on the same chain in the same run, and each
certificate operation is set beside the baseline operation that does the same token work:

* issuance (a meter's EIP-712-signed reading relayed by the generator that completes 1 MWh and mints a new id:
  signature check, registry look-ups, period and seed 001 eq 6 bookkeeping, certificate data) vs plain
  `mint` of a new id to an address with no balance;
* a reading that completes no MWh (only the carried remainder moves) vs the same plain `mint`;
* transfer of one certificate to an account with no balance of that id vs plain `safeTransferFrom` likewise
  (the difference is the per-owner totals the weight model reads);
* sale: `CertificateExchange.buy` moves EnergyToken buyer -> seller and the certificate seller -> buyer in one
  transaction, vs the plain ERC-1155 transfer alone (the listing is reported on its own row);
* claim (ERC-1888 retirement: burn plus claimed-balance records) vs the plain transfer.

Also reported, without a baseline: the carbon ledger's quota, emission reading, allowance purchase and
per-node settlement (a reporting node's, the cycle's first, and a silent node's, which settles only after
every reporting node). Every figure is the median over `--repeat` fresh repetitions of the receipt's
`gasUsed` (which includes the 21 000 intrinsic gas and calldata), so warm/cold storage is the same on both
sides of a row. Progress (phases, a bar per repetition) goes to stderr; stdout has only the table or JSON.

Runs on the in-process EVM (py-evm, Cancun rules) unless `--rpc` names a node; gas is the same on anvil.
Usage: python benchmarks/certificates_gas.py [--repeat 5] [--rpc URL] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from tqdm import tqdm

from energy_trading import connect, deploy
from energy_trading.chain.deploy import Deployment, deploy_contract
from energy_trading.clients.certificates import EMISSION_READING_TYPES, GENERATION_READING_TYPES, sign_reading
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.certificates import WH_PER_MWH

HOUR = 3600
TOKEN = 10**18
BASELINE = "OpenZeppelin ERC-1155"
_START = time.monotonic()


def say(message: str, name: str = "certificates_gas") -> None:
    """One progress line on stderr with the seconds since the start (stdout keeps the table or the JSON)."""
    print(f"[{name} {time.monotonic() - _START:6.1f} s] {message}", file=sys.stderr, flush=True)


class Bench:
    """One deployment, its participants, and the gas each operation used."""

    def __init__(self, rpc: str | None) -> None:
        self.chain = connect(rpc, seed="certificates-gas-benchmark")
        self.d: Deployment = deploy(self.chain)
        d, chain = self.d, self.chain
        self.plain = deploy_contract(chain, d.artifacts["PlainERC1155"], d.operator)
        reg = RegistryClient(d)
        self.gen = reg.register("bench-solar", Role.GENERATOR, Source.SOLAR)
        self.buyer = reg.register("bench-buyer", Role.CONSUMER)
        for p in (self.gen, self.buyer):
            reg.approve(p.address)
            chain.transact(d.token.functions.issue(p.address, 10**6 * TOKEN), d.operator)
        chain.transact(d.token.functions.approve(d.certificate_exchange.address, 2**255), self.buyer.address)
        chain.transact(
            d.green_certificates.functions.setApprovalForAll(d.certificate_exchange.address, True),
            self.gen.address,
        )
        self.period = 0
        # metering periods count from the meters' approval (nothing earlier is certified); see `reading`
        self.epoch = chain.now()
        self.recipients = 0
        self.gas: dict[str, list[int]] = {}

    def fresh(self) -> str:
        """A funded account that holds nothing yet."""
        self.recipients += 1
        return self.chain.new_account(f"bench-recipient-{self.recipients}")

    def record(self, name: str, fn: Any, sender: str) -> Any:
        receipt = self.chain.transact(fn, sender)
        self.gas.setdefault(name, []).append(receipt["gasUsed"])
        return receipt

    def reading(self, wh: int, name: str) -> int:
        """Relay a signed reading of `wh` Wh for the next hour; return the certificate id minted (or 0)."""
        c, gen = self.d.green_certificates, self.gen
        start, end = self.epoch + self.period * HOUR, self.epoch + (self.period + 1) * HOUR
        self.period += 1
        self.chain.advance_to(end)  # the period is over before its reading is sent
        meter = gen.meters[0]
        message = {
            "generator": gen.address,
            "meter": meter,
            "periodStart": start,
            "periodEnd": end,
            "energyWh": wh,
            "nonce": c.functions.nonces(meter).call(),
        }
        key = self.chain.key_of(meter).key
        sig = sign_reading(
            key, "GreenCertificates", self.chain.w3.eth.chain_id, c.address, GENERATION_READING_TYPES, message
        )
        self.record(name, c.functions.reportGeneration(gen.address, meter, start, end, wh, sig), gen.address)
        return c.functions.lastCertificateId().call()

    # ------------------------------------------------------------------ one repetition of every operation

    def certificates_round(self, i: int) -> None:
        d, gen, op = self.d, self.gen.address, self.d.operator
        certs, exchange = d.green_certificates, d.certificate_exchange
        # Baseline: OpenZeppelin ERC-1155 mint of a new id, then a transfer to an account with no balance.
        self.record("plain mint (new id)", self.plain.functions.mint(gen, 1000 + i, 4), op)
        self.record(
            "plain safeTransferFrom (new holder)",
            self.plain.functions.safeTransferFrom(gen, self.fresh(), 1000 + i, 1, b""),
            gen,
        )
        # Certificates: 0.4 MWh carries; 4.6 MWh completes 5 certificates under one new id.
        self.reading(400_000, "reading, no MWh completed (carry only)")
        cid = self.reading(4 * WH_PER_MWH + 600_000, "issuance (signed reading, new id)")
        self.record(
            "certificate safeTransferFrom (new holder)",
            certs.functions.safeTransferFrom(gen, self.fresh(), cid, 1, b""),
            gen,
        )
        receipt = self.record("sale: list", exchange.functions.list(cid, 2, 30 * TOKEN), gen)
        listing = exchange.events.CertificatesListed().process_receipt(receipt)[0]["args"]["listingId"]
        self.record(
            "sale: buy (tokens + certificate, atomic)", exchange.functions.buy(listing, 1), self.buyer.address
        )
        self.record("claim (ERC-1888 retire)", certs.functions.claim(cid, 1, b"consumption"), gen)

    def carbon_round(self, i: int) -> None:
        d, ledger, reg = self.d, self.d.carbon_ledger, self.d.auditor
        chain = self.chain
        receipt = chain.transact(ledger.functions.openCycle(), reg)
        cycle = ledger.events.CycleOpened().process_receipt(receipt)[0]["args"]["cycle"]
        seller, buyer = self.gen, self.buyer
        self.record("carbon: setQuota", ledger.functions.setQuota(cycle, seller.address, 1000), reg)
        chain.transact(ledger.functions.setQuota(cycle, buyer.address, 100), reg)
        meter = buyer.meters[0]
        message = {
            "node": buyer.address,
            "meter": meter,
            "cycle": cycle,
            "amount": 300,
            "nonce": ledger.functions.nonces(meter).call(),
        }
        sig = sign_reading(
            chain.key_of(meter).key,
            "CarbonLedger",
            chain.w3.eth.chain_id,
            ledger.address,
            EMISSION_READING_TYPES,
            message,
        )
        self.record(
            "carbon: reportEmissions (signed)",
            ledger.functions.reportEmissions(buyer.address, meter, cycle, 300, sig),
            buyer.address,
        )
        receipt = self.record(
            "carbon: listAllowances", ledger.functions.listAllowances(cycle, 500, 10**15), seller.address
        )
        listing = ledger.events.AllowancesListed().process_receipt(receipt)[0]["args"]["listingId"]
        chain.transact(d.token.functions.approve(ledger.address, 250 * 10**15), buyer.address)
        self.record("carbon: buyAllowances", ledger.functions.buyAllowances(listing, 250), buyer.address)
        chain.transact(ledger.functions.closeCycle(cycle), reg)
        # the buyer reported emissions, the seller did not: a silent node settles only after every reporting
        # node of the cycle (`ReportersNotSettled`, attack review 6), so the reporter goes first
        self.record("carbon: settle (one node)", ledger.functions.settle(buyer.address, cycle), reg)
        self.record("carbon: settle (silent node, last)", ledger.functions.settle(seller.address, cycle), reg)


PAIRS = [
    ("issuance (signed reading, new id)", "plain mint (new id)"),
    ("reading, no MWh completed (carry only)", "plain mint (new id)"),
    ("certificate safeTransferFrom (new holder)", "plain safeTransferFrom (new holder)"),
    ("sale: list", None),
    ("sale: buy (tokens + certificate, atomic)", "plain safeTransferFrom (new holder)"),
    ("claim (ERC-1888 retire)", "plain safeTransferFrom (new holder)"),
    ("carbon: setQuota", None),
    ("carbon: reportEmissions (signed)", None),
    ("carbon: listAllowances", None),
    ("carbon: buyAllowances", None),
    ("carbon: settle (one node)", None),
    ("carbon: settle (silent node, last)", None),
]


def run(rpc: str | None, repeat: int) -> dict[str, Any]:
    """Measure every operation `repeat` times; return medians and the baseline comparison."""
    say(f"deploying ({rpc or 'in-process EVM'}) and registering a generator and a buyer")
    bench = Bench(rpc)
    say(f"deployed; {repeat} repetitions of every operation")
    steps: list[Callable[[int], None]] = [bench.certificates_round, bench.carbon_round]
    for i in tqdm(range(repeat), desc="repetitions", unit="rep", file=sys.stderr):
        for step in steps:
            step(i)
    median = {name: int(statistics.median(values)) for name, values in bench.gas.items()}
    rows = []
    for name, baseline in PAIRS:
        row: dict[str, Any] = {"operation": name, "gas": median[name]}
        if baseline:
            row |= {
                "baseline": baseline,
                "baseline_gas": median[baseline],
                "ratio": median[name] / median[baseline],
            }
        rows.append(row)
    return {
        "repeat": repeat,
        "baseline": BASELINE,
        "rows": rows,
        "baselines": {b: median[b] for _, b in PAIRS if b},
    }


def print_table(result: dict[str, Any]) -> None:
    print(f"Gas per operation (median of {result['repeat']}), beside {result['baseline']} in the same run")
    print(f"{'operation':44s} {'gas':>9s}   {'baseline operation':36s} {'gas':>9s} {'x':>6s}")
    for row in result["rows"]:
        if "baseline" in row:
            print(
                f"{row['operation']:44s} {row['gas']:9,d}   {row['baseline']:36s} "
                f"{row['baseline_gas']:9,d} {row['ratio']:6.2f}"
            )
        else:
            print(f"{row['operation']:44s} {row['gas']:9,d}")


def gas_cli(
    argv: list[str] | None, doc: str, run: Callable[[str | None, int], dict[str, Any]], repeat: int
) -> int:
    """The command line every gas benchmark shares: `--repeat N`, `--rpc URL`, `--json`; `run(rpc, repeat)`
    measures and returns the rows `print_table` prints."""
    parser = argparse.ArgumentParser(
        description=doc.split("\n\n")[0],
        epilog=doc.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--repeat", type=int, default=repeat, help=f"repetitions per operation (default {repeat})"
    )
    parser.add_argument("--rpc", metavar="URL", help="JSON-RPC node (default: in-process py-evm)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    result = run(args.rpc, args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    return 0


def main(argv: list[str] | None = None) -> int:
    return gas_cli(argv, __doc__, run, repeat=5)


if __name__ == "__main__":
    sys.exit(main())
