"""The one place that writes reproduce outputs: CSV rows, PNG plots, the summary files and text.

Every paper module builds :class:`Output` objects (data, a plot callback and the comparison with
the paper); only this module touches files, matplotlib's backend and number formatting, so every
figure and CSV is written the same way (Agg backend, no timestamps, 6 significant digits).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Output", "Summary", "format_summary", "lines", "write_output", "write_summary", "yes"]


@dataclass
class Output:
    """One figure or table: its data, its plot and how it compares with the paper."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    paper: str
    emulated: str
    agrees: bool | None
    plot: Callable[[Any], None] | None = None


@dataclass(frozen=True)
class Summary:
    """What `reproduce` reports per output (picklable, no plot)."""

    name: str
    title: str
    paper: str
    emulated: str
    agrees: bool | None
    files: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0  # wall time of the experiment (reported, never written to files)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf"
        return format(value, ".6g")
    return str(value)


def yes(flag: bool) -> str:
    """'yes' or 'no'."""
    return "yes" if flag else "no"


def lines(
    ax: Any, xs: Iterable[Any], series: dict[str, list[float]], xlabel: str, ylabel: str, **kw: Any
) -> None:
    """Plot one line with markers per series on `ax`, labelled, with a light grid and a legend."""
    xs = list(xs)
    for label, ys in series.items():
        ax.plot(xs, ys, marker="o", label=label, **kw)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def write_output(out: Output, out_dir: Path) -> Summary:
    """Write `<name>.csv` and `<name>.png` (Agg backend, no timestamps) into `out_dir`."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{out.name}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(out.columns)
        for row in out.rows:
            writer.writerow([_fmt(v) for v in row])
    files = [csv_path.name]
    if out.plot is not None:
        fig = plt.figure(figsize=(7.5, 4.6), dpi=100)
        out.plot(fig)
        fig.suptitle(out.title, fontsize=10)
        fig.tight_layout()
        png_path = out_dir / f"{out.name}.png"
        fig.savefig(png_path, format="png", metadata={"Software": None})
        plt.close(fig)
        files.append(png_path.name)
    return Summary(out.name, out.title, out.paper, out.emulated, out.agrees, tuple(files))


def write_summary(summaries: list[Summary], out_dir: Path) -> None:
    """summary.csv and summary.md: paper's stated result vs emulated, per output."""
    with (out_dir / "summary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["output", "paper", "emulated", "agrees"])
        for s in summaries:
            writer.writerow([s.name, s.paper, s.emulated, "" if s.agrees is None else yes(s.agrees)])
    rows = ["| output | paper | emulated | agrees |", "| --- | --- | --- | --- |"]
    for s in summaries:
        agrees = "n/a" if s.agrees is None else yes(s.agrees)
        rows.append(f"| {s.name} | {s.paper} | {s.emulated} | {agrees} |")
    (out_dir / "summary.md").write_text("\n".join(rows) + "\n", encoding="utf-8")


def format_summary(summaries: list[Summary], width: int = 110) -> str:
    """A plain-text table for the terminal."""
    import textwrap

    out = []
    for s in summaries:
        agrees = "n/a" if s.agrees is None else ("AGREES" if s.agrees else "DIFFERS")
        out.append(f"[{agrees}] {s.name}: {s.title} ({s.seconds:.0f} s)")
        out += textwrap.wrap("paper:    " + s.paper, width, subsequent_indent="          ")
        out += textwrap.wrap("emulated: " + s.emulated, width, subsequent_indent="          ")
        out.append("")
    return "\n".join(out)
