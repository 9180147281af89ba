"""Shared settings for the consensus-emulator tests."""

import pytest
from hypothesis import settings

# No per-example deadline: a deadline is a timed assertion, and on a loaded CI machine it fails the first call
# of an example but not its rerun, which hypothesis reports as Flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")

# The tests that take tens of seconds each (pytest --durations=25, -n 2, measured 2026-11-30 at load ~8-13 on
# the 2 cores; longest first). They are dispatched first, and the Makefile's --dist loadgroup hands out the
# rest one test (or one module-fixture group) at a time, so the two workers finish together instead of one
# core idling while the other runs a long test it picked up last (longest-first list scheduling). This
# changes the order only.
LONGEST_FIRST = (
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-151]",
    "tests/emulator/test_raft.py::test_raft_at_1024_nodes_elects_and_commits",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[12-24]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-200]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-300]",
    "tests/emulator/test_sweep.py::test_a_local_cluster_of_two_workers_gives_the_serial_table",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-155]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-175]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[50-100]",
    "tests/emulator/test_sweep.py::test_a_rerun_skips_finished_runs_and_runs_only_the_missing",
    "tests/emulator/test_reproduce_seed001.py::test_table3_node2_leads_as_often_as_in_the_paper",
    "tests/emulator/test_sweep.py::test_map_tasks_on_a_local_cluster_keeps_the_task_order",
)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook turns the group marks into node ids
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Move the LONGEST_FIRST tests to the front, longest first; every other test keeps its place.

    A test that uses a module-scoped fixture joins its module's xdist group (`--dist loadgroup`): the module's
    tests then run on one worker in file order against one fixture, as in a serial run; every other test is
    its own unit, handed out one at a time."""
    rank = {nodeid: i for i, nodeid in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid, len(rank)))
    for item in items:
        fixtures = getattr(item, "_fixtureinfo", None)
        defs = fixtures.name2fixturedefs.values() if fixtures else ()
        if any(d[-1].scope in ("module", "class", "package") for d in defs):
            item.add_marker(pytest.mark.xdist_group(item.path.name))
