"""Deploy every contract of the dApp with brownie: `brownie run scripts/deploy.py --network development`.

accounts[0] is the consortium operator (admin of every contract), accounts[1] the weak-centre auditor.
The same contracts and roles as `energy_trading.deploy` (the in-process/RPC path).
"""

from brownie import (
    CarbonLedger,
    CertificateExchange,
    EnergyToken,
    GreenCertificates,
    ParticipantRegistry,
    accounts,
    network,
)

CERTIFICATE_URI = "https://energy-trading.example/certificates/{id}.json"


def main():
    operator, auditor = accounts[0], accounts[1]
    registry = ParticipantRegistry.deploy(operator, auditor, {"from": operator})
    print(f"network   {network.show_active()}")
    print(f"operator  {operator}")
    print(f"auditor   {auditor}")
    print(f"ParticipantRegistry  {registry.address}")
    deployed = {"registry": registry}
    deployed.update(certificates(operator, auditor, registry, deployed.get("token")))
    return deployed


def certificates(operator, auditor, registry, token=None):
    """Green certificates, their exchange and the carbon ledger (the auditor is the carbon regulator).

    They trade for the market's EnergyToken; when none is deployed above, one is deployed here with the
    in-process defaults (t = 1 token per currency unit, a 1000-token faucet every hour).
    """
    if token is None:
        token = EnergyToken.deploy(operator, operator, 10**18, 1000 * 10**18, 3600, {"from": operator})
        print(f"EnergyToken          {token.address}")
    certs = GreenCertificates.deploy(registry, CERTIFICATE_URI, {"from": operator})
    exchange = CertificateExchange.deploy(certs, token, registry, {"from": operator})
    ledger = CarbonLedger.deploy(operator, auditor, registry, token, {"from": operator})
    for name, c in (
        ("GreenCertificates", certs),
        ("CertificateExchange", exchange),
        ("CarbonLedger", ledger),
    ):
        print(f"{name:20s} {c.address}")
    return {
        "token": token,
        "green_certificates": certs,
        "certificate_exchange": exchange,
        "carbon_ledger": ledger,
    }
