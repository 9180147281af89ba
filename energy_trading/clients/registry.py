"""Python side of `ParticipantRegistry`: enums mirroring the contract and a small client.

The client signs as the participant (or the auditor) through `Chain`, and each call
raises `ChainRevert` naming the contract's custom error when the registry refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from web3 import Web3

from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import register_enum
from energy_trading.chain.txresult import TxResult

__all__ = [
    "ROLE_NAMES",
    "SOURCE_NAMES",
    "Participant",
    "RegistryClient",
    "Role",
    "Source",
    "Status",
    "zone_id",
]


class Role(IntEnum):
    """`IParticipantRegistry.Role`."""

    GENERATOR = 1
    CONSUMER = 2
    PROSUMER = 3


class Status(IntEnum):
    """`IParticipantRegistry.Status`."""

    NONE = 0
    PENDING = 1
    APPROVED = 2
    REJECTED = 3
    SUSPENDED = 4
    EXIT_REQUESTED = 5
    EXITED = 6


class Source(IntEnum):
    """`IParticipantRegistry.Source`: Solar, Wind and Biomass earn green certificates; Hydro does not."""

    NONE = 0
    SOLAR = 1
    WIND = 2
    BIOMASS = 3
    HYDRO = 4
    FOSSIL = 5


ROLE_NAMES: dict[str, Role] = {
    "generator": Role.GENERATOR,
    "consumer": Role.CONSUMER,
    "prosumer": Role.PROSUMER,
}
"""Role names as scenario files and the CLI spell them."""

SOURCE_NAMES: dict[str, Source] = {s.name.lower(): s for s in Source if s is not Source.NONE}
"""Energy-source names as scenario files spell them (solar, wind, biomass, hydro, fossil)."""

for _enum in (Role, Status, Source):
    register_enum(f"IParticipantRegistry.{_enum.__name__}", _enum)


def zone_id(zone: str) -> bytes:
    """A zone name as the registry's bytes32 (UTF-8, right-padded; at most 32 bytes)."""
    raw = zone.encode()
    if not raw or len(raw) > 32:
        raise ValueError(f"zone name {zone!r} must be 1..32 bytes of UTF-8")
    return raw.ljust(32, b"\0")


@dataclass(frozen=True)
class Participant:
    """A registered account and the meter accounts bound to it."""

    label: str
    address: str
    role: Role
    source: Source
    zone: str
    meters: tuple[str, ...]


class RegistryClient:
    """Registers participants and runs the auditor's review through the deployed registry."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.chain = deployment.chain
        self.contract = deployment.registry

    def _tx(self, fn: Any, sender: str) -> TxResult:
        receipt = self.chain.transact(fn, sender)
        return TxResult.of(receipt, f"{fn.fn_name} from {self.chain.label_of(sender)}")

    def register(
        self,
        label: str,
        role: Role,
        source: Source = Source.NONE,
        zone: str = "zone-1",
        meters: int = 1,
        attestation: str | None = None,
    ) -> Participant:
        """Create the account `label` (and `meters` meter accounts) and submit its application.

        The attestation hash is the keccak of `attestation` (default: the label), standing in for
        the off-chain identity document the auditor checks.
        """
        address = self.chain.new_account(label)
        meter_addresses = tuple(
            self.chain.new_account(f"{label}/meter{i}", fund_wei=0) for i in range(meters)
        )
        attestation_hash = Web3.keccak(text=attestation or f"attestation:{label}")
        self.chain.transact(
            self.contract.functions.register(
                int(role), int(source), zone_id(zone), attestation_hash, list(meter_addresses)
            ),
            address,
        )
        return Participant(label, address, role, source, zone, meter_addresses)

    def approve(self, account: str) -> TxResult:
        """Auditor: approve a pending application."""
        return self._tx(self.contract.functions.approve(account), self.d.auditor)

    def reject(self, account: str, reason: str) -> TxResult:
        """Auditor: reject a pending application with a short reason code."""
        return self._tx(self.contract.functions.reject(account, zone_id(reason)), self.d.auditor)

    def suspend(self, account: str, reason: str) -> TxResult:
        """Auditor: suspend an approved participant."""
        return self._tx(self.contract.functions.suspend(account, zone_id(reason)), self.d.auditor)

    def reinstate(self, account: str) -> TxResult:
        """Auditor: lift a suspension."""
        return self._tx(self.contract.functions.reinstate(account), self.d.auditor)

    def request_exit(self, account: str) -> TxResult:
        """Participant: ask to leave."""
        return self._tx(self.contract.functions.requestExit(), account)

    def finalize_exit(self, account: str, by: str | None = None) -> TxResult:
        """Remove a leaving participant with no open obligations (by itself unless `by` is given)."""
        return self._tx(self.contract.functions.finalizeExit(account), by or account)

    def status(self, account: str) -> Status:
        """The participant's current status."""
        return Status(self.contract.functions.participant(account).call()[1])

    def open_obligations(self, account: str) -> int:
        """How many market orders of the participant are still open."""
        return self.contract.functions.participant(account).call()[6]
