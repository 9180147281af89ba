"""One typed Python client per contract family (registry, market, grid settlement, certificates)."""
