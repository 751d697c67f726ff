"""The monthly performance report: recorded crime against the same months last year.

Layout and rounding follow the published force/PCC reports (e.g. Kent's): for each group, one row per
month with *Recorded crime*, *Last year*, *% change* (one decimal place, half away from zero, computed
exactly from the two counts) and *Number change*, then an n-month total row. Beyond the published table
each change carries:

- an exact conditional test for two Poisson counts (this year ``a``, last year ``b``: under equal rates
  ``a | a + b ~ Binomial(a + b, 1/2)``; same calendar months, so equal exposure is assumed), and
- a control chart of the monthly series: expected count from a seasonal Poisson GLM (month of year +
  trend) when 24+ earlier months exist, else the mean of up to 12 earlier months (a c-chart), with
  99.73% Poisson limits (the 3-sigma convention).

A change is called "more than normal variation" only when the exact test gives p < ``alpha``.
Missing months are reported in place ("no data for October 2021"); no percentage is printed without a
non-zero base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from hotpatrol.errors import HotpatrolError
from hotpatrol.events import category_change_notes, category_changes, published_set
from hotpatrol.places.areas import (
    UNKNOWN,
    district_keys,
    read_lsoa_lookup,
    renamed,
    unknown_names,
)
from hotpatrol.results import Result, Summary, json_safe
from hotpatrol.report.groups import CategoryGroups, load_groups, load_outcome_map
from hotpatrol.text import plural, singular_of

ALPHA = 0.05


def pct_change(this: int, last: int) -> Decimal | None:
    """Exact % change rounded to one decimal place, half away from zero; None when ``last`` is 0."""
    if last == 0:
        return None
    exact = Fraction(int(this) - int(last), int(last)) * 100
    value = Decimal(exact.numerator) / Decimal(exact.denominator)
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def exact_poisson_test(this: int, last: int) -> float:
    """Two-sided p-value for equal Poisson rates given counts ``this`` and ``last`` (conditional binomial)."""
    n = int(this) + int(last)
    if n == 0:
        return 1.0
    return float(stats.binomtest(int(this), n, 0.5).pvalue)


def change_row(label: str, this: int | None, last: int | None, *, missing: str | None = None) -> dict[str, Any]:
    """One table row. ``None`` counts mean no data; ``missing`` names what is missing."""
    row: dict[str, Any] = {"label": label, "recorded": this, "last_year": last}
    if this is None or last is None:
        row.update(pct_change=None, number_change=None, p_value=None,
                   pct_text=missing or "no data", number_text="")
        return row
    pct = pct_change(this, last)
    if this == 0 and last == 0:
        row.update(pct_change=None, number_change=0, p_value=None, pct_text="none in either year", number_text="0")
        return row
    row["number_change"] = int(this) - int(last)
    row["pct_change"] = None if pct is None else float(pct)
    row["pct_text"] = "n/a (none last year)" if pct is None else f"{pct}%"
    row["number_text"] = str(row["number_change"])
    row["p_value"] = exact_poisson_test(this, last)
    return row


@dataclass
class ChangeTable(Result):
    """Rows of (label, recorded, last year) plus the total row, as the published reports print them."""

    title: str
    rows: list[dict[str, Any]]
    total: dict[str, Any] | None
    noun: str = "crimes"
    notes: list[str] = field(default_factory=list)
    name = "change_table"

    @classmethod
    def from_counts(
        cls, counts: Sequence[tuple[str, int | None, int | None]] | dict, *, title: str = "Recorded crime",
        total_label: str | None = None, noun: str = "crimes", missing: dict[str, str] | None = None,
    ) -> "ChangeTable":
        """Build from ``[(label, this_year, last_year), ...]`` (or ``{label: (this, last)}``)."""
        if isinstance(counts, dict):
            items = [(label, pair[0], pair[1]) for label, pair in counts.items()]
        else:
            items = [(c[0], c[1], c[2]) for c in counts]
        missing = missing or {}
        rows = [change_row(label, a, b, missing=missing.get(label)) for label, a, b in items]
        complete = [r for r in rows if r["recorded"] is not None and r["last_year"] is not None]
        total_label = total_label or f"{len(rows)} month total"
        if complete and len(complete) == len(rows):
            total = change_row(total_label, sum(r["recorded"] for r in rows), sum(r["last_year"] for r in rows))
        elif complete:
            total = change_row(f"{total_label} ({len(complete)} of {len(rows)} months with data)",
                               sum(r["recorded"] for r in complete), sum(r["last_year"] for r in complete))
        else:  # no month has both years: still give this year's total when this year is complete
            have = [r["recorded"] for r in rows if r["recorded"] is not None]
            label = total_label if len(have) == len(rows) else f"{total_label} ({len(have)} of {len(rows)} months with data)"
            total = change_row(label, sum(have) if have else None, None, missing="no comparable months")
        return cls(title=title, rows=rows, total=total, noun=noun)

    def to_frame(self) -> pd.DataFrame:
        """The report table: one row per label plus the total, with recorded and last-year counts (whole numbers), %
        and number change and the exact p-value.
        """
        rows = self.rows + ([self.total] if self.total else [])
        return pd.DataFrame({
            "": [r["label"] for r in rows],
            "Recorded crime": pd.array([r["recorded"] for r in rows], dtype="Int64"),  # counts stay whole
            "Last year": pd.array([r["last_year"] for r in rows], dtype="Int64"),
            "% change": [r["pct_text"] for r in rows],
            "Number change": [r["number_text"] for r in rows],
            "p (exact)": [None if r["p_value"] is None else round(r["p_value"], 4) for r in rows],
        })

    def commentary(self, *, alpha: float = ALPHA) -> str:
        """One plain-language sentence on the total row: the change and whether the exact conditional Poisson test
        calls it more than normal variation (p < ``alpha``).
        """
        return commentary(self.title, self.total, noun=self.noun, alpha=alpha)

    def summary(self) -> Summary:
        """The :meth:`to_frame` table with the plain-language :meth:`commentary` and the notes."""
        return Summary(self.title, self.to_frame(), [self.commentary()] + self.notes)


def commentary(subject: str, row: dict[str, Any] | None, *, noun: str = "crimes", alpha: float = ALPHA) -> str:
    """One sentence in the reports' plain style, built only from the row's own figures."""
    if row is not None and row.get("recorded") is not None and row.get("last_year") is None:
        return (f"{subject}: {plural(row['recorded'], singular_of(noun), noun)} recorded; no comparison is "
                f"possible ({row.get('pct_text') or 'no data'}).")
    if row is None or row.get("recorded") is None or row.get("last_year") is None:
        return f"{subject}: no comparison is possible ({(row or {}).get('pct_text', 'no data')})."
    this, last, diff = row["recorded"], row["last_year"], row["number_change"]
    period = row["label"].lower() if "total" in row["label"].lower() else row["label"]
    one = singular_of(noun)

    def count(n):
        return plural(n, one, noun)

    if this == 0 and last == 0:
        return f"{subject}: none recorded in either period."
    if row["pct_change"] is None:
        return f"{subject}: {count(this)} recorded against none in the same period last year."
    if diff == 0:
        sentence = f"{subject} was unchanged at {count(this)} ({period}) compared with the same period last year."
    else:
        direction = "increase" if diff > 0 else "decrease"
        size = "a slight " if abs(row["pct_change"]) < 1 else "an " if direction == "increase" else "a "
        more = "more" if diff > 0 else "fewer"
        sentence = (f"{subject} has experienced {size}{direction} of {abs(row['pct_change']):.1f}%, "
                    f"with {abs(diff)} {more} {plural(abs(diff), one, noun, with_number=False)} than the same "
                    f"period last year ({this} against {last}).")
    p = row["p_value"]
    if diff != 0:
        if p < alpha:
            sentence += f" This is more than normal variation would explain (exact test {_fmt_p(p)})."
        else:
            sentence += f" This is within normal variation (exact test {_fmt_p(p)})."
    return sentence


def _fmt_p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def control_chart(series: pd.Series) -> pd.DataFrame:
    """Expected value and 99.73% Poisson limits for each month from earlier months only.

    ``series``: counts indexed by ``pd.Period`` (monthly), may have gaps (missing months are not zeros).
    """
    series = series.sort_index()
    out = []
    for period, count in series.items():
        prior = series[series.index < period]
        prior = prior[prior.index >= period - 36]
        expected, method = None, "insufficient history"
        if len(prior) >= 24 and prior.sum() > 0:
            expected, method = _seasonal_expectation(prior, period), "seasonal GLM"
            if expected is None:
                expected, method = float(prior.iloc[-12:].mean()), "mean of 12 months (GLM failed)"
        elif len(prior) >= 3:
            expected, method = float(prior.iloc[-12:].mean()), f"mean of {plural(min(len(prior), 12), 'month')}"
        if expected is None:
            lower = upper = None
            signal = None
        else:
            lower = float(stats.poisson.ppf(0.00135, expected))
            upper = float(stats.poisson.ppf(0.99865, expected))
            signal = "above" if count > upper else "below" if count < lower else "within"
        out.append({"month": str(period), "count": int(count), "expected": expected, "lower": lower,
                    "upper": upper, "signal": signal, "baseline": method})
    return pd.DataFrame(out)


def _seasonal_expectation(prior: pd.Series, target: pd.Period) -> float | None:
    import warnings

    import statsmodels.api as sm

    origin = prior.index.min()
    t = np.array([(p - origin).n for p in prior.index], dtype=float)
    moy = np.array([p.month for p in prior.index])
    X = np.column_stack([np.ones_like(t), t] + [(moy == m).astype(float) for m in range(2, 13)])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = sm.GLM(prior.to_numpy(float), X, family=sm.families.Poisson()).fit()
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not np.all(np.isfinite(fit.params)):
        return None
    tt = float((target - origin).n)
    x = np.array([1.0, tt] + [float(target.month == m) for m in range(2, 13)])
    return float(np.exp(x @ fit.params))


def parse_months(text: str | Iterable[str]) -> list[pd.Period]:
    """``2022-03``, ``2022-01..2022-03`` or ``2022-01,2022-02`` -> monthly periods."""
    parts = text if not isinstance(text, str) else [text]
    months: list[pd.Period] = []
    for part in parts:
        for piece in str(part).split(","):
            piece = piece.strip()
            if piece and not re.fullmatch(r"\d{4}-\d{2}(\.\.\d{4}-\d{2})?", piece):
                raise HotpatrolError("Months must look like 2022-03, 2022-01..2022-03 or 2022-01,2022-02.",
                                     parameter="months", given=piece)
            try:
                if ".." in piece:
                    a, b = piece.split("..")
                    months.extend(pd.period_range(pd.Period(a, "M"), pd.Period(b, "M"), freq="M"))
                elif piece:
                    months.append(pd.Period(piece, "M"))
            except (ValueError, TypeError):
                raise HotpatrolError("Months must look like 2022-03, 2022-01..2022-03 or 2022-01,2022-02.",
                                     parameter="months", given=piece) from None
    if not months:
        raise HotpatrolError("No months given.", parameter="months", fix="e.g. --months 2022-01..2022-03")
    return sorted(set(months))


@dataclass
class PerformanceReport(Result):
    """Every table of a performance report, with the notes that qualify them."""

    months: list[pd.Period]
    compare: str
    area: str
    tables: dict[str, ChangeTable]
    outcomes: pd.DataFrame
    districts: pd.DataFrame
    charts: dict[str, pd.DataFrame]
    notes: list[str]
    alpha: float = ALPHA
    name = "performance_report"

    def to_frame(self) -> pd.DataFrame:
        """Every change table in one long frame: a ``table`` column, then the table's rows and total."""
        frames = [t.to_frame().assign(table=name) for name, t in self.tables.items()]
        if not frames:
            return pd.DataFrame(columns=["table"])
        frame = pd.concat(frames, ignore_index=True)
        return frame[["table"] + [c for c in frame.columns if c != "table"]]

    def summary(self) -> Summary:
        """One row per table (group) with its total: recorded, last year, % and number change, exact p-value."""
        rows = []
        for name, table in self.tables.items():
            t = table.total
            rows.append({"group": name, "recorded": t["recorded"], "last_year": t["last_year"],
                         "% change": t["pct_text"], "number change": t["number_text"],
                         "p (exact)": None if t["p_value"] is None else round(t["p_value"], 4)})
        title = f"Performance report: {self.area}, {_period_label(self.months)} vs {self.compare}"
        frame = pd.DataFrame(rows)
        for col in ("recorded", "last_year"):  # whole counts even when a group has no figure
            if col in frame:
                frame[col] = frame[col].astype("Int64")
        return Summary(title, frame, self.notes)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict of every table (rows, total, commentary, notes), outcomes, districts and control-chart
        series.
        """
        return json_safe({
            "name": self.name,
            "area": self.area,
            "months": [str(m) for m in self.months],
            "compare": self.compare,
            "tables": {k: {"rows": v.rows, "total": v.total, "commentary": v.commentary(alpha=self.alpha),
                           "notes": v.notes} for k, v in self.tables.items()},
            "outcomes": self.outcomes.to_dict(orient="records"),
            "districts": self.districts.to_dict(orient="records"),
            "control_charts": {k: v.to_dict(orient="records") for k, v in self.charts.items()},
            "notes": self.notes,
        })


def _period_label(months: list[pd.Period]) -> str:
    if len(months) == 1:
        return months[0].strftime("%B %Y")
    return f"{months[0].strftime('%B %Y')} to {months[-1].strftime('%B %Y')}"


def performance_report(
    events: pd.DataFrame,
    *,
    months: str | Sequence[str] | Sequence[pd.Period],
    compare: str = "previous-year",
    groups: CategoryGroups | str | None = None,
    outcome_map: str | pd.DataFrame | None = None,
    area: str | None = None,
    alpha: float = ALPHA,
    lsoa_lookup=None,
) -> PerformanceReport:
    """Build the report from an events table (``month``, ``category``, optional ``offence_code``,
    ``outcome``, ``lsoa_name``/``district``/``lad_code``).

    Districts are keyed by their current ONS code and labelled with today's name
    (:func:`hotpatrol.places.areas.district_keys`); ``lsoa_lookup`` (LSOA code -> LAD code, a dict or a
    file for :func:`hotpatrol.places.areas.read_lsoa_lookup`) takes precedence over LSOA names.
    Categories police.uk used before May 2013 count under their successors where the mapping is a rename;
    a comparison across a split says so in place instead of printing a change
    (:func:`hotpatrol.events.category_changes`)."""
    if lsoa_lookup is not None and not isinstance(lsoa_lookup, dict):
        lsoa_lookup = read_lsoa_lookup(lsoa_lookup)
    if compare != "previous-year":
        raise HotpatrolError("Unknown comparison.", parameter="compare", allowed=["previous-year"], given=compare)
    for col in ("month", "category"):
        if col not in events.columns:
            raise HotpatrolError(f"The events table has no {col!r} column.", parameter="events", column=col)
    months = parse_months([str(m) for m in months] if not isinstance(months, str) else months)
    groups = groups if isinstance(groups, CategoryGroups) else load_groups(groups)
    outcome_map = outcome_map if isinstance(outcome_map, pd.DataFrame) else load_outcome_map(outcome_map)
    ev_month = pd.PeriodIndex(events["month"].astype(str), freq="M")
    present = published_set(events)  # months with data: hotpatrol.events' one rule for every stage
    notes: list[str] = []
    if not any(m in present for m in months):
        raise HotpatrolError(
            f"No data for any of the months {[str(m) for m in months]}.", parameter="months",
            given=[str(m) for m in months],
            fix=f"The data cover {min(present) if present else '-'} to {max(present) if present else '-'}.",
        )
    for m in months:
        for label, month in (("", m), (" (comparison)", m - 12)):
            if month not in present:
                notes.append(f"No data for {month.strftime('%B %Y')}{label}.")
    area = area or _area_name(events)

    tables: dict[str, ChangeTable] = {}
    charts: dict[str, pd.DataFrame] = {}
    all_months = pd.period_range(min(present), max(present), freq="M")
    for group in groups.names:
        mask, reason = groups.members(events, group)
        if mask is None:
            notes.append(reason)
            continue
        counts = pd.Series(ev_month[mask]).value_counts()
        cats = groups.categories(group)
        broken = {m: _definition_break(cats, m) for m in months}
        table = ChangeTable.from_counts(
            [(m.strftime("%B %Y"), None if _old_scheme(cats, m) else _count(counts, m, present),
              None if broken[m] else _count(counts, m - 12, present)) for m in months],
            title=group, noun="incidents" if group == "Anti-social behaviour" else "crimes",
            missing={m.strftime("%B %Y"): broken[m] or _missing_text(m, present) for m in months},
        )
        note = groups.note(group)
        if note:
            table.notes.append(note)
        for m in months:  # police.uk category changes between the two years, said in place
            changed = category_change_notes(cats, m - 12, m)
            table.notes.extend(changed)
            notes.extend(f"{group}: {n}" for n in changed)
        if all(broken.values()) and table.total is not None:
            table.total["pct_text"] = broken[months[0]]
        if present:  # the control chart's baseline: up to 36 months before the reported months
            chart_notes = category_change_notes(cats, max(min(present), min(months) - 36), max(months))
            table.notes.extend(f"Control chart: the monthly series spans a category change. {n}"
                               for n in chart_notes if n not in table.notes)
        table.notes = list(dict.fromkeys(table.notes))
        tables[group] = table
        series = pd.Series([counts.get(p, 0) for p in all_months if p in present],
                           index=pd.PeriodIndex([p for p in all_months if p in present], freq="M"))
        charts[group] = control_chart(series)

    outcomes = _outcome_rates(events, ev_month, months, present, outcome_map)
    districts = _district_table(events, ev_month, months, present, groups, notes, lsoa_lookup)
    if "Burglary residential" not in tables and "Burglary (all)" in tables:
        notes.append("Burglary is shown as one group because the data do not separate residential from "
                     "business and community burglary.")
    return PerformanceReport(months, compare, area, tables, outcomes, districts, charts, list(dict.fromkeys(notes)),
                             alpha)


def _area_name(events: pd.DataFrame) -> str:
    forces = events["force"].dropna().unique() if "force" in events.columns else []
    return ", ".join(map(str, forces)) if len(forces) else "All areas"


def _count(counts: pd.Series, month: pd.Period, present: set) -> int | None:
    return int(counts.get(month, 0)) if month in present else None


def _old_scheme(categories, month: pd.Period) -> bool:
    """True when ``month`` itself predates a police.uk split of these categories (they cannot be counted)."""
    return any(severity == "break" for _, severity in category_changes(categories, month, month))


def _definition_break(categories, month: pd.Period) -> str | None:
    """Why ``month`` cannot be compared with a year earlier for these categories, or None."""
    breaks = [c for c, severity in category_changes(categories, month - 12, month) if severity == "break"]
    if not breaks:
        return None
    when = breaks[0].month.strftime("%B %Y")
    if month < breaks[0].month:
        return f"not available: police.uk did not publish these categories this way before {when} (see note)"
    return f"not comparable: category definitions changed in {when} (see note)"


def _missing_text(month: pd.Period, present: set) -> str:
    gaps = [m for m in (month, month - 12) if m not in present]
    return "; ".join(f"no data for {m.strftime('%B %Y')}" for m in gaps) or "no data"


def _outcome_rates(events, ev_month, months, present, outcome_map) -> pd.DataFrame:
    """Solved and charge rates of crimes (not ASB) recorded in the months, by their latest outcome."""
    if "outcome" not in events.columns:
        return pd.DataFrame()
    crimes = (events["category"].astype("object") != "Anti-social behaviour").to_numpy()
    solved_set = set(outcome_map.loc[outcome_map["solved"], "outcome"])
    charged_set = set(outcome_map.loc[outcome_map["charged"], "outcome"])
    outcome = events["outcome"].astype("object")
    rows = []
    for label, sel_months in (("This year", months), ("Last year", [m - 12 for m in months])):
        usable = [m for m in sel_months if m in present]
        in_period = crimes & np.isin(ev_month, usable)
        n = int(in_period.sum())
        solved = int((in_period & outcome.isin(solved_set).to_numpy()).sum())
        charged = int((in_period & outcome.isin(charged_set).to_numpy()).sum())
        rows.append({"period": label, "months": ", ".join(str(m) for m in usable) or "no data",
                     "crimes": n, "solved": solved, "charged": charged,
                     "solved_rate": _rate(solved, n), "charge_rate": _rate(charged, n)})
    table = pd.DataFrame(rows)
    a, b = table.iloc[0], table.iloc[1]
    for kind in ("solved", "charged"):
        p = None
        if a["crimes"] and b["crimes"]:
            p = float(stats.fisher_exact([[a[kind], a["crimes"] - a[kind]], [b[kind], b["crimes"] - b[kind]]])[1])
        table[f"p_{kind}"] = p
    return table


def _rate(k: int, n: int) -> float | None:
    if n == 0:
        return None
    return float((Decimal(k * 100) / Decimal(n)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


#: a district with fewer than this share of the force's crimes (both periods) joins the "Other districts" row
MIN_DISTRICT_SHARE = 0.005
#: the pooled row's key in the district table
OTHER_DISTRICTS = "other"


def _district_table(events, ev_month, months, present, groups: CategoryGroups, notes: list[str],
                    lsoa_lookup=None) -> pd.DataFrame:
    """Per district (keyed by current LAD code, labelled with today's name): each group's total over the
    comparable months vs last year. Notes go to ``notes``: renamed/merged districts counted under their
    current name, districts found in only one of the two periods, names the lookup does not know, and the
    districts under :data:`MIN_DISTRICT_SHARE` of the force's crimes pooled as one "Other districts" row."""
    comparable = [m for m in months if m in present and (m - 12) in present]
    if not comparable:
        return pd.DataFrame()
    keys = district_keys(events, lsoa_lookup=lsoa_lookup)
    code = keys["district_code"].to_numpy(object)
    idx, uniq = pd.factorize(code)
    first = np.unique(idx, return_index=True)[1]  # one row per district: its label
    label = dict(zip(uniq, keys["district"].to_numpy(object)[first]))
    last_mask = np.isin(ev_month, [m - 12 for m in comparable])
    this_cmp = np.isin(ev_month, comparable)
    used = keys[this_cmp | last_mask]
    for name, old in renamed(used).items():
        codes = used.loc[used["district"] == name, "district_code"].iloc[0]
        notes.append(f"Districts are keyed by ONS code across LSOA vintages, renames and mergers: "
                     f"{', '.join(old)} counted as {name} ({codes}).")
    unknown = unknown_names(used)
    if unknown and used["district_source"].isin(["lad_code", "district_code", "lsoa_code", "district",
                                                 "lsoa_name"]).any():
        notes.append("District names not in the ONS district lookup, kept as written: " + ", ".join(unknown[:10])
                     + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "") + ".")
    # police.uk places some crimes just over the force boundary: districts with a sliver of the force's
    # crimes are pooled into one row, or a force report lists dozens of neighbours with 1-12 crimes each
    scope = pd.Series(code[this_cmp | last_mask]).value_counts()
    small = [c for c, n in scope.items() if n < MIN_DISTRICT_SHARE * scope.sum() and c != UNKNOWN]
    if small and len(small) < len(scope):
        names = sorted(str(label[c]) for c in small)
        code = np.where(np.isin(code, small), OTHER_DISTRICTS, code)
        label[OTHER_DISTRICTS] = f"Other districts ({len(small)})"
        notes.append(f"{plural(len(small), 'district')} with under {MIN_DISTRICT_SHARE:.1%} of the force's crimes "
                     f"in the compared months each (mostly crimes located just over the force boundary) "
                     f"{'is' if len(small) == 1 else 'are'} pooled as 'Other districts': "
                     + ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "") + ".")
    in_this, in_last = set(code[this_cmp]), set(code[last_mask])
    for c in sorted((in_this ^ in_last) - {UNKNOWN, OTHER_DISTRICTS}, key=lambda c: str(label[c])):
        which = "this year" if c in in_this else "last year"
        notes.append(f"District {label[c]}: crimes only {which}, none in the other period's months; if its name "
                     "or boundary changed, its rows compare unlike areas.")
    rows = []
    for group in groups.names:
        mask, _ = groups.members(events, group)
        if mask is None:
            continue
        cats = groups.categories(group)
        broken = next((b for b in (_definition_break(cats, m) for m in comparable) if b), None)
        a = pd.Series(code[mask & this_cmp]).value_counts()
        b = pd.Series(code[mask & last_mask]).value_counts()
        for c in sorted(set(a.index) | set(b.index),
                        key=lambda c: (c == UNKNOWN, c == OTHER_DISTRICTS, str(label[c]))):
            last = None if broken else int(b.get(c, 0))
            this = None if any(_old_scheme(cats, m) for m in comparable) else int(a.get(c, 0))
            r = change_row(str(label[c]), this, last, missing=broken)
            rows.append({"group": group, "district_code": c, "district": label[c], "recorded": r["recorded"],
                         "last_year": r["last_year"], "pct_change": r["pct_change"], "pct_text": r["pct_text"],
                         "number_change": r["number_change"], "p_value": r["p_value"]})
    frame = pd.DataFrame(rows)
    return frame.astype(object).where(frame.notna(), None)  # no count or % -> None (null in JSON), not NaN
