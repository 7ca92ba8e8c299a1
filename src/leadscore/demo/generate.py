"""Generate the demo data set: :func:`generate` (all at once) or :func:`generate_parts` (streamed).

Contacts are made in fixed chunks, each from its own random stream derived from the seed, so the
data depends only on the parameters, never on how it is consumed. See docs/demo-data.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from leadscore.timeutil import to_us

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from leadscore.demo.catalog import Catalog
    from leadscore.demo.people import Accounts, Window

DEFAULT_END = datetime(2025, 6, 30, tzinfo=UTC)
DEFAULT_END_US = 1_751_241_600_000_000  # DEFAULT_END in epoch microseconds (a test checks)
CHUNK = 50_000  # contacts per chunk (fixed: changing it changes the data)
# Bump when a change to the generator changes the data: cached demo databases are rebuilt.
DATA_VERSION = 1
PILOT = 20_000  # contacts simulated to find the intensity that gives ``events_per_contact``
# Random streams: SeedSequence([seed, stream, chunk]).
_ACCOUNTS, _CONTACTS, _PILOT, _DEALS = 0, 1, 2, 3
# The hidden truth per contact: (column, SQL type, nullable).
TRUTH_COLUMNS = (
    ("contact_id", "VARCHAR", False),
    ("intent", "DOUBLE", False),
    ("fit", "DOUBLE", False),
    ("hazard_per_day", "DOUBLE", False),
    ("p_convert_90d", "DOUBLE", False),
    ("converted_at_us", "BIGINT", True),
)


@dataclass(frozen=True)
class DemoSpec:
    """The parameters that decide the data (same spec, same tables)."""

    contacts: int = 5000
    seed: int = 7
    end_us: int = DEFAULT_END_US
    days: int = 365
    accounts: int | None = None
    events_per_contact: float | None = None
    version: int = DATA_VERSION

    @property
    def n_accounts(self) -> int:
        return self.accounts if self.accounts is not None else max(1, self.contacts // 5)


@dataclass(frozen=True)
class DemoData:
    """Store tables (exactly the store schema's columns) plus the hidden ``truth``."""

    contacts: pa.Table
    events: pa.Table
    outcomes: pa.Table
    accounts: pa.Table
    deals: pa.Table
    deal_contacts: pa.Table
    truth: pa.Table
    spec: DemoSpec

    def tables(self) -> dict[str, pa.Table]:
        """The store tables by name (``truth`` is not one of them)."""
        return {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("truth", "spec")
        }


def truth_schema() -> pa.Schema:
    import pyarrow as pa

    types = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64()}
    return pa.schema([pa.field(n, types[t], null) for n, t, null in TRUTH_COLUMNS])


def _empty(spec: DemoSpec, **tables: pa.Table) -> DemoData:
    from leadscore.store.bulk import arrow_schema

    names = ("contacts", "events", "outcomes", "accounts", "deals", "deal_contacts")
    parts = {n: tables.get(n, arrow_schema(n).empty_table()) for n in names}
    truth = tables.get("truth", truth_schema().empty_table())
    return DemoData(**parts, truth=truth, spec=spec)


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    import numpy as np

    return np.random.default_rng(np.random.SeedSequence([seed, stream, chunk]))


def make_spec(
    contacts: int = 5000,
    seed: int = 7,
    end: datetime | int = DEFAULT_END,
    days: int = 365,
    accounts: int | None = None,
    events_per_contact: float | None = None,
) -> DemoSpec:
    problems = []
    if contacts < 1:
        problems.append(f"contacts must be at least 1, got {contacts}")
    if days < 1:
        problems.append(f"days must be at least 1, got {days}")
    if accounts is not None and accounts < 1:
        problems.append(f"accounts must be at least 1 (or None for contacts // 5), got {accounts}")
    if events_per_contact is not None and not events_per_contact > 0:
        problems.append(f"events_per_contact must be positive, got {events_per_contact}")
    if seed < 0:
        problems.append(f"seed must be a non-negative integer, got {seed}")
    if problems:
        raise ValueError("; ".join(problems))
    return DemoSpec(contacts, seed, to_us(end), days, accounts, events_per_contact)


