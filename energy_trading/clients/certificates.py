"""Green certificates and carbon allowances (seed 001 §3.3, §4.2.4-4.2.5; SPEC §5).

Two layers, kept apart:

* **The pure model** (no chain): eq 6 issuance with the carried remainder (`GeneratorMeter`,
  `certificates_due`), the whole certificate ledger with transfers and claims (`CertificateBook`),
  the green-certificate weight eq 20 (`green_weights`), the carbon settlement eq 22
  (`CarbonPosition`) and the carbon weight eq 21 (`carbon_weights`). The model is the
  differential-test oracle of `GreenCertificates`, `CertificateExchange` and `CarbonLedger`.
* **The chain clients** (`CertificatesClient`, `CarbonClient`): send the transactions as the
  right account (meters sign EIP-712 readings, holders approve the exchange), and read back.

Units: energy in Wh (1 certificate = 1 MWh = 1_000_000 Wh), token amounts in EnergyToken
base units (18 decimals), carbon allowances and emissions in kg CO2e, weights on the
papers' 0..100 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from eth_account import Account
from web3.contract import Contract
from web3.logs import DISCARD

if TYPE_CHECKING:
    from energy_trading.chain.compiler import Artifact
    from energy_trading.chain.connection import Chain
    from energy_trading.chain.deploy import Deployment

__all__ = [
    "EMISSION_READING_TYPES",
    "GENERATION_READING_TYPES",
    "WH_PER_MWH",
    "CarbonClient",
    "CarbonPosition",
    "CertificateBook",
    "CertificateError",
    "CertificatesClient",
    "Compliance",
    "GeneratorMeter",
    "Issuance",
    "carbon_weights",
    "certificates_due",
    "deploy_certificates",
    "green_weights",
    "sign_reading",
]

WH_PER_MWH = 1_000_000
"""Wh per certificate (seed 001 §3.3: one green certificate per MWh); `Units.WH_PER_MWH` on chain."""

MAX_WEIGHT = 100.0
"""The papers' weight scale: every weight component lies in [0, 100]."""


# ---------------------------------------------------------------------------------------------- pure model


class CertificateError(ValueError):
    """A certificate operation the ledger refuses (the model's counterpart of a contract revert)."""


def certificates_due(cumulative_wh: int) -> int:
    """Certificates a generator is owed for `cumulative_wh` Wh of renewable generation (seed 001 eq 6).

    Eq 6 sums `A_r / 1000` (kWh to MWh) over the trading cycles; only whole certificates exist, so the
    count is the floor of the cumulative MWh and the sub-MWh remainder waits for the next reading.
    """
    if cumulative_wh < 0:
        raise CertificateError(f"cumulative generation must be >= 0 Wh, got {cumulative_wh}")
    return cumulative_wh // WH_PER_MWH


@dataclass
class GeneratorMeter:
    """One generator's metering state: cumulative Wh and certificates issued (eq 6 with carry).

    Invariant: `issued == certificates_due(cumulative_wh)` after every `add`.
    """

    cumulative_wh: int = 0
    issued: int = 0

    def add(self, energy_wh: int) -> int:
        """Record `energy_wh` Wh of generation; return the certificates (MWh) it completes."""
        if energy_wh < 0:
            raise CertificateError(f"metered generation must be >= 0 Wh, got {energy_wh}")
        self.cumulative_wh += energy_wh
        due = certificates_due(self.cumulative_wh)
        new, self.issued = due - self.issued, due
        return new

    @property
    def carried_wh(self) -> int:
        """Wh metered but not yet certified (always below one MWh)."""
        return self.cumulative_wh % WH_PER_MWH


@dataclass(frozen=True)
class Issuance:
    """The outcome of one generation reading: the certificate id minted (0 if none) and its amount (MWh)."""

    certificate_id: int
    amount: int
    carried_wh: int


