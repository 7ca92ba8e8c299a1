"""Request and response bodies of the HTTP API, one module per resource.

Requests refuse unknown fields; responses are built from library results, never from storage
rows, so column names never leak into the API.
"""
