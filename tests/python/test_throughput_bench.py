"""The throughput benchmark's attribution (benchmarks/throughput.py): the EVM clock counts py-evm's work on
sent transactions and eth_calls, the chain's own work on the sent ones, and leaves py-evm and eth-tester as it
found them."""

import sys
from pathlib import Path

from eth.vm.forks.frontier.state import FrontierState
from eth_tester.backends.pyevm.main import PyEVMBackend

from energy_trading.chain.connection import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from throughput import EvmClock, _split


def test_evm_clock_counts_sent_transactions_and_calls_then_restores_py_evm():
    chain = connect(seed="test:throughput")

    def patched():
        return (FrontierState.apply_transaction, PyEVMBackend.send_raw_transaction, PyEVMBackend.mine_blocks)

    originals = patched()
    with EvmClock() as clock:
        chain.new_accounts(["a", "b"])  # two funding transfers, each executed once by py-evm
        sent, sent_s, chain_s = clock.calls, clock.sent_seconds, clock.chain_seconds
        chain.w3.eth.call({"to": chain.funder, "data": b""})
    assert sent == 2 and sent_s > 0 and chain_s >= sent_s  # the chain's work holds the execution
    assert clock.calls == 3 and clock.seconds > clock.sent_seconds == sent_s  # a read is not sent
    assert clock.chain_seconds == chain_s  # a read is not the chain's work on a sent transaction
    assert patched() == originals
    chain.new_account("c")
    assert clock.calls == 3 and clock.chain_seconds == chain_s  # no longer counting


def test_split_divides_per_transaction_and_leaves_anvil_to_gas_only_and_revm_to_cpu():
    class Clock:
        seconds, sent_seconds, chain_seconds, calls = 0.5, 0.3, 1.0, 7

    figures = _split(2.0, 4, 400_000, Clock(), in_process=True)  # type: ignore[arg-type]
    assert figures == {
        "gas_per_tx": 100_000,
        "cpu_s": 2.0,
        "tx_per_cpu_s": 2.0,
        "evm_executions": 7,
        "evm_ms_per_tx": 125.0,
        "sent_evm_ms_per_tx": 75.0,
        "chain_ms_per_tx": 250.0,
        "other_ms_per_tx": 375.0,
    }
    assert _split(2.0, 4, 400_000, None, in_process=False) == {"gas_per_tx": 100_000}
    # in process on revm: CPU figures, no py-evm split
    assert _split(2.0, 4, 400_000, None, in_process=True) == {
        "gas_per_tx": 100_000,
        "cpu_s": 2.0,
        "tx_per_cpu_s": 2.0,
    }
