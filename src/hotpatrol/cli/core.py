"""Commands that do not belong to a single stage."""

from __future__ import annotations

import typer

from hotpatrol import settings
from hotpatrol.cli.common import print_json


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol settings`` on ``app`` (the root Typer application)."""
    @app.command("settings")
    def show_settings(as_json: bool = typer.Option(False, "--json", help="Print as JSON.")) -> None:
        """Show the settings table (defaults and environment overrides)."""
        rows = {s.name: settings.get(s.name) for s in settings.SETTINGS}
        if as_json:
            print_json(rows)
        else:
            typer.echo(settings.markdown())
