"""The command line: JSON out, byte-for-byte repeatability, clear errors, --help everywhere."""

import json

import pytest

from consensus_emulator.cli import main


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_prints_a_table_for_people_by_default(capsys):
    code, out, _ = run_cli(capsys, "run", "crsm", "--nodes", "4", "--tx", "1000")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("crsm on 4 nodes, 20 rounds, seed 0")
    assert any(line.split() == ["blocks", "committed", "20", "of", "20", "rounds"] for line in lines)
    assert any(line.startswith("  phases (ms)") and "prepare: 15" in line for line in lines)
    assert "{" not in out and len(lines) < 40
    assert "--json" in lines[-1]


def test_run_crsm_prints_the_calibrated_phases(capsys):
    code, out, _ = run_cli(capsys, "run", "crsm", "--nodes", "4", "--tx", "1000", "--json")
    assert code == 0
    phases = json.loads(out)["metrics"]["phases_ms"]
    assert phases["prepare"] == pytest.approx(15.0, abs=0.5)
    assert phases["consensus"] == pytest.approx(76.0, abs=0.5)
    assert phases["formal"] == pytest.approx(12.0, abs=0.5)


@pytest.mark.parametrize(
    "protocol", ["crsm", "raft", "weighted-raft", "pbft", "hotstuff", "sbet", "sharded", "hybrid", "spft"]
)
def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(capsys, protocol):
    args = ["run", protocol, "--rounds", "3", "--tx", "20", "--json"]
    _, first, _ = run_cli(capsys, *args, "--seed", "11")
    _, again, _ = run_cli(capsys, *args, "--seed", "11")
    _, other, _ = run_cli(capsys, *args, "--seed", "12")
    assert first == again
    assert first != other


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["run", "crsm", "--nodes", "4", "--domains", "5"], "use --domains <= 4"),
        (["run", "crsm", "--threshold", "1.5"], "threshold must lie in (0, 1]"),
        (["run", "pbft", "--latency-ms", "-2"], "latency must be >= 0 ms"),
        (["run", "paxos"], "unknown protocol 'paxos'"),
        (["run", "sbet", "--replay", "x.json"], "--replay feeds a proposer's pending pool"),
        (["reproduce", "seed999"], "unknown experiment 'seed999'"),
        (["reproduce", "crsm-calibration", "--seed", "-1"], "--seed must be >= 0 (got -1)"),
        (["run", "crsm", "--seed", "-3"], "--seed must be >= 0 (got -3)"),
        # an option the protocol does not read is refused, not ignored (pbft ran as if it were not given)
        (["run", "pbft", "--domains", "3"], "pbft does not use --domains (crsm only)"),
        (
            ["run", "raft", "--shards", "2", "--t-max-ms", "9"],
            "--t-max-ms (etps, sbet, spft only); --shards (sharded only)",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(capsys, argv, hint):
    code, out, err = run_cli(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and hint in err


@pytest.mark.parametrize("argv", [[], ["run"], ["reproduce"], ["calibrate"]])
def test_every_command_has_help(capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main([*argv, "--help"])
    assert exc.value.code == 0
    assert "usage: consensus-emulator" in capsys.readouterr().out


def test_weights_file_sets_the_node_count_and_the_leader(capsys, tmp_path):
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"node_weights": {"p1": 5.0, "p2": 60.0, "p3": 20.0}}))
    code, out, _ = run_cli(
        capsys,
        "run",
        "weighted-raft",
        "--weights-from",
        str(path),
        "--rounds",
        "3",
        "--elect-every-round",
        "--json",
    )
    metrics = json.loads(out)["metrics"]
    assert code == 0
    assert json.loads(out)["config"]["n_nodes"] == 3
    assert metrics["leader_counts"] == {"1": 3}


def test_weights_file_disagreeing_with_nodes_is_rejected(capsys, tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"a": 1.0, "b": 2.0}))
    code, _, err = run_cli(capsys, "run", "weighted-raft", "--weights-from", str(path), "--nodes", "5")
    assert code == 2 and "disagrees with the 2 participants" in err


def test_replay_feeds_the_crsm_pool(capsys, tmp_path):
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps({"transactions": [{"time_s": 0.001 * k, "size_bytes": 300} for k in range(45)]})
    )
    code, out, _ = run_cli(
        capsys, "run", "crsm", "--replay", str(path), "--tx", "10", "--rounds", "5", "--json"
    )
    assert code == 0
    assert json.loads(out)["metrics"]["tx_committed"] == 45


