"""The exact matcher (seed 003 eq 3-5): optimality against brute force, fixed-point definitions, CLI."""

import io
import json
from contextlib import redirect_stdout

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_trading.cli.main import main
from energy_trading.models.matching import (
    WAD,
    InfeasibleAssignment,
    MatchingInstance,
    brute_force,
    evaluate,
    greedy,
    instance_from_json,
    matching_degree_wad,
    onchain_revenue_wad,
    solve,
)


@st.composite
def instances(draw, max_requests=6, max_providers=3):
    """Small random instances: energies in whole and half kWh, some infeasible pairs, some RC = 0."""
    n = draw(st.integers(1, max_requests))
    m = draw(st.integers(1, max_providers))
    energy = [draw(st.integers(1, 20)) * 500 for _ in range(n)]
    capacity = [draw(st.integers(0, 40)) * 500 for _ in range(m)]
    reputation = [
        draw(st.sampled_from([0, WAD // 4, WAD // 2, WAD, draw(st.integers(0, WAD))])) for _ in range(m)
    ]
    revenue = [[draw(st.integers(-3, 30)) * WAD // 10 for _ in range(m)] for _ in range(n)]
    return MatchingInstance(
        tuple(f"r{i}" for i in range(n)),
        tuple(energy),
        tuple(f"p{j}" for j in range(m)),
        tuple(capacity),
        tuple(map(tuple, revenue)),
        tuple(reputation),
    )


def solver_tolerance(instance):
    """HiGHS works in double precision on coefficients scaled to a largest M_ij of 1, with tolerances of
    about 1e-7: "optimal" means within 1e-7 of the largest matching degree per request of the exact
    integer optimum."""
    n, m = instance.shape
    largest = max(
        (instance.degree(i, j) for i in range(n) for j in range(m) if instance.feasible(i, j)), default=0
    )
    return n * (largest // 10**7 + 1)


@settings(max_examples=150, deadline=None)
@given(instances())
def test_milp_reaches_the_brute_force_optimum(instance):
    exact = brute_force(instance)
    found = solve(instance)
    assert found.optimal
    assert found.objective_wad <= exact.objective_wad
    assert exact.objective_wad - found.objective_wad <= solver_tolerance(instance)
    # the answer is feasible by the same rules the verifier applies
    assert evaluate(instance, found.choice) == (found.objective_wad, found.served_wh)


@settings(max_examples=60, deadline=None)
@given(instances())
def test_without_reputation_the_most_energy_is_served(instance):
    """RC = 0 everywhere makes every M_ij 0 (eq 4); the tie-break then serves the most energy possible."""
    blank = MatchingInstance(
        instance.request_ids,
        instance.energy_wh,
        instance.provider_ids,
        instance.capacity_wh,
        tuple(tuple(max(z, 0) for z in row) for row in instance.revenue_wad),
        (0,) * len(instance.provider_ids),
    )
    assert solve(blank).served_wh == brute_force(blank).served_wh


def test_unserved_requests_fall_back_to_the_grid():
    inst = MatchingInstance(
        ("a", "b"), (6_000, 6_000), ("p",), (10_000,), ((5 * WAD,), (6 * WAD,)), (WAD // 2,)
    )
    result = solve(inst)
    assert result.assignment == {"a": None, "b": "p"}  # b's revenue is higher, both cannot fit
    assert result.unserved == ["a"]


def test_negative_revenue_pairs_are_never_assigned():
    inst = MatchingInstance(("a",), (1_000,), ("p", "q"), (5_000, 5_000), ((-1, WAD),), (WAD, WAD // 10))
    assert solve(inst).assignment == {"a": "q"}
    with pytest.raises(InfeasibleAssignment, match="negative revenue"):
        evaluate(inst, [0])


def test_evaluate_names_the_overfull_provider():
    inst = MatchingInstance(("a", "b"), (3_000, 3_000), ("p",), (5_000,), ((WAD,), (WAD,)), (WAD,))
    with pytest.raises(InfeasibleAssignment, match="provider 'p': 6000 Wh assigned, capacity 5000 Wh"):
        evaluate(inst, [0, 0])


def test_greedy_baseline_is_never_called_optimal_and_can_be_beaten():
    # greedy takes the single best pair (a -> p, M highest) and blocks b and c, which together score more
    inst = MatchingInstance(
        ("a", "b", "c"),
        (10_000, 5_000, 5_000),
        ("p",),
        (10_000,),
        ((20 * WAD,), (4 * WAD,), (4 * WAD,)),
        (WAD,),
    )
    g, exact = greedy(inst), solve(inst)
    assert not g.optimal
    assert g.objective_wad < exact.objective_wad
    assert exact.assignment == {"a": None, "b": "p", "c": "p"}


def test_matching_degree_is_eq_4_in_fixed_point():
    zeta, rc = 5 * WAD, 8 * WAD // 10  # 5 currency units, RC 0.8: M = 4 / 5.8
    assert matching_degree_wad(zeta, rc) == 4 * WAD * WAD // (58 * WAD // 10)
    assert matching_degree_wad(0, 0) == 0
    assert matching_degree_wad(0, WAD) == 0
    with pytest.raises(ValueError, match="zeta >= 0"):
        matching_degree_wad(-1, WAD)


def test_revenue_rounds_revenue_down_and_fee_up():
    # 1 Wh at 0.5 token/kWh earns 0.0005 tokens exactly; a fee of 1 base unit per kWh costs 1 base unit (ceil)
    assert onchain_revenue_wad(1, WAD // 2, 1) == WAD // 2000 - 1
    assert onchain_revenue_wad(1_000, WAD, 2 * WAD) == -1  # infeasible
    # t = 2 tokens per currency unit halves the revenue in currency
    assert onchain_revenue_wad(10_000, WAD, 0, 2 * WAD) == 5 * WAD


def test_json_instance_converts_units():
    inst = instance_from_json(
        {
            "requests": [{"id": "r", "energy_kwh": 2.5}],
            "providers": [{"id": "p", "price": "0.4", "capacity_kwh": 3, "reputation": 0.5}],
            "network_fee": [[0.1]],
        }
    )
    assert inst.energy_wh == (2_500,) and inst.capacity_wh == (3_000,)
    assert inst.revenue_wad == ((WAD - WAD // 10,),)  # 2.5 kWh * 0.4 - 0.1 = 0.9
    assert inst.reputation_wad == (WAD // 2,)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"providers": []}, "needs lists 'requests' and 'providers'"),
        ({"requests": [{"id": 1}], "providers": []}, r"requests\[0\] is missing 'energy_kwh'"),
        (
            {"requests": [{"id": 1, "energy_kwh": 0}], "providers": []},
            r"requests\[0\].energy_kwh must be > 0",
        ),
        (
            {"requests": [], "providers": [{"id": "p", "price": 1, "capacity_kwh": 1, "reputation": 2}]},
            r"providers\[0\].reputation must be in \[0, 1\]",
        ),
        (
            {"requests": [{"id": 1, "energy_kwh": 1}], "providers": [], "network_fee": [[1]]},
            "'network_fee' must be a 1 x 0 matrix",
        ),
    ],
)
def test_bad_instances_say_what_to_fix(data, message):
    with pytest.raises(ValueError, match=message):
        instance_from_json(data)


def test_match_command_prints_the_assignment_as_json(tmp_path):
    path = tmp_path / "instance.json"
    path.write_text(
        json.dumps(
            {
                "requests": [{"id": "r1", "energy_kwh": 10}, {"id": "r2", "energy_kwh": 4}],
                "providers": [
                    {"id": "A", "price": 0.5, "capacity_kwh": 10, "reputation": 0.9},
                    {"id": "B", "price": 0.6, "capacity_kwh": 4, "reputation": 0.2},
                ],
                "network_fee": [[0, 0], [0, 0]],
            }
        )
    )
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["match", str(path)]) == 0
    result = json.loads(out.getvalue())
    assert result["assignment"] == {"r1": "A", "r2": "B"}
    # M = zeta*RC/(zeta+RC): 5*0.9/5.9 + 2.4*0.2/2.6
    assert result["objective"] == pytest.approx(5 * 0.9 / 5.9 + 2.4 * 0.2 / 2.6, rel=1e-12)
    assert result["optimal"] is True


def test_match_command_reports_a_missing_file(tmp_path, capsys):
    assert main(["match", str(tmp_path / "nope.json")]) == 2
    assert "no such instance file" in capsys.readouterr().err
