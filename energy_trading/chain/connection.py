"""Connection to an EVM: in-process (eth-tester + py-evm) by default, or any JSON-RPC node.

`Chain` owns the accounts the Python side signs for. Participants, meters, the
auditor and the operator are plain keypairs derived from a seed, funded from the
node's first unlocked account, so the same code runs on the in-process EVM, on
anvil and on a consortium node.
"""

from __future__ import annotations

import ast
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import requests
import rlp
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3 import Web3
from web3._utils.method_formatters import receipt_formatter
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.datastructures import AttributeDict
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, TransactionNotFound
from web3.middleware import SignAndSendRawMiddlewareBuilder
from web3.types import RPCEndpoint, TxReceipt

from energy_trading.chain.errors import ChainRevert, RevertDecoder
from energy_trading.chain.fastcall import FastContract, ReadCache, cache_of, disable_cache, enable_cache

__all__ = [
    "DEFAULT_FUNDING_WEI",
    "DEFAULT_GAS_LIMIT",
    "IN_PROCESS_GAS_LIMIT",
    "Chain",
    "PendingTx",
    "TxRecord",
    "connect",
    "signed_size",
]

# ether each new account gets for gas: a participant's transactions cost well under 0.001 ether each on a
# devnode (300k gas at ~2 gwei), so 10 ether is thousands of them; a node's dev accounts (anvil: 10 x 10,000
# ether) then fund 10,000 participants, across many runs on one long-lived node
DEFAULT_FUNDING_WEI = Web3.to_wei(10, "ether")
_SIGNER_LAYER = "energy_trading_signer"
DEFAULT_GAS_LIMIT = 15_000_000
"""Gas limit of every transaction the package sends (capped at the node's block gas limit). An explicit
limit means no `eth_estimateGas`: py-evm's estimate re-executes a transaction ~15 times in a binary search,
and a node's costs one more request. The limit only bounds execution: `gasUsed` and the fee are unaffected."""
IN_PROCESS_GAS_LIMIT = DEFAULT_GAS_LIMIT  # the clients' name for it; every backend now gets an explicit limit
_FUNDING_GAS = 21_000  # a plain ether transfer to an externally owned account
_REVERT_ERRORS = (ContractCustomError, ContractPanicError, ContractLogicError)


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


@dataclass(frozen=True)
class PendingTx:
    """A transaction `Chain.send` signed and sent, whose receipt `Chain.wait` has not read yet.

    Attributes:
        tx_hash: the transaction hash.
        tx: the signed fields (for replaying a reverted transaction as a call).
        size_bytes: size of the signed envelope, bytes.
        action: what was sent ("approve from auditor").
        receipt: the receipt when the node returned it with the send (anvil's `eth_sendRawTransactionSync`).
    """

    tx_hash: bytes
    tx: dict[str, Any]
    size_bytes: int
    action: str
    receipt: TxReceipt | None = None


