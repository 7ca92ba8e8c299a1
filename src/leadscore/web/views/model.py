"""The scoring model: the active model with every rule as a sentence and its versions
(``/model``), the draft editor with problems at their lines and the impact preview
(``/model/edit``; ``POST /model/check``, ``/model/preview``, ``/model/drafts``,
``/model/publish``), one version (``/model/versions/{n}``, with ``POST .../publish`` and
``.../rollback``) and the diff of two versions (``/model/diff?from=&to=``).

Every page has its JSON twin; the POSTs answer JSON too when asked for it. The work is done by
:mod:`leadscore.web.queries.model`, over the model-version library."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from leadscore.errors import LeadscoreError
from leadscore.web.deps import FormDep, Viewer, ViewerDep, WebError, field
from leadscore.web.render import NO_STORE, add_page, json_safe, respond, wants_json
from leadscore.web.views import NavItem

if TYPE_CHECKING:
    from starlette.responses import Response

router = APIRouter()
NAV = NavItem("Model", "/model", "model")
RESULT = "draft-result"  # the editor's element htmx swaps a check or a preview into
NOTICES = {
    "published": "Published version {}: every lead is scored with it now.",
    "rolled_back": "Rolled back: version {} is live.",
    "saved": "Saved draft version {}. It scores nothing until you publish it.",
}


def _number(text: str | None, name: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or not 1 <= int(text) <= 10**12:
        raise WebError(400, f"{name} must be a version number, such as 2; got '{text}'.")
    return int(text)


def _notice(viewer: Viewer) -> str | None:
    for key, text in NOTICES.items():
        value = viewer.param(key)
        if value and value.isdigit():
            return text.format(value)
    return None


def answer_or_redirect(viewer: Viewer, result: dict[str, Any], target: str) -> Response:
    """After a POST that changed something: its result as JSON, or a redirect (303) to
    ``target`` (the alerts pages answer the same way)."""
    if wants_json(viewer.request):
        return JSONResponse(json_safe(result), headers=NO_STORE)
    return RedirectResponse(target, status_code=303)


# ------------------------------------------------------------------------------- pages
def model_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries import model as queries

    active = viewer.ws.runtime.active
    with viewer.reader() as store:
        versions = queries.history(store)
    context = {
        "active_version": active.version,
        "model": queries.readable(active.model),
        "versions": versions,
        "notice": _notice(viewer),
    }
    return respond(viewer, request, "model.html", context, title="Model", section="model")


def _editor(viewer: Viewer, text: str, base: int | None, result: dict[str, Any]) -> dict[str, Any]:
    return {
        "active_version": viewer.ws.runtime.active.version,
        "base_version": base,
        "yaml": text,
        "line_count": max(1, len(text.splitlines())),
        "note": "",
        **result,
    }


def edit_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries import model as queries

    active = viewer.ws.runtime.active
    base = _number(viewer.param("from"), "from") or active.version
    with viewer.reader() as store:
        try:
            text = queries.version(store, base).yaml
        except LeadscoreError:
            raise WebError(404, f"There is no model version {base}.") from None
    context = _editor(viewer, text, base, {"check": queries.check(text), "impact": None})
    return respond(
        viewer,
        request,
        "model_edit.html",
        context,
        title="Edit the model",
        section="model",
        fragments={RESULT: "_model_result.html"},
    )


def _draft_answer(
    viewer: Viewer, form: dict[str, list[str]], result: dict[str, Any], status: int = 200
) -> Response:
    """The editor with ``result`` (a check, maybe an impact): the whole page, the result
    fragment for htmx, or JSON."""
    text = field(form, "yaml")
    context = _editor(viewer, text, _number(field(form, "base") or None, "base"), result)
    context["note"] = field(form, "note")
    return respond(
        viewer,
        viewer.request,
        "model_edit.html",
        context,
        title="Edit the model",
        section="model",
        fragments={RESULT: "_model_result.html"},
        status=status,
    )


@router.post("/model/check", include_in_schema=False)
def check_draft(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import model as queries

    return _draft_answer(
        viewer, form, {"check": queries.check(field(form, "yaml")), "impact": None}
    )


@router.post("/model/preview", include_in_schema=False)
def preview_draft(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import model as queries

    active = viewer.ws.runtime.active
    with viewer.reader() as store:
        result = queries.preview(store, active.model, field(form, "yaml"), viewer.ws.now())
    return _draft_answer(viewer, form, result)


def _with_valid_draft(
    viewer: Viewer, form: dict[str, list[str]], action: Callable[[str, str], dict[str, Any]]
) -> Response | dict[str, Any]:
    """``action(yaml, note)``'s result, or the editor with the draft's problems (422) when it
    is invalid; a refusal of the library is a 400 page."""
    from leadscore.web.queries import model as queries

    text = field(form, "yaml")
    checked = queries.check(text)
    if not checked["valid"]:
        return _draft_answer(viewer, form, {"check": checked, "impact": None}, status=422)
    try:
        return action(text, field(form, "note"))
    except LeadscoreError as exc:
        raise WebError(400, str(exc)) from None


@router.post("/model/drafts", include_in_schema=False)
def save_draft(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import model as queries

    def save(text: str, note: str) -> dict[str, Any]:
        return queries.save_draft(viewer.ws.runtime, text, note).as_dict()

    saved = _with_valid_draft(viewer, form, save)
    if not isinstance(saved, dict):
        return saved
    number = saved["version"]
    return answer_or_redirect(viewer, saved, f"/model/versions/{number}?saved={number}")


@router.post("/model/publish", include_in_schema=False)
def publish_draft(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import model as queries

    def publish(text: str, note: str) -> dict[str, Any]:
        with viewer.reader() as store:
            return queries.publish(store, viewer.ws.runtime, text, note)

    result = _with_valid_draft(viewer, form, publish)
    if not isinstance(result, dict):
        return result
    return answer_or_redirect(viewer, result, f"/model?published={result['version']}")


def version_page(request: Request, number: int, viewer: ViewerDep) -> Response:
    from leadscore.web.queries import model as queries

    active = viewer.ws.runtime.active.version
    with viewer.reader() as store:
        try:
            context = queries.version_detail(store, number, active)
        except LeadscoreError:
            raise WebError(404, f"There is no model version {number}.") from None
    context["notice"] = _notice(viewer)
    return respond(
        viewer, request, "model_version.html", context, title=f"Version {number}", section="model"
    )


@router.post("/model/versions/{number}/publish", include_in_schema=False)
def publish_version(number: int, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import model as queries

    try:
        result = queries.publish_version(viewer.ws.runtime, number)
    except LeadscoreError as exc:
        raise WebError(409, str(exc)) from None
    return answer_or_redirect(viewer, result, f"/model?published={number}")


@router.post("/model/versions/{number}/rollback", include_in_schema=False)
def rollback_version(number: int, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries import model as queries

    try:
        with viewer.reader() as store:
            result = queries.rollback(store, viewer.ws.runtime, number, field(form, "note"))
    except LeadscoreError as exc:
        raise WebError(409, str(exc)) from None
    return answer_or_redirect(viewer, result, f"/model?rolled_back={result['version']}")


def diff_page(request: Request, viewer: ViewerDep) -> Response:
    from leadscore.web.queries import model as queries

    old = _number(viewer.param("from"), "from")
    new = _number(viewer.param("to"), "to")
    if old is None or new is None:
        raise WebError(400, "Give two versions to compare: /model/diff?from=1&to=2.")
    with viewer.reader() as store:
        try:
            context = queries.diff(store, old, new)
        except LeadscoreError as exc:
            raise WebError(404, str(exc)) from None
    return respond(
        viewer,
        request,
        "model_diff.html",
        context,
        title=f"Version {old} → {new}",
        section="model",
    )


add_page(router, "/model", model_page, name="model")
add_page(router, "/model/edit", edit_page, name="model-edit")
add_page(router, "/model/diff", diff_page, name="model-diff")
add_page(router, "/model/versions/{number}", version_page, name="model-version")
