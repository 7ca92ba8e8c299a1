"""Backtests, metrics, champion vs challenger, threshold advice, funnel, drift and reports.

Import what you need from the modules (nothing heavy is imported here):

- :mod:`.backtest` ``backtest(store, scorers, as_of, horizon_days)`` -> ``BacktestResult``
- :mod:`.compare` ``compare(result, ...)`` -> ``Comparison``
- :mod:`.thresholds` ``threshold_advice(store, scorer, end_us, horizon_days, ...)``
- :mod:`.funnel` ``funnel(store, config, as_of_us, by)``; stages from :mod:`.funnel_config`
- :mod:`.drift` ``drift(store, scorer, reference, current)``
- :mod:`.report` sections and ``write_report``; :mod:`.terminal` and :mod:`.views` for text
- :mod:`.metrics`, :mod:`.tables`, :mod:`.stats`: the pure functions underneath
- :mod:`.scorers`, :mod:`.predictive`: what scores (rule models, predictive models)

See docs/backtesting.md.
"""
