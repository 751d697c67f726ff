"""Deprecated location of the time profiles: use :mod:`hotpatrol.timeprofile`.

Time profiles and shift parsing moved to the core module :mod:`hotpatrol.timeprofile` (issue 11) so
that forecast and patrol share them as siblings. This re-export is kept for one release because
``docs/patrol.md`` documented ``hotpatrol.patrol.timing``; nothing inside hotpatrol imports it.
"""

import warnings

from hotpatrol.timeprofile import (  # noqa: F401
    DEFAULT_SHIFTS,
    HOURS_PER_WEEK,
    WEEKDAYS,
    TimeProfile,
    aoristic_sum,
    aoristic_weights,
    assign_events,
    clock_hours,
    event_windows,
    parse_shift,
    time_profile,
    uniform_profile,
)

warnings.warn("hotpatrol.patrol.timing is deprecated; import from hotpatrol.timeprofile.",
              DeprecationWarning, stacklevel=2)

__all__ = ["DEFAULT_SHIFTS", "HOURS_PER_WEEK", "WEEKDAYS", "TimeProfile", "aoristic_sum", "aoristic_weights",
           "assign_events", "clock_hours", "event_windows", "parse_shift", "time_profile", "uniform_profile"]
