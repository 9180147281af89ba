"""HiGHS (through `highspy`) on seed 003 eq 5: the LP relaxation by column generation, the LP-fix heuristic
and a local search after it, then branch-and-bound on the pairs reduced-cost fixing cannot exclude.

These functions are meant to run in a worker process (`energy_trading.solvers.portfolio`) that the
parent kills at the deadline: HiGHS's own time limit is not checked everywhere (at 5000 x 200 its MIP
presolve spent minutes building the clique table). Every improvement is reported through `send` as
soon as it exists, so whatever has been found when the worker is killed is kept.

Messages sent (kind, payload): ``("bound", (value, why))`` a valid upper bound on the whole problem;
``("incumbent", choice)`` a feasible assignment (provider index per request, -1 = unserved);
``("columns", (rows, cols, complete, lower))`` the pairs the exact search keeps, `complete` when
reduced-cost fixing proved that no assignment better than `lower` uses any other pair;
``("milp-bound", value)`` HiGHS's dual bound on that restricted problem (a bound on the whole problem
only when `complete`, and then as ``max(value, lower)``); ``("proved", value)`` HiGHS closed the
restricted problem.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import highspy
import numpy as np

from energy_trading.solvers.problem import (
    Problem,
    greedy_choice,
    lagrangian,
    local_search,
    smoothed_multipliers,
    subgradient,
)

__all__ = ["column_generation", "lp_fix", "reduced_pairs", "restricted_milp", "run_highs"]

Send = Callable[[str, Any], None]

# from this many pairs on, the first multipliers come from the smoothed Lagrangian (L-BFGS-B), which may
# use SMOOTH_SHARE of the time left
SMOOTH_FROM_PAIRS = 200_000
SMOOTH_SHARE = 0.4
# subgradient steps on L(v) before the first LP (better duals = fewer column-generation rounds)
SUBGRADIENT_STEPS = 200
# share of the time left that the local search after the priced greedy may take
EARLY_SEARCH_SHARE = 0.1
# columns priced in per request and round of column generation (more = fewer rounds, larger LPs)
COLUMNS_PER_ROUND = 10
# reduced-cost tolerance: a pair whose LP reduced cost is below this is not worth adding
PRICING_TOL = 1e-9
# share of the remaining time the LP-fix sub-MILP may use before it returns its best incumbent
LP_FIX_SHARE = 0.25
# share of the time limit column generation may take before the LP-fix starts from where it got
CG_SHARE = 0.5
# at most this long (s) for the local search after the LP-fix, before branch-and-bound takes over
LOCAL_SEARCH_S = 3.0
# largest restricted MILP handed to HiGHS whole (pairs); beyond it the search is a heuristic only
MAX_EXACT_PAIRS = 250_000


def _highs(time_limit_s: float, threads: int = 1) -> Any:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(time_limit_s, 0.01))
    h.setOptionValue("threads", threads)
    return h


def _add_rows(h: Any, problem: Problem, capacity_kwh: np.ndarray, requests: int) -> None:
    inf = highspy.kHighsInf
    upper = np.concatenate([np.ones(requests), capacity_kwh])
    h.addRows(
        len(upper), np.full(len(upper), -inf), upper, 0, np.zeros(1, np.int32), np.zeros(0, np.int32), []
    )


def _add_cols(
    h: Any, problem: Problem, rows: np.ndarray, cols: np.ndarray, row_of: np.ndarray, n_rows: int
) -> None:
    """Columns x_ij: coefficient 1 in request row `row_of[i]`, R_i in capacity row j (objective -M_ij)."""
    k = len(rows)
    index = np.empty(2 * k, dtype=np.int32)
    index[0::2] = row_of[rows]
    index[1::2] = n_rows + cols
    value = np.empty(2 * k)
    value[0::2] = 1.0
    value[1::2] = problem.energy_kwh[rows]
    h.addCols(
        k,
        -problem.degree[rows, cols],
        np.zeros(k),
        np.ones(k),
        2 * k,
        np.arange(0, 2 * k, 2, dtype=np.int32),
        index,
        value,
    )


def column_generation(
    problem: Problem, lower: float, deadline: float, send: Send, give_up: float | None = None
) -> tuple[float | None, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The LP relaxation of seed 003 eq 5 over all pairs, solved on a growing subset of columns.

    Starts from the columns a subgradient step on ``L(v)`` ranks best per request (plus the greedy
    assignment's), prices every pair with the LP's duals after each solve and adds the best positive
    ones. Sends the Lagrangian bound ``L(v)`` of every round's duals. Returns (LP value, x, rows, cols,
    v) once no pair prices positive; after `give_up` (time.monotonic()) the last restricted LP's solution
    with LP value None (not converged: x is LP-feasible, not optimal); v is the multiplier vector with the
    lowest ``L(v)`` seen. None when no restricted LP was solved before `deadline`.
    """
    n, m = problem.shape
    if n * m >= SMOOTH_FROM_PAIRS:  # many pairs: column generation alone converges slowly from poor duals
        now = time.monotonic()
        bound, v = smoothed_multipliers(problem, now + SMOOTH_SHARE * (deadline - now))
        send("bound", (bound, "lagrangian (smoothed, L-BFGS-B)"))
    else:
        bound, v = subgradient(problem, lower, min(deadline, time.monotonic() + 1.0), SUBGRADIENT_STEPS)
        send("bound", (bound, "lagrangian (subgradient)"))
    # an early incumbent: greedy on the priced degrees M_ij - R_i v_j, then a short local search
    priced_greedy = greedy_choice(problem, problem.degree - problem.energy_kwh[:, None] * v[None, :])
    now = time.monotonic()
    send(
        "incumbent",
        local_search(problem, priced_greedy, min(deadline, now + EARLY_SEARCH_SHARE * (deadline - now))),
    )
    _, reduced = lagrangian(problem, v)
    k = min(COLUMNS_PER_ROUND, m)
    top = np.argpartition(reduced, k - 1, axis=1)[:, :k] if k < m else np.tile(np.arange(m), (n, 1))
    rows = np.repeat(np.arange(n), top.shape[1])
    cols = top.ravel()
    start = greedy_choice(problem)
    served = np.nonzero(start >= 0)[0]
    key = np.unique(np.concatenate([rows * m + cols, served * m + start[served]]))
    rows, cols = key // m, key % m
    keep = problem.feasible[rows, cols]
    rows, cols = rows[keep], cols[keep]
    in_lp = np.zeros((n, m), dtype=bool)
    in_lp[rows, cols] = True
    h = _highs(deadline - time.monotonic())
    _add_rows(h, problem, problem.capacity_kwh, n)
    _add_cols(h, problem, rows, cols, np.arange(n), n)
    all_rows, all_cols = [rows], [cols]
    best_bound, best_v = bound, v
    while time.monotonic() < deadline:
        # HiGHS's clock runs over the object's whole life: the limit is its run time so far + what is left
        h.setOptionValue("time_limit", h.getRunTime() + max(deadline - time.monotonic(), 0.01))
        h.run()
        if h.getModelStatus().name != "kOptimal":
            send("note", f"LP stopped: {h.getModelStatus().name}")
            return None
        dual = -np.array(h.getSolution().row_dual)
        u, v = np.maximum(dual[:n], 0.0), np.maximum(dual[n:], 0.0)
        bound, _ = lagrangian(problem, v)
        send("bound", (bound, "lagrangian (LP duals)"))
        if bound < best_bound:
            best_bound, best_v = bound, v
        priced = np.where(
            problem.feasible & ~in_lp, problem.degree - u[:, None] - problem.energy_kwh[:, None] * v, -np.inf
        )
        want = np.nonzero(priced.max(axis=1) > PRICING_TOL)[0]
        if not len(want) or (give_up is not None and time.monotonic() > give_up):
            lp_value = -float(h.getInfo().objective_function_value) if not len(want) else None
            x = np.array(h.getSolution().col_value)
            return (
                lp_value,
                x,
                np.concatenate(all_rows),
                np.concatenate(all_cols),
                v if not len(want) else best_v,
            )
        k = min(COLUMNS_PER_ROUND, m)
        part = (
            np.argpartition(-priced[want], k - 1, axis=1)[:, :k]
            if k < m
            else np.tile(np.arange(m), (len(want), 1))
        )
        rows = np.repeat(want, part.shape[1])
        cols = part.ravel()
        keep = priced[rows, cols] > PRICING_TOL
        rows, cols = rows[keep], cols[keep]
        in_lp[rows, cols] = True
        _add_cols(h, problem, rows, cols, np.arange(n), n)
        all_rows.append(rows)
        all_cols.append(cols)
    return None


