"""What contacts can do: the event types, the marketing calendar and the events' properties.

Emails go out weekly (Tuesdays 10:00 UTC) and webinars run every four weeks (Thursdays 16:00
UTC); opens, clicks, bounces and unsubscribes belong to one send, registrations and attendance to
one webinar. Every event's properties are one of a fixed set of objects (a
:class:`~leadscore.demo.jsontext.Vocabulary` block per kind).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from leadscore.demo import vocab as v
from leadscore.demo.jsontext import Vocabulary
from leadscore.demo.people import DAY_US, Window

if TYPE_CHECKING:
    import numpy as np

EVENT_TYPES = (
    "newsletter_signup",
    "email_open",
    "email_click",
    "page_view",
    "content_download",
    "webinar_registered",
    "webinar_attended",
    "demo_request",
    "trial_signup",
    "contact_sales",
    "unsubscribe",
    "email_bounce",
)
TYPE_CODE = {name: code for code, name in enumerate(EVENT_TYPES)}
EMAIL_TYPES = tuple(
    TYPE_CODE[t] for t in ("email_open", "email_click", "unsubscribe", "email_bounce")
)

WEEK_US = 7 * DAY_US
HOUR_US = DAY_US // 24
MONDAY_EPOCH_US = 4 * DAY_US  # 1970-01-05 was a Monday
SEND_OFFSET_US = DAY_US + 10 * HOUR_US  # Tuesday 10:00
WEBINAR_OFFSET_US = 3 * DAY_US + 16 * HOUR_US  # Thursday 16:00
CLICK_URLS = (
    "/blog/lead-scoring-101",
    "/blog/email-nurture-playbook",
    "/product/scoring",
    "/customers",
    "/pricing",
    "/webinars",
)
DEMO_PAGES = ("/pricing", "/product", "/", "/pricing/enterprise")
SALES_TOPICS = ("pricing", "enterprise plan", "security review", "partnership")


def _weekly(first_us: int, last_us: int, offset_us: int, every_weeks: int) -> np.ndarray:
    """Times ``offset_us`` into every ``every_weeks``-th week, in ``[first_us, last_us]``."""
    import numpy as np

    step = every_weeks * WEEK_US
    week0 = (first_us - MONDAY_EPOCH_US) // WEEK_US * WEEK_US + MONDAY_EPOCH_US + offset_us
    times = np.arange(week0, last_us + 1, step, dtype=np.int64)
    return times[times >= first_us]


def _day(ts_us: int) -> str:
    return datetime.fromtimestamp(ts_us / 1_000_000, UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Catalog:
    sends_us: np.ndarray  # weekly email sends within the window
    webinars_us: np.ndarray  # webinars from the window's start to three weeks after its end
    vocabulary: Vocabulary
    page_blocks: dict[str, str]  # page section -> vocabulary block


def make_catalog(window: Window) -> Catalog:
    sends = _weekly(window.start_us, window.end_us, SEND_OFFSET_US, 1)
    webinars = _weekly(window.start_us, window.end_us + 21 * DAY_US, WEBINAR_OFFSET_US, 4)
    vocab = Vocabulary()
    mails = []
    for k, ts in enumerate(sends.tolist()):
        kind = v.EMAIL_KINDS[k % len(v.EMAIL_KINDS)]
        mails.append({"campaign": f"{_day(ts)}-{kind}", "email_id": f"em-{k + 1:04d}"})
    vocab.add("email_open", mails)
    vocab.add("email_click", [{**m, "url": u} for m in mails for u in CLICK_URLS])
    vocab.add("unsubscribe", mails)
    vocab.add("email_bounce", [{**m, "bounce_type": b} for m in mails for b in ("hard", "soft")])
    talks = []
    for j, ts in enumerate(webinars.tolist()):
        talks.append({"webinar": v.WEBINAR_TOPICS[j % len(v.WEBINAR_TOPICS)], "date": _day(ts)})
    vocab.add("webinar_registered", talks)
    vocab.add("webinar_attended", talks)
    page_blocks = {}
    for section, urls in v.PAGES.items():
        objects: list[dict[str, Any]] = []
        for url in urls:
            objects.append({"url": url})
            objects.extend({"url": url, "utm": {"source": s}} for s in v.UTM_SOURCES)
        page_blocks[section] = f"page_view:{section}"
        vocab.add(page_blocks[section], objects)
    vocab.add("newsletter_signup", [{"form": f} for f in v.NEWSLETTER_FORMS])
    vocab.add(
        "content_download",
        [{"asset": title, "asset_type": kind, "form": "gated-content"} for kind, title in v.ASSETS],
    )
    vocab.add("demo_request", [{"form": "demo-request", "page": p} for p in DEMO_PAGES])
    vocab.add("trial_signup", [{"form": "trial-signup", "plan": p} for p in v.TRIAL_PLANS])
    vocab.add("contact_sales", [{"form": "contact-sales", "topic": t} for t in SALES_TOPICS])
    return Catalog(sends_us=sends, webinars_us=webinars, vocabulary=vocab, page_blocks=page_blocks)
