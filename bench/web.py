"""Benchmark: 100 concurrent users against ``hotpatrol serve`` (gunicorn gthread) on the demo store.

    PYTHONPATH=src python bench/web.py [--seconds 60] [--users 100] [--think 1.0] [--pg [URL]]
                                       [--workers 2] [--threads 8] [--work DIR] [--json FILE]

1. Builds the demo store once (``hotpatrol demo``, cached in ``--work``); with ``--pg`` the demo's police.uk
   files are ingested into a fresh PostgreSQL database (``hotpatrol_bench_web``) and the demo site is built
   there. Two bench accounts (an admin: the force overview; a commander: their district's overview) get
   a password, an enrolled TOTP authenticator and an API token.
2. Starts ``hotpatrol serve`` (migrations, gunicorn gthread ``--workers`` x ``--threads``, the task
   worker) on a free 127.0.0.1 port, in its own process.
3. From this process (a second one, on 127.0.0.1 only), signs both accounts in through the real forms
   (password, then the TOTP code), then runs ``--users`` virtual users for ``--seconds`` with httpx
   (async). Each user repeats: one request, then a think time uniform in [0.5, 1.5] x ``--think`` seconds.
   The mix: 30 % the overview page (signed-in session cookie), 50 % API reads (bearer token: districts,
   hotspots of a district, one cell's detail, the ranking), 20 % a static file (``leaflet.css``) -- the
   baseline measured in the same run, under the same load.

Prints requests, throughput, p50/p90/p99/max latency and errors per kind (and per API operation), each
kind's p50 and p99 as a ratio to the static baseline's, and the targets: 0 errors, p99 < 300 ms for pages
and < 100 ms for API reads. Nothing here is a timed test: figures go to docs/platform.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
PASSWORD = "bench-password-4242 long"
TARGETS_MS = {"page": 300.0, "api": 100.0}
MIX = (("page", 0.3), ("api", 0.5), ("static", 0.2))
STATIC = "/static/vendor/leaflet/leaflet.css"
DEFAULT_PG = os.environ.get("HOTPATROL_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC)] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def _hp(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "hotpatrol", *args], env=_env(), capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"hotpatrol {' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


# ------------------------------------------------------------------ the store
def demo_store(work: Path) -> Path:
    """The demo's output folder (store hotpatrol.db with the demo site), built once."""
    out = work / "demo"
    if not (out / "hotpatrol.db").exists() or not (out / ".site-built").exists():
        shutil.rmtree(out, ignore_errors=True)
        print(f"building the demo store in {out} ...", flush=True)
        _hp("demo", "--out", str(out), "--no-trial", "--no-pdf", "--password", PASSWORD, "--json")
        (out / ".site-built").write_text("ok")
    return out


def pg_store(demo: Path, url: str) -> str:
    """A fresh PostgreSQL database with the demo's events and the demo site; returns its URL."""
    import sqlalchemy as sa

    base = sa.engine.make_url(url)
    name = "hotpatrol_bench_web"
    admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db = base.set(database=name).render_as_string(hide_password=False)
    print(f"ingesting the demo into {base.set(database=name)} ...", flush=True)
    _hp("ingest", str(demo / "data" / "police_uk"), "--db", db, "--json")
    env = dict(_env(), HOTPATROL_DEMO_PASSWORD=PASSWORD, HOTPATROL_DB=db)
    done = subprocess.run([sys.executable, "-m", "hotpatrol.web.demo_site", db, str(demo / "data" / "districts.geojson")],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"building the demo site on PostgreSQL failed:\n{done.stderr[-4000:]}")
    return db


