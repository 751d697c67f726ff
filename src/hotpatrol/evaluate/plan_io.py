"""Reading a patrol plan (allocation + how to re-draw it) from a folder or file.

A plan folder holds ``allocation.csv`` (``day, hotspot_id, patrolled``), the hotspots
(``hotspots.csv``/``.gpkg``/``.geojson``) and, for randomisation inference, either what
``hotpatrol.patrol.design.Allocation.save`` writes (loaded with ``Allocation.load``) or a
``plan.json`` naming the scheme and its arguments (what ``hotpatrol simulate trial`` writes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

import pandas as pd

from hotpatrol.errors import HotpatrolError

HOTSPOT_FILES = ("hotspots.csv", "hotspots.gpkg", "hotspots.geojson")


@dataclass
class Plan:
    allocation: pd.DataFrame
    redraw: Callable[[int], pd.DataFrame] | None
    hotspots: Path | None


def _scheme_redraw(meta: dict) -> Callable[[int], pd.DataFrame] | None:
    scheme = meta.get("scheme")
    args = dict(hotspot_ids=meta["hotspot_ids"], start=meta["start"], days=int(meta["days"]), k=int(meta["k"]))
    if scheme == "random_allocation":
        from hotpatrol.evaluate.simulate import random_allocation

        return lambda seed: random_allocation(args["hotspot_ids"], start=args["start"], days=args["days"],
                                              k=args["k"], seed=seed)
    if scheme == "design.allocate":
        from hotpatrol.patrol.design import allocate

        extra = {k: meta[k] for k in ("block", "day_start") if k in meta}
        fn = partial(allocate, args["hotspot_ids"], start=args["start"], days=args["days"], k=args["k"], **extra)
        return lambda seed: pd.DataFrame(fn(seed=seed))[["day", "hotspot_id", "patrolled"]]
    return None


def load_plan(path: str | Path) -> Plan:
    """Load the allocation (and its re-draw function when the scheme is known) from a folder or CSV."""
    path = Path(path)
    if not path.exists():
        raise HotpatrolError(f"Plan {str(path)!r} does not exist.", parameter="plan", given=str(path))
    folder = path if path.is_dir() else path.parent
    hotspots = next((folder / f for f in HOTSPOT_FILES if (folder / f).exists()), None)
    try:  # the patrol-plan stage's own format, when that stage is installed
        from hotpatrol.patrol.design import Allocation  # type: ignore

        if hasattr(Allocation, "load"):
            try:
                a = Allocation.load(path)
                frame = pd.DataFrame(a)[["day", "hotspot_id", "patrolled"]]
                return Plan(frame, getattr(a, "redraw", None), hotspots)
            except (HotpatrolError, OSError, ValueError, KeyError, TypeError):
                pass
    except ImportError:
        pass
    csv = path if path.is_file() else folder / "allocation.csv"
    if not csv.exists():
        raise HotpatrolError(f"No allocation.csv in {str(folder)!r}.", parameter="plan", given=str(path),
                             fix="Point --plan at the folder 'hotpatrol plan' wrote, or give --allocation FILE.")
    frame = pd.read_csv(csv, dtype={"hotspot_id": str})
    missing = [c for c in ("day", "hotspot_id", "patrolled") if c not in frame.columns]
    if missing:
        raise HotpatrolError(f"The allocation lacks column(s) {missing}.", file=str(csv), column=missing[0])
    frame["day"] = pd.to_datetime(frame["day"])
    frame["patrolled"] = frame["patrolled"].astype(str).str.lower().isin(["true", "1", "yes"])
    redraw = None
    meta_path = folder / "plan.json"
    if meta_path.exists():
        redraw = _scheme_redraw(json.loads(meta_path.read_text()))
    return Plan(frame, redraw, hotspots)


def write_plan_meta(folder: str | Path, *, scheme: str, hotspot_ids, start, days: int, k: int, seed: int) -> Path:
    """Record how the allocation was drawn so evaluation can re-draw it."""
    p = Path(folder) / "plan.json"
    p.write_text(json.dumps({"scheme": scheme, "hotspot_ids": [str(h) for h in hotspot_ids], "start": str(start),
                             "days": int(days), "k": int(k), "seed": int(seed)}, indent=2))
    return p


def read_events_csv(path: str | Path) -> pd.DataFrame:
    """An events table saved as CSV (occurred_* parsed as datetimes)."""
    path = Path(path)
    if not path.exists():
        raise HotpatrolError(f"Events file {str(path)!r} does not exist.", parameter="events", given=str(path))
    ev = pd.read_csv(path, low_memory=False)
    for c in ("occurred_at", "occurred_from", "occurred_to"):
        if c in ev.columns:
            ev[c] = pd.to_datetime(ev[c], format="ISO8601", errors="coerce")
    if "category" not in ev.columns:
        raise HotpatrolError("The events file has no 'category' column.", file=str(path), column="category")
    return ev
