"""Deploy every contract of the dApp and wire their roles.

`deploy(chain)` returns a `Deployment`: typed handles (web3 `Contract` objects) to
each deployed contract plus the addresses of the operator (admin) and the auditor.
One deployer per contract family: `_deploy_market` (token, reputation, order book, matching market,
honest-supplier policy), `deploy_grid` / `deploy_grid_policy` (seed 001 §4 ledgers and policy) and
`deploy_certificates` (certificates, exchange, carbon ledger). The clients in `energy_trading.clients`
drive a `Deployment`; this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from web3.contract import Contract

from energy_trading.chain.compiler import Artifact, compile_contracts
from energy_trading.chain.connection import Chain
from energy_trading.chain.errors import RevertDecoder
from energy_trading.models.grid_settlement import GridPrices
from energy_trading.models.incentives import DAY, UNIT, Band, Tariff
from energy_trading.models.units import to_price, to_wad
from energy_trading.models.weights import WeightParams, decay_factor_wad

__all__ = [
    "CERTIFICATE_URI",
    "DEPLOY_STAGES",
    "INCENTIVE_URI",
    "Deployment",
    "GridParams",
    "IncentiveParams",
    "MarketParams",
    "default_tariff",
    "deploy",
    "deploy_certificates",
    "deploy_contract",
    "deploy_grid",
    "deploy_grid_policy",
    "deploy_incentives",
    "deploy_signed_grid_policy",
]

WAD = 10**18
#: The stages `deploy` reports to its `progress` callback, in order.
DEPLOY_STAGES = ("registry", "market", "grid and weights", "certificates and carbon", "incentive currency")


@dataclass(frozen=True)
class MarketParams:
    """Immutable market parameters, fixed when the market contracts are deployed.

    Attributes:
        tokens_per_currency_wad: t, token base units per whole currency unit in WAD (1e18 = 1 token per unit).
        alpha_wad: alpha of seed 003 eq 2 in WAD (the paper's simulation: 0.4).
        handling_fee: per-order handling fee in token base units, paid by the buyer (seed 001 §2.2).
        tau_wh: the honest-supplier policy's allowed transmission loss tau, Wh.
        faucet_amount: tokens one devnet faucet draw gives (0 disables the faucet).
        faucet_cooldown_s: seconds between two faucet draws of one account.
        settlement_grace_s: seconds after a period's readings window before an order its policy refuses to
            settle falls back to refunds (`OrderBook.settlementGrace`, the liveness bound of every order).
    """

    tokens_per_currency_wad: int = WAD
    alpha_wad: int = 4 * WAD // 10
    handling_fee: int = WAD // 100
    tau_wh: int = 200
    faucet_amount: int = 1_000 * WAD
    faucet_cooldown_s: int = 3_600
    settlement_grace_s: int = 86_400


@dataclass(frozen=True)
class GridParams:
    """Parameters of grid-balanced settlement (market parameters, fixed at deployment).

    Attributes:
        prices: S, B, G in tokens per kWh (seed 001 §5.1: 0.4, 0.75, 0.04).
        max_reading_factor: the largest accepted buyer reading, as a multiple of the contract.
        initial_credit_weight: W_a of a node enrolled by its first settlement (§5.2: 0).
        weights: the node-weight factors and the decay (delta, l) shared by W_a and W_g.
    """

    prices: GridPrices = field(default_factory=lambda: GridPrices.of("0.4", "0.75", "0.04"))
    max_reading_factor: int = 10
    initial_credit_weight: Fraction = Fraction(0)
    weights: WeightParams = field(default_factory=WeightParams)


@dataclass
class Deployment:
    """Handles to the deployed contracts and the accounts holding their roles.

    Attributes:
        chain: the connection (accounts, signing, revert decoding).
        operator: consortium operator: admin of every contract, receives handling fees.
        auditor: the weak-centre auditor (approves participants, audits trades).
        registry: `ParticipantRegistry`.
        token: `EnergyToken`, the market's currency (the operator is its treasurer).
        reputation: `ProviderReputation` (seed 003 eq 1-2).
        order_book: `OrderBook`: trading periods and the order lifecycle (audit, escrow, readings, settling).
        matching: `MatchingMarket`: offers, requests and the verified optimal matching (seed 003 eq 3-5).
        honest_policy: `HonestSupplierSettlement` (seed 003 §5.2), allowed on the order book.
        signed_book: `SignedBook`: the lean signed-bilateral lifecycle (issue 13) on the order book's periods.
        signed_policy: `HonestSupplierSettlement` bound to the signed book, mapped from `honest_policy`.
        credit_weights: `CreditWeights`, credit weight W_a per round (seed 001 eq 14-17, 24).
        penalty_pool: `PenaltyPool`, default penalties shared by credit weight (seed 001 eq 34).
        node_weights: `NodeWeights`, node weight W_f / W_y for weighted Raft (seed 001 eq 8-25).
        grid_account: `GridAccount`, the grid's revenue and what it owes for feed-in energy.
        grid_policy: `GridBalancedSettlement` (seed 001 §4.3) at `GridParams()` prices, allowed on the market.
        signed_grid_policy: a second `GridBalancedSettlement` over the same ledgers and prices, bound to
            the signed book (MARKET_ROLE) and allowed on the order book: a period the order book opens with it
            is a grid-balanced period of the signed book (`SignedBook.mapGridPolicy`); the order book cannot
            settle through it, so the period's contracted total is the signed book's alone.
        green_certificates: `GreenCertificates`, ERC-1155 certificates per metered MWh (seed 001 eq 6, 20).
        certificate_exchange: `CertificateExchange`, certificate sales for EnergyToken (atomic swap).
        carbon_ledger: `CarbonLedger`, quotas, allowance trades, emissions, settlement (seed 001 eq 21-22);
            the auditor holds its REGULATOR_ROLE.
        incentives: `IncentiveCurrency`, seed 004 §3.4's time-stamped incentive lots and block creator reward
            (reads the order book's settled orders; the operator funds its EnergyToken reserve).
        market_params: the market parameters the contracts were deployed with.
        artifacts: every compiled artifact by contract name (ABIs for ad-hoc use).
    """

    chain: Chain
    operator: str
    auditor: str
    registry: Contract
    token: Contract
    reputation: Contract
    order_book: Contract
    matching: Contract
    honest_policy: Contract
    signed_book: Contract
    signed_policy: Contract
    credit_weights: Contract
    penalty_pool: Contract
    node_weights: Contract
    grid_account: Contract
    grid_policy: Contract
    signed_grid_policy: Contract
    green_certificates: Contract
    certificate_exchange: Contract
    carbon_ledger: Contract
    incentives: Contract
    market_params: MarketParams
    artifacts: dict[str, Artifact] = field(repr=False, default_factory=dict)

    def contracts(self) -> dict[str, Contract]:
        """Every deployed contract by name."""
        return {name: c for name, c in vars(self).items() if isinstance(c, Contract)}

    def addresses(self) -> dict[str, str]:
        """Every deployed contract's address by name."""
        return {name: c.address for name, c in self.contracts().items()}


def deploy_contract(chain: Chain, artifact: Artifact, sender: str, *args: Any) -> Contract:
    """Deploy one compiled contract from `sender` and return a handle bound to its address."""
    factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = chain.transact(factory.constructor(*args), sender)
    return chain.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def deploy(
    chain: Chain,
    artifacts: dict[str, Artifact] | None = None,
    market: MarketParams | None = None,
    grid: GridParams | None = None,
    incentives: IncentiveParams | None = None,
    progress: Callable[[str], None] | None = None,
) -> Deployment:
    """Compile (cached) and deploy the dApp's contracts to `chain`; grant every role.

    The operator and auditor are accounts derived from the chain's seed, labelled
    "operator" and "auditor". `market` sets the market parameters (defaults: `MarketParams()`).
    `progress(stage)` is called as each of the `DEPLOY_STAGES` stages begins (e.g. to drive a progress bar).
    """
    step = progress or (lambda stage: None)
    artifacts = artifacts or compile_contracts()
    step(DEPLOY_STAGES[0])
    chain.decoder = RevertDecoder(a.abi for a in artifacts.values())
    operator, auditor = chain.new_accounts(["operator", "auditor"])
    registry = deploy_contract(chain, artifacts["ParticipantRegistry"], operator, operator, auditor)
    market = market or MarketParams()
    step(DEPLOY_STAGES[1])
    m = _deploy_market(chain, artifacts, operator, registry, market)
    step(DEPLOY_STAGES[2])
    g = deploy_grid(
        chain, artifacts, operator, registry, m["token"], m["order_book"], grid, signed_book=m["signed_book"]
    )
    step(DEPLOY_STAGES[3])
    c = deploy_certificates(chain, artifacts, operator, auditor, registry, m["token"], g["node_weights"])
    step(DEPLOY_STAGES[4])
    i = deploy_incentives(chain, artifacts, operator, m["order_book"], m["token"], incentives)
    return Deployment(
        chain=chain,
        operator=operator,
        auditor=auditor,
        registry=registry,
        **m,
        **g,
        **c,
        **i,
        market_params=market,
        artifacts=artifacts,
    )


def _deploy_market(
    chain: Chain, artifacts: dict[str, Artifact], operator: str, registry: Contract, p: MarketParams
) -> dict[str, Contract]:
    """Token, reputation, order book, matching market and honest-supplier policy, with their roles wired:
    the order book holds the registry's MARKET_ROLE and the reputation's RECORDER_ROLE, the matching market
    holds the order book's MATCHER_ROLE, and the honest-supplier policy is allowed on the order book; the
    signed book (lean signed path) settles the honest-supplier periods through its own instance and is the
    reputation's tally book (its per-period tallies are folded with the order book's records), and the
    matching market holds its MATCHER_ROLE and names it (`setSignedBook`) for the lean matched path."""
    token = deploy_contract(
        chain,
        artifacts["EnergyToken"],
        operator,
        operator,
        operator,
        p.tokens_per_currency_wad,
        p.faucet_amount,
        p.faucet_cooldown_s,
    )
    reputation = deploy_contract(chain, artifacts["ProviderReputation"], operator, operator, p.alpha_wad)
    order_book = deploy_contract(
        chain,
        artifacts["OrderBook"],
        operator,
        operator,
        operator,
        registry.address,
        token.address,
        reputation.address,
        operator,
        p.handling_fee,
        p.settlement_grace_s,
    )
    matching = deploy_contract(
        chain,
        artifacts["MatchingMarket"],
        operator,
        operator,
        operator,
        order_book.address,
        registry.address,
        reputation.address,
        token.address,
    )
    honest = deploy_contract(
        chain, artifacts["HonestSupplierSettlement"], operator, order_book.address, p.tau_wh
    )
    # every market (both books) counts the meter readings it accepts against the meter's one budget there
    meter_budget = registry.functions.METER_BUDGET_ROLE().call()
    grants = [
        registry.functions.grantRole(registry.functions.MARKET_ROLE().call(), order_book.address),
        registry.functions.grantRole(meter_budget, order_book.address),
        reputation.functions.grantRole(reputation.functions.RECORDER_ROLE().call(), order_book.address),
        order_book.functions.grantRole(order_book.functions.MATCHER_ROLE().call(), matching.address),
        order_book.functions.setPolicyAllowed(honest.address, True),
    ]
    chain.transact_many([(fn, operator) for fn in grants])  # independent of each other
    signed_book = deploy_contract(
        chain, artifacts["SignedBook"], operator, operator, order_book.address, token.address
    )
    signed_policy = deploy_contract(
        chain, artifacts["HonestSupplierSettlement"], operator, signed_book.address, p.tau_wh
    )
    signed_wiring = [
        signed_book.functions.mapPolicy(honest.address, signed_policy.address),
        registry.functions.grantRole(meter_budget, signed_book.address),
        # the lean matched path: the matching market opens verified pairs as one-word signed-book orders
        signed_book.functions.grantRole(signed_book.functions.MATCHER_ROLE().call(), matching.address),
        matching.functions.setSignedBook(signed_book.address),
        # the reputation ledger reads the signed book's per-period tallies, which alone registers periods
        reputation.functions.setTallyBook(signed_book.address),
    ]
    chain.transact_many([(fn, operator) for fn in signed_wiring])  # independent of each other
    return {
        "token": token,
        "reputation": reputation,
        "order_book": order_book,
        "matching": matching,
        "honest_policy": honest,
        "signed_book": signed_book,
        "signed_policy": signed_policy,
    }


def deploy_grid(
    chain: Chain,
    artifacts: dict[str, Artifact],
    operator: str,
    registry: Contract,
    token: Contract,
    order_book: Contract | None,
    params: GridParams | None = None,
    signed_book: Contract | None = None,
) -> dict[str, Contract]:
    """Deploy CreditWeights, PenaltyPool, NodeWeights, GridAccount and a GridBalancedSettlement.

    The operator administers all of them, is the first relayer of NodeWeights, the grid operator of
    GridAccount and the PenaltyPool's treasury (a carried penalty no later one took, after `CARRY_TIMEOUT`).
    The policy gets SETTLEMENT_ROLE on the ledgers and POLICY_ROLE on the grid account; the order
    book (when given) gets MARKET_ROLE on the policy and allows it for new periods. With `signed_book` (and
    the order book) a second policy over the same ledgers is deployed for it (`deploy_signed_grid_policy`,
    "signed_grid_policy"). Returns the handles by the `Deployment` field names.
    """
    p = params or GridParams()
    w = p.weights
    credit = deploy_contract(
        chain,
        artifacts["CreditWeights"],
        operator,
        operator,
        registry.address,
        decay_factor_wad(w.delta),
        w.decay_every,
        to_wad(p.initial_credit_weight),
    )
    pool = deploy_contract(
        chain, artifacts["PenaltyPool"], operator, operator, token.address, credit.address, operator
    )
    node_weights = deploy_contract(
        chain,
        artifacts["NodeWeights"],
        operator,
        operator,
        operator,
        credit.address,
        registry.address,
        w.as_wad(),
    )
    grid_account = deploy_contract(
        chain, artifacts["GridAccount"], operator, operator, operator, token.address
    )
    contracts = {
        "credit_weights": credit,
        "penalty_pool": pool,
        "node_weights": node_weights,
        "grid_account": grid_account,
    }
    contracts["grid_policy"] = deploy_grid_policy(
        chain, artifacts, operator, contracts, order_book, p.prices, p.max_reading_factor
    )
    if signed_book is not None and order_book is not None:
        contracts["signed_grid_policy"] = deploy_signed_grid_policy(
            chain, artifacts, operator, contracts, order_book, signed_book, p.prices, p.max_reading_factor
        )
    return contracts


def deploy_signed_grid_policy(
    chain: Chain,
    artifacts: dict[str, Artifact],
    operator: str,
    ledgers: dict[str, Contract],
    order_book: Contract,
    signed_book: Contract,
    prices: GridPrices,
    max_reading_factor: int = 10,
) -> Contract:
    """A GridBalancedSettlement over the same ledgers for the signed book: MARKET_ROLE to `signed_book` only,
    allowed on `order_book` (whose `openPeriod(policy, ...)` opens grid periods for the signed book) and
    mapped on the signed book with the period total (`SignedBook.mapGridPolicy`). The order book never gets
    MARKET_ROLE on it, so no order book settlement reaches the ledgers with a different period total."""
    policy = deploy_grid_policy(chain, artifacts, operator, ledgers, None, prices, max_reading_factor)
    market_role = policy.functions.MARKET_ROLE().call()
    chain.transact(policy.functions.grantRole(market_role, signed_book.address), operator)
    chain.transact(order_book.functions.setPolicyAllowed(policy.address, True), operator)
    chain.transact(signed_book.functions.mapGridPolicy(policy.address), operator)
    return policy


def deploy_grid_policy(
    chain: Chain,
    artifacts: dict[str, Artifact],
    operator: str,
    ledgers: dict[str, Contract],
    order_book: Contract | None,
    prices: GridPrices,
    max_reading_factor: int = 10,
) -> Contract:
    """Deploy one more GridBalancedSettlement (e.g. other grid prices) over the same ledgers and wire it."""
    policy = deploy_contract(
        chain,
        artifacts["GridBalancedSettlement"],
        operator,
        operator,
        to_price(prices.feed_in),
        to_price(prices.grid),
        to_price(prices.fee),
        max_reading_factor,
        ledgers["credit_weights"].address,
        ledgers["penalty_pool"].address,
        ledgers["node_weights"].address,
        ledgers["grid_account"].address,
    )
    grants = [
        (ledgers["credit_weights"], "SETTLEMENT_ROLE"),
        (ledgers["penalty_pool"], "SETTLEMENT_ROLE"),
        (ledgers["node_weights"], "SETTLEMENT_ROLE"),
        (ledgers["grid_account"], "POLICY_ROLE"),
    ]
    for contract, role in grants:
        role_id = getattr(contract.functions, role)().call()
        chain.transact(contract.functions.grantRole(role_id, policy.address), operator)
    if order_book is not None:
        market_role = policy.functions.MARKET_ROLE().call()
        chain.transact(policy.functions.grantRole(market_role, order_book.address), operator)
        chain.transact(order_book.functions.setPolicyAllowed(policy.address, True), operator)
    return policy


CERTIFICATE_URI = "https://energy-trading.example/certificates/{id}.json"
"""ERC-1155 metadata URI template of the green certificates (clients substitute `{id}`)."""


def deploy_certificates(
    chain: Chain,
    artifacts: dict[str, Artifact],
    operator: str,
    regulator: str,
    registry: Contract,
    token: Contract,
    node_weights: Contract | None = None,
) -> dict[str, Contract]:
    """Deploy GreenCertificates, CertificateExchange and CarbonLedger and wire them.

    The operator administers the carbon ledger and `regulator` (the registry's auditor in the standard
    deployment) holds its REGULATOR_ROLE. When `node_weights` is given, the operator sets the certificate
    contract as its seed 001 eq 20 source and the carbon ledger as its seed 001 eq 21-22 source. Returns the
    handles by the `Deployment` field names.
    """

    certificates = deploy_contract(
        chain, artifacts["GreenCertificates"], operator, registry.address, CERTIFICATE_URI
    )
    exchange = deploy_contract(
        chain,
        artifacts["CertificateExchange"],
        operator,
        certificates.address,
        token.address,
        registry.address,
    )
    ledger = deploy_contract(
        chain, artifacts["CarbonLedger"], operator, operator, regulator, registry.address, token.address
    )
    if node_weights is not None:
        chain.transact(node_weights.functions.setGreenSource(certificates.address), operator)
        chain.transact(node_weights.functions.setCarbonSource(ledger.address), operator)
    return {"green_certificates": certificates, "certificate_exchange": exchange, "carbon_ledger": ledger}


# ------------------------------------------------------------------ incentive currency (seed 004 §3.4)

INCENTIVE_URI = "https://energy-trading.example/incentives/{id}.json"


def default_tariff() -> Tariff:
    """A three-band time-of-use tariff: evening peak 17-21 h UTC (2 units/kWh, 30 days of life), daytime
    shoulder 7-17 h (1 unit/kWh, 14 days), night off-peak (0.5 unit/kWh, 3 days)."""
    return Tariff.from_hours(
        [Band(UNIT // 2, 3 * DAY), Band(UNIT, 14 * DAY), Band(2 * UNIT, 30 * DAY)],
        {1: [*range(0, 7), *range(21, 24)], 2: range(7, 17), 3: range(17, 21)},
    )


@dataclass(frozen=True)
class IncentiveParams:
    """Deployment parameters of the incentive currency.

    Attributes:
        vintage_seconds: length of an issuance time bucket (s): one vintage per bucket and band.
        block_reward: incentive base units per block to its creator.
        block_reward_life_s: operating life of block-reward lots (s).
        fee_rate: EnergyToken base units per `UNIT` when lots are spent towards a handling fee (WAD).
        redeem_rate: EnergyToken base units per `UNIT` when lots are redeemed (WAD; 0 disables redemption).
        reserve: EnergyToken base units the operator issues to itself and funds the reserve with.
        tariff: the first tariff (None: publish none at deployment).
    """

    vintage_seconds: int = DAY
    block_reward: int = 5 * UNIT
    block_reward_life_s: int = 7 * DAY
    fee_rate: int = WAD // 1_000
    redeem_rate: int = WAD // 2_000
    reserve: int = 100 * WAD
    tariff: Tariff | None = field(default_factory=default_tariff)


def deploy_incentives(
    chain: Chain,
    artifacts: dict[str, Artifact],
    operator: str,
    order_book: Contract,
    token: Contract,
    params: IncentiveParams | None = None,
) -> dict[str, Contract]:
    """Deploy `IncentiveCurrency` over `order_book` and `token`; the operator (EnergyToken treasurer) issues
    and funds the reserve and publishes the first tariff. Returns `{"incentives": contract}`."""
    p = params or IncentiveParams()
    art = artifacts["IncentiveCurrency"]
    factory = chain.w3.eth.contract(abi=art.abi, bytecode=art.bytecode)
    receipt = chain.transact(
        factory.constructor(
            operator,
            operator,
            order_book.address,
            token.address,
            p.vintage_seconds,
            p.block_reward,
            p.block_reward_life_s,
            (p.fee_rate, p.redeem_rate),
            INCENTIVE_URI,
        ),
        operator,
    )
    incentives = chain.w3.eth.contract(address=receipt["contractAddress"], abi=art.abi)
    if p.reserve:
        t = token.functions.tokensPerCurrency().call()
        chain.transact(token.functions.issue(operator, -(-p.reserve * WAD // t)), operator)
        chain.transact(token.functions.approve(incentives.address, p.reserve), operator)
        chain.transact(incentives.functions.fundReserve(p.reserve), operator)
    if p.tariff is not None:
        chain.transact(incentives.functions.setTariff(*p.tariff.as_args()), operator)
    return {"incentives": incentives}
