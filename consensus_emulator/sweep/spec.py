"""The sweep file: its schema (pydantic v2), its option names and its expansion into runs.

A sweep file (YAML or JSON) names the protocols, the options held fixed, the axes that
vary and the seeds; every combination of axis values, protocol and seed is one run::

    name: seed000-fig10-extended
    protocols:                    # a list, or a mapping protocol -> its own fixed options
      crsm: {nodes_per_domain: 5}
      pbft: {}
    fixed: {rounds: 5, max_time_ms: 5000}
    axes:
      nodes: [16, 64, 256]                               # a list ...
      crashed_share: {start: 0.0, stop: 0.5, step: 0.1}  # ... or an inclusive range
    seeds: 5                      # 0..4, or a list such as [3, 7]
    plots: [tps_mean]             # metrics plotted against every axis

Option names (`OPTIONS`) are the emulator's own: `nodes`, `rounds`, `max_time_ms`, the
workload (`block_tx`, `arrival`, `rate_tps`), the network profile (`network`) and every
`NetworkConfig` and `CostConfig` field, fault counts (`crashed`, `silent`, `malicious`) or
shares of the node count (`crashed_share`, ...: ``floor(share * nodes + 0.5)`` nodes), every
field of the protocols' parameter dataclasses (`domains`, `threshold`, `view_timeout_ms`, ...)
and two derived ones: `nodes_per_domain` (CRSM: ``domains = max(1, nodes // k)``, as the
Fig 10 reproduction does) and `weight_skew` (weighted Raft: node i weighs
``100 * (i + 1) ** -skew``, a Zipf profile; 0 gives equal weights).

Everything is checked before any run starts: unknown keys and option names are refused
with their path in the file and the closest valid name, values of the wrong type are
refused, and every expanded configuration is built and validated by `SimConfig.validate`.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from pydantic import ValidationError as PydanticValidationError

from consensus_emulator.config import (
    JITTER_KINDS,
    NETWORK_PROFILES,
    PROTOCOL_PARAMS,
    PROTOCOLS,
    ConfigError,
    CostConfig,
    FaultConfig,
    NetworkConfig,
    SimConfig,
    WorkloadConfig,
    default_config,
)
from consensus_emulator.sweep.metrics import METRICS

__all__ = ["OPTIONS", "Option", "Range", "SweepFile", "SweepRun", "expand", "load_sweep"]

#: Refuse sweeps larger than this before expanding them (memory: one config object per run).
MAX_RUNS = 1_000_000
#: Bumped when the meaning of a stored result changes, so old results are not reused.
HASH_VERSION = "sweep-v1"


@dataclass(frozen=True)
class Option:
    """One settable name of a sweep file.

    kind: "int", "float", "str" or "bool" (an int is accepted where a float is expected).
    target: where it lands: "run" (SimConfig), "network", "costs", "workload", "faults",
        "params" (the protocol's parameter dataclass) or "derived" (computed, see module doc).
    protocols: the protocols it applies to (all when empty).
    choices: the allowed strings of a "str" option.
    """

    name: str
    kind: str
    target: str
    protocols: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    help: str = ""

    def applies_to(self, protocol: str) -> bool:
        return not self.protocols or protocol in self.protocols

    def check(self, value: Any, where: str) -> Any:
        """`value` converted to this option's type, or a `ConfigError` naming `where`."""
        ok = {
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, int | float) and not isinstance(value, bool),
            "str": isinstance(value, str),
            "bool": isinstance(value, bool),
        }[self.kind]
        if not ok:
            raise ConfigError(f"{where}: {self.name} must be {_KIND_WORDS[self.kind]}, got {value!r}")
        if self.kind == "float":
            value = float(value)
            if not math.isfinite(value):
                raise ConfigError(f"{where}: {self.name} must be finite, got {value!r}")
        if self.choices and value not in self.choices:
            raise ConfigError(f"{where}: {self.name} must be one of {', '.join(self.choices)}, got {value!r}")
        return value


