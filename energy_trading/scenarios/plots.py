"""Figures for people: reputation per provider per period (seed 003 Fig 4), gas per lifecycle step.

Every function writes a PNG with matplotlib's non-interactive Agg backend and returns its path.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["plot_gas", "plot_reputation"]


def plot_reputation(
    series: Mapping[str, Sequence[float]], path: str | Path, title: str | None = None
) -> Path:
    """Comprehensive reputation RC_j (0..1) of each provider after each period, in the manner of seed 003
    Fig 4 ("Changes in reputation value")."""
    path = Path(path)
    fig, ax = plt.subplots(figsize=(7, 4.2))
    markers = "osD^vP*X"
    for k, (provider, values) in enumerate(series.items()):
        ax.plot(
            range(1, len(values) + 1), values, marker=markers[k % len(markers)], label=f"provider {provider}"
        )
    ax.set_xlabel("trading cycle T")
    ax.set_ylabel("comprehensive reputation RC_j(T)")
    ax.set_ylim(0, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(loc="best")
    title = title or "Reputation per provider per cycle (seed 003 eq 1-2)"
    ax.set_title(textwrap.fill(title, 70), fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_gas(rows: Sequence[tuple[str, int]], baseline: tuple[str, int], path: str | Path) -> Path:
    """Horizontal bars of gas per lifecycle step, with the baseline's gas as a vertical line."""
    path = Path(path)
    fig, ax = plt.subplots(figsize=(7, 0.35 * len(rows) + 1.5))
    names = [r[0] for r in rows]
    ax.barh(names, [r[1] for r in rows], color="tab:blue")
    ax.axvline(baseline[1], color="tab:red", linestyle="--", label=f"{baseline[0]} ({baseline[1]:,} gas)")
    ax.invert_yaxis()
    ax.set_xlabel("gas used")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
