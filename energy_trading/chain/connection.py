"""Connection to an EVM: in-process (eth-tester + py-evm) by default, or any JSON-RPC node.

`Chain` owns the accounts the Python side signs for. Participants, meters, the
auditor and the operator are plain keypairs derived from a seed, funded from the
node's first unlocked account, so the same code runs on the in-process EVM, on
anvil and on a consortium node.
"""

from __future__ import annotations

import ast
import time
from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import TransactionFailed
from eth_utils import keccak
from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.middleware import SignAndSendRawMiddlewareBuilder
from web3.types import RPCEndpoint, TxReceipt

from energy_trading.chain.errors import ChainRevert, RevertDecoder

__all__ = ["DEFAULT_FUNDING_WEI", "IN_PROCESS_GAS_LIMIT", "Chain", "TxRecord", "connect", "signed_size"]

DEFAULT_FUNDING_WEI = Web3.to_wei(100, "ether")
IN_PROCESS_GAS_LIMIT = 15_000_000
"""Gas limit sent with every transaction on the in-process EVM, where py-evm's binary-search gas estimate
would run each transaction a dozen times (receipts' gasUsed is unaffected); nodes keep estimating."""
_SIGNER_LAYER = "energy_trading_signer"


@dataclass(frozen=True)
class TxRecord:
    """One transaction the process sent, for the consensus emulator's arrival stream.

    Attributes:
        time_s: seconds since the log was started (wall clock of the sending process).
        size_bytes: size of the signed transaction (its RLP / EIP-2718 envelope), bytes.
        action: what was sent ("approve from auditor", "fund alice").
        gas_used: gas the transaction consumed.
    """

    time_s: float
    size_bytes: int
    action: str
    gas_used: int


