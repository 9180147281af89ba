"""Summary plots of a sweep: each plotted metric against each axis, bands across seeds.

One PNG per (metric, axis): ``<metric>_vs_<axis>.png``. The x axis is the swept axis
(numeric axes on a numeric scale, others as categories), one line per protocol with the
mean over seeds and a shaded 95 % confidence band (Student t over the seeds). Every
combination of the other axes gets its own panel; with more than `MAX_PANELS`
combinations the other axes are pooled into one panel (the title says so).
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import numpy as np

from consensus_emulator.sweep.spec import SweepRun
from consensus_emulator.sweep.store import ResultStore, ci95_halfwidth

__all__ = ["MAX_PANELS", "write_plots"]

MAX_PANELS = 12


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def write_plots(runs: list[SweepRun], store: ResultStore, metrics: list[str], out_dir: Path) -> list[Path]:
    """Write the PNGs into `out_dir` and return their paths (none for a sweep without axes)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not runs or not runs[0].coords:
        return []
    axes = [k for k, _ in runs[0].coords]
    axis_values = {a: list(dict.fromkeys(dict(r.coords)[a] for r in runs)) for a in axes}
    protocols = list(dict.fromkeys(r.protocol for r in runs))
    values = {r.key: store.metrics(r.key) for r in runs}
    paths = []
    for metric, axis in itertools.product(metrics, axes):
        others = [a for a in axes if a != axis]
        panels = list(itertools.product(*(axis_values[a] for a in others)))
        pooled = len(panels) > MAX_PANELS
        if pooled:
            panels = [()]
        cols = min(3, len(panels))
        rows = math.ceil(len(panels) / cols)
        fig, grid = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False, sharey=True)
        xs_all = axis_values[axis]
        numeric = _numeric(xs_all)
        for p, panel in enumerate(panels):
            ax = grid[p // cols][p % cols]
            fixed = dict(zip(others, panel, strict=True))
            for protocol in protocols:
                means, lows, highs, xs = [], [], [], []
                for j, x in enumerate(xs_all):
                    sample = [
                        values[r.key][metric]
                        for r in runs
                        if r.protocol == protocol
                        and dict(r.coords)[axis] == x
                        and all(dict(r.coords)[a] == v for a, v in fixed.items())
                        and values[r.key][metric] is not None
                    ]
                    if not sample:
                        continue
                    arr = np.array(sample, dtype=float)
                    half = ci95_halfwidth(arr)
                    half = 0.0 if math.isnan(half) else half
                    xs.append(x if numeric else j)
                    means.append(float(arr.mean()))
                    lows.append(float(arr.mean()) - half)
                    highs.append(float(arr.mean()) + half)
                if xs:
                    (line,) = ax.plot(xs, means, marker="o", label=protocol)
                    ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.2, linewidth=0)
            if not numeric:
                ax.set_xticks(range(len(xs_all)), [str(x) for x in xs_all])
            title = ", ".join(f"{a}={v}" for a, v in fixed.items())
            if pooled:
                title = f"pooled over {', '.join(others)}"
            ax.set_title(title, fontsize=9)
            ax.set_xlabel(axis)
            ax.grid(alpha=0.3)
            if p % cols == 0:
                ax.set_ylabel(metric)
        for p in range(len(panels), rows * cols):
            grid[p // cols][p % cols].set_visible(False)
        grid[0][0].legend(fontsize=8)
        fig.suptitle(f"{metric} vs {axis} (mean and 95 % CI over seeds)", fontsize=10)
        fig.tight_layout()
        path = Path(out_dir) / f"{metric}_vs_{axis}.png"
        fig.savefig(path, dpi=100, metadata={"Software": None})
        plt.close(fig)
        paths.append(path)
    return paths
