"""Shared CLI plumbing: one error shape, JSON output, rich tables."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Annotated, Any, Iterator, Optional

import typer
from rich.console import Console

from hotpatrol.errors import HotpatrolError

console = Console(stderr=False)
err_console = Console(stderr=True)


#: options several commands define alike (same flag, help; the default stays in each signature)
CellOption = Annotated[Optional[float], typer.Option("--cell", help="Grid cell size in metres (default: the cell setting).")]
SeedOption = Annotated[Optional[int], typer.Option("--seed", help="Random seed (default: the seed setting).")]
#: ``--json`` flag as most commands define it (``as_json: JsonOption = False``)
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON (for scripting).")]


def print_json(payload: Any) -> None:
    """Write ``payload`` to stdout as indented JSON; numpy scalars and arrays and timestamps (ISO 8601) are converted;
    a non-finite numpy float becomes null.
    """
    sys.stdout.write(json.dumps(payload, indent=2, default=_default) + "\n")


def print_result(result: Any, as_json: bool, written: str | list[str] | None = None) -> None:
    """Print a result object: with ``as_json`` its ``to_dict()`` plus ``written`` (the files written) as JSON,
    else its text summary and a ``wrote PATH`` line per file."""
    if as_json:
        payload = result.to_dict()
        payload["written"] = written
        print_json(payload)
        return
    typer.echo(result.summary().as_text())
    for path in [written] if isinstance(written, str) else written or []:
        typer.echo(f"wrote {path}")


def _default(value: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return None if not np.isfinite(value) else float(value)
    if isinstance(value, (pd.Timestamp,)):
        return value.isoformat()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


@contextmanager
def user_errors(as_json: bool) -> Iterator[None]:
    """Turn HotpatrolError into the one JSON error shape (``--json``) or a red message; exit code 2."""
    try:
        yield
    except HotpatrolError as exc:
        if as_json:
            print_json(exc.to_dict())
        else:
            err_console.print(f"[bold red]Error:[/] {exc}", markup=True, highlight=False)
        raise typer.Exit(code=2) from None


def events_source(db: Any = None, events: Any = None) -> Any:
    """The source :func:`hotpatrol.reader.read` reads for ``--events FILE`` or ``--db URL``.

    ``--events`` wins; a ``--db`` without ``://`` is an SQLite file path; neither means the ``db``
    setting (read at call time).
    """
    if events is not None:
        return events
    if db is None:
        return None
    text = str(db)
    return text if "://" in text else f"sqlite:///{text}"


def read_events(db: Any = None, events: Any = None, *, start: Any = None, end: Any = None, categories: Any = None,
                force: Any = None, crs: Any = None, require: bool = True):
    """Every command's events, through the one reader (:func:`hotpatrol.reader.read`).

    With ``require`` an empty result is a HotpatrolError naming what to widen (the window when one
    was given, else the categories/force, else the source).
    """
    from hotpatrol.reader import read

    frame = read(events_source(db, events), start=start, end=end, categories=categories or None,
                 force=force or None, crs=crs)
    if require and len(frame) == 0:
        windowed = start is not None or end is not None
        filtered = bool(categories) or bool(force)
        raise HotpatrolError(
            "No events in the chosen period/categories." if windowed or filtered else "No events in the source.",
            parameter="start/end" if windowed else "category" if filtered else ("events" if events else "db"),
            given={"categories": list(categories) if categories else None, "force": force, "start": start,
                   "end": end},
            fix="Widen --start/--end or choose other --category values." if windowed or filtered
            else "Ingest events first (hotpatrol ingest FILES) or check --db/--events.",
        )
    return frame


def deprecated_option(old: str, old_value: Any, new: str, new_value: Any, *, default: Any = None) -> Any:
    """The value of option ``new``, taking a deprecated ``old`` spelling (warns) for one release.

    The warning goes to stderr (stdout stays clean for ``--json``). Giving both, with different
    values, is an error naming both options.
    """
    if old_value is None:
        return new_value
    if new_value is not None and new_value != default and new_value != old_value:
        raise HotpatrolError(f"Give {new} only ({old} is its deprecated old name).", parameter=new,
                             given={new: str(new_value), old: str(old_value)})
    message = f"{old} is deprecated and will be removed in the next release; use {new}."
    err_console.print(f"[yellow]Warning:[/] {message}", markup=True, highlight=False)
    return old_value
