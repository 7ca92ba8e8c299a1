"""Predictive scoring: point-in-time features, training, calibration, reasons, registry, and
learned point tables (scorecards) that become editable rule models.

The main entry points are importable from here; nothing heavy (scikit-learn, LightGBM) is
imported until one of them is used:

- :func:`training_set` -> :class:`FeatureTable` (features with a :class:`FeatureInfo` each);
- :func:`leadscore.predict.train.train` -> :class:`TrainedModel` (import it from its module:
  the package attribute ``train`` is that module); :class:`LeadScoreClassifier` for notebooks;
- :func:`predict_store`, :func:`leads_with_predictions`, :func:`explain_contact`;
- :mod:`leadscore.predict.registry` for saved models.

See docs/predictive.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FeatureInfo": "featureinfo",
    "FeaturePlan": "plan",
    "FeatureOptions": "plan",
    "FeatureTable": "dataset",
    "training_set": "dataset",
    "LeadScoreClassifier": "estimator",
    "TrainedModel": "trained",
    "TrainingReport": "trained",
    "predict_store": "scoring",
    "leads_with_predictions": "scoring",
    "explain_contact": "reasons",
    "explain_contacts": "reasons",
    "explain_top": "reasons",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'leadscore.predict' has no attribute {name!r}")
    return getattr(importlib.import_module(f"leadscore.predict.{module}"), name)
