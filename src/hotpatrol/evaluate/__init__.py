"""Evaluating randomised hotspot patrols and other operations.

- :func:`~hotpatrol.evaluate.evaluation.evaluate_trial`: patrol days vs non-patrol days (GLM rate ratios,
  randomisation inference, dose-response, residual deterrence) -> :class:`EvaluationResult`; the
  estimates themselves in :mod:`~hotpatrol.evaluate.trial`, the HTML in
  :mod:`~hotpatrol.evaluate.evaluation_report`;
- :mod:`~hotpatrol.evaluate.displacement`: Weighted Displacement Quotient and Difference;
- :func:`~hotpatrol.evaluate.did.before_after`: difference in differences for non-randomised operations;
- :func:`~hotpatrol.evaluate.simulate.simulate_trial`: whole trials with a known true effect.

The public names below load their module on first use (statsmodels and geopandas are slow to import).
A function named like its module (``displacement.displacement``) is not re-exported: it would shadow the
module.
"""

from hotpatrol.lazy import lazy_exports

#: public name -> module that defines it
_WHERE = {
    "BeforeAfterResult": "did", "before_after": "did", "did_from_counts": "did",
    "DisplacementResult": "displacement", "wdd": "displacement", "wdq": "displacement",
    "EvaluationResult": "evaluation", "evaluate_trial": "evaluation",
    "Plan": "plan_io", "load_plan": "plan_io",
    "SimulatedTrial": "simulate", "simulate_trial": "simulate",
    "TrialEstimates": "trial", "estimate_trial": "trial",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
