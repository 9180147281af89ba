"""Fixtures for the brownie contract suite (runs on anvil through `brownie test tests/contracts`)."""

import brownie
import pytest
from brownie import ParticipantRegistry, accounts, chain
from brownie_overhead import direct_rpc_session, pytest_collection_finish  # noqa: F401  (see brownie_overhead.py)
from web3 import Web3

from energy_trading.clients.registry import sign_meter_binding

GENERATOR, CONSUMER, PROSUMER = 1, 2, 3
SOURCE_NONE, SOLAR, WIND, BIOMASS, HYDRO, FOSSIL = range(6)
PENDING, APPROVED, REJECTED, SUSPENDED, EXIT_REQUESTED, EXITED = 1, 2, 3, 4, 5, 6
ZONE_A = Web3.to_bytes(text="zone-A").ljust(32, b"\0")
ATTESTATION = Web3.keccak(text="identity attestation of a participant")
DEVICE = Web3.keccak(text="device attestation of a meter")
RATED_W = 10**9  # 1 GW: ample for every test reading; the plausibility tests use small meters of their own
METER_PENDING, METER_APPROVED, METER_REJECTED = 1, 2, 3


# Test files by their summed durations (brownie test -n 2 --durations=0, measured 2026-11-30 at load ~2-7
# on the 2 cores, after brownie_overhead.py; longest first). brownie hands whole files to its two xdist
# workers in collection order (the Makefile passes --no-loadscope-reorder, which otherwise orders files by
# test count and so started the 70 s stateful file near the end), so the long ones start first and the short
# ones fill the gaps at the end. This changes the order of files only; each file's tests keep their order
# and isolation.
LONGEST_FILES_FIRST = (
    "test_market_stateful.py",
    "test_certificates_stateful.py",
    "test_review2_findings.py",
    "test_market_orders.py",
    "test_incentives.py",
    "test_market_matching.py",
    "test_carbon.py",
    "test_certificates.py",
    "test_market_lean.py",
    "test_market_trust.py",
    "test_incentives_stateful.py",
    "test_registry.py",
    "test_certificates_exchange.py",
)


def pytest_collection_modifyitems(items):
    """Move the LONGEST_FILES_FIRST files to the front, longest first; other files keep their place."""
    rank = {name: i for i, name in enumerate(LONGEST_FILES_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(autouse=True)
def isolate(fn_isolation):
    """Every test starts from the same chain state."""


@pytest.fixture(scope="module")
def admin():
    return accounts[0]


@pytest.fixture(scope="module")
def auditor():
    return accounts[1]


@pytest.fixture(scope="module")
def market():
    """Stands in for a market contract: holds MARKET_ROLE to open and close obligations."""
    return accounts[2]


@pytest.fixture(scope="module")
def stranger():
    return accounts[9]


@pytest.fixture(scope="module")
def registry(admin, auditor, market):
    reg = ParticipantRegistry.deploy(admin, auditor, {"from": admin})
    reg.grantRole(reg.MARKET_ROLE(), market, {"from": admin})
    return reg


def new_meter():
    """A fresh meter account: a local key, never funded (meters need no gas)."""
    return accounts.add()


def binding_signature(registry, owner, meter, device, rated_w, deadline, signer=None, nonce=None):
    """The EIP-712 `MeterBinding` signature of `signer` (default: the meter's own local key; none for an
    address with no local key, such as the zero address)."""
    if signer is None:
        signer = next((a for a in accounts if str(a).lower() == str(meter).lower()), None)
        if signer is None or not hasattr(signer, "private_key"):
            return b""
    key = signer.private_key
    nonce = registry.nonces(meter) if nonce is None else nonce
    return sign_meter_binding(
        key, chain.id, registry.address, str(owner), str(meter), bytes(device), rated_w, nonce, deadline
    )


def meter_request(registry, owner, meter, rated_w=RATED_W, device=DEVICE, deadline=2**64, signer=None):
    """The registry's MeterRequest for binding `meter` to `owner`, signed by the meter (a local key).
    `meter` may be an account or an (address, device hash, rated W) tuple."""
    if isinstance(meter, tuple):
        meter, device, rated_w = meter
    sig = binding_signature(registry, owner, meter, device, rated_w, deadline, signer)
    return (str(meter), device, rated_w, deadline, sig)


def add_meter(registry, who, meter, rated_w=RATED_W, device=DEVICE, **kw):
    """`who` requests one more meter, with the meter's signed consent."""
    return registry.addMeter(*meter_request(registry, who, meter, rated_w, device), {"from": who, **kw})


def register(registry, who, role=GENERATOR, source=SOLAR, meters=None):
    meters = meters if meters is not None else [new_meter()]
    requests = [meter_request(registry, who, m) for m in meters]
    return registry.register(role, source, ZONE_A, ATTESTATION, requests, {"from": who})


def approve_meters(registry, auditor, who):
    """The auditor approves every pending meter device of `who`."""
    for m in registry.metersOf(who):
        if registry.meterInfo(m)[1] == METER_PENDING:
            registry.approveMeter(m, {"from": auditor})


def approved(registry, auditor, who, role=GENERATOR, source=SOLAR):
    register(registry, who, role, source)
    registry.approve(who, {"from": auditor})
    approve_meters(registry, auditor, who)
    return who


def reverts_with(error, *args):
    """Expect a revert with the custom error `error`, as brownie decodes it ("Name: arg, arg")."""
    if not args:
        return brownie.reverts(revert_pattern=rf"{error}(: .*)?")
    return brownie.reverts(f"{error}: " + ", ".join(str(a).lower() for a in args))


def plain(record):
    """A struct returned by brownie as plain Python values (ints, hex strings), for comparisons."""
    return tuple(int(v) if isinstance(v, int) else str(v) for v in record)


# The market's module-scoped fixtures (mkt, people) live in market_fixtures.py; importing them here
# makes them available to every test module without re-importing (and shadowing) them.
from market_fixtures import mkt, people  # noqa: E402, F401
