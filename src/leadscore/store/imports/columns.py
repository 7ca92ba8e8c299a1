"""Which source column feeds which field: the header check and the ``--map target=source`` plan.

A mapping renames: ``{"contact_id": "Email"}`` reads the field ``contact_id`` from the column
``Email`` (which is then not also kept under its own name). One column may feed several fields
(``{"contact_id": "Email", "email": "Email"}``). Columns that are not mapped keep their names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from leadscore.errors import LeadscoreError, did_you_mean
from leadscore.store.imports.report import (
    DelimiterError,
    MalformedFileError,
    MissingColumnsError,
)

_OTHER_DELIMITERS = {";": "';'", "\t": "'\\t'", "|": "'|'"}


def _listing(columns: Iterable[str], limit: int = 30) -> str:
    names = [c for c in columns if c]
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class ColumnPlan:
    """The mapping and required fields of one import, applied to a header or to each row."""

    def __init__(self, file: str, required: tuple[str, ...], mapping: Mapping[str, str] | None):
        self.file = file
        self.required = required
        self.mapping = dict(mapping or {})
        for target, source in self.mapping.items():
            if not target or not source:
                raise LeadscoreError(
                    f"--map needs target=source with both names (got {target!r}={source!r})"
                )
        self.sources = set(self.mapping.values())
        self._outstanding = set(self.sources) | set(self.required)
        self._seen_keys: dict[str, None] = {}

    # Files with a header (CSV, Parquet) -------------------------------------------------------

    def for_header(
        self, columns: list[str], delimiter: str | None = None
    ) -> tuple[list[str], list[tuple[str, int]]]:
        """Field name per column (``""`` for an unnamed column) and extra ``(field, column)``
        pairs for columns that feed more than one field."""
        seen: set[str] = set()
        for column in columns:
            if column and column in seen:
                raise MalformedFileError(f"{self.file}: the column '{column}' appears twice")
            seen.add(column)
        for target, source in self.mapping.items():
            if source not in seen:
                raise MissingColumnsError(
                    f"{self.file}: --map {target}={source}: there is no column '{source}'."
                    + did_you_mean(source, seen)
                    + f" The columns are: {_listing(columns)}"
                )
        self._check_conflicts(seen)
        fields = set(seen - self.sources) | set(self.mapping)
        missing = [r for r in self.required if r not in fields]
        if missing:
            raise self._missing_error(missing, columns, delimiter)
        names: list[str] = []
        extras: list[tuple[str, int]] = []
        targets_of: dict[str, list[str]] = {}
        for target, source in self.mapping.items():
            targets_of.setdefault(source, []).append(target)
        for index, column in enumerate(columns):
            targets = targets_of.get(column, [column])
            names.append(targets[0])
            extras.extend((t, index) for t in targets[1:])
        return names, extras

    def _check_conflicts(self, present: Iterable[str]) -> None:
        for target, source in self.mapping.items():
            if target in present and target not in self.sources and target != source:
                raise MalformedFileError(
                    f"{self.file}: the file has a column '{target}' and --map also reads "
                    f"{target} from '{source}'; map the existing column elsewhere "
                    f"(--map old_{target}={target}) or drop one of them"
                )

    def _missing_error(
        self, missing: list[str], columns: list[str], delimiter: str | None
    ) -> LeadscoreError:
        if delimiter is not None and len(columns) == 1:
            for char, shown in _OTHER_DELIMITERS.items():
                if char != delimiter and char in columns[0]:
                    return DelimiterError(
                        f"{self.file}: the header has a single column {columns[0][:60]!r} and no "
                        f"{', '.join(missing)} column; is the delimiter {shown}? "
                        f"use --delimiter {shown}"
                    )
        hints = "".join(did_you_mean(m, columns) for m in missing)
        plural = "s" if len(missing) > 1 else ""
        return MissingColumnsError(
            f"{self.file}: required column{plural} missing: {', '.join(missing)}.{hints} "
            f"The columns are: {_listing(columns) or '(none)'}. "
            f"Name a column with --map {missing[0]}=COLUMN"
        )

    # Files without a header (JSON Lines) --------------------------------------------------------

    def rename(self, record: dict[str, Any]) -> dict[str, Any]:
        """Apply the mapping to one JSON object, remembering which names have been seen."""
        if len(self._seen_keys) < 200:
            self._seen_keys.update(dict.fromkeys(record))
        if self._outstanding:
            self._outstanding -= {name for name in self._outstanding if name in record}
        if not self.mapping:
            return record
        out = {k: v for k, v in record.items() if k not in self.sources}
        self._check_conflicts(out)
        for target, source in self.mapping.items():
            if source in record:
                out[target] = record[source]
        return out

    def after_rows(self, rows_read: int) -> None:
        """File-level checks once every object has been read: mapped and required names that
        appear in no object at all."""
        if rows_read == 0:
            return
        seen = list(self._seen_keys)
        for target, source in self.mapping.items():
            if source in self._outstanding:
                raise MissingColumnsError(
                    f"{self.file}: --map {target}={source}: no line has a field '{source}'."
                    + did_you_mean(source, seen)
                    + f" Fields seen: {_listing(seen)}"
                )
        missing = [r for r in self.required if not self._present(r)]
        if missing:
            raise self._missing_error(missing, seen, None)

    def _present(self, name: str) -> bool:
        source = self.mapping.get(name)
        return (source if source is not None else name) not in self._outstanding
