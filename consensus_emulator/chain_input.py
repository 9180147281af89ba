"""Inputs from the chain side: node weights and transaction streams.

Formats accepted (also described in README_SECTION.md):

* **node weights** (weighted Raft, ``--weights-from FILE``):

  - an ``energy-trading run`` ``results.json`` with a top-level ``"node_weights"``:
    ``{participant id: weight}`` on the 0..100 scale, and optionally
    ``"node_weights_by_round"``: a list of such objects, one per settlement round;
  - or a plain JSON object ``{participant id: weight}``.

  Participants are ordered by id (numerically when every id is an integer, else as
  strings); node k of the emulator is the k-th participant. A participant missing from
  a round's object keeps weight 0 in that round.

* **transaction stream** (CRSM, ``--replay FILE``): ``results.json`` with
  ``"transactions"``: a list of ``{"time_s": float, "size_bytes": int}``, time since the
  start of the run and size of the signed transaction. They enter the primary's pending
  pool at those times (converted to ms).

* **over RPC**: `weights_from_rpc` calls the view ``allWeights()`` of the deployed
  weights contract, which returns ``(address[] nodes, uint256[] weights)`` with weights
  in fixed point, 1e18 = 1.0 on the 0..100 scale.

Every malformed input raises `ConfigError` naming the file and what is wrong.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from consensus_emulator.config import ConfigError

__all__ = [
    "ALL_WEIGHTS_ABI",
    "ChainWeights",
    "transactions_from_results",
    "weights_from_mapping",
    "weights_from_results",
    "weights_from_rpc",
]

#: Fixed-point scale of the weights contract: 1e18 = 1.0 (on the 0..100 scale).
WEIGHT_SCALE = 10**18

#: ABI of the one view the emulator needs.
ALL_WEIGHTS_ABI: list[dict[str, Any]] = [
    {
        "type": "function",
        "name": "allWeights",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [
            {"name": "nodes", "type": "address[]"},
            {"name": "weights", "type": "uint256[]"},
        ],
    }
]


@dataclass(frozen=True)
class ChainWeights:
    """Node weights read from the chain side.

    Attributes:
        ids: participant ids in emulator node order.
        weights: one weight per node (0..100 scale) for the first round.
        by_round: weights per settlement round (empty when only one set was given).
    """

    ids: tuple[str, ...]
    weights: tuple[float, ...]
    by_round: tuple[tuple[float, ...], ...] = ()

    @property
    def n_nodes(self) -> int:
        return len(self.ids)


def _load_json(source: str | Path | dict[str, Any]) -> tuple[Any, str]:
    if isinstance(source, dict):
        return source, "<object>"
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return json.loads(text), str(path)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc


def _order(ids: list[str]) -> list[str]:
    if all(_is_int(i) for i in ids):
        return sorted(ids, key=lambda i: int(i))
    return sorted(ids)


def _is_int(value: str) -> bool:
    try:
        int(value)
    except ValueError:
        return False
    return True


def _weight(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where}: weight {value!r} is not a number")
    w = float(value)
    if not math.isfinite(w) or not 0.0 <= w <= 100.0:
        raise ConfigError(f"{where}: weight {w} is outside the 0..100 scale")
    return w


def weights_from_mapping(mapping: dict[str, Any], where: str = "<object>") -> ChainWeights:
    """Weights from one ``{participant id: weight}`` object."""
    if not isinstance(mapping, dict) or not mapping:
        raise ConfigError(f"{where}: expected a non-empty object mapping participant id to weight")
    by_id = {str(k): v for k, v in mapping.items()}
    ids = _order(list(by_id))
    weights = tuple(_weight(by_id[k], f"{where}[{k}]") for k in ids)
    if sum(weights) <= 0:
        raise ConfigError(f"{where}: all node weights are zero")
    return ChainWeights(tuple(ids), weights)


def weights_from_results(source: str | Path | dict[str, Any]) -> ChainWeights:
    """Weights from a ``results.json`` (``node_weights`` [+ ``node_weights_by_round``]) or a plain map."""
    data, where = _load_json(source)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a JSON object")
    if "node_weights" not in data and "node_weights_by_round" not in data:
        if any(isinstance(v, dict | list) for v in data.values()):
            # nested values: not a {participant id: weight} object but, say, the results.json of a run without
            # node weights (a market day)
            raise ConfigError(
                f"{where} has no node weights: no 'node_weights' or 'node_weights_by_round' key (an "
                "energy-trading run writes them for grid-balanced scenarios such as "
                "scenarios/seed001_tables.yaml), and it is not a plain {participant id: weight} object"
            )
        return weights_from_mapping(data, where)
    rounds_raw = data.get("node_weights_by_round") or []
    if not isinstance(rounds_raw, list):
        raise ConfigError(f"{where}: node_weights_by_round must be a list of objects")
    base_map = data.get("node_weights") or (rounds_raw[-1] if rounds_raw else None)
    base = weights_from_mapping(base_map, f"{where}:node_weights")
    all_ids = set(base.ids)
    for k, row in enumerate(rounds_raw):
        if not isinstance(row, dict):
            raise ConfigError(f"{where}: node_weights_by_round[{k}] is not an object")
        all_ids.update(str(i) for i in row)
    ids = _order(list(all_ids))
    base_map_str = {str(k): v for k, v in base_map.items()}
    weights = tuple(_weight(base_map_str.get(i, 0.0), f"{where}:node_weights[{i}]") for i in ids)
    by_round = []
    for k, row in enumerate(rounds_raw):
        row_str = {str(i): v for i, v in row.items()}
        values = tuple(_weight(row_str.get(i, 0.0), f"{where}:node_weights_by_round[{k}][{i}]") for i in ids)
        if sum(values) <= 0:
            raise ConfigError(f"{where}: node_weights_by_round[{k}] has only zero weights")
        by_round.append(values)
    return ChainWeights(tuple(ids), weights, tuple(by_round))


def transactions_from_results(source: str | Path | dict[str, Any]) -> tuple[tuple[float, int], ...]:
    """The ``transactions`` stream of a ``results.json`` as ((time_ms, size_bytes), ...)."""
    data, where = _load_json(source)
    txs = data.get("transactions") if isinstance(data, dict) else None
    if not isinstance(txs, list) or not txs:
        raise ConfigError(f"{where}: expected a non-empty list under 'transactions'")
    out = []
    for k, tx in enumerate(txs):
        if not isinstance(tx, dict) or "time_s" not in tx or "size_bytes" not in tx:
            raise ConfigError(f"{where}: transactions[{k}] needs 'time_s' and 'size_bytes'")
        t, size = tx["time_s"], tx["size_bytes"]
        if not isinstance(t, int | float) or not math.isfinite(t) or t < 0:
            raise ConfigError(f"{where}: transactions[{k}].time_s must be a number >= 0, got {t!r}")
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            raise ConfigError(f"{where}: transactions[{k}].size_bytes must be an integer > 0, got {size!r}")
        out.append((float(t) * 1000.0, size))
    return tuple(sorted(out))


def weights_from_rpc(
    rpc_url: str,
    weights_address: str,
    abi: list[dict[str, Any]] | None = None,
    *,
    w3: Any = None,
) -> ChainWeights:
    """Read node weights from the deployed weights contract over JSON-RPC.

    Calls the view ``allWeights() returns (address[] nodes, uint256[] weights)``; weights
    are fixed point with 1e18 = 1.0 on the 0..100 scale. web3 is imported only here.

    Args:
        rpc_url: e.g. ``http://127.0.0.1:8545``.
        weights_address: address of the weights contract.
        abi: the contract ABI (default: just `ALL_WEIGHTS_ABI`).
        w3: an already connected Web3-like object (tests pass a fake).

    Returns the weights with the node addresses as ids, in the contract's order.
    """
    if w3 is None:
        from web3 import Web3  # lazy: the emulator does not need web3 otherwise

        w3 = Web3(Web3.HTTPProvider(rpc_url))
        address = Web3.to_checksum_address(weights_address)
    else:
        address = weights_address
    contract = w3.eth.contract(address=address, abi=abi or ALL_WEIGHTS_ABI)
    try:
        nodes, raw = contract.functions.allWeights().call()
    except Exception as exc:  # any transport or ABI failure becomes one clear error
        raise ConfigError(f"allWeights() on {weights_address} via {rpc_url} failed: {exc}") from exc
    if not nodes and not raw:
        raise ConfigError(
            f"the contract at {weights_address} holds no node weights (allWeights() via {rpc_url} returned "
            "none); an energy-trading run with node weights (a grid-balanced scenario) names the contract "
            "holding them as contracts.node_weights in its results.json, or pass --weights-from results.json"
        )
    if len(nodes) != len(raw):
        raise ConfigError(f"allWeights() returned {len(nodes)} nodes but {len(raw)} weights")
    pairs = zip(nodes, raw, strict=True)
    weights = tuple(_weight(int(w) / WEIGHT_SCALE, f"allWeights()[{a}]") for a, w in pairs)
    if sum(weights) <= 0:
        raise ConfigError("allWeights() returned only zero weights")
    return ChainWeights(tuple(str(a) for a in nodes), weights)
