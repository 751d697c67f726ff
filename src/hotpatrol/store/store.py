"""The store: where ingested events, outcomes, stop-and-search and quarantined rows live.

Engine choice. The default is an embedded **SQLite** file (``sqlite:///hotpatrol.db``, from
``hotpatrol.settings`` "db"): it ships with Python, needs no server, no install step and no
credentials, one file is easy to copy or delete, and writes are ACID so one ingested file is one
transaction. SQLite's weak spot, bulk-load speed through Python bindings, is handled by binding only
the columns that vary within a file (per-file constants such as source/force/month are written as
SQL literals) in one ``executemany`` per table per file. PostgreSQL works through the same schema
by URL (``postgresql+psycopg://...``) and loads with ``COPY``. See docs/store.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

import numpy as np
import pandas as pd
import sqlalchemy as sa

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.events import (
    EVENT_COLUMNS,
    PUBLISHED_ATTR,
    conform,
    describe_missing,
    missing_months,
    published_months,
)
from hotpatrol.store import schema as S

_SCHEMA_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def _normalise_url(url: str | None) -> str:
    url = url or settings.get("db")
    url = str(url)
    if "://" not in url:  # a bare path means an SQLite file
        url = f"sqlite:///{url}"
    return url


@dataclass
class Prepared:
    """Rows converted once for bulk writes (SQLite: per-column Python lists; others: the frame)."""

    table: str
    columns: list
    values: list | None
    frame: pd.DataFrame | None


class Store:
    """A hotpatrol store at ``url`` (SQLAlchemy URL or a file path; default setting "db").

    ``schema`` (PostgreSQL only) keeps all tables in that schema (created if missing), so several
    stores can share one database.
    """

    def __init__(self, url: str | None = None, *, schema: str | None = None) -> None:
        """Open (and create, if new) the store at ``url`` (SQLite path or SQLAlchemy URL; default the ``db`` setting), in ``schema`` (PostgreSQL)."""
        self.url = _normalise_url(url)
        try:
            # SQLite: ingest writes on a worker thread with connections from the pool (one at a time each)
            args = {"connect_args": {"check_same_thread": False}} if self.url.startswith("sqlite") else {}
            self.engine = sa.create_engine(self.url, **args)
        except Exception as exc:  # bad URL, unknown driver
            raise HotpatrolError(
                f"Cannot open the store: {exc}",
                parameter="db",
                given=self.url,
                fix="Use sqlite:///path/to/file.db, a file path, or postgresql+psycopg://user@host/db.",
            ) from None
        self.dialect = self.engine.dialect.name
        self.schema = schema
        if schema is not None:
            if self.dialect != "postgresql":
                raise HotpatrolError("schema= is only supported for PostgreSQL stores.", parameter="schema", given=schema)
            if not _SCHEMA_NAME.match(schema):
                raise HotpatrolError("Invalid schema name.", parameter="schema", given=schema,
                                     fix="Use letters, digits and underscores.")
        if self.dialect == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        elif schema is not None:
            sa.event.listen(self.engine, "connect", lambda dbapi_conn, _: _set_search_path(dbapi_conn, schema))
        try:
            with self.engine.begin() as conn:
                if schema is not None:
                    conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
                    conn.exec_driver_sql(f'SET search_path TO "{schema}"')
                S.metadata.create_all(conn)
                # an ingest that died in bulk mode (indexes dropped) leaves them missing: rebuild
                for table in S.metadata.sorted_tables:
                    _create_indexes(conn, table)
        except sa.exc.OperationalError as exc:
            raise HotpatrolError(
                f"Cannot connect to the store: {exc.orig}",
                parameter="db",
                given=self.engine.url.render_as_string(hide_password=True),
                fix="Check the URL and that the database server is running.",
            ) from None
        self._q = self.engine.dialect.identifier_preparer.quote

    # ------------------------------------------------------------------ plumbing
    def __enter__(self) -> "Store":
        """The store itself (closed on exit)."""
        return self

    def __exit__(self, *exc) -> None:
        """Close the store's connections."""
        self.close()

    def close(self) -> None:
        """Release the engine's pooled connections."""
        self.engine.dispose()

    def __repr__(self) -> str:
        """``Store('<url without password>')``."""
        return f"Store({self.engine.url.render_as_string(hide_password=True)!r})"

    def begin(self):
        """A transaction (``with store.begin() as conn``): everything in it commits or nothing does."""
        return self.engine.begin()

    def insert_frame(self, conn: sa.Connection, table: str, frame: pd.DataFrame, **constants) -> int:
        """Bulk-insert ``frame`` (columns named as the table's) into ``table`` inside ``conn``.

        ``constants`` (column=value) are written for every row without being bound per row.
        """
        return self.insert_prepared(conn, self.prepare(table, frame), 0, len(frame), **constants)

    def prepare(self, table: str, frame: pd.DataFrame) -> "Prepared":
        """Convert ``frame`` once for bulk writes; slices of it are written by :meth:`insert_prepared`."""
        tbl = S.TABLES[table]
        cols = [c for c in frame.columns if c in tbl.c]
        frame = frame[cols]
        if table in S.KEYS and "key_hash" not in frame.columns and len(frame):
            frame = frame.assign(key_hash=key_hash(frame[S.KEYS[table]].to_numpy(dtype=object)))
        if table == "outcomes" and "crime_hash" not in frame.columns and len(frame):
            frame = frame.assign(crime_hash=key_hash(frame["crime_id"].to_numpy(dtype=object)))
        if self.dialect == "sqlite":
            return Prepared(table, list(frame.columns), [_sqlite_values(frame[c]) for c in frame.columns], None)
        return Prepared(table, list(frame.columns), None, frame)

    def insert_prepared(self, conn: sa.Connection, prepared: "Prepared", start: int, stop: int, **constants) -> int:
        """Insert rows ``start:stop`` of ``prepared`` (plus ``constants``) inside ``conn``."""
        n = stop - start
        if n <= 0:
            return 0
        if self.dialect == "sqlite":
            self._executemany_sqlite(conn, prepared, start, stop, constants)
            return n
        frame = prepared.frame.iloc[start:stop]
        if constants:
            frame = frame.assign(**constants)
        if self.dialect == "postgresql":
            self._copy(conn, prepared.table, frame)
        else:  # any other SQLAlchemy engine: portable but slower
            conn.execute(S.TABLES[prepared.table].insert(), _records(frame))
        return n

    def _executemany_sqlite(self, conn: sa.Connection, prepared: "Prepared", start: int, stop: int,
                            constants: dict) -> None:
        names, literals, varying = [], [], []
        for col, values in [*zip(prepared.columns, prepared.values), *((k, [v]) for k, v in constants.items())]:
            if len(values) > 1:
                values = values[start:stop]
            first = values[0]
            # a column with one value in this file is written once, as a literal
            if isinstance(first, (str, int, float, type(None))) and values.count(first) == len(values):
                literals.append(_sql_literal(first))
            else:
                literals.append("?")
                varying.append(values)
            names.append(self._q(col))
        sql = f"INSERT INTO {prepared.table} ({', '.join(names)}) VALUES ({', '.join(literals)})"
        cursor = conn.connection.driver_connection.cursor()
        if varying:
            cursor.executemany(sql, zip(*varying))
        else:
            cursor.executemany(sql, [()] * (stop - start))

    def _copy(self, conn: sa.Connection, table: str, frame: pd.DataFrame) -> None:
        data = frame.to_csv(index=False, header=False, date_format="%Y-%m-%d %H:%M:%S")
        cols = ", ".join(self._q(c) for c in frame.columns)
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(data)

    def key_set(self, table: str) -> "KeySet":
        """Every ``key_hash`` in ``table``, held in memory for fast duplicate checks during an ingest."""
        with self.engine.connect() as conn:
            rows = _fetch(conn, f"SELECT key_hash FROM {table}", ())
        return KeySet(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))

    def drop_indexes(self, table: str) -> bool:
        """Bulk mode (SQLite): drop ``table``'s indexes so a large load appends without random index
        writes; :meth:`create_indexes` rebuilds them once (and a later open rebuilds them if it died)."""
        if self.dialect != "sqlite":
            return False
        with self.engine.begin() as conn:
            for index in S.TABLES[table].indexes:
                index.drop(conn, checkfirst=True)
        return True

    def create_indexes(self, table: str) -> None:
        """Create the indexes of ``table`` (after a bulk load)."""
        with self.engine.begin() as conn:
            _create_indexes(conn, S.TABLES[table])

    def existing_keys(self, conn: sa.Connection, table: str, column: str, keys: Iterable[str],
                      hashes: np.ndarray | None = None) -> set[str]:
        """Which of ``keys`` are already in ``table.column``: hash matches confirmed on the full key.

        ``hashes`` (``key_hash(keys)``, if already computed) saves hashing again.
        """
        keys = np.asarray(keys if isinstance(keys, np.ndarray) else list(keys), dtype=object)
        if hashes is None:
            keys = keys[pd.notna(keys)]
            hashes = key_hash(keys)
        if len(keys) == 0:
            return set()
        hashes = pd.unique(hashes).tolist()
        col = self._q(column)
        if self.dialect == "sqlite":
            rows = _fetch(conn, f"SELECT {col} FROM {table} WHERE key_hash IN (SELECT value FROM json_each(?))",
                          (json.dumps(hashes),))
        elif self.dialect == "postgresql":
            rows = _fetch(conn, f"SELECT {col} FROM {table} WHERE key_hash = ANY(%s)", (hashes,))
        else:
            tbl = S.TABLES[table]
            rows = []
            for i in range(0, len(hashes), 500):
                rows += conn.execute(sa.select(tbl.c[column]).where(tbl.c.key_hash.in_(hashes[i:i + 500]))).fetchall()
        wanted = set(keys.tolist())
        return {r[0] for r in rows if r[0] in wanted}  # a hash match is confirmed on the full key

    def latest_outcomes(self, conn: sa.Connection, crime_ids) -> pd.DataFrame:
        """The latest outcome per Crime ID among ``crime_ids``: columns crime_id, outcome, outcome_month.

        Latest = highest outcome month, then the later file and row (the newest publication wins).
        """
        ids = pd.unique(np.asarray(list(crime_ids), dtype=object))
        ids = ids[pd.notna(ids)]
        cols = "crime_id, outcome_type, month, file_id, row_number"
        if len(ids) == 0:
            rows = []
        elif self.dialect == "sqlite":
            rows = _fetch(conn, f"SELECT {cols} FROM outcomes WHERE crime_hash IN (SELECT value FROM json_each(?))",
                          (json.dumps(key_hash(ids).tolist()),))
        elif self.dialect == "postgresql":
            rows = _fetch(conn, f"SELECT {cols} FROM outcomes WHERE crime_hash = ANY(%s)", (key_hash(ids).tolist(),))
        else:
            t = S.outcomes
            hashes = key_hash(ids).tolist()
            rows = []
            for i in range(0, len(hashes), 500):
                rows += conn.execute(sa.select(t.c.crime_id, t.c.outcome_type, t.c.month, t.c.file_id,
                                               t.c.row_number).where(t.c.crime_hash.in_(hashes[i:i + 500]))).fetchall()
        frame = pd.DataFrame.from_records(rows, columns=["crime_id", "outcome", "outcome_month", "file_id", "row_number"])
        frame = frame[frame["crime_id"].isin(set(ids.tolist()))]  # confirm hash matches on the full id
        if len(frame) == 0:
            return frame[["crime_id", "outcome", "outcome_month"]]
        # sort on integers (crime, month, file, row): string sorts of 64-character ids are slow
        crime_code = pd.factorize(frame["crime_id"])[0]
        month_num = pd.to_numeric(frame["outcome_month"].str.replace("-", "", regex=False), errors="coerce").fillna(0)
        order = np.lexsort((frame["row_number"].to_numpy(), frame["file_id"].to_numpy(),
                            month_num.to_numpy(), crime_code))
        frame = frame.iloc[order]
        last = np.r_[crime_code[order][1:] != crime_code[order][:-1], True]
        return frame[last][["crime_id", "outcome", "outcome_month"]]

    def update_outcomes(self, conn: sa.Connection, latest: pd.DataFrame) -> None:
        """Write ``latest`` (from :meth:`latest_outcomes`) into events.outcome / outcome_month."""
        if len(latest) == 0:
            return
        ids = latest["crime_id"].tolist()
        hashes = key_hash(latest["crime_id"].to_numpy(dtype=object)).tolist()
        outcome = latest["outcome"].tolist()
        month = latest["outcome_month"].tolist()
        cursor = conn.connection.driver_connection.cursor()
        if self.dialect == "postgresql":
            cursor.execute(
                "UPDATE events SET outcome = u.o, outcome_month = u.m "
                "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS u(h, id, o, m) "
                "WHERE events.key_hash = u.h AND events.event_id = u.id",
                (hashes, ids, outcome, month))
        elif self.dialect == "sqlite":
            cursor.executemany("UPDATE events SET outcome = ?, outcome_month = ? WHERE key_hash = ? AND event_id = ?",
                               zip(outcome, month, hashes, ids))
        else:
            t = S.events
            conn.execute(t.update().where(t.c.event_id == sa.bindparam("i")).values(
                outcome=sa.bindparam("o"), outcome_month=sa.bindparam("m")),
                [{"i": i, "o": o, "m": m} for i, o, m in zip(ids, outcome, month)])

    def file_record(self, content_hash: str) -> dict | None:
        """The ingested_files row for this content hash, or None."""
        names = [c.name for c in S.ingested_files.c]
        mark = "?" if self.dialect == "sqlite" else "%s"
        with self.engine.connect() as conn:
            rows = _fetch(conn, f"SELECT {', '.join(names)} FROM ingested_files WHERE content_hash = {mark}",
                          (content_hash,))
        return dict(zip(names, rows[0])) if rows else None

    def add_file(self, conn: sa.Connection, **values) -> int:
        """Insert an ingested_files row inside ``conn``; return its file_id."""
        if self.dialect == "sqlite":  # raw DB-API: this runs once per file, keep it cheap
            cols = list(values)
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute(f"INSERT INTO ingested_files ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                           [v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v for v in values.values()])
            return int(cursor.lastrowid)
        return conn.execute(S.ingested_files.insert().values(**values)).inserted_primary_key[0]

    def quarantine_counts(self, file_id: int | None = None) -> dict[str, int]:
        """Quarantined rows per reason (of one ingested file, or all)."""
        t = S.quarantine
        stmt = sa.select(t.c.reason, sa.func.count()).group_by(t.c.reason).order_by(t.c.reason)
        if file_id is not None:
            stmt = stmt.where(t.c.file_id == file_id)
        with self.engine.connect() as conn:
            return {r: int(n) for r, n in conn.execute(stmt)}

    # ------------------------------------------------------------------ reading
    def _read(self, stmt, datetime_cols=()) -> pd.DataFrame:
        with self.engine.connect() as conn:
            # plain DB-API tuples: building a frame from SQLAlchemy Row objects is many times slower
            compiled = stmt.compile(dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True})
            params = compiled.params
            if self.dialect == "postgresql" or compiled.positional:
                params = tuple(params[k] for k in compiled.positiontup) if compiled.positional else params
            cursor = conn.connection.driver_connection.cursor()
            cursor.execute(str(compiled), params)
            names = [d[0] for d in cursor.description]
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=names)
            cursor.close()
        for col in datetime_cols:
            if col in frame.columns:
                frame[col] = pd.to_datetime(frame[col], format="ISO8601")
        return frame

    def _select(self, table: sa.Table):
        # SQLite keeps DateTime as text: read the text and parse it vectorised rather than per value
        if self.dialect == "sqlite":
            return [sa.type_coerce(c, sa.Text).label(c.name) if isinstance(c.type, sa.DateTime) else c
                    for c in table.c]
        return list(table.c)

    def load_events(self, *, force=None, categories=None, start=None, end=None, sources=None) -> pd.DataFrame:
        """The stored events as an events table (:func:`hotpatrol.events.conform`).

        ``force``, ``categories`` and ``sources`` take one name or a list; ``start`` (inclusive) and
        ``end`` (exclusive) take anything ``pandas.Timestamp`` reads ('2021-06', '2021-06-15 18:00')
        and compare with ``occurred_from``.

        ``attrs["published_months"]`` holds the months each loaded force published
        (:meth:`published_months`, over every stored event of those forces and sources, whatever the
        category or date filter), so later stages tell an unpublished month from a month with no
        events of the chosen categories.
        """
        t = S.events
        stmt = sa.select(*self._select(t))
        from hotpatrol.events import with_legacy

        categories = with_legacy(categories)  # "Violence and sexual offences" also loads pre-2013 "Violent crime"
        for name, value in (("force", force), ("category", categories), ("source", sources)):
            if value is not None:
                values = [value] if isinstance(value, str) else list(value)
                stmt = stmt.where(t.c[name].in_(values))
        for param, value, op in (("start", start, "ge"), ("end", end, "lt")):
            if value is not None:
                try:
                    ts = pd.Timestamp(value)
                except (ValueError, TypeError):
                    raise HotpatrolError(f"{param} is not a date.", parameter=param, given=value,
                                         fix="Use e.g. '2021-06' or '2021-06-15'.") from None
                bound = ts.to_pydatetime() if self.dialect != "sqlite" else ts.strftime("%Y-%m-%d %H:%M:%S")
                col = t.c.occurred_from if self.dialect != "sqlite" else sa.type_coerce(t.c.occurred_from, sa.Text)
                stmt = stmt.where(col >= bound if op == "ge" else col < bound)
        stmt = stmt.order_by(t.c.occurred_from, t.c.event_id)
        frame = self._read(stmt, [c for c, (d, _) in EVENT_COLUMNS.items() if d.startswith("datetime")])
        frame = frame.drop(columns=["file_id", "row_number", "key_hash"])
        frame = conform(frame)
        frame.attrs[PUBLISHED_ATTR] = {f: [str(m) for m in months]
                                       for f, months in self.published_months(force=force, sources=sources).items()}
        return frame

    def published_months(self, *, force=None, sources=None) -> dict[str, pd.PeriodIndex]:
        """The months each force published, ``{force: PeriodIndex}``, by the rule of
        :func:`hotpatrol.events.published_months` (police.uk: months with at least one stored event of
        the force; exact-time records: every month from the force's first to last record), over all
        stored events of ``force``/``sources`` (one name or a list; None: all)."""
        t = S.events
        stmt = sa.select(t.c.force, t.c.month, t.c.time_precision).group_by(t.c.force, t.c.month, t.c.time_precision)
        for name, value in (("force", force), ("source", sources)):
            if value is not None:
                values = [value] if isinstance(value, str) else list(value)
                stmt = stmt.where(t.c[name].in_(values))
        frame = self._read(stmt)
        frame = frame[frame["month"].notna()]
        return published_months(frame)

    def quarantine(self, reason: str | None = None) -> pd.DataFrame:
        """Quarantined rows: file, row_number (header = 1), column, reason, detail, key, raw (JSON)."""
        t = S.quarantine
        stmt = sa.select(t).order_by(t.c.quarantine_id)
        if reason is not None:
            stmt = stmt.where(t.c.reason == reason)
        return self._read(stmt)

    def outcomes(self) -> pd.DataFrame:
        """Stored police.uk outcome rows (one per Crime ID, month and outcome type)."""
        t = S.outcomes
        return self._read(sa.select(*[c for c in t.c if c.name != "key_hash"]).order_by(t.c.crime_id, t.c.month))

    def stop_search(self) -> pd.DataFrame:
        """Stored stop-and-search rows (exact local times in ``occurred_at``)."""
        t = S.stop_search
        cols = [c for c in self._select(t) if c.name != "key_hash"]
        return self._read(sa.select(*cols).order_by(t.c.occurred_at, t.c.search_id), ["occurred_at"])

    def files(self) -> pd.DataFrame:
        """One row per ingested file: content hash, path, kind, rows, stored, quarantined."""
        t = S.ingested_files
        return self._read(sa.select(*self._select(t)).order_by(t.c.file_id), ["ingested_at"])

    def info(self) -> dict:
        """What is in the store: counts, forces, months, categories, districts, quarantine counts per reason.

        ``districts`` counts events per district under today's name, keyed by ONS code across LSOA
        vintages, renames and mergers (:func:`hotpatrol.places.areas.district_keys`); ``notes`` names the
        old district names found and any pre-May-2013 police.uk categories with how they are counted.
        """
        from hotpatrol.events import LEGACY_CATEGORIES, LEGACY_RENAMES
        from hotpatrol.places.areas import district_keys, renamed

        e, f = S.events, S.ingested_files
        with self.engine.connect() as conn:
            def count(table):
                return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar())

            def grouped(col, table=e):
                rows = conn.execute(sa.select(col, sa.func.count()).select_from(table).group_by(col).order_by(col))
                return {str(k): int(n) for k, n in rows if k is not None}

            months = grouped(e.c.month)
            published = self.published_months()
            by_force = {}
            for name, pub in published.items():
                gaps = missing_months(published, pub.min(), pub.max()).get(name, []) if len(pub) else []
                by_force[name] = {"first": str(pub.min()) if len(pub) else None,
                                  "last": str(pub.max()) if len(pub) else None,
                                  "n": int(len(pub)), "missing": [str(m) for m in gaps]}
            info = {
                "db": self.engine.url.render_as_string(hide_password=True),
                "counts": {
                    "events": count(e),
                    "outcomes": count(S.outcomes),
                    "stop_search": count(S.stop_search),
                    "quarantined": count(S.quarantine),
                    "files": count(f),
                },
                "files_by_kind": grouped(f.c.kind, f),
                "sources": grouped(e.c.source),
                "forces": grouped(e.c.force),
                "months": {
                    "first": min(months) if months else None,
                    "last": max(months) if months else None,
                    "n": len(months),
                    "events_per_month": months,
                    # per force: months published; "missing" = months between its first and last with no data
                    "published": by_force,
                    "missing_note": describe_missing({f: [pd.Period(m, "M") for m in v["missing"]]
                                                      for f, v in by_force.items() if v["missing"]}) or None,
                },
                "categories": grouped(e.c.category),
                "time_precision": grouped(e.c.time_precision),
                "lsoa_vintages": grouped(f.c.lsoa_vintage, f),
                "quarantine": grouped(S.quarantine.c.reason, S.quarantine),
            }
            names = grouped(e.c.lsoa_name)
        keys = district_keys(pd.DataFrame({"lsoa_name": list(names)}))
        per = pd.Series(list(names.values()), dtype="int64").groupby(keys["district"].to_numpy()).sum()
        info["districts"] = {str(k): int(v) for k, v in per.sort_values(ascending=False).items()}
        notes = [f"{', '.join(old)} (older LSOA names) counted as {new}." for new, old in renamed(keys).items()]
        for label in LEGACY_CATEGORIES:
            if label in info["categories"]:
                how = (f"counted as '{LEGACY_RENAMES[label]}'" if label in LEGACY_RENAMES
                       else "split in May 2013: not comparable with its successors on their own")
                notes.append(f"'{label}' is a pre-May-2013 police.uk category ({info['categories'][label]:,} events), {how}.")
        info["notes"] = notes
        return info


