"""Reading a patrol plan (the allocation, how to re-draw it, and the hotspots) from disk.

Accepted: a folder written by ``hotpatrol plan create`` (``PatrolPlan.save``: ``plan.json``,
``allocation.csv/.json``, ``hotspots.csv`` with ``place_id, x, y`` and the cell size and CRS in
``plan.json``), a folder written by ``hotpatrol simulate trial``, an ``allocation.csv`` saved by
``Allocation.save`` (with its ``.json``: scheme + SHA-256, so it can be re-drawn), or a bare
``day, hotspot_id, patrolled`` CSV (no re-draws: randomisation inference is then skipped).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from hotpatrol.errors import HotpatrolError

HOTSPOT_FILES = ("hotspots.csv", "hotspots.gpkg", "hotspots.geojson")


@dataclass
class Plan:
    """A patrol plan read for evaluation: its allocation table and a re-draw function for randomisation inference (None when the scheme is unknown)."""
    allocation: pd.DataFrame
    redraw: Callable[[int], pd.DataFrame] | None
    hotspots: object  # DataFrame (plan folders), a file path, or None
    design: object = None  # hotpatrol.patrol.design.Allocation when stored


def allocation_redraw(alloc) -> Callable[[int], pd.DataFrame]:
    """A ``redraw(seed) -> DataFrame`` for an :class:`~hotpatrol.patrol.design.Allocation`
    (carrying the Allocation so randomisation inference can use its fast matrix path)."""

    def redraw(seed: int) -> pd.DataFrame:
        return alloc.redraw(seed).frame

    redraw.allocation = alloc
    return redraw


def load_plan(path: str | Path) -> Plan:
    """Load the allocation (with its re-draw function when the scheme is stored) and the hotspots."""
    from hotpatrol.patrol.design import Allocation

    path = Path(path)
    if not path.exists():
        raise HotpatrolError(f"Plan {str(path)!r} does not exist.", parameter="plan", given=str(path))
    folder = path if path.is_dir() else path.parent
    csv = path if path.is_file() else folder / "allocation.csv"
    if not csv.exists():
        raise HotpatrolError(f"No allocation.csv in {str(folder)!r}.", parameter="plan", given=str(path),
                             fix="Point --plan at the folder 'hotpatrol plan create' wrote, or give --allocation FILE.")
    design = redraw = None
    if csv.with_suffix(".json").exists():
        design = Allocation.load(csv)  # checks the SHA-256: an edited allocation is refused
        frame = design.to_frame()
        redraw = allocation_redraw(design)
    else:
        frame = pd.read_csv(csv, dtype={"hotspot_id": str})
        missing = [c for c in ("day", "hotspot_id", "patrolled") if c not in frame.columns]
        if missing:
            raise HotpatrolError(f"The allocation lacks column(s) {missing}.", file=str(csv), column=missing[0])
        frame["patrolled"] = frame["patrolled"].astype(str).str.lower().isin(["true", "1", "yes"])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["hotspot_id"] = frame["hotspot_id"].astype(str)
    hotspots = None
    meta_path = folder / "plan.json"
    if path.is_dir() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("format") == "hotpatrol.plan" and (folder / "hotspots.csv").exists():
            hs = pd.read_csv(folder / "hotspots.csv", dtype={"place_id": str, "hotspot_id": str})
            params = meta.get("params", {})
            if "cell" not in hs.columns:
                hs["cell"] = float(params.get("cell") or 150.0)
            if "crs" not in hs.columns:
                hs["crs"] = params.get("crs") or "EPSG:27700"
            hotspots = hs
    if hotspots is None and path.is_dir():
        hotspots = next((folder / f for f in HOTSPOT_FILES if (folder / f).exists()), None)
    return Plan(frame, redraw, hotspots, design)


def read_events_csv(path: str | Path) -> pd.DataFrame:
    """An events table saved as a file, read by the one reader (:func:`hotpatrol.reader.read`).

    Raises a HotpatrolError naming the file when it is missing, unreadable, or has no categories
    (evaluations count crimes by category).
    """
    from hotpatrol.reader import read

    path = Path(path)
    if not path.exists():
        raise HotpatrolError(f"Events file {str(path)!r} does not exist.", parameter="events", given=str(path))
    ev = read(path)
    if ev["category"].isna().all():
        raise HotpatrolError("The events file has no 'category' column.", file=str(path), column="category")
    return ev
