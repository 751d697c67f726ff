"""Settings: typed environment overrides with clear errors, read at call time; the naming table in the docs."""

from __future__ import annotations

import pytest

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError


@pytest.mark.parametrize("name,raw,value", [("top", " 7 ", 7), ("cell", "250", 250.0), ("alpha", "0.1", 0.1),
                                            ("db", "sqlite:///x.db", "sqlite:///x.db"), ("seed", "-3", -3)])
def test_environment_values_are_typed(monkeypatch, name, raw, value):
    monkeypatch.setenv(f"HOTPATROL_{name.upper()}", raw)
    got = settings.get(name)
    assert got == value and type(got) is type(settings._BY_NAME[name].default)


@pytest.mark.parametrize("name,raw,kind", [("top", "ten", "integer"), ("top", "2.5", "integer"),
                                           ("cell", "wide", "number"), ("alpha", "nan", "number"),
                                           ("scheme", "  ", "text")])
def test_bad_environment_value_names_variable_type_and_value(monkeypatch, name, raw, kind):
    monkeypatch.setenv(f"HOTPATROL_{name.upper()}", raw)
    with pytest.raises(HotpatrolError) as info:
        settings.get(name)
    err = info.value.to_dict()["error"]
    assert err["parameter"] == f"HOTPATROL_{name.upper()}" and err["allowed"] == kind and err["given"] == raw
    assert f"HOTPATROL_{name.upper()}" in err["message"] and kind in err["message"]


def test_unknown_setting_is_an_error():
    with pytest.raises(HotpatrolError) as info:
        settings.get("cells")
    assert "cell" in info.value.to_dict()["error"]["allowed"]


def test_defaults_are_read_at_call_time(monkeypatch):
    from hotpatrol.hotspots.trends import _scheme

    assert settings.resolve("top", 5) == 5 and settings.resolve("top") == 20
    monkeypatch.setenv("HOTPATROL_TOP", "9")
    monkeypatch.setenv("HOTPATROL_SCHEME", "count")
    assert settings.resolve("top") == 9  # set after import: still counts
    assert _scheme(None) == "count" and _scheme("harm") == "count" and _scheme("cchi") == "cchi"


def test_docs_show_types_environment_and_names():
    text = settings.markdown()
    assert "| `top` | integer | `20` | `HOTPATROL_TOP` |" in text
    assert "--output" in text and "--weight" in text and "included at both ends" in text
