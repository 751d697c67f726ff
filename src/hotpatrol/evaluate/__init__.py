"""Evaluating randomised hotspot patrols and other operations.

- :func:`~hotpatrol.evaluate.trial.evaluate_trial`: patrol days vs non-patrol days (GLM rate ratios,
  randomisation inference, dose-response, residual deterrence) -> :class:`EvaluationResult`;
- :mod:`~hotpatrol.evaluate.displacement`: Weighted Displacement Quotient and Difference;
- :func:`~hotpatrol.evaluate.did.before_after`: difference in differences for non-randomised operations;
- :func:`~hotpatrol.evaluate.simulate.simulate_trial`: whole trials with a known true effect.
"""
