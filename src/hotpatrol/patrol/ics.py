"""iCalendar (RFC 5545) export of a patrol plan: one calendar per team.

A VEVENT per visit; zone-aware times with ``TZID=Europe/London`` and a VTIMEZONE, exact across clock
changes; GEO and LOCATION set. Written with the ``icalendar`` package.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd

from hotpatrol.localtime import to_utc
from hotpatrol.patrol.gis_export import hotspot_lonlat


#: The time zone a plan's naive (wall-clock) visit times are in, written as the calendar's TZID.
ICS_TIMEZONE = "Europe/London"


def _ics_time(ts, tz: str) -> dt.datetime:
    """A visit time as a zone-aware datetime in ``tz``: naive times are that zone's wall clock (the
    repeated autumn hour read as its first occurrence, a skipped spring time with the offset before
    the change, as RFC 5545 3.3.5 says); aware times are converted; times in the repeated autumn hour
    (its second occurrence) are given in UTC, the only exact form for them."""
    ts = pd.Timestamp(ts)
    if ts.tzinfo is None:  # the one rule for naive local times (hotpatrol.localtime)
        ts = pd.Timestamp(to_utc([ts], tz)[0])
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    local = ts.tz_convert(tz)
    # RFC 5545 reads a TZID time in the repeated autumn hour as its first occurrence: a time in the
    # second one can only be written exactly in UTC
    if pd.Timestamp(to_utc([local.tz_localize(None)], tz)[0]).value != ts.value:
        return ts.tz_convert("UTC").to_pydatetime()
    return local.to_pydatetime()


def ics_calendar(plan, team: str, *, tz: str | None = None) -> str:
    """The RFC 5545 text of one team's calendar, written with the ``icalendar`` package.

    Parameters
    ----------
    plan : PatrolPlan
    team : str
        A team of ``plan.teams``.
    tz : str, optional
        IANA time zone of the plan's wall-clock times (default ``plan.params["timezone"]`` or
        :data:`ICS_TIMEZONE`). DTSTART/DTEND carry ``TZID=<tz>`` and the calendar a VTIMEZONE, so
        calendar apps place visits at the right instant across clock changes.

    Returns
    -------
    str
        CRLF line endings, lines folded at 75 octets; one VEVENT per visit with UID, DTSTAMP,
        SUMMARY, DESCRIPTION, LOCATION, GEO and CATEGORIES.
    """
    from icalendar import Calendar, Event

    tz = tz or plan.params.get("timezone") or ICS_TIMEZONE
    sched = plan.schedule[plan.schedule["team"] == team].sort_values("start")
    ll = hotspot_lonlat(plan)
    ll["key"] = ll["place_id"].astype(str)
    ll = ll.set_index("key")
    rank = dict(zip(plan.hotspots["place_id"].astype(str), plan.hotspots["rank"]))
    stamp = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sha = plan.allocation.sha256[:16]
    cal = Calendar()
    cal.add("prodid", "-//hotpatrol//patrol plan//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", "Hotspot patrols - " + team)
    for r in sched.itertuples(index=False):
        key = str(r.hotspot_id)
        lon, lat = round(float(ll.loc[key, "lon"]), 6), round(float(ll.loc[key, "lat"]), 6)
        event = Event()
        event.add("uid", hashlib.sha1(f"{sha}|{team}|{key}|{r.start}".encode()).hexdigest() + "@hotpatrol")
        event.add("dtstamp", stamp)
        event.add("dtstart", _ics_time(r.start, tz))
        event.add("dtend", _ics_time(r.end, tz))
        event.add("summary", f"Hotspot patrol #{rank.get(key, '')} ({key}) visit {r.visit}")
        event.add("description",
                  f"Stay {int((pd.Timestamp(r.end) - pd.Timestamp(r.start)).total_seconds() // 60)} minutes in the "
                  f"hotspot, highly visible, on foot. Shift: {r.shift}. Operational day {r.day}. "
                  f"Covers {r.risk_share:.0%} of the day's risk here. Plan {sha}.")
        event.add("location", f"{lat:.6f}, {lon:.6f}")
        event.add("geo", (lat, lon))
        event.add("categories", ["Hotspot patrol"])
        cal.add_component(event)
    if len(sched):  # a VTIMEZONE covering the plan's years only (not 1970-2038)
        first = pd.Timestamp(sched["start"].min()).date().replace(month=1, day=1)
        last = pd.Timestamp(sched["end"].max()).date().replace(month=12, day=31) + dt.timedelta(days=1)
        cal.add_missing_timezones(first_date=first, last_date=last)
    return cal.to_ical().decode("utf-8")


def write_ics(plan, folder: str | Path) -> list[Path]:
    """One ``<team>.ics`` per team in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for team in plan.teams:
        name = "".join(c if c.isalnum() or c in "-_" else "_" for c in team) or "team"
        p = folder / f"{name}.ics"
        p.write_bytes(ics_calendar(plan, team).encode("utf-8"))
        out.append(p)
    return out
