"""Change between two periods: difference and ratio surfaces, a per-place exact test, top-N churn.

For per-place values ``a`` (before) and ``b`` (after):

- ``difference = b - a``;
- ``ratio = (b + 1) / (a + 1)`` (the "+1" keeps places with no harm before finite: a place going
  from 0 to 3 has ratio 4, from 0 to 0 has ratio 1); ``log2_ratio`` is its base-2 log. For harm
  values the ``+1`` is one unit of harm (e.g. one custody day for CCHI); pass ``offset=`` to change it;
- ``p_value``: the exact conditional test of equal Poisson rates (Przyborowski & Wilenski 1940):
  given ``k = a + b`` events, ``b ~ Binomial(k, r)`` under no change, with ``r = t_b/(t_a + t_b)``
  the share of exposure (window length) in the after window. Two-sided p is the doubled smaller
  tail, capped at 1 (the "central" exact p). It needs whole counts, so for harm it uses the event
  counts behind the harm. ``q_value`` is the Benjamini-Hochberg correction over places with any events.
- top-N churn: places in the top ``top`` after but not before (*appeared*), before but not after
  (*disappeared*), and in both (*stayed*).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binom

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError
from hotpatrol.results import HotspotResult, Summary
from hotpatrol.text import plural


def poisson_rate_test(a, b, *, exposure_a: float = 1.0, exposure_b: float = 1.0) -> np.ndarray:
    """Two-sided exact p of "same Poisson rate" for counts ``a`` (before) and ``b`` (after), vectorised."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if (a < 0).any() or (b < 0).any() or not (np.allclose(a, np.round(a)) and np.allclose(b, np.round(b))):
        raise HotpatrolError("The exact Poisson test needs whole, non-negative counts.", parameter="a/b",
                             fix="Test event counts, not harm (change() uses the events behind the harm).")
    if exposure_a <= 0 or exposure_b <= 0:
        raise HotpatrolError("Exposures must be positive.", parameter="exposure", given=(exposure_a, exposure_b))
    k = a + b
    r = exposure_b / (exposure_a + exposure_b)
    lower = binom.cdf(b, k, r)  # P(B <= b)
    upper = binom.sf(b - 1, k, r)  # P(B >= b)
    p = np.minimum(1.0, 2.0 * np.minimum(lower, upper))
    return np.where(k > 0, p, 1.0)


@dataclass(eq=False)
class ChangeResult(HotspotResult):
    """Per place before/after values, difference, ratio and test; top-N churn in ``to_frame``."""

    before: np.ndarray
    after: np.ndarray
    before_events: np.ndarray
    after_events: np.ndarray
    labels: tuple
    top_n: int
    place_id: np.ndarray
    places: object = None
    offset: float = 1.0
    exposure: tuple = (1.0, 1.0)
    measure: str = "count"
    name = "change"
    map_column = "log2_ratio"
    map_diverging = True
    map_categories = {"top_status": ["appeared", "stayed", "disappeared"]}

    def to_frame(self) -> pd.DataFrame:
        """One row per place: before, after, difference, ratio, log2 ratio, events, Poisson test p and FDR q values, top-N status."""
        from hotpatrol.hotspots.emerging import fdr_bh
        from hotpatrol.hotspots.stability import top_sets

        a, b = self.before, self.after
        # scale "before" to the after window's length so unequal windows compare like with like
        scale = self.exposure[1] / self.exposure[0]
        ratio = (b + self.offset) / (a * scale + self.offset)
        p = poisson_rate_test(self.before_events, self.after_events, exposure_a=self.exposure[0],
                              exposure_b=self.exposure[1])
        any_ev = (self.before_events + self.after_events) > 0
        q = np.ones_like(p)
        if any_ev.any():
            q[any_ev] = fdr_bh(p[any_ev])
        member = top_sets(np.column_stack([a, b]), self.top_n)
        status = np.select(
            [member[:, 0] & member[:, 1], member[:, 1], member[:, 0]], ["stayed", "appeared", "disappeared"],
            default="",
        )
        return pd.DataFrame({
            "place_id": self.place_id,
            "before": a,
            "after": b,
            "difference": b - a * scale,
            "ratio": ratio,
            "log2_ratio": np.log2(ratio),
            "before_events": self.before_events,
            "after_events": self.after_events,
            "p_value": p,
            "q_value": q,
            "top_status": status,
        })

    def top(self, n: int) -> pd.DataFrame:
        """The ``n`` places with the largest absolute change."""
        frame = self.to_frame()
        order = np.argsort(-np.abs(frame["difference"].to_numpy()), kind="stable")[:n]
        return frame.iloc[order]

    def churn(self) -> dict[str, list]:
        """Place ids that ``appeared`` in, ``disappeared`` from or ``stayed`` in the top N."""
        frame = self.to_frame()
        return {k: frame.loc[frame["top_status"] == k, "place_id"].tolist() for k in ("appeared", "disappeared", "stayed")}

    def summary(self) -> Summary:
        """The ten places with the largest differences, and the top-N churn."""
        frame = self.to_frame()
        table = self.top(10)[["place_id", "before", "after", "difference", "ratio", "p_value", "top_status"]].copy()
        table["ratio"] = table["ratio"].round(3)
        table["p_value"] = table["p_value"].round(4)
        churn = self.churn()
        up = int(((frame["q_value"] < 0.05) & (frame["difference"] > 0)).sum())
        down = int(((frame["q_value"] < 0.05) & (frame["difference"] < 0)).sum())
        notes = [
            f"{self.measure}: {self.before.sum():g} in {self.labels[0]} -> {self.after.sum():g} in {self.labels[1]}"
            + (f" (before scaled x{self.exposure[1] / self.exposure[0]:g} for window length)"
               if self.exposure[0] != self.exposure[1] else "") + ".",
            f"Top {self.top_n}: {len(churn['appeared'])} appeared, {len(churn['disappeared'])} disappeared, "
            f"{len(churn['stayed'])} stayed.",
            f"Exact Poisson test, FDR q < 0.05: up at {plural(up, 'place')}, down at {down}. Ratio = (after + {self.offset:g}) / "
            f"(before + {self.offset:g}).",
        ]
        return Summary(title=f"Change {self.labels[0]} -> {self.labels[1]} (10 largest differences)", table=table,
                       notes=notes + list(self.data_notes))


