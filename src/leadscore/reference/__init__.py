"""The reference evaluator: the scoring semantics in plain Python, slow and obvious.

It is the oracle the engines are tested against; it shares no code with the SQL compiler beyond
the value helpers (:mod:`leadscore.values`) and the portable regex translation.
"""

from leadscore.reference.evaluator import evaluate, evaluate_contacts

__all__ = ["evaluate", "evaluate_contacts"]
