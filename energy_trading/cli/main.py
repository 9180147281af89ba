"""`energy-trading` command line: demo, console, deploy, compile, run (scenarios), match (solver), schema."""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

# The chain layer (web3, py-evm) is imported inside the commands that use it: `--help`, `schema` and
# `match` would otherwise wait seconds for imports they never use.

__all__ = ["main"]

#: Errors that are the user's to fix: printed as one line, exit status 2 (module, class name). Looked up
#: in sys.modules, so a module that was never imported (and so never raised) is never imported for it.
_USER_ERRORS = (
    ("energy_trading.chain.errors", "ChainRevert"),
    ("energy_trading.chain.compiler", "CompileError"),
    ("energy_trading.chain.project", "ToolchainError"),
)


def _is_user_error(exc: BaseException) -> bool:
    if isinstance(exc, (ConnectionError, ValueError)):
        return True
    for module_name, class_name in _USER_ERRORS:
        module = sys.modules.get(module_name)
        if module is not None and isinstance(exc, getattr(module, class_name)):
            return True
    return False


def _add_rpc(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rpc",
        metavar="URL",
        help="JSON-RPC endpoint (e.g. http://127.0.0.1:8545 for anvil); default: an in-process EVM",
    )
    parser.add_argument(
        "--evm",
        choices=["py-evm", "revm"],
        help="the in-process EVM, without --rpc: py-evm, eth-tester's own (the default), or revm, native "
        "(the shipped scenarios run 1.3-6x faster); revm's gasUsed figures are lower than a chain's, so "
        "measure gas on py-evm or a node (docs/throughput.md)",
    )


def _check_rpc_evm(args: argparse.Namespace) -> None:
    """`--rpc` and `--evm` choose where the chain runs: both at once is a usage error."""
    if getattr(args, "rpc", None) and getattr(args, "evm", None):
        raise ValueError(
            f"--evm {args.evm}: chooses the in-process EVM; with --rpc the node executes (drop one)"
        )