def lp_fix(
    problem: Problem, x: np.ndarray, rows: np.ndarray, cols: np.ndarray, deadline: float
) -> np.ndarray | None:
    """The LP-fix heuristic: keep the LP's integral assignments, solve the rest exactly as a small MILP.

    The requests the LP serves fractionally (or not at all) are matched, over all their feasible
    pairs, to the capacity the fixed ones leave. Returns the assignment (-1 = unserved), or None if
    HiGHS found nothing before `deadline`.
    """
    n, m = problem.shape
    choice = np.full(n, -1, dtype=np.int64)
    whole = x > 1 - 1e-6
    choice[rows[whole]] = cols[whole]
    free = np.nonzero(choice < 0)[0]
    left = problem.capacity_wh - np.bincount(
        cols[whole], weights=problem.energy_wh[rows[whole]], minlength=m
    ).astype(np.int64)
    sub = (
        problem.feasible[free] & (problem.energy_wh[free, None] <= left[None, :]) & (problem.degree[free] > 0)
    )
    fi, fj = np.nonzero(sub)
    if not len(fi):
        return choice
    # the LP-fix is a warm start, not the search: a share of the time left, then its best incumbent
    h = _highs(min(deadline - time.monotonic(), max(0.3, LP_FIX_SHARE * (deadline - time.monotonic()))))
    _add_rows(h, problem, left / 1000.0, len(free))
    row_of = np.zeros(n, dtype=np.int64)
    row_of[free] = np.arange(len(free))
    _add_cols(h, problem, free[fi], fj, row_of, len(free))
    h.changeColsIntegrality(len(fi), np.arange(len(fi), dtype=np.int32), np.ones(len(fi), dtype=np.uint8))
    h.setOptionValue("mip_rel_gap", 1e-6)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return None
    y = np.array(h.getSolution().col_value) > 0.5
    choice[free[fi[y]]] = fj[y]
    return choice if problem.is_feasible(choice) else None


