"""The matching solver (seed 003 eq 5) against its targets, beside two baselines measured in the same run.

For each size, with its own time limit (``NxM:S``; defaults are the issue's targets: 100x10 in 10 s,
1000x50 in 2 s, 5000x200 in 60 s):

- the portfolio (`energy_trading.solvers.solve_portfolio`: LP by column generation, LP-fix warm start,
  HiGHS and CP-SAT in worker processes killed at the deadline): wall time including the arrays, its
  objective, its certified bound, gap and which solver found the winning assignment;
- baseline 1, plain HiGHS MILP (`energy_trading.models.matching.solve`, scipy.optimize.milp) with the
  same time limit, run in a child process that the benchmark kills after ``2 x limit + 30 s`` and reports
  as "no answer" (at 5000 x 200 HiGHS ignores its limit, stuck in presolve);
- baseline 2, the greedy heuristic (pairs by decreasing matching degree; pure Python, never optimal):
  its time and how far it falls below the portfolio's bound.

Before that, on an 8 x 3 instance, brute-force enumeration (exact) beside both solvers.

Instances are random but seeded: energies 1-20 kWh (to the Wh), providers' total capacity 1.2x demand,
prices 0.35-0.60 per kWh, a grid-crossing fee of 0.02/kWh for pairs in different zones (of 4), and
reputations uniform in [0, 1]. With M_ij close to RC_j (revenues of several currency units against
reputations below 1) many assignments tie to within 1e-3, and the LP bound sits 0.3-0.6 % above them.
Wall times depend on the machine's load (the figures in the README were taken on a shared 2-core box).

Usage: python benchmarks/solver_bench.py [--sizes 100x10:10 1000x50:2 5000x200:60] [--seed N] [--json]
       [--no-plain] (skip the plain HiGHS baseline, which can run for minutes)
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import sys
import time
from typing import Any

from energy_trading.models.matching import (
    WAD,
    MatchingInstance,
    brute_force,
    greedy,
    onchain_revenue_wad,
    solve,
)
from energy_trading.solvers import solve_portfolio

TARGETS = {"100x10": (10.0, 0.001), "1000x50": (2.0, 0.005), "5000x200": (60.0, None)}


def instance(n: int, m: int, seed: int) -> MatchingInstance:
    """A seeded random instance with n requests and m providers (see the module docstring)."""
    rng = random.Random(seed)
    energy = [rng.randint(1_000, 20_000) for _ in range(n)]
    total = sum(energy) * 1.2
    shares = [rng.uniform(0.5, 1.5) for _ in range(m)]
    capacity = [int(total * s / sum(shares)) for s in shares]
    price = [int(rng.uniform(0.35, 0.60) * 1000) * WAD // 1000 for _ in range(m)]
    zone_r = [rng.randrange(4) for _ in range(n)]
    zone_p = [rng.randrange(4) for _ in range(m)]
    fee = WAD * 2 // 100
    revenue = tuple(
        tuple(
            onchain_revenue_wad(energy[i], price[j], 0 if zone_r[i] == zone_p[j] else fee) for j in range(m)
        )
        for i in range(n)
    )
    return MatchingInstance(
        tuple(range(n)),
        tuple(energy),
        tuple(range(m)),
        tuple(capacity),
        revenue,
        tuple(rng.randint(0, WAD) for _ in range(m)),
    )


def _plain_child(inst: MatchingInstance, limit: float, conn: Any) -> None:
    # SciPy's bundled HiGHS prints a debug line ("HighsMipSolverData::transformNewIntegerFeasibleSolution
    # tmpSolver.run();") straight to the C-level stdout on some instances, whatever its output options: this
    # child's stdout goes to /dev/null so the table stays clean (its figures come back through the pipe)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        result = solve(inst, time_limit_s=limit)
    except RuntimeError as exc:  # HiGHS stopped at its limit without any assignment
        conn.send(("error", str(exc)))
        return
    conn.send(("ok", (result.objective, result.bound, result.gap, result.optimal)))


def plain_highs(inst: MatchingInstance, limit: float) -> dict[str, object]:
    """Baseline 1 in a child process, killed after ``2 x limit + 30 s`` (then "answered": False)."""
    context = mp.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    t0 = time.perf_counter()
    proc = context.Process(target=_plain_child, args=(inst, limit, send), daemon=True)
    proc.start()
    answered = receive.poll(2 * limit + 30)
    wall = time.perf_counter() - t0
    if not answered:
        proc.kill()
        proc.join()
        return {"answered": False, "wall_s": round(wall, 2), "note": "no answer"}
    kind, payload = receive.recv()
    proc.join()
    if kind == "error":
        return {"answered": False, "wall_s": round(wall, 2), "note": "none found"}
    objective, bound, gap, optimal = payload
    return {
        "answered": True,
        "wall_s": round(wall, 2),
        "objective": objective,
        "bound": bound,
        "gap": gap,
        "optimal": optimal,
    }


def bench(n: int, m: int, seed: int, limit: float, plain: bool) -> dict[str, object]:
    """One size: the portfolio, plain HiGHS and greedy on the same instance."""
    inst = instance(n, m, seed)
    t0 = time.perf_counter()
    result = solve_portfolio(inst, time_limit_s=limit)
    wall = time.perf_counter() - t0
    t0 = time.perf_counter()
    heuristic = greedy(inst)
    greedy_s = time.perf_counter() - t0
    bound = float(result.bound or 0.0)
    row: dict[str, object] = {
        "size": f"{n}x{m}",
        "limit_s": limit,
        "wall_s": round(wall, 2),
        "objective": result.objective,
        "bound": bound,
        "gap": result.gap,
        "optimal": result.optimal,
        "winner": result.method.split(":", 1)[1],
        "bound_from": result.status.split("bound from ", 1)[-1].split(";")[0],
        "greedy_s": round(greedy_s, 3),
        "greedy_objective": heuristic.objective,
        "greedy_below_bound_pct": round(100 * (bound - heuristic.objective) / bound, 3) if bound else 0.0,
        "plain_highs": plain_highs(inst, limit) if plain else None,
    }
    target = TARGETS.get(str(row["size"]))
    if target is not None and target[0] == limit:
        gap_ok = target[1] is None or (result.gap is not None and result.gap < target[1])
        row["target"] = f"{'met' if gap_ok and wall <= limit else 'MISSED'}"
        row["target_detail"] = _target_detail(result.gap, wall, limit, target[1])
    return row


def _target_detail(gap: float | None, wall: float, limit: float, max_gap: float | None) -> str:
    """Why a size met or missed its target, both parts named: the gap against its target and the wall time
    against the limit."""
    shown = "no gap" if gap is None else f"gap {100 * gap:.3f} %"
    if max_gap is None:
        gap_part = f"{shown} (no gap target)"
    else:
        ok = gap is not None and gap < max_gap
        gap_part = f"{shown} {'<' if ok else '>='} {100 * max_gap:g} %: {'met' if ok else 'MISSED'}"
    time_ok = wall <= limit
    time_part = f"wall {wall:.2f} s {'<=' if time_ok else '>'} {limit:g} s: {'met' if time_ok else 'MISSED'}"
    return f"{gap_part}; {time_part}"


def brute(seed: int) -> dict[str, object]:
    """Both solvers beside exhaustive enumeration on an 8 x 3 instance."""
    inst = instance(8, 3, seed)
    plain = solve(inst)
    portfolio = solve_portfolio(inst, time_limit_s=10)
    enumerated = brute_force(inst)
    return {
        "size": "8x3",
        "plain_highs_s": round(plain.solve_time_s, 4),
        "portfolio_s": round(portfolio.solve_time_s, 4),
        "portfolio_optimal": portfolio.optimal,
        "brute_force_s": round(enumerated.solve_time_s, 4),
        "same_objective": max(
            abs(plain.objective_wad - enumerated.objective_wad),
            abs(portfolio.objective_wad - enumerated.objective_wad),
        )
        <= 8 * 10**11,
        "objective": enumerated.objective,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=[f"{size}:{limit:g}" for size, (limit, _) in TARGETS.items()],
        metavar="NxM:S",
        help="sizes and their time limits in seconds (default: the issue's targets)",
    )
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--no-plain", action="store_true", help="skip the plain HiGHS MILP baseline")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    small = brute(args.seed)
    rows = []
    for spec in args.sizes:
        size, _, limit = spec.partition(":")
        n, m = (int(x) for x in size.lower().split("x"))
        rows.append(bench(n, m, args.seed, float(limit or 60), not args.no_plain))
    if args.json:
        print(json.dumps({"brute_force_baseline": small, "sizes": rows}, indent=2))
        return 0
    print(
        f"exact enumeration on {small['size']}: brute force {small['brute_force_s']} s, plain HiGHS "
        f"{small['plain_highs_s']} s, portfolio {small['portfolio_s']} s (optimal: "
        f"{small['portfolio_optimal']}), same objective: {small['same_objective']}"
    )
    print(
        f"{'size':>8} {'limit s':>7} | {'wall s':>6} {'objective':>10} {'bound':>10} {'gap %':>7} {'opt':>5} "
        f"{'winner':>6} {'target':>6} | {'HiGHS s':>7} {'HiGHS obj':>10} {'gap %':>7} | {'greedy s':>8} "
        f"{'greedy obj':>10} {'below bound %':>13}"
    )
    for r in rows:
        p = r["plain_highs"]
        if p is None:
            plain = f"{'skipped':>7} {'':>10} {'':>7}"
        elif not p["answered"]:
            plain = f"{p['wall_s']:>7.1f} {p['note']:>10} {'':>7}"
        else:
            plain = f"{p['wall_s']:>7.2f} {p['objective']:>10.4f} {100 * (p['gap'] or 0.0):>7.3f}"
        print(
            f"{r['size']:>8} {r['limit_s']:>7g} | {r['wall_s']:>6.2f} {r['objective']:>10.4f} "
            f"{r['bound']:>10.4f} {100 * (r['gap'] or 0.0):>7.3f} {r['optimal']!s:>5} {r['winner']:>6} "
            f"{r.get('target', '-'):>6} | {plain} | {r['greedy_s']:>8.3f} {r['greedy_objective']:>10.4f} "
            f"{r['greedy_below_bound_pct']:>13.3f}"
        )
    for r in rows:
        if "target_detail" in r:
            print(f"target {r['size']}: {r['target']} ({r['target_detail']})")
    print(
        "portfolio = energy_trading.solvers; baseline 1 = plain HiGHS MILP (scipy milp, same limit, "
        "'no answer' "
        "= killed after 2 x limit + 30 s, 'none found' = stopped at its limit without an assignment; "
        "a gap of thousands of % = the assignment HiGHS had at its limit is worth a small fraction of the "
        "bound); "
        "baseline 2 = greedy (never optimal), 'below bound' = distance to "
        "the portfolio's certified bound. Targets: 100x10 gap < 0.1 % in 10 s, 1000x50 gap < 0.5 % in 2 s, "
        "5000x200 answered within 60 s. Wall times are from a shared machine."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
