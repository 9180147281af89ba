"""Peer-to-peer electricity trading on a local Ethereum devnet.

The package compiles the Solidity contracts of this repository with the offline
solcjs toolchain, deploys them to an in-process EVM (web3's EthereumTesterProvider
over py-evm) or to any JSON-RPC node, and drives them from Python.

Typical use::

    from energy_trading import connect, deploy
    chain = connect()                 # in-process EVM; connect("http://127.0.0.1:8545") for anvil
    d = deploy(chain)
    d.registry.functions.participantCount().call()
"""

from energy_trading.chain.connection import Chain, connect
from energy_trading.chain.deploy import Deployment, deploy
from energy_trading.chain.errors import ChainRevert

__all__ = ["Chain", "ChainRevert", "Deployment", "connect", "deploy"]
