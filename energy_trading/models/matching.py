"""Optimal matching of requests to providers (seed 003 eq 3-5), in the contract's fixed point.

Pure functions and dataclasses, no chain access. The model:

- revenue (eq 3) ``zeta_ij = R_i * r_j - eta_ij``, here in WAD currency units (1e18 = one unit of cash);
- matching degree (eq 4) ``M_ij = zeta_ij * RC_j / (zeta_ij + RC_j)`` (0 when both are 0), WAD;
- optimal matching (eq 5): maximise ``sum x_ij * M_ij`` over binary x with each request served by at
  most one provider, ``sum_i R_i x_ij <= a_j`` and x_ij = 0 where zeta_ij < 0. Requests left unserved
  fall back to the grid and are reported. Ties are broken by served energy, as the on-chain verifier
  does (so providers whose reputation is still 0, and whose M is therefore 0, still serve).

The integer definitions (`matching_degree_wad`, `onchain_revenue_wad`) are exactly the ones
`contracts/market/MatchingMarket.sol` uses (see `interfaces/IMatchingMarket.sol`), so an assignment's
objective computed here equals the one the on-chain verifier computes, to the wei.

`solve` is exact: a mixed-integer program (the generalized assignment problem) solved by HiGHS
through `scipy.optimize.milp` with a zero relative gap, branch-and-bound as the paper prescribes.
`brute_force` enumerates every assignment (small instances only) and is the test oracle; `greedy`
is a heuristic kept only as the benchmark's baseline and is never reported as optimal.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

__all__ = [
    "WAD",
    "InfeasibleAssignment",
    "MatchResult",
    "MatchingInstance",
    "brute_force",
    "evaluate",
    "greedy",
    "instance_from_json",
    "matching_degree_wad",
    "onchain_revenue_wad",
    "result_to_json",
    "solve",
    "to_wad",
]

WAD = 10**18
WH_PER_KWH = 1_000


class InfeasibleAssignment(ValueError):
    """An assignment breaks a constraint of eq 5; the message names the pair and the constraint."""


def to_wad(value: float | str | Decimal) -> int:
    """A decimal quantity (currency, reputation) as a WAD integer, rounded down, via its decimal text."""
    return int(Decimal(str(value)) * WAD)


def matching_degree_wad(zeta_wad: int, reputation_wad: int) -> int:
    """Seed 003 eq 4 in WAD: ``floor(zeta * RC / (zeta + RC))``, 0 when both are 0 (zeta >= 0)."""
    if zeta_wad < 0:
        raise ValueError(f"matching degree is defined only for zeta >= 0 (got {zeta_wad})")
    if zeta_wad == 0 and reputation_wad == 0:
        return 0
    return zeta_wad * reputation_wad // (zeta_wad + reputation_wad)


def onchain_revenue_wad(
    energy_wh: int, price_per_kwh: int, crossing_fee_per_kwh: int, tokens_per_currency_wad: int = WAD
) -> int:
    """Seed 003 eq 3 exactly as `MatchingMarket` computes it, in WAD currency units.

    Revenue ``floor(R*r/1000)`` and network fee ``eta = ceil(R*f/1000)`` are token base units (prices
    per kWh, energy in Wh); ``zeta = floor((revenue - eta) * 1e18 / t)``. A negative result means the pair
    is infeasible (the contract reverts with `NegativeRevenue`).
    """
    revenue = energy_wh * price_per_kwh // WH_PER_KWH
    eta = -(-energy_wh * crossing_fee_per_kwh // WH_PER_KWH)
    if revenue < eta:
        return -1
    return (revenue - eta) * WAD // tokens_per_currency_wad


@dataclass(frozen=True)
class MatchingInstance:
    """One period's matching problem in fixed point.

    Attributes:
        request_ids: identifiers of the requests i (any hashable: on-chain ids, names).
        energy_wh: R_i per request, Wh.
        provider_ids: identifiers of the providers / offers j.
        capacity_wh: a_j per provider, Wh.
        revenue_wad: zeta_ij per (request, provider), WAD currency units; negative = infeasible pair.
        reputation_wad: RC_j per provider, WAD (1e18 = 1.0).
        request_party: optional, who placed each request (the buyer's account); None = unknown.
        provider_party: optional, who placed each offer (the seller's account); None = unknown.
            A pair whose two parties are known and equal is a self-match: the market contract refuses
            it, so it is infeasible here too.
    """

    request_ids: tuple[Hashable, ...]
    energy_wh: tuple[int, ...]
    provider_ids: tuple[Hashable, ...]
    capacity_wh: tuple[int, ...]
    revenue_wad: tuple[tuple[int, ...], ...]
    reputation_wad: tuple[int, ...]
    request_party: tuple[Hashable | None, ...] | None = None
    provider_party: tuple[Hashable | None, ...] | None = None

    def __post_init__(self) -> None:
        n, m = len(self.request_ids), len(self.provider_ids)
        if len(self.energy_wh) != n:
            raise ValueError(f"energy_wh has {len(self.energy_wh)} entries for {n} requests")
        if len(self.capacity_wh) != m or len(self.reputation_wad) != m:
            raise ValueError(f"capacity_wh and reputation_wad need one entry per provider ({m})")
        if len(self.revenue_wad) != n or any(len(row) != m for row in self.revenue_wad):
            raise ValueError(f"revenue_wad must be a {n} x {m} matrix (requests x providers)")
        if any(e <= 0 for e in self.energy_wh):
            raise ValueError("every request needs energy_wh > 0")
        if any(a < 0 for a in self.capacity_wh) or any(rc < 0 for rc in self.reputation_wad):
            raise ValueError("capacities and reputations must be >= 0")
        if self.request_party is not None and len(self.request_party) != n:
            raise ValueError(f"request_party has {len(self.request_party)} entries for {n} requests")
        if self.provider_party is not None and len(self.provider_party) != m:
            raise ValueError(f"provider_party has {len(self.provider_party)} entries for {m} providers")

    @property
    def shape(self) -> tuple[int, int]:
        """(requests, providers)."""
        return len(self.request_ids), len(self.provider_ids)

    def self_match(self, i: int, j: int) -> bool:
        """Whether request i and offer j were placed by the same known party (the contract refuses it)."""
        if self.request_party is None or self.provider_party is None:
            return False
        party = self.request_party[i]
        return party is not None and party == self.provider_party[j]

    def feasible(self, i: int, j: int) -> bool:
        """Whether x_ij = 1 can be part of some assignment (zeta_ij >= 0, R_i <= a_j, no self-match)."""
        return (
            self.revenue_wad[i][j] >= 0
            and self.energy_wh[i] <= self.capacity_wh[j]
            and not self.self_match(i, j)
        )

    def degree(self, i: int, j: int) -> int:
        """M_ij in WAD (the pair must have zeta_ij >= 0)."""
        return matching_degree_wad(self.revenue_wad[i][j], self.reputation_wad[j])


@dataclass(frozen=True)
class MatchResult:
    """An assignment and how it was found.

    Attributes:
        choice: per request index, the provider index serving it or None (grid fallback).
        objective_wad: sum of M_ij over the assignment, exact WAD integer.
        served_wh: sum of R_i over served requests.
        optimal: True only when an exact method proved optimality (never for a heuristic).
        method: "milp-highs", "brute-force", "greedy", or for `energy_trading.solvers.solve_portfolio`
            "portfolio:<source>" naming the solver whose assignment won.
        status: the solver's own status message.
        solve_time_s: wall-clock seconds spent.
        bound: for the MILP and the portfolio, the proven upper bound on the objective (float, 1.0 = 1e18
            WAD); None otherwise.
        gap: for the MILP and the portfolio, the relative gap ``(bound - objective) / |bound|`` (0 when both
            are 0) between `bound` and the assignment found.
    """

    instance: MatchingInstance = field(repr=False)
    choice: tuple[int | None, ...]
    objective_wad: int
    served_wh: int
    optimal: bool
    method: str
    status: str = ""
    solve_time_s: float = 0.0
    bound: float | None = None
    gap: float | None = None

    @property
    def objective(self) -> float:
        """The objective as a float (WAD / 1e18)."""
        return self.objective_wad / WAD

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(request index, provider index) of every served request, by request index."""
        return [(i, j) for i, j in enumerate(self.choice) if j is not None]

    @property
    def assignment(self) -> dict[Hashable, Hashable | None]:
        """request id -> provider id (None = unserved, falls back to the grid)."""
        inst = self.instance
        return {
            rid: (None if j is None else inst.provider_ids[j])
            for rid, j in zip(inst.request_ids, self.choice, strict=True)
        }

    @property
    def unserved(self) -> list[Hashable]:
        """Ids of the requests no provider serves (grid fallback)."""
        return [rid for rid, j in zip(self.instance.request_ids, self.choice, strict=True) if j is None]


def evaluate(instance: MatchingInstance, choice: Sequence[int | None]) -> tuple[int, int]:
    """(objective_wad, served_wh) of an assignment; `InfeasibleAssignment` names a broken constraint.

    `choice[i]` is the provider index serving request i, or None.
    """
    n, m = instance.shape
    if len(choice) != n:
        raise InfeasibleAssignment(f"the assignment lists {len(choice)} requests, the instance has {n}")
    used = [0] * m
    objective = served = 0
    for i, j in enumerate(choice):
        if j is None:
            continue
        if not 0 <= j < m:
            raise InfeasibleAssignment(f"request {instance.request_ids[i]!r}: no provider index {j}")
        if instance.revenue_wad[i][j] < 0:
            raise InfeasibleAssignment(
                f"request {instance.request_ids[i]!r} -> provider {instance.provider_ids[j]!r}: "
                "negative revenue (zeta < 0)"
            )
        if instance.self_match(i, j):
            raise InfeasibleAssignment(
                f"request {instance.request_ids[i]!r} -> provider {instance.provider_ids[j]!r}: "
                f"self-match (both placed by {instance.request_party[i]!r})"  # type: ignore[index]
            )
        used[j] += instance.energy_wh[i]
        if used[j] > instance.capacity_wh[j]:
            raise InfeasibleAssignment(
                f"provider {instance.provider_ids[j]!r}: {used[j]} Wh assigned, "
                f"capacity {instance.capacity_wh[j]} Wh"
            )
        objective += instance.degree(i, j)
        served += instance.energy_wh[i]
    return objective, served


def _result(instance: MatchingInstance, choice: Sequence[int | None], **kw: Any) -> MatchResult:
    objective, served = evaluate(instance, choice)
    return MatchResult(instance, tuple(choice), objective, served, **kw)


def solve(instance: MatchingInstance, time_limit_s: float | None = None) -> MatchResult:
    """The optimal assignment (eq 5) by mixed-integer programming (SciPy `milp`, HiGHS branch-and-bound).

    Stage 1 maximises ``sum M_ij x_ij`` over every feasible pair with ``mip_rel_gap = 0``; `optimal` is
    True only when HiGHS proved that optimum (in double precision, with the coefficients scaled so the
    largest M_ij is 1: objective differences below HiGHS's tolerances, about 1e-7 of the largest M_ij
    per request, are invisible to it, and the verifier's exact integers may rank two such answers
    differently) (False when `time_limit_s` stopped the search first: the
    answer is then HiGHS's best feasible assignment and `status` says so). Stage 2 breaks ties the way
    the on-chain verifier does, by served energy, without touching stage 1's objective: the pairs
    stage 1 chose with ``M_ij > 0`` stay, and the capacity they leave is filled, exactly, with pairs of
    ``M_ij = 0`` (providers whose reputation is still 0) to serve as much energy as possible.
    """
    t0 = time.perf_counter()
    n, m = instance.shape
    pairs = [(i, j) for i in range(n) for j in range(m) if instance.feasible(i, j)]
    if not pairs:
        return _result(instance, [None] * n, optimal=True, method="milp-highs", status="no feasible pair")
    degree = np.array([instance.degree(i, j) for i, j in pairs], dtype=float)
    # scale so the largest coefficient is 1: HiGHS's tolerances are absolute, about 1e-7 to 1e-9
    scale = max(float(degree.max()), 1.0)
    degree /= scale
    stage1 = _gap_milp(instance, pairs, degree, list(instance.capacity_wh), time_limit_s)
    choice = _choice(stage1.x, pairs, n)
    # stage 2: keep the pairs with M > 0, fill the rest with M = 0 pairs to maximise served energy
    choice = [j if j is not None and instance.degree(i, j) > 0 else None for i, j in enumerate(choice)]
    left = list(instance.capacity_wh)
    for i, j in enumerate(choice):
        if j is not None:
            left[j] -= instance.energy_wh[i]
    zero = [(i, j) for i, j in pairs if choice[i] is None and instance.degree(i, j) == 0 and left[j] > 0]
    if zero:
        energy = np.array([instance.energy_wh[i] for i, _ in zero], dtype=float)
        stage2 = _gap_milp(instance, zero, energy / max(energy.max(), 1.0), left, time_limit_s)
        for value, (i, j) in zip(stage2.x, zero, strict=True):
            if value > 0.5:
                choice[i] = j
    return _result(
        instance,
        choice,
        optimal=stage1.status == 0,
        method="milp-highs",
        status=str(stage1.message),
        solve_time_s=time.perf_counter() - t0,
        bound=-float(stage1.mip_dual_bound) * scale / WAD + 0.0,  # + 0.0: no "-0.0" for an empty instance
        gap=float(stage1.mip_gap),
    )


def _gap_milp(
    instance: MatchingInstance,
    pairs: list[tuple[int, int]],
    value: np.ndarray,
    capacity_wh: list[int],
    time_limit_s: float | None,
) -> Any:
    """Maximise ``value @ x`` over binary x on `pairs` (generalized assignment); SciPy's result."""
    n, m = instance.shape
    k = len(pairs)
    rows_i = np.array([i for i, _ in pairs])
    rows_j = np.array([j for _, j in pairs])
    cols = np.arange(k)
    # energies in kWh keep the capacity rows well scaled (the problem is unchanged)
    energy_kwh = np.array(instance.energy_wh, dtype=float) / WH_PER_KWH
    one_per_request = csr_array((np.ones(k), (rows_i, cols)), shape=(n, k))  # sum_j x_ij <= 1
    capacity = csr_array((energy_kwh[rows_i], (rows_j, cols)), shape=(m, k))  # sum_i R_i x_ij <= a_j
    constraints = [
        LinearConstraint(one_per_request, -np.inf, 1),
        LinearConstraint(capacity, -np.inf, np.array(capacity_wh, dtype=float) / WH_PER_KWH),
    ]
    options: dict[str, Any] = {"mip_rel_gap": 0.0}
    if time_limit_s is not None:
        options["time_limit"] = time_limit_s
    res = milp(-value, integrality=np.ones(k), bounds=Bounds(0, 1), constraints=constraints, options=options)
    if res.x is None:
        raise RuntimeError(f"HiGHS found no assignment: {res.message}")
    return res


def _choice(x: np.ndarray, pairs: list[tuple[int, int]], n: int) -> list[int | None]:
    choice: list[int | None] = [None] * n
    for value, (i, j) in zip(x, pairs, strict=True):
        if value > 0.5:
            choice[i] = j
    return choice


def brute_force(instance: MatchingInstance, max_requests: int = 9) -> MatchResult:
    """Every assignment enumerated; the lexicographically best (objective, served energy). Exact integers.

    Only for small instances (the test oracle): refuses more than `max_requests` requests.
    """
    t0 = time.perf_counter()
    n, m = instance.shape
    if n > max_requests:
        raise ValueError(f"brute force over {n} requests would enumerate up to {(m + 1) ** n} assignments")
    options = [[None, *[j for j in range(m) if instance.feasible(i, j)]] for i in range(n)]
    best_key: tuple[int, int] = (-1, -1)
    best_choice: list[int | None] = [None] * n
    choice: list[int | None] = [None] * n
    left = list(instance.capacity_wh)

    def walk(i: int, objective: int, served: int) -> None:
        nonlocal best_key, best_choice
        if i == n:
            if (objective, served) > best_key:
                best_key, best_choice = (objective, served), list(choice)
            return
        for j in options[i]:
            if j is None:
                choice[i] = None
                walk(i + 1, objective, served)
                continue
            r = instance.energy_wh[i]
            if r > left[j]:
                continue
            left[j] -= r
            choice[i] = j
            walk(i + 1, objective + instance.degree(i, j), served + r)
            left[j] += r
        choice[i] = None

    walk(0, 0, 0)
    return _result(
        instance, best_choice, optimal=True, method="brute-force", solve_time_s=time.perf_counter() - t0
    )


def greedy(instance: MatchingInstance) -> MatchResult:
    """Baseline heuristic (NOT optimal): take pairs by decreasing M_ij (then energy), if capacity allows."""
    t0 = time.perf_counter()
    n, m = instance.shape
    ranked = sorted(
        (
            (instance.degree(i, j), instance.energy_wh[i], i, j)
            for i in range(n)
            for j in range(m)
            if instance.feasible(i, j)
        ),
        reverse=True,
    )
    left = list(instance.capacity_wh)
    choice: list[int | None] = [None] * n
    for _, r, i, j in ranked:
        if choice[i] is None and r <= left[j]:
            choice[i] = j
            left[j] -= r
    return _result(instance, choice, optimal=False, method="greedy", solve_time_s=time.perf_counter() - t0)


def instance_from_json(data: Mapping[str, Any]) -> MatchingInstance:
    """Build an instance from the `energy-trading match` input format.

    ``{"requests": [{"id", "energy_kwh"}], "providers": [{"id", "price", "capacity_kwh", "reputation"}],
    "network_fee": [[eta per provider] per request]}`` with prices in currency per kWh, network fees
    eta_ij in currency for the whole request, reputations RC_j in [0, 1]. Missing `network_fee` means 0.
    An optional ``"party"`` on a request (its buyer) and on a provider (its seller) forbids pairing the
    two when they are equal (a self-match). Raises `ValueError` naming the field to fix.
    """
    try:
        requests = list(data["requests"])
        providers = list(data["providers"])
    except (KeyError, TypeError) as exc:
        raise ValueError(f"the instance needs lists 'requests' and 'providers' (missing {exc})") from None
    fees = data.get("network_fee")
    n, m = len(requests), len(providers)
    if fees is None:
        fees = [[0] * m for _ in range(n)]
    if len(fees) != n or any(len(row) != m for row in fees):
        raise ValueError(
            f"'network_fee' must be a {n} x {m} matrix: one row per request, one column per provider"
        )

    def get(item: Mapping[str, Any], key: str, where: str) -> Any:
        if key not in item:
            raise ValueError(f"{where} is missing '{key}'")
        return item[key]

    energy = []
    for k, r in enumerate(requests):
        e = Decimal(str(get(r, "energy_kwh", f"requests[{k}]")))
        if e <= 0:
            raise ValueError(f"requests[{k}].energy_kwh must be > 0 (got {e})")
        energy.append(int(e * WH_PER_KWH))
    price_wad, capacity, reputation = [], [], []
    for k, p in enumerate(providers):
        where = f"providers[{k}]"
        price_wad.append(to_wad(get(p, "price", where)))
        capacity.append(int(Decimal(str(get(p, "capacity_kwh", where))) * WH_PER_KWH))
        rc = Decimal(str(get(p, "reputation", where)))
        if not 0 <= rc <= 1:
            raise ValueError(f"{where}.reputation must be in [0, 1] (got {rc})")
        reputation.append(int(rc * WAD))
    revenue = tuple(
        tuple(energy[i] * price_wad[j] // WH_PER_KWH - to_wad(fees[i][j]) for j in range(m)) for i in range(n)
    )
    has_party = any("party" in item for item in (*requests, *providers))
    return MatchingInstance(
        request_ids=tuple(get(r, "id", f"requests[{k}]") for k, r in enumerate(requests)),
        energy_wh=tuple(energy),
        provider_ids=tuple(get(p, "id", f"providers[{k}]") for k, p in enumerate(providers)),
        capacity_wh=tuple(capacity),
        revenue_wad=revenue,
        reputation_wad=tuple(reputation),
        request_party=tuple(r.get("party") for r in requests) if has_party else None,
        provider_party=tuple(p.get("party") for p in providers) if has_party else None,
    )


def result_to_json(result: MatchResult) -> dict[str, Any]:
    """The `energy-trading match` output: assignment, objective, plus served/unserved and solver facts."""
    return {
        "assignment": {str(k): v for k, v in result.assignment.items()},
        "objective": result.objective,
        "objective_wad": str(result.objective_wad),
        "served_kwh": result.served_wh / WH_PER_KWH,
        "unserved": result.unserved,
        "optimal": result.optimal,
        "bound": result.bound,
        "gap": result.gap,
        "method": result.method,
        "solve_time_s": round(result.solve_time_s, 6),
    }
