"""The reproduce registry and items: every item named, every paper point checked."""

import pytest

from consensus_emulator.config import ConfigError
from consensus_emulator.reproduce import ITEMS, VERDICTS, run_item, select


def test_every_item_names_its_paper_and_what_it_reproduces():
    for name, item in ITEMS.items():
        assert item.name == name
        assert item.paper and item.reproduces and callable(item.func) and item.cost >= 1


def test_select_takes_all_a_name_or_a_prefix():
    assert select("all") == list(ITEMS)
    assert select("seed002-fig7") == ["seed002-fig7"]
    assert select("seed001") == ["seed001-tables3-4", "seed001-tables5-7"]
    with pytest.raises(ConfigError, match="unknown experiment"):
        select("seed9")


def test_the_calibration_item_is_calibrated_not_agreeing(tmp_path):
    (summary,) = run_item("crsm-calibration", 0, str(tmp_path))
    assert summary.verdict == "CALIBRATED" and summary.verdict in VERDICTS
    assert [c.paper for c in summary.checks] == ["15", "76", "12", "103"]


def test_seed003_fig5_checks_every_trade_count_including_the_first(tmp_path):
    # issue 15: the 10-trade point, where sharding is not faster, used to be skipped
    (summary,) = run_item("seed003-fig5", 0, str(tmp_path))
    for trades in range(10, 101, 10):
        assert any(c.what.startswith(f"Fig 5, {trades} trades:") for c in summary.checks), trades
    ten = next(c for c in summary.checks if c.what.startswith("Fig 5, 10 trades:"))
    assert not ten.ok and summary.verdict == "DIFFERS"
