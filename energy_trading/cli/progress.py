"""Progress shown on standard error for the command line's long steps.

On a terminal: tqdm bars. Anywhere else (a pipe, a log file, CI): one plain line when a stage starts and one
when it ends, with its duration, so a log holds no carriage-return animation.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from typing import Any

from tqdm import tqdm

from energy_trading.chain.compiler import compile_contracts, is_cached, source_count
from energy_trading.chain.project import compiler_settings
from energy_trading.scenarios.context import unit_of

__all__ = ["compile_with_progress", "deploy_progress", "is_terminal", "stage_progress", "working"]


def is_terminal() -> bool:
    """Whether standard error is a terminal (bars) rather than a file or pipe (plain lines)."""
    return sys.stderr.isatty()


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def stage_progress(items: Iterable[Any], description: str) -> Iterable[Any]:
    """`energy-trading run`'s progress for one loop (`run_scenario(progress=...)`): a tqdm bar counting
    `unit_of(description)` on a terminal; otherwise a line as the loop starts, one every `LINE_EVERY_S`
    seconds while it runs, and one as it ends."""
    count = len(items) if isinstance(items, Sized) else None
    if count == 0:
        return items
    if is_terminal():
        return tqdm(items, desc=description, unit=unit_of(description), file=sys.stderr)
    return _lines(items, description, count)


#: off a terminal, a loop still running prints where it is at most this often (seconds)
LINE_EVERY_S = 10.0


def _lines(items: Iterable[Any], description: str, count: int | None) -> Iterator[Any]:
    """Off a terminal: a line as the loop starts, one every `LINE_EVERY_S` seconds while it runs (how many
    items are done), and one as it ends (a 90-period scenario in a log is not silent for minutes)."""
    unit = unit_of(description)
    started = last = time.monotonic()
    _say(f"{description}: {count if count is not None else 'some'} {unit}{'' if count == 1 else 's'} ...")
    for done, item in enumerate(items):
        now = time.monotonic()
        if now - last >= LINE_EVERY_S:
            last = now
            of = f" of {count}" if count is not None else ""
            _say(f"{description}: {done}{of} {unit}s done after {now - started:.0f} s")
        yield item
    _say(f"{description}: done in {time.monotonic() - started:.1f} s")


@contextmanager
def working(description: str) -> Iterator[None]:
    """An elapsed-time bar for one blocking step with no countable parts (one solc run), refreshed twice a
    second from a helper thread until the step ends (off a terminal: a line at the start and at the end)."""
    if not is_terminal():
        started = time.monotonic()
        _say(f"{description} ...")
        yield
        _say(f"{description}: done in {time.monotonic() - started:.1f} s")
        return
    bar = tqdm(total=None, desc=description, bar_format="{desc}: {elapsed}", file=sys.stderr)
    stop = threading.Event()

    def tick() -> None:
        while not stop.wait(0.5):
            bar.refresh()

    ticker = threading.Thread(target=tick, daemon=True)
    ticker.start()
    try:
        yield
    finally:
        stop.set()
        ticker.join()
        bar.close()


def compile_with_progress(use_cache: bool = True) -> dict:
    """`compile_contracts`, with an elapsed-time bar whenever solc actually runs (about a minute)."""
    if use_cache and is_cached():
        return compile_contracts()
    version = compiler_settings().solc_version
    with working(f"compiling {source_count()} Solidity sources with solcjs {version}"):
        return compile_contracts(use_cache=use_cache)


@contextmanager
def deploy_progress(stages: int) -> Iterator[Callable[[str], None]]:
    """A bar over `deploy`'s stages; yields the callback `deploy(progress=...)` calls with each stage (off a
    terminal: a line per stage)."""
    if not is_terminal():
        started = time.monotonic()
        yield lambda stage: _say(f"deploying: {stage}")
        _say(f"deploying: done in {time.monotonic() - started:.1f} s")
        return
    bar = tqdm(total=stages, desc="deploying", unit="stage", file=sys.stderr)
    started = False

    def step(stage: str) -> None:
        nonlocal started
        if started:
            bar.update(1)
        started = True
        bar.set_postfix_str(stage)

    try:
        yield step
        bar.update(bar.total - bar.n)
    finally:
        bar.close()
