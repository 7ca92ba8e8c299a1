"""Problems found while loading a model: where, what, the bad value, what is allowed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadscore.errors import LeadscoreError

Path = tuple[str | int, ...]


def path_text(path: Path) -> str:
    """``("scores", "fit", "rules", 2, "within")`` -> ``scores.fit.rules[2].within``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def _short(value: Any) -> str:
    """A value as it is written in YAML (true, false, null), cut at 80 characters."""
    if isinstance(value, bool) or value is None:
        return {True: "true", False: "false", None: "null"}[value]
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


@dataclass(frozen=True)
class Problem:
    message: str
    path: Path = ()
    file: str = "<model>"
    line: int | None = None
    column: int | None = None
    value: Any = field(default=None, compare=False)
    has_value: bool = False
    allowed: tuple[str, ...] = ()
    suggestion: str | None = None

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def __str__(self) -> str:
        text = f"{self.location()}: {path_text(self.path)}: {self.message}"
        # a text value the message already quotes is not repeated
        repeated = isinstance(self.value, str) and repr(self.value) in self.message
        if self.has_value and not repeated:
            text += f" (got {_short(self.value)})"
        if self.allowed:
            shown = ", ".join(self.allowed[:20]) + (", ..." if len(self.allowed) > 20 else "")
            text += f"; allowed: {shown}"
        if self.suggestion:
            text += f". Did you mean '{self.suggestion}'?"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "path": path_text(self.path),
            "message": self.message,
            "value": self.value if self.has_value else None,
            "allowed": list(self.allowed),
            "suggestion": self.suggestion,
        }


class ModelError(LeadscoreError):
    """A model that does not load: every problem found, each with its place."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.line or 0, p.column or 0))
        count = len(self.problems)
        head = f"the model has {count} problem{'s' if count != 1 else ''}"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))