@dataclass
class CertificateBook:
    """The whole certificate ledger as the contracts keep it: issuance, transfers, sales and claims.

    Certificate ids are numbered 1, 2, ... in issuance order, one per reading that completes at least
    one MWh. Balances are per (owner, id); claimed amounts are per (owner, id) and never move.
    """

    generators: dict[str, GeneratorMeter] = field(default_factory=dict)
    balances: dict[tuple[str, int], int] = field(default_factory=dict)
    claimed: dict[tuple[str, int], int] = field(default_factory=dict)
    last_id: int = 0

    def report(self, generator: str, energy_wh: int, qualifies: bool = True) -> Issuance:
        """A generation reading of `energy_wh` Wh; a non-qualifying generator is refused and gets nothing."""
        if not qualifies:
            raise CertificateError(f"{generator} is not an approved non-hydro renewable generator")
        meter = self.generators.setdefault(generator, GeneratorMeter())
        amount = meter.add(energy_wh)
        if amount == 0:
            return Issuance(0, 0, meter.carried_wh)
        self.last_id += 1
        self.balances[(generator, self.last_id)] = amount
        return Issuance(self.last_id, amount, meter.carried_wh)

    def balance(self, owner: str, certificate_id: int) -> int:
        """Transferable certificates of `owner` under `certificate_id` (MWh)."""
        return self.balances.get((owner, certificate_id), 0)

    def transfer(self, sender: str, receiver: str, certificate_id: int, amount: int) -> None:
        """Move `amount` transferable certificates (a transfer or the certificate leg of a sale)."""
        self._take(sender, certificate_id, amount)
        key = (receiver, certificate_id)
        self.balances[key] = self.balances.get(key, 0) + amount

    def claim(self, owner: str, certificate_id: int, amount: int) -> None:
        """Retire `amount` of `owner`'s certificates: they leave the balance and are recorded as claimed."""
        if amount <= 0:
            raise CertificateError(f"claim of certificate {certificate_id} must be > 0, got {amount}")
        self._take(owner, certificate_id, amount)
        key = (owner, certificate_id)
        self.claimed[key] = self.claimed.get(key, 0) + amount

    def held(self, owner: str) -> int:
        """Transferable certificates of `owner` over every id (MWh)."""
        return sum(v for (o, _), v in self.balances.items() if o == owner)

    def claimed_by(self, owner: str) -> int:
        """Certificates `owner` has claimed over every id (MWh)."""
        return sum(v for (o, _), v in self.claimed.items() if o == owner)

    def counted(self, owner: str) -> int:
        """A_gc,i of eq 20: held + claimed; what a node sold counts for the buyer."""
        return self.held(owner) + self.claimed_by(owner)

    @property
    def total_issued(self) -> int:
        """Certificates ever issued (MWh) = held + claimed by everyone."""
        return sum(g.issued for g in self.generators.values())

    @property
    def total_held(self) -> int:
        """Transferable certificates in circulation (MWh)."""
        return sum(self.balances.values())

    @property
    def total_claimed(self) -> int:
        """Certificates claimed (retired) so far (MWh)."""
        return sum(self.claimed.values())

    def owners(self) -> set[str]:
        """Every account that holds or has claimed a certificate."""
        return {o for (o, _), v in self.balances.items() if v} | {o for (o, _) in self.claimed}

    def weights(self, nodes: list[str] | None = None) -> dict[str, float]:
        """Eq 20 weights of `nodes` (default: every owner)."""
        nodes = nodes if nodes is not None else sorted(self.owners())
        return green_weights({n: self.counted(n) for n in nodes}, total=self.total_issued)

    def _take(self, owner: str, certificate_id: int, amount: int) -> None:
        have = self.balance(owner, certificate_id)
        if amount <= 0 or amount > have:
            raise CertificateError(
                f"{owner} holds {have} transferable certificates of id {certificate_id}, cannot move {amount}"
            )
        self.balances[(owner, certificate_id)] = have - amount


def green_weights(counted: Mapping[str, int], total: int | None = None) -> dict[str, float]:
    """Seed 001 eq 20: `W_gc,i = A_gc,i / sum_i A_gc,i * 100` (0 for everyone while no certificate exists).

    Args:
        counted: A_gc,i per node (held + claimed certificates).
        total: sum_i A_gc,i over every node of the market (default: the sum of `counted`); pass
            the ledger's total when `counted` covers only some nodes.
    """
    denominator = sum(counted.values()) if total is None else total
    if any(v < 0 for v in counted.values()):
        raise CertificateError(f"certificate counts must be >= 0, got {dict(counted)}")
    if denominator == 0:
        return {n: 0.0 for n in counted}
    return {n: v / denominator * MAX_WEIGHT for n, v in counted.items()}


