"""The selection's constraints: checking and parsing them, pricing each one, and naming them in errors.

:func:`constraint_costs` re-solves the :class:`~hotpatrol.patrol.ilp.SelectionModel` without each
constraint group to give the harm that group costs; :func:`describe_constraint` puts a constraint of a
minimal conflicting set in words for the error message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.patrol.hotspot_table import NO_DISTRICT
from hotpatrol.patrol.ilp import SelectionModel


def constraint_costs(model: SelectionModel, items: list[str], covered: float) -> pd.DataFrame:
    """Price of each constraint group: the harm the selection would cover if that group were relaxed.

    Re-solves ``model`` once per group present in ``items`` (spacing, district minima, district
    maxima, exclusion zones, capacity) without it. Returns a frame with columns constraint,
    harm_if_relaxed, harm_cost (>= 0, harm units) and cost_pct (harm_cost as % of ``covered``).
    """
    groups = {"spacing": ["spacing"], "district_min": [i for i in items if i.startswith("district_min")],
              "district_max": [i for i in items if i.startswith("district_max")], "exclude": ["exclude"],
              "capacity": ["capacity"]}
    rows = []
    for g, members in groups.items():
        if not members or not set(members) <= set(items):
            continue
        _, relaxed, _ = model.solve([i for i in items if i not in members])
        rows.append({"constraint": g, "harm_if_relaxed": relaxed, "harm_cost": max(relaxed - covered, 0.0),
                     "cost_pct": 100 * max(relaxed - covered, 0.0) / covered if covered > 0 else 0.0})
    costs = pd.DataFrame(rows, columns=["constraint", "harm_if_relaxed", "harm_cost", "cost_pct"])
    return costs


def positive_int(name: str, value) -> int:
    """``value`` as an int after checking it is a whole number >= 1 (HotpatrolError naming ``name``)."""
    try:
        iv = int(value)
    except (TypeError, ValueError):
        iv = None
    if iv is None or iv != value or iv < 1:
        raise HotpatrolError(f"{name} must be a positive integer.", parameter=name, given=value)
    return iv


def district_bounds(spec, names: list[str], parameter: str) -> dict:
    """District bounds ``{district code: bound}`` from an int (every named district) or a ``{name: bound}``
    dict (old district names read as today's); HotpatrolError naming ``parameter`` for an unknown district."""
    if spec is None:
        return {}
    if isinstance(spec, dict):
        from hotpatrol.places.areas import current_labels

        keys = dict(zip(spec, current_labels([str(d) for d in spec])))  # "Shepway" -> "Folkestone and Hythe"
        unknown = [d for d in spec if keys[d] not in names]
        if unknown:
            raise HotpatrolError("Unknown district in bounds.", parameter=parameter, allowed=names, given=unknown)
        return {names.index(keys[d]): int(v) for d, v in spec.items()}
    # an int applies to every named district, not to places outside all districts
    return {i: int(spec) for i, name in enumerate(names) if name != NO_DISTRICT}


def describe_exclude(exclude) -> Any:
    """The exclusion zones as JSON-safe text for the selection's constraints (paths, or type names)."""
    if exclude is None:
        return None
    items = exclude if isinstance(exclude, (list, tuple)) else [exclude]
    return [str(i) if isinstance(i, (str, Path)) else type(i).__name__ for i in items]


def describe_constraint(item: str, model: SelectionModel, c: dict) -> str:
    """One relaxable constraint ``item`` (as named by :meth:`SelectionModel.items`) in words, with its figures."""
    if item == "n":
        return f"n={c['n']} (select exactly {c['n']} of {len(model.harm)} candidate places)"
    if item == "spacing":
        return f"min_spacing={c['min_spacing']:g} m ({len(model.pairs)} candidate pairs closer than that)"
    if item.startswith("district_min["):
        d = item[len("district_min["):-1]
        code = model.district_names.index(d)
        return f"{item}={model.dmin[code]} ({int((model.district == code).sum())} candidates in {d!r})"
    if item.startswith("district_max["):
        d = item[len("district_max["):-1]
        return f"{item}={model.dmax[model.district_names.index(d)]}"
    if item == "exclude":
        return f"exclude ({int(model.excluded.sum())} candidate places inside excluded zones)"
    if item == "capacity":
        return (f"capacity_hours={c['capacity_hours']:g} (each selected hotspot costs about "
                f"{float(np.min(model.cost)):.2f} officer-hours a day: k/n x visits x (dwell + travel) / 60, "
                f"so {c['n']} need at least {float(np.sort(model.cost)[:c['n']].sum()):.1f} h)")
    return item
