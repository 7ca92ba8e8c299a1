"""leadscore: an open-source lead-scoring engine."""

__version__ = "0.1.0"