_KIND_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true or false"}
_SKIPPED_PARAM_FIELDS = {"weights", "weights_by_round"}  # whole vectors; `weight_skew` sets them


def _kind_of(default: Any, annotation: Any) -> str:
    text = str(annotation)
    if isinstance(default, bool) or "bool" in text:
        return "bool"
    if isinstance(default, int) or text.startswith("int"):
        return "int"
    if isinstance(default, float) or "float" in text:
        return "float"
    return "str"


def _build_options() -> dict[str, Option]:
    opts: dict[str, Option] = {}

    def add(option: Option) -> None:
        known = opts.get(option.name)
        if known is None:
            opts[option.name] = option
        elif known.target == "params" and option.target == "params":  # same name in two protocols
            opts[option.name] = replace(known, protocols=(*known.protocols, *option.protocols))
        else:  # pragma: no cover - a name clash between config sections is a programming error
            raise AssertionError(f"sweep option {option.name} defined twice")

    add(Option("nodes", "int", "run", help="consensus nodes"))
    add(Option("rounds", "int", "run", help="blocks to attempt"))
    add(Option("max_time_ms", "float", "run", help="simulated time limit (ms)"))
    add(Option("network", "str", "run", choices=tuple(sorted(NETWORK_PROFILES)), help="network profile"))
    for name, kind in (("block_tx", "int"), ("arrival", "str"), ("rate_tps", "float")):
        choices = ("saturated", "poisson") if name == "arrival" else ()
        add(Option(name, kind, "workload", choices=choices))
    for f in fields(NetworkConfig):
        choices = JITTER_KINDS if f.name == "jitter" else ()
        add(Option(f.name, _kind_of(f.default, f.type), "network", choices=choices))
    for f in fields(CostConfig):
        add(Option(f.name, _kind_of(f.default, f.type), "costs"))
    for kind in ("crashed", "silent", "malicious"):
        add(Option(kind, "int", "faults", help=f"{kind} nodes (count)"))
        add(Option(f"{kind}_share", "float", "faults", help=f"{kind} nodes as a share of nodes"))
    for protocol, params in PROTOCOL_PARAMS.items():
        for f in fields(params):
            if f.name in _SKIPPED_PARAM_FIELDS:
                continue
            choices = ("sample", "argmax") if f.name == "creator_rule" else ()
            add(Option(f.name, _kind_of(f.default, f.type), "params", (protocol,), choices))
    add(Option("nodes_per_domain", "int", "derived", ("crsm",), help="CRSM domains = max(1, nodes // k)"))
    add(Option("weight_skew", "float", "derived", ("weighted-raft",), help="Zipf exponent of node weights"))
    return opts


#: Every name a sweep file may set, fixed or on an axis.
OPTIONS: dict[str, Option] = _build_options()


def _suggest(name: str, valid: list[str] | tuple[str, ...], *, list_all: bool = True) -> str:
    """ "; did you mean 'x'?" for the closest valid name, else the valid names (if `list_all`)."""
    close = difflib.get_close_matches(name, list(valid), n=1, cutoff=0.5 if list_all else 0.75)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid names: {', '.join(sorted(valid))}" if list_all else ""


# ------------------------------------------------------------------ schema
class Range(BaseModel):
    """An inclusive arithmetic range of axis values: start, start + step, ..., <= stop."""

    model_config = ConfigDict(extra="forbid")
    start: StrictInt | StrictFloat
    stop: StrictInt | StrictFloat
    step: StrictInt | StrictFloat = Field(gt=0)

    def count(self) -> int:
        """How many values the range holds (0 when stop < start)."""
        return max(0, math.floor((self.stop - self.start) / self.step + 1e-9) + 1)

    def values(self) -> list[int | float]:
        count = self.count()
        if count < 1:
            return []
        if all(isinstance(v, int) for v in (self.start, self.stop, self.step)):
            return [int(self.start + i * self.step) for i in range(count)]
        # Rounded so that 0.1 * 3 is written 0.3 in the table and hashes as 0.3.
        return [round(self.start + i * self.step, 12) for i in range(count)]