def restricted_milp(
    problem: Problem,
    rows: np.ndarray,
    cols: np.ndarray,
    start: np.ndarray,
    deadline: float,
    send: Send,
    threads: int = 1,
) -> None:
    """Branch-and-bound on the pairs (rows, cols) with `start` as warm start; streams its incumbents and
    dual bounds through `send` (see the module docstring)."""
    n = problem.shape[0]
    k = len(rows)
    h = _highs(deadline - time.monotonic(), threads)
    _add_rows(h, problem, problem.capacity_kwh, n)
    _add_cols(h, problem, rows, cols, np.arange(n), n)
    h.changeColsIntegrality(k, np.arange(k, dtype=np.int32), np.ones(k, dtype=np.uint8))
    h.setOptionValue("mip_rel_gap", 0.0)
    position = {(int(i), int(j)): c for c, (i, j) in enumerate(zip(rows, cols, strict=True))}
    warm = np.zeros(k)
    for i, j in enumerate(start.tolist()):
        if j >= 0 and (i, j) in position:
            warm[position[(i, j)]] = 1.0
    solution = highspy.HighsSolution()
    solution.col_value = warm.tolist()
    solution.value_valid = True
    h.setSolution(solution)

    def improving(event: Any) -> None:
        y = np.asarray(event.data_out.mip_solution)[:k] > 0.5
        choice = np.full(n, -1, dtype=np.int64)
        choice[rows[y]] = cols[y]
        send("incumbent", choice)

    last = [np.inf]

    def logging(event: Any) -> None:
        bound = -float(event.data_out.mip_dual_bound)
        if bound < last[0] - 1e-12:
            last[0] = bound
            send("milp-bound", bound)

    h.cbMipImprovingSolution.subscribe(improving)
    h.cbMipInterrupt.subscribe(logging)
    h.run()
    info = h.getInfo()
    if info.mip_dual_bound == info.mip_dual_bound:  # not NaN
        send("milp-bound", -float(info.mip_dual_bound))
    if h.getModelStatus().name == "kOptimal":
        send("proved", -float(info.objective_function_value))


