"""The one store schema (SQLAlchemy Core): events, quarantine, outcomes, stop_search, ingested_files.

Times are ``DateTime`` columns (naive local wall clock, as in :mod:`hotpatrol.events`); months are
``'YYYY-MM'`` text so they sort and compare as strings on every engine.
"""

from __future__ import annotations

import sqlalchemy as sa

from hotpatrol.events import EVENT_COLUMNS

_TYPES = {"string": sa.Text, "datetime64[ns]": sa.DateTime, "float64": sa.Float}

metadata = sa.MetaData()

ingested_files = sa.Table(
    "ingested_files",
    metadata,
    sa.Column("file_id", sa.Integer, primary_key=True, autoincrement=True),
    # sha256 of the decompressed bytes: the same CSV plain, gzipped or inside a zip is one file
    sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("source", sa.Text),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("stored", sa.Integer, nullable=False),
    sa.Column("quarantined", sa.Integer, nullable=False),
    sa.Column("lsoa_vintage", sa.String(8)),
    sa.Column("ingested_at", sa.DateTime),
    sa.Column("seconds", sa.Float),
)

def _provenance() -> list[sa.Column]:
    """Where a keyed row came from (ingested file and its spreadsheet row) and its 64-bit key hash."""
    return [sa.Column("file_id", sa.Integer), sa.Column("row_number", sa.Integer),
            sa.Column("key_hash", sa.BigInteger, nullable=False)]


def _lon_lat() -> list[sa.Column]:
    """WGS84 longitude and latitude (degrees) as published."""
    return [sa.Column("lon", sa.Float), sa.Column("lat", sa.Float)]


events = sa.Table(
    "events",
    metadata,
    *[
        sa.Column(name, _TYPES[dtype](), nullable=(name != "event_id"))
        for name, (dtype, _) in EVENT_COLUMNS.items()
    ],
    *_provenance(),
    sa.Index("ix_events_key_hash", "key_hash"),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("quarantine_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("file_id", sa.Integer, nullable=False),
    sa.Column("path", sa.Text),
    sa.Column("kind", sa.String(32)),
    sa.Column("row_number", sa.Integer),  # spreadsheet row: header = 1, first data row = 2
    sa.Column("column", sa.Text),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("detail", sa.Text),
    sa.Column("key", sa.Text),
    sa.Column("raw", sa.Text),  # JSON object of the raw CSV values
    sa.Index("ix_quarantine_reason", "reason"),
)

outcomes = sa.Table(
    "outcomes",
    metadata,
    sa.Column("outcome_key", sa.Text, nullable=False),  # crime_id|month|outcome_type
    sa.Column("crime_id", sa.Text, nullable=False),
    sa.Column("month", sa.String(7)),
    sa.Column("force", sa.Text),
    *_lon_lat(),
    sa.Column("location", sa.Text),
    sa.Column("lsoa_code", sa.Text),
    sa.Column("lsoa_name", sa.Text),
    sa.Column("outcome_type", sa.Text),
    *_provenance(),
    sa.Column("crime_hash", sa.BigInteger, nullable=False),  # key_hash of crime_id: links to events.key_hash
    sa.Index("ix_outcomes_key_hash", "key_hash"),
    sa.Index("ix_outcomes_crime_hash", "crime_hash"),
)

STOP_SEARCH_COLUMNS = {
    "Type": "type",
    "Part of a policing operation": "part_of_operation",
    "Policing operation": "policing_operation",
    "Gender": "gender",
    "Age range": "age_range",
    "Self-defined ethnicity": "self_defined_ethnicity",
    "Officer-defined ethnicity": "officer_defined_ethnicity",
    "Legislation": "legislation",
    "Object of search": "object_of_search",
    "Outcome": "outcome",
    "Outcome linked to object of search": "outcome_linked_to_object",
    "Removal of more than just outer clothing": "removal_of_outer_clothing",
}

stop_search = sa.Table(
    "stop_search",
    metadata,
    sa.Column("search_id", sa.Text, nullable=False),
    sa.Column("force", sa.Text),
    sa.Column("month", sa.String(7)),
    sa.Column("occurred_at", sa.DateTime),
    *_lon_lat(),
    *[sa.Column(name, sa.Text) for name in STOP_SEARCH_COLUMNS.values()],
    *_provenance(),
    sa.Index("ix_stop_search_key_hash", "key_hash"),
)

#: the unique text key of each keyed table. Uniqueness is enforced by ingest (vectorised duplicate
#: checks) through the small integer ``key_hash`` index: a unique index on 64-character keys is
#: several times larger than the page cache at national scale and made bulk loads I/O-bound.
KEYS = {"events": "event_id", "outcomes": "outcome_key", "stop_search": "search_id"}

TABLES = {t.name: t for t in (ingested_files, events, quarantine, outcomes, stop_search)}
