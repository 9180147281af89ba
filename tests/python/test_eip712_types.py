"""The EIP-712 type lists in `energy_trading.clients.eip712` are the type strings the contracts hash.

One list per type serves every client, so a field renamed or reordered on one side of the Solidity/Python
boundary shows up here, not as a signature the chain refuses. The deal terms are listed once (`SignedBook`'s
`Deal`): `OrderBook`'s signed opening and its `BilateralContract` copy were removed (review 2 finding 2).
"""

from __future__ import annotations

import re

import pytest

from energy_trading.chain.project import REPO_ROOT
from energy_trading.clients import eip712
from energy_trading.clients.market import meter_reading_typed_data
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
        ("MeterReading", eip712.METER_READING_FIELDS, "contracts/market/OrderBook.sol"),
    ],
)
def test_each_type_list_is_the_string_its_contract_hashes(primary, fields, source):
    assert f'"{_encode_type(primary, fields)}"' in _solidity_strings(source)


def test_both_books_sign_readings_from_one_list_under_their_own_domain():
    reading = final_reading_typed_data(31337, BOOK, 9, 0, 500, BOOK)
    metered = meter_reading_typed_data(31337, BOOK, 9, 0, 500, BOOK, 3)
    assert metered["message"] == {**reading["message"], "nonce": 3}
    assert metered["types"]["MeterReading"][:-1] == reading["types"]["FinalReading"]
    assert (reading["domain"]["name"], metered["domain"]["name"]) == ("SignedBook", "EnergyMarket")
    signed = deal_typed_data(31337, BOOK, (1, BOOK, BOOK, 10_000, 5, 0, 7))
    assert signed["types"]["Deal"] is eip712.DEAL_FIELDS


def test_the_deal_terms_are_listed_once_in_python_and_the_order_book_signs_none():
    """No second copy of the deal's field list survives in the package (a dict literal naming `pricePerKwh`
    outside `clients/eip712.py`), and `OrderBook` hashes no `BilateralContract` type any more."""
    package = REPO_ROOT / "energy_trading"
    copies = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if re.search(r"""["']name["']\s*:\s*["']pricePerKwh["']""", path.read_text())
    ]
    assert copies == ["clients/eip712.py"]
    assert "BilateralContract" not in _solidity_strings("contracts/market/OrderBook.sol")


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