class SweepFile(BaseModel):
    """The top level of a sweep file (unknown keys are refused)."""

    model_config = ConfigDict(extra="forbid")
    name: StrictStr = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    description: StrictStr = ""
    # Option values are typed by `OPTIONS` (after their names are checked), hence Any here.
    protocols: list[StrictStr] | dict[StrictStr, dict[StrictStr, Any] | None] = Field(min_length=1)
    fixed: dict[StrictStr, Any] = Field(default_factory=dict)
    axes: dict[StrictStr, list[Any] | Range] = Field(default_factory=dict)
    seeds: StrictInt | list[StrictInt] = 1
    plots: list[StrictStr] = Field(default_factory=lambda: ["tps_mean"])

    def protocol_fixed(self) -> dict[str, dict[str, Any]]:
        """protocol -> its own fixed options (empty for a plain list)."""
        if isinstance(self.protocols, list):
            return {p: {} for p in self.protocols}
        return {p: dict(v or {}) for p, v in self.protocols.items()}

    def seed_list(self) -> list[int]:
        return list(range(self.seeds)) if isinstance(self.seeds, int) else list(self.seeds)

    def axis_values(self) -> dict[str, list[Any]]:
        return {k: (v.values() if isinstance(v, Range) else list(v)) for k, v in self.axes.items()}


@dataclass(frozen=True)
class SweepRun:
    """One run of a sweep: a protocol, one value per axis, a seed and the resulting config.

    key: SHA-256 of the resolved configuration (every setting, the seed included); results
    are stored and found again under it.
    """

    protocol: str
    coords: tuple[tuple[str, Any], ...]
    seed: int
    config: SimConfig
    key: str


def _pydantic_message(exc: PydanticValidationError, source: str) -> str:
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = [str(p) for p in err["loc"]]
    # Drop pydantic's union-branch labels ("list[...]", "Range", "int", ...) from the path.
    path = ".".join(p for p in loc if not any(c in p for c in "[]()") and p not in _BRANCH_LABELS)
    if err["type"] == "extra_forbidden":
        return f"{source}: {path}: unknown key {loc[-1]!r}{_suggest(loc[-1], list(SweepFile.model_fields))}"
    if err["type"] == "missing":
        return f"{source}: {path}: required key missing"
    return f"{source}: {path or 'top level'}: {err['msg']} (got {err.get('input')!r})"


_BRANCH_LABELS = {"Range", "list", "dict", "str", "int", "float", "bool", "none", "function-after"}


def _yaml_load(text: str, source: str) -> Any:
    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = loader.construct_object(key_node)
            if key in seen:
                raise ConfigError(f"{source}: line {key_node.start_mark.line + 1}: duplicate key {key!r}")
            seen.add(key)
        return loader.construct_mapping(node)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader subclass: no arbitrary objects
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML/JSON: {exc}") from exc


