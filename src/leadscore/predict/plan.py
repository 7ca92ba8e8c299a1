"""Which features to build: a :class:`FeaturePlan` is a list of :class:`FeatureInfo`, chosen
once from the training data and then frozen, so that scoring builds exactly the same columns.

For a store, :func:`plan_store` looks at the data known at the last training snapshot (``cutoff``)
and chooses:

- contact attributes: numbers (at least 95 % of the present values follow the strict number
  syntax) or categories (values seen often enough are kept, the rest grouped as ``(other)``;
  identifier-like attributes whose kept values cover less than half of the contacts are skipped,
  and so are personal identifiers such as names and emails);
- flags read from job titles (seniority) and emails (a free-mail address), each a condition of
  the model spec (:mod:`leadscore.predict.flags`);
- the contact's age;
- per event type: counts over several windows and the days since the last one;
- distinct pages / assets per event type over a window;
- frequent path prefixes of url-like properties (``/pricing``) as sub-selections: counts and
  recency;
- the rule model's per-rule points and named scores at the snapshot.
"""

from __future__ import annotations

import functools
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from leadscore.predict.featureinfo import OTHER, FeatureInfo
from leadscore.predict.flags import flag_infos, flags_for
from leadscore.predict.naming import (
    Names,
    days,
    event_plural,
    event_singular,
    slug,
    where_words,
    words,
)
from leadscore.predict.snapshots import DAY_US

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.store.base import Store

_HASH_MULTIPLIER = 2654435761  # Knuth's multiplicative hash: portable, seeded row samples
_HASH_SPACE = 2**32

# Personal identifiers: never features (a name says nothing a model should learn from).
IDENTITY_ATTRIBUTES = (
    "first_name",
    "last_name",
    "firstname",
    "lastname",
    "full_name",
    "name",
    "email",
    "phone",
    "company",
    "company_name",
    "id",
)


@dataclass(frozen=True)
class FeatureOptions:
    """How features are chosen; the defaults suit a typical B2B event log."""

    windows_days: tuple[int, ...] = (7, 30, 90, 365)
    recency_cap_days: int = 365
    prefix_windows_days: tuple[int, ...] = (30, 90)
    path_properties: tuple[str, ...] = ("url", "page", "path")
    distinct_properties: tuple[str, ...] = ("url", "path", "asset")
    distinct_window_days: int = 90
    max_prefixes: int = 10
    prefix_sources: int = 1  # the most frequent (event type, url-like property) pairs
    min_prefix_share: float = 0.01
    min_event_count: int = 10
    max_categories: int = 30
    min_category_count: int = 20
    min_category_share: float = 0.005
    min_category_coverage: float = 0.5
    min_attribute_share: float = 0.01
    attribute_flags: bool = True  # seniority from job titles, free-mail emails (predict.flags)
    flag_sample: int = 20_000  # present values a flag is judged on, at most
    number_share: float = 0.95
    exclude_attributes: tuple[str, ...] = IDENTITY_ATTRIBUTES
    attribute_sample: int = 100_000  # contacts sampled to choose attribute features
    property_days: int = 90  # days of events before the cutoff read to choose sub-selections

    @property
    def lookback_days(self) -> int:
        return max([*self.windows_days, *self.prefix_windows_days, self.recency_cap_days])


@dataclass
class FeaturePlan:
    """The frozen feature set of a training run (serialisable with :meth:`as_dict`)."""

    infos: tuple[FeatureInfo, ...]
    source: Literal["store", "table"]
    options: FeatureOptions = field(default_factory=FeatureOptions)
    rule_model_json: str | None = None  # the rule model whose points are features
    cutoff_us: int | None = None  # features were chosen from data up to here
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [i.name for i in self.infos]

    def info(self, name: str) -> FeatureInfo:
        for i in self.infos:
            if i.name == name:
                return i
        raise KeyError(name)

    def rule_model(self) -> Model | None:
        if self.rule_model_json is None:
            return None
        return _load_rule_model(self.rule_model_json)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "features": [i.as_dict() for i in self.infos],
            "options": asdict(self.options),
            "rule_model": json.loads(self.rule_model_json) if self.rule_model_json else None,
            "cutoff_us": self.cutoff_us,
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeaturePlan:
        options: dict[str, Any] = {
            k: tuple(v) if isinstance(v, list) else v for k, v in data["options"].items()
        }
        rule_model = data.get("rule_model")
        return cls(
            infos=tuple(FeatureInfo.from_dict(d) for d in data["features"]),
            source=data["source"],
            options=FeatureOptions(**options),
            rule_model_json=json.dumps(rule_model) if rule_model is not None else None,
            cutoff_us=data.get("cutoff_us"),
            notes=list(data.get("notes", [])),
        )


