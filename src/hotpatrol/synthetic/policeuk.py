"""police.uk publication of the synthetic events: Crime IDs, snap points, outcomes and CSV files.

Mirrors what data.police.uk does to a force's records: each crime is moved to the nearest
anonymous map point ("On or near <street>"), given the LSOA of that point and a 64-hex Crime ID;
ASB incidents get no Crime ID and no outcome; ~1% are published with no location; each crime's
latest outcome is shown in the street file and its outcome event in the month it was recorded.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

FORCE = "Synthshire Police"
FORCE_SLUG = "synthshire"
STREET_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                  "LSOA code", "LSOA name", "Crime type", "Last outcome category", "Context"]
OUTCOME_COLUMNS = ["Crime ID", "Month", "Reported by", "Falls within", "Longitude", "Latitude", "Location",
                   "LSOA code", "LSOA name", "Outcome type"]
NO_LOCATION_SHARE = 0.011  # Kent 2021-22: 1.1% of rows have no coordinates

# Outcome type (outcomes file) probabilities by category group; the rest of the probability mass
# goes to "Unable to prosecute suspect". Charged ~6%, solved (charge/caution/resolution/PND/warning) ~9%.
_DEFAULT = {"Investigation complete; no suspect identified": 0.30, "Suspect charged": 0.055,
            "Offender given a caution": 0.010, "Local resolution": 0.013, "Offender given penalty notice": 0.001,
            "Action to be taken by another organisation": 0.025,
            "Further investigation is not in the public interest": 0.024,
            "Formal action is not in the public interest": 0.002, "Further action is not in the public interest": 0.002}
_OUTCOMES: dict[str, dict[str, float]] = {
    "Violence and sexual offences": {**_DEFAULT, "Investigation complete; no suspect identified": 0.12,
                                     "Suspect charged": 0.05},
    "Public order": {**_DEFAULT, "Investigation complete; no suspect identified": 0.25},
    "Drugs": {"Suspect charged": 0.22, "Offender given a caution": 0.07, "Local resolution": 0.06,
              "Offender given a drugs possession warning": 0.25, "Offender given penalty notice": 0.04,
              "Investigation complete; no suspect identified": 0.03,
              "Further investigation is not in the public interest": 0.08},
    "Possession of weapons": {**_DEFAULT, "Suspect charged": 0.35, "Offender given a caution": 0.08,
                              "Investigation complete; no suspect identified": 0.08},
    "Shoplifting": {**_DEFAULT, "Suspect charged": 0.14, "Offender given a caution": 0.02, "Local resolution": 0.04,
                    "Investigation complete; no suspect identified": 0.50},
    "Burglary": {**_DEFAULT, "Investigation complete; no suspect identified": 0.70, "Suspect charged": 0.035},
    "Vehicle crime": {**_DEFAULT, "Investigation complete; no suspect identified": 0.80, "Suspect charged": 0.02},
    "Bicycle theft": {**_DEFAULT, "Investigation complete; no suspect identified": 0.82, "Suspect charged": 0.01},
    "Other theft": {**_DEFAULT, "Investigation complete; no suspect identified": 0.65, "Suspect charged": 0.03},
    "Theft from the person": {**_DEFAULT, "Investigation complete; no suspect identified": 0.78,
                              "Suspect charged": 0.03},
    "Robbery": {**_DEFAULT, "Investigation complete; no suspect identified": 0.45, "Suspect charged": 0.09},
    "Criminal damage and arson": {**_DEFAULT, "Investigation complete; no suspect identified": 0.55,
                                  "Suspect charged": 0.04},
    "Other crime": {**_DEFAULT, "Investigation complete; no suspect identified": 0.20, "Suspect charged": 0.08},
}
SOLVED = ("Suspect charged", "Offender given a caution", "Local resolution", "Offender given penalty notice",
          "Offender given a drugs possession warning")
# What the street file shows for a charged crime (court stage or result).
_COURT = {"Awaiting court outcome": 0.35, "Court result unavailable": 0.25, "Offender sent to prison": 0.12,
          "Offender given community sentence": 0.10, "Offender fined": 0.08,
          "Offender given suspended prison sentence": 0.05, "Defendant found not guilty": 0.05}


def _month_text(ordinal: np.ndarray) -> np.ndarray:
    """'YYYY-MM' for month ordinals (months since 1970-01), via the few distinct values."""
    uniq, inv = np.unique(ordinal, return_inverse=True)
    text = np.datetime_as_string(uniq.astype("datetime64[M]"), unit="M").astype(object)
    return text[inv]


def format_coord(v) -> np.ndarray:
    """Coordinates as police.uk prints them: exactly 6 decimals, '' when missing (vectorised)."""
    v = np.asarray(v, dtype=float)
    codes, uniq = pd.factorize(v)  # events share a few thousand snap points: format each once
    if len(uniq) < len(v):
        text = _format_coord(np.asarray(uniq, dtype=float))
        return np.where(codes >= 0, text[np.clip(codes, 0, None)] if len(uniq) else "", "").astype(object)
    return _format_coord(v)


def _format_coord(v: np.ndarray) -> np.ndarray:
    ok = np.isfinite(v)
    micro = np.round(np.abs(np.where(ok, v, 0)) * 1e6).astype(np.int64)
    sign = np.where(v < 0, "-", "")
    whole = (micro // 1_000_000).astype(str)
    frac = np.char.zfill((micro % 1_000_000).astype(str), 6)
    text = np.char.add(np.char.add(np.char.add(sign, whole), "."), frac)
    return np.where(ok, text, "").astype(object)


def crime_ids(rng, n: int) -> np.ndarray:
    """``n`` random 64-hex-digit ids like police.uk's (vectorised: nibbles -> ASCII -> S64 view)."""
    nibbles = rng.integers(0, 16, size=(n, 64), dtype=np.uint8)
    ascii_ = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)[nibbles]
    return np.ascontiguousarray(ascii_).view("S64").ravel().astype(str).astype(object)


