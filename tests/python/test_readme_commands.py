"""Every command README.md and docs/*.md tell a user to type, run as typed.

Commands are read from the ```sh/```bash blocks and from the first column of the command tables. Each one
must be classified below: run here (`FAST`, with the concrete arguments for a table's template such as
`SCENARIO`), run by the entry-point tests with the same arguments (`COVERED`), or long-running (`SLOW`: run
with `make test-slow`, i.e. RUN_SLOW=1 under the slow marker). A newly documented command that is in none
of them fails `test_every_documented_command_is_classified`.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import sys
from pathlib import Path

import pytest
from user_commands import GOOD_INSTANCE, TINY_SCENARIO, assert_quiet, run

from energy_trading.chain.project import REPO_ROOT

DOCS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
PROGRAMS = ("energy-trading", "consensus-emulator", "brownie", "python", "pytest", "make", "export")

#: Not run: what it does is checked elsewhere.
COVERED = {
    "export PATH=$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH": "every test runs with exactly this PATH",
    "make test": "is this suite (CI runs it)",
    "brownie run scripts/deploy.py --network development": "test_brownie_run_deploy_script_ends_cleanly",
    "brownie console": "test_readme_brownie_console_session_runs_as_written (its >>> lines, typed)",
    "energy-trading console [--rpc URL | --evm revm]": "test_console_runs_every_banner_example (pexpect)",
    "energy-trading deploy [--rpc URL | --evm revm]": "test_deploy_prints_addresses_after_a_line_per_stage",
    "energy-trading compile [--force]": "test_compile_lists_the_artifacts",
    "energy-trading schema [matching|scenario]": "test_schema_prints_the_matching_json_schema and "
    "test_scenario_schema.py::test_schema_command_prints_a_json_schema_that_accepts_every_shipped_scenario",
    "energy-trading demo [--rpc URL | --evm revm]": "test_demo_as_a_user_runs_it",
    "consensus-emulator reproduce {all|NAME} --out DIR": "test_consensus_emulator_reproduce_one_item_...",
    "consensus-emulator calibrate": "test_consensus_emulator_reproduce_one_item_and_calibrate",
    "consensus-emulator run crsm --nodes 4 --tx 1000": "test_consensus_emulator_run_prints_a_table_...",
    "dask scheduler --host 127.0.0.1 --port 8786": "a server (runs until stopped); tests/emulator's "
    "sweep tests start a real scheduler and workers",
    "dask worker tcp://127.0.0.1:8786 --nthreads 1 --nworkers 2": "a server, as above",
    "consensus-emulator sweep sweeps/seed000_fig10_extended.yaml --out out/fig10 "
    "--scheduler tcp://127.0.0.1:8786": "needs the scheduler above; tests/emulator sweeps on a real one",
    "consensus-emulator sweep SWEEP.yaml --out DIR [--workers N] "
    "[--scheduler tcp://HOST:PORT]": "the sweeps listed as slow",
}

#: Run here, one test each (the seed 001 readers after the seed 001 run); a template maps to concrete words.
FAST: dict[str, str] = {
    "energy-trading run scenarios/seed001_tables.yaml": "",
    "brownie compile": "",
    "energy-trading match INSTANCE.json": "energy-trading match {instance}",
    "energy-trading match INSTANCE.json [--time-limit S]": "energy-trading match {instance} --time-limit 5",
    "energy-trading match instance.json": "energy-trading match {instance}",
    # the shipped example, as typed
    "energy-trading match examples/matching_instance.json --time-limit 60": (
        "energy-trading match examples/matching_instance.json --time-limit 60"
    ),
    "energy-trading run SCENARIO [--rpc URL | --evm revm] [--out DIR]": (
        "energy-trading run {tiny} --evm revm --out {tmp}/tiny"
    ),
    "consensus-emulator run PROTOCOL [...] [--json]": "consensus-emulator run pbft --nodes 7 --json",
    "consensus-emulator run crsm --nodes 20 --domains 4 --crashed 3 --seed 7": "",
    "consensus-emulator run pbft --nodes 16 --crash-leader-at 50": "",
    "consensus-emulator run hybrid --nodes 20 --committee-fraction 0.5": "",
    "consensus-emulator run spft --t-max-ms 1000": "",
    "consensus-emulator run etps --rounds 2 --target-spacing-ms 60000": "",
    "consensus-emulator run weighted-raft --weights-from results/seed001-tables-1-2/results.json "
    "--elect-every-round": "",
    "consensus-emulator run crsm --replay results/seed001-tables-1-2/results.json --tx 200 --rounds 400": "",
}

#: Long-running (minutes, or needs a service): run only with RUN_SLOW=1 (`make test-slow`).
SLOW = {
    "make demo": "the demo through make: setup plus minutes of transactions",
    "brownie test tests/contracts": "the whole contract suite (make test runs it as `brownie test`)",
    "consensus-emulator validate etcd [--out DIR]": "starts a real 5-member etcd cluster, about 2 min",
    "consensus-emulator validate etcd --out out/validate": "starts a real 5-member etcd cluster, about 2 min",
    "consensus-emulator validate etcd --trials 30 --settings 25:150,25:300,50:500 --delay-ms 7.5": "etcd",
    "consensus-emulator run raft --network raft-paper --crash-leader-at 500 --crash-leader-at 1500 "
    "--rounds 400 --tx 50": "400 rounds of Raft with two leader crashes",
    "consensus-emulator reproduce all --out out/reproduce": "every figure of five papers, many minutes",
    "consensus-emulator reproduce seed001 --out out/seed001": "seed 001's tables, minutes",
    "python tools/reproduce_table.py out/reproduce/summary.json --write": "needs reproduce all; edits docs",
    "consensus-emulator reproduce raft-election --out out/raft": "10 x 1000 failovers, about 2-5 min",
    "python tools/reproduce_table.py out/raft/summary.json --update --write": "needs that run; edits docs",
    "python benchmarks/settlement_gas.py": "registers 1,000 participants",
    "python benchmarks/certificates_gas.py": "benchmark",
    "python benchmarks/market_gas.py": "benchmark",
    "python benchmarks/market_gas.py [--plot gas.png]": "benchmark",
    "python benchmarks/solver_bench.py": "benchmark with 60 s solver limits",
    "python benchmarks/solver_bench.py [--time-limit 60]": "benchmark with 60 s solver limits",
    "python benchmarks/dw_bound.py [--limit 120]": "experiment: 2 minutes of column generation",
    "python benchmarks/emulator_bench.py": "benchmark up to 1024 nodes",
    "python benchmarks/sweep_bench.py": "benchmark: sweeps serially and on dask",
    "python benchmarks/incentives_gas.py": "benchmark",
    "python benchmarks/throughput.py": "benchmark: two scenarios on two backends beside a raw-web3 loop",
    "python benchmarks/throughput.py [--backend inprocess|revm|anvil|both|all]": "benchmark, as above",
    "make lint": "part of make test",
    "make test-python": "part of make test",
    "make test-emulator": "part of make test",
    "make test-contracts": "part of make test",
    "make slither": "part of make test",
    "make test-forge": "part of make test",
    "consensus-emulator sweep sweeps/seed000_fig10_extended.yaml --out out/fig10": "a sweep of many runs",
    "consensus-emulator sweep sweeps/weighted_raft_skew.yaml --out out/weighted-raft --workers 2": "a sweep",
    "consensus-emulator sweep sweeps/weighted_raft_skew.yaml --out out/weighted-raft --workers 0": "a sweep",
    "energy-trading demo": "minutes of transactions in process (the entry-point test runs it once)",
    "energy-trading run scenarios/market_day.yaml --out /tmp/day": "a market day, about a minute",
    "energy-trading run scenarios/seed003_reputation.yaml --out /tmp/s3": "100 trades, minutes",
    "energy-trading run scenarios/seed001_fig8.yaml": "90 rounds, many minutes",
    "energy-trading run scenarios/seed001_fig9_certificates.yaml --out /tmp/fig9": "200 rounds, many minutes",
    "brownie test tests/contracts/test_certificates*.py tests/contracts/test_carbon.py": "part of make test",
    "brownie test tests/contracts/test_grid_*.py tests/contracts/test_weights_*.py": "part of make test",
    "pytest -p no:pytest-brownie tests/python/test_certificates*.py tests/python/test_carbon.py": "make test",
    "pytest -p no:pytest-brownie tests/python/test_grid_*.py tests/python/test_weights*.py "
    "tests/python/test_seed001*.py": "part of make test",
}


def documented_commands() -> list[tuple[str, str]]:
    """(file, command) for every command line in a sh/bash block or a command table's first column."""
    found = []
    for doc in DOCS:
        text = doc.read_text()
        for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", text, re.S):
            for line in block.splitlines():
                command = re.sub(r"\s+#.*$", "", line).strip()
                if command and not command.startswith("#"):
                    found.append((doc.name, command))
        for cell in re.findall(r"^\| `([^`]+)` \|", text, re.M):
            if cell.startswith(PROGRAMS):
                found.append((doc.name, cell.replace("\\|", "|")))
    return found


