"""Simulated patrol trials with a known true effect (for the demo, the tests and power checks).

A trial is ``n`` hotspot cells with baseline daily rates drawn from a log-normal (median
``mean_rate``/sqrt(1+sigma^2)... see :func:`simulate_trial`), a day-of-week profile (weekend
peak) and gamma day-to-day noise (negative-binomial counts). Each day ``k`` hotspots are planned
for patrol; a planned patrol is delivered with probability ``compliance`` and a control hotspot
is patrolled anyway with probability ``contamination``. Crime on a delivered day is multiplied by
``1 + effect``; ``displacement`` moves that share of the prevented crimes into the 100 m buffer.
Background crime covers the whole study area so buffers and control areas have data, and a
pre-trial period of ``pre_days`` supports before/after and WDQ/WDD checks. GPS pings are generated
for every delivered patrol (walk in, 15-20 minute dwell, walk out), optionally with jumps and
duplicates to exercise the quarantine.

Truth is returned in ``SimulatedTrial.truth``: ``effect`` on delivered days and ``itt_rate_ratio``,
the expected ratio planned vs not-planned days after partial compliance and contamination, which is
what a patrol-days vs non-patrol-days (intention-to-treat) comparison estimates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.harm import CCHI_WEIGHTS
from hotpatrol.places.crs import BNG, to_lonlat

#: violent-crime mix of a typical Grip hotspot (share of events by police.uk category)
VIOLENT_MIX = {"Violence and sexual offences": 0.70, "Public order": 0.17, "Robbery": 0.08,
               "Possession of weapons": 0.05}
#: Monday..Sunday multipliers (night-time economy peak at the weekend), mean 1
DOW = np.array([0.85, 0.80, 0.85, 0.95, 1.20, 1.45, 0.90])
DOW = DOW / DOW.mean()
#: share of a day's violence in each hour after the 06:00 operational-day start (06:00..05:00)
HOURS = np.array([1, 1, 1, 1.5, 2, 2.5, 3, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 11, 12, 11, 9, 5, 3, 1.5], float)
HOURS = HOURS / HOURS.sum()


def design_allocator(ids, *, start, days, k, seed):
    """The trial's allocation from :func:`hotpatrol.patrol.design.allocate` (balanced blocks)."""
    from hotpatrol.patrol.design import allocate

    return allocate(ids, start=start, days=days, k=k, seed=seed)


