"""Re-export of the shared result types, which live in :mod:`hotpatrol.results` (the core).

Kept so that ``from hotpatrol.results import HotspotResult, Summary`` still works; new code
imports from :mod:`hotpatrol.results`.
"""

from hotpatrol.results import HotspotResult, Result, Summary

__all__ = ["HotspotResult", "Result", "Summary"]