def prepare_accounts(db: str) -> dict:
    """Bench accounts with TOTP and tokens, and the ids the API reads use (run in a child process)."""
    code = r"""
import json, sys
from hotpatrol.web import configure
configure(sys.argv[1])
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from hotpatrol.web import site
from hotpatrol.web.core.models import ApiToken, District, HotspotCell, AnalysisRun
run = AnalysisRun.objects.order_by("-pk").first()
busiest = max(District.objects.all(), key=lambda d: d.cells.filter(run=run).count())
out = {"accounts": {}, "district": busiest.code}
for role in ("admin", "commander"):
    user = site.create_user(f"bench-{role}", role=role, password=sys.argv[2], email=f"bench-{role}@bench.example",
                            district=busiest.code if role == "commander" else None)
    Authenticator.objects.filter(user=user).delete()
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    out["accounts"][role] = {"email": user.email, "secret": secret, "token": ApiToken.mint(user, "bench")[1]}
out["cells"] = list(HotspotCell.objects.filter(run=run, district=busiest).order_by("rank").values_list("pk", flat=True)[:50])
print(json.dumps(out))
"""
    env = dict(_env(), HOTPATROL_DB=db)
    done = subprocess.run([sys.executable, "-c", code, db, PASSWORD], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"preparing the bench accounts failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ the server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen:
    import httpx

    fh = open(log, "w")
    proc = subprocess.Popen([sys.executable, "-m", "hotpatrol", "serve", "--db", db, "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), "--threads", str(threads)],
                            env=_env(), stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    proc.log_file = fh  # closed by stop_server
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"hotpatrol serve exited ({proc.returncode}); see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop_server(proc)
    sys.exit(f"hotpatrol serve did not answer in 180 s; see {log}")


def group_cpu(pgid: int) -> float:
    """CPU seconds (user + system) used so far by every live process of the server's process group (Linux)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state ppid pgrp ... utime(11) stime(12)
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def stop_server(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if getattr(proc, "log_file", None) is not None:
        proc.log_file.close()


# ------------------------------------------------------------------ signing in (the real forms)
def _totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (SHA-1, 6 digits, 30 s) as allauth checks it, computed with allauth itself."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotpatrol.web.settings")
    import django

    django.setup()
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    from allauth.mfa import app_settings

    left = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if left < 5:  # the code would expire before the form reaches the server: use the next one
        time.sleep(left + 0.2)
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def sign_in(base: str, email: str, secret: str) -> str:
    """Password then TOTP through allauth's forms; returns the session cookie's value."""
    import httpx

    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as c:
        c.get("/accounts/login/")
        r = c.post("/accounts/login/", data={"login": email, "password": PASSWORD,
                                              "csrfmiddlewaretoken": c.cookies["csrftoken"]},
                   headers={"Referer": base + "/accounts/login/"})
        if r.status_code != 302 or "/2fa/authenticate" not in r.headers.get("location", ""):
            sys.exit(f"sign-in of {email} did not ask for the TOTP code: {r.status_code} {r.text[:500]}")
        url = r.headers["location"]
        c.get(url)
        r = c.post(url, data={"code": _totp(secret), "csrfmiddlewaretoken": c.cookies["csrftoken"]},
                   headers={"Referer": base + url})
        if r.status_code != 302:
            sys.exit(f"TOTP step for {email} failed: {r.status_code} {r.text[:500]}")
        page = c.get("/")
        if page.status_code != 200 or "leaflet" not in page.text:
            sys.exit(f"overview for {email} did not open after sign-in: {page.status_code}")
        return c.cookies["sessionid"]


# ------------------------------------------------------------------ the load
def api_reads(district: str, cells: list[int]) -> list[tuple[str, str]]:
    """(operation, path) pairs; the cell detail is filled per request from ``cells``."""
    return [("districts", "/api/v1/districts"), ("hotspots", f"/api/v1/hotspots?district={district}&limit=100"),
            ("cell", "/api/v1/hotspots/{cell}"), ("ranking", f"/api/v1/ranking?district={district}")]


async def load(base: str, sessions: dict, tokens: dict, district: str, cells: list[int], *, users: int,
               seconds: float, think: float, seed: int = 0,
               errors: list[str] | None = None) -> list[tuple[str, str, float, bool, float]]:
    """Run the virtual users; returns (kind, operation, latency_s, ok, start_s) per request and appends
    what went wrong to ``errors``."""
    import httpx

    rng = random.Random(seed)
    kinds, weights = zip(*MIX)
    reads = api_reads(district, cells)
    roles = ("admin", "commander")
    records: list[tuple[str, str, float, bool, float]] = []
    # idle connections are dropped after 1.5 s, before gunicorn's keep-alive (2 s) closes them: otherwise a
    # request sent on a connection the server is closing fails, which a browser would silently retry
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10, keepalive_expiry=1.5)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits, follow_redirects=False) as client:
        t0 = time.monotonic()
        deadline = t0 + seconds

        async def user(i: int) -> None:
            role = roles[i % 2]
            urng = random.Random(rng.random())
            await asyncio.sleep(urng.uniform(0, think))  # users arrive over the first think time
            while time.monotonic() < deadline:
                kind = urng.choices(kinds, weights)[0]
                if kind == "page":
                    op, path, headers = "overview", "/", {"Cookie": f"sessionid={sessions[role]}"}
                elif kind == "api":
                    op, path = urng.choice(reads)
                    path = path.replace("{cell}", str(urng.choice(cells)))
                    headers = {"Authorization": f"Bearer {tokens[role]}", "Accept": "application/json"}
                else:
                    op, path, headers = "leaflet.css", STATIC, {}
                start = time.monotonic()
                try:
                    r = await client.get(path, headers=headers)
                    await r.aread()
                    ok = r.status_code == 200
                    if not ok:
                        errors.append(f"{op}: HTTP {r.status_code} {r.text[:200]!r}")
                except httpx.HTTPError as exc:
                    ok = False
                    errors.append(f"{op}: {type(exc).__name__}: {exc}")
                records.append((kind, op, time.monotonic() - start, ok, start - t0))
                await asyncio.sleep(urng.uniform(0.5, 1.5) * think)

        await asyncio.gather(*(user(i) for i in range(users)))
    return records


def summarise(records, seconds: float) -> dict:
    def stats(rows) -> dict:
        lat = np.array([r[2] for r in rows]) * 1000 if rows else np.array([np.nan])
        return {"requests": len(rows), "per_s": round(len(rows) / seconds, 1),
                "errors": int(sum(not r[3] for r in rows)),
                "p50_ms": round(float(np.percentile(lat, 50)), 1), "p90_ms": round(float(np.percentile(lat, 90)), 1),
                "p99_ms": round(float(np.percentile(lat, 99)), 1), "max_ms": round(float(np.max(lat)), 1)}

    out = {"all": stats(records), "kinds": {}, "operations": {}}
    for kind, _ in MIX:
        out["kinds"][kind] = stats([r for r in records if r[0] == kind])
    for op in sorted({r[1] for r in records if r[0] == "api"}):
        out["operations"][op] = stats([r for r in records if r[1] == op])
    base = out["kinds"]["static"]
    for kind in ("page", "api"):
        k = out["kinds"][kind]
        k["p50_x_static"] = round(k["p50_ms"] / base["p50_ms"], 1) if base["p50_ms"] else None
        k["p99_x_static"] = round(k["p99_ms"] / base["p99_ms"], 1) if base["p99_ms"] else None
        k["target_p99_ms"] = TARGETS_MS[kind]
        k["meets_target"] = bool(k["errors"] == 0 and k["p99_ms"] < TARGETS_MS[kind])
    return out


def report(label: str, res: dict, args) -> None:
    print(f"\n== {label}: {args.users} users x {args.seconds:.0f} s (think {args.think} s), gunicorn gthread "
          f"{args.workers}x{args.threads} ==")
    print(f"{'kind':<14}{'requests':>9}{'req/s':>8}{'errors':>8}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'p50/static':>11}{'p99/static':>11}  target")
    rows = [(k, v) for k, v in res["kinds"].items()] + [(f"  api {k}", v) for k, v in res["operations"].items()] + \
        [("all", res["all"])]
    for name, v in rows:
        target = ""
        if "target_p99_ms" in v:
            target = f"p99 < {v['target_p99_ms']:.0f} ms, 0 errors: {'met' if v['meets_target'] else 'MISSED'}"
        print(f"{name:<14}{v['requests']:>9}{v['per_s']:>8}{v['errors']:>8}{v['p50_ms']:>9}{v['p90_ms']:>9}"
              f"{v['p99_ms']:>9}{v['max_ms']:>9}{v.get('p50_x_static', '')!s:>11}{v.get('p99_x_static', '')!s:>11}"
              f"  {target}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=60.0, help="load duration (default 60)")
    ap.add_argument("--users", type=int, default=100, help="concurrent virtual users (default 100)")
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between a user's requests, s")
    ap.add_argument("--pg", nargs="?", const=DEFAULT_PG, default=None,
                    help="run on PostgreSQL (server URL; a fresh database hotpatrol_bench_web is made on it)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "hotpatrol-bench-web",
                    help="where the demo store is built (cached)")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("HOTPATROL_HOME", str(args.work / "home"))  # the site's secret key, outside the repo
    sys.path.insert(0, str(SRC))

    demo = demo_store(args.work)
    db = pg_store(demo, args.pg) if args.pg else f"sqlite:///{(demo / 'hotpatrol.db').resolve()}"
    label = "PostgreSQL" if args.pg else "SQLite"
    prep = prepare_accounts(db)
    os.environ["HOTPATROL_DB"] = db  # for allauth's TOTP helper in this process (no queries are made)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(db, port, args.workers, args.threads, args.work / f"serve-{label}.log")
    try:
        sessions = {role: sign_in(base, a["email"], a["secret"]) for role, a in prep["accounts"].items()}
        tokens = {role: a["token"] for role, a in prep["accounts"].items()}
        asyncio.run(load(base, sessions, tokens, prep["district"], prep["cells"], users=10, seconds=3,
                         think=0.2))  # warm-up: imports, connections, caches
        self0, tree0, wall0 = resource.getrusage(resource.RUSAGE_SELF), group_cpu(server.pid), time.monotonic()
        errors: list[str] = []
        records = asyncio.run(load(base, sessions, tokens, prep["district"], prep["cells"], users=args.users,
                                   seconds=args.seconds, think=args.think, errors=errors))
        self1, tree1, wall1 = resource.getrusage(resource.RUSAGE_SELF), group_cpu(server.pid), time.monotonic()
        load1 = os.getloadavg()[0]
    finally:
        stop_server(server)
    res = summarise(records, args.seconds)
    res["errors"] = errors
    cpu = lambda a, b: (b.ru_utime + b.ru_stime) - (a.ru_utime + a.ru_stime)
    res["cpu"] = {"load_generator_cores": round(cpu(self0, self1) / (wall1 - wall0), 2),
                  "server_cores": round((tree1 - tree0) / (wall1 - wall0), 2),
                  "server_cpu_ms_per_request": round(1000 * (tree1 - tree0) / max(len(records), 1), 1),
                  "machine_load_avg_1min_at_end": round(load1, 2)}
    res["setup"] = {"database": label, "users": args.users, "seconds": args.seconds, "think_s": args.think,
                    "workers": args.workers, "threads": args.threads, "cpus": os.cpu_count(),
                    "district": prep["district"]}
    report(label, res, args)
    for line in errors[:20]:
        print(f"error: {line}")
    c = res["cpu"]
    print(f"CPU during the load: server (gunicorn + task worker) {c['server_cores']} cores, "
          f"{c['server_cpu_ms_per_request']} ms a request; load generator {c['load_generator_cores']} cores; "
          f"machine load average {c['machine_load_avg_1min_at_end']} on {os.cpu_count()} cores (other work included)")
    if args.json:
        args.json.write_text(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
