"""The EIP-712 type lists in `energy_trading.clients.eip712` are the type strings the contracts hash.

One list serves every client (SignedBook's `Deal` and OrderBook's `BilateralContract` share the terms), so a
field renamed or reordered on one side of the Solidity/Python boundary shows up here, not as a signature the
chain refuses.
"""

from __future__ import annotations

import re

import pytest

from energy_trading.chain.project import REPO_ROOT
from energy_trading.clients import eip712
from energy_trading.clients.market import bilateral_contract_typed_data, meter_reading_typed_data
from energy_trading.clients.signed import deal_typed_data, final_reading_typed_data

BOOK = "0x" + "11" * 20


def _encode_type(primary: str, fields: list[dict[str, str]]) -> str:
    """EIP-712 `encodeType` of a struct without nested structs: `Name(type name,...)`."""
    return f"{primary}({','.join(f['type'] + ' ' + f['name'] for f in fields)})"


def _solidity_strings(path: str) -> str:
    """The contract source, adjacent string literals joined (`"a," "b"` -> `"a,b"`) as solc joins them."""
    return re.sub(r'"\s*"', "", (REPO_ROOT / path).read_text())


@pytest.mark.parametrize(
    ("primary", "fields", "source"),
    [
        ("Deal", eip712.DEAL_FIELDS, "contracts/market/SignedBook.sol"),
        ("FinalReading", eip712.READING_FIELDS, "contracts/market/SignedBook.sol"),
        ("BilateralContract", eip712.DEAL_FIELDS, "contracts/market/OrderBook.sol"),
        ("MeterReading", eip712.METER_READING_FIELDS, "contracts/market/OrderBook.sol"),
    ],
)
def test_each_type_list_is_the_string_its_contract_hashes(primary, fields, source):
    assert f'"{_encode_type(primary, fields)}"' in _solidity_strings(source)


def test_both_books_sign_the_same_terms_under_their_own_domain():
    deal = (1, BOOK, BOOK, 10_000, 5, 0, 7)
    signed = deal_typed_data(31337, BOOK, deal)
    bilateral = bilateral_contract_typed_data(31337, BOOK, *deal)
    assert signed["types"]["Deal"] is bilateral["types"]["BilateralContract"]
    assert signed["message"] == bilateral["message"]
    assert (signed["domain"]["name"], bilateral["domain"]["name"]) == ("SignedBook", "EnergyMarket")
    reading = final_reading_typed_data(31337, BOOK, 9, 0, 500, BOOK)
    metered = meter_reading_typed_data(31337, BOOK, 9, 0, 500, BOOK, 3)
    assert metered["message"] == {**reading["message"], "nonce": 3}


def test_a_message_with_a_missing_or_unknown_field_is_refused_by_name():
    with pytest.raises(ValueError, match=r"missing fields \['nonce'\], unknown fields \['nonse'\]"):
        eip712.typed_data(
            "Deal",
            eip712.DEAL_FIELDS,
            eip712.domain("SignedBook", 1, BOOK),
            {
                "periodId": 1,
                "seller": BOOK,
                "buyer": BOOK,
                "energyWh": 1,
                "pricePerKwh": 1,
                "bonus": 0,
                "nonse": 1,
            },
        )
