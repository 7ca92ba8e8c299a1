"""The trees compiled to machine code (lleaves, on LLVM) for scoring many leads at once.

LightGBM's own ``predict`` walks its trees row by row through a generic interpreter: about 8 CPU
seconds for a million leads and 300 small trees, most of scoring's time once the features are
built. lleaves compiles the same trees into one native function that gives the same raw scores
(up to the order of the floating-point additions, about 1e-14) about seven times faster
(docs/benchmarks.md, "Predictive scoring speed").

Compiling costs a second or two per model, so it is used where it pays:

- when the compiled code is already in the model's folder (the registry keeps it next to the
  model, one file per kind of processor, so a workspace moved to another machine compiles
  again rather than running code built for another processor);
- or for enough rows to pay for compiling (:func:`pays`: 250,000 for trees of 5 leaves, 1.4
  million for trees of 31), and then kept in that folder when there is one.

Anything that goes wrong while compiling or loading (a library missing or refusing the model)
falls back to LightGBM, with a warning in the log: the compiled path only ever changes speed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger(__name__)

# when to compile (benchmarks/bench_compiled_trees.py, 300 trees on 2 threads): compiling
# takes 2.6 s for trees of 5 leaves, 6.8 s for 15 and 16.8 s for 31, and saves 4.3, 9.7 and
# 12.6 us a row: a first run pays for it from about 600,000, 700,000 and 1,300,000 rows, and
# every later run (the code is kept) gains the whole saving. Hence: at least MIN_ROWS, and
# ROWS_PER_LEAF rows per leaf of the average tree
MIN_ROWS = 250_000
ROWS_PER_LEAF = 45_000
CHUNK = 65_536  # rows converted to float64 at a time (the compiled code reads doubles)
PREFIX = "trees-"


def _machine() -> str:
    """This processor and the compiler's versions: a cached object runs only where it was
    built."""
    import llvmlite  # type: ignore[import-untyped,unused-ignore]
    import llvmlite.binding as llvm  # type: ignore[import-untyped,unused-ignore]

    return "|".join(
        [llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten(), llvmlite.__version__]
    )


def cache_file(folder: Path, model_text: str) -> Path:
    """Where the compiled code of the trees ``model_text`` for this machine is kept."""
    from importlib.metadata import version

    digest = hashlib.sha256(
        "\n".join([version("lleaves"), _machine(), model_text]).encode()
    ).hexdigest()
    return folder / f"{PREFIX}{digest[:24]}.o"


class CompiledTrees:
    """A LightGBM booster's first ``iterations`` trees as native code returning raw scores."""

    def __init__(self, booster: Any, iterations: int, folder: Path | None = None) -> None:
        import lleaves  # type: ignore[import-untyped,unused-ignore]

        text = booster.model_to_string(num_iteration=iterations)
        cache = None if folder is None else cache_file(folder, text)
        with tempfile.TemporaryDirectory(prefix="leadscore-trees-") as scratch:
            path = Path(scratch) / "model.txt"
            path.write_text(text, encoding="utf-8")
            self._model = lleaves.Model(model_file=str(path))
            if cache is not None and cache.is_file():
                self._model.compile(cache=str(cache), raw_score=True)
                return
            # lleaves writes the object file where it is told after compiling: to scratch
            # first, then copied and renamed into place, so no reader ever sees half a file
            staged = Path(scratch) / "trees.o"
            self._model.compile(cache=str(staged), raw_score=True)
            if cache is not None:
                _publish(staged, cache)

    def raw(self, X: Any, n_jobs: int = 1) -> npt.NDArray[np.float64]:
        """Raw scores (log-odds before calibration) of the rows of the matrix ``X``."""
        import numpy as np

        out = np.empty(len(X), dtype=np.float64)
        jobs = max(1, n_jobs) if len(X) >= CHUNK else 1
        for start in range(0, len(X), CHUNK):
            part = np.ascontiguousarray(X[start : start + CHUNK], dtype=np.float64)
            out[start : start + len(part)] = self._model.predict(part, n_jobs=jobs)
        return out


def _publish(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` by way of a partial file and a rename."""
    import shutil

    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        shutil.copyfile(source, partial)
        partial.replace(target)
    except OSError as error:  # a read-only workspace: compiled again next time
        log.info("the compiled trees are not kept: %s", error)
        partial.unlink(missing_ok=True)


def pays(booster: Any, iterations: int, rows: int) -> bool:
    """Whether compiling these trees costs less than LightGBM's predict on ``rows`` rows."""
    import re

    if rows < MIN_ROWS:
        return False
    text = booster.model_to_string(num_iteration=iterations)
    leaves = [int(n) for n in re.findall(r"^num_leaves=(\d+)$", text, re.MULTILINE)]
    per_tree = sum(leaves) / max(1, len(leaves))
    return rows >= ROWS_PER_LEAF * per_tree


def compiled(booster: Any, iterations: int, folder: Path | None) -> CompiledTrees | None:
    """The compiled trees, or None (logged) when they cannot be built here."""
    try:
        return CompiledTrees(booster, iterations, folder)
    except Exception as error:
        log.warning("scoring with LightGBM's own predict: compiling the trees failed (%s)", error)
        return None


def is_cached(booster: Any, iterations: int, folder: Path | None) -> bool:
    """Whether this machine's compiled code of these trees is in ``folder``."""
    if folder is None:
        return False
    try:
        return cache_file(folder, booster.model_to_string(num_iteration=iterations)).is_file()
    except Exception:
        return False
