"""The EIP-712 type lists in `energy_trading.clients.eip712` hash to the typehashes the contracts define.

One list serves every client (SignedBook's `Deal` and OrderBook's `BilateralContract` share the terms), so a
field renamed or reordered on one side of the Solidity/Python boundary shows up here, not as a signature the
chain refuses.
"""

from __future__ import annotations

import pytest
from web3 import Web3

from energy_trading.clients import eip712
from energy_trading.clients.market import bilateral_contract_typed_data, meter_reading_typed_data
from energy_trading.clients.signed import deal_typed_data, final_reading_typed_data

BOOK = "0x" + "11" * 20


def _encode_type(primary: str, fields: list[dict[str, str]]) -> bytes:
    return f"{primary}({','.join(f['type'] + ' ' + f['name'] for f in fields)})".encode()


@pytest.mark.parametrize(
    ("primary", "fields", "solidity"),
    [
        (
            "Deal",
            eip712.DEAL_FIELDS,
            "Deal(uint256 periodId,address seller,address buyer,uint256 energyWh,uint256 pricePerKwh,"
            "uint256 bonus,uint256 nonce)",
        ),
        (
            "FinalReading",
            eip712.READING_FIELDS,
            "FinalReading(uint256 orderId,uint8 side,uint256 energyWh,address meter)",
        ),
        (
            "MeterReading",
            eip712.METER_READING_FIELDS,
            "MeterReading(uint256 orderId,uint8 side,uint256 energyWh,address meter,uint256 nonce)",
        ),
    ],
)
def test_type_lists_encode_as_the_contracts_typehash_strings(primary, fields, solidity):
    assert Web3.keccak(_encode_type(primary, fields)) == Web3.keccak(text=solidity)


def test_solidity_sources_carry_the_same_type_strings():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    signed = (root / "contracts/market/SignedBook.sol").read_text()
    book = (root / "contracts/market/OrderBook.sol").read_text()
    assert (
        '"Deal(uint256 periodId,address seller,address buyer,uint256 energyWh,uint256 pricePerKwh,'
        'uint256 bonus,"' in signed
    )
    assert '"FinalReading(uint256 orderId,uint8 side,uint256 energyWh,address meter)"' in signed
    assert "MeterReading(uint256 orderId,uint8 side,uint256 energyWh,address meter,uint256 nonce)" in book


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
