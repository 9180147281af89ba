"""The scenario file's pydantic schema (`energy_trading.scenarios.schema.file`): every section refuses an
unknown key with its full path and the key meant, wrong types and ranges name the field, references to
participants are checked, every shipped scenario validates, `energy-trading schema scenario` is a JSON Schema
that agrees, and `energy-trading run` stops on a bad file before anything is compiled or deployed."""

from __future__ import annotations

import copy
import json
import re

import jsonschema
import pytest
import yaml
from user_commands import assert_quiet, run

from energy_trading.chain.project import REPO_ROOT
from energy_trading.scenarios import ScenarioError, load_scenario, parse_scenario
from energy_trading.scenarios.schema.file import ScenarioFile, validate_scenario_file

SCENARIOS = REPO_ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))


def shipped(name: str) -> dict:
    return yaml.safe_load((SCENARIOS / name).read_text())


def docs_examples() -> list[dict]:
    """The YAML examples of docs/scenario-format.md."""
    text = (REPO_ROOT / "docs" / "scenario-format.md").read_text()
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def error_of(data: dict) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(data, what="typo.yaml")
    return str(info.value)


def typo(key: str) -> str:
    """`key` with two neighbouring letters swapped, from the 2nd on ("requests" -> "rqeuests")."""
    i = next(i for i in range(1, len(key) - 1) if key[i] != key[i + 1])
    return key[:i] + key[i + 1] + key[i] + key[i + 2 :]


# (shipped file, location of the mapping inside it, a key of that mapping, the path the error must print)
DAY, FIG8, FIG9, WEEK = (
    "market_day.yaml",
    "seed001_fig8.yaml",
    "seed001_fig9_certificates.yaml",
    "incentives_week.yaml",
)
SECTIONS = [
    (DAY, (), "periods", ""),
    (DAY, ("market",), "handling_fee", "market."),
    (DAY, ("market", "crossing_fees", 0), "zones", "market.crossing_fees[0]."),
    (DAY, ("participants", 2), "zone", "participants[2] (id 'household')."),
    (DAY, ("periods", 0), "requests", "periods[0]."),
    (DAY, ("periods", 0, "offers", 1), "capacity_kwh", "periods[0].offers[1]."),
    (DAY, ("periods", 0, "requests", 0), "bonus", "periods[0].requests[0]."),
    (DAY, ("periods", 0, "contracts", 0), "energy_kwh", "periods[0].contracts[0]."),
    (DAY, ("periods", 0, "readings", 0), "consumed_kwh", "periods[0].readings[0]."),
    (DAY, ("periods", 0, "behaviours", "wind-farm"), "fraction", "periods[0].behaviours.wind-farm."),
    (FIG8, ("market",), "decay_every", "market."),  # grid-balanced fields
    (FIG9, ("certificates",), "generation", "certificates."),
    (FIG9, ("certificates", "generation", 1), "from_round", "certificates.generation[1]."),
    (FIG9, ("certificates", "trades", 0), "certificates", "certificates.trades[0]."),
    (FIG9, ("certificates", "claims", 2), "node", "certificates.claims[2]."),
    (FIG9, ("carbon",), "cycles", "carbon."),
    (FIG9, ("carbon", "cycles", 1), "quotas", "carbon.cycles[1]."),
    (FIG9, ("carbon", "cycles", 0, "trades", 3), "price", "carbon.cycles[0].trades[3]."),
    (WEEK, ("incentives",), "fee_rate", "incentives."),
    (WEEK, ("incentives", "tariff"), "bands", "incentives.tariff."),
    (WEEK, ("incentives", "tariff", "bands", 2), "life_days", "incentives.tariff.bands[2]."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "loc", "key", "path"), SECTIONS, ids=[f"{s[0]}:{s[3] or 'top'}" for s in SECTIONS]
)
def test_an_unknown_key_in_every_section_is_refused_with_its_path_and_the_key_meant(name, loc, key, path):
    data = shipped(name)
    node = data
    for part in loc:
        node = node[part]
    assert key in node  # the typo replaces a real key, as a person's slip does
    node[typo(key)] = node.pop(key)
    message = error_of(data)
    assert f"{path}{typo(key)}: unknown key '{typo(key)}'; did you mean '{key}'?" in message, message


