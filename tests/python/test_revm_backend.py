"""The in-process revm backend (`energy_trading/chain/revm_backend.py`): the same chain as py-evm for
everything but gas figures, and the chain rules it keeps by hand (nonces, fees, snapshots, the clock)."""

from pathlib import Path

import pytest
from eth_account import Account
from eth_tester.exceptions import ValidationError
from eth_utils import keccak
from user_commands import run

from energy_trading import connect, deploy
from energy_trading.chain.deploy import deploy_contract
from energy_trading.clients.market import MarketClient, tokens
from energy_trading.scenarios.runner import run_scenario
from energy_trading.scenarios.schema.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def _strip_timings(value):
    if isinstance(value, dict):
        return {k: _strip_timings(v) for k, v in value.items() if k != "solve_time_s"}
    if isinstance(value, list):
        return [_strip_timings(v) for v in value]
    return value


def test_a_scenario_on_revm_reports_what_py_evm_reports_but_gas():
    scenario = load_scenario(ROOT / "scenarios" / "market_day.yaml")
    on = {evm: run_scenario(scenario, chain=connect(seed="revm:same", evm=evm)) for evm in ("py-evm", "revm")}
    same = {
        evm: _strip_timings({k: v for k, v in r.items() if k not in ("gas_used", "chain")})
        for evm, r in on.items()
    }
    # which EVM made the figures is part of the results (revm's gas is not a chain's)
    assert on["revm"]["chain"] == "in-process EVM (revm; its gasUsed figures are lower than a chain's)"
    assert on["py-evm"]["chain"] == "in-process EVM (py-evm)"
    # every order, payout, balance and reputation, and as many transactions
    for key in same["py-evm"]:
        if key == "transactions":
            continue
        assert same["revm"][key] == same["py-evm"][key], key
    assert len(on["revm"]["transactions"]) == len(on["py-evm"]["transactions"])
    # gas: lower on revm (warm accounts and slots carry over between transactions), never higher
    assert 0.9 * on["py-evm"]["gas_used"] < on["revm"]["gas_used"] < on["py-evm"]["gas_used"]


def test_revm_keeps_nonces_fees_snapshots_and_the_clock(artifacts):
    chain = connect(seed="revm:rules", evm="revm")
    tester = chain.w3.provider.ethereum_tester
    d = deploy(chain, artifacts)
    alice, bob = chain.new_accounts(["alice", "bob"])
    MarketClient(d).fund(alice, tokens(10))
    # the sender pays gasUsed x effective price; the tip goes to the block's coinbase
    before = chain.w3.eth.get_balance(alice)
    receipt = chain.transact(d.token.functions.transfer(bob, 1), alice)
    paid = before - chain.w3.eth.get_balance(alice)
    assert paid == receipt["gasUsed"] * receipt["effectiveGasPrice"] > 0
    # a signed transaction with a used nonce is refused and changes nothing
    key = chain.key_of(alice)
    stale = Account.sign_transaction(
        {
            "chainId": chain.chain_id,
            "nonce": 0,
            "gas": 100_000,
            "to": d.token.address,
            "data": d.token.functions.transfer(bob, 1)._encode_transaction_data(),
            "maxFeePerGas": 10**10,
            "maxPriorityFeePerGas": 10**9,
        },
        key.key,
    )
    with pytest.raises(ValidationError, match="the next nonce is"):
        chain.w3.eth.send_raw_transaction(stale.raw_transaction)
    assert d.token.functions.balanceOf(bob).call() == 1
    # snapshots restore balances, nonces, blocks and code
    snapshot = tester.take_snapshot()
    block, nonce = chain.w3.eth.block_number, chain.w3.eth.get_transaction_count(alice)
    chain.transact(d.token.functions.transfer(bob, 2), alice)
    assert d.token.functions.balanceOf(bob).call() == 3
    tester.revert_to_snapshot(snapshot)
    chain._nonces.clear()  # the Chain's local nonce cache predates the revert
    assert d.token.functions.balanceOf(bob).call() == 1
    assert (chain.w3.eth.block_number, chain.w3.eth.get_transaction_count(alice)) == (block, nonce)
    chain.transact(d.token.functions.transfer(bob, 5), alice)  # the reverted nonce is usable again
    assert d.token.functions.balanceOf(bob).call() == 6
    tester.revert_to_snapshot(snapshot)  # a snapshot stays usable after a revert
    assert d.token.functions.balanceOf(bob).call() == 1
    chain._nonces.clear()
    # the clock: the next block executes at the travelled-to time
    now = chain.now()
    assert chain.advance_time(3_600) >= now + 3_600
    # a contract's address follows from its creator's nonce (as on any chain)
    creator = chain.new_account("creator")
    nonce = chain.w3.eth.get_transaction_count(creator)
    made = deploy_contract(chain, artifacts["EnergyToken"], creator, creator, creator, 10**18, 0, 0)
    expected = keccak(
        bytes.fromhex("d694") + bytes.fromhex(creator[2:]) + bytes([0x80 if nonce == 0 else nonce])
    )
    assert made.address.lower() == "0x" + expected[12:].hex()


