"""Deploy every contract of the dApp with brownie: `brownie run scripts/deploy.py --network development`.

accounts[0] is the consortium operator (admin of every contract), accounts[1] the weak-centre auditor.
The same contracts and roles as `energy_trading.chain.deploy` (the in-process/RPC path).
"""

import threading

from brownie import (
    CarbonLedger,
    CertificateExchange,
    CreditWeights,
    EnergyToken,
    GreenCertificates,
    GridAccount,
    GridBalancedSettlement,
    HonestSupplierSettlement,
    IncentiveCurrency,
    MatchingMarket,
    NodeWeights,
    OrderBook,
    ParticipantRegistry,
    PenaltyPool,
    ProviderReputation,
    SignedBook,
    accounts,
    network,
)
from brownie.network.contract import ContractContainer
from brownie.network.state import Chain
from brownie.network.transaction import TransactionReceipt

from energy_trading.chain.deploy import INCENTIVE_URI, GridParams, IncentiveParams, MarketParams
from energy_trading.cli.plain_output import plain_stdout_when_piped
from energy_trading.models.units import to_price, to_wad
from energy_trading.models.weights import WeightParams, decay_factor_wad

# brownie imports this script before it prints "Running ...", so from here on a pipe or log gets plain lines
# (brownie writes its transaction lines with colour codes and a spinner even when not on a terminal)
plain_stdout_when_piped()

CERTIFICATE_URI = "https://energy-trading.example/certificates/{id}.json"


def main():
    operator, auditor = accounts[0], accounts[1]
    registry = ParticipantRegistry.deploy(operator, auditor, {"from": operator})
    print(f"network   {network.show_active()}")
    print(f"operator  {operator}")
    print(f"auditor   {auditor}")
    print(f"ParticipantRegistry  {registry.address}")
    deployed = {"registry": registry}
    deployed.update(market(operator, registry))
    deployed.update(certificates(operator, auditor, registry, deployed.get("token")))
    book, signed = deployed["order_book"], deployed["signed_book"]
    deployed.update(grid(operator, registry, deployed["token"], book, signed_book=signed))
    deployed["node_weights"].setGreenSource(deployed["green_certificates"], {"from": operator})
    deployed["node_weights"].setCarbonSource(deployed["carbon_ledger"], {"from": operator})
    deployed.update(incentives(operator, deployed["order_book"], deployed["token"]))
    wait_for_brownie_bookkeeping()
    return deployed


