"""An eth-tester chain backend that executes on revm (the Rust EVM anvil and Foundry run), through `pyrevm`.

Why it exists: py-evm, eth-tester's own backend, is a pure-Python EVM. A scenario run in process spends ~95 %
of its CPU inside py-evm (opcode dispatch, the state trie, RLP), about 15,000 gas per CPU millisecond: a
market transaction of 170,000-400,000 gas costs 10-25 ms there. revm executes the same bytecode natively
(the ERC-20 transfer of `benchmarks/throughput.py` in ~30 microseconds).

What is written here and why: eth-tester ships two backends, py-evm and a mock that executes nothing; pyrevm
ships an EVM without a chain around it (no blocks, receipts, signatures or nonces of externally owned
accounts). `RevmBackend` keeps eth-tester's mock chain (blocks, transactions, receipts, snapshots, which
`EthereumTester` turns into the JSON-RPC answers web3 reads and into log filters) and executes every
transaction, call and gas estimate on revm. So `connect(evm="revm")` gives the same `EthereumTester` API as
the default backend: `time_travel`, `mine_blocks`, `take_snapshot`/`revert_to_snapshot`, filters.

Chain rules kept by hand, as py-evm keeps them: a signed transaction is recovered (coincurve) and must carry
the sender's next nonce, this chain's id (EIP-155 legacy and typed transactions), a gas limit of at least its
intrinsic gas (EIP-2028 calldata, EIP-3860 initcode, EIP-2930 access list) and at most the block's, a fee cap
of at least its tip, and a balance covering `gas x fee cap + value`; the sender pays `gasUsed x` the effective
price (the base fee is 0 on this chain, so that is the tip, paid to the block's coinbase as EIP-1559 does,
without running the coinbase's code); a reverted transaction is mined with status 0, keeps its nonce and pays
its gas; a contract's address follows from its creator's nonce; transient storage (EIP-1153) is cleared after
every transaction; `blockhash(n)` equals block n's hash. revm checks the EVM rules (Cancun, EIP-170 code size,
gas). Not modelled: blob transactions, logs bloom, state/receipt roots (empty), and historical state (a read
at an older block than the latest is refused, except the pending block).

**Gas is not a chain's.** pyrevm (0.3.7, the newest release) keeps one journaled state for the EVM's whole
life and offers no way to end a transaction (revm's `finalize`; its `commit()` only pops a checkpoint): an
account or storage slot a transaction touched stays warm (EIP-2929) for every later transaction, and a slot's
"original value" (EIP-2200 SSTORE pricing and refunds) stays the value it had when first loaded. So `gasUsed`
is lower than a chain's (2.2 % over `market_day`, 15.5 % over `seed003_reputation`, 22-24 % over the seed
001 runs, against py-evm on the same runs), and an execution that depends on the gas it has left can end
differently: a call given the 2,300-gas stipend that reads cold storage on a chain runs out of gas there but
not here. This repository's
contracts do not depend on that (the scenarios' orders, payouts and reputations are identical on both);
measure gas on py-evm (the default) or anvil (the gas benchmarks run on py-evm in process by default, on
a node with `--rpc`).

Snapshots are revm journal checkpoints: reverting to a snapshot drops every snapshot taken after it (refused
with a `ValidationError` if asked for later: py-evm could go forward again, revm's journal cannot).
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
_PREFUNDED_WEI = 1_000_000 * 10**18  # eth-tester's default balance of its unlocked accounts
_ZERO_ADDRESS = b"\x00" * 20
_REVERT = re.compile(r"Revert \{ gas_used: (\d+), output: 0x([0-9a-fA-F]*) \}")
_HALT = re.compile(r"Halt \{ reason: (\w+)[^}]*gas_used: (\d+)")
# revm refused the transaction before executing it (not a revert: nothing to mine)
_INVALID = ("Transaction(", "Initial gas spend", "Header(")


def _hex(address: bytes) -> str:
    """pyrevm's address form (lower-case hex: revm does not need the checksum, which costs a keccak)."""
    return "0x" + address.hex()


