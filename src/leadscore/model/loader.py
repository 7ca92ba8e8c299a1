"""Load a model from YAML, reporting every problem at once with file:line and key path."""

from __future__ import annotations

import difflib
import types
import typing
from dataclasses import replace
from pathlib import Path as FilePath
from typing import Any

from pydantic import BaseModel, ValidationError
from typing_extensions import TypeAliasType

from leadscore.model.checks import semantic_problems
from leadscore.model.problems import ModelError, Path, Problem
from leadscore.model.spec import SPEC_VERSION, Model

TAG_MARK = "§"


class _Positions:
    """Line and column (1-based) of every key and list item in the YAML document."""

    def __init__(self) -> None:
        self.at: dict[Path, tuple[int, int]] = {}

    def nearest(self, path: Path) -> tuple[int | None, int | None]:
        for end in range(len(path), -1, -1):
            found = self.at.get(path[:end])
            if found:
                return found
        return None, None


def _plain(node: Any, path: Path, positions: _Positions) -> Any:
    """ruamel round-trip nodes -> plain Python, recording positions on the way."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            child = (*path, key if isinstance(key, (str, int)) else str(key))
            try:
                line, col = node.lc.key(key)
                positions.at[child] = (line + 1, col + 1)
            except (KeyError, TypeError):
                pass
            out[key] = _plain(value, child, positions)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                line, col = node.lc.item(index)
                positions.at[child] = (line + 1, col + 1)
            except (KeyError, TypeError, IndexError):
                pass
            items.append(_plain(value, child, positions))
        return items
    if isinstance(node, str):
        return str(node)
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    return node


def _parse_yaml(text: str, file: str) -> tuple[Any, _Positions]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    positions = _Positions()
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = mark.column + 1 if mark else None
        reason = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        raise ModelError(
            [Problem(f"invalid YAML: {reason}", file=file, line=line, column=column)]
        ) from None
    except YAMLError as exc:
        raise ModelError([Problem(f"invalid YAML: {exc}", file=file)]) from None
    return _plain(document, (), positions), positions


def _unwrap(annotation: Any) -> Any:
    while True:
        if isinstance(annotation, TypeAliasType):
            annotation = annotation.__value__
        elif typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        else:
            return annotation


def _tag_of(annotation: Any) -> str | None:
    if typing.get_origin(annotation) is typing.Annotated:
        for meta in typing.get_args(annotation)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return tag
    return None


def _variants(annotation: Any) -> list[Any]:
    annotation = _unwrap(annotation)
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return [v for arg in typing.get_args(annotation) for v in _variants_keep_tags(arg)]
    return [annotation]


def _variants_keep_tags(annotation: Any) -> list[Any]:
    """Like :func:`_variants` but keeps ``Annotated[..., Tag]`` members intact."""
    if _tag_of(annotation) is not None:
        return [annotation]
    return _variants(annotation)


def _step(annotation: Any, part: str | int) -> Any:
    """The type found one step down ``annotation`` at ``part`` (a key, index or union tag)."""
    variants = _variants(annotation)
    if isinstance(part, str) and part.startswith(TAG_MARK):
        for variant in variants:
            if _tag_of(variant) == part:
                return variant
        return None
    for variant in variants:
        base = _unwrap(variant)
        if isinstance(base, type) and issubclass(base, BaseModel):
            for name, info in base.model_fields.items():
                if part in (name, info.alias):
                    return info.annotation
            continue
        origin = typing.get_origin(base)
        args = typing.get_args(base)
        if origin is list and isinstance(part, int):
            return args[0]
        if origin is dict and isinstance(part, str):
            return args[1]
        if origin is tuple and isinstance(part, int):
            return args[min(part, len(args) - 1)]
    return None


def allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed in the mapping at ``loc`` (pydantic's location, union tags included)."""
    annotation: Any = Model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    keys: list[str] = []
    for variant in _variants(annotation):
        base = _unwrap(variant)
        if isinstance(base, type) and issubclass(base, BaseModel):
            for name, info in base.model_fields.items():
                if info.exclude:
                    continue
                keys.append(info.alias or name)
    return sorted(set(keys))


def _problems_from_validation(
    error: ValidationError, file: str, positions: _Positions
) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path: Path = tuple(p for p in loc if not (isinstance(p, str) and p.startswith(TAG_MARK)))
        kind = item["type"]
        message = item["msg"]
        value = item.get("input")
        has_value = True
        allowed: tuple[str, ...] = ()
        suggestion = None
        if kind == "extra_forbidden":
            key = str(path[-1])
            keys = allowed_keys(loc[:-1])
            message = f"unknown key '{key}'"
            has_value = False
            allowed = tuple(keys)
            close = difflib.get_close_matches(key, keys, n=1, cutoff=0.5)
            suggestion = close[0] if close else None
        elif kind == "missing":
            message = f"missing required key '{path[-1]}'"
            has_value = False
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            allowed = tuple(
                part.strip().strip("'") for part in expected.replace(" or ", ",").split(",")
            )
            message = "not an allowed value"
            close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
            suggestion = close[0] if close else None
        elif kind == "value_error":
            message = message.removeprefix("Value error, ")
        if kind.endswith("_type") or kind.startswith(("int_", "float_")):
            message = message[0].lower() + message[1:] if message else message
        if isinstance(value, (dict, list)):
            has_value = False  # the path and line show the block; repeating it is noise
        key = (path, message)
        if key in seen:
            continue
        seen.add(key)
        line, column = positions.nearest(path)
        problems.append(
            Problem(
                message=message,
                path=path,
                file=file,
                line=line,
                column=column,
                value=value,
                has_value=has_value,
                allowed=allowed,
                suggestion=suggestion,
            )
        )
    return problems


def load_model_text(text: str, file: str = "<model>") -> Model:
    """Parse and validate a model from YAML text; raise :class:`ModelError` with every problem."""
    data, positions = _parse_yaml(text, file)
    if not isinstance(data, dict):
        raise ModelError([Problem("a model is a YAML mapping (key: value lines)", file=file)])
    version = data.get("leadscore")
    if version != SPEC_VERSION:
        line, column = positions.nearest(("leadscore",))
        message = (
            "the first key must be 'leadscore: 1' (the spec version)"
            if version is None
            else f"unsupported spec version; this leadscore reads version {SPEC_VERSION}"
        )
        raise ModelError(
            [
                Problem(
                    message,
                    path=("leadscore",),
                    file=file,
                    line=line,
                    column=column,
                    value=version,
                    has_value=version is not None,
                )
            ]
        )
    problems: list[Problem] = []
    model: Model | None = None
    try:
        model = Model.model_validate(data)
    except ValidationError as exc:
        problems += _problems_from_validation(exc, file, positions)
    for p in semantic_problems(data):
        line, column = positions.nearest(p.path)
        problems.append(replace(p, file=file, line=line, column=column))
    if problems or model is None:
        raise ModelError(problems)
    return model


def load_model(path: str | FilePath) -> Model:
    """Read a model file (YAML)."""
    from leadscore.errors import LeadscoreError

    file = FilePath(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise LeadscoreError(f"model file not found: {file}") from None
    except UnicodeDecodeError as exc:
        raise LeadscoreError(f"{file}: not UTF-8 text (byte {exc.start})") from None
    return load_model_text(text, file=str(file))