def incentives(operator, order_book, token, params=None):
    """Seed 004 §3.4's incentive currency over the order book at `IncentiveParams()`, as energy_trading.deploy
    does: the operator (EnergyToken treasurer) issues and funds the EnergyToken reserve and publishes the
    default three-band tariff."""
    p = params or IncentiveParams()
    tx = {"from": operator}
    inc = IncentiveCurrency.deploy(
        operator,
        operator,
        order_book,
        token,
        p.vintage_seconds,
        p.block_reward,
        p.block_reward_life_s,
        (p.fee_rate, p.redeem_rate),
        INCENTIVE_URI,
        tx,
    )
    if p.reserve:
        token.issue(operator, -(-p.reserve * 10**18 // token.tokensPerCurrency()), tx)
        token.approve(inc, p.reserve, tx)
        inc.fundReserve(p.reserve, tx)
    if p.tariff is not None:
        inc.setTariff(*p.tariff.as_args(), tx)
    print(f"{'incentives':20s} {inc.address}")
    return {"incentives": inc}


def wait_for_brownie_bookkeeping(timeout_s: float = 30.0) -> None:
    """Wait for the threads brownie starts after each transaction (undo-buffer snapshot, contract
    registration, confirmation) to finish. `brownie run` stops anvil as soon as `main` returns; a thread
    still asking anvil for a snapshot then died with a ~100-line `RemoteDisconnected` traceback."""
    owners = (Chain, TransactionReceipt, ContractContainer)
    for thread in threading.enumerate():
        # the thread's target is a bound method of one of brownie's objects (Thread keeps it in _target)
        if isinstance(getattr(getattr(thread, "_target", None), "__self__", None), owners):
            thread.join(timeout_s)


def market(operator, registry, params=None):
    """The market (issue 3): EnergyToken, ProviderReputation, OrderBook, MatchingMarket and the
    honest-supplier policy at `MarketParams()`, roles wired as energy_trading.chain.deploy does: the order
    book holds the registry's MARKET_ROLE and the reputation's RECORDER_ROLE (both books the registry's
    METER_BUDGET_ROLE), the matching market the order
    book's and the signed book's MATCHER_ROLE; the operator opens periods and receives handling fees. The
    signed book (issue 13: bilateral contracts both parties sign off chain, and matched orders materialised
    as one word each) uses the order book's periods and settles its honest-supplier periods through a
    policy instance bound to it."""
    p = params or MarketParams()
    tx = {"from": operator}
    token = EnergyToken.deploy(
        operator, operator, p.tokens_per_currency_wad, p.faucet_amount, p.faucet_cooldown_s, tx
    )
    reputation = ProviderReputation.deploy(operator, p.alpha_wad, tx)
    book = OrderBook.deploy(
        operator, operator, registry, token, reputation, operator, p.handling_fee, p.settlement_grace_s, tx
    )
    matching = MatchingMarket.deploy(operator, operator, book, registry, reputation, token, tx)
    honest = HonestSupplierSettlement.deploy(book, p.tau_wh, tx)
    registry.grantRole(registry.MARKET_ROLE(), book, tx)
    meter_budget = registry.METER_BUDGET_ROLE()  # the meters' one Wh budget, for both books
    registry.grantRole(meter_budget, book, tx)
    reputation.grantRole(reputation.RECORDER_ROLE(), book, tx)
    book.grantRole(book.MATCHER_ROLE(), matching, tx)
    book.setPolicyAllowed(honest, True, tx)
    signed = SignedBook.deploy(operator, book, token, tx)
    signed_policy = HonestSupplierSettlement.deploy(signed, p.tau_wh, tx)
    signed.mapPolicy(honest, signed_policy, tx)
    registry.grantRole(meter_budget, signed, tx)
    signed.grantRole(signed.MATCHER_ROLE(), matching, tx)
    matching.setSignedBook(signed, tx)
    reputation.setTallyBook(signed, tx)  # the fold reads the signed book's per-period reputation tallies
    out = {
        "token": token,
        "reputation": reputation,
        "order_book": book,
        "matching": matching,
        "honest_policy": honest,
        "signed_book": signed,
        "signed_policy": signed_policy,
    }
    for name, c in out.items():
        print(f"{name:20s} {c.address}")
    return out


def grid(operator, registry, token, order_book=None, params=None, signed_book=None):
    """Grid-balanced settlement (seed 001 §4.3): credit weights, penalty pool, node weights, grid account and
    the policy at `GridParams()` (S, B, G = 0.4, 0.75, 0.04 tokens/kWh), roles wired as
    energy_trading.chain.deploy does. The operator is the node weights' first relayer and the grid operator.
    With an order book, the policy gets MARKET_ROLE to it and is allowed for new periods; with the signed
    book as well, a second policy over the same ledgers is bound to the signed book alone, allowed on the
    order book and mapped with the period total (`SignedBook.mapGridPolicy`): its periods are the signed
    book's grid periods."""
    p = params or GridParams()
    w: WeightParams = p.weights
    tx = {"from": operator}
    initial = to_wad(p.initial_credit_weight)
    credit = CreditWeights.deploy(operator, registry, decay_factor_wad(w.delta), w.decay_every, initial, tx)
    pool = PenaltyPool.deploy(operator, token, credit, operator, tx)
    nodes = NodeWeights.deploy(operator, operator, credit, registry, w.as_wad(), tx)
    grid_account = GridAccount.deploy(operator, operator, token, tx)

    def new_policy(market):
        policy = GridBalancedSettlement.deploy(
            operator,
            to_price(p.prices.feed_in),
            to_price(p.prices.grid),
            to_price(p.prices.fee),
            p.max_reading_factor,
            credit,
            pool,
            nodes,
            grid_account,
            tx,
        )
        for c in (credit, pool, nodes):
            c.grantRole(c.SETTLEMENT_ROLE(), policy, tx)
        grid_account.grantRole(grid_account.POLICY_ROLE(), policy, tx)
        if market is not None:
            policy.grantRole(policy.MARKET_ROLE(), market, tx)
            order_book.setPolicyAllowed(policy, True, tx)
        return policy

    out = {
        "credit_weights": credit,
        "penalty_pool": pool,
        "node_weights": nodes,
        "grid_account": grid_account,
        "grid_policy": new_policy(order_book),
    }
    if order_book is not None and signed_book is not None:
        out["signed_grid_policy"] = new_policy(signed_book)
        signed_book.mapGridPolicy(out["signed_grid_policy"], tx)
    for name, c in out.items():
        print(f"{name:20s} {c.address}")
    return out


def certificates(operator, auditor, registry, token=None):
    """Green certificates, their exchange and the carbon ledger (the auditor is the carbon regulator).

    They trade for the market's EnergyToken; when none is deployed above, one is deployed here with the
    in-process defaults (t = 1 token per currency unit, a 1000-token faucet every hour).
    """
    if token is None:
        token = EnergyToken.deploy(operator, operator, 10**18, 1000 * 10**18, 3600, {"from": operator})
        print(f"EnergyToken          {token.address}")
    certs = GreenCertificates.deploy(registry, CERTIFICATE_URI, {"from": operator})
    exchange = CertificateExchange.deploy(certs, token, registry, {"from": operator})
    ledger = CarbonLedger.deploy(operator, auditor, registry, token, {"from": operator})
    for name, c in (
        ("GreenCertificates", certs),
        ("CertificateExchange", exchange),
        ("CarbonLedger", ledger),
    ):
        print(f"{name:20s} {c.address}")
    return {
        "token": token,
        "green_certificates": certs,
        "certificate_exchange": exchange,
        "carbon_ledger": ledger,
    }
