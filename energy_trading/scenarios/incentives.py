"""The `incentives:` scenario section, the demo's incentive walkthrough and the holdings-by-vintage plot
(seed 004 §3.4, SPEC §8).

Scenario section (every key optional; the reference is docs/scenario-format.md)::

    incentives:
      tariff:
        bands:                      # band 1, 2, ...: incentive units per kWh, operating life, UTC hours
          - {incentive_per_kwh: 0.5, life_days: 3, hours: [0, 1, 2, 3, 4, 5, 6, 21, 22, 23]}
          - {incentive_per_kwh: 2, life_days: 30, hours: [17, 18, 19, 20]}
      fee_rate: 0.001               # tokens per unit when lots are spent towards a handling fee
      redeem_rate: 0.0005           # tokens per unit when redeemed
      block_rewards_per_period: 1   # block creator rewards claimed per period (sealers rotate)
      spend_on_fees: true           # buyers spend their lots, oldest first, on each settled order's fee
      delivery_hours: [18, 3]       # UTC hour each period's delivery starts in (cycled), to pick the band

With the section, the market's period loop gets two steps: before a period opens, the clock moves so the
period's delivery starts in the requested hour (and, the first time, the tariff and rates are published);
after settlement, each settled order's incentive is pulled, buyers spend lots on their fees, the period's
block rewards are claimed, expired lots are retired, and holdings by vintage are sampled.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from energy_trading.chain.errors import ChainRevert
from energy_trading.clients.incentives import IncentivesClient
from energy_trading.models.incentives import DAY, HOUR, UNIT, WAD
from energy_trading.scenarios.context import ScenarioExtension

# the section's parser lives with the other schema modules; re-exported here, where the section runs
from energy_trading.scenarios.schema.incentives import IncentiveScenarioError, IncentiveSpec, parse_incentives

__all__ = [
    "IncentiveScenarioError",
    "IncentiveSpec",
    "incentives_summary",
    "parse_incentives",
    "plot_holdings_by_vintage",
]


# ------------------------------------------------------------------ scenario steps


@dataclass
class _Run:
    spec: IncentiveSpec
    client: IncentivesClient
    configured: bool = False
    orders: list[dict[str, Any]] = field(default_factory=list)
    rewards: list[dict[str, Any]] = field(default_factory=list)
    retired: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)


_RUNS: dict[int, _Run] = {}


def _run_of(ctx: Any) -> _Run:
    run = _RUNS.get(id(ctx))
    if run is None:
        spec = parse_incentives(ctx.scenario.raw.get("incentives"))
        run = _RUNS[id(ctx)] = _Run(spec, IncentivesClient(ctx.d))
    return run


def before_open(ctx: Any, period: Any) -> None:
    """Publish tariff and rates once; move the clock so the period's delivery starts in the requested hour."""
    run = _run_of(ctx)
    if not run.configured:
        run.client.set_tariff(run.spec.tariff)
        run.client.set_rates(run.spec.fee_rate, run.spec.redeem_rate)
        run.configured = True
    if run.spec.delivery_hours:
        hour = run.spec.delivery_hours[(period.index - 1) % len(run.spec.delivery_hours)]
        s = ctx.scenario.market.schedule
        lead = s.publish_s + s.matching_s + s.signing_s  # open -> delivery start (signEnd)
        earliest = ctx.chain.now() + lead + 60
        target = earliest // DAY * DAY + hour * HOUR + 10 * 60  # ten minutes into the hour
        if target < earliest:
            target += DAY
        ctx.chain.advance_to(target - lead)


