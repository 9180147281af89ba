"""Chain client of the time-stamped incentive currency (seed 004 §3.4, SPEC §8): `IncentiveCurrency`.

Deploys and funds the contract (`deploy_incentives`), and drives it (`IncentivesClient`): tariff and rates,
pulling a settled purchase's incentive, the block creator's reward, oldest-first fee spends, redemption,
retirement of expired lots, and reading holdings by vintage. The arithmetic lives in
`energy_trading.models.incentives` (the pure model, also the tests' oracle).

Units: incentive amounts in base units (18 decimals, `UNIT` = one unit), EnergyToken in base units, rates in
WAD (token base units per `UNIT`), times in unix seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from eth_utils import to_canonical_address
from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from energy_trading.chain.deploy import INCENTIVE_URI, IncentiveParams, default_tariff, deploy_incentives
from energy_trading.models.incentives import Tariff

if TYPE_CHECKING:
    from energy_trading.chain.connection import Chain
    from energy_trading.chain.deploy import Deployment

__all__ = [
    "INCENTIVE_URI",
    "IncentiveParams",
    "IncentivesClient",
    "Issued",
    "Vintage",
    "default_tariff",
    "deploy_incentives",
]

IN_PROCESS_GAS_LIMIT = 3_000_000


@dataclass(frozen=True)
class Vintage:
    """One vintage (ERC-1155 id) and its ledger, as `IIncentiveCurrency.Vintage`."""

    id: int
    start: int
    expires_at: int
    band: int
    tariff_version: int
    incentive_per_kwh: int
    issued: int
    spent: int
    redeemed: int
    retired: int

    @property
    def held(self) -> int:
        """Units still held by someone: issued - spent - redeemed - retired."""
        return self.issued - self.spent - self.redeemed - self.retired


@dataclass(frozen=True)
class Issued:
    """Lots minted by one issuance: vintage id, incentive base units, receiver, gas used."""

    vintage: int
    amount: int
    to: str
    gas: int


@contextmanager
def sealed_by(chain: Chain, creator: str) -> Iterator[None]:
    """Make the next transaction's block be sealed by `creator` (its `block.coinbase`).

    On a node this is anvil's `anvil_setCoinbase`, in process on revm the backend's `set_coinbase`.
    eth-tester has no such call, so in process on py-evm the pending
    block's header gets `creator` as coinbase (the EVM reads it while executing) and the auto-mined block
    is mined with the same coinbase; both are restored afterwards.
    """
    if not chain.in_process:
        chain.w3.provider.make_request("anvil_setCoinbase", [creator])
        yield
        return
    tester = chain.w3.provider.ethereum_tester
    backend = tester.backend
    if hasattr(backend, "set_coinbase"):  # the revm backend has anvil's call (`RevmBackend.set_coinbase`)
        previous = backend.block["coinbase"]
        backend.set_coinbase(to_canonical_address(creator))
        try:
            yield
        finally:
            backend.set_coinbase(previous)
        return
    backend.chain.header = backend.chain.header.copy(coinbase=to_canonical_address(creator))
    mine_block = tester.mine_block
    tester.mine_block = lambda coinbase=None: mine_block(coinbase=creator)
    try:
        yield
    finally:
        del tester.mine_block  # back to the class's method


class IncentivesClient:
    """Drives `IncentiveCurrency` of a deployment."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.chain = deployment.chain
        self.contract: Contract = deployment.incentives
        self.vintage_seconds: int = self.contract.functions.vintageSeconds().call()
        self._ids: set[int] = set()
        self._scanned_to = -1

    def _send(self, fn: Any, sender: str) -> TxReceipt:
        gas = IN_PROCESS_GAS_LIMIT if self.chain.in_process else None
        return self.chain.transact(fn, sender, gas=gas)

    def _events(self, receipt: TxReceipt, name: str) -> list[Any]:
        return list(getattr(self.contract.events, name)().process_receipt(receipt, errors=DISCARD))

    # ------------------------------------------------------------------ operator

    def set_tariff(self, tariff: Tariff) -> int:
        """Operator: publish `tariff` (in force for deliveries from the next second); returns its version."""
        receipt = self._send(self.contract.functions.setTariff(*tariff.as_args()), self.d.operator)
        return int(self._events(receipt, "TariffSet")[0].args.version)

    def set_rates(self, fee_rate: int, redeem_rate: int) -> TxReceipt:
        """Operator: set the EnergyToken values (WAD per `UNIT`) of spent and redeemed lots."""
        return self._send(self.contract.functions.setRates(fee_rate, redeem_rate), self.d.operator)

    def reserve(self) -> int:
        """EnergyToken base units in the reserve."""
        return self.d.token.functions.balanceOf(self.contract.address).call()

    # ------------------------------------------------------------------ issuance

    def issue_purchase_incentive(self, order_id: int, sender: str) -> Issued:
        """Pull the incentive of settled order `order_id` (anyone may send it); returns what was minted."""
        receipt = self._send(self.contract.functions.issuePurchaseIncentive(order_id), sender)
        e = self._events(receipt, "PurchaseIncentiveIssued")[0].args
        return Issued(int(e.id), int(e.amount), e.buyer, int(receipt["gasUsed"]))

    def claim_block_reward(self, creator: str, sender: str) -> Issued:
        """Claim this block's creator reward in a block sealed by `creator` (the devnet stands in for a
        consortium sealer); any `sender` may send it."""
        with sealed_by(self.chain, creator):
            receipt = self._send(self.contract.functions.claimBlockReward(), sender)
        e = self._events(receipt, "BlockRewardIssued")[0].args
        return Issued(int(e.id), int(e.amount), e.creator, int(receipt["gasUsed"]))

    # ------------------------------------------------------------------ use

    def spend_on_fee(self, buyer: str, order_id: int) -> tuple[int, int]:
        """The buyer spends its live lots, oldest first, towards order `order_id`'s handling fee; returns
        (units burned, EnergyToken rebate)."""
        ids = [vid for vid, _ in self.live_holdings(buyer)]
        receipt = self._send(self.contract.functions.spendOnFee(order_id, ids), buyer)
        e = self._events(receipt, "FeeSpent")[0].args
        return int(e.units), int(e.rebate)

    def redeem(self, holder: str, vintage: int, units: int) -> int:
        """Redeem `units` of `holder`'s lots of `vintage` for EnergyToken; returns the tokens paid."""
        receipt = self._send(self.contract.functions.redeem(vintage, units), holder)
        return int(self._events(receipt, "LotsRedeemed")[0].args.tokens)

    def retire(self, holder: str, vintage: int, sender: str) -> int:
        """Retire `holder`'s expired lots of `vintage` (anyone may); returns the units retired."""
        receipt = self._send(self.contract.functions.retire(holder, vintage), sender)
        return int(self._events(receipt, "LotsRetired")[0].args.units)

    # ------------------------------------------------------------------ reads

    def vintage(self, vintage_id: int) -> Vintage:
        """The vintage's attributes and ledger."""
        v = self.contract.functions.vintage(vintage_id).call()
        return Vintage(vintage_id, *(int(x) for x in v))

    def vintage_ids(self) -> list[int]:
        """Every vintage id created so far, oldest first (from `VintageCreated` events, scanned
        incrementally: only blocks not seen by an earlier call are read)."""
        latest = self.chain.w3.eth.block_number
        if latest > self._scanned_to:
            logs = self.contract.events.VintageCreated().get_logs(
                from_block=self._scanned_to + 1, to_block=latest
            )
            self._ids.update(int(log.args.id) for log in logs)
            self._scanned_to = latest
        return sorted(self._ids)

    def vintages(self) -> list[Vintage]:
        """Every vintage created so far with its ledger, oldest first."""
        return [self.vintage(vid) for vid in self.vintage_ids()]

    def holdings(self, holder: str) -> dict[int, int]:
        """`holder`'s non-zero balances by vintage id (expired lots included until retired)."""
        ids = self.vintage_ids()
        if not ids:
            return {}
        balances = self.contract.functions.balanceOfBatch([holder] * len(ids), ids).call()
        return {vid: int(b) for vid, b in zip(ids, balances, strict=True) if b}

    def live_holdings(self, holder: str, at: int | None = None) -> list[tuple[int, int]]:
        """`holder`'s (vintage id, balance) of lots still usable at `at` (default: the next block), oldest
        first: what a fee spend should pass."""
        at = self.chain.now() + 1 if at is None else at
        expiry = {v.id: v.expires_at for v in self.vintages()}
        return sorted((vid, b) for vid, b in self.holdings(holder).items() if at < expiry[vid])

    def totals(self) -> dict[str, int]:
        """Units issued, spent, redeemed, retired and live over every vintage."""
        issued, spent, redeemed, retired = self.contract.functions.totals().call()
        return {
            "issued": issued,
            "spent": spent,
            "redeemed": redeemed,
            "retired": retired,
            "live": issued - spent - redeemed - retired,
        }
