"""Chain inputs: node weights from results.json / a plain map / allWeights() over RPC, tx streams."""

import json

import pytest

from consensus_emulator import ConfigError, run
from consensus_emulator.chain_input import (
    transactions_from_results,
    weights_from_results,
    weights_from_rpc,
)
from consensus_emulator.config import LAN, SimConfig, WeightedRaftParams, WorkloadConfig


def write(tmp_path, data, name="results.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def test_results_node_weights_are_ordered_by_numeric_id(tmp_path):
    path = write(tmp_path, {"node_weights": {"10": 5.0, "2": 80.0, "1": 40.0}, "other": 1})
    w = weights_from_results(path)
    assert w.ids == ("1", "2", "10")
    assert w.weights == (40.0, 80.0, 5.0)
    assert w.by_round == ()


def test_weights_by_round_fill_absent_participants_with_zero(tmp_path):
    path = write(
        tmp_path,
        {
            "node_weights": {"a": 10.0, "b": 20.0},
            "node_weights_by_round": [{"a": 10.0, "b": 20.0}, {"a": 30.0, "c": 5.0}],
        },
    )
    w = weights_from_results(path)
    assert w.ids == ("a", "b", "c")
    assert w.weights == (10.0, 20.0, 0.0)
    assert w.by_round == ((10.0, 20.0, 0.0), (30.0, 0.0, 5.0))


def test_a_plain_weight_map_is_accepted(tmp_path):
    w = weights_from_results(write(tmp_path, {"0": 1.5, "1": 99.0}))
    assert w.weights == (1.5, 99.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"node_weights": {"a": 120.0}}, "outside the 0..100 scale"),
        ({"node_weights": {"a": "heavy"}}, "is not a number"),
        ({"node_weights": {"a": 0.0, "b": 0.0}}, "all node weights are zero"),
        ("{not json", "is not valid JSON"),
        ([1, 2], "expected a JSON object"),
    ],
)
def test_malformed_weights_name_the_problem(tmp_path, content, message):
    with pytest.raises(ConfigError, match=message):
        weights_from_results(write(tmp_path, content))


def test_a_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        weights_from_results(tmp_path / "absent.json")


def test_transaction_stream_is_converted_to_ms_and_sorted(tmp_path):
    path = write(
        tmp_path, {"transactions": [{"time_s": 0.5, "size_bytes": 300}, {"time_s": 0.1, "size_bytes": 250}]}
    )
    assert transactions_from_results(path) == ((100.0, 250), (500.0, 300))


def test_transactions_need_time_and_size(tmp_path):
    with pytest.raises(ConfigError, match=r"transactions\[0\] needs 'time_s' and 'size_bytes'"):
        transactions_from_results(write(tmp_path, {"transactions": [{"time_s": 1.0}]}))


class FakeCall:
    def __init__(self, result=None, error=None):
        self.result, self.error = result, error

    def call(self):
        if self.error:
            raise self.error
        return self.result


class FakeW3:
    """Just enough of web3.Web3 for `weights_from_rpc`: eth.contract(...).functions.allWeights()."""

    def __init__(self, result=None, error=None):
        self.seen = {}
        outer = self

        class Functions:
            def allWeights(self):
                return FakeCall(result, error)

        class Contract:
            functions = Functions()

        class Eth:
            def contract(self, address, abi):
                outer.seen = {"address": address, "abi": abi}
                return Contract()

        self.eth = Eth()


def test_rpc_weights_are_read_as_1e18_fixed_point():
    w3 = FakeW3(result=(["0xA", "0xB"], [75 * 10**18, 12_500_000_000_000_000_000 // 1000]))
    w = weights_from_rpc("http://127.0.0.1:8545", "0xWeights", w3=w3)
    assert w.ids == ("0xA", "0xB")
    assert w.weights == (75.0, 0.0125)
    assert w3.seen["address"] == "0xWeights"
    assert w3.seen["abi"][0]["name"] == "allWeights"


def test_a_failing_rpc_call_is_a_config_error():
    w3 = FakeW3(error=RuntimeError("connection refused"))
    with pytest.raises(
        ConfigError, match="allWeights\\(\\) on 0xWeights via http://x failed: connection refused"
    ):
        weights_from_rpc("http://x", "0xWeights", w3=w3)


def test_a_contract_without_weights_says_so_and_where_the_weights_are():
    # was "allWeights() returned 0 nodes but 0 weights" (a run's unused NodeWeights, or a market-only run's)
    with pytest.raises(ConfigError) as refused:
        weights_from_rpc("http://x", "0xEmpty", w3=FakeW3(result=([], [])))
    message = str(refused.value)
    assert message.startswith("the contract at 0xEmpty holds no node weights (allWeights() via http://x")
    assert "contracts.node_weights in its results.json" in message and "0 nodes but 0" not in message
    with pytest.raises(ConfigError, match="returned 2 nodes but 1 weights"):
        weights_from_rpc("http://x", "0xW", w3=FakeW3(result=(["0xA", "0xB"], [1])))


def test_a_results_json_without_node_weights_says_so(tmp_path):
    # was "results.json[chain]: weight 'in-process EVM (py-evm)' is not a number" (read as a plain map)
    market_day = {"scenario": "day", "chain": "in-process EVM (py-evm)", "contracts": {"registry": "0x1"}}
    with pytest.raises(ConfigError) as refused:
        weights_from_results(write(tmp_path, market_day))
    message = str(refused.value)
    assert message.startswith(f"{tmp_path / 'results.json'} has no node weights: no 'node_weights' or ")
    assert "'node_weights_by_round' key" in message and "not a number" not in message
    # a plain {id: weight} map with a bad value still names the value
    with pytest.raises(ConfigError, match="weight 'heavy' is not a number"):
        weights_from_results(write(tmp_path, {"a": "heavy", "b": 3.0}))


def test_chain_weights_drive_weighted_raft_leadership(tmp_path):
    w = weights_from_results(write(tmp_path, {"node_weights": {"1": 10.0, "2": 90.0, "3": 30.0, "4": 20.0}}))
    cfg = SimConfig(
        protocol="weighted-raft",
        n_nodes=w.n_nodes,
        params=WeightedRaftParams(weights=w.weights, elect_every_round=True),
        network=LAN,
        workload=WorkloadConfig(block_tx=10),
        rounds=5,
        seed=0,
    )
    assert {e.winner for e in run(cfg).elections} == {w.ids.index("2")}
