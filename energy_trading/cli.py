"""`energy-trading` command line: demo, console, deploy, compile."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from energy_trading.chain import connect
from energy_trading.compiler import CompileError, compile_contracts
from energy_trading.deploy import deploy
from energy_trading.errors import ChainRevert
from energy_trading.project import ToolchainError

__all__ = ["main"]


def _add_rpc(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rpc",
        metavar="URL",
        help="JSON-RPC endpoint (e.g. http://127.0.0.1:8545 for anvil); default: an in-process EVM",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="energy-trading",
        description="Peer-to-peer electricity trading dApp on a local Ethereum devnet.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="deploy every contract and walk through a market day, printing each step")
    _add_rpc(p)

    p = sub.add_parser(
        "console", help="open a Python console with the deployed contracts and funded accounts"
    )
    _add_rpc(p)

    p = sub.add_parser("deploy", help="deploy every contract and print their addresses as JSON")
    _add_rpc(p)

    sub.add_parser("compile", help="compile contracts/ and interfaces/ and list the artifacts")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `energy-trading` command."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compile":
            for name, artifact in sorted(compile_contracts(use_cache=False).items()):
                print(f"{name:32s} {artifact.source}  {len(artifact.bytecode) // 2 - 1} bytes")
            return 0
        chain = connect(args.rpc)
        d = deploy(chain)
        if args.command == "deploy":
            print(
                json.dumps(
                    {
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
            from energy_trading.console import open_console

            open_console(d, args.rpc or "in-process EVM")
        return 0
    except (ChainRevert, CompileError, ToolchainError, ConnectionError, ValueError) as exc:
        print(f"energy-trading: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
