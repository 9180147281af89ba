"""Tables and a one-file report of an `energy-trading run`, beside its `results.json`.

`write_exports(results, out_dir, images)` writes, from the results the runner already collected:

- ``orders.csv``: one row per market order (id, period, kind, seller -> buyer, energy, price, meter
  readings, status, escrow and payouts, reward, penalty, fee), or, for a grid-balanced run, one row per
  settled contract (seller -> buyer, energy, price, readings, income, expense, grid revenue, feed-in,
  penalties, compensations, pooled);
- ``periods.csv``: one row per trading period (orders, settled, rejected, energy, money flows, matching),
  or, for a grid-balanced run, its credit round, contracts settled and the sums of the contracts' kWh and
  token columns;
- ``weights.csv``: one row per participant per settlement round (only when the run has node weights);
- ``report.html``: one self-contained page with the run summary, those tables, and every PNG plot of the
  run embedded as base64 (no other file needed to view it).

pandas writes the tables (its CSV and HTML writers), so `pandas.read_csv` reads them back as written.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = [
    "grid_orders_frame",
    "market_orders_frame",
    "order_lines",
    "orders_frame",
    "periods_frame",
    "weights_frame",
    "write_exports",
]


def orders_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per order: the market periods' orders, or a grid-balanced run's contracts; kWh and tokens."""
    market = market_orders_frame(results)
    return market if not market.empty else grid_orders_frame(results)


def grid_orders_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per contract a grid-balanced run settled (`results["grid"]["periods"][*]["contracts"]`):
    `id` (the order id on chain), `period`, `kind` (grid_balanced), `seller`, `buyer`, `energy_kwh`, `price`
    (tokens/kWh), `delivered_kwh` / `received_kwh` (the seller's and buyer's meter), `status`, and what
    settlement moved, in tokens: `seller_income`, `buyer_expense`, `grid_revenue`, `feed_in`,
    `seller_penalty`, `buyer_penalty`, `seller_compensation`, `buyer_compensation`, `pooled`."""
    rows = []
    for p in (results.get("grid") or {}).get("periods") or []:
        for c in p.get("contracts") or []:
            money = {k: v for k, v in c.items() if k not in _GRID_ORDER_KEYS}
            rows.append(
                {
                    "id": c["order_id"],
                    "period": p["period"],
                    "kind": "grid_balanced",
                    "seller": c["seller"],
                    "buyer": c["buyer"],
                    "energy_kwh": c["energy_kwh"],
                    "price": c["price"],
                    "delivered_kwh": c["generated_kwh"],
                    "received_kwh": c["consumed_kwh"],
                    "status": "settled",
                    **money,
                }
            )
    return pd.DataFrame(rows, columns=None if rows else ["id", "period", "kind", "seller", "buyer"])


_GRID_ORDER_KEYS = {"order_id", "seller", "buyer", "energy_kwh", "price", "generated_kwh", "consumed_kwh"}


def market_orders_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per order of the market periods (`results["periods"][*]["orders"]`); kWh and tokens."""
    rows = []
    for p in results.get("periods") or []:
        for o in p.get("orders") or []:
            payouts = o.get("payouts") or {}
            readings = o.get("readings") or {}
            rows.append(
                {
                    "id": o["id"],
                    "period": p["period"],
                    "kind": o.get("origin"),
                    "seller": o["seller"],
                    "buyer": o["buyer"],
                    "energy_kwh": o["energy_kwh"],
                    "price": o["price"],
                    "bonus": o.get("bonus", 0.0),
                    "delivered_kwh": readings.get("delivered_kwh"),
                    "received_kwh": readings.get("received_kwh"),
                    "status": o["status"],
                    "escrow": o.get("escrow", 0.0),
                    "paid_to_seller": payouts.get("to_seller", 0.0),
                    "refund_to_buyer": payouts.get("to_buyer", 0.0),
                    "paid_to_grid": payouts.get("to_grid", 0.0),
                    "paid_to_pool": payouts.get("to_pool", 0.0),
                    "reward": o.get("reward", 0.0),
                    "penalty": o.get("penalty", 0.0),
                    "fee": o.get("fee", 0.0),
                }
            )
    return pd.DataFrame(rows, columns=None if rows else ["id", "period", "kind", "seller", "buyer"])


