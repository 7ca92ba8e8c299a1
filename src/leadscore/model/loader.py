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
from leadscore.model.predicates import PATTERN_HELP as FIELD_PATTERN_HELP
from leadscore.model.problems import ModelError, Path, Problem
from leadscore.model.spec import PATTERN_HELP, SPEC_VERSION, Model

TAG_MARK = "§"
# Error types whose messages are ours (already worded for people); pydantic's own are reworded.
OWN_MESSAGES = ("value_error", "rule_shape", "condition_shape")


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


def _resolve(name: str) -> Any:
    """A forward reference in a spec type (``list["Predicate"]``) -> the type it names."""
    from leadscore.model import predicates, spec

    for module in (predicates, spec):
        found = getattr(module, name, None)
        if found is not None:
            return found
    return None


def _unwrap(annotation: Any) -> Any:
    while True:
        if isinstance(annotation, typing.ForwardRef):
            annotation = annotation.__forward_arg__
        if isinstance(annotation, str):
            annotation = _resolve(annotation)
        elif isinstance(annotation, TypeAliasType):
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


def _is_member_label(annotation: Any, part: str | int) -> bool:
    """Whether ``part`` is pydantic's label of a member of a plain union (``str``, ``bool``...):
    a union of several scalar types, none of which has keys."""
    if not isinstance(part, str) or part.startswith(TAG_MARK):
        return False
    members = [v for v in _variants(annotation) if v is not type(None)]
    if len(members) < 2:
        return False
    for member in members:
        base = _unwrap(member)
        if isinstance(base, type) and issubclass(base, BaseModel):
            return False
        if typing.get_origin(base) is dict:
            return False
    return True


def key_path(loc: tuple[Any, ...]) -> tuple[Path, bool]:
    """pydantic's location -> the key path in the YAML file, and whether a union member label
    was dropped on the way (union tags such as ``§event`` are always dropped)."""
    annotation: Any = Model
    path: list[str | int] = []
    dropped = False
    for part in loc:
        if annotation is not None and _is_member_label(annotation, part):
            dropped = True
            continue
        if not (isinstance(part, str) and part.startswith(TAG_MARK)):
            path.append(part)
        annotation = None if annotation is None else _step(annotation, part)
    return tuple(path), dropped


def _reworded(kind: str, message: str, item: Any, path: Path) -> str:
    """pydantic's message in the words of the rest of the loader."""
    if kind in OWN_MESSAGES:
        return message.removeprefix("Value error, ")
    if kind == "string_pattern_mismatch":
        pattern = item.get("ctx", {}).get("pattern")
        helped = {**PATTERN_HELP, **FIELD_PATTERN_HELP}.get(pattern)
        if helped:
            return helped
    if kind == "missing" and path and isinstance(path[-1], int):
        return f"the list is too short: no item [{path[-1]}]"
    return message[:1].lower() + message[1:]


def _merged(first: str, second: str) -> str:
    """Two messages about one value (one per member of a union) as one."""
    head = "input should be "
    if first.startswith(head) and second.startswith(head):
        options = first.removeprefix(head).replace(" or ", ", ").split(", ")
        options.append(second.removeprefix(head))
        return head + ", ".join(options[:-1]) + " or " + options[-1]
    return f"{first}; or {second}"


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
    union_problem: dict[Path, int] = {}  # path -> index in problems, to merge union members
    for item in error.errors(include_url=False):
        loc = tuple(item["loc"])
        path, in_union = key_path(loc)
        kind = item["type"]
        value = item.get("input")
        message = _reworded(kind, item["msg"], item, path)
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
        elif kind == "missing" and not isinstance(path[-1], int):
            message = f"missing required key '{path[-1]}'"
            has_value = False
        elif kind == "literal_error":
            expected = item.get("ctx", {}).get("expected", "")
            allowed = tuple(
                {"True": "true", "False": "false"}.get(part, part)
                for part in (
                    piece.strip().strip("'") for piece in expected.replace(" or ", ",").split(",")
                )
            )
            message = "not an allowed value"
            close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
            suggestion = close[0] if close else None
        if isinstance(value, (dict, list)):
            has_value = False  # the path and line show the block; repeating it is noise
        if in_union and path in union_problem:
            index = union_problem[path]
            problems[index] = replace(
                problems[index], message=_merged(problems[index].message, message)
            )
            continue
        if (path, message) in seen:
            continue
        seen.add((path, message))
        line, column = positions.nearest(path)
        if in_union:
            union_problem[path] = len(problems)
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


MAX_DEPTH = 40


def _depth(node: Any, level: int = 0) -> int:
    """How deeply ``node`` nests (stops counting past MAX_DEPTH)."""
    if level > MAX_DEPTH:
        return level
    if isinstance(node, dict):
        return max((_depth(v, level + 1) for v in node.values()), default=level)
    if isinstance(node, list):
        return max((_depth(v, level + 1) for v in node), default=level)
    return level


def load_model_text(text: str, file: str = "<model>") -> Model:
    """Parse and validate a model from YAML text; raise :class:`ModelError` with every problem."""
    try:
        data, positions = _parse_yaml(text, file)
    except RecursionError:
        data, positions = None, _Positions()
    if (data is None or _depth(data) > MAX_DEPTH) and (data is not None or text.strip()):
        raise ModelError(
            [Problem(f"the document nests deeper than {MAX_DEPTH} levels", file=file, line=1)]
        )
    if not isinstance(data, dict):
        raise ModelError([Problem("a model is a YAML mapping (key: value lines)", file=file)])
    version = data.get("leadscore")
    if type(version) is not int or version != SPEC_VERSION:  # true and 1.0 are not 1
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
