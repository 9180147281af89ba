"""The scenario runner: deploy, play every period through one step list, run the sections, report.

`run_scenario` (behind `energy-trading run SCENARIO`) deploys fresh contracts (in process by default, or on
any RPC node), registers the participants, applies `PERIOD_STEPS` to every trading period, then runs every
section of `EXTENSIONS` that the scenario uses, and returns the results read back from the chain;
`write_results` saves `results.json` and the plots, `summary` the text for people. The scenario itself is
loaded and validated by `energy_trading.scenarios.schema`.

Extending the runner (other settlement policies, certificates, carbon, incentives):

- `PERIOD_STEPS` is the one ordered list of ``(name, step)`` the runner applies to every period; a step is
  ``step(ctx, period)`` with the `RunContext` and the `PeriodRun`. Insert, replace or wrap steps with
  `add_period_step(name, step, after=...)`.
- `EXTENSIONS` holds the sections, `ScenarioExtension` objects: ``applies(raw)`` says whether a scenario
  uses it; ``run(ctx, raw)`` runs it (with the market run's context: chain, deployment, participants) and
  returns a results section; ``replaces_market`` makes it run instead of the honest-supplier market loop
  (the grid-balanced policy does); ``plot(results, out_dir)`` writes its figures. Register with
  `register_extension`. Each section lives in its own module (`market`, `grid`, `certificates`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from energy_trading.chain.connection import Chain, connect
from energy_trading.chain.deploy import DEPLOY_STAGES, deploy
from energy_trading.clients.market import MarketClient
from energy_trading.clients.registry import RegistryClient
from energy_trading.clients.signed import SignedClient
from energy_trading.scenarios import certificates, grid, incentives, market
from energy_trading.scenarios.context import PeriodRun, RunContext, ScenarioExtension, Step, to_tokens
from energy_trading.scenarios.schema.loader import Scenario

__all__ = [
    "EXTENSIONS",
    "PERIOD_STEPS",
    "add_period_step",
    "register_extension",
    "run_scenario",
    "summary",
    "write_results",
]

#: The steps applied to every period, in order. Other settlement engineers insert or replace steps here.
PERIOD_STEPS: list[tuple[str, Step]] = [
    (
        "open",
        incentives.step_open,
    ),  # market.step_open; with `incentives:` the clock goes to the delivery hour
    ("publish", market.step_publish),
    ("contracts", market.step_contracts),
    (
        "match",
        incentives.step_match,
    ),  # market.step_match; with `incentives:` the pairs open on the order book
    ("audit", market.step_audit),
    ("sign", market.step_sign),
    ("deliver", market.step_deliver),
    ("settle", market.step_settle),
    # certificates from the market's meter readings (`certificates.from_market`): a round per settled period
    ("certificates", certificates.certify_market_period),
    # seed 004 §3.4 incentive lots for the settled orders, fee spends, block rewards (`incentives:`)
    ("incentives", incentives.step_incentives),
    ("reputation", market.step_reputation),
    ("withdraw", market.step_withdraw),
    ("report", market.step_report),
]

#: The scenario sections beside the market loop, in the order they run; see `ScenarioExtension`.
EXTENSIONS: list[ScenarioExtension] = [grid.SECTION, certificates.SECTION, incentives.SECTION]


def add_period_step(name: str, step: Step, after: str | None = None, replace: bool = False) -> None:
    """Insert `step` named `name` after the step `after` (default: before "report"), or replace a step."""
    names = [n for n, _ in PERIOD_STEPS]
    if replace:
        PERIOD_STEPS[names.index(name)] = (name, step)
        return
    at = names.index(after) + 1 if after else names.index("report")
    PERIOD_STEPS.insert(at, (name, step))


def register_extension(extension: ScenarioExtension) -> None:
    """Add (or replace, by name) a scenario extension."""
    EXTENSIONS[:] = [e for e in EXTENSIONS if e.name != extension.name] + [extension]


def run_scenario(
    scenario: Scenario,
    rpc_url: str | None = None,
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None = None,
    chain: Chain | None = None,
) -> dict[str, Any]:
    """Deploy fresh contracts and play `scenario`; return the results (JSON-ready), read back from the chain.

    `progress(iterable, description)` wraps every long loop of the run (e.g. a tqdm bar): the deployment's
    stages, the participants' registration, the market periods, and the sections' periods or rounds.
    """
    chain = chain or connect(rpc_url, seed=f"scenario:{scenario.name}")
    if not chain.in_process:
        chain.w3.provider.cache_allowed_requests = True  # eth_chainId once, not on every transaction
    # the run is the chain's only driver: a read repeated before the next transaction is answered from memory
    with chain.cached_reads():
        return _run(scenario, chain, progress)


def _run(
    scenario: Scenario, chain: Chain, progress: Callable[[Iterable[Any], str], Iterable[Any]] | None
) -> dict[str, Any]:
    log = chain.start_tx_log()
    with _stage_callback(progress, DEPLOY_STAGES, "deploying stages") as stage:
        d = deploy(chain, market=market.market_params(scenario.market), progress=stage)
    rng = random.Random(scenario.seed)
    ctx = RunContext(chain, d, scenario, MarketClient(d), RegistryClient(d), rng, SignedClient(d))
    ctx.progress = progress
    results: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.description,
        "settlement": scenario.market.settlement,
        "chain": chain.where,  # which EVM made the gas figures (revm's are lower than a chain's)
        "contracts": d.addresses(),
    }
    extensions = [e for e in EXTENSIONS if e.applies(scenario.raw)]
    replaced = any(e.replaces_market for e in extensions)
    if not replaced:
        market.register_participants(ctx)
        periods = list(enumerate(scenario.periods, start=1))
        # no bar for a run without market periods (a certificates-only scenario printed "0period")
        for index, spec in ctx.wrap(periods, "periods"):
            run = PeriodRun(index, spec)
            ctx.periods.append(run)
            for _, step in PERIOD_STEPS:
                step(ctx, run)
        results["periods"] = [run.result for run in ctx.periods]
        results["reputation_by_period"] = ctx.reputation
        totals, signed = ctx.market.totals(), market.signed_totals(ctx)
        results["conservation"] = {
            "order_book_holds": to_tokens(totals["held"]),
            "escrowed": to_tokens(totals["escrowed"]),
            "withdrawable": to_tokens(totals["withdrawable"]),
            # the signed book (bilateral contracts) keeps no totals: summed over its accounts and open orders
            "signed_book_holds": to_tokens(signed["held"]),
            "signed_escrowed": to_tokens(signed["escrowed"]),
            "signed_withdrawable": to_tokens(signed["withdrawable"]),
            # settled trades' handling fees accrued in the sellers' period tallies, not collected yet
            "signed_uncollected_fees": to_tokens(signed["uncollected_fees"]),
            "holds_equals_escrowed_plus_withdrawable": totals["held"]
            == totals["escrowed"] + totals["withdrawable"]
            and signed["held"] == signed["escrowed"] + signed["withdrawable"] + signed["uncollected_fees"],
        }
    for e in extensions:
        results[e.name] = e.run(ctx, scenario.raw)
        # `contracts` names the contracts the run used: a section that deployed its own (the grid-balanced
        # one, with the scenario's prices and weight parameters) replaces the deployment's unused ones
        results["contracts"].update(results[e.name].get("contracts") or {})
        # the consensus emulator reads node weights at the top level of results.json
        for key in ("node_weights", "node_weights_by_round"):
            if key in results[e.name]:
                results.setdefault(key, results[e.name][key])
    results["transactions"] = [{"time_s": round(r.time_s, 6), "size_bytes": r.size_bytes} for r in log]
    results["gas_used"] = sum(r.gas_used for r in log)
    return results


@contextmanager
def _stage_callback(
    progress: Callable[[Iterable[Any], str], Iterable[Any]] | None, stages: Sequence[str], description: str
) -> Iterator[Callable[[str], None]]:
    """A `progress(stage)` callback (what `deploy` calls as each stage begins) driving `progress`, whose
    protocol wraps an iterable: each stage takes the next item; leaving the block finishes the display."""
    if progress is None:
        yield lambda stage: None
        return
    items = iter(progress(list(stages), description))
    yield lambda stage: next(items, None)
    for _ in items:  # the stages not announced, and the display's end
        pass


def write_results(scenario: Scenario, results: Mapping[str, Any], out_dir: str | Path) -> list[Path]:
    """Write `results.json`, the plots, and the exports (`export.write_exports`: orders.csv, periods.csv,
    weights.csv, report.html) into `out_dir`; return the paths written."""
    from energy_trading.scenarios.export import write_exports
    from energy_trading.scenarios.plots import plot_reputation

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.json"]
    written[0].write_text(json.dumps(results, indent=2, default=str))
    if results.get("reputation_by_period"):
        written.append(
            plot_reputation(
                results["reputation_by_period"], out / "reputation.png", title=scenario.description
            )
        )
    for e in EXTENSIONS:
        if e.name in results and e.plot is not None:
            written += e.plot(results[e.name], out)
    written += write_exports(results, out, images=list(written), summary_text=summary(results))
    return written


def summary(results: Mapping[str, Any]) -> str:
    """A table for people: per period the orders, energy, escrow and payouts; then reputation per provider."""
    lines = [f"scenario {results.get('scenario')}: {results.get('description', '')}".rstrip(": ")]
    lines += market.market_summary(results)
    from energy_trading.scenarios.export import order_lines  # pandas, only when a summary is made

    lines += order_lines(results)
    for e in EXTENSIONS:
        if e.name in results:
            lines.append(
                e.summary(results[e.name]) if e.summary else f"{e.name}: see results.json['{e.name}']"
            )
    where = f" on {results['chain']}" if "chain" in results else ""
    count, gas = len(results.get("transactions", [])), results.get("gas_used", 0)
    lines.append(f"transactions: {count}, gas used {gas:,}{where}")
    return "\n".join(lines)
