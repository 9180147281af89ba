"""`energy-trading demo`'s incentive currency section (seed 004 §3.4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TextIO

from energy_trading.clients.incentives import IncentivesClient
from energy_trading.clients.market import MarketClient, Side, tokens
from energy_trading.clients.registry import RegistryClient, Role, Source
from energy_trading.demo.expect import expect_refusal
from energy_trading.models.incentives import DAY, HOUR, UNIT, WAD
from energy_trading.scenarios.incentives import plot_holdings_by_vintage

__all__ = ["DEMO_OUT", "incentives_section", "incentives_walkthrough"]

#: Where the demo writes its holdings plot (relative to the working directory).
DEMO_OUT = Path("results") / "demo"


def incentives_section(d: Any, out: TextIO) -> dict[str, Any]:
    """A peak purchase earning lots, a fee spend, a block creator reward, a night vintage expiring and
    retired; writes `results/demo/incentive_holdings.png`."""
    return incentives_walkthrough(d, out, plot_path=DEMO_OUT / "incentive_holdings.png")


def incentives_walkthrough(d: Any, out: TextIO, plot_path: str | Path | None = None) -> dict[str, Any]:
    """`energy-trading demo`'s incentive section: a purchase delivered in the evening peak earns lots,
    the buyer spends them on the handling fee, a block creator is rewarded once per block, an off-peak
    vintage expires and is retired by anyone, and its lots can no longer move. Prints each step; returns
    the figures read back from the chain (for tests) and writes the holdings plot to `plot_path`."""
    chain, inc, mk, reg = d.chain, IncentivesClient(d), MarketClient(d), RegistryClient(d)
    print("Time-stamped incentive currency and the block creator's reward (seed 004 §3.4, SPEC §8)", file=out)
    tariff = inc.contract.functions.tariffCount().call()
    print(
        f"  tariff v{tariff}: evening peak 17-21 h UTC 2 units/kWh (30 days of life), daytime 1 (14 days), "
        "night 0.5 (3 days)",
        file=out,
    )
    seller = reg.register("incentive-seller", Role.GENERATOR, Source.WIND)
    buyer = reg.register("incentive-buyer", Role.CONSUMER)
    for p in (seller, buyer):
        reg.approve(p.address)
    mk.fund(buyer.address, tokens(50))
    mk.allow(buyer.address, 2**255)
    samples: list[dict[str, Any]] = []

    def sample() -> None:
        held = inc.holdings(buyer.address)
        samples.append({"time": chain.now(), "held": {hex(k): v / UNIT for k, v in held.items()}})

    def purchase(hour: int, energy_wh: int) -> int:
        lead = 3_600 + 1_800 + 3_600  # the default schedule: open -> delivery start (signEnd)
        earliest = chain.now() + lead + 60
        target = earliest // DAY * DAY + hour * HOUR + 600  # ten minutes into the hour
        chain.advance_to((target if target >= earliest else target + DAY) - lead)
        period = mk.open_period()
        oid = mk.propose(seller.address, period.id, buyer.address, energy_wh, tokens("0.4"))
        mk.accept(buyer.address, oid)
        mk.approve(oid)
        mk.sign(buyer.address, oid)
        mk.submit_reading(oid, Side.SELLER, energy_wh, seller.meters[0], relayer=d.operator)
        mk.submit_reading(oid, Side.BUYER, energy_wh, buyer.meters[0], relayer=d.operator)
        mk.advance_to(period, "settlement")
        mk.settle(d.operator, oid)
        return oid

    night = purchase(3, 30_000)
    got_night = inc.issue_purchase_incentive(night, d.operator)
    v_night = inc.vintage(got_night.vintage)
    print(
        f"  30 kWh delivered at 03:10 UTC (night band {v_night.band}) -> {got_night.amount / UNIT:.1f} "
        "units, "
        f"expiring {(v_night.expires_at - v_night.start) // DAY} days after their day",
        file=out,
    )
    sample()
    peak = purchase(18, 10_000)
    got_peak = inc.issue_purchase_incentive(peak, d.operator)
    v_peak = inc.vintage(got_peak.vintage)
    print(
        f"  10 kWh delivered at 18:10 UTC (peak band {v_peak.band}) -> {got_peak.amount / UNIT:.1f} units, "
        f"expiring {(v_peak.expires_at - v_peak.start) // DAY} days after their day",
        file=out,
    )
    expect_refusal(lambda: inc.issue_purchase_incentive(peak, d.operator), out, "issuing an order twice")
    sample()
    rebate_before = mk.balance(buyer.address)
    units, rebate = inc.spend_on_fee(buyer.address, peak)
    assert mk.balance(buyer.address) - rebate_before == rebate
    print(
        f"  buyer spends {units / UNIT:.1f} units, oldest vintage first, on the peak order's handling fee -> "
        f"rebate {rebate / WAD:.4f} tokens from the operator's reserve",
        file=out,
    )
    sample()
    sealer = chain.new_account("sealer")
    reward = inc.claim_block_reward(sealer, d.operator)
    print(
        f"  block {chain.w3.eth.block_number} sealed by {sealer[:10]}: creator reward "
        f"{reward.amount / UNIT:.0f} units (once per block number)",
        file=out,
    )
    chain.advance_to(v_night.expires_at)
    expect_refusal(
        lambda: inc.redeem(buyer.address, got_night.vintage, UNIT), out, "redeeming an expired night lot"
    )
    left = inc.holdings(buyer.address).get(got_night.vintage, 0)
    retired = inc.retire(buyer.address, got_night.vintage, sealer) if left else 0
    print(
        f"  night vintage expired: {retired / UNIT:.1f} units retired by a third party (LotsRetired event)",
        file=out,
    )
    sample()
    totals = inc.totals()
    print(
        f"  totals: issued {totals['issued'] / UNIT:.1f} = live {totals['live'] / UNIT:.1f} + spent "
        f"{totals['spent'] / UNIT:.1f} + redeemed {totals['redeemed'] / UNIT:.1f} + retired "
        f"{totals['retired'] / UNIT:.1f}",
        file=out,
    )
    if plot_path is not None:
        Path(plot_path).parent.mkdir(parents=True, exist_ok=True)
        written = plot_holdings_by_vintage(samples, plot_path, "Demo buyer's incentive holdings by vintage")
        print(f"  holdings by vintage over time -> {written}", file=out)
    return {
        "night": got_night,
        "peak": got_peak,
        "spent_units": units,
        "rebate": rebate,
        "reward": reward,
        "retired": retired,
        "totals": totals,
        "samples": samples,
    }


# ------------------------------------------------------------------ runner wiring
