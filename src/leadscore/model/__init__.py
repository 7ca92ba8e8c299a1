"""Scoring models: the spec types, loading with precise errors, and semantic checks."""

from leadscore.model.loader import load_model, load_model_text
from leadscore.model.problems import ModelError, Problem
from leadscore.model.spec import Model

__all__ = ["Model", "ModelError", "Problem", "load_model", "load_model_text"]
