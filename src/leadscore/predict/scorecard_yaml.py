"""Write a suggested rule model as YAML that reads like a hand-written one: a comment block on
top, rules in block style, conditions in flow style (``{attribute: country, in: [US, CA]}``).

Text is written bare when YAML reads it back as the same text, and double-quoted otherwise
(JSON string syntax is valid YAML). The written text is parsed back and compared with the data,
so a quoting mistake can never change the model silently.
"""

from __future__ import annotations

import json
import re
from typing import Any

_BARE = re.compile(r"^([A-Za-z_/][A-Za-z0-9_./-]*|[0-9]+[smhdw])$")
_KEYWORDS = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~", "nan", "inf"}
# Keys written first, in this order (the rest follow in their own order).
_RULE_KEYS = ("id", "description", "points", "event", "where", "count", "min_count", "within")


def scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    text = str(value)
    if _BARE.match(text) and text.lower() not in _KEYWORDS and not text.endswith(":"):
        return text
    return json.dumps(text, ensure_ascii=False)


def flow(value: Any) -> str:
    """A value in YAML flow style."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def _rule(rule: dict[str, Any], indent: str) -> list[str]:
    keys = [k for k in _RULE_KEYS if k in rule] + [k for k in rule if k not in _RULE_KEYS]
    lines = []
    for i, key in enumerate(keys):
        lead = f"{indent}- " if i == 0 else f"{indent}  "
        value = rule[key]
        text = flow(value) if isinstance(value, (dict, list)) else scalar(value)
        lines.append(f"{lead}{key}: {text}")
    return lines


def model_yaml(model: dict[str, Any], comments: list[str]) -> str:
    """The YAML text of a model (the data of :func:`leadscore.predict.scorecard_rules.
    model_dict`) under a block of ``comments``."""
    lines = [f"# {c}".rstrip() for c in comments]
    lines.append(f"leadscore: {model['leadscore']}")
    lines.append(f"name: {scalar(model['name'])}")
    if model.get("description"):
        lines.append(f"description: {json.dumps(model['description'], ensure_ascii=False)}")
    lines.append("scores:")
    for name, score in model["scores"].items():
        lines.append(f"  {name}:")
        for key in ("min", "max"):
            if key in score:
                lines.append(f"    {key}: {scalar(score[key])}")
        lines.append("    rules:")
        for rule in score["rules"]:
            lines += _rule(rule, "      ")
    if "total" in model:
        lines.append(f"total: {flow(model['total'])}")
    if model.get("grades"):
        lines.append("grades:")
        for name, grading in model["grades"].items():
            lines.append(f"  {name}:")
            lines.append(f"    score: {scalar(grading['score'])}")
            lines.append("    bands:")
            for band in grading["bands"]:
                lines.append(f"      - {flow(band)}")
    text = "\n".join(lines) + "\n"
    _check_round_trip(text, model)
    return text


def _check_round_trip(text: str, model: dict[str, Any]) -> None:
    from ruamel.yaml import YAML

    loaded = YAML(typ="safe", pure=True).load(text)
    if _plain(loaded) != _plain(model):
        raise AssertionError("the suggested model's YAML does not read back as written")


def _plain(value: Any) -> Any:
    """Numbers compared as floats (a whole float is written as an integer)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value