def reduced_pairs(
    problem: Problem, v: np.ndarray, lower: float, limit: int = MAX_EXACT_PAIRS
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The pairs that can be in an assignment better than `lower` (reduced-cost fixing with ``L(v)``).

    Returns (rows, cols, complete): complete = True when every other pair is proven useless; when more
    than `limit` pairs survive, the `limit` with the smallest reduced cost are kept and complete = False.
    """
    bound, reduced = lagrangian(problem, v)
    slack = bound - lower
    keep = problem.feasible & (reduced <= slack + 1e-9 * max(1.0, abs(bound)))
    rows, cols = np.nonzero(keep)
    if len(rows) <= limit:
        return rows, cols, True
    order = np.argpartition(reduced[rows, cols], limit - 1)[:limit]
    return rows[order], cols[order], False


def run_highs(problem: Problem, deadline: float, start: np.ndarray, *, send: Send) -> None:
    """The HiGHS pipeline: LP by column generation, LP-fix, then exact search on the reduced pairs.

    Column generation gets at most CG_SHARE of the time: past it, the LP-fix works from the restricted
    LP's solution (still LP-feasible), so an assignment better than greedy arrives at every size.
    """
    lower = problem.objective(start)
    now = time.monotonic()
    lp = column_generation(problem, lower, deadline, send, give_up=now + CG_SHARE * (deadline - now))
    if lp is None:
        return
    lp_value, x, rows, cols, v = lp
    if lp_value is not None:
        send("bound", (lp_value, "LP relaxation"))
    fixed = lp_fix(problem, x, rows, cols, deadline)
    if fixed is not None:
        send("incumbent", fixed)
        if problem.objective(fixed) > lower:
            start, lower = fixed, problem.objective(fixed)
    # shifts and swaps repack what the LP-fix left: its loss is mostly capacity it could not fill
    sent = [time.monotonic()]

    def stream(choice: np.ndarray) -> None:  # at most every 0.1 s, so a kill at the deadline loses little
        if time.monotonic() - sent[0] >= 0.1:
            sent[0] = time.monotonic()
            send("incumbent", choice)

    improved = local_search(problem, start, min(deadline, time.monotonic() + LOCAL_SEARCH_S), on_round=stream)
    if problem.objective(improved) > lower:
        send("incumbent", improved)
        start, lower = improved, problem.objective(improved)
    r, c, complete = reduced_pairs(problem, v, lower)
    if not complete:  # keep the warm start's pairs so the restricted problem contains it
        served = np.nonzero(start >= 0)[0]
        key = np.unique(np.concatenate([r * problem.shape[1] + c, served * problem.shape[1] + start[served]]))
        r, c = key // problem.shape[1], key % problem.shape[1]
    send("columns", (r, c, complete, lower))
    restricted_milp(problem, r, c, start, deadline, send)
