"""A newcomer's review of the user surface: `python -m`, a mistyped option, the node weights a run's
results.json points at, what the README says the console, `Deployment` and `energy_trading.clients` hold,
and readable signed-book refusals. Commands run as a user types them (a subprocess with the README's PATH)."""

from __future__ import annotations

import dataclasses
import json
import re
import sys

import pytest
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector as selector
from user_commands import TINY_SCENARIO, assert_quiet, run

import energy_trading.clients
from energy_trading import ChainRevert
from energy_trading.chain.deploy import Deployment
from energy_trading.chain.errors import RevertDecoder
from energy_trading.chain.project import REPO_ROOT
from energy_trading.clients.signed import SignedStatus

README = (REPO_ROOT / "README.md").read_text()


COMMANDS = [("energy_trading", "energy-trading"), ("consensus_emulator", "consensus-emulator")]


@pytest.mark.parametrize(("module", "command"), COMMANDS)
def test_python_dash_m_is_the_command(module, command):
    """`python -m energy_trading` / `python -m consensus_emulator` failed ("is a package and cannot be
    directly executed"): each runs the console script's entry point."""
    as_module = run(sys.executable, "-m", module, "--help")
    assert as_module.returncode == 0, as_module.stderr
    assert as_module.stdout.startswith(f"usage: {command} ")
    assert as_module.stdout == run(command, "--help").stdout
    assert_quiet(as_module.stdout + as_module.stderr)


def test_a_mistyped_option_gets_the_subcommands_usage_and_a_suggestion(tmp_path):
    """`energy-trading run x.yaml --ouput DIR` printed the top-level usage and "unrecognized arguments"."""
    out = run("energy-trading", "run", "x.yaml", "--ouput", str(tmp_path))
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("usage: energy-trading run [-h]"), out.stderr
    assert out.stderr.rstrip().endswith(
        f"energy-trading run: error: unrecognized arguments: --ouput {tmp_path}; did you mean --out?"
    )
    assert list(tmp_path.iterdir()) == []  # nothing ran
    two = run("energy-trading", "match", "i.json", "--time-limt=5", "--brute-forse")
    assert two.returncode == 2 and two.stderr.startswith("usage: energy-trading match [-h]")
    assert "--time-limt: did you mean --time-limit?, --brute-forse: did you mean --brute-force?" in two.stderr
    # nothing close: no suggestion, still the sub-command's usage
    none = run("energy-trading", "deploy", "--zzz")
    assert none.returncode == 2 and none.stderr.startswith("usage: energy-trading deploy [-h]")
    assert none.stderr.rstrip().endswith("error: unrecognized arguments: --zzz")


