"""Webhook endpoints: where alerts are sent, which alerts, and how hard to try.

An endpoint has a URL, a secret that signs every request (shown once, when it is created or
rotated), a filter (grades, stages, directions; an empty list accepts everything), a cooldown per
lead and a maximum number of attempts per delivery. Deleting an endpoint deactivates it: its
delivery log stays readable.
"""

from __future__ import annotations

import json
import secrets
import string
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from leadscore import timeutil
from leadscore.errors import LeadscoreError, did_you_mean, one_of

if TYPE_CHECKING:
    from leadscore.store.base import Store

SCHEMES = ("http", "https")
DIRECTIONS = ("up", "down", "new")
MIN_ATTEMPTS, MAX_ATTEMPTS = 1, 50
MAX_COOLDOWN_S = 366 * 86400
MAX_URL_CHARS = 2048
SECRET_PREFIX = "whsec_"
MIN_SECRET_CHARS, MAX_SECRET_CHARS = 16, 256
_SECRET_CHARS = frozenset(string.ascii_letters + string.digits + string.punctuation)


class WebhookError(LeadscoreError):
    """A webhook request that cannot be carried out (bad input: the API answers 4xx)."""


class InvalidWebhook(WebhookError):
    """A value of an endpoint is not acceptable (422)."""


class WebhookNotFound(WebhookError):
    """No such endpoint or delivery (404)."""


@dataclass(frozen=True)
class Filter:
    """Which alerts an endpoint receives; an empty tuple accepts every value."""

    grades: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    directions: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, list[str]]:
        return {
            "grades": list(self.grades),
            "stages": list(self.stages),
            "directions": list(self.directions),
        }


@dataclass(frozen=True)
class Endpoint:
    """A webhook target as stored, without its secret."""

    endpoint_id: str
    url: str
    filter: Filter = field(default_factory=Filter)
    cooldown_s: int = 0
    max_attempts: int = 8
    active: bool = True
    created_at_us: int = 0

    def as_dict(self) -> dict[str, Any]:
        """The endpoint for the API: never includes the secret."""
        return {
            "endpoint_id": self.endpoint_id,
            "url": self.url,
            "filter": self.filter.as_dict(),
            "cooldown_s": self.cooldown_s,
            "max_attempts": self.max_attempts,
            "active": self.active,
            "created_at": timeutil.iso(self.created_at_us),
        }


# ---------------------------------------------------------------------------------- validation
def validate_url(url: object) -> str:
    """Return ``url`` (surrounding spaces removed) if it is an acceptable webhook target.

    http or https, a host, no user name or password, no fragment, ASCII only. Messages never
    repeat the URL: it may hold credentials or a token.
    """
    if not isinstance(url, str):
        raise InvalidWebhook(f"the webhook url must be a string; got {type(url).__name__}")
    text = url.strip()
    if not text:
        raise InvalidWebhook("the webhook url is empty; give an http:// or https:// URL")
    if len(text) > MAX_URL_CHARS:
        raise InvalidWebhook(f"the webhook url is longer than {MAX_URL_CHARS} characters")
    if not text.isascii():
        raise InvalidWebhook(
            "the webhook url must be ASCII: percent-encode other characters in the path and "
            "write international host names in their xn-- form"
        )
    if any(c.isspace() or not c.isprintable() for c in text):
        raise InvalidWebhook("the webhook url must not contain spaces or control characters")
    try:
        parts = urlsplit(text)
    except ValueError:
        raise InvalidWebhook("the webhook url cannot be read as a URL") from None
    # credentials first, so that no later message is about a URL holding a password
    if "@" in parts.netloc:
        raise InvalidWebhook(
            "the webhook url must not contain a user name or password (user:password@host); "
            "remove them: deliveries are authenticated by their signature"
        )
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"'{scheme}'" if scheme else "none"
        raise InvalidWebhook(
            f"the webhook url must use the scheme {one_of(SCHEMES)}; got {shown}"
            f"{did_you_mean(scheme, SCHEMES)}"
        )
    if not parts.hostname:
        raise InvalidWebhook("the webhook url has no host (write https://host/path)")
    try:
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        raise InvalidWebhook("the webhook url has an invalid port (1 to 65535)") from None
    if parts.port == 0:
        raise InvalidWebhook("the webhook url has an invalid port (1 to 65535)")
    if parts.fragment or "#" in text:
        raise InvalidWebhook(
            "the webhook url must not have a #fragment: fragments are never sent to the server"
        )
    return text


