"""Registry of reproduce items: name -> paper, what it reproduces, the function that runs it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from consensus_emulator.reproduce import raft, seed000, seed001, seed002, seed003
from consensus_emulator.reproduce.output import Output

__all__ = ["ITEMS", "Item", "select"]


@dataclass(frozen=True)
class Item:
    """One reproduce item: `func(seed)` returns the item's figures/tables as :class:`Output`."""

    name: str
    paper: str  # "seed 000", ..., or the external paper's short name
    reproduces: str  # the figure(s)/table(s) and what they show
    func: Callable[[int], list[Output]]
    cost: int  # relative run time; the slow items are scheduled first


_ITEMS = (
    Item(
        "seed000-fig5-6",
        "seed 000",
        "TPS of CRSM, Raft, PBFT, hybrid PoS+PBFT (and HotStuff) vs node count (Figs 5, 6)",
        seed000.fig5_6,
        3,
    ),
    Item("seed000-fig7", "seed 000", "CRSM TPS vs nodes per domain, D = 2, 3, 4 (Fig 7)", seed000.fig7, 2),
    Item(
        "seed000-fig8",
        "seed 000",
        "CRSM TPS vs number of domains, 4 or 5 nodes each (Fig 8)",
        seed000.fig8,
        1,
    ),
    Item(
        "seed000-fig9",
        "seed 000",
        "CRSM TPS vs block size, mean and std of 20 blocks (Fig 9)",
        seed000.fig9,
        3,
    ),
    Item(
        "seed000-fig10",
        "seed 000",
        "CRSM TPS vs disconnected nodes, N = 8, 12, 16, 20 (Fig 10)",
        seed000.fig10,
        3,
    ),
    Item(
        "seed001-tables3-4",
        "seed 001",
        "leader counts in 200 elections, Raft vs weighted Raft (Tables 3-4)",
        seed001.tables3_4,
        1,
    ),
    Item(
        "seed001-tables5-7",
        "seed 001",
        "total consensus time before/after weights, 10..200 rounds (Tables 5-7)",
        seed001.tables5_7,
        4,
    ),
    Item(
        "seed002-fig5",
        "seed 002",
        "block-creation time of SBET, SPFT, ETPS vs t_max (Fig 5)",
        seed002.fig5,
        1,
    ),
    Item(
        "seed002-fig6",
        "seed 002",
        "block-creation time of SBET, SPFT, ETPS vs block size (Fig 6)",
        seed002.fig6,
        1,
    ),
    Item("seed002-fig7", "seed 002", "query delay vs number of block creators (Fig 7)", seed002.fig7, 1),
    Item("seed002-fig8", "seed 002", "query accuracy vs malicious / missing ratio (Fig 8)", seed002.fig8, 3),
    Item("seed003-fig5", "seed 003", "sharded vs general consensus time vs trades (Fig 5)", seed003.fig5, 1),
    Item(
        "raft-election",
        "Raft (Ongaro & Ousterhout 2014)",
        "leader failover times, §9.3 setup (Fig 16)",
        raft.raft_election,
        4,
    ),
    Item(
        "crsm-calibration",
        "seed 000",
        "the 15 / 76 / 12 ms calibration point of §IV-B",
        seed000.crsm_calibration,
        1,
    ),
)

#: name -> item, in the order `reproduce all` reports them.
ITEMS: dict[str, Item] = {item.name: item for item in _ITEMS}


def select(name: str) -> list[str]:
    """Item names matching `name`: "all", an exact name or a prefix ("seed000")."""
    if name == "all":
        return list(ITEMS)
    if name in ITEMS:
        return [name]
    matches = [k for k in ITEMS if k.startswith(name)]
    if not matches:
        from consensus_emulator.config import ConfigError

        raise ConfigError(f"unknown experiment {name!r}; choose all, a prefix, or one of {', '.join(ITEMS)}")
    return matches
