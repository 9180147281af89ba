"""Green certificates in Python: the pure eq 6 / eq 20 model, and the chain client checked against it."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from energy_trading import connect, deploy
from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.certificates import CertificatesClient
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.models.certificates import (
    WH_PER_MWH,
    CertificateBook,
    CertificateError,
    GeneratorMeter,
    certificates_due,
    green_weights,
)

METERING = {"epoch": 0}  # unix seconds: the on-chain tests' metering periods count from here (set by `world`)
HOUR = 3600
WAD = 10**18

# ---------------------------------------------------------------------------------------------- pure model


def test_eq_6_counts_whole_mwh_only():
    assert [certificates_due(wh) for wh in (0, 999_999, 1_000_000, 2_999_999, 3_000_000)] == [0, 0, 1, 2, 3]


def test_negative_generation_is_refused_with_the_value():
    with pytest.raises(CertificateError, match="got -5"):
        GeneratorMeter().add(-5)


def test_remainder_carries_to_the_next_reading():
    meter = GeneratorMeter()
    assert meter.add(600_000) == 0
    assert meter.carried_wh == 600_000
    assert meter.add(600_000) == 1  # 1.2 MWh in total
    assert meter.carried_wh == 200_000
    assert meter.add(2_800_000) == 3  # 4.0 MWh in total: nothing left over
    assert (meter.issued, meter.carried_wh) == (4, 0)


@given(st.lists(st.integers(min_value=0, max_value=5 * WH_PER_MWH), max_size=40))
def test_issued_is_always_the_floor_of_cumulative_mwh(readings):
    meter = GeneratorMeter()
    issued = sum(meter.add(wh) for wh in readings)
    assert issued == meter.issued == sum(readings) // WH_PER_MWH
    assert meter.carried_wh == sum(readings) % WH_PER_MWH


def test_book_transfers_and_claims_move_the_counts():
    book = CertificateBook()
    first = book.report("solar", 3_400_000)
    assert (first.certificate_id, first.amount, first.carried_wh) == (1, 3, 400_000)
    book.transfer("solar", "home", 1, 2)
    book.claim("home", 1, 1)
    assert (book.held("solar"), book.held("home"), book.claimed_by("home")) == (1, 1, 1)
    assert (book.counted("solar"), book.counted("home")) == (1, 2)
    assert book.total_issued == book.total_held + book.total_claimed == 3


def test_book_refuses_moving_claimed_or_missing_certificates():
    book = CertificateBook()
    book.report("solar", 2_000_000)
    book.claim("solar", 1, 2)
    with pytest.raises(CertificateError, match="holds 0 transferable certificates of id 1"):
        book.transfer("solar", "home", 1, 1)
    with pytest.raises(CertificateError):
        book.claim("solar", 1, 1)
    with pytest.raises(CertificateError, match="must be > 0"):
        book.claim("solar", 1, 0)
    with pytest.raises(CertificateError, match="not an approved non-hydro renewable generator"):
        book.report("hydro", 9_000_000, qualifies=False)
    assert book.total_issued == book.total_claimed == 2


def test_eq_20_shares_certificates_on_the_0_to_100_scale():
    assert green_weights({"a": 3, "b": 1, "c": 0}) == {"a": 75.0, "b": 25.0, "c": 0.0}
    # Only part of the market listed: the denominator is still every certificate issued.
    assert green_weights({"a": 3}, total=12) == {"a": 25.0}
    assert green_weights({"a": 0, "b": 0}) == {"a": 0.0, "b": 0.0}


@given(
    st.dictionaries(st.text(min_size=1, max_size=3), st.integers(min_value=0, max_value=10**6), min_size=1)
)
def test_eq_20_weights_sum_to_100_whenever_a_certificate_exists(counts):
    weights = green_weights(counts)
    if sum(counts.values()):
        assert sum(weights.values()) == pytest.approx(100.0)
    else:
        assert set(weights.values()) == {0.0}


# ---------------------------------------------------------------------------------------------- on chain


@pytest.fixture(scope="module")
def world(artifacts):
    """One deployment for the module: two renewable generators, a hydro plant and a funded consumer.
    Each test reverts the chain to the state after this setup."""
    chain = connect()
    d = deploy(chain, artifacts)
    reg = RegistryClient(d)
    people = {
        "solar": reg.register("solar", Role.GENERATOR, Source.SOLAR),
        "wind": reg.register("wind", Role.PROSUMER, Source.WIND),
        "hydro": reg.register("hydro", Role.GENERATOR, Source.HYDRO),
        "home": reg.register("home", Role.CONSUMER),
    }
    for p in people.values():
        reg.approve(p.address)
    chain.transact(d.token.functions.issue(people["home"].address, 500 * WAD), d.operator)
    # metering periods start after the meters' approval (nothing before it is certified) and lie in the past
    METERING["epoch"] = chain.now()
    chain.advance_time(24 * HOUR)
    return d, people, chain.w3.testing.snapshot()


@pytest.fixture
def on_chain(world):
    d, people, snapshot = world
    d.chain.w3.testing.revert(snapshot)
    return CertificatesClient(d), people


def hour(n):
    """The n-th metering hour after the meters' approval (already past on the chain)."""
    epoch = METERING["epoch"]
    return epoch + n * HOUR, epoch + (n + 1) * HOUR


