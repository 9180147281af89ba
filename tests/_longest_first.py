"""Longest-first scheduling for the in-process suites (tests/python, tests/emulator), shared by their
conftests.

Each conftest lists its tests that take tens of seconds (measured with `pytest --durations`, longest
first) and builds its `pytest_collection_modifyitems` hook with `longest_first_hook(LONGEST_FIRST)`. The
hook moves those tests to the front, longest first, and every other test keeps its place; the Makefile's
`--dist loadgroup --no-loadscope-reorder` then hands out the rest one test (or one module-fixture group) at
a time, so the two workers finish together instead of one core idling while the other runs a long test it
picked up last (longest-first list scheduling). This changes the order only.

A test that uses a module-scoped fixture joins its module's xdist group: the module's tests then run on one
worker in file order against one fixture, as in a serial run; every other test is its own unit. A listed
test that belongs to a group moves its whole group, in file order.

Importable because pyproject.toml's pytest `pythonpath` puts tests/ on sys.path.
"""

from collections.abc import Callable, Sequence

import pytest


def _group(item: pytest.Item) -> str | None:
    """The xdist group of `item`: its explicit `xdist_group` mark, else its file's name when it uses a
    module-, class- or package-scoped fixture, else None (its own unit)."""
    mark = item.get_closest_marker("xdist_group")
    if mark is not None:
        return mark.args[0] if mark.args else mark.kwargs.get("name", "default")
    fixtures = getattr(item, "_fixtureinfo", None)
    defs = fixtures.name2fixturedefs.values() if fixtures else ()
    if any(d[-1].scope in ("module", "class", "package") for d in defs):
        return item.path.name
    return None


def order_longest_first(items: list[pytest.Item], longest_first: Sequence[str]) -> None:
    """Mark the module-fixture groups and sort `items` in place: the node ids in `longest_first` first, in
    that order, each carrying its whole xdist group along in file order (a group is one unit of work, so a
    long test's group is dispatched as early as the test); the rest keep their order. An entry without
    "[params]" stands for every parametrisation of its test."""
    rank = {nodeid: i for i, nodeid in enumerate(longest_first)}
    unranked = len(rank)
    groups = {}
    for item in items:
        group = _group(item)
        if group is not None and item.get_closest_marker("xdist_group") is None:
            item.add_marker(pytest.mark.xdist_group(group))
        groups[item.nodeid] = group or item.nodeid
    group_rank: dict[str, int] = {}
    for item in items:
        own = rank.get(item.nodeid, rank.get(item.nodeid.split("[")[0], unranked))
        key = groups[item.nodeid]
        group_rank[key] = min(group_rank.get(key, unranked), own)
    items.sort(key=lambda item: group_rank[groups[item.nodeid]])


def longest_first_hook(longest_first: Sequence[str]) -> Callable[[list[pytest.Item]], None]:
    """A `pytest_collection_modifyitems` hook for a conftest: the xdist groups, longest first."""

    @pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the group marks into node ids
    def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
        order_longest_first(items, longest_first)

    return pytest_collection_modifyitems
