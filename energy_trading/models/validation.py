"""Input files checked by pydantic v2 models, with errors a person can act on.

Every input model refuses unknown keys (`extra="forbid"`). `validate(model, data, what)` turns pydantic's
errors into one `InputError` whose lines name the path of each bad field (`periods[0].requests[1]`),
say what is wrong, and for an unknown key suggest the nearest allowed one ("did you mean 'requests'?").
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

__all__ = ["InputError", "StrictModel", "validate"]

M = TypeVar("M", bound=BaseModel)


class InputError(ValueError):
    """An input file does not match its schema; the message lists every problem with its path.

    Attributes:
        problems: one line per problem, each starting with the field's path.
    """

    def __init__(self, what: str, problems: list[str]) -> None:
        self.problems = problems
        listing = "\n".join(f"  {p}" for p in problems)
        noun = "problem" if len(problems) == 1 else "problems"
        super().__init__(f"{what}: {len(problems)} {noun}:\n{listing}")


class StrictModel(BaseModel):
    """Base of every input model: unknown keys are errors, values are not silently coerced to strings."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def path_of(loc: Sequence[int | str], data: Any = None) -> str:
    """A pydantic location as a path: ("periods", 0, "requests") -> "periods[0].requests". With the input
    `data`, a list item that has an "id" is named by it too: "providers[1] (id 'wind').capacity_kwh"."""
    out = ""
    node = data
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        try:
            node = node[part] if node is not None else None
        except (KeyError, IndexError, TypeError):
            node = None
        if isinstance(part, int) and isinstance(node, Mapping) and "id" in node:
            out += f" (id {node['id']!r})"
    return out or "(top level)"


def _unwrap(annotation: Any) -> list[Any]:
    """The model classes an annotation can hold (through list/dict/Optional/unions)."""
    origin = typing.get_origin(annotation)
    if origin is None:
        return [annotation] if isinstance(annotation, type) and issubclass(annotation, BaseModel) else []
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    found: list[Any] = []
    for arg in typing.get_args(annotation):
        found += _unwrap(arg)
    return found if origin in (list, tuple, dict, typing.Union, types.UnionType) or found else []


def _allowed_keys(model: type[BaseModel], loc: Sequence[int | str]) -> list[str]:
    """The field names (aliases where set) of the model found at `loc` inside `model`."""
    current: list[type[BaseModel]] = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        nxt: list[type[BaseModel]] = []
        for m in current:
            field = m.model_fields.get(part) or next(
                (f for f in m.model_fields.values() if f.alias == part), None
            )
            if field is not None:
                nxt += _unwrap(field.annotation)
        if not nxt:  # a tagged-union branch name or a dict key: stay on the candidates
            continue
        current = nxt
    keys: list[str] = []
    for m in current:
        keys += [f.alias or name for name, f in m.model_fields.items()]
    return sorted(set(keys))


def _describe(model: type[BaseModel], error: Mapping[str, Any], data: Any) -> str:
    loc = [p for p in error["loc"] if not (isinstance(p, str) and p.startswith(("function-", "tagged-")))]
    if error["type"] == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(model, loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        return f"{path_of(loc, data)}: unknown key '{key}'{hint} (allowed: {', '.join(allowed)})"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"{path_of(loc, data)}: required key is missing"
    value = error.get("input")
    shown = f" (got {value!r})" if not isinstance(value, dict | list) and value is not None else ""
    return f"{path_of(loc, data)}: {message}{shown}" if loc else f"{message}{shown}"


def validate(model: type[M], data: Any, what: str) -> M:
    """Check `data` against `model`; raise `InputError` naming `what` (e.g. the file) and every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(what, [_describe(model, e, data) for e in exc.errors()]) from None
