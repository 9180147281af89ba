"""A faster path for contract calls: web3's `ContractFunction` with the per-call ABI work cached.

web3.py 7 resolves and validates a function's ABI on every call: `contract.functions.f(args)` matches the
arguments against every ABI entry named `f` (`get_abi_element`, with a full `validate_abi` of the contract's
ABI), and `.call()` / `_encode_transaction_data()` do it once more before encoding; the result then goes
through `map_abi_data`. In a scenario run that is ~5 ms of Python per read or transaction, more than many
of the transactions cost to execute. `FastContract` (the contract class `connect` gives its web3 instance)
keeps web3's objects and API and only shortcuts the common case: a function whose name is not overloaded,
called with positional arguments that `eth_abi` encodes as they are. Encoding uses the 4-byte selector and
the input types computed once per ABI entry; decoding uses `eth_abi` and checksums addresses as web3 does.
Everything else (overloads, keyword arguments, values web3 would first normalise such as hex strings for
`bytes`, a call at another block, state overrides, and any call that reverts) goes through web3's own code,
so errors and reverts are raised exactly as before.

In process, a read is executed on py-evm directly (`read_in_process`) instead of through eth-tester's
`call`, which validates and normalises the call dict, looks the sender's nonce up in its own VM and
snapshots and reverts the state around it (~3 ms of Python per read). No library offers that shortcut:
eth-tester is the only caller of py-evm's state for reads, so the few lines that build the VM at the
latest block and apply a spoofed transaction are written here after eth-tester's own `call`.

`ReadCache` (opt-in, `Chain.cache_reads`) remembers read results until this process sends a transaction
or moves the clock: a scenario reads an order's state several times between two of its transactions.
"""

from __future__ import annotations

import copy
import weakref
from functools import partial
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_abi.exceptions import EncodingError
from eth_utils import function_signature_to_4byte_selector, to_canonical_address, to_checksum_address
from web3 import Web3
from web3._utils.datatypes import PropertyCheckingFactory
from web3._utils.normalizers import normalize_abi, normalize_address, normalize_bytecode
from web3.contract.base_contract import BaseContractFunctions
from web3.contract.contract import Contract, ContractCaller, ContractEvents, ContractFunction
from web3.exceptions import Web3AttributeError, Web3TypeError

__all__ = ["FastContract", "FastContractFunction", "ReadCache", "read_in_process", "read_rpc"]


class ReadCache:
    """Results of reads by (to, data, from), valid until `clear()` (the chain's state changed)."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, bytes, str], bytes] = {}
        self.hits = 0

    def clear(self) -> None:
        """Forget every result (call whenever a transaction is sent or the clock moves)."""
        self.results.clear()


#: The read cache of a web3 instance, when its `Chain` enabled one.
_CACHES: weakref.WeakKeyDictionary[Web3, ReadCache] = weakref.WeakKeyDictionary()
_IN_PROCESS_READS: weakref.WeakKeyDictionary[Web3, int] = weakref.WeakKeyDictionary()


def enable_cache(w3: Web3) -> ReadCache:
    """Start caching reads made through `w3`'s `FastContract` functions; returns the cache."""
    cache = _CACHES.get(w3)
    if cache is None:
        cache = _CACHES[w3] = ReadCache()
    return cache


def disable_cache(w3: Web3) -> None:
    """Stop caching reads made through `w3` (and forget them)."""
    _CACHES.pop(w3, None)


def in_process_reads(w3: Web3) -> int:
    """How many reads `w3`'s contracts executed on py-evm directly so far (they bypass the provider, so a
    count of `eth_call` requests misses them)."""
    return _IN_PROCESS_READS.get(w3, 0)


def cache_of(w3: Web3) -> ReadCache | None:
    """The read cache of `w3`, if enabled."""
    return _CACHES.get(w3)


