"""The ``hotpatrol`` command line: a thin layer over the library.

Each stage has its own module here that builds a Typer app or commands; this module only wires them.
"""

from __future__ import annotations

import typer

from hotpatrol import __version__

app = typer.Typer(
    name="hotpatrol",
    help="Harm-focused hotspot policing: ingest, hotspots, forecasts, randomised patrols, evaluation, reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit.", is_eager=True),
) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


def _register() -> None:
    # Each stage's CLI module exposes ``register(app)``; order sets the help listing.
    import importlib

    for name in ("core", "ingest", "synth", "places", "hotspots", "trends", "forecast", "forecast_etas", "plan",
                 "trial", "report", "demo", "web"):
        importlib.import_module(f"hotpatrol.cli.{name}").register(app)


_register()


def main() -> None:  # console script entry point
    app()
