"""What a backtest scores with: a *scorer* turns the leads of a population into scores as of T.

Two kinds plug in behind one small protocol:

- a **rule model** (:class:`RuleScorer`): a YAML file (a draft is fine), the workspace's active
  model, or a stored version; scored by the compiled SQL as of T, so it sees only events with
  ``ts <= T``;
- a **predictive model** (a trained model of :mod:`leadscore.predict`): see
  :func:`register_resolver`, the extension point through which it is found by its id.

A scorer returns one row per lead: ``contact_id``, ``score`` (higher is better: the ranking
every metric uses), ``probability`` (NaN unless the scorer predicts probabilities), ``grade``
and ``stage`` (None when the scorer has none), plus its named component scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from leadscore.errors import LeadscoreError

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.model.spec import Model
    from leadscore.store.base import Store
    from leadscore.store.workspace import Workspace

SCORED_COLUMNS = ("contact_id", "score", "probability", "grade", "stage")
ACTIVE = "active"
VERSION_PREFIX = "version:"


@dataclass(frozen=True)
class ScorerInfo:
    """What reports need to know about a scorer."""

    name: str  # unique within one backtest
    kind: str  # "rule" or "predictive"
    source: str  # what the user gave: a path, "active", "version:3", a model id
    probabilities: bool  # True: ``probability`` is a calibrated probability
    grades: tuple[str, ...] = ()  # best first
    stages: tuple[str, ...] = ()
    # grade -> the lowest score that reaches it (primary grading on the score itself)
    thresholds: dict[str, float] = field(default_factory=dict)
    components: tuple[str, ...] = ()  # named scores, in columns ``score_<name>``
    # predictive models: the horizon they predict, and the last outcome their training saw
    horizon_days: float | None = None
    trained_until_us: int | None = None
    warnings: tuple[str, ...] = ()  # said once per backtest (e.g. library versions changed)

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind,
            "source": self.source,
            "probabilities": self.probabilities,
            "grades": list(self.grades),
            "stages": list(self.stages),
            "thresholds": self.thresholds,
            "horizon_days": self.horizon_days,
        }


class Scorer(Protocol):
    info: ScorerInfo

    def score(self, store: Store, as_of_us: int, population: str) -> pd.DataFrame:
        """Score the leads listed in table ``population`` (column ``contact_id``) as of T."""
        ...


def grade_order(model: Model) -> list[str]:
    """The labels of the model's primary grade, best first (matrix cells row by row)."""
    primary = model.primary()
    if primary is None:
        return []
    if primary == "matrix" and model.matrix is not None:
        rows = model.grades[model.matrix.rows].labels()
        columns = model.grades[model.matrix.columns].labels()
        return [r + c for r in rows for c in columns]
    return model.grades[primary].labels()


def stage_order(model: Model) -> list[str]:
    primary = model.primary()
    if primary is None:
        return []
    if primary == "matrix" and model.matrix is not None:
        return list(model.matrix.stages)
    return list(dict.fromkeys(b.stage for b in model.grades[primary].bands if b.stage))


def grade_thresholds(model: Model) -> dict[str, float]:
    """Grade -> min total, when the primary grade is a grading of the total."""
    primary = model.primary()
    if primary is None or primary not in model.grades:
        return {}
    grading = model.grades[primary]
    if grading.score != "total":
        return {}
    return {b.grade: float(b.min) for b in grading.bands if b.min is not None}


class RuleScorer:
    """A rule model, scored by its compiled query as of T."""

    def __init__(self, model: Model, name: str | None = None, source: str = "") -> None:
        self.model = model
        self.info = ScorerInfo(
            name=name or model.name,
            kind="rule",
            source=source or model.name,
            probabilities=False,
            grades=tuple(grade_order(model)),
            stages=tuple(stage_order(model)),
            thresholds=grade_thresholds(model),
            components=tuple(model.scores),
        )

    def score(self, store: Store, as_of_us: int, population: str) -> pd.DataFrame:
        from sqlglot import exp

        from leadscore.compile.contacts import compile_contacts
        from leadscore.compile.naming import score_col
        from leadscore.evaluate.population import frame

        ids = exp.select("contact_id").from_(population)
        compiled = compile_contacts(self.model, as_of_us, store.dialect, contact_ids=ids)
        inner = compiled.sql(store.dialect, pretty=False)
        parts = [f"q.{score_col(n)} AS {score_col(n)}" for n in self.info.components]
        sql = (
            "SELECT q.contact_id AS contact_id, q.total AS score, "
            "CAST(NULL AS DOUBLE PRECISION) AS probability, q.grade AS grade, q.stage AS stage"
            + "".join(", " + p for p in parts)
            + f" FROM ({inner}) q"
        )
        columns = [*SCORED_COLUMNS, *[score_col(n) for n in self.info.components]]
        out = frame(store, sql, columns)
        out["score"] = out["score"].astype("float64")
        out["probability"] = out["probability"].astype("float64")
        return out


