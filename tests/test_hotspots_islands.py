"""Places with no neighbour ("islands") in Gi*, local Moran and emerging hot spots (issue 16, case 01).

An island must get the statistic's defined value (lag 0: z = 0, p = 1, not significant), be left out
of the multiple-testing count, and be counted and named in the result, wherever it sits in the
table, for every kind of weights and for permutation and normal p-values.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from typer.testing import CliRunner

from hotpatrol.hotspots import inference, weights as wts
from hotpatrol.hotspots.emerging import emerging, space_time_gi
from hotpatrol.hotspots.getis import getis_ord, gi_star_z
from hotpatrol.hotspots.lisa import local_moran
from hotpatrol.places import Grid, PlacesLayer

from hotspot_helpers import polygon_layer

runner = CliRunner()

# eight 100 m squares in a 4 x 2 block (all touch) and one square 50 km away
_BLOCK = [(500000 + 100 * i, 150000 + 100 * j) for j in range(2) for i in range(4)]
_FAR = (550000, 150000)
_VALUES = np.array([5.0, 9.0, 2.0, 0.0, 7.0, 12.0, 1.0, 3.0])


def _square(x, y, s=100):
    return f"POLYGON(({x} {y}, {x + s} {y}, {x + s} {y + s}, {x} {y + s}, {x} {y}))"


def _layer(pos):
    """The block with the far square inserted at ``pos``; place ids are 'B0'..'B7' and 'FAR'."""
    corners = list(_BLOCK)
    ids = [f"B{k}" for k in range(len(corners))]
    corners.insert(pos, _FAR)
    ids.insert(pos, "FAR")
    values = list(_VALUES)
    values.insert(pos, 20.0)  # the island has the largest value: it must still not be a hot spot
    return polygon_layer([_square(x, y) for x, y in corners], ids=np.array(ids, dtype=object)), np.array(values)


POSITIONS = {"first": 0, "middle": 4, "last": 8}
KINDS = [("queen", None), ("rook", None), ("distance", 150.0)]


def test_row_extremes_with_empty_rows_anywhere():
    dense = np.array([[0, 2, 0, 3], [0, 0, 0, 0], [1, 0, 0, 4], [0, 0, 0, 0]], dtype=float)
    for order in ([0, 1, 2, 3], [1, 0, 3, 2], [3, 1, 0, 2]):
        W = sp.csr_matrix(dense[order])
        mx, mn = inference.row_extremes(W)
        rows = dense[order]
        want_max = np.array([r[r != 0].max() if (r != 0).any() else 0 for r in rows])
        want_min = np.array([r[r != 0].min() if (r != 0).any() else 0 for r in rows])
        assert np.array_equal(mx, want_max) and np.array_equal(mn, want_min)
    mx, mn = inference.row_extremes(sp.csr_matrix((3, 3)))
    assert not mx.any() and not mn.any()


@pytest.mark.parametrize("where", list(POSITIONS))
@pytest.mark.parametrize("kind,distance", KINDS)
@pytest.mark.parametrize("permutations", [0, 99])
def test_gi_and_lisa_give_islands_the_defined_value(where, kind, distance, permutations):
    places, values = _layer(POSITIONS[where])
    i = POSITIONS[where]
    gi = getis_ord(values, places, weights=kind, distance=distance, permutations=permutations, seed=1)
    lisa = local_moran(values, places, weights=kind, distance=distance, permutations=permutations, seed=1)
    for res in (gi, lisa):
        assert res.n_islands == 1 and list(res.islands_) == ["FAR"]
        assert res.p_norm[i] == 1.0 and res.p_adj[i] == 1.0
        if permutations:
            assert res.p_sim[i] == 1.0
        frame = res.to_frame()
        assert frame["island"].tolist() == [k == i for k in range(places.n)]
        notes = " ".join(res.summary().notes)
        assert "FAR" in notes and "no neighbour" in notes
        assert res.params["islands"] == 1
        d = res.to_dict()
        assert d["n_islands"] == 1 and d["islands"] == ["FAR"]
    assert gi.z[i] == 0.0 and gi.bins[i] == 0 and gi.to_frame()["label"].iloc[i] == "Not significant"
    assert lisa.I[i] == 0.0 and lisa.z[i] == 0.0
    assert lisa.cluster[i] == "Not significant" and lisa.quadrant[i] == "Island"
    # every other place has a neighbour, whatever the weights
    assert (wts.cardinalities(wts.build(places, kind, distance=distance)) > 0).sum() == places.n - 1


@pytest.mark.parametrize("kind,distance", KINDS)
def test_island_position_does_not_change_the_other_places(kind, distance):
    """Analytic results of the connected places are the same whether the island is first, middle or last."""
    out = {}
    for where, pos in POSITIONS.items():
        places, values = _layer(pos)
        keep = np.asarray(places.place_id) != "FAR"
        gi = getis_ord(values, places, weights=kind, distance=distance, permutations=0)
        lisa = local_moran(values, places, weights=kind, distance=distance, permutations=0)
        out[where] = (gi.z[keep], gi.p_adj[keep], lisa.I[keep], lisa.p_adj[keep])
    for where in ("middle", "last"):
        for a, b in zip(out["first"], out[where]):
            np.testing.assert_allclose(a, b, rtol=1e-12)


def test_islands_are_left_out_of_the_correction():
    places, values = _layer(8)
    gi = getis_ord(values, places, weights="queen", permutations=0, correction="holm")
    keep = slice(0, 8)
    want = inference.adjust_pvalues(gi.p_norm[keep], "holm")  # 8 tests, not 9
    np.testing.assert_allclose(gi.p_adj[keep], want)


def test_grid_and_user_matrix_islands():
    grid = Grid(500000.0, 150000.0, 100.0, 10, 10, "EPSG:27700")
    cells = np.array([0, 1, 10, 11, 99])  # a 2 x 2 block and the far corner cell, last
    places = PlacesLayer.from_grid(grid, cells)
    values = np.array([3.0, 5.0, 1.0, 0.0, 9.0])
    for kind, dist in (("queen", None), ("rook", None), ("distance", 150.0)):
        for perms in (0, 99):
            gi = getis_ord(values, places, weights=kind, distance=dist, permutations=perms)
            lisa = local_moran(values, places, weights=kind, distance=dist, permutations=perms)
            assert gi.z[4] == 0 and gi.bins[4] == 0 and lisa.cluster[4] == "Not significant"
            assert gi.n_islands == lisa.n_islands == 1 and list(gi.islands_) == [99]
    W = sp.csr_matrix(np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]], dtype=float))
    tri = PlacesLayer.from_grid(grid, np.array([0, 1, 2]))
    for perms in (0, 99):
        gi = getis_ord(np.array([1.0, 4.0, 6.0]), tri, weights=W, permutations=perms)
        assert gi.z[2] == 0 and gi.p_adj[2] == 1 and list(gi.islands_) == [2]


def test_gi_star_z_zeroes_islands_in_every_column():
    W = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=float))
    X = np.array([[1.0, 2.0], [4.0, 0.0], [2.0, 5.0], [9.0, 7.0]])
    z = gi_star_z(X, W)
    assert (z[3] == 0).all() and (z[:3] != 0).any()


def test_emerging_islands_get_no_pattern_on_both_paths():
    rng = np.random.default_rng(3)
    W = sp.csr_matrix(np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 1, 0, 0], [0, 0, 0, 0]], dtype=float))
    cube = rng.poisson(2.0, size=(4, 12)).astype(float)
    cube[3] = np.arange(12) * 3.0  # the island rises steadily: alone it would look "intensifying"
    closed = space_time_gi(cube, W, time_lag=1)
    explicit = space_time_gi(cube, W, time_lag=1, gi_star=gi_star_z)
    np.testing.assert_allclose(closed, explicit, atol=1e-10)
    assert (closed[3] == 0).all()
    res = emerging(cube, W, time_lag=1)
    assert res.category[3] == "No Pattern Detected" and (res.p[3] == 1).all()
    assert res.n_islands == 1 and list(res.islands_) == [3]
    assert any("no neighbour" in n for n in res.summary().notes)


def test_every_snap_point_an_island_says_use_a_distance_band():
    mask = np.array([True] * 9 + [False])
    note = wts.island_note(np.arange(10), mask, "queen", layer_kind="locations")
    assert "9 of 10 places" in note and "--weights distance --distance" in note
    one = wts.island_note(np.arange(10), np.eye(1, 10, 3, dtype=bool)[0], "queen")
    assert "1 of 10 places has no neighbour" in one and "island: 3" in one and "distance" not in one
    assert wts.island_note(np.arange(3), np.zeros(3, dtype=bool), "queen") is None


# ----------------------------------------------------------------------------------------------
# the case command through the CLI, with hand-made police.uk rows and polygons (lon/lat)

_HEADER = ("Crime ID,Month,Reported by,Falls within,Longitude,Latitude,Location,LSOA code,LSOA name,Crime type,"
           "Last outcome category,Context")


def _case_files(tmp_path: Path, island_last: bool = True):
    """Two touching ~0.01 degree squares near Margate and one 50 km away (Medway), as in case 01."""
    def sq(x, y, s=0.01):
        return [[[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]]]

    feats = [("E01024633", "Thanet 006A", sq(1.41, 51.36)), ("E01024634", "Thanet 006B", sq(1.42, 51.36)),
             ("E01016070", "Medway 001A", sq(0.55, 51.40))]
    if not island_last:
        feats = [feats[2]] + feats[:2]
    gj = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"LSOA11CD": c, "LSOA11NM": n}, "geometry": {"type": "Polygon", "coordinates": g}}
        for c, n, g in feats]}
    poly = tmp_path / "three.geojson"
    poly.write_text(json.dumps(gj))
    rows = [(1.415, 51.365, "E01024633", "Thanet 006A")] + [(1.425, 51.365, "E01024634", "Thanet 006B")] * 2 + \
           [(0.555, 51.405, "E01016070", "Medway 001A")] * 4
    lines = [_HEADER] + [f"id{k},2021-03,Kent Police,Kent Police,{x},{y},On or near X,{c},{n},Criminal damage and arson,,"
                         for k, (x, y, c, n) in enumerate(rows)]
    csv = tmp_path / "2021-03-kent-street.csv"
    csv.write_text("\n".join(lines) + "\n")
    return csv, poly


@pytest.mark.parametrize("island_last", [True, False])
@pytest.mark.parametrize("method", ["gi", "lisa"])
@pytest.mark.parametrize("perms", ["99", "0"])
def test_case_01_cli_json(tmp_path, method, perms, island_last):
    from hotpatrol.cli import app

    csv, poly = _case_files(tmp_path, island_last)
    db = str(tmp_path / "t.db")
    r = runner.invoke(app, ["ingest", str(csv), "--db", db])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["hotspots", "--db", db, "--method", method, "--places", str(poly), "--weight", "count",
                            "--permutations", perms, "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["n_islands"] == 1 and out["islands"] == ["E01016070"]
    assert any("E01016070" in n and "no neighbour" in n for n in out["summary"]["notes"])
    table = out["summary"]["table"]
    assert sum(row["places"] for row in table if row.get("class", row.get("cluster")) == "Not significant") == 3


def test_case_01_shared_files(tmp_path, shared_data):
    """The case's own files (skipped when /work/shared is absent)."""
    from hotpatrol.cli import app

    case = Path(shared_data).parent / "cases" / "01-lisa-gi-island-last-place"
    if not case.exists():
        pytest.skip("case 01 files not present")
    db = str(tmp_path / "t.db")
    assert runner.invoke(app, ["ingest", str(case / "2021-03-kent-street.csv"), "--db", db]).exit_code == 0
    for method in ("gi", "lisa"):
        r = runner.invoke(app, ["hotspots", "--db", db, "--method", method, "--places",
                                str(case / "three_lsoas_island_last.geojson"), "--weight", "count",
                                "--permutations", "99", "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["islands"] == ["E01016070"]
