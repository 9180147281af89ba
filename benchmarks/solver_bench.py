"""Time of the exact matcher (seed 003 eq 5: HiGHS branch-and-bound through scipy.optimize.milp) at
100 requests x 10 providers and 1000 x 50, beside two baselines measured in the same run:

- a greedy heuristic (pairs by decreasing matching degree): its time and how far its objective falls below
  HiGHS's proven upper bound (the heuristic is never reported as optimal);
- brute-force enumeration on a small instance (8 x 3), where it is exact: both must reach the same
  objective, and the times compare the two exact methods.

Instances are random but seeded: energies 1-20 kWh (to the Wh), providers' total capacity 1.2x demand,
prices 0.35-0.60 per kWh, a grid-crossing fee of 0.02/kWh for pairs in different zones (of 4), and
reputations uniform in [0, 1]. When HiGHS reaches `--time-limit` before proving optimality, its row says
so and gives the remaining gap: the generalized assignment problem is NP-hard, and with M_ij close to RC_j
(revenues of several currency units against reputations below 1) many assignments tie to within 1e-3.

Usage: python benchmarks/solver_bench.py [--time-limit S] [--sizes 100x10 1000x50] [--seed N] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

from energy_trading.models.matching import (
    WAD,
    MatchingInstance,
    brute_force,
    greedy,
    onchain_revenue_wad,
    solve,
)


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


def bench(n: int, m: int, seed: int, time_limit: float) -> dict[str, object]:
    """One size: HiGHS and the greedy baseline on the same instance."""
    inst = instance(n, m, seed)
    exact = solve(inst, time_limit_s=time_limit)
    t0 = time.perf_counter()
    heuristic = greedy(inst)
    greedy_s = time.perf_counter() - t0
    bound = exact.bound if exact.bound is not None else exact.objective
    return {
        "size": f"{n}x{m}",
        "highs_s": round(exact.solve_time_s, 3),
        "highs_optimal": exact.optimal,
        "highs_gap": exact.gap,
        "highs_objective": exact.objective,
        "highs_bound": bound,
        "highs_served_kwh": exact.served_wh / 1000,
        "greedy_s": round(greedy_s, 4),
        "greedy_objective": heuristic.objective,
        "greedy_below_bound_pct": round(100 * (bound - heuristic.objective) / bound, 3) if bound else 0.0,
        "greedy_below_highs_pct": round(100 * (exact.objective - heuristic.objective) / exact.objective, 3)
        if exact.objective
        else 0.0,
    }


def brute(seed: int) -> dict[str, object]:
    """HiGHS beside exhaustive enumeration on an 8 x 3 instance."""
    inst = instance(8, 3, seed)
    exact = solve(inst)
    enumerated = brute_force(inst)
    return {
        "size": "8x3",
        "highs_s": round(exact.solve_time_s, 4),
        "brute_force_s": round(enumerated.solve_time_s, 4),
        "same_objective": abs(exact.objective_wad - enumerated.objective_wad) <= 8 * 10**11,
        "objective": enumerated.objective,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--time-limit", type=float, default=60.0, metavar="S", help="HiGHS limit per size (s)"
    )
    parser.add_argument("--sizes", nargs="+", default=["100x10", "1000x50"], metavar="NxM")
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    small = brute(args.seed)
    rows = []
    for size in args.sizes:
        n, m = (int(x) for x in size.lower().split("x"))
        rows.append(bench(n, m, args.seed, args.time_limit))
    if args.json:
        print(json.dumps({"brute_force_baseline": small, "sizes": rows}, indent=2))
        return 0
    print(
        f"baseline 1, exact enumeration on {small['size']}: brute force {small['brute_force_s']} s, "
        f"HiGHS {small['highs_s']} s, same objective: {small['same_objective']}"
    )
    print(
        f"{'size':>8} {'HiGHS s':>8} {'optimal':>8} {'gap %':>7} {'objective':>10} {'bound':>10} "
        f"{'greedy s':>9} {'greedy obj':>10} {'below bound %':>13}"
    )
    for r in rows:
        gap = 100 * (r["highs_gap"] or 0.0)
        print(
            f"{r['size']:>8} {r['highs_s']:>8.2f} {r['highs_optimal']!s:>8} {gap:>7.3f} "
            f"{r['highs_objective']:>10.4f} {r['highs_bound']:>10.4f} {r['greedy_s']:>9.4f} "
            f"{r['greedy_objective']:>10.4f} {r['greedy_below_bound_pct']:>13.3f}"
        )
    print(
        "baseline 2 is the greedy heuristic (never optimal); 'below bound' is its distance to HiGHS's proof."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
