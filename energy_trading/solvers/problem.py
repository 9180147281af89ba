"""The matching model (seed 003 eq 5) as NumPy arrays, and the cheap pieces every solver shares.

`Problem` holds the generalized assignment problem in double precision: ``M[i, j]`` the matching degree
(eq 4) in currency units (1.0 = 1e18 WAD), ``energy_kwh[i]``, ``capacity_kwh[j]`` and the mask of feasible
pairs (zeta >= 0, R_i <= a_j, no self-match). The exact WAD objective of any assignment is always
recomputed by `energy_trading.models.matching.evaluate`; these floats only steer the solvers and bound them.

The Lagrangian bound relaxes the capacity rows with multipliers ``v_j >= 0`` (currency per kWh)::

    L(v) = sum_j a_j v_j + sum_i max(0, max_j (M_ij - R_i v_j))

which is an upper bound on eq 5 for EVERY v >= 0 (each request then picks its best provider on its own),
and equals the LP relaxation's value at the LP's optimal capacity duals. It needs no solver, costs one
pass over the n x m matrix, and so gives a certified bound even when no LP finishes in time. Its
reduced costs ``d_ij = u_i - (M_ij - R_i v_j)`` with ``u_i`` the request's best term also prove which
pairs can be dropped: a pair with ``L(v) - d_ij <= incumbent`` is in no assignment better than the
incumbent (reduced-cost fixing).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from energy_trading.models.matching import WAD, WH_PER_KWH, MatchingInstance

__all__ = ["Problem", "greedy_choice", "lagrangian", "local_search", "smoothed_multipliers", "subgradient"]


@dataclass(frozen=True)
class Problem:
    """Eq 5 as arrays (see the module docstring). Build with `Problem.from_instance`.

    Attributes:
        degree: M_ij, float (n, m), currency units; 0 on infeasible pairs.
        feasible: bool (n, m): zeta_ij >= 0, R_i <= a_j and not a self-match.
        energy_kwh: R_i, float (n,).
        energy_wh: R_i, int64 (n,), exact.
        capacity_kwh: a_j, float (m,).
        capacity_wh: a_j, int64 (m,), exact.
    """

    degree: np.ndarray
    feasible: np.ndarray
    energy_kwh: np.ndarray
    energy_wh: np.ndarray
    capacity_kwh: np.ndarray
    capacity_wh: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(requests, providers)."""
        return self.feasible.shape  # type: ignore[return-value]

    @classmethod
    def from_instance(cls, instance: MatchingInstance) -> Problem:
        """Arrays of `instance`; the degrees are eq 4 in double precision (relative error ~1e-16)."""
        n, m = instance.shape
        zeta = np.array(instance.revenue_wad, dtype=float).reshape(n, m) / WAD
        rc = np.array(instance.reputation_wad, dtype=float) / WAD
        energy_wh = np.array(instance.energy_wh, dtype=np.int64)
        capacity_wh = np.array(instance.capacity_wh, dtype=np.int64)
        feasible = (zeta >= 0) & (energy_wh[:, None] <= capacity_wh[None, :])
        if instance.request_party is not None and instance.provider_party is not None:
            codes: dict[object, int] = {}
            req = np.array(
                [-1 if p is None else codes.setdefault(p, len(codes)) for p in instance.request_party]
            )
            prov = np.array(
                [-2 if p is None else codes.setdefault(p, len(codes)) for p in instance.provider_party]
            )
            feasible &= req[:, None] != prov[None, :]
        denominator = zeta + rc[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            degree = np.where(feasible & (denominator > 0), zeta * rc[None, :] / denominator, 0.0)
        return cls(
            degree=degree,
            feasible=feasible,
            energy_kwh=energy_wh / WH_PER_KWH,
            energy_wh=energy_wh,
            capacity_kwh=capacity_wh / WH_PER_KWH,
            capacity_wh=capacity_wh,
        )

    def objective(self, choice: np.ndarray) -> float:
        """Float objective of a choice vector (provider index per request, -1 = unserved)."""
        served = choice >= 0
        return float(self.degree[np.nonzero(served)[0], choice[served]].sum())

    def is_feasible(self, choice: np.ndarray) -> bool:
        """Whether a choice vector respects eq 5's constraints (exact integer capacities)."""
        served = np.nonzero(choice >= 0)[0]
        if not self.feasible[served, choice[served]].all():
            return False
        load = np.bincount(choice[served], weights=self.energy_wh[served], minlength=self.shape[1])
        return bool((load <= self.capacity_wh).all())


def greedy_choice(problem: Problem, order: np.ndarray | None = None) -> np.ndarray:
    """Pairs by decreasing `order` (default M_ij), taken while capacity allows; -1 = unserved.

    Vectorised candidate ranking; the capacity bookkeeping is a loop over the ranked pairs that stops
    as soon as every request is served. Used as the first incumbent, never reported as optimal.
    """
    n = problem.shape[0]
    score = problem.degree if order is None else order
    ii, jj = np.nonzero(problem.feasible)
    rank = np.lexsort((-problem.energy_kwh[ii], -score[ii, jj]))
    left = problem.capacity_wh.tolist()
    energy = problem.energy_wh.tolist()
    choice = [-1] * n
    todo = n
    for i, j in zip(ii[rank].tolist(), jj[rank].tolist(), strict=True):
        if choice[i] < 0 and energy[i] <= left[j]:
            choice[i] = j
            left[j] -= energy[i]
            todo -= 1
            if not todo:
                break
    return np.array(choice, dtype=np.int64)


def lagrangian(problem: Problem, v: np.ndarray) -> tuple[float, np.ndarray]:
    """``L(v)`` (an upper bound on eq 5 for any v >= 0) and the reduced costs ``d_ij`` (inf if infeasible)."""
    priced = np.where(problem.feasible, problem.degree - problem.energy_kwh[:, None] * v[None, :], -np.inf)
    best = np.maximum(priced.max(axis=1, initial=-np.inf), 0.0)
    value = float(problem.capacity_kwh @ v + best.sum())
    return value, best[:, None] - priced


def subgradient(
    problem: Problem, lower: float, deadline: float, iterations: int = 60
) -> tuple[float, np.ndarray]:
    """Polyak subgradient steps on ``L(v)`` toward the incumbent value `lower`; best (bound, v) found.

    Every iterate is a valid bound; this only improves the starting point of the LP (its columns) and
    gives a bound within milliseconds even if nothing else finishes. Stops at `deadline`
    (time.monotonic()).
    """
    n, m = problem.shape
    v = np.zeros(m)
    best_value, best_v = np.inf, v
    step = 1.0
    rows = np.arange(n)
    for _ in range(iterations):
        if time.monotonic() > deadline:
            break
        priced = np.where(
            problem.feasible, problem.degree - problem.energy_kwh[:, None] * v[None, :], -np.inf
        )
        j = priced.argmax(axis=1)
        r = priced[rows, j]
        take = r > 0
        value = float(problem.capacity_kwh @ v + r[take].sum())
        if value < best_value:
            best_value, best_v = value, v.copy()
        else:
            step *= 0.8
        g = problem.capacity_kwh - np.bincount(j[take], weights=problem.energy_kwh[take], minlength=m)
        norm = float(g @ g)
        if norm == 0 or value - lower <= 1e-12 * max(1.0, abs(value)):
            break
        v = np.maximum(0.0, v - step * (value - lower) / norm * g)
    return best_value, best_v


def _top(matrix: np.ndarray, k: int) -> np.ndarray:
    """Flat indices of the k largest finite-or-not entries of `matrix`, largest first."""
    flat = matrix.ravel()
    k = min(k, flat.size)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-flat, k - 1)[:k] if k < flat.size else np.arange(flat.size)
    return part[np.argsort(-flat[part], kind="stable")]


