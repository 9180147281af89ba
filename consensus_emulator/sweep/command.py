"""The ``consensus-emulator sweep SWEEP.yaml --out DIR`` subcommand (parser and action)."""

from __future__ import annotations

import argparse
from pathlib import Path

from consensus_emulator.config import ConfigError

__all__ = ["add_sweep_parser", "cmd_sweep"]


def add_sweep_parser(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` subcommand to the emulator's subparsers."""
    sp = sub.add_parser(
        "sweep",
        help="run a parameter sweep file on Dask (table + plots, resumable)",
        description="Run every combination of a sweep file's protocols, axes and seeds on Dask "
        "distributed (a local cluster by default), storing each finished run so a rerun resumes; "
        "write results.csv (one row per configuration and seed), summary.csv and PNG plots to --out. "
        "Format: docs/sweeps.md.",
    )
    sp.add_argument("spec", type=Path, metavar="SWEEP.yaml", help="the sweep file (YAML or JSON)")
    sp.add_argument("--out", type=Path, required=True, help="output directory (reused runs are kept here)")
    sp.add_argument(
        "--workers",
        type=int,
        help="worker processes of the local Dask cluster (default: one per CPU); 0 = serial, no Dask",
    )
    sp.add_argument(
        "--scheduler", metavar="tcp://HOST:PORT", help="run on this existing Dask scheduler instead"
    )
    sp.add_argument("--no-progress", action="store_true", help="no progress bar")


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run the sweep and print where its files went."""
    from consensus_emulator.sweep.executor import default_workers
    from consensus_emulator.sweep.runner import run_sweep

    if args.workers is not None and args.workers < 0:
        raise ConfigError(f"--workers must be >= 0, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise ConfigError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    try:
        report = run_sweep(
            args.spec, args.out, workers=args.workers, scheduler=args.scheduler, progress=not args.no_progress
        )
    except ConnectionError as exc:
        if not args.scheduler:
            raise
        raise ConfigError(f"{exc}; start one with 'dask scheduler' and give the address it prints") from None
    where = args.scheduler or (
        "serial" if args.workers == 0 else f"a local cluster of {args.workers or default_workers()} worker(s)"
    )
    print(
        f"sweep {report.name}: {report.runs} runs ({report.reused} reused from {args.out / 'runs'}, "
        f"{report.ran} simulated on {where}) in {report.seconds:.1f} s wall"
    )
    print(f"table:   {report.table}")
    print(f"summary: {report.summary}")
    for path in report.plots:
        print(f"plot:    {path}")
    return 0
