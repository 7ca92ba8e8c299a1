"""Errors that users can act on.

Every error raised for bad input derives from :class:`LeadscoreError`. Adapters (CLI, HTTP) show
its message in one line and never a traceback; anything else is a bug.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class LeadscoreError(Exception):
    """A problem with the user's input or environment, explained in ``str(self)``."""


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` when a close match exists, else an empty string."""
    if not isinstance(value, str):
        return ""
    options = sorted(set(choices))
    matches = difflib.get_close_matches(value, options, n=1, cutoff=0.6)
    if not matches:
        lowered = {o.lower(): o for o in options}
        if value.lower() in lowered:
            matches = [lowered[value.lower()]]
    return f" Did you mean '{matches[0]}'?" if matches else ""


def one_of(choices: Iterable[str]) -> str:
    """Format the allowed values of a choice for a message: ``'a', 'b' or 'c'``."""
    quoted = [f"'{c}'" for c in sorted(set(choices))]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]
