"""Compile the contact scores of a model, as of a time T."""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from leadscore.compile.assemble import Compiled, assemble
from leadscore.compile.context import Context
from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.sources import Sources
from leadscore.compile.sqlutil import integer
from leadscore.model.spec import Model


def _id_filter(column: exp.Expr, ids: Sequence[str] | exp.Expr) -> exp.Expr:
    if isinstance(ids, exp.Expr):  # a query selecting the ids
        return exp.In(this=column, query=exp.Subquery(this=ids.copy()))
    return exp.In(this=column, expressions=[exp.Literal.string(i) for i in ids])


def compile_contacts(
    model: Model,
    as_of_us: int,
    dialect: str | Dialect = "duckdb",
    sources: Sources | None = None,
    contact_ids: Sequence[str] | exp.Expr | None = None,
    breakdown: bool = True,
    gate_min_count: bool = True,
    rules_only: bool = False,
) -> Compiled:
    """The query that scores every contact that exists at ``as_of_us`` (or only ``contact_ids``:
    a list of ids or a query selecting them).

    Contacts created after T do not exist yet; events after T do not count. Without
    ``breakdown`` the query gives only scores, total, grades and stage (for bulk exports).
    Without ``gate_min_count`` event rules ignore their ``min_count``, and with ``rules_only``
    the query gives each rule's results rather than scores (both for
    :func:`leadscore.compile.incremental.compile_merge`).
    """
    sources = sources or Sources()
    ctx = Context(dialect=get_dialect(dialect), as_of_us=as_of_us, gate_min_count=gate_min_count)
    created = exp.column("created_at_us", "c")
    exists = exp.Or(
        this=exp.Is(this=created, expression=exp.Null()),
        expression=exp.LTE(this=created.copy(), expression=integer(as_of_us)),
    )
    where: exp.Expr = exp.Paren(this=exists)
    events_filter = None
    if contact_ids is not None:
        where = exp.And(
            this=where, expression=_id_filter(exp.column("contact_id", "c"), contact_ids)
        )
        events_filter = _id_filter(exp.column("contact_id", "e"), contact_ids)
    base = (
        exp.select(
            exp.column("contact_id", "c").as_("contact_id"),
            exp.column("account_id", "c").as_("account_id"),
            exp.column("created_at_us", "c").as_("created_at_us"),
        )
        .from_(exp.alias_(sources.table("contacts"), "c", table=True))
        .where(where)
    )
    compiled = assemble(
        model,
        ctx,
        key="contact_id",
        base=base,
        passthrough=["account_id"],
        events_source=sources.table("events"),
        events_filter=events_filter,
        breakdown=breakdown,
        rules_only=rules_only,
    )
    compiled.entity = "contacts"
    return compiled
