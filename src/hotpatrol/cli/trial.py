"""``hotpatrol dosage``, ``hotpatrol evaluate``, ``hotpatrol before-after`` and ``hotpatrol simulate trial``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from hotpatrol import settings
from hotpatrol.cli.common import JsonOption, SeedOption, console, print_json, read_events, user_errors
from hotpatrol.errors import HotpatrolError
from hotpatrol.text import plural

simulate_app = typer.Typer(help="Simulate data with a known truth (demo, tests, power).", no_args_is_help=True)


# options defined once for this module's commands (the default stays in each signature)
AllocationOption = Annotated[Optional[Path], typer.Option("--allocation", help="Allocation CSV (day, hotspot_id, patrolled).")]
DayStartOption = Annotated[str, typer.Option("--day-start", help="Start of the operational day.")]
EventsOption = Annotated[Optional[Path], typer.Option("--events", help="Events table CSV (lon/lat, occurred_at, category).")]
DbOption = Annotated[Optional[str], typer.Option("--db", help="Store URL to load events from (instead of --events).")]
CategoryOption = Annotated[Optional[list[str]], typer.Option("--category", help="Crime categories to count (repeatable).")]


def pd_month(day: str) -> str:
    """The month before ``day`` as YYYY-MM (the synthetic county's record ends there)."""
    import pandas as pd

    return (pd.Timestamp(day) - pd.offsets.MonthBegin(1)).strftime("%Y-%m")


def _allocation(plan: Optional[Path], allocation: Optional[Path]):
    from hotpatrol.evaluate.plan_io import load_plan

    if plan is None and allocation is None:
        raise HotpatrolError("Give the plan folder or the allocation file.", parameter="plan",
                             fix="--plan DIR or --allocation FILE")
    return load_plan(plan if plan is not None else allocation)


def _load_events(events: Optional[Path], db: Optional[str], category):
    """Events from an events table file (--events) or the store (--db), through the one reader."""
    if events is None and db is None:
        raise HotpatrolError("Give the events.", parameter="events", fix="--events FILE or --db URL")
    return read_events(db, events, categories=category)


def register(app: typer.Typer) -> None:
    """Register ``hotpatrol simulate ...``, ``dosage``, ``evaluate``, ``before-after`` and ``trial`` on ``app``."""
    app.add_typer(simulate_app, name="simulate")

    @app.command("dosage")
    def dosage_cmd(
        pings: Optional[Path] = typer.Option(None, "--pings", help="GPS pings CSV: officer_id, timestamp, lon/lat or x/y."),
        logs: Optional[Path] = typer.Option(None, "--logs", help="Manual visit logs CSV: start, end, hotspot_id[, officer_id]."),
        plan: Optional[Path] = typer.Option(None, "--plan", help="Plan folder (allocation.csv, hotspots.*)."),
        allocation: AllocationOption = None,
        hotspots: Optional[Path] = typer.Option(None, "--hotspots", help="Hotspots file (.csv boxes/centres or polygons)."),
        margin: float = typer.Option(25.0, "--margin", help="Geofence margin round each hotspot, metres."),
        crs: Optional[str] = typer.Option(None, "--crs", help="CRS of x/y pings and hotspot coordinates (e.g. EPSG:27700)."),
        officers: Optional[Path] = typer.Option(None, "--officers", help="Text/CSV list of officer ids on the plan; others are quarantined."),
        max_speed: float = typer.Option(50.0, "--max-speed", help="Implied speed (m/s) above which a ping is a GPS jump."),
        max_gap: float = typer.Option(120.0, "--max-gap", help="Seconds without pings that end a visit."),
        koper: float = typer.Option(10.0, "--koper", help="Minutes a visit must last to count (Koper threshold)."),
        day_start: DayStartOption = "06:00",
        tz: Optional[str] = typer.Option(None, "--tz", help="IANA zone of the operational day and of naive times (default: timezone setting, Europe/London)."),
        out: Path = typer.Option(Path("dosage.csv"), "--out", help="Dosage table CSV (visits/quarantine/json written beside)."),
        as_json: JsonOption = False,
    ) -> None:
        """Turn GPS pings / visit logs into minutes per hotspot-day and compliance with the plan."""
        from hotpatrol.patrol.dosage import dosage

        with user_errors(as_json):
            alloc = None
            if plan is not None or allocation is not None:
                p = _allocation(plan, allocation)
                alloc = p.allocation
                hotspots = hotspots or p.hotspots
            if hotspots is None:
                raise HotpatrolError("Give the hotspots file.", parameter="hotspots", fix="--hotspots FILE")
            off = None
            if officers is not None:
                if not officers.exists():
                    raise HotpatrolError("Officers file not found.", parameter="officers", given=str(officers))
                import pandas as pd

                table = pd.read_csv(officers, dtype=str)
                off = table.iloc[:, 0].tolist()
            res = dosage(pings, hotspots=hotspots, logs=logs, allocation=alloc, margin=margin, crs=crs, officers=off,
                         max_speed=max_speed, max_gap=max_gap, koper_minutes=koper, day_start=day_start, tz=tz)
            path = res.write(out)
            if as_json:
                print_json(res.to_dict() | {"out": str(path)})
            else:
                console.print(res.summary().as_text(), highlight=False)
                console.print(f"Wrote {path}")

    @app.command("evaluate")
    def evaluate_cmd(
        events: EventsOption = None,
        db: DbOption = None,
        plan: Optional[Path] = typer.Option(None, "--plan", help="Plan folder (allocation.csv, hotspots.*, re-draw scheme)."),
        allocation: AllocationOption = None,
        hotspots: Optional[Path] = typer.Option(None, "--hotspots", help="Hotspots file (default: the plan's)."),
        dosage_file: Optional[Path] = typer.Option(None, "--dosage", help="Dosage table CSV from 'hotpatrol dosage'."),
        category: CategoryOption = None,
        scheme: Optional[str] = typer.Option(None, "--scheme", help="Harm scheme: cchi, count or a CSV/YAML file "
                                                                    "(default: the scheme setting)."),
        model: str = typer.Option("poisson", "--model", help="poisson (quasi-Poisson, robust) or negbin for counts."),
        permutations: Optional[int] = typer.Option(None, "--permutations", help="Re-draws for randomisation "
                                                   "inference (default: the permutations setting)."),
        seed: Optional[int] = typer.Option(None, "--seed", help="Seed for the re-draws (default: the seed setting)."),
        buffer: float = typer.Option(100.0, "--buffer", help="Displacement buffer round the hotspots, metres."),
        label: str = typer.Option("crime", "--label", help="What is counted, for the headline (e.g. 'violent crime')."),
        day_start: DayStartOption = "06:00",
        pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write report.pdf (weasyprint)."),
        out: Path = typer.Option(Path("evaluation"), "--out", help="Output folder for the report."),
        as_json: JsonOption = False,
    ) -> None:
        """Patrol days vs non-patrol days: effect with CI, randomisation p, dosage, displacement, report."""
        from hotpatrol.evaluate.evaluation import evaluate_trial
        from hotpatrol.patrol.dosage import read_dosage

        with user_errors(as_json):
            p = _allocation(plan, allocation)
            hotspots = hotspots or p.hotspots
            if hotspots is None:
                raise HotpatrolError("Give the hotspots file.", parameter="hotspots", fix="--hotspots FILE")
            ev = _load_events(events, db, category)
            if p.redraw is None:
                console.print("[yellow]No re-draw scheme in the plan: randomisation inference skipped.[/]",
                              highlight=False) if not as_json else None
            dos = read_dosage(dosage_file) if dosage_file is not None else None
            res = evaluate_trial(ev, hotspots, p.allocation, redraw=p.redraw, dosage=dos, categories=category or None,
                                 scheme=settings.resolve("scheme", scheme), model=model,
                                 permutations=settings.resolve("permutations", permutations),
                                 seed=settings.resolve("seed", seed), buffer=buffer,
                                 label=label, day_start=day_start)
            paths = res.write_report(out, pdf=pdf)
            if as_json:
                print_json(res.to_dict() | {"files": paths})
            else:
                console.print(res.summary().as_text(), highlight=False)
                console.print(f"Report: {paths['html']}" + (f" and {paths['pdf']}" if "pdf" in paths else ""))

    @app.command("before-after")
    def before_after_cmd(
        events: EventsOption = None,
        db: DbOption = None,
        treated: Path = typer.Option(..., "--treated", help="Treated area: polygon file (.geojson/.gpkg) or hotspots CSV."),
        comparison: Path = typer.Option(..., "--comparison", help="Comparison area: polygon file or hotspots CSV."),
        start: str = typer.Option(..., "--start", help="Date the operation began (YYYY-MM-DD)."),
        weeks: int = typer.Option(26, "--weeks", help="Weeks before and after the start to compare."),
        freq: str = typer.Option("W", "--freq", help="Period length: D (days), W (weeks) or MS (months)."),
        category: CategoryOption = None,
        crs: Optional[str] = typer.Option(None, "--crs", help="Metric CRS (default: chosen from the events)."),
        as_json: JsonOption = False,
    ) -> None:
        """Before/after with a comparison area (difference in differences) for a non-randomised operation."""
        import pandas as pd

        from hotpatrol.evaluate.did import before_after

        with user_errors(as_json):
            ev = _load_events(events, db, category)
            areas = []
            for name, f in (("treated", treated), ("comparison", comparison)):
                if not f.exists():
                    raise HotpatrolError(f"The {name} area file does not exist.", parameter=name, given=str(f))
                areas.append(pd.read_csv(f, dtype={"hotspot_id": str}) if f.suffix.lower() == ".csv" else f)
            s = pd.Timestamp(start)
            w = pd.Timedelta(weeks=weeks)
            res = before_after(ev, areas[0], areas[1], start=s, before=(s - w, s), after=(s, s + w), freq=freq,
                               categories=category or None, crs=crs)
            if as_json:
                print_json(res.to_dict())
            else:
                console.print(res.summary().as_text(), highlight=False)
                console.print(res.headline(), highlight=False)

    @simulate_app.command("trial")
    def simulate_trial_cmd(
        out: Path = typer.Option(Path("trial"), "--out", help="Output folder."),
        effect: float = typer.Option(-0.4, "--effect", help="True change on delivered patrol days (-0.4 = -40%)."),
        days: int = typer.Option(90, "--days", help="Trial length in days."),
        n: int = typer.Option(20, "--n", help="Number of hotspots."),
        k: int = typer.Option(8, "--k", help="Hotspots patrolled per day."),
        compliance: float = typer.Option(0.95, "--compliance", help="Share of planned patrols delivered."),
        contamination: float = typer.Option(0.02, "--contamination", help="Share of control hotspot-days patrolled anyway."),
        displacement: float = typer.Option(0.0, "--displacement", help="Share of prevented crime moved into the buffer."),
        mean_rate: float = typer.Option(0.4, "--mean-rate", help="Mean crimes per hotspot per day."),
        start: str = typer.Option("2026-01-05", "--start", help="First trial day."),
        pings: bool = typer.Option(True, "--pings/--no-pings", help="Write GPS pings for the delivered patrols."),
        seed: SeedOption = None,
        synth_scale: Optional[float] = typer.Option(None, "--synth-scale",
                                                    help="Put the trial on the top cells of a synthetic county of this scale."),
        as_json: JsonOption = False,
    ) -> None:
        """Generate a whole randomised patrol trial with a known effect (events, plan, pings, truth)."""
        from hotpatrol.evaluate.simulate import simulate_trial

        with user_errors(as_json):
            seed = settings.resolve("seed", seed)
            county = None
            if synth_scale is not None:
                from hotpatrol.synthetic import generate_county

                county = generate_county(scale=synth_scale, years=1, end=(pd_month(start)), seed=seed)
            sim = simulate_trial(n=n, k=k, days=days, effect=effect, seed=seed, start=start, compliance=compliance,
                                 contamination=contamination, displacement=displacement, mean_rate=mean_rate,
                                 pings=pings, county=county)
            paths = sim.write(out)
            payload = {"files": paths, "truth": sim.truth, "events": int(len(sim.events)),
                       "pings": 0 if sim.pings is None else int(len(sim.pings)), "patrols": int(len(sim.patrols))}
            if as_json:
                print_json(payload)
            else:
                console.print(f"Simulated {n} hotspots x {days} days, {k} patrolled a day; true effect {effect:+.0%} "
                              f"(intention-to-treat rate ratio {sim.truth['itt_rate_ratio']:.3f}).", highlight=False)
                console.print(f"{plural(len(sim.events), 'event')}, {plural(len(sim.patrols), 'patrol')}, "
                              f"{plural(payload['pings'], 'ping')} -> {out}", highlight=False)
