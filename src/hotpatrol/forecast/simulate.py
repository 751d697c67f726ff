"""Deprecated location of the ETAS simulators: use :mod:`hotpatrol.forecast.etas_simulation`.

Renamed (issue 11) so it no longer clashes with :mod:`hotpatrol.evaluate.simulate` (trial simulation);
kept for one release because docs/forecast-etas.md documented ``hotpatrol.forecast.simulate``.
"""

import warnings

from hotpatrol.forecast.etas_simulation import as_events, simulate_etas, simulate_grid_etas  # noqa: F401

warnings.warn("hotpatrol.forecast.simulate is deprecated; import from hotpatrol.forecast.etas_simulation.",
              DeprecationWarning, stacklevel=2)

__all__ = ["as_events", "simulate_etas", "simulate_grid_etas"]
