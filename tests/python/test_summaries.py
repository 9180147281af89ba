"""The people's text of a run's summary sections: each number says what it counts."""

from energy_trading.scenarios.incentives import incentives_summary
from energy_trading.scenarios.market import market_summary


def test_each_vintage_line_shows_issued_as_held_spent_redeemed_and_retired() -> None:
    vintage = {
        "id": "0x1",
        "band": 3,
        "issued": 20.0,
        "held": 5.0,
        "spent": 10.0,
        "redeemed": 2.0,
        "retired": 3.0,
        "start": 1_796_083_200,  # 2026-12-01 00:00 UTC
        "expires_at": 1_796_083_200 + 30 * 86_400,
        "incentive_per_kwh": 2.0,
    }
    section = {
        "totals": {"issued": 20.0, "spent": 10.0, "redeemed": 2.0, "retired": 3.0, "live": 5.0},
        "supply_identity_holds": True,
        "vintages": [vintage],
    }
    text = incentives_summary(section)
    line = text.splitlines()[1]
    assert line.startswith("  vintage 2026-12-01 band 3, 2/kWh      expires 2026-12-31: ")
    assert "issued    20.00 = held     5.00 + spent   10.00 + redeemed    2.00 + retired    3.00" in line
    assert text.splitlines()[0].endswith("-> OK")


def _order(status: str, contracted: float, delivered: float) -> dict:
    settled = status == "settled"
    return {
        "status": status,
        "energy_kwh": contracted,
        "readings": {"delivered_kwh": delivered, "received_kwh": delivered},
        "escrow": 1.0,
        "payouts": {"to_seller": 0.9, "to_buyer": 0.1} if settled else {},
        "reward": 0.0,
        "penalty": 0.0,
        "fee": 0.01,
    }


def test_market_period_line_separates_contracted_from_delivered_energy_of_settled_orders() -> None:
    orders = [_order("settled", 10.0, 9.5), _order("settled", 4.0, 4.0), _order("rejected", 7.0, 0.0)]
    header, row = market_summary({"periods": [{"period": 1, "orders": orders}]})[:2]
    assert header.split()[:9] == [
        "period",
        "orders",
        "settled",
        "rejected",
        "contracted",
        "kWh",
        "delivered",
        "kWh",
        "escrow",
    ]
    assert row.split()[:6] == ["1", "3", "2", "1", "14.0", "13.5"]
