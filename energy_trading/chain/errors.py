"""Turn EVM reverts into Python exceptions that name the problem.

Contracts in this repository revert with custom errors (`NotRegistered(address)`,
`CapacityExceeded(...)`). web3.py surfaces those as opaque hex; `RevertDecoder`
maps the 4-byte selector back to the error's name and decodes its arguments from
the ABIs of every compiled contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import IntEnum
from typing import Any

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector

__all__ = ["TIME_PARAMETERS", "ChainRevert", "RevertDecoder", "register_enum"]

#: Python mirrors of the contracts' enums by Solidity name ("IParticipantRegistry.Status"), so a revert
#: prints `actual=APPROVED` instead of `actual=2`. The client modules register theirs at import
#: (`register_enum`); the chain layer never imports the clients.
_ENUMS: dict[str, type[IntEnum]] = {}

#: Error parameters that hold a unix time (seconds); printed as ISO 8601 UTC.
TIME_PARAMETERS = frozenset(
    {"now_", "from", "until", "publishEnd", "matchEnd", "signEnd", "readingsEnd", "periodStart", "periodEnd",
     "lastPeriodEnd", "availableAt", "blockTime", "closableFrom"}
)  # fmt: skip


def register_enum(solidity_name: str, enum: type[IntEnum]) -> None:
    """Name the members of the Solidity enum `solidity_name` ("IEnergyMarket.OrderStatus") in reverts; an
    integer parameter that holds an enum's value is named "Error.parameter" ("WrongOrder.expectedStatus")."""
    _ENUMS[solidity_name] = enum


#: 9999-12-31T23:59:59Z, the last second `datetime` can print. Contracts use a type's maximum
#: (`type(uint64).max`) for "no bound"; such a time is printed as "never".
_LAST_PRINTABLE_UNIX_S = 253_402_300_799


def iso_time(unix_s: int) -> str:
    """A unix time (seconds) as ISO 8601 UTC, e.g. 2026-11-30T13:00:00Z; "never" past the year 9999
    (a contract's "no bound" sentinel such as `type(uint64).max`)."""
    if unix_s > _LAST_PRINTABLE_UNIX_S:
        return "never"
    return datetime.fromtimestamp(unix_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ChainRevert(Exception):
    """A transaction or call reverted.

    Attributes:
        error: the custom error's name (`NotRegistered`), `Error` for a revert string,
            `Panic` for an assertion/overflow, or `Revert` when the revert carried no data.
        args_by_name: the error's decoded arguments by parameter name.
    """

    def __init__(
        self, error: str, args_by_name: dict[str, Any], action: str = "", enums: dict[str, str] | None = None
    ) -> None:
        self.error = error
        self.args_by_name = args_by_name
        enums = enums or {}
        rendered = ", ".join(f"{k}={_render(k, v, enums.get(k))}" for k, v in args_by_name.items())
        prefix = f"{action} reverted with " if action else "reverted with "
        message = f"{prefix}{error}({rendered})"
        hint = _hint(error, args_by_name)
        super().__init__(f"{message}: {hint}" if hint else message)


#: Ids above this are hashes or packed words (the signed book's order ids): printed in hex, not 77 digits.
_LARGEST_DECIMAL_ID = 2**64


def _render(name: str, value: Any, enum_type: str | None = None) -> str:
    if enum_type in _ENUMS and isinstance(value, int):
        try:
            return _ENUMS[enum_type](value).name
        except ValueError:
            return str(value)
    if (name == "id" or name.endswith("Id")) and isinstance(value, int) and value > _LARGEST_DECIMAL_ID:
        return hex(value)
    if name in TIME_PARAMETERS and isinstance(value, int) and value > 0:
        return iso_time(value)
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) and not value.startswith("0x") else str(value)


def _hint(error: str, args: dict[str, Any]) -> str:
    """What to do about the common refusals whose arguments alone do not say it."""
    if error == "OutsideWindow" and {"now_", "from", "until"} <= args.keys():
        now, start, end = args["now_"], args["from"], args["until"]
        if now < start:
            return (
                f"this step opens in {start - now} s; move the clock with chain.advance_to({start}) "
                "(market.advance_to(period, phase) on a period)"
            )
        return (
            f"this step's window closed {now - end} s ago (it runs from {iso_time(start)} until "
            f"{iso_time(end)}); open a new period"
        )
    return ""


def _canonical_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


class RevertDecoder:
    """Decodes revert data using the error definitions of a set of ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str], dict[str, str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_canonical_type(i) for i in item["inputs"]]
                signature = f"{item['name']}({','.join(types)})"
                selector = function_signature_to_4byte_selector(signature)
                names = [i["name"] or f"arg{n}" for n, i in enumerate(item["inputs"])]
                enums = {
                    name: i["internalType"].removeprefix("enum ")
                    if i.get("internalType", "").startswith("enum ")
                    else f"{item['name']}.{name}"  # an integer holding an enum's value (`register_enum`)
                    for name, i in zip(names, item["inputs"], strict=True)
                }
                self._errors[selector] = (item["name"], names, types, enums)

    def decode(self, data: bytes | str | None, action: str = "") -> ChainRevert:
        """Build a `ChainRevert` from raw revert data (bytes or 0x-hex)."""
        if isinstance(data, str):
            data = bytes.fromhex(data.removeprefix("0x")) if data.startswith("0x") else data.encode()
        if not data or len(data) < 4:
            return ChainRevert("Revert", {}, action)
        selector, payload = data[:4], data[4:]
        if selector == function_signature_to_4byte_selector("Error(string)"):
            return ChainRevert("Error", {"message": decode(["string"], payload)[0]}, action)
        if selector == function_signature_to_4byte_selector("Panic(uint256)"):
            return ChainRevert("Panic", {"code": hex(decode(["uint256"], payload)[0])}, action)
        if selector not in self._errors:
            return ChainRevert("UnknownError", {"data": data}, action)
        name, names, types, enums = self._errors[selector]
        values = decode(types, payload)
        return ChainRevert(name, dict(zip(names, values, strict=True)), action, enums)
