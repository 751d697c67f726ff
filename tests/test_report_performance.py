import json

import numpy as np
import pandas as pd
import pytest

from hotpatrol.errors import HotpatrolError
from hotpatrol.report import ChangeTable, load_groups, performance_report
from hotpatrol.report.performance import control_chart, exact_poisson_test, parse_months, pct_change
from hotpatrol.report.render import write_report

# Kent PCC performance report, victim-based crime, Aug-Oct 2022 vs 2021 (as published).
KENT_PUBLISHED = [
    ("August 2022", 13490, 12484, "8.1%", "1006"),
    ("September 2022", 12854, 12779, "0.6%", "75"),
    ("October 2022", 12045, 13258, "-9.1%", "-1213"),
    ("3 month total", 38389, 38521, "-0.3%", "-132"),
]


def test_published_kent_table_reproduced_exactly_from_counts():
    table = ChangeTable.from_counts([r[:3] for r in KENT_PUBLISHED[:3]], title="Victim based crime")
    frame = table.to_frame()
    assert list(frame[""]) == [r[0] for r in KENT_PUBLISHED]
    assert list(frame["Recorded crime"]) == [r[1] for r in KENT_PUBLISHED]
    assert list(frame["Last year"]) == [r[2] for r in KENT_PUBLISHED]
    assert list(frame["% change"]) == [r[3] for r in KENT_PUBLISHED]
    assert list(frame["Number change"]) == [r[4] for r in KENT_PUBLISHED]
    text = table.commentary()
    assert "slight decrease of 0.3%" in text and "132 fewer crimes" in text
    assert "within normal variation" in text  # 38389 vs 38521 is noise


def test_rounding_is_half_away_from_zero_on_exact_fraction():
    assert str(pct_change(1005, 1000)) == "0.5"
    assert str(pct_change(995, 1000)) == "-0.5"
    assert str(pct_change(2001, 2000)) == "0.1"  # 0.05 exactly rounds up, not to even
    assert pct_change(5, 0) is None


def test_exact_test_and_zero_base_never_divides_by_zero():
    assert exact_poisson_test(100, 100) == pytest.approx(1.0)
    assert exact_poisson_test(150, 100) < 0.01
    table = ChangeTable.from_counts([("Jan", 4, 0)])
    assert table.rows[0]["pct_text"] == "n/a (none last year)"
    assert "0%" not in table.to_frame()["% change"].iloc[0]
    assert "against none" in ChangeTable.from_counts([("Jan", 4, 0)], total_label="Total").commentary()


def test_commentary_matches_figures_and_direction():
    up = ChangeTable.from_counts([("Jan", 150, 100)], title="Robbery")
    assert "increase of 50.0%" in up.commentary() and "50 more crimes" in up.commentary()
    assert "more than normal variation" in up.commentary()
    same = ChangeTable.from_counts([("Jan", 10, 10)], title="Robbery")
    assert "unchanged" in same.commentary() and "%" not in same.commentary()


def test_parse_months_and_errors():
    assert [str(m) for m in parse_months("2022-01..2022-03")] == ["2022-01", "2022-02", "2022-03"]
    assert [str(m) for m in parse_months("2022-03,2022-01")] == ["2022-01", "2022-03"]
    with pytest.raises(HotpatrolError) as err:
        parse_months("March")
    assert err.value.parameter == "months"


def test_control_chart_flags_a_spike_with_seasonal_baseline():
    rng = np.random.default_rng(1)
    idx = pd.period_range("2019-01", "2022-12", freq="M")
    season = 100 + 30 * np.sin(2 * np.pi * (idx.month.to_numpy() - 1) / 12)
    counts = rng.poisson(season)
    counts[-1] = int(season[-1] * 1.6)
    chart = control_chart(pd.Series(counts, index=idx))
    assert chart["baseline"].iloc[-1] == "seasonal GLM"
    assert chart["signal"].iloc[-1] == "above"
    inner = chart["signal"].iloc[24:-1]
    assert (inner == "within").mean() > 0.9