@dataclass
class Chain:
    """A web3 connection plus the local keys this process signs with.

    Attributes:
        w3: the web3 instance.
        funder: a node-unlocked account holding ether, used to fund new accounts.
        in_process: True for the eth-tester/py-evm backend.
        seed: the string new keys are derived from (deterministic accounts per seed).
        cached_read_hits: reads answered from memory inside `cached_reads` blocks so far (none executed).
    """

    w3: Web3
    funder: str
    in_process: bool
    seed: str = "energy-trading"
    accounts: dict[str, LocalAccount] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    decoder: RevertDecoder = field(default_factory=lambda: RevertDecoder([]))
    tx_log: list[TxRecord] | None = None
    gas_limit: int = DEFAULT_GAS_LIMIT
    cached_read_hits: int = 0
    _tx_log_t0: float = 0.0
    _nonces: dict[str, int] = field(default_factory=dict, repr=False)
    _chain_id: int | None = field(default=None, repr=False)
    _fees: dict[str, int] | None = field(default=None, repr=False)
    _sync_send: bool | None = field(default=None, repr=False)

    def new_account(self, label: str, fund_wei: int = DEFAULT_FUNDING_WEI) -> str:
        """Derive the key for `label` from the seed, fund it with ether, and return its address.

        The same label on the same seed always gives the same address.
        """
        return self.new_accounts([label], fund_wei)[0]

    def new_accounts(self, labels: Sequence[str], fund_wei: int = DEFAULT_FUNDING_WEI) -> list[str]:
        """`new_account` for several labels: every funding transfer is sent first, then the receipts are read
        (one round trip per batch on a node instead of one per account). Returns the addresses in order."""
        addresses, pending, added = [], [], False
        for label in labels:
            account: LocalAccount = Account.from_key(keccak(text=f"{self.seed}:{label}"))
            addresses.append(account.address)
            if account.address in self.accounts:
                continue
            self.accounts[account.address] = account
            self.labels[account.address] = label
            added = True
            if fund_wei:
                self._state_changed()
                tx = {"from": self.funder, "to": account.address, "value": fund_wei, "gas": _FUNDING_GAS}
                tx_hash = self.w3.eth.send_transaction(tx | self._fee_fields())
                pending.append((tx_hash, f"fund {label}"))
        if added:
            self._refresh_signer()
        for tx_hash, action in pending:
            receipt = self._receipt(tx_hash)
            if self.tx_log is not None:
                self._log_tx(receipt, action, signed_size(self.w3.eth.get_transaction(tx_hash)))
        return addresses

    def key_of(self, address: str) -> LocalAccount:
        """The local signing key of an address this process created."""
        return self.accounts[Web3.to_checksum_address(address)]

    def label_of(self, address: str) -> str:
        """The label an address was created with, or the address itself."""
        return self.labels.get(Web3.to_checksum_address(address), address)

    def transact(
        self,
        fn: ContractFunction | ContractConstructor,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        preflight: bool = False,
    ) -> TxReceipt:
        """Send `fn` from `sender` (value in wei), wait for the receipt, and return it.

        Raises `ChainRevert` naming the contract's custom error when the transaction reverts. `gas` sets the
        gas limit (default `gas_limit`: never estimated). `preflight=True` dry-runs the call against the
        pending block first, so a revert costs no transaction; otherwise the revert reason is read back from
        the failed transaction (replayed as a call at its own block, only on that failure path).
        """
        return self.wait(self.send(fn, sender, value, gas, preflight))

    def transact_many(
        self, calls: Sequence[tuple[ContractFunction | ContractConstructor, str]], gas: int | None = None
    ) -> list[TxReceipt]:
        """Send every `(fn, sender)` of `calls` before reading any receipt, for transactions whose order
        within the batch does not matter; returns the receipts in order.

        On a node the sends and the receipt reads each go out as one JSON-RPC batch. Every transaction is
        sent even if one reverts; the first revert is raised as `ChainRevert` after all receipts are read.
        """
        if self.in_process or not calls:
            # in process each transaction is mined as it is sent: read each receipt at once, so that a
            # revert is replayed (`_revert_of`) while its block is still the latest (the revm backend keeps
            # no older state)
            return _all_then_first_error(partial(self.transact, fn, sender, gas=gas) for fn, sender in calls)
        built = [self._sign(fn, sender, 0, gas) for fn, sender in calls]
        self._state_changed()
        responses = self.w3.provider.make_batch_request(
            [("eth_sendRawTransaction", ["0x" + raw.hex()]) for _, raw, _, _ in built]
        )
        pending = []
        for (tx, raw, sender, action), response in zip(built, responses, strict=True):
            if "error" in response:
                self._nonces.pop(sender, None)
                raise RuntimeError(f"{action}: the node refused the transaction: {response['error']}")
            pending.append(PendingTx(keccak(raw), tx, len(raw), action))
        receipts = self.w3.provider.make_batch_request(
            [("eth_getTransactionReceipt", ["0x" + p.tx_hash.hex()]) for p in pending]
        )
        formatted = {
            p.tx_hash: _format_receipt(r["result"])
            for p, r in zip(pending, receipts, strict=True)
            if r.get("result")
        }
        pending = [
            PendingTx(p.tx_hash, p.tx, p.size_bytes, p.action, formatted.get(p.tx_hash)) for p in pending
        ]
        return _all_then_first_error(partial(self.wait, p) for p in pending)

    def send(
        self,
        fn: ContractFunction | ContractConstructor,
        sender: str,
        value: int = 0,
        gas: int | None = None,
        preflight: bool = False,
    ) -> PendingTx:
        """Sign `fn` with `sender`'s local key and send it without waiting for it to be mined.

        Costs one request on a node (no estimate, no nonce or fee look-up: those are cached locally). On
        anvil the receipt comes back with the send (`eth_sendRawTransactionSync`). Read the outcome with
        `wait`. Raises `ChainRevert` only with `preflight=True`.
        """
        action = f"{getattr(fn, 'fn_name', 'constructor')} from {self.label_of(sender)}"
        if preflight and isinstance(fn, ContractFunction):
            try:
                fn.call({"from": sender, "value": value}, block_identifier="pending")
            except _REVERT_ERRORS as exc:
                raise self.decoder.decode(exc.data, action) from None
            except Exception as exc:
                if type(exc).__name__ != "TransactionFailed":  # eth-tester's, not imported in RPC mode
                    raise
                raise self.decoder.decode(_tester_revert_data(exc), action) from None
        for attempt in range(2):
            tx, raw, sender, action = self._sign(fn, sender, value, gas)
            try:
                return self._send_raw(tx, raw, action)
            except Exception as exc:
                # a nonce or fee that moved under us (a transaction sent around this Chain, a base-fee rise):
                # forget the cached values and sign once more
                self._nonces.pop(sender, None)
                self._fees = None
                if attempt or not _is_stale(exc):
                    raise
        raise AssertionError("unreachable")

    def wait(self, pending: PendingTx) -> TxReceipt:
        """The receipt of a sent transaction; raises `ChainRevert` (decoded) when it reverted."""
        receipt = pending.receipt or self._receipt(pending.tx_hash)
        self._state_changed()  # mined now (a node that does not automine): reads cached before are stale
        if receipt["status"] != 1:
            raise self._revert_of(pending, receipt)
        self._log_tx(receipt, pending.action, pending.size_bytes)
        return receipt

    def _sign(
        self, fn: ContractFunction | ContractConstructor, sender: str, value: int, gas: int | None
    ) -> tuple[dict[str, Any], bytes, str, str]:
        sender = Web3.to_checksum_address(sender)
        action = f"{getattr(fn, 'fn_name', 'constructor')} from {self.label_of(sender)}"
        if sender not in self._nonces:
            self._nonces[sender] = self.w3.eth.get_transaction_count(sender, "pending")
        if isinstance(fn, ContractFunction):
            to, data = fn.address, fn._encode_transaction_data()
        else:
            to, data = None, fn.data_in_transaction
        tx: dict[str, Any] = {
            "chainId": self.chain_id,
            "nonce": self._nonces[sender],
            "gas": gas or self.gas_limit,
            "value": value,
            "data": data,
            **self._fee_fields(),
        }
        if to is not None:
            tx["to"] = to
        raw = bytes(self.key_of(sender).sign_transaction(tx).raw_transaction)
        self._nonces[sender] += 1
        tx["from"] = sender
        return tx, raw, sender, action

    def _send_raw(self, tx: dict[str, Any], raw: bytes, action: str) -> PendingTx:
        self._state_changed()
        if self.in_process:
            tx_hash = bytes(self.w3.eth.send_raw_transaction(raw))
            return PendingTx(tx_hash, tx, len(raw), action)
        if self._sync_send is not False:
            response = self.w3.provider.make_request("eth_sendRawTransactionSync", ["0x" + raw.hex()])
            if "result" in response:
                self._sync_send = True
                receipt = _format_receipt(response["result"])
                return PendingTx(bytes(receipt["transactionHash"]), tx, len(raw), action, receipt)
            if self._sync_send is None and _unsupported(response["error"]):
                self._sync_send = False  # not anvil: send, then read the receipt
            else:
                raise RuntimeError(f"{action}: the node refused the transaction: {response['error']}")
        tx_hash = bytes(self.w3.eth.send_raw_transaction(raw))
        return PendingTx(tx_hash, tx, len(raw), action)

    def _receipt(self, tx_hash: bytes) -> TxReceipt:
        """The receipt, read at once (automining nodes have it when the send returns), then polled with a
        short backoff (1 ms doubling to 100 ms) instead of web3's fixed 0.1 s sleep."""
        delay, deadline = 0.001, time.monotonic() + 120
        while True:
            try:
                return self.w3.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                if time.monotonic() > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)

    def _revert_of(self, pending: PendingTx, receipt: TxReceipt) -> Exception:
        """Replay a failed transaction as a call at its own block to read its revert data.

        Its own block, not the parent: the call then sees the block's number, timestamp and coinbase the
        transaction saw (a revert that depends on them decodes as it happened), and a reverted transaction
        left no state behind. With automine (anvil, the in-process EVM) it is the block's only transaction."""
        call = {k: pending.tx[k] for k in ("from", "to", "value", "data", "gas") if k in pending.tx}
        try:
            self.w3.eth.call(call, block_identifier=int(receipt["blockNumber"]))
        except _REVERT_ERRORS as exc:
            return self.decoder.decode(exc.data, pending.action)
        except Exception as exc:
            if type(exc).__name__ == "TransactionFailed":  # eth-tester's, not imported in RPC mode
                revert = self.decoder.decode(_tester_revert_data(exc), pending.action)
                if revert.error != "Revert":
                    return revert
        return ChainRevert("Revert", {"tx": "0x" + pending.tx_hash.hex()}, pending.action)

    def _fee_fields(self) -> dict[str, int]:
        """EIP-1559 fees, read once: tip = the node's suggestion, cap = twice the base fee plus the tip
        (web3's own default); refreshed only if a send is refused."""
        if self._fees is None:
            tip = self.w3.eth.max_priority_fee
            base = int(self.w3.eth.get_block("latest").get("baseFeePerGas", 0))
            self._fees = {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}
        return self._fees

    def start_tx_log(self) -> list[TxRecord]:
        """Record every transaction sent from now on (time since now, signed size); returns the log."""
        self.tx_log = []
        self._tx_log_t0 = time.monotonic()
        return self.tx_log

    def _log_tx(self, receipt: TxReceipt, action: str, size: int) -> None:
        if self.tx_log is None:
            return
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
        self._state_changed()
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

    @contextmanager
    def cached_reads(self) -> Iterator[ReadCache]:
        """Within the block, remember contract reads (`contract.functions.f(...).call()` on contracts made
        with this chain's web3) until this Chain sends a transaction or moves the clock; yields the cache
        (`hits` counts the reads it answered).

        Only while this process alone drives the chain (a scenario run): a transaction sent around this
        Chain (another process, or `w3.eth.send_transaction` directly) is not seen, and reads would return
        the state before it until this Chain's next transaction."""
        if cache_of(self.w3) is not None:  # nested: the outer block owns the cache
            yield cache_of(self.w3)  # type: ignore[misc]
            return
        cache = enable_cache(self.w3)
        try:
            yield cache
        finally:
            self.cached_read_hits += cache.hits
            disable_cache(self.w3)

    def _state_changed(self) -> None:
        cache = cache_of(self.w3)
        if cache is not None:
            cache.clear()

    @property
    def where(self) -> str:
        """Where this chain runs, for people: the node's URL, or "in-process EVM (py-evm)" / "(revm, ...)"."""
        if not self.in_process:
            return str(getattr(self.w3.provider, "endpoint_uri", None) or self.w3.provider)
        if hasattr(self.w3.provider.ethereum_tester.backend, "read"):  # revm_backend.RevmBackend
            return "in-process EVM (revm; its gasUsed figures are lower than a chain's)"
        return "in-process EVM (py-evm)"

    @property
    def chain_id(self) -> int:
        """The chain id (read once)."""
        if self._chain_id is None:
            self._chain_id = self.w3.eth.chain_id
        return self._chain_id

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


