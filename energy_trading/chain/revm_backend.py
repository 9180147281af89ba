"""An eth-tester chain backend that executes on revm (the Rust EVM anvil and Foundry run), through `pyrevm`.

Why it exists: py-evm, eth-tester's own backend, is a pure-Python EVM. A scenario run in process spends ~95 %
of its CPU inside py-evm (opcode dispatch, the state trie, RLP), about 15,000 gas per CPU millisecond: a
market transaction of 170,000-400,000 gas costs 10-25 ms there. revm executes the same bytecode natively
(the ERC-20 transfer of `benchmarks/throughput.py` in ~30 microseconds).

What is written here and why: eth-tester ships two backends, py-evm and a mock that executes nothing; pyrevm
ships an EVM without a chain around it (no blocks, receipts, signatures or nonces of externally owned
accounts). `RevmBackend` keeps eth-tester's mock chain (blocks, transactions, receipts, snapshots, which
`EthereumTester` turns into the JSON-RPC answers web3 reads and into log filters) and executes every
transaction, call and gas estimate on revm. So `connect(backend="revm")` gives the same `EthereumTester`
API as the default backend: `time_travel`, `mine_blocks`, `take_snapshot`/`revert_to_snapshot`, filters.

Chain rules kept, as py-evm keeps them: a signed transaction is recovered (coincurve) and must carry the
sender's next nonce and this chain's id; the sender pays `gas_used * effective gas price` (the base fee is
0 on this chain, so the effective price is the priority fee, paid to the block's coinbase, as EIP-1559
does with the tip); a reverted transaction is mined with status 0, keeps its nonce and pays its gas; a
contract's address follows from its creator's nonce. revm checks the EVM rules (Cancun, EIP-170 code
size, gas). Not modelled: blob transactions, logs bloom, state/receipt roots (all empty), and historical
state (a read at an older block than the latest is refused, except the pending block).

**Gas figures are not a chain's.** pyrevm (0.3.7, the newest release) keeps one journaled state for the
EVM's whole life and offers no way to end a transaction (revm's `finalize`): an account or storage slot a
transaction touched stays warm (EIP-2929) for every later transaction, and a slot's "original value"
(EIP-2200 SSTORE pricing and refunds) stays the value it had when first loaded. Every result, balance,
event and revert is the chain's; `gasUsed` is lower: 2.2 % over `market_day`, 15.5 % over
`seed003_reputation` (measured against py-evm on the same runs). Measure gas on py-evm (the default) or
anvil (`benchmarks/market_gas.py` uses anvil).
"""

from __future__ import annotations

import copy
import re
import time
from typing import Any

import rlp
from eth_abi import decode as abi_decode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.typed_transactions import TypedTransaction
from eth_tester.backends.mock.factory import make_block_from_parent, make_genesis_block
from eth_tester.backends.mock.main import MockBackend
from eth_tester.exceptions import TransactionFailed, ValidationError
from eth_tester.utils.address import generate_contract_address
from eth_utils import keccak, to_canonical_address, to_checksum_address
from eth_utils.toolz import assoc, dissoc
from hexbytes import HexBytes

__all__ = ["CHAIN_ID", "RevmBackend"]

CHAIN_ID = 131277322940537  # eth-tester's default chain id, so signed transactions carry the same id
_PREFUNDED_WEI = 1_000_000 * 10**18
_REVERT = re.compile(r"Revert \{ gas_used: (\d+), output: 0x([0-9a-fA-F]*) \}")
_HALT = re.compile(r"Halt \{ reason: (\w+)[^}]*gas_used: (\d+)")


def _hex(address: bytes) -> str:
    """pyrevm's address form (lower-case hex: revm does not need the checksum, which costs a keccak)."""
    return "0x" + address.hex()