def _labels(name: str, values: Sequence[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise InvalidWebhook(f"{name} must be a list of strings, for example ['hot']")
    out: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise InvalidWebhook(f"{name} must hold non-empty strings; got {value!r}")
        if value not in out:
            out.append(value)
    return tuple(out)


def _directions(values: Sequence[str] | None) -> tuple[str, ...]:
    picked = _labels("directions", values)
    for value in picked:
        if value not in DIRECTIONS:
            raise InvalidWebhook(
                f"directions must be among {one_of(DIRECTIONS)}; got {value!r}"
                f"{did_you_mean(value, DIRECTIONS)}"
            )
    return picked


def _whole(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidWebhook(f"{name} must be a whole number; got {value!r}")
    if not low <= value <= high:
        raise InvalidWebhook(f"{name} must be between {low} and {high}; got {value}")
    return value


def _secret(value: object) -> str:
    if value is None:
        return SECRET_PREFIX + secrets.token_urlsafe(32)
    # the messages below never repeat the value
    if not isinstance(value, str):
        raise InvalidWebhook("the secret must be a string")
    if not MIN_SECRET_CHARS <= len(value) <= MAX_SECRET_CHARS:
        raise InvalidWebhook(
            f"the secret must be {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters long "
            "(leave it out to have a strong one generated)"
        )
    if not set(value) <= _SECRET_CHARS:
        raise InvalidWebhook("the secret may hold printable ASCII characters only, no spaces")
    return value


# ---------------------------------------------------------------------------------- storage
def _endpoint(row: dict[str, Any]) -> Endpoint:
    raw = json.loads(row["filter"] or "{}")
    return Endpoint(
        endpoint_id=str(row["endpoint_id"]),
        url=str(row["url"]),
        filter=Filter(
            tuple(raw.get("grades") or ()),
            tuple(raw.get("stages") or ()),
            tuple(raw.get("directions") or ()),
        ),
        cooldown_s=int(row["cooldown_s"]),
        max_attempts=int(row["max_attempts"]),
        active=bool(row["active"]),
        created_at_us=int(row["created_at_us"]),
    )


_COLUMNS = "endpoint_id, url, filter, cooldown_s, max_attempts, active, created_at_us"


def create_endpoint(
    store: Store,
    url: str,
    *,
    grades: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    cooldown_s: int = 0,
    max_attempts: int = 8,
    secret: str | None = None,
    now_us: int | None = None,
) -> tuple[Endpoint, str]:
    """Validate and store a new endpoint; return it and its secret (shown this once)."""
    endpoint = Endpoint(
        endpoint_id=uuid.uuid4().hex,
        url=validate_url(url),
        filter=Filter(
            _labels("grades", grades), _labels("stages", stages), _directions(directions)
        ),
        cooldown_s=_whole("cooldown_s", cooldown_s, 0, MAX_COOLDOWN_S),
        max_attempts=_whole("max_attempts", max_attempts, MIN_ATTEMPTS, MAX_ATTEMPTS),
        active=True,
        created_at_us=timeutil.now_us() if now_us is None else now_us,
    )
    key = _secret(secret)
    store.execute(
        "INSERT INTO webhooks (endpoint_id, url, secret, filter, cooldown_s, max_attempts, "
        "active, created_at_us) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            endpoint.endpoint_id,
            endpoint.url,
            key,
            json.dumps(endpoint.filter.as_dict()),
            endpoint.cooldown_s,
            endpoint.max_attempts,
            True,
            endpoint.created_at_us,
        ],
    )
    return endpoint, key


def list_endpoints(store: Store, include_deleted: bool = False) -> list[Endpoint]:
    """Endpoints oldest first; deleted (inactive) ones only when asked."""
    where = "" if include_deleted else " WHERE active"
    rows = store.rows(f"SELECT {_COLUMNS} FROM webhooks{where} ORDER BY created_at_us, endpoint_id")
    return [_endpoint(r) for r in rows]


def get_endpoint(store: Store, endpoint_id: str) -> Endpoint:
    rows = store.rows(f"SELECT {_COLUMNS} FROM webhooks WHERE endpoint_id = ?", [endpoint_id])
    if not rows:
        raise WebhookNotFound(f"no webhook endpoint '{endpoint_id}'")
    return _endpoint(rows[0])


def endpoint_secret(store: Store, endpoint_id: str) -> str:
    """The signing secret (for the delivery code; never show it in the API after creation)."""
    value = store.scalar("SELECT secret FROM webhooks WHERE endpoint_id = ?", [endpoint_id])
    if value is None:
        raise WebhookNotFound(f"no webhook endpoint '{endpoint_id}'")
    return str(value)


def update_endpoint(
    store: Store,
    endpoint_id: str,
    *,
    url: str | None = None,
    grades: Sequence[str] | None = None,
    stages: Sequence[str] | None = None,
    directions: Sequence[str] | None = None,
    cooldown_s: int | None = None,
    max_attempts: int | None = None,
    active: bool | None = None,
    now_us: int | None = None,
) -> Endpoint:
    """Change the given fields (``None`` keeps a field; an empty list clears a filter).

    A new ``max_attempts`` applies to pending deliveries too; ``active=False`` is a delete
    (see :func:`delete_endpoint`) and ``active=True`` undoes one.
    """
    current = get_endpoint(store, endpoint_id)
    if active is not None and not isinstance(active, bool):
        raise InvalidWebhook(f"active must be true or false; got {active!r}")
    old = current.filter
    updated = Endpoint(
        endpoint_id=current.endpoint_id,
        url=current.url if url is None else validate_url(url),
        filter=Filter(
            old.grades if grades is None else _labels("grades", grades),
            old.stages if stages is None else _labels("stages", stages),
            old.directions if directions is None else _directions(directions),
        ),
        cooldown_s=current.cooldown_s
        if cooldown_s is None
        else _whole("cooldown_s", cooldown_s, 0, MAX_COOLDOWN_S),
        max_attempts=current.max_attempts
        if max_attempts is None
        else _whole("max_attempts", max_attempts, MIN_ATTEMPTS, MAX_ATTEMPTS),
        active=current.active if active is None else active,
        created_at_us=current.created_at_us,
    )
    with store.transaction():
        store.execute(
            "UPDATE webhooks SET url = ?, filter = ?, cooldown_s = ?, max_attempts = ?, "
            "active = ? WHERE endpoint_id = ?",
            [
                updated.url,
                json.dumps(updated.filter.as_dict()),
                updated.cooldown_s,
                updated.max_attempts,
                updated.active,
                endpoint_id,
            ],
        )
        if current.active and not updated.active:
            _give_up_pending(store, endpoint_id, timeutil.now_us() if now_us is None else now_us)
    return updated


def rotate_secret(store: Store, endpoint_id: str, secret: str | None = None) -> str:
    """Replace the signing secret (generated unless given); return it (shown this once).
    Requests sent from now on, retries included, are signed with the new secret."""
    get_endpoint(store, endpoint_id)
    key = _secret(secret)
    store.execute("UPDATE webhooks SET secret = ? WHERE endpoint_id = ?", [key, endpoint_id])
    return key


def delete_endpoint(store: Store, endpoint_id: str, now_us: int | None = None) -> Endpoint:
    """Deactivate an endpoint: it gets no new deliveries and its pending ones are given up
    (status ``dead``, reason ``endpoint deleted``). The endpoint and its log stay readable."""
    at = timeutil.now_us() if now_us is None else now_us
    current = get_endpoint(store, endpoint_id)
    with store.transaction():
        store.execute("UPDATE webhooks SET active = false WHERE endpoint_id = ?", [endpoint_id])
        _give_up_pending(store, endpoint_id, at)
    return replace(current, active=False)


def _give_up_pending(store: Store, endpoint_id: str, at_us: int) -> None:
    store.execute(
        "UPDATE deliveries SET status = 'dead', next_attempt_at_us = NULL, "
        "last_error = 'endpoint deleted', updated_at_us = ? "
        "WHERE endpoint_id = ? AND status = 'pending'",
        [at_us, endpoint_id],
    )
