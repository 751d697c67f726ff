"""The platform's commands end to end, each in a fresh process as a user runs them: users create,
users token, districts load, serve (gunicorn + the task worker) answering the API with the token.
SQLite here; the same on PostgreSQL (marked postgres)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"


def _env(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(SRC), HOTPATROL_HOME=str(tmp_path / "home"), HOTPATROL_MFA_REQUIRED="1")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def hp(tmp_path, *args, check=True):
    done = subprocess.run([sys.executable, "-m", "hotpatrol", *args], env=_env(tmp_path), capture_output=True,
                          text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _districts_file(tmp_path) -> Path:
    feats = []
    for i, name in enumerate(("North", "South")):
        x0 = 530000 + 5000 * i
        ring = [[x0, 180000], [x0 + 5000, 180000], [x0 + 5000, 185000], [x0, 185000], [x0, 180000]]
        feats.append({"type": "Feature", "properties": {"NAME": name, "CODE": f"D{i}"},
                      "geometry": {"type": "Polygon", "coordinates": [ring]}})
    path = tmp_path / "districts.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats,
                                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}}))
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, token=None):
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def run_platform(tmp_path, db):
    loaded = json.loads(hp(tmp_path, "districts", "load", str(_districts_file(tmp_path)), "--name-column", "NAME",
                           "--code-column", "CODE", "--db", db, "--json").stdout)
    assert [d["name"] for d in loaded["districts"]] == ["North", "South"] and loaded["run"] is None  # no events yet
    made = json.loads(hp(tmp_path, "users", "create", "chief", "--role", "commander", "--district", "South",
                         "--team", "Alpha", "--db", db, "--json").stdout)
    assert made["role"] == "commander" and made["district"] == "South"
    bad = hp(tmp_path, "users", "create", "x", "--role", "general", "--db", db, "--json", check=False)
    assert bad.returncode == 2 and json.loads(bad.stdout)["error"]["parameter"] == "role"
    token = json.loads(hp(tmp_path, "users", "token", "chief", "--db", db, "--json").stdout)["token"]
    assert token.startswith("hp_")
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-m", "hotpatrol", "serve", "--db", db, "--port", str(port),
                               "--workers", "1", "--threads", "2"], env=_env(tmp_path), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(240):
            try:
                if _get(base + "/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        else:
            pytest.fail("hotpatrol serve did not answer")
        status, body = _get(base + "/api/v1/districts", token)
        assert status == 200 and [d["name"] for d in body["items"]] == ["South"]  # a commander: own district only
        assert _get(base + "/api/v1/districts/d0", token)[0] == 404
        status, body = _get(base + "/api/v1/me", token)
        assert body["role"] == "commander" and body["team"] == "Alpha"
        status, body = _get(base + "/api/v1/districts")
        assert status == 401 and "token" in body["error"]["message"]
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=60)
    assert "Starting worker" in out or "db_worker" in out or "worker" in out.lower()


@pytest.mark.slow
def test_platform_commands_on_sqlite(tmp_path):
    db = f"sqlite:///{tmp_path / 'store.db'}"
    run_platform(tmp_path, db)
    import sqlite3

    con = sqlite3.connect(tmp_path / "store.db")
    mode = con.execute("PRAGMA journal_mode").fetchone()[0]
    hashes = [r[0] for r in con.execute("SELECT key_hash FROM core_apitoken")]
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    con.close()
    assert mode == "wal" and len(hashes) == 1 and len(hashes[0]) == 64
    assert {"events", "core_district", "auth_user"} <= tables  # the store's and the site's tables, one file


@pytest.mark.slow
@pytest.mark.postgres
def test_platform_commands_on_postgres(tmp_path, pg_url):
    run_platform(tmp_path, pg_url)
