"""/models: versions of the scoring model; drafts, validation, preview, publish, diff, rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query

from leadscore.errors import LeadscoreError
from leadscore.service.api.deps import WorkspaceDep
from leadscore.service.api.errors import ApiError, invalid_model, not_found
from leadscore.service.schemas.common import error_responses
from leadscore.service.schemas.models import (
    DiffOut,
    ModelDraftIn,
    ModelListOut,
    ModelTextIn,
    ModelVersionDetailOut,
    PreviewIn,
    PreviewOut,
    PublishOut,
    RollbackIn,
    RollbackOut,
    ValidationOut,
)

if TYPE_CHECKING:
    from leadscore.service.versions import Version
    from leadscore.store.base import Store

router = APIRouter(prefix="/models", tags=["models"])

MAX_VERSION = 10**12
VersionPath = Annotated[
    int, Path(ge=1, le=MAX_VERSION, description="A model version number.", examples=[2])
]


def _get(store: Store, number: int) -> Version:
    from leadscore.service import versions

    try:
        return versions.get_version(store, number)
    except LeadscoreError:
        raise not_found("model version", number) from None


@router.get(
    "",
    summary="List model versions",
    description="Every version, oldest first (drafts, the published one, retired ones), and the "
    "version scoring the leads now.",
    response_model=ModelListOut,
    responses=error_responses(401),
)
def list_models(ws: WorkspaceDep) -> ModelListOut:
    from leadscore.service import versions

    with ws.reader() as store:
        items = [v.as_dict(with_yaml=False) for v in versions.list_versions(store)]
    return ModelListOut.model_validate(
        {"active_version": ws.runtime.active.version, "items": items}
    )


@router.post(
    "",
    status_code=201,
    summary="Create a draft model version",
    description="Validates the YAML and stores it as a new draft version (it scores nothing "
    "until published). An invalid model is a 422 listing every problem with its line.",
    response_model=ModelVersionDetailOut,
    responses=error_responses(400, 401, 413, 422),
)
def create_model(body: ModelDraftIn, ws: WorkspaceDep) -> ModelVersionDetailOut:
    from leadscore.service import model_ops, versions

    checked = model_ops.validate_yaml(body.yaml)  # every problem, before queueing anything
    if not checked["valid"]:
        raise invalid_model(checked["problems"])
    created = ws.runtime.command(lambda store: versions.create_version(store, body.yaml, body.note))
    return ModelVersionDetailOut.model_validate(created.as_dict())


@router.post(
    "/validate",
    summary="Validate a model",
    description="Checks a model without storing it: `valid`, and every problem with its line, "
    "column, key path, the bad value and what is allowed.",
    response_model=ValidationOut,
    responses=error_responses(400, 401, 413, 422),
)
def validate_model(body: ModelTextIn, ws: WorkspaceDep) -> ValidationOut:
    from leadscore.service import model_ops

    return ValidationOut.model_validate(model_ops.validate_yaml(body.yaml))


@router.get(
    "/diff",
    summary="Compare two model versions",
    description="What changed between two versions: a unified diff of the YAML, rules added, "
    "removed and changed (with both sentences), scores, totals, grade bands, matrix.",
    response_model=DiffOut,
    responses=error_responses(401, 404, 422),
)
def diff_models(
    ws: WorkspaceDep,
    from_: Annotated[
        int, Query(alias="from", ge=1, le=MAX_VERSION, description="The older version.")
    ],
    to: Annotated[int, Query(ge=1, le=MAX_VERSION, description="The newer version.")],
) -> dict[str, Any]:
    from leadscore.service import model_ops

    with ws.reader() as store:
        old, new = _get(store, from_), _get(store, to)
    return model_ops.diff(old, new)


@router.get(
    "/{version}",
    summary="Get a model version",
    description="One version with its YAML.",
    response_model=ModelVersionDetailOut,
    responses=error_responses(401, 404, 422),
)
def get_model(version: VersionPath, ws: WorkspaceDep) -> ModelVersionDetailOut:
    with ws.reader() as store:
        found = _get(store, version)
    return ModelVersionDetailOut.model_validate(found.as_dict())


@router.post(
    "/{version}/preview",
    summary="Preview the impact of a model version",
    description="Scores every lead with this version as of a time (default: now) and compares "
    "with the stored scores, without storing anything: how many leads change total, grade and "
    "stage, the grade transitions and distributions, and the top movers up and down.",
    response_model=PreviewOut,
    responses=error_responses(400, 401, 404, 422),
)
def preview_model(
    version: VersionPath, ws: WorkspaceDep, body: PreviewIn | None = None
) -> dict[str, Any]:
    from leadscore.service import model_ops
    from leadscore.store.imports.fields import timestamp_us

    chosen = body or PreviewIn()
    as_of = ws.now() if chosen.as_of is None else timestamp_us("as_of", chosen.as_of)
    with ws.reader() as store:
        draft = _get(store, version).load()
        return model_ops.preview(store, ws.runtime.active.model, draft, as_of, top=chosen.top)


@router.post(
    "/{version}/publish",
    summary="Publish a model version",
    description="Rescores every lead with this version in one transaction and makes it the "
    "active one (the previous becomes `retired` and stays readable). Grade changes are recorded "
    "in the history with cause `model` and raise alerts.",
    response_model=PublishOut,
    responses=error_responses(401, 404, 422, 503),
)
def publish_model(version: VersionPath, ws: WorkspaceDep) -> PublishOut:
    with ws.reader() as store:
        _get(store, version)
    return PublishOut.model_validate(ws.runtime.publish(version))


@router.post(
    "/{version}/rollback",
    summary="Roll back to a model version",
    description="Publishes the YAML of an earlier version again, as a new version (so the list "
    "of versions reads in order), and rescores everyone with it.",
    response_model=RollbackOut,
    responses=error_responses(401, 404, 409, 422, 503),
)
def rollback_model(
    version: VersionPath, ws: WorkspaceDep, body: RollbackIn | None = None
) -> dict[str, Any]:
    from leadscore.service import model_ops

    note = body.note if body is not None else None
    with ws.reader() as store:
        _get(store, version)
        try:
            model_ops.check_rollback(store, version)
        except LeadscoreError as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        return model_ops.rollback(store, ws.runtime, version, note=note)
