"""Working with model versions: validate a draft, preview its impact, diff, publish, roll back.

The library behind the model endpoints, the web app's model editor and ``leadscore versions``.
Publishing and rolling back go through :meth:`Runtime.publish`, which rescores every contact in
one transaction; everything else only reads (a preview scores into temporary tables). See
docs/model-versions.md.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from leadscore.model.problems import Problem
    from leadscore.model.spec import Model
    from leadscore.service.runtime import Runtime
    from leadscore.service.versions import Version
    from leadscore.store.base import Store

DRAFT_FILE = "draft"


def _json_value(value: Any) -> Any:
    """A problem's value as JSON can carry it (dates and odd YAML scalars become text)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    iso = getattr(value, "isoformat", None)
    return str(iso() if callable(iso) else value)


def _problem(problem: Problem) -> dict[str, Any]:
    out = problem.as_dict()
    out.pop("file", None)
    out["value"] = _json_value(out["value"])
    return out


def model_summary(model: Model) -> dict[str, Any]:
    """What a valid model holds, for the editor: scores, rules with their sentences, grades."""
    from leadscore.compile.explain import rule_sentence
    from leadscore.scoring.run import model_hash

    scores, rules, grades = [], [], []
    for entity, section in model.sections().items():
        owner = None if entity == "contacts" else entity
        for name, score in section.scores.items():
            scores.append(
                {
                    "entity": entity,
                    "score": name,
                    "rules": len(score.rules),
                    "min": score.min,
                    "max": score.max,
                    "groups": sorted(score.groups),
                }
            )
            for rule in score.rules:
                rules.append(
                    {
                        "entity": entity,
                        "score": name,
                        "id": rule.id,
                        "kind": rule.kind,
                        "points": rule.points,
                        "sentence": rule_sentence(rule, owner),
                    }
                )
        for name, grading in section.grades.items():
            grades.append(
                {
                    "entity": entity,
                    "grading": name,
                    "score": grading.score,
                    "bands": [
                        {"grade": b.grade, "min": b.min, "stage": b.stage} for b in grading.bands
                    ],
                }
            )
    return {
        "name": model.name,
        "description": model.description,
        "model_hash": model_hash(model),
        "sections": list(model.sections()),
        "primary_grade": model.primary(),
        "matrix": model.matrix is not None,
        "scores": scores,
        "rules": rules,
        "grades": grades,
    }


def validate_yaml(text: str) -> dict[str, Any]:
    """Check a model's YAML; bad YAML or a bad spec is a result, not an exception.

    Returns ``{"valid", "problems", "summary"}``: every problem with its ``line`` and ``column``
    (1-based; None when the place is the whole document), key ``path``, ``message``, bad
    ``value``, ``allowed`` values and a ``suggestion``; the summary of a valid model
    (:func:`model_summary`) or, for an invalid one, how many problems on which lines.
    """
    from leadscore.model import ModelError, load_model_text
    from leadscore.model.problems import Problem

    try:
        model = load_model_text(text, file=DRAFT_FILE)
    except ModelError as exc:
        problems = list(exc.problems)
    except RecursionError:  # deeply nested flow collections exhaust the parser's stack
        problems = [Problem("the document is nested too deeply", file=DRAFT_FILE)]
    else:
        return {"valid": True, "problems": [], "summary": model_summary(model)}
    lines = sorted({p.line for p in problems if p.line is not None})
    return {
        "valid": False,
        "problems": [_problem(p) for p in problems],
        "summary": {"problems": len(problems), "lines": lines},
    }


def preview(
    store: Store,
    current: Model,
    draft: Model,
    as_of_us: int,
    top: int = 20,
    recompute: bool = False,
) -> dict[str, Any]:
    """The impact of publishing ``draft`` now, without changing anything stored.

    Every contact is scored with the draft as of ``as_of_us`` into a temporary table and
    compared with the stored scores (table ``scores``; with ``recompute``, or when nothing is
    stored, with ``current`` scored as of the same time). Returns the number of contacts, how
    many change total, grade and stage, the grade transition matrix, the grade and stage
    distributions, a histogram of totals in 10-point bins, the mean total before and after, and
    the ``top`` movers up and down. Fields: docs/model-versions.md.
    """
    from leadscore.service.model_preview import preview_impact

    return preview_impact(store, current, draft, as_of_us, top, recompute)


def diff(old: Version, new: Version) -> dict[str, Any]:
    """A unified diff of the YAML (``text``) and what changed in the model: rules added, removed
    and changed (field by field, with both sentences), scores, totals, grade bands, matrix."""
    from leadscore.service.model_diff import diff_versions

    return diff_versions(old, new)


def _published_result(version: Version, result: dict[str, Any]) -> dict[str, Any]:
    return {**result, "version": version.version, "note": version.note}


def publish_yaml(
    store: Store, runtime: Runtime, text: str, note: str | None = None
) -> dict[str, Any]:
    """Store ``text`` as a new draft (raises :class:`ModelError` if it is invalid) and publish it:
    everyone is rescored with it in one transaction.

    The draft is stored on the runtime's scorer connection, in order with its other commands,
    so that version numbers are handed out one at a time. ``store`` is kept for symmetry with
    :func:`rollback` (a reader connection)."""
    from leadscore.model import load_model_text

    load_model_text(text, file=DRAFT_FILE)  # every problem, before anything is queued
    draft = _create(runtime, text, note)
    return _published_result(draft, runtime.publish(draft.version))


def _create(runtime: Runtime, text: str, note: str | None) -> Version:
    from leadscore.service import versions

    created: Version = runtime.command(lambda s: versions.create_version(s, text, note))
    return created


def check_rollback(store: Store, to_version: int) -> Version:
    """The version to roll back to, or a :class:`LeadscoreError` saying why not."""
    from leadscore.model import ModelError
    from leadscore.scoring.run import model_hash
    from leadscore.service import versions

    target = versions.get_version(store, to_version)
    active = versions.active_version(store)
    if active is not None and active.version == target.version:
        raise LeadscoreError(f"version {to_version} is the published version already")
    if target.status == versions.DRAFT:
        raise LeadscoreError(
            f"version {to_version} is a draft that was never published; "
            "roll back only to a version that was live (or publish the draft itself)"
        )
    try:
        model = target.load()
    except ModelError as exc:
        raise LeadscoreError(f"version {to_version} no longer loads: {exc}") from None
    if active is not None and model_hash(model) == active.model_hash:
        raise LeadscoreError(
            f"version {to_version} has the same model as the published version "
            f"{active.version}; nothing to roll back"
        )
    return target


def rollback(
    store: Store, runtime: Runtime, to_version: int, note: str | None = None
) -> dict[str, Any]:
    """Publish an older version again, as a NEW version (numbers only grow, so the history
    reads in order): its YAML is copied into a draft noted ``rollback to vN`` (plus ``note``),
    which is then published. Refuses drafts that were never published, versions that no longer
    load, and the version already published."""
    from leadscore.service import versions

    target = check_rollback(store, to_version)
    previous = versions.active_version(store)
    text = f"rollback to v{target.version}" + (f": {note}" if note else "")
    copy = _create(runtime, target.yaml, text)
    result = _published_result(copy, runtime.publish(copy.version))
    result["rolled_back_to"] = target.version
    result["previous"] = previous.version if previous is not None else None
    return result
