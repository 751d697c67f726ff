"""``hotpatrol serve``, ``hotpatrol users ...``, ``hotpatrol districts ...``: the web platform's commands."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from hotpatrol.cli.common import JsonOption, console, print_json, user_errors


def db_option():
    """The shared ``--db`` option: a store URL (SQLite file or ``postgresql+psycopg://...``); None means the ``db``
    setting.
    """
    return typer.Option(None, "--db", help="Store URL (SQLite file or postgresql+psycopg://...); default the db setting.")


def _site(db: str | None):
    from hotpatrol.web import configure

    configure(db)
    from hotpatrol.web import site

    site.migrate()
    return site


def _run_summary(run) -> dict:
    """An analysis run as the commands print it in ``--json``."""
    return {"id": run.pk, "period": f"{run.period_start}..{run.period_end}", "cells": run.n_cells,
            "events": run.n_events}


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol serve`` and the ``users`` and ``districts`` groups of the web platform on ``app``."""
    users = typer.Typer(help="Accounts of the web platform: create users, mint API tokens.", no_args_is_help=True)
    districts = typer.Typer(help="Districts of the web platform: load polygons, analyse hotspots.", no_args_is_help=True)
    app.add_typer(users, name="users")
    app.add_typer(districts, name="districts")

    @app.command("serve")
    def serve(
        db: str = db_option(),
        host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
        port: int = typer.Option(8000, "--port", help="Port to listen on."),
        workers: int = typer.Option(2, "--workers", help="gunicorn worker processes."),
        threads: int = typer.Option(8, "--threads", help="Threads per worker (gthread)."),
        worker: bool = typer.Option(True, "--worker/--no-worker", help="Also run one background task worker."),
    ) -> None:
        """Run migrations, the web site (gunicorn, gthread) and one background worker."""
        from hotpatrol.web.server import run

        with user_errors(False):
            run(db, host=host, port=port, workers=workers, threads=threads, task_worker=worker)

    @users.command("create")
    def users_create(
        username: str = typer.Argument(..., help="User name."),
        role: str = typer.Option(..., "--role", help="admin, analyst, commander, sergeant, officer or partner."),
        district: str = typer.Option(None, "--district", help="District name or code (needed by district roles)."),
        team: str = typer.Option(None, "--team", help="Team name in the district (created if new)."),
        email: str = typer.Option(None, "--email", help="Sign-in email (default USERNAME@hotpatrol.invalid)."),
        password: bool = typer.Option(False, "--password", help="Ask for a password (else the account cannot sign in "
                                      "with one until an admin sets it)."),
        db: str = db_option(),
        as_json: JsonOption = False,
    ) -> None:
        """Create or update a user with a role (and district/team)."""
        secret = None
        if password:
            secret = getpass.getpass("Password: ")
            if secret != getpass.getpass("Again: "):
                with user_errors(as_json):
                    from hotpatrol.errors import HotpatrolError

                    raise HotpatrolError("The passwords differ.", parameter="password")
        with user_errors(as_json):
            site = _site(db)
            user = site.create_user(username, role=role, password=secret, email=email, district=district, team=team)
        out = {"username": user.username, "email": user.email, "role": role, "district": district, "team": team}
        if as_json:
            print_json(out)
        else:
            console.print(f"User {user.username} ({user.email}) is a {role}"
                          + (f" in {district}" if district else "") + (f", team {team}" if team else ""), highlight=False)

    @users.command("token")
    def users_token(
        username: str = typer.Argument(..., help="User name."),
        name: str = typer.Option("cli", "--name", help="A label for the token."),
        db: str = db_option(),
        as_json: JsonOption = False,
    ) -> None:
        """Print a new bearer token for the API (stored hashed; shown only now)."""
        with user_errors(as_json):
            site = _site(db)
            token = site.mint_token(username, name)
        if as_json:
            print_json({"username": username, "token": token})
        else:
            typer.echo(token)

    @districts.command("load")
    def districts_load(
        file: Path = typer.Argument(..., help="District polygons (GeoJSON, GeoPackage, shapefile; any CRS)."),
        name_column: str = typer.Option(..., "--name-column", help="Column with the district names."),
        code_column: str = typer.Option(None, "--code-column", help="Column with district codes (default: the name)."),
        force_name: str = typer.Option(None, "--force", help="Force name (default: the site's force)."),
        analyse: bool = typer.Option(True, "--analyse/--no-analyse", help="Rank the store's hotspots afterwards "
                                     "(when it has events)."),
        db: str = db_option(),
        as_json: JsonOption = False,
    ) -> None:
        """Load (or update) a force's districts and rank the store's hotspots in them."""
        from hotpatrol.web import library

        with user_errors(as_json):
            site = _site(db)
            loaded = site.load_districts(file, name_column=name_column, code_column=code_column, force_name=force_name)
            run = site.analyse(db) if analyse and library.store_has_events(db) else None
        out = {"districts": [{"code": d.code, "name": d.name, "area_km2": round(d.area_km2, 1)} for d in loaded],
               "run": None if run is None else _run_summary(run)}
        if as_json:
            print_json(out)
            return
        console.print(f"Loaded {len(loaded)} districts: " + ", ".join(d.name for d in loaded), highlight=False)
        if run is not None:
            console.print(f"Ranked {run.n_cells:,} cells with crime ({run.n_events:,} events, "
                          f"{run.period_start}..{run.period_end})", highlight=False)

    @districts.command("analyse")
    def districts_analyse(
        months: int = typer.Option(None, "--months", help="Look-back window in months (default the months setting)."),
        db: str = db_option(),
        as_json: JsonOption = False,
    ) -> None:
        """Rank the store's hotspot cells by harm, per district and force-wide, for the site."""
        with user_errors(as_json):
            site = _site(db)
            run = site.analyse(db, months=months)
        out = _run_summary(run)
        if as_json:
            print_json(out)
        else:
            console.print(f"Run {run.pk}: {run.n_cells:,} cells with crime, {run.period_start}..{run.period_end}",
                          highlight=False)