class KeySet:
    """A growing set of int64 key hashes: sorted chunks searched with ``searchsorted`` (no Python set)."""

    def __init__(self, hashes=None) -> None:
        """An empty set, or one holding ``hashes`` (int64 array-like)."""
        self._chunks: list[np.ndarray] = []
        if hashes is not None:
            self.add(hashes)

    def __len__(self) -> int:
        """Number of hashes held (duplicates added twice count twice)."""
        return sum(len(c) for c in self._chunks)

    def add(self, hashes) -> None:
        """Add int64 ``hashes``."""
        hashes = np.sort(np.asarray(hashes, dtype=np.int64))
        if len(hashes):
            self._chunks.append(hashes)
        if len(self._chunks) > 16:  # merge so lookups stay a few binary searches
            self._chunks = [np.sort(np.concatenate(self._chunks))]

    def contains(self, hashes) -> np.ndarray:
        """Boolean array: which of ``hashes`` are in the set."""
        hashes = np.asarray(hashes, dtype=np.int64)
        order = np.argsort(hashes)
        needles = hashes[order]  # sorted needles: searchsorted walks the chunk in order (cache friendly)
        found = np.zeros(len(hashes), dtype=bool)
        for chunk in self._chunks:
            pos = np.minimum(np.searchsorted(chunk, needles), len(chunk) - 1)
            found[order] |= chunk[pos] == needles
        return found


