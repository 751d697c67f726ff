"""Shared CLI plumbing: one error shape, JSON output, rich tables."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from typing import Any, Iterator

import typer
from rich.console import Console

from hotpatrol.errors import HotpatrolError

console = Console(stderr=False)
err_console = Console(stderr=True)


def json_option() -> Any:
    return typer.Option(False, "--json", help="Print the result as JSON (for scripting).")


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=_default) + "\n")


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
