"""The same sweep on a real Dask cluster (`dask scheduler` + two `dask worker` processes on
127.0.0.1) gives the table computed serially in this process."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consensus_emulator.sweep.runner import run_sweep

DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")


def _start(argv, cwd, log):
    # A new session, so the cleanup can stop each process (and its nanny's child) by its group id.
    return subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def dask_cluster(tmp_path):
    """A scheduler on a free port of 127.0.0.1 and two single-threaded workers; yields its address."""
    assert DASK, "the dask command line (distributed) is not installed"
    work = tmp_path / "cluster"
    work.mkdir()
    log = (work / "cluster.log").open("w")
    scheduler_file = work / "scheduler.json"
    scheduler_argv = ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard"]
    procs = [
        _start(
            [DASK, *scheduler_argv, "--scheduler-file", str(scheduler_file)],
            work,
            log,
        )
    ]
    try:
        deadline = time.monotonic() + 120
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            assert procs[0].poll() is None, (work / "cluster.log").read_text()
            assert time.monotonic() < deadline, "dask scheduler did not start in 120 s"
            time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker_argv = ["worker", address, "--host", "127.0.0.1", "--nworkers", "1", "--nthreads", "1"]
        for i in range(2):
            own = ["--no-dashboard", "--name", f"w{i}", "--local-directory", str(work / f"w{i}")]
            procs.append(_start([DASK, *worker_argv, *own], work, log))
        from distributed import Client

        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
            assert len(client.scheduler_info()["workers"]) == 2
        yield address
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()


def test_a_dask_scheduler_with_two_workers_gives_the_serial_table(dask_cluster, tmp_path):
    spec = Path(__file__).parent / "tiny_sweep.yaml"
    serial = run_sweep(spec, tmp_path / "serial", workers=0, progress=False)
    remote = run_sweep(spec, tmp_path / "remote", scheduler=dask_cluster, progress=False)
    assert remote.ran == serial.ran == 16
    assert remote.table.read_bytes() == serial.table.read_bytes()
    assert remote.summary.read_bytes() == serial.summary.read_bytes()
