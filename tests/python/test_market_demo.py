"""The demo's market day: every step of the issue happens, the refusals are shown, tokens are conserved."""

import io

from energy_trading.clients.market import MarketClient, OrderStatus
from energy_trading.demo.market import market_day_walkthrough
from energy_trading.demo.registration import registration_walkthrough


def test_market_day_runs_end_to_end_and_conserves_tokens(deployment):
    out = io.StringIO()
    approved = registration_walkthrough(deployment, io.StringIO())
    outcome = market_day_walkthrough(deployment, out, approved)
    text = out.getvalue()
    mk = MarketClient(deployment)
    assert outcome["conservation_ok"]
    assert mk.order(outcome["rejected"]).status is OrderStatus.REJECTED
    assert all(mk.order(oid).status is OrderStatus.SETTLED for oid in outcome["settlements"])
    # the honest solar farm earns its bonus, the 80% wind farm pays a penalty (seed 003 eq 6-7)
    by_seller = {}
    for oid, s in outcome["settlements"].items():
        by_seller.setdefault(mk.chain.label_of(mk.order(oid).seller), []).append(s)
    assert any(s.reward > 0 for s in by_seller["solar-farm"])
    assert all(s.seller_penalty > 0 for s in by_seller["wind-farm"])
    for refusal in ("CapacityExceeded", "NotAuditor", "MeterNotOwnedBy", "WrongOrderStatus"):
        assert f": {refusal}" in text
    assert "equals the solver's: True" in text
    assert "-> OK" in text
