"""Write the reproduce verdict table into docs/README_emulator.md from a `reproduce` run.

    consensus-emulator reproduce all --out out/reproduce
    python tools/reproduce_table.py out/reproduce/summary.json            # print the table
    python tools/reproduce_table.py out/reproduce/summary.json --write    # replace it in the README

The table sits between the markers ``<!-- reproduce-table:start -->`` and
``<!-- reproduce-table:end -->`` of docs/README_emulator.md; nothing else is touched.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from consensus_emulator.reproduce.output import markdown_table

START, END = "<!-- reproduce-table:start -->", "<!-- reproduce-table:end -->"
README = Path(__file__).resolve().parent.parent / "docs" / "README_emulator.md"


def replace_table(text: str, table: str) -> str:
    """`text` with the block between the markers replaced by `table` (markers kept)."""
    if START not in text or END not in text:
        raise SystemExit(f"README has no {START} ... {END} block; add the two markers first")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="summary.json written by `consensus-emulator reproduce`")
    parser.add_argument("--write", action="store_true", help="replace the table in docs/README_emulator.md")
    parser.add_argument("--readme", type=Path, default=README, help="README to update (with --write)")
    args = parser.parse_args(argv)
    doc = json.loads(args.summary.read_text(encoding="utf-8"))
    table = markdown_table(doc["outputs"])
    if args.write:
        args.readme.write_text(
            replace_table(args.readme.read_text(encoding="utf-8"), table), encoding="utf-8"
        )
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
