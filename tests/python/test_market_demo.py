"""The demo's market day: every step of the issue happens, the refusals are shown, tokens are conserved;
every order (bilateral and matched) takes the signed book (issue 13)."""

import io

from energy_trading.clients.market import MarketClient
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
    rejected, bilateral, matched = outcome["rejected"], outcome["bilateral"], outcome["matched"]
    assert sb.status(rejected) == 0 and rejected.id not in outcome["settlements"]
    # the bilateral contract and the three matched orders settled there (status 0: their words deleted)
    assert set(outcome["settlements"]) == {bilateral.id, *(o.id for o in matched)} and len(matched) == 3
    assert all(sb.status(o) == 0 for o in [bilateral, *matched])
    # the order book holds the period only: no order was created on it
    assert deployment.order_book.functions.orderCount().call() == 0
    # the honest solar farm earns its bonus, the 80% wind farm pays a penalty (seed 003 eq 6-7)
    by_seller = {}
    for o in [bilateral, *matched]:
        by_seller.setdefault(mk.chain.label_of(o.seller), []).append(outcome["settlements"][o.id])
    assert any(s.reward > 0 for s in by_seller["solar-farm"])
    assert all(s.seller_penalty > 0 for s in by_seller["wind-farm"])
    for refusal in ("CapacityExceeded", "NotAuditor", "MeterNotOwnedBy", "WrongOrder", "NonceUsed"):
        assert f": {refusal}" in text
    assert "equals the solver's: True" in text
    assert "-> OK" in text
