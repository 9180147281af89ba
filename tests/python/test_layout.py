"""The package's import graph follows the layers of docs/architecture.md.

Read statically from every `import` in `energy_trading/` (including imports inside functions and
`TYPE_CHECKING` blocks: a lazy import is still a dependency):

- each subpackage imports only the layers below it (`LAYERS`);
- the pure layers (`models`, `solvers`) import no chain library (web3, eth-*, brownie, rlp, solcx);
- no import cycle between modules;
- `consensus_emulator` never imports `energy_trading` (the emulator stands alone), and only the scenario,
  demo and command layers import the emulator.

A last test imports the pure models in a fresh interpreter and checks that no chain library was loaded.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "energy_trading"
EMULATOR = REPO / "consensus_emulator"

#: layer -> the layers it may import. `api` is `energy_trading/__init__.py` (lazy re-exports of every layer).
LAYERS: dict[str, set[str]] = {
    "models": set(),
    "solvers": {"models"},
    "chain": {"models"},
    "clients": {"chain", "models", "solvers"},
    "scenarios": {"clients", "chain", "models", "solvers"},
    "demo": {"scenarios", "clients", "chain", "models", "solvers"},
    "cli": {"demo", "scenarios", "clients", "chain", "models", "solvers"},
    "api": {"cli", "demo", "scenarios", "clients", "chain", "models", "solvers"},
    "_lazy": set(),  # the PEP 562 re-export helper the package `__init__`s share (standard library only)
    "__main__": {"cli"},  # `python -m energy_trading`: the command line's entry point
}
for _layer_imports in LAYERS.values():
    _layer_imports.add("_lazy")
LAYERS["_lazy"].discard("_lazy")
PURE = {"models", "solvers"}
CHAIN_LIBRARIES = ("web3", "eth_", "brownie", "rlp", "solcx", "hexbytes")
EMULATOR_USERS = {"scenarios", "demo", "cli"}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules(root: Path) -> dict[str, Path]:
    return {_module_name(p, root): p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts}


def _imports(path: Path, module: str, known: set[str]) -> set[str]:
    """Every module `path` imports; `from pkg import name` counts as `pkg.name` when that is a module."""
    is_package = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.add(sub if sub in known else target)
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "energy_trading":
        return None
    if len(parts) == 1:
        return "api"
    return parts[1] if parts[1] in LAYERS else "api"


MODULES = _modules(PACKAGE)
GRAPH = {m: _imports(p, m, set(MODULES)) for m, p in MODULES.items()}


def test_every_module_belongs_to_a_known_layer():
    stray = sorted(m for m in MODULES if m.count(".") == 1 and m.split(".")[1] not in LAYERS)
    assert stray == [], f"modules outside the layers of docs/architecture.md: {stray}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module):
    layer = _layer(module)
    wrong = sorted(
        target
        for target in GRAPH[module]
        if (other := _layer(target)) is not None and other != layer and other not in LAYERS[layer]
    )
    assert wrong == [], f"{module} ({layer}) may import only {sorted(LAYERS[layer])}, not {wrong}"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if _layer(m) in PURE))
def test_pure_layers_import_no_chain_library(module):
    chain = sorted(t for t in GRAPH[module] if t.split(".")[0].startswith(CHAIN_LIBRARIES))
    assert chain == [], f"{module} is pure arithmetic and must not import {chain}"


def test_no_import_cycle_between_modules():
    internal = {m: {t for t in targets if t in MODULES and t != m} for m, targets in GRAPH.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for t in sorted(internal[m]):
            if state.get(t) == 1:
                return [*path[path.index(t) :], t]
            if t not in state and (cycle := visit(t)):
                return cycle
        path.pop()
        state[m] = 2
        return None

    for m in sorted(internal):
        if m not in state:
            cycle = visit(m)
            assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_emulator_stands_alone():
    emulator = _modules(EMULATOR)
    users = sorted(
        m for m, p in emulator.items() if any(t.startswith("energy_trading") for t in _imports(p, m, set()))
    )
    assert users == [], f"consensus_emulator modules import energy_trading: {users}"
    wrong = sorted(
        m
        for m, targets in GRAPH.items()
        if _layer(m) not in EMULATOR_USERS | {"api"}
        and any(t.startswith("consensus_emulator") for t in targets)
    )
    assert wrong == [], f"only {sorted(EMULATOR_USERS)} may import consensus_emulator, not {wrong}"


def test_importing_the_models_loads_no_chain_library():
    pure = sorted(m for m in MODULES if _layer(m) in PURE)
    code = (
        "import importlib, sys\n"
        f"for m in {pure!r}: importlib.import_module(m)\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0].startswith({CHAIN_LIBRARIES!r})))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert run.stdout.strip() == "[]", f"importing {pure} loaded {run.stdout.strip()}"