def test_the_typos_that_used_to_run_are_refused():
    """`requets:` inside a period ran with 0 orders, and `bonsu:` with bonus 0, both exiting 0."""
    data = shipped("market_day.yaml")
    data["periods"][0]["requets"] = data["periods"][0].pop("requests")
    data["periods"][0]["offers"][0]["bonsu"] = 1
    message = error_of(data)
    assert "typo.yaml: 2 problems" in message
    assert "periods[0].requets: unknown key 'requets'; did you mean 'requests'?" in message
    assert "periods[0].offers[0].bonsu: unknown key 'bonsu'" in message


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "market_day.yaml",
            lambda d: d["periods"][0]["requests"][0].update(energy_kwh=-8),
            "periods[0].requests[0].energy_kwh: Input should be greater than 0 (got -8)",
        ),
        (
            "market_day.yaml",
            lambda d: d["periods"][0]["offers"][0].update(price="cheap"),
            "periods[0].offers[0].price: Input should be a valid decimal (got 'cheap')",
        ),
        (
            "market_day.yaml",
            lambda d: d.update(seed="one"),
            "seed: Input should be a valid integer (got 'one')",
        ),
        (
            "market_day.yaml",
            lambda d: d["market"].update(schedule={"publish_s": 0}),
            "market.schedule.publish_s: Input should be greater than or equal to 1 (got 0)",
        ),
        (
            "market_day.yaml",
            lambda d: d["market"].update(withdraw_each_period="yes"),
            "market.withdraw_each_period: Input should be a valid boolean (got 'yes')",
        ),
        (
            "seed001_tables.yaml",
            lambda d: d["participants"][3].update(credit_weight=101),
            "participants[3] (id '4').credit_weight: Input should be less than or equal to 100 (got 101)",
        ),
        (
            "seed001_fig9_certificates.yaml",
            lambda d: d["certificates"]["generation"][0].update(variation=1.5),
            "certificates.generation[0].variation: Input should be less than or equal to 1 (got 1.5)",
        ),
        (
            "seed001_fig9_certificates.yaml",
            lambda d: d["carbon"]["cycles"][0]["quotas"].update({"9": -1}),
            "carbon.cycles[0].quotas.9: Input should be greater than or equal to 0 (got -1)",
        ),
        (
            "incentives_week.yaml",
            lambda d: d["incentives"].update(delivery_hours=[18, 24]),
            "incentives.delivery_hours[1]: Input should be less than or equal to 23 (got 24)",
        ),
        (
            "seed001_tables.yaml",
            lambda d: d["market"].pop("grid_fee"),
            "market: a grid_balanced market needs grid_fee",
        ),
    ],
)
def test_a_wrong_type_or_range_names_the_field(name, change, expected):
    data = shipped(name)
    change(data)
    message = error_of(data)
    assert expected in message, message


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "market_day.yaml",
            lambda d: d["participants"].append({"id": "bakery", "role": "consumer"}),
            "participants[6].id: 'bakery' is used twice",
        ),
        (
            "market_day.yaml",
            lambda d: d["periods"][0]["requests"][1].update(consumer="bakrey"),
            "periods[0].requests[1].consumer: 'bakrey' is not a participant id; did you mean 'bakery'?",
        ),
        (
            "market_day.yaml",
            lambda d: d["periods"][0]["offers"][0].update(provider="school"),
            "periods[0].offers[0].provider: 'school' is a consumer and cannot sell",
        ),
        (
            "market_day.yaml",
            lambda d: d["periods"][0]["contracts"][0].update(buyer="wind-farm"),
            "periods[0].contracts[0].buyer: 'wind-farm' is a generator and cannot buy",
        ),
        (
            "seed001_fig9_certificates.yaml",
            lambda d: d["certificates"]["claims"][0].update(node="99"),
            "certificates.claims[0].node: '99' is not a participant id",
        ),
        (
            "seed001_fig9_certificates.yaml",
            lambda d: d["carbon"]["cycles"][1].update(first_round=90),
            "carbon.cycles[1]: rounds 90..200 must be in order, after the previous cycle (to 100)",
        ),
        (
            "seed001_fig9_certificates.yaml",
            lambda d: d["carbon"]["cycles"][0]["trades"][0].update(round=150),
            "carbon.cycles[0].trades[0]: round 150 is outside the cycle 1..100",
        ),
        (
            "seed001_tables.yaml",
            lambda d: d["periods"][0]["readings"].pop(),
            "periods[0]: readings has 14 entries for 15 contracts",
        ),
        (
            "seed001_tables.yaml",
            lambda d: d["periods"][0].update(requests=[{"consumer": "16", "energy_kwh": 5}]),
            "periods[0].requests: a grid_balanced market settles the period's contracts (with one reading "
            "each) only; drop requests",
        ),
        (
            "seed001_tables.yaml",
            lambda d: d.update(incentives={"fee_rate": 0.001}),
            "incentives: runs inside the honest-supplier market loop, which a grid_balanced market replaces",
        ),
    ],
)
def test_cross_field_checks_name_the_path(name, change, expected):
    data = shipped(name)
    change(data)
    message = error_of(data)
    assert expected in message, message


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_scenario_validates(path):
    model = validate_scenario_file(yaml.safe_load(path.read_text()), path.name)
    assert model.participants
    assert load_scenario(path).participants


