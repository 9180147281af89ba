"""Chain client of grid-balanced settlement and node weights (seed 001 §4).

`GridClient` reads and drives the contracts `energy_trading.chain.deploy.deploy_grid` deploys: enrolment,
the penalty pool's release / claim / withdraw, per-order breakdowns from `GridSettled` events, node weights
for the consensus emulator. Units at this boundary: kWh and tokens as `Fraction`s, weights on the 0..100
scale; on chain: Wh, token base units (1e18 per token), WAD weights (`energy_trading.models.units`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from web3.contract import Contract
from web3.logs import DISCARD
from web3.types import TxReceipt

from energy_trading.chain.connection import IN_PROCESS_GAS_LIMIT, Chain
from energy_trading.chain.errors import ChainRevert
from energy_trading.chain.txresult import TxResult
from energy_trading.models.grid_settlement import Number
from energy_trading.models.units import from_tokens, from_wad, to_wad

__all__ = ["Breakdown", "GridClient"]


@dataclass(frozen=True)
class Breakdown:
    """One order's `GridSettled` event: tokens and weights as on chain, converted to tokens / points."""

    order_id: int
    period_id: int
    round: int
    seller: str
    buyer: str
    seller_income: Fraction
    buyer_expense: Fraction
    grid_revenue: Fraction
    feed_in: Fraction
    seller_penalty: Fraction
    buyer_penalty: Fraction
    seller_compensation: Fraction
    buyer_compensation: Fraction
    pooled: Fraction
    seller_weight_before: Fraction
    seller_weight_after: Fraction
    buyer_weight_before: Fraction
    buyer_weight_after: Fraction


def _breakdown(a: Any) -> Breakdown:
    b = a["breakdown"]
    return Breakdown(
        order_id=a["orderId"],
        period_id=a["periodId"],
        round=b["round"],
        seller=a["seller"],
        buyer=a["buyer"],
        seller_income=from_tokens(b["sellerIncome"]),
        buyer_expense=from_tokens(b["buyerExpense"]),
        grid_revenue=from_tokens(b["gridRevenue"]),
        feed_in=from_tokens(b["feedIn"]),
        seller_penalty=from_tokens(b["sellerPenalty"]),
        buyer_penalty=from_tokens(b["buyerPenalty"]),
        seller_compensation=from_tokens(b["sellerCompensation"]),
        buyer_compensation=from_tokens(b["buyerCompensation"]),
        pooled=from_tokens(b["pooled"]),
        seller_weight_before=from_wad(b["sellerWeightBefore"]),
        seller_weight_after=from_wad(b["sellerWeightAfter"]),
        buyer_weight_before=from_wad(b["buyerWeightBefore"]),
        buyer_weight_after=from_wad(b["buyerWeightAfter"]),
    )


