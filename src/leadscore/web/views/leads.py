"""The leads list (``/leads``, ``/leads.json``), its CSV export (``/leads.csv``) and saved
segments (``POST /segments``, ``POST /segments/{id}/delete``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, StreamingResponse

from leadscore.errors import LeadscoreError
from leadscore.web.deps import FormDep, Viewer, ViewerDep, WebError, field
from leadscore.web.render import add_page, query, respond, wants_json
from leadscore.web.views import NavItem

if TYPE_CHECKING:
    from starlette.responses import Response

    from leadscore.model.spec import Model
    from leadscore.web.queries.leads import LeadPage, Query

router = APIRouter()
NAV = NavItem("Leads", "/leads", "leads")
FILTER_KEYS = ("grade", "stage", "min", "max", "account", "q")
GRADE_COUNTS_TTL_S = 10.0  # the counts beside the grade filter may lag this much


def _model(viewer: Viewer) -> tuple[int, Model]:
    active = viewer.ws.runtime.active
    return active.version, active.model


def _query(viewer: Viewer, model: Model, segment: dict[str, Any] | None) -> Query:
    from leadscore.web.queries.filters import Cursor, LeadFilter, Sort
    from leadscore.web.queries.leads import DEFAULT_PAGE_SIZE, PAGE_SIZES, Query
    from leadscore.web.queries.segments import segment_filter

    explicit = any(viewer.param(k) for k in FILTER_KEYS)
    if segment is not None and not explicit:
        filt = segment_filter(segment)
    else:
        filt = LeadFilter.from_params(viewer.params)
    sort = Sort.parse(viewer.param("sort"), list(model.scores))
    size_text = viewer.param("size")
    size = int(size_text) if size_text and size_text.isdigit() else DEFAULT_PAGE_SIZE
    if size not in PAGE_SIZES:
        raise LeadscoreError(f"size must be one of {', '.join(map(str, PAGE_SIZES))}")
    after, before = viewer.param("after"), viewer.param("before")
    at = viewer.param("at")
    return Query(
        filter=filt,
        sort=sort,
        after=Cursor.decode(after) if after else None,
        before=Cursor.decode(before) if before and not after else None,
        last=viewer.param("last") == "1" and not after and not before,
        start=int(at) if at and at.isdigit() else 1,
        limit=size,
    )


def _links(path: str, q: Query, page: LeadPage, base: dict[str, Any]) -> dict[str, str | None]:
    """First, previous, next and last pages of the same filter and sort."""
    end = page.start + len(page.items) - 1
    return {
        "first": path + query(base),
        "prev": path + query(base, before=page.prev.encode(), at=page.start) if page.prev else None,
        "next": path + query(base, after=page.next.encode(), at=end + 1) if page.next else None,
        "last": path + query(base, last=1) if page.next else None,
    }


def leads_context(viewer: Viewer) -> dict[str, Any]:
    """Everything the list shows (the HTML page and ``/leads.json`` alike)."""
    from leadscore.service import predictions as predictive
    from leadscore.web.queries import segments
    from leadscore.web.queries.filters import allowed_sorts
    from leadscore.web.queries.leads import (
        PAGE_SIZES,
        LeadReader,
        grade_labels,
        scored_model,
        stage_labels,
    )

    version, active = _model(viewer)
    with viewer.reader() as store:
        model = scored_model(store, viewer.ws.models, active)
        chosen = viewer.param("segment")
        segment = segments.get_segment(store, chosen) if chosen else None
        if chosen and segment is None:
            raise WebError(404, f"There is no saved segment '{chosen}' (any more).")
        q = _query(viewer, model, segment)
        has_predictive = predictive.ready(store)
        if q.sort.key == "predictive" and not has_predictive:
            raise WebError(400, "This workspace has no predictive scores to sort by yet.")
        reader = LeadReader(
            store, viewer.ws.models, viewer.state.search(viewer.ws.name), has_predictive
        )
        page = reader.page(q, model)
        grade_counts = viewer.state.memo(
            ("grade_counts", viewer.ws.name), GRADE_COUNTS_TTL_S, reader.grade_counts
        )
        saved = segments.list_segments(store)
    params = q.filter.params()
    base: dict[str, Any] = {**params, "sort": q.sort.param}
    if q.limit != 50:
        base["size"] = q.limit
    path = "/leads.json" if wants_json(viewer.request) else "/leads"
    current = next((s for s in saved if s["filter"] == params), None) if params else None
    return {
        "workspace": viewer.ws.name,
        "model": {
            "name": model.name,
            "version": version,
            "scores": list(model.scores),
            "grades": grade_labels(model),
            "stages": stage_labels(model),
        },
        "predictive": has_predictive,
        "filter": params,
        "filter_text": q.filter.sentences(),
        "sort": q.sort.param,
        "sorts": [
            key
            for key in allowed_sorts(list(model.scores))
            if key != "predictive" or has_predictive
        ],
        "segment": current,
        "segments": saved,
        "grade_counts": grade_counts,
        "all_leads": sum(grade_counts.values()),
        "page": {
            "count": page.count,
            "start": page.start if page.items else 0,
            "end": page.start + len(page.items) - 1 if page.items else 0,
            "size": q.limit,
            "sizes": list(PAGE_SIZES),
            **_links(path, q, page, base),
        },
        "csv_url": "/leads.csv" + query(base),
        "items": page.items,
    }


def leads_page(request: Request, viewer: ViewerDep) -> Response:
    context = leads_context(viewer)
    fragments = {"results": "_leads_results.html"}
    return respond(
        viewer, request, "leads.html", context, title="Leads", section="leads", fragments=fragments
    )


add_page(router, "/leads", leads_page, name="leads")


def _safe_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is quoted (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def csv_rows(items: list[dict[str, Any]], score_names: list[str], predictive: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for item in items:
        p = item.get("predictive") or {}
        reasons = "; ".join(f"{r['rule']} {r['points']:+g}" for r in item["reasons"])
        row = [
            item["contact_id"],
            item["name"],
            item["email"],
            item["company"],
            item["account_id"],
            item["total"],
            *(item["scores"].get(n) for n in score_names),
        ]
        if predictive:
            row += [p.get("score"), p.get("probability")]
        row += [item["grade"], item["stage"], reasons, item["as_of"]]
        writer.writerow([_safe_cell(v) for v in row])
    return buffer.getvalue()


@router.get("/leads.csv", include_in_schema=False)
def leads_csv(viewer: ViewerDep) -> StreamingResponse:
    """Every lead of the current filter and sort, streamed as CSV."""
    from leadscore.service import predictions as predictive
    from leadscore.web.queries.leads import LeadReader, export_chunks, scored_model

    _, active = _model(viewer)
    with viewer.reader() as store:
        model = scored_model(store, viewer.ws.models, active)
        chosen = viewer.param("segment")
        segment = None
        if chosen:
            from leadscore.web.queries.segments import get_segment

            segment = get_segment(store, chosen)
            if segment is None:
                raise WebError(404, f"There is no saved segment '{chosen}' (any more).")
        q = _query(viewer, model, segment)
        has_predictive = predictive.ready(store)
    if q.sort.key == "predictive" and not has_predictive:
        raise WebError(400, "This workspace has no predictive scores to sort by yet.")
    names = list(model.scores)
    search = viewer.state.search(viewer.ws.name)
    models = viewer.ws.models

    @contextmanager
    def reader() -> Iterator[LeadReader]:
        with viewer.ws.reader() as store:
            yield LeadReader(store, models, search, has_predictive)

    def lines() -> Iterator[str]:
        header = ["contact_id", "name", "email", "company", "account_id", "total", *names]
        if has_predictive:
            header += ["predictive_score", "probability"]
        header += ["grade", "stage", "top_reasons", "scored_at"]
        buffer = io.StringIO()
        csv.writer(buffer).writerow(header)
        yield buffer.getvalue()
        for chunk in export_chunks(reader, q, model):
            yield csv_rows(chunk, names, has_predictive)

    filename = f"leads-{_slug(viewer.ws.name)}.csv"
    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:60] or "workspace"


@router.post("/segments", include_in_schema=False)
def save_segment(viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries.filters import LeadFilter
    from leadscore.web.queries.segments import save_segment as save

    try:
        filt = LeadFilter.from_dict(form)
        with viewer.reader() as store:
            segment_id = save(store, field(form, "name"), filt, viewer.who, viewer.ws.now())
    except LeadscoreError as exc:
        raise WebError(400, str(exc)) from None
    return RedirectResponse(f"/leads?segment={segment_id}", status_code=303)


@router.post("/segments/{segment_id}/delete", include_in_schema=False)
def delete_segment(segment_id: str, viewer: ViewerDep, form: FormDep) -> Response:
    from leadscore.web.queries.segments import delete_segment as delete

    with viewer.reader() as store:
        if not delete(store, segment_id):
            raise WebError(404, f"There is no saved segment '{segment_id}'.")
    return RedirectResponse("/leads", status_code=303)