def key_hash(keys) -> np.ndarray:
    """Signed 64-bit hash of text keys (pandas' SipHash with a fixed key, so it is stable across runs)."""
    arr = np.asarray(keys, dtype=object)
    return pd.util.hash_array(arr, hash_key="hotpatrol-keys!!", categorize=False).view(np.int64)


def _fetch(conn: sa.Connection, sql: str, params) -> list[tuple]:
    cursor = conn.connection.driver_connection.cursor()
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    cursor.close()
    return rows


def _create_indexes(conn: sa.Connection, table: sa.Table) -> None:
    for index in table.indexes:
        index.create(conn, checkfirst=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA page_size=16384")  # new files only: a quarter less CPU per bulk-inserted row than 4 KB
    cur.execute("PRAGMA journal_mode=WAL")  # readers do not block the writer
    cur.execute("PRAGMA synchronous=NORMAL")  # still atomic per transaction in WAL mode
    cur.execute("PRAGMA cache_size=-262144")  # 256 MB page cache for the key index
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.execute("PRAGMA wal_autocheckpoint=4096")  # checkpoint every ~64 MB (16 KB pages), not every ~4 MB
    cur.close()


def _set_search_path(dbapi_conn, schema: str) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f'SET search_path TO "{schema}"')
    cur.close()
    dbapi_conn.commit()


def _sqlite_values(series: pd.Series) -> list:
    """Python values SQLite can bind: None for missing, text for datetimes."""
    if series.dtype.kind == "M":
        codes, uniques = pd.factorize(series)  # police.uk files hold one or two distinct instants
        text = np.array([u.strftime("%Y-%m-%d %H:%M:%S") for u in uniques] + [None], dtype=object)
        return text[codes].tolist()
    if series.dtype.kind in "fiub":
        values = series.to_numpy()
        if series.dtype.kind == "f":
            out = values.astype(object)
            out[np.isnan(values)] = None
            return out.tolist()
        return values.tolist()
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _sql_literal(value) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    out = frame.astype(object).where(frame.notna(), None)
    return out.to_dict("records")


def utcnow() -> datetime:
    """The local time now, to the second (naive datetime)."""
    return datetime.now().replace(microsecond=0)