def _connect(args: argparse.Namespace, seed: str = "energy-trading") -> Any:
    """The chain `--rpc` / `--evm` ask for (`main` has refused both at once before any work)."""
    from energy_trading.chain.connection import connect

    return connect(args.rpc, seed=seed, evm=args.evm)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="energy-trading",
        description="Peer-to-peer electricity trading dApp on a local Ethereum devnet.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    text = "deploy every contract and walk through a market day, printing each step"
    p = sub.add_parser(
        "demo",
        help=text,
        description=f"{text[0].upper()}{text[1:]}: registration and the auditor, a market period from offers "
        "to settlement, certificates and carbon, grid-balanced settlement, incentives, and the consensus "
        "emulator fed by this chain. In process by default; --rpc runs it on a node (e.g. anvil).",
    )
    _add_rpc(p)

    text = "open a Python console with the deployed contracts and funded accounts"
    p = sub.add_parser(
        "console",
        help=text,
        description=f"{text[0].upper()}{text[1:]}: deploys every contract, registers and funds four people "
        "(alice, bob, carol, dave) and opens a Python prompt with one client per contract family; the banner "
        "lists the names and examples. exit() or Ctrl-D leaves.",
    )
    _add_rpc(p)

    text = "deploy every contract and print their addresses as JSON"
    p = sub.add_parser(
        "deploy",
        help=text,
        description=f"{text[0].upper()}{text[1:]} (chain id, operator, auditor, contracts by name). "
        "In process "
        "the deployment ends with the process; with --rpc it stays on the node.",
    )
    _add_rpc(p)

    p = sub.add_parser(
        "compile",
        help="compile contracts/ and interfaces/ and list the artifacts",
        description="Compile contracts/ and interfaces/ with solcjs (settings of brownie-config.yaml) and "
        "list the artifacts. The output is cached by a hash of every source and setting, so this is instant "
        "when nothing changed; --force recompiles anyway (about a minute).",
    )
    p.add_argument("--force", action="store_true", help="recompile even when the cache is current")

    p = sub.add_parser(
        "run",
        help="run a scenario file on a fresh deployment; write results.json, CSV tables, plots and a report",
        description="Run a scenario (YAML or JSON, see docs/scenario-format.md) on a fresh deployment, "
        "print a summary table and write results.json, orders.csv, periods.csv (weights.csv when the run "
        "has node weights), PNG plots and report.html.",
    )
    p.add_argument("scenario", metavar="SCENARIO", help="scenario file: .yaml, .yml or .json")
    _add_rpc(p)
    p.add_argument(
        "--out", metavar="DIR", help="directory for the run's files (default: results/<scenario name>)"
    )

    p = sub.add_parser(
        "match",
        help="solve a matching instance (seed 003 eq 3-5) within a time limit; print the assignment as JSON",
        description='Input: {"requests": [{"id", "energy_kwh"}], "providers": [{"id", "price", '
        '"capacity_kwh", "reputation"}], "network_fee": [[eta per provider] per request]} (prices and '
        'fees in currency, reputation in [0, 1]). Output: {"assignment": {request id: provider id or '
        'null}, "objective": float, "bound", "gap", "optimal", ...}. Optional "party" on requests and '
        "providers forbids self-matches. Solved by a HiGHS + CP-SAT portfolio that returns by its time "
        "limit (energy_trading.solvers); 'optimal' is true only when proven (gap <= 1e-7).",
    )
    p.add_argument("instance", metavar="INSTANCE", help="instance file (JSON), or - for standard input")
    p.add_argument(
        "--time-limit",
        type=float,
        default=60.0,
        metavar="S",
        help="answer within S seconds (default 60): the best assignment found, with its certified gap",
    )
    p.add_argument(
        "--brute-force", action="store_true", help="enumerate every assignment instead (at most 9 requests)"
    )

    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of an input format (for editors and validators)",
        description="Print the JSON Schema of `energy-trading match` instances (matching, the default) or of "
        "`energy-trading run` scenario files (scenario). Point an editor at it, e.g. for YAML: "
        "`# yaml-language-server: $schema=scenario.schema.json` as the file's first line.",
    )
    p.add_argument(
        "kind", nargs="?", default="matching", choices=["matching", "scenario"], help="which input format"
    )
    return parser


def _schema(args: argparse.Namespace) -> int:
    from energy_trading.models.matching_schema import MatchingFile
    from energy_trading.scenarios.schema.file import ScenarioFile

    model = ScenarioFile if args.kind == "scenario" else MatchingFile
    print(json.dumps(model.model_json_schema(), indent=2))
    return 0


def _match(args: argparse.Namespace) -> int:
    from pathlib import Path

    from energy_trading.models.matching import brute_force, result_to_json
    from energy_trading.models.matching_schema import parse_instance
    from energy_trading.solvers import solve_portfolio

    if args.instance == "-":
        text = sys.stdin.read()
    else:
        path = Path(args.instance)
        if not path.is_file():
            raise ValueError(f"{path}: no such instance file")
        text = path.read_text()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{args.instance}: not valid JSON ({exc})") from None
    if not args.time_limit > 0:
        raise ValueError(f"--time-limit must be a positive number of seconds (got {args.time_limit})")
    instance = parse_instance(data, f"{args.instance if args.instance != '-' else 'standard input'}")
    result = brute_force(instance) if args.brute_force else solve_portfolio(instance, args.time_limit)
    print(json.dumps(result_to_json(result), indent=2))
    return 0


def _writable_dir(path: str) -> str:
    """Create the output directory now, before anything is deployed, so a bad `--out` costs no run."""
    from pathlib import Path

    out = Path(path)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: is an existing file, not a directory; give a directory path")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValueError(f"--out {out}: cannot create the directory ({exc.strerror})") from None
    if not os.access(out, os.W_OK):
        raise ValueError(f"--out {out}: the directory is not writable")
    return str(out)


