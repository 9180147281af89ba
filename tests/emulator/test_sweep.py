"""Parameter sweeps: the sweep file is checked before anything runs, runs are resumable by
configuration hash, and the table does not depend on where the runs were computed."""

import csv
import json
from pathlib import Path

import pytest

from consensus_emulator.cli import main
from consensus_emulator.config import ConfigError
from consensus_emulator.sweep import executor, runner
from consensus_emulator.sweep import spec as spec_module
from consensus_emulator.sweep.executor import map_tasks
from consensus_emulator.sweep.metrics import METRICS
from consensus_emulator.sweep.runner import run_sweep
from consensus_emulator.sweep.spec import Range, config_key, expand, load_sweep, parse_sweep, zipf_weights

TINY = (Path(__file__).parent / "tiny_sweep.yaml").read_text()


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY)
    return path


def _square(x):
    return x * x


def test_the_table_has_one_row_per_configuration_and_seed_and_a_column_per_metric(tiny, tmp_path):
    report = run_sweep(tiny, tmp_path / "out", workers=0, progress=False)
    with report.table.open() as fh:
        rows = list(csv.DictReader(fh))
    assert report.runs == len(rows) == 2 * 2 * 2 * 2
    assert list(rows[0]) == ["protocol", "nodes", "crashed", "seed", "config_key", *METRICS]
    assert [(r["protocol"], r["nodes"], r["crashed"], r["seed"]) for r in rows[:3]] == [
        ("pbft", "4", "0", "0"),
        ("pbft", "4", "0", "1"),
        ("pbft", "4", "1", "0"),
    ]
    assert len({r["config_key"] for r in rows}) == len(rows)
    assert all(float(r["tps_mean"]) > 0 for r in rows)  # f <= 1 of 4 or 7 nodes: every block commits
    assert {p.name for p in report.plots} == {"tps_mean_vs_nodes.png", "tps_mean_vs_crashed.png"}
    assert (tmp_path / "out" / "summary.csv").read_text().count("\n") == 1 + 2 * 2 * 2


def test_a_local_cluster_of_two_workers_gives_the_serial_table(tiny, tmp_path):
    serial = run_sweep(tiny, tmp_path / "serial", workers=0, progress=False)
    dask = run_sweep(tiny, tmp_path / "dask", workers=2, progress=False)
    assert dask.ran == serial.ran == 16
    assert dask.table.read_bytes() == serial.table.read_bytes()
    assert dask.summary.read_bytes() == serial.summary.read_bytes()


def test_a_rerun_skips_finished_runs_and_runs_only_the_missing(tiny, tmp_path, monkeypatch):
    out = tmp_path / "out"
    first = run_sweep(tiny, out, workers=0, progress=False)
    table = first.table.read_bytes()
    simulated = []
    real = runner.run_config
    monkeypatch.setattr(runner, "run_config", lambda cfg: simulated.append(cfg) or real(cfg))

    again = run_sweep(tiny, out, workers=0, progress=False)
    assert (again.reused, again.ran, simulated) == (16, 0, [])
    assert again.table.read_bytes() == table

    lost = sorted((out / "runs").glob("*.json"))[:3]  # as if interrupted before these finished
    for path in lost:
        path.unlink()
    resumed = run_sweep(tiny, out, workers=0, progress=False)
    assert (resumed.reused, resumed.ran) == (13, 3)
    assert sorted(config_key(cfg) for cfg in simulated) == sorted(p.stem for p in lost)
    assert resumed.table.read_bytes() == table


def test_changing_a_setting_changes_the_key_so_the_run_is_redone(tiny, tmp_path):
    out = tmp_path / "out"
    run_sweep(tiny, out, workers=0, progress=False)
    tiny.write_text(TINY.replace("block_tx: 50", "block_tx: 60"))
    report = run_sweep(tiny, out, workers=0, progress=False)
    assert (report.reused, report.ran) == (0, 16)


def test_changing_the_emulator_code_changes_every_key(tiny, tmp_path, monkeypatch):
    out = tmp_path / "out"
    run_sweep(tiny, out, workers=0, progress=False)
    monkeypatch.setattr(spec_module, "code_fingerprint", lambda: "a-fixed-protocol")
    report = run_sweep(tiny, out, workers=0, progress=False)
    assert (report.reused, report.ran) == (0, 16)


def test_a_bad_axis_name_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.yaml"
    bad.write_text(TINY.replace("crashed: {", "crashd: {"))
    monkeypatch.setattr(executor, "map_tasks", lambda *a, **k: pytest.fail("a run started"))
    monkeypatch.setattr(runner, "map_tasks", lambda *a, **k: pytest.fail("a run started"))

    code = main(["sweep", str(bad), "--out", str(tmp_path / "out"), "--workers", "0"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{bad}: axes.crashd: unknown option 'crashd'; did you mean 'crashed'?" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"fixd": {}}, "fixd: unknown key 'fixd'; did you mean 'fixed'?"),
        ({"protocols": ["pbtf"]}, "protocols.pbtf: unknown protocol 'pbtf'; did you mean 'pbft'?"),
        ({"axes": {"nodes": {"start": 4, "stop": 8, "stpe": 1}}}, "axes.nodes.stpe: Extra inputs"),
        ({"axes": {"nodes": [4], "domains": [1]}}, "axes.domains: domains applies to crsm only, not to pbft"),
        ({"protocols": {"pbft": {"view_timeout_ms": 9}}}, "did you mean 'view_change_timeout_ms'?"),
        ({"axes": {"nodes": [4, "many"]}}, "axes.nodes: nodes must be an integer, got 'many'"),
        ({"axes": {"nodes": [4, 3]}}, "run protocol=pbft, nodes=3: PBFT needs n >= 4 nodes"),
        ({"axes": {"nodes": []}}, "axes.nodes: an axis needs at least one value"),
        ({"fixed": {"nodes": 4}}, "axes.nodes: also set in fixed"),
        ({"plots": ["tps_meen"]}, "plots.tps_meen: unknown metric; did you mean 'tps_mean'?"),
    ],
)
def test_sweep_file_errors_name_the_path_and_the_fix(change, message):
    data = {"name": "t", "protocols": ["pbft"], "axes": {"nodes": [4, 7]}, "seeds": 2, **change}
    with pytest.raises(ConfigError) as exc:
        expand(parse_sweep(data, "s.yaml"), "s.yaml")
    assert message in str(exc.value)
    assert str(exc.value).startswith("s.yaml: ")


