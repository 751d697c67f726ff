"""Hotspot statistics: ranking, kernel density, Getis-Ord Gi*, local Moran (LISA).

Every method takes a :class:`~hotpatrol.hotspots.data.Prepared` (events weighed and summed per
place by :func:`prepare`) and returns a :class:`~hotpatrol.results.HotspotResult`.
``METHODS`` maps the ``hotpatrol hotspots --method`` names to those functions; other stages add
theirs (``METHODS["emerging"] = fn``) with the signature ``fn(data: Prepared, **options)``.
Options left at ``None`` are dropped by :func:`run`, so a method only sees what the user set.
"""

from __future__ import annotations

import inspect
from typing import Callable

from hotpatrol.errors import HotpatrolError
from hotpatrol.hotspots.data import Prepared, prepare, select_events
from hotpatrol.results import HotspotResult, Summary


def _rank(data: Prepared, *, top=None, min_spacing=None, per_district_min=0, districts=None, district_column=None):
    from hotpatrol.hotspots.rank import assign_districts, rank_places

    district = None if districts is None else assign_districts(data.places, districts, column=district_column)
    return rank_places(data.values, data.places, top=top, min_spacing=min_spacing, district=district,
                       per_district_min=per_district_min, counts=data.counts)


def _kde(data: Prepared, *, bandwidth="silverman", kernel="quartic", edge="none", oversample=3):
    from hotpatrol.hotspots.kde import kernel_density

    return kernel_density(data.x, data.y, data.w, data.places, bandwidth=bandwidth, kernel=kernel, edge=edge,
                          oversample=oversample, values=data.values, counts=data.counts)


def _gi(data: Prepared, *, weights=None, distance=None, permutations=None, correction="fdr", seed=None,
        pvalue="sim"):
    from hotpatrol.hotspots.getis import getis_ord

    return getis_ord(data.values, data.places, weights=weights, distance=distance, permutations=permutations,
                     correction=correction, seed=seed, pvalue=pvalue, counts=data.counts)


def _lisa(data: Prepared, *, weights=None, distance=None, permutations=None, correction="fdr", seed=None,
          alpha=None, transform="r", pvalue="sim"):
    from hotpatrol.hotspots.lisa import local_moran

    return local_moran(data.values, data.places, weights=weights, distance=distance, permutations=permutations,
                       correction=correction, seed=seed, alpha=alpha, transform=transform, pvalue=pvalue,
                       counts=data.counts)


#: method name -> function(data: Prepared, **options) -> HotspotResult
METHODS: dict[str, Callable[..., HotspotResult]] = {"rank": _rank, "kde": _kde, "gi": _gi, "lisa": _lisa}

from hotpatrol.hotspots.trends import TREND_METHODS as _TREND_METHODS  # noqa: E402 (temporal methods)

METHODS.update(_TREND_METHODS)


def run(method: str, data: Prepared, **options) -> HotspotResult:
    """Run a registered method; ``None`` options are dropped, unknown ones raise."""
    if method not in METHODS:
        raise HotpatrolError("Unknown hotspot method.", parameter="method", allowed=sorted(METHODS), given=method)
    fn = METHODS[method]
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    given = {k: v for k, v in options.items() if v is not None}
    unknown = [k for k in given if k not in params and not takes_any]
    if unknown:
        raise HotpatrolError(
            f"Option(s) {unknown} do not apply to --method {method}.", parameter=unknown[0],
            allowed=[k for k in params if k != "data"], given=given[unknown[0]],
        )
    return fn(data, **given)


__all__ = ["METHODS", "HotspotResult", "Prepared", "Summary", "prepare", "run", "select_events"]
