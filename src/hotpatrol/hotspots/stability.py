"""How stable the top-N hotspots are from period to period.

For each period the top-N set is the ``top`` places with the highest harm (ties broken by place
order, so the result is deterministic; places with zero harm never enter, so a sparse month can
have fewer than ``top``). Between consecutive periods ``t-1, t`` we report the overlap
``|A ∩ B|``, the Jaccard index ``|A ∩ B| / |A ∪ B|`` and the share of last period's top set that
stayed (``|A ∩ B| / |A|``, "retention"). Per place: the number and share of periods in the top set,
the longest run of consecutive periods in it, and whether it is in the final period's set.

A place that is in the top set most months is a chronic hotspot (good for patrols); a top set with
low Jaccard month to month means monthly rankings are mostly noise, so patrol on a longer window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.text import plural, verb


def top_sets(values, top: int) -> np.ndarray:
    """Boolean ``(n_places, n_periods)``: is the place in that period's top ``top`` (harm > 0)."""
    x = np.asarray(values, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    if int(top) != top or top < 1:
        raise HotpatrolError("top must be a positive whole number.", parameter="top", given=top)
    top = int(top)
    n, T = x.shape
    # stable sort of -x per column: ties keep place order
    order = np.argsort(-x, axis=0, kind="stable")[: min(top, n)]
    member = np.zeros((n, T), dtype=bool)
    member[order, np.arange(T)[None, :]] = True
    return member & (x > 0)


def _longest_run(member: np.ndarray) -> np.ndarray:
    """Longest run of True along axis 1, per row (vectorised over rows, loop over periods)."""
    run = np.zeros(member.shape[0], dtype=np.int64)
    best = np.zeros(member.shape[0], dtype=np.int64)
    for t in range(member.shape[1]):
        run = np.where(member[:, t], run + 1, 0)
        best = np.maximum(best, run)
    return best


@dataclass(eq=False)
class StabilityResult(HotspotResult):
    """``to_frame()`` is per place; ``periods_frame()`` is per consecutive pair of periods."""

    member: np.ndarray  # (n_places, n_periods) top-set membership
    labels: list
    top_n: int
    place_id: np.ndarray
    places: object = None
    measure: str = "count"
    name = "stability"
    map_column = "periods_in_top"

    def periods_frame(self) -> pd.DataFrame:
        """One row per period: places in the top N, overlap, Jaccard index and retention against the previous period, overlap with the first."""
        m = self.member
        size = m.sum(axis=0)
        both = (m[:, 1:] & m[:, :-1]).sum(axis=0)
        union = (m[:, 1:] | m[:, :-1]).sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            jac = np.where(union > 0, both / np.maximum(union, 1), np.nan)
            keep = np.where(size[:-1] > 0, both / np.maximum(size[:-1], 1), np.nan)
        first = m[:, 0]
        with_first = (m & first[:, None]).sum(axis=0)
        return pd.DataFrame({
            "period": self.labels,
            "n_top": size,
            "overlap_previous": np.concatenate([[np.nan], both]),
            "jaccard_previous": np.concatenate([[np.nan], jac]),
            "retention_previous": np.concatenate([[np.nan], keep]),
            "overlap_first": with_first,
        })

    def to_frame(self) -> pd.DataFrame:
        """One row per place: periods and share of periods in the top N, longest run, in the top N in the last period."""
        m = self.member
        T = m.shape[1]
        frame = pd.DataFrame({
            "place_id": self.place_id,
            "periods_in_top": m.sum(axis=1),
            "share_in_top": m.sum(axis=1) / T,
            "longest_run": _longest_run(m),
            "in_top_last": m[:, -1],
        })
        return frame

    def top(self, n: int) -> pd.DataFrame:
        """The ``n`` most persistent places (most periods in the top set, then longest run)."""
        frame = self.to_frame()
        return frame.sort_values(["periods_in_top", "longest_run"], ascending=False, kind="stable").head(n)

    def persistence_counts(self) -> pd.DataFrame:
        """How many places were in the top set in exactly k periods, k = 1..T."""
        k = self.member.sum(axis=1)
        counts = np.bincount(k, minlength=self.member.shape[1] + 1)[1:]
        return pd.DataFrame({"periods_in_top": np.arange(1, len(counts) + 1), "places": counts})

    @property
    def mean_jaccard(self) -> float:
        """Mean Jaccard index of consecutive periods' top-N sets (NaN with one period)."""
        vals = self.periods_frame()["jaccard_previous"].to_numpy(dtype=float)[1:]
        return float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")

    def summary(self) -> Summary:
        """Per-period overlap of the top N and the mean Jaccard index."""
        per = self.periods_frame()
        table = per.copy()
        for c in ("jaccard_previous", "retention_previous"):
            table[c] = table[c].round(3)
        ever = int(self.member.any(axis=1).sum())
        always = int(self.member.all(axis=1).sum())
        notes = [
            f"Top {plural(self.top_n, 'place')} by {self.measure} in each of {plural(len(self.labels), 'period')}.",
            f"Mean Jaccard between consecutive periods: {self.mean_jaccard:.3f} "
            "(1 = the same places every period, 0 = no overlap).",
            (f"{plural(ever, 'place')} {verb(ever, 'was', 'were')} ever in the top {self.top_n}; {always} "
             f"{verb(always, 'was', 'were')} in it every period."),
        ]
        return Summary(title=f"Stability of the top {self.top_n}", table=table, notes=notes + list(self.data_notes))


def stability(cube, *, top: int | None = None) -> StabilityResult:
    """Top-``top`` membership per period of a :class:`SpaceTimeCube` (or a 2-D places x periods array)."""
    top = settings.resolve("top", top)
    from hotpatrol.hotspots.cube import SpaceTimeCube

    if not isinstance(cube, SpaceTimeCube):
        cube = SpaceTimeCube(np.asarray(cube, dtype=float), None)
    # unpublished periods are left out: the periods before and after a gap are compared directly
    cube, missing_note = cube.observed("Stability")
    if cube.n_periods < 2:
        raise HotpatrolError("Stability needs at least two periods.", parameter="freq/start/end",
                             given=cube.n_periods, fix="Use a longer window or a shorter period (e.g. months).")
    member = top_sets(cube.values, top)
    result = StabilityResult(member, cube.labels, int(top), cube.place_id, cube.places, cube.measure)
    missing = [missing_note + " Consecutive-period overlaps across the gap compare the published "
               "periods either side."] if missing_note else []
    result.data_notes = tuple(cube.meta.get("notes", ())) + tuple(missing)
    return result