def _run(args: argparse.Namespace) -> int:
    from energy_trading.scenarios import load_scenario, run_scenario, summary, write_results

    scenario = load_scenario(args.scenario)
    out_dir = _writable_dir(args.out or f"results/{scenario.name}")
    from energy_trading.cli.progress import compile_with_progress, stage_progress, working

    compile_with_progress()  # warm the compile cache the run's deployment reads, with a bar when solc runs
    # every long loop of the run (deploy stages, registration, periods, rounds) shows its progress
    evm_name = f" ({args.evm})" if args.evm else ""
    with working(f"connecting to {args.rpc}" if args.rpc else f"starting the in-process EVM{evm_name}"):
        chain = _connect(args, seed=f"scenario:{scenario.name}")  # the seed run_scenario would use
    results = run_scenario(scenario, args.rpc, progress=stage_progress, chain=chain)
    with working("writing results, plots and report"):
        paths = write_results(scenario, results, out_dir)
    print(summary(results))
    for path in paths:
        print(f"wrote {path}")
    return 0


def _parse_args(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args(argv)`, except that unknown options are refused by the sub-command's parser (its
    usage, not the top level's) with the closest option it has: "did you mean --out?" (exit 2). Python
    3.11's argparse has no `suggest_on_error`. (The twin of consensus_emulator.cli._parse_args.)"""
    args, extra = parser.parse_known_args(argv)
    if not extra:
        return args
    sub = parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            sub = action.choices.get(getattr(args, "command", None) or "", parser)
    options = [o for action in sub._actions for o in action.option_strings if o.startswith("--")]
    hints = {}
    for word in extra:
        name = word.split("=", 1)[0]
        if name.startswith("-") and name.lstrip("-")[:1].isalpha():
            close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
            if close:
                hints[name] = close[0]
    message = f"unrecognized arguments: {' '.join(extra)}"
    if len(hints) == 1:
        message += f"; did you mean {next(iter(hints.values()))}?"
    elif hints:
        message += "; " + ", ".join(f"{k}: did you mean {v}?" for k, v in hints.items())
    sub.error(message)  # prints the sub-command's usage and exits 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `energy-trading` command."""
    args = _parse_args(build_parser(), argv)
    try:
        _check_rpc_evm(args)  # before any work is shown
        if args.command == "match":
            return _match(args)
        if args.command == "run":
            return _run(args)
        if args.command == "schema":
            return _schema(args)
        from energy_trading.chain.deploy import DEPLOY_STAGES, deploy
        from energy_trading.cli.progress import compile_with_progress, deploy_progress

        if args.command == "compile":
            artifacts = compile_with_progress(use_cache=not args.force)
            for name, artifact in sorted(artifacts.items()):
                print(f"{name:32s} {artifact.source}  {len(artifact.bytecode) // 2 - 1} bytes")
            print(f"{len(artifacts)} artifacts (cached under build/energy_trading/)")
            return 0
        chain = _connect(args)
        artifacts = compile_with_progress()
        with deploy_progress(len(DEPLOY_STAGES)) as step:
            d = deploy(chain, artifacts, progress=step)
        if args.command == "deploy":
            print(
                json.dumps(
                    {
                        "chain": chain.where,
                        "chain_id": chain.w3.eth.chain_id,
                        "operator": d.operator,
                        "auditor": d.auditor,
                        "contracts": d.addresses(),
                    },
                    indent=2,
                )
            )
        elif args.command == "demo":
            from energy_trading.demo import run_demo

            run_demo(chain, d, sys.stdout)
        elif args.command == "console":
            from energy_trading.cli.console import open_console

            open_console(d, args.rpc or chain.where)
        return 0
    except BrokenPipeError:
        # the reader went away (`energy-trading schema | head`): stop quietly, as the Python docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:
        if not _is_user_error(exc):
            raise
        print(f"energy-trading: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
