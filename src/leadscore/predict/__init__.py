"""Predictive scoring: point-in-time features, training, calibration, reasons, registry, and
learned point tables (scorecards) that become editable rule models."""
