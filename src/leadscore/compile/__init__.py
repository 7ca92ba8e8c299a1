"""Compile models to SQL (sqlglot trees) for DuckDB, PostgreSQL and Spark."""

from leadscore.compile.assemble import Compiled
from leadscore.compile.contacts import compile_contacts
from leadscore.compile.dialects import DIALECTS, get_dialect
from leadscore.compile.sources import Sources

__all__ = ["DIALECTS", "Compiled", "Sources", "compile_contacts", "get_dialect"]