class RevmBackend(MockBackend):
    """eth-tester backend: the mock chain's blocks and receipts, every execution on revm (module doc).

    Args:
        num_accounts: unlocked accounts holding 1,000,000 ether each (the node's funded accounts).
        gas_limit: block gas limit.
    """

    def __init__(self, num_accounts: int = 10, gas_limit: int = 60_000_000) -> None:
        from pyrevm import EVM, BlockEnv, CfgEnv, Env

        self.gas_limit = gas_limit
        self._evm = EVM(
            env=Env(cfg=CfgEnv(chain_id=CHAIN_ID), block=BlockEnv(number=0, gas_limit=gas_limit)),
            spec_id="CANCUN",
        )
        self._block_env = BlockEnv
        keys = [keccak(text=f"energy-trading:revm:{i}") for i in range(num_accounts)]
        self._keys = {to_canonical_address(Account.from_key(k).address): k for k in keys}
        alloc = tuple(
            (address, {"balance": _PREFUNDED_WEI, "code": b"", "nonce": 0, "storage": {}})
            for address in self._keys
        )
        for address in self._keys:
            self._evm.set_balance(_hex(address), _PREFUNDED_WEI)
        self._nonces: dict[bytes, int] = {}
        self._coinbase = b"\x00" * 20
        self._genesis_checkpoint = self._evm.snapshot()
        genesis = make_genesis_block(
            {"gas_limit": gas_limit, "base_fee_per_gas": 0, "timestamp": int(time.time())}
        )
        super().__init__(alloc=alloc, genesis_block=genesis)

    # ------------------------------------------------------------------ snapshots

    def take_snapshot(self) -> dict[str, Any]:
        """The mock chain's records, the nonces, and a revm journal checkpoint of the state."""
        return {
            "chain": copy.deepcopy({"blocks": self.blocks, "block": self.block, "receipts": self.receipts}),
            "nonces": dict(self._nonces),
            "state": self._evm.snapshot(),
        }

    def revert_to_snapshot(self, snapshot: dict[str, Any]) -> None:
        """Back to `snapshot` (state, nonces, blocks); the snapshot stays usable."""
        chain = copy.deepcopy(snapshot["chain"])
        self.blocks, self.block, self.receipts = chain["blocks"], chain["block"], chain["receipts"]
        self._nonces = dict(snapshot["nonces"])
        self._evm.revert(snapshot["state"])
        snapshot["state"] = self._evm.snapshot()  # revm drops a checkpoint once reverted to

    def reset_to_genesis(self) -> None:
        if getattr(self, "blocks", None) is not None:  # not on first construction
            self._evm.revert(self._genesis_checkpoint)
            self._genesis_checkpoint = self._evm.snapshot()
        self._nonces = {}
        super().reset_to_genesis()

    # ------------------------------------------------------------------ blocks

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = b"\x00" * 20) -> tuple[bytes, ...]:
        """Seal the pending block (and `num_blocks - 1` empty ones); the next one opens with base fee 0,
        the coinbase `set_coinbase` chose, and a timestamp of at least the wall clock."""
        hashes = []
        for _ in range(num_blocks):
            mined = dissoc(self.block, "hash")
            mined["hash"] = keccak(rlp.encode([mined["number"], mined["parent_hash"], mined["timestamp"]]))
            mined["transactions"] = tuple(
                assoc(assoc(tx, "block_number", mined["number"]), "block_hash", mined["hash"])
                for tx in mined["transactions"]
            )
            self.blocks.append(mined)
            self.block = make_block_from_parent(
                mined,
                {
                    "base_fee_per_gas": 0,
                    "coinbase": self._coinbase,
                    "timestamp": max(mined["timestamp"] + 1, int(time.time())),
                },
            )
            hashes.append(mined["hash"])
        return tuple(hashes)

    def time_travel(self, timestamp: int) -> None:
        """Mine the pending block at `timestamp - 1` so that the next one executes at `timestamp` (seconds),
        as the py-evm backend does (same block numbers on both)."""
        self.block["timestamp"] = timestamp - 1
        self.mine_blocks()

    def set_coinbase(self, coinbase: bytes) -> None:
        """The pending block and the ones after it are sealed by `coinbase` (anvil's `anvil_setCoinbase`)."""
        self._coinbase = self.block["coinbase"] = coinbase

    def _enter_block(self, block: dict[str, Any] | None = None) -> None:
        """Execute in `block`'s context (number, timestamp, coinbase); default the pending block."""
        block = block or self.block
        self._evm.set_block_env(
            self._block_env(
                number=block["number"],
                coinbase=_hex(block["coinbase"]),
                timestamp=block["timestamp"],
                basefee=0,
                gas_limit=self.gas_limit,
                prevrandao=block["mix_hash"],
            )
        )

    # ------------------------------------------------------------------ accounts

    def get_accounts(self) -> tuple[bytes, ...]:
        return tuple(self._keys)

    def add_account(self, private_key: bytes) -> None:
        self._keys[to_canonical_address(Account.from_key(private_key).address)] = private_key

    def get_nonce(self, account: bytes, block_number: Any = None) -> int:
        return self._nonces.get(account, 0)

    def get_balance(self, account: bytes, block_number: Any = None) -> int:
        self._latest_only(block_number)
        return self._evm.get_balance(_hex(account))

    def get_code(self, account: bytes, block_number: Any = None) -> bytes:
        self._latest_only(block_number)
        return bytes(self._evm.get_code(_hex(account)) or b"")

    def _latest_only(self, block_number: Any) -> None:
        latest = self.blocks[-1]["number"] if self.blocks else 0
        if block_number not in (None, "latest", "pending", "safe", "finalized", latest, self.block["number"]):
            raise ValidationError(f"the revm backend keeps no state of block {block_number}: only the latest")

    # ------------------------------------------------------------------ transactions

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        """Recover, check and execute a signed transaction (EIP-1559, EIP-2930, legacy); returns its hash."""
        if raw_transaction[0] >= 0xC0:  # legacy: rlp list
            nonce, gas_price, gas, to, value, data, v, r, s = rlp.decode(raw_transaction)
            fields: dict[str, Any] = {
                "nonce": int.from_bytes(nonce, "big"),
                "gas_price": int.from_bytes(gas_price, "big"),
                "gas": int.from_bytes(gas, "big"),
                "to": to,
                "value": int.from_bytes(value, "big"),
                "data": data,
                "v": int.from_bytes(v, "big"),
                "r": int.from_bytes(r, "big"),
                "s": int.from_bytes(s, "big"),
            }
        else:
            typed = TypedTransaction.from_bytes(HexBytes(raw_transaction)).as_dict()
            if int(typed["chainId"]) != CHAIN_ID:
                raise ValidationError(f"transaction signed for chain {typed['chainId']}, this is {CHAIN_ID}")
            to = typed.get("to") or b""
            fields = {
                "nonce": typed["nonce"],
                "gas": typed["gas"],
                "to": to_canonical_address(to) if to else b"",
                "value": typed["value"],
                "data": bytes(typed["data"]),
                "v": typed["v"],
                "r": typed["r"],
                "s": typed["s"],
                "chain_id": typed["chainId"],
                "access_list": tuple(
                    (to_canonical_address(a["address"]), tuple(int(k, 16) for k in a["storageKeys"]))
                    for a in typed.get("accessList", ())
                ),
            }
            if "gasPrice" in typed:
                fields["gas_price"] = typed["gasPrice"]
            else:
                fields["max_fee_per_gas"] = typed["maxFeePerGas"]
                fields["max_priority_fee_per_gas"] = typed["maxPriorityFeePerGas"]
        fields["from"] = to_canonical_address(Account.recover_transaction(raw_transaction))
        fields["hash"] = keccak(raw_transaction)
        return self._apply(fields)

    def send_signed_transaction(self, signed_transaction: dict[str, Any]) -> bytes:
        raise NotImplementedError  # eth-tester then sends it unsigned, from its `from`

    def send_transaction(self, transaction: dict[str, Any]) -> bytes:
        """A transaction from an unlocked account (`eth_sendTransaction`): signed here with its key."""
        sender = transaction["from"]
        if sender not in self._keys:
            raise ValidationError(
                f"account {to_checksum_address(sender)} is not unlocked on this chain: sign it yourself"
            )
        tx: dict[str, Any] = {
            "nonce": transaction.get("nonce", self.get_nonce(sender)),
            "gas": transaction.get("gas", self.gas_limit),
            "value": transaction.get("value", 0),
            "data": transaction.get("data", b""),
            "chainId": CHAIN_ID,
        }
        if transaction.get("to"):
            tx["to"] = to_checksum_address(transaction["to"])
        if "gas_price" in transaction:
            tx["gasPrice"] = transaction["gas_price"]
        else:
            tx["maxFeePerGas"] = transaction.get("max_fee_per_gas", 10**9)
            tx["maxPriorityFeePerGas"] = transaction.get("max_priority_fee_per_gas", 10**9)
        signed = Account.sign_transaction(tx, self._keys[sender])
        return self.send_raw_transaction(bytes(signed.raw_transaction))

    def _apply(self, tx: dict[str, Any]) -> bytes:
        """Execute `tx` (internal field names) in the pending block and record it with its receipt."""
        sender = tx["from"]
        expected = self._nonces.get(sender, 0)
        if tx["nonce"] != expected:
            raise ValidationError(f"nonce {tx['nonce']} of {_hex(sender)}: the next nonce is {expected}")
        if tx["gas"] > self.gas_limit:
            raise ValidationError(f"gas limit {tx['gas']} above the block gas limit {self.gas_limit}")
        price = tx.get("gas_price", min(tx.get("max_fee_per_gas", 0), tx.get("max_priority_fee_per_gas", 0)))
        if self._evm.get_balance(_hex(sender)) < tx["gas"] * price + tx["value"]:
            raise ValidationError(f"{_hex(sender)} cannot pay gas {tx['gas']} x {price} wei plus value")
        self._enter_block()
        creates = not tx["to"]
        checkpoint = self._evm.snapshot()
        if creates:
            self._set_evm_nonce(sender, tx["nonce"])  # the new contract's address follows from it
        status, gas_used, _output, logs = self._execute(tx, commit=True)
        if status == 0:
            self._evm.revert(checkpoint)  # revm already undid the call's own changes; this drops the rest
        else:
            self._evm.commit()  # closes the checkpoint (each open one adds to revm's call depth)
        self._nonces[sender] = expected + 1
        fee = gas_used * price
        if fee:  # the tip to the coinbase, as a journaled transfer so that snapshots undo it
            self._evm.message_call(_hex(sender), _hex(self.block["coinbase"]), b"", value=fee, gas=21_000)
        index = len(self.block["transactions"])
        entry = dict(tx, block_number=None, block_hash=None, transaction_index=index)
        self.block["transactions"].append(entry)
        self.block["gas_used"] += gas_used
        self.receipts[tx["hash"]] = {
            "gas_used": gas_used,
            "logs": logs,
            "transaction_hash": tx["hash"],
            "cumulative_gas_used": self.block["gas_used"],
            "contract_address": generate_contract_address(sender, tx["nonce"])
            if creates and status
            else None,
            "status": status,
        }
        return tx["hash"]

    def _set_evm_nonce(self, account: bytes, nonce: int) -> None:
        from pyrevm import AccountInfo

        address = _hex(account)
        balance = self._evm.get_balance(address)
        self._evm.insert_account_info(address, AccountInfo(nonce=nonce))
        self._evm.set_balance(address, balance)

    def _execute(self, tx: dict[str, Any], commit: bool) -> tuple[int, int, bytes, list[dict[str, Any]]]:
        """Run `tx` on revm: (status, gas used, output, logs in eth-tester's internal form)."""
        sender, value, gas = _hex(tx["from"]), tx.get("value", 0), tx.get("gas", self.gas_limit)
        data = tx.get("data", b"")
        try:
            if tx.get("to"):
                output = bytes(self._evm.message_call(sender, _hex(tx["to"]), data, value=value, gas=gas))
            else:
                self._evm.deploy(sender, data, value=value, gas=gas)
                output = b""
        except RuntimeError as exc:
            return 0, *_failure(str(exc), gas), []
        result = self._evm.result
        logs = []
        if commit:
            for i, log in enumerate(result.logs):
                topics, payload = log.data
                logs.append(
                    {
                        "type": "mined",
                        "log_index": i,
                        "transaction_index": len(self.block["transactions"]),
                        "transaction_hash": tx["hash"],
                        "block_hash": None,
                        "block_number": None,
                        "address": to_canonical_address(log.address),
                        "data": bytes(payload),
                        "topics": [bytes(t) for t in topics],
                    }
                )
        return 1, result.gas_used, output, logs

    # ------------------------------------------------------------------ reads

    def call(self, transaction: dict[str, Any], block_number: Any = "latest") -> bytes:
        """Execute `transaction` as a call on the latest state, then undo it; a revert raises eth-tester's
        `TransactionFailed` with the revert data, as the py-evm backend does."""
        self._latest_only(block_number)
        tx = dict(transaction, hash=b"\x00" * 32)
        tx.setdefault("from", b"\x00" * 20)
        tx.setdefault("gas", self.gas_limit)
        status, _gas, output = self.read(tx, pending=block_number == "pending")
        if not status:
            raise _failed(output)
        return output

    def read(self, tx: dict[str, Any], pending: bool = False) -> tuple[int, int, bytes]:
        """(status, gas used, output or revert data) of `tx` run on the current state in the latest mined
        block's context (py-evm's "latest"; `pending`: the pending block's), state left unchanged."""
        self._enter_block(None if pending or not self.blocks else self.blocks[-1])
        checkpoint = self._evm.snapshot()
        try:
            status, gas, output, _logs = self._execute(tx, commit=False)
        finally:
            self._evm.revert(checkpoint)
        return status, gas, output

    def estimate_gas(self, transaction: dict[str, Any], block_number: Any = "latest") -> int:
        """Gas used by `transaction` run once with the block's gas limit (revm reports it exactly; refunds
        are already deducted), plus nothing: a caller that needs margin adds its own."""
        tx = dict(transaction, hash=b"\x00" * 32, gas=transaction.get("gas", self.gas_limit))
        status, gas, output = self.read(tx, pending=True)
        if not status:
            raise _failed(output)
        return gas

    def get_transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any]:
        receipt = super().get_transaction_receipt(transaction_hash)
        stored = self.receipts[transaction_hash]
        logs = [
            dict(log, block_hash=receipt["block_hash"], block_number=receipt["block_number"])
            for log in stored["logs"]
        ]
        if receipt["block_number"] is None:
            logs = [dict(log, type="pending", transaction_index=None) for log in logs]
        return dict(receipt, status=stored["status"], logs=logs)


def _failed(output: bytes) -> TransactionFailed:
    """The error the py-evm backend raises for a reverted call: the reason of an `Error(string)` revert,
    otherwise the revert data's repr (eth-tester's caller prefixes "execution reverted: ")."""
    if output[:4] == bytes.fromhex("08c379a0"):
        try:
            return TransactionFailed(abi_decode(["string"], output[4:])[0])
        except DecodingError:
            pass
    return TransactionFailed(repr(output))


def _failure(message: str, gas_limit: int) -> tuple[int, bytes]:
    """(gas used, revert data) from pyrevm's error text for a reverted or halted execution."""
    revert = _REVERT.search(message)
    if revert:
        return int(revert.group(1)), bytes.fromhex(revert.group(2))
    halt = _HALT.search(message)
    if halt:
        return int(halt.group(2)), b""
    return gas_limit, b""
