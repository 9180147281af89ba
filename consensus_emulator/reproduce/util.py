"""Seeds and progress shared by the paper modules."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

__all__ = ["run_seed", "set_progress", "steps"]

T = TypeVar("T")
_PROGRESS = {"on": False}


def run_seed(seed: int, *parts: Any) -> int:
    """A run's seed derived from the experiment seed and the run's coordinates."""
    return zlib.crc32(repr((seed, *parts)).encode()) & 0x7FFFFFFF


def set_progress(on: bool) -> None:
    """Switch the per-item progress bars of :func:`steps` on or off (per process)."""
    _PROGRESS["on"] = on


def steps(iterable: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    """`iterable` with a tqdm bar named `desc` (to stderr) when progress is on and stderr is a terminal, so
    long items never run silently; the bar disappears when the item ends."""
    from tqdm import tqdm

    items = list(iterable)
    # off a terminal (a pipe, a log) the per-item bars would write carriage-return animation into the log;
    # the executor's one line per finished item is the progress there
    on = _PROGRESS["on"] and sys.stderr.isatty()
    yield from tqdm(items, desc=desc, total=total or len(items), leave=False, disable=not on)