def _choose(rng, probs: dict[str, float], n: int) -> np.ndarray:
    keys = list(probs) + ["Unable to prosecute suspect"]
    p = np.array(list(probs.values()) + [max(0.0, 1 - sum(probs.values()))])
    return np.asarray(keys, dtype=object)[rng.choice(len(keys), size=n, p=p / p.sum())]


def assign_outcomes(rng, ev: pd.DataFrame, last_month: pd.Period) -> pd.DataFrame:
    """Outcome type, outcome month and street-file 'Last outcome category' for each crime."""
    n = len(ev)
    outcome = np.full(n, None, dtype=object)
    cats = ev["category"].to_numpy()
    for cat, probs in _OUTCOMES.items():
        m = cats == cat
        if m.any():
            outcome[m] = _choose(rng, probs, int(m.sum()))
    is_crime = cats != "Anti-social behaviour"
    t = ev["occurred_at"].to_numpy()
    crime_month = t.astype("datetime64[M]").astype(np.int64)  # months since 1970-01 == Period ordinal
    # outcome recorded 0-several months after the crime; charges take longer
    lag = rng.geometric(np.where(outcome == "Suspect charged", 0.3, 0.55)) - 1
    out_month = crime_month + lag
    recorded = is_crime & (out_month <= last_month.ordinal)
    street = outcome.copy()
    charged = outcome == "Suspect charged"
    street[charged] = _choose(rng, _COURT, int(charged.sum()))
    # a share of published crimes carry police.uk's own placeholder
    unavailable = rng.random(n) < 0.035
    street[unavailable & recorded] = "Status update unavailable"
    street[is_crime & ~recorded] = "Under investigation"
    street[~is_crime] = None
    outcome[~recorded] = None
    return pd.DataFrame({
        "outcome_type": outcome,
        "outcome_month": np.where(recorded, _month_text(out_month), None),
        "last_outcome": street,
    }, index=ev.index)


def _force_and_place(rows: pd.DataFrame, located: np.ndarray, no_location: str) -> dict:
    """The police.uk columns from "Reported by" to "LSOA name"; unpublished rows get no place."""
    return {
        "Reported by": FORCE,
        "Falls within": FORCE,
        "Longitude": format_coord(np.where(located, rows["snap_lon"], np.nan)),
        "Latitude": format_coord(np.where(located, rows["snap_lat"], np.nan)),
        "Location": np.where(located, rows["location"].to_numpy(dtype=object), no_location),
        "LSOA code": np.where(located, rows["lsoa_code"].to_numpy(dtype=object), ""),
        "LSOA name": np.where(located, rows["lsoa_name"].to_numpy(dtype=object), ""),
    }


