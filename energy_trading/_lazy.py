"""PEP 562 lazy re-exports, shared by the package `__init__` modules.

Written by hand because the standard library has no helper for it (`importlib.util.LazyLoader` defers a
whole module, not single names). The package re-exports names from modules that import web3 and py-evm;
resolving them on first use keeps `import energy_trading.models`, `--help` and `energy-trading schema`
free of the chain libraries.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, str], public: Iterable[str], subpackages: Iterable[str] = ()
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for `package`: `exports` maps a public name to the module defining it;
    `subpackages` are imported as `package.NAME` on first attribute access. A resolved name is cached in
    the package's namespace, so each is imported once."""
    subpackages = frozenset(subpackages)
    public = tuple(public)

    def resolve(name: str) -> Any:
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in subpackages:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        setattr(sys.modules[package], name, value)
        return value

    def listing() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(public))

    return resolve, listing
