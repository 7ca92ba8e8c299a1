"""The scoring service: real-time ingest, incremental scoring, history, alerts, HTTP API.

Only this package and :mod:`leadscore.cli` read the environment.
"""
