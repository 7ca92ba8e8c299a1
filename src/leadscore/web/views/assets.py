"""Front-end files shipped with Python packages: plotly.js from the installed ``plotly``
package (no CDN). The app's own files and htmx are under ``/static`` (leadscore/web/static)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from leadscore.web.deps import WebError

router = APIRouter()
FOREVER = {"Cache-Control": "public, max-age=31536000, immutable"}


@cache
def plotly_file() -> Path | None:
    """plotly.min.js as the plotly package ships it (``None`` when plotly is missing)."""
    import importlib.util

    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "package_data" / "plotly.min.js"
    return path if path.is_file() else None


@cache
def plotly_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("plotly")
    except PackageNotFoundError:
        return "missing"


@router.get("/static/vendor/plotly-{version}.min.js", include_in_schema=False)
def plotly_js(version: str) -> FileResponse:
    path = plotly_file()
    if path is None or version != plotly_version():
        raise WebError(404, "There is no such file.")
    return FileResponse(path, media_type="text/javascript", headers=FOREVER)
