"""Numbers for people: rounded to what the sample supports, shared by terminal and HTML.

No false precision: rates show one decimal of a percent, AUCs three decimals (two when there
are fewer than 30 conversions), counts that can be fractional (ties shared across a decile
cut) one decimal, and every undefined value a dash.
"""

from __future__ import annotations

import math
from typing import Any

from leadscore.evaluate.stats import FEW_POSITIVES, Interval

DASH = "-"


def defined(value: Any) -> bool:
    if value is None:
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def pct(value: Any, digits: int = 1) -> str:
    return f"{float(value) * 100:.{digits}f}%" if defined(value) else DASH


def pct_interval(interval: Interval, digits: int = 1) -> str:
    if not defined(interval.estimate):
        return DASH
    if not defined(interval.low):
        return pct(interval.estimate, digits)
    return (
        f"{pct(interval.estimate, digits)} "
        f"({float(interval.low) * 100:.{digits}f}-{float(interval.high) * 100:.{digits}f})"
    )


def auc_digits(positives: int) -> int:
    return 2 if positives < FEW_POSITIVES else 3


def number(value: Any, digits: int = 3) -> str:
    return f"{float(value):.{digits}f}" if defined(value) else DASH


def with_interval(interval: Interval, digits: int = 3) -> str:
    if not defined(interval.estimate):
        return DASH
    if not defined(interval.low):
        return number(interval.estimate, digits)
    return (
        f"{number(interval.estimate, digits)} "
        f"({number(interval.low, digits)}-{number(interval.high, digits)})"
    )


def signed(value: Any, digits: int = 3, percent: bool = False) -> str:
    if not defined(value):
        return DASH
    v = float(value) * (100 if percent else 1)
    unit = " pts" if percent else ""
    return f"{v:+.{digits}f}{unit}"


def count(value: Any) -> str:
    """An integer, or one decimal when fractional (a tie shared across a cut)."""
    if not defined(value):
        return DASH
    v = float(value)
    if abs(v - round(v)) < 1e-9:
        return f"{round(v):,}"
    return f"{v:,.1f}"


def lift(value: Any) -> str:
    return f"{float(value):.1f}x" if defined(value) else DASH


def score(value: Any) -> str:
    """A score or threshold: up to three significant decimals, no trailing zeros."""
    if not defined(value):
        return DASH
    v = float(value)
    text = f"{v:.2f}" if abs(v) >= 1 else f"{v:.3g}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def days(value: Any) -> str:
    if not defined(value):
        return DASH
    v = float(value)
    return f"{v:.1f} d" if v < 10 else f"{v:.0f} d"
