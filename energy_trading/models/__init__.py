"""The papers' arithmetic as pure Python: no web3, no chain; the oracles of the differential tests."""
