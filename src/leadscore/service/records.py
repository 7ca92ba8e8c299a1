"""Results of write requests, one per item."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Status = Literal["accepted", "duplicate", "rejected", "inserted", "updated", "unchanged"]


@dataclass(frozen=True)
class ItemResult:
    status: Status
    id: str
    reason: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        out: dict[str, str | None] = {"status": self.status, "id": self.id}
        if self.reason is not None:
            out["reason"] = self.reason
        return out
