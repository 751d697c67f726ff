"""Forecast accuracy metrics at a share of the area or a number of places.

For a forecast (its ranking, ties broken fairly by :meth:`Forecast.ranking`) and the events that
then happened (``actual``: count or harm per place), selecting the top ``k`` places gives:

- **hit rate**: share of the events in the selected places (``hits / total``);
- **PAI** (Chainey, Tompson & Uhlig 2008): hit rate / share of area, ``(hits/N) / (k/n)``;
- **PEI** (Hunt 2016): hits / the most any ``k`` places could have captured (1 = perfect);
- **PEI\\*** (Hunt 2016): the smallest number of places that could have captured as many events,
  divided by ``k`` (1 = no smaller area would do);
- **RRI** (recapture rate index, Levine 2008): hit rate on the new events over the hit rate of the
  same places on a reference (training) period, ``(hits/N) / (ref_hits/ref_N)``.

``level`` is a share of the places (``0.01`` = 1 % of the area, ``k = round(level * n)``, at least 1)
or, with ``top_n``, a fixed number of places. *Area* is the number of places passed, so say what
the places are: in backtests, every cell of the grid over the study events (see docs/forecast.md).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError


def cells_for(level: float, n: int) -> int:
    """Number of places for a share of the area (at least one)."""
    if not (0 < level <= 1):
        raise HotpatrolError("An area share must be in (0, 1].", parameter="levels",
                             allowed="numbers in (0, 1], e.g. 0.01 for 1 %", given=level)
    return max(1, int(round(level * n)))


def _ranking(forecast_or_order) -> np.ndarray:
    if hasattr(forecast_or_order, "ranking"):
        return forecast_or_order.ranking()
    return np.asarray(forecast_or_order, dtype=np.int64)


def _check_actual(actual, n: int) -> np.ndarray:
    actual = np.asarray(actual, dtype=float)
    if actual.shape != (n,):
        raise HotpatrolError("actual must have one value per place.", parameter="actual",
                             allowed=f"shape ({n},)", given=actual.shape)
    if not np.all(np.isfinite(actual)) or (actual < 0).any():
        raise HotpatrolError("actual must be finite and non-negative.", parameter="actual")
    return actual


def counts_at(forecast, actual, k: int, reference=None) -> dict:
    """Raw sums behind every metric for the top ``k`` places (pool these across windows)."""
    order = _ranking(forecast)
    actual = _check_actual(actual, len(order))
    k = int(min(max(k, 1), len(order)))
    top = order[:k]
    hits = float(actual[top].sum())
    best = np.sort(actual)[::-1]
    cum = np.cumsum(best)
    oracle = float(cum[k - 1])
    # the smallest number of places that could capture `hits` events
    a_star = int(np.searchsorted(cum, hits - 1e-9) + 1) if hits > 0 else 0
    out = {"k": k, "n": len(order), "hits": hits, "total": float(actual.sum()), "oracle_hits": oracle,
           "a_star": a_star}
    if reference is not None:
        reference = _check_actual(reference, len(order))
        out["ref_hits"] = float(reference[top].sum())
        out["ref_total"] = float(reference.sum())
    return out


def metrics_from_counts(c: dict) -> dict:
    """hit_rate, pai, pei, pei_star, rri from (possibly pooled) sums."""
    total, k, n = c["total"], c["k"], c["n"]
    hr = c["hits"] / total if total > 0 else np.nan
    out = {
        "hit_rate": hr,
        "pai": hr / (k / n) if total > 0 else np.nan,
        "pei": c["hits"] / c["oracle_hits"] if c["oracle_hits"] > 0 else np.nan,
        "pei_star": c["a_star"] / k if total > 0 else np.nan,
    }
    if "ref_hits" in c:
        ref = c["ref_hits"] / c["ref_total"] if c["ref_total"] > 0 else np.nan
        out["rri"] = hr / ref if ref and ref > 0 else np.nan
    return out


_METRIC_DOC = """
    Parameters
    ----------
    forecast : Forecast or array of int, shape (n,)
        A :class:`~hotpatrol.forecast.base.Forecast` (ranked with fair tie-breaking) or place indices,
        best first.
    actual : array of float, shape (n,)
        Events (count or harm) per place in the scored window; finite and non-negative.
    level : float
        Share of the places selected, in (0, 1]; ``k = round(level * n)``, at least 1.

    Returns
    -------
    float
        NaN when ``actual`` sums to 0.

    Raises
    ------
    HotpatrolError
        ``actual`` of the wrong shape, negative or non-finite; ``level`` outside (0, 1].
    """


def _at_level(forecast, actual, level: float, metric: str, reference=None) -> float:
    order = _ranking(forecast)
    return metrics_from_counts(counts_at(order, actual, cells_for(level, len(order)), reference))[metric]


def hit_rate(forecast, actual, level: float = 0.05) -> float:
    """Share of ``actual`` events in the top ``level`` share of places (``hits / N``)."""
    return _at_level(forecast, actual, level, "hit_rate")


def pai(forecast, actual, level: float = 0.05) -> float:
    """Predictive accuracy index (Chainey, Tompson & Uhlig 2008): hit rate / area share, ``(hits/N) / (k/n)``."""
    return _at_level(forecast, actual, level, "pai")


def pei(forecast, actual, level: float = 0.05) -> float:
    """Predictive efficiency index (Hunt 2016): hits / the most any ``k`` places captured (1 = perfect)."""
    return _at_level(forecast, actual, level, "pei")


def pei_star(forecast, actual, level: float = 0.05) -> float:
    """PEI* (Hunt 2016): fewest places that could capture the same hits, divided by ``k`` (1 = none fewer)."""
    return _at_level(forecast, actual, level, "pei_star")


def rri(forecast, actual, reference, level: float = 0.05) -> float:
    """Recapture rate index (Levine 2008): hit rate on ``actual`` over the same places' hit rate on ``reference``.

    ``reference`` is an array of float, shape (n,): events per place in the reference (training)
    period, checked like ``actual``. NaN when the reference hit rate is 0.
    """
    return _at_level(forecast, actual, level, "rri", reference)


for _f in (hit_rate, pai, pei, pei_star, rri):
    _f.__doc__ += _METRIC_DOC


def evaluate(forecast, actual, *, levels=(0.01, 0.05, 0.10), top_n=(), reference=None) -> pd.DataFrame:
    """One row per area share / top-N with every metric."""
    order = _ranking(forecast)
    rows = []
    for label, k in _levels(levels, top_n, len(order)):
        c = counts_at(order, actual, k, reference)
        rows.append({"level": label, **c, **metrics_from_counts(c)})
    return pd.DataFrame(rows)


def _levels(levels, top_n, n) -> list[tuple[str, int]]:
    out = [(f"{100 * lv:g}%", cells_for(lv, n)) for lv in levels]
    for t in top_n:
        if int(t) < 1:
            raise HotpatrolError("top_n must be positive integers.", parameter="top_n", given=t)
        out.append((f"top{int(t)}", min(int(t), n)))
    return out


def coverage_curve(forecast, actual, points: int = 201) -> tuple[np.ndarray, np.ndarray]:
    """Hit rate at area shares ``0..1`` (``points`` values): x = share of places, y = share of events."""
    order = _ranking(forecast)
    actual = _check_actual(actual, len(order))
    cum = np.concatenate([[0.0], np.cumsum(actual[order])])
    x = np.linspace(0, 1, points)
    k = np.round(x * len(order)).astype(int)
    total = actual.sum()
    return x, (cum[k] / total if total > 0 else np.full(points, np.nan))


def chance_oracle(rate, totals, ks, *, n_sim: int = 200, random_state=None) -> np.ndarray:
    """Hit rate the oracle would score if every window were Poisson chance around a steady ``rate``.

    ``rate``: expected events per place (any scale); ``totals``: events in each window (each
    window's draw is scaled to its total); ``ks``: numbers of places. Returns the pooled hit rate
    per ``k`` (mean over ``n_sim`` simulated sets of windows). Beside the observed oracle it shows
    how much of the oracle's lead over a forecast that knew the rate is chance: when the two agree,
    week-to-week luck explains the lead and no forecast made before the window can reach it.
    """
    rate = _check_actual(rate, len(np.asarray(rate)))
    if rate.sum() <= 0:
        raise HotpatrolError("rate must have a positive sum.", parameter="rate")
    totals = np.asarray(totals, dtype=float)
    ks = np.asarray([int(min(max(k, 1), len(rate))) for k in ks])
    rng = np.random.default_rng(random_state)
    hits = np.zeros(len(ks))
    events = 0.0
    share = rate / rate.sum()
    for total in totals:
        draws = np.sort(rng.poisson(share * total, size=(n_sim, len(rate))), axis=1)[:, ::-1]
        cum = np.cumsum(draws, axis=1)
        hits += cum[:, ks - 1].sum(0)
        events += cum[:, -1].sum()
    return hits / events if events > 0 else np.full(len(ks), np.nan)
