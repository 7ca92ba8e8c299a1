"""How a lead is named on the pages: a name, an email, a company and a title, read from the
usual attribute names (``first_name`` + ``last_name`` or ``name``/``full_name``, ``email``,
``company``, ``job_title``/``title``). Missing ones are ``None``; the contact id always shows."""

from __future__ import annotations

from typing import Any


def _text(attributes: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = attributes.get(name)
        if value is not None and str(value).strip():
            return str(value).strip()
    return None


def person_view(attributes: Any) -> dict[str, str | None]:
    """``name``, ``email``, ``company`` and ``title`` of a contact's attributes (JSON text or
    a dict, as the engines return them)."""
    import json

    data = json.loads(attributes) if isinstance(attributes, (str, bytes)) else attributes
    if not isinstance(data, dict):
        data = {}
    first, last = _text(data, "first_name"), _text(data, "last_name")
    joined = " ".join(p for p in (first, last) if p) or None
    return {
        "name": joined or _text(data, "name", "full_name"),
        "email": _text(data, "email"),
        "company": _text(data, "company", "company_name", "account_name"),
        "title": _text(data, "job_title", "title"),
    }
