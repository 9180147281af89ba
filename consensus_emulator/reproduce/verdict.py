"""Verdicts: how one reproduce item compares with its paper.

Each item lists :class:`Check` objects, one per paper number or stated claim it compares
against, and :func:`verdict` turns them into exactly one of

=============  ==========================================================================
AGREES         every paper number compared lies within the stated tolerance and every
               qualitative claim the paper states holds (at least one number compared)
NUMBERS MISS   every qualitative claim holds, but some of the paper's numbers lie outside
               the tolerance (however many: the printed checks say how many)
SHAPE ONLY     every qualitative claim holds and the paper gives no number to compare
DIFFERS        a claim the paper states does not hold, or numbers are compared without any
               claim and some lie outside the tolerance
CALIBRATED     model constants were fitted to these very paper numbers (the item is marked
               calibrated, or every one of its checks is fitted), so agreement is by
               construction and shows nothing
=============  ==========================================================================

A check marked ``fitted`` compares a number that a model constant was chosen against: it is
printed (marked) but left out of the verdict, which rests on the out-of-sample checks only.
A check never skips a paper point: a point the model cannot produce is a failed check
with the reason in its `emulated` text.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "AGREES",
    "CALIBRATED",
    "DIFFERS",
    "NUMBERS_MISS",
    "SHAPE_ONLY",
    "VERDICTS",
    "Check",
    "claim",
    "count_verdicts",
    "number",
    "verdict",
]

AGREES, NUMBERS_MISS, SHAPE_ONLY = "AGREES", "NUMBERS MISS", "SHAPE ONLY"
DIFFERS, CALIBRATED = "DIFFERS", "CALIBRATED"
VERDICTS = (AGREES, NUMBERS_MISS, SHAPE_ONLY, DIFFERS, CALIBRATED)


@dataclass(frozen=True)
class Check:
    """One comparison with the paper.

    Attributes:
        what: the paper point or claim, with its source ("Table 5, 200 rounds: gain %").
        paper: the paper's number or words.
        emulated: the emulated number or what was observed.
        ok: the number lies within the tolerance / the claim holds.
        numeric: True for a paper number compared within `tolerance`, False for a claim.
        tolerance: the tolerance of a numeric check, in words ("±1.5 points", "±15 %").
        fitted: a model constant was chosen against this paper number; printed, not in the verdict.
    """

    what: str
    paper: str
    emulated: str
    ok: bool
    numeric: bool
    tolerance: str = ""
    fitted: bool = False


def _num(x: float) -> str:
    if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
        return "none" if math.isnan(x) else "inf"
    return format(x, ".4g")


def number(
    what: str,
    paper: float,
    emulated: float,
    *,
    rel: float | None = None,
    abs_: float | None = None,
    fitted: bool = False,
) -> Check:
    """A paper number and the emulated one, within `rel` (fraction of the paper's value) or
    `abs_` (same unit as the number); `fitted`: a model constant was chosen against it (kept out
    of the verdict). NaN/inf emulated values never agree."""
    if (rel is None) == (abs_ is None):
        raise ValueError("give exactly one of rel= or abs_= for a numeric check")
    if rel is not None:
        bound, tol = rel * abs(paper), f"±{100 * rel:g} %"
    else:
        bound, tol = float(abs_), f"±{abs_:g}"
    ok = math.isfinite(emulated) and abs(emulated - paper) <= bound + 1e-12
    return Check(what, _num(paper), _num(emulated), bool(ok), True, tol, fitted)


def claim(what: str, paper: str, holds: bool, emulated: str) -> Check:
    """A qualitative statement of the paper and whether the emulation shows it."""
    return Check(what, paper, emulated, bool(holds), False)


def verdict(checks: Sequence[Check], *, calibrated: bool = False) -> str:
    """The one verdict for an item's `checks` (rules in the module docstring)."""
    if not checks:
        raise ValueError("an item needs at least one check against its paper")
    out_of_sample = [c for c in checks if not c.fitted]
    if calibrated or not out_of_sample:
        return CALIBRATED
    claims = [c for c in out_of_sample if not c.numeric]
    numbers = [c for c in out_of_sample if c.numeric]
    if not all(c.ok for c in claims):
        return DIFFERS
    if numbers and all(c.ok for c in numbers):
        return AGREES
    if not claims:
        return DIFFERS
    return NUMBERS_MISS if numbers else SHAPE_ONLY


def count_verdicts(verdicts: Iterable[str]) -> dict[str, int]:
    """Number of items per verdict, every verdict listed (zeros included)."""
    counts = dict.fromkeys(VERDICTS, 0)
    for v in verdicts:
        counts[v] += 1
    return counts
