"""The fast contract-call path (energy_trading/chain/fastcall.py): the same results as web3's own path, the
in-process reads on py-evm directly, and the scenario run's read cache that a transaction invalidates."""

from typing import Any

import pytest
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import Web3TypeError
from web3.logs import DISCARD

from energy_trading import connect
from energy_trading.chain import fastcall
from energy_trading.chain.deploy import deploy_contract
from energy_trading.chain.fastcall import FastContract


def _web3_result(fn: Any, *args: Any) -> Any:
    """What web3's unmodified `ContractFunction.call` returns for the same bound call."""
    return ContractFunction.call(fn(*args))


def _shape(value: Any) -> Any:
    """The value's types, recursively (a list and a tuple with equal items compare equal)."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_shape(v) for v in value])
    return type(value).__name__


def test_fast_reads_return_what_web3_returns(artifacts):
    chain = connect(seed="test:fastcall")
    admin, auditor = chain.new_accounts(["admin", "auditor"])
    token = deploy_contract(chain, artifacts["EnergyToken"], admin, admin, admin, 10**18, 0, 0)
    registry = deploy_contract(chain, artifacts["ParticipantRegistry"], admin, admin, auditor)
    assert isinstance(token, FastContract)
    chain.transact(token.functions.issue(auditor, 5 * 10**18), admin)
    before = fastcall.in_process_reads(chain.w3)
    cases = [
        (token.functions.balanceOf, auditor),  # one uint
        (token.functions.name,),  # a string
        (token.functions.tokensPerCurrency,),
        (registry.functions.participant, auditor),  # a struct (tuple) with enums and an address
        (registry.functions.isActive, admin),  # a bool
    ]
    for fn, *args in cases:
        fast = fn(*args).call()
        assert fast == _web3_result(fn, *args), fn
        assert _shape(fast) == _shape(_web3_result(fn, *args)), fn
    assert fastcall.in_process_reads(chain.w3) - before == len(cases)  # every read took the fast path
    assert token.functions.balanceOf(auditor).call() == 5 * 10**18
    # keyword arguments take web3's own path, with the same answer
    assert token.functions.balanceOf(account=auditor).call() == 5 * 10**18
    # the encoded calldata is web3's (`Contract.encode_abi` is web3's own encoder)
    fast_data = token.functions.transfer(admin, 7)._encode_transaction_data()
    assert fast_data == token.encode_abi("transfer", args=[admin, 7])


def test_read_cache_answers_until_this_chain_sends_a_transaction(artifacts):
    chain = connect(seed="test:fastcall:cache")
    (admin,) = chain.new_accounts(["admin"])
    token = deploy_contract(chain, artifacts["EnergyToken"], admin, admin, admin, 10**18, 0, 0)
    balance = token.functions.balanceOf(admin)
    with chain.cached_reads() as cache:
        executed = fastcall.in_process_reads(chain.w3)
        assert balance.call() == 0
        assert balance.call() == 0
        assert cache.hits == 1 and fastcall.in_process_reads(chain.w3) == executed + 1
        chain.transact(token.functions.issue(admin, 3), admin)
        assert balance.call() == 3  # the transaction cleared the cache: read again, the new balance
        chain.advance_time(60)
        assert balance.call() == 3 and cache.hits == 1  # moving the clock cleared it too
    assert chain.cached_read_hits == 1
    assert fastcall.cache_of(chain.w3) is None  # the cache ends with the block


def test_contract_handles_build_functions_and_events_on_first_use(artifacts):
    """`FastContract` builds `functions`, `caller`, `events`, `fallback` and `receive` lazily (per class and
    per instance), and what it builds answers as web3's eagerly built `Contract` does."""
    chain = connect(seed="test:fastcall:lazy")
    (admin,) = chain.new_accounts(["admin"])
    artifact = artifacts["EnergyToken"]
    token = deploy_contract(chain, artifact, admin, admin, admin, 10**18, 0, 0)
    handle = chain.w3.eth.contract(address=token.address, abi=artifact.abi)
    assert "functions" not in vars(handle) and "events" not in vars(handle)  # nothing built yet
    receipt = chain.transact(handle.functions.issue(admin, 7), admin)
    assert "functions" in vars(handle) and "events" not in vars(handle)
    assert handle.caller.balanceOf(admin) == 7 == handle.functions.balanceOf(admin).call()
    issued = handle.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert [(e.args.to, e.args.value) for e in issued] == [(admin, 7)]
    # the class (no address) keeps its own copies; an instance never sees the class's
    factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    assert factory.events.Transfer().process_receipt(receipt, errors=DISCARD)[0].args.value == 7
    assert factory.functions.balanceOf(admin).address is None
    assert factory(address=token.address).functions.balanceOf(admin).address == token.address
    # web3's own checks still hold
    with pytest.raises(Web3TypeError):
        factory()
    plain = Contract.factory(chain.w3, abi=artifact.abi)(address=token.address)  # web3's eager class
    assert plain.functions.balanceOf(admin).call() == handle.functions.balanceOf(admin).call()
    assert type(handle.fallback).__name__ == type(plain.fallback).__name__
