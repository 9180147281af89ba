"""Every figure of the scenario runs, in one place: reputation per provider per period (seed 003 Fig 4),
gas per lifecycle step, credit weights per round (seed 001 Fig 7-8, Tables 1-2) and green-certificate
weights per round (seed 001 Fig 9 in its manner).

Every function writes a PNG with matplotlib's non-interactive Agg backend and returns its path.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = ["plot_certificate_weights", "plot_credit_weights", "plot_gas", "plot_reputation"]


def _pyplot() -> Any:
    """matplotlib's pyplot on the Agg backend, imported on first use (importing the runner stays light)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_reputation(
    series: Mapping[str, Sequence[float]], path: str | Path, title: str | None = None
) -> Path:
    """Comprehensive reputation RC_j (0..1) of each provider after each period, in the manner of seed 003
    Fig 4 ("Changes in reputation value")."""
    plt = _pyplot()
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
    plt = _pyplot()
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


def plot_credit_weights(
    results: Mapping[str, Any], path: str | Path, nodes: Iterable[str] | None = None, title: str | None = None
) -> Path:
    """Credit weight of `nodes` after each round, as computed on chain (seed 001 Fig 7-8).

    Default nodes: the scenario's `x_plot.credit_weights` list (kept in results as `plot_nodes`), else all.
    """
    plt = _pyplot()
    periods = results["periods"]
    if nodes is None:
        nodes = results.get("plot_nodes") or list(periods[0]["participants"])
    chosen = list(nodes)
    if len(periods) == 1:  # one round (Tables 1-2): each node's weight before and after it, as bars
        return _plot_one_round(results, chosen, Path(path), title, plt)
    fig, ax = plt.subplots(figsize=(7, 4))
    rounds = list(range(len(periods) + 1))  # round 0: the initial weights
    for node in chosen:
        first = periods[0]["participants"][node]["credit_weight_before"]
        after = [p["participants"][node]["credit_weight_after"] for p in periods]
        ax.plot(rounds, [first, *after], label=f"node {node}")
    decay = results.get("market", {}).get("decay_every") or 0
    if decay:
        for r in range(decay + 1, len(periods) + 1, decay):
            ax.axvline(r - 0.5, color="grey", lw=0.5, ls=":")
    ax.set_xlabel("settlement round (consensus iteration)")
    ax.set_ylabel("credit weight W_a (0..100)")
    ax.set_ylim(-2, 102)
    ax.set_title(title or f"{results.get('scenario', '')}: credit weights (dotted: decay, seed 001 eq 24)")
    ax.legend()
    ax.grid(alpha=0.3)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def _plot_one_round(
    results: Mapping[str, Any], nodes: list[str], out: Path, title: str | None, plt: Any
) -> Path:
    parts = results["periods"][0]["participants"]
    x = list(range(len(nodes)))
    fig, ax = plt.subplots(figsize=(max(7, 0.3 * len(nodes) + 2), 4))
    ax.bar([i - 0.2 for i in x], [parts[n]["credit_weight_before"] for n in nodes], 0.4, label="before")
    ax.bar([i + 0.2 for i in x], [parts[n]["credit_weight_after"] for n in nodes], 0.4, label="after")
    ax.set_xticks(x, nodes, fontsize=8)
    ax.set_xlabel("node")
    ax.set_ylabel("credit weight W_a (0..100)")
    ax.set_ylim(0, 118)
    ax.set_title(
        title
        or f"{results.get('scenario', '')}: credit weights before and after the round (seed 001 eq 14-17)"
    )
    ax.legend(loc="upper right", ncol=2)
    ax.grid(alpha=0.3, axis="y")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def plot_certificate_weights(
    results: Mapping[str, Any], path: str | Path, nodes: Sequence[str] | None = None
) -> Path:
    """Draw the seed 001 eq 20 weights of the tracked nodes over rounds (as in seed 001 Fig 9) as a PNG."""
    plt = _pyplot()
    cert = results["certificates"]
    nodes = list(nodes or cert["tracked"])
    series = cert["weights_by_round"]
    rounds = range(1, len(series) + 1)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for n in nodes:
        ax.plot(rounds, [w.get(n, 0.0) for w in series], label=f"node {n}")
    ax.set_xlabel("transaction round")
    ax.set_ylabel("green-certificate weight $W_{gc}$ (0-100)")
    ax.set_title(f"{results['scenario']}: certificate weights (seed 001 eq 20, cf. Fig 9)")
    ax.set_xlim(1, max(len(series), 2))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
