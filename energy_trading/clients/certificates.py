"""Chain clients of green certificates and carbon allowances (seed 001 §3.3, §4.2.4-4.2.5; SPEC §5).

`CertificatesClient` and `CarbonClient` send the transactions as the right account (meters sign EIP-712
readings, holders approve the exchange) and read back; `sign_reading` signs a meter reading. The pure model
they are checked against is `energy_trading.models.certificates`.

Units: energy in Wh (1 certificate = 1 MWh = 1_000_000 Wh), token amounts in EnergyToken base units
(18 decimals), carbon allowances and emissions in kg CO2e, weights on the papers' 0..100 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import IntEnum
from typing import Any

from eth_account import Account
from web3.contract import Contract
from web3.logs import DISCARD

from energy_trading.chain.connection import IN_PROCESS_GAS_LIMIT
from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import register_enum
from energy_trading.models.certificates import (
    CarbonPosition,
    CertificateError,
    Issuance,
    carbon_weights,
    green_weights,
)

__all__ = [
    "EMISSION_READING_TYPES",
    "GENERATION_READING_TYPES",
    "CarbonClient",
    "CertificatesClient",
    "Compliance",
    "CycleState",
    "sign_reading",
]


class Compliance(IntEnum):
    """`ICarbonLedger.Compliance`."""

    NOT_SETTLED = 0
    COMPLIANT = 1
    NON_COMPLIANT = 2


class CycleState(IntEnum):
    """`ICarbonLedger.CycleState`."""

    NONE = 0
    OPEN = 1
    CLOSED = 2
    SETTLED = 3


register_enum("ICarbonLedger.Compliance", Compliance)
register_enum("ICarbonLedger.CycleState", CycleState)


GENERATION_READING_TYPES: dict[str, Any] = {
    "GenerationReading": [
        {"name": "generator", "type": "address"},
        {"name": "meter", "type": "address"},
        {"name": "periodStart", "type": "uint64"},
        {"name": "periodEnd", "type": "uint64"},
        {"name": "energyWh", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
    ]
}
EMISSION_READING_TYPES: dict[str, Any] = {
    "EmissionReading": [
        {"name": "node", "type": "address"},
        {"name": "meter", "type": "address"},
        {"name": "cycle", "type": "uint256"},
        {"name": "amount", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
    ]
}


def sign_reading(
    private_key: bytes | str,
    domain_name: str,
    chain_id: int,
    verifying_contract: str,
    types: dict[str, Any],
    message: dict[str, Any],
) -> bytes:
    """A meter's EIP-712 signature of a reading for a `MeterAuthenticated` contract (domain version "1").

    Args:
        private_key: the meter's key.
        domain_name: the contract's EIP-712 name ("GreenCertificates" or "CarbonLedger").
        chain_id: the chain the contract lives on.
        verifying_contract: the contract's address.
        types: `GENERATION_READING_TYPES` or `EMISSION_READING_TYPES`.
        message: the reading's fields, including the meter's current `nonce`.
    """
    domain = {
        "name": domain_name,
        "version": "1",
        "chainId": chain_id,
        "verifyingContract": verifying_contract,
    }
    return bytes(Account.sign_typed_data(private_key, domain, types, message).signature)


def _events(contract: Contract, name: str, receipt: Any) -> list[Any]:
    """The `name` events `contract` emitted in `receipt` (other contracts' logs are skipped)."""
    return list(contract.events[name]().process_receipt(receipt, errors=DISCARD))


def _event(contract: Contract, name: str, receipt: Any) -> dict[str, Any]:
    """The arguments of the first `name` event of `contract` in `receipt`."""
    return dict(_events(contract, name, receipt)[0]["args"])


def _sign_for(
    contract: Contract, domain_name: str, key: bytes, types: dict[str, Any], msg: dict[str, Any]
) -> bytes:
    return sign_reading(key, domain_name, contract.w3.eth.chain_id, contract.address, types, msg)


class _Client:
    """Sends transactions through `Chain.transact`, with a fixed gas limit on the in-process EVM."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.chain = deployment.chain
        self._gas = IN_PROCESS_GAS_LIMIT if deployment.chain.in_process else None

    def _send(self, fn: Any, sender: str) -> Any:
        return self.chain.transact(fn, sender, gas=self._gas)


class CertificatesClient(_Client):
    """Issues, transfers, sells and claims green certificates on a deployment, signing as each party."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment)
        self.certificates: Contract = deployment.green_certificates
        self.exchange: Contract = deployment.certificate_exchange
        self.token: Contract = deployment.token

    def report_generation(
        self,
        generator: str,
        meter: str,
        period_start: int,
        period_end: int,
        energy_wh: int,
        relayer: str | None = None,
    ) -> Issuance:
        """Submit a generation reading (Wh over [start, end) unix seconds) signed by `meter`.

        The meter's EIP-712 signature is relayed by `relayer` (default: the generator), since meters
        hold no gas. Returns the certificates the reading issued.
        """
        c = self.certificates
        nonce = c.functions.nonces(meter).call()
        message = {
            "generator": generator,
            "meter": meter,
            "periodStart": period_start,
            "periodEnd": period_end,
            "energyWh": energy_wh,
            "nonce": nonce,
        }
        key = self.chain.key_of(meter).key
        signature = _sign_for(c, "GreenCertificates", key, GENERATION_READING_TYPES, message)
        receipt = self._send(
            c.functions.reportGeneration(generator, meter, period_start, period_end, energy_wh, signature),
            relayer or generator,
        )
        issued = _events(c, "CertificatesIssued", receipt)
        carried = c.functions.carriedWh(generator).call()
        if not issued:
            return Issuance(0, 0, carried)
        return Issuance(issued[0]["args"]["id"], issued[0]["args"]["amount"], carried)

    def transfer(self, sender: str, receiver: str, certificate_id: int, amount: int) -> None:
        """ERC-1155 safe transfer of `amount` certificates of `certificate_id`."""
        self._send(
            self.certificates.functions.safeTransferFrom(sender, receiver, certificate_id, amount, b""),
            sender,
        )

    def list_for_sale(self, seller: str, certificate_id: int, amount: int, price_per_certificate: int) -> int:
        """Offer certificates on the exchange (approving it as operator if needed); return the listing id."""
        if not self.certificates.functions.isApprovedForAll(seller, self.exchange.address).call():
            self._send(self.certificates.functions.setApprovalForAll(self.exchange.address, True), seller)
        receipt = self._send(
            self.exchange.functions.list(certificate_id, amount, price_per_certificate), seller
        )
        return _event(self.exchange, "CertificatesListed", receipt)["listingId"]

    def buy(self, buyer: str, listing_id: int, amount: int) -> int:
        """Buy from a listing, approving the exact token amount first; returns the tokens paid."""
        price = self.exchange.functions.listing(listing_id).call()[3]
        self._send(self.token.functions.approve(self.exchange.address, amount * price), buyer)
        receipt = self._send(self.exchange.functions.buy(listing_id, amount), buyer)
        return _event(self.exchange, "CertificatesSold", receipt)["tokens"]

    def cancel(self, seller: str, listing_id: int) -> None:
        """Withdraw what is left of a listing."""
        self._send(self.exchange.functions.cancel(listing_id), seller)

    def claim(self, owner: str, certificate_id: int, amount: int, claim_data: bytes = b"") -> None:
        """Retire `amount` of `owner`'s certificates of `certificate_id` as proof of green consumption."""
        self._send(self.certificates.functions.claim(certificate_id, amount, claim_data), owner)

    def holdings(self, owner: str) -> dict[int, int]:
        """Transferable certificates of `owner` by id (only non-zero ids)."""
        last = self.certificates.functions.lastCertificateId().call()
        ids = list(range(1, last + 1))
        if not ids:
            return {}
        balances = self.certificates.functions.balanceOfBatch([owner] * len(ids), ids).call()
        return {i: b for i, b in zip(ids, balances, strict=True) if b}

    def held(self, owner: str) -> int:
        """Transferable certificates of `owner` over every id (MWh)."""
        return self.certificates.functions.heldCertificates(owner).call()

    def claimed(self, owner: str) -> int:
        """Certificates `owner` has claimed (MWh)."""
        return self.certificates.functions.claimedCertificates(owner).call()

    def counted(self, owner: str) -> int:
        """A_gc,i as the weight model reads it: held + claimed."""
        return self.certificates.functions.countedCertificates(owner).call()

    def total_issued(self) -> int:
        """Certificates ever issued (MWh)."""
        return self.certificates.functions.totalIssued().call()

    def weights(self, nodes: list[str]) -> dict[str, float]:
        """Eq 20 weights of `nodes` computed from the chain's counts."""
        return green_weights({n: self.counted(n) for n in nodes}, total=self.total_issued())


class CarbonClient(_Client):
    """Runs carbon cycles: the regulator's steps, meter reports, allowance trades and settlement."""

    def __init__(self, deployment: Deployment) -> None:
        super().__init__(deployment)
        self.ledger: Contract = deployment.carbon_ledger
        self.token: Contract = deployment.token
        self.regulator = deployment.auditor

    def open_cycle(self, quotas: Mapping[str, int]) -> int:
        """Regulator: open the next cycle and set every node's quota (kg CO2e); returns the cycle number."""
        receipt = self._send(self.ledger.functions.openCycle(), self.regulator)
        cycle = _event(self.ledger, "CycleOpened", receipt)["cycle"]
        for node, quota in quotas.items():
            self._send(self.ledger.functions.setQuota(cycle, node, quota), self.regulator)
        return cycle

    def report_emissions(
        self, node: str, meter: str, cycle: int, amount_kg: int, relayer: str | None = None
    ) -> None:
        """Submit `amount_kg` of metered emissions of `node`, signed by its `meter`, relayed by the node."""
        nonce = self.ledger.functions.nonces(meter).call()
        message = {"node": node, "meter": meter, "cycle": cycle, "amount": amount_kg, "nonce": nonce}
        key = self.chain.key_of(meter).key
        signature = _sign_for(self.ledger, "CarbonLedger", key, EMISSION_READING_TYPES, message)
        self._send(
            self.ledger.functions.reportEmissions(node, meter, cycle, amount_kg, signature), relayer or node
        )

    def list_allowances(self, seller: str, cycle: int, amount_kg: int, price_per_kg: int) -> int:
        """Offer spare allowances of `cycle`; returns the listing id."""
        receipt = self._send(self.ledger.functions.listAllowances(cycle, amount_kg, price_per_kg), seller)
        return _event(self.ledger, "AllowancesListed", receipt)["listingId"]

    def buy_allowances(self, buyer: str, listing_id: int, amount_kg: int) -> int:
        """Buy allowances, approving the exact token amount first; returns the tokens paid."""
        price = self.ledger.functions.allowanceListing(listing_id).call()[3]
        self._send(self.token.functions.approve(self.ledger.address, amount_kg * price), buyer)
        receipt = self._send(self.ledger.functions.buyAllowances(listing_id, amount_kg), buyer)
        return _event(self.ledger, "AllowancesSold", receipt)["tokens"]

    def close_and_settle(self, cycle: int, nodes: list[str], batch: int = 25) -> dict[str, int]:
        """Regulator closes `cycle`; then the nodes are settled in batches of `batch` (bounded gas per
        transaction), the nodes with an emission report first: a silent node settles only after every
        reporting node (`ReportersNotSettled`), below the worst of them. Returns A_ce per node."""
        self._send(self.ledger.functions.closeCycle(cycle), self.regulator)
        reported = {n: self.ledger.functions.position(n, cycle).call()[8] for n in nodes}
        ordered = sorted(nodes, key=lambda n: not reported[n])  # stable: reporters first, else as given
        for i in range(0, len(ordered), batch):
            self._send(self.ledger.functions.settleBatch(cycle, ordered[i : i + batch]), self.regulator)
        return {n: self.settlement(n, cycle) for n in nodes}

    def position(self, node: str, cycle: int) -> CarbonPosition:
        """The node's account in `cycle` as the model's `CarbonPosition`."""
        p = self.ledger.functions.position(node, cycle).call()
        return CarbonPosition(quota=p[2], bought=p[3], sold=p[4], emitted=p[6])

    def settlement(self, node: str, cycle: int) -> int:
        """A_ce of a settled node (raises if it is not settled yet)."""
        settled, amount = self.ledger.functions.carbonSettlement(node, cycle).call()
        if not settled:
            raise CertificateError(f"{node} is not settled in carbon cycle {cycle}: call settle first")
        return amount

    def compliance(self, node: str, cycle: int) -> tuple[Compliance, int]:
        """Compliance status and A_ce of `node` in `cycle`."""
        status, amount = self.ledger.functions.compliance(node, cycle).call()
        return Compliance(status), amount

    def weights(self, nodes: list[str], cycle: int | None = None) -> dict[str, float]:
        """Eq 21 weights from the settlements of `cycle` (default: the last settled cycle)."""
        cycle = cycle if cycle is not None else self.ledger.functions.lastSettledCycle().call()
        if cycle == 0:
            return {n: 0.0 for n in nodes}
        return carbon_weights({n: self.settlement(n, cycle) for n in nodes})
