"""Storage: the schema, workspaces, imports and exports, and the engines that run compiled SQL.

Only this package imports database drivers.
"""
