"""Lead scoring: features at a cut-off, a calibrated model, scores for open journeys.

``predict_leads(tags, outcomes, events, settings)`` is the Python API behind
``journeymine predict``; definitions are in :mod:`mining.leads.score` and docs/predict.md.
"""

from mining.leads.score import SCORE_COLUMNS, LeadScores, predict_leads

__all__ = ["SCORE_COLUMNS", "LeadScores", "predict_leads"]