def _all_then_first_error(steps: Iterable[Callable[[], TxReceipt]]) -> list[TxReceipt]:
    """Run every step; the receipts in order, or the first step's error once all have run."""
    results: list[TxReceipt] = []
    first_error: Exception | None = None
    for step in steps:
        try:
            results.append(step())
        except Exception as exc:
            first_error = first_error or exc
    if first_error is not None:
        raise first_error
    return results


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


def _format_receipt(raw: dict[str, Any]) -> TxReceipt:
    """A JSON-RPC receipt in web3's Python form (ints, bytes, AttributeDict), as `get_transaction_receipt`."""
    return AttributeDict.recursive(receipt_formatter(raw))


def _unsupported(error: Any) -> bool:
    text = str(error).lower()
    return "not found" in text or "not supported" in text or "does not exist" in text or "-32601" in text


def _is_stale(exc: Exception) -> bool:
    text = str(exc).lower()
    return "nonce" in text or "fee" in text or "underpriced" in text


def _tester_revert_data(exc: Exception) -> bytes:
    """eth-tester reports a reverted raw transaction as the text "execution reverted: b'...'"."""
    text = str(exc.args[0]) if exc.args else ""
    _, _, literal = text.partition("execution reverted: ")
    try:
        data = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return b""
    return data if isinstance(data, bytes) else b""


