"""One typed Python client per contract family; each drives a `Deployment` (energy_trading.chain.deploy).

- `registry`: `RegistryClient` (ParticipantRegistry: apply, review, suspend, exit).
- `market`: `MarketClient` (EnergyToken, OrderBook, MatchingMarket, honest-supplier policy).
- `signed`: `SignedClient` (SignedBook: bilateral contracts signed off chain, matched trades, settlement).
- `grid`: `GridClient` (CreditWeights, PenaltyPool, NodeWeights, GridAccount, grid-balanced policy).
- `certificates`: `CertificatesClient`, `CarbonClient` (GreenCertificates, CertificateExchange, CarbonLedger).
- `incentives`: `IncentivesClient` (IncentiveCurrency: seed 004 §3.4 incentive lots, block creator reward).
"""

from energy_trading.clients.certificates import CarbonClient, CertificatesClient
from energy_trading.clients.grid import GridClient
from energy_trading.clients.incentives import IncentivesClient
from energy_trading.clients.market import MarketClient
from energy_trading.clients.registry import RegistryClient
from energy_trading.clients.signed import SignedClient

__all__ = [
    "CarbonClient",
    "CertificatesClient",
    "GridClient",
    "IncentivesClient",
    "MarketClient",
    "RegistryClient",
    "SignedClient",
]
