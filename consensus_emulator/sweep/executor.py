"""The one parallel executor of the emulator: map a function over tasks on Dask distributed.

`map_tasks(func, tasks)` runs ``func(task)`` for every task and returns the results in the
order of `tasks`, whatever order they finish in:

* default: a `distributed.LocalCluster` on this machine, one single-threaded worker
  process per CPU (or `workers` of them), started for the call and shut down after;
* ``scheduler="tcp://HOST:PORT"``: the tasks go to an existing Dask cluster (started with
  ``dask scheduler`` and ``dask worker tcp://HOST:PORT``; the workers must be able to
  import `func`'s module, i.e. run in an environment with this package installed);
* ``workers=0``: serial, in this process, no Dask at all (tests, debugging, profiling).

`on_result(index, result)` is called in the calling process as each task finishes, which
is how a sweep stores every finished run at once and can resume after an interruption.
Progress on stderr counts finished tasks: a tqdm bar on a terminal; in a pipe or log file one plain line
per finished task and one at the end (no carriage-return animation in logs).

Dask does the scheduling, the worker processes and the transport; nothing here
re-implements them.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from typing import Any, TypeVar

__all__ = ["default_workers", "map_tasks"]

T = TypeVar("T")
R = TypeVar("R")


def default_workers() -> int:
    """Worker processes of the default LocalCluster: one per CPU of this machine."""
    return max(1, os.cpu_count() or 1)


def map_tasks(
    func: Callable[[T], R],
    tasks: Sequence[T],
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = True,
    desc: str = "tasks",
    on_result: Callable[[int, R], None] | None = None,
) -> list[R]:
    """``[func(t) for t in tasks]``, computed on Dask distributed (see module docstring).

    Args:
        func: a picklable function of one task (a module-level function, or a
            `functools.partial` of one); it runs in worker processes.
        tasks: the tasks, each picklable; submitted in this order (put the slow ones first).
        workers: worker processes of the local cluster (default: one per CPU); 0 runs
            serially in this process. Not allowed together with `scheduler`.
        scheduler: address ``tcp://HOST:PORT`` of an existing Dask scheduler.
        progress: show a progress bar on stderr.
        desc: label of the progress bar.
        on_result: called as ``on_result(index, result)`` in this process when task
            `index` finishes (in completion order).

    Returns:
        The results, in the order of `tasks`.

    Raises:
        ValueError: `workers` < 0, or both `workers` and `scheduler` given.
        ConnectionError: no Dask scheduler answers at `scheduler` within 30 s.
        Exception: the first exception a task raised (the other tasks are cancelled), with a
            note naming the task's index.
    """
    from tqdm import tqdm

    tasks = list(tasks)
    if workers is not None and workers < 0:
        raise ValueError(f"workers must be >= 0, got {workers}")
    if workers is not None and scheduler is not None:
        raise ValueError("give workers (a local cluster) or scheduler (an existing cluster), not both")
    results: list[Any] = [None] * len(tasks)
    if not tasks:
        return results
    if progress and not sys.stderr.isatty():
        bar: Any = LineProgress(len(tasks), desc)
    else:
        bar = tqdm(total=len(tasks), desc=desc, unit="task", disable=not progress, dynamic_ncols=True)
    try:
        if workers == 0:
            for i, task in enumerate(tasks):
                results[i] = _call(func, task, i)
                if on_result is not None:
                    on_result(i, results[i])
                bar.update(1)
            return results
        _run_on_dask(func, tasks, results, workers, scheduler, on_result, bar)
        return results
    finally:
        bar.close()


class LineProgress:
    """tqdm's `update`/`close` for a log: one line per finished task (`desc: 3/23 tasks done, 41 s`) and
    one at the end, on stderr."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc, self.done = total, desc, 0
        self.started = time.monotonic()

    def update(self, n: int = 1) -> None:
        """Count `n` more finished tasks and print the count so far."""
        self.done += n
        self._say(f"{self.done}/{self.total} tasks done, {self._elapsed()}")

    def close(self) -> None:
        """Print the end line."""
        self._say(f"finished {self.done}/{self.total} in {self._elapsed()}")

    def _say(self, what: str) -> None:
        print(f"{self.desc}: {what}", file=sys.stderr, flush=True)

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.started:.0f} s"


def _call(func: Callable[[T], R], task: T, index: int) -> R:
    try:
        return func(task)
    except Exception as exc:
        exc.add_note(f"(while running task {index})")
        raise


def _run_on_dask(
    func: Callable[[Any], Any],
    tasks: list[Any],
    results: list[Any],
    workers: int | None,
    scheduler: str | None,
    on_result: Callable[[int, Any], None] | None,
    bar: Any,
) -> None:
    from distributed import Client, LocalCluster, as_completed

    with ExitStack() as stack:
        if scheduler is not None:
            try:
                client = stack.enter_context(Client(scheduler, timeout="30s"))
            except OSError as exc:  # distributed raises OSError when no scheduler answers in time
                raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        else:
            cluster = stack.enter_context(
                LocalCluster(
                    n_workers=workers or default_workers(),
                    threads_per_worker=1,  # the emulator is pure Python: one task per process
                    processes=True,
                    dashboard_address=":0",  # a free port: never clashes with another cluster
                    silence_logs=logging.CRITICAL,  # shutdown races log harmless errors; task errors raise
                )
            )
            client = stack.enter_context(Client(cluster))
        # pure=False: two equal tasks are still two runs; priorities keep the submitted order.
        futures = [
            client.submit(func, task, pure=False, priority=len(tasks) - i) for i, task in enumerate(tasks)
        ]
        index = {f.key: i for i, f in enumerate(futures)}
        try:
            for future in as_completed(futures):
                i = index[future.key]
                try:
                    results[i] = future.result()
                except Exception as exc:
                    exc.add_note(f"(while running task {i} on Dask)")
                    raise
                if on_result is not None:
                    on_result(i, results[i])
                bar.update(1)
        finally:
            client.cancel([f for f in futures if not f.done()])
