"""The demo's market day: every step of the issue happens, the refusals are shown, tokens are conserved;
the bilateral contracts take the signed book (issue 13), the matched orders the order book."""

import io

from energy_trading.clients.market import MarketClient, OrderStatus
from energy_trading.clients.signed import SignedClient
from energy_trading.demo.market import market_day_walkthrough
from energy_trading.demo.registration import registration_walkthrough


def test_market_day_runs_end_to_end_and_conserves_tokens(deployment):
    out = io.StringIO()
    approved = registration_walkthrough(deployment, io.StringIO())
    outcome = market_day_walkthrough(deployment, out, approved)
    text = out.getvalue()
    mk, sb = MarketClient(deployment), SignedClient(deployment)
    assert outcome["conservation_ok"]
    # the overpriced contract was rejected on the signed book: ended (status 0) without a settlement
    rejected, bilateral = outcome["rejected"], outcome["bilateral"]
    assert sb.status(rejected) == 0 and rejected.id not in outcome["signed_settlements"]
    assert set(outcome["signed_settlements"]) == {bilateral.id} and sb.status(bilateral) == 0
    assert set(outcome["settlements"]) == set(outcome["matched"])
    assert all(mk.order(oid).status is OrderStatus.SETTLED for oid in outcome["settlements"])
    # the honest solar farm earns its bonus, the 80% wind farm pays a penalty (seed 003 eq 6-7)
    by_seller = {}
    for oid, s in outcome["settlements"].items():
        by_seller.setdefault(mk.chain.label_of(mk.order(oid).seller), []).append(s)
    for s in outcome["signed_settlements"].values():
        by_seller.setdefault(mk.chain.label_of(bilateral.seller), []).append(s)
    assert any(s.reward > 0 for s in by_seller["solar-farm"])
    assert all(s.seller_penalty > 0 for s in by_seller["wind-farm"])
    assert mk.chain.label_of(bilateral.seller) == "wind-farm"  # its bilateral contract is penalised too
    for refusal in ("CapacityExceeded", "NotAuditor", "MeterNotOwnedBy", "WrongOrderStatus", "NonceUsed"):
        assert f": {refusal}" in text
    assert "settling the signed contract again: WrongOrder" in text
    assert "equals the solver's: True" in text
    assert "-> OK" in text
