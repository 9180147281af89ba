"""Deploy every contract of the dApp and wire their roles.

`deploy(chain)` returns a `Deployment`: typed handles (web3 `Contract` objects) to
each deployed contract plus the addresses of the operator (admin) and the auditor.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from web3.contract import Contract

from energy_trading.chain import Chain
from energy_trading.compiler import Artifact, compile_contracts
from energy_trading.errors import RevertDecoder

__all__ = ["Deployment", "deploy", "deploy_contract"]


@dataclass
class Deployment:
    """Handles to the deployed contracts and the accounts holding their roles.

    Attributes:
        chain: the connection (accounts, signing, revert decoding).
        operator: consortium operator: admin of every contract, receives handling fees.
        auditor: the weak-centre auditor (approves participants, audits trades).
        registry: `ParticipantRegistry`.
        artifacts: every compiled artifact by contract name (ABIs for ad-hoc use).
    """

    chain: Chain
    operator: str
    auditor: str
    registry: Contract
    artifacts: dict[str, Artifact] = field(repr=False, default_factory=dict)

    def contracts(self) -> dict[str, Contract]:
        """Every deployed contract by name."""
        return {name: c for name, c in vars(self).items() if isinstance(c, Contract)}

    def addresses(self) -> dict[str, str]:
        """Every deployed contract's address by name."""
        return {name: c.address for name, c in self.contracts().items()}


def deploy_contract(chain: Chain, artifact: Artifact, sender: str, *args: Any) -> Contract:
    """Deploy one compiled contract from `sender` and return a handle bound to its address."""
    factory = chain.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = chain.transact(factory.constructor(*args), sender)
    return chain.w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)


def deploy(chain: Chain, artifacts: dict[str, Artifact] | None = None) -> Deployment:
    """Compile (cached) and deploy the dApp's contracts to `chain`; grant every role.

    The operator and auditor are accounts derived from the chain's seed, labelled
    "operator" and "auditor".
    """
    artifacts = artifacts or compile_contracts()
    chain.decoder = RevertDecoder(a.abi for a in artifacts.values())
    operator = chain.new_account("operator")
    auditor = chain.new_account("auditor")
    registry = deploy_contract(chain, artifacts["ParticipantRegistry"], operator, operator, auditor)
    return Deployment(chain=chain, operator=operator, auditor=auditor, registry=registry, artifacts=artifacts)
