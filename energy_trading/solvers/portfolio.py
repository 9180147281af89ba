"""An anytime portfolio for seed 003 eq 5 that keeps its time limit: HiGHS and CP-SAT in worker processes that
are killed at the deadline, with the best assignment and the best proven bound kept as they arrive.

Why processes: neither library can be interrupted everywhere (HiGHS's MIP presolve once spent over five
minutes building its clique table at 5000 x 200 with a 60 s limit), so each runs in a forked process that
streams its results through a queue and is killed (SIGKILL) at the deadline. The parent never calls a
solver itself; it only runs NumPy steps with deadline checks.

Timeline: arrays and a greedy incumbent (parent, milliseconds); then the HiGHS worker solves the LP
relaxation by column generation (sending Lagrangian bounds as it goes), runs the LP-fix heuristic (keep
the LP's integral assignments, solve the rest as a small MILP), proves which pairs can be dropped
(reduced-cost fixing) and runs branch-and-bound on the rest warm-started from the best incumbent; as
soon as those pairs are known the CP-SAT worker starts on the same restricted problem with the same
hint. The result is the best assignment any of them sent (exact WAD objective recomputed with
`energy_trading.models.matching.evaluate`), and the lowest certified bound:

- ``L(v)`` for any capacity multipliers v >= 0, and the LP value (see `energy_trading.solvers.problem`);
- a restricted solver's dual bound B, only when reduced-cost fixing was complete for an incumbent of
  value `lower`: then every assignment is worth at most ``max(B, lower)``.

`gap` is ``(bound - objective) / |bound|`` (0 when both are 0) and `optimal` means ``gap <= 1e-7`` or
``bound - objective <= 1e-9`` currency units (1e9 wei): the solvers work in double precision with
tolerances around 1e-7 to 1e-9, so "optimal" is certified to that precision, not to the wei.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from energy_trading.models.matching import WAD, MatchingInstance, MatchResult, evaluate

# imported here, not in the workers: forked workers inherit the loaded libraries (an import per worker
# would cost a second)
from energy_trading.solvers.cpsat import run_cpsat
from energy_trading.solvers.highs import run_highs
from energy_trading.solvers.problem import Problem, greedy_choice, lagrangian

__all__ = ["OPTIMAL_ABS", "OPTIMAL_GAP", "SOLVERS", "solve_portfolio"]

OPTIMAL_GAP = 1e-7
# time kept back from the limit for stopping the workers and building the result (s, share of the limit)
CLEANUP_S = 0.4
CLEANUP_SHARE = 0.05
OPTIMAL_ABS = 1e-9
SOLVERS = ("highs", "cpsat")


def _worker(target: Callable[..., None], channel: Any, name: str, args: tuple[Any, ...]) -> None:
    """Body of a worker process: silence the solvers' banners, run `target`, report errors and the end."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)

    def send(kind: str, payload: Any) -> None:
        channel.put((name, kind, payload))

    try:
        target(*args, send=send)
    except Exception as exc:  # reported to the parent, which keeps what it has
        channel.put((name, "error", f"{type(exc).__name__}: {exc}"))
    channel.put((name, "done", None))


class _Best:
    """What the parent knows: best assignment (exact), best bound, where each came from."""

    def __init__(self, instance: MatchingInstance, problem: Problem) -> None:
        self.instance = instance
        self.problem = problem
        self.key: tuple[int, int] = (-1, -1)
        self.choice: list[int | None] = [None] * problem.shape[0]
        self.source = ""
        self.bound = np.inf
        self.bound_source = ""
        self.notes: list[str] = []

    def offer(self, choice: np.ndarray, source: str) -> None:
        as_list = [None if j < 0 else int(j) for j in choice.tolist()]
        try:
            key = evaluate(self.instance, as_list)
        except ValueError as exc:  # a solver's tolerance let an infeasible point through: never reported
            self.notes.append(f"{source} sent an infeasible assignment ({exc})")
            return
        if key > self.key:
            self.key, self.choice, self.source = key, as_list, source

    def tighten(self, value: float, source: str) -> None:
        if value < self.bound:
            self.bound, self.bound_source = value, source

    @property
    def objective(self) -> float:
        return self.key[0] / WAD  # exactly as MatchResult.objective computes it

    def closed(self) -> bool:
        """Optimality proven: relative gap <= OPTIMAL_GAP, or absolute gap <= OPTIMAL_ABS."""
        return self.gap() <= OPTIMAL_GAP or max(self.bound, self.objective) - self.objective <= OPTIMAL_ABS

    def gap(self) -> float:
        bound = max(self.bound, self.objective)
        if bound == 0:
            return 0.0
        return (bound - self.objective) / abs(bound)


