"""Reproduce the papers' figures and tables: one CSV and one PNG each, plus a summary.

Experiments (names for ``consensus-emulator reproduce NAME``; a prefix such as
``seed000`` selects a group):

=====================  ===========================================================
seed000-fig5-6         TPS of CRSM, Raft, PBFT, hybrid PoS+PBFT vs node count (Figs 5, 6)
seed000-fig7           CRSM TPS vs nodes per domain, D = 2, 3, 4 (Fig 7)
seed000-fig8           CRSM TPS vs number of domains, 4 or 5 nodes each (Fig 8)
seed000-fig9           CRSM TPS vs block size, mean and std of 20 blocks (Fig 9)
seed000-fig10          CRSM TPS vs disconnected nodes, N = 8, 12, 16, 20 (Fig 10)
seed001-tables3-4      leader counts in 200 elections, Raft vs weighted Raft
seed001-tables5-7      consensus time before/after weights (Tables 5-7, Figs 1-3, 7, 10)
seed002-fig5           SBET / SPFT / ETPS block-creation time vs t_max (Fig 5)
seed002-fig6           SBET / SPFT / ETPS block-creation time vs block size (Fig 6)
seed002-fig7           query delay vs number of block creators (Fig 7)
seed002-fig8           query accuracy vs malicious / missing ratio (Fig 8)
seed003-fig5           sharded vs general consensus time vs trades (Fig 5)
raft-election          Raft leader failover, Ongaro & Ousterhout 2014 §9.3 setup
crsm-calibration       the 15 / 76 / 12 ms calibration point of seed 000 §IV-B
=====================  ===========================================================

Every output carries checks against its paper (one per number or stated claim, with the
tolerance) and one verdict, AGREES / NUMBERS MISS / SHAPE ONLY / DIFFERS / CALIBRATED (``verdict``);
``summary.json`` in the output directory holds them all, and ``tools/reproduce_table.py``
turns it into the table of docs/README_emulator.md.

Each experiment derives every run's seed from the one given seed and the run's place
in the experiment, so outputs are byte-for-byte repeatable and independent of the
number of worker processes. Paper values quoted in the summaries are the papers' own
words or table entries; the figures themselves carry no numbers in the text.

Layout: one module per paper (``seed000`` .. ``seed003``, ``raft``), the registry of items
(``registry.ITEMS``: name -> paper, what it reproduces, function), the shared CSV/PNG/summary
writing (``output``) and the runner (``runner.run_items``, the one place that decides how items
execute).
"""

from consensus_emulator.reproduce.output import Output, Summary, format_summary, write_output, write_summary
from consensus_emulator.reproduce.registry import ITEMS, Item, select
from consensus_emulator.reproduce.runner import reproduce, run_item, run_items
from consensus_emulator.reproduce.util import run_seed
from consensus_emulator.reproduce.verdict import VERDICTS, Check, count_verdicts, verdict

__all__ = [
    "ITEMS",
    "VERDICTS",
    "Check",
    "Item",
    "Output",
    "Summary",
    "count_verdicts",
    "format_summary",
    "reproduce",
    "run_item",
    "run_items",
    "run_seed",
    "select",
    "verdict",
    "write_output",
    "write_summary",
]