class GridClient:
    """Reads and drives the grid-balanced contracts of a deployment.

    `contracts` maps the `deploy_grid` names to handles; `policy` names the policy whose events are read:
    "grid_policy" (the order book's, default) or "signed_grid_policy" (the signed book's, same ledgers).
    """

    def __init__(
        self, chain: Chain, operator: str, contracts: dict[str, Contract], policy: str = "grid_policy"
    ) -> None:
        self.chain = chain
        self.gas = IN_PROCESS_GAS_LIMIT if chain.in_process else None
        self.operator = operator
        self.credit: Contract = contracts["credit_weights"]
        self.pool: Contract = contracts["penalty_pool"]
        self.nodes: Contract = contracts["node_weights"]
        self.grid: Contract = contracts["grid_account"]
        if policy not in contracts:
            raise ValueError(f"policy: {policy!r} is not deployed (deployed: {sorted(contracts)})")
        self.policy: Contract = contracts[policy]

    def _send(self, fn: Any, sender: str) -> TxReceipt:
        return self.chain.transact(fn, sender, gas=self.gas)

    def _tx(self, fn: Any, sender: str) -> TxResult:
        return TxResult.of(self._send(fn, sender), f"{fn.fn_name} from {self.chain.label_of(sender)}")

    @classmethod
    def of(cls, deployment: Any, signed: bool = False) -> GridClient:
        """The client of a `Deployment` that holds the grid contracts; `signed`: read the signed book's grid
        policy (`signed_grid_policy`) instead of the order book's."""
        names = ("credit_weights", "penalty_pool", "node_weights", "grid_account", "grid_policy")
        names += ("signed_grid_policy",) if signed else ()
        contracts = {n: getattr(deployment, n) for n in names}
        return cls(
            deployment.chain,
            deployment.operator,
            contracts,
            "signed_grid_policy" if signed else "grid_policy",
        )

    # ------------------------------------------------------------------ credit weights

    def enrol(self, node: str, weight: Number) -> TxResult:
        """Operator: enrol an active participant with an initial credit weight (0..100)."""
        return self._tx(self.credit.functions.enrol(node, to_wad(weight)), self.operator)

    def credit_weight(self, node: str) -> Fraction:
        """A node's credit weight now (0..100)."""
        return from_wad(self.credit.functions.creditWeight(node).call())

    def credit_weight_at(self, node: str, round_: int) -> Fraction:
        """A node's credit weight at the end of a round (0..100)."""
        return from_wad(self.credit.functions.creditWeightAt(node, round_).call())

    # ------------------------------------------------------------------ penalty pool

    def release_all(self, sender: str | None = None, batch: int = 64) -> int:
        """Release every queued penalty whose round is closed; returns how many were released."""
        total = 0
        while self.pool.functions.nextRelease().call() < self.pool.functions.queueLength().call():
            try:
                self._send(self.pool.functions.release(batch), sender or self.operator)
            except ChainRevert as exc:
                if exc.error == "NothingReleasable":
                    break
                raise
            total = self.pool.functions.nextRelease().call()
        return total

    def share_of(self, node: str, round_: int) -> Fraction:
        """A node's share of a round's penalties, tokens (0 until the round is distributed)."""
        return from_tokens(self.pool.functions.shareOf(node, round_).call())

    def claim(self, node: str, sender: str | None = None, max_rounds: int = 1_000) -> TxResult:
        """Credit a node's shares of distributed rounds to its withdrawable balance (anyone may send)."""
        return self._tx(self.pool.functions.claim(node, max_rounds), sender or self.operator)

    def withdraw_share(self, node: str, amount: int | None = None, to: str | None = None) -> TxResult:
        """Node: withdraw `amount` base units (default: everything claimed) of its shares."""
        amount = self.pool.functions.withdrawable(node).call() if amount is None else amount
        return self._tx(self.pool.functions.withdraw(amount, to or node), node)

    # ------------------------------------------------------------------ settlement records

    def breakdowns(self, from_block: int = 0, order_ids: Iterable[int] | None = None) -> dict[int, Breakdown]:
        """Every `GridSettled` event of the policy since `from_block`, by order id."""
        logs = self.policy.events.GridSettled().get_logs(from_block=from_block)
        wanted = set(order_ids) if order_ids is not None else None
        return {
            log["args"]["orderId"]: _breakdown(log["args"])
            for log in logs
            if wanted is None or log["args"]["orderId"] in wanted
        }

    def breakdowns_in(self, receipt: TxReceipt | TxResult) -> list[Breakdown]:
        """The `GridSettled` events of one transaction (e.g. the market's `settle`)."""
        receipt = receipt.receipt if isinstance(receipt, TxResult) else receipt
        events = self.policy.events.GridSettled().process_receipt(receipt, errors=DISCARD)
        return [_breakdown(e["args"]) for e in events if e["address"] == self.policy.address]

    # ------------------------------------------------------------------ node weights

    def node_weight(self, node: str) -> Fraction:
        """A node's weight W_f / W_y (eq 8-13), 0..100."""
        return from_wad(self.nodes.functions.nodeWeight(node).call())

    def weight_parts(self, node: str) -> dict[str, Any]:
        """A node's weight with its parts (0..100) and whether it is a generation node."""
        credit, volume, consensus, green, carbon, line, total, generator = self.nodes.functions.weightParts(
            node
        ).call()
        parts = dict(credit=credit, volume=volume, consensus=consensus, green=green, carbon=carbon, line=line)
        out: dict[str, Any] = {k: from_wad(v) for k, v in parts.items()}
        out["total"] = from_wad(total)
        out["generator"] = generator
        return out

    def all_weights(self) -> dict[str, Fraction]:
        """Every enrolled node's weight (0..100) by address, from the one-call view the emulator reads."""
        nodes, weights = self.nodes.functions.allWeights().call()
        return {n: from_wad(w) for n, w in zip(nodes, weights, strict=True)}

    def set_weight_sources(self, green: Contract | None, carbon: Contract | None) -> None:
        """Operator: read W_gc (eq 20) from `green` and W_ce (eq 21-22) from `carbon` (None: leave unset)."""
        if green is not None:
            self._send(self.nodes.functions.setGreenSource(green.address), self.operator)
        if carbon is not None:
            self._send(self.nodes.functions.setCarbonSource(carbon.address), self.operator)

    def record_consensus(self, repliers: list[str], sender: str | None = None) -> TxResult:
        """Relayer: one consensus round's valid repliers (eq 19)."""
        return self._tx(self.nodes.functions.recordConsensus(repliers), sender or self.operator)

    def report_line_fault(self, generator: str, sender: str | None = None) -> TxResult:
        """Relayer: a line fault on a generator's transmission (eq 23)."""
        return self._tx(self.nodes.functions.reportLineFault(generator), sender or self.operator)

    # ------------------------------------------------------------------ grid account

    def collect(self, market: str, sender: str | None = None) -> TxResult:
        """Anyone: pull the grid's revenue (fees, top-ups) from `market`'s internal balance (the order book or
        the signed book) into the grid account."""
        return self._tx(self.grid.functions.collect(market), sender or self.operator)

    def feed_in_owed(self, generator: str) -> Fraction:
        """Tokens the grid owes a generator for surplus energy."""
        return from_tokens(self.grid.functions.feedInOwed(generator).call())
