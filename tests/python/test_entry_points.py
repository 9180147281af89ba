"""Every user entry point run as a user runs it: the installed commands in a subprocess (or a
pseudo-terminal for the console), asserting on what they print and write, and that they print no
traceback and no warning."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys

import pexpect
import pytest
from user_commands import BIN, GOOD_INSTANCE, TINY_SCENARIO, assert_quiet, run, user_env

from energy_trading.chain.deploy import DEPLOY_STAGES
from energy_trading.chain.project import REPO_ROOT
from energy_trading.cli.console import EXAMPLES

#: The tests that launch brownie's `development` network (anvil on port 8545) run on one xdist worker, one
#: after the other: on two workers one attached to the other's anvil and lost it when that test ended.
BROWNIE_NETWORK = pytest.mark.xdist_group("brownie-development-network")


def test_console_runs_every_banner_example():
    child = pexpect.spawn(
        str(BIN / "energy-trading"), ["console"], cwd=str(REPO_ROOT), env=user_env(), encoding="utf-8",
        timeout=180,
    )  # fmt: skip
    try:
        child.expect(">>> ")
        banner = child.before
        assert "energy-trading console (in-process EVM (py-evm))" in banner
        for line in EXAMPLES:
            assert line in banner
        outputs = []
        for line in EXAMPLES:
            child.sendline(line)
            child.expect(">>> ")
            outputs.append(child.before)
        child.sendline("exit()")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    transcript = "\n".join(outputs)
    assert_quiet(banner + transcript)
    assert "Error" not in transcript and "reverted" not in transcript, transcript
    assert "<Status.APPROVED: 2>" in outputs[0]
    assert outputs[1].count("Fraction(") == 4, outputs[1]  # the four people's node weights, not {}
    assert "'1000 tokens'" in outputs[4], outputs[4]  # bob's balance in tokens, not 10^21 base units
    # a bilateral contract signed by alice and bob, opened on the signed book and approved: Active (2)
    assert outputs[5].strip().splitlines()[-1] == "2", outputs[5]
    # `incentives` is the IncentivesClient (its contract, which has the same name, is d.incentives)
    assert "({}, {" in outputs[-1] and "Contract object" not in outputs[-1], outputs[-1]
    assert child.exitstatus == 0


def test_rpc_reads_trigger_no_request_cache_validation(anvil_url, artifacts, caplog):
    """Scenario runs over --rpc turn web3's request cache on (eth_chainId once per run). Its validation of
    cached block/transaction lookups asks the node for more blocks and, on anvil after a clock jump, logged
    "exception while caching the request" tracebacks (29 on the certificates scenario): only eth_chainId is
    cached, so a transaction lookup is one request and nothing is logged."""
    from energy_trading import connect, deploy

    chain = connect(anvil_url, seed="test-entry-points-cache")
    chain.w3.provider.cache_allowed_requests = True  # what the scenario runner sets for RPC runs
    deploy(chain, artifacts)
    chain.advance_time(3_600)
    block_hash = chain.w3.eth.get_block("latest")["hash"]
    tx_hash = chain.w3.eth.get_block(1)["transactions"][0]
    sent: list[str] = []
    provider = chain.w3.provider
    original = provider._make_request  # what goes on the wire, below web3's request cache

    def recording(method, request_data):
        sent.append(method)
        return original(method, request_data)

    provider._make_request = recording
    with caplog.at_level(logging.DEBUG, logger="web3"):
        chain.w3.eth.get_block(block_hash)
        chain.w3.eth.get_transaction(tx_hash)
    assert sent == ["eth_getBlockByHash", "eth_getTransactionByHash"]
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not errors, [r.getMessage() for r in errors]


def test_plain_brownie_test_collects_only_the_contract_suite():
    """`brownie test` with no path (what a brownie user types) collects tests/contracts and nothing else;
    `make test` runs it in full (test-contracts)."""
    out = run("brownie", "test", "--collect-only", "-q", timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    collected = [line for line in out.stdout.splitlines() if "::" in line]
    assert len(collected) > 100
    assert all(line.startswith("tests/contracts/") for line in collected), collected[:5]
    assert_quiet(out.stdout + out.stderr)


@BROWNIE_NETWORK
def test_brownie_test_prints_no_future_warning():
    """brownie's compiled Chain made every chain.snapshot/revert/sleep/mine warn "rpc.snapshot should not be
    called directly" (a false alarm, see tools/setup.sh); the .pth filter setup.sh writes silences exactly
    that, and pytest's own warning summary (which shows FutureWarnings) must not list it either."""
    out = run("brownie", "test", "tests/contracts/test_token.py", timeout=600)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert " passed" in text and "FutureWarning" not in text and "warnings summary" not in text, text


