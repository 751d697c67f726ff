"""``hotpatrol synth``: write a synthetic county's police.uk files, force records and boundaries."""

from __future__ import annotations

from pathlib import Path

import typer

from hotpatrol.cli.common import console, JsonOption, print_json, user_errors


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol synth`` on ``app`` (the root Typer application)."""
    @app.command("synth")
    def synth(
        out: Path = typer.Option(..., "--out", help="Folder to write into (created if missing)."),
        scale: float = typer.Option(
            0.1, "--scale", help="1 = force-sized county (Kent-like volumes); 0.02 = a small town; max 2."),
        years: float = typer.Option(3, "--years", help="Years of records, ending with --end."),
        end: str = typer.Option("2024-12", "--end", help="Last month, YYYY-MM."),
        seed: int = typer.Option(None, "--seed", help="Random seed: the same seed gives the same county "
                                                      "(default: the seed setting)."),
        as_json: JsonOption = False,
    ) -> None:
        """Generate "Synthshire", a fictional county with realistic crime, and write its files."""
        from hotpatrol.synthetic import generate_county

        with user_errors(as_json):
            from hotpatrol import settings

            seed = settings.resolve("seed", seed)
            county = generate_county(scale=scale, years=years, end=end, seed=seed)
            paths = county.write(out)
        summary = county.summary()
        files = {
            "police_uk": str(paths["police_uk"]),
            "street_files": len(paths["street"]),
            "outcome_files": len(paths["outcomes"]),
            "force_records": str(paths["force_records"]),
            "mapping": str(paths["mapping"]),
            "districts": str(paths["districts"]),
            "lsoas": str(paths["lsoas"]),
            "roads": str(paths["roads"]),
            "hotspots": str(paths["hotspots"]),
            "summary": str(paths["summary"]),
        }
        if as_json:
            print_json({"summary": summary, "files": files})
            return
        console.print(
            f"[bold]{summary['force']}[/]: {summary['events']:,} events ({summary['crimes']:,} crimes) over "
            f"{summary['months']} months {summary['start']}..{summary['end']}, {summary['towns']} towns, "
            f"{summary['districts']} districts, {summary['lsoas']} LSOAs, {summary['snap_points']:,} snap points, "
            f"{summary['hotspots']} planted hotspots (scale {scale:g}, seed {seed}).",
            highlight=False,
        )
        for key, value in files.items():
            console.print(f"  {key:14s} {value}", highlight=False)
