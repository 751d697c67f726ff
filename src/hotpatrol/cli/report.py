"""``hotpatrol report ...``: performance reports."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hotpatrol.cli.common import console, print_json, read_events, user_errors

report_app = typer.Typer(help="Performance reports.", no_args_is_help=True)


@report_app.command("performance")
def performance(
    months: str = typer.Option(..., "--months", help="2022-03, 2022-01..2022-03 or 2022-01,2022-02"),
    db: Optional[str] = typer.Option(None, "--db", help="Store URL (default: the db setting)."),
    compare: str = typer.Option("previous-year", "--compare", help="Comparison period."),
    out: Path = typer.Option(Path("report.html"), "--out", help="HTML path; PDF, JSON and CSVs go beside it."),
    force: Optional[str] = typer.Option(None, "--force", help="Only this force ('Falls within')."),
    districts: Optional[Path] = typer.Option(None, "--districts", help="District boundaries for the map."),
    lsoa_lookup: Optional[list[Path]] = typer.Option(
        None, "--lsoa-lookup", help="LSOA code -> LAD code table or boundary file (e.g. LSOA21CD + LAD_CD; repeatable)."),
    groups: Optional[Path] = typer.Option(None, "--groups", help="Your own group table (CSV)."),
    outcomes: Optional[Path] = typer.Option(None, "--outcomes", help="Your own outcome mapping (CSV)."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write a PDF."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Recorded crime vs the same months last year, per group and district, with outcome rates and tests."""
    from hotpatrol.report.performance import performance_report
    from hotpatrol.report.render import write_report
    with user_errors(as_json):
        from hotpatrol.places.areas import read_lsoa_lookup

        events = read_events(db, None, force=force)
        lookup = {k: v for path in (lsoa_lookup or []) for k, v in read_lsoa_lookup(path).items()} or None
        report = performance_report(events, months=months, compare=compare, groups=groups, outcome_map=outcomes,
                                    lsoa_lookup=lookup)
        paths = write_report(report, out, pdf=pdf, boundaries=districts)
        if as_json:
            print_json({**report.to_dict(), "files": {k: str(v) for k, v in paths.items()}})
        else:
            console.print(report.summary().as_text(), highlight=False)
            console.print(f"Wrote {paths['html']}" + (f" and {paths['pdf']}" if "pdf" in paths else ""))


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol report performance`` on ``app`` (the root Typer application)."""
    app.add_typer(report_app, name="report")
