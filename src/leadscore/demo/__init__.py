"""Synthetic B2B SaaS demo data, shared by the demo, the tests, the docs and the benchmarks.

``generate()`` builds the tables in memory, ``load()`` writes them into a store and
``build_workspace()`` makes a ready-to-score workspace. How the data is made: docs/demo-data.md.
"""

from leadscore.demo.generate import DemoData, DemoSpec, generate, generate_parts, make_spec
from leadscore.demo.loading import build_workspace, load, loaded_spec, reuse_or_build

__all__ = [
    "DemoData",
    "DemoSpec",
    "build_workspace",
    "generate",
    "generate_parts",
    "load",
    "loaded_spec",
    "make_spec",
    "reuse_or_build",
]