def change(before, after=None, *, cube=None, places=None, top: int | None = None, offset: float = 1.0,
           before_events=None, after_events=None, exposure=(1.0, 1.0), labels=("before", "after"),
           measure: str = "count") -> ChangeResult:
    """Change between two per-place value arrays, or two windows of a cube.

    Arrays: ``change(a, b)`` (counts; for harm give ``before_events``/``after_events`` for the test).
    Cube windows: ``change(("2024-01", "2024-06"), ("2024-07", "2024-12"), cube=cube)``; each window is
    ``(start, end)`` inclusive or one period label, and unequal window lengths are allowed (the test
    and the difference account for exposure).
    """
    top = settings.resolve("top", top)
    if cube is not None:
        wa = before if isinstance(before, (tuple, list)) else (before, before)
        wb = after if isinstance(after, (tuple, list)) else (after, after)
        a, ea, la = cube.window_sum(*wa)
        b, eb, lb = cube.window_sum(*wb)
        # exposure = the window's published periods: a month a force did not publish is not a zero month
        notes = []
        exposures = []
        for win, label in ((wa, la), (wb, lb)):
            sub = cube.select(*win)
            n_missing = len(sub.missing)
            if n_missing == sub.n_periods:
                raise HotpatrolError(f"The {label} window has no published period: no data for "
                                     f"{sub.missing_text()}.", parameter="before/after", given=label,
                                     fix="Choose windows with published months.")
            if n_missing:
                notes.append(f"{label}: {plural(n_missing, 'period')} of {sub.n_periods} have no data "
                             f"({sub.missing_text()}); the window's exposure is its "
                             f"{plural(sub.n_periods - n_missing, 'published period')}.")
            exposures.append(float(sub.n_periods - n_missing))
        result = ChangeResult(a, b, ea, eb, (la, lb), int(top), cube.place_id, cube.places, float(offset),
                              tuple(exposures), cube.measure)
        result.data_notes = tuple(cube.meta.get("notes", ())) + tuple(notes)
        return result
    if after is None:
        raise HotpatrolError("change() needs 'after' values (or cube= and two windows).", parameter="after")
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise HotpatrolError("before and after must be 1-D arrays of the same length.", parameter="before/after",
                             given=f"{a.shape} and {b.shape}")
    if (a < 0).any() or (b < 0).any():
        raise HotpatrolError("Values must be >= 0.", parameter="before/after")
    if offset <= 0:
        raise HotpatrolError("The ratio offset must be > 0 (it keeps 0 -> k finite).", parameter="offset", given=offset)
    ea = a if before_events is None else np.asarray(before_events, dtype=float)
    eb = b if after_events is None else np.asarray(after_events, dtype=float)
    ids = np.asarray(places.place_id) if places is not None else np.arange(len(a))
    return ChangeResult(a, b, ea, eb, tuple(labels), int(top), ids, places, float(offset),
                        (float(exposure[0]), float(exposure[1])), measure)
