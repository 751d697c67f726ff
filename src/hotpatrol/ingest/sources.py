"""Finding input files (single CSV/CSV.gz, archive folders, the police.uk archive zip) and reading them.

A :class:`SourceFile` is one CSV however it was packed; its ``content_hash`` is the sha256 of the
decompressed bytes, so the same file plain, gzipped or inside a zip is recognised as already ingested.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hotpatrol.errors import HotpatrolError

#: police.uk archive file names: YYYY-MM-<force>-<kind>.csv
POLICE_UK_NAME = re.compile(r"(?P<month>\d{4}-\d{2})-(?P<force>[a-z0-9-]+?)-(?P<kind>street|outcomes|stop-and-search)\.csv$")
KINDS = ("street", "outcomes", "stop-and-search", "force-records")


@dataclass
class SourceFile:
    """One input file (or archive member) to ingest: its path as shown to the user, a reader of its bytes and its kind."""
    path: str  # what the user sees: a file path or "archive.zip!member"
    opener: object  # callable returning the raw (decompressed) bytes
    kind: str | None = None
    force_slug: str | None = None

    def read_bytes(self) -> bytes:
        """The file's raw (decompressed) bytes."""
        return self.opener()


def _file_reader(path: Path):
    def read() -> bytes:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as exc:
                raise HotpatrolError(f"Not a valid gzip file: {exc}", file=str(path)) from None
        return data

    return read


def _zip_reader(path: Path, member: str):
    def read() -> bytes:
        with zipfile.ZipFile(path) as zf:
            data = zf.read(member)
        if member.endswith(".gz"):
            data = gzip.decompress(data)
        return data

    return read


def _is_csv(name: str) -> bool:
    return name.endswith(".csv") or name.endswith(".csv.gz")


def _classify(name: str) -> tuple[str | None, str | None]:
    base = name.rsplit("/", 1)[-1]
    if base.endswith(".gz"):
        base = base[:-3]
    m = POLICE_UK_NAME.search(base)
    if m:
        return m.group("kind"), m.group("force")
    return None, None


def discover(paths) -> list[SourceFile]:
    """Every CSV under ``paths`` (files, folders searched recursively, .zip archives), sorted by name."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise HotpatrolError("Input path does not exist.", parameter="paths", given=str(path),
                                 fix="Check the path (a CSV, a .csv.gz, a folder or a police.uk .zip).")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and (_is_csv(p.name) or p.suffix == ".zip"))
            if not found:
                raise HotpatrolError("No CSV, CSV.gz or zip files found in the folder.", file=str(path))
            for p in found:
                out += _expand(p)
        else:
            out += _expand(path)
    return out


def _expand(path: Path) -> list[SourceFile]:
    if path.suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                members = sorted(n for n in zf.namelist() if _is_csv(n) and not n.startswith("__MACOSX"))
        except zipfile.BadZipFile:
            raise HotpatrolError("Not a valid zip file.", file=str(path)) from None
        if not members:
            raise HotpatrolError("The zip holds no CSV files.", file=str(path))
        files = []
        for m in members:
            kind, force = _classify(m)
            files.append(SourceFile(f"{path}!{m}", _zip_reader(path, m), kind, force))
        return files
    kind, force = _classify(path.name)
    return [SourceFile(str(path), _file_reader(path), kind, force)]


def content_hash(data: bytes) -> str:
    """SHA-256 (hex) of ``data``."""
    return hashlib.sha256(data).hexdigest()


def read_csv(data: bytes, path: str, **kwargs) -> pd.DataFrame:
    """Parse CSV bytes; a malformed file raises a HotpatrolError naming the file and row."""
    try:
        return pd.read_csv(io.BytesIO(data), low_memory=False, **kwargs)
    except pd.errors.EmptyDataError:
        raise HotpatrolError("The file is empty (no header row).", file=path, row=1) from None
    except pd.errors.ParserError as exc:
        msg = str(exc)
        m = re.search(r"line (\d+)", msg)
        raise HotpatrolError(f"Cannot parse the CSV: {msg}", file=path, row=int(m.group(1)) if m else None,
                             fix="Check quoting and the number of fields on that row.") from None
    except UnicodeDecodeError as exc:
        raise HotpatrolError(f"The file is not UTF-8 text: {exc}", file=path,
                             fix="Re-save the file as UTF-8 CSV.") from None


def sniff_kind(columns) -> str | None:
    """police.uk kind from a header (for files renamed away from the archive layout)."""
    cols = set(columns)
    if {"Crime ID", "Crime type"} <= cols:
        return "street"
    if {"Crime ID", "Outcome type"} <= cols:
        return "outcomes"
    if {"Object of search", "Date"} <= cols:
        return "stop-and-search"
    return None