def generate(
    contacts: int = 5000,
    seed: int = 7,
    end: datetime | int = DEFAULT_END,
    days: int = 365,
    accounts: int | None = None,
    *,
    events_per_contact: float | None = None,
) -> DemoData:
    """A synthetic B2B SaaS funnel: ``contacts`` leads over the ``days`` before ``end``.

    ``end`` is a UTC datetime (naive means UTC) or epoch microseconds; ``accounts`` defaults to
    one company per five contacts; ``events_per_contact`` scales activity to about that many
    events per contact (default: the natural rate, about 18 with the default window).
    """
    import pyarrow as pa

    spec = make_spec(contacts, seed, end, days, accounts, events_per_contact)
    parts = list(generate_parts(spec))
    merged = {}
    for f in fields(DemoData):
        if f.name != "spec":
            merged[f.name] = pa.concat_tables([getattr(p, f.name) for p in parts])
    merged["events"] = merged["events"].sort_by([("ts_us", "ascending"), ("event_id", "ascending")])
    return DemoData(**merged, spec=spec)


def generate_parts(spec: DemoSpec) -> Iterator[DemoData]:
    """The data in parts: accounts first, then one part per chunk of contacts, then deals.

    Concatenating the parts gives :func:`generate`'s tables (events in another order).
    """
    from leadscore.demo.catalog import make_catalog
    from leadscore.demo.deals import Converted, make_deals
    from leadscore.demo.people import DAY_US, Window, account_attributes, make_accounts
    from leadscore.demo.tables import accounts_table, contacts_part

    window = Window(spec.end_us - spec.days * DAY_US, spec.end_us)
    accounts = make_accounts(_rng(spec.seed, _ACCOUNTS), spec.n_accounts, window)
    yield _empty(spec, accounts=accounts_table(accounts, account_attributes(accounts), window))
    catalog = make_catalog(window)
    intensity = _intensity(spec, accounts, window, catalog)
    event_offset = 0
    converted: list[Converted] = []
    for chunk, first in enumerate(range(0, spec.contacts, CHUNK)):
        n = min(CHUNK, spec.contacts - first)
        rng = _rng(spec.seed, _CONTACTS, chunk)
        tables, conv = contacts_part(
            rng, spec.seed, accounts, window, catalog, intensity, first, n, event_offset
        )
        event_offset += tables["events"].num_rows
        converted.append(conv)
        yield _empty(spec, **tables)
    deals, links, outcomes = make_deals(
        _rng(spec.seed, _DEALS), Converted.concat(converted), accounts, window
    )
    yield _empty(spec, deals=deals, deal_contacts=links, outcomes=outcomes)


def _intensity(spec: DemoSpec, accounts: Accounts, window: Window, catalog: Catalog) -> float:
    """The factor on activity rates that gives about ``spec.events_per_contact`` events.

    Simulates a pilot population (its own random stream): scaled processes grow linearly with
    the factor, once-only events (sign-ups, unsubscribes, bounces) do not.
    """
    if spec.events_per_contact is None:
        return 1.0
    from leadscore.demo.behaviour import make_events, make_latent
    from leadscore.demo.people import make_people

    n = min(spec.contacts, PILOT)
    wanted = spec.events_per_contact * n
    intensity = 1.0
    for _ in range(2):  # a second round corrects for unsubscribes cutting email short
        rng = _rng(spec.seed, _PILOT)
        people = make_people(rng, accounts, 0, n, window)
        latent = make_latent(rng, people, window)
        events = make_events(rng, people, latent, window, catalog, intensity)
        fixed = len(events.ts_us) - events.scaled
        if wanted <= fixed or events.scaled == 0:
            raise ValueError(
                f"events_per_contact={spec.events_per_contact} is too low: once-only events "
                f"alone give about {fixed / n:.2f} per contact"
            )
        intensity *= (wanted - fixed) / events.scaled
    return intensity
