"""Commands that move data in and out: import, export."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from leadscore.cli.app import Entity, WorkspaceOpt, _workspace, app, fail
from leadscore.cli.output import Format, emit

if TYPE_CHECKING:
    from leadscore.store.imports import ImportReport, RowProblem

SHOWN_PROBLEMS = 20
PROGRESS_MIN_BYTES = 1 << 20


class Kind(StrEnum):
    contacts = "contacts"
    events = "events"
    outcomes = "outcomes"
    accounts = "accounts"
    deals = "deals"


class InputFormat(StrEnum):
    csv = "csv"
    tsv = "tsv"
    jsonl = "jsonl"
    parquet = "parquet"


class ExportFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


def _mapping(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        target, sep, source = pair.partition("=")
        if not sep or not target.strip() or not source.strip():
            fail(f"--map takes target=source, for example --map contact_id=Email (got {pair!r})")
        if target.strip() in out:
            fail(f"--map sets {target.strip()} twice")
        out[target.strip()] = source.strip()
    return out


@app.command(name="import")
def import_(
    kind: Annotated[Kind, typer.Argument(help="What the file holds.")],
    file: Annotated[Path, typer.Argument(help="CSV, TSV, .csv.gz, JSON Lines or Parquet file.")],
    fmt: Annotated[
        InputFormat | None,
        typer.Option("--format", help="Input format (default: from the extension)."),
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map", metavar="TARGET=SOURCE", help="Read a field from another column (repeat)."
        ),
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="CSV delimiter (default ',' and tab for .tsv).")
    ] = None,
    encoding: Annotated[str, typer.Option(help="Text encoding of CSV and JSON Lines.")] = "utf-8",
    rejects: Annotated[
        Path | None,
        typer.Option(help="Write every rejected row (file, line, field, value, reason) as CSV."),
    ] = None,
    workspace: WorkspaceOpt = Path("."),
    output: Annotated[
        Format, typer.Option("--format-output", "-f", help="Summary format.")
    ] = Format.table,
) -> None:
    """Import contacts, events, outcomes, accounts or deals from a file.

    Good rows are stored, bad rows are reported with their line; a broken file changes nothing.
    Importing the same file twice adds nothing.

    Example: leadscore import contacts hubspot.csv --map contact_id=Email --map email=Email
    """
    from leadscore.store.imports import import_file

    mapping = _mapping(map_)
    ws = _workspace(workspace)
    writer = _RejectsWriter(rejects) if rejects else None
    try:
        with ws.store() as store, _progress(file) as progress:
            report = import_file(
                store,
                kind.value,
                file,
                fmt=fmt.value if fmt else None,
                mapping=mapping,
                delimiter=delimiter,
                encoding=encoding,
                progress=progress,
                on_reject=writer.write if writer else None,
            )
    except BaseException:
        if writer:
            writer.discard()
        raise
    if writer:
        writer.commit()
    _show(report, output, rejects)


def _show(report: ImportReport, output: Format, rejects: Path | None) -> None:
    if output is Format.json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    columns = ["read", "accepted", "inserted", "updated", "duplicates", "rejected"]
    emit([report.summary()], output, columns=columns, title=f"Imported {report.kind}")
    if output is not Format.table or not report.rejected:
        return
    shown = [p.as_dict() for p in report.problems[:SHOWN_PROBLEMS]]
    more = f" (first {len(shown)} of {report.rejected})" if report.rejected > len(shown) else ""
    emit(shown, Format.table, columns=["line", "field", "value", "reason"], title="Rejected" + more)
    if rejects:
        typer.echo(f"every rejected row is in {rejects}", err=True)


class _RejectsWriter:
    """Rejected rows as CSV, written to a temporary file and renamed when the import succeeds."""

    def __init__(self, path: Path):
        import csv

        self.path = path
        self.temp = path.with_name(f".{path.name}.part")
        try:
            self.handle = self.temp.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            fail(f"--rejects: cannot write {path}: {exc.strerror}")
        self.writer = csv.writer(self.handle, lineterminator="\n")
        self.writer.writerow(["file", "line", "field", "value", "reason"])

    def write(self, problem: RowProblem) -> None:
        self.writer.writerow(
            [problem.file, problem.line, problem.field, problem.value, problem.reason]
        )

    def commit(self) -> None:
        self.handle.close()
        self.temp.replace(self.path)

    def discard(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


@contextlib.contextmanager
def _progress(file: Path) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on standard error (bytes read) for files over 1 MB."""
    size = file.stat().st_size if file.is_file() else 0
    if size < PROGRESS_MIN_BYTES:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"importing {file.name}", total=size)

        def update(done: int) -> None:
            bar.update(task, completed=done)

        yield update


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="File to write (.csv, .csv.gz, .jsonl, .parquet).")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option("--format", help="Output format (default: from the extension)."),
    ] = None,
    grade: Annotated[list[str] | None, typer.Option(help="Only these grades (repeat).")] = None,
    stage: Annotated[list[str] | None, typer.Option(help="Only these stages (repeat).")] = None,
    min_score: Annotated[float | None, typer.Option(help="Only totals at or above.")] = None,
    entity: Annotated[Entity, typer.Option(help="Contacts, accounts or deals.")] = Entity.contacts,
    limit: Annotated[int | None, typer.Option(min=0, help="At most this many rows.")] = None,
    workspace: WorkspaceOpt = Path("."),
) -> None:
    """Export the scored leads of the last scoring run, best first, for a CRM or an ad platform.

    Columns: id, account_id, email, total, each score, grade, stage, matrix, reasons, as_of,
    model. The file appears only when complete.

    Example: leadscore export hot-leads.csv --grade hot --min-score 70
    """
    from leadscore.store.export import export_scores

    ws = _workspace(workspace)
    model = ws.load_model()
    with ws.store(read_only=True) as store:
        n = export_scores(
            store,
            model,
            out,
            fmt=fmt.value if fmt else None,
            entity=entity.value,
            grade=grade,
            stage=stage,
            min_score=min_score,
            limit=limit,
        )
    typer.echo(f"wrote {n} {entity.value} to {out}")
