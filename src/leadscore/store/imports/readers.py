"""Stream the records of a CSV, JSON Lines or Parquet file as ``(line, fields)``.

A record that cannot be read on its own (a JSON line that is not an object, a CSV line with the
wrong number of fields) comes out as a :class:`RowProblem` instead of fields; a file that cannot be
read as a whole raises an :class:`ImportFileError` subclass.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from leadscore.store.imports.columns import ColumnPlan
from leadscore.store.imports.report import (
    EmptyFileError,
    MalformedFileError,
    RowProblem,
    TruncatedFileError,
)
from leadscore.store.imports.rows import show
from leadscore.store.imports.source import ByteSource, TextLines, check_encoding

Item = tuple[int, dict[str, Any] | RowProblem]
PARQUET_BATCH_ROWS = 20_000
CSV_FIELD_LIMIT = 64 * 1024 * 1024


class Reader(Protocol):
    def items(self) -> Iterator[Item]: ...

    def bytes_read(self) -> int: ...

    def close(self) -> None: ...


def delimiter_char(delimiter: str | None, fmt: str) -> str:
    if delimiter is None:
        return "\t" if fmt == "tsv" else ","
    text = {"\\t": "\t", "tab": "\t", "TAB": "\t"}.get(delimiter, delimiter)
    if len(text) != 1 or text in '\r\n"':
        raise MalformedFileError(
            f"the delimiter must be one character such as ',' ';' '|' or '\\t' (got {delimiter!r})"
        )
    return text


def open_reader(
    path: Path,
    fmt: str,
    plan: ColumnPlan,
    delimiter: str | None,
    encoding: str,
) -> Reader:
    if fmt == "parquet":
        return ParquetReader(path, plan)
    codec = check_encoding(encoding)
    if fmt == "jsonl":
        return JsonlReader(path, plan, codec)
    return CsvReader(path, plan, codec, delimiter_char(delimiter, fmt))


class CsvReader:
    """CSV or TSV with a header line; line numbers are physical lines (the header is line 1)."""

    def __init__(self, path: Path, plan: ColumnPlan, encoding: str, delimiter: str):
        self.path = path
        self.plan = plan
        self.delimiter = delimiter
        self.source = ByteSource(path)
        self.lines = TextLines(self.source, encoding, path.name)

    def bytes_read(self) -> int:
        return self.source.position

    def close(self) -> None:
        self.source.close()

    def items(self) -> Iterator[Item]:
        if csv.field_size_limit() < CSV_FIELD_LIMIT:
            csv.field_size_limit(CSV_FIELD_LIMIT)
        reader = csv.reader(self.lines, delimiter=self.delimiter, strict=True)
        name = self.path.name
        previous = 0  # the last physical line of the last record read
        try:
            header: list[str] | None = None
            for header_row in reader:
                previous = reader.line_num
                if any(header_row):
                    header = [c.strip() for c in header_row]
                    break
            if header is None:
                raise EmptyFileError(f"{name}: the file is empty (no header line)")
            names, extras = self.plan.for_header(header, self.delimiter)
            width = len(names)
            for row in reader:
                start, previous = previous + 1, reader.line_num
                if not any(row):
                    continue
                if len(row) != width:
                    yield (
                        start,
                        RowProblem(
                            name,
                            start,
                            "(line)",
                            f"{len(row)} fields",
                            f"has {len(row)} fields but the header has {width}; "
                            "check the quoting and the delimiter",
                        ),
                    )
                    continue
                fields = dict(zip(names, row, strict=False))  # same length, checked above
                for target, index in extras:
                    fields[target] = row[index]
                yield start, fields
        except csv.Error as exc:
            raise self._broken(exc, previous + 1, reader.line_num) from None

    def _broken(self, exc: csv.Error, start: int, line: int) -> Exception:
        name = self.path.name
        text = str(exc)
        if "unexpected end of data" in text:
            return TruncatedFileError(
                f"{name}: the file ends inside a quoted field that starts on line {start}; "
                "the file may be cut short, or a quote is not closed"
            )
        if "field larger than field limit" in text:
            return MalformedFileError(
                f"{name}: line {start}: a field is longer than {CSV_FIELD_LIMIT} characters; "
                "a quote is probably not closed"
            )
        if "new-line character" in text:
            return MalformedFileError(
                f"{name}: line {line}: a line break inside an unquoted field (a file with "
                "old Mac line endings?); save it with ordinary line endings"
            )
        return MalformedFileError(
            f"{name}: line {line}: malformed CSV ({text}); fields that contain the delimiter, "
            'quotes or line breaks must be quoted, with quotes inside them doubled ("")'
        )


class JsonlReader:
    """One JSON object per line; blank lines are skipped."""

    def __init__(self, path: Path, plan: ColumnPlan, encoding: str):
        self.path = path
        self.plan = plan
        self.source = ByteSource(path)
        self.lines = TextLines(self.source, encoding, path.name)

    def bytes_read(self) -> int:
        return self.source.position

    def close(self) -> None:
        self.source.close()

    def items(self) -> Iterator[Item]:
        name = self.path.name
        rows = 0
        loads = json.loads
        for text in self.lines:
            if not text or text.isspace():
                continue
            rows += 1
            line = self.lines.line
            try:
                record = loads(text)
            except json.JSONDecodeError as exc:
                if not self.lines.ends_with_newline:
                    raise TruncatedFileError(
                        f"{name}: the last line ({line}) is not valid JSON and has no final "
                        f"line break; the file looks cut short ({exc.msg})"
                    ) from None
                yield (
                    line,
                    RowProblem(
                        name,
                        line,
                        "(line)",
                        show(text.rstrip("\r\n")),
                        f"is not valid JSON ({exc.msg} at column {exc.colno})",
                    ),
                )
                continue
            if not isinstance(record, dict):
                yield (
                    line,
                    RowProblem(name, line, "(line)", show(record), "must be a JSON object {...}"),
                )
                continue
            yield line, self.plan.rename(record)
        if rows == 0:
            raise EmptyFileError(f"{name}: the file is empty (no JSON lines)")
        self.plan.after_rows(rows)


class ParquetReader:
    """A Parquet file, read in batches; "line" is the row number (1 = the first row)."""

    def __init__(self, path: Path, plan: ColumnPlan):
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.path = path
        self.plan = plan
        self._size = path.stat().st_size
        self._done = 0
        try:
            self.file = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise self._unreadable(exc) from None
        self._rows = max(self.file.metadata.num_rows, 1)

    def _unreadable(self, exc: Exception) -> Exception:
        name = self.path.name
        if self._size == 0:
            return EmptyFileError(f"{name}: the file is empty")
        return TruncatedFileError(
            f"{name}: cannot read it as Parquet; the file may be cut short or not Parquet ({exc})"
        )

    def bytes_read(self) -> int:
        return int(self._size * min(self._done / self._rows, 1.0))

    def close(self) -> None:
        self.file.close()

    def items(self) -> Iterator[Item]:
        import pyarrow as pa

        names, extras = self.plan.for_header(list(self.file.schema_arrow.names))
        row = 0
        try:
            for batch in self.file.iter_batches(batch_size=PARQUET_BATCH_ROWS):
                for values in _tuples(batch):
                    row += 1
                    fields = dict(zip(names, values, strict=True))
                    for target, index in extras:
                        fields[target] = values[index]
                    yield row, fields
                self._done = row
        except (pa.ArrowException, OSError) as exc:
            raise self._unreadable(exc) from None


def _tuples(batch: Any) -> Iterator[tuple[Any, ...]]:
    columns = [column.to_pylist() for column in batch.columns]
    return zip(*columns, strict=True)
