"""Progress shown on standard error for the command line's long steps (tqdm)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from tqdm import tqdm

from energy_trading.chain.compiler import compile_contracts, is_cached, source_count
from energy_trading.chain.project import compiler_settings

__all__ = ["compile_with_progress", "deploy_progress", "working"]


@contextmanager
def working(description: str) -> Iterator[None]:
    """An elapsed-time bar for one blocking step with no countable parts (one solc run), refreshed twice a
    second from a helper thread until the step ends."""
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
    """A bar over `deploy`'s stages; yields the callback `deploy(progress=...)` calls with each stage."""
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