def local_search(
    problem: Problem,
    choice: np.ndarray,
    deadline: float,
    sample: int = 600,
    seed: int = 0,
    on_round: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """Improve a feasible assignment by shifts (one request to another provider with room, or an unserved
    request into room) and swaps (two served requests exchange providers), best gains first, until no
    move gains or `deadline` (time.monotonic()). Capacities are checked in exact Wh; the result is
    feasible whenever `choice` is.

    Swaps look at all pairs of at most `sample` requests per round (a random subset beyond that), so one
    round costs O(sample^2 + n m) NumPy work. `on_round` receives the assignment after every round that
    moved something (anytime use).
    """
    n, m = problem.shape
    rng = np.random.default_rng(seed)
    choice = choice.copy()
    energy = problem.energy_wh
    degree = np.where(problem.feasible, problem.degree, -np.inf)
    while time.monotonic() < deadline:
        served = choice >= 0
        load = np.bincount(choice[served], weights=energy[served], minlength=m).astype(np.int64)
        slack = problem.capacity_wh - load
        current = np.where(served, degree[np.arange(n), np.maximum(choice, 0)], 0.0)
        # shifts: request i to provider k with room
        gain = np.where(energy[:, None] <= slack[None, :], degree - current[:, None], -np.inf)
        gain[np.arange(n)[served], choice[served]] = -np.inf
        moved = False
        shifted = np.zeros(n, dtype=bool)
        for flat in _top(gain, n).tolist():
            i, k = divmod(flat, m)
            if gain[i, k] <= 1e-12:
                break
            # gains of other requests stay exact (they depend only on their own provider); room is rechecked
            if shifted[i] or energy[i] > slack[k]:
                continue
            if choice[i] >= 0:
                slack[choice[i]] += energy[i]
            slack[k] -= energy[i]
            choice[i] = k
            shifted[i] = moved = True
        if moved:
            if on_round is not None:
                on_round(choice.copy())
            continue
        # swaps between served requests a (at j) and b (at k)
        pool = np.nonzero(served)[0]
        if len(pool) > sample:
            pool = rng.choice(pool, sample, replace=False)
        c = choice[pool]
        cross = degree[pool][:, c]  # cross[a, b] = M[a, provider of b]
        here = current[pool]
        swap = cross + cross.T - here[:, None] - here[None, :]
        de = energy[pool][:, None] - energy[pool][None, :]  # E_a - E_b
        swap[(de > slack[c][None, :]) | (-de > slack[c][:, None]) | (c[:, None] == c[None, :])] = -np.inf
        done = np.zeros(len(pool), dtype=bool)
        for flat in _top(swap, len(pool)).tolist():
            a, b = divmod(flat, len(pool))
            if swap[a, b] <= 1e-12:
                break
            if done[a] or done[b]:
                continue
            j, k = c[a], c[b]
            ea, eb = energy[pool[a]], energy[pool[b]]
            if ea - eb > slack[k] or eb - ea > slack[j]:
                continue
            slack[k] -= ea - eb
            slack[j] -= eb - ea
            choice[pool[a]], choice[pool[b]] = k, j
            done[a] = done[b] = True
            moved = True
        if not moved:
            break
        if on_round is not None:
            on_round(choice.copy())
    return choice


class _OutOfTime(Exception):
    """Raised inside an objective evaluation to stop SciPy's minimiser at a deadline."""


def smoothed_multipliers(
    problem: Problem, deadline: float, temperatures: tuple[float, ...] = (0.05, 0.01, 0.002, 0.0005)
) -> tuple[float, np.ndarray]:
    """Capacity multipliers v from L-BFGS-B (SciPy) on a smoothed ``L(v)``; the best (``L(v)``, v) found.

    ``L(v)`` is not differentiable; replacing each request's ``max(0, max_j ...)`` by a log-sum-exp at
    temperature tau gives a smooth convex function above it, minimised over v >= 0 for decreasing tau
    (each stage warm-starts the next). The bound returned is the exact ``L(v)`` (float64) at the v found,
    so the smoothing (done in float32 for speed) never affects its validity. At 5000 x 200 this reached
    0.015 % above the LP value in 14 s where column generation needed 2 minutes. Stops at `deadline`
    (time.monotonic()), keeping the last point evaluated.
    """
    from scipy.optimize import minimize

    m = problem.shape[1]
    priced = np.where(problem.feasible, problem.degree, -np.inf).astype(np.float32)
    energy = problem.energy_kwh.astype(np.float32)
    capacity = problem.capacity_kwh

    last = [np.zeros(m)]

    def smooth(v: np.ndarray, tau: float) -> tuple[float, np.ndarray]:
        if time.monotonic() > deadline:
            raise _OutOfTime
        last[0] = v
        z = (priced - energy[:, None] * v.astype(np.float32)[None, :]) / np.float32(tau)
        top = np.maximum(z.max(axis=1), 0.0)
        w = np.exp(z - top[:, None])
        total = w.sum(axis=1) + np.exp(-top)
        value = float(capacity @ v) + tau * float((top + np.log(total)).sum())
        grad = capacity - (w / total[:, None] * energy[:, None]).sum(axis=0, dtype=np.float64)
        return value, grad

    v = np.zeros(m)
    best_value, best_v = lagrangian(problem, v)[0], v
    for tau in temperatures:
        if time.monotonic() > deadline:
            break
        try:
            result = minimize(
                smooth,
                v,
                args=(tau,),
                jac=True,
                method="L-BFGS-B",
                bounds=[(0, None)] * m,
                options={"maxiter": 100},
            )
            v = np.maximum(result.x, 0.0)
        except _OutOfTime:
            v = np.maximum(last[0], 0.0)
        value = lagrangian(problem, v)[0]
        if value < best_value:
            best_value, best_v = value, v
    return best_value, best_v