IN_PROCESS_EVMS = ("py-evm", "revm")
"""The in-process EVMs `connect(evm=...)` offers: eth-tester's own py-evm (pure Python, the reference), or
revm through `pyrevm` (native, the EVM anvil runs; `revm_backend`)."""


def connect(rpc_url: str | None = None, seed: str = "energy-trading", evm: str | None = None) -> Chain:
    """Connect to `rpc_url` (http(s)://, ws(s):// or an IPC path), or start an in-process EVM.

    The in-process chain is web3's EthereumTesterProvider (no node, no network, a fresh chain on every
    call) executing on `evm`: "py-evm" (eth-tester's own, the default) or "revm" (`revm_backend.RevmBackend`:
    `energy-trading run` of the shipped scenarios 1.3-6x faster; its gasUsed figures are lower than a
    chain's). `evm` chooses the in-process EVM only: given with `rpc_url` it is refused (the node executes).
    """
    if evm is not None and evm not in IN_PROCESS_EVMS:
        raise ValueError(f"evm: one of {', '.join(IN_PROCESS_EVMS)}, got {evm!r}")
    if evm is not None and rpc_url is not None:
        raise ValueError(
            f"evm={evm!r} chooses the in-process EVM, and {rpc_url} is a node that executes itself: "
            "pass one of them"
        )
    if rpc_url is None:
        from eth_tester import EthereumTester, PyEVMBackend
        from web3 import EthereumTesterProvider

        if evm == "revm":
            from energy_trading.chain.revm_backend import RevmBackend

            backend: Any = RevmBackend(gas_limit=60_000_000)
        else:
            backend = PyEVMBackend(
                genesis_parameters=PyEVMBackend.generate_genesis_params({"gas_limit": 60_000_000})
            )
        w3 = Web3(EthereumTesterProvider(EthereumTester(backend)))
        in_process = True
    elif rpc_url.startswith(("http://", "https://")):
        # Proxies resolved once: requests otherwise scans the proxy environment on every request.
        session = requests.Session()
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(rpc_url))
        # Cache eth_chainId only (never changes). web3's default cacheable set also holds block and
        # transaction lookups, whose cache validation asks the node for finalized/safe blocks and logs a
        # traceback ("exception while caching the request") on devnets such as anvil after a clock jump.
        w3 = Web3(
            Web3.HTTPProvider(
                rpc_url,
                request_kwargs={"timeout": 60},
                session=session,
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
            f"no Ethereum node answers at {rpc_url}: start one (e.g. `anvil`), or leave the URL out "
            "(--rpc on the command line) for the in-process EVM"
        )
    unlocked = w3.eth.accounts
    if not unlocked:
        raise ConnectionError(f"the node at {rpc_url} has no unlocked account to fund participants from")
    # contracts made with this web3 skip web3's per-call ABI lookup in the common case (`fastcall`)
    w3.eth.set_contract_factory(FastContract)
    # reads without a sender: web3 leaves `from` empty, and eth-tester then asks eth_accounts on every call
    w3.eth.default_account = unlocked[0]
    w3.middleware_onion.remove("ens_name_to_address")  # no ENS names here: a scan of every request's params
    # web3's validation layer asks eth_chainId before every eth_call and transaction dict to compare it with
    # the dict's chainId: this package signs with the chain id it read once, and a node refuses a transaction
    # signed for another chain itself
    w3.middleware_onion.remove("validation")
    if not in_process:
        w3.provider.cache_allowed_requests = True  # eth_chainId once, not on every call
    block_gas = int(w3.eth.get_block("latest")["gasLimit"])
    # on a node, fund from the unlocked account with the most ether (the first of the richest): runs on a
    # long-lived node drain the first dev account, and "insufficient funds" there would stop a run that the
    # node's other accounts could pay for
    funder = unlocked[0] if in_process else max(unlocked, key=w3.eth.get_balance)
    return Chain(
        w3=w3,
        funder=funder,
        in_process=in_process,
        seed=seed,
        gas_limit=min(DEFAULT_GAS_LIMIT, block_gas),
    )
