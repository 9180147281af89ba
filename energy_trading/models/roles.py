"""The registry's enums (`IParticipantRegistry.Role`, `Status`, `Source`) and the names scenario files use.

Kept apart from the registry client so the scenario schema (`energy-trading schema`, editors' validators)
loads no chain library; `energy_trading.clients.registry` re-exports them and registers them for readable
revert messages.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["ROLE_NAMES", "SOURCE_NAMES", "Role", "Source", "Status"]


class Role(IntEnum):
    """`IParticipantRegistry.Role`."""

    GENERATOR = 1
    CONSUMER = 2
    PROSUMER = 3


class Status(IntEnum):
    """`IParticipantRegistry.Status`."""

    NONE = 0
    PENDING = 1
    APPROVED = 2
    REJECTED = 3
    SUSPENDED = 4
    EXIT_REQUESTED = 5
    EXITED = 6


class Source(IntEnum):
    """`IParticipantRegistry.Source`: Solar, Wind and Biomass earn green certificates; Hydro does not."""

    NONE = 0
    SOLAR = 1
    WIND = 2
    BIOMASS = 3
    HYDRO = 4
    FOSSIL = 5


ROLE_NAMES: dict[str, Role] = {
    "generator": Role.GENERATOR,
    "consumer": Role.CONSUMER,
    "prosumer": Role.PROSUMER,
}
"""Role names as scenario files and the CLI spell them."""

SOURCE_NAMES: dict[str, Source] = {s.name.lower(): s for s in Source if s is not Source.NONE}
"""Energy-source names as scenario files spell them (solar, wind, biomass, hydro, fossil)."""