@functools.lru_cache(maxsize=8)
def _load_rule_model(text: str) -> Model:
    """Parsing and validating a model costs a fraction of a second; models are not mutated."""
    from leadscore.model import load_model_text

    return load_model_text(text, file="<rule model of the trained model>")


def model_json(model: Model) -> str:
    data = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


# --- attributes ---------------------------------------------------------------------------


@dataclass
class AttributeStats:
    """What is known of one attribute's values: how many, how many numbers, the top values."""

    key: str
    present: int
    numbers: int
    top: list[tuple[str, int]]  # most frequent values first
    # a sample of the present values, for attributes that flags are read from (predict.flags)
    sample: tuple[str, ...] = ()


def attribute_infos(
    stats: Sequence[AttributeStats], total: int, options: FeatureOptions, names: Names
) -> tuple[list[FeatureInfo], list[str]]:
    """Attribute features from value statistics (shared by stores and plain tables)."""
    infos: list[FeatureInfo] = []
    notes: list[str] = []
    excluded = {a.lower() for a in options.exclude_attributes}
    for st in sorted(stats, key=lambda s: s.key):
        if (
            options.attribute_flags
            and st.sample
            and st.present >= options.min_attribute_share * total
        ):
            flagged, why = flag_infos(st.key, st.sample, options.min_attribute_share, names)
            infos += flagged
            notes += why
        if st.key.lower() in excluded:
            notes.append(f"attribute {st.key}: left out (a personal identifier)")
            continue
        if total == 0 or st.present < max(1, options.min_attribute_share * total):
            notes.append(f"attribute {st.key}: left out (present for too few contacts)")
            continue
        if st.numbers >= options.number_share * st.present and len(st.top) > 1:
            infos.append(
                FeatureInfo(
                    name=names("attr", slug(st.key)),
                    kind="attribute_number",
                    label=words(st.key),
                    attribute=st.key,
                )
            )
            continue
        least = max(options.min_category_count, options.min_category_share * st.present)
        kept = [(v, n) for v, n in st.top if n >= least and v != OTHER][: options.max_categories]
        covered = sum(n for _, n in kept)
        if not kept or covered < options.min_category_coverage * st.present:
            notes.append(
                f"attribute {st.key}: left out (too many distinct values: the frequent ones "
                f"cover {covered} of {st.present})"
            )
            continue
        if len(kept) == 1 and covered == st.present == total:
            notes.append(f"attribute {st.key}: left out (the same value for everyone)")
            continue
        infos.append(
            FeatureInfo(
                name=names("attr", slug(st.key)),
                kind="attribute_category",
                label=words(st.key),
                attribute=st.key,
                categories=tuple(v for v, _ in kept),
                extra={"other_count": st.present - covered},
            )
        )
    return infos, notes


def _attribute_stats(
    store: Store, cutoff_us: int, options: FeatureOptions
) -> tuple[list[AttributeStats], int]:
    """Value statistics of every attribute key, from a seeded uniform sample of at most
    ``options.attribute_sample`` contacts that exist at the cutoff; returns them and the sample
    size."""
    from leadscore.values import from_json, parse_number

    exists = f"(created_at_us IS NULL OR created_at_us <= {int(cutoff_us)})"
    total = int(store.scalar(f"SELECT count(*) FROM contacts WHERE {exists}"))
    if total == 0:
        return [], 0
    keep = min(_HASH_SPACE, int(_HASH_SPACE * options.attribute_sample / total))
    sample = store.rows(
        "SELECT attributes FROM (SELECT attributes, ROW_NUMBER() OVER (ORDER BY contact_id) "
        f"AS r FROM contacts WHERE {exists}) s WHERE (r * {_HASH_MULTIPLIER}) % {_HASH_SPACE} "
        f"< {keep}"
    )
    present: Counter[str] = Counter()
    numbers: Counter[str] = Counter()
    values: dict[str, Counter[str]] = defaultdict(Counter)
    flagged: dict[str, list[str]] = defaultdict(list)
    read_flags: dict[str, bool] = {}
    for row in sample:
        for key, value in from_json(row["attributes"]).items():
            present[key] += 1
            values[key][value] += 1
            if parse_number(value) is not None:
                numbers[key] += 1
            if key not in read_flags:
                read_flags[key] = options.attribute_flags and bool(flags_for(key))
            if read_flags[key] and len(flagged[key]) < options.flag_sample:
                flagged[key].append(value)
    out = []
    for key in sorted(present):
        ranked = sorted(values[key].items(), key=lambda item: (-item[1], item[0]))
        top = ranked[: options.max_categories + 1]
        out.append(AttributeStats(key, present[key], numbers[key], top, tuple(flagged[key])))
    return out, len(sample)


