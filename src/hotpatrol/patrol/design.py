"""Randomised patrol experiment design: which of N hotspots are patrolled on each of D days.

The design follows the UK pilots: Essex (Southend) patrolled 8 of its 20 highest-harm spots a day for
90 days, Bedfordshire 7 of 21, Thames Valley half of 67 patrol areas a day; patrol days are then
compared with non-patrol days of the same hotspot. Each *operational* day runs from ``day_start``
(06:00 by default) to one minute before the next day's start (05:59), so a 02:00 crime on
2 December belongs to the operational day of 1 December.

``block="balanced"`` (the default) is blocked randomisation: every day K hotspots are drawn at random
from those patrolled least often so far, so over D days each hotspot is patrolled
``floor(D*K/N)`` or ``ceil(D*K/N)`` times and, by symmetry, every hotspot has the same probability
K/N of treatment on every day. ``block="weekday"`` keeps that balance and, as a tie-break, also
spreads each hotspot's patrols evenly over the days of the week. ``block="none"`` draws K of N
independently each day (simple randomisation; counts per hotspot vary).

The :class:`Allocation` stores its full scheme (every argument, including the seed) and a SHA-256 of
its content, so it can be saved *before* the trial starts and checked unchanged afterwards, and
:meth:`Allocation.redraw` re-runs the same scheme with another seed for randomisation inference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError, check_choice
from hotpatrol.results import Result, Summary, json_safe

BLOCKS = ("balanced", "weekday", "none")
FORMAT_VERSION = 1


def parse_day_start(day_start: str | dt.time) -> dt.time:
    """``"06:00"`` -> ``time(6, 0)``; raises a HotpatrolError for anything else."""
    if isinstance(day_start, dt.time):
        return day_start
    try:
        hh, mm = str(day_start).strip().split(":")
        return dt.time(int(hh), int(mm))
    except (ValueError, TypeError):
        raise HotpatrolError(
            "day_start must be a clock time HH:MM.", parameter="day_start", given=day_start,
            fix="Use e.g. --day-start 06:00 (the operational day then runs 06:00-05:59).",
        ) from None


def _parse_date(value: Any, parameter: str) -> dt.date:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        raise HotpatrolError(f"{parameter} must be a date (YYYY-MM-DD).", parameter=parameter, given=value)
    return ts.date()


def draw_matrix(n: int, days: int, k: int, rng: np.random.Generator, *, block: str = "balanced",
                weekdays: np.ndarray | None = None) -> np.ndarray:
    """A (days, n) boolean matrix with exactly ``k`` True per row, drawn with ``rng``.

    The loop is over days (at most a few hundred), each step vectorised over hotspots.
    """
    out = np.zeros((days, n), dtype=bool)
    if block == "none":
        for d in range(days):
            out[d, rng.choice(n, size=k, replace=False)] = True
        return out
    counts = np.zeros(n, dtype=np.int64)
    wk_counts = np.zeros((7, n), dtype=np.int64)
    for d in range(days):
        noise = rng.random(n)
        if block == "weekday":
            wd = int(weekdays[d])
            # lexsort: last key is primary -> least patrolled overall, then least on this weekday
            order = np.lexsort((noise, wk_counts[wd], counts))
            pick = order[:k]
            wk_counts[wd, pick] += 1
        else:
            pick = np.lexsort((noise, counts))[:k]
        counts[pick] += 1
        out[d, pick] = True
    return out


def allocate(hotspot_ids, *, start, days: int, k: int, seed: int, block: str = "balanced",
             day_start: str = "06:00") -> "Allocation":
    """Randomly allocate ``k`` of the hotspots to patrol on each of ``days`` operational days.

    Parameters
    ----------
    hotspot_ids : sequence of str or int
        The N selected hotspots (place ids), in any order; duplicates are an error.
    start : date or "YYYY-MM-DD"
        The first operational day.
    days, k : int
        Trial length D and hotspots patrolled per day K (0 < K < N: some must stay unpatrolled).
    seed : int
        Random seed; the allocation is reproducible from it.
    block : {"balanced", "weekday", "none"}
        Blocking scheme (see the module docstring).
    day_start : "HH:MM"
        When the operational day begins (the day runs until one minute before the next start).
    """
    ids = list(hotspot_ids.tolist() if isinstance(hotspot_ids, (np.ndarray, pd.Series, pd.Index)) else hotspot_ids)
    ids = [i.item() if isinstance(i, np.generic) else i for i in ids]
    n = len(ids)
    if n < 2:
        raise HotpatrolError("A randomised design needs at least 2 hotspots.", parameter="hotspot_ids", given=n,
                             fix="Select more hotspots (hotpatrol plan select --n).")
    if len({str(i) for i in ids}) != n:
        dup = pd.Series([str(i) for i in ids]).loc[lambda s: s.duplicated()].iloc[0]
        raise HotpatrolError("hotspot_ids has duplicates.", parameter="hotspot_ids", given=dup)
    days = _check_int("days", days, 1)
    k = _check_int("k", k, 1)
    if k >= n:
        raise HotpatrolError(
            f"k must be less than the number of hotspots ({n}) so some stay unpatrolled as controls.",
            parameter="k", allowed=f"1..{n - 1}", given=k,
        )
    seed = _check_int("seed", seed, 0)
    check_choice("block", block, BLOCKS)
    start_date = _parse_date(start, "start")
    ds = parse_day_start(day_start)
    scheme = {
        "hotspot_ids": ids, "start": start_date.isoformat(), "days": days, "k": k, "seed": seed,
        "block": block, "day_start": ds.strftime("%H:%M"),
    }
    return Allocation._from_scheme(scheme)


def _check_int(name: str, value: Any, minimum: int) -> int:
    try:
        ivalue = int(value)
    except (TypeError, ValueError):
        ivalue = None
    if ivalue is None or ivalue != value or ivalue < minimum:
        raise HotpatrolError(f"{name} must be an integer >= {minimum}.", parameter=name, given=value)
    return ivalue


class Allocation(Result):
    """A stored randomised allocation: ``frame`` (day, hotspot_id, patrolled), ``scheme``, ``sha256``.

    ``frame`` has one row per (operational day, hotspot), days in order and hotspots in the order
    given; ``day`` holds :class:`datetime.date` values.
    """

    name = "allocation"

    def __init__(self, frame: pd.DataFrame, scheme: dict, *, created_at: str | None = None) -> None:
        """An allocation ``frame`` (day, hotspot_id, patrolled) drawn from ``scheme``; ``created_at`` ISO 8601 (default now, UTC)."""
        self.frame = frame
        self.scheme = dict(scheme)
        self.created_at = created_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
        self._sha256: str | None = None

    @property
    def sha256(self) -> str:
        """SHA-256 of the allocation's canonical CSV content (computed once, on first use)."""
        if self._sha256 is None:
            self._sha256 = content_hash(self.frame)
        return self._sha256

    # ---- construction -------------------------------------------------------------------------
    @classmethod
    def _from_scheme(cls, scheme: dict) -> "Allocation":
        ids = scheme["hotspot_ids"]
        n, days, k = len(ids), scheme["days"], scheme["k"]
        dates = pd.date_range(scheme["start"], periods=days, freq="D")
        rng = np.random.default_rng(scheme["seed"])
        mat = draw_matrix(n, days, k, rng, block=scheme["block"], weekdays=dates.weekday.to_numpy())
        frame = pd.DataFrame({
            "day": np.repeat(dates.date, n),
            "hotspot_id": pd.Series(np.tile(np.array(ids, dtype=object), days), dtype=object),
            "patrolled": mat.ravel(),
        })
        return cls(frame, scheme)

    def redraw(self, seed: int) -> "Allocation":
        """The same scheme (hotspots, days, k, blocking) drawn with another seed."""
        scheme = dict(self.scheme)
        scheme["seed"] = _check_int("seed", seed, 0)
        return Allocation._from_scheme(scheme)

    def redraw_matrix(self, seed: int) -> np.ndarray:
        """Fast path for randomisation inference: the (days, n) patrol matrix of :meth:`redraw`."""
        s = self.scheme
        dates = pd.date_range(s["start"], periods=s["days"], freq="D")
        return draw_matrix(len(s["hotspot_ids"]), s["days"], s["k"],
                           np.random.default_rng(_check_int("seed", seed, 0)), block=s["block"],
                           weekdays=dates.weekday.to_numpy())

    # ---- views ----------------------------------------------------------------------------------
    @property
    def hotspot_ids(self) -> list:
        """Hotspot ids in the scheme's order."""
        return list(self.scheme["hotspot_ids"])

    @property
    def days(self) -> list[dt.date]:
        """The operational days in order (:class:`datetime.date`)."""
        return list(pd.date_range(self.scheme["start"], periods=self.scheme["days"], freq="D").date)

    @property
    def day_start(self) -> dt.time:
        """Start of each operational day (e.g. 06:00)."""
        return parse_day_start(self.scheme["day_start"])

    def to_frame(self) -> pd.DataFrame:
        """One row per (operational day, hotspot): ``day``, ``hotspot_id``, ``patrolled``."""
        return self.frame.copy()

    def matrix(self) -> pd.DataFrame:
        """Days x hotspots boolean table (True = patrolled)."""
        n = len(self.scheme["hotspot_ids"])
        mat = self.frame["patrolled"].to_numpy().reshape(-1, n)
        return pd.DataFrame(mat, index=pd.Index(self.days, name="day"),
                            columns=pd.Index(self.hotspot_ids, name="hotspot_id"))

    def counts(self) -> pd.Series:
        """Patrol days per hotspot."""
        return self.matrix().sum(axis=0).rename("patrol_days")

    def patrolled_on(self, day) -> list:
        """Hotspot ids patrolled on operational day ``day``."""
        day = _parse_date(day, "day")
        rows = self.frame[(self.frame["day"] == day) & self.frame["patrolled"]]
        return rows["hotspot_id"].tolist()

    def day_window(self, day) -> tuple[pd.Timestamp, pd.Timestamp]:
        """[start, end) timestamps of an operational day (e.g. 06:00 to 06:00 next day)."""
        day = _parse_date(day, "day")
        start = pd.Timestamp(dt.datetime.combine(day, self.day_start))
        return start, start + pd.Timedelta(days=1)

    def operational_day(self, timestamps) -> pd.Series:
        """The operational day (a date) of each timestamp: times before ``day_start`` count to the previous day."""
        return operational_day(timestamps, self.scheme["day_start"])

    def summary(self) -> Summary:
        """Patrol and control days per hotspot, with the scheme and its SHA-256."""
        c = self.counts()
        s = self.scheme
        table = pd.DataFrame({"hotspot_id": c.index.astype(str), "patrol_days": c.to_numpy(),
                              "control_days": s["days"] - c.to_numpy()})
        notes = [
            f"{s['days']} operational days from {s['start']} (day starts {s['day_start']}), "
            f"{s['k']} of {len(s['hotspot_ids'])} hotspots patrolled a day, block={s['block']}, seed={s['seed']}.",
            f"Patrol days per hotspot: {int(c.min())}-{int(c.max())}.",
            f"sha256 {self.sha256}, created {self.created_at}.",
        ]
        return Summary("Randomised patrol allocation", table, notes)

    def to_dict(self) -> dict:
        """JSON-safe scheme, SHA-256, creation time and patrol days per hotspot."""
        return json_safe({"name": self.name, "scheme": self.scheme, "sha256": self.sha256,
                          "created_at": self.created_at,
                          "patrol_days": {str(k): int(v) for k, v in self.counts().items()}})

    # ---- storage --------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write ``<path>.csv`` + ``<path>.json`` (or ``allocation.csv/json`` inside a folder).

        The JSON holds the scheme, the SHA-256 of the CSV content and ``created_at``, so the file
        pair documents that the allocation existed before the trial began. Returns the CSV path.
        """
        csv_path, json_path = _paths(path)
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        _canonical(self.frame).to_csv(csv_path, index=False)
        meta = {"format": "hotpatrol.allocation", "version": FORMAT_VERSION, "scheme": self.scheme,
                "sha256": self.sha256, "created_at": self.created_at,
                "n_rows": int(len(self.frame)), "csv": csv_path.name}
        json_path.write_text(json.dumps(meta, indent=2) + "\n")
        return csv_path

    @classmethod
    def load(cls, path: str | Path) -> "Allocation":
        """Read a saved allocation and check its content still matches the stored SHA-256."""
        csv_path, json_path = _paths(path)
        for p in (csv_path, json_path):
            if not p.exists():
                raise HotpatrolError("Allocation file not found.", file=str(p),
                                     fix="Give the .csv/.json written by Allocation.save or the plan folder.")
        try:
            meta = json.loads(json_path.read_text())
            scheme = meta["scheme"]
        except (ValueError, KeyError):
            raise HotpatrolError("Not an allocation metadata file.", file=str(json_path)) from None
        raw = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        missing = {"day", "hotspot_id", "patrolled"} - set(raw.columns)
        if missing:
            raise HotpatrolError(f"Allocation CSV is missing column(s) {sorted(missing)}.", file=str(csv_path))
        by_str = {str(i): i for i in scheme["hotspot_ids"]}
        unknown = ~raw["hotspot_id"].isin(list(by_str))
        if unknown.any():
            row = int(np.flatnonzero(unknown.to_numpy())[0])
            raise HotpatrolError("Allocation CSV names a hotspot not in its scheme.", file=str(csv_path),
                                 row=row + 2, column="hotspot_id")
        frame = pd.DataFrame({
            "day": pd.to_datetime(raw["day"]).dt.date,
            "hotspot_id": pd.Series([by_str[s] for s in raw["hotspot_id"]], dtype=object),
            "patrolled": raw["patrolled"].isin(["1", "True", "true"]).to_numpy(),
        })
        alloc = cls(frame, scheme, created_at=meta.get("created_at"))
        if alloc.sha256 != meta.get("sha256"):
            raise HotpatrolError(
                "The allocation CSV does not match the SHA-256 stored when it was created: it has been edited.",
                file=str(csv_path), given=alloc.sha256, allowed=meta.get("sha256"),
                fix="Restore the original file; a changed allocation breaks the randomised design.",
            )
        return alloc

    def __eq__(self, other: object) -> bool:
        """Same scheme and same allocation content (SHA-256)."""
        return isinstance(other, Allocation) and self.sha256 == other.sha256 and self.scheme == other.scheme

    def __repr__(self) -> str:
        """``Allocation(n=..., days=..., k=..., seed=..., block=..., sha256=...)``."""
        s = self.scheme
        return (f"Allocation(n={len(s['hotspot_ids'])}, days={s['days']}, k={s['k']}, seed={s['seed']}, "
                f"block={s['block']!r}, sha256={self.sha256[:12]}...)")


def _paths(path: str | Path) -> tuple[Path, Path]:
    path = Path(path)
    if path.suffix.lower() in (".csv", ".json"):
        return path.with_suffix(".csv"), path.with_suffix(".json")
    return path / "allocation.csv", path / "allocation.json"


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({
        "day": [d.isoformat() for d in frame["day"]],
        "hotspot_id": frame["hotspot_id"].astype(str).to_numpy(),
        "patrolled": frame["patrolled"].astype(int).to_numpy(),
    })


def content_hash(frame: pd.DataFrame) -> str:
    """SHA-256 of the canonical CSV text of an allocation table (independent of id dtype)."""
    text = _canonical(frame).to_csv(index=False, lineterminator="\n")
    return hashlib.sha256(text.encode()).hexdigest()


def operational_day(timestamps, day_start: str | dt.time = "06:00") -> pd.Series:
    """Map timestamps to operational days: with day_start 06:00, 05:59 on 2 Dec is day 1 Dec."""
    ds = parse_day_start(day_start)
    ts = pd.to_datetime(pd.Series(timestamps))
    shifted = ts - pd.Timedelta(hours=ds.hour, minutes=ds.minute)
    return shifted.dt.date