def test_the_results_json_node_weights_address_holds_the_runs_weights(anvil_url, tmp_path):
    """After `energy-trading run scenarios/seed001_tables.yaml --rpc URL`, the top-level
    `contracts.node_weights` named the deployment's unused NodeWeights (the grid section deploys its own),
    and `--weights-address` with it said "allWeights() returned 0 nodes but 0 weights"."""
    out_dir = tmp_path / "s1"
    out = run(
        "energy-trading", "run", "scenarios/seed001_tables.yaml", "--rpc", anvil_url, "--out", str(out_dir),
        timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    results = json.loads((out_dir / "results.json").read_text())
    grid = results["grid"]["contracts"]
    assert {k: results["contracts"][k] for k in grid} == grid  # the contracts the run used, once
    weights = run(
        "consensus-emulator", "run", "weighted-raft", "--weights-rpc", anvil_url,
        "--weights-address", results["contracts"]["node_weights"], "--rounds", "3",
    )  # fmt: skip
    assert weights.returncode == 0, weights.stderr
    assert weights.stdout.startswith(f"weighted-raft on {len(results['node_weights'])} nodes")

    # a run without node weights: its NodeWeights holds none, and its results.json has none; both say so
    tiny = tmp_path / "tiny.json"
    tiny.write_text(json.dumps(TINY_SCENARIO))
    assert (
        run("energy-trading", "run", str(tiny), "--rpc", anvil_url, "--out", str(tmp_path / "t")).returncode
        == 0
    )
    empty = json.loads((tmp_path / "t" / "results.json").read_text())["contracts"]["node_weights"]
    refused = run(
        "consensus-emulator", "run", "weighted-raft", "--weights-rpc", anvil_url, "--weights-address", empty
    )
    assert refused.returncode == 2
    assert f"the contract at {empty} holds no node weights" in refused.stderr
    assert "contracts.node_weights in its results.json" in refused.stderr
    no_weights = run(
        "consensus-emulator", "run", "weighted-raft", "--weights-from", str(tmp_path / "t" / "results.json")
    )
    assert no_weights.returncode == 2
    assert (
        "results.json has no node weights: no 'node_weights' or 'node_weights_by_round' key"
        in no_weights.stderr
    )
    assert "is not a number" not in no_weights.stderr


def _console_row() -> str:
    (row,) = [line for line in README.splitlines() if line.startswith("| `energy-trading console")]
    return row.split(" | ", 1)[1]


def test_every_name_the_readme_gives_the_console_is_bound(deployment):
    """The README listed `accounts` (alice, bob, carol, dave) and users typed `alice`: NameError. Every plain
    name the console row puts in backticks is a name of the console (and the people are keys of accounts)."""
    from energy_trading.cli.console import PEOPLE, console_namespace

    ns = console_namespace(deployment)
    names = [n for n in re.findall(r"`([^`]+)`", _console_row()) if n.isidentifier()]
    assert {"w3", "d", "accounts", "meters", "reg", "market", "signed", "incentives"} <= set(names)
    assert [n for n in names if n not in ns] == []
    assert all(f'`accounts["{p}"]`' in _console_row() or f'`"{p}"`' in _console_row() for p in PEOPLE)
    assert set(PEOPLE) <= set(ns["accounts"]) and not set(PEOPLE) & set(ns)


def test_the_readme_lists_every_deployment_handle_and_client():
    """The README left out `signed_book`, `signed_policy`, `signed_grid_policy` and `SignedClient`, which
    `energy_trading.clients` did not export although scenario orders go through it."""
    (handles,) = re.findall(r"`Deployment` holds typed web3 handles: (.*?)\n\(", README, re.S)
    fields = [f.name for f in dataclasses.fields(Deployment) if f.type == "Contract"]
    assert len(fields) == 18 and re.findall(r"`(\w+)`", handles) == fields
    clients_text = README.split("Clients wrap the common flows:", 1)[1].split("all exported", 1)[0]
    listed = set(re.findall(r"`(\w+Client)`", clients_text))
    assert listed == set(energy_trading.clients.__all__) and "SignedClient" in listed
    assert energy_trading.clients.SignedClient.__module__ == "energy_trading.clients.signed"


def test_signed_book_refusals_print_order_ids_in_hex_and_statuses_by_name():
    """`WrongOrder(orderId=<77 digits>, expectedStatus=1)`: an id above 2^64 prints in hex, the expected
    status by name; token amounts and small ids stay decimal."""
    abi = [
        {"type": "error", "name": "WrongOrder", "inputs": [
            {"name": "orderId", "type": "uint256", "internalType": "uint256"},
            {"name": "expectedStatus", "type": "uint256", "internalType": "uint256"}]},
        {"type": "error", "name": "Short", "inputs": [
            {"name": "periodId", "type": "uint256", "internalType": "uint256"},
            {"name": "needed", "type": "uint256", "internalType": "uint256"}]},
    ]  # fmt: skip
    decoder = RevertDecoder([abi])
    order_id = (0x1234 << 200) | 7
    refusal = decoder.decode(
        selector("WrongOrder(uint256,uint256)") + encode(["uint256", "uint256"], [order_id, 1]), "approve"
    )
    assert str(refusal) == f"approve reverted with WrongOrder(orderId={hex(order_id)}, expectedStatus=AGREED)"
    assert refusal.args_by_name == {"orderId": order_id, "expectedStatus": SignedStatus.AGREED}
    short = decoder.decode(selector("Short(uint256,uint256)") + encode(["uint256", "uint256"], [3, 10**21]))
    assert str(short) == f"reverted with Short(periodId=3, needed={10**21})"
    # a value the enum does not name prints as the number
    enums = {"expectedStatus": "WrongOrder.expectedStatus"}
    assert str(ChainRevert("WrongOrder", {"orderId": 5, "expectedStatus": 9}, "", enums)).endswith(
        "=5, expectedStatus=9)"
    )