def solve_portfolio(
    instance: MatchingInstance,
    time_limit_s: float = 60.0,
    solvers: Sequence[str] = SOLVERS,
    cpsat_workers: int = 2,
    seed: int = 0,
) -> MatchResult:
    """The best assignment of seed 003 eq 5 found within `time_limit_s` seconds (wall clock), with a certified
    bound.

    Returns within the limit at every size (on a loaded machine, up to a few tens of ms past it): solvers
    run in worker processes killed min(0.4 s, 5 %) before the limit. `solvers` picks the portfolio
    ("highs", "cpsat"; CP-SAT starts once HiGHS has reduced the pairs). The result's `method` is
    ``"portfolio:<winner>"``; `bound` and `gap` are certified as the module docstring says and `optimal`
    is True when the gap is within OPTIMAL_GAP (relative) or OPTIMAL_ABS (absolute).
    Raises ValueError for a non-positive limit or an unknown solver name.
    """
    if not time_limit_s > 0:
        raise ValueError(f"time_limit_s must be > 0 (got {time_limit_s})")
    unknown = set(solvers) - set(SOLVERS)
    if unknown:
        raise ValueError(f"unknown solver(s) {sorted(unknown)}; choose from {list(SOLVERS)}")
    t0 = time.perf_counter()
    # the workers stop a little early: killing them, joining and evaluating the answer take tens of ms
    deadline = time.monotonic() + time_limit_s - min(CLEANUP_S, CLEANUP_SHARE * time_limit_s)
    problem = Problem.from_instance(instance)
    best = _Best(instance, problem)
    n, m = problem.shape
    best.offer(np.full(n, -1, dtype=np.int64), "empty")
    if problem.feasible.any():
        best.offer(greedy_choice(problem), "greedy")
        best.tighten(lagrangian(problem, np.zeros(m))[0], "lagrangian (v = 0)")
    else:
        best.tighten(0.0, "no feasible pair")
    status = _run(problem, best, deadline, solvers, cpsat_workers, seed)
    choice = _fill_with_zero_degree(instance, problem, best.choice)
    bound = max(best.bound, best.objective)
    gap = best.gap()
    return MatchResult(
        instance,
        tuple(choice),
        *evaluate(instance, choice),
        optimal=best.closed(),
        method=f"portfolio:{best.source}",
        status="; ".join([status, f"bound from {best.bound_source}", *best.notes]),
        solve_time_s=time.perf_counter() - t0,
        bound=bound,
        gap=gap,
    )


def _run(
    problem: Problem, best: _Best, deadline: float, solvers: Sequence[str], cpsat_workers: int, seed: int
) -> str:
    """Start the workers, merge their messages until all are done, the gap closes or the deadline."""
    if best.closed() or not problem.feasible.any():
        return "closed before any solver started"
    context = mp.get_context("fork")
    channel: Any = context.Queue()
    processes: dict[str, Any] = {}

    def start(name: str, target: Callable[..., None], *args: Any) -> None:
        proc = context.Process(target=_worker, args=(target, channel, name, args), daemon=True)
        proc.start()
        processes[name] = proc

    start_choice = np.array([-1 if j is None else j for j in best.choice], dtype=np.int64)
    restricted: tuple[np.ndarray, np.ndarray, bool, float] | None = None
    milp_bound: dict[str, float] = {}
    running = set()
    if "highs" in solvers:
        start("highs", run_highs, problem, deadline, start_choice)
        running.add("highs")
    elif "cpsat" in solvers:  # CP-SAT alone: every feasible pair, no reduction
        rows, cols = np.nonzero(problem.feasible)
        restricted = (rows, cols, True, -np.inf)
        start("cpsat", run_cpsat, problem, rows, cols, start_choice, deadline, cpsat_workers, seed)
        running.add("cpsat")
    why = "time limit reached"
    try:
        while running:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                name, kind, payload = channel.get(timeout=left)
            except queue.Empty:
                break
            if kind == "incumbent":
                best.offer(payload, name)
            elif kind == "bound":
                best.tighten(payload[0], payload[1])
            elif kind == "columns":
                restricted = payload
                if "cpsat" in solvers and "cpsat" not in processes:
                    hint = np.array([-1 if j is None else j for j in best.choice], dtype=np.int64)
                    start(
                        "cpsat",
                        run_cpsat,
                        problem,
                        payload[0],
                        payload[1],
                        hint,
                        deadline,
                        cpsat_workers,
                        seed,
                    )
                    running.add("cpsat")
            elif kind == "milp-bound" and restricted is not None and restricted[2]:
                milp_bound[name] = min(milp_bound.get(name, np.inf), payload)
                best.tighten(max(payload, restricted[3]), f"{name} branch-and-bound (reduced pairs)")
            elif kind == "error":
                best.notes.append(f"{name} failed: {payload}")
            elif kind == "note":
                best.notes.append(f"{name}: {payload}")
            elif kind == "done":
                running.discard(name)
            if best.closed():
                why = "optimal"
                break
        else:
            why = "every solver finished"
    finally:
        for proc in processes.values():
            if proc.is_alive():
                proc.kill()
        # nothing is read after a kill: a worker killed mid-write would leave half a message in the pipe
        for proc in processes.values():
            proc.join(timeout=1.0)
        channel.close()
        channel.cancel_join_thread()
    return why


def _fill_with_zero_degree(
    instance: MatchingInstance, problem: Problem, choice: list[int | None]
) -> list[int | None]:
    """Serve more energy without changing the objective: unserved requests take M_ij = 0 pairs
    (providers whose reputation is still 0) greedily, largest request first, where capacity is left.
    Heuristic (the exact `matching.solve` maximises served energy by a second MILP)."""
    filled = list(choice)
    left = problem.capacity_wh.copy()
    for i, j in enumerate(filled):
        if j is not None:
            left[j] -= problem.energy_wh[i]
    for i in np.argsort(-problem.energy_wh, kind="stable").tolist():
        if filled[i] is not None:
            continue
        for j in np.nonzero(problem.feasible[i] & (problem.degree[i] == 0))[0].tolist():
            if instance.degree(i, j) == 0 and problem.energy_wh[i] <= left[j]:
                filled[i] = j
                left[j] -= problem.energy_wh[i]
                break
    return filled
