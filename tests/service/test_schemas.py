"""The request models (leadscore.service.schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from leadscore.service.schemas.common import RequestModel
from leadscore.service.schemas.contacts import ContactIn, ContactItemIn
from leadscore.service.schemas.events import EventIn, OutcomeIn

ITEMS: list[tuple[type[RequestModel], dict[str, Any]]] = [
    (
        EventIn,
        {
            "event_id": "e1",
            "contact_id": "c1",
            "type": "page_view",
            "ts": "2025-06-30T14:05:00Z",
            "properties": {"url": "/pricing", "tags": ["a", "b"], "n": 3},
        },
    ),
    (EventIn, {"contact_id": "c1", "type": "page_view", "ts": "2025-06-30T14:05:00Z"}),
    (OutcomeIn, {"contact_id": "c1", "type": "won", "ts": "2025-06-30", "value": 10.5}),
    (ContactItemIn, {"contact_id": "c1", "attributes": {"title": "VP"}, "account_id": "a1"}),
    (ContactIn, {"attributes": {"title": "VP"}}),
]


@pytest.mark.parametrize(("model", "body"), ITEMS)
def test_as_fields_is_model_dump_of_the_flat_ingest_items(
    model: type[RequestModel], body: dict[str, Any]
) -> None:
    """The ingest routes read an item's fields without model_dump's copy: the same dict, as
    long as the items stay flat (a nested model would differ here)."""
    item = model.model_validate(body)
    assert item.as_fields() == item.model_dump()
    assert list(item.as_fields()) == list(model.model_fields)
