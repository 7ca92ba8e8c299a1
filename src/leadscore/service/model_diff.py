"""What changed between two model versions: the YAML text and the model's structure.

:func:`diff_models` compares two loaded models part by part (rules by id, scores, groups, the
total, grade bands, the matrix); :func:`diff_versions` adds the unified diff of the YAML text.
Everything is listed in a stable order: contacts, accounts, deals; within a section in the new
model's order, then what only the old model had, in its order.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadscore.model.spec import EntitySection, Grading, Model
    from leadscore.service.versions import Version

ENTITY_ORDER = ("contacts", "accounts", "deals")
MODEL_FIELDS = ("leadscore", "name", "description")
SUMMARY_KEYS = (
    "rules_added",
    "rules_removed",
    "rules_changed",
    "scores_changed",
    "gradings_changed",
    "bands_moved",
)


def _merged_keys(old: Iterable[str], new: Iterable[str]) -> list[str]:
    """The new keys in order, then the keys only ``old`` has, in its order."""
    keys = list(new)
    keys += [k for k in old if k not in keys]
    return keys


def field_changes(old: Any, new: Any, prefix: str = "") -> list[dict[str, Any]]:
    """``[{"field", "old", "new"}]`` between two JSON-like values; mappings are compared key by
    key (dotted field names), anything else as a whole."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[dict[str, Any]] = []
        for key in _merged_keys(old, new):
            name = f"{prefix}.{key}" if prefix else str(key)
            out += field_changes(old.get(key), new.get(key), name)
        return out
    if old == new:
        return []
    return [{"field": prefix or "(value)", "old": old, "new": new}]


def _dump(part: Any, exclude: set[str] | None = None) -> dict[str, Any]:
    if part is None:
        return {}
    data: dict[str, Any] = part.model_dump(
        mode="json", by_alias=True, exclude_none=True, exclude=exclude
    )
    return data


def _rule_data(rule: Any, score: str) -> dict[str, Any]:
    return {"kind": rule.kind, "score": score, **_dump(rule)}


def _sentence(rule: Any, entity: str) -> str:
    from leadscore.compile.explain import rule_sentence

    return rule_sentence(rule, None if entity == "contacts" else entity)


def _rules(entity: str, old: EntitySection | None, new: EntitySection | None) -> dict[str, Any]:
    before = {rule.id: (score, rule) for score, rule in (old.rules if old else [])}
    after = {rule.id: (score, rule) for score, rule in (new.rules if new else [])}
    added, removed, changed = [], [], []
    for rule_id in _merged_keys(before, after):
        if rule_id not in before:
            score, rule = after[rule_id]
            added.append(_rule_entry(entity, score, rule))
        elif rule_id not in after:
            score, rule = before[rule_id]
            removed.append(_rule_entry(entity, score, rule))
        else:
            (old_score, old_rule), (new_score, new_rule) = before[rule_id], after[rule_id]
            changes = _top_changes(_rule_data(old_rule, old_score), _rule_data(new_rule, new_score))
            if changes:
                changed.append(
                    {
                        "entity": entity,
                        "id": rule_id,
                        "score": new_score,
                        "changes": changes,
                        "old_sentence": _sentence(old_rule, entity),
                        "new_sentence": _sentence(new_rule, entity),
                    }
                )
    return {"added": added, "removed": removed, "changed": changed}


def _top_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """Changed top-level fields, each value whole (a rule's condition reads best whole)."""
    return [
        {"field": key, "old": old.get(key), "new": new.get(key)}
        for key in _merged_keys(old, new)
        if old.get(key) != new.get(key)
    ]


def _rule_entry(entity: str, score: str, rule: Any) -> dict[str, Any]:
    return {
        "entity": entity,
        "score": score,
        "id": rule.id,
        "kind": rule.kind,
        "points": rule.points,
        "sentence": _sentence(rule, entity),
    }


def _scores(entity: str, old: EntitySection | None, new: EntitySection | None) -> list[Any]:
    before = old.scores if old else {}
    after = new.scores if new else {}
    out: list[dict[str, Any]] = []
    for name in _merged_keys(before, after):
        change = "added" if name not in before else "removed" if name not in after else "changed"
        changes = field_changes(
            _dump(before.get(name), {"rules"}), _dump(after.get(name), {"rules"})
        )
        if change != "changed" or changes:
            out.append({"entity": entity, "score": name, "change": change, "changes": changes})
    return out


def _bands(old: Grading | None, new: Grading | None) -> list[dict[str, Any]]:
    before = {b.grade: b for b in (old.bands if old else [])}
    after = {b.grade: b for b in (new.bands if new else [])}
    out: list[dict[str, Any]] = []
    for label in _merged_keys(before, after):
        was, now = before.get(label), after.get(label)
        entry: dict[str, Any] = {
            "grade": label,
            "old_min": was.min if was else None,
            "new_min": now.min if now else None,
            "old_stage": was.stage if was else None,
            "new_stage": now.stage if now else None,
        }
        if was is None:
            entry["change"] = "added"
        elif now is None:
            entry["change"] = "removed"
        elif was.min != now.min:
            entry["change"] = "moved"
        elif was.stage != now.stage:
            entry["change"] = "changed"
        else:
            continue
        out.append({"change": entry.pop("change"), **entry})
    return out


