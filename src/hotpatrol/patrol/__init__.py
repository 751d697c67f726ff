"""Randomised hotspot patrols: selection, experiment design, schedules, dosage and exports.

The public names below load their module on first use (selection needs scipy's HiGHS, dosage and the
briefing geopandas/matplotlib), so importing one module of the package stays cheap. Each lives in one
module: :mod:`~hotpatrol.patrol.hotspot_table` (the table selected from), :mod:`~hotpatrol.patrol.select`
(:func:`select_hotspots`; the programme in :mod:`~hotpatrol.patrol.ilp`, constraint pricing in
:mod:`~hotpatrol.patrol.constraints`, the result in :mod:`~hotpatrol.patrol.selection`),
:mod:`~hotpatrol.patrol.design` (blocked randomised allocation), :mod:`~hotpatrol.patrol.schedule`,
:mod:`~hotpatrol.patrol.plan`, :mod:`~hotpatrol.patrol.dosage`, :mod:`~hotpatrol.patrol.geofence` and the
exports (:mod:`~hotpatrol.patrol.export`). Time profiles and shifts are core: :mod:`hotpatrol.timeprofile`.
A function named like its module (``dosage.dosage``) is not re-exported: it would shadow the module.
"""

from hotpatrol.lazy import lazy_exports

#: public name -> module that defines it
_WHERE = {
    "Allocation": "design", "allocate": "design",
    "DosageResult": "dosage", "read_dosage": "dosage", "read_pings": "dosage", "visits_from_logs": "dosage",
    "visits_from_pings": "dosage",
    "Geofences": "geofence",
    "export_all": "export",
    "hotspots_from_events": "hotspot_table", "label_districts": "hotspot_table", "read_hotspots": "hotspot_table",
    "PatrolPlan": "plan", "create_plan": "plan",
    "Team": "schedule", "build_schedule": "schedule", "make_teams": "schedule",
    "select_hotspots": "select",
    "SelectionResult": "selection", "load_selection": "selection",
}

__all__ = sorted(_WHERE)


__getattr__, __dir__ = lazy_exports(__name__, _WHERE, globals())
