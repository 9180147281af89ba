"""Seed 001 Fig 8: an always-performing node's credit weight rises toward 100 and its cycle-to-cycle
fluctuation dies out; an always-defaulting node's falls toward 0. Checked on the model with the paper's
parameters (scenarios/seed001_fig8.yaml: 90 rounds, decay every 30) and on the chain, through the market,
with the same scenario shortened to 12 rounds and a decay every 4 (to stay fast), against the model round
by round.
"""

import itertools
from fractions import Fraction

import pytest
import yaml

from energy_trading import connect, deploy
from energy_trading.chain.project import REPO_ROOT
from energy_trading.models.grid_settlement import credit_series
from energy_trading.scenarios.grid import run_grid_scenario
from energy_trading.scenarios.plots import plot_credit_weights
from energy_trading.scenarios.schema.grid import parse_grid_scenario

SCENARIO = REPO_ROOT / "scenarios" / "seed001_fig8.yaml"


@pytest.fixture(scope="module")
def data():
    return yaml.safe_load(SCENARIO.read_text())


def series(data, node, rounds=None, decay_every=None):
    """The model's credit weight of `node` after each round of the scenario."""
    periods = data["periods"][:rounds] if rounds else data["periods"]
    initial = next(p["credit_weight"] for p in data["participants"] if p["id"] == node)
    total = sum(c["energy_kwh"] for c in periods[0]["contracts"])
    index = next(i for i, c in enumerate(periods[0]["contracts"]) if node in (c["seller"], c["buyer"]))
    contract = periods[0]["contracts"][index]
    side = "generated_kwh" if contract["seller"] == node else "consumed_kwh"
    actual = [p["readings"][index][side] for p in periods]
    m = data["market"]
    return credit_series(
        initial, contract["energy_kwh"], total, actual, decay_every or m["decay_every"], str(m["decay_delta"])
    )


def cycle_peaks(values, every):
    """The weight just before each decay (the end of every full cycle)."""
    return [values[k - 1] for k in range(every, len(values) + 1, every)]


def test_the_performing_node_rises_toward_100_with_dying_fluctuation(data):
    a = series(data, "A")
    every = data["market"]["decay_every"]
    assert len(a) == 90 and a[0] == 10  # eq 15: (100 - 0) * 100/1000
    for start in range(0, 90, every):  # strictly rising inside every cycle
        cycle = a[start : start + every]
        assert all(y > x for x, y in itertools.pairwise(cycle))
    for k in range(every, 90, every):  # and dropping at each decay (eq 24)
        assert a[k] < a[k - 1]
    peaks = cycle_peaks(a, every)
    swings = [abs(y - x) for x, y in itertools.pairwise(peaks)]
    assert all(p > 95 for p in peaks) and a[-1] < 100
    assert swings[1] < swings[0] / 10  # the cycle-to-cycle change dies out


def test_the_defaulting_node_falls_toward_zero(data):
    b = series(data, "B")
    assert b[0] == 50  # eq 17: 100 - 100 * 50/100
    assert all(y < x for x, y in itertools.pairwise(b))
    assert b[29] < Fraction(1, 10**6)


def test_the_chain_follows_the_model_and_the_figure_is_drawn(data, artifacts, anvil_url, tmp_path):
    short = dict(data, periods=data["periods"][:12], market=dict(data["market"], decay_every=4))
    chain = connect(anvil_url, seed="test-seed001-fig8")
    d = deploy(chain, artifacts)
    results = run_grid_scenario(chain, d, parse_grid_scenario(short))
    for node in ("A", "B"):
        on_chain = [p["participants"][node]["credit_weight_after"] for p in results["periods"]]
        model = series(data, node, rounds=12, decay_every=4)
        for round_, (ours, expected) in enumerate(zip(on_chain, model, strict=True), start=1):
            assert ours == pytest.approx(float(expected), abs=1e-9), f"node {node} round {round_}"
    a = [p["participants"]["A"]["credit_weight_after"] for p in results["periods"]]
    for k in (4, 8):  # decay before rounds 5 and 9: they gain less than eq 15's (100 - W)/10 alone
        assert a[k] - a[k - 1] < (100 - a[k - 1]) / 10 - 1
    png = plot_credit_weights(results, tmp_path / "fig8.png", ["A", "B"])
    assert png.stat().st_size > 10_000
