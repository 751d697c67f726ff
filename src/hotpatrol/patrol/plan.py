"""The patrol plan: selected hotspots + randomised allocation + visit schedule + timing profiles.

:func:`create_plan` builds a :class:`PatrolPlan`; ``plan.save(folder)`` writes every part (the
allocation with its SHA-256 and creation time, so it is on record before the trial starts) and
:meth:`PatrolPlan.load` reads it back. Exports for officers and supervisors are in
:mod:`hotpatrol.patrol.export` (CSV and GeoJSON in `gis_export`, iCalendar in `ics`, the briefing in `briefing`).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.localtime import check_tz, parse_instants, to_local
from hotpatrol.patrol.design import Allocation, allocate
from hotpatrol.patrol.schedule import build_schedule
from hotpatrol.results import Result, Summary, json_safe
from hotpatrol.timeprofile import (
    DEFAULT_SHIFTS,
    TimeProfile,
    assign_events,
    time_profile,
    uniform_profile,
)

PLAN_FORMAT = "hotpatrol.plan"


@dataclass
class PatrolPlan(Result):
    """A patrol plan: selected hotspots, their randomised allocation, the visit schedule and time profiles.

    Built by :func:`create_plan`; ``save(folder)`` / :meth:`load` write and read every part.
    """
    hotspots: pd.DataFrame  # rank, place_id, x, y, harm, (district)
    allocation: Allocation
    schedule: pd.DataFrame
    profile: TimeProfile
    params: dict
    crimes: pd.DataFrame = field(default_factory=pd.DataFrame)  # recent harmful crimes at the hotspots
    name = "plan"

    @property
    def crs(self) -> str:
        """The plan's metric CRS (default EPSG:27700, British National Grid)."""
        return self.params.get("crs") or "EPSG:27700"

    @property
    def teams(self) -> list[str]:
        """Team names in the schedule, sorted."""
        return sorted(self.schedule["team"].unique().tolist()) if len(self.schedule) else []

    def day(self, day) -> pd.DataFrame:
        """The visits of one operational day."""
        d = pd.Timestamp(day).date()
        return self.schedule[self.schedule["day"] == d].sort_values("start").reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The hotspots (rank, place_id, x, y, harm, ...) with their patrol days and three peak hours."""
        counts = self.allocation.counts()
        hs = self.hotspots.copy()
        hs["patrol_days"] = [int(counts.get(p, 0)) for p in hs["place_id"]]
        peaks = self.profile.peak_hours(3).set_index("place_id")["peak_hours"]
        hs["peak_hours"] = [peaks.get(p, "") for p in hs["place_id"]]
        return hs

    def summary(self) -> Summary:
        """The hotspots with patrol days and peak hours, and the plan's schedule, allocation and profile notes."""
        s = self.allocation.scheme
        hs = self.to_frame()
        cols = [c for c in ("rank", "place_id", "harm", "district", "patrol_days", "peak_hours") if c in hs.columns]
        p = self.params
        notes = [
            f"{s['days']} operational days from {s['start']} ({s['day_start']} to one minute before), "
            f"{s['k']} of {len(s['hotspot_ids'])} hotspots patrolled a day (block={s['block']}, seed={s['seed']}).",
            f"{p['visits']} visit(s) of {p['dwell']:g} min per patrolled hotspot-day, >= {p['min_gap']:g} min apart, "
            f"{len(self.schedule):,} visits in all over {len(self.teams)} team(s).",
            f"Allocation sha256 {self.allocation.sha256} created {self.allocation.created_at}.",
        ]
        if not 10 <= p["dwell"] <= 15:
            notes.append(f"Dwell {p['dwell']:g} min is outside the 10-15 min Koper found most effective.")
        notes += self.profile.notes
        return Summary("Patrol plan", hs[cols], notes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe parameters, allocation, visit and team counts, hotspots and notes."""
        return json_safe({"name": self.name, "params": self.params, "allocation": self.allocation.to_dict(),
                          "visits": int(len(self.schedule)), "teams": self.teams,
                          "hotspots": self.hotspots, "notes": self.summary().notes})

    # ---- storage ---------------------------------------------------------------------------------
    def save(self, folder: str | Path) -> Path:
        """Write hotspots, allocation (with SHA-256), schedule, profiles, crimes and ``plan.json`` to ``folder``; returns it."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.hotspots.to_csv(folder / "hotspots.csv", index=False)
        self.allocation.save(folder / "allocation.csv")
        sched = self.schedule.copy()
        sched.to_csv(folder / "schedule.csv", index=False)
        self.profile.save(folder / "profiles.csv")
        if len(self.crimes):
            self.crimes.to_csv(folder / "crimes.csv", index=False)
        meta = {"format": PLAN_FORMAT, "version": 1, "params": self.params,
                "allocation_sha256": self.allocation.sha256}
        (folder / "plan.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> "PatrolPlan":
        """Read a plan written by :meth:`save`; raises :class:`HotpatrolError` naming the missing or bad file."""
        folder = Path(folder)
        meta_path = folder / "plan.json"
        if not meta_path.exists():
            raise HotpatrolError("Not a patrol plan folder (no plan.json).", file=str(folder),
                                 fix="Give the --out folder of `hotpatrol plan create`.")
        meta = json.loads(meta_path.read_text())
        alloc = Allocation.load(folder / "allocation.csv")
        if meta.get("allocation_sha256") != alloc.sha256:
            raise HotpatrolError("plan.json and allocation.csv disagree (different sha256).", file=str(meta_path))
        ids = alloc.hotspot_ids
        by_str = {str(i): i for i in ids}
        hs = pd.read_csv(folder / "hotspots.csv", dtype={"place_id": str})
        hs["place_id"] = hs["place_id"].map(by_str)
        sched = pd.read_csv(folder / "schedule.csv", dtype={"hotspot_id": str})
        tz = meta["params"].get("tz")
        for c in ("start", "end"):  # written with their UTC offset; older plans: naive local, read by the rule
            sched[c] = to_local(parse_instants(sched[c], tz).utc, tz, aware=True)
        sched["day"] = pd.to_datetime(sched["day"]).dt.date
        sched["hotspot_id"] = sched["hotspot_id"].map(by_str)
        prof = TimeProfile.load(folder / "profiles.csv", place_ids=ids)
        crimes = pd.DataFrame()
        if (folder / "crimes.csv").exists():
            crimes = pd.read_csv(folder / "crimes.csv", dtype={"place_id": str}, parse_dates=["occurred_at"])
            crimes["place_id"] = crimes["place_id"].map(by_str)
        return cls(hs, alloc, sched, prof, meta["params"], crimes)


def _selection_frame(selection) -> pd.DataFrame:
    from hotpatrol.patrol.selection import SelectionResult, load_selection

    if isinstance(selection, SelectionResult):
        frame = selection.to_frame()
        frame.attrs.update({"crs": selection.crs, "cell": selection.cell})
        return frame
    if isinstance(selection, (str, Path)):
        return load_selection(selection)
    if isinstance(selection, pd.DataFrame):
        return selection.copy()
    raise HotpatrolError("selection must be a SelectionResult, a frame or a file.", parameter="selection",
                         given=type(selection).__name__)


def create_plan(selection, *, days: int, k: int, seed: int, start, visits: int = 3, dwell: float = 15.0,
                teams=2, day_start: str = "06:00", block: str = "balanced", events: pd.DataFrame | None = None,
                shifts=DEFAULT_SHIFTS, team_minutes: float = 240.0, travel: float = 10.0, min_gap: float = 120.0,
                prior: float = 5.0, recent_days: int = 365, harm_scheme: str | None = None, crs: str | None = None,
                cell: float | None = None, tz: str | None = None) -> PatrolPlan:
    """Build a randomised patrol plan for the selected hotspots.

    ``events`` (an events table, optional) gives each hotspot its time-of-day profile and the recent
    harmful crimes shown in the briefing; without it every profile is uniform (said in the notes).
    ``tz`` is the force's zone (the ``timezone`` setting when None): visit times are zone-aware in it
    and measured in real time across clock changes (:func:`hotpatrol.patrol.schedule.build_schedule`).
    """
    harm_scheme = settings.resolve("scheme", harm_scheme)
    hs = _selection_frame(selection)
    for col in ("place_id", "x", "y"):
        if col not in hs.columns:
            raise HotpatrolError(f"The selection has no {col!r} column.", parameter="selection",
                                 fix="Use the file written by `hotpatrol plan select --out`.")
    crs = crs or hs.attrs.get("crs") or "EPSG:27700"
    cell = cell if cell is not None else hs.attrs.get("cell")
    cell = float(cell) if cell is not None and pd.notna(cell) else None
    if "harm" not in hs.columns:
        hs["harm"] = np.nan
    if "rank" not in hs.columns:
        hs.insert(0, "rank", hs["harm"].rank(ascending=False, method="first").fillna(0).astype(int))
    keep = [c for c in ("rank", "place_id", "x", "y", "harm", "district") if c in hs.columns]
    hs = hs[keep].sort_values("rank").reset_index(drop=True)
    hs.attrs.update({"crs": crs, "cell": cell})
    ids = hs["place_id"].tolist()
    alloc = allocate(ids, start=start, days=days, k=k, seed=seed, block=block, day_start=day_start)
    crimes = pd.DataFrame()
    if events is not None and len(events):
        ev = events
        if "x" not in ev.columns:
            from hotpatrol.places.crs import project

            ev = project(ev, crs)
        prof = time_profile(ev, hs, cell=cell, prior=prior)
        crimes = _recent_crimes(ev, hs, cell, pd.Timestamp(alloc.scheme["start"]), recent_days, harm_scheme)
    else:
        prof = uniform_profile(ids, "No events given: every profile is uniform, so visits are spread over the day.")
    sched = build_schedule(alloc, prof, visits=visits, dwell=dwell, min_gap=min_gap, teams=teams, shifts=shifts,
                           team_minutes=team_minutes, travel=travel, priority=ids, tz=tz)
    params = {"visits": visits, "dwell": float(dwell), "min_gap": float(min_gap), "travel": float(travel),
              "teams": teams if isinstance(teams, int) else [str(getattr(t, "name", t)) for t in teams],
              "team_minutes": float(team_minutes), "shifts": [list(s) for s in shifts], "crs": crs, "cell": cell,
              "prior": prior, "recent_days": recent_days, "harm_scheme": harm_scheme, "tz": check_tz(tz),
              "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
              **{f"allocation_{k_}": v for k_, v in alloc.scheme.items() if k_ != "hotspot_ids"}}
    return PatrolPlan(hs, alloc, sched, prof, params, crimes)


def _recent_crimes(events, hs, cell, start, recent_days, scheme) -> pd.DataFrame:
    """Harmful crimes at the hotspots in the ``recent_days`` before the plan starts (or the data ends)."""
    from hotpatrol.events import occurred_at
    from hotpatrol.harm import harm

    idx = assign_events(events["x"], events["y"], hs, cell=cell)
    at = pd.to_datetime(occurred_at(events)) if "occurred_from" in events else pd.Series(pd.NaT, index=events.index)
    end = min(start, at.max()) if at.notna().any() else start
    mask = (idx >= 0) & (at >= end - pd.Timedelta(days=recent_days)).to_numpy() & (at <= start).to_numpy()
    sub = events[mask]
    if not len(sub):
        return pd.DataFrame(columns=["place_id", "occurred_at", "category", "harm", "x", "y"])
    try:
        w = harm(sub, scheme)
    except HotpatrolError:
        w = np.ones(len(sub))  # categories the scheme cannot weigh: count them
    out = pd.DataFrame({"place_id": hs["place_id"].to_numpy()[idx[mask]], "occurred_at": at[mask].to_numpy(),
                        "category": sub["category"].astype(str).to_numpy() if "category" in sub else "",
                        "harm": np.asarray(w, float), "x": sub["x"].to_numpy(), "y": sub["y"].to_numpy()})
    return out.sort_values(["place_id", "harm"], ascending=[True, False], key=None).reset_index(drop=True)
