"""Shared settings for the consensus-emulator tests."""

from _longest_first import longest_first_hook
from hypothesis import settings

# No per-example deadline: a deadline is a timed assertion, and on a loaded CI machine it fails the first call
# of an example but not its rerun, which hypothesis reports as Flaky.
settings.register_profile("untimed", deadline=None)
settings.load_profile("untimed")

# The tests that take tens of seconds each (pytest --durations=30, -n 2, measured 2026-11-30 at load ~4-7 on
# the 2 cores; longest first; a test of a module-fixture group stands for its group, fixture setup included).
# Dispatched first (tests/_longest_first.py); this changes the order only.
LONGEST_FIRST = (
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-151]",
    "tests/emulator/test_raft.py::test_raft_at_1024_nodes_elects_and_commits",
    "tests/emulator/test_reproduce_seed001.py::"
    "test_tables5_7_gain_after_10_and_20_consensuses_within_the_paper_tolerance",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-200]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-155]",
    "tests/emulator/test_sweep.py::test_a_local_cluster_of_two_workers_gives_the_serial_table",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[12-24]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-300]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[150-175]",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[50-100]",
    "tests/emulator/test_raft_etcd.py::test_validate_etcd_kills_the_leader_and_writes_csv_and_plot",
    "tests/emulator/test_raft.py::test_traditional_raft_spreads_leadership_and_weighted_raft_concentrates_it",
    "tests/emulator/test_raft_paper.py::test_median_and_p90_within_15_percent_of_the_paper[25-50]",
    "tests/emulator/test_reproduce_seed001.py::test_table3_node2_leads_as_often_as_in_the_paper",
    "tests/emulator/test_sweep.py::test_a_rerun_skips_finished_runs_and_runs_only_the_missing",
    "tests/emulator/test_sweep.py::test_map_tasks_on_a_local_cluster_keeps_the_task_order",
)


pytest_collection_modifyitems = longest_first_hook(LONGEST_FIRST)
