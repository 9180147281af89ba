"""How `Chain` sends transactions: never an `eth_estimateGas`, no dry run unless asked, reverts still decoded,
batches keep their order, and py-evm stays out of RPC-mode processes. Every backend where it matters: in
process on py-evm and on revm, and anvil."""

import subprocess
import sys
from collections import Counter
from typing import Any

import pytest

from energy_trading import connect, deploy
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.market import MarketClient, kwh, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source


def count_requests(chain) -> Counter:
    """Wrap the provider so every JSON-RPC method web3 asks for is counted (batched calls too)."""
    seen: Counter = Counter()
    provider = chain.w3.provider
    single, batch = provider.make_request, getattr(provider, "make_batch_request", None)

    def make_request(method: str, params: Any) -> Any:
        seen[method] += 1
        return single(method, params)

    def make_batch_request(requests: list[tuple[str, Any]]) -> Any:
        seen.update(method for method, _ in requests)
        return batch(requests)

    provider.make_request = make_request
    if batch is not None:
        provider.make_batch_request = make_batch_request
    return seen


def exercise(chain, artifacts) -> dict[str, Any]:
    """Deploy everything, register and approve participants, fund, publish an offer; then one refusal."""
    seen = count_requests(chain)
    d = deploy(chain, artifacts)
    reg, market = RegistryClient(d), MarketClient(d)
    seller = reg.register("solar", Role.GENERATOR, Source.SOLAR, zone="north")
    buyer = reg.register("home", Role.CONSUMER, zone="north")
    reg.approve(seller.address)
    reg.approve(buyer.address)
    market.fund(buyer.address, tokens(10))
    period = market.open_period()
    market.publish_offer(seller.address, period.id, tokens("0.5"), kwh(10))
    sends_before = seen["eth_sendRawTransaction"] + seen["eth_sendRawTransactionSync"]
    with pytest.raises(ChainRevert) as refusal:
        chain.transact(d.registry.functions.approve(buyer.address), buyer.address)
    return {
        "seen": seen,
        "refusal": refusal.value,
        "buyer": buyer.address,
        "refusal_was_sent": seen["eth_sendRawTransaction"] + seen["eth_sendRawTransactionSync"]
        > sends_before,
        "deployment": d,
    }


def check(outcome: dict[str, Any]) -> None:
    seen = outcome["seen"]
    assert seen["eth_estimateGas"] == 0, seen
    # every transaction is signed locally and sent raw (no dry-run eth_call before it: the refusal went out)
    assert seen["eth_sendRawTransaction"] + seen["eth_sendRawTransactionSync"] > 20, seen
    assert outcome["refusal_was_sent"]
    refusal = outcome["refusal"]
    assert refusal.error == "AccessControlUnauthorizedAccount"
    assert refusal.args_by_name["account"].lower() == outcome["buyer"].lower()
    assert str(refusal).startswith("approve from home reverted with AccessControlUnauthorizedAccount(")


def _connect(backend: str, request: Any, seed: str):
    """A chain on `backend`: "in-process" (py-evm), "revm" (in process) or "anvil"."""
    if backend == "anvil":
        return connect(request.getfixturevalue("anvil_url"), seed=seed)
    return connect(seed=seed, evm="revm" if backend == "revm" else "py-evm")


@pytest.mark.parametrize("evm", ["py-evm", "revm"])
def test_in_process_sends_no_gas_estimate_and_decodes_a_revert_from_the_failed_transaction(evm, artifacts):
    chain = connect(seed="sending:in-process", evm=evm)
    outcome = exercise(chain, artifacts)
    check(outcome)
    # the refusal changed nothing: the buyer did not become an auditor
    d = outcome["deployment"]
    assert (
        d.registry.functions.hasRole(d.registry.functions.AUDITOR_ROLE().call(), outcome["buyer"]).call()
        is False
    )


def test_anvil_sends_no_gas_estimate_and_decodes_a_revert_from_the_failed_transaction(anvil_url, artifacts):
    chain = connect(anvil_url, seed="sending:anvil")
    outcome = exercise(chain, artifacts)
    check(outcome)
    # a failed transaction is replayed once (eth_call) for its revert data: reads aside, only on that path
    assert outcome["seen"]["eth_sendRawTransactionSync"] > 20  # anvil: the receipt comes with the send


@pytest.mark.parametrize("backend", ["in-process", "revm", "anvil"])
def test_preflight_refuses_without_sending(backend, request, artifacts):
    chain = _connect(backend, request, seed=f"pre:{backend}")
    d = deploy(chain, artifacts)
    stranger = chain.new_account("stranger")
    seen = count_requests(chain)
    with pytest.raises(ChainRevert) as refusal:
        chain.transact(d.registry.functions.approve(stranger), stranger, preflight=True)
    assert refusal.value.error == "AccessControlUnauthorizedAccount"
    assert seen["eth_sendRawTransaction"] + seen["eth_sendRawTransactionSync"] == 0


@pytest.mark.parametrize("backend", ["in-process", "revm", "anvil"])
def test_batched_sends_keep_their_order_and_raise_the_first_revert(backend, request, artifacts):
    chain = _connect(backend, request, seed=f"batch:{backend}")
    d = deploy(chain, artifacts)
    alice, bob = chain.new_accounts(["alice", "bob"])
    market = MarketClient(d)
    market.fund(alice, tokens(10))
    receipts = chain.transact_many([(d.token.functions.transfer(bob, n), alice) for n in (1, 2, 3)])
    assert [r["status"] for r in receipts] == [1, 1, 1]
    assert receipts[0]["blockNumber"] <= receipts[1]["blockNumber"] <= receipts[2]["blockNumber"]
    assert d.token.functions.balanceOf(bob).call() == 6
    too_much = tokens(1_000)
    with pytest.raises(ChainRevert) as refusal:
        chain.transact_many(
            [(d.token.functions.transfer(bob, 4), alice), (d.token.functions.transfer(bob, too_much), alice)]
        )
    assert refusal.value.error == "ERC20InsufficientBalance"
    assert d.token.functions.balanceOf(bob).call() == 10  # the batch's good transfer went through
    # the failed transaction used its nonce: the next send still goes through
    chain.transact(d.token.functions.transfer(bob, 1), alice)
    assert d.token.functions.balanceOf(bob).call() == 11


def test_rpc_mode_does_not_import_py_evm_or_eth_tester():
    code = (
        "import sys\n"
        "from energy_trading.chain.connection import connect\n"
        "from energy_trading.chain.deploy import deploy\n"
        "from energy_trading.scenarios import runner\n"
        "bad = sorted(m for m in sys.modules if m == 'eth' or m.startswith(('eth.', 'eth_tester')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == ""
