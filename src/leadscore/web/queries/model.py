"""The model page's reads and actions, over the model-version library
(:mod:`leadscore.service.model_ops`, :mod:`leadscore.service.versions`): the active model in
sentences, a draft's problems placed on its lines, the impact of publishing it, publishing,
versions, diffs and roll-backs. Nothing here is specific to the web framework."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.service.runtime import Runtime
    from leadscore.service.versions import Version
    from leadscore.store.base import Store

CONTEXT_LINES = 2  # lines shown before and after a problem's line
MOVERS = 10  # leads listed as moving most up and down in a preview
MAX_NOTE_CHARS = 200


def grouped_rules(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary's scores, each with its rules (in sentences), in the model's order."""
    out = []
    for score in summary["scores"]:
        rules = [
            r
            for r in summary["rules"]
            if r["entity"] == score["entity"] and r["score"] == score["score"]
        ]
        out.append({**score, "rules": rules})
    return out


def readable(model: Model) -> dict[str, Any]:
    """A model as the page shows it: name, description, scores with their rules as sentences,
    grades with their bands (:func:`leadscore.service.model_ops.model_summary`)."""
    from leadscore.service.model_ops import model_summary

    summary = model_summary(model)
    return {
        "name": summary["name"],
        "description": summary["description"],
        "model_hash": summary["model_hash"],
        "primary_grade": summary["primary_grade"],
        "rule_count": len(summary["rules"]),
        "scores": grouped_rules(summary),
        "grades": summary["grades"],
    }


def history(store: Store) -> list[dict[str, Any]]:
    """Every version, newest first, without its YAML."""
    from leadscore.service.versions import list_versions

    return [v.as_dict(with_yaml=False) for v in reversed(list_versions(store))]


def active_yaml(store: Store, active_version: int) -> str | None:
    """The YAML of the version scoring the leads (None when the store has no versions)."""
    from leadscore.service.versions import get_version

    try:
        return get_version(store, active_version).yaml
    except LeadscoreError:
        return None


def version(store: Store, number: int) -> Version:
    from leadscore.service.versions import get_version

    return get_version(store, number)


