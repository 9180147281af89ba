"""`energy-trading run` shows its progress for every scenario kind: tqdm bars for each long stage on a
terminal (chain start, deploy stages, registration, market periods, certificate rounds, grid periods,
writing the results), and off a terminal one plain line as each stage starts and ends, with no
carriage-return animation in the log."""

from __future__ import annotations

import re

import pexpect
import yaml
from user_commands import BIN, assert_quiet, run, user_env

from energy_trading.chain.project import REPO_ROOT

MARKET_AND_CERTIFICATES = {
    "name": "tiny-progress",
    "participants": [
        {"id": "sun", "role": "generator", "source": "solar"},
        {"id": "home", "role": "consumer"},
    ],
    "periods": [
        {
            "offers": [{"provider": "sun", "price": 0.5, "capacity_kwh": 10}],
            "requests": [{"consumer": "home", "energy_kwh": 4}],
            "repeat": 2,
        }
    ],
    "certificates": {"rounds": 3, "generation": [{"node": "sun", "kwh_per_round": 600}]},
}

GRID = {
    "name": "tiny-grid-progress",
    "market": {"settlement": "grid_balanced", "feed_in_price": 0.4, "grid_price": 0.75, "grid_fee": 0.04},
    "participants": [
        {"id": "g", "role": "generator", "renewable": True, "credit_weight": 80},
        {"id": "c", "role": "consumer", "credit_weight": 70},
    ],
    "periods": [
        {
            "contracts": [{"seller": "g", "buyer": "c", "price": 0.6, "energy_kwh": 10}],
            "readings": [{"generated_kwh": 10, "consumed_kwh": 9}],
            "repeat": 2,
        }
    ],
}


def test_on_a_terminal_every_stage_of_a_market_and_certificates_run_has_a_bar(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(MARKET_AND_CERTIFICATES))
    child = pexpect.spawn(
        str(BIN / "energy-trading"), ["run", str(path), "--out", str(tmp_path / "out")], cwd=str(REPO_ROOT),
        env=user_env(), encoding="utf-8", timeout=300,
    )  # fmt: skip
    child.expect(pexpect.EOF)
    child.close()
    screen = child.before
    assert child.exitstatus == 0, screen
    assert_quiet(screen)
    for bar in (
        r"starting the in-process EVM: 00:\d\d",
        r"deploying stages: 100%\|[^|]*\| 5/5 .*(?:stage/s|s/stage)",
        r"registering participants: 100%\|[^|]*\| 2/2 .*(?:participant/s|s/participant)",
        r"periods: 100%\|[^|]*\| 2/2 .*(?:period/s|s/period)",
        r"tiny-progress: rounds: 100%\|[^|]*\| 3/3 .*(?:round/s|s/round)",
        r"writing results, plots and report: 00:\d\d",
    ):
        assert re.search(bar, screen), (bar, screen)
    assert not re.search(r"\b0(?:period|round)s?\b|\b0/0\b", screen)  # no empty bar ("periods: 0period")


def test_off_a_terminal_a_grid_run_prints_a_line_per_stage(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(yaml.safe_dump(GRID))
    result = run("energy-trading", "run", str(path), "--out", str(tmp_path / "out"), timeout=300)
    assert result.returncode == 0, result.stderr
    assert_quiet(result.stdout + result.stderr)
    assert "\r" not in result.stderr  # no bar animation in a log
    lines = result.stderr.splitlines()
    stages = [
        ("starting the in-process EVM", ""),
        ("deploying stages", ": 5 stages"),
        ("tiny-grid-progress: registering participants", ": 2 participants"),
        ("tiny-grid-progress: periods", ": 2 periods"),
        ("writing results, plots and report", ""),
    ]
    for description, count in stages:
        assert f"{description}{count} ..." in lines, (description, lines)
        assert any(re.fullmatch(rf"{re.escape(description)}: done in \d+\.\d s", line) for line in lines)
    # a start and an end line per stage; a loop running longer than LINE_EVERY_S (on a loaded machine) also
    # says how far it got, and nothing else is printed
    extra = [
        line
        for line in lines
        if not any(line.startswith(d) and (" ..." in line or "done in" in line) for d, _ in stages)
    ]
    assert len(lines) - len(extra) == 2 * len(stages), lines
    assert all(re.fullmatch(r".+: \d+ of \d+ \w+s done after \d+ s", line) for line in extra), extra


def test_off_a_terminal_a_long_loop_says_how_far_it_got(monkeypatch, capsys):
    """A 90-period scenario printed its start line and then nothing for 103 s in a log (newcomer review 6):
    off a terminal a loop now prints a line every LINE_EVERY_S seconds with the items done."""
    from energy_trading.cli import progress

    monkeypatch.setattr(progress, "is_terminal", lambda: False)
    monkeypatch.setattr(progress, "LINE_EVERY_S", 0.0)
    assert list(progress.stage_progress([1, 2, 3], "demo: periods")) == [1, 2, 3]
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "demo: periods: 3 periods ..."
    assert lines[1:4] == [f"demo: periods: {k} of 3 periods done after 0 s" for k in range(3)]
    assert re.fullmatch(r"demo: periods: done in \d+\.\d s", lines[4]) and len(lines) == 5
