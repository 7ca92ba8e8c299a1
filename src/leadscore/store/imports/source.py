"""Opening an input file: its format, gzip, and decoded physical lines with their numbers.

Text is decoded in chunks and split at ``\\n`` only (``\\r\\n`` stays at the end of its line), so
line numbers are the physical line numbers an editor shows. A byte that is not valid in the
declared encoding stops the import with its line and byte offset.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, NoReturn

from leadscore.errors import LeadscoreError, did_you_mean, one_of
from leadscore.store.imports.report import FileEncodingError, MalformedFileError, TruncatedFileError

FORMATS = ("csv", "tsv", "jsonl", "parquet")
FORMAT_ALIASES = {"ndjson": "jsonl", "json": "jsonl", "pq": "parquet"}
_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
CHUNK_BYTES = 1 << 20
GZIP_MAGIC = b"\x1f\x8b"


def choose_format(path: Path, fmt: str | None) -> str:
    """The format named by ``fmt`` or, without it, by the file's extension."""
    if fmt is not None:
        name = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
        if name not in FORMATS:
            raise LeadscoreError(
                f"unknown format '{fmt}'; use {one_of(FORMATS)}." + did_you_mean(fmt, FORMATS)
            )
        return name
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise LeadscoreError(
        f"{path.name}: cannot tell the format from the extension; name the file .csv, .tsv, "
        ".csv.gz, .jsonl, .ndjson or .parquet, or pass the format (--format csv)"
    )


def check_encoding(encoding: str) -> str:
    """The codec to decode with (``utf-8`` also skips a byte-order mark)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise LeadscoreError(
            f"unknown encoding '{encoding}' (for example utf-8, latin-1, cp1252, utf-16)"
        ) from None
    return "utf-8-sig" if name == "utf-8" else name


class ByteSource:
    """A file opened for reading bytes, transparently gunzipped, counting bytes read from disk."""

    def __init__(self, path: Path):
        self.path = path
        self._file = path.open("rb")
        head = self._file.read(2)
        self._file.seek(0)
        self.stream: BinaryIO = self._file
        if head == GZIP_MAGIC:
            self.stream = gzip.GzipFile(fileobj=self._file, mode="rb")  # type: ignore[assignment]

    @property
    def position(self) -> int:
        return self._file.tell()

    def read(self, size: int) -> bytes:
        try:
            return self.stream.read(size)
        except EOFError:
            raise TruncatedFileError(
                f"{self.path.name}: the compressed file is cut short (gzip data ends early)"
            ) from None
        except (gzip.BadGzipFile, zlib.error) as exc:
            raise MalformedFileError(f"{self.path.name}: not a valid gzip file ({exc})") from None

    def close(self) -> None:
        if self.stream is not self._file:
            self.stream.close()
        self._file.close()


class TextLines:
    """Iterate the decoded physical lines of a file, each ending with its ``\\n`` (the last one
    may not). ``line`` is the number of lines produced so far."""

    def __init__(self, source: ByteSource, encoding: str, name: str):
        self.source = source
        self.encoding = encoding
        self.name = name
        self.line = 0
        self.ends_with_newline = True
        self._offset = 0  # decoded bytes handed to the decoder before the current chunk

    def __iter__(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        pending = ""
        while True:
            chunk = self.source.read(CHUNK_BYTES)
            final = not chunk
            buffered = len(decoder.getstate()[0])
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                self._fail(exc, buffered, pending)
            self._offset += len(chunk)
            if text:
                parts = (pending + text).split("\n")
                pending = parts.pop()
                for part in parts:
                    self.line += 1
                    yield part + "\n"
            if final:
                break
        if pending:
            self.ends_with_newline = False
            self.line += 1
            yield pending

    def _fail(self, exc: UnicodeDecodeError, buffered: int, pending: str) -> NoReturn:
        data = exc.object
        good = data[: exc.start]
        prefix = good.decode(self.encoding, errors="replace") if good else ""
        line = self.line + 1 + (pending + prefix).count("\n")
        offset = self._offset - buffered + exc.start
        bad = bytes(data[exc.start : min(exc.end, exc.start + 4)]).hex(" ")
        raise FileEncodingError(
            f"{self.name}: line {line} is not valid {self.encoding.removesuffix('-sig')} "
            f"(bytes {bad} at byte offset {offset}); "
            "pass the file's encoding, for example --encoding cp1252 or --encoding latin-1"
        )