def _block_hash(number: int) -> bytes:
    """Block `number`'s hash: what revm's `BLOCKHASH` returns here (pyrevm's in-memory database answers
    keccak256 of the number's decimal text), so `blockhash(n)` in a contract equals `eth_getBlock(n).hash`."""
    return keccak(text=str(number))


def intrinsic_gas(data: bytes, creates: bool, access_list: tuple[tuple[bytes, tuple[int, ...]], ...]) -> int:
    """The gas a transaction costs before it runs: 21,000, calldata at 16 per non-zero and 4 per zero byte
    (EIP-2028), 32,000 plus 2 per initcode word for a creation (EIP-3860), 2,400 per access-list address and
    1,900 per storage key (EIP-2930)."""
    zeros = data.count(0)
    gas = 21_000 + 16 * (len(data) - zeros) + 4 * zeros
    if creates:
        gas += 32_000 + 2 * ((len(data) + 31) // 32)
    return gas + sum(2_400 + 1_900 * len(keys) for _, keys in access_list)


class RevmBackend(MockBackend):
    """eth-tester backend: the mock chain's blocks and receipts, every execution on revm (module doc).

    Args:
        num_accounts: unlocked accounts holding 1,000,000 ether each (eth-tester's: private keys 1, 2, ...).
        gas_limit: block gas limit.
    """

    def __init__(self, num_accounts: int = 10, gas_limit: int = 60_000_000) -> None:
        from pyrevm import EVM, BlockEnv, CfgEnv, Env, TxEnv

        self.gas_limit = gas_limit
        self._evm = EVM(
            env=Env(cfg=CfgEnv(chain_id=CHAIN_ID), block=BlockEnv(number=0, gas_limit=gas_limit)),
            gas_limit=gas_limit,  # what `block.gaslimit` reads
            spec_id="CANCUN",
        )
        self._block_env, self._tx_env = BlockEnv, TxEnv
        # eth-tester's unlocked accounts (private keys 1, 2, ...: the same funder address as on py-evm)
        keys = [i.to_bytes(32, "big") for i in range(1, num_accounts + 1)]
        self._keys = {to_canonical_address(Account.from_key(key).address): key for key in keys}
        alloc = tuple(
            (address, {"balance": _PREFUNDED_WEI, "code": b"", "nonce": 0, "storage": {}})
            for address in self._keys
        )
        for address in self._keys:
            self._evm.set_balance(_hex(address), _PREFUNDED_WEI)
        self._nonces: dict[bytes, int] = {}
        self._coinbase = _ZERO_ADDRESS
        self._snapshots: list[dict[str, Any]] = []  # live snapshots, oldest first
        self._genesis_checkpoint = self._evm.snapshot()
        genesis = make_genesis_block(
            {
                "gas_limit": gas_limit,
                "base_fee_per_gas": 0,
                "timestamp": int(time.time()),
                "hash": _block_hash(0),
            }
        )
        super().__init__(alloc=alloc, genesis_block=genesis)

    # ------------------------------------------------------------------ snapshots

    def take_snapshot(self) -> dict[str, Any]:
        """The mock chain's records, the nonces, and a revm journal checkpoint of the state."""
        snapshot = {
            "chain": copy.deepcopy({"blocks": self.blocks, "block": self.block, "receipts": self.receipts}),
            "nonces": dict(self._nonces),
            "coinbase": self._coinbase,
            "state": self._evm.snapshot(),
            "live": True,
        }
        self._snapshots.append(snapshot)
        return snapshot

    def revert_to_snapshot(self, snapshot: dict[str, Any]) -> None:
        """Back to `snapshot` (state, nonces, blocks); it stays usable, the ones taken after it do not."""
        if not snapshot["live"]:
            raise ValidationError(
                "this snapshot was taken after one the chain has since been reverted to: revm's journal "
                "cannot go forward again (take the snapshot again after the revert)"
            )
        chain = copy.deepcopy(snapshot["chain"])
        self.blocks, self.block, self.receipts = chain["blocks"], chain["block"], chain["receipts"]
        self._nonces, self._coinbase = dict(snapshot["nonces"]), snapshot["coinbase"]
        self._evm.revert(snapshot["state"])
        position = next(i for i, s in enumerate(self._snapshots) if s is snapshot)
        for later in self._snapshots[position + 1 :]:
            later["live"] = False
        del self._snapshots[position + 1 :]
        snapshot["state"] = self._evm.snapshot()  # revm drops a checkpoint once reverted to

    def reset_to_genesis(self) -> None:
        if getattr(self, "blocks", None) is not None:  # not on first construction
            self._evm.revert(self._genesis_checkpoint)
            self._genesis_checkpoint = self._evm.snapshot()
            for snapshot in self._snapshots:
                snapshot["live"] = False
            self._snapshots = []
        self._nonces, self._coinbase = {}, _ZERO_ADDRESS
        super().reset_to_genesis()

    # ------------------------------------------------------------------ blocks

    def mine_blocks(self, num_blocks: int = 1, coinbase: bytes = _ZERO_ADDRESS) -> tuple[bytes, ...]:
        """Seal the pending block (and `num_blocks - 1` empty ones), by `coinbase` when one is given; the next
        block opens with base fee 0, the coinbase `set_coinbase` chose, and a timestamp of at least the wall
        clock (as py-evm's)."""
        hashes = []
        for _ in range(num_blocks):
            mined = dissoc(self.block, "hash")
            mined["hash"] = _block_hash(mined["number"])
            if coinbase != _ZERO_ADDRESS:
                mined["coinbase"] = coinbase
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
        """Execute in `block`'s context (number, timestamp, coinbase; default the pending block), with empty
        transient storage (EIP-1153: it lives for one transaction)."""
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
        self._evm.reset_transient_storage()

    # ------------------------------------------------------------------ accounts

    def get_accounts(self) -> tuple[bytes, ...]:
        return tuple(self._keys)

    def add_account(self, private_key: bytes) -> None:
        self._keys[to_canonical_address(Account.from_key(private_key).address)] = private_key

    def get_nonce(self, account: bytes, block_number: Any = None) -> int:
        """An externally owned account's transaction count (kept here), or a contract's nonce (revm's)."""
        self._latest_only(block_number)
        if account in self._nonces or not self._evm.get_code(_hex(account)):
            return self._nonces.get(account, 0)
        return self._evm.basic(_hex(account)).nonce

    def get_balance(self, account: bytes, block_number: Any = None) -> int:
        self._latest_only(block_number)
        return self._evm.get_balance(_hex(account))

    def get_code(self, account: bytes, block_number: Any = None) -> bytes:
        """The deployed code, without the 33 zero bytes revm pads it with (cut back to its code hash)."""
        self._latest_only(block_number)
        info = self._evm.basic(_hex(account))
        code = bytes(info.code or b"")
        if not code:
            return b""
        for padding in range(0, 34):
            candidate = code[: len(code) - padding]
            if keccak(candidate) == bytes(info.code_hash):
                return candidate
            if padding < 33 and code[len(code) - padding - 1] != 0:
                break
        return code

    def get_storage(self, account: bytes, slot: int, block_number: Any = "latest") -> int:
        self._latest_only(block_number)
        return int(self._evm.storage(_hex(account), slot))

    def _latest_only(self, block_number: Any) -> None:
        latest = self.blocks[-1]["number"] if self.blocks else 0
        if block_number not in (None, "latest", "pending", "safe", "finalized", latest, self.block["number"]):
            raise ValidationError(f"the revm backend keeps no state of block {block_number}: only the latest")

    # ------------------------------------------------------------------ transactions

    def send_raw_transaction(self, raw_transaction: bytes) -> bytes:
        """Recover, check and execute a signed transaction (EIP-1559, EIP-2930, legacy); returns its hash."""
        if raw_transaction[0] >= 0xC0:  # legacy: an RLP list
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
                "access_list": (),
            }
            if fields["v"] >= 35 and (fields["v"] - 35) // 2 != CHAIN_ID:  # EIP-155 (27/28: unprotected)
                raise ValidationError(
                    f"transaction signed for chain {(fields['v'] - 35) // 2}, this is {CHAIN_ID}"
                )
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
                    (
                        to_canonical_address(item["address"]),
                        tuple(int.from_bytes(HexBytes(key), "big") for key in item["storageKeys"]),
                    )
                    for item in typed.get("accessList", ())
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

    def _check(self, tx: dict[str, Any]) -> tuple[int, int]:
        """Refuse what a chain refuses before executing (`ValidationError`, nothing mined, nothing spent);
        returns (the next nonce, the effective gas price in wei)."""
        sender, creates = tx["from"], not tx["to"]
        expected = self._nonces.get(sender, 0)
        if tx["nonce"] != expected:
            raise ValidationError(f"nonce {tx['nonce']} of {_hex(sender)}: the next nonce is {expected}")
        if tx["gas"] > self.gas_limit:
            raise ValidationError(f"gas limit {tx['gas']} above the block gas limit {self.gas_limit}")
        intrinsic = intrinsic_gas(tx["data"], creates, tx["access_list"])
        if tx["gas"] < intrinsic:
            raise ValidationError(f"gas limit {tx['gas']} below the transaction's intrinsic gas {intrinsic}")
        if "gas_price" in tx:
            price = cap = tx["gas_price"]
        else:
            cap, tip = tx["max_fee_per_gas"], tx["max_priority_fee_per_gas"]
            if cap < tip:
                raise ValidationError(f"max fee per gas {cap} below the max priority fee per gas {tip}")
            price = min(cap, tip)  # base fee 0
        need = tx["gas"] * cap + tx["value"]
        if self._evm.get_balance(_hex(sender)) < need:
            raise ValidationError(
                f"{_hex(sender)} cannot pay gas {tx['gas']} x {cap} wei plus value: {need} wei"
            )
        return expected, price

    def _apply(self, tx: dict[str, Any]) -> bytes:
        """Check, then execute `tx` (internal field names) in the pending block; record it and its receipt."""
        sender, creates = tx["from"], not tx["to"]
        nonce, price = self._check(tx)
        self._enter_block()
        checkpoint = self._evm.snapshot()
        if creates:
            self._set_evm_nonce(sender, tx["nonce"])  # the new contract's address follows from it
        try:
            status, gas_used, _output, logs = self._execute(tx, price, commit=True)
        except ValidationError:
            self._evm.revert(checkpoint)
            raise
        if status == 0:
            self._evm.revert(checkpoint)  # revm already undid the call's own changes; this drops the rest
        else:
            self._evm.commit()  # closes the checkpoint (each open one adds to revm's call depth)
        self._evm.reset_transient_storage()
        self._nonces[sender] = nonce + 1
        self._pay_tip(sender, gas_used * price)
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

    def _pay_tip(self, sender: bytes, fee: int) -> None:
        """Move `fee` wei from `sender` to the block's coinbase as a journaled transfer (snapshots undo it),
        without running the coinbase's code: a plain value call to an account without code, otherwise a
        contract created with the value that self-destructs to the coinbase in its constructor (EIP-6780:
        nothing is left of it)."""
        if not fee:
            return
        coinbase = _hex(self.block["coinbase"])
        if not self._evm.get_code(coinbase):
            self._evm.message_call(_hex(sender), coinbase, b"", value=fee, gas=21_000)
        else:
            initcode = b"\x73" + self.block["coinbase"] + b"\xff"  # PUSH20 coinbase; SELFDESTRUCT
            self._evm.deploy(_hex(sender), initcode, value=fee, gas=100_000)
        self._evm.reset_transient_storage()

    def _set_evm_nonce(self, account: bytes, nonce: int) -> None:
        from pyrevm import AccountInfo

        address = _hex(account)
        balance = self._evm.get_balance(address)
        self._evm.insert_account_info(address, AccountInfo(nonce=nonce))
        self._evm.set_balance(address, balance)

    def _execute(
        self, tx: dict[str, Any], price: int, commit: bool
    ) -> tuple[int, int, bytes, list[dict[str, Any]]]:
        """Run `tx` on revm: (status, gas used, output or revert data, logs in eth-tester's internal form).
        Raises `ValidationError` when revm refuses the transaction before running it."""
        sender, value, gas = _hex(tx["from"]), tx.get("value", 0), tx.get("gas", self.gas_limit)
        data = tx.get("data", b"")
        access = [(_hex(address), list(keys)) for address, keys in tx.get("access_list", ())]
        self._evm.set_tx_env(self._tx_env(access_list=access))  # warms the list and charges for it
        try:
            if tx.get("to"):
                output = bytes(self._evm.message_call(sender, _hex(tx["to"]), data, value, gas, price))
            else:
                self._evm.deploy(sender, data, value=value, gas=gas, gas_price=price)
                output = b""
        except RuntimeError as exc:
            message = str(exc)
            if message.startswith(_INVALID):
                raise ValidationError(f"the EVM refused the transaction: {message}") from None
            return 0, *_failure(message, gas), []
        finally:
            if access:
                self._evm.set_tx_env(self._tx_env(access_list=[]))
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
        status, _gas, output = self.read(self._as_call(transaction), pending=block_number == "pending")
        if not status:
            raise _failed(output)
        return output

    def read(self, tx: dict[str, Any], pending: bool = False) -> tuple[int, int, bytes]:
        """(status, gas used, output or revert data) of `tx` run on the current state in the latest mined
        block's context (py-evm's "latest"; `pending`: the pending block's), state left unchanged."""
        self._enter_block(None if pending or not self.blocks else self.blocks[-1])
        tx = {"to": b"", "data": b"", "value": 0, **tx}
        checkpoint = self._evm.snapshot()
        try:
            status, gas, output, _logs = self._execute(tx, 0, commit=False)
        finally:
            self._evm.revert(checkpoint)
            self._evm.reset_transient_storage()
        return status, gas, output

    def estimate_gas(self, transaction: dict[str, Any], block_number: Any = "latest") -> int:
        """The smallest gas limit with which `transaction` succeeds in the pending block (a binary search
        between the gas it uses and the block gas limit, as geth's `eth_estimateGas`: refunds and the 63/64
        rule of calls make the limit a call needs exceed what it ends up using)."""
        self._latest_only(block_number)
        tx = self._as_call(transaction)
        status, used, output = self.read(dict(tx, gas=self.gas_limit), pending=True)
        if not status:
            raise _failed(output)
        low, high = used - 1, self.gas_limit
        while high - low > 1:
            middle = (low + high) // 2
            if self.read(dict(tx, gas=middle), pending=True)[0]:
                high = middle
            else:
                low = middle
        return high

    def _as_call(self, transaction: dict[str, Any]) -> dict[str, Any]:
        access = tuple(
            (item["address"], tuple(item["storage_keys"])) for item in transaction.get("access_list", ())
        )
        return {
            "from": transaction.get("from") or _ZERO_ADDRESS,
            "to": transaction.get("to") or b"",
            "data": transaction.get("data", b""),
            "value": transaction.get("value", 0),
            "gas": transaction.get("gas", self.gas_limit),
            "hash": b"\x00" * 32,
            "access_list": access,
        }

    def get_transaction_receipt(self, transaction_hash: bytes) -> dict[str, Any]:
        receipt = super().get_transaction_receipt(transaction_hash)
        stored = self.receipts[transaction_hash]
        logs = [
            dict(log, block_hash=receipt["block_hash"], block_number=receipt["block_number"])
            for log in stored["logs"]
        ]
        if receipt["block_number"] is None:
            logs = [dict(log, type="pending", transaction_index=None) for log in logs]
        state_root = b"\x01" if stored["status"] else b""  # py-evm's post-Byzantium status byte
        return dict(receipt, status=stored["status"], logs=logs, state_root=state_root)


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