def test_reproduce_writes_csv_png_and_summary_repeatably(capsys, tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert main(["reproduce", "crsm-calibration", "--out", str(a), "--jobs", "1", "--no-progress"]) == 0
    assert main(["reproduce", "crsm-calibration", "--out", str(b), "--jobs", "1", "--no-progress"]) == 0
    assert (
        main(
            ["reproduce", "crsm-calibration", "--out", str(c), "--jobs", "1", "--no-progress", "--seed", "5"]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "crsm_calibration" in out and "paper:" in out and "emulated:" in out
    for name in ("crsm_calibration.csv", "crsm_calibration.png", "summary.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "crsm_calibration.csv").read_bytes() != (c / "crsm_calibration.csv").read_bytes()
    assert (a / "crsm_calibration.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv", [["reproduce", "--list"], ["reproduce", "all", "--list"]])
def test_reproduce_lists_the_experiments(capsys, argv):
    assert main(argv) == 0
    listing = capsys.readouterr().out
    for name in ("seed000-fig10", "seed001-tables5-7", "seed002-fig8", "seed003-fig5", "raft-election"):
        assert name in listing
    assert "seed 001:" in listing


def test_reproduce_list_with_a_prefix_lists_only_that_group(capsys):
    assert main(["reproduce", "seed002", "--list"]) == 0
    listing = capsys.readouterr().out
    assert "seed002-fig5" in listing and "seed000" not in listing


def test_reproduce_without_a_name_says_how_to_list(capsys):
    code, out, err = run_cli(capsys, "reproduce")
    assert out == ""
    assert code == 2 and "--list" in err


def test_calibrate_recovers_the_default_costs(capsys):
    from consensus_emulator.config import COSTS

    code, out, _ = run_cli(capsys, "calibrate")
    solved = json.loads(out)["costs"]
    assert code == 0
    for name in ("tx_pack_ms", "tx_verify_ms", "store_ms_per_kb"):
        assert solved[name] == pytest.approx(getattr(COSTS, name), rel=0.01), name


def test_every_protocol_option_names_the_protocols_that_read_it():
    """A new `run` option under "protocol parameters" must be listed in OPTION_PROTOCOLS, or a protocol
    that does not read it would silently ignore it."""
    from consensus_emulator.cli import OPTION_PROTOCOLS, PROTOCOLS, _parser

    run_parser = _parser()._subparsers._group_actions[0].choices["run"]
    group = next(g for g in run_parser._action_groups if g.title == "protocol parameters")
    assert {a.dest for a in group._group_actions} == set(OPTION_PROTOCOLS)
    assert all(users <= set(PROTOCOLS) for users in OPTION_PROTOCOLS.values())


def test_replay_table_says_when_the_stream_did_not_drain(capsys, tmp_path):
    path = tmp_path / "results.json"
    path.write_text(
        json.dumps({"transactions": [{"time_s": 0.001 * k, "size_bytes": 300} for k in range(45)]})
    )
    code, out, _ = run_cli(capsys, "run", "crsm", "--replay", str(path), "--tx", "10", "--rounds", "2")
    assert code == 0
    assert "replay: 20 of 45 transactions committed (NOT drained: the run stopped after 2 rounds" in out
    code, out, _ = run_cli(capsys, "run", "crsm", "--replay", str(path), "--tx", "10", "--rounds", "5")
    assert "replay: 45 of 45 transactions committed\n" in out


def _as_typed(*argv):
    """`consensus-emulator ARGV...` in a subprocess, as a user types it."""
    import subprocess
    import sys
    from pathlib import Path

    command = Path(sys.executable).parent / "consensus-emulator"
    return subprocess.run([str(command), *argv], capture_output=True, text=True, timeout=300)


def test_a_mistyped_option_gets_the_subcommands_usage_and_a_suggestion():
    # argparse answered with the top-level usage and "unrecognized arguments", suggesting nothing
    out = _as_typed("run", "crsm", "--rouns", "3")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.startswith("usage: consensus-emulator run [-h]")
    assert out.stderr.rstrip().endswith(
        "consensus-emulator run: error: unrecognized arguments: --rouns 3; did you mean --rounds?"
    )
    out = _as_typed("reproduce", "--list", "--jbos=2")  # (a prefix such as --job is argparse's --jobs)
    assert out.returncode == 2 and out.stderr.startswith("usage: consensus-emulator reproduce [-h]")
    assert "unrecognized arguments: --jbos=2; did you mean --jobs?" in out.stderr


def test_the_table_counts_a_view_change_after_a_crash_as_a_failover():
    # docs/README_emulator.md's `run pbft --nodes 16 --crash-leader-at 50`: "elections 1" beside
    # "failover time ms 0 measured"; the view change replaced the crashed primary, timed from the crash
    out = _as_typed("run", "pbft", "--nodes", "16", "--crash-leader-at", "50")
    assert out.returncode == 0, out.stderr
    rows = {
        line[2:46].strip(): line[46:].strip() for line in out.stdout.splitlines() if line.startswith("  ")
    }
    assert rows["elections"] == "1"
    assert rows["failover time ms"].startswith("count: 1, mean: ")
    assert rows["failover time ms"] == rows["election time ms"]