def test_nothing_here_calls_brownie_rpc_directly():
    """The FutureWarning filter is only honest while every call goes through brownie's `chain.*`."""
    direct = re.compile(
        r"\brpc\.(snapshot|revert|sleep|mine|reset|time)\(|from brownie(\.network)? import .*\brpc\b"
    )
    sources = [
        path
        for folder in ("tests", "scripts", "energy_trading", "benchmarks", "tools")
        for path in (REPO_ROOT / folder).rglob("*.py")
    ]
    assert len(sources) > 50
    offenders = [str(p) for p in sources if direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


@BROWNIE_NETWORK
def test_brownie_run_deploy_script_ends_cleanly():
    out = run("brownie", "run", "scripts/deploy.py", "--network", "development", timeout=300)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert "operator  0x" in text and "auditor   0x" in text
    for name in (
        "ParticipantRegistry",
        "node_weights",
        "CarbonLedger",
        "NodeWeights.setCarbonSource confirmed",
        "signed_book",
        "SignedBook.mapPolicy confirmed",  # the signed book settles honest-supplier periods (issue 13)
        "signed_grid_policy",
        "SignedBook.mapGridPolicy confirmed",
    ):
        assert name in text
    assert_quiet(text)
    assert "RemoteDisconnected" not in text and "Exception in thread" not in text
    # piped, as into a log: plain lines, no colour codes or spinner frames
    assert (
        "\x1b[" not in out.stdout and "\r" not in out.stdout and "Waiting for confirmation" not in out.stdout
    )
    assert "Running 'scripts/deploy.py::main'" in out.stdout


def test_match_prints_the_assignment(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(GOOD_INSTANCE))
    out = run("energy-trading", "match", str(path))
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert set(result["assignment"]) == {"r1", "r2"} and result["optimal"] is True
    assert_quiet(out.stdout + out.stderr)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["requests"][0].update(energy_kwh="five"),
            "requests[0] (id 'r1').energy_kwh: Input should be a valid decimal (got 'five')",
        ),
        (
            lambda d: d["requests"][1].update(id="r1"),
            "requests[1].id 'r1' repeats requests[0].id: ids must be unique",
        ),
        (
            lambda d: d["providers"][1].update(capacity_kwh=-5),
            "providers[1] (id 'wind').capacity_kwh: Input should be greater than or equal to 0 (got -5)",
        ),
        (
            lambda d: d["providers"][0].update(reputaton=0.5),
            "providers[0] (id 'sun').reputaton: unknown key 'reputaton'; did you mean 'reputation'?",
        ),
        (lambda d: d.update(requets=[]), "requets: unknown key 'requets'; did you mean 'requests'?"),
    ],
)
def test_match_refuses_bad_input_naming_the_field(change, expected):
    data = json.loads(json.dumps(GOOD_INSTANCE))
    change(data)
    out = run("energy-trading", "match", "-", input=json.dumps(data))
    assert out.returncode == 2
    assert expected in out.stderr, out.stderr
    assert out.stdout == ""
    assert_quiet(out.stderr)


def test_schema_prints_the_matching_json_schema():
    out = run("energy-trading", "schema", "matching")
    assert out.returncode == 0, out.stderr
    schema = json.loads(out.stdout)
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {"requests", "providers"}
    reputation = schema["$defs"]["ProviderSpec"]["properties"]["reputation"]
    assert {"type": "number", "minimum": 0, "maximum": 1} in reputation["anyOf"]


