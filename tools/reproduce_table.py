"""Write the reproduce verdict table into docs/README_emulator.md from a `reproduce` run.

    consensus-emulator reproduce all --out out/reproduce
    python tools/reproduce_table.py out/reproduce/summary.json            # print the table
    python tools/reproduce_table.py out/reproduce/summary.json --write    # replace it in the README

    consensus-emulator reproduce raft-election --out out/raft             # one item
    python tools/reproduce_table.py out/raft/summary.json --update --write # replace its rows only

The table sits between the markers ``<!-- reproduce-table:start -->`` and
``<!-- reproduce-table:end -->`` of docs/README_emulator.md; nothing else is touched. With
``--update`` only the rows of the outputs in the given summary are replaced (others keep their
row; outputs are seeded and byte-for-byte repeatable, so rows of unchanged items are what a full
run would give), and the verdict counts are recounted from all rows.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from consensus_emulator.reproduce.output import markdown_table
from consensus_emulator.reproduce.verdict import VERDICTS, count_verdicts

START, END = "<!-- reproduce-table:start -->", "<!-- reproduce-table:end -->"
README = Path(__file__).resolve().parent.parent / "docs" / "README_emulator.md"


def replace_table(text: str, table: str) -> str:
    """`text` with the block between the markers replaced by `table` (markers kept)."""
    if START not in text or END not in text:
        raise SystemExit(f"README has no {START} ... {END} block; add the two markers first")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def update_table(old: str, table: str) -> str:
    """`old` table (between the markers) with the rows of `table`'s outputs replaced or appended,
    and the verdict counts line recounted from all rows."""

    def rows(text: str) -> dict[str, str]:
        out = {}
        for line in text.splitlines():
            cells = line.split(" | ")
            if line.startswith("| ") and len(cells) > 2 and not line.startswith(("| output |", "| --- |")):
                out[cells[0][2:]] = line
        return out

    merged = rows(old)
    merged.update(rows(table))
    verdicts = []
    for line in merged.values():
        found = [v for v in VERDICTS if f"| **{v}** |" in line]
        if len(found) != 1:
            raise SystemExit(f"cannot read the verdict of table row: {line[:80]}")
        verdicts.append(found[0])
    counts = count_verdicts(verdicts)
    head = table.splitlines()[:2]
    tail = "Verdicts: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" ({len(merged)} outputs)."
    return "\n".join([*head, *merged.values(), "", tail]) + "\n"


def _what_changed(readme: Path, old: str, new: str) -> str:
    """One line for `--write`: the README unchanged, or which outputs' rows it replaced, added or removed."""

    def rows(table: str) -> dict[str, str]:
        return {line.split(" | ")[0][2:]: line for line in table.splitlines() if " | **" in line}

    old_rows, new_rows = rows(old), rows(new)
    if old.strip("\n") == new.strip("\n"):
        return f"{readme}: unchanged (its reproduce table already says this; {len(new_rows)} outputs)"
    parts = [
        f"{label} {', '.join(names)}"
        for label, names in (
            ("replaced the rows of", [n for n in new_rows if n in old_rows and new_rows[n] != old_rows[n]]),
            ("added", [n for n in new_rows if n not in old_rows]),
            ("removed", [n for n in old_rows if n not in new_rows]),
        )
        if names
    ]
    counts = next((line for line in new.splitlines() if line.startswith("Verdicts: ")), "")
    return f"{readme}: {'; '.join(parts) or 'rewrote the table'}. {counts}".rstrip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("summary", type=Path, help="summary.json written by `consensus-emulator reproduce`")
    parser.add_argument("--write", action="store_true", help="replace the table in docs/README_emulator.md")
    parser.add_argument("--readme", type=Path, default=README, help="README to update (with --write)")
    parser.add_argument(
        "--update", action="store_true", help="replace only the rows of this summary's outputs, keep the rest"
    )
    args = parser.parse_args(argv)
    doc = json.loads(args.summary.read_text(encoding="utf-8"))
    table = markdown_table(doc["outputs"])
    if args.update:
        text = args.readme.read_text(encoding="utf-8")
        if START not in text or END not in text:
            raise SystemExit(f"README has no {START} ... {END} block; add the two markers first")
        table = update_table(text.split(START, 1)[1].split(END, 1)[0], table)
    if args.write:
        old_text = args.readme.read_text(encoding="utf-8")
        new_text = replace_table(old_text, table)
        print(_what_changed(args.readme, old_text.split(START, 1)[1].split(END, 1)[0], table))
        if new_text != old_text:
            args.readme.write_text(new_text, encoding="utf-8")
    else:
        sys.stdout.write(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