def after_settle(ctx: Any, period: Any) -> None:
    """Pull incentives of the period's settled orders, spend lots on fees, reward the period's block
    creators, retire expired lots, and sample holdings by vintage."""
    run = _run_of(ctx)
    inc, operator = run.client, ctx.d.operator
    for oid in period.settlements:
        buyer = ctx.market.order(oid).buyer
        row: dict[str, Any] = {"period": period.index, "order": oid, "buyer": ctx.ids_by_address.get(buyer)}
        try:
            issued = inc.issue_purchase_incentive(oid, operator)
            v = inc.vintage(issued.vintage)
            row |= {"vintage": hex(issued.vintage), "band": v.band, "units": issued.amount / UNIT}
        except ChainRevert as refusal:
            row |= {"vintage": None, "units": 0.0, "refused": refusal.error}
        if run.spec.spend_on_fees and inc.live_holdings(buyer):
            try:
                units, rebate = inc.spend_on_fee(buyer, oid)
                row |= {"spent_units": units / UNIT, "fee_rebate": rebate / WAD}
            except ChainRevert as refusal:
                row |= {"spent_units": 0.0, "fee_rebate": 0.0, "spend_refused": refusal.error}
        run.orders.append(row)
    ids = [p.id for p in ctx.scenario.participants]
    for k in range(run.spec.block_rewards_per_period):
        sealer_id = ids[(period.index + k) % len(ids)]
        reward = inc.claim_block_reward(ctx.address(sealer_id), operator)
        run.rewards.append({"period": period.index, "creator": sealer_id, "vintage": hex(reward.vintage)})
    _retire_expired(ctx, run)
    run.samples.append({"time": ctx.chain.now(), "held": _held_by_vintage(ctx, run)})


def _retire_expired(ctx: Any, run: _Run) -> None:
    now = ctx.chain.now() + 1
    for v in run.client.vintages():
        if now < v.expires_at or v.held == 0:
            continue
        for p in ctx.scenario.participants:
            address = ctx.address(p.id)
            if run.client.contract.functions.balanceOf(address, v.id).call():
                units = run.client.retire(address, v.id, ctx.d.operator)
                run.retired.append({"holder": p.id, "vintage": hex(v.id), "units": units / UNIT})


def _held_by_vintage(ctx: Any, run: _Run) -> dict[str, float]:
    return {hex(v.id): v.held / UNIT for v in run.client.vintages() if v.held}


