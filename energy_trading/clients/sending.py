"""What the market clients share: a deployment handle and sending a contract call as an account."""

from __future__ import annotations

from typing import Any

from web3.types import TxReceipt

from energy_trading.chain.connection import IN_PROCESS_GAS_LIMIT
from energy_trading.chain.deploy import Deployment
from energy_trading.chain.txresult import TxResult

__all__ = ["SendingClient"]


class SendingClient:
    """Base of the clients that send transactions for several accounts of one deployment; keeps the last
    receipt (`last_receipt`) for callers that read its events."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        self.chain = deployment.chain
        self.token = deployment.token
        self.last_receipt: TxReceipt | None = None

    def _send(self, fn: Any, sender: str) -> TxReceipt:
        # in-process: a fixed limit instead of py-evm's slow binary-search estimate (gasUsed is unaffected)
        gas = IN_PROCESS_GAS_LIMIT if self.chain.in_process else None
        self.last_receipt = self.chain.transact(fn, sender, gas=gas)
        return self.last_receipt

    def _tx(self, fn: Any, sender: str) -> TxResult:
        return TxResult.of(self._send(fn, sender), f"{fn.fn_name} from {self.chain.label_of(sender)}")
