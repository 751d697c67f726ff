"""Counts of one read "1 place", "1 event" in generated text (issue 16 item 7, beyond the report)."""

from __future__ import annotations

import numpy as np
from hotspot_helpers import grid_layer

from hotpatrol.hotspots import inference
from hotpatrol.hotspots.rank import rank_places


def test_rank_summary_with_one_place():
    places = grid_layer(5, 5)
    v = np.zeros(places.n)
    v[7] = 3.0
    s = rank_places(v, places, top=3).summary()
    assert s.title == "Top 1 place"
    text = s.as_text()
    assert "1 of 25 places (4.00%) holds" in text and "only 1 place qualifies" in text
    assert "1 places" not in text


def test_fdr_note_with_one_place_at_the_floor():
    p = np.full(10, 0.5)
    _, note = inference.choose_pvalues(p, p, "sim", "fdr", 999)
    assert "at least 1 place reaches the permutation floor" in note


def test_space_time_and_forecast_notes_agree_in_number():
    import pandas as pd

    from hotpatrol.events import conform
    from hotpatrol.forecast.exposure import span_note
    from hotpatrol.forecast.prepared import prepare

    t = pd.Series(pd.to_datetime(["2022-01-01 10:00"]))
    ev = conform(pd.DataFrame({"event_id": ["a"], "occurred_from": t, "occurred_at": t, "category": "Robbery"}))
    ev["x"], ev["y"] = 500000.0, 150000.0
    prep, _ = prepare(ev, places=None, cell=150.0)
    note = span_note(prep, prep.end)
    assert "1 event from 2022-01-01 00:00 to 2022-01-02 00:00 (1 day;" in note
