"""One entry point for the temporal hotspot analyses: events + places -> cube -> result.

``analyse(method, events, places, ...)`` builds the space-time cube (:func:`build_cube`) with the
category filter, window, period length and harm scheme, then runs ``concentration``, ``stability``,
``emerging`` or ``change``. The CLI (``hotpatrol trends <method>`` and ``hotpatrol hotspots --method``)
only calls this.
"""

from __future__ import annotations

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


def analyse(
    method: str,
    events,
    places,
    *,
    freq: str = "M",
    scheme: str = "count",
    categories=None,
    start=None,
    end=None,
    top: int = 20,
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
    are then of those places.
    """
    from hotpatrol.hotspots.cube import build_cube

    check_choice("method", method, METHODS)
    cube = build_cube(events, places, freq=freq, scheme=scheme, categories=categories, start=start, end=end,
                      drop_empty=drop_empty)
    if method == "concentration":
        from hotpatrol.hotspots.concentration import concentration

        return concentration(cube)
    if method == "stability":
        from hotpatrol.hotspots.stability import stability

        return stability(cube, top=top)
    if method == "emerging":
        from hotpatrol.hotspots.emerging import emerging

        return emerging(cube, weights=weights, distance=distance, time_lag=time_lag, alpha=alpha, fdr=fdr)
    from hotpatrol.hotspots.change import change

    wa, wb = parse_window(before), parse_window(after)
    if (wa is None) != (wb is None):
        raise HotpatrolError("Give both --before and --after windows, or neither (halves).", parameter="before/after")
    if wa is None:
        if cube.n_periods < 2:
            raise HotpatrolError("Change needs at least two periods.", parameter="start/end", given=cube.n_periods)
        half = cube.n_periods // 2
        labels = cube.labels
        wa, wb = (labels[0], labels[half - 1]), (labels[half], labels[-1])
    return change(wa, wb, cube=cube, top=top)