# --- events -------------------------------------------------------------------------------


def path_prefixes(
    values: Sequence[tuple[str, int]], options: FeatureOptions
) -> list[tuple[dict[str, Any], int]]:
    """Frequent sub-selections of a url-like property from its value counts: the home page
    (``eq: /``), first path segments (``starts_with: /pricing``) and, where a segment has at
    most two distinct sub-paths, those too (``/pricing/enterprise``: a distinct area rather
    than one of many articles). Returns ``(where, count)``, most frequent first."""
    total = sum(n for _, n in values)
    if total == 0:
        return []
    home = 0
    first: Counter[str] = Counter()
    second: Counter[str] = Counter()
    children: dict[str, set[str]] = defaultdict(set)
    for value, n in values:
        path = value.split("?", 1)[0].split("#", 1)[0]
        head = ""
        if "://" in path:
            scheme, rest = path.split("://", 1)
            host, _, tail = rest.partition("/")
            head, path = f"{scheme}://{host}", "/" + tail
        if not path.startswith("/"):
            continue
        segments = [s for s in path.split("/") if s]
        if not segments:
            if not head:
                home += n
            continue
        p1 = f"{head}/{segments[0]}"
        first[p1] += n
        if len(segments) > 1:
            p2 = f"{p1}/{segments[1]}"
            second[p2] += n
            children[p1].add(p2)
    least = max(options.min_event_count, options.min_prefix_share * total)
    found: list[tuple[dict[str, Any], int]] = []
    if home >= least:
        found.append(({"eq": "/"}, home))
    for p1, n in first.items():
        if least <= n < 0.95 * total:
            found.append(({"starts_with": p1}, n))
    for p2, n in second.items():
        parent = p2.rsplit("/", 1)[0]
        if len(children[parent]) <= 2 and n >= least and n < 0.9 * first[parent]:
            found.append(({"starts_with": p2}, n))
    found.sort(key=lambda item: (-item[1], json.dumps(item[0], sort_keys=True)))
    return found[: options.max_prefixes]


@dataclass
class EventStats:
    """Event types (with counts) and, per type, the values of its key properties."""

    types: dict[str, int]
    properties: dict[tuple[str, str], list[tuple[str, int]]]  # (type, property) -> top values


def _event_stats(store: Store, cutoff_us: int, options: FeatureOptions) -> EventStats:
    from sqlglot import exp

    from leadscore.compile.dialects import get_dialect

    dialect = get_dialect(store.dialect)
    window = (
        f"ts_us <= {int(cutoff_us)} AND ts_us > {int(cutoff_us - options.lookback_days * DAY_US)}"
    )
    recent = (
        f"ts_us <= {int(cutoff_us)} AND ts_us > {int(cutoff_us - options.property_days * DAY_US)}"
    )
    counted = exp.select("type", exp.alias_(exp.Count(this=exp.Star()), "n"))
    counted = counted.from_("events").where(window).group_by("type")
    types = {
        str(r["type"]): int(r["n"])
        for r in store.rows(dialect.sql(counted, pretty=False))
        if int(r["n"]) >= options.min_event_count
    }
    # which key properties each type carries, and their values: from the recent events
    props = sorted(set(options.path_properties) | set(options.distinct_properties))
    parts: list[exp.Expr] = [exp.column("type"), exp.alias_(exp.Count(this=exp.Star()), "n")]
    for i, name in enumerate(props):
        value = dialect.prop(exp.column("properties"), name)
        parts.append(exp.alias_(exp.Count(this=value), f"p{i}"))
    query = exp.select(*parts).from_("events").where(recent).group_by("type")
    rows = store.rows(dialect.sql(query, pretty=False))
    properties: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for r in sorted(rows, key=lambda r: str(r["type"])):
        event_type = str(r["type"])
        if event_type not in types:
            continue
        for i, name in enumerate(props):
            if int(r[f"p{i}"]) < 0.5 * int(r["n"]):
                continue
            value = dialect.prop(exp.column("properties"), name)
            inner = (
                exp.select(exp.alias_(value, "v"))
                .from_("events")
                .where(recent)
                .where(exp.EQ(this=exp.column("type"), expression=exp.Literal.string(event_type)))
            )
            top_query = (
                exp.select("v", exp.alias_(exp.Count(this=exp.Star()), "n"))
                .from_(inner.subquery("a"))
                .where("v IS NOT NULL")
                .group_by("v")
                .order_by("n DESC", "v")
                .limit(5000)
            )
            found = store.rows(dialect.sql(top_query, pretty=False))
            properties[(event_type, name)] = [(str(x["v"]), int(x["n"])) for x in found]
    return EventStats(types, properties)


