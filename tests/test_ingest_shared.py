"""Real police.uk files from shared/data: Kent done-when check, stop-and-search, LSOA vintages, any force."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from hotpatrol.cli import app
from hotpatrol.ingest import ingest
from hotpatrol.store import Store

pytestmark = pytest.mark.shared_data
KENT = "police_uk_kent_2021-03_2022-03"


@pytest.mark.slow
def test_kent_every_row_accounted_for_and_idempotent(shared_data, tmp_path):
    db = f"sqlite:///{tmp_path / 'kent.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(shared_data / KENT), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    street, outcomes = out["kinds"]["street"], out["kinds"]["outcomes"]
    assert street["rows"] == 228_272 and outcomes["rows"] == 194_143
    assert street["stored"] + street["quarantined"] == 228_272
    assert outcomes["stored"] + outcomes["quarantined"] == 194_143
    assert street["reasons"]["no-coordinates"] == 2_533
    # 8 Crime IDs appear twice; in 2 pairs one copy has no coordinates, so 6 located duplicates remain
    assert street["reasons"] == {"no-coordinates": 2_533, "duplicate-id": 6}
    assert outcomes["reasons"] == {"duplicate-id": 5_405}  # exact repeated outcome rows
    store = Store(db)
    info = store.info()
    assert info["counts"]["events"] == street["stored"] == 228_272 - 2_533 - 6
    assert info["months"]["n"] == 13 and info["lsoa_vintages"] == {"2011": 26}
    assert info["quarantine"] == {"duplicate-id": 6 + 5_405, "no-coordinates": 2_533}

    again = json.loads(runner.invoke(app, ["ingest", str(shared_data / KENT), "--db", db, "--json"]).stdout)
    assert again["added"] == {"files": 0, "stored": 0, "quarantined": 0}
    assert again["kinds"] == out["kinds"]
    assert store.info()["counts"] == info["counts"]
    ev = store.load_events()
    assert ev["event_id"].is_unique and ev["outcome"].notna().mean() > 0.8


def test_city_of_london_stop_and_search(shared_data, tmp_path):
    folder = shared_data / "police_uk_city_of_london_2018-04_2020-11"
    files = sorted(folder.glob("2018-0[45]/*stop-and-search*"))
    db = f"sqlite:///{tmp_path / 'col.db'}"
    s = ingest(files, db=db)
    assert {f.kind for f in s.files} == {"stop-and-search"}
    assert s.stored + s.quarantined == s.rows > 0
    assert set(s.reasons) <= {"no-coordinates"}
    ss = Store(db).stop_search()
    assert set(ss["force"]) == {"City of London Police", "Metropolitan Police Service"}
    assert set(ss["month"]) == {"2018-04", "2018-05"}
    assert ss["occurred_at"].dt.second.ne(0).any()  # exact times
    assert len(Store(db).load_events()) == 0  # stop-and-search is not crime


def test_lsoa_vintages_and_other_forces(shared_data, tmp_path):
    db = f"sqlite:///{tmp_path / 'v.db'}"
    essex = shared_data / "police_uk_essex_2025" / "2025-01" / "2025-01-essex-street.csv.gz"
    kent = shared_data / KENT / "2021-03" / "2021-03-kent-street.csv.gz"
    wy = shared_data / "police_uk_west_yorkshire_jul_2016_2018" / "2016-07"
    s = ingest([essex, kent, wy], db=db)
    assert [f.lsoa_vintage for f in s.files] == ["2021", "2011", "2011"]
    info = Store(db).info()
    assert set(info["forces"]) == {"Essex Police", "Kent Police", "West Yorkshire Police"}
    ev = Store(db).load_events(force="Essex Police")
    codes = ev["lsoa_code"].dropna().str[3:].astype(int)
    assert (codes > 33768).any()  # 2021-only LSOA codes kept as given
    assert s.stored + s.quarantined == s.rows


def test_boundary_file_quarantines_points_outside_kent(shared_data, tmp_path):
    kent = shared_data / KENT / "2021-03" / "2021-03-kent-street.csv.gz"
    boundary = shared_data / "boundaries_kent_ons" / "kent_medway_lad_dissolved_from_lsoa2011.geojson"
    s = ingest([kent], db=f"sqlite:///{tmp_path / 'b.db'}", boundary=boundary)
    outside = s.reasons.get("outside-boundary", 0)
    located = s.rows - s.reasons["no-coordinates"]
    assert 0 < outside < 0.02 * located  # SOURCE.md: ~0.3% of located points fall outside Kent+Medway
