"""Layering: the library never imports Django or the web package; the web package reaches the library
only through its adapter (web/library.py) and the site services built on it."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "hotpatrol"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_library_never_imports_django_or_web():
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if rel.parts[0] in ("web", "cli"):
            continue  # callers on top
        for name in _imports(path):
            if name.split(".")[0] in ("django", "ninja", "allauth", "axes", "auditlog", "rules") or \
                    name.startswith("hotpatrol.web"):
                offenders.append(f"{rel}: {name}")
    assert not offenders, offenders


def test_web_reaches_the_library_only_through_the_adapter():
    allowed_everywhere = {"hotpatrol.errors", "hotpatrol.settings", "hotpatrol"}
    offenders = []
    for path in (SRC / "web").rglob("*.py"):
        rel = path.relative_to(SRC / "web")
        if rel.as_posix() == "library.py":
            continue
        for name in _imports(path):
            if name.startswith("hotpatrol") and not name.startswith("hotpatrol.web") and name not in allowed_everywhere:
                offenders.append(f"web/{rel}: {name}")
    assert not offenders, offenders
    adapter = _imports(SRC / "web" / "library.py")
    assert not {n for n in adapter if n.split(".")[0] == "django"}  # the adapter is plain Python