@dataclass
class Chain:
    """A web3 connection plus the local keys this process signs with.

    Attributes:
        w3: the web3 instance.
        funder: a node-unlocked account holding ether, used to fund new accounts.
        in_process: True for the eth-tester/py-evm backend.
        seed: the string new keys are derived from (deterministic accounts per seed).
    """

    w3: Web3
    funder: str
    in_process: bool
    seed: str = "energy-trading"
    accounts: dict[str, LocalAccount] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    decoder: RevertDecoder = field(default_factory=lambda: RevertDecoder([]))
    tx_log: list[TxRecord] | None = None
    _tx_log_t0: float = 0.0

    def new_account(self, label: str, fund_wei: int = DEFAULT_FUNDING_WEI) -> str:
        """Derive the key for `label` from the seed, fund it with ether, and return its address.

        The same label on the same seed always gives the same address.
        """
        key = keccak(text=f"{self.seed}:{label}")
        account: LocalAccount = Account.from_key(key)
        if account.address not in self.accounts:
            self.accounts[account.address] = account
            self.labels[account.address] = label
            self._refresh_signer()
            if fund_wei:
                tx = self.w3.eth.send_transaction(
                    {"from": self.funder, "to": account.address, "value": fund_wei}
                )
                receipt = self.w3.eth.wait_for_transaction_receipt(tx)
                self._log_tx(receipt, f"fund {label}")
        return account.address

    def key_of(self, address: str) -> LocalAccount:
        """The local signing key of an address this process created."""
        return self.accounts[Web3.to_checksum_address(address)]

    def label_of(self, address: str) -> str:
        """The label an address was created with, or the address itself."""
        return self.labels.get(Web3.to_checksum_address(address), address)

    def transact(
        self, fn: ContractFunction | ContractConstructor, sender: str, value: int = 0, gas: int | None = None
    ) -> TxReceipt:
        """Send `fn` from `sender`, wait for the receipt, and return it.

        Raises `ChainRevert` naming the contract's custom error when the call reverts. `gas` sets the
        gas limit and replaces estimation by one dry run against the pending block (py-evm's estimate
        re-executes the call ~15 times in a binary search); the dry run still decodes a revert.
        """
        action = f"{getattr(fn, 'fn_name', 'constructor')} from {self.label_of(sender)}"
        params: dict[str, Any] = {"from": sender, "value": value}
        try:
            if gas is not None:
                if isinstance(fn, ContractFunction):
                    fn.call(dict(params), block_identifier="pending")
                params["gas"] = gas
            tx_hash = fn.transact(params)
        except (ContractCustomError, ContractPanicError, ContractLogicError) as exc:
            raise self.decoder.decode(exc.data, action) from None
        except TransactionFailed as exc:
            raise self.decoder.decode(_tester_revert_data(exc), action) from None
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        if receipt["status"] != 1:
            raise ChainRevert("Revert", {"tx": tx_hash.hex()}, action)
        self._log_tx(receipt, action)
        return receipt

    def start_tx_log(self) -> list[TxRecord]:
        """Record every transaction sent from now on (time since now, signed size); returns the log."""
        self.tx_log = []
        self._tx_log_t0 = time.monotonic()
        return self.tx_log

    def _log_tx(self, receipt: TxReceipt, action: str) -> None:
        if self.tx_log is None:
            return
        size = signed_size(self.w3.eth.get_transaction(receipt["transactionHash"]))
        elapsed = time.monotonic() - self._tx_log_t0
        self.tx_log.append(TxRecord(elapsed, size, action, int(receipt["gasUsed"])))

    def now(self) -> int:
        """The latest block's timestamp (unix seconds)."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def advance_time(self, seconds: int) -> int:
        """Move the chain's clock forward by `seconds` and mine a block; returns the new latest timestamp.

        Works on the in-process EVM (eth-tester time travel) and on anvil/hardhat nodes
        (`evm_increaseTime` + `evm_mine`). The next transaction executes at or after the returned time.
        """
        if seconds < 0:
            raise ValueError(f"cannot move the chain's clock backwards ({seconds} s)")
        if self.in_process:
            tester = self.w3.provider.ethereum_tester
            tester.time_travel(self.now() + max(seconds, 1))
            tester.mine_blocks(1)
        else:
            self.w3.provider.make_request("evm_increaseTime", [int(seconds)])
            self.w3.provider.make_request("evm_mine", [])
        return self.now()

    def advance_to(self, timestamp: int) -> int:
        """Move the clock so that the next transaction executes at or after `timestamp` (no-op if past)."""
        now = self.now()
        return self.advance_time(timestamp - now) if timestamp > now else now

    def call(self, fn: ContractFunction, sender: str | None = None) -> Any:
        """Call a view function; reverts become `ChainRevert`."""
        try:
            return fn.call({"from": sender} if sender else {})
        except (ContractCustomError, ContractPanicError, ContractLogicError) as exc:
            raise self.decoder.decode(exc.data, fn.fn_name) from None

    def _refresh_signer(self) -> None:
        if _SIGNER_LAYER in self.w3.middleware_onion:
            self.w3.middleware_onion.remove(_SIGNER_LAYER)
        signer = SignAndSendRawMiddlewareBuilder.build(list(self.accounts.values()))
        self.w3.middleware_onion.inject(signer, name=_SIGNER_LAYER, layer=0)


def signed_size(tx: Any) -> int:
    """Size in bytes of a mined transaction as it was signed and broadcast (EIP-2718 typed envelope or
    legacy RLP), rebuilt from the fields and signature `eth_getTransactionByHash` returns."""
    to = bytes.fromhex(tx["to"][2:]) if tx.get("to") else b""
    data = bytes(tx["input"])
    r, s = int.from_bytes(bytes(tx["r"]), "big"), int.from_bytes(bytes(tx["s"]), "big")
    access = [
        [bytes.fromhex(item["address"][2:]), [bytes(k) for k in item["storageKeys"]]]
        for item in tx.get("accessList", [])
    ]
    kind = int(tx.get("type", 0))
    y_parity = int(tx.get("yParity", tx.get("y_parity", tx.get("v", 0))))
    if kind == 2:
        fields = [
            tx["chainId"], tx["nonce"], tx["maxPriorityFeePerGas"], tx["maxFeePerGas"], tx["gas"],
            to, tx["value"], data, access, y_parity, r, s,
        ]  # fmt: skip
        return 1 + len(rlp.encode(fields))
    if kind == 1:
        fields = [tx["chainId"], tx["nonce"], tx["gasPrice"], tx["gas"], to, tx["value"], data, access]
        return 1 + len(rlp.encode([*fields, y_parity, r, s]))
    return len(rlp.encode([tx["nonce"], tx["gasPrice"], tx["gas"], to, tx["value"], data, tx["v"], r, s]))


def _tester_revert_data(exc: Exception) -> bytes:
    """eth-tester reports a reverted raw transaction as the text "execution reverted: b'...'"."""
    text = str(exc.args[0]) if exc.args else ""
    _, _, literal = text.partition("execution reverted: ")
    try:
        data = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return b""
    return data if isinstance(data, bytes) else b""


def connect(rpc_url: str | None = None, seed: str = "energy-trading") -> Chain:
    """Connect to `rpc_url` (http(s)://, ws(s):// or an IPC path), or start an in-process EVM.

    The in-process chain is web3's EthereumTesterProvider over py-evm: no node, no
    network, a fresh chain on every call.
    """
    if rpc_url is None:
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider

        backend = PyEVMBackend(
            genesis_parameters=PyEVMBackend.generate_genesis_params({"gas_limit": 60_000_000})
        )
        w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
        in_process = True
    elif rpc_url.startswith(("http://", "https://")):
        # Cache eth_chainId only (asked before every signed transaction, never changes). web3's default
        # cacheable set also holds block and transaction lookups, whose cache validation asks the node for
        # finalized/safe blocks and logs a traceback ("exception while caching the request") on devnets
        # such as anvil after a clock jump; a devnet's blocks are not worth caching anyway.
        w3 = Web3(
            Web3.HTTPProvider(
                rpc_url,
                request_kwargs={"timeout": 60},
                cache_allowed_requests=True,
                cacheable_requests={RPCEndpoint("eth_chainId")},
            )
        )
        in_process = False
    elif rpc_url.startswith(("ws://", "wss://")):
        from web3 import LegacyWebSocketProvider

        w3 = Web3(LegacyWebSocketProvider(rpc_url))
        in_process = False
    else:
        w3 = Web3(Web3.IPCProvider(rpc_url))
        in_process = False
    if not w3.is_connected():
        raise ConnectionError(
            f"no Ethereum node answers at {rpc_url}: start one (e.g. `anvil`) or drop --rpc"
        )
    unlocked = w3.eth.accounts
    if not unlocked:
        raise ConnectionError(f"the node at {rpc_url} has no unlocked account to fund participants from")
    return Chain(w3=w3, funder=unlocked[0], in_process=in_process, seed=seed)
