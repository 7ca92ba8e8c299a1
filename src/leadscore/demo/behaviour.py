"""Hidden intent, conversion and the events it drives.

Each contact has a latent intent ``z`` (standard-normal-ish, partly explained by fit) and converts
at a constant hazard ``lambda = exp(H0 + A*z + B*(fit - FIT0))`` per day from its creation (much
less for competitors, partners and resellers). Every kind of event is a Poisson process over the
contact's active span, from ``max(created, start)`` to ``min(conversion, end)``, whose rate is
``base * exp(beta * z)`` times persona factors: exploration actions (pricing, demo, trial,
contact sales) have a large ``beta``, awareness actions a small one, unsubscribes and bounces a
negative one. Email events stop after a contact's unsubscribe or bounce.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from leadscore.demo import vocab as v
from leadscore.demo.catalog import CLICK_URLS, EMAIL_TYPES, TYPE_CODE, Catalog
from leadscore.demo.people import DAY_US, NEVER_US, People, Window

if TYPE_CHECKING:
    import numpy as np

# Hazard of conversion per day: exp(H0 + A * z + B * (fit - FIT0)).
H0, A, B, FIT0 = -7.4, 1.05, 0.9, 0.9
# Page views: section -> (visits per day at z = 0, intent beta).
PAGE_RATES = {
    "home": (0.012, 0.2),
    "blog": (0.020, 0.3),
    "product": (0.008, 0.7),
    "docs": (0.004, 0.6),
    "pricing": (0.003, 1.2),
    "enterprise": (0.0006, 1.2),
    "careers": (0.002, -0.6),
}
# Other repeatable actions: type -> (per day at z = 0, intent beta).
ACTION_RATES = {
    "content_download": (0.003, 0.6),
    "webinar_registered": (0.0015, 0.8),
    "demo_request": (0.0006, 1.5),
    "trial_signup": (0.0005, 1.3),
    "contact_sales": (0.0002, 1.5),
}
SENDS_PER_DAY = 1 / 7


@dataclass(frozen=True)
class Latent:
    intent: np.ndarray  # z
    hazard: np.ndarray  # conversions per day
    converted_us: np.ndarray  # NEVER_US when not converted by the end of the window


@dataclass(frozen=True)
class Events:
    """Events of one chunk as arrays; ``contact`` indexes the chunk's people."""

    contact: np.ndarray
    type: np.ndarray
    ts_us: np.ndarray
    code: np.ndarray  # property object in the catalog's vocabulary
    scaled: int  # how many come from processes that ``intensity`` scales


def sigmoid(x: np.ndarray) -> np.ndarray:
    import numpy as np

    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def make_latent(rng: np.random.Generator, people: People, window: Window) -> Latent:
    import numpy as np

    n = len(people.fit)
    z = 0.85 * rng.normal(0.0, 1.0, n) + 0.35 * (people.fit - FIT0)
    hazard = np.exp(H0 + A * z + B * (people.fit - FIT0))
    kind = people.company_type
    hazard = hazard * np.select(
        [kind == v.COMPANY_TYPES.index("competitor"), np.isin(kind, _types("partner", "reseller"))],
        [0.02, 0.5],
        default=1.0,
    )
    wait_days = np.minimum(rng.exponential(1.0, n) / hazard, 1e6)  # capped: no int64 overflow
    converted = people.created_us + (wait_days * DAY_US).astype(np.int64)
    converted = np.where(converted <= window.end_us, converted, NEVER_US)
    return Latent(intent=z, hazard=hazard, converted_us=converted)


def _types(*names: str) -> list[int]:
    return [v.COMPANY_TYPES.index(n) for n in names]