def _canonical(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        return f"({','.join(_canonical(c) for c in param['components'])}){param['type'][5:]}"
    return param["type"]


def _has_address(param: dict[str, Any]) -> bool:
    if param["type"].startswith("tuple"):
        return any(_has_address(c) for c in param["components"])
    return param["type"].startswith("address")


def _checksummed(param: dict[str, Any], value: Any) -> Any:
    """`value` decoded by eth_abi for `param`, addresses checksummed and arrays as lists (web3's form)."""
    kind = param["type"]
    if kind.endswith("]"):
        inner = dict(param, type=kind[: kind.rindex("[")])
        return [_checksummed(inner, v) for v in value]
    if kind == "tuple":
        return tuple(_checksummed(c, v) for c, v in zip(param["components"], value, strict=True))
    if kind == "address":
        return to_checksum_address(value)
    return value


class _Spec:
    """What one ABI function needs for encoding and decoding, computed once."""

    def __init__(self, abi: dict[str, Any]) -> None:
        self.inputs = [_canonical(i) for i in abi.get("inputs", [])]
        self.outputs = [_canonical(o) for o in abi.get("outputs", [])]
        self.selector = function_signature_to_4byte_selector(f"{abi['name']}({','.join(self.inputs)})")
        self.output_params = abi.get("outputs", [])
        self.fix_outputs = any(_has_address(o) or o["type"].endswith("]") for o in self.output_params)

    def decode(self, data: bytes) -> Any:
        values = abi_decode(self.outputs, data)
        if self.fix_outputs:
            values = tuple(_checksummed(p, v) for p, v in zip(self.output_params, values, strict=True))
        # web3 returns a single output bare and several as a list
        return values[0] if len(values) == 1 else list(values)


class FastContractFunction(ContractFunction):
    """web3's `ContractFunction`, with the ABI lookup and encoding cached for the common case (module doc)."""

    _fast_class_spec: _Spec | None
    _fast_spec: _Spec | None = None
    _fast_data: bytes | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        spec = _unique_spec(self)
        if kwargs or spec is None:
            return super().__call__(*args, **kwargs)
        try:
            data = spec.selector + abi_encode(spec.inputs, args)
        except (EncodingError, TypeError, ValueError, OverflowError):
            # web3 normalises (or refuses) what eth_abi does not take as it is
            return super().__call__(*args, **kwargs)
        clone = copy.copy(self)
        clone.args, clone.kwargs = args, {}
        clone.arguments = args
        clone.selector = "0x" + spec.selector.hex()
        clone._fast_spec, clone._fast_data = spec, data
        return clone

    def _encode_transaction_data(self) -> Any:
        if self._fast_data is not None:
            return "0x" + self._fast_data.hex()
        return super()._encode_transaction_data()

    def call(
        self,
        transaction: dict[str, Any] | None = None,
        block_identifier: Any = None,
        state_override: Any = None,
        ccip_read_enabled: bool | None = None,
    ) -> Any:
        """`ContractFunction.call`; the fast path for a read at the latest block (module doc)."""
        spec, data = self._fast_spec, self._fast_data
        plain = not transaction or set(transaction) <= {"from"}
        latest = block_identifier in (None, "latest")
        if spec is None or data is None or not plain or not latest or state_override or ccip_read_enabled:
            return super().call(transaction, block_identifier, state_override, ccip_read_enabled)
        sender = (transaction or {}).get("from") or self.w3.eth.default_account
        if not isinstance(sender, str):
            return super().call(transaction, block_identifier, state_override, ccip_read_enabled)
        cache = _CACHES.get(self.w3)
        key = (self.address, data, sender)
        if cache is not None and key in cache.results:
            cache.hits += 1
            return spec.decode(cache.results[key])
        provider = self.w3.provider
        tester = getattr(provider, "ethereum_tester", None)
        if tester is not None:
            _IN_PROCESS_READS[self.w3] = _IN_PROCESS_READS.get(self.w3, 0) + 1
            output = read_in_process(tester, sender, self.address, data)
        else:
            output = read_rpc(provider, sender, self.address, data)
        if output is None or (not output and spec.outputs):
            # a revert (or no code): web3's path raises its usual error, decoded by the caller as before
            return super().call(transaction, block_identifier, state_override, ccip_read_enabled)
        if cache is not None:
            cache.results[key] = output
        return spec.decode(output)


def read_rpc(provider: Any, sender: str, to: str, data: bytes) -> bytes | None:
    """`eth_call` at the latest block sent to the provider as it is, or None when the node answered with an
    error (the caller then retries through web3, which raises its usual, decodable error).

    web3's `eth.call` costs ~1 ms of Python per read around the request (parameter formatters, the
    middleware onion, result formatters) for a call whose parameters are already in wire form here."""
    response = provider.make_request(
        "eth_call", [{"from": sender, "to": to, "data": "0x" + data.hex()}, "latest"]
    )
    result = response.get("result") if "error" not in response else None
    return bytes.fromhex(result[2:]) if isinstance(result, str) else None


def _unique_spec(fn: FastContractFunction) -> _Spec | None:
    """The spec of `fn`'s ABI entry, cached on its class (web3 makes one class per contract and function),
    or None when the name is overloaded in the contract's ABI (web3 then picks the entry by the arguments)."""
    cls = type(fn)
    if "_fast_class_spec" not in cls.__dict__:
        abi = fn.abi
        spec = None
        if abi and abi.get("type") == "function" and abi["name"] not in _overloaded_names(fn.contract_abi):
            spec = _Spec(abi)
        cls._fast_class_spec = spec
    return cls._fast_class_spec


_OVERLOADS: dict[int, tuple[Any, frozenset[str]]] = {}


def _overloaded_names(contract_abi: Any) -> frozenset[str]:
    key = id(contract_abi)
    entry = _OVERLOADS.get(key)
    if entry is None or entry[0] is not contract_abi:
        names = [item["name"] for item in contract_abi if item.get("type") == "function"]
        entry = (contract_abi, frozenset(n for n in names if names.count(n) > 1))
        _OVERLOADS[key] = entry
    return entry[1]


def read_in_process(tester: Any, sender: str, to: str, data: bytes) -> bytes | None:
    """Execute a read at the latest block on eth-tester's py-evm chain; the output, or None if it failed.

    What eth-tester's `call(..., "latest")` does (`PyEVMBackend.call`), without its dict validation and
    normalisation: the VM at the latest mined block (the canonical block below the pending one), a
    dynamic-fee transaction from `sender` with its current nonce, 1 gwei fees and the pending block's free
    gas, spoofed as signed by `sender` (py-evm's `SpoofTransaction`), applied to the block's state and
    reverted.
    """
    backend = tester.backend
    if hasattr(backend, "read"):  # the revm backend (`revm_backend.RevmBackend`) reads natively
        tx = {"from": to_canonical_address(sender), "to": to_canonical_address(to), "data": data}
        status, _gas, output = backend.read(tx)
        return output if status else None
    from eth.vm.spoof import SpoofTransaction

    chain = backend.chain
    pending = chain.get_block().header
    header = chain.get_canonical_block_header_by_number(max(0, pending.block_number - 1))
    # one state per block, reused by every read at that block (each read is reverted): a fresh state per read
    # starts with cold account and storage caches and re-walks the trie for every account it touches
    cached = _STATES.get(tester)
    if cached is not None and cached[0] == header.hash:
        state = cached[1]
    else:
        state = chain.get_vm(at_header=header).state
        _STATES[tester] = (header.hash, state)
    origin = to_canonical_address(sender)
    unsigned = chain.get_transaction_builder().new_unsigned_dynamic_fee_transaction(
        chain_id=chain.chain_id,
        nonce=state.get_nonce(origin),
        max_priority_fee_per_gas=10**9,
        max_fee_per_gas=10**9,
        gas=pending.gas_limit - pending.gas_used,
        to=to_canonical_address(to),
        value=0,
        data=data,
        access_list=(),
    )
    snapshot = state.snapshot()
    try:
        computation = state.apply_transaction(SpoofTransaction(unsigned, from_=origin))
    finally:
        state.revert(snapshot)
    return None if computation.is_error else bytes(computation.output)


_STATES: weakref.WeakKeyDictionary[Any, tuple[bytes, Any]] = weakref.WeakKeyDictionary()


class _FastFunctions(BaseContractFunctions[FastContractFunction]):
    def __init__(self, abi: Any, w3: Web3, address: Any = None, decode_tuples: bool | None = False) -> None:
        super().__init__(abi, w3, FastContractFunction, address, decode_tuples)


class _Lazy:
    """A `FastContract` attribute (`functions`, `caller`, `events`, `fallback`, `receive`) built on first
    access, on the class (web3's class-level helpers) or on the instance, and kept there.

    web3 builds all five eagerly, on the class in `factory` and again on every instance: for a contract of
    ~100 functions and events that is ~10 ms of Python per handle (one ABI scan per function and event), paid
    on every deployment and every `w3.eth.contract(address=...)`, while a handle is mostly used for a few
    functions and its events not at all."""

    def __init__(self, build: Any) -> None:
        self.build = build
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:  # on the class: kept under a private name, so instances still get their own
            key = f"_class_{self.name}"
            if key not in owner.__dict__:
                setattr(owner, key, self.build(owner))
            return owner.__dict__[key]
        value = instance.__dict__[self.name] = self.build(instance)  # shadows this descriptor from now on
        return value


def _functions(c: Any) -> _FastFunctions:
    return _FastFunctions(c.abi, c.w3, c.address, decode_tuples=c.decode_tuples)


def _caller(c: Any) -> ContractCaller:
    return ContractCaller(
        c.abi, c.w3, c.address, decode_tuples=c.decode_tuples, contract_functions=c.functions
    )


class FastContract(Contract):
    """web3's `Contract` whose `functions` are `FastContractFunction`s (same API, same results), with
    `functions`, `caller`, `events`, `fallback` and `receive` built on first use (`_Lazy`)."""

    functions = _Lazy(_functions)  # type: ignore[assignment]
    caller = _Lazy(_caller)  # type: ignore[assignment]
    events = _Lazy(lambda c: ContractEvents(c.abi, c.w3, c.address))  # type: ignore[assignment]
    fallback = _Lazy(lambda c: Contract.get_fallback_function(c.abi, c.w3, c.address))  # type: ignore[assignment]
    receive = _Lazy(lambda c: Contract.get_receive_function(c.abi, c.w3, c.address))  # type: ignore[assignment]

    def __init__(self, address: Any = None) -> None:
        # web3's `Contract.__init__` without the eager builds (same address checks)
        if self.w3 is None:
            raise Web3AttributeError(
                "The `Contract` class has not been initialized.  Please use the "
                "`web3.contract` interface to create your contract class."
            )
        if address:
            self.address = normalize_address(self.w3._ens, address)
        if not self.address:
            raise Web3TypeError("The address argument is required to instantiate a contract.")

    @classmethod
    def factory(cls, w3: Web3, class_name: str | None = None, **kwargs: Any) -> Any:
        """web3's `Contract.factory` (the class `w3.eth.contract(...)` returns) without the eager builds."""
        kwargs["w3"] = w3
        normalizers = {
            "abi": normalize_abi,
            "address": partial(normalize_address, w3._ens),
            "bytecode": normalize_bytecode,
            "bytecode_runtime": normalize_bytecode,
        }
        contract = PropertyCheckingFactory(
            class_name or cls.__name__, (cls,), kwargs, normalizers=normalizers
        )
        for entry in contract.abi or ():
            if entry.get("name") in ("abi", "address"):
                raise Web3AttributeError(
                    f"Contract contains a reserved word `{entry.get('name')}` and could not be instantiated."
                )
        return contract
