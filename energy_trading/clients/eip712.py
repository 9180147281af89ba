"""EIP-712 type lists of the two order books, written once for both market clients (market.py, signed.py).

Each list is the field order of a Solidity typehash (`keccak256("Name(type name,...)")`); a typed-data dict
built from it must match the contract's constant byte for byte (tests/python/test_eip712_types.py checks it).
The certificate and registry types (one client each) stay beside their clients. The lists:
- `DEAL_FIELDS`: `SignedBook.Deal`, the terms both parties of a bilateral contract sign (the only such list:
  `OrderBook`'s signed opening and its `BilateralContract` type were removed, review 2 finding 2);
- `READING_FIELDS`: `SignedBook.FinalReading`; `OrderBook.MeterReading` adds the meter's nonce;
- `DOMAIN_FIELDS`: the `EIP712Domain` both books use (OpenZeppelin `EIP712`: name, version, chain, contract).
"""

from __future__ import annotations

from typing import Any

__all__ = ["DEAL_FIELDS", "DOMAIN_FIELDS", "METER_READING_FIELDS", "READING_FIELDS", "domain", "typed_data"]

DOMAIN_FIELDS: list[dict[str, str]] = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
DEAL_FIELDS: list[dict[str, str]] = [
    {"name": "periodId", "type": "uint256"},
    {"name": "seller", "type": "address"},
    {"name": "buyer", "type": "address"},
    {"name": "energyWh", "type": "uint256"},
    {"name": "pricePerKwh", "type": "uint256"},
    {"name": "bonus", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
]
READING_FIELDS: list[dict[str, str]] = [
    {"name": "orderId", "type": "uint256"},
    {"name": "side", "type": "uint8"},
    {"name": "energyWh", "type": "uint256"},
    {"name": "meter", "type": "address"},
]
METER_READING_FIELDS: list[dict[str, str]] = [*READING_FIELDS, {"name": "nonce", "type": "uint256"}]


def domain(name: str, chain_id: int, contract: str) -> dict[str, Any]:
    """The `EIP712Domain` of contract `name` (version "1") at address `contract` on chain `chain_id`."""
    return {"name": name, "version": "1", "chainId": chain_id, "verifyingContract": contract}


def typed_data(
    primary: str, fields: list[dict[str, str]], domain_: dict[str, Any], message: dict[str, Any]
) -> dict[str, Any]:
    """A full EIP-712 typed-data dict (what `eth_account.messages.encode_typed_data(full_message=...)` takes).

    Raises ValueError naming the field when `message` lacks one of `fields` or has a key they do not list.
    """
    names = [f["name"] for f in fields]
    missing = [n for n in names if n not in message]
    unknown = [k for k in message if k not in names]
    if missing or unknown:
        raise ValueError(f"{primary}: missing fields {missing}, unknown fields {unknown} (expected {names})")
    return {
        "types": {"EIP712Domain": DOMAIN_FIELDS, primary: fields},
        "primaryType": primary,
        "domain": domain_,
        "message": message,
    }