def test_every_documented_command_is_classified():
    unknown = [
        f"{doc}: {cmd}" for doc, cmd in documented_commands() if cmd not in {**COVERED, **FAST, **SLOW}
    ]
    assert not unknown, "classify these documented commands in tests/python/test_readme_commands.py:\n" + (
        "\n".join(unknown)
    )
    assert len(documented_commands()) > 40


def _concrete(command: str, tmp: Path) -> list[str]:
    instance = tmp / "instance.json"
    instance.write_text(json.dumps(GOOD_INSTANCE))
    tiny = tmp / "tiny.json"
    tiny.write_text(json.dumps(TINY_SCENARIO))
    text = (FAST.get(command) or command).format(instance=instance, tiny=tiny, tmp=tmp)
    return shlex.split(text)


#: The FAST commands that read what `energy-trading run scenarios/seed001_tables.yaml` wrote (results/...).
READS_SEED001_RESULTS = "results/seed001-tables-1-2/results.json"


def _fast_params() -> list:
    """One test per FAST command, so xdist spreads them over both workers. The seed 001 run and the commands
    that read its results form one xdist group: one worker runs them in this order, as a serial run does."""
    group = pytest.mark.xdist_group("readme-seed001-results")
    writer = "energy-trading run scenarios/seed001_tables.yaml"
    grouped = {command for command in FAST if command == writer or READS_SEED001_RESULTS in command}
    return [pytest.param(command, marks=group) if command in grouped else command for command in FAST]


