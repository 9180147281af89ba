"""Gas of the incentive currency (seed 004 §3.4) beside OpenZeppelin's plain ERC-1155 in the same run.

The baseline, `contracts/baselines/PlainERC1155.sol`, is OpenZeppelin's ERC-1155 with an open `mint` and
nothing else; it is deployed on the same chain in the same run. Each incentive operation is set beside the
baseline operation doing the same token work:

* purchase incentive issued into a new vintage (reads the settled order and its period from the order book,
  looks up the tariff checkpoint, creates the vintage record, mints) vs plain `mint` of a new id to an
  address with no balance; the same into an existing vintage (a second buyer the same day) vs the same mint;
* block creator reward (new vintage of the day, then an existing one) vs plain `mint` of a new id;
* transfer of lots to an account with no balance of that vintage (expiry check) vs plain `safeTransferFrom`;
* spend towards the handling fee (order read, one vintage burned, EnergyToken rebate from the reserve) and
  redeem (burn, EnergyToken paid) vs the plain transfer;
* retire (burn of an expired vintage by anyone) vs the plain transfer.

Every figure is the median over `--repeat` repetitions of the receipt's `gasUsed` (with the 21 000
intrinsic gas and calldata). Runs on the in-process EVM (py-evm) unless `--rpc` names a node; gas is the
same on anvil. The table printer is `benchmarks/certificates_gas.py`'s. Progress (phases, a bar per
repetition) goes to stderr; stdout has only the table or the JSON.
Usage: python benchmarks/incentives_gas.py [--repeat 3] [--rpc URL] [--json]
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm
from web3.logs import DISCARD

sys.path.insert(0, str(Path(__file__).resolve().parent))
from certificates_gas import gas_cli, say  # the sibling benchmark's command line, table and progress

from energy_trading import connect, deploy
from energy_trading.chain.deploy import deploy_contract
from energy_trading.clients.incentives import IncentiveParams, IncentivesClient, sealed_by
from energy_trading.clients.market import MarketClient, Side, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.incentives import DAY, UNIT, Band, Tariff

BASELINE = "OpenZeppelin ERC-1155"
LIFE_S = 30 * DAY


class Bench:
    """One deployment (every hour a peak band), a seller, two buyers, and the gas each operation used."""

    def __init__(self, rpc: str | None) -> None:
        self.chain = connect(rpc, seed="incentives-gas-benchmark")
        tariff = Tariff.from_hours([Band(2 * UNIT, LIFE_S)], {1: range(24)})
        self.d = deploy(self.chain, incentives=IncentiveParams(tariff=tariff))
        d, chain = self.d, self.chain
        self.plain = deploy_contract(chain, d.artifacts["PlainERC1155"], d.operator)
        reg, self.mk, self.inc = RegistryClient(d), MarketClient(d), IncentivesClient(d)
        self.seller = reg.register("bench-seller", Role.GENERATOR, Source.SOLAR)
        self.buyers = [reg.register(f"bench-buyer-{i}", Role.CONSUMER) for i in range(2)]
        for p in (self.seller, *self.buyers):
            reg.approve(p.address)
        for b in self.buyers:
            self.mk.fund(b.address, tokens(1_000))
            self.mk.allow(b.address, 2**255)
        self.sealer = chain.new_account("bench-sealer")
        self.recipients = 0
        self.gas: dict[str, list[int]] = {}

    def fresh(self) -> str:
        """A funded account that holds nothing yet."""
        self.recipients += 1
        return self.chain.new_account(f"bench-recipient-{self.recipients}")

    def record(self, name: str, fn: Any, sender: str) -> Any:
        # in-process: a fixed gas limit (py-evm's estimate re-runs the call on a header of its own, which
        # neither `sealed_by` nor gasUsed depend on)
        receipt = self.chain.transact(fn, sender, gas=3_000_000 if self.chain.in_process else None)
        self.gas.setdefault(name, []).append(receipt["gasUsed"])
        return receipt

    def settled_orders(self) -> list[int]:
        """One settled 10 kWh purchase per buyer in a fresh period (delivery on a new day)."""
        mk, seller = self.mk, self.seller
        period = mk.open_period()
        orders = []
        for b in self.buyers:
            oid = mk.propose(seller.address, period.id, b.address, 10_000, tokens("0.5"))
            mk.accept(b.address, oid)
            mk.approve(oid)
            mk.sign(b.address, oid)
            mk.submit_reading(oid, Side.SELLER, 10_000, seller.meters[0], relayer=self.d.operator)
            mk.submit_reading(oid, Side.BUYER, 10_000, b.meters[0], relayer=self.d.operator)
            orders.append(oid)
        mk.advance_to(period, "settlement")
        for oid in orders:
            mk.settle(self.d.operator, oid)
        return orders

    def round(self, i: int) -> None:
        c, op, chain = self.inc.contract.functions, self.d.operator, self.chain
        first, second = (b.address for b in self.buyers)
        # Baseline: OpenZeppelin ERC-1155 mint of a new id, then a transfer to an account with no balance.
        self.record("plain mint (new id)", self.plain.functions.mint(first, 1000 + i, 4 * UNIT), op)
        self.record(
            "plain safeTransferFrom (new holder)",
            self.plain.functions.safeTransferFrom(first, self.fresh(), 1000 + i, UNIT, b""),
            first,
        )
        orders = self.settled_orders()
        receipt = self.record(
            "issue purchase incentive (new vintage)", c.issuePurchaseIncentive(orders[0]), op
        )
        events = self.inc.contract.events
        vid = events.PurchaseIncentiveIssued().process_receipt(receipt, errors=DISCARD)[0]["args"]["id"]
        self.record("issue purchase incentive (existing vintage)", c.issuePurchaseIncentive(orders[1]), op)
        chain.advance_time(DAY)  # block rewards of a new day: a new vintage first
        with sealed_by(chain, self.sealer):
            reward = self.record("block creator reward (new vintage)", c.claimBlockReward(), op)
        with sealed_by(chain, self.sealer):
            self.record("block creator reward (existing vintage)", c.claimBlockReward(), op)
        reward_vid = events.BlockRewardIssued().process_receipt(reward, errors=DISCARD)[0]["args"]["id"]
        self.record(
            "transfer lots (new holder)",
            self.inc.contract.functions.safeTransferFrom(first, self.fresh(), vid, UNIT, b""),
            first,
        )
        self.record("spend towards handling fee (1 vintage)", c.spendOnFee(orders[0], [vid]), first)
        self.record("redeem for EnergyToken", c.redeem(vid, UNIT), first)
        chain.advance_time(LIFE_S + DAY)
        self.record("retire expired lots", c.retire(second, vid), op)
        chain.transact(c.retire(self.sealer, reward_vid), op)  # keep the sealer's history tidy


PAIRS = [
    ("issue purchase incentive (new vintage)", "plain mint (new id)"),
    ("issue purchase incentive (existing vintage)", "plain mint (new id)"),
    ("block creator reward (new vintage)", "plain mint (new id)"),
    ("block creator reward (existing vintage)", "plain mint (new id)"),
    ("transfer lots (new holder)", "plain safeTransferFrom (new holder)"),
    ("spend towards handling fee (1 vintage)", "plain safeTransferFrom (new holder)"),
    ("redeem for EnergyToken", "plain safeTransferFrom (new holder)"),
    ("retire expired lots", "plain safeTransferFrom (new holder)"),
]


def run(rpc: str | None, repeat: int) -> dict[str, Any]:
    """Measure every operation `repeat` times; return medians and the baseline comparison."""
    say(f"deploying ({rpc or 'in-process EVM'}) and registering a seller and two buyers", "incentives_gas")
    bench = Bench(rpc)
    say(f"deployed; {repeat} repetitions of every operation", "incentives_gas")
    for i in tqdm(range(repeat), desc="repetitions", unit="rep", file=sys.stderr):
        bench.round(i)
    median = {name: int(statistics.median(values)) for name, values in bench.gas.items()}
    rows = [
        {
            "operation": name,
            "gas": median[name],
            "baseline": baseline,
            "baseline_gas": median[baseline],
            "ratio": median[name] / median[baseline],
        }
        for name, baseline in PAIRS
    ]
    return {
        "repeat": repeat,
        "baseline": BASELINE,
        "rows": rows,
        "baselines": {b: median[b] for _, b in PAIRS},
    }


def main(argv: list[str] | None = None) -> int:
    return gas_cli(argv, __doc__, run, repeat=3)


if __name__ == "__main__":
    sys.exit(main())
