"""Scenario files: validation that names the field to fix, the market-day run end to end, the runner's
extension points, and the seed 003 §6 reproduction (Fig 4's qualitative result) on anvil."""

import json
from pathlib import Path

import pytest
from eth_utils import function_abi_to_4byte_selector

from energy_trading.chain.connection import connect
from energy_trading.chain.project import REPO_ROOT
from energy_trading.cli.main import main
from energy_trading.clients.market import honest_supplier_split
from energy_trading.scenarios import (
    EXTENSIONS,
    PERIOD_STEPS,
    ScenarioError,
    ScenarioExtension,
    add_period_step,
    load_scenario,
    parse_scenario,
    register_extension,
    run_scenario,
    write_results,
)
from energy_trading.scenarios.schema.grid import parse_grid_scenario

SCENARIOS = REPO_ROOT / "scenarios"
WAD = 10**18

MINIMAL = {
    "participants": [
        {"id": "g", "role": "generator", "source": "solar"},
        {"id": "c", "role": "consumer"},
    ],
    "periods": [{"offers": [{"provider": "g", "price": 0.5, "capacity_kwh": 10}]}],
}


def with_changes(**changes):
    data = json.loads(json.dumps(MINIMAL))
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            with_changes(market={"settlement": "cheapest"}),
            r"market.settlement: Input should be 'honest_supplier' or 'grid_balanced' \(got 'cheapest'\)",
        ),
        (
            with_changes(market={"alpha": 2}),
            r"market.alpha: Input should be less than or equal to 1 \(got 2\)",
        ),
        (
            with_changes(participants=[{"id": "g", "role": "miner"}]),
            r"participants\[0\] \(id 'g'\).role: Input should be 'generator', 'consumer' or 'prosumer'",
        ),
        (
            with_changes(participants=[{"id": "g", "role": "generator"}, {"id": "g", "role": "consumer"}]),
            r"participants\[1\].id: 'g' is used twice",
        ),
        (
            with_changes(periods=[{"offers": [{"provider": "c", "price": 1, "capacity_kwh": 1}]}]),
            r"periods\[0\].offers\[0\].provider: 'c' is a consumer and cannot sell",
        ),
        (
            with_changes(periods=[{"requests": [{"consumer": "x", "energy_kwh": 1}]}]),
            r"periods\[0\].requests\[0\].consumer: 'x' is not a participant id",
        ),
        (
            with_changes(periods=[{"offers": [{"provider": "g", "price": "cheap", "capacity_kwh": 1}]}]),
            r"periods\[0\].offers\[0\].price: Input should be a valid decimal \(got 'cheap'\)",
        ),
        (
            with_changes(
                periods=[
                    {
                        "contracts": [{"seller": "g", "buyer": "c", "price": 1, "energy_kwh": 1}],
                        "readings": [{"generated_kwh": 1, "consumed_kwh": 1}] * 2,
                    }
                ]
            ),
            r"periods\[0\]: readings has 2 entries for 1 contracts",
        ),
        (
            with_changes(periods=[{"behaviours": {"g": {"kind": "random", "range": [0.9, 0.1]}}}]),
            r"periods\[0\].behaviours.g: range must have 0 <= low <= high",
        ),
        (with_changes(periods=[{"reject": [3]}]), r"periods\[0\]: reject\[0\] must be the index"),
        (with_changes(colour="blue"), r"colour: unknown key 'colour' \(allowed: carbon, certificates"),
    ],
)
def test_invalid_scenarios_name_the_field_to_fix(data, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(data)


def test_repeat_expands_periods_and_grid_fields_are_accepted():
    s = parse_scenario(
        with_changes(
            market={
                "settlement": "grid_balanced",
                "feed_in_price": 0.4,
                "grid_price": 0.75,
                "grid_fee": 0.04,
            },
            periods=[
                {
                    "repeat": 3,
                    "contracts": [{"seller": "g", "buyer": "c", "price": 0.6, "energy_kwh": 10}],
                    "readings": [{"generated_kwh": 10, "consumed_kwh": 10}],
                }
            ],
        )
    )
    assert len(s.periods) == 3
    assert str(s.market.grid_price) == "0.75"
    assert len(parse_grid_scenario(s.raw).periods) == 3  # the grid policy plays every repeat too


def test_shipped_scenarios_validate():
    for path in sorted(SCENARIOS.glob("*.yaml")):
        assert load_scenario(path).participants, path


@pytest.fixture(scope="module")
def market_day():
    scenario = load_scenario(SCENARIOS / "market_day.yaml")
    return scenario, run_scenario(scenario)


def test_market_day_rejects_one_contract_and_settles_the_rest(market_day):
    _, results = market_day
    orders = results["periods"][0]["orders"]
    assert [o["status"] for o in orders].count("rejected") == 1
    assert all(o["status"] == "settled" for o in orders if o["status"] != "rejected")
    matched = [o for o in orders if o["origin"] == "matched"]
    assert {o["request_id"] for o in matched} == {1, 2, 3, 4}  # every request served, none to the grid
    assert results["periods"][0]["matching"]["unserved_requests"] == []


def test_market_day_payouts_follow_eq_6_and_7(market_day):
    _, results = market_day
    for o in results["periods"][0]["orders"]:
        if o["payouts"] is None:
            continue
        wh = lambda kwh: round(kwh * 1000)  # noqa: E731
        expected = honest_supplier_split(
            wh(o["energy_kwh"]),
            round(o["price"] * WAD),
            round(o["bonus"] * WAD),
            wh(o["readings"]["delivered_kwh"]),
            wh(o["readings"]["received_kwh"]),
            200,
        )
        assert o["payouts"]["to_seller"] == pytest.approx(expected["to_seller"] / WAD, abs=1e-12)
        assert o["reward"] == pytest.approx(expected["reward"] / WAD, abs=1e-12)
        assert o["penalty"] == pytest.approx(expected["penalty"] / WAD, abs=1e-12)


def test_market_day_signed_book_trades_move_reputation(market_day):
    """rooftop sells only through a bilateral contract, on the signed book: its RC after the day is
    alpha * C_j of that period (seed 003 eq 1-2, RC_0 = 0), C_j the mean of min(1, delivered / agreed)."""
    scenario, results = market_day
    mine = [o for o in results["periods"][0]["orders"] if o["seller"] == "rooftop"]
    assert mine and all(o["origin"] == "bilateral" and o["status"] == "settled" for o in mine)
    v = [min(1.0, o["readings"]["delivered_kwh"] / o["energy_kwh"]) for o in mine]
    alpha = float(scenario.market.alpha)  # 0.4 in market_day.yaml
    assert results["reputation_by_period"]["rooftop"] == [pytest.approx(alpha * sum(v) / len(v), abs=1e-15)]
    assert results["reputation_by_period"]["rooftop"][0] > 0


def test_market_day_conserves_tokens_and_logs_every_transaction(market_day):
    _, results = market_day
    assert results["conservation"]["holds_equals_escrowed_plus_withdrawable"]
    p = results["periods"][0]
    total = lambda balances: sum(b["tokens"] + b["withdrawable"] for b in balances.values())  # noqa: E731
    fees = sum(o["fee"] for o in p["orders"])
    # participants lose exactly the handling fees (paid to the operator); nothing else leaves or appears
    assert total(p["balances_after"]) == pytest.approx(total(p["balances_before"]) - fees, abs=1e-9)
    txs = results["transactions"]
    assert len(txs) > 50
    assert all(t["size_bytes"] > 100 for t in txs)
    assert [t["time_s"] for t in txs] == sorted(t["time_s"] for t in txs)


def _selectors(artifact):
    return {function_abi_to_4byte_selector(e): e["name"] for e in artifact.abi if e["type"] == "function"}


def test_bilateral_and_matched_orders_take_the_signed_book_in_batches(artifacts):
    """Issue 13: the runner opens, audits, reports and settles bilateral contracts and matched orders on
    `SignedBook`, one batch per step (one deposit per buyer for the period, no escrow per trade), and sends
    the order book no propose / accept / sign / materialise / readings / settlement."""
    chain = connect(seed="scenario:signed-path")
    contracts = [{"seller": "g", "buyer": c, "price": 0.5, "energy_kwh": 2, "bonus": 0.1} for c in ("c", "d")]
    requests = [{"consumer": c, "energy_kwh": 3, "bonus": 0.2} for c in ("c", "d")]
    data = with_changes(
        participants=[*MINIMAL["participants"], {"id": "d", "role": "consumer"}],
        periods=[
            {
                "offers": [{"provider": "g", "price": 0.4, "capacity_kwh": 10}],
                "requests": requests,
                "contracts": contracts,
                "behaviours": {"g": {"kind": "short", "fraction": 0.5}},
            }
        ],
    )
    results = run_scenario(parse_scenario(data), chain=chain)
    names = {"signed_book": "SignedBook", "order_book": "OrderBook", "matching": "MatchingMarket"}
    selectors = {results["contracts"][k]: (k, _selectors(artifacts[v])) for k, v in names.items()}
    sent = {k: [] for k in names}
    for n in range(1, chain.w3.eth.block_number + 1):
        for tx in chain.w3.eth.get_block(n, full_transactions=True)["transactions"]:
            if tx["to"] in selectors:
                name, table = selectors[tx["to"]]
                sent[name].append(table[bytes(tx.get("input", tx.get("data")))[:4]])
    # the deployment maps the policy, grants the matching market its MATCHER_ROLE and maps the grid policy;
    # then each buyer deposits once for its contract and its request, one batch per step, each buyer accepts
    # the period's highest offer price as its matched price cap before materializeSigned (a request names no
    # price), and at the end of the run the relayer collects the settled trades' handling fees (accrued in the
    # seller's period tally) for the operator in one call, then the seller, both buyers (refunds) and the
    # operator (fees) withdraw
    caps = ["setMatchedPriceCap"] * 2
    steps = ["deposit", "deposit", "openMany", *caps, "approveMany", "reportMany", "collectFees"]
    steps += ["withdraw"] * 4
    assert sent["signed_book"] == ["mapPolicy", "grantRole", "mapGridPolicy", *steps]
    assert sent["matching"][-1] == "materializeSigned" and "materialize" not in sent["matching"]
    # the order book only gets its deployment's role grants and the period
    assert set(sent["order_book"]) == {"grantRole", "setPolicyAllowed", "openPeriod"}
    orders = results["periods"][0]["orders"]
    expected = [("bilateral", "settled", None)] * 2 + [("matched", "settled", 1), ("matched", "settled", 2)]
    assert [(o["origin"], o["status"], o["request_id"]) for o in orders] == expected
    assert all(o["id"].startswith("0x") for o in orders)
    assert [o["readings"]["delivered_kwh"] for o in orders] == [1.0, 1.0, 1.5, 1.5]  # half delivered
    assert results["conservation"]["holds_equals_escrowed_plus_withdrawable"]
    assert results["conservation"]["signed_book_holds"] == 0.0  # everything pulled at the end of the run
    assert results["conservation"]["signed_uncollected_fees"] == 0.0  # collected before the operator pulled
    # the provider's reputation counts its signed-book trades (seed 003 eq 1-2: v = 0.5 each, alpha 0.4)
    assert results["reputation_by_period"]["g"] == [pytest.approx(0.4 * 0.5, abs=1e-15)]


def test_results_and_plot_are_written(market_day, tmp_path):
    scenario, results = market_day
    paths = write_results(scenario, results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["scenario"] == "market-day"
    png = tmp_path / "reputation.png"
    assert png in paths and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_runner_takes_extra_period_steps_and_extensions():
    seen = []
    steps_before, extensions_before = list(PERIOD_STEPS), list(EXTENSIONS)
    try:
        add_period_step("count-orders", lambda ctx, run: seen.append(len(run.orders)), after="sign")
        register_extension(
            ScenarioExtension(
                "tally", lambda raw: "x_tally" in raw, lambda ctx, raw: {"periods": len(ctx.periods)}
            )
        )
        data = with_changes(
            x_tally=True,
            periods=[
                {
                    "offers": [{"provider": "g", "price": 0.5, "capacity_kwh": 10}],
                    "requests": [{"consumer": "c", "energy_kwh": 4}],
                }
            ],
        )
        results = run_scenario(parse_scenario(data))
    finally:
        PERIOD_STEPS[:] = steps_before
        EXTENSIONS[:] = extensions_before
    assert seen == [1]
    assert results["tally"] == {"periods": 1}


def test_run_command_writes_results(tmp_path, capsys):
    scenario = tmp_path / "tiny.json"
    scenario.write_text(
        json.dumps(
            with_changes(
                periods=[
                    {
                        "contracts": [
                            {"seller": "g", "buyer": "c", "price": 0.5, "energy_kwh": 2, "bonus": 0.1}
                        ]
                    }
                ]
            )
        )
    )
    assert main(["run", str(scenario), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    assert "conservation:" in out and "OK" in out
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    order = results["periods"][0]["orders"][0]
    assert order["status"] == "settled" and order["reward"] == pytest.approx(0.1)


def test_run_command_reports_a_bad_scenario(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("participants: [{id: a, role: wizard}]\n")
    assert main(["run", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "participants[0] (id 'a').role: Input should be 'generator', 'consumer' or 'prosumer'" in err


def test_seed003_reproduces_fig4_honest_highest_dishonest_lowest(anvil_url, tmp_path):
    """Seed 003 §6: after 10 cycles of 10 trades (alpha 0.4) the honest provider 1 has the highest
    reputation and the always-short provider 2 the lowest; the unstable 3 and 4 lie between."""
    scenario = load_scenario(SCENARIOS / "seed003_reputation.yaml")
    assert len(scenario.periods) == 10
    results = run_scenario(scenario, rpc_url=anvil_url)
    rc = results["reputation_by_period"]
    assert all(len(series) == 10 for series in rc.values())
    final = {p: series[-1] for p, series in rc.items()}
    assert max(final, key=final.get) == "1"
    assert min(final, key=final.get) == "2"
    # every cycle: 10 trades, all settled; provider 2 keeps trading (its reputation keeps moving)
    for period in results["periods"]:
        assert sum(o["status"] == "settled" for o in period["orders"]) == 10
    assert len(set(rc["2"])) > 3
    # the honest provider always delivered everything: RC(T) = 1 - 0.6^T (eq 2 with C = 1)
    assert rc["1"] == pytest.approx([1 - 0.6**t for t in range(1, 11)], abs=1e-15)
    paths = write_results(scenario, results, tmp_path)
    assert Path(tmp_path / "reputation.png") in paths
