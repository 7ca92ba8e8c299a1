"""What an import did (the report) and why it could not (the file-level errors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from leadscore.errors import LeadscoreError

MAX_DETAILED_PROBLEMS = 1000


class ImportFileError(LeadscoreError):
    """The file as a whole cannot be imported; nothing was written."""


class FileEncodingError(ImportFileError):
    """The file's bytes are not valid in the declared encoding."""


class TruncatedFileError(ImportFileError):
    """The file ends in the middle of a record (an open quote, half a JSON line, a cut Parquet)."""


class DelimiterError(ImportFileError):
    """The header looks like it uses another delimiter."""


class EmptyFileError(ImportFileError):
    """No header and no rows."""


class MissingColumnsError(ImportFileError):
    """Required columns are absent (or a mapping names a column the file does not have)."""


class MalformedFileError(ImportFileError):
    """The file is not valid in its format (broken quoting, an unreadable Parquet file...)."""


@dataclass(frozen=True)
class RowProblem:
    """One rejected row: where it is, which field, the value and the reason."""

    file: str
    line: int
    field: str
    value: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.reason} (got {self.value})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "field": self.field,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass
class ImportReport:
    """Counts of one import. They reconcile: ``read = accepted + rejected + duplicates``, and
    ``accepted = inserted + updated`` (only contacts, accounts and deals are ever updated)."""

    kind: str
    file: str
    format: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def accepted(self) -> int:
        return self.inserted + self.updated

    def reconciles(self) -> bool:
        return self.read == self.accepted + self.rejected + self.duplicates

    def add_problem(self, problem: RowProblem) -> None:
        self.rejected += 1
        if len(self.problems) < MAX_DETAILED_PROBLEMS:
            self.problems.append(problem)

    @property
    def rows_per_second(self) -> float:
        return self.read / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file,
            "format": self.format,
            "read": self.read,
            "accepted": self.accepted,
            "inserted": self.inserted,
            "updated": self.updated,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 3),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "problems": [p.as_dict() for p in self.problems],
            "problems_shown": len(self.problems),
        }
