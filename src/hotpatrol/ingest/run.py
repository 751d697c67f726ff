"""``ingest(paths)``: read files, check rows, store or quarantine each one, one transaction per file."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from hotpatrol.errors import HotpatrolError
from hotpatrol.ingest import checks as C
from hotpatrol.ingest.boundary import Boundary
from hotpatrol.ingest.mapping import Mapping, as_mapping
from hotpatrol.ingest.parsed import Parsed, lsoa_vintages, require_columns
from hotpatrol.ingest.policeuk import PARSERS, REQUIRED
from hotpatrol.ingest.records import check_mapping_columns, parse_records
from hotpatrol.ingest.sources import SourceFile, content_hash, discover, read_csv, sniff_kind
from hotpatrol.store import Store
from hotpatrol.store import schema as S
from hotpatrol.store.store import KeySet, key_hash


def _summed(counts) -> dict[str, int]:
    """Per-key totals of several ``{key: count}`` dicts, sorted by key."""
    out: dict[str, int] = {}
    for c in counts:
        for key, n in c.items():
            out[key] = out.get(key, 0) + n
    return dict(sorted(out.items()))


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
    notes: dict[str, int] = field(default_factory=dict)  # stored rows per note (checks.NOTES)


@dataclass
class IngestSummary:
    """Per-file reports plus totals per kind and per quarantine reason."""

    db: str
    files: list[FileReport]
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Rows read over all files."""
        return sum(f.rows for f in self.files)

    @property
    def stored(self) -> int:
        """Rows stored over all files."""
        return sum(f.stored for f in self.files)

    @property
    def quarantined(self) -> int:
        """Rows quarantined over all files."""
        return sum(f.quarantined for f in self.files)

    @property
    def reasons(self) -> dict[str, int]:
        """Quarantined rows per reason over all files."""
        return _summed(f.reasons for f in self.files)

    @property
    def notes(self) -> dict[str, int]:
        """Stored rows per note (e.g. ``time-without-offset``), over the files ingested by this call."""
        return _summed(f.notes for f in self.files)

    @property
    def added(self) -> dict[str, int]:
        """Rows written by this call (zero when every file was already ingested)."""
        new = [f for f in self.files if f.status == "ingested"]
        return {"files": len(new), "stored": sum(f.stored for f in new), "quarantined": sum(f.quarantined for f in new)}

    def by_kind(self) -> dict[str, dict]:
        """Files, rows, stored, quarantined and reasons per kind of file."""
        out: dict[str, dict] = {}
        for f in self.files:
            k = out.setdefault(f.kind, {"files": 0, "rows": 0, "stored": 0, "quarantined": 0, "reasons": {}})
            k["files"] += 1
            k["rows"] += f.rows
            k["stored"] += f.stored
            k["quarantined"] += f.quarantined
            for r, n in f.reasons.items():
                k["reasons"][r] = k["reasons"].get(r, 0) + n
            for r, n in f.notes.items():
                k.setdefault("notes", {})[r] = k.get("notes", {}).get(r, 0) + n
        return out

    def to_dict(self) -> dict:
        """What ``hotpatrol ingest --json`` prints: totals, reasons, per kind and per file."""
        return {
            "db": self.db,
            "files": len(self.files),
            "rows": self.rows,
            "stored": self.stored,
            "quarantined": self.quarantined,
            "reasons": self.reasons,
            "notes": self.notes,
            "added": self.added,
            "kinds": self.by_kind(),
            "seconds": round(self.seconds, 3),
            "file_reports": [asdict(f) for f in self.files],
        }

    def as_text(self) -> str:
        """A short text report: totals per kind and the quarantine reasons."""
        lines = [f"Ingested into {self.db} in {self.seconds:.1f} s"]
        for kind, k in self.by_kind().items():
            lines.append(f"  {kind}: {k['files']} files, {k['rows']:,} rows: {k['stored']:,} stored, "
                         f"{k['quarantined']:,} quarantined")
            for r, n in sorted(k["reasons"].items()):
                lines.append(f"      {r}: {n:,}")
            for r, n in sorted(k.get("notes", {}).items()):
                lines.append(f"      note: {n:,} {'row' if n == 1 else 'rows'} with {C.NOTES.get(r, r)}")
        a = self.added
        skipped = len(self.files) - a["files"]
        lines.append(f"  new this run: {a['files']} files, {a['stored']:,} stored, {a['quarantined']:,} quarantined"
                     + (f"; {skipped} files already ingested (nothing added)" if skipped else ""))
        return "\n".join(lines)


