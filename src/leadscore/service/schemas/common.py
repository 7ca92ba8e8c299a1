"""Shapes shared by every resource: the error body, per-item write results, pages."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("text must not contain the NUL character")
    return text


# Text stored or compared as is (ids and values are checked by the shared row rules instead).
SafeText = Annotated[str, AfterValidator(_no_nul)]
# Free-form attributes and properties (their values, and how deeply they nest, are checked
# by the import rules: leadscore.store.imports.fields)
JsonObject = dict[str, Any]


class RequestModel(BaseModel):
    """A request body: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid")

    def as_fields(self) -> dict[str, Any]:
        """The fields as a dict: what ``model_dump()`` returns for the flat items of the
        ingest routes (no nested model), without its copy of every value, which cost a tenth
        of a batch route's time."""
        return dict(self.__dict__)


class ErrorInfo(BaseModel):
    code: str = Field(description="A stable machine-readable code, such as `invalid_request`.")
    message: str = Field(description="What is wrong, in one sentence.")
    details: Any = Field(
        default=None,
        description="More about it: the fields in error, the model's problems with their "
        "lines, the rejected value...",
    )


class ErrorBody(BaseModel):
    """Every error response has this body."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "error": {
                        "code": "invalid_value",
                        "message": "ts: is before 1970-01-01 (got '1969-12-31')",
                        "details": {
                            "field": "ts",
                            "value": "'1969-12-31'",
                            "reason": "is before 1970-01-01",
                        },
                    }
                }
            ]
        }
    )

    error: ErrorInfo


ItemStatus = Literal["accepted", "duplicate", "rejected", "inserted", "updated", "unchanged"]


class ItemResultOut(BaseModel):
    """What happened to one item of a write."""

    status: ItemStatus = Field(
        description="Events and outcomes: `accepted` (stored now), `duplicate` (already stored "
        "under that id: nothing changed) or `rejected` (nothing stored; see `reason`). "
        "Contacts: `inserted`, `updated`, `unchanged` or `rejected`."
    )
    id: str | None = Field(description="The item's id (null when it could not be read).")
    reason: str | None = Field(default=None, description="Why the item was rejected.")


class BatchResultOut(BaseModel):
    """Per-item results, in the order of the request, and how many of each status."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {"status": "accepted", "id": "evt-1001", "reason": None},
                        {"status": "duplicate", "id": "evt-1000", "reason": None},
                        {
                            "status": "rejected",
                            "id": "evt-1002",
                            "reason": "unknown contact_id 'nobody'; create the contact first",
                        },
                    ],
                    "counts": {"accepted": 1, "duplicate": 1, "rejected": 1},
                }
            ]
        }
    )

    results: list[ItemResultOut]
    counts: dict[str, int] = Field(description="How many items ended in each status.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error responses a route can give."""
    return {status: {"model": ErrorBody, "description": ERROR_TEXT[status]} for status in statuses}


ERROR_TEXT = {
    400: "Malformed request: the body is not valid JSON, or a value cannot be used.",
    401: "Missing, unknown or revoked API key.",
    404: "No such resource in this workspace.",
    409: "The request conflicts with the current state.",
    413: "The body is larger than the limit, or a batch has too many items (nothing written).",
    422: "The request does not match its schema, or a value is refused (nothing written).",
    503: "The workspace is not ready or is shutting down; retry later.",
}
