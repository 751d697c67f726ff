"""hotpatrol: harm-focused hotspot policing.

The package reads like the pipeline; each stage hands the next one documented object:

    ingest    -> events table            (hotpatrol.events)
    harm      -> per-event harm weights   (hotpatrol.harm)
    places    -> places layer / grid      (hotpatrol.places)
    hotspots  -> hotspot result
    forecast  -> forecast (risk surface)
    patrol    -> patrol plan
    evaluate  -> evaluation
    report    -> reports
"""

from hotpatrol.errors import HotpatrolError

__version__ = "0.1.0"
__all__ = ["HotpatrolError", "__version__"]
