"""Ingest: police.uk CSVs and a force's own records -> the store (events, outcomes, stop-and-search).

Every row is stored or quarantined with a reason (:mod:`hotpatrol.ingest.checks`); each file is
one transaction; re-ingesting a file adds nothing. See docs/ingest.md.
"""

from hotpatrol.ingest.boundary import Boundary
from hotpatrol.ingest.checks import REASONS
from hotpatrol.ingest.mapping import Mapping, read_mapping
from hotpatrol.ingest.run import FileReport, IngestSummary, ingest

__all__ = ["Boundary", "FileReport", "IngestSummary", "Mapping", "REASONS", "ingest", "read_mapping"]
