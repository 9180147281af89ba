"""Verdict rules of `consensus-emulator reproduce` and the summary files built from them."""

import json

import pytest

from consensus_emulator.reproduce.output import Output, Summary, markdown_table, write_output, write_summary
from consensus_emulator.reproduce.verdict import (
    AGREES,
    CALIBRATED,
    DIFFERS,
    NUMBERS_MISS,
    SHAPE_ONLY,
    claim,
    count_verdicts,
    number,
    verdict,
)


def test_a_number_inside_its_tolerance_agrees():
    assert verdict([number("Table 5, 200: gain %", 7.77, 8.9, abs_=1.5)]) == AGREES


def test_a_fabricated_number_outside_its_tolerance_differs():
    # seed 001 Table 5 at 10 consensuses: paper 0.78 %, a model giving 4.3 % is 3.5 points off
    assert verdict([number("Table 5, 10: gain %", 0.78, 4.3, abs_=1.5)]) == DIFFERS


def test_one_point_outside_tolerance_is_enough_to_lose_agreement():
    checks = [number(f"point {k}", 10.0, 10.2, rel=0.15) for k in range(7)]
    checks.append(number("point 7", 10.0, 12.0, rel=0.15))
    assert verdict(checks) == DIFFERS


def test_relative_tolerance_is_a_fraction_of_the_papers_value():
    assert number("median", 287.0, 287.0 * 1.149, rel=0.15).ok
    assert not number("median", 287.0, 287.0 * 1.151, rel=0.15).ok
    assert number("median", 287.0, 300.0, rel=0.15).tolerance == "±15 %"


@pytest.mark.parametrize("emulated", [float("nan"), float("inf")])
def test_a_missing_emulated_value_never_agrees(emulated):
    assert not number("p", 1.0, emulated, abs_=1e9).ok


def test_a_numeric_check_needs_exactly_one_tolerance():
    with pytest.raises(ValueError, match="exactly one"):
        number("p", 1.0, 1.0)
    with pytest.raises(ValueError, match="exactly one"):
        number("p", 1.0, 1.0, rel=0.1, abs_=0.1)


def test_claims_that_hold_without_numbers_give_shape_only():
    assert verdict([claim("Fig 7: TPS falls", "falls", True, "9 -> 7")]) == SHAPE_ONLY


def test_claims_hold_but_numbers_miss_is_not_shape_only():
    # seed001_table7 had 9 of 12 numbers outside tolerance and was labelled like an item without numbers
    checks = [claim("gain grows", "grows", True, "1 -> 6"), number("gain at 10", 0.78, 4.3, abs_=1.5)]
    assert verdict(checks) == NUMBERS_MISS
    assert verdict([*checks[:1], number("gain at 10", 0.78, 1.0, abs_=1.5)]) == AGREES


def test_fitted_checks_are_left_out_of_the_verdict():
    out_of_sample = number("150-175 median", 141.0, 139.0, rel=0.15)
    fitted_miss = number("25-50 p90", 73.7, 50.0, rel=0.15, fitted=True)
    fitted_hit = number("25-50 median", 43.0, 43.0, rel=0.15, fitted=True)
    assert verdict([out_of_sample, fitted_miss]) == AGREES  # a fitted miss does not count against
    assert verdict([number("x", 1.0, 2.0, rel=0.15), fitted_hit]) == DIFFERS  # nor a fitted hit for
    assert verdict([fitted_hit]) == CALIBRATED  # nothing out of sample: agreement by construction


def test_a_failed_claim_differs_even_when_the_numbers_agree():
    checks = [claim("TPS 0 beyond N/3", "0", False, "N=20: 1200 tx/s"), number("x", 1.0, 1.0, abs_=0.1)]
    assert verdict(checks) == DIFFERS


def test_fitted_numbers_are_calibrated_not_agreeing():
    checks = [number("prepare", 15.0, 15.0, abs_=1.0)]
    assert verdict(checks, calibrated=True) == CALIBRATED


def test_an_item_without_any_check_is_refused():
    with pytest.raises(ValueError, match="at least one check"):
        verdict([])


def test_counts_list_every_verdict():
    assert count_verdicts([AGREES, DIFFERS, DIFFERS]) == {
        AGREES: 1,
        NUMBERS_MISS: 0,
        SHAPE_ONLY: 0,
        DIFFERS: 2,
        CALIBRATED: 0,
    }


def _summary(tmp_path, name, checks, calibrated=False):
    out = Output(name, f"title {name}", ["x"], [[1]], "paper says", "we got", checks, calibrated=calibrated)
    return write_output(out, tmp_path)