def test_run_with_an_existing_file_as_out_stops_before_deploying(tmp_path):
    scenario = tmp_path / "tiny.json"
    scenario.write_text(json.dumps(TINY_SCENARIO))
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    out = run("energy-trading", "run", str(scenario), "--out", str(taken))
    assert out.returncode == 2
    assert f"--out {taken}: is an existing file, not a directory" in out.stderr
    assert "period" not in out.stderr and out.stdout == ""  # nothing ran: no progress bar, no summary
    assert taken.read_text() == "not a directory"


def test_run_a_small_scenario_as_a_user_does(tmp_path):
    scenario = tmp_path / "tiny.json"
    scenario.write_text(json.dumps(TINY_SCENARIO))
    out = run("energy-trading", "run", str(scenario), "--out", str(tmp_path / "out"))
    assert out.returncode == 0, out.stderr
    assert "scenario tiny" in out.stdout and "conservation:" in out.stdout and "OK" in out.stdout
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [o["status"] for p in results["periods"] for o in p["orders"]] == ["settled", "settled"]
    assert f"wrote {tmp_path / 'out' / 'results.json'}" in out.stdout
    assert_quiet(out.stdout + out.stderr)


def test_compile_lists_the_artifacts():
    out = run("energy-trading", "compile")
    assert out.returncode == 0, out.stderr
    names = [line.split()[0] for line in out.stdout.splitlines()[:-1]]
    assert {"ParticipantRegistry", "OrderBook", "MatchingMarket", "CarbonLedger"} <= set(names)
    assert out.stdout.splitlines()[-1].endswith("artifacts (cached under build/energy_trading/)")
    assert_quiet(out.stdout + out.stderr)


def test_a_real_compile_shows_an_elapsed_time_bar(monkeypatch, capsys):
    """When solc runs (a minute for the whole tree), a bar names the step and counts the seconds."""
    import time

    from energy_trading.cli import progress

    monkeypatch.setattr(progress, "is_cached", lambda: False)
    monkeypatch.setattr(progress, "compile_contracts", lambda use_cache=True: time.sleep(1.2) or {"A": 1})
    monkeypatch.setattr(progress, "is_terminal", lambda: True)
    assert progress.compile_with_progress() == {"A": 1}
    err = capsys.readouterr().err
    assert "Solidity sources with solcjs 0.8.37: 00:01" in err
    # off a terminal (a log): a line as the step starts and one as it ends, no bar animation
    monkeypatch.setattr(progress, "is_terminal", lambda: False)
    assert progress.compile_with_progress() == {"A": 1}
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2 and lines[0].endswith("Solidity sources with solcjs 0.8.37 ...")
    assert re.fullmatch(r"compiling \d+ Solidity sources with solcjs 0.8.37: done in 1\.\d s", lines[1])


def test_deploy_prints_addresses_after_a_line_per_stage():
    """Off a terminal (this subprocess), one line per deploy stage instead of a bar (pexpect tests of
    `energy-trading run` check the bars on a terminal)."""
    out = run("energy-trading", "deploy")
    assert out.returncode == 0, out.stderr
    deployed = json.loads(out.stdout)
    assert set(deployed) == {"chain", "chain_id", "operator", "auditor", "contracts"}
    assert deployed["chain"] == "in-process EVM (py-evm)"
    assert len(deployed["contracts"]) == 18  # with the SignedBook, its honest-supplier and its grid policy
    lines = out.stderr.splitlines()
    assert lines[:5] == [f"deploying: {stage}" for stage in DEPLOY_STAGES], lines
    assert re.fullmatch(r"deploying: done in \d+\.\d s", lines[5]) and "\r" not in out.stderr
    assert_quiet(out.stdout + out.stderr)