def event_infos(stats: EventStats, options: FeatureOptions, names: Names) -> list[FeatureInfo]:
    infos: list[FeatureInfo] = []
    cap = options.recency_cap_days
    # path sub-selections for the most frequent url-like properties only (page views, say)
    carriers = [
        (sum(n for _, n in values), key)
        for key, values in stats.properties.items()
        if key[1] in options.path_properties
    ]
    sources = {key for _, key in sorted(carriers, reverse=True)[: options.prefix_sources]}
    for event_type in sorted(stats.types):
        plural, singular = event_plural(event_type), event_singular(event_type)
        for w in options.windows_days:
            infos.append(
                FeatureInfo(
                    name=names("n", slug(event_type), f"{w}d"),
                    kind="event_count",
                    label=f"{plural}, last {days(w)}",
                    event_types=(event_type,),
                    window_days=w,
                )
            )
        infos.append(_recency(event_type, None, f"days since the last {singular}", cap, names))
        for prop in options.distinct_properties:
            values = stats.properties.get((event_type, prop))
            if values is None or len(values) < 3:
                continue
            w = options.distinct_window_days
            what = "pages" if prop in options.path_properties else f"{words(prop)} values"
            if prop == "asset":
                what = "assets"
            infos.append(
                FeatureInfo(
                    name=names("distinct", slug(prop), slug(event_type), f"{w}d"),
                    kind="distinct_values",
                    label=f"distinct {what} among {plural}, last {days(w)}",
                    event_types=(event_type,),
                    property=prop,
                    window_days=w,
                )
            )
        for prop in options.path_properties:
            values = stats.properties.get((event_type, prop))
            if not values or (event_type, prop) not in sources:
                continue
            for condition, _count in path_prefixes(values, options):
                where = {"property": prop, **condition}
                what = where_words(where)
                tag = slug(what)
                for w in options.prefix_windows_days:
                    infos.append(
                        FeatureInfo(
                            name=names("n", slug(event_type), tag, f"{w}d"),
                            kind="event_count",
                            label=f"{what} {plural}, last {days(w)}",
                            event_types=(event_type,),
                            where=where,
                            window_days=w,
                        )
                    )
                label = f"days since the last {what} {singular}"
                infos.append(_recency(event_type, where, label, cap, names, tag))
    return infos


def _recency(
    event_type: str,
    where: dict[str, Any] | None,
    label: str,
    cap: int,
    names: Names,
    tag: str = "",
) -> FeatureInfo:
    return FeatureInfo(
        name=names("days_since", slug(event_type), tag),
        kind="event_recency",
        label=label,
        event_types=(event_type,),
        where=where,
        window_days=cap,
        extra={"missing": f"none in the last {days(cap)}"},
    )


# --- rule model ---------------------------------------------------------------------------


def rule_infos(model: Model, names: Names) -> list[FeatureInfo]:
    from leadscore.compile.explain import rule_sentence

    infos = []
    for score_name, rule in model.rules:
        infos.append(
            FeatureInfo(
                name=names("rule", slug(rule.id)),
                kind="rule_points",
                label=f"points of rule {rule.id} ({score_name})",
                rule_id=rule.id,
                extra={"score": score_name, "sentence": rule_sentence(rule)},
            )
        )
    for score_name in [*model.scores, "total"]:
        label = "rule model total score" if score_name == "total" else f"{score_name} score"
        infos.append(
            FeatureInfo(
                name=names("score", slug(score_name)),
                kind="score",
                label=label,
                extra={"score": score_name},
            )
        )
    return infos


# --- the whole plan -----------------------------------------------------------------------


def plan_store(
    store: Store,
    cutoff_us: int,
    rule_model: Model | None = None,
    options: FeatureOptions | None = None,
) -> FeaturePlan:
    """Choose the features of a store from the data known at ``cutoff_us``."""
    options = options or FeatureOptions()
    names = Names()
    stats, sampled = _attribute_stats(store, cutoff_us, options)
    attributes, notes = attribute_infos(stats, sampled, options, names)
    infos = list(attributes)
    infos.append(
        FeatureInfo(
            name=names("contact_age_days"),
            kind="contact_age",
            label="days since the contact was created",
            extra={"missing": "creation time unknown"},
        )
    )
    infos += event_infos(_event_stats(store, cutoff_us, options), options, names)
    rule_json = None
    if rule_model is not None and rule_model.rules:
        infos += rule_infos(rule_model, names)
        rule_json = model_json(rule_model)
    return FeaturePlan(
        infos=tuple(infos),
        source="store",
        options=options,
        rule_model_json=rule_json,
        cutoff_us=cutoff_us,
        notes=notes,
    )