def load_sweep(path: str | Path) -> SweepFile:
    """Read and check a sweep file; raise `ConfigError` (path in the file + fix) on any problem.

    Checks the schema, the protocol and option names (closest valid name suggested), which
    protocols each option applies to, value types, and that no axis is empty or repeated in
    `fixed`. Every expanded configuration is validated by `expand`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read sweep file {path}: {exc.strerror}") from exc
    return parse_sweep(_yaml_load(text, str(path)), str(path))


def parse_sweep(data: Any, source: str = "sweep") -> SweepFile:
    """Check an already-loaded sweep mapping (see `load_sweep`)."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: a sweep file is a mapping with name, protocols, axes, ...")
    axes = data.get("axes")
    for name, value in axes.items() if isinstance(axes, dict) else ():
        if isinstance(value, dict):  # a range: report its own errors, not the list branch's
            try:
                Range.model_validate(value)
            except PydanticValidationError as exc:
                err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
                key = ".".join(str(p) for p in err["loc"])
                hint = _suggest(key, list(Range.model_fields)) if err["type"] == "extra_forbidden" else ""
                raise ConfigError(f"{source}: axes.{name}.{key}: {err['msg']}{hint}") from None
    try:
        spec = SweepFile.model_validate(data)
    except PydanticValidationError as exc:
        raise ConfigError(_pydantic_message(exc, source)) from None
    per_protocol = spec.protocol_fixed()
    protocols = list(per_protocol)
    sizes = [v.count() if isinstance(v, Range) else len(v) for v in spec.axes.values()]
    seeds = spec.seeds if isinstance(spec.seeds, int) else len(spec.seeds)
    total = len(protocols) * math.prod(sizes) * seeds
    if total > MAX_RUNS:
        raise ConfigError(f"{source}: the sweep has {total} runs, more than {MAX_RUNS}; split it into files")
    for p in protocols:
        if p not in PROTOCOLS:
            raise ConfigError(f"{source}: protocols.{p}: unknown protocol {p!r}{_suggest(p, PROTOCOLS)}")
    sections: list[tuple[str, dict[str, Any], list[str]]] = [
        ("fixed", spec.fixed, protocols),
        ("axes", spec.axis_values(), protocols),
    ]
    sections += [(f"protocols.{p}", opts, [p]) for p, opts in per_protocol.items()]
    for section, opts, applies in sections:
        for name, value in opts.items():
            where = f"{source}: {section}.{name}"
            option = OPTIONS.get(name)
            if option is None:
                raise ConfigError(f"{where}: unknown option {name!r}{_suggest(name, list(OPTIONS))}")
            wrong = [p for p in applies if not option.applies_to(p)]
            if wrong:
                fitting = [k for k, o in OPTIONS.items() if all(o.applies_to(p) for p in wrong)]
                hint = _suggest(name, fitting, list_all=False)
                if len(applies) > 1:
                    hint += f"; or set {name} under protocols.{option.protocols[0]}"
                raise ConfigError(
                    f"{where}: {name} applies to {', '.join(option.protocols)} only, not to "
                    f"{', '.join(wrong)}{hint}"
                )
            if section == "axes":
                if not value:
                    raise ConfigError(f"{where}: an axis needs at least one value")
                for v in value:
                    option.check(v, where)
                if len(set(map(repr, value))) != len(value):
                    raise ConfigError(f"{where}: repeated values {value!r}")
            else:
                option.check(value, where)
    for name in spec.axes:
        clashes = [s for s, opts, _ in sections if s != "axes" and name in opts]
        if clashes:
            raise ConfigError(
                f"{source}: axes.{name}: also set in {clashes[0]}; an option is fixed or an axis"
            )
    if (
        "nodes" not in spec.fixed
        and "nodes" not in spec.axes
        and not all("nodes" in o for o in per_protocol.values())
    ):
        raise ConfigError(f"{source}: nodes is not set; give it in fixed or axes")
    seeds = spec.seed_list()
    if not seeds or len(set(seeds)) != len(seeds) or min(seeds) < 0:
        raise ConfigError(f"{source}: seeds: give a count >= 1 or a list of distinct seeds >= 0")
    for metric in spec.plots:
        if metric not in METRICS:
            raise ConfigError(f"{source}: plots.{metric}: unknown metric{_suggest(metric, METRICS)}")
    return spec