@dataclass(frozen=True)
class CarbonPosition:
    """A node's carbon account for one cycle, in kg CO2e (seed 001 eq 22).

    `A_b = bought - sold`: allowances bought from other nodes minus those sold to them, so a net
    seller has a negative A_b.
    """

    quota: int
    bought: int = 0
    sold: int = 0
    emitted: int = 0

    @property
    def net_bought(self) -> int:
        """A_b = bought - sold."""
        return self.bought - self.sold

    @property
    def settlement(self) -> int:
        """Seed 001 eq 22: `A_ce = A_q + A_b - A_e` (negative = non-compliant)."""
        return self.quota + self.net_bought - self.emitted

    @property
    def compliant(self) -> bool:
        """True when quota plus net purchases cover the emissions (A_ce >= 0)."""
        return self.settlement >= 0


def carbon_weights(settlements: Mapping[str, int]) -> dict[str, float]:
    """Seed 001 eq 21: `W_ce,i = (A_ce,i - A_ce^min) / (A_ce^max - A_ce^min) * 100` over one cycle's nodes.

    When every node settled the same amount (including a cycle of one node) eq 21 is 0/0; like
    `NodeWeights.carbonWeight` on chain, every node then gets 100 (nobody did worse than anyone else).
    """
    if not settlements:
        return {}
    low, high = min(settlements.values()), max(settlements.values())
    if high == low:
        return {n: MAX_WEIGHT for n in settlements}
    return {n: (a - low) / (high - low) * MAX_WEIGHT for n, a in settlements.items()}


# ---------------------------------------------------------------------------------------------- chain clients

CERTIFICATE_URI = "https://energy-trading.example/certificates/{id}.json"
"""ERC-1155 metadata URI template of the green certificates (clients substitute `{id}`)."""


def deploy_certificates(
    chain: Chain,
    artifacts: dict[str, Artifact],
    operator: str,
    regulator: str,
    registry: Contract,
    token: Contract,
    node_weights: Contract | None = None,
) -> dict[str, Contract]:
    """Deploy GreenCertificates, CertificateExchange and CarbonLedger and wire them.

    The operator administers the carbon ledger and `regulator` (the registry's auditor in the standard
    deployment) holds its REGULATOR_ROLE. When `node_weights` is given, the operator sets the certificate
    contract as its eq 20 source and the carbon ledger as its eq 21-22 source. Returns the handles by the
    `Deployment` field names.
    """

    def _deploy(name: str, *args: Any) -> Contract:
        factory = chain.w3.eth.contract(abi=artifacts[name].abi, bytecode=artifacts[name].bytecode)
        receipt = chain.transact(factory.constructor(*args), operator)
        return chain.w3.eth.contract(address=receipt["contractAddress"], abi=artifacts[name].abi)

    certificates = _deploy("GreenCertificates", registry.address, CERTIFICATE_URI)
    exchange = _deploy("CertificateExchange", certificates.address, token.address, registry.address)
    ledger = _deploy("CarbonLedger", operator, regulator, registry.address, token.address)
    if node_weights is not None:
        chain.transact(node_weights.functions.setGreenSource(certificates.address), operator)
        chain.transact(node_weights.functions.setCarbonSource(ledger.address), operator)
    return {"green_certificates": certificates, "certificate_exchange": exchange, "carbon_ledger": ledger}


class Compliance(IntEnum):
    """`ICarbonLedger.Compliance`."""

    NOT_SETTLED = 0
    COMPLIANT = 1
    NON_COMPLIANT = 2


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


IN_PROCESS_GAS_LIMIT = 15_000_000
"""Gas limit sent with every transaction on the in-process EVM, where py-evm's binary-search gas estimate
would run each transaction a dozen times (receipts' gasUsed is unaffected); nodes keep estimating."""


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
        transaction). Returns A_ce per node."""
        self._send(self.ledger.functions.closeCycle(cycle), self.regulator)
        for i in range(0, len(nodes), batch):
            self._send(self.ledger.functions.settleBatch(cycle, nodes[i : i + batch]), self.regulator)
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
