"""``ingest(paths)``: read files, check rows, store or quarantine each one, one transaction per file."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from hotpatrol.errors import HotpatrolError
from hotpatrol.ingest import checks as C
from hotpatrol.ingest.boundary import Boundary
from hotpatrol.ingest.mapping import Mapping, as_mapping
from hotpatrol.ingest.parsed import Parsed
from hotpatrol.ingest.policeuk import PARSERS
from hotpatrol.ingest.records import parse_records
from hotpatrol.ingest.sources import SourceFile, content_hash, discover, read_csv, sniff_kind
from hotpatrol.store import Store
from hotpatrol.store import schema as S


@dataclass
class FileReport:
    """What happened to one file."""

    path: str
    kind: str
    status: str  # "ingested" or "already-ingested" (same content hash seen before: nothing added)
    rows: int
    stored: int
    quarantined: int
    reasons: dict[str, int] = field(default_factory=dict)
    lsoa_vintage: str | None = None
    seconds: float = 0.0


@dataclass
class IngestSummary:
    """Per-file reports plus totals per kind and per quarantine reason."""

    db: str
    files: list[FileReport]
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def stored(self) -> int:
        return sum(f.stored for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for f in self.files:
            for r, n in f.reasons.items():
                out[r] = out.get(r, 0) + n
        return dict(sorted(out.items()))

    @property
    def added(self) -> dict[str, int]:
        """Rows written by this call (zero when every file was already ingested)."""
        new = [f for f in self.files if f.status == "ingested"]
        return {"files": len(new), "stored": sum(f.stored for f in new), "quarantined": sum(f.quarantined for f in new)}

    def by_kind(self) -> dict[str, dict]:
        out: dict[str, dict] = {}
        for f in self.files:
            k = out.setdefault(f.kind, {"files": 0, "rows": 0, "stored": 0, "quarantined": 0, "reasons": {}})
            k["files"] += 1
            k["rows"] += f.rows
            k["stored"] += f.stored
            k["quarantined"] += f.quarantined
            for r, n in f.reasons.items():
                k["reasons"][r] = k["reasons"].get(r, 0) + n
        return out

    def to_dict(self) -> dict:
        return {
            "db": self.db,
            "files": len(self.files),
            "rows": self.rows,
            "stored": self.stored,
            "quarantined": self.quarantined,
            "reasons": self.reasons,
            "added": self.added,
            "kinds": self.by_kind(),
            "seconds": round(self.seconds, 3),
            "file_reports": [asdict(f) for f in self.files],
        }

    def as_text(self) -> str:
        lines = [f"Ingested into {self.db} in {self.seconds:.1f} s"]
        for kind, k in self.by_kind().items():
            lines.append(f"  {kind}: {k['files']} files, {k['rows']:,} rows: {k['stored']:,} stored, "
                         f"{k['quarantined']:,} quarantined")
            for r, n in sorted(k["reasons"].items()):
                lines.append(f"      {r}: {n:,}")
        a = self.added
        skipped = len(self.files) - a["files"]
        lines.append(f"  new this run: {a['files']} files, {a['stored']:,} stored, {a['quarantined']:,} quarantined"
                     + (f"; {skipped} files already ingested (nothing added)" if skipped else ""))
        return "\n".join(lines)


def ingest(paths, *, db: str | None = None, store: Store | None = None, mapping=None, kind: str | None = None,
           boundary=None, progress: bool = False) -> IngestSummary:
    """Ingest police.uk CSVs (street/outcomes/stop-and-search) or a force's records into the store.

    ``paths``: files (.csv, .csv.gz), folders in the police.uk archive layout, or the archive .zip.
    ``mapping`` (a :class:`Mapping`, dict or YAML path) reads every file as force records.
    ``kind`` forces the police.uk kind ('street', 'outcomes', 'stop-and-search') for files whose name
    does not say. ``boundary`` (GeoJSON/GPKG path) quarantines points outside it. Each file is one
    transaction: it is stored completely or not at all. A file whose content was ingested before is
    skipped and reported as ``already-ingested``.
    """
    t0 = time.perf_counter()
    own_store = store is None
    store = store or Store(db)
    try:
        mapping = as_mapping(mapping) if mapping is not None else None
        if kind is not None and kind not in PARSERS:
            raise HotpatrolError("Unknown file kind.", parameter="kind", allowed=list(PARSERS), given=kind)
        bound = boundary if isinstance(boundary, Boundary) or boundary is None else Boundary.read(boundary)
        files = discover(paths)
        reports = []
        bar = _progress(progress, len(files))
        try:
            for sf in files:
                if bar is not None:
                    bar[0].update(bar[1], description=_short(sf.path))
                reports.append(_ingest_file(store, sf, mapping=mapping, kind=kind, boundary=bound))
                if bar is not None:
                    bar[0].advance(bar[1])
        finally:
            if bar is not None:
                bar[0].stop()
        return IngestSummary(store.engine.url.render_as_string(hide_password=True), reports,
                             time.perf_counter() - t0)
    finally:
        if own_store:
            store.close()


def _short(path: str, width: int = 48) -> str:
    return path if len(path) <= width else "…" + path[-width + 1:]


def _progress(enabled: bool, total: int):
    if not enabled:
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=Console(stderr=True), transient=True)
    bar.start()
    return bar, bar.add_task("ingest", total=total)


def _parse(sf: SourceFile, data: bytes, mapping: Mapping | None, kind: str | None, boundary) -> tuple[str, Parsed]:
    if mapping is not None:
        header = None if mapping.columns else "infer"
        raw = read_csv(data, sf.path, sep=mapping.delimiter, header=header,
                       names=list(mapping.columns) if mapping.columns else None)
        return "force-records", parse_records(raw, sf.path, mapping, boundary=boundary,
                                              first_row=1 if mapping.columns else 2)
    raw = read_csv(data, sf.path)
    file_kind = kind or sf.kind or sniff_kind(raw.columns)
    if file_kind is None:
        raise HotpatrolError(
            "Cannot tell what this file is: not named like a police.uk file (YYYY-MM-<force>-street.csv) "
            "and its header is not a police.uk street, outcomes or stop-and-search header.",
            file=sf.path, row=1,
            fix="Pass kind='street'/'outcomes'/'stop-and-search', or a column mapping for force records.")
    return file_kind, PARSERS[file_kind](raw, sf.path, force_slug=sf.force_slug, boundary=boundary)


def _ingest_file(store: Store, sf: SourceFile, *, mapping, kind, boundary) -> FileReport:
    t0 = time.perf_counter()
    data = sf.read_bytes()
    digest = content_hash(data)
    previous = store.file_record(digest)
    if previous is not None:
        return FileReport(sf.path, previous["kind"], "already-ingested", previous["rows"], previous["stored"],
                          previous["quarantined"], store.quarantine_counts(previous["file_id"]),
                          previous["lsoa_vintage"], time.perf_counter() - t0)
    file_kind, parsed = _parse(sf, data, mapping, kind, boundary)
    del data
    checks, frame = parsed.checks, parsed.frame
    with store.begin() as conn:
        keys = frame[parsed.key]
        # duplicates: within the file among otherwise-good rows (first kept), then against the store
        dup_in_file = np.zeros(len(frame), dtype=bool)
        dup_in_file[checks.ok] = keys[checks.ok].duplicated().to_numpy()
        checks.flag(dup_in_file, C.DUPLICATE_ID, _key_column(file_kind, parsed, mapping),
                    "id seen earlier in this file")
        existing = store.existing_keys(conn, parsed.table, parsed.key, keys[checks.ok].tolist())
        if existing:
            checks.flag(keys.isin(existing).to_numpy(dtype=bool), C.DUPLICATE_ID,
                        _key_column(file_kind, parsed, mapping), "id already in the store")
        n_ok = int(checks.ok.sum())
        n_bad = len(frame) - n_ok
        seconds = time.perf_counter() - t0
        file_id = conn.execute(S.ingested_files.insert().values(
            content_hash=digest, path=sf.path, kind=file_kind, source=parsed.source, rows=len(frame),
            stored=n_ok, quarantined=n_bad, lsoa_vintage=parsed.lsoa_vintage,
            ingested_at=datetime.now().replace(microsecond=0), seconds=seconds,
        )).inserted_primary_key[0]
        rows = frame[checks.ok].copy()
        rows["file_id"] = file_id
        rows["row_number"] = np.flatnonzero(checks.ok) + parsed.first_row
        if parsed.table == "events" and parsed.source == "police.uk" and _has_rows(conn, S.outcomes):
            _attach_outcomes(store, conn, rows)
        store.insert_frame(conn, parsed.table, rows)
        if n_bad:
            store.insert_frame(conn, "quarantine", _quarantine_rows(parsed, file_id, sf.path, file_kind))
        if parsed.table == "outcomes" and _has_rows(conn, S.events):
            store.update_outcomes(conn, store.latest_outcomes(conn, rows["crime_id"].tolist()))
    return FileReport(sf.path, file_kind, "ingested", len(frame), n_ok, n_bad, checks.counts(),
                      parsed.lsoa_vintage, time.perf_counter() - t0)


def _attach_outcomes(store: Store, conn, rows: pd.DataFrame) -> None:
    """Outcomes ingested before their crimes: fill outcome/outcome_month before the insert."""
    ids = rows["event_id"]
    latest = store.latest_outcomes(conn, ids[~ids.str.startswith("h:").fillna(True)].tolist())
    if len(latest) == 0:
        return
    found = latest.set_index("crime_id")
    hit = ids.isin(found.index).to_numpy(dtype=bool)
    rows.loc[hit, "outcome"] = found["outcome"].reindex(ids[hit]).to_numpy()
    rows.loc[hit, "outcome_month"] = found["outcome_month"].reindex(ids[hit]).to_numpy()


def _key_column(kind: str, parsed: Parsed, mapping: Mapping | None) -> str:
    if kind == "force-records":
        return mapping.id if mapping and mapping.id else "(row content)"
    if kind == "outcomes":
        return "Crime ID/Month/Outcome type"
    if kind == "stop-and-search":
        return "(row content)"
    return "Crime ID"


def _has_rows(conn, table) -> bool:
    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


def _quarantine_rows(parsed: Parsed, file_id: int, path: str, kind: str) -> pd.DataFrame:
    bad = np.flatnonzero(~parsed.checks.ok)
    raw = parsed.raw.iloc[bad]
    raw_json = raw.to_json(orient="records", lines=True, force_ascii=False).rstrip("\n").split("\n")
    key = parsed.frame[parsed.key].iloc[bad].to_numpy(dtype=object, na_value=None)
    return pd.DataFrame({
        "file_id": file_id,
        "path": path,
        "kind": kind,
        "row_number": bad + parsed.first_row,
        "column": parsed.checks.column[bad],
        "reason": parsed.checks.reason[bad],
        "detail": parsed.checks.detail[bad],
        "key": key,
        "raw": raw_json,
    })
