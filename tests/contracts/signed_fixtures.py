"""Helpers shared by the `SignedBook` tests: the stored order's ABI layout, off-chain EIP-712 signatures of
parties and meters, and report items (brownie accounts sign with their private keys)."""

from brownie import chain
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from energy_trading.clients.signed import compact, final_reading_typed_data

#: `SignedBook.Order` as `abi.encode` lays it out (its hash is what `approve`/`report` check)
ORDER_TYPES = ["uint256", "address", "address", "uint256", "uint256", "uint256", "address"]
ORDER_TYPES += ["uint64", "uint64", "uint128", "uint128"]
#: a report item's empty reading (the side reports nothing in this call)
NO_READING = (0, "0x" + "00" * 20, b"\0" * 32, b"\0" * 32)


def order_hash(order):
    """keccak256 of the stored order's ABI encoding."""
    return Web3.keccak(abi_encode(ORDER_TYPES, list(order)))


def sign(key_holder, typed):
    """`key_holder`'s signature over EIP-712 typed data (65 bytes)."""
    return (
        Account.from_key(key_holder.private_key).sign_message(encode_typed_data(full_message=typed)).signature
    )


def reading(sb, oid, side, energy, meter):
    """A final reading of `energy` Wh for `side` (0 seller, 1 buyer) of order `oid`, signed by `meter`
    (EIP-2098 compact signature)."""
    typed = final_reading_typed_data(chain.id, sb.address, oid, side, energy, meter.address)
    return (energy, meter.address, *compact(bytes(sign(meter, typed))))


def both_readings(sb, oid, order, energy, seller_meter, buyer_meter, buyer_energy=None):
    """The report item with both final readings: `energy` Wh from the seller's meter and `buyer_energy`
    (default the same) from the buyer's."""
    buyer_energy = energy if buyer_energy is None else buyer_energy
    return (
        oid,
        order,
        reading(sb, oid, 0, energy, seller_meter),
        reading(sb, oid, 1, buyer_energy, buyer_meter),
    )
