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
    same = {evm: _strip_timings({k: v for k, v in r.items() if k != "gas_used"}) for evm, r in on.items()}
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


def test_an_unknown_evm_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="evm: one of py-evm, revm"):
        connect(evm="geth")


def test_run_refuses_evm_with_rpc_as_a_user_types_it(tmp_path):
    done = run(
        "energy-trading", "run", "scenarios/market_day.yaml", "--evm", "revm", "--rpc", "http://127.0.0.1:9",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert done.returncode != 0
    assert "--evm revm: chooses the in-process EVM; with --rpc the node executes" in done.stderr


def test_demo_on_revm_as_a_user_types_it_says_so_and_walks_through_every_section():
    done = run("energy-trading", "demo", "--evm", "revm")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Deployed to in-process EVM (revm; its gasUsed figures are lower than a chain's)" in out
    # the incentives section seals a block by its creator (`sealed_by`: the revm backend's coinbase)
    assert "sealed by 0x" in out and "creator reward 5 units" in out
    assert "180/180 committed" in out  # the emulator replays every signed transaction of the run