@dataclass
class SimulatedTrial:
    """A simulated trial with known truth: hotspots, allocation, events, patrols, pings, the true effects (``truth``) and a re-draw function."""
    hotspots: pd.DataFrame
    allocation: pd.DataFrame
    events: pd.DataFrame
    patrols: pd.DataFrame
    pings: pd.DataFrame | None
    truth: dict
    redraw: Callable[[int], pd.DataFrame] = field(repr=False)
    crs: str = BNG
    design: object = None  # the hotpatrol.patrol.design.Allocation, when that drew the allocation

    def write(self, out: str | Path) -> dict[str, str]:
        """Write hotspots.csv, allocation.csv, events.csv, patrols.csv (visit logs), pings.csv, truth.json."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"hotspots": out / "hotspots.csv", "allocation": out / "allocation.csv",
                 "events": out / "events.csv", "logs": out / "patrols.csv", "truth": out / "truth.json"}
        self.hotspots.to_csv(paths["hotspots"], index=False)
        self.allocation.to_csv(paths["allocation"], index=False)
        self.events.to_csv(paths["events"], index=False)
        self.patrols.to_csv(paths["logs"], index=False)
        if self.pings is not None:
            paths["pings"] = out / "pings.csv"
            p = self.pings.copy()
            p["timestamp"] = p["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
            p.to_csv(paths["pings"], index=False, float_format="%.2f")
        paths["truth"].write_text(json.dumps(self.truth, indent=2, default=str))
        if self.design is not None:  # allocation.csv + allocation.json (scheme, sha256) for re-draws
            self.design.save(paths["allocation"])
            paths["allocation_meta"] = out / "allocation.json"
        return {k: str(v) for k, v in paths.items()}


def _place_hotspots(rng, n, cell, origin, spacing):
    """n cells on a jittered lattice ``spacing`` cells apart (buffers never touch another hotspot)."""
    side = int(np.ceil(np.sqrt(n)))
    cols, rows = np.meshgrid(np.arange(side), np.arange(side))
    pick = rng.permutation(side * side)[:n]
    c = cols.ravel()[pick] * spacing + rng.integers(0, max(1, spacing // 3), n)
    r = rows.ravel()[pick] * spacing + rng.integers(0, max(1, spacing // 3), n)
    xmin = origin[0] + c * cell
    ymin = origin[1] + r * cell
    return xmin.astype(float), ymin.astype(float)


def _events_frame(x, y, t, cat, crs, prefix):
    lon, lat = to_lonlat(x, y, crs)
    t = pd.to_datetime(t)
    return pd.DataFrame({
        "event_id": [f"{prefix}{i:07d}" for i in range(len(x))], "source": "simulated",
        "occurred_at": t, "occurred_from": t, "occurred_to": t + pd.Timedelta(minutes=1),
        "time_precision": "minute", "lon": lon, "lat": lat, "category": cat, "x": x, "y": y,
    })


def simulate_trial(*, n: int = 20, k: int = 8, days: int = 90, effect: float = -0.4, seed: int = 0,
                   start: str = "2026-01-05", mean_rate: float = 0.4, rate_sigma: float = 0.6,
                   dispersion: float = 8.0, compliance: float = 0.95, contamination: float = 0.02,
                   displacement: float = 0.0, buffer: float = 100.0, buffer_share: float = 0.3,
                   background: float = 0.004, pre_days: int | None = None, cell: float | None = None,
                   crs: str = BNG, origin: tuple[float, float] = (585_000.0, 185_000.0),
                   pings: bool = True, ping_interval: float = 15.0, officers: int | None = None,
                   jump_rate: float = 0.0, duplicate_rate: float = 0.0,
                   allocate: Callable | None = None, categories: dict | None = None,
                   county=None) -> SimulatedTrial:
    """Simulate a whole randomised patrol trial with a known effect (see module docs).

    ``mean_rate`` is the mean crimes per hotspot per day (log-normal across hotspots with
    log-sd ``rate_sigma``); ``dispersion`` the gamma shape of day-to-day noise (inf = Poisson);
    ``background`` crimes per 150 m cell per day elsewhere; ``buffer_share`` the buffer ring's rate
    as a share of its hotspot's. ``county`` (a :class:`hotpatrol.synthetic.County`) puts the trial
    on that county's ``n`` highest-harm cells, with their observed violent-crime rates as baselines.
    """
    cell = float(settings.resolve("cell", cell))
    if not -1 < effect <= 5:
        raise HotpatrolError("effect is a proportional change, e.g. -0.4 for -40%.", parameter="effect",
                             allowed="(-1, 5]", given=effect)
    if not 0 < k < n:
        raise HotpatrolError("k must be between 1 and n - 1.", parameter="k", allowed=f"1..{n - 1}", given=k)
    if days < 7:
        raise HotpatrolError("A trial needs at least 7 days.", parameter="days", given=days)
    for name, v in (("compliance", compliance), ("contamination", contamination), ("displacement", displacement)):
        if not 0 <= v <= 1:
            raise HotpatrolError(f"{name} must be in [0, 1].", parameter=name, given=v)
    rng = np.random.default_rng(seed)
    pre_days = days if pre_days is None else int(pre_days)
    start = pd.Timestamp(start).normalize()
    mix = categories or VIOLENT_MIX
    cats = np.array(list(mix))
    probs = np.array(list(mix.values()), float)
    probs /= probs.sum()

    if county is not None:
        xmin, ymin, rate, ids = county_cells(county, n=n, cell=cell, categories=list(mix))
        crs = BNG
    else:
        spacing = int(np.ceil((2 * 1000.0) / cell)) + 1  # control rings of neighbours may overlap; buffers never
        xmin, ymin = _place_hotspots(rng, n, cell, origin, spacing)
        ids = np.array([f"H{i + 1:02d}" for i in range(n)])
        rate = mean_rate * np.exp(rng.normal(0, rate_sigma, n) - rate_sigma ** 2 / 2)
    hotspots = pd.DataFrame({"hotspot_id": ids, "x": xmin + cell / 2, "y": ymin + cell / 2,
                             "xmin": xmin, "ymin": ymin, "xmax": xmin + cell, "ymax": ymin + cell,
                             "cell": cell, "crs": crs, "true_rate": rate})

    allocator = allocate or design_allocator
    alloc_fn = partial(allocator, list(ids), start=start, days=days, k=k)
    drawn = alloc_fn(seed=seed)
    design = drawn if hasattr(drawn, "redraw_matrix") else None

    def redraw(s_):
        a = alloc_fn(seed=s_)
        return a.frame if hasattr(a, "frame") else a

    if design is not None:
        redraw.allocation = design  # lets randomisation inference use the fast matrix path
    allocation = drawn.frame if hasattr(drawn, "frame") else pd.DataFrame(drawn)
    allocation = allocation[["day", "hotspot_id", "patrolled"]].assign(
        day=pd.to_datetime(allocation["day"]).dt.normalize(), hotspot_id=allocation["hotspot_id"].astype(str))
    planned = allocation.pivot(index="day", columns="hotspot_id", values="patrolled").reindex(columns=ids)
    planned = planned.to_numpy(bool)  # days x n

    # whole timeline: pre-period then trial; delivered patrols only during the trial
    total = pre_days + days
    day0 = start - pd.Timedelta(days=pre_days)
    dayv = day0 + pd.to_timedelta(np.arange(total), unit="D")
    dow = DOW[dayv.dayofweek.to_numpy()]
    delivered = np.zeros((total, n), bool)
    u = rng.random((days, n))
    delivered[pre_days:] = np.where(planned, u < compliance, u < contamination)
    noise = rng.gamma(dispersion, 1 / dispersion, (total, n)) if np.isfinite(dispersion) else np.ones((total, n))
    lam0 = rate[None, :] * dow[:, None] * noise
    lam = lam0 * np.where(delivered, 1 + effect, 1.0)
    counts = rng.poisson(lam)

    def times(day_index):
        hrs = rng.choice(24, size=len(day_index), p=HOURS)
        secs = (6 + hrs) * 3600 + rng.integers(0, 3600, len(day_index))
        return dayv.to_numpy()[day_index] + secs.astype("timedelta64[s]")

    d_idx, h_idx = np.nonzero(counts)
    rep = counts[d_idx, h_idx]
    d_ev, h_ev = np.repeat(d_idx, rep), np.repeat(h_idx, rep)
    ex = xmin[h_ev] + rng.random(len(h_ev)) * cell
    ey = ymin[h_ev] + rng.random(len(h_ev)) * cell
    parts = [(ex, ey, times(d_ev))]

    # buffer rings: own crime plus displaced crime on delivered days
    blam = buffer_share * rate[None, :] * dow[:, None] * noise
    if displacement > 0 and effect < 0:
        blam = blam + displacement * lam0 * (-effect) * delivered
    bcounts = rng.poisson(blam)
    d_idx, h_idx = np.nonzero(bcounts)
    rep = bcounts[d_idx, h_idx]
    d_b, h_b = np.repeat(d_idx, rep), np.repeat(h_idx, rep)
    bx, by = _ring_points(rng, xmin[h_b], ymin[h_b], cell, buffer)
    parts.append((bx, by, times(d_b)))

    # background over the study area (hotspots excluded), for control areas
    margin = 1200.0
    ax0, ay0 = xmin.min() - margin, ymin.min() - margin
    ax1, ay1 = xmin.max() + cell + margin, ymin.max() + cell + margin
    ncell = (ax1 - ax0) * (ay1 - ay0) / (150.0 ** 2)
    nb = rng.poisson(background * ncell * total)
    gx = ax0 + rng.random(nb) * (ax1 - ax0)
    gy = ay0 + rng.random(nb) * (ay1 - ay0)
    gd = rng.choice(total, size=nb, p=dow / dow.sum())
    ins = np.zeros(nb, bool)
    for j in range(n):  # n is small; keep hotspots and buffers to their own processes
        ins |= (gx >= xmin[j] - buffer) & (gx < xmin[j] + cell + buffer) & (gy >= ymin[j] - buffer) & (gy < ymin[j] + cell + buffer)
    parts.append((gx[~ins], gy[~ins], times(gd[~ins])))

    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    t = np.concatenate([p[2] for p in parts])
    cat = rng.choice(cats, size=len(x), p=probs)
    order = np.argsort(t, kind="stable")
    events = _events_frame(x[order], y[order], t[order], cat[order], crs, prefix=f"S{seed}-")

    # delivered patrols -> visit logs and pings
    n_off = officers or max(2, int(np.ceil(k / 2)))
    dd, hh = np.nonzero(delivered[pre_days:])
    order = np.lexsort((rng.random(len(dd)), dd))
    dd, hh = dd[order], hh[order]
    slot = np.zeros(len(dd), int)
    if len(dd):
        first = np.r_[0, np.flatnonzero(np.diff(dd)) + 1]
        slot = np.arange(len(dd)) - np.repeat(first, np.diff(np.r_[first, len(dd)]))
    officer = np.array([f"PC{o + 1:03d}" for o in range(n_off)])[slot % n_off]
    pstart = (start.to_datetime64() + dd.astype("timedelta64[D]") + np.timedelta64(16, "h")
              + ((slot // n_off) * 150 * 60 + rng.integers(0, 90 * 60, len(dd))).astype("timedelta64[s]"))
    dwell = rng.integers(15 * 60, 20 * 60 + 1, len(dd))
    patrols = pd.DataFrame({"officer_id": officer, "hotspot_id": ids[hh], "start": pstart,
                            "end": pstart + dwell.astype("timedelta64[s]"), "minutes": dwell / 60})
    ping_frame = None
    if pings:
        ping_frame = simulate_pings(patrols, hotspots, interval=ping_interval, seed=seed + 1,
                                    jump_rate=jump_rate, duplicate_rate=duplicate_rate)

    c, q, e = compliance, contamination, effect
    itt = (c * (1 + e) + 1 - c) / (q * (1 + e) + 1 - q)
    truth = {"effect": effect, "rate_ratio_delivered": 1 + effect, "itt_rate_ratio": itt,
             "itt_effect": itt - 1, "compliance": compliance, "contamination": contamination,
             "displacement": displacement, "n": n, "k": k, "days": days, "pre_days": pre_days, "seed": seed,
             "start": str(start.date()), "delivered_planned": int((delivered[pre_days:] & planned).sum()),
             "planned": int(planned.sum()), "contaminated": int((delivered[pre_days:] & ~planned).sum()),
             "mean_rate": mean_rate, "dispersion": dispersion, "buffer": buffer,
             "harm_weights": {c_: CCHI_WEIGHTS.get(c_) for c_ in cats}}
    return SimulatedTrial(hotspots=hotspots, allocation=allocation, events=events, patrols=patrols,
                          pings=ping_frame, truth=truth, redraw=redraw, crs=crs, design=design)

def county_cells(county, *, n: int, cell: float | None = None, categories=None, min_rate: float = 0.02):
    """The ``n`` highest-harm ``cell`` m cells of a synthetic county (CCHI harm of ``categories``),
    with their observed daily rate of those crimes (floored at ``min_rate``). Returns
    ``xmin, ymin, rate, ids``."""
    cell = float(settings.resolve("cell", cell))
    from hotpatrol.harm import harm
    from hotpatrol.places.grid import Grid

    ev = county.events
    if categories is not None:
        ev = ev[ev["category"].isin(categories)]
    ev = ev[ev["x"].notna() & ev["y"].notna()]
    if len(ev) < n:
        raise HotpatrolError("The county has too few crimes for that many hotspots.", parameter="n", given=n,
                             fix="Generate a bigger county (scale) or ask for fewer hotspots.")
    grid = Grid.covering(ev["x"], ev["y"], cell=cell, crs=BNG)
    ids = grid.cell_id(ev["x"], ev["y"])
    h = np.bincount(ids, weights=harm(ev, "cchi"), minlength=grid.n_cells)
    top = np.argsort(-h, kind="stable")[:n]
    t = pd.to_datetime(ev["occurred_at"])
    days = max((t.max() - t.min()).days, 1)
    rate = np.maximum(np.bincount(ids, minlength=grid.n_cells)[top] / days, min_rate)
    cx, cy = grid.centres(top)
    return cx - cell / 2, cy - cell / 2, rate.astype(float), np.array([f"C{c}" for c in top])


def _ring_points(rng, xmin, ymin, cell, buffer):
    """Uniform points in the ring between each cell and the cell grown by ``buffer`` (rejection)."""
    m = len(xmin)
    outx = np.empty(m)
    outy = np.empty(m)
    todo = np.arange(m)
    while len(todo):
        px = xmin[todo] - buffer + rng.random(len(todo)) * (cell + 2 * buffer)
        py = ymin[todo] - buffer + rng.random(len(todo)) * (cell + 2 * buffer)
        core = (px >= xmin[todo]) & (px < xmin[todo] + cell) & (py >= ymin[todo]) & (py < ymin[todo] + cell)
        outx[todo[~core]] = px[~core]
        outy[todo[~core]] = py[~core]
        todo = todo[core]
    return outx, outy


def _fold(u, a, b):
    """Reflect values into [a, b] (a bounded random walk)."""
    span = b - a
    v = np.mod(u - a, 2 * span)
    return a + np.where(v > span, 2 * span - v, v)


def simulate_pings(patrols: pd.DataFrame, hotspots: pd.DataFrame, *, interval: float = 15.0,
                   travel_minutes: float = 6.0, noise: float = 4.0, seed: int = 0, jump_rate: float = 0.0,
                   duplicate_rate: float = 0.0) -> pd.DataFrame:
    """GPS pings for patrols (``officer_id, hotspot_id, start, end``): walk in from ~500 m, dwell
    inside the cell (bounded random walk), walk out. Vectorised over all patrols."""
    rng = np.random.default_rng(seed)
    hs = hotspots.set_index(hotspots["hotspot_id"].astype(str))
    h = patrols["hotspot_id"].astype(str).to_numpy()
    x0 = hs.loc[h, "xmin"].to_numpy(float)
    y0 = hs.loc[h, "ymin"].to_numpy(float)
    size = (hs.loc[h, "xmax"].to_numpy(float) - x0)
    start = patrols["start"].to_numpy("datetime64[ns]").view(np.int64)
    end = patrols["end"].to_numpy("datetime64[ns]").view(np.int64)
    iv = int(interval * 1e9)
    n_tr = int(travel_minutes * 60 / interval)
    n_dw = ((end - start) // iv + 1).astype(np.int64)
    m = 2 * n_tr + n_dw
    p = len(patrols)
    tot = int(m.sum())
    pid = np.repeat(np.arange(p), m)
    first = np.r_[0, np.cumsum(m)[:-1]]
    j = np.arange(tot) - first[pid]
    t = start[pid] + (j - n_tr) * iv + rng.integers(-1_000_000_000, 1_000_000_000, tot) // 2
    inset = 12.0
    ex = x0 + inset + rng.random(p) * (size - 2 * inset)  # entry point
    ey = y0 + inset + rng.random(p) * (size - 2 * inset)
    ang = rng.random(p) * 2 * np.pi
    far = 500.0
    fx, fy = ex + far * np.cos(ang), ey + far * np.sin(ang)
    ang2 = ang + rng.normal(0, 1.0, p)
    gx, gy = ex + far * np.cos(ang2), ey + far * np.sin(ang2)
    x = np.empty(tot)
    y = np.empty(tot)
    jn = j - n_tr
    dw = (jn >= 0) & (jn < n_dw[pid])
    pre = jn < 0
    post = jn >= n_dw[pid]
    # dwell: bounded random walk from the entry point
    steps_x = rng.normal(0, 6.0, tot) * dw
    steps_y = rng.normal(0, 6.0, tot) * dw
    cx, cy = np.cumsum(steps_x), np.cumsum(steps_y)
    cx -= np.repeat(cx[first], m)
    cy -= np.repeat(cy[first], m)
    x[dw] = _fold(ex[pid[dw]] + cx[dw], x0[pid[dw]] + inset, x0[pid[dw]] + size[pid[dw]] - inset)
    y[dw] = _fold(ey[pid[dw]] + cy[dw], y0[pid[dw]] + inset, y0[pid[dw]] + size[pid[dw]] - inset)
    f = (j[pre]) / n_tr
    x[pre] = fx[pid[pre]] + (ex[pid[pre]] - fx[pid[pre]]) * f
    y[pre] = fy[pid[pre]] + (ey[pid[pre]] - fy[pid[pre]]) * f
    last = np.maximum(n_dw - 1, 0)
    lx = np.where(dw, x, 0.0)
    ly = np.where(dw, y, 0.0)
    # exit from the last dwell position
    last_idx = first + n_tr + last
    exx, exy = lx[last_idx], ly[last_idx]
    f = (jn[post] - n_dw[pid[post]] + 1) / n_tr
    x[post] = exx[pid[post]] + (gx[pid[post]] - exx[pid[post]]) * f
    y[post] = exy[pid[post]] + (gy[pid[post]] - exy[pid[post]]) * f
    x += rng.normal(0, noise, tot)
    y += rng.normal(0, noise, tot)
    officer = patrols["officer_id"].astype(str).to_numpy()[pid]
    if jump_rate > 0:
        jmp = rng.random(tot) < jump_rate
        d = rng.uniform(3000, 20000, int(jmp.sum()))
        a = rng.random(int(jmp.sum())) * 2 * np.pi
        x[jmp] += d * np.cos(a)
        y[jmp] += d * np.sin(a)
    out = pd.DataFrame({"officer_id": officer, "timestamp": t.view("datetime64[ns]"), "x": x, "y": y})
    if duplicate_rate > 0:
        dup = out[rng.random(tot) < duplicate_rate]
        out = pd.concat([out, dup], ignore_index=True)
    return out.sample(frac=1.0, random_state=seed).reset_index(drop=True) if duplicate_rate > 0 else out
