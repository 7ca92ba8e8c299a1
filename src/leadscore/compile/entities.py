"""Compile account and deal scores: their own attribute rules plus roll-ups of contact scores."""

from __future__ import annotations

from sqlglot import exp

from leadscore.compile.assemble import Compiled, assemble
from leadscore.compile.contacts import compile_contacts
from leadscore.compile.context import Context
from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.sources import Sources
from leadscore.compile.sqlutil import integer
from leadscore.errors import LeadscoreError
from leadscore.model.spec import Model

CONTACT_SCORES = "cs"


def _exists(alias: str, as_of_us: int) -> exp.Expr:
    created = exp.column("created_at_us", alias)
    return exp.Paren(
        this=exp.Or(
            this=exp.Is(this=created, expression=exp.Null()),
            expression=exp.LTE(this=created.copy(), expression=integer(as_of_us)),
        )
    )


def compile_entity(
    model: Model,
    entity: str,
    as_of_us: int,
    dialect: str | Dialect = "duckdb",
    sources: Sources | None = None,
    contact_scores: str | None = None,
) -> Compiled:
    """Scores of ``entity`` ("accounts" or "deals") as of T.

    ``contact_scores`` names a table of already computed contact scores (same T); without it the
    contact query is embedded.
    """
    section = model.sections().get(entity)
    if section is None or entity == "contacts":
        raise LeadscoreError(f"the model '{model.name}' has no {entity} section")
    sources = sources or Sources()
    key = "account_id" if entity == "accounts" else "deal_id"
    contacts_rel: exp.Expr = exp.to_table(contact_scores or CONTACT_SCORES)

    def members(columns: list[str]) -> exp.Select:
        picked = [exp.column(c, CONTACT_SCORES).as_(c) for c in columns]
        if entity == "accounts":
            return (
                exp.select(exp.column("account_id", CONTACT_SCORES).as_(key), *picked)
                .from_(exp.alias_(contacts_rel.copy(), CONTACT_SCORES, table=True))
                .where(
                    exp.Not(
                        this=exp.Is(
                            this=exp.column("account_id", CONTACT_SCORES), expression=exp.Null()
                        )
                    )
                )
            )
        links = exp.select("deal_id", "contact_id").distinct().from_(sources.table("deal_contacts"))
        return (
            exp.select(exp.column("deal_id", "dc").as_(key), *picked)
            .from_(exp.Subquery(this=links, alias=exp.TableAlias(this=exp.to_identifier("dc"))))
            .join(
                exp.alias_(contacts_rel.copy(), CONTACT_SCORES, table=True),
                on=exp.EQ(
                    this=exp.column("contact_id", CONTACT_SCORES),
                    expression=exp.column("contact_id", "dc"),
                ),
            )
        )

    ctx = Context(
        dialect=get_dialect(dialect), as_of_us=as_of_us, key=key, members=members, model=model
    )
    passthrough = ["account_id"] if entity == "deals" else []
    alias = "a" if entity == "accounts" else "d"
    base = (
        exp.select(
            exp.column(key, alias).as_(key),
            *[exp.column(c, alias).as_(c) for c in passthrough],
            exp.column("created_at_us", alias).as_("created_at_us"),
        )
        .from_(exp.alias_(sources.table(entity), alias, table=True))
        .where(_exists(alias, as_of_us))
    )
    compiled = assemble(section, ctx, key=key, base=base, passthrough=passthrough, base_alias=alias)
    compiled.entity = entity
    if not contact_scores:
        # the contact scores, computed once, as the first CTE of the query
        contacts_query = compile_contacts(model, as_of_us, dialect, sources).query
        with_ = compiled.query.args["with_"]
        first = exp.CTE(
            this=contacts_query, alias=exp.TableAlias(this=exp.to_identifier(CONTACT_SCORES))
        )
        with_.set("expressions", [first, *with_.expressions])
    return compiled
