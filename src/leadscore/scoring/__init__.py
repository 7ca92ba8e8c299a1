"""Run models: score a workspace or DataFrames as of T, read breakdowns and top leads."""