def test_the_docs_example_validates():
    examples = docs_examples()
    assert examples
    for example in examples:
        assert parse_scenario(example).participants


@pytest.fixture(scope="module")
def printed_schema() -> dict:
    result = run("energy-trading", "schema", "scenario")
    assert result.returncode == 0, result.stderr
    assert_quiet(result.stdout + result.stderr)
    return json.loads(result.stdout)


def test_schema_command_prints_a_json_schema_that_accepts_every_shipped_scenario(printed_schema):
    jsonschema.Draft202012Validator.check_schema(printed_schema)
    assert printed_schema == ScenarioFile.model_json_schema()
    validator = jsonschema.Draft202012Validator(printed_schema)
    for path in SHIPPED:
        errors = [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))]
        assert errors == [], (path.name, errors)
    for example in docs_examples():
        assert validator.is_valid(example)


def test_schema_command_output_rejects_a_typo(printed_schema):
    validator = jsonschema.Draft202012Validator(printed_schema)
    data = shipped("market_day.yaml")
    data["periods"][0]["requests"][0]["bonsu"] = data["periods"][0]["requests"][0].pop("bonus")
    assert not validator.is_valid(data)
    data = shipped("seed001_fig9_certificates.yaml")
    data["carbon"]["cycles"][0]["quotaz"] = data["carbon"]["cycles"][0].pop("quotas")
    assert not validator.is_valid(data)
    data = shipped("seed001_fig8.yaml")
    data["x_anything"] = {"free": "form"}  # x_ keys are the file's own extensions
    assert validator.is_valid(data)


def test_run_refuses_a_typo_before_compiling_or_deploying(tmp_path):
    bad = copy.deepcopy(shipped("market_day.yaml"))
    bad["periods"][0]["requests"][0]["bonsu"] = bad["periods"][0]["requests"][0].pop("bonus")
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(bad))
    out = tmp_path / "out"
    result = run("energy-trading", "run", str(path), "--out", str(out), timeout=120)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "periods[0].requests[0].bonsu: unknown key 'bonsu'; did you mean 'bonus'?" in result.stderr
    assert "energy-trading: error:" in result.stderr
    assert_quiet(result.stdout + result.stderr)
    assert result.stdout == ""  # no compile or deploy progress, no summary
    assert not out.exists()  # refused before the output directory was even created


def test_run_refuses_before_anything_is_deployed(tmp_path, monkeypatch):
    """In process: the compile and deploy entry points the run uses are replaced by tripwires."""
    import importlib

    from energy_trading.cli import progress

    cli = importlib.import_module("energy_trading.cli.main")
    from energy_trading.scenarios import runner

    def tripwire(*args, **kwargs):
        raise AssertionError("deployed or compiled a scenario that does not validate")

    monkeypatch.setattr(runner, "deploy", tripwire)
    monkeypatch.setattr(progress, "compile_with_progress", tripwire)
    bad = shipped("seed001_fig9_certificates.yaml")
    bad["carbon"]["cycles"][1]["first_round"] = 50  # cycles overlap: used to fail after deploying
    path = tmp_path / "overlap.yaml"
    path.write_text(yaml.safe_dump(bad))
    assert cli.main(["run", str(path), "--out", str(tmp_path / "out")]) == 2