#: files are parsed together until a batch holds this many rows (each is still its own transaction)
BATCH_ROWS = 250_000


_TABLE_OF_KIND = {"street": "events", "force-records": "events", "outcomes": "outcomes",
                  "stop-and-search": "stop_search"}

#: bulk mode starts once a run has written this many rows to a table, and at least a quarter of what
#: the table held before: its indexes are dropped and rebuilt once at the end (random inserts into a
#: 64-bit hash index were most of the cost of a national-size load)
BULK_ROWS = 200_000


class _TableState:
    """Per-run state of the keyed tables: key hashes in memory, rows written, bulk mode."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.known: dict[str, KeySet] = {}
        self.before: dict[str, int] = {}
        self.written: dict[str, int] = {}
        self.bulk: set[str] = set()
        self.current: str | None = None

    def keys(self, table: str) -> KeySet:
        if table not in self.known:
            self.known[table] = self.store.key_set(table)
            self.before[table] = len(self.known[table])
        return self.known[table]

    def wrote(self, table: str, n_rows: int) -> None:
        """Called by the writer after a batch: switch to bulk mode once the run is large."""
        self.written[table] = self.written.get(table, 0) + n_rows
        n = self.written[table]
        blocked = table == "outcomes" and self._linked_events()  # outcome linking queries its index
        if table not in self.bulk and not blocked and n >= BULK_ROWS and n >= self.before[table] / 4:
            if self.store.drop_indexes(table):
                self.bulk.add(table)

    def _linked_events(self) -> bool:
        with self.store.engine.connect() as conn:
            return _has_rows(conn, S.events)

    def switch(self, table: str) -> None:
        """Rebuild the indexes of other tables before writing ``table`` (linking queries use them)."""
        self.current = table
        for other in list(self.bulk - {table}):
            self.finish(other)

    def finish(self, table: str | None = None) -> None:
        for t in [table] if table else list(self.bulk):
            self.store.create_indexes(t)
            self.bulk.discard(t)


@dataclass
class _Pending:
    sf: SourceFile
    digest: str
    kind: str
    raw: pd.DataFrame
    first_row: int
    t_read: float


def ingest(paths, *, db: str | None = None, store: Store | None = None, mapping=None, kind: str | None = None,
           boundary=None, progress: bool = False) -> IngestSummary:
    """Ingest police.uk CSVs (street/outcomes/stop-and-search) or a force's records into the store.

    ``paths``: files (.csv, .csv.gz), folders in the police.uk archive layout, or the archive .zip.
    ``mapping`` (a :class:`Mapping`, dict or YAML path) reads every file as force records.
    ``kind`` forces the police.uk kind ('street', 'outcomes', 'stop-and-search') for files whose name
    does not say. ``boundary`` (GeoJSON/GPKG path) quarantines points outside it. Each file is one
    transaction: it is stored completely or not at all. A file whose content was ingested before is
    skipped and reported as ``already-ingested``. Small files are parsed in batches (vectorised over
    many files at once) but still written one transaction per file.
    """
    t0 = time.perf_counter()
    own_store = store is None
    store = store or Store(db)
    try:
        mapping = as_mapping(mapping) if mapping is not None else None
        if kind is not None and kind not in PARSERS:
            raise HotpatrolError("Unknown file kind.", parameter="kind", allowed=list(PARSERS), given=kind)
        bound = boundary if isinstance(boundary, Boundary) or boundary is None else Boundary.read(boundary)
        # outcomes first: crimes stored later pick up their outcome on insert (cheaper than updates)
        rank = {"outcomes": 0, "street": 1, "stop-and-search": 2}
        files = sorted(discover(paths), key=lambda f: rank.get(f.kind or "", 1))
        reports: list[FileReport] = []
        bar = _progress(progress, len(files))
        pending: list[_Pending] = []
        n_pending = [0]
        seen: dict[str, int] = {}  # content hash -> index in reports, for copies within one run
        tables = _TableState(store)
        # one writer thread: SQLite runs the inserts of batch k (it releases the GIL while it works)
        # while this thread reads and checks batch k+1; at most one batch is in flight
        writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotpatrol-ingest")
        inflight: list = []  # [(future, batch)]

        def drain() -> None:
            while inflight:
                future, batch = inflight.pop(0)
                for p, report in zip(batch, future.result()):
                    seen[p.digest] = len(reports)
                    reports.append(report)
                    if bar is not None:
                        bar[0].advance(bar[1])

        def flush(wait: bool = True) -> None:
            if pending:
                table = _TABLE_OF_KIND[pending[0].kind]
                if table != tables.current:
                    drain()  # rebuilding other tables' indexes needs the writer idle
                    tables.switch(table)
                job = _check_batch(store, list(pending), tables, mapping=mapping, boundary=bound, settle=drain)
                drain()  # the previous batch is committed before this one is written
                inflight.append((writer.submit(_write_job, store, job, tables), job.batch))
                pending.clear()
                n_pending[0] = 0
            if wait:
                drain()

        try:
            for sf in files:
                if bar is not None:
                    bar[0].update(bar[1], description=_short(sf.path))
                t1 = time.perf_counter()
                data = sf.read_bytes()
                digest = content_hash(data)
                previous = store.file_record(digest) if digest not in seen else None
                if previous is not None:
                    drain()  # keep reports in file order
                    reports.append(FileReport(sf.path, previous["kind"], "already-ingested", previous["rows"],
                                              previous["stored"], previous["quarantined"],
                                              store.quarantine_counts(previous["file_id"]),
                                              previous["lsoa_vintage"], time.perf_counter() - t1))
                    if bar is not None:
                        bar[0].advance(bar[1])
                    continue
                if (digest in seen or any(p.digest == digest for p in pending)
                        or any(p.digest == digest for _, b in inflight for p in b)):
                    flush()  # the first copy must be stored before the second is compared with it
                    first = reports[seen[digest]]
                    reports.append(FileReport(sf.path, first.kind, "already-ingested", first.rows, first.stored,
                                              first.quarantined, dict(first.reasons), first.lsoa_vintage, 0.0))
                    if bar is not None:
                        bar[0].advance(bar[1])
                    continue
                file_kind, raw, first_row = _read(sf, data, mapping, kind)
                del data
                if pending and pending[0].kind != file_kind:
                    flush()
                pending.append(_Pending(sf, digest, file_kind, raw, first_row, time.perf_counter() - t1))
                n_pending[0] += len(raw)
                if n_pending[0] >= BATCH_ROWS:
                    flush(wait=False)
            flush()
        except BaseException:
            for future, _ in inflight:
                future.exception()  # let a write in flight finish (or fail) before the store closes
            raise
        finally:
            writer.shutdown(wait=True)
            tables.finish()
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


def _read(sf: SourceFile, data: bytes, mapping: Mapping | None, kind: str | None) -> tuple[str, pd.DataFrame, int]:
    """Parse the CSV and check the header (errors name this file)."""
    if mapping is not None:
        header = None if mapping.columns else "infer"
        raw = read_csv(data, sf.path, sep=mapping.delimiter, header=header,
                       names=list(mapping.columns) if mapping.columns else None)
        check_mapping_columns(mapping, raw, sf.path)
        return "force-records", raw, 1 if mapping.columns else 2
    raw = read_csv(data, sf.path)
    file_kind = kind or sf.kind or sniff_kind(raw.columns)
    if file_kind is None:
        raise HotpatrolError(
            "Cannot tell what this file is: not named like a police.uk file (YYYY-MM-<force>-street.csv) "
            "and its header is not a police.uk street, outcomes or stop-and-search header.",
            file=sf.path, row=1,
            fix="Pass kind='street'/'outcomes'/'stop-and-search', or a column mapping for force records.")
    require_columns(raw, REQUIRED[file_kind], sf.path, what=file_kind)
    return file_kind, raw, 2


@dataclass
class _Job:
    """A checked batch, ready to write: rows and quarantine records with per-file bounds."""

    batch: list
    kind: str
    table: str
    source: str
    checks: object
    bounds: np.ndarray
    row_bounds: np.ndarray
    bad_bounds: np.ndarray
    prepared_rows: object
    prepared_bad: object
    crime_ids: list | None
    vintages: list
    shared: float


def _check_batch(store: Store, batch: list[_Pending], tables: _TableState, *, mapping, boundary, settle) -> _Job:
    """Parse and check a batch of files vectorised; nothing is written."""
    t0 = time.perf_counter()
    kind = batch[0].kind
    sizes = np.array([len(p.raw) for p in batch])
    bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    group = np.repeat(np.arange(len(batch)), sizes)
    raw = batch[0].raw if len(batch) == 1 else pd.concat([p.raw for p in batch], ignore_index=True, sort=False)
    label = batch[0].sf.path if len(batch) == 1 else f"{batch[0].sf.path} (+{len(batch) - 1} more files)"
    if kind == "force-records":
        parsed = parse_records(raw, label, mapping, boundary=boundary, first_row=batch[0].first_row, group=group)
    else:
        slugs = np.repeat(np.array([p.sf.force_slug for p in batch], dtype=object), sizes)
        parsed = PARSERS[kind](raw, label, force_slug=slugs, boundary=boundary, group=group)
    checks, frame = parsed.checks, parsed.frame
    vintages = (lsoa_vintages(frame["lsoa_code"], group, len(batch))
                if "lsoa_code" in frame.columns else [None] * len(batch))
    key_col = _key_column(kind, mapping)

    # duplicates among otherwise-good rows: earlier in the same file / an earlier file of this run / the store
    keys = frame[parsed.key]
    ok_idx = np.flatnonzero(checks.ok)
    ok_keys = keys.iloc[ok_idx]
    dup = ok_keys.duplicated().to_numpy()
    if dup.any():
        first_group = pd.Series(group[ok_idx]).groupby(ok_keys.to_numpy(), sort=False).transform("first").to_numpy()
        same = first_group == group[ok_idx]
        mask = np.zeros(len(frame), dtype=bool)
        mask[ok_idx[dup & same]] = True
        checks.flag(mask, C.DUPLICATE_ID, key_col, "id seen earlier in this file")
        mask[:] = False
        mask[ok_idx[dup & ~same]] = True
        checks.flag(mask, C.DUPLICATE_ID, key_col, "id seen in an earlier file of this ingest")
    known = tables.keys(parsed.table)
    key_values = keys.to_numpy(dtype=object)  # keys of rows that passed the checks are never missing
    all_hashes = key_hash(key_values)
    hit = np.zeros(len(keys), dtype=bool)
    hit[checks.ok] = known.contains(all_hashes[checks.ok])  # in memory; only hash matches go to the store
    if hit.any():
        settle()  # possible duplicates of the batch in flight: confirm them once it is committed
    with store.engine.connect() as conn:
        existing = store.existing_keys(conn, parsed.table, parsed.key, key_values[hit], hashes=all_hashes[hit])
        if existing:
            checks.flag(keys.isin(existing).to_numpy(dtype=bool), C.DUPLICATE_ID, key_col, "id already in the store")
        ok = checks.ok
        rows = frame[ok].copy()
        rows["row_number"] = (np.arange(len(frame)) - bounds[group] + np.array([p.first_row for p in batch])[group])[ok]
        rows["key_hash"] = all_hashes[ok]
        if parsed.table == "events" and parsed.source == "police.uk" and _has_rows(conn, S.outcomes):
            _attach_outcomes(store, conn, rows)
    row_bounds = np.concatenate([[0], np.cumsum(np.bincount(group[ok], minlength=len(batch)))]).astype(int)
    prepared_rows = store.prepare(parsed.table, rows)
    bad = np.flatnonzero(~ok)
    quarantine = _quarantine_rows(parsed, bad, bounds, group, batch, kind)
    bad_bounds = np.concatenate([[0], np.cumsum(np.bincount(group[bad], minlength=len(batch)))]).astype(int)
    prepared_bad = store.prepare("quarantine", quarantine)
    shared = (time.perf_counter() - t0) / max(1, len(raw))

    known.add(rows["key_hash"].to_numpy())  # the next batch is checked against this one
    crime_ids = rows["crime_id"].tolist() if parsed.table == "outcomes" else None
    return _Job(batch, kind, parsed.table, parsed.source, checks, bounds, row_bounds, bad_bounds, prepared_rows,
                prepared_bad, crime_ids, vintages, shared)


def _write_job(store: Store, job: _Job, tables: _TableState) -> list[FileReport]:
    """Write a checked batch, one transaction per file (runs on the writer thread)."""
    reports = []
    rb, bb = job.row_bounds, job.bad_bounds
    for i, p in enumerate(job.batch):
        t1 = time.perf_counter()
        a, b = job.bounds[i], job.bounds[i + 1]
        n_ok, n_bad = int(rb[i + 1] - rb[i]), int(bb[i + 1] - bb[i])
        with store.begin() as conn:  # one file, one transaction: all of it or none of it
            file_id = store.add_file(conn, content_hash=p.digest, path=p.sf.path, kind=job.kind, source=job.source,
                                     rows=int(b - a), stored=n_ok, quarantined=n_bad, lsoa_vintage=job.vintages[i],
                                     ingested_at=datetime.now().replace(microsecond=0))
            store.insert_prepared(conn, job.prepared_rows, rb[i], rb[i + 1], file_id=file_id)
            store.insert_prepared(conn, job.prepared_bad, bb[i], bb[i + 1], file_id=file_id)
            if job.table == "outcomes" and n_ok and _has_rows(conn, S.events):
                store.update_outcomes(conn, store.latest_outcomes(conn, job.crime_ids[rb[i]:rb[i + 1]]))
        seconds = p.t_read + job.shared * (b - a) + time.perf_counter() - t1
        part = job.checks.slice(a, b)
        reports.append(FileReport(p.sf.path, job.kind, "ingested", int(b - a), n_ok, n_bad,
                                  part.counts(), job.vintages[i], seconds, part.note_counts()))
    tables.wrote(job.table, int(rb[-1]))
    return reports


def _attach_outcomes(store: Store, conn, rows: pd.DataFrame) -> None:
    """Outcomes ingested before their crimes: fill outcome/outcome_month before the insert."""
    ids = rows["event_id"]
    latest = store.latest_outcomes(conn, ids.to_numpy(dtype=object, na_value=None))
    if len(latest) == 0:
        return
    pos = pd.Index(latest["crime_id"]).get_indexer(ids)  # hash lookup, no sorting
    hit = pos >= 0
    for col in ("outcome", "outcome_month"):
        values = rows[col].to_numpy(dtype=object, na_value=None) if col in rows else np.full(len(rows), None, object)
        values[hit] = latest[col].to_numpy(dtype=object)[pos[hit]]
        rows[col] = pd.array(values, dtype="string")


def _key_column(kind: str, mapping: Mapping | None) -> str:
    if kind == "force-records":
        return mapping.id if mapping and mapping.id else "(row content)"
    if kind == "outcomes":
        return "Crime ID/Month/Outcome type"
    if kind == "stop-and-search":
        return "(row content)"
    return "Crime ID"


def _has_rows(conn, table) -> bool:
    return conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


def _quarantine_rows(parsed: Parsed, bad: np.ndarray, bounds, group, batch, kind: str) -> pd.DataFrame:
    """Quarantine records for rows ``bad`` of a batch; ``raw`` is the JSON of the file's own columns."""
    raw_json: list[str] = []
    same_columns = all(list(p.raw.columns) == list(batch[0].raw.columns) for p in batch)
    if len(bad) and same_columns:  # the usual case: one conversion for the whole batch
        text = parsed.raw.iloc[bad].to_json(orient="records", lines=True, force_ascii=False)
        raw_json = text.rstrip("\n").split("\n")
    elif len(bad):
        for i, p in enumerate(batch):
            rows = bad[group[bad] == i] - bounds[i]
            if len(rows):
                text = p.raw.iloc[rows].to_json(orient="records", lines=True, force_ascii=False)
                raw_json += text.rstrip("\n").split("\n")
    first = np.array([p.first_row for p in batch])
    paths = np.array([p.sf.path for p in batch], dtype=object)
    return pd.DataFrame({
        "path": paths[group[bad]],
        "kind": kind,
        "row_number": bad - bounds[group[bad]] + first[group[bad]],
        "column": parsed.checks.column[bad],
        "reason": parsed.checks.reason[bad],
        "detail": parsed.checks.detail[bad],
        "key": parsed.frame[parsed.key].iloc[bad].to_numpy(dtype=object, na_value=None),
        "raw": np.array(raw_json, dtype=object),
    })
