"""The HTTP POST that delivers a webhook, with the standard library only.

A ``Post`` takes the URL, the body and the headers and returns the response's status code; it
raises on anything that is not an answer (connection refused, timeout, TLS failure...).
Redirects are not followed: a 3xx is an answer like any other non-2xx, so a signed request never
travels somewhere its endpoint did not name.
"""

from __future__ import annotations

import http.client
import re
from collections.abc import Callable, Mapping
from urllib.parse import urlsplit

Post = Callable[[str, bytes, Mapping[str, str]], int]
USER_AGENT = "leadscore-webhooks/1"
READ_LIMIT = 4096
ERROR_CHARS = 300


def http_post(timeout_s: float = 5.0) -> Post:
    """A ``Post`` over http.client; ``timeout_s`` bounds connecting and each read."""
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive; got {timeout_s}")

    def post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
        parts = urlsplit(url)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            import ssl

            connection = http.client.HTTPSConnection(
                parts.hostname or "",
                parts.port,
                timeout=timeout_s,
                context=ssl.create_default_context(),
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=timeout_s
            )
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request(
                "POST", target, body=body, headers={"User-Agent": USER_AGENT, **headers}
            )
            response = connection.getresponse()
            response.read(READ_LIMIT)  # a little of the answer, so the server sees it read
            return int(response.status)
        finally:
            connection.close()

    return post


def describe_failure(exc: BaseException, *hidden: str) -> str:
    """A one-line description of a failed POST for the delivery log, with every ``hidden``
    string (the secret, the URL) blanked out."""
    if isinstance(exc, TimeoutError):
        text = "timed out waiting for the endpoint"
    else:
        detail = str(exc) or "no detail"
        text = f"{type(exc).__name__}: {detail}"
    for value in hidden:
        if value:
            text = text.replace(value, "[hidden]")
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 3] + "..."


def describe_status(code: int) -> str | None:
    """None for a 2xx, else why the answer counts as a failure."""
    if 200 <= code < 300:
        return None
    if 300 <= code < 400:
        return f"HTTP {code}: redirects are not followed; point the endpoint at the final URL"
    return f"HTTP {code}: the endpoint did not answer 2xx"