class _Builder:
    """Collects one chunk's events kind by kind."""

    def __init__(self, rng: np.random.Generator, start: np.ndarray, stop: np.ndarray) -> None:
        import numpy as np

        self.rng = rng
        self.start, self.stop = start, stop
        self.span = np.maximum(stop - start, 0)
        self.days = self.span / DAY_US
        self.parts: list[tuple[np.ndarray, int, np.ndarray, np.ndarray]] = []

    def add(self, contact: np.ndarray, type_name: str, ts: np.ndarray, code: np.ndarray) -> None:
        self.parts.append((contact, TYPE_CODE[type_name], ts, code))

    def poisson(self, per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Contacts and times of a Poisson process with these rates over each active span."""
        import numpy as np

        counts = self.rng.poisson(per_day * self.days)
        contact = np.repeat(np.arange(len(per_day), dtype=np.int32), counts)
        offset = (self.rng.random(len(contact)) * self.span[contact]).astype(np.int64)
        return contact, self.start[contact] + offset

    def once(self, per_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """At most one event: the first of such a Poisson process."""
        import numpy as np

        happens = self.rng.random(len(per_day)) < -np.expm1(-per_day * self.days)
        contact = np.flatnonzero(happens).astype(np.int32)
        offset = (self.rng.random(len(contact)) * self.span[contact]).astype(np.int64)
        return contact, self.start[contact] + offset

    def pick(
        self, contact: np.ndarray, times: np.ndarray, late_us: int = 0
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each item, one of ``times`` inside its contact's span (+ ``late_us``); items
        whose span holds none are dropped. Returns (kept items, index into ``times``)."""
        import numpy as np

        lo = np.searchsorted(times, self.start[contact], "left")
        hi = np.searchsorted(times, self.stop[contact] + late_us, "right")
        keep = np.flatnonzero(hi > lo)
        k = lo[keep] + (self.rng.random(len(keep)) * (hi - lo)[keep]).astype(np.int64)
        return keep, k

    def within(self, contact: np.ndarray, ts: np.ndarray) -> np.ndarray:
        keep: np.ndarray = ts <= self.stop[contact]
        return keep


def make_events(
    rng: np.random.Generator,
    people: People,
    latent: Latent,
    window: Window,
    catalog: Catalog,
    intensity: float,
) -> Events:
    """Every event of one chunk of people, sorted by time."""
    import numpy as np

    start = np.maximum(people.created_us, window.start_us)
    stop = np.minimum(latent.converted_us, window.end_us)
    b = _Builder(rng, start, stop)
    z = latent.intent
    _emails(b, rng, z, catalog, intensity)
    _pages(b, rng, people, z, catalog, intensity)
    _actions(b, rng, people, z, catalog, intensity)
    scaled = sum(len(part[0]) for part in b.parts)
    stop_email = _once_only(b, rng, people, z, catalog)

    contact = np.concatenate([p[0] for p in b.parts])
    types = np.concatenate([np.full(len(p[0]), p[1], np.int8) for p in b.parts])
    ts = np.concatenate([p[2] for p in b.parts])
    code = np.concatenate([p[3] for p in b.parts])
    alive = ~np.isin(types, EMAIL_TYPES) | (ts <= stop_email[contact])
    scaled = int(alive[:scaled].sum())
    order = np.lexsort((types[alive], contact[alive], ts[alive]))
    pick = np.flatnonzero(alive)[order]
    return Events(contact[pick], types[pick], ts[pick], code[pick], scaled)


HOUR_US, SECOND_US = 3_600_000_000, 1_000_000


def _delays(rng: np.random.Generator, mean: float, unit_us: int, n: int) -> np.ndarray:
    """Exponential delays with this mean (in ``unit_us``), in microseconds."""
    import numpy as np

    out: np.ndarray = (rng.exponential(mean, n) * unit_us).astype(np.int64)
    return out


def _emails(
    b: _Builder, rng: np.random.Generator, z: np.ndarray, catalog: Catalog, intensity: float
) -> None:
    """Opens of weekly sends (a few hours after the send), clicks a few minutes after opens."""
    vocab = catalog.vocabulary
    p_open = sigmoid(-1.0 + 0.6 * z)
    contact, _ = b.poisson(intensity * SENDS_PER_DAY * 1.15 * p_open)
    keep, k = b.pick(contact, catalog.sends_us)
    contact = contact[keep]
    ts = catalog.sends_us[k] + _delays(rng, 6.0, HOUR_US, len(k))
    ok = b.within(contact, ts)
    contact, ts, k = contact[ok], ts[ok], k[ok]
    b.add(contact, "email_open", ts, vocab.codes("email_open", k))
    clicks = rng.random(len(contact)) < sigmoid(-1.8 + 0.7 * z[contact])
    c_contact, c_k = contact[clicks], k[clicks]
    c_ts = ts[clicks] + _delays(rng, 180.0, SECOND_US, len(c_k))
    ok = b.within(c_contact, c_ts)
    url = rng.integers(len(CLICK_URLS), size=int(ok.sum()))
    codes = vocab.codes("email_click", c_k[ok] * len(CLICK_URLS) + url)
    b.add(c_contact[ok], "email_click", c_ts[ok], codes)


def _pages(
    b: _Builder,
    rng: np.random.Generator,
    people: People,
    z: np.ndarray,
    catalog: Catalog,
    intensity: float,
) -> None:
    import numpy as np

    competitor = people.company_type == v.COMPANY_TYPES.index("competitor")
    tech = np.isin(
        people.department, [v.DEPARTMENTS.index(d) for d in ("Engineering", "Product", "IT")]
    )
    size = people.employees
    individual = people.seniority == v.SENIORITIES.index("individual")
    student = people.seniority == v.SENIORITIES.index("student")
    factors = {
        "docs": np.where(tech, 2.5, 1.0) * np.where(competitor, 3.0, 1.0),
        "product": np.where(competitor, 3.0, 1.0),
        "pricing": np.where(competitor, 5.0, 1.0),
        "enterprise": np.select([size > 1000, size < 50], [4.0, 0.3], 1.0)
        * np.where(competitor, 5.0, 1.0),
        "careers": np.where(student, 6.0, 1.0) * np.where(individual, 1.5, 1.0),
    }
    utm = len(v.UTM_SOURCES) + 1  # each url without utm, then with each source
    for section, (base, beta) in PAGE_RATES.items():
        rate = intensity * base * np.exp(beta * z) * factors.get(section, 1.0)
        contact, ts = b.poisson(rate)
        urls = len(v.PAGES[section])
        with_utm = np.where(rng.random(len(contact)) < 0.2, rng.integers(1, utm, len(contact)), 0)
        index = rng.integers(urls, size=len(contact)) * utm + with_utm
        b.add(
            contact, "page_view", ts, catalog.vocabulary.codes(catalog.page_blocks[section], index)
        )


def _actions(
    b: _Builder,
    rng: np.random.Generator,
    people: People,
    z: np.ndarray,
    catalog: Catalog,
    intensity: float,
) -> None:
    """Downloads, webinars, demo requests, trials, contact-sales forms."""
    import numpy as np

    competitor = people.company_type == v.COMPANY_TYPES.index("competitor")
    student = people.seniority == v.SENIORITIES.index("student")
    size = people.employees
    persona = {
        "demo_request": np.where(competitor, 0.3, 1.0) * np.where(student, 0.1, 1.0),
        "trial_signup": np.where(competitor, 2.0, 1.0),
        "contact_sales": np.select([size > 1000, size < 50], [3.0, 0.5], 1.0),
    }
    vocab = catalog.vocabulary
    for name, (base, beta) in ACTION_RATES.items():
        rate = intensity * base * np.exp(beta * z) * persona.get(name, 1.0)
        contact, ts = b.poisson(rate)
        if name == "webinar_registered":
            _webinars(b, rng, contact, z, catalog)
            continue
        index = rng.integers(vocab.size(name), size=len(contact))
        b.add(contact, name, ts, vocab.codes(name, index))


def _once_only(
    b: _Builder, rng: np.random.Generator, people: People, z: np.ndarray, catalog: Catalog
) -> np.ndarray:
    """Newsletter sign-up, unsubscribe, bounce: at most once each (not scaled by intensity).
    Returns each contact's last moment for email events (its unsubscribe or bounce)."""
    import numpy as np

    vocab = catalog.vocabulary
    contact, ts = b.once(0.0015 * np.exp(0.4 * z))
    index = rng.integers(vocab.size("newsletter_signup"), size=len(contact))
    b.add(contact, "newsletter_signup", ts, vocab.codes("newsletter_signup", index))
    stop_email = np.full(len(z), np.iinfo(np.int64).max)
    for name, per_day, delay_h in (
        ("unsubscribe", 0.0006 * np.exp(-0.8 * z), 10.0),
        ("email_bounce", 0.00015 * np.exp(-0.5 * z) * np.where(people.free_mail, 0.5, 1.0), 0.01),
    ):
        contact, _ = b.once(per_day)
        keep, k = b.pick(contact, catalog.sends_us)
        contact = contact[keep]
        ts = catalog.sends_us[k] + _delays(rng, delay_h, HOUR_US, len(k))
        ok = b.within(contact, ts)
        contact, ts, k = contact[ok], ts[ok], k[ok]
        if name == "email_bounce":
            k = k * 2 + (rng.random(len(k)) < 0.3)  # hard or soft
        b.add(contact, name, ts, vocab.codes(name, k))
        np.minimum.at(stop_email, contact, ts)
    return stop_email


def _webinars(
    b: _Builder, rng: np.random.Generator, contact: np.ndarray, z: np.ndarray, catalog: Catalog
) -> None:
    """Registrations some days before a webinar; attendance at it for the keener half."""
    import numpy as np

    times = catalog.webinars_us
    keep, j = b.pick(contact, times, late_us=21 * DAY_US)
    contact = contact[keep]
    lead = (rng.exponential(6.0, len(j)) * DAY_US).astype(np.int64)
    ts = np.maximum(times[j] - lead, b.start[contact])
    ok = b.within(contact, ts)
    contact, ts, j = contact[ok], ts[ok], j[ok]
    codes = catalog.vocabulary
    b.add(contact, "webinar_registered", ts, codes.codes("webinar_registered", j))
    at = times[j] + (rng.random(len(j)) * 600_000_000).astype(np.int64)
    attends = b.within(contact, at) & (rng.random(len(j)) < sigmoid(0.3 + 0.8 * z[contact]))
    b.add(
        contact[attends],
        "webinar_attended",
        at[attends],
        codes.codes("webinar_attended", j[attends]),
    )
