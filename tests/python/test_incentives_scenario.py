"""The `incentives:` scenario section and the demo's incentive walkthrough (seed 004 §3.4), in process."""

import io

import pytest

from energy_trading import connect, deploy
from energy_trading.clients.incentives import default_tariff
from energy_trading.demo.incentives import incentives_walkthrough
from energy_trading.models.incentives import UNIT, WAD
from energy_trading.scenarios.incentives import (
    IncentiveScenarioError,
    parse_incentives,
)
from energy_trading.scenarios.runner import run_scenario, summary, write_results
from energy_trading.scenarios.schema.loader import parse_scenario


def test_section_defaults_and_field_errors():
    spec = parse_incentives({})
    assert spec.tariff == default_tariff() and spec.fee_rate == WAD // 1000
    assert spec.block_rewards_per_period == 1 and spec.spend_on_fees
    bad = [
        ({"tarif": {}}, r"incentives: unknown keys \['tarif'\]"),
        ({"tariff": {"bands": [{"incentive_per_kwh": 1, "life_days": 0, "hours": [1]}]}}, r"\[0\]\.life"),
        ({"tariff": {"bands": [{"incentive_per_kwh": 1, "life_days": 1, "hours": [24]}]}}, r"hours\[0\]"),
        ({"tariff": {"bands": [{"incentive_per_kwh": "x", "life_days": 1}]}}, r"incentive_per_kwh"),
        ({"fee_rate": 0}, r"incentives\.fee_rate"),
        ({"delivery_hours": [3, 30]}, r"delivery_hours\[1\]"),
        ({"block_rewards_per_period": -1}, r"block_rewards_per_period"),
    ]
    for raw, message in bad:
        with pytest.raises(IncentiveScenarioError, match=message):
            parse_incentives(raw)


def test_scenario_section_issues_spends_and_rewards(tmp_path):
    scenario = parse_scenario(
        {
            "name": "incentives-one",
            "participants": [
                {"id": "wind", "role": "generator", "source": "wind", "zone": "north"},
                {"id": "home", "role": "consumer", "zone": "north"},
            ],
            "periods": [
                {
                    "offers": [{"provider": "wind", "price": 0.45, "capacity_kwh": 40}],
                    "requests": [{"consumer": "home", "energy_kwh": 12}],
                }
            ],
            "incentives": {"delivery_hours": [18], "block_rewards_per_period": 2},
        }
    )
    results = run_scenario(scenario)
    section = results["incentives"]
    [order] = section["orders"]
    assert order["buyer"] == "home" and order["band"] == 3  # 18 h UTC: the default tariff's evening peak
    assert order["units"] == 12 * 2  # 12 kWh at 2 units per kWh
    assert order["fee_rebate"] == pytest.approx(0.01) and order["spent_units"] == 10
    assert [r["creator"] for r in section["block_rewards"]] == ["home", "wind"]  # sealers take turns
    assert section["supply_identity_holds"]
    assert section["totals"]["issued"] == 24 + 2 * 5
    assert results["conservation"]["holds_equals_escrowed_plus_withdrawable"]
    assert "incentives (seed 004 §3.4)" in summary(results)
    written = write_results(scenario, results, tmp_path)
    assert tmp_path / "incentive_holdings.png" in written
    assert (tmp_path / "incentive_holdings.png").stat().st_size > 0


def test_demo_walkthrough_peak_lots_spend_reward_and_expiry(artifacts, tmp_path):
    d = deploy(connect(), artifacts)
    out = io.StringIO()
    figures = incentives_walkthrough(d, out, plot_path=tmp_path / "holdings.png")
    assert figures["peak"].amount == 10 * 2 * UNIT and figures["night"].amount == 30 * UNIT // 2
    fee = d.market_params.handling_fee
    assert figures["rebate"] == fee and figures["spent_units"] == fee * WAD // (WAD // 1000)
    # the spend drew the older (night) vintage first; what was left of it expired and was retired
    assert figures["retired"] == figures["night"].amount - figures["spent_units"]
    t = figures["totals"]
    assert t["issued"] == t["live"] + t["spent"] + t["redeemed"] + t["retired"]
    text = out.getvalue()
    assert "refused  issuing an order twice: AlreadyIssued" in text
    assert "refused  redeeming an expired night lot: LotExpired" in text
    assert (tmp_path / "holdings.png").stat().st_size > 0
    assert len(figures["samples"]) == 4