def test_consensus_emulator_run_prints_a_table_and_json_on_request():
    table = run("consensus-emulator", "run", "crsm", "--nodes", "4", "--tx", "1000")
    assert table.returncode == 0, table.stderr
    assert table.stdout.startswith("crsm on 4 nodes, 20 rounds, seed 0")
    phases = dict(re.findall(r"(prepare|consensus|formal): ([\d.]+)", table.stdout))
    # seed 000 §IV-B's calibration targets, 15 / 76 / 12 ms (the run measures them within 0.5 ms)
    assert {k: round(float(v)) for k, v in phases.items()} == {"prepare": 15, "consensus": 76, "formal": 12}
    machine = run("consensus-emulator", "run", "crsm", "--nodes", "4", "--tx", "1000", "--json")
    assert json.loads(machine.stdout)["metrics"]["blocks_committed"] == 20
    assert_quiet(table.stdout + table.stderr + machine.stdout + machine.stderr)


def test_consensus_emulator_reproduce_one_item_and_calibrate(tmp_path):
    out = run("consensus-emulator", "reproduce", "crsm-calibration", "--out", str(tmp_path))
    assert out.returncode == 0, out.stderr
    assert "[CALIBRATED] crsm_calibration" in out.stdout and "paper:    15 ms prepare" in out.stdout
    assert (tmp_path / "summary.json").exists() and list(tmp_path.glob("*.csv"))
    # stderr is a pipe here, as in a log: one line per finished item, no bar animation or cursor codes
    assert "reproduce: 1/1 tasks done" in out.stderr and "reproduce: finished 1/1" in out.stderr
    assert "\r" not in out.stderr and "\x1b[" not in out.stderr
    assert_quiet(out.stdout + out.stderr)
    cal = run("consensus-emulator", "calibrate")
    assert cal.returncode == 0, cal.stderr
    assert set(json.loads(cal.stdout)["costs"]) == {"tx_pack_ms", "tx_verify_ms", "store_ms_per_kb"}
    assert_quiet(cal.stdout + cal.stderr)


def test_demo_as_a_user_runs_it():
    """`energy-trading demo` (what `make demo` runs): every section, its deploy stages (a line each off a
    terminal), no traceback or warning."""
    out = run("energy-trading", "demo", timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    for heading in (
        "Deployed to in-process EVM",
        "Registration and qualification review",
        "Market day: matching, audit, escrow, metering, honest-supplier settlement",
        "Green certificates and carbon allowances",
        "Grid-balanced settlement with credit weights",
        "Consensus emulator fed by this chain",
    ):
        assert heading in out.stdout
    assert "deploying: incentive currency" in out.stderr and "deploying: done in" in out.stderr
    # re-electing every block is not free: the election count and the throughput with elections are shown
    weighted = re.search(
        r"^  weighted-raft leaders: .*; (\d+) election\(s\);.*throughput (\d+) tx/s", out.stdout, re.M
    )
    plain = re.search(r"^  raft +leaders: .*; (\d+) election\(s\);.*throughput (\d+) tx/s", out.stdout, re.M)
    assert weighted and plain, out.stdout
    assert int(weighted[1]) == 60 and int(plain[1]) == 1
    assert int(weighted[2]) < int(plain[2])
    # the grid section's escrow figures come with the prices and the deposit rule that give them
    assert "prices, tokens/kWh: contract U 0.62, grid B" in out.stdout
    assert_quiet(out.stdout + out.stderr)


def test_help_loads_no_chain_library():
    """`energy-trading --help` (and every sub-command's) answered after 10-15 s on a loaded machine: the
    command line imported web3 and py-evm before parsing its arguments. The chain layer is now imported by
    the commands that use it (`schema` prints the file formats without it); a user error raised before it (a
    bad --time-limit) still prints one line."""
    code = (
        "import sys\n"
        "from energy_trading.cli import main\n"
        "for argv in (['--help'], ['demo', '--help'], ['run', '--help']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "import contextlib, io\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['schema', 'scenario']); main(['schema', 'matching'])\n"
        "print('LOADED', sorted(m for m in ('web3', 'evm', 'eth_tester') if m in sys.modules))\n"
        "print('EXIT', main(['match', '-', '--time-limit', '0']))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input="{}", capture_output=True, text=True, env=user_env(), timeout=300
    )
    assert "LOADED []" in done.stdout, done.stdout + done.stderr
    assert "EXIT 2" in done.stdout and "--time-limit must be a positive number" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
