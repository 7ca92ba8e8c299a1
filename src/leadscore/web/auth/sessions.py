"""Server-side sessions behind a signed cookie, and their CSRF tokens.

The cookie reads ``<workspace, base64url>.<token>.<signature>``: the token is 256 random bits,
the signature an HMAC-SHA256 of the workspace and token under the workspace's session secret
(generated once and kept in ``web_meta``, or given to the app). The session itself lives in the
workspace's ``web_sessions`` table under the SHA-256 of the token, so a copy of the database
does not hold usable cookies. A session ends on sign-out, after ``idle`` without requests,
after ``lifetime`` in any case, and as soon as its user is deleted or its API key revoked.

Every session has its own CSRF token: forms carry it in a hidden field, htmx requests in the
``X-CSRF-Token`` header, and every POST is refused without it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore.web.tables import set_meta_once

if TYPE_CHECKING:
    from leadscore.store.base import Store

COOKIE = "ls_session"
SECRET_KEY = "session_secret"
TOUCH_EVERY_US = 5 * 60 * 1_000_000  # how often a session's last-seen time is written
KINDS = ("user", "key")


@dataclass(frozen=True)
class Session:
    """A signed-in browser: who (a user or an API key), in which workspace."""

    workspace: str
    session_hash: str
    kind: str
    principal: str
    csrf_token: str
    expires_at_us: int

    @property
    def label(self) -> str:
        """How the layout names who is signed in."""
        return self.principal if self.kind == "user" else f"API key {self.principal}"

    def as_dict(self) -> dict[str, Any]:
        return {"workspace": self.workspace, "kind": self.kind, "name": self.label}


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def workspace_secret(store: Store, given: str | None = None) -> bytes:
    """The key that signs this workspace's cookies: derived from ``given`` when the app was
    configured with one, else generated once and stored in ``web_meta``."""
    if given:
        return hashlib.sha256(b"leadscore-session\0" + given.encode("utf-8")).digest()
    return bytes.fromhex(set_meta_once(store, SECRET_KEY, secrets.token_hex(32)))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _unb64(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _signature(secret: bytes, workspace_b64: str, token: str) -> str:
    message = f"{workspace_b64}.{token}".encode("ascii")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def cookie_value(secret: bytes, workspace: str, token: str) -> str:
    encoded = _b64(workspace)
    return f"{encoded}.{token}.{_signature(secret, encoded, token)}"


def cookie_workspace(value: str | None) -> str | None:
    """The workspace a cookie names (not yet verified: check with :func:`cookie_token`)."""
    parts = (value or "").split(".")
    return _unb64(parts[0]) if len(parts) == 3 and len(value or "") < 1024 else None


def cookie_token(secret: bytes, value: str) -> str | None:
    """The session token of a cookie whose signature holds under ``secret``, else ``None``."""
    parts = value.split(".")
    if len(parts) != 3:
        return None
    encoded, token, signature = parts
    expected = _signature(secret, encoded, token)
    return token if hmac.compare_digest(expected, signature) else None


def start_session(
    store: Store, workspace: str, kind: str, principal: str, now_us: int, lifetime_us: int
) -> tuple[str, Session]:
    """A new session (and its token, for the cookie) for a user or an API key."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    token = secrets.token_urlsafe(32)
    session = Session(
        workspace,
        token_hash(token),
        kind,
        principal,
        secrets.token_urlsafe(32),
        now_us + lifetime_us,
    )
    store.execute(
        "INSERT INTO web_sessions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            session.session_hash,
            kind,
            principal,
            session.csrf_token,
            now_us,
            now_us,
            session.expires_at_us,
        ],
    )
    return token, session


def _principal_valid(store: Store, kind: str, principal: str) -> bool:
    if kind == "user":
        sql = "SELECT count(*) FROM web_users WHERE username = ?"
    else:
        sql = "SELECT count(*) FROM api_keys WHERE key_id = ? AND revoked_at_us IS NULL"
    return bool(store.scalar(sql, [principal]))


def load_session(
    store: Store, workspace: str, token: str, now_us: int, idle_us: int
) -> Session | None:
    """The live session of ``token``, else ``None`` (an expired or orphaned one is deleted)."""
    digest = token_hash(token)
    rows = store.rows(
        "SELECT kind, principal, csrf_token, seen_at_us, expires_at_us FROM web_sessions "
        "WHERE session_hash = ?",
        [digest],
    )
    if not rows:
        return None
    row = rows[0]
    alive = row["expires_at_us"] > now_us and row["seen_at_us"] + idle_us > now_us
    if not alive or not _principal_valid(store, row["kind"], row["principal"]):
        store.execute("DELETE FROM web_sessions WHERE session_hash = ?", [digest])
        return None
    if now_us - row["seen_at_us"] >= TOUCH_EVERY_US:
        store.execute(
            "UPDATE web_sessions SET seen_at_us = ? WHERE session_hash = ?", [now_us, digest]
        )
    return Session(
        workspace, digest, row["kind"], row["principal"], row["csrf_token"], row["expires_at_us"]
    )


def end_session(store: Store, session_hash: str) -> None:
    store.execute("DELETE FROM web_sessions WHERE session_hash = ?", [session_hash])


def purge_sessions(store: Store, now_us: int, idle_us: int) -> None:
    """Forget sessions that can no longer be used."""
    store.execute(
        "DELETE FROM web_sessions WHERE expires_at_us <= ? OR seen_at_us + ? <= ?",
        [now_us, idle_us, now_us],
    )


def csrf_ok(session: Session, sent: str | None) -> bool:
    """Whether ``sent`` is this session's CSRF token (constant time)."""
    return bool(sent) and hmac.compare_digest(
        session.csrf_token.encode("ascii"), str(sent).encode("ascii", "replace")
    )
