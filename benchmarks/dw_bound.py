"""How far a knapsack Lagrangian (Dantzig-Wolfe) bound gets on the solver benchmark's instances, beside the
LP bound measured in the same run: an experiment for issue 12, not part of the portfolio.

The portfolio's bounds relax the capacity rows (``L(v)``, `energy_trading.solvers.problem`); for a
generalized assignment problem that relaxation has the integrality property, so it proves nothing the LP
does not. Relaxing the other rows (one provider per request) with multipliers ``u_i >= 0`` instead leaves
one 0/1 knapsack per provider::

    K(u) = sum_i u_i + sum_j max { sum_{i in S} (M_ij - u_i) : S feasible for j, sum_{i in S} R_i <= a_j }

an upper bound on seed 003 eq 5 for every u >= 0 that can be strictly below the LP. Its best value (over u) is
the Dantzig-Wolfe bound, found here by column generation: a master LP over knapsack columns (HiGHS), whose
duals price the knapsacks (OR-Tools' knapsack solver, exact). Every round prints

- ``K(u)`` at the master's duals (a certified bound: the knapsack profits are rounded UP to integers, so
  each knapsack's value is over-, never under-estimated), and the best so far;
- the master LP's value, a LOWER bound on the Dantzig-Wolfe bound: no multiplier vector u can prove
  anything below it, so ``(master - incumbent) / master`` is the smallest gap this relaxation could ever
  certify for an incumbent.

The run starts from the LP relaxation's multipliers (u from the capacity duals, so round 0 is already at or
below the LP value), stops at `--limit` seconds or when the two meet, and finally solves the master as a
MILP over the columns generated (price-and-branch: a feasible assignment, usually poor).

The knapsacks are solved exactly with no time limit (a time-limited knapsack would not be a bound), so a
round that started before `--limit` can overrun it: near the end each knapsack has many items of almost
zero profit and one round took tens of seconds on a loaded machine.

Usage: python benchmarks/dw_bound.py [--size 100x10] [--seed 2022] [--limit 120] [--incumbent 51.22496]
"""

from __future__ import annotations

import argparse
import sys
import time

import highspy
import numpy as np
from ortools.algorithms.python import knapsack_solver
from solver_bench import instance

from energy_trading.solvers.highs import column_generation
from energy_trading.solvers.problem import Problem, greedy_choice

# knapsack profits are scaled to integers of about 2**40 (OR-Tools' solver takes int64 profits)
PROFIT_TOP = 2**40


class Knapsacks:
    """One exact 0/1 knapsack per provider: the pricing problem of the Dantzig-Wolfe master."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.scale = PROFIT_TOP / max(float(problem.degree.max()), 1e-300)
        kind = knapsack_solver.SolverType.KNAPSACK_MULTIDIMENSION_BRANCH_AND_BOUND_SOLVER
        self.solvers = [
            knapsack_solver.KnapsackSolver(kind, f"provider {j}") for j in range(problem.shape[1])
        ]

    def best(self, j: int, u: np.ndarray) -> tuple[float, np.ndarray]:
        """(an upper bound on the best knapsack value of provider j at multipliers u, its requests)."""
        p = self.problem
        profit = p.degree[:, j] - u
        items = np.nonzero(p.feasible[:, j] & (profit > 0))[0]
        if not len(items):
            return 0.0, items
        # rounded up: the integer optimum / scale bounds the true knapsack value from above
        scaled = np.ceil(profit[items] * self.scale).astype(np.int64)
        solver = self.solvers[j]
        solver.init(scaled.tolist(), [p.energy_wh[items].tolist()], [int(p.capacity_wh[j])])
        value = solver.solve()
        taken = np.array([solver.best_solution_contains(k) for k in range(len(items))], dtype=bool)
        return value / self.scale, items[taken]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="100x10", help="requests x providers (default 100x10)")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds of column generation")
    parser.add_argument("--incumbent", type=float, help="an assignment's objective, for the gap columns")
    args = parser.parse_args(argv)
    n, m = (int(x) for x in args.size.lower().split("x"))
    problem = Problem.from_instance(instance(n, m, args.seed))
    start = greedy_choice(problem)
    t0 = time.monotonic()
    lp = column_generation(problem, problem.objective(start), t0 + args.limit, lambda kind, payload: None)
    if lp is None or lp[0] is None:
        print("the LP relaxation did not finish within the limit")
        return 1
    lp_value, _, _, _, v = lp
    u = np.maximum(
        np.where(problem.feasible, problem.degree - problem.energy_kwh[:, None] * v, -np.inf).max(1), 0
    )
    print(f"{args.size} seed {args.seed}: LP bound {lp_value:.5f} ({time.monotonic() - t0:.2f} s)")
    knapsacks = Knapsacks(problem)
    master = highspy.Highs()
    master.setOptionValue("output_flag", False)
    inf = highspy.kHighsInf
    # rows 0..n-1: each request in at most one chosen column; rows n..n+m-1: one column per provider
    master.addRows(
        n + m, np.full(n + m, -inf), np.ones(n + m), 0, np.zeros(1, np.int32), np.zeros(0, np.int32), []
    )
    columns = 0

    def add(j: int, items: np.ndarray) -> None:
        nonlocal columns
        index = np.concatenate([items, [n + j]]).astype(np.int32)
        value = -float(problem.degree[items, j].sum())
        master.addCols(
            1, [value], [0.0], [inf], len(index), np.zeros(1, np.int32), index, np.ones(len(index))
        )
        columns += 1

    for j in range(m):  # the greedy assignment's sets, so the master is never empty
        add(j, np.nonzero(start == j)[0])
    best = np.inf
    print(f"{'round':>5} {'s':>7} {'K(u)':>10} {'best K(u)':>10} {'master LP':>10} {'columns':>7}", end="")
    print(f" {'gap now %':>9} {'gap floor %':>11}" if args.incumbent else "")
    rounds = 0
    master_value = -np.inf
    while True:
        total = float(u.sum())
        found = []
        for j in range(m):
            value, items = knapsacks.best(j, u)
            total += value
            found.append((j, items))
        best = min(best, total)
        for j, items in found:
            add(j, items)
        master.run()
        master_value = -master.getInfo().objective_function_value
        dual = -np.array(master.getSolution().row_dual)
        u = np.maximum(dual[:n], 0.0)
        rounds += 1
        line = f"{rounds:>5} {time.monotonic() - t0:>7.2f} {total:>10.5f} {best:>10.5f} {master_value:>10.5f}"
        line += f" {columns:>7}"
        if args.incumbent:
            line += f" {100 * (best - args.incumbent) / best:>9.3f}"
            line += f" {100 * (master_value - args.incumbent) / master_value:>11.3f}"
        if rounds % 10 == 1 or best - master_value <= 1e-7 * abs(best):
            print(line, flush=True)
        if best - master_value <= 1e-7 * abs(best) or time.monotonic() - t0 > args.limit:
            print(line)
            break
    master.changeColsIntegrality(
        columns, np.arange(columns, dtype=np.int32), np.ones(columns, dtype=np.uint8)
    )
    master.setOptionValue("time_limit", 10.0)
    master.run()
    print(
        f"Dantzig-Wolfe bound in [{master_value:.5f}, {best:.5f}] (LP {lp_value:.5f}); price-and-branch "
        f"assignment {-master.getInfo().objective_function_value:.5f}; {time.monotonic() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
