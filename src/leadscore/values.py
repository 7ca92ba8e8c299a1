"""Attribute and property values as every engine sees them.

Contacts' attributes and events' properties are stored as flat JSON objects whose values are all
text. Nested objects flatten to dotted keys (``{"utm": {"source": "x"}}`` -> ``utm.source``),
numbers are written in a canonical form, booleans as ``true``/``false``, lists as compact JSON,
and nulls are dropped (a null is the same as a missing key). Numeric comparisons read the text with
:func:`parse_number`, which accepts one strict, portable syntax so that every engine reads the
same number from the same text.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from json.encoder import encode_basestring as _json_text
from typing import Any

# Strict numbers: at most 15 digits before the point, 17 after it (enough for any float that
# Python writes, such as 0.30000000000000004) and a two-digit exponent, so the
# value is finite everywhere and every engine's correctly rounded parser gives the same double.
# NUMBER_BODY is anchored by each engine in its own way (a bare $ also matches before a final
# newline in Python and Java).
NUMBER_BODY = r"[+-]?([0-9]{1,15}(\.[0-9]{0,17})?|\.[0-9]{1,17})([eE][+-]?[0-9]{1,2})?"
_NUMBER = re.compile(NUMBER_BODY, re.ASCII)
MAX_KEY_LENGTH = 200


class ValueFormatError(ValueError):
    """A value that cannot be stored as an attribute or property."""


def parse_number(text: str | None) -> float | None:
    """The number a stored text value stands for, or ``None`` when it is not a number."""
    if text is None or not _NUMBER.fullmatch(text):
        return None
    return float(text)


def canonical_text(value: Any) -> str | None:
    """One scalar value -> its stored text (``None`` for null).

    Text may hold any Unicode character but NUL, which PostgreSQL cannot store.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueFormatError(f"{value!r} is not a finite number")
        return repr(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueFormatError("text must not contain the NUL character (\\x00)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueFormatError(f"text is not valid Unicode (position {exc.start})") from None
        return value
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value), ensure_ascii=False, separators=(",", ":"), default=str)
    return str(value)


# attributes and properties nest objects and lists at most this deep (deeper ones are refused
# before anything recurses into them)
MAX_DEPTH = 32


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether objects and lists nest in ``value`` more than ``limit`` levels (``value`` itself
    being the first), checked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, Mapping) else item
        stack += [(c, depth + 1) for c in children if isinstance(c, (Mapping, list, tuple))]
    return False


def flatten(values: Mapping[Any, Any] | None, prefix: str = "") -> dict[str, str]:
    """Flatten a (possibly nested) mapping into the stored ``{key: text}`` form."""
    out: dict[str, str] = {}
    if not values:
        return out
    for key, value in values.items():
        if not isinstance(key, str):
            key = str(key)
        name = f"{prefix}{key}"
        if not name or len(name) > MAX_KEY_LENGTH:
            raise ValueFormatError(f"key {name[:40]!r} must have 1 to {MAX_KEY_LENGTH} characters")
        if isinstance(value, Mapping):
            out.update(flatten(value, prefix=f"{name}."))
            continue
        text = canonical_text(value)
        if text is not None:
            out[name] = text
    return out


def to_json(values: Mapping[str, str]) -> str:
    """The stored JSON text of a flat ``{key: text}`` mapping (keys sorted, UTF-8 kept): what
    ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes, built directly when
    every key and value is text (several times faster on small objects, which matters at
    import and ingest speed)."""
    items = sorted(values.items()) if len(values) > 1 else list(values.items())
    parts = []
    for k, v in items:
        if type(k) is not str or type(v) is not str:
            return json.dumps(dict(items), ensure_ascii=False, separators=(",", ":"))
        parts.append(_json_text(k) + ":" + _json_text(v))
    return "{" + ",".join(parts) + "}"


def from_json(text: str | Mapping[str, Any] | None) -> dict[str, str]:
    """Stored attributes/properties -> ``{key: text}`` (engines return JSON text or a mapping)."""
    if not text:
        return {}
    loaded = text if isinstance(text, Mapping) else json.loads(text)
    if not isinstance(loaded, dict):
        raise ValueFormatError(f"expected a JSON object, got {type(loaded).__name__}")
    return flatten(loaded)


ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASCII_LOWER = "abcdefghijklmnopqrstuvwxyz"
_ASCII_FOLD = str.maketrans(ASCII_UPPER, ASCII_LOWER)


def ascii_lower(text: str) -> str:
    """Case folding used by ``ignore_case``: ASCII letters only, identical on every engine."""
    return text.translate(_ASCII_FOLD)


def fmt_number(value: float) -> str:
    """A number for people: ``10.0`` -> ``10``, ``2.5`` -> ``2.5``, ``0.333333`` -> ``0.33``."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".") if abs(value) >= 0.01 else f"{value:.2g}"
