"""``hotpatrol demo``: the main job on built-in (generated) data."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from hotpatrol.cli.common import JsonOption, SeedOption, console, print_json, user_errors


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol demo`` on ``app`` (the root Typer application)."""
    @app.command("demo")
    def demo(
        out: Optional[Path] = typer.Option(None, "--out", help="Output folder (default: the out setting)."),
        scale: float = typer.Option(0.1, "--scale", help="County size: 0.02 a town .. 1 a force-sized county."),
        seed: SeedOption = None,
        top: Optional[int] = typer.Option(None, "--top", help="Number of hotspots (default: the top setting)."),
        trial: bool = typer.Option(True, "--trial/--no-trial", help="Simulate and evaluate a patrol trial."),
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write PDFs of the reports."),
        site: bool = typer.Option(True, "--site/--no-site", help="Also build the demo web site in the store "
                                  "(districts, hotspots, one user per role; then: hotpatrol serve --db ...)."),
        password: str = typer.Option(None, "--password", help="Password of the demo users (default: a new random one, "
                                     "printed)."),
        as_json: JsonOption = False,
    ) -> None:
        """Generate a synthetic county, ingest it, rank the highest-harm cells, report, simulate a trial,
        and build the demo web site in the same store."""
        import secrets

        from hotpatrol.demo import run_demo

        with user_errors(as_json):
            result = run_demo(out, scale=scale, seed=seed, top=top, trial=trial, pdf=pdf, progress=not as_json)
            web = None
            if site:
                from hotpatrol.web.demo_site import build

                db = f"sqlite:///{(result.out / 'hotpatrol.db').resolve()}"
                web = build(db, result.out / "data" / "districts.geojson", password or secrets.token_urlsafe(12))
                web["serve"] = f"hotpatrol serve --db {db}"
        if as_json:
            print_json({**result.to_dict(), "site": web})
            return
        ing = result.ingest
        console.print(f"Ingested {ing['rows']:,} police.uk rows: {ing['stored']:,} stored, "
                      f"{ing['quarantined']:,} quarantined {ing['reasons']}", highlight=False)
        table = Table(title=f"The {len(result.top)} highest-harm cells (CCHI days of custody)")
        for col in ("rank", "place_id", "harm", "crimes", "share", "cumulative"):
            table.add_column(col, justify="right")
        for r in result.top.itertuples():
            table.add_row(str(r.rank), str(r.place_id), f"{r.value:,.1f}", f"{getattr(r, 'count', 0):,.0f}",
                          f"{r.share:.2%}", f"{r.cumulative_share:.2%}")
        console.print(table)
        if result.headline:
            console.print(f"Simulated trial (true effect -40%): {result.headline}", highlight=False)
        if web:
            console.print(f"Demo site: {web['districts']} districts, {web['cells']:,} cells with crime "
                          f"({web['period']}). Run: {web['serve']}", highlight=False)
            for u in web["users"]:
                console.print(f"  {u['role']:<9} sign in as {u['email']} (user {u['username']})"
                              + (f" ({u['district']})" if u["district"] else ""),
                              highlight=False)
            console.print(f"  password for all: {web['password']}  (police roles enrol an authenticator app "
                          "at first sign-in)", highlight=False)
        console.print(f"Open {result.files['summary']}  (files in {result.out}; took "
                      f"{sum(result.seconds.values()):.0f} s)", highlight=False)
