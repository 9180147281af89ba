"""Raft leader failover: a real 5-member etcd cluster on this machine vs the emulator.

``consensus-emulator validate etcd`` (or `run_validation`) does, for each
(`--heartbeat-interval`, `--election-timeout`) setting:

1. starts five etcd members (Debian's ``etcd-server``, installed with apt-get when missing)
   on 127.0.0.1, each with its own data directory on disk;
2. puts every peer connection through a loopback delay proxy (`delay_proxy`) that holds each
   byte `delay_ms` in each direction, so that a peer round trip takes about 2 x `delay_ms`
   (15 ms by default, the Raft paper's broadcast time). The kernel's ``netem`` would be the
   usual tool (``tc qdisc add dev ... netem delay``), but this machine's kernel has no
   sch_netem ("Specified qdisc kind is unknown"), so the delay is applied in user space; the
   members then need no network namespaces and everything stays on loopback;
3. repeatedly kills the leader with SIGKILL at a random moment, and measures
   (a) the election time: from the kill to the "became leader" line that the new leader's
   raft logs (zap JSON, millisecond timestamps), and (b) the write time: from the kill to
   the first ``/v3/kv/put`` (gRPC gateway, sent every few ms to the survivors) that
   succeeds; then restarts the killed member and waits until all five agree on a leader;
4. reads the measured peer round-trip time and WAL fsync time from the members' /metrics
   and runs the emulator with the same parameters: etcd's rules (`etcd_params`) - timeouts
   counted in heartbeat ticks and drawn from [T, 2T) ticks, vote persisted before it is sent,
   CheckQuorum lease, timers reset by any higher term - on a network with the measured
   one-way delay and a disk with the measured fsync time.

Both distributions are printed side by side (median, p90, p99, max) with a verdict per setting:
the emulated median and p90 must lie within `TOLERANCE` (±15 %, the raft-election item's) of the
real cluster's (`misses`). They are written as CSV
(``etcd_trials.csv`` per trial, ``etcd_summary.csv`` per setting) and plotted as CDFs
(``etcd_cdf.png``). Wall times are those of a shared machine (other processes load the
CPUs), which adds noise to the real cluster's numbers.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np

from consensus_emulator.config import RAFT_PAPER, CostConfig, RaftParams
from consensus_emulator.validation.raft_paper import TOLERANCE

__all__ = [
    "TOLERANCE",
    "EtcdCluster",
    "EtcdError",
    "Setting",
    "emulate_setting",
    "ensure_etcd",
    "etcd_params",
    "format_table",
    "misses",
    "run_validation",
    "verdict",
]

HOST = "127.0.0.1"
MEMBERS = 5
LEADER_LINE = re.compile(r"became leader at term (\d+)")


class EtcdError(RuntimeError):
    """The real cluster could not be installed, started or measured; the message says why."""


@dataclass(frozen=True)
class Setting:
    """One etcd configuration: ``--heartbeat-interval`` and ``--election-timeout`` (ms)."""

    heartbeat_ms: int
    election_ms: int

    @property
    def label(self) -> str:
        return f"hb{self.heartbeat_ms}-et{self.election_ms}"

    @classmethod
    def parse(cls, text: str) -> Setting:
        """``"HEARTBEAT:ELECTION"`` in ms, e.g. ``"25:150"``; etcd wants election >= 5 x heartbeat."""
        try:
            hb, et = (int(x) for x in text.split(":"))
        except ValueError as exc:
            raise ValueError(f"setting {text!r} must be HEARTBEAT_MS:ELECTION_MS, e.g. 25:150") from exc
        if hb <= 0 or et < 5 * hb:
            raise ValueError(f"setting {text!r}: etcd needs heartbeat > 0 and election >= 5 x heartbeat")
        return cls(hb, et)


def etcd_params(setting: Setting) -> RaftParams:
    """The emulator's Raft rules as etcd 3.4 (go.etcd.io/etcd/raft) applies them.

    Ticks of ``--heartbeat-interval``; a follower campaigns when its elapsed ticks reach a
    timeout drawn from [T, 2T - 1] ticks (``electionTimeout + rand.Intn(electionTimeout)``);
    the leader heartbeats every tick; a Ready's HardState (term + vote) is fsynced in one write
    before a non-leader's messages are sent; any message of a higher term makes the node a
    follower with a fresh timeout (``becomeFollower`` -> ``reset``); CheckQuorum is on in etcd
    servers, so a follower that heard its leader within the election timeout ignores votes.
    PreVote is off by default in 3.4.
    """
    hb, et = setting.heartbeat_ms, setting.election_ms
    ticks = max(1, round(et / hb))
    return RaftParams(
        timeout_min_ms=ticks * hb,
        timeout_max_ms=(2 * ticks - 1) * hb,
        heartbeat_ms=float(hb),
        timeout_granularity_ms=float(hb),
        tick_ms=float(hb),
        persist_vote_before_request=True,
        reset_timer_on_new_term=True,
        vote_writes=1,
        check_quorum=True,
    )


def emulate_setting(
    setting: Setting,
    *,
    one_way_ms: float,
    fsync_ms: float,
    trials: int,
    jitter_ms: float = 0.1,
    seed: int = 0,
) -> np.ndarray:
    """Emulated election times (ms) from the leader's crash, etcd rules, 5 servers, equal logs, one disk.

    one_way_ms: fixed one-way link delay; jitter_ms: mean of the exponential extra delay;
    fsync_ms: one stable-storage write.
    """
    from consensus_emulator.protocols.raft import leader_failover_trial

    params = etcd_params(setting)
    network = replace(
        RAFT_PAPER, base_latency_ms=max(0.0, one_way_ms), jitter="exponential", jitter_ms=max(0.0, jitter_ms)
    )
    costs = CostConfig(persist_ms=max(0.0, fsync_ms))
    return np.array(
        [
            leader_failover_trial(
                params.timeout_min_ms,
                params.timeout_max_ms,
                seed=seed * 1_000_003 + t,
                network=network,
                costs=costs,
                params=params,
                distinct_logs=False,
                shared_disk=True,  # the five members share this machine's disk
                cap_ms=20_000.0,
            )
            for t in range(trials)
        ]
    )


# --------------------------------------------------------------------------- installing
def ensure_etcd() -> str:
    """Path of the etcd binary; installs Debian's etcd-server with apt-get when missing (root only)."""
    found = shutil.which("etcd")
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise EtcdError(
            "etcd is not installed; install Debian's package as root: apt-get install -y etcd-server"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "etcd-server"]
    if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=False)
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise EtcdError(f"apt-get install etcd-server failed: {done.stderr.strip()[-300:]}")
    found = shutil.which("etcd")
    if not found:
        raise EtcdError("apt-get installed etcd-server but no etcd binary is on PATH")
    return found


