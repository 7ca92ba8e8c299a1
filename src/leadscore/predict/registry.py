"""Trained models as versioned artifacts in the workspace folder, with one active model.

my-workspace/
  models/
    active                              the id of the active model (one line)
    pm-20250630T120000-3f9a1c/
      model.joblib                      the TrainedModel (joblib pickle: load only your own)
      meta.json                         features, window, snapshots, horizon, fingerprint,
                                        metrics, report, library versions, created_at

Writes are atomic: a model folder appears complete or not at all, and ``active`` is replaced
in one rename.
"""

from __future__ import annotations

import json
import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError, did_you_mean

if TYPE_CHECKING:
    from leadscore.predict.trained import TrainedModel
    from leadscore.store.workspace import Workspace

MODELS_DIR = "models"
ACTIVE_FILE = "active"
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
LIBRARIES = ("leadscore", "scikit-learn", "lightgbm", "numpy", "pandas", "duckdb", "joblib")


@dataclass(frozen=True)
class ModelRecord:
    """One saved model, as listed."""

    model_id: str
    created_at: str
    kind: str
    horizon_days: int | None
    roc_auc: float | None
    examples: int
    fingerprint: str
    active: bool

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def models_dir(workspace: Workspace | str | Path) -> Path:
    root = Path(workspace) if isinstance(workspace, (str, Path)) else workspace.root
    return root / MODELS_DIR


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


def _new_id(folder: Path, model: TrainedModel) -> str:
    from leadscore.timeutil import from_us

    stamp = from_us(model.created_at_us).strftime("%Y%m%dT%H%M%S")
    base = f"pm-{stamp}-{model.fingerprint[:6]}"
    model_id, n = base, 1
    while (folder / model_id).exists():
        n += 1
        model_id = f"{base}-{n}"
    return model_id


def save_model(
    workspace: Workspace | str | Path, model: TrainedModel, activate: bool = True
) -> ModelRecord:
    """Write ``model`` as a new version (its ``model_id`` is set) and, by default, make it the
    active model."""
    import joblib  # type: ignore[import-untyped,unused-ignore]

    folder = models_dir(workspace)
    folder.mkdir(parents=True, exist_ok=True)
    model_id = _new_id(folder, model)
    model.model_id = model_id
    staging = folder / f".tmp-{model_id}"
    staging.mkdir()
    joblib.dump(model, staging / MODEL_FILE, compress=3)
    meta = {**model.meta(), "libraries": library_versions()}
    (staging / META_FILE).write_text(
        json.dumps(meta, indent=2, ensure_ascii=False, default=_jsonable) + "\n", encoding="utf-8"
    )
    staging.rename(folder / model_id)
    if activate:
        activate_model(workspace, model_id)
    return _record(folder, model_id, active_model_id(workspace))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _ids(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and (p / META_FILE).is_file())


def _check(workspace: Workspace | str | Path, model_id: str) -> Path:
    folder = models_dir(workspace)
    ids = _ids(folder)
    if model_id not in ids:
        known = f"saved models: {', '.join(ids[-5:])}" if ids else "no model saved yet"
        raise LeadscoreError(f"no model '{model_id}' ({known}).{did_you_mean(model_id, ids)}")
    return folder / model_id


def _meta(folder: Path, model_id: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / model_id / META_FILE).read_text(encoding="utf-8"))
    return data


def _record(folder: Path, model_id: str, active: str | None) -> ModelRecord:
    meta = _meta(folder, model_id)
    auc = meta.get("metrics", {}).get("roc_auc")
    return ModelRecord(
        model_id=model_id,
        created_at=str(meta.get("created_at")),
        kind=str(meta.get("kind")),
        horizon_days=meta.get("horizon_days"),
        roc_auc=None if auc is None else float(auc),
        examples=int(meta.get("report", {}).get("counts", {}).get("examples", 0)),
        fingerprint=str(meta.get("fingerprint")),
        active=model_id == active,
    )


def list_models(workspace: Workspace | str | Path) -> list[ModelRecord]:
    """Every saved model, oldest first."""
    folder = models_dir(workspace)
    active = active_model_id(workspace)
    records = [_record(folder, i, active) for i in _ids(folder)]
    return sorted(records, key=lambda r: (r.created_at, r.model_id))


def show_model(workspace: Workspace | str | Path, model_id: str) -> dict[str, Any]:
    """A saved model's ``meta.json`` (plus whether it is active)."""
    _check(workspace, model_id)
    meta = _meta(models_dir(workspace), model_id)
    meta["active"] = model_id == active_model_id(workspace)
    return meta


def active_model_id(workspace: Workspace | str | Path) -> str | None:
    path = models_dir(workspace) / ACTIVE_FILE
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8").strip()
    return text or None


def activate_model(workspace: Workspace | str | Path, model_id: str) -> None:
    """Make ``model_id`` the model that ``leadscore predict`` uses."""
    _check(workspace, model_id)
    folder = models_dir(workspace)
    staging = folder / f".{ACTIVE_FILE}.tmp"
    staging.write_text(model_id + "\n", encoding="utf-8")
    os.replace(staging, folder / ACTIVE_FILE)


def load_model(workspace: Workspace | str | Path, model_id: str | None = None) -> TrainedModel:
    """A saved model (default: the active one). Only load models you trained: the artifact is
    a pickle."""
    import joblib  # type: ignore[import-untyped,unused-ignore]

    if model_id is None:
        model_id = active_model_id(workspace)
        if model_id is None:
            raise LeadscoreError("no active predictive model; train one with: leadscore train")
    path = _check(workspace, model_id)
    model: TrainedModel = joblib.load(path / MODEL_FILE)
    model.model_id = model_id
    model.keep_compiled_in(path)
    return model


def version_warnings(workspace: Workspace | str | Path, model_id: str) -> list[str]:
    """Libraries whose version differs from the one the model was trained with."""
    saved = _meta(models_dir(workspace), model_id).get("libraries", {})
    now = library_versions()
    return [
        f"{name} {saved[name]} at training, {now[name]} now"
        for name in ("scikit-learn", "lightgbm")
        if name in saved and saved[name] != now.get(name)
    ]
