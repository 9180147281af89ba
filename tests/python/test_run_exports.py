"""`energy-trading run` exports: orders.csv, periods.csv, weights.csv and a self-contained report.html,
read back with pandas, row counts matching the results; the summary lists each order's seller -> buyer."""

import base64

import pandas as pd
import pytest

from energy_trading.scenarios import parse_scenario, run_scenario, summary, write_results
from energy_trading.scenarios.export import write_exports

TWO_PERIODS = {
    "name": "tiny-exports",
    "participants": [
        {"id": "g", "role": "generator", "source": "solar"},
        {"id": "c", "role": "consumer"},
        {"id": "d", "role": "consumer"},
    ],
    "periods": [
        {
            "offers": [{"provider": "g", "price": 0.5, "capacity_kwh": 10}],
            "requests": [{"consumer": "c", "energy_kwh": 4}, {"consumer": "d", "energy_kwh": 3}],
        },
        {
            "offers": [{"provider": "g", "price": 0.6, "capacity_kwh": 10}],
            "requests": [{"consumer": "c", "energy_kwh": 2}],
        },
    ],
}


def test_run_writes_tables_pandas_reads_and_a_self_contained_report(tmp_path):
    scenario = parse_scenario(TWO_PERIODS)
    results = run_scenario(scenario)
    paths = write_results(scenario, results, tmp_path)
    for name in ("orders.csv", "periods.csv", "report.html"):
        assert tmp_path / name in paths and (tmp_path / name).stat().st_size > 0
    orders = pd.read_csv(tmp_path / "orders.csv")
    all_orders = [o for p in results["periods"] for o in p["orders"]]
    assert len(orders) == len(all_orders) == 3
    assert list(orders["id"]) == [o["id"] for o in all_orders]
    assert list(orders["seller"] + "->" + orders["buyer"]) == ["g->c", "g->d", "g->c"]
    assert orders["energy_kwh"].sum() == sum(o["energy_kwh"] for o in all_orders)
    assert list(orders["period"]) == [1, 1, 2]
    periods = pd.read_csv(tmp_path / "periods.csv")
    assert list(periods["orders"]) == [2, 1]
    assert not (tmp_path / "weights.csv").exists()  # the market run has no node weights
    report = (tmp_path / "report.html").read_text()
    assert "orders.csv (3 rows)" in report
    png = base64.b64encode((tmp_path / "reputation.png").read_bytes()).decode("ascii")
    assert png in report  # the plot is embedded, not linked
    assert "src='reputation.png'" not in report
    text = summary(results)
    assert "g -> c, 4 kWh" in text and "g -> d, 3 kWh" in text


def test_weights_csv_has_a_row_per_participant_per_round(tmp_path):
    results = {"scenario": "w", "node_weights_by_round": [{"1": 10.0, "2": 20.0}, {"1": 12.5, "2": 0.0}]}
    write_exports(results, tmp_path)
    weights = pd.read_csv(tmp_path / "weights.csv")
    assert len(weights) == 4
    assert list(weights["round"]) == [1, 1, 2, 2]
    assert weights.loc[(weights["round"] == 2) & (weights["participant"] == 1), "weight"].item() == 12.5


def test_no_progress_bar_for_a_run_without_market_periods():
    # a certificates-only scenario has no market periods: the CLI's tqdm bar showed "periods: 0period"
    scenario = parse_scenario({**TWO_PERIODS, "periods": []})
    bars = []
    run_scenario(scenario, progress=lambda items, what: bars.append((what, list(items))) or items)
    assert "periods" not in [what for what, _ in bars]
    assert all(items for _, items in bars)  # every display shown has something to count


TINY_GRID = {
    "name": "tiny-grid-exports",
    "market": {"settlement": "grid_balanced", "feed_in_price": 0.4, "grid_price": 0.75, "grid_fee": 0.04},
    "participants": [
        {"id": "g", "role": "generator", "renewable": True, "credit_weight": 80},
        {"id": "h", "role": "generator", "renewable": True, "credit_weight": 60},
        {"id": "c", "role": "consumer", "credit_weight": 70},
        {"id": "d", "role": "consumer", "credit_weight": 90},
    ],
    "periods": [
        {
            "contracts": [
                {"seller": "g", "buyer": "c", "price": 0.6, "energy_kwh": 10},
                {"seller": "h", "buyer": "d", "price": 0.62, "energy_kwh": 5},
            ],
            "readings": [{"generated_kwh": 10, "consumed_kwh": 10}, {"generated_kwh": 4, "consumed_kwh": 5}],
        },
        {
            "contracts": [{"seller": "g", "buyer": "d", "price": 0.61, "energy_kwh": 8}],
            "readings": [{"generated_kwh": 8, "consumed_kwh": 6}],
        },
    ],
}


def test_grid_run_exports_one_row_per_settled_contract(tmp_path):
    """orders.csv of a grid-balanced run held only its header; now one row per contract the run settled."""
    scenario = parse_scenario(TINY_GRID)
    results = run_scenario(scenario)
    write_results(scenario, results, tmp_path)
    orders = pd.read_csv(tmp_path / "orders.csv", dtype={"seller": str, "buyer": str})
    contracts = [
        (p["period"], c) for p in results["grid"]["periods"] for p_c in [p] for c in p_c["contracts"]
    ]
    assert len(orders) == len(contracts) == 3
    assert list(orders["period"]) == [1, 1, 2]
    assert list(orders["seller"] + "->" + orders["buyer"]) == ["g->c", "h->d", "g->d"]
    assert list(orders["energy_kwh"]) == [10, 5, 8]
    assert list(orders["delivered_kwh"]) == [10, 4, 8] and list(orders["received_kwh"]) == [10, 5, 6]
    assert list(orders["id"]) == [c["order_id"] for _, c in contracts]
    for column in ("seller_income", "buyer_expense", "grid_revenue", "buyer_penalty", "pooled"):
        assert list(orders[column]) == [c[column] for _, c in contracts]
    assert orders.loc[1, "seller_penalty"] > 0  # h delivered 4 of 5 kWh: settled with a penalty
    assert (orders["status"] == "settled").all() and (orders["kind"] == "grid_balanced").all()
    assert "orders.csv (3 rows)" in (tmp_path / "report.html").read_text()
    # periods.csv: one row per grid period with its contracts' totals (it held 90 flattened
    # per-participant columns and none of the round totals the summary prints)
    periods = pd.read_csv(tmp_path / "periods.csv")
    assert list(periods["period"]) == [1, 2] and list(periods["contracts"]) == [2, 1]
    assert list(periods["energy_kwh"]) == [15, 8] and list(periods["delivered_kwh"]) == [14, 8]
    for column in ("seller_income", "buyer_expense", "grid_revenue", "pooled"):
        assert periods[column].sum() == pytest.approx(orders[column].sum())
    assert not any(c.startswith("participants.") for c in periods.columns)
    # prices are not summed (period 1 printed 2 contracts' prices added up): an energy-weighted mean
    assert "price" not in periods.columns
    for period, group in orders.groupby("period"):
        mean = (group["energy_kwh"] * group["price"]).sum() / group["energy_kwh"].sum()
        assert periods.set_index("period").loc[period, "mean_price"] == pytest.approx(mean)
