"""Places: metric projection, square grids, H3 cells and polygon layers.

The places layer a stage hands on is a :class:`Grid` (square cells addressed by an integer id,
row-major from the south-west corner) or a GeoDataFrame of polygons with a ``place_id`` column.
"""

from hotpatrol.places.crs import BNG, choose_metric_crs, project
from hotpatrol.places.grid import DEFAULT_CELL, Grid
from hotpatrol.places.layer import PlacesLayer

__all__ = ["BNG", "DEFAULT_CELL", "Grid", "PlacesLayer", "choose_metric_crs", "project"]
