"""Deprecated location of the Mann-Kendall test: use :mod:`hotpatrol.hotspots.monotonic_trend`.

Renamed (issue 11) so it no longer clashes with :mod:`hotpatrol.hotspots.trends`; kept for one release
because docs/hotspots-trends.md documented ``hotpatrol.hotspots.trend.mann_kendall``.
"""

import warnings

from hotpatrol.hotspots.monotonic_trend import mann_kendall, sen_slope  # noqa: F401

warnings.warn("hotpatrol.hotspots.trend is deprecated; import from hotpatrol.hotspots.monotonic_trend.",
              DeprecationWarning, stacklevel=2)

__all__ = ["mann_kendall", "sen_slope"]
