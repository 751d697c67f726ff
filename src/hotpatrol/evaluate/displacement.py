"""Displacement and diffusion of benefits round the treated places.

Weighted Displacement Quotient (Bowers & Johnson 2003, "Measuring the geographical displacement
and diffusion of benefit effects of crime prevention activity", *J. Quant. Criminology* 19(3)):

    success  = R_a/C_a - R_b/C_b          (< 0: crime fell in the response area relative to control)
    buffer   = B_a/C_a - B_b/C_b
    WDQ      = buffer / success

with R the response (treated) area, B the buffer, C the control area, b before and a after.
WDQ > 0 means diffusion of benefits, < 0 displacement, < -1 displacement bigger than the direct
effect. It is only meaningful when ``success < 0``.

Weighted Displacement Difference (Ratcliffe & Breen 2011, "Crime diffusion or displacement?
Measuring the side effects of police operations", *The Professional Geographer* 63(2); with the
variance and z-test of Wheeler & Ratcliffe 2018, "A simple weighted displacement difference test
to evaluate place based crime interventions", *Crime Science* 7:11):

    WDD = (T_a - T_b) - (C_a - C_b) + (D_a - D_b) - (CD_a - CD_b)
    Var(WDD) = T_a + T_b + C_a + C_b + D_a + D_b + CD_a + CD_b        (Poisson counts)

with T treated, C its control, D the displacement buffer and CD the buffer's control. Without a
separate control for the buffer the ``CD`` terms are left out (noted in the result). Negative WDD
is a net crime reduction counting displacement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hotpatrol.errors import HotpatrolError
from hotpatrol.results import Result, Summary, json_safe


def wdq(R_b: float, R_a: float, B_b: float, B_a: float, C_b: float, C_a: float) -> dict:
    """Weighted Displacement Quotient from before/after counts in response, buffer and control."""
    if min(C_b, C_a) <= 0:
        raise HotpatrolError("The control area needs crime before and after for a WDQ.", parameter="control",
                             given={"before": C_b, "after": C_a})
    success = R_a / C_a - R_b / C_b
    buffer = B_a / C_a - B_b / C_b
    value = buffer / success if success < 0 else np.nan
    if success >= 0:
        reading = "no relative fall in the response area: WDQ is not meaningful"
    elif value > 0:
        reading = "diffusion of benefits into the buffer"
    elif value == 0:
        reading = "no change in the buffer"
    elif value >= -1:
        reading = "some displacement, smaller than the direct benefit"
    else:
        reading = "displacement larger than the direct benefit"
    return {"success_measure": success, "buffer_measure": buffer, "wdq": value, "reading": reading}


def wdd(T_b: float, T_a: float, C_b: float, C_a: float, D_b: float, D_a: float,
        CD_b: float | None = None, CD_a: float | None = None) -> dict:
    """Weighted Displacement Difference with its Poisson variance, 95% CI and z-test."""
    parts = [T_b, T_a, C_b, C_a, D_b, D_a]
    value = (T_a - T_b) - (C_a - C_b) + (D_a - D_b)
    if CD_b is not None and CD_a is not None:
        value -= CD_a - CD_b
        parts += [CD_b, CD_a]
    if min(parts) < 0:
        raise HotpatrolError("Counts must be >= 0.", parameter="counts", given=parts)
    var = float(sum(parts))
    se = np.sqrt(var)
    z = value / se if se > 0 else np.nan
    return {"wdd": float(value), "variance": var, "se": float(se), "ci_low": float(value - 1.96 * se),
            "ci_high": float(value + 1.96 * se), "z": float(z), "p": float(2 * stats.norm.sf(abs(z))),
            "control_for_buffer": CD_b is not None}


def _as_geometry(area, crs):
    import geopandas as gpd
    import shapely

    if area is None:
        return None
    if isinstance(area, (str,)) or hasattr(area, "__fspath__"):
        area = gpd.read_file(area)
    if isinstance(area, (gpd.GeoDataFrame, gpd.GeoSeries)):
        if area.crs is not None and crs is not None:
            area = area.to_crs(crs)
        return shapely.union_all(np.asarray(area.geometry.values if hasattr(area, "geometry") else area.values))
    if isinstance(area, shapely.Geometry):
        return area
    raise HotpatrolError("An area must be a polygon, a GeoDataFrame/GeoSeries or a file.", parameter="control",
                         given=type(area).__name__)


@dataclass
class DisplacementResult(Result):
    """Displacement and diffusion round patrolled hotspots: WDQ (Bowers & Johnson 2003) and WDD
    (Ratcliffe & Breen 2011) from before/after counts in the response, buffer and control areas.
    """
    counts: pd.DataFrame  # area x period
    wdq: dict
    wdd: dict
    params: dict
    name: str = "displacement"

    def to_frame(self) -> pd.DataFrame:
        """The area x period counts (``area``, ``before``, ``after``)."""
        return self.counts.copy()

    def summary(self) -> Summary:
        """WDQ components, WDQ and its reading, and WDD with its 95% CI."""
        q, d = self.wdq, self.wdd
        rows = [("success measure (R_a/C_a - R_b/C_b)", f"{q['success_measure']:.4f}"),
                ("buffer measure (B_a/C_a - B_b/C_b)", f"{q['buffer_measure']:.4f}"),
                ("WDQ", "n/a" if not np.isfinite(q["wdq"]) else f"{q['wdq']:.2f}"), ("reading", q["reading"]),
                ("WDD", f"{d['wdd']:.1f} (95% CI {d['ci_low']:.1f} to {d['ci_high']:.1f}; z = {d['z']:.2f}, p = {d['p']:.3f})")]
        notes = [f"Buffer {self.params['buffer']:g} m round the hotspots; control: {self.params['control']}.",
                 "WDQ: Bowers & Johnson 2003. WDD: Ratcliffe & Breen 2011, variance Wheeler & Ratcliffe 2018."]
        if not d["control_for_buffer"]:
            notes.append("No separate control for the buffer: the WDD's CD terms are left out.")
        return Summary("Displacement and diffusion", pd.DataFrame(rows, columns=["measure", "value"]), notes)

    def to_dict(self) -> dict:
        """JSON-safe WDQ, WDD, parameters and counts."""
        return json_safe({"name": self.name, "wdq": self.wdq, "wdd": self.wdd, "params": self.params,
                          "counts": self.counts})


def displacement(events: pd.DataFrame, hotspots, *, before: tuple, after: tuple, buffer: float = 100.0,
                 control=None, control_buffer=None, control_inner: float = 400.0, control_outer: float = 1000.0,
                 categories=None, crs: str | None = None) -> DisplacementResult:
    """WDQ and WDD for ``events`` round ``hotspots`` between ``before=(start, end)`` and ``after``.

    The response area is the union of the hotspots, the buffer the ring ``buffer`` metres round them
    (other hotspots excluded). ``control`` is a polygon/GeoDataFrame/file; by default the ring from
    ``control_inner`` to ``control_outer`` metres round the hotspots (near enough to share trends, far
    enough from the buffer to escape displacement). ``control_buffer`` (optional) is the control for
    the buffer in the WDD.
    """
    import shapely

    from hotpatrol.evaluate.trial import _geofences, event_xy

    g = _geofences(hotspots, crs)
    if buffer <= 0:
        raise HotpatrolError("buffer must be > 0 metres.", parameter="buffer", given=buffer)
    if control is None and not 0 <= buffer <= control_inner < control_outer:
        raise HotpatrolError("Need buffer <= control_inner < control_outer.", parameter="control_inner",
                             given=(buffer, control_inner, control_outer))
    core = shapely.union_all(shapely.box(g.xmin, g.ymin, g.xmax, g.ymax)) if g.polygons is None \
        else shapely.union_all(np.asarray(g.polygons.values))
    buf = shapely.difference(shapely.buffer(core, buffer, join_style="mitre"), core)
    if control is None:
        ctrl = shapely.difference(shapely.buffer(core, control_outer), shapely.buffer(core, control_inner))
        ctrl_desc = f"ring {control_inner:g}-{control_outer:g} m round the hotspots"
    else:
        ctrl = shapely.difference(_as_geometry(control, g.crs), shapely.buffer(core, buffer, join_style="mitre"))
        ctrl_desc = "user area"
    cbuf = _as_geometry(control_buffer, g.crs)
    ev = events if categories is None else events[events["category"].isin(list(categories))]
    from hotpatrol.evaluate.trial import event_time

    t = event_time(ev).to_numpy()
    x, y = event_xy(ev, g.crs)
    periods = {}
    for name, (s, e) in (("before", before), ("after", after)):
        s, e = pd.Timestamp(s), pd.Timestamp(e)
        if not e > s:
            raise HotpatrolError(f"The {name} period must end after it starts.", parameter=name, given=(str(s), str(e)))
        periods[name] = (t >= s.to_datetime64()) & (t < e.to_datetime64())
    areas = {"response": core, "buffer": buf, "control": ctrl}
    if cbuf is not None:
        areas["control_buffer"] = cbuf
    rows = []
    for aname, geom in areas.items():
        shapely.prepare(geom)
        inside = shapely.contains_xy(geom, x, y)
        rows.append({"area": aname, "before": int((inside & periods["before"]).sum()),
                     "after": int((inside & periods["after"]).sum()), "area_km2": geom.area / 1e6})
    counts = pd.DataFrame(rows)
    c = counts.set_index("area")
    q = wdq(c.loc["response", "before"], c.loc["response", "after"], c.loc["buffer", "before"],
            c.loc["buffer", "after"], c.loc["control", "before"], c.loc["control", "after"])
    cd = (c.loc["control_buffer", "before"], c.loc["control_buffer", "after"]) if cbuf is not None else (None, None)
    d = wdd(c.loc["response", "before"], c.loc["response", "after"], c.loc["control", "before"],
            c.loc["control", "after"], c.loc["buffer", "before"], c.loc["buffer", "after"], *cd)
    params = {"buffer": buffer, "control": ctrl_desc, "before": [str(v) for v in before],
              "after": [str(v) for v in after]}
    return DisplacementResult(counts, q, d, params)
