"""Request signatures: HMAC-SHA256 over the timestamp and the raw body.

Every webhook request carries ``X-Leadscore-Signature: t=<unix seconds>,v1=<hex>``, where the hex
is ``HMAC-SHA256(secret, "<t>." + raw body)``. A receiver recomputes it with its copy of the
secret, compares in constant time and refuses stale timestamps (replays). The header may hold
several ``v1`` values; one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Leadscore-Signature"
SCHEME = "v1"
TOLERANCE_S = 300


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The value of the signature header for ``body`` sent at ``timestamp`` (unix seconds)."""
    return f"t={int(timestamp)},{SCHEME}={_digest(secret, body, int(timestamp))}"


def parse(header: str) -> tuple[int, list[str]] | None:
    """``(timestamp, [v1 signatures])`` from a header value, or None when malformed."""
    timestamp: int | None = None
    found: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return None
        if key == "t":
            digits = value.isascii() and value.isdigit() and len(value) <= 12
            if timestamp is not None or not digits:
                return None
            timestamp = int(value)
        elif key == SCHEME:
            found.append(value)
    if timestamp is None or not found:
        return None
    return timestamp, found


def verify(
    secret: str, body: bytes, header: str, now: float, tolerance_s: float = TOLERANCE_S
) -> bool:
    """Whether ``header`` signs ``body`` with ``secret`` at a time within ``tolerance_s`` of
    ``now`` (unix seconds). Never raises on a malformed header: returns False."""
    parsed = parse(header) if isinstance(header, str) else None
    if parsed is None:
        return False
    timestamp, candidates = parsed
    if abs(now - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, body, timestamp).encode("ascii")
    matched = False
    for candidate in candidates:
        # compare every candidate (no early exit), each in constant time
        matched |= hmac.compare_digest(expected, candidate.encode("utf-8", "replace"))
    return matched
