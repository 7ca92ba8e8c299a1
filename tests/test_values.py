"""Stored values: the JSON text of attributes and properties."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadscore.values import to_json

_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


def _reference(values: dict[Any, Any]) -> str:
    return json.dumps(dict(sorted(values.items())), ensure_ascii=False, separators=(",", ":"))


@given(st.dictionaries(_TEXT, _TEXT, max_size=6))
def test_json_text_of_flat_text_is_what_json_dumps_writes(values: dict[str, str]) -> None:
    """Keys sorted, no spaces, UTF-8 kept, quotes, backslashes and control characters
    escaped: the short way writes exactly what ``json.dumps`` writes."""
    assert to_json(values) == _reference(values)
    assert json.loads(to_json(values)) == values


@given(st.dictionaries(_TEXT, _TEXT | st.integers() | st.floats(allow_nan=False) | st.none()))
def test_json_text_of_other_values_is_written_by_json_dumps(values: dict[str, Any]) -> None:
    assert to_json(values) == _reference(values)


def _nested(depth: int) -> dict[str, Any]:
    value: Any = "x"
    for _ in range(depth - 1):
        value = {"k": value}
    return {"k": value}


def test_nesting_deeper_than_the_limit_is_found_without_recursion() -> None:
    from leadscore.values import MAX_DEPTH, too_deep

    assert not too_deep(_nested(MAX_DEPTH))
    assert too_deep(_nested(MAX_DEPTH + 1))
    assert too_deep(_nested(50_000))  # far past the interpreter's recursion limit
    assert not too_deep({"a": [[["x"]]]}, limit=4)
    assert too_deep({"a": [[("x",)]]}, limit=3)