# --- finding a scorer from what the user typed ---------------------------------------------

Resolver = Callable[[str, "Workspace | None", "Store | None"], "Scorer | None"]
_RESOLVERS: list[Resolver] = []


def register_resolver(resolver: Resolver) -> None:
    """Add a way to find scorers by name (tried after files, ``active`` and ``version:N``).

    A resolver receives the text the user gave, the workspace and the open store, and returns
    a scorer (for instance a model whose ``score`` returns its probability of converting as of
    T in both ``score`` and ``probability``) or None when the text is not one of its names.
    """
    if resolver not in _RESOLVERS:
        _RESOLVERS.append(resolver)


def _builtin_resolvers() -> list[Resolver]:
    """Resolvers shipped with the package: trained predictive models, by id."""
    from leadscore.evaluate.predictive import resolve_predictive

    return [resolve_predictive]


def resolve_scorer(
    spec: str, workspace: Workspace | None = None, store: Store | None = None
) -> Scorer:
    """A scorer from ``spec``: a YAML model file, ``active`` (the workspace's model: its
    published version when the service has published one, else its model file),
    ``version:N`` (a stored version, drafts included), the id of a trained predictive model
    or ``predictive`` (the workspace's active predictive model)."""
    from leadscore.model import load_model

    if spec == ACTIVE:
        if workspace is None:
            raise LeadscoreError("'active' means the workspace's model; open a workspace first")
        published = _published(store)
        if published is not None:
            number, model = published
            return RuleScorer(model, source=f"active (version {number})")
        return RuleScorer(workspace.load_model(), source=f"active ({workspace.config.model})")
    if spec.startswith(VERSION_PREFIX):
        return _stored_version(spec, store)
    path = Path(spec)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        if not path.is_file():
            raise LeadscoreError(f"model file not found: {spec}")
        return RuleScorer(load_model(path), source=str(path))
    for resolver in [*_RESOLVERS, *_builtin_resolvers()]:
        scorer = resolver(spec, workspace, store)
        if scorer is not None:
            return scorer
    raise LeadscoreError(
        f"'{spec}' is not a model: give a YAML file, '{ACTIVE}', '{VERSION_PREFIX}N', "
        "'predictive' or the id of a trained predictive model"
    )


def resolve_scorers(
    specs: Sequence[str], workspace: Workspace | None = None, store: Store | None = None
) -> list[Scorer]:
    """Scorers for several specs, renamed where needed so every name is unique (two files of
    the same model are told apart by their file names)."""
    scorers = [resolve_scorer(s, workspace, store) for s in specs]
    names = [s.info.name for s in scorers]
    for i, scorer in enumerate(scorers):
        name = scorer.info.name
        if names.count(name) > 1:
            candidate = f"{name} ({Path(specs[i]).name})"
            taken = set(names[:i]) | {s.info.name for s in scorers[:i]}
            suffix = 2
            unique = candidate
            while unique in taken:
                unique, suffix = f"{candidate} #{suffix}", suffix + 1
            renamed(scorer, unique)
    return scorers


def renamed(scorer: Scorer, name: str) -> None:
    """Give a scorer another display name."""
    from dataclasses import replace

    scorer.info = replace(scorer.info, name=name)


def _published(store: Store | None) -> tuple[int, Model] | None:
    if store is None or not store.has_table("model_versions"):
        return None
    from leadscore.model import load_model_text

    rows = store.rows(
        "SELECT version, yaml FROM model_versions WHERE status = 'published' "
        "ORDER BY version DESC LIMIT 1"
    )
    if not rows:
        return None
    number = int(rows[0]["version"])
    return number, load_model_text(str(rows[0]["yaml"]), file=f"version {number}")


def _stored_version(spec: str, store: Store | None) -> Scorer:
    from leadscore.model import load_model_text

    text = spec[len(VERSION_PREFIX) :]
    if not text.isdigit():
        raise LeadscoreError(f"'{spec}': write {VERSION_PREFIX}N with a version number, e.g. 3")
    if store is None or not store.has_table("model_versions"):
        raise LeadscoreError(f"'{spec}': this workspace keeps no model versions")
    rows = store.rows("SELECT yaml, status FROM model_versions WHERE version = ?", [int(text)])
    if not rows:
        raise LeadscoreError(f"no model version {text}")
    model = load_model_text(str(rows[0]["yaml"]), file=f"version {text}")
    return RuleScorer(model, name=f"{model.name} v{text}", source=f"{spec} ({rows[0]['status']})")
