"""Deploy every contract of the dApp and wire their roles.

`deploy(chain)` returns a `Deployment`: typed handles (web3 `Contract` objects) to
each deployed contract plus the addresses of the operator (admin) and the auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web3.contract import Contract

from energy_trading.chain.compiler import Artifact, compile_contracts
from energy_trading.chain.connection import Chain
from energy_trading.chain.errors import RevertDecoder
from energy_trading.clients.certificates import deploy_certificates
from energy_trading.clients.grid import GridParams, deploy_grid

__all__ = ["Deployment", "MarketParams", "deploy", "deploy_contract"]

WAD = 10**18


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
        credit_weights: `CreditWeights`, credit weight W_a per round (seed 001 eq 14-17, 24).
        penalty_pool: `PenaltyPool`, default penalties shared by credit weight (seed 001 eq 34).
        node_weights: `NodeWeights`, node weight W_f / W_y for weighted Raft (seed 001 eq 8-25).
        grid_account: `GridAccount`, the grid's revenue and what it owes for feed-in energy.
        grid_policy: `GridBalancedSettlement` (seed 001 §4.3) at `GridParams()` prices, allowed on the market.
        green_certificates: `GreenCertificates`, ERC-1155 certificates per metered MWh (seed 001 eq 6, 20).
        certificate_exchange: `CertificateExchange`, certificate sales for EnergyToken (atomic swap).
        carbon_ledger: `CarbonLedger`, quotas, allowance trades, emissions, settlement (eq 21-22);
            the auditor holds its REGULATOR_ROLE.
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
    credit_weights: Contract
    penalty_pool: Contract
    node_weights: Contract
    grid_account: Contract
    grid_policy: Contract
    green_certificates: Contract
    certificate_exchange: Contract
    carbon_ledger: Contract
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
) -> Deployment:
    """Compile (cached) and deploy the dApp's contracts to `chain`; grant every role.

    The operator and auditor are accounts derived from the chain's seed, labelled
    "operator" and "auditor". `market` sets the market parameters (defaults: `MarketParams()`).
    """
    artifacts = artifacts or compile_contracts()
    chain.decoder = RevertDecoder(a.abi for a in artifacts.values())
    operator = chain.new_account("operator")
    auditor = chain.new_account("auditor")
    registry = deploy_contract(chain, artifacts["ParticipantRegistry"], operator, operator, auditor)
    market = market or MarketParams()
    m = _deploy_market(chain, artifacts, operator, registry, market)
    g = deploy_grid(chain, artifacts, operator, registry, m["token"], m["order_book"], grid)
    c = deploy_certificates(chain, artifacts, operator, auditor, registry, m["token"], g["node_weights"])
    return Deployment(
        chain=chain,
        operator=operator,
        auditor=auditor,
        registry=registry,
        **m,
        **g,
        **c,
        market_params=market,
        artifacts=artifacts,
    )


def _deploy_market(
    chain: Chain, artifacts: dict[str, Artifact], operator: str, registry: Contract, p: MarketParams
) -> dict[str, Contract]:
    """Token, reputation, order book, matching market and honest-supplier policy, with their roles wired:
    the order book holds the registry's MARKET_ROLE and the reputation's RECORDER_ROLE, the matching market
    holds the order book's MATCHER_ROLE, and the honest-supplier policy is allowed on the order book."""
    # in-process: a fixed gas limit instead of py-evm's slow binary-search estimate of large constructors
    gas = 15_000_000 if chain.in_process else None

    def deploy_contract(chain: Chain, artifact: Artifact, sender: str, *args: Any) -> Contract:
        factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = chain.transact(factory.constructor(*args), sender, gas=gas)
        return chain.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

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
    grants = [
        registry.functions.grantRole(registry.functions.MARKET_ROLE().call(), order_book.address),
        reputation.functions.grantRole(reputation.functions.RECORDER_ROLE().call(), order_book.address),
        order_book.functions.grantRole(order_book.functions.MATCHER_ROLE().call(), matching.address),
        order_book.functions.setPolicyAllowed(honest.address, True),
    ]
    for fn in grants:
        chain.transact(fn, operator, gas=gas)
    return {
        "token": token,
        "reputation": reputation,
        "order_book": order_book,
        "matching": matching,
        "honest_policy": honest,
    }