# ------------------------------------------------------------------ expansion
@functools.cache
def code_fingerprint() -> str:
    """SHA-256 (16 hex digits) of the emulator's simulation code.

    Every ``.py`` file of the package except the command line, the reproductions and the
    sweep machinery (its metric flattening included), so that a changed protocol or
    network model gives new run keys and a resumed sweep never mixes results of two
    versions of the emulator. Editing an unrelated module of the package also changes
    it, which costs a rerun, never a wrong table.
    """
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if (
            rel == "cli.py"
            or rel.startswith("reproduce")
            or (rel.startswith("sweep/") and rel != "sweep/metrics.py")
        ):
            continue
        digest.update(rel.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def config_key(cfg: SimConfig) -> str:
    """SHA-256 (hex) of every setting of `cfg` (seed included) and the emulator's code fingerprint:
    the run's identity on disk."""
    blob = json.dumps(
        {"v": HASH_VERSION, "code": code_fingerprint(), "config": cfg.to_dict()},
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def zipf_weights(n: int, skew: float) -> tuple[float, ...]:
    """Node weights on seed 001's 0..100 scale: node i weighs ``100 * (i + 1) ** -skew``."""
    return tuple(round(100.0 * (i + 1) ** -skew, 12) for i in range(n))


def build_config(protocol: str, settings: dict[str, Any], seed: int) -> SimConfig:
    """The `SimConfig` for one run: the protocol's defaults with `settings` applied."""
    n = settings["nodes"]
    cfg = default_config(protocol, n_nodes=n, seed=seed)
    if "network" in settings:
        cfg = replace(cfg, network=NETWORK_PROFILES[settings["network"]])
    groups: dict[str, dict[str, Any]] = {}
    for name, value in settings.items():
        groups.setdefault(OPTIONS[name].target, {})[name] = value
    run = groups.get("run", {})
    network = replace(cfg.network, **groups.get("network", {}))
    costs = replace(cfg.costs, **groups.get("costs", {}))
    workload = replace(WorkloadConfig(), **groups.get("workload", {}))
    faults_in = groups.get("faults", {})
    counts = {}
    for kind in ("crashed", "silent", "malicious"):
        count = faults_in.get(kind, 0)
        if f"{kind}_share" in faults_in:
            count += math.floor(faults_in[f"{kind}_share"] * n + 0.5)
        counts[f"n_{kind}"] = count
    params = replace(cfg.params, **groups.get("params", {}))
    derived = groups.get("derived", {})
    if "nodes_per_domain" in derived:
        params = replace(params, domains=max(1, n // derived["nodes_per_domain"]))
    if "weight_skew" in derived:
        params = replace(params, weights=zipf_weights(n, derived["weight_skew"]))
    return replace(
        cfg,
        params=params,
        network=network,
        costs=costs,
        workload=workload,
        faults=FaultConfig(**counts),
        rounds=run.get("rounds", cfg.rounds),
        max_time_ms=run.get("max_time_ms", cfg.max_time_ms),
    )


def _typed(options: dict[str, Any], where: str) -> dict[str, Any]:
    return {k: OPTIONS[k].check(v, f"{where}.{k}") for k, v in options.items()}


def _combinations(spec: SweepFile) -> Iterator[tuple[str, dict[str, Any], tuple[tuple[str, Any], ...]]]:
    axes = {k: [OPTIONS[k].check(v, f"axes.{k}") for v in vs] for k, vs in spec.axis_values().items()}
    fixed = _typed(spec.fixed, "fixed")
    for protocol, own in spec.protocol_fixed().items():
        own = _typed(own, f"protocols.{protocol}")
        for values in itertools.product(*axes.values()):
            coords = tuple(zip(axes, values, strict=True))
            yield protocol, {**fixed, **own, **dict(coords)}, coords


def expand(spec: SweepFile, source: str = "sweep") -> list[SweepRun]:
    """Every run of the sweep in table order (protocol, then axes as written, then seed).

    Each configuration is validated here, so a sweep with one impossible combination stops
    before anything runs, naming the combination.
    """
    runs = []
    for protocol, settings, coords in _combinations(spec):
        label = ", ".join([f"protocol={protocol}", *(f"{k}={v}" for k, v in coords)])
        for seed in spec.seed_list():
            try:
                cfg = build_config(protocol, settings, seed).validate()
            except (ConfigError, TypeError) as exc:
                raise ConfigError(f"{source}: run {label}: {exc}") from None
            runs.append(SweepRun(protocol, coords, seed, cfg, config_key(cfg)))
    return runs
