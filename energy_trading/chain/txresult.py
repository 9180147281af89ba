"""What a client's transaction helper returns: a short summary of the mined transaction, not the receipt."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web3.types import TxReceipt

__all__ = ["TxResult"]


@dataclass(frozen=True)
class TxResult:
    """One mined, successful transaction.

    Attributes:
        action: what was sent and by whom ("approve from auditor").
        tx_hash: the transaction hash, 0x-hex.
        block: the block it was mined in.
        gas_used: gas it consumed.
        events: how many events (logs) it emitted.
        receipt: the full web3 receipt, for code that needs logs or other fields.
    """

    action: str
    tx_hash: str
    block: int
    gas_used: int
    events: int
    receipt: TxReceipt = field(repr=False, compare=False)

    @classmethod
    def of(cls, receipt: TxReceipt, action: str) -> TxResult:
        """Summarise a receipt."""
        return cls(
            action=action,
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            block=int(receipt["blockNumber"]),
            gas_used=int(receipt["gasUsed"]),
            events=len(receipt["logs"]),
            receipt=receipt,
        )

    def __getitem__(self, key: str) -> Any:
        """A field of the raw receipt (`result["gasUsed"]`), for code written against receipts."""
        return self.receipt[key]

    def __repr__(self) -> str:
        return (
            f"TxResult({self.action}: block {self.block}, {self.gas_used:,} gas, {self.events} events, "
            f"tx {self.tx_hash[:10]}…)"
        )
