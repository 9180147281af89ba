"""Green certificates and carbon allowances as pure arithmetic (seed 001 §3.3, §4.2.4-4.2.5; SPEC §5).

Eq 6 issuance with the carried remainder (`GeneratorMeter`, `certificates_due`), the whole certificate
ledger with transfers and claims (`CertificateBook`), the green-certificate weight eq 20 (`green_weights`),
the carbon settlement eq 22 (`CarbonPosition`) and the carbon weight eq 21 (`carbon_weights`). No chain
code: this is the differential-test oracle of `GreenCertificates`, `CertificateExchange` and `CarbonLedger`,
whose clients live in `energy_trading.clients.certificates`.

Units: energy in Wh (1 certificate = 1 MWh = 1_000_000 Wh), carbon allowances and emissions in kg CO2e,
weights on the papers' 0..100 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "MAX_WEIGHT",
    "WH_PER_MWH",
    "CarbonPosition",
    "CertificateBook",
    "CertificateError",
    "GeneratorMeter",
    "Issuance",
    "carbon_weights",
    "certificates_due",
    "green_weights",
]

WH_PER_MWH = 1_000_000
"""Wh per certificate (seed 001 §3.3: one green certificate per MWh); `Units.WH_PER_MWH` on chain."""

MAX_WEIGHT = 100.0
"""The papers' weight scale: every weight component lies in [0, 100]."""


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