def periods_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per trading period: market totals (kWh, tokens) or a grid run's scalar period fields."""
    rows = []
    for p in results.get("periods") or []:
        orders = p.get("orders") or []
        settled = [o for o in orders if o.get("payouts")]
        m = p.get("matching") or {}
        rows.append(
            {
                "period": p["period"],
                "orders": len(orders),
                "settled": len(settled),
                "rejected": sum(o["status"] == "rejected" for o in orders),
                "energy_kwh": sum(o["energy_kwh"] for o in settled),
                "escrow": sum(o["escrow"] for o in settled),
                "to_sellers": sum(o["payouts"]["to_seller"] for o in settled),
                "refunds": sum(o["payouts"]["to_buyer"] for o in settled),
                "rewards": sum(o["reward"] for o in settled),
                "penalties": sum(o["penalty"] for o in settled),
                "fees": sum(o["fee"] for o in settled),
                "matched_kwh": m.get("served_kwh"),
                "unserved_requests": len(m.get("unserved_requests") or []) if m else None,
            }
        )
    if rows:
        return pd.DataFrame(rows)
    grid_periods = (results.get("grid") or {}).get("periods") or []
    if not grid_periods:
        return pd.DataFrame(columns=["period"])  # a header, so pandas reads an empty table back
    return _grid_periods_frame(grid_periods, grid_orders_frame(results))


def _grid_periods_frame(grid_periods: list[Mapping[str, Any]], contracts: pd.DataFrame) -> pd.DataFrame:
    """One row per grid-balanced period: its credit round, the number of contracts it settled, the sum of
    every per-contract quantity (kWh, tokens) over them and `mean_price`, their energy-weighted mean price
    (tokens/kWh; a sum of prices means nothing); per-participant weights are in weights.csv."""
    base = pd.DataFrame([{"period": p["period"], "round": p.get("round")} for p in grid_periods])
    if contracts.empty:
        return base.assign(contracts=0)
    not_summed = ("id", "period", "kind", "seller", "buyer", "status", "price")
    summed = [c for c in contracts.columns if c not in not_summed]
    totals = (
        contracts.assign(value=contracts["energy_kwh"] * contracts["price"])
        .groupby("period")
        .agg(
            contracts=("id", "size"),
            value=("value", "sum"),
            **{c: (c, "sum") for c in summed if pd.api.types.is_numeric_dtype(contracts[c])},
        )
    )
    totals["mean_price"] = totals.pop("value") / totals["energy_kwh"]
    frame = base.merge(totals, left_on="period", right_index=True, how="left")
    return frame.fillna({"contracts": 0}).astype({"contracts": int})


def weights_frame(results: Mapping[str, Any]) -> pd.DataFrame:
    """One row per participant per settlement round (`node_weights_by_round`, 0..100 scale)."""
    rows = [
        {"round": k, "participant": str(pid), "weight": w}
        for k, weights in enumerate(results.get("node_weights_by_round") or [], start=1)
        for pid, w in weights.items()
    ]
    return pd.DataFrame(rows, columns=["round", "participant", "weight"])


def order_lines(results: Mapping[str, Any]) -> list[str]:
    """The run summary's order list: per market order its period, seller -> buyer, energy, price and status
    (a grid-balanced run's contracts, hundreds for seed 001 Fig 8, are in orders.csv and its own summary)."""
    frame = market_orders_frame(results)
    if frame.empty:
        return []
    lines = ["orders (seller -> buyer):"]
    for o in frame.itertuples():
        lines.append(
            f"  period {o.period} order {o.id} ({o.kind}): {o.seller} -> {o.buyer}, {o.energy_kwh:g} kWh "
            f"at {o.price:g}/kWh, {o.status}"
        )
    return lines


def write_exports(
    results: Mapping[str, Any], out_dir: str | Path, images: Iterable[Path] = (), summary_text: str = ""
) -> list[Path]:
    """Write orders.csv, periods.csv, weights.csv (when the run has weights) and report.html into `out_dir`.

    Args:
        results: what `run_scenario` returned.
        out_dir: the run's output directory (exists).
        images: PNG plots to embed in report.html.
        summary_text: the printed run summary, shown at the top of the report.
    Returns:
        The paths written.
    """
    out = Path(out_dir)
    tables = {"orders": orders_frame(results), "periods": periods_frame(results)}
    weights = weights_frame(results)
    if not weights.empty:
        tables["weights"] = weights
    written = []
    for name, frame in tables.items():
        path = out / f"{name}.csv"
        frame.to_csv(path, index=False)
        written.append(path)
    title = html.escape(f"{results.get('scenario', '')}: {results.get('description', '')}")
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:90%}"
        "td,th{border:1px solid #ccc;padding:2px 6px}img{max-width:100%}</style></head><body>",
        f"<h1>{title}</h1>",
    ]
    if summary_text:
        parts.append(f"<h2>Summary</h2><pre>{html.escape(summary_text)}</pre>")
    for name, frame in tables.items():
        parts.append(f"<h2>{name}.csv ({len(frame)} rows)</h2>")
        parts.append(frame.to_html(index=False, na_rep="", float_format=lambda v: f"{v:.6g}"))
    for image in images:
        if image.suffix.lower() == ".png" and image.exists():
            data = base64.b64encode(image.read_bytes()).decode("ascii")
            parts.append(f"<h2>{html.escape(image.name)}</h2><img src='data:image/png;base64,{data}'>")
    parts.append("</body></html>")
    report = out / "report.html"
    report.write_text("\n".join(parts), encoding="utf-8")
    return [*written, report]
