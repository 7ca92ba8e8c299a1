"""Read contacts, events, accounts and deals into Spark in the layout the compiled query reads.

The stored layout (what every leadscore engine holds, and what ``leadscore`` writes to Parquet):

| kind | columns |
|---|---|
| contacts | ``contact_id``, ``account_id``, ``created_at_us``, ``attributes`` (JSON object text) |
| events | ``event_id``, ``contact_id``, ``type``, ``ts_us``, ``properties`` (JSON object text) |
| accounts | ``account_id``, ``created_at_us``, ``attributes`` |
| deals | ``deal_id``, ``account_id``, ``created_at_us``, ``attributes``, ``contact_ids`` (list) |

Import-style files are read too: ``created_at`` / ``ts`` as timestamps or dates (or ISO text)
instead of the ``*_us`` columns, ``attributes`` / ``properties`` as a struct or map, and every
other column as an attribute (property), cast to text (a column wins over the same key in the
nested object). Text, whole numbers and booleans become the same text as in a file import;
fractional numbers use Spark's text form, which differs from leadscore's below 0.001 and from
10,000,000 up (``1.0E7``): store such values as text for identical results.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError, did_you_mean

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

# bookkeeping columns of the stores, never attributes or properties
STORE_ONLY = ("updated_at_us", "received_at_us")
FORMATS = {".parquet": "parquet", ".pq": "parquet", ".json": "json", ".jsonl": "json"}
FORMATS |= {".ndjson": "json", ".csv": "csv", ".orc": "orc"}


@dataclass(frozen=True)
class Kind:
    key: str
    required: tuple[str, ...]
    time: str  # the *_us column
    nested: str  # attributes or properties
    optional: tuple[str, ...] = ()


KINDS: Mapping[str, Kind] = {
    "contacts": Kind("contact_id", ("contact_id",), "created_at_us", "attributes", ("account_id",)),
    "events": Kind(
        "event_id", ("contact_id", "type"), "ts_us", "properties", ("event_id", "received_at_us")
    ),
    "accounts": Kind("account_id", ("account_id",), "created_at_us", "attributes"),
    "deals": Kind(
        "deal_id", ("deal_id",), "created_at_us", "attributes", ("account_id", "contact_ids")
    ),
}


def _format(path: Path) -> str:
    if path.is_dir():
        # a folder of part files (as Spark writes them): the format of the first data file
        for child in sorted(path.rglob("*")):
            fmt = FORMATS.get(child.suffix.lower())
            if fmt is not None and child.is_file():
                return fmt
        return "parquet"
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise LeadscoreError(
            f"{path}: cannot tell the format from the extension; use .parquet, .orc, .csv, "
            ".json or .jsonl (or a folder of such files)"
        )
    return fmt


def read_table(spark: SparkSession, source: Any, kind: str) -> DataFrame:
    """``source`` (a path or URI of Parquet/ORC/CSV/JSON files, ``table:NAME`` for a catalog
    table, or a DataFrame) as a DataFrame of ``kind`` in the stored layout."""
    from pyspark.sql import DataFrame

    if kind not in KINDS:
        raise LeadscoreError(f"unknown kind '{kind}'.{did_you_mean(kind, KINDS)}")
    if isinstance(source, DataFrame):
        frame, where = source, f"the {kind} DataFrame"
    elif isinstance(source, str) and source.startswith("table:"):
        frame, where = spark.table(source[len("table:") :]), source
    else:
        text = str(source)
        local = Path(text)
        remote = "://" in text and not text.startswith("file://")
        if not remote and not local.exists():
            raise LeadscoreError(f"{kind}: {text} does not exist")
        if remote:  # a lake folder or file: Parquet unless the name says otherwise
            fmt = FORMATS.get(Path(text.rstrip("/")).suffix.lower(), "parquet")
        else:
            fmt = _format(local)
        reader = spark.read.format(fmt)
        if fmt == "csv":
            reader = reader.option("header", "true")
        frame, where = reader.load(text), text
    return normalize(frame, kind, where)


def _column_types(frame: DataFrame) -> dict[str, str]:
    return {f.name: f.dataType.simpleString() for f in frame.schema.fields}


def normalize(frame: DataFrame, kind: str, where: str) -> DataFrame:
    """Check and convert ``frame`` to the stored layout of ``kind``; errors name ``where``."""
    from pyspark.sql import functions as F

    spec = KINDS[kind]
    types = _column_types(frame)
    lowered = {name.lower(): name for name in types}
    problems = []
    for name in spec.required:
        if name not in types:
            hint = (
                f" (found '{lowered[name]}': names are case-sensitive)" if name in lowered else ""
            )
            problems.append(f"there is no column '{name}'{hint}")
    plain_time = spec.time.removesuffix("_us")
    if kind == "events" and spec.time not in types and plain_time not in types:
        problems.append("there is no column 'ts_us' (epoch microseconds) nor 'ts' (a timestamp)")
    if problems:
        listed = ", ".join(types) or "none"
        raise LeadscoreError(f"{where}: {'; '.join(problems)}. The columns are: {listed}")

    out: dict[str, Any] = {}
    for name in (spec.key, *spec.required, *spec.optional):
        if name in out:
            continue
        if name == "contact_ids":
            out[name] = _contact_ids(frame, types, where)
        elif name == "received_at_us":
            out[name] = F.col(name).cast("bigint") if name in types else F.lit(0).cast("bigint")
        elif name in types:
            out[name] = F.col(f"`{name}`").cast("string")
        else:
            out[name] = F.lit(None).cast("string")
    out[spec.time] = _time(types, spec.time, plain_time, where)
    fixed = {*out, plain_time, spec.nested, *STORE_ONLY}
    extras = [name for name in types if name not in fixed]
    out[spec.nested] = _nested(types, spec.nested, extras, where)
    return frame.select(*[column.alias(name) for name, column in out.items()])


def _time(types: dict[str, str], us_name: str, plain: str, where: str) -> Any:
    from pyspark.sql import functions as F

    if us_name in types:
        if types[us_name] not in ("bigint", "int", "smallint", "tinyint"):
            raise LeadscoreError(
                f"{where}: column '{us_name}' must hold whole epoch microseconds, "
                f"not {types[us_name]}"
            )
        return F.col(us_name).cast("bigint")
    if plain in types:
        kind = types[plain]
        if kind in ("timestamp", "timestamp_ntz", "date", "string"):
            return F.unix_micros(F.col(plain).cast("timestamp"))
        raise LeadscoreError(
            f"{where}: column '{plain}' must be a timestamp, a date or ISO 8601 text, not {kind} "
            "(numbers are refused: seconds or milliseconds?)"
        )
    return F.lit(None).cast("bigint")


def _as_text(name: str, kind: str) -> Any:
    from pyspark.sql import functions as F

    column = F.col(f"`{name}`")
    if kind.startswith(("struct", "array", "map")):
        return F.to_json(column)
    if kind in ("timestamp", "timestamp_ntz"):
        return F.date_format(column, "yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
    return column.cast("string")


def _nested(types: dict[str, str], nested: str, extras: list[str], where: str) -> Any:
    """The JSON object text of the attributes (properties): the nested column's keys, then each
    other column under its own name."""
    from pyspark.sql import functions as F

    base = None
    if nested in types:
        kind = types[nested]
        if kind == "string":
            base = F.from_json(F.col(nested), "map<string,string>")
        elif kind.startswith(("struct", "map")):
            base = F.from_json(F.to_json(F.col(nested)), "map<string,string>")
        else:
            raise LeadscoreError(
                f"{where}: column '{nested}' must be JSON object text, a struct or a map, "
                f"not {kind}"
            )
    if not extras:
        if base is None:
            return F.lit("{}")
        if types[nested] == "string":
            return F.coalesce(F.col(nested), F.lit("{}"))
        return F.coalesce(F.to_json(base), F.lit("{}"))
    pairs = []
    for name in extras:
        pairs += [F.lit(name), _as_text(name, types[name])]
    columns = F.create_map(*pairs)
    merged = columns
    if base is not None:
        names = F.array(*[F.lit(n) for n in extras])
        kept = F.map_filter(
            F.coalesce(base, F.create_map().cast("map<string,string>")),
            lambda k, _v: ~F.array_contains(names, k),
        )
        merged = F.map_concat(kept, columns)
    return F.to_json(F.map_filter(merged, lambda _k, v: v.isNotNull()))


def _contact_ids(frame: DataFrame, types: dict[str, str], where: str) -> Any:
    from pyspark.sql import functions as F

    kind = types.get("contact_ids")
    if kind is None:
        return F.array().cast("array<string>")
    if kind.startswith("array"):
        return F.col("contact_ids").cast("array<string>")
    if kind == "string":
        text = F.trim(F.col("contact_ids"))
        as_json = F.from_json(text, "array<string>")
        split = F.filter(
            F.transform(F.split(text, ";"), lambda x: F.trim(x)), lambda x: F.length(x) > 0
        )
        return F.when(text.startswith("["), as_json).otherwise(split)
    raise LeadscoreError(
        f"{where}: column 'contact_ids' must be a list or text (JSON array or ';'-separated), "
        f"not {kind}"
    )
