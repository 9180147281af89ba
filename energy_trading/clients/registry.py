"""Python side of `ParticipantRegistry`: enums mirroring the contract and a small client.

The client signs as the participant (or the auditor) through `Chain`, and each call
raises `ChainRevert` naming the contract's custom error when the registry refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_account import Account
from web3 import Web3

from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import register_enum
from energy_trading.chain.txresult import TxResult
from energy_trading.models.roles import ROLE_NAMES, SOURCE_NAMES, Role, Source, Status

__all__ = [
    "BINDING_VALIDITY_S",
    "DEFAULT_RATED_POWER_W",
    "METER_BINDING_TYPES",
    "ROLE_NAMES",
    "SOURCE_NAMES",
    "MeterStatus",
    "Participant",
    "RegistryClient",
    "Role",
    "Source",
    "Status",
    "device_hash",
    "sign_meter_binding",
    "zone_id",
]


for _enum in (Role, Status, Source):
    register_enum(f"IParticipantRegistry.{_enum.__name__}", _enum)


def zone_id(zone: str) -> bytes:
    """A zone name as the registry's bytes32 (UTF-8, right-padded; at most 32 bytes)."""
    raw = zone.encode()
    if not raw or len(raw) > 32:
        raise ValueError(f"zone name {zone!r} must be 1..32 bytes of UTF-8")
    return raw.ljust(32, b"\0")


DEFAULT_RATED_POWER_W = 10_000_000_000
"""Rated power the clients declare for a meter device when none is given: 10 GW. Deliberately permissive:
the shipped scenarios compress a delivery period into a few seconds of chain time (readings follow signing
at once), so a realistic rating would refuse them. A real device declares its own rating
(`register(rated_power_w=...)`); a meter never reports more than rated power x time (`ReadingImplausible`)."""


class MeterStatus(IntEnum):
    """`IParticipantRegistry.MeterStatus`: the auditor's review of a meter device."""

    NONE = 0
    PENDING = 1
    APPROVED = 2
    REJECTED = 3


def device_hash(meter: str) -> bytes:
    """The hash standing in for a meter device's off-chain attestation (type approval, calibration)."""
    return Web3.keccak(text=f"device-attestation:{meter.lower()}")


