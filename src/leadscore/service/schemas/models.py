"""Model versions: drafts, the published one, retired ones; validation, preview, diff."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from leadscore.service.schemas.common import RequestModel, SafeText

MAX_YAML_CHARS = 1_000_000
_EXAMPLE_YAML = (
    "leadscore: 1\nname: b2b-saas\nscores:\n  engagement:\n    rules:\n"
    "      - {id: demo_request, points: 40, event: demo_request, within: 30d}\n"
)


class ModelVersionOut(BaseModel):
    version: int
    name: str
    status: str = Field(description="`draft`, `published` (the active one) or `retired`.")
    model_hash: str = Field(description="A fingerprint of the model's content.")
    note: str | None
    created_at: str
    published_at: str | None


class ModelVersionDetailOut(ModelVersionOut):
    yaml: str = Field(description="The model, as written.")


class ModelListOut(BaseModel):
    active_version: int = Field(description="The published version scoring the leads now.")
    items: list[ModelVersionOut] = Field(description="Every version, oldest first.")


class ModelDraftIn(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"yaml": _EXAMPLE_YAML, "note": "demo worth more"}]}
    )

    yaml: str = Field(max_length=MAX_YAML_CHARS, description="The model (YAML, spec version 1).")
    note: SafeText | None = Field(default=None, max_length=1000, description="Why this version.")


class ModelTextIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"yaml": _EXAMPLE_YAML}]})

    yaml: str = Field(max_length=MAX_YAML_CHARS, description="The model (YAML, spec version 1).")


class ProblemOut(BaseModel):
    """One problem of a model, with its place in the YAML."""

    line: int | None = Field(description="1-based line (null: the whole document).")
    column: int | None
    path: str = Field(description="Where in the model: `scores.fit.rules[2].within`.")
    message: str
    value: Any = None
    allowed: list[str] = Field(default_factory=list)
    suggestion: str | None = None


class ValidationOut(BaseModel):
    """Whether a model is valid; every problem at once when it is not."""

    valid: bool
    problems: list[ProblemOut] = Field(default_factory=list)
    summary: dict[str, Any] = Field(
        description="A valid model: its scores, rules (with their sentences) and grades; an "
        "invalid one: how many problems, on which lines."
    )


class PreviewIn(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"top": 20}]})

    as_of: str | None = Field(
        default=None, description="Score both models as of this time (default: now), ISO 8601."
    )
    top: int = Field(default=20, ge=1, le=200, description="How many top movers to list.")


class PreviewOut(BaseModel):
    """The impact of publishing a version now (nothing is stored). Every field is described in
    docs/model-versions.md."""

    model_config = ConfigDict(extra="allow")

    as_of: str
    contacts: dict[str, Any] = Field(description="How many leads before, after, compared.")
    changed: dict[str, Any] = Field(
        description="How many leads change total, grade and stage; grade up and down."
    )
    transitions: Any = Field(default=None, description="Old grade x new grade counts.")
    movers: dict[str, Any] = Field(description="The top movers up and down.")
    warnings: list[Any] = Field(default_factory=list)


class DiffOut(BaseModel):
    """What changed between two versions (docs/model-versions.md)."""

    model_config = ConfigDict(extra="allow")

    identical: bool = Field(description="Whether the two models are the same.")
    rules: dict[str, Any] = Field(description="Rules added, removed and changed.")
    summary: dict[str, Any] = Field(description="How many of each kind of change.")


class RollbackOut(BaseModel):
    """The new version that republished an older one."""

    model_config = ConfigDict(extra="allow")

    version: int = Field(description="The new version (a copy of the older one), now published.")
    rolled_back_to: int
    previous: int | None = Field(description="The version published before.")
    scored: int
    changed_grade: int


class PublishOut(BaseModel):
    version: int = Field(description="The version now published (active).")
    scored: int = Field(description="How many contacts were rescored with it.")
    changed_grade: int = Field(description="How many contacts changed grade or stage.")


class RollbackIn(RequestModel):
    note: SafeText | None = Field(default=None, max_length=1000, description="Why the rollback.")
