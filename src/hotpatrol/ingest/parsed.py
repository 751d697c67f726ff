"""What a parser hands the ingest loop: rows for one store table, aligned with the raw rows."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.ingest.checks import Checks

HASH_KEY = "hotpatrol-ingest"  # siphash key for content hashes: fixed so ids are stable across runs


@dataclass
class Parsed:
    """One raw file parsed into rows of a store table, with the per-row quarantine state."""
    table: str  # events | outcomes | stop_search
    key: str  # the table's unique key column
    frame: pd.DataFrame  # one row per raw row, in the table's columns
    checks: Checks
    raw: pd.DataFrame
    first_row: int  # spreadsheet row number of raw row 0 (2 when there is a header)
    source: str
    lsoa_vintage: str | None = None


def require_columns(frame: pd.DataFrame, columns, path: str, *, what: str) -> None:
    """Raise :class:`HotpatrolError` naming the file and the columns missing from ``frame``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise HotpatrolError(
            f"The {what} file has no {missing[0]!r} column (it has {list(frame.columns)}).",
            file=path,
            row=1,
            column=missing[0],
            fix=f"Use an unmodified police.uk {what} CSV, or ingest it as force records with a column mapping.",
        )


def content_ids(raw: pd.DataFrame, prefix: str = "h", group=None) -> pd.Series:
    """Stable ids for rows without one: hash of the raw values + ordinal among identical rows.

    Numbers are hashed as float64, text as text and missing values as 0 whatever the column's type,
    so a row's id does not depend on how the rest of its file was typed. ``group`` (one label per
    row, e.g. the file) restarts the ordinals per group.
    """
    h = np.full(len(raw), 0x345678, dtype=np.uint64)
    key = HASH_KEY.ljust(16)[:16]
    for col in raw.columns:
        s = raw[col]
        missing = s.isna().to_numpy()
        if missing.all():
            hc = np.zeros(len(s), dtype=np.uint64)
        else:
            if s.dtype.kind in "iufb":
                values = s.to_numpy(dtype=np.float64)
            else:
                values = s.to_numpy(dtype=object, na_value="")
            hc = pd.util.hash_array(values, hash_key=key, categorize=False)
            hc[missing] = 0
        h = (h * np.uint64(1_000_003)) ^ hc
    by = [h] if group is None else [np.asarray(group), h]
    ordinal = pd.Series(h).groupby(by, sort=False).cumcount().to_numpy()
    hexes = np.char.mod("%016x", h)
    ids = np.char.add(np.char.add(np.char.add(f"{prefix}:", hexes), ":"), ordinal.astype(str))
    return pd.Series(ids, index=raw.index, dtype="string")


def month_window(month: pd.Series) -> tuple[pd.Series, pd.Series, np.ndarray, pd.Series]:
    """'YYYY-MM' text -> (first instant, first instant of next month, bad mask, clean text).

    Work is done once per distinct value (a police.uk file holds one month).
    """
    codes, uniques = pd.factorize(month, use_na_sentinel=True)
    text_u = np.array([str(u).strip() for u in uniques] + [None], dtype=object)
    valid = np.array([bool(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", u)) for u in text_u[:-1]] + [False], dtype=bool)
    start_u = pd.to_datetime(pd.Series(np.where(valid, text_u, None)) + "-01", format="%Y-%m-%d", errors="coerce")
    end_u = start_u + pd.offsets.MonthBegin(1)
    idx = np.where(codes < 0, len(uniques), codes)
    start = pd.Series(start_u.to_numpy()[idx], index=month.index)
    end = pd.Series(end_u.to_numpy()[idx], index=month.index)
    text = pd.Series(np.where(valid, text_u, None)[idx], index=month.index, dtype="string")
    return start, end, ~valid[idx], text


def lsoa_vintages(codes: pd.Series, group: np.ndarray, n_groups: int) -> list[str | None]:
    """:func:`lsoa_vintage` per group (file) of a batch, vectorised over the distinct codes."""
    ids, uniques = pd.factorize(codes.to_numpy(dtype=object, na_value=None), use_na_sentinel=True)
    u = pd.Series(np.asarray(uniques, dtype=object)).astype(str)
    prefix, num = u.str[:3], pd.to_numeric(u.str[3:], errors="coerce")
    new_u = (((prefix == "E01") & (num > 33768)) | ((prefix == "W01") & (num > 1958))).to_numpy(dtype=bool)
    lsoa_u = prefix.isin(["E01", "W01"]).to_numpy(dtype=bool)
    valid = ids >= 0
    g = np.asarray(group)[valid]
    new = np.bincount(g, weights=new_u[ids[valid]], minlength=n_groups) > 0
    old = np.bincount(g, weights=lsoa_u[ids[valid]], minlength=n_groups) > 0
    return ["2021" if n else ("2011" if o else None) for n, o in zip(new, old)]


def lsoa_vintage(codes: pd.Series) -> str | None:
    """'2021' if any code exists only in the 2021 set (E01 > 033768, W01 > 001958), '2011' otherwise."""
    uniq = pd.Series(pd.unique(codes.to_numpy(dtype=object, na_value=None)))
    uniq = uniq[uniq.notna()].astype(str)
    if len(uniq) == 0:
        return None
    prefix, num = uniq.str[:3], pd.to_numeric(uniq.str[3:], errors="coerce")
    new = ((prefix == "E01") & (num > 33768)) | ((prefix == "W01") & (num > 1958))
    if new.any():
        return "2021"
    if prefix.isin(["E01", "W01"]).any():
        return "2011"
    return None
