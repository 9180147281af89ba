"""Result storage of a sweep: one file per finished run, the tidy table, the seed summary.

``DIR/runs/<key>.json`` holds one finished run (its settings, seed and metrics) under the
SHA-256 key of its resolved configuration and the emulator's code fingerprint
(`spec.config_key`). A file is written to a temporary name and renamed, so an interrupted
sweep leaves only whole files; a rerun finds them by key and skips those runs (resume).
Changing any setting, or the emulator's code, changes the key.

``DIR/results.csv`` is the tidy table: one row per configuration and seed, in the sweep's
expansion order, columns ``protocol, <axes...>, seed, config_key, <METRICS...>``. Floats
are written with `repr` (shortest round-trip form), so the same sweep file gives the same
bytes whatever machine, worker count or completion order produced it.

``DIR/summary.csv``: one row per configuration (protocol and axis values), for every
metric its mean over seeds and the half-width of its 95 % confidence interval
(Student t, n - 1 degrees of freedom; empty with one seed).
"""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from consensus_emulator.sweep.metrics import METRICS
from consensus_emulator.sweep.spec import SweepRun, code_fingerprint

__all__ = ["ResultStore", "ci95_halfwidth", "write_summary", "write_table"]


class ResultStore:
    """Finished runs on disk under ``<out>/runs``, keyed by configuration hash."""

    def __init__(self, out_dir: Path) -> None:
        self.dir = Path(out_dir) / "runs"
        self.dir.mkdir(parents=True, exist_ok=True)

    def path(self, key: str) -> Path:
        return self.dir / f"{key}.json"

    def done(self) -> set[str]:
        """Keys of the runs already stored."""
        return {p.stem for p in self.dir.glob("*.json")}

    def put(self, run: SweepRun, metrics: dict[str, Any]) -> None:
        """Store one finished run atomically (write a temporary file, then rename)."""
        record = {
            "key": run.key,
            "protocol": run.protocol,
            "coords": dict(run.coords),
            "seed": run.seed,
            "code": code_fingerprint(),
            "config": run.config.to_dict(),
            "metrics": metrics,
        }
        tmp = self.dir / f".{run.key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(record, sort_keys=True, indent=1), encoding="utf-8")
        os.replace(tmp, self.path(run.key))

    def metrics(self, key: str) -> dict[str, Any]:
        return json.loads(self.path(key).read_text(encoding="utf-8"))["metrics"]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    return str(value)


def table_rows(runs: Iterable[SweepRun], store: ResultStore) -> tuple[list[str], list[list[Any]]]:
    """Header and rows of the tidy table (values as Python objects)."""
    runs = list(runs)
    axes = [k for k, _ in runs[0].coords] if runs else []
    header = ["protocol", *axes, "seed", "config_key", *METRICS]
    rows = []
    for run in runs:
        metrics = store.metrics(run.key)
        rows.append(
            [run.protocol, *(v for _, v in run.coords), run.seed, run.key, *(metrics.get(m) for m in METRICS)]
        )
    return header, rows


def write_table(runs: list[SweepRun], store: ResultStore, out_dir: Path) -> Path:
    """Write ``results.csv`` (every run must be stored) and return its path."""
    header, rows = table_rows(runs, store)
    path = Path(out_dir) / "results.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
    return path


def ci95_halfwidth(values: np.ndarray) -> float:
    """Half-width of the 95 % Student-t confidence interval of the mean (nan for < 2 values)."""
    from scipy.special import stdtrit  # Student t quantile; lighter to import than scipy.stats

    values = np.asarray(values, dtype=float)
    if values.size < 2:
        return math.nan
    sem = float(values.std(ddof=1)) / math.sqrt(values.size)
    return float(stdtrit(values.size - 1, 0.975)) * sem


def group_by_configuration(
    runs: list[SweepRun], store: ResultStore
) -> dict[tuple[str, tuple[tuple[str, Any], ...]], list[dict[str, Any]]]:
    """(protocol, coords) -> the metrics of its seeds, in the sweep's order."""
    groups: dict[tuple[str, tuple[tuple[str, Any], ...]], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run.protocol, run.coords), []).append(store.metrics(run.key))
    return groups


def _values(seeds: list[dict[str, Any]], metric: str) -> np.ndarray:
    return np.array([m[metric] for m in seeds if m.get(metric) is not None], dtype=float)


def write_summary(runs: list[SweepRun], store: ResultStore, out_dir: Path) -> Path:
    """Write ``summary.csv``: per configuration, each metric's mean and 95 % CI half-width."""
    groups = group_by_configuration(runs, store)
    axes = [k for k, _ in runs[0].coords] if runs else []
    header = ["protocol", *axes, "seeds"]
    for m in METRICS:
        header += [f"{m}_mean", f"{m}_ci95"]
    path = Path(out_dir) / "summary.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        for (protocol, coords), seeds in groups.items():
            row: list[Any] = [protocol, *(v for _, v in coords), len(seeds)]
            for m in METRICS:
                vals = _values(seeds, m)
                row += [float(vals.mean()) if vals.size else None, ci95_halfwidth(vals)]
            writer.writerow([_cell(v) for v in row])
    return path