def run_section(ctx: Any, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The results section after the period loop: vintages, issuance, rewards, retirements, samples."""
    run = _RUNS.pop(id(ctx), None)
    if run is None:  # no period ran (or the market loop was replaced): report the deployment's state
        run = _Run(parse_incentives(raw.get("incentives")), IncentivesClient(ctx.d))
    vintages = [
        {
            "id": hex(v.id),
            "band": v.band,
            "start": v.start,
            "expires_at": v.expires_at,
            "incentive_per_kwh": v.incentive_per_kwh / UNIT,
            "issued": v.issued / UNIT,
            "spent": v.spent / UNIT,
            "redeemed": v.redeemed / UNIT,
            "retired": v.retired / UNIT,
            "held": v.held / UNIT,
        }
        for v in run.client.vintages()
    ]
    totals = {k: v / UNIT for k, v in run.client.totals().items()}
    return {
        "vintages": vintages,
        "orders": run.orders,
        "block_rewards": run.rewards,
        "retired": run.retired,
        "holdings_by_vintage": run.samples,
        "totals": totals,
        "supply_identity_holds": all(
            v["issued"] == v["held"] + v["spent"] + v["redeemed"] + v["retired"] for v in vintages
        ),
        "reserve_tokens": run.client.reserve() / WAD,
    }


def incentives_summary(section: Mapping[str, Any]) -> str:
    """Text for people: totals and one line per vintage (its UTC day, band, units per kWh, expiry)."""
    t = section["totals"]
    lines = [
        f"incentives (seed 004 §3.4): issued {t['issued']:.2f} units, spent {t['spent']:.2f}, "
        f"redeemed {t['redeemed']:.2f}, retired {t['retired']:.2f}, live {t['live']:.2f}; "
        f"supply = held + spent + redeemed + retired per vintage -> "
        f"{'OK' if section['supply_identity_holds'] else 'VIOLATED'}"
    ]
    for v in section["vintages"]:
        label = "block reward" if v["band"] == 0 else f"band {v['band']}, {v['incentive_per_kwh']:g}/kWh"
        lines.append(
            f"  vintage {_day(v['start'])} {label:18s} expires "
            f"{_day(v['expires_at'])}: issued {v['issued']:8.2f} = held {v['held']:8.2f} "
            f"+ spent {v['spent']:7.2f} + redeemed {v['redeemed']:7.2f} + retired {v['retired']:7.2f}"
        )
    return "\n".join(lines)


def plot_holdings_by_vintage(
    samples: Sequence[Mapping[str, Any]], path: str | Path, title: str | None = None
) -> Path:
    """Stacked areas of the units held per vintage over chain time (days since the first sample)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    t0 = samples[0]["time"] if samples else 0
    days = [(s["time"] - t0) / DAY for s in samples]
    vintages = sorted({vid for s in samples for vid in s["held"]}, key=lambda h: int(h, 16))
    fig, ax = plt.subplots(figsize=(8.5, 4.2))
    if vintages:
        # each sample holds until the next; the last one is drawn for the mean gap between samples
        gap = (days[-1] - days[0]) / (len(days) - 1) if len(days) > 1 else 1.0
        x = [*days, days[-1] + gap]
        stacks = [[s["held"].get(vid, 0.0) for s in samples] for vid in vintages]
        stacks = [[*row, row[-1]] for row in stacks]
        labels = [_vintage_label(vid) for vid in vintages]
        ax.stackplot(x, stacks, labels=labels, step="post", alpha=0.85)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, title="vintage", title_fontsize=7)
    ax.set_xlabel("chain time since the first sample (days); each sample holds until the next")
    ax.set_ylabel("incentive units held")
    title = title or "Incentive holdings by vintage (seed 004 §3.4): lots expire and are retired"
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _day(unix_s: int) -> str:
    """A UTC date for people (vintage days are UTC days)."""
    return datetime.fromtimestamp(unix_s, tz=UTC).strftime("%Y-%m-%d")


def _vintage_label(vid: str) -> str:
    value = int(vid, 16)
    band = value & 0xFF
    # the time bucket (the day since 1970 with the default one-day vintages)
    return f"bucket {value >> 72} {'block reward' if band == 0 else f'band {band}'}"


def plot_section(section: Mapping[str, Any], out: Path) -> list[Path]:
    """The scenario's figure: holdings by vintage over time."""
    return [plot_holdings_by_vintage(section["holdings_by_vintage"], out / "incentive_holdings.png")]


# ------------------------------------------------------------------ demo


def applies(raw: Mapping[str, Any]) -> bool:
    """Whether a scenario has an `incentives:` section."""
    return "incentives" in raw


def step_open(ctx: Any, period: Any) -> None:
    """The market's "open" step, preceded (with an `incentives:` section) by `before_open`."""
    from energy_trading.scenarios import market

    if applies(ctx.scenario.raw):
        before_open(ctx, period)
    market.step_open(ctx, period)


def step_match(ctx: Any, period: Any) -> None:
    """The market's "match" step; with an `incentives:` section the matched pairs open on the order book,
    where `IncentiveCurrency.issuePurchaseIncentive` reads the settled order (the signed book deletes an
    order's word when it settles, so a purchase there cannot be verified on chain)."""
    from energy_trading.scenarios import market

    market.step_match(ctx, period, on_order_book=applies(ctx.scenario.raw))


def step_incentives(ctx: Any, period: Any) -> None:
    """After settlement: `after_settle` when the scenario has an `incentives:` section."""
    if applies(ctx.scenario.raw):
        after_settle(ctx, period)


SECTION = ScenarioExtension("incentives", applies, run_section, plot=plot_section, summary=incentives_summary)
