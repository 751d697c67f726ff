"""The overview page (what it sends, offline assets) and the analysis adapter on a generated county."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest


def _payload(resp) -> dict:
    text = resp.content.decode()
    found = re.search(r'<script id="overview-data" type="application/json">(.*?)</script>', text, re.S)
    assert found, "no overview data on the page"
    return json.loads(found.group(1))


def test_overview_sends_districts_cells_ranking_and_concentration(world, client, settings):
    client.force_login(world["users"]["analyst"])
    resp = client.get("/")
    assert resp.status_code == 200
    data = _payload(resp)
    assert {f["properties"]["code"] for f in data["districts"]["features"]} == {"a", "b"}
    assert len(data["cells"]) == 6
    harms = [c[5] for c in data["cells"]]
    assert harms == sorted(harms, reverse=True)
    lon0, lat0, lon1, lat1 = data["cells"][0][1:5]
    assert -8 < lon0 < lon1 < 2 and 49 < lat0 < lat1 < 61  # BNG corners made lon/lat for Leaflet
    assert len(data["months"]) == 13
    page = resp.content.decode()
    assert 'id="ranking"' in page and "<polyline" in page and 'id="lorenz"' in page
    settings.HOTPATROL_MAP_CELLS = 2  # only the cells that matter are sent
    assert len(_payload(client.get("/"))["cells"]) == 2


def test_commander_lands_on_their_district(world, client):
    client.force_login(world["users"]["commander"])
    data = _payload(client.get("/"))
    assert [f["properties"]["code"] for f in data["districts"]["features"]] == ["a"]
    assert len(data["cells"]) == 3
    assert client.get("/districts/b/").status_code == 404


def test_cell_detail_has_crime_mix_and_13_months(world, client):
    client.force_login(world["users"]["officer"])
    cell = world["cells"]["a"][0]
    detail = client.get(f"/api/v1/hotspots/{cell.pk}").json()
    assert detail["mix"] == {"Burglary": 1, "Robbery": 1}
    assert len(detail["months"]) == len(detail["series"]) == 13


def test_no_external_requests_in_pages(world, client):
    """Every script, stylesheet and image is served by the site (no CDN, no tile server)."""
    client.force_login(world["users"]["admin"])
    pages = [client.get(u).content.decode() for u in ("/", "/districts/a/", "/audit/", "/api/v1/docs",
                                                      "/accounts/login/")]
    for html in pages:
        for url in re.findall(r'(?:src|href)="([^"]+)"', html):
            assert not url.startswith(("http://", "https://", "//")), url
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/LICENSE").status_code == 200
    js = b"".join(client.get("/static/core/overview.js").streaming_content)
    assert b"tileLayer" not in js and b"http" not in js


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A small generated county ingested into a store (its own SQLite file)."""
    from hotpatrol.ingest import ingest
    from hotpatrol.synthetic import generate_county

    out = tmp_path_factory.mktemp("county")
    c = generate_county(scale=0.02, years=2, seed=7)
    files = c.write(out / "data")
    db = f"sqlite:///{out / 'store.db'}"
    ingest([files["police_uk"]], db=db)
    return {"db": db, "districts": files["districts"]}


def test_library_adapter_ranks_cells_per_district(county):
    from hotpatrol.web import library

    districts = library.read_districts(county["districts"], "LAD_NM", "LAD_CD")
    assert districts.crs.to_epsg() == 27700 and len(districts) >= 2
    result = library.analyse(county["db"], districts, months=12)
    cells = result.cells
    assert len(cells) > 50 and (cells["count"] > 0).all()
    assert cells["harm"].is_monotonic_decreasing and list(cells["rank"]) == list(range(1, len(cells) + 1))
    assert len(result.months) == 13 and result.series.shape == (len(cells), 13)
    # the crime mix over the 12 months adds up to each cell's count; the series covers one month more
    assert [sum(m.values()) for m in result.mix] == cells["count"].tolist()
    assert (result.series[:, 1:].sum(axis=1) == cells["count"].to_numpy()).all()
    for code, part in result.result["districts"].items():
        ranked = [r["value"] for r in part["ranking"]["rows"]]
        expect = sorted(cells.loc[cells["district"] == code, "harm"], reverse=True)[:len(ranked)]
        assert np.allclose(ranked, expect)
        lor = part["lorenz"]
        assert lor["places"][0] == 0 and lor["harm"][-1] == pytest.approx(1)
    json.dumps(result.result)  # strict JSON


def test_read_districts_errors_name_the_column(county, tmp_path):
    from hotpatrol.errors import HotpatrolError
    from hotpatrol.web import library

    with pytest.raises(HotpatrolError) as err:
        library.read_districts(county["districts"], "NAME")
    assert err.value.parameter == "name_column" and "LAD_NM" in err.value.allowed
    with pytest.raises(HotpatrolError) as err:
        library.read_districts(tmp_path / "missing.geojson", "LAD_NM")
    assert err.value.parameter == "FILE"


def test_analysis_saved_by_the_site(county, db):
    from hotpatrol.web import site
    from hotpatrol.web.core.models import AnalysisRun, HotspotCell

    site.load_districts(county["districts"], name_column="LAD_NM", code_column="LAD_CD", force_name="Synthshire")
    run = site.analyse(county["db"])
    assert AnalysisRun.objects.count() == 1 and run.n_cells == HotspotCell.objects.count()
    top = HotspotCell.objects.order_by("rank").first()
    assert top.district is not None and top.district_rank == 1 and len(top.series) == 13


def test_cached_page_data_never_crosses_scopes(world, client):
    client.force_login(world["users"]["analyst"])
    assert len(_payload(client.get("/"))["cells"]) == 6  # fills the force-wide cache entry
    client.force_login(world["users"]["commander"])
    data = _payload(client.get("/"))
    assert [f["properties"]["code"] for f in data["districts"]["features"]] == ["a"] and len(data["cells"]) == 3
    client.force_login(world["users"]["commander_b"])
    data = _payload(client.get("/"))
    assert [f["properties"]["code"] for f in data["districts"]["features"]] == ["b"]
    assert {c[0] for c in data["cells"]} == {c.pk for c in world["cells"]["b"]}


def test_background_task_runs_a_new_analysis(county, db, monkeypatch):
    from hotpatrol.web import site
    from hotpatrol.web.core.models import AnalysisRun
    from hotpatrol.web.core.tasks import analyse_store

    site.load_districts(county["districts"], name_column="LAD_NM", code_column="LAD_CD")
    monkeypatch.setenv("HOTPATROL_DB", county["db"])
    out = analyse_store.call(months=6)
    run = AnalysisRun.objects.get(pk=out["run"])
    first, last = (int(p.replace("-", "")) for p in (run.period_start, run.period_end))
    assert out["cells"] == run.n_cells > 0 and (last // 100 * 12 + last % 100) - (first // 100 * 12 + first % 100) == 5