def _grades(entity: str, old: EntitySection | None, new: EntitySection | None) -> list[Any]:
    before = old.grades if old else {}
    after = new.grades if new else {}
    out: list[dict[str, Any]] = []
    for name in _merged_keys(before, after):
        was, now = before.get(name), after.get(name)
        change = "added" if was is None else "removed" if now is None else "changed"
        bands = _bands(was, now)
        order_before = was.labels() if was else []
        order_after = now.labels() if now else []
        entry: dict[str, Any] = {
            "entity": entity,
            "grading": name,
            "change": change,
            "old_score": was.score if was else None,
            "new_score": now.score if now else None,
            "bands": bands,
            "old_order": order_before,
            "new_order": order_after,
        }
        same = (
            was is not None
            and now is not None
            and not bands
            and was.score == now.score
            and order_before == order_after
        )
        if same:
            continue
        out.append(entry)
    return out


def _section_parts(entity: str, old: EntitySection | None, new: EntitySection | None) -> Any:
    total = field_changes(_dump(old.total) if old else {}, _dump(new.total) if new else {}, "total")
    primary = field_changes(
        old.primary() if old else None, new.primary() if new else None, "primary_grade"
    )
    matrix = field_changes(
        _dump(old.matrix) if old else {}, _dump(new.matrix) if new else {}, "matrix"
    )
    return total, primary, matrix


def diff_models(old: Model, new: Model) -> dict[str, Any]:
    """The structural difference between two models (see docs/model-versions.md)."""
    from leadscore.scoring.run import model_hash

    old_sections: dict[str, EntitySection] = old.sections()
    new_sections: dict[str, EntitySection] = new.sections()
    rules: dict[str, list[Any]] = {"added": [], "removed": [], "changed": []}
    scores: list[Any] = []
    grades: list[Any] = []
    totals: list[Any] = []
    matrix: list[Any] = []
    for entity in ENTITY_ORDER:
        was, now = old_sections.get(entity), new_sections.get(entity)
        if was is None and now is None:
            continue
        for key, items in _rules(entity, was, now).items():
            rules[key] += items
        scores += _scores(entity, was, now)
        grades += _grades(entity, was, now)
        total, primary, matrix_changes = _section_parts(entity, was, now)
        if total or primary:
            totals.append({"entity": entity, "changes": total + primary})
        if matrix_changes:
            matrix.append({"entity": entity, "changes": matrix_changes})
    model_fields = field_changes(
        {k: getattr(old, k) for k in MODEL_FIELDS}, {k: getattr(new, k) for k in MODEL_FIELDS}
    )
    sections = {
        "added": [e for e in ENTITY_ORDER if e in new_sections and e not in old_sections],
        "removed": [e for e in ENTITY_ORDER if e in old_sections and e not in new_sections],
    }
    counts = (
        len(rules["added"]),
        len(rules["removed"]),
        len(rules["changed"]),
        len(scores),
        len(grades),
        sum(1 for g in grades for b in g["bands"] if b["change"] == "moved"),
    )
    summary = dict(zip(SUMMARY_KEYS, counts, strict=True))
    return {
        "identical": model_hash(old) == model_hash(new),
        "model": model_fields,
        "sections": sections,
        "rules": rules,
        "scores": scores,
        "totals": totals,
        "grades": grades,
        "matrix": matrix,
        "summary": summary,
    }


def text_diff(old_text: str, new_text: str, old_label: str, new_label: str) -> str:
    """A unified diff of two YAML texts (empty when they are the same)."""
    lines = difflib.unified_diff(
        old_text.splitlines(), new_text.splitlines(), old_label, new_label, lineterm=""
    )
    return "\n".join(lines)


def diff_versions(old: Version, new: Version) -> dict[str, Any]:
    from leadscore.model import ModelError

    out: dict[str, Any] = {
        "old": old.as_dict(with_yaml=False),
        "new": new.as_dict(with_yaml=False),
        "text": text_diff(old.yaml, new.yaml, f"v{old.version}", f"v{new.version}"),
    }
    try:
        structure = diff_models(old.load(), new.load())
    except ModelError as exc:  # a version stored under an older spec that no longer loads
        return {**out, **_no_structure(), "error": str(exc)}
    return {**out, **structure}


def _no_structure() -> dict[str, Any]:
    """The structural part when a version does not load: every key, nothing in it."""
    return {
        "identical": False,
        "model": [],
        "sections": {"added": [], "removed": []},
        "rules": {"added": [], "removed": [], "changed": []},
        "scores": [],
        "totals": [],
        "grades": [],
        "matrix": [],
        "summary": dict.fromkeys(SUMMARY_KEYS, 0),
    }