@pytest.mark.parametrize("command", _fast_params())
def test_fast_documented_commands_run_cleanly(command, tmp_path):
    """Each FAST command exits 0 and prints no traceback or warning."""
    out = run(*_concrete(command, tmp_path), timeout=600)
    assert out.returncode == 0, f"{command}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    assert_quiet(out.stdout + out.stderr)
    # a documented replay shows a complete run (it ended "NOT drained ... raise --rounds")
    assert "NOT drained" not in out.stdout, out.stdout


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("RUN_SLOW"), reason="long-running: `make test-slow` (RUN_SLOW=1)")
@pytest.mark.parametrize("command", sorted(c for c in SLOW if "[" not in c))
def test_slow_documented_commands_run_cleanly(command, tmp_path):
    out = run(*shlex.split(command), timeout=3_600)
    assert out.returncode == 0, f"{command}\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    assert_quiet(out.stdout + out.stderr)


def _brownie_console_session() -> list[tuple[str, list[str]]]:
    """README.md's `brownie console` session (its ```python block of `>>>` lines): (typed, printed)."""
    (block,) = [
        b
        for b in re.findall(r"```python\n(.*?)```", (REPO_ROOT / "README.md").read_text(), re.S)
        if b.startswith(">>> ") and "ParticipantRegistry.deploy(" in b
    ]
    session: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith(">>> "):
            session.append((line[4:], []))
        elif line.strip():
            session[-1][1].append(line)
    return session


def test_readme_brownie_console_session_runs_as_written():
    """`brownie console` launched as the README says, on anvil at a free port (brownie's `development`
    network is port 8545, which the brownie suite's tests use), typing every `>>>` line of the README's
    session: each runs and prints what the README shows (the constructor takes the admin and the auditor)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    code = (
        "import sys\n"
        "from brownie._config import CONFIG\n"
        f"CONFIG.networks['development']['cmd_settings']['port'] = {port}\n"
        "sys.argv = ['brownie', 'console']\n"
        "from brownie._cli.__main__ import main\n"
        "main()\n"
    )
    session = _brownie_console_session()
    assert session[0][0].startswith("registry = ParticipantRegistry.deploy(accounts[0], accounts[1], ")
    out = run(sys.executable, "-c", code, input="".join(f"{typed}\n" for typed, _ in session), timeout=600)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.stdout + out.stderr)
    assert out.returncode == 0, text[-3000:]
    assert f"--port {port}" in text and "Brownie environment is ready." in text
    assert "Traceback" not in text and "Error" not in text, text[-3000:]
    assert "ParticipantRegistry deployed at: 0x" in text
    for typed, expected in session:
        for line in expected:
            assert f"\n{line}" in text, f"{typed!r} did not print {line!r}:\n{text[-3000:]}"
