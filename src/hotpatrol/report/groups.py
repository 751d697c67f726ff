"""Report groups: one editable table mapping police.uk categories and Home Office offence codes to the
groups a performance report shows, and one mapping police.uk outcome types to "solved"/"charged".

Both tables ship as CSV beside this module (``groups.csv``, ``outcome_types.csv``); pass your own file to
change them. A group defined only by offence codes cannot be computed from police.uk data (which has a
single "Burglary" category): :meth:`CategoryGroups.members` reports that instead of guessing.

police.uk labels used before May 2013 that were renamed (``hotpatrol.events.LEGACY_RENAMES``: "Violent crime"
-> "Violence and sexual offences") count in every group that holds their successor, so a group table need
not list them. Labels that were split ("Public disorder and weapons", the old "Other theft") cannot be
mapped to one successor; the report says where a comparison spans such a change
(:func:`hotpatrol.events.category_changes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import with_legacy

_SOURCES = ("category", "offence_code")


@dataclass(frozen=True)
class CategoryGroups:
    """The group table: columns ``group, source (category|offence_code), key, note``."""

    table: pd.DataFrame

    @property
    def names(self) -> list[str]:
        """Group names in table order."""
        return list(dict.fromkeys(self.table["group"]))

    def note(self, group: str) -> str:
        """The notes of ``group``'s rows joined with ``; `` (empty when none)."""
        notes = [n for n in self.table.loc[self.table["group"] == group, "note"] if isinstance(n, str) and n]
        return "; ".join(dict.fromkeys(notes))

    def categories(self, group: str) -> list[str] | None:
        """The category labels counted in ``group`` (legacy renames included), or None if it has none."""
        if group not in self.names:
            raise HotpatrolError("Unknown report group.", parameter="groups", allowed=self.names, given=group)
        rows = self.table[(self.table["group"] == group) & (self.table["source"] == "category")]
        if rows.empty:
            return None
        return with_legacy(list(dict.fromkeys(rows["key"])))

    def members(self, events: pd.DataFrame, group: str) -> tuple[np.ndarray | None, str | None]:
        """Boolean mask of events in ``group``, or (None, reason) when the data cannot separate it."""
        if group not in self.names:
            raise HotpatrolError("Unknown report group.", parameter="groups", allowed=self.names, given=group)
        rows = self.table[self.table["group"] == group]
        mask = np.zeros(len(events), dtype=bool)
        usable = False
        for source, keys in rows.groupby("source")["key"]:
            column = events.get(source)
            if column is None or column.notna().sum() == 0:
                continue
            usable = True
            wanted = with_legacy(list(dict.fromkeys(keys))) if source == "category" else list(keys)
            mask |= column.astype("object").isin(set(wanted)).to_numpy()
        if not usable:
            sources = sorted(set(rows["source"]))
            reason = (
                f"{group}: not available from these data (the group is defined by {', '.join(sources)}, "
                "which the records lack; police.uk publishes one 'Burglary' category, so residential and "
                "business burglary cannot be separated)"
                if sources == ["offence_code"]
                else f"{group}: not available from these data (no {', '.join(sources)} column)"
            )
            return None, reason
        return mask, None


def load_groups(path: str | Path | None = None) -> CategoryGroups:
    """Read the group table (the packaged ``groups.csv`` by default)."""
    table = _read(path, "groups.csv", ("group", "source", "key"))
    bad = ~table["source"].isin(_SOURCES)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise HotpatrolError(
            f"Unknown source {table['source'].iloc[row]!r} in the group table.",
            file=str(path or "groups.csv"), row=row + 2, column="source",
            fix=f"Use one of {list(_SOURCES)}.",
        )
    if "note" not in table.columns:
        table["note"] = ""
    return CategoryGroups(table)


def load_outcome_map(path: str | Path | None = None) -> pd.DataFrame:
    """Outcome type -> solved (0/1), charged (0/1). Charged implies solved."""
    table = _read(path, "outcome_types.csv", ("outcome", "solved", "charged"))
    for col in ("solved", "charged"):
        values = pd.to_numeric(table[col], errors="coerce")
        bad = ~values.isin([0, 1])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise HotpatrolError("Outcome flags must be 0 or 1.", file=str(path or "outcome_types.csv"), row=row + 2, column=col)
        table[col] = values.astype(bool)
    return table


def _read(path, default_name: str, required: tuple[str, ...]) -> pd.DataFrame:
    if path is None:
        with resources.files("hotpatrol.report").joinpath(default_name).open("r") as fh:
            table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    else:
        if not Path(path).exists():
            raise HotpatrolError("Table file not found.", file=str(path), parameter="path")
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in required:
        if col not in table.columns:
            raise HotpatrolError(f"Column {col!r} is missing.", file=str(path or default_name), column=col)
    return table