def test_a_duplicate_key_in_the_yaml_is_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text(TINY + "seeds: 3\n")
    with pytest.raises(ConfigError, match="line 10: duplicate key 'seeds'"):
        load_sweep(path)


def test_ranges_are_inclusive_and_shares_round_to_the_nearest_node():
    assert Range(start=0.0, stop=0.5, step=0.1).values() == [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    assert Range(start=16, stop=64, step=16).values() == [16, 32, 48, 64]
    spec = parse_sweep(
        {
            "name": "t",
            "protocols": ["raft"],
            "fixed": {"nodes": 16},
            "axes": {"crashed_share": [0.1, 0.3, 0.5]},
        }
    )
    assert [r.config.faults.n_crashed for r in expand(spec)] == [2, 5, 8]  # 1.6, 4.8, 8.0 nodes


def test_derived_options_set_crsm_domains_and_zipf_weights():
    spec = parse_sweep(
        {
            "name": "t",
            "protocols": {"crsm": {"nodes_per_domain": 5}, "weighted-raft": {"weight_skew": 1.0}},
            "fixed": {"nodes": 16},
        }
    )
    crsm, weighted = expand(spec)
    assert crsm.config.params.domains == 3
    assert weighted.config.params.weights == zipf_weights(16, 1.0)
    assert zipf_weights(3, 0.0) == (100.0, 100.0, 100.0)
    assert zipf_weights(3, 2.0) == (100.0, 25.0, round(100 / 9, 12))


def test_map_tasks_returns_results_in_task_order_and_reports_each_result():
    seen = []
    assert map_tasks(
        _square, [3, 1, 2], workers=0, progress=False, on_result=lambda i, r: seen.append((i, r))
    ) == [
        9,
        1,
        4,
    ]
    assert seen == [(0, 9), (1, 1), (2, 4)]
    with pytest.raises(ValueError, match="not both"):
        map_tasks(_square, [1], workers=2, scheduler="tcp://127.0.0.1:1")


def test_map_tasks_on_a_local_cluster_keeps_the_task_order():
    seen = {}
    out = map_tasks(_square, list(range(7)), workers=2, progress=False, on_result=seen.__setitem__)
    assert out == [x * x for x in range(7)]
    assert seen == dict(enumerate(out))


def test_a_failing_task_raises_its_own_error_naming_the_task():
    with pytest.raises(ZeroDivisionError) as exc:
        map_tasks(lambda x: 1 / x, [1, 0], workers=0, progress=False)
    assert "(while running task 1)" in exc.value.__notes__


def test_the_shipped_sweeps_are_valid():
    sizes = {}
    for name in ("seed000_fig10_extended", "weighted_raft_skew"):
        path = Path(__file__).parents[2] / "sweeps" / f"{name}.yaml"
        sizes[name] = len(expand(load_sweep(path), path))
    assert sizes == {"seed000_fig10_extended": 4 * 3 * 6 * 5, "weighted_raft_skew": 5 * 3 * 5}


def test_sweep_json_records_the_checked_file(tiny, tmp_path):
    run_sweep(tiny, tmp_path / "out", workers=0, progress=False)
    saved = json.loads((tmp_path / "out" / "sweep.json").read_text())
    assert saved["axes"]["crashed"] == {"start": 0, "stop": 1, "step": 1}
    assert saved["seeds"] == 2


def test_the_sweep_command_has_help_and_refuses_workers_with_a_scheduler(tiny, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["sweep", "--help"])
    assert exc.value.code == 0
    assert "--scheduler tcp://HOST:PORT" in capsys.readouterr().out
    argv = ["sweep", str(tiny), "--out", str(tmp_path / "out"), "--workers", "2", "--scheduler", "tcp://x:1"]
    assert main(argv) == 2
    assert "not both" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_the_sweep_command_prints_where_the_files_went(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(tiny), "--out", str(out), "--workers", "0", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "sweep tiny: 16 runs (0 reused" in printed
    assert f"table:   {out / 'results.csv'}" in printed


def test_reproduce_runs_its_items_through_the_sweep_executor(tmp_path, monkeypatch):
    from consensus_emulator.reproduce.runner import run_items

    calls = []

    def spy(func, tasks, **kwargs):
        calls.append((list(tasks), kwargs["workers"]))
        return map_tasks(func, tasks, **{**kwargs, "workers": 0})

    monkeypatch.setattr(executor, "map_tasks", spy)
    results = run_items(["crsm-calibration"], 0, tmp_path, workers=2, progress=False)
    assert calls == [(["crsm-calibration"], 2)]
    assert [s.name for s in results["crsm-calibration"]] == ["crsm_calibration"]
