"""Imports: CSV (also .tsv and .csv.gz), JSON Lines and Parquet files into a store.

See docs/importing.md. :func:`import_file` is the entry point; :mod:`.rows` holds the rules every
row follows, whichever way it comes in (files, DataFrames, the HTTP API).
"""

from leadscore.store.imports.importer import import_file
from leadscore.store.imports.report import (
    DelimiterError,
    EmptyFileError,
    FileEncodingError,
    ImportFileError,
    ImportReport,
    MalformedFileError,
    MissingColumnsError,
    RowProblem,
    TruncatedFileError,
)
from leadscore.store.imports.rows import RowError

__all__ = [
    "DelimiterError",
    "EmptyFileError",
    "FileEncodingError",
    "ImportFileError",
    "ImportReport",
    "MalformedFileError",
    "MissingColumnsError",
    "RowError",
    "RowProblem",
    "TruncatedFileError",
    "import_file",
]
