"""Contacts: upserts, a lead with its score and reasons, the list of leads, score history."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from leadscore.service.schemas.common import JsonObject, RequestModel

_ATTRIBUTES = (
    "Attributes, merged into the stored ones: a key sent replaces that key, keys not sent stay. "
    "Values may be text, numbers, booleans, lists or nested objects (flattened to dotted keys); "
    "null is the same as not sending the key."
)
_CREATED = "When the contact was created (ISO 8601, UTC when no offset is given)."


class ContactIn(RequestModel):
    """A contact to create or update (the id is in the path)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "account_id": "acme",
                    "created_at": "2025-03-01T09:30:00Z",
                    "attributes": {"job_title": "VP Marketing", "country": "US", "employees": 800},
                }
            ]
        }
    )

    account_id: str | None = Field(default=None, description="The contact's company, if any.")
    created_at: str | None = Field(
        default=None, description=_CREATED, json_schema_extra={"format": "date-time"}
    )
    attributes: JsonObject = Field(default_factory=dict, description=_ATTRIBUTES)


class ContactItemIn(ContactIn):
    """A contact in a batch."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "contact_id": "jane@acme.example",
                    "account_id": "acme",
                    "attributes": {"job_title": "VP Marketing"},
                }
            ]
        }
    )

    contact_id: str = Field(description="The caller's id of the contact (1 to 200 characters).")


class ContactBatchIn(RequestModel):
    contacts: list[ContactItemIn] = Field(
        min_length=1, description="The contacts to create or update (see the limit above)."
    )


class ContactWriteOut(BaseModel):
    status: Literal["inserted", "updated", "unchanged"] = Field(
        description="`inserted` (new), `updated` (something changed: it is rescored within a "
        "second) or `unchanged`."
    )
    contact_id: str


class RuleContributionOut(BaseModel):
    rule: str = Field(description="The rule's id in the model.")
    score: str = Field(description="The named score the rule belongs to.")
    kind: str = Field(description="attribute, event, inactivity or rollup.")
    points: float = Field(description="Points the rule gave this lead (negative takes away).")
    matched: int = Field(description="Matching events (or 1 when an attribute rule holds).")
    counted: int = Field(description="How many of them counted (after once/max_times/caps).")
    weight: float = Field(description="The decayed weight of what counted.")
    explanation: str = Field(description="What the rule found for this lead, in words.")
    rule_text: str = Field(description="What the rule does, in words.")


class ScoreBreakdownOut(BaseModel):
    name: str
    value: float = Field(description="The score after its floor and ceiling.")
    raw: float = Field(description="The sum of the rule points and group adjustments.")
    min: float | None
    max: float | None
    bounding: float = Field(description="How much the floor or ceiling changed the raw score.")
    group_adjustments: dict[str, float]
    rules: list[RuleContributionOut]


class ReasonOut(BaseModel):
    rule: str
    points: float
    why: str


class ReasonsOut(BaseModel):
    positive: list[ReasonOut] = Field(description="The rules that added the most points.")
    negative: list[ReasonOut] = Field(description="The rules that took the most points away.")


class ScoreOut(BaseModel):
    model_version: int | None = Field(description="The model version that computed the score.")
    model_name: str
    as_of: str | None = Field(description="The time the score is computed for.")
    total: float
    total_raw: float
    grade: str | None
    stage: str | None
    matrix: str | None = Field(
        description="The fit x engagement cell (A1..D4) when the model has a matrix."
    )
    scores: dict[str, float] = Field(description="Each named score (fit, engagement...).")
    grades: dict[str, str] = Field(description="The grade of each grading of the model.")
    breakdown: list[ScoreBreakdownOut] = Field(
        description="Per named score, each rule's points: they add up to the raw score."
    )
    reasons: ReasonsOut
    next_change: str | None = Field(
        description="When time alone (decay, expiry) will next change the score."
    )


class PredictiveOut(BaseModel):
    """A contact's stored predictive score (written by `leadscore predict`)."""

    score: int = Field(description="0 to 100: the probability in percent, rounded.")
    probability: float = Field(
        description="The calibrated probability of converting within the model's horizon."
    )
    model_id: str = Field(description="The trained model that computed it.")
    as_of: str = Field(description="The time it is computed for.")


class FactorOut(BaseModel):
    feature: str
    label: str = Field(description="The feature in words: `pricing page views, last 30 days`.")
    value: str = Field(description="The lead's value of it, as text.")
    contribution: float = Field(description="Its part in the lead's log-odds of converting.")
    text: str = Field(description="All of it in one sentence.")


class PredictionOut(BaseModel):
    """A contact's predictive score with its top factors for and against."""

    contact_id: str
    available: bool = Field(description="Whether the score and its factors could be given.")
    reason: str | None = Field(description="Why not, when they could not.")
    predictive: PredictiveOut | None
    positive: list[FactorOut] = Field(description="The factors that raised it most.")
    negative: list[FactorOut] = Field(description="The factors that lowered it most.")


class ContactOut(BaseModel):
    """A contact with its current score, grade, stage, breakdown and top reasons."""

    contact_id: str
    account_id: str | None
    created_at: str | None
    updated_at: str | None
    attributes: dict[str, str] = Field(description="The stored attributes (values as text).")
    score: ScoreOut | None = Field(
        description="The current score; null until the contact is first scored (within a "
        "second of its creation)."
    )
    predictive: PredictiveOut | None = Field(
        description="The stored predictive score, next to the rule score; null when the "
        "workspace has no predictions or none for this contact (its top factors: "
        "`GET /contacts/{contact_id}/prediction`)."
    )


class ContactSummaryOut(BaseModel):
    contact_id: str
    account_id: str | None
    total: float
    grade: str | None
    stage: str | None
    matrix: str | None
    scores: dict[str, float]
    reasons: str = Field(description="The top reasons in one line: `demo_request +40; ...`.")
    as_of: str | None
    predictive_score: int | None = Field(
        description="The stored predictive score (0 to 100), or null when there is none."
    )


class ContactPageOut(BaseModel):
    items: list[ContactSummaryOut]
    total: int = Field(description="How many contacts match the filters (all pages).")
    page: int
    page_size: int


class ScoreStateOut(BaseModel):
    total: float | None
    grade: str | None
    stage: str | None


class HistoryEntryOut(BaseModel):
    at: str
    cause: str = Field(
        description="`event` (new events), `attributes` (the contact changed), `time` (decay, "
        "expiry, inactivity) or `model` (a model version was published)."
    )
    model_version: int | None
    old: ScoreStateOut = Field(description="Before the change (nulls: not scored before).")
    new: ScoreStateOut


class HistoryPageOut(BaseModel):
    contact_id: str
    items: list[HistoryEntryOut] = Field(description="Newest first.")
    total: int
    page: int
    page_size: int
