"""Funnel stage definitions: which events (or outcomes) mean each stage, from a small YAML file.

```yaml
funnel:                      # (or the stages list at the top level)
  stages:
    - name: exploration
      description: Explores buying.          # optional
      when:                                  # any of these selectors
        - event: page_view                   # one type or a list
          where: {property: url, starts_with: /pricing}   # optional, as in the model spec
        - outcome: [converted, won]          # or outcomes: converted, won, lost
```

The default (:func:`default_funnel`) fits the demo workspace; see docs/backtesting.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from leadscore.errors import LeadscoreError
from leadscore.model.predicates import Predicate
from leadscore.model.spec import EventTypes, Label
from leadscore.model.strict import Strict

DEFAULT_FILE = "funnel.yaml"  # the packaged default, also looked for in a workspace folder


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class Selector(Strict):
    """Events of some types (optionally with a property condition), or outcomes."""

    event: EventTypes | None = None
    where: Predicate | None = None
    outcome: Annotated[list[Literal["converted", "won", "lost"]], Field(min_length=1)] | None = None

    _lists = field_validator("event", "outcome", mode="before")(_as_list)

    @model_validator(mode="after")
    def _one_kind(self) -> Selector:
        if (self.event is None) == (self.outcome is None):
            raise ValueError("a selector has either 'event' or 'outcome'")
        if self.where is not None and self.event is None:
            raise ValueError("'where' selects events by their properties; it needs 'event'")
        return self


class Stage(Strict):
    name: Label
    description: str | None = Field(default=None, max_length=500)
    when: list[Selector] = Field(min_length=1)


class FunnelConfig(Strict):
    stages: list[Stage] = Field(min_length=2)

    @field_validator("stages")
    @classmethod
    def _unique(cls, stages: list[Stage]) -> list[Stage]:
        names = [s.name for s in stages]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"stage names must be unique, repeated: {', '.join(repeated)}")
        return stages

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.stages]


def default_funnel_path() -> Path:
    return Path(__file__).resolve().parent / DEFAULT_FILE


def default_funnel() -> FunnelConfig:
    return load_funnel(default_funnel_path())


def load_funnel(path: str | Path) -> FunnelConfig:
    file = Path(path)
    if not file.is_file():
        raise LeadscoreError(f"funnel file not found: {file}")
    return parse_funnel(file.read_text(encoding="utf-8"), str(file))


def parse_funnel(text: str, name: str = "funnel") -> FunnelConfig:
    """Read a funnel from YAML text; every problem is reported, with its key path."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe", pure=True).load(text)
    except YAMLError as exc:
        raise LeadscoreError(f"{name}: not valid YAML: {exc}".splitlines()[0]) from None
    prefix: tuple[str, ...] = ()
    if isinstance(data, dict) and set(data) == {"funnel"}:
        data, prefix = data["funnel"], ("funnel",)
    if not isinstance(data, dict):
        raise LeadscoreError(f"{name}: expected a mapping with 'stages' (or 'funnel: stages:')")
    try:
        return FunnelConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in (*prefix, *error["loc"]) if not str(p).startswith("§"))
            message = error["msg"].removeprefix("Value error, ")
            value = error.get("input")
            if isinstance(value, (str, int, float)) and error["type"] != "value_error":
                message += f"; got {value!r}"
            problems.append(f"{where or '(top)'}: {message}")
        raise LeadscoreError(f"{name}: " + "; ".join(problems)) from None
