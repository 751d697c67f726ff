"""Places: metric projection, square grids, H3 cells, police.uk snap points and polygon layers.

Every kind is a :class:`PlacesLayer` (``n`` places with ids, centroids, geometry and a vectorised
``assign(x, y)``); :func:`build` makes the one a stage asks for (``unit="grid"|"h3"|"locations"``
or a boundary file path).
"""

from hotpatrol.places.crs import BNG, choose_metric_crs, project
from hotpatrol.places.grid import DEFAULT_CELL, Grid
from hotpatrol.places.layer import PlacesLayer
from hotpatrol.places.units import UNITS, build, event_xy

__all__ = [
    "BNG", "DEFAULT_CELL", "Grid", "PlacesLayer", "UNITS", "build", "choose_metric_crs", "event_xy", "project",
    "read_places", "assign_polygons", "h3_places", "location_places",
]


def __getattr__(name):  # lazy: geopandas/h3 load only when these are used
    if name in ("read_places", "assign_polygons"):
        from hotpatrol.places import polygons

        return getattr(polygons, name)
    if name == "h3_places":
        from hotpatrol.places.h3cells import h3_places

        return h3_places
    if name == "location_places":
        from hotpatrol.places.locations import location_places

        return location_places
    raise AttributeError(name)
