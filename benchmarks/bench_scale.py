"""Scaling benchmark: the example model over 1M, 10M and 50M events on DuckDB and Spark local mode.

    python benchmarks/bench_scale.py [--sizes 1m,10m,50m] [--engines duckdb,spark]
                                     [--duckdb-memory 3GB] [--spark-memory 6g]
                                     [--data-dir bench-data]

Data: the demo workspace of ``bench_scoring.py`` (1,000,000 contacts, about 9.9M events, built
once and reused), written out as Parquet in three sizes with the same distribution:

- ``1m``: the contacts whose id hashes to 0 modulo 10, and their events (about 1M events);
- ``10m``: all of it;
- ``50m``: five copies of it, with ids suffixed ``#1`` .. ``#5`` (5M contacts).

Each (engine, size) runs in its own subprocess, so peak memory is its own:

- **duckdb**: an in-memory DuckDB with ``threads=2`` and ``memory_limit`` (``--duckdb-memory``),
  spilling to a temporary folder whose largest size is sampled while the query runs; the compiled
  query (with the breakdown) reads the Parquet files and ``COPY``s its result to Parquet.
- **spark**: a local Spark session (``local[2]``, ``--spark-memory`` for the driver), scoring with
  :func:`leadscore.spark.score_spark` and writing Parquet. Session start-up is timed apart; peak
  memory is the JVM's high-water mark (VmHWM).

Scoring time includes reading the inputs and writing every score and breakdown column.
Results and how to read them: docs/benchmarks.md ("Scale-out").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

SIZES = {"1m": "events of 1 contact in 10", "10m": "all events", "50m": "five copies"}
COPIES = 5


def _folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += (Path(root) / name).stat().st_size
    return total


def _vm_hwm_mb(pid: int | str = "self") -> float | None:
    status = Path(f"/proc/{pid}/status")
    if not status.is_file():
        return None
    for line in status.read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


# --- data ------------------------------------------------------------------------------------


def source_database(data_dir: Path) -> Path:
    """The 1M-contact demo database of bench_scoring.py (built there and reused here)."""
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_scoring import prepare

    return prepare(1_000_000, 10.0, 7, data_dir, 2)


def prepare_parquet(data_dir: Path, sizes: list[str]) -> dict[str, Path]:
    """Parquet folders (contacts.parquet, events.parquet) for each size, built once."""
    import duckdb

    out: dict[str, Path] = {}
    database: Path | None = None
    for size in sizes:
        folder = data_dir / "scale" / size
        out[size] = folder
        if (folder / "done").is_file():
            continue
        database = database or source_database(data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        con = duckdb.connect(config={"threads": 2, "memory_limit": "4GB"})
        con.execute("SET preserve_insertion_order = false")
        con.execute(f"ATTACH '{database}' AS src (READ_ONLY)")
        columns = {
            "contacts": "contact_id, account_id, created_at_us, attributes",
            "events": "event_id, contact_id, type, ts_us, properties",
        }
        for table, cols in columns.items():
            if size == "1m":
                query = f"SELECT {cols} FROM src.{table} WHERE hash(contact_id) % 10 = 0"
            elif size == "10m":
                query = f"SELECT {cols} FROM src.{table}"
            else:
                renamed = cols.replace("contact_id", "contact_id || '#' || k AS contact_id")
                renamed = renamed.replace("event_id,", "event_id || '#' || k AS event_id,")
                renamed = renamed.replace("account_id,", "account_id || '#' || k AS account_id,")
                query = f"SELECT {renamed} FROM src.{table}, range(1, {COPIES + 1}) AS copies(k)"
            target = folder / f"{table}.parquet"
            con.execute(f"COPY ({query}) TO '{target}' (FORMAT parquet, ROW_GROUP_SIZE 500000)")
        con.close()
        (folder / "done").write_text("ok\n")
        took = time.perf_counter() - started
        print(f"wrote {folder} in {took:.0f}s", file=sys.stderr)
    return out


def counts(folder: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect()
    contacts = con.execute(f"SELECT count(*) FROM '{folder / 'contacts.parquet'}'").fetchone()
    events = con.execute(f"SELECT count(*) FROM '{folder / 'events.parquet'}'").fetchone()
    con.close()
    assert contacts is not None
    assert events is not None
    return int(contacts[0]), int(events[0])


def as_of_us() -> int:
    from leadscore.demo import make_spec

    return make_spec(1_000_000, 7).end_us


# --- contenders ----------------------------------------------------------------------------


def run_duckdb(folder: Path, memory: str, out: Path) -> dict[str, Any]:
    import duckdb

    from leadscore.compile.contacts import compile_contacts
    from leadscore.compile.sources import Sources
    from leadscore.model import load_model
    from leadscore.store.workspace import example_model_path

    model = load_model(example_model_path())
    sql = compile_contacts(
        model, as_of_us(), "duckdb", Sources(contacts="c_in", events="e_in")
    ).sql("duckdb", pretty=False)
    spill = Path(tempfile.mkdtemp(prefix="leadscore-spill-", dir=out.parent))
    con = duckdb.connect(
        config={"threads": 2, "memory_limit": memory, "temp_directory": str(spill)}
    )
    con.execute("SET preserve_insertion_order = false")
    con.execute(f"CREATE VIEW c_in AS SELECT * FROM read_parquet('{folder / 'contacts.parquet'}')")
    con.execute(f"CREATE VIEW e_in AS SELECT * FROM read_parquet('{folder / 'events.parquet'}')")
    largest = [0]
    running = [True]

    def sample() -> None:
        while running[0]:
            largest[0] = max(largest[0], _folder_size(spill))
            time.sleep(0.25)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    error = None
    try:
        con.execute(f"COPY ({sql}) TO '{out}' (FORMAT parquet)")
    except duckdb.Error as exc:
        error = str(exc).splitlines()[0]
    wall = time.perf_counter() - started
    running[0] = False
    watcher.join()
    after = resource.getrusage(resource.RUSAGE_SELF)
    rows = None
    if error is None:
        found = con.execute(f"SELECT count(*) FROM '{out}'").fetchone()
        rows = int(found[0]) if found else None
    con.close()
    shutil.rmtree(spill, ignore_errors=True)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_mb": _vm_hwm_mb() or after.ru_maxrss / 1024,
        "spilled_mb": largest[0] / 2**20,
        "rows": rows,
        "error": error,
    }


def _jvm_pid(spark: Any) -> int:
    pid = int(spark.sparkContext._gateway.proc.pid)
    # the launcher may be a shell whose child is the JVM
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and "java" in (entry / "comm").read_text():
                return int(entry.name)
    return pid


def run_spark(folder: Path, memory: str, out: Path) -> dict[str, Any]:
    from leadscore.model import load_model
    from leadscore.spark import local_session, score_spark, write_scores
    from leadscore.store.workspace import example_model_path

    model = load_model(example_model_path())
    started = time.perf_counter()
    spark = local_session(cores=2, driver_memory=memory, shuffle_partitions=8)
    startup = time.perf_counter() - started
    jvm = _jvm_pid(spark)
    cpu_before = _cpu_s(jvm)
    started = time.perf_counter()
    contacts = spark.read.parquet(str(folder / "contacts.parquet"))
    events = spark.read.parquet(str(folder / "events.parquet"))
    scores = score_spark(spark, model, contacts, events, as_of_us())
    write_scores(scores, out)
    wall = time.perf_counter() - started
    cpu = _cpu_s(jvm) - cpu_before
    rows = spark.read.parquet(str(out / "contacts")).count()
    peak = _vm_hwm_mb(jvm)
    spark.stop()
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak, "startup_s": startup, "rows": rows}


# --- orchestration ---------------------------------------------------------------------------


def child(args: argparse.Namespace) -> None:
    folder = Path(args.folder)
    out = Path(args.out)
    if args.engine == "duckdb":
        result = run_duckdb(folder, args.duckdb_memory, out)
    else:
        result = run_spark(folder, args.spark_memory, out)
    print(json.dumps(result))


def spawn(engine: str, size: str, folder: Path, args: argparse.Namespace) -> dict[str, Any]:
    work = args.data_dir / "scale" / "out"
    work.mkdir(parents=True, exist_ok=True)
    out = work / (f"{engine}-{size}-{os.getpid()}" + ("" if engine == "spark" else ".parquet"))
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    command = [sys.executable, __file__, "--child", engine, "--folder", str(folder)]
    command += ["--out", str(out), "--duckdb-memory", args.duckdb_memory]
    command += ["--spark-memory", args.spark_memory]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        return {"error": f"exit code {done.returncode}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if out.is_dir():
        shutil.rmtree(out)
    elif out.exists():
        out.unlink()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1m,10m,50m")
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--duckdb-memory", default="3GB")
    parser.add_argument("--spark-memory", default="6g")
    parser.add_argument("--data-dir", type=Path, default=Path("bench-data"))
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--child", dest="engine", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        child(args)
        return
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r}; choose among {', '.join(SIZES)}")
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    folders = prepare_parquet(args.data_dir, sizes)
    if args.prepare_only:
        return
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        f"at start; DuckDB memory_limit {args.duckdb_memory}, Spark driver {args.spark_memory}",
    )
    header = f"{'size':5s} {'engine':7s} {'contacts':>10s} {'events':>11s} {'wall s':>8s}"
    print(header, f"{'cpu s':>8s} {'events/s':>10s} {'peak MB':>8s} {'spill MB':>9s} notes")
    for size in sizes:
        n_contacts, n_events = counts(folders[size])
        for engine in engines:
            r = spawn(engine, size, folders[size], args)
            if r.get("error"):
                print(
                    f"{size:5s} {engine:7s} {n_contacts:10,d} {n_events:11,d} failed:", r["error"]
                )
                continue
            spill = f"{r['spilled_mb']:9.0f}" if "spilled_mb" in r else f"{'-':>9s}"
            notes = f"start-up {r['startup_s']:.0f}s" if "startup_s" in r else ""
            notes += f" rows {r['rows']:,}"
            print(
                f"{size:5s} {engine:7s} {n_contacts:10,d} {n_events:11,d} {r['wall_s']:8.1f}",
                f"{r['cpu_s']:8.1f} {n_events / r['wall_s']:10,.0f} {r['peak_mb']:8.0f} {spill}",
                notes,
                flush=True,
            )
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
