"""The plain records and the Arrow tables they are stored from."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadscore.records import Event, events_table
from leadscore.store.imports.rows import event_from_fields
from leadscore.timeutil import to_us
from leadscore.values import to_json

NOW = to_us("2025-07-01T12:00:00Z")
_TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)))


@given(st.dictionaries(st.text(min_size=1, max_size=8).filter(str.strip), _TEXT, max_size=4))
def test_events_are_stored_with_the_json_text_of_their_properties(props: dict[str, str]) -> None:
    """An event read by the import rules carries its properties' stored JSON text, and the
    table it is stored from holds that text, the same as for an event built by hand (whose
    text is built when it is stored)."""
    fields = {"contact_id": "c1", "type": "page_view", "ts": "2025-06-30T09:15:00Z"}
    read = event_from_fields({**fields, "properties": props}, NOW)
    assert read.properties_json == to_json(read.properties)
    by_hand = Event("e2", "c1", "page_view", read.ts_us, read.properties)
    assert by_hand.properties_json is None
    stored = events_table([read, by_hand]).column("properties").to_pylist()
    assert stored == [to_json(read.properties)] * 2


def test_carried_text_is_not_built_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing events that carry their text builds no JSON (the ingest path builds it once);
    the text takes no part in comparing events."""
    from leadscore import records

    def refuse(values: object) -> str:
        raise AssertionError("the JSON text was built again")

    monkeypatch.setattr(records, "to_json", refuse)
    event = Event("e1", "c1", "t", 1, {"url": "/a"}, '{"url":"/a"}')
    assert events_table([event]).column("properties").to_pylist() == ['{"url":"/a"}']
    assert event == Event("e1", "c1", "t", 1, {"url": "/a"})