def _events(month_counts: dict[str, dict[str, int]], outcome_share=0.1, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for month, cats in month_counts.items():
        for cat, n in cats.items():
            for i in range(n):
                rows.append({"month": month, "category": cat, "force": "Test Police",
                             "lsoa_name": f"{'Ashford' if i % 3 else 'Dover'} 00{i % 9}A",
                             "outcome": "Suspect charged" if rng.random() < outcome_share else "Unable to prosecute suspect"})
    return pd.DataFrame(rows)


def test_report_from_events_missing_months_and_unseparable_burglary(tmp_path):
    counts = {m: {"Violence and sexual offences": 50, "Burglary": 10, "Anti-social behaviour": 20, "Robbery": 3}
              for m in ["2021-02", "2021-03", "2022-02", "2022-03"]}
    counts["2022-03"]["Violence and sexual offences"] = 80
    ev = _events(counts)
    rep = performance_report(ev, months="2022-01..2022-03")
    vio = rep.tables["Violent crime"]
    assert vio.rows[0]["pct_text"] == "no data for January 2022; no data for January 2021"
    assert vio.rows[2]["recorded"] == 80 and vio.rows[2]["last_year"] == 50 and vio.rows[2]["pct_text"] == "60.0%"
    assert "2 of 3 months" in vio.total["label"]
    assert any("No data for January 2021" in n for n in rep.notes)
    assert "Burglary residential" not in rep.tables
    assert any("cannot be separated" in n for n in rep.notes)
    assert rep.tables["Burglary (all)"].total["recorded"] == 20
    assert set(rep.districts["district"]) == {"Ashford", "Dover"}
    assert rep.outcomes["crimes"].iloc[0] == (80 + 10 + 3) + (50 + 10 + 3)
    paths = write_report(rep, tmp_path / "r.html")
    html = paths["html"].read_text()
    assert "no data for January 2022" in html and "data:image/png;base64," in html
    assert paths["pdf"].read_bytes()[:4] == b"%PDF"
    data = json.loads(paths["json"].read_text())
    assert data["tables"]["Violent crime"]["rows"][2]["pct_change"] == 60.0
    assert (paths["tables"] / "violent_crime.csv").exists()


def test_offence_codes_separate_residential_burglary():
    ev = pd.DataFrame({"month": ["2022-01"] * 3 + ["2021-01"] * 2, "category": ["Burglary"] * 5,
                       "offence_code": ["28E", "30C", "28F", "28E", "30C"]})
    rep = performance_report(ev, months="2022-01")
    assert rep.tables["Burglary residential"].total["recorded"] == 2
    assert rep.tables["Burglary business and community"].total["last_year"] == 1


def test_no_data_for_requested_months_is_a_clear_error():
    ev = _events({"2021-01": {"Robbery": 2}})
    with pytest.raises(HotpatrolError, match="No data for any of the months") as err:
        performance_report(ev, months="2023-01")
    assert err.value.parameter == "months"


def test_group_table_is_editable_and_validated(tmp_path):
    path = tmp_path / "g.csv"
    path.write_text("group,source,key,note\nThefts,category,Other theft,\n")
    assert load_groups(path).names == ["Thefts"]
    path.write_text("group,source,key,note\nThefts,colour,Other theft,\n")
    with pytest.raises(HotpatrolError) as err:
        load_groups(path)
    assert err.value.row == 2 and err.value.column == "source"


def test_pdf_page_renders_as_png(tmp_path):
    pdfium = pytest.importorskip("pypdfium2")
    ev = _events({m: {"Violence and sexual offences": 30, "Robbery": 2} for m in ["2021-05", "2022-05"]})
    paths = write_report(performance_report(ev, months="2022-05"), tmp_path / "r.html")
    pdf = pdfium.PdfDocument(str(paths["pdf"]))
    assert len(pdf) >= 1
    image = pdf[0].render(scale=0.5).to_pil()
    pixels = np.asarray(image.convert("L"), dtype=float)
    assert pixels.shape[0] > 300 and pixels.std() > 5  # a page with content, not blank
    image.save(tmp_path / "page1.png")


def test_zero_in_both_years_is_not_a_percentage():
    row = ChangeTable.from_counts([("Jan", 0, 0)]).rows[0]
    assert row["pct_text"] == "none in either year" and row["p_value"] is None


# ---------------------------------------------------------------- issue 16 item 7: counts of one, no comparable month


def test_commentary_says_one_crime_not_one_crimes():
    from hotpatrol.report.performance import commentary

    one_more = ChangeTable.from_counts([("Jan", 2, 1)], title="Robbery")
    text = one_more.commentary()
    assert "with 1 more crime than" in text and "crimes" not in text
    fewer = ChangeTable.from_counts([("Jan", 1, 2)], title="Robbery").commentary()
    assert "1 fewer crime than" in fewer and "1 crimes" not in fewer
    same = ChangeTable.from_counts([("Jan", 1, 1)], title="Robbery").commentary()
    assert "unchanged at 1 crime (" in same
    none_before = ChangeTable.from_counts([("Jan", 1, 0)], title="Robbery").commentary()
    assert "1 crime recorded against none" in none_before
    asb = ChangeTable.from_counts([("Jan", 1, 0)], title="ASB", noun="incidents").commentary()
    assert "1 incident recorded" in asb
    # plurals stay plural
    assert "with 2 more crimes" in ChangeTable.from_counts([("Jan", 3, 1)], title="Robbery").commentary()
    row = {"label": "Jan", "recorded": 1, "last_year": None, "pct_text": "no data for January 2021"}
    assert commentary("Robbery", row) == "Robbery: 1 crime recorded; no comparison is possible (no data for January 2021)."


def test_total_row_keeps_this_years_count_without_a_comparable_month():
    table = ChangeTable.from_counts([("January 2022", 5, None), ("February 2022", 7, None)], title="Robbery")
    assert table.total["recorded"] == 12 and table.total["last_year"] is None
    assert table.total["pct_text"] == "no comparable months"
    assert table.to_frame()["Recorded crime"].iloc[-1] == 12
    assert "12 crimes recorded; no comparison is possible (no comparable months)" in table.commentary()
    # a month missing this year too: the total says how many months it holds
    part = ChangeTable.from_counts([("January 2022", 5, None), ("February 2022", None, None)], title="Robbery")
    assert part.total["recorded"] == 5 and "1 of 2 months with data" in part.total["label"]
    nothing = ChangeTable.from_counts([("January 2022", None, None)], title="Robbery")
    assert nothing.total["recorded"] is None


def test_report_from_events_with_no_last_year_data():
    ev = _events({"2022-01": {"Robbery": 1, "Burglary": 4}, "2022-02": {"Robbery": 2}})
    rep = performance_report(ev, months="2022-01..2022-02")
    rob = rep.tables["Robbery"]
    assert rob.total["recorded"] == 3 and rob.total["last_year"] is None
    assert "3 crimes recorded" in rob.commentary()
    burg = rep.tables["Burglary (all)"]
    assert burg.total["recorded"] == 4 and "4 crimes recorded" in burg.commentary()


def test_plural_helper():
    from hotpatrol.text import plural, singular_of, verb

    assert plural(1, "crime") == "1 crime" and plural(2, "crime") == "2 crimes" and plural(0, "crime") == "0 crimes"
    assert plural(1234, "place") == "1,234 places" and plural(1.0, "event") == "1 event"
    assert plural(2.5, "event") == "2.5 events" and plural(1, "box", "boxes") == "1 box"
    assert plural(3, "crime", with_number=False) == "crimes"
    assert singular_of("crimes") == "crime" and singular_of("incidents") == "incident"
    assert verb(1, "has", "have") == "has" and verb(2, "has", "have") == "have"
