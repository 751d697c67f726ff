"""One entry point for the temporal hotspot analyses: events + places -> cube -> result.

``analyse(method, events, places, ...)`` builds the space-time cube (:func:`build_cube`) with the
category filter, window, period length and harm scheme, then runs ``concentration``, ``stability``,
``emerging`` or ``change``. The CLI (``hotpatrol trends <method>`` and ``hotpatrol hotspots --method``)
only calls this.
"""

from __future__ import annotations

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError, check_choice

METHODS = ("concentration", "stability", "emerging", "change")


def parse_window(text):
    """``"2024-01:2024-06"`` -> ``("2024-01", "2024-06")``; ``"2024-03"`` -> ``("2024-03", "2024-03")``."""
    if text is None:
        return None
    if isinstance(text, (tuple, list)):
        if len(text) != 2:
            raise HotpatrolError("A window is (start, end).", parameter="window", given=text)
        return tuple(text)
    parts = str(text).split(":")
    if len(parts) == 1:
        return (parts[0], parts[0])
    if len(parts) != 2 or not parts[0] or not parts[1]:
        raise HotpatrolError("A window is START:END (e.g. 2024-01:2024-06) or one period.", parameter="window",
                             given=text)
    return (parts[0], parts[1])


def windows(cube, before=None, after=None):
    """The before/after windows for change: as given, or the first and second halves of the cube."""
    wa, wb = parse_window(before), parse_window(after)
    if (wa is None) != (wb is None):
        raise HotpatrolError("Give both --before and --after windows, or neither (halves).", parameter="before/after")
    if wa is None:
        if cube.n_periods < 2:
            raise HotpatrolError("Change needs at least two periods.", parameter="start/end", given=cube.n_periods)
        half = cube.n_periods // 2
        wa, wb = (cube.labels[0], cube.labels[half - 1]), (cube.labels[half], cube.labels[-1])
    return wa, wb


def analyse(
    method: str,
    events,
    places,
    *,
    freq: str = "M",
    scheme: str | None = None,
    categories=None,
    start=None,
    end=None,
    top: int | None = None,
    time_lag: int = 1,
    weights: str | None = None,
    distance: float | None = None,
    alpha: float | None = None,
    fdr: bool = True,
    before=None,
    after=None,
    drop_empty: bool = True,
):
    """Run one temporal hotspot method on ``events`` over ``places``; returns its HotspotResult.

    ``change`` compares the ``before`` and ``after`` windows (``"START:END"`` or one period); by
    default the first and second halves of the cube's periods. ``drop_empty`` (default) keeps only
    places with at least one event after the filters (see :func:`build_cube`); concentration shares
    are then of those places. ``scheme`` ``None`` or ``"harm"`` and ``top`` ``None`` take the
    ``scheme`` and ``top`` settings (the defaults of ``hotpatrol hotspots --method``, too).
    """
    from hotpatrol.hotspots.cube import build_cube

    check_choice("method", method, METHODS)
    cube = build_cube(events, places, freq=freq, scheme=_scheme(scheme), categories=categories, start=start, end=end,
                      drop_empty=drop_empty)
    return run_on_cube(method, cube, top=top, time_lag=time_lag, weights=weights, distance=distance, alpha=alpha,
                       fdr=fdr, before=before, after=after)


def analyse_all(events, places, *, methods=METHODS, freq: str = "M", scheme: str | None = None, categories=None,
                start=None, end=None, drop_empty: bool = True, **options) -> dict:
    """Every method in ``methods`` on one cube (built once); ``{method: result}`` in that order.

    Write them together with :func:`hotpatrol.hotspots.maps.write_geopackage` (one layer each).
    """
    from hotpatrol.hotspots.cube import build_cube

    for m in methods:
        check_choice("method", m, METHODS)
    cube = build_cube(events, places, freq=freq, scheme=_scheme(scheme), categories=categories, start=start, end=end,
                      drop_empty=drop_empty)
    return {m: run_on_cube(m, cube, **options) for m in methods}


def _scheme(scheme):
    """``None`` or ``"harm"``: the ``scheme`` setting, read now (one default for every hotspot route)."""

    return settings.get("scheme") if scheme in (None, "harm") else scheme


def run_on_cube(method: str, cube, *, top: int | None = None, time_lag: int = 1, weights: str | None = None,
                distance: float | None = None, alpha: float | None = None, fdr: bool = True, before=None,
                after=None):
    """One temporal method on an existing :class:`~hotpatrol.hotspots.cube.SpaceTimeCube`."""
    check_choice("method", method, METHODS)
    if method == "concentration":
        from hotpatrol.hotspots.concentration import concentration

        return concentration(cube)
    if method == "stability":
        from hotpatrol.hotspots.stability import stability

        return stability(cube, top=settings.resolve("top", top))
    if method == "emerging":
        from hotpatrol.hotspots.emerging import emerging

        return emerging(cube, weights=weights, distance=distance, time_lag=time_lag, alpha=alpha, fdr=fdr)
    from hotpatrol.hotspots.change import change

    return change(*windows(cube, before, after), cube=cube, top=settings.resolve("top", top))


# --- adapters for the ``hotpatrol hotspots --method`` registry (hotpatrol.hotspots.METHODS) -------------
# The registry calls ``fn(data: Prepared, **options)``; Prepared holds the places (study area) and
# per-place totals but no event times, so the CLI also passes the filtered ``events``.


def _cube_from_prepared(data, events, scheme, freq, start, end, categories=None):
    from hotpatrol.hotspots.cube import build_cube

    if events is None:
        raise HotpatrolError("Temporal hotspot methods need the events (their times), not only totals.",
                             parameter="events", fix="Call hotpatrol.hotspots.trends.analyse(method, events, places).")
    return build_cube(events, data.places, freq=freq or "M", scheme=_scheme(scheme), start=start, end=end,
                      categories=categories)


def _concentration(data, *, events=None, scheme=None, freq=None, start=None, end=None, categories=None):
    from hotpatrol.hotspots.concentration import concentration

    return concentration(_cube_from_prepared(data, events, scheme, freq, start, end, categories))


def _stability(data, *, events=None, scheme=None, freq=None, start=None, end=None, top=None, categories=None):
    from hotpatrol.hotspots.stability import stability

    cube = _cube_from_prepared(data, events, scheme, freq, start, end, categories)
    return stability(cube, top=settings.get("top") if top is None else top)


def _emerging(data, *, events=None, scheme=None, freq=None, start=None, end=None, weights=None, distance=None,
              time_lag=None, alpha=None, correction=None, categories=None):
    from hotpatrol.hotspots.emerging import emerging

    if correction not in (None, "fdr", "none"):
        raise HotpatrolError("Emerging hot spots correct bins with FDR or not at all.", parameter="correction",
                             allowed=["fdr", "none"], given=correction)
    cube = _cube_from_prepared(data, events, scheme, freq, start, end, categories)
    return emerging(cube, weights=weights, distance=distance, time_lag=1 if time_lag is None else time_lag,
                    alpha=alpha, fdr=correction != "none")


def _change(data, *, events=None, scheme=None, freq=None, start=None, end=None, top=None, before=None, after=None,
            categories=None):
    from hotpatrol.hotspots.change import change

    cube = _cube_from_prepared(data, events, scheme, freq, start, end, categories)
    return change(*windows(cube, before, after), cube=cube, top=settings.get("top") if top is None else top)


#: method name -> fn(data: Prepared, **options), merged into hotpatrol.hotspots.METHODS
TREND_METHODS = {"concentration": _concentration, "stability": _stability, "emerging": _emerging,
                 "change": _change}
