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
    table: str  # events | outcomes | stop_search
    key: str  # the table's unique key column
    frame: pd.DataFrame  # one row per raw row, in the table's columns
    checks: Checks
    raw: pd.DataFrame
    first_row: int  # spreadsheet row number of raw row 0 (2 when there is a header)
    source: str
    lsoa_vintage: str | None = None


def require_columns(frame: pd.DataFrame, columns, path: str, *, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise HotpatrolError(
            f"The {what} file has no {missing[0]!r} column (it has {list(frame.columns)}).",
            file=path,
            row=1,
            column=missing[0],
            fix=f"Use an unmodified police.uk {what} CSV, or ingest it as force records with a column mapping.",
        )


def content_ids(raw: pd.DataFrame, prefix: str = "h") -> pd.Series:
    """Stable ids for rows without one: hash of the raw values + ordinal among identical rows."""
    hashes = pd.util.hash_pandas_object(raw.astype("string"), index=False, hash_key=HASH_KEY.ljust(16)[:16])
    ordinal = hashes.groupby(hashes.to_numpy()).cumcount().to_numpy()
    hexes = np.char.mod("%016x", hashes.to_numpy())
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


def lsoa_vintage(codes: pd.Series) -> str | None:
    """'2021' if any code exists only in the 2021 set (E01 > 033768, W01 > 001958), '2011' otherwise."""
    codes = codes.dropna()
    if len(codes) == 0:
        return None
    uniq = pd.Series(pd.unique(codes.astype(str)))
    prefix, num = uniq.str[:3], pd.to_numeric(uniq.str[3:], errors="coerce")
    new = ((prefix == "E01") & (num > 33768)) | ((prefix == "W01") & (num > 1958))
    if new.any():
        return "2021"
    if prefix.isin(["E01", "W01"]).any():
        return "2011"
    return None
