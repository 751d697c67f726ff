"""Reports: the monthly force and district performance report (``performance``)."""

from hotpatrol.report.groups import CategoryGroups, load_groups, load_outcome_map
from hotpatrol.report.performance import ChangeTable, PerformanceReport, change_row, performance_report

__all__ = [
    "CategoryGroups",
    "ChangeTable",
    "PerformanceReport",
    "change_row",
    "load_groups",
    "load_outcome_map",
    "performance_report",
]
