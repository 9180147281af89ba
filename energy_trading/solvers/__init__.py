"""Solvers for the matching model (seed 003 eq 5, `energy_trading.models.matching`) that keep time limits.

`solve_portfolio` runs HiGHS (LP by column generation, LP-fix heuristic, branch-and-bound on the pairs
reduced-cost fixing keeps) and OR-Tools CP-SAT in worker processes killed at the deadline, and returns
the best assignment with a certified bound and gap. Pure Python over NumPy, highspy and ortools: no
chain access.
"""

from energy_trading.solvers.portfolio import OPTIMAL_ABS, OPTIMAL_GAP, SOLVERS, solve_portfolio

__all__ = ["OPTIMAL_ABS", "OPTIMAL_GAP", "SOLVERS", "solve_portfolio"]
