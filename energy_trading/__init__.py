"""Peer-to-peer electricity trading on a local Ethereum devnet.

The package compiles the Solidity contracts of this repository with the offline
solcjs toolchain, deploys them to an in-process EVM (web3's EthereumTesterProvider
over py-evm) or to any JSON-RPC node, and drives them from Python.

Typical use::

    from energy_trading import connect, deploy
    from energy_trading.clients import RegistryClient
    chain = connect()                 # in-process EVM; connect("http://127.0.0.1:8545") for anvil
    d = deploy(chain)
    d.registry.functions.participantCount().call()

Layers (docs/architecture.md): `models` (the papers' pure arithmetic), `chain` (compile, connect, deploy,
revert decoding, local node), `clients` (one typed client per contract family), `scenarios` (scenario
files: schema, runner, sections), `demo`, `cli`. The names below are re-exported lazily (PEP 562), so
importing `energy_trading.models` loads no chain library.
"""

from __future__ import annotations

import warnings

from energy_trading._lazy import lazy_exports

# web3 7.16 imports `websockets.legacy` for its websocket providers at `import web3`, and eth-brownie pins
# websockets 15.0.1, whose `websockets.legacy` warns DeprecationWarning on import (deprecated in 14.0).
# Nothing here uses a websocket provider, and neither pin can move, so this one message is ignored before
# any module of the package imports web3 (users saw it in their own pytest runs and under `-W default`).
warnings.filterwarnings(
    "ignore", message=r"websockets\.legacy is deprecated", category=DeprecationWarning, module="websockets"
)

__all__ = [
    "Chain",
    "ChainRevert",
    "Deployment",
    "GridParams",
    "MarketParams",
    "chain",
    "clients",
    "connect",
    "deploy",
    "load_scenario",
    "models",
    "run_scenario",
    "scenarios",
]

#: public name -> the module that defines it
_EXPORTS = {
    "Chain": "energy_trading.chain.connection",
    "connect": "energy_trading.chain.connection",
    "ChainRevert": "energy_trading.chain.errors",
    "Deployment": "energy_trading.chain.deploy",
    "GridParams": "energy_trading.chain.deploy",
    "MarketParams": "energy_trading.chain.deploy",
    "deploy": "energy_trading.chain.deploy",
    "load_scenario": "energy_trading.scenarios.schema.loader",
    "run_scenario": "energy_trading.scenarios.runner",
}
_SUBPACKAGES = {"chain", "clients", "cli", "demo", "models", "scenarios"}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__, _SUBPACKAGES)
