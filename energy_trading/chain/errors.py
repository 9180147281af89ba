"""Turn EVM reverts into Python exceptions that name the problem.

Contracts in this repository revert with custom errors (`NotRegistered(address)`,
`CapacityExceeded(...)`). web3.py surfaces those as opaque hex; `RevertDecoder`
maps the 4-byte selector back to the error's name and decodes its arguments from
the ABIs of every compiled contract.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from eth_abi import decode
from eth_utils import function_signature_to_4byte_selector

__all__ = ["ChainRevert", "RevertDecoder"]


class ChainRevert(Exception):
    """A transaction or call reverted.

    Attributes:
        error: the custom error's name (`NotRegistered`), `Error` for a revert string,
            `Panic` for an assertion/overflow, or `Revert` when the revert carried no data.
        args_by_name: the error's decoded arguments by parameter name.
    """

    def __init__(self, error: str, args_by_name: dict[str, Any], action: str = "") -> None:
        self.error = error
        self.args_by_name = args_by_name
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in args_by_name.items())
        prefix = f"{action} reverted with " if action else "reverted with "
        super().__init__(f"{prefix}{error}({rendered})")


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) and not value.startswith("0x") else str(value)


def _canonical_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){param['type'][5:]}"
    return param["type"]


class RevertDecoder:
    """Decodes revert data using the error definitions of a set of ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_canonical_type(i) for i in item["inputs"]]
                signature = f"{item['name']}({','.join(types)})"
                selector = function_signature_to_4byte_selector(signature)
                names = [i["name"] or f"arg{n}" for n, i in enumerate(item["inputs"])]
                self._errors[selector] = (item["name"], names, types)

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
        name, names, types = self._errors[selector]
        values = decode(types, payload)
        return ChainRevert(name, dict(zip(names, values, strict=True)), action)
