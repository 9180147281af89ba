"""Deploy every contract of the dApp with brownie: `brownie run scripts/deploy.py --network development`.

accounts[0] is the consortium operator (admin of every contract), accounts[1] the weak-centre auditor.
The same contracts and roles as `energy_trading.deploy` (the in-process/RPC path).
"""

from brownie import ParticipantRegistry, accounts, network


def main():
    operator, auditor = accounts[0], accounts[1]
    registry = ParticipantRegistry.deploy(operator, auditor, {"from": operator})
    print(f"network   {network.show_active()}")
    print(f"operator  {operator}")
    print(f"auditor   {auditor}")
    print(f"ParticipantRegistry  {registry.address}")
    return {"registry": registry}