def test_an_unknown_evm_or_an_evm_with_a_node_is_refused_saying_what_to_change():
    with pytest.raises(ValueError, match="evm: one of py-evm, revm"):
        connect(evm="geth")
    with pytest.raises(ValueError, match=r"chooses the in-process EVM.*pass one of them"):
        connect("http://127.0.0.1:9", evm="revm")  # refused before any connection is tried


def test_run_refuses_evm_with_rpc_as_a_user_types_it(tmp_path):
    done = run(
        "energy-trading", "run", "scenarios/market_day.yaml", "--evm", "revm", "--rpc", "http://127.0.0.1:9",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode != 0
    assert "--evm revm: chooses the in-process EVM; with --rpc the node executes" in done.stderr
    assert "connecting to" not in done.stderr  # refused before any work is shown


def test_demo_on_revm_as_a_user_types_it_says_so_and_walks_through_every_section():
    done = run("energy-trading", "demo", "--evm", "revm")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Deployed to in-process EVM (revm; its gasUsed figures are lower than a chain's)" in out
    # the incentives section seals a block by its creator (`sealed_by`: the revm backend's coinbase)
    assert "sealed by 0x" in out and "creator reward 5 units" in out
    assert "180/180 committed" in out  # the emulator replays every signed transaction of the run


# ------------------------------------------------------------------ rules found by review (helper-49)

# hand-assembled runtimes (no Solidity needed): each comment gives the opcodes
TRANSIENT = bytes.fromhex(  # no calldata: TSTORE(0, 77); any calldata: return TLOAD(0)
    "361560105760005c60005260206000f35b604d60005d00"
)
REVERTS = bytes.fromhex("60006000fd")  # REVERT(0, 0) on any call, a plain value transfer included
PARENT_HASH = bytes.fromhex("600143034060005260206000f3")  # return BLOCKHASH(NUMBER - 1)


def _deploy_runtime(chain, runtime: bytes) -> str:
    """Deploy `runtime` from the funder with a 12-byte initcode that copies and returns it."""
    size = len(runtime)
    initcode = bytes([0x60, size, 0x60, 0x0C, 0x60, 0x00, 0x39, 0x60, size, 0x60, 0x00, 0xF3]) + runtime
    tx = chain.w3.eth.send_transaction({"from": chain.funder, "data": initcode, "gas": 200_000})
    return chain.w3.eth.get_transaction_receipt(tx)["contractAddress"]


def test_revm_clears_transient_storage_and_answers_code_nonce_and_blockhash_as_a_chain():
    chain = connect(seed="revm:review", evm="revm")
    w3 = chain.w3
    probe = _deploy_runtime(chain, TRANSIENT)
    assert bytes(w3.eth.get_code(probe)) == TRANSIENT  # not revm's padded copy
    assert w3.eth.get_transaction_count(probe) == 1  # a contract's nonce starts at 1 (EIP-161)
    w3.eth.send_transaction({"from": chain.funder, "to": probe, "gas": 100_000})  # TSTORE(0, 77)
    assert int.from_bytes(w3.eth.call({"to": probe, "data": "0x01"}), "big") == 0  # EIP-1153: cleared
    parent = _deploy_runtime(chain, PARENT_HASH)
    latest = w3.eth.block_number
    assert bytes(w3.eth.call({"to": parent})) == bytes(w3.eth.get_block(latest - 1)["hash"])


def test_revm_estimates_enough_gas_reads_storage_and_pays_a_contract_coinbase_without_running_it(artifacts):
    chain = connect(seed="revm:estimate", evm="revm")
    d = deploy(chain, artifacts)
    alice, bob = chain.new_accounts(["alice", "bob"])
    MarketClient(d).fund(alice, tokens(3))
    # the whole balance: the sender's slot goes to zero (a refund), so the limit needed exceeds the gas used
    transfer = d.token.functions.transfer(bob, d.token.functions.balanceOf(alice).call())
    estimate = transfer.estimate_gas({"from": alice})
    assert chain.transact(transfer, alice, gas=estimate)["status"] == 1
    assert d.token.functions.balanceOf(alice).call() == 0
    # eth_getStorageAt: OpenZeppelin's ERC-20 keeps balances in the mapping at slot 0
    slot = keccak(bytes(12) + bytes.fromhex(bob[2:]) + bytes(32))
    stored = int.from_bytes(chain.w3.eth.get_storage_at(d.token.address, slot), "big")
    assert stored == d.token.functions.balanceOf(bob).call() == tokens(3)
    # a coinbase whose code reverts on a plain transfer still gets the tip, and the transaction is mined
    coinbase = _deploy_runtime(chain, REVERTS)
    backend = chain.w3.provider.ethereum_tester.backend
    backend.set_coinbase(bytes.fromhex(coinbase[2:]))
    before = chain.w3.eth.get_balance(coinbase)
    receipt = chain.transact(d.token.functions.transfer(alice, 1), bob)
    assert chain.w3.eth.get_balance(coinbase) - before == receipt["gasUsed"] * receipt["effectiveGasPrice"]


def test_revm_refuses_what_a_chain_refuses_and_a_snapshot_it_cannot_go_forward_to():
    chain = connect(seed="revm:refusals", evm="revm")
    w3, tester = chain.w3, chain.w3.provider.ethereum_tester
    sender = chain.new_account("sender")
    key = chain.key_of(sender)
    base = {"chainId": chain.chain_id, "nonce": 0, "to": chain.funder, "value": 1}
    fees = {"maxFeePerGas": 10**9, "maxPriorityFeePerGas": 10**9}
    refused = {
        "gas below the intrinsic 21,000": base | fees | {"gas": 20_000},
        "fee cap below the tip": base | {"gas": 21_000, "maxFeePerGas": 1, "maxPriorityFeePerGas": 2},
        "another chain": base | fees | {"gas": 21_000, "chainId": 1},
        "legacy, another chain (EIP-155)": base | {"gas": 21_000, "gasPrice": 10**9, "chainId": 1},
    }
    for what, tx in refused.items():
        with pytest.raises(ValidationError):
            w3.eth.send_raw_transaction(key.sign_transaction(tx).raw_transaction)
        assert w3.eth.get_transaction_count(sender) == 0, what  # nothing mined, the nonce unused
    # snapshots: back to an earlier one drops the later ones, which then say so instead of restoring garbage
    first = tester.take_snapshot()
    w3.eth.send_transaction({"from": chain.funder, "to": sender, "value": 5})
    second = tester.take_snapshot()
    tester.revert_to_snapshot(first)
    with pytest.raises(ValidationError, match="cannot go forward"):
        tester.revert_to_snapshot(second)
    tester.revert_to_snapshot(first)  # the earlier one still works
    # back to genesis: no transaction count, no balance, and the default coinbase again
    backend = tester.backend
    backend.set_coinbase(bytes.fromhex(sender[2:]))
    tester.reset_to_genesis()
    assert (w3.eth.get_transaction_count(sender), w3.eth.get_balance(sender)) == (0, 0)
    assert backend.block["coinbase"] == b"\x00" * 20 and w3.eth.block_number == 0
