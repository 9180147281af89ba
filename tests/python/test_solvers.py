"""The time-limited solver portfolio (energy_trading.solvers) for seed 003 eq 5: optimality against brute
force, certified bounds, the time limit at 5000 x 200, self-match exclusion, errors."""

import random
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energy_trading.models.matching import (
    WAD,
    InfeasibleAssignment,
    MatchingInstance,
    brute_force,
    evaluate,
    greedy,
    instance_from_json,
    solve,
)
from energy_trading.solvers import OPTIMAL_ABS, OPTIMAL_GAP, solve_portfolio
from energy_trading.solvers.problem import Problem, lagrangian

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from solver_bench import instance as bench_instance


@st.composite
def instances(draw, max_requests=7, max_providers=3):
    """Small random instances: some infeasible pairs, some RC = 0, optional parties (self-matches)."""
    n = draw(st.integers(1, max_requests))
    m = draw(st.integers(1, max_providers))
    energy = [draw(st.integers(1, 20)) * 500 for _ in range(n)]
    capacity = [draw(st.integers(0, 40)) * 500 for _ in range(m)]
    reputation = [draw(st.sampled_from([0, WAD // 4, WAD, draw(st.integers(0, WAD))])) for _ in range(m)]
    revenue = [[draw(st.integers(-3, 30)) * WAD // 10 for _ in range(m)] for _ in range(n)]
    parties = draw(st.booleans())
    return MatchingInstance(
        tuple(f"r{i}" for i in range(n)),
        tuple(energy),
        tuple(f"p{j}" for j in range(m)),
        tuple(capacity),
        tuple(map(tuple, revenue)),
        tuple(reputation),
        request_party=tuple(draw(st.sampled_from(["a", "b", None])) for _ in range(n)) if parties else None,
        provider_party=tuple(draw(st.sampled_from(["a", "b", None])) for _ in range(m)) if parties else None,
    )


def tolerance(instance):
    """Double-precision solvers: 1e-7 of the largest matching degree per request, and never finer than the
    documented absolute precision OPTIMAL_ABS (1e-9 currency units = 1e9 wei)."""
    n, m = instance.shape
    largest = max(
        (instance.degree(i, j) for i in range(n) for j in range(m) if instance.feasible(i, j)), default=0
    )
    return max(n * (largest // 10**7 + 1), int(OPTIMAL_ABS * WAD))


def assert_consistent(result):
    """bound >= objective, gap = (bound - objective) / |bound|, optimal iff the gap is within tolerance."""
    assert result.bound is not None and result.gap is not None
    assert result.bound >= result.objective
    expected = 0.0 if result.bound == 0 else (result.bound - result.objective) / abs(result.bound)
    assert result.gap == pytest.approx(expected, abs=1e-15)
    assert result.optimal == (result.gap <= OPTIMAL_GAP or result.bound - result.objective <= OPTIMAL_ABS)
    assert result.method.startswith("portfolio:")
    assert evaluate(result.instance, result.choice) == (result.objective_wad, result.served_wh)


@settings(max_examples=40, deadline=None)
@given(instances())
def test_portfolio_proves_the_brute_force_optimum(instance):
    exact = brute_force(instance)
    found = solve_portfolio(instance, time_limit_s=20)
    assert_consistent(found)
    assert found.optimal
    assert exact.objective_wad - found.objective_wad <= tolerance(instance)
    assert found.objective_wad <= exact.objective_wad


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.data_too_large, HealthCheck.too_slow]
)
@given(instances(max_requests=9), st.sampled_from([0.001, 0.05]))
def test_a_cut_short_search_still_certifies_its_bound(instance, limit):
    """Whatever stops the search, the bound reported is >= the true optimum (brute force)."""
    found = solve_portfolio(instance, time_limit_s=limit)
    assert_consistent(found)
    assert brute_force(instance).objective <= found.bound * (1 + 1e-9) + 1e-12


@settings(max_examples=40, deadline=None)
@given(instances(), st.lists(st.floats(0, 2), min_size=3, max_size=3))
def test_lagrangian_bound_holds_for_any_multipliers(instance, v):
    problem = Problem.from_instance(instance)
    bound, reduced = lagrangian(problem, np.array(v[: instance.shape[1]]))
    assert brute_force(instance).objective <= bound * (1 + 1e-12) + 1e-12
    assert (reduced[problem.feasible] >= -1e-12).all()


def test_each_solver_alone_and_the_winner_is_named():
    inst = bench_instance(30, 4, seed=7)
    for solvers in (["highs"], ["cpsat"]):
        result = solve_portfolio(inst, time_limit_s=2, solvers=solvers)
        assert_consistent(result)
        assert result.method in {f"portfolio:{s}" for s in (*solvers, "greedy")}
    assert solve_portfolio(inst, time_limit_s=2).objective_wad >= greedy(inst).objective_wad


def test_5000_by_200_with_a_5_s_limit_answers_within_10_s():
    """The issue's timed test: HiGHS once ignored a 60 s limit here for over 5 minutes."""
    inst = bench_instance(5000, 200, seed=2022)
    t0 = time.monotonic()
    result = solve_portfolio(inst, time_limit_s=5)
    elapsed = time.monotonic() - t0
    assert elapsed < 10, f"took {elapsed:.1f} s"
    assert_consistent(result)
    assert result.served_wh > 0 and result.gap < 1


def self_match_instance():
    # a's best offer is its own (p, placed by alice); the contract would refuse it
    return MatchingInstance(
        ("a", "b"),
        (1_000, 1_000),
        ("p", "q"),
        (1_000, 2_000),
        ((9 * WAD, WAD), (WAD, WAD)),
        (WAD, WAD // 2),
        request_party=("alice", "bob"),
        provider_party=("alice", "carol"),
    )


def test_self_matches_are_never_assigned():
    inst = self_match_instance()
    assert not inst.feasible(0, 0) and inst.self_match(0, 0)
    for result in (solve_portfolio(inst, 10), brute_force(inst), solve(inst), greedy(inst)):
        assert result.assignment["a"] != "p"
    assert solve_portfolio(inst, 10).assignment == {"a": "q", "b": "p"}
    with pytest.raises(InfeasibleAssignment, match="self-match \\(both placed by 'alice'\\)"):
        evaluate(inst, [0, 1])


def test_unknown_parties_do_not_forbid_pairs():
    inst = self_match_instance()
    blank = MatchingInstance(
        *[getattr(inst, f) for f in ("request_ids", "energy_wh", "provider_ids")],
        inst.capacity_wh,
        inst.revenue_wad,
        inst.reputation_wad,
        request_party=(None, "bob"),
        provider_party=(None, "carol"),
    )
    assert blank.feasible(0, 0)
    assert solve_portfolio(blank, 10).assignment["a"] == "p"


def test_json_parties_forbid_self_matches():
    inst = instance_from_json(
        {
            "requests": [{"id": "r", "energy_kwh": 1, "party": "0xA"}],
            "providers": [
                {"id": "own", "price": 0.9, "capacity_kwh": 5, "reputation": 1, "party": "0xA"},
                {"id": "other", "price": 0.4, "capacity_kwh": 5, "reputation": 0.5, "party": "0xB"},
            ],
        }
    )
    assert inst.request_party == ("0xA",) and inst.provider_party == ("0xA", "0xB")
    assert solve_portfolio(inst, 10).assignment == {"r": "other"}


def test_party_lists_must_match_the_instance():
    with pytest.raises(ValueError, match="request_party has 2 entries for 1 requests"):
        MatchingInstance(("a",), (1,), ("p",), (1,), ((WAD,),), (WAD,), request_party=("x", "y"))
    with pytest.raises(ValueError, match="provider_party has 0 entries for 1 providers"):
        MatchingInstance(("a",), (1,), ("p",), (1,), ((WAD,),), (WAD,), provider_party=())


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_limit_s": 0}, "time_limit_s must be > 0"),
        ({"time_limit_s": float("nan")}, "time_limit_s must be > 0"),
        ({"solvers": ["gurobi"]}, r"unknown solver\(s\) \['gurobi'\]"),
    ],
)
def test_bad_arguments_say_what_to_fix(kwargs, message):
    with pytest.raises(ValueError, match=message):
        solve_portfolio(self_match_instance(), **kwargs)


def test_no_feasible_pair_is_an_empty_optimal_answer():
    inst = MatchingInstance(("a",), (5_000,), ("p", "q"), (1_000, 9_000), ((WAD, -1),), (WAD, WAD))
    result = solve_portfolio(inst, 5)
    assert result.assignment == {"a": None} and result.optimal and result.bound == 0 and result.gap == 0


def test_empty_instance():
    result = solve_portfolio(MatchingInstance((), (), (), (), (), ()), 5)
    assert result.choice == () and result.optimal and result.objective_wad == 0


def test_zero_reputation_providers_still_serve():
    """M = 0 everywhere (RC = 0): the objective is 0 for all, and unserved requests fill free capacity."""
    rng = random.Random(3)
    inst = MatchingInstance(
        tuple(range(6)),
        tuple(rng.randint(1, 5) * 1_000 for _ in range(6)),
        ("p", "q"),
        (8_000, 6_000),
        tuple((WAD, WAD) for _ in range(6)),
        (0, 0),
    )
    result = solve_portfolio(inst, 5)
    assert result.optimal and result.objective_wad == 0
    left = {"p": 8_000, "q": 6_000}
    for rid, pid in result.assignment.items():
        if pid is not None:
            left[pid] -= inst.energy_wh[rid]
    # maximal: no unserved request fits in the capacity left anywhere
    assert all(inst.energy_wh[rid] > max(left.values()) for rid in result.unserved)
    assert result.served_wh > 0
