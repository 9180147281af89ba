"""The `energy-trading match` input format as a pydantic v2 schema (units: kWh, currency, [0, 1])."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator

from energy_trading.models.matching import MatchingInstance, instance_from_json
from energy_trading.models.validation import StrictModel, validate

__all__ = ["MatchingFile", "parse_instance"]

Id = Annotated[int | str, Field(description="identifier, unique among the requests (or the providers)")]


class RequestSpec(StrictModel):
    """A consumer's request R_i."""

    id: Id
    energy_kwh: Decimal = Field(gt=0, description="energy requested, kWh")
    party: str | None = Field(default=None, description="the buyer; never paired with its own offer")


class ProviderSpec(StrictModel):
    """A provider's offer: price r_j, capacity a_j, reputation RC_j."""

    id: Id
    price: Decimal = Field(ge=0, description="price, currency per kWh")
    capacity_kwh: Decimal = Field(ge=0, description="energy the provider can deliver, kWh")
    reputation: Decimal = Field(ge=0, le=1, description="RC_j in [0, 1] (seed 003 eq 2)")
    party: str | None = Field(default=None, description="the seller; never paired with its own request")


class MatchingFile(StrictModel):
    """A matching instance (seed 003 eq 3-5) as `energy-trading match` reads it."""

    requests: list[RequestSpec]
    providers: list[ProviderSpec]
    network_fee: list[list[Decimal]] | None = Field(
        default=None,
        description="eta_ij: one row per request, one column per provider, currency for the whole request "
        "(default: all 0)",
    )

    @model_validator(mode="after")
    def _consistent(self) -> MatchingFile:
        for kind, items in (("requests", self.requests), ("providers", self.providers)):
            seen: dict[Any, int] = {}
            for k, item in enumerate(items):
                if item.id in seen:
                    raise ValueError(
                        f"{kind}[{k}].id {item.id!r} repeats {kind}[{seen[item.id]}].id: ids must be unique"
                    )
                seen[item.id] = k
        if self.network_fee is not None:
            n, m = len(self.requests), len(self.providers)
            if len(self.network_fee) != n or any(len(row) != m for row in self.network_fee):
                raise ValueError(
                    f"network_fee must be a {n} x {m} matrix: one row per request, one column per provider"
                )
        return self


def parse_instance(data: Any, what: str = "matching instance") -> MatchingInstance:
    """Validate `energy-trading match` input and build the instance; raises `InputError` listing every
    problem with its path (e.g. ``providers[1] (id 'wind').capacity_kwh: Input should be greater than or
    equal to 0 (got '-5')``)."""
    spec = validate(MatchingFile, data, what)
    return instance_from_json(spec.model_dump(mode="json", exclude_none=True))