@settings(max_examples=12, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.integers(min_value=0, max_value=2_500_000)), min_size=1, max_size=8)
)
def test_chain_issuance_matches_the_model_reading_by_reading(world, readings):
    d, people, snapshot = world
    d.chain.w3.testing.revert(snapshot)
    client, book = CertificatesClient(d), CertificateBook()
    n = {"solar": 0, "wind": 0}
    for use_wind, wh in readings:
        name = "wind" if use_wind else "solar"
        p = people[name]
        got = client.report_generation(p.address, p.meters[0], *hour(n[name]), wh)
        n[name] += 1
        assert got == book.report(p.address, wh)
    for name in ("solar", "wind"):
        address = people[name].address
        assert client.held(address) == book.held(address)
        model = book.generators.get(address, GeneratorMeter())
        on_chain = d.green_certificates.functions.generation(address).call()
        assert tuple(on_chain)[:2] == (model.cumulative_wh, model.issued)
    assert client.total_issued() == book.total_issued


def test_hydro_reading_is_refused_with_the_reason(on_chain):
    client, people = on_chain
    hydro = people["hydro"]
    with pytest.raises(ChainRevert) as refusal:
        client.report_generation(hydro.address, hydro.meters[0], *hour(0), 4 * WH_PER_MWH)
    assert refusal.value.error == "NotRenewableGenerator"
    assert refusal.value.args_by_name["source"] == Source.HYDRO
    assert client.held(hydro.address) == 0


def test_sale_and_claim_through_the_client_move_weight_to_the_buyer(on_chain):
    client, people = on_chain
    solar, home = people["solar"], people["home"]
    issued = client.report_generation(solar.address, solar.meters[0], *hour(0), 4_200_000)
    listing = client.list_for_sale(solar.address, issued.certificate_id, 3, 25 * WAD)
    paid = client.buy(home.address, listing, 2)
    client.claim(home.address, issued.certificate_id, 1, b"May bill")
    assert paid == 50 * WAD
    assert client.token.functions.balanceOf(solar.address).call() == 50 * WAD
    assert client.holdings(home.address) == {1: 1}
    assert (client.counted(solar.address), client.counted(home.address)) == (2, 2)
    assert client.weights([solar.address, home.address]) == {solar.address: 50.0, home.address: 50.0}


def test_node_weights_contract_reads_eq_20_from_the_certificates(on_chain):
    """The settlement issue's NodeWeights is wired to this contract in deploy(): its W_gc equals eq 20."""
    client, people = on_chain
    solar, wind, home = people["solar"], people["wind"], people["home"]
    client.report_generation(solar.address, solar.meters[0], *hour(0), 3_000_000)
    client.report_generation(wind.address, wind.meters[0], *hour(0), 1_000_000)
    client.transfer(solar.address, home.address, 1, 1)
    node_weights = client.d.node_weights
    expected = {solar.address: Fraction(2, 4), wind.address: Fraction(1, 4), home.address: Fraction(1, 4)}
    for node, share in expected.items():
        assert node_weights.functions.greenWeight(node).call() == share * 100 * WAD
