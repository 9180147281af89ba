"""The conftest's LONGEST_FIRST list names tests that exist (a stale name silently schedules nothing)."""

import re
from pathlib import Path

from emulator.conftest import LONGEST_FIRST  # tests/ is on pytest's pythonpath

ROOT = Path(__file__).resolve().parents[2]


def test_every_longest_first_entry_names_a_test_function_of_its_file():
    for nodeid in LONGEST_FIRST:
        path, name = nodeid.split("::")
        source = (ROOT / path).read_text()
        assert re.search(rf"^def {re.escape(name.split('[')[0])}\(", source, re.M), nodeid