METER_BINDING_TYPES: dict[str, Any] = {
    "MeterBinding": [
        {"name": "owner", "type": "address"},
        {"name": "meter", "type": "address"},
        {"name": "deviceHash", "type": "bytes32"},
        {"name": "ratedPowerW", "type": "uint64"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}
"""EIP-712 type of `ParticipantRegistry.METER_BINDING_TYPEHASH`: a meter's consent to be bound to `owner`."""

BINDING_VALIDITY_S = 86_400
"""How long (chain seconds) a meter's binding signature made by the client stays valid: one day."""


def sign_meter_binding(
    private_key: bytes | str,
    chain_id: int,
    registry: str,
    owner: str,
    meter: str,
    device: bytes,
    rated_power_w: int,
    nonce: int,
    deadline: int,
) -> bytes:
    """The meter's EIP-712 signature consenting to be bound to `owner` (`ParticipantRegistry`, domain
    "ParticipantRegistry" version "1").

    Args:
        private_key: the meter's key (the device holds it; the owner never needs it).
        chain_id: the chain the registry lives on.
        registry: the registry's address.
        owner: the participant account the meter is bound to (the caller of `register` / `addMeter`).
        meter: the meter's address (must be the key's address).
        device: the 32-byte device attestation hash the request names.
        rated_power_w: the rated power the request names, W.
        nonce: the meter's current `registry.nonces(meter)`.
        deadline: unix seconds (chain time) after which the registry refuses the signature.
    """
    domain = {
        "name": "ParticipantRegistry",
        "version": "1",
        "chainId": chain_id,
        "verifyingContract": registry,
    }
    message = {
        "owner": owner,
        "meter": meter,
        "deviceHash": device,
        "ratedPowerW": rated_power_w,
        "nonce": nonce,
        "deadline": deadline,
    }
    return bytes(Account.sign_typed_data(private_key, domain, METER_BINDING_TYPES, message).signature)


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

    def meter_request(
        self, owner: str, meter: str, rated_power_w: int = DEFAULT_RATED_POWER_W
    ) -> tuple[str, bytes, int, int, bytes]:
        """The registry's `MeterRequest` for binding `meter` to `owner`, signed by the meter's local key.

        The meter must be an account this process created (`Chain.new_account`): the device signs its own
        consent (`MeterBinding`), so nobody binds a meter whose key it does not hold. The signature uses the
        meter's current registry nonce and is valid for `BINDING_VALIDITY_S` seconds of chain time.
        """
        w3 = self.chain.w3
        deadline = w3.eth.get_block("latest")["timestamp"] + BINDING_VALIDITY_S
        device = device_hash(meter)
        signature = sign_meter_binding(
            self.chain.key_of(meter).key,
            w3.eth.chain_id,
            self.contract.address,
            owner,
            meter,
            device,
            rated_power_w,
            self.contract.functions.nonces(meter).call(),
            deadline,
        )
        return (meter, device, rated_power_w, deadline, signature)

    def register(
        self,
        label: str,
        role: Role,
        source: Source = Source.NONE,
        zone: str = "zone-1",
        meters: int = 1,
        attestation: str | None = None,
        rated_power_w: int = DEFAULT_RATED_POWER_W,
    ) -> Participant:
        """Create the account `label` (and `meters` meter accounts) and submit its application.

        The attestation hash is the keccak of `attestation` (default: the label), standing in for
        the off-chain identity document the auditor checks. Each meter is requested as a device of
        `rated_power_w` watts; the auditor approves devices apart from the participant (`approve`).
        """
        address = self.chain.new_account(label)
        meter_addresses = tuple(
            self.chain.new_account(f"{label}/meter{i}", fund_wei=0) for i in range(meters)
        )
        attestation_hash = Web3.keccak(text=attestation or f"attestation:{label}")
        self.chain.transact(
            self.contract.functions.register(
                int(role),
                int(source),
                zone_id(zone),
                attestation_hash,
                [self.meter_request(address, m, rated_power_w) for m in meter_addresses],
            ),
            address,
        )
        return Participant(label, address, role, source, zone, meter_addresses)

    def approve(self, account: str, meters: bool = True) -> TxResult:
        """Auditor: approve a pending application and, with `meters`, every pending meter device of it."""
        result = self._tx(self.contract.functions.approve(account), self.d.auditor)
        if meters:
            for meter in self.contract.functions.metersOf(account).call():
                if self.meter_status(meter) == MeterStatus.PENDING:
                    self.approve_meter(meter)
        return result

    def add_meter(self, account: str, meter: str, rated_power_w: int = DEFAULT_RATED_POWER_W) -> TxResult:
        """Approved participant `account`: request one more meter device (the auditor must approve it).

        `meter` must be an account this process created (its key signs its consent to the binding; see
        `meter_request`); `rated_power_w` is the device's rated power in W.
        """
        fn = self.contract.functions.addMeter(*self.meter_request(account, meter, rated_power_w))
        return self._tx(fn, account)

    def approve_meter(self, meter: str) -> TxResult:
        """Auditor: approve a requested meter device; its readings count from now on."""
        return self._tx(self.contract.functions.approveMeter(meter), self.d.auditor)

    def reject_meter(self, meter: str, reason: str) -> TxResult:
        """Auditor: reject a requested meter device."""
        fn = self.contract.functions.rejectMeter(meter, zone_id(reason))
        return self._tx(fn, self.d.auditor)

    def meter_status(self, meter: str) -> MeterStatus:
        """The auditor's review state of a meter device."""
        return MeterStatus(self.contract.functions.meterInfo(meter).call()[1])

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