def street_frame(ev: pd.DataFrame) -> pd.DataFrame:
    """The police.uk street rows (exact column names and order) for events ``ev``."""
    located = ev["published"].to_numpy()
    return pd.DataFrame({
        "Crime ID": ev["crime_id"].fillna("").to_numpy(),
        "Month": ev["month"].to_numpy(),
        **_force_and_place(ev, located, "No Location"),
        "Crime type": ev["category"].to_numpy(),
        "Last outcome category": ev["outcome"].fillna("").to_numpy(),
        "Context": "",
    })


def outcome_frame(ev: pd.DataFrame) -> pd.DataFrame:
    """The police.uk outcomes rows for crimes whose outcome has been recorded."""
    o = ev[ev["outcome_type"].notna()]
    located = o["published"].to_numpy()
    return pd.DataFrame({
        "Crime ID": o["crime_id"].to_numpy(),
        "Month": o["outcome_month"].to_numpy(),
        **_force_and_place(o, located, "No location"),  # police.uk spells it so in outcomes files
        "Outcome type": o["outcome_type"].to_numpy(),
    })


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


def csv_lines(frame: pd.DataFrame, verbatim=("Crime ID",)) -> np.ndarray:
    """One CSV line per row (RFC 4180 quoting where needed).

    Columns hold few distinct values (months, categories, snap points), so each column is factorised
    and only its distinct values are formatted; rows are then joined at C speed.
    """
    cols = []
    for name in frame.columns:
        if name in verbatim:  # unique, quote-free values (hex ids): hashing them would be wasted work
            col = frame[name].to_numpy(dtype=object)
            cols.append(np.where(pd.isna(col), "", col).tolist())
            continue
        codes, uniq = pd.factorize(frame[name].to_numpy(dtype=object), use_na_sentinel=True)
        uniq = [str(u) for u in uniq]
        blob = "\x00".join(uniq)  # one C-speed scan decides whether any value needs quoting
        if "," in blob or '"' in blob or "\n" in blob:
            uniq = [_quote(u) for u in uniq]
        text = np.array(uniq + [""], dtype=object)
        cols.append(text[codes].tolist())  # code -1 (missing) picks the trailing ""
    return np.array(list(map(",".join, zip(*cols))), dtype=object)


def write_csv(frame: pd.DataFrame, path: Path, lines: np.ndarray | None = None, verbatim=("Crime ID",)) -> None:
    """Write ``frame`` (or pre-built ``lines`` under its header) as a CSV file."""
    lines = csv_lines(frame, verbatim) if lines is None else lines
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(frame.columns) + "\n")
        if len(lines):
            fh.write("\n".join(lines) + "\n")


def write_archive(ev: pd.DataFrame, out: Path, duplicates: pd.DataFrame | None = None) -> dict[str, list[Path]]:
    """Write ``YYYY-MM/YYYY-MM-synthshire-street.csv`` and ``-outcomes.csv`` for every month."""
    street = street_frame(ev)
    if duplicates is not None and len(duplicates):
        street = pd.concat([street, duplicates[STREET_COLUMNS]], ignore_index=True)
    outcomes = outcome_frame(ev)
    months = sorted(set(street["Month"]))
    paths = {"street": [], "outcomes": []}
    for kind, frame, cols in (("street", street, STREET_COLUMNS), ("outcomes", outcomes, OUTCOME_COLUMNS)):
        lines = csv_lines(frame[cols])
        month = frame["Month"].to_numpy(dtype=object)
        order = np.argsort(month, kind="stable")
        bounds = np.searchsorted(month[order], months + [chr(0x10FFFF)])
        for i, m in enumerate(months):
            d = out / m
            d.mkdir(parents=True, exist_ok=True)
            path = d / f"{m}-{FORCE_SLUG}-{kind}.csv"
            write_csv(frame[cols].iloc[:0], path, lines[order[bounds[i]:bounds[i + 1]]])
            paths[kind].append(path)
    return paths
