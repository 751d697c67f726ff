"""Visit schedules: when each patrolled hotspot is visited on its patrol days, and by which team.

For every patrolled hotspot-day the ``visits`` start times are chosen to cover the most risk from the
hotspot's own hour-of-week profile (:mod:`hotpatrol.timeprofile`), at least ``min_gap`` minutes
apart (start to start; Koper's 15-minute visits repeated every ~2 hours), inside the operational day
(``day_start`` to one minute before the next day's start) and inside shifts that a team works. The
choice is exact for each hotspot-day: a dynamic programme over quarter-hour slots maximises the
risk covered by the dwell windows subject to the gap. Visits are then given to the team on that
shift with the most patrol time left; a day that needs more patrol time than the teams have is an
error that says by how much.

**Clock changes.** The slots are quarter-hours of *real* time from the instant the operational day
starts (``day_start`` local) to the instant the next one starts, so a day holding the spring change has
92 slots (23 h) and one holding the autumn change 100 (25 h: the repeated 01:00-01:59 hour is two sets of
slots, each with the 01:00 risk of the hour-of-week profile and the shift its wall-clock time falls in).
No slot starts at a local time that does not exist (01:30 on the spring day) and a slot in the repeated
hour is one definite instant. ``start`` and ``end`` are zone-aware local times (``tz``, the ``timezone``
setting, Europe/London) and ``end - start`` is always the real dwell: a 15-minute visit at 00:50 GMT on
the spring day ends at 02:05 BST. A ``day_start`` that itself falls in the skipped or repeated hour is
read by the rule of :mod:`hotpatrol.localtime` (skipped: offset before the change; repeated: first
occurrence). A shift is the wall-clock hours it names, so the night shift 22:00-06:00 holds 9 real hours
on the autumn change night and 7 on the spring one; a team's patrol minutes per shift stay as given.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.localtime import check_tz, to_local, to_utc
from hotpatrol.patrol.constraints import positive_int
from hotpatrol.patrol.design import Allocation
from hotpatrol.timeprofile import DEFAULT_SHIFTS, TimeProfile, clock_hours

SLOT = 15  # minutes: schedule resolution


@dataclass(frozen=True)
class Team:
    """A patrol team: the shifts it works and the patrol minutes it can give hotspots per shift."""

    name: str
    shifts: tuple[str, ...]
    minutes: float = 240.0


def make_teams(teams, shifts=DEFAULT_SHIFTS, minutes: float = 240.0) -> list[Team]:
    """``teams`` as an int (``Team 1..T``, each working every shift), names, or :class:`Team` objects."""
    names = [s[0] for s in shifts]
    if isinstance(teams, (int, np.integer)):
        if teams < 1:
            raise HotpatrolError("teams must be at least 1.", parameter="teams", given=teams)
        return [Team(f"Team {i + 1}", tuple(names), float(minutes)) for i in range(int(teams))]
    out = []
    for t in teams:
        team = t if isinstance(t, Team) else Team(str(t), tuple(names), float(minutes))
        unknown = [s for s in team.shifts if s not in names]
        if unknown:
            raise HotpatrolError(f"Team {team.name!r} works unknown shift(s).", parameter="teams",
                                 allowed=names, given=unknown)
        out.append(team)
    if not out:
        raise HotpatrolError("At least one team is needed.", parameter="teams", given=teams)
    return out


def best_starts(score: np.ndarray, visits: int, gap: int) -> np.ndarray | None:
    """Indices of ``visits`` slots maximising ``sum(score)`` with consecutive starts >= ``gap`` apart.

    ``score`` may hold -inf for forbidden slots. Returns None when ``visits`` cannot fit.
    Exact dynamic programme, O(visits x slots).
    """
    s = len(score)
    best = np.full((visits + 1, s + 1), -np.inf)  # best[t][j]: t visits using slots < j
    best[0, :] = 0.0
    take = np.zeros((visits + 1, s + 1), dtype=bool)
    for t in range(1, visits + 1):
        for j in range(1, s + 1):
            skip = best[t, j - 1]
            prev = best[t - 1, max(j - gap, 0)] if t > 1 else 0.0
            if t > 1 and j - gap < 0:
                prev = -np.inf
            use = prev + score[j - 1]
            if use > skip:
                best[t, j], take[t, j] = use, True
            else:
                best[t, j] = skip
    if not np.isfinite(best[visits, s]):
        return None
    out, t, j = [], visits, s
    while t > 0:
        if take[t, j]:
            out.append(j - 1)
            j = max(j - gap, 0) if t > 1 else j - 1
            t -= 1
        else:
            j -= 1
    return np.array(sorted(out))


def _shift_of_slots(shifts, day_start: str, n_slots: int, clock: np.ndarray | None = None) -> np.ndarray:
    """Index of the shift each slot (by its start clock time, hours; ``clock`` when given) falls in; -1 when none."""
    if clock is None:
        clock = np.mod(clock_hours(day_start) + np.arange(n_slots) * SLOT / 60.0, 24.0)
    out = np.full(n_slots, -1, dtype=np.int64)
    for i, (_, a, b) in enumerate(shifts):
        ta, tb = clock_hours(a) % 24, clock_hours(b) % 24
        inside = (clock >= ta) & (clock < tb) if tb > ta else (clock >= ta) | (clock < tb)
        out[(out < 0) & inside] = i
    return out


def build_schedule(allocation: Allocation, profile: TimeProfile, *, visits: int = 3, dwell: float = 15,
                   min_gap: float = 120, teams=2, shifts=DEFAULT_SHIFTS, team_minutes: float = 240.0,
                   travel: float = 10.0, priority=None, tz: str | None = None) -> pd.DataFrame:
    """One row per visit: day, hotspot_id, visit, start, end, shift, team, risk_share.

    ``risk_share`` is the share of that operational day's risk at the hotspot inside the visit.
    ``priority`` (hotspot ids, most important first) decides who gets scarce shift time first.
    ``start``/``end`` are zone-aware in ``tz`` (the ``timezone`` setting when None); slots are real
    quarter-hours, so days holding a clock change have 92 or 100 slots (see the module notes).
    """
    visits = positive_int("visits", visits)
    if not np.isfinite(dwell) or dwell <= 0 or dwell > 120:
        raise HotpatrolError("dwell must be between 1 and 120 minutes (Koper: 10-15 is best).",
                             parameter="dwell", given=dwell)
    if min_gap < dwell:
        raise HotpatrolError("min_gap (start to start) must be at least the dwell time.", parameter="min_gap",
                             given=min_gap, allowed=f">= {dwell}")
    if travel < 0:
        raise HotpatrolError("travel must be >= 0 minutes.", parameter="travel", given=travel)
    tz = check_tz(tz)
    team_list = make_teams(teams, shifts, team_minutes)
    shift_names = [s[0] for s in shifts]
    day_start = allocation.scheme["day_start"]
    n_slots = 24 * 60 // SLOT
    dslots = int(np.ceil(dwell / SLOT))
    gap = int(np.ceil(min_gap / SLOT))
    cost = float(dwell + travel)
    cslots = int(np.ceil(cost / SLOT))
    worked = {i for i, s in enumerate(shift_names) if any(s in t.shifts for t in team_list)}
    k = allocation.scheme["k"]
    # whole-day capacity check first: a clear message beats a failure on day 37
    per_day_need = k * visits * cost
    per_day_have = sum(np.floor(t.minutes / cost) * cost * len(t.shifts) for t in team_list)
    if per_day_need > per_day_have + 1e-9:
        raise HotpatrolError(
            f"The plan needs {k} hotspots x {visits} visits x ({dwell:g} min dwell + {travel:g} min travel) = "
            f"{per_day_need:,.0f} patrol-minutes a day but the {len(team_list)} team(s) have "
            f"{per_day_have:,.0f} ({', '.join(f'{t.name}: {len(t.shifts)} shift(s) x {t.minutes:g} min' for t in team_list)}).",
            parameter="k/visits/teams", given={"k": k, "visits": visits, "teams": len(team_list)},
            fix="Patrol fewer hotspots a day (--k), make fewer visits, add teams or give them more patrol time.",
        )
    if (visits - 1) * gap + dslots > n_slots:
        raise HotpatrolError(f"{visits} visits {min_gap:g} min apart do not fit in a 24 h day.",
                             parameter="visits", given=visits)
    rank = {str(h): i for i, h in enumerate(priority)} if priority is not None else {}
    rows = []
    frame = allocation.frame
    for day, group in frame[frame["patrolled"]].groupby("day", sort=True):
        left = {(t.name, sh): t.minutes for t in team_list for sh in t.shifts}  # patrol minutes per team-shift
        # real quarter-hours from this day's start instant to the next day's (92/96/100 slots)
        t0 = pd.Timestamp(dt.datetime.combine(day, allocation.day_start))
        u0, u1 = to_utc([t0, t0 + pd.Timedelta(days=1)], tz)
        n_day = int((u1 - u0) // pd.Timedelta(minutes=SLOT))
        slot_utc = u0 + pd.to_timedelta(np.arange(n_day) * SLOT, unit="min")
        slot_local = to_local(slot_utc, tz)
        clock = (slot_local - slot_local.normalize()) / pd.Timedelta(hours=1)
        slot_shift = _shift_of_slots(shifts, day_start, n_day, np.asarray(clock, dtype=float))
        valid_start = (np.arange(n_day) + dslots <= n_day) & np.isin(slot_shift, list(worked))
        # a team is one patrol: it cannot be at two hotspots at once (dwell + travel blocks its time)
        busy = np.zeros((len(team_list), n_day + cslots), dtype=np.int64)
        hs = sorted(group["hotspot_id"].tolist(), key=lambda h: rank.get(str(h), len(rank)))
        for h in hs:
            risk = profile.risk_at(h, slot_local, slot_minutes=SLOT)
            total = risk.sum()
            window = np.convolve(risk, np.ones(dslots), mode="full")[dslots - 1:][:n_day]
            # capacity per shift (in visits) given what each team has left today
            cap = np.array([sum(int(left[(t.name, s)] // cost) for t in team_list if s in t.shifts)
                            for s in shift_names])
            free = _free_teams(team_list, busy, slot_shift, shift_names, left, cost, cslots)
            starts = _choose(window, valid_start & free.any(axis=0), slot_shift, cap, visits, gap)
            if starts is not None:
                starts = _assign_teams(starts, free, team_list, slot_shift, shift_names, left, busy, cost, cslots)
            if starts is None:
                raise HotpatrolError(
                    f"On {day} hotspot {h!r} cannot get {visits} visits: the teams' patrol time on the shifts "
                    f"is used up ({', '.join(f'{n}: {c} visit(s) left' for n, c in zip(shift_names, cap))}).",
                    parameter="k/visits/teams", given={"day": str(day), "hotspot_id": str(h)},
                    fix="Patrol fewer hotspots a day, add teams or give them more patrol minutes per shift.",
                )
            for v, (j, team) in enumerate(starts, start=1):
                s = int(slot_shift[j])
                start = slot_utc[int(j)].tz_localize("UTC").tz_convert(tz)  # one definite instant
                rows.append({"day": day, "hotspot_id": h, "visit": v, "start": start,
                             "end": start + pd.Timedelta(minutes=float(dwell)), "shift": shift_names[s],
                             "team": team.name, "risk_share": float(window[j] / total) if total > 0 else np.nan})
    out = pd.DataFrame(rows, columns=["day", "hotspot_id", "visit", "start", "end", "shift", "team", "risk_share"])
    for c in ("start", "end"):
        out[c] = pd.to_datetime(out[c], utc=True).dt.tz_convert(tz).dt.as_unit("ns")
    return out


def _free_teams(team_list, busy, slot_shift, shift_names, left, cost, cslots) -> np.ndarray:
    """(teams, slots): team can start a visit at the slot (on shift, idle for dwell + travel, time left)."""
    n_slots = len(slot_shift)
    out = np.zeros((len(team_list), n_slots), dtype=bool)
    for i, t in enumerate(team_list):
        c = np.concatenate([[0], np.cumsum(busy[i])])
        idle = (c[np.arange(n_slots) + cslots] - c[np.arange(n_slots)]) == 0
        on = np.array([shift_names[s] in t.shifts and left[(t.name, shift_names[s])] >= cost if s >= 0 else False
                       for s in range(-1, len(shift_names))])[slot_shift + 1]
        out[i] = idle & on
    return out


def _assign_teams(starts, free, team_list, slot_shift, shift_names, left, busy, cost, cslots):
    """Give each visit to a free team on its shift with the most patrol time left; None if one cannot be."""
    out = []
    for j in starts:
        sn = shift_names[int(slot_shift[j])]
        cands = [i for i, t in enumerate(team_list) if free[i, j] and left[(t.name, sn)] >= cost
                 and busy[i, j:j + cslots].sum() == 0]
        if not cands:
            return None
        i = max(cands, key=lambda i: left[(team_list[i].name, sn)])
        left[(team_list[i].name, sn)] -= cost
        busy[i, j:j + cslots] = 1
        out.append((int(j), team_list[i]))
    return out


def _choose(window, valid, slot_shift, cap, visits, gap):
    """Best starts under the gap, then repair if a shift is over its remaining capacity."""
    score = np.where(valid & (cap[np.maximum(slot_shift, 0)] > 0) & (slot_shift >= 0), window, -np.inf)
    flat = np.ptp(window[np.isfinite(score)]) < 1e-15 if np.isfinite(score).any() else False
    if flat:
        # no timing information: spread visits evenly over the allowed slots rather than bunching them
        allowed = np.flatnonzero(np.isfinite(score))
        score = score + 1e-9 * _spread_bonus(allowed, len(score), visits)
    starts = best_starts(score, visits, gap)
    for _ in range(len(cap) + 1):
        if starts is None:
            return None
        used = np.bincount(slot_shift[starts], minlength=len(cap))
        over = np.flatnonzero(used > cap)
        if not len(over):
            return starts
        # greedy repair: keep the best `cap` visits in an over-full shift, forbid it for the rest
        s = over[0]
        in_s = starts[slot_shift[starts] == s]
        keep = in_s[np.argsort(-window[in_s])[:cap[s]]]
        mask = (slot_shift == s) & ~np.isin(np.arange(len(score)), keep)
        score = np.where(mask, -np.inf, score)
        if cap[s] > 0:
            score[keep] += 1e6  # make sure the kept visits stay chosen
        starts = best_starts(score, visits, gap)
    return starts


def _spread_bonus(allowed, n, visits):
    """Small preference for slots near evenly spaced targets across the allowed part of the day."""
    bonus = np.zeros(n)
    targets = allowed[np.clip(((np.arange(visits) + 0.5) * len(allowed) / visits).astype(int), 0, len(allowed) - 1)]
    for t in targets:
        bonus = np.maximum(bonus, 1.0 - np.abs(np.arange(n) - t) / n)
    return bonus