def test_summary_files_carry_verdicts_counts_and_every_check(tmp_path):
    summaries = [
        _summary(tmp_path, "a", [number("p", 1.0, 1.05, rel=0.1)]),
        _summary(tmp_path, "b", [number("p", 1.0, 2.0, rel=0.1), claim("c", "c", True, "yes")]),
        _summary(tmp_path, "c", [number("p", 1.0, 1.0, rel=0.1)], calibrated=True),
    ]
    write_summary(summaries, tmp_path)
    doc = json.loads((tmp_path / "summary.json").read_text())
    assert doc["counts"] == {AGREES: 1, NUMBERS_MISS: 1, SHAPE_ONLY: 0, DIFFERS: 0, CALIBRATED: 1}
    assert [o["verdict"] for o in doc["outputs"]] == [AGREES, NUMBERS_MISS, CALIBRATED]
    assert doc["outputs"][1]["checks"][0] == {
        "what": "p",
        "paper": "1",
        "emulated": "2",
        "ok": False,
        "numeric": True,
        "tolerance": "±10 %",
        "fitted": False,
    }
    assert (tmp_path / "checks.csv").read_text().count("\n") == 1 + 4
    assert (
        "AGREES 1, NUMBERS MISS 1, SHAPE ONLY 0, DIFFERS 0, CALIBRATED 1"
        in (tmp_path / "summary.md").read_text()
    )


def test_markdown_table_has_one_row_per_output_and_the_counts():
    records = [
        Summary("x", "t", "p | q", "e", DIFFERS, (number("p", 1.0, 3.0, abs_=1.0),), ref="Fig 1").record()
    ]
    table = markdown_table(records)
    assert "| x | Fig 1 | **DIFFERS** | 0/1 | p \\| q | e |" in table
    assert "DIFFERS 1" in table


def test_markdown_table_counts_fitted_checks_apart():
    checks = (number("a", 1.0, 1.0, abs_=0.1), number("b", 1.0, 3.0, abs_=0.1, fitted=True))
    table = markdown_table([Summary("x", "t", "p", "e", AGREES, checks).record()])
    assert "| **AGREES** | 1/1 (+0/1 fitted, not in verdict) |" in table


def test_readme_table_tool_replaces_only_the_marked_block(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools" / "reproduce_table.py"
    spec = importlib.util.spec_from_file_location("reproduce_table", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps({"outputs": [Summary("x", "t", "p", "e", AGREES, (number("p", 1, 1, abs_=0),)).record()]})
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{tool.START}\nold table\n{tool.END}\noutro\n")
    assert tool.main([str(summary), "--write", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("outro\n")
    assert "old table" not in text and "| x |" in text and "AGREES 1" in text


def test_readme_table_tool_update_replaces_only_the_rows_of_the_given_outputs(tmp_path):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "tools" / "reproduce_table.py"
    spec = importlib.util.spec_from_file_location("reproduce_table", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    old = markdown_table(
        [
            Summary("a", "t", "p", "old a", DIFFERS, (number("p", 1, 3, abs_=0),)).record(),
            Summary("b", "t", "p", "old b", DIFFERS, (number("p", 1, 3, abs_=0),)).record(),
        ]
    )
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{tool.START}\n{old}{tool.END}\noutro\n")
    summary = tmp_path / "summary.json"
    new_b = Summary("b", "t", "p", "new b", AGREES, (number("p", 1, 1, abs_=0),)).record()
    summary.write_text(json.dumps({"outputs": [new_b]}))
    assert tool.main([str(summary), "--update", "--write", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert "old a" in text and "new b" in text and "old b" not in text
    assert text.index("| a |") < text.index("| b |")  # a row keeps its place
    assert "AGREES 1, NUMBERS MISS 0, SHAPE ONLY 0, DIFFERS 1, CALIBRATED 0 (2 outputs)" in text
    assert text.startswith("intro\n") and text.endswith("outro\n")


def test_readme_table_tool_write_says_what_it_changed(tmp_path):
    """`python tools/reproduce_table.py SUMMARY --write` printed nothing: it names the rows it replaced or
    added, with the verdict counts, or says the README was unchanged (and leaves the file alone)."""
    import subprocess
    import sys
    from pathlib import Path

    tool = Path(__file__).resolve().parents[2] / "tools" / "reproduce_table.py"
    a = Summary("a", "t", "p", "a", DIFFERS, (number("p", 1, 3, abs_=0),)).record()
    readme = tmp_path / "README.md"
    readme.write_text(
        f"intro\n<!-- reproduce-table:start -->\n{markdown_table([a])}<!-- reproduce-table:end -->\n"
    )
    summary = tmp_path / "summary.json"

    def write(*outputs, update=False):
        summary.write_text(json.dumps({"outputs": list(outputs)}))
        argv = [sys.executable, str(tool), str(summary), *(["--update"] if update else []), "--write"]
        done = subprocess.run([*argv, "--readme", str(readme)], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    b = Summary("b", "t", "p", "b", AGREES, (number("p", 1, 1, abs_=0),)).record()
    assert write(b, update=True) == (
        f"{readme}: added b. Verdicts: AGREES 1, NUMBERS MISS 0, SHAPE ONLY 0, DIFFERS 1, CALIBRATED 0 "
        "(2 outputs).\n"
    )
    before = readme.stat().st_mtime_ns
    assert write(a, b) == f"{readme}: unchanged (its reproduce table already says this; 2 outputs)\n"
    assert readme.stat().st_mtime_ns == before
    a_agrees = Summary("a", "t", "p", "a", AGREES, (number("p", 1, 1, abs_=0),)).record()
    assert write(a_agrees, update=True).startswith(f"{readme}: replaced the rows of a. Verdicts: AGREES 2,")
    assert write(b).startswith(f"{readme}: removed a. Verdicts: AGREES 1,")