# ----------------------------------------------------------------------------- drafts
def place_problems(text: str, problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each problem with an ``excerpt``: the lines around its line, numbered, the bad line
    marked (``mark``) and, when the column is known, a caret under the bad value."""
    lines = text.splitlines()
    placed = []
    for problem in problems:
        line = problem.get("line")
        excerpt: list[dict[str, Any]] = []
        if isinstance(line, int) and 1 <= line <= max(len(lines), 1):
            first = max(1, line - CONTEXT_LINES)
            last = min(len(lines), line + CONTEXT_LINES)
            for number in range(first, last + 1):
                excerpt.append(
                    {"number": number, "text": lines[number - 1], "mark": number == line}
                )
        placed.append({**problem, "excerpt": excerpt})
    return placed


def check(text: str) -> dict[str, Any]:
    """A draft's validation (:func:`leadscore.service.model_ops.validate_yaml`): ``valid``,
    the problems placed on their lines, the lines with problems, and for a valid draft the
    model in sentences."""
    from leadscore.model import load_model_text
    from leadscore.service.model_ops import DRAFT_FILE, validate_yaml

    if not text.strip():
        return {
            "valid": False,
            "problems": [
                {
                    "line": None,
                    "column": None,
                    "path": "(top level)",
                    "message": "the draft is empty; write a model or start from the active one",
                    "value": None,
                    "allowed": [],
                    "suggestion": None,
                    "excerpt": [],
                }
            ],
            "lines": [],
            "model": None,
        }
    result = validate_yaml(text)
    if not result["valid"]:
        return {
            "valid": False,
            "problems": place_problems(text, result["problems"]),
            "lines": result["summary"]["lines"],
            "model": None,
        }
    model = load_model_text(text, file=DRAFT_FILE)
    return {"valid": True, "problems": [], "lines": [], "model": readable(model)}


def preview(
    store: Store, current: Model, text: str, as_of_us: int, top: int = MOVERS
) -> dict[str, Any]:
    """The draft's check and, when it is valid, the impact of publishing it now
    (:func:`leadscore.service.model_ops.preview`), with the share of leads changing grade."""
    from leadscore.model import load_model_text
    from leadscore.service.model_ops import DRAFT_FILE
    from leadscore.service.model_ops import preview as impact_of

    checked = check(text)
    if not checked["valid"]:
        return {"check": checked, "impact": None}
    draft = load_model_text(text, file=DRAFT_FILE)
    impact = impact_of(store, current, draft, as_of_us, top=top)
    compared = impact["contacts"]["compared"]
    impact["changed"]["grade_share"] = impact["changed"]["grade"] / compared if compared else 0.0
    peak = max([max(g["before"], g["after"]) for g in impact["grades"]] or [0])
    for row in impact["grades"]:
        row["change"] = row["after"] - row["before"]
        row["before_share"] = row["before"] / peak if peak else 0.0
        row["after_share"] = row["after"] / peak if peak else 0.0
    return {"check": checked, "impact": impact}


def clean_note(note: str | None) -> str | None:
    """A version note as stored: trimmed, at most :data:`MAX_NOTE_CHARS` characters."""
    text = (note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise LeadscoreError(f"a note is at most {MAX_NOTE_CHARS} characters; got {len(text)}")
    return text or None


def save_draft(runtime: Runtime, text: str, note: str | None) -> Version:
    """Store a valid draft as a new version (it scores nothing until published); raises
    :class:`~leadscore.model.ModelError` listing every problem of an invalid one."""
    from leadscore.service import versions

    chosen = clean_note(note)
    created: Version = runtime.command(lambda s: versions.create_version(s, text, chosen))
    return created


def publish(store: Store, runtime: Runtime, text: str, note: str | None) -> dict[str, Any]:
    """Store the draft as a new version and publish it: everyone is rescored with it
    (:func:`leadscore.service.model_ops.publish_yaml`)."""
    from leadscore.service.model_ops import publish_yaml

    return publish_yaml(store, runtime, text, clean_note(note))


def publish_version(runtime: Runtime, number: int) -> dict[str, Any]:
    """Publish a stored draft as it is."""
    from leadscore.service.versions import DRAFT

    with runtime.reader() as store:
        found = version(store, number)
    if found.status != DRAFT:
        raise LeadscoreError(
            f"version {number} is {found.status}, not a draft; roll back to it instead"
        )
    result: dict[str, Any] = runtime.publish(number)
    return result


def rollback(store: Store, runtime: Runtime, number: int, note: str | None) -> dict[str, Any]:
    """Publish version ``number`` again as a new version
    (:func:`leadscore.service.model_ops.rollback`; refusals are :class:`LeadscoreError`)."""
    from leadscore.service.model_ops import rollback as roll_back

    return roll_back(store, runtime, number, clean_note(note))


def diff(store: Store, old: int, new: int) -> dict[str, Any]:
    """What changed from version ``old`` to ``new``
    (:func:`leadscore.service.model_ops.diff`), with the YAML diff split into typed lines."""
    from leadscore.service.model_ops import diff as diff_of

    result = diff_of(version(store, old), version(store, new))
    result["lines"] = diff_lines(result["text"])
    return result


def diff_lines(text: str) -> list[dict[str, str]]:
    """A unified diff's lines, each with its ``kind``: add, remove, hunk, file or same."""
    out = []
    for line in text.splitlines():
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "remove"
        else:
            kind = "same"
        out.append({"kind": kind, "text": line})
    return out


def version_detail(store: Store, number: int, active: int) -> dict[str, Any]:
    """One version: its record, its YAML, the model in sentences (when it still loads), what
    changed from the version before it, and whether it can be published or rolled back to."""
    from leadscore.model import ModelError
    from leadscore.service.versions import DRAFT, list_versions

    found = version(store, number)
    try:
        model: dict[str, Any] | None = readable(found.load())
        problem = None
    except ModelError as exc:
        model, problem = None, str(exc)
    earlier = [v.version for v in list_versions(store) if v.version < number]
    changes = diff(store, earlier[-1], number) if earlier else None
    live_before = found.status != DRAFT
    return {
        "version": found.as_dict(with_yaml=True),
        "model": model,
        "problem": problem,
        "changes": changes,
        "active": found.version == active,
        "can_publish": found.status == DRAFT and model is not None,
        "can_roll_back": live_before and found.version != active and model is not None,
    }
