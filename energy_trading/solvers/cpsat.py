"""OR-Tools CP-SAT on seed 003 eq 5, restricted to given pairs, for the portfolio's second worker process.

CP-SAT needs integer coefficients: the objective uses ``W_ij = floor(M_ij * S)`` with S chosen so the
largest W is about 2**30. Since ``M_ij < (W_ij + 1) / S``, a CP-SAT bound B on ``sum W x`` bounds the true
objective by ``(B + p) / S`` where p is the most pairs an assignment can hold (one per request); that
correction is what is reported, so the bound stays certified. Capacities are exact integers (Wh).

Messages (same protocol as `energy_trading.solvers.highs`): ``("incumbent", choice)`` for each improving
solution, ``("milp-bound", value)`` for each improvement of CP-SAT's proven bound (corrected as above),
``("proved", value)`` when CP-SAT closes the (scaled) restricted problem.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from ortools.sat.python import cp_model

from energy_trading.solvers.highs import Send
from energy_trading.solvers.problem import Problem

__all__ = ["run_cpsat"]

# largest scaled objective coefficient: keeps sums of up to ~1e6 pairs inside int64 with room to spare
SCALE_TOP = 2**30


def run_cpsat(
    problem: Problem,
    rows: np.ndarray,
    cols: np.ndarray,
    start: np.ndarray,
    deadline: float,
    workers: int = 2,
    seed: int = 0,
    *,
    send: Send,
) -> None:
    """CP-SAT on the pairs (rows, cols), hinted with `start`, until `deadline` (time.monotonic())."""
    n, m = problem.shape
    k = len(rows)
    degree = problem.degree[rows, cols]
    top = float(degree.max()) if k else 0.0
    scale = SCALE_TOP / top if top > 0 else 1.0
    weight = np.floor(degree * scale).astype(np.int64)
    model = cp_model.CpModel()
    x = model.new_bool_var_series("x", pd.Index(np.arange(k)))
    order = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[order], np.arange(n + 1))
    for i in range(n):
        members = order[bounds[i] : bounds[i + 1]]
        if len(members) > 1:
            model.add_at_most_one(x.iloc[members].tolist())
    by_col = np.argsort(cols, kind="stable")
    cbounds = np.searchsorted(cols[by_col], np.arange(m + 1))
    energy = problem.energy_wh[rows]
    for j in range(m):
        members = by_col[cbounds[j] : cbounds[j + 1]]
        if len(members) and energy[members].sum() > problem.capacity_wh[j]:
            model.add(
                cp_model.LinearExpr.weighted_sum(x.iloc[members].tolist(), energy[members].tolist())
                <= int(problem.capacity_wh[j])
            )
    model.maximize(cp_model.LinearExpr.weighted_sum(x.tolist(), weight.tolist()))
    chosen = {(int(i), int(j)) for i, j in enumerate(start.tolist()) if j >= 0}
    for c in range(k):
        model.add_hint(x.iloc[c], (int(rows[c]), int(cols[c])) in chosen)
    pairs_at_most = min(n, k)

    def true_bound(scaled: float) -> float:
        return (scaled + pairs_at_most) / scale

    class Stream(cp_model.CpSolverSolutionCallback):
        def on_solution_callback(self) -> None:
            # the k pair variables were created first: indices 0..k-1 of the solution vector
            y = np.fromiter(self.response_proto.solution, dtype=np.int64)[:k] > 0
            choice = np.full(n, -1, dtype=np.int64)
            choice[rows[y]] = cols[y]
            send("incumbent", choice)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.01)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = seed
    last = [np.inf]

    def on_bound(scaled: float) -> None:
        value = true_bound(scaled)
        if value < last[0]:
            last[0] = value
            send("milp-bound", value)

    solver.best_bound_callback = on_bound
    status: Any = solver.solve(model, Stream())
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        send("milp-bound", true_bound(solver.best_objective_bound))
    if status == cp_model.OPTIMAL:
        send("proved", true_bound(solver.objective_value))
