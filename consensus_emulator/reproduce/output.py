"""The one place that writes reproduce outputs: CSV rows, PNG plots, the summary files and text.

Every paper module builds :class:`Output` objects (data, a plot callback and the checks against
the paper); only this module touches files, matplotlib's backend and number formatting, so every
figure and CSV is written the same way (Agg backend, no timestamps, 6 significant digits).

Summary files written by :func:`write_summary` into the output directory:

* ``summary.json``: ``{"counts": {verdict: n}, "outputs": [{name, title, ref, verdict, paper,
  emulated, note, checks: [{what, paper, emulated, tolerance, numeric, ok, fitted}]}]}``
  (machine-readable; ``fitted`` checks are printed but not in the verdict);
* ``summary.csv``: one row per output (check counts without the fitted ones);
  ``checks.csv``: one row per paper number or claim;
* ``summary.md``: the markdown table of :func:`markdown_table` (the one in docs/README_emulator.md).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consensus_emulator.reproduce.verdict import Check, count_verdicts, verdict

__all__ = [
    "Output",
    "Summary",
    "format_summary",
    "lines",
    "markdown_table",
    "write_output",
    "write_summary",
    "yes",
]


@dataclass
class Output:
    """One figure or table: its data, its plot and how it compares with the paper."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    paper: str  # the paper's result in words, with its numbers
    emulated: str  # the emulated result in words
    checks: list[Check]  # one per paper number or claim compared
    plot: Callable[[Any], None] | None = None
    ref: str = ""  # where in the paper: "seed 001 Table 5 (§5.2.3)"
    calibrated: bool = False  # model constants were fitted to these paper numbers
    note: str = ""  # why a paper result cannot be reproduced, with the numbers

    @property
    def verdict(self) -> str:
        """AGREES / NUMBERS MISS / SHAPE ONLY / DIFFERS / CALIBRATED (rules in `verdict`)."""
        return verdict(self.checks, calibrated=self.calibrated)


@dataclass(frozen=True)
class Summary:
    """What `reproduce` reports per output (picklable, no plot)."""

    name: str
    title: str
    paper: str
    emulated: str
    verdict: str
    checks: tuple[Check, ...] = ()
    ref: str = ""
    note: str = ""
    files: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0  # wall time of the experiment (reported, never written to files)

    def record(self) -> dict[str, Any]:
        """The JSON record of this output (no wall time, so files are repeatable)."""
        return {
            "name": self.name,
            "title": self.title,
            "ref": self.ref,
            "verdict": self.verdict,
            "paper": self.paper,
            "emulated": self.emulated,
            "note": self.note,
            "checks": [vars(c) for c in self.checks],
        }


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
    return Summary(
        out.name,
        out.title,
        out.paper,
        out.emulated,
        out.verdict,
        tuple(out.checks),
        out.ref,
        out.note,
        tuple(files),
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _passed(checks: list[dict[str, Any]]) -> str:
    """'ok/n' of the checks in the verdict, the fitted ones apart: '14/14 (+8/8 fitted, not in verdict)'."""
    own = [c for c in checks if not c.get("fitted")]
    fitted = [c for c in checks if c.get("fitted")]
    text = f"{sum(c['ok'] for c in own)}/{len(own)}"
    return text + (
        f" (+{sum(c['ok'] for c in fitted)}/{len(fitted)} fitted, not in verdict)" if fitted else ""
    )


def markdown_table(records: list[dict[str, Any]]) -> str:
    """The README table: one row per output (from `summary.json`'s "outputs"), then the counts."""
    out = [
        "| output | paper (where) | verdict | checks in tolerance | paper says | emulated |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in records:
        emulated = r["emulated"] + (f" — {r['note']}" if r.get("note") else "")
        out.append(
            f"| {r['name']} | {_cell(r['ref'])} | **{r['verdict']}** | {_passed(r['checks'])} | "
            f"{_cell(r['paper'])} | {_cell(emulated)} |"
        )
    counts = count_verdicts(r["verdict"] for r in records)
    out.append("")
    out.append(
        "Verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({len(records)} outputs)."
    )
    return "\n".join(out) + "\n"


def write_summary(summaries: list[Summary], out_dir: Path) -> None:
    """summary.json, summary.csv, checks.csv and summary.md (see the module docstring)."""
    records = [s.record() for s in summaries]
    doc = {"counts": count_verdicts(s.verdict for s in summaries), "outputs": records}
    (out_dir / "summary.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    with (out_dir / "summary.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(
            ["output", "ref", "verdict", "checks_ok", "checks", "fitted_checks", "paper", "emulated", "note"]
        )
        for s in summaries:
            own = [c for c in s.checks if not c.fitted]
            ok, fitted = sum(1 for c in own if c.ok), len(s.checks) - len(own)
            writer.writerow([s.name, s.ref, s.verdict, ok, len(own), fitted, s.paper, s.emulated, s.note])
    with (out_dir / "checks.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["output", "what", "paper", "emulated", "tolerance", "kind", "ok"])
        for s in summaries:
            for c in s.checks:
                kind = ("number" if c.numeric else "claim") + (
                    " (fitted, not in verdict)" if c.fitted else ""
                )
                writer.writerow([s.name, c.what, c.paper, c.emulated, c.tolerance, kind, yes(c.ok)])
    (out_dir / "summary.md").write_text(markdown_table(records), encoding="utf-8")


def format_summary(summaries: list[Summary], width: int = 110) -> str:
    """A plain-text report for the terminal: per output its verdict and every check, then the
    counts per verdict."""
    import textwrap

    out = []
    for s in summaries:
        out.append(f"[{s.verdict}] {s.name}: {s.title} ({s.ref}; {s.seconds:.0f} s)")
        out += textwrap.wrap("paper:    " + s.paper, width, subsequent_indent="          ")
        out += textwrap.wrap("emulated: " + s.emulated, width, subsequent_indent="          ")
        if s.note:
            out += textwrap.wrap("why:      " + s.note, width, subsequent_indent="          ")
        for c in s.checks:
            tol = f" (tolerance {c.tolerance})" if c.tolerance else ""
            mark = ("ok  " if c.ok else "MISS") + (" [fitted, not in verdict]" if c.fitted else "")
            line = f"  {mark} {c.what}: paper {c.paper}, emulated {c.emulated}{tol}"
            out += textwrap.wrap(line, width, subsequent_indent="         ")
        out.append("")
    counts = count_verdicts(s.verdict for s in summaries)
    out.append("verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return "\n".join(out)