def _raise_priority() -> None:
    """Run the delay proxy ahead of the etcd members on the shared CPUs (root only).

    The proxy stands in for the network, which in a real cluster does not compete with the
    servers for CPU; without this, a burst of elections on two busy cores stretches its delays.
    """
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, 0, -10)


def _free_ports(count: int) -> list[int]:
    socks = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind((HOST, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _post(port: int, path: str, body: dict, timeout: float) -> dict:
    req = urllib.request.Request(f"http://{HOST}:{port}{path}", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return json.loads(resp.read() or b"{}")


def _parse_ts(ts: str) -> float:
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp()


# --------------------------------------------------------------------------- the cluster
@dataclass
class EtcdCluster:
    """Five etcd members on loopback whose peer traffic passes a delay proxy (see module doc)."""

    setting: Setting
    delay_ms: float
    workdir: Path
    etcd: str = "etcd"
    procs: list[subprocess.Popen | None] = field(default_factory=list)
    proxy: subprocess.Popen | None = None

    def __post_init__(self) -> None:
        ports = _free_ports(3 * MEMBERS)
        self.client = ports[:MEMBERS]
        self.peer = ports[MEMBERS : 2 * MEMBERS]
        self.proxied = ports[2 * MEMBERS :]
        self.names = [f"m{i}" for i in range(MEMBERS)]
        self.logs = [self.workdir / f"{n}.log" for n in self.names]
        self.procs = [None] * MEMBERS
        self.ids: dict[str, int] = {}

    # ---------------------------------------------------------------- processes
    def start(self, timeout_s: float = 30.0) -> None:
        pairs = [f"{p}:{t}" for p, t in zip(self.proxied, self.peer, strict=True)]
        proxy_cmd = [sys.executable, "-m", "consensus_emulator.validation.delay_proxy"]
        self.proxy = subprocess.Popen(
            [*proxy_cmd, "--delay-ms", str(self.delay_ms), *pairs],
            preexec_fn=_raise_priority,
            stdout=subprocess.PIPE,
            text=True,
        )
        if self.proxy.stdout is None or self.proxy.stdout.readline().strip() != "ready":
            raise EtcdError("the delay proxy did not start")
        for i in range(MEMBERS):
            self._spawn(i, new=True)
        self.wait_stable(timeout_s)
        for i in range(MEMBERS):
            self.ids[str(_post(self.client[i], "/v3/maintenance/status", {}, 2.0)["header"]["member_id"])] = i

    def _spawn(self, i: int, *, new: bool) -> None:
        cluster = ",".join(f"{n}=http://{HOST}:{p}" for n, p in zip(self.names, self.proxied, strict=True))
        cmd = [
            self.etcd,
            "--name", self.names[i],
            "--data-dir", str(self.workdir / self.names[i]),
            "--listen-client-urls", f"http://{HOST}:{self.client[i]}",
            "--advertise-client-urls", f"http://{HOST}:{self.client[i]}",
            "--listen-peer-urls", f"http://{HOST}:{self.peer[i]}",
            "--initial-advertise-peer-urls", f"http://{HOST}:{self.proxied[i]}",
            "--initial-cluster", cluster,
            "--initial-cluster-token", f"raft-validation-{os.getpid()}",
            "--initial-cluster-state", "new",
            "--heartbeat-interval", str(self.setting.heartbeat_ms),
            "--election-timeout", str(self.setting.election_ms),
            "--logger", "zap",
            "--log-outputs", "stderr",
        ]  # fmt: skip
        log = open(self.logs[i], "a")  # noqa: SIM115 - the child process keeps it
        self.procs[i] = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log)
        log.close()

    def stop(self) -> None:
        for proc in [*self.procs, self.proxy]:
            if proc is not None and proc.poll() is None:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        self.procs = [None] * MEMBERS
        self.proxy = None

    # ---------------------------------------------------------------- queries
    def status(self, i: int, timeout: float = 0.5) -> dict | None:
        try:
            return _post(self.client[i], "/v3/maintenance/status", {}, timeout)
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def wait_stable(self, timeout_s: float) -> int:
        """Wait until every running member names the same leader; return its index."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            running = [i for i in range(MEMBERS) if self.procs[i] is not None]
            states = [self.status(i) for i in running]
            leaders = {s.get("leader") for s in states if s}
            if all(states) and len(leaders) == 1 and None not in leaders and "0" not in leaders:
                leader = leaders.pop()
                if not self.ids:
                    return -1
                if str(leader) in self.ids:
                    return self.ids[str(leader)]
            time.sleep(0.05)
        raise EtcdError(f"etcd cluster ({self.setting.label}) had no agreed leader within {timeout_s:.0f} s")

    def peer_rtt(self, samples: int = 40) -> dict[str, float]:
        """Round trip (ms) of a small request on a kept-alive peer connection through the proxy.

        GET /version on member 0's peer port, through its proxy and directly; returns the
        proxied round trip's minimum and mean (the proxy's timer and the shared CPUs add
        a load-dependent excess over 2 x delay_ms) and the direct one's median.
        """
        import http.client

        def times(port: int) -> np.ndarray:
            conn = http.client.HTTPConnection(HOST, port, timeout=2.0)
            out = []
            try:
                for _ in range(samples):
                    t = time.perf_counter()
                    conn.request("GET", "/version")
                    conn.getresponse().read()
                    out.append((time.perf_counter() - t) * 1000.0)
            finally:
                conn.close()
            return np.array(out[2:])  # the first requests include the connection set-up

        proxied, direct = times(self.proxied[0]), times(self.peer[0])
        return {
            "min": float(proxied.min()),
            "mean": float(proxied.mean()),
            "direct": float(np.median(direct)),
        }

    def metrics(self) -> dict[str, float]:
        """Mean peer round trip and WAL fsync time (ms) over all running members' /metrics."""
        sums = {"rtt": [0.0, 0.0], "fsync": [0.0, 0.0]}
        names = {
            "etcd_network_peer_round_trip_time_seconds": "rtt",
            "etcd_disk_wal_fsync_duration_seconds": "fsync",
        }
        for i in range(MEMBERS):
            if self.procs[i] is None:
                continue
            try:
                with urllib.request.urlopen(f"http://{HOST}:{self.client[i]}/metrics", timeout=2.0) as r:
                    text = r.read().decode()
            except OSError:
                continue
            for line in text.splitlines():
                for prefix, key in names.items():
                    if line.startswith(prefix + "_sum"):
                        sums[key][0] += float(line.split()[-1])
                    elif line.startswith(prefix + "_count"):
                        sums[key][1] += float(line.split()[-1])
        return {k: (1000.0 * s / c if c else math.nan) for k, (s, c) in sums.items()}

    # ---------------------------------------------------------------- one trial
    def failover_trial(self, rng: random.Random, cap_s: float = 10.0) -> tuple[float, float]:
        """Kill the leader; return (election ms, first successful write ms) after the kill."""
        leader = self.wait_stable(30.0)
        survivors = [i for i in range(MEMBERS) if i != leader]
        offsets = [self.logs[i].stat().st_size for i in survivors]
        time.sleep(rng.uniform(0.0, self.setting.heartbeat_ms / 1000.0))
        proc = self.procs[leader]
        assert proc is not None
        t_kill = time.time()
        proc.send_signal(signal.SIGKILL)
        write_ms = self._first_write(survivors, t_kill, cap_s)
        proc.wait(timeout=5)
        self.procs[leader] = None
        election_ms = math.inf
        deadline = time.monotonic() + 2.0
        while not math.isfinite(election_ms) and time.monotonic() < deadline:
            election_ms = self._election_from_logs(survivors, offsets, t_kill)
            if not math.isfinite(election_ms):
                time.sleep(0.05)
        self._spawn(leader, new=False)
        return election_ms, write_ms

    def _election_from_logs(self, survivors: list[int], offsets: list[int], t_kill: float) -> float:
        first = math.inf
        for i, off in zip(survivors, offsets, strict=True):
            with open(self.logs[i], "rb") as fh:
                fh.seek(off)
                for raw in fh:
                    try:
                        line = json.loads(raw)
                    except ValueError:
                        continue
                    if LEADER_LINE.search(str(line.get("msg", ""))):
                        first = min(first, _parse_ts(line["ts"]))
        # zap timestamps are truncated to the millisecond: compare with the kill time truncated too
        return (first - math.floor(t_kill * 1000.0) / 1000.0) * 1000.0 if math.isfinite(first) else math.inf

    def _first_write(self, survivors: list[int], t_kill: float, cap_s: float) -> float:
        """Send a put to a survivor every 10 ms (up to 8 in flight); ms from the kill to the first success.

        A put reaching a member without a leader hangs (etcd drops the proposal and the
        request waits for its timeout), so each attempt gives up after 100 ms. The probe is
        kept light: it shares the two CPUs with the cluster, and a heavier one slowed the
        election it measures.
        """
        done = threading.Event()
        result: list[float] = []
        lock = threading.Lock()
        inflight = threading.Semaphore(8)
        key = base64.b64encode(b"raft-validation").decode()

        def attempt(port: int, k: int) -> None:
            try:
                value = base64.b64encode(str(k).encode()).decode()
                _post(port, "/v3/kv/put", {"key": key, "value": value}, timeout=0.1)
                with lock:
                    if not done.is_set():
                        result.append(time.time())
                        done.set()
            except (OSError, ValueError, urllib.error.URLError):
                pass
            finally:
                inflight.release()

        k = 0
        threads = []
        while not done.is_set() and time.time() - t_kill < cap_s:
            if inflight.acquire(timeout=0.01):
                th = threading.Thread(target=attempt, args=(self.client[survivors[k % len(survivors)]], k))
                th.daemon = True
                th.start()
                threads.append(th)
                k += 1
            done.wait(0.01)
        for th in threads:
            th.join(timeout=1.5)
        return (result[0] - t_kill) * 1000.0 if result else math.inf


# --------------------------------------------------------------------------- the run
def _stats(times: np.ndarray) -> dict[str, float]:
    from consensus_emulator.validation.raft_paper import failover_stats

    return failover_stats(times)


def run_validation(
    out: Path,
    *,
    settings: list[Setting],
    trials: int,
    delay_ms: float = 7.5,
    emulated_trials: int = 1000,
    seed: int = 0,
    log=print,
) -> list[dict]:
    """Measure the real cluster and the emulator for each setting; write CSV + PNG to `out`.

    Args:
        out: output directory (created).
        settings: the etcd configurations to measure.
        trials: leader kills per setting on the real cluster.
        delay_ms: one-way delay the proxy adds to every peer connection (ms).
        emulated_trials: emulated failovers per setting.
        seed: seeds the kill timing and the emulator.
        log: where progress lines go.

    Returns:
        One summary dict per setting (also written to ``etcd_summary.csv``).
    """
    etcd = ensure_etcd()
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    summaries: list[dict] = []
    raw_rows: list[list] = []
    curves: dict[str, dict[str, np.ndarray]] = {}
    for setting in settings:
        with tempfile.TemporaryDirectory(prefix="raft-etcd-", dir=os.environ.get("RAFT_ETCD_DIR")) as tmp:
            cluster = EtcdCluster(setting, delay_ms, Path(tmp), etcd)
            try:
                cluster.start()
                rtt = cluster.peer_rtt()
                log(
                    f"{setting.label}: peer round trip through the proxy min {rtt['min']:.1f} ms, "
                    f"mean {rtt['mean']:.1f} ms (direct {rtt['direct']:.2f} ms)"
                )
                elections, writes = [], []
                for t in range(trials):
                    e_ms, w_ms = cluster.failover_trial(rng)
                    elections.append(e_ms)
                    writes.append(w_ms)
                    raw_rows.append([setting.label, "etcd", t, e_ms, w_ms])
                    log(
                        f"  {setting.label} trial {t + 1}/{trials}: "
                        f"election {e_ms:.0f} ms, write {w_ms:.0f} ms"
                    )
                cluster.wait_stable(30.0)
                measured = cluster.metrics()
                # pool with a second sample after the kills, so that one load spike on the shared
                # CPUs does not set the emulated link alone
                after = cluster.peer_rtt()
                rtt = {
                    "min": min(rtt["min"], after["min"]),
                    "mean": (rtt["mean"] + after["mean"]) / 2.0,
                    "direct": rtt["direct"],
                }
            finally:
                cluster.stop()
        fsync = measured["fsync"] if math.isfinite(measured["fsync"]) else 0.0
        # the emulated link: the measured minimum one-way time, plus exponential jitter with the
        # measured mean excess (the request's own processing is in the round trip, so halve it)
        one_way = rtt["min"] / 2.0
        jitter = max(0.0, (rtt["mean"] - rtt["min"]) / 2.0)
        emulated = emulate_setting(
            setting, one_way_ms=one_way, jitter_ms=jitter, fsync_ms=fsync, trials=emulated_trials, seed=seed
        )
        for t, e_ms in enumerate(emulated):
            raw_rows.append([setting.label, "emulator", t, float(e_ms), math.nan])
        real = np.array(elections)
        curves[setting.label] = {"etcd": real, "emulator": emulated, "etcd write": np.array(writes)}
        rs, es, ws = _stats(real), _stats(emulated), _stats(np.array(writes))
        summary = {
            "setting": setting.label,
            "heartbeat_ms": setting.heartbeat_ms,
            "election_timeout_ms": setting.election_ms,
            "trials_etcd": trials,
            "trials_emulated": emulated_trials,
            "peer_rtt_min_ms": rtt["min"],
            "peer_rtt_mean_ms": rtt["mean"],
            "wal_fsync_ms": measured["fsync"],
        }
        for stat in ("median", "p90", "p99", "max"):
            summary[f"etcd_{stat}_ms"] = rs[stat]
            summary[f"emulated_{stat}_ms"] = es[stat]
            summary[f"{stat}_error"] = (es[stat] - rs[stat]) / rs[stat] if rs[stat] else math.nan
            summary[f"etcd_write_{stat}_ms"] = ws[stat]
        summaries.append(summary)
        log(format_table([summary]))
    _write_csv(out / "etcd_trials.csv", ["setting", "source", "trial", "election_ms", "write_ms"], raw_rows)
    _write_csv(out / "etcd_summary.csv", list(summaries[0]), [list(s.values()) for s in summaries])
    _plot(out / "etcd_cdf.png", curves)
    return summaries


def misses(summary: dict, tolerance: float = TOLERANCE) -> list[str]:
    """The figures of one setting's summary outside `tolerance` (a fraction of etcd's value):
    "median" and/or "p90" of the election time; a missing (NaN) error is a miss."""
    return [
        stat
        for stat in ("median", "p90")
        if not abs(summary[f"{stat}_error"]) <= tolerance + 1e-12  # NaN compares False: a miss
    ]


def verdict(summary: dict, tolerance: float = TOLERANCE) -> str:
    """A setting's verdict: "within ±15 %" or "MISS p90" / "MISS median, p90"."""
    missed = misses(summary, tolerance)
    return f"MISS {', '.join(missed)}" if missed else f"within ±{100 * tolerance:g} %"


def format_table(summaries: list[dict]) -> str:
    """Side-by-side table: election time after a leader kill, etcd vs emulator (ms), with the relative
    errors (emulated - etcd) / etcd and the verdict against `TOLERANCE`."""
    head = (
        f"{'setting':16s} {'rtt':>5s} {'fsync':>5s} | {'etcd median/p90/p99/max':>25s} | "
        f"{'emulated median/p90/p99/max':>27s} | {'median err':>10s} {'p90 err':>8s} | "
        f"{f'verdict (±{100 * TOLERANCE:g} %)':16s} | {'etcd write median/p90':>21s}"
    )
    lines = [head, "-" * len(head)]
    for s in summaries:
        real = "/".join(f"{s[f'etcd_{k}_ms']:.0f}" for k in ("median", "p90", "p99", "max"))
        emu = "/".join(f"{s[f'emulated_{k}_ms']:.0f}" for k in ("median", "p90", "p99", "max"))
        write = "/".join(f"{s[f'etcd_write_{k}_ms']:.0f}" for k in ("median", "p90"))
        lines.append(
            f"{s['setting']:16s} {s['peer_rtt_mean_ms']:5.1f} {s['wal_fsync_ms']:5.2f} | "
            f"{real:>25s} | {emu:>27s} | "
            f"{s['median_error']:+10.1%} {s['p90_error']:+8.1%} | {verdict(s):16s} | {write:>21s}"
        )
    return "\n".join(lines)


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def _plot(path: Path, curves: dict[str, dict[str, np.ndarray]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curves), figsize=(4.5 * len(curves), 3.8), squeeze=False)
    for ax, (label, series) in zip(axes[0], curves.items(), strict=True):
        for name, style in (("etcd", "-"), ("emulator", "--"), ("etcd write", ":")):
            t = np.sort(series[name])
            t = t[np.isfinite(t)]
            if t.size:
                ax.step(t, np.arange(1, t.size + 1) / t.size, style, where="post", label=name)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("time after leader kill (ms)")
        ax.set_ylabel("cumulative fraction")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
