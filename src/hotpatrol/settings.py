"""The one settings table: defaults shared by the library, the CLI and the docs.

``docs/settings.md`` is generated from this table (``python -m hotpatrol.settings``) and a test
checks it is current. Every setting can be overridden by an environment variable
``HOTPATROL_<NAME>`` (upper case), e.g. ``HOTPATROL_DB=postgresql+psycopg://127.0.0.1/test``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("db", "sqlite:///hotpatrol.db", "Store URL (SQLAlchemy). SQLite file by default; postgresql+psycopg://... works too."),
    Setting("cell", 150.0, "Grid cell size in metres (Grip and PredPol boxes are 150 m)."),
    Setting("scheme", "cchi", "Harm scheme: cchi, count, or a CSV/YAML file of weights."),
    Setting("top", 20, "Number of hotspots to rank / select."),
    Setting("months", 12, "Look-back window in months for ranking hotspots."),
    Setting("permutations", 999, "Permutations for conditional randomisation inference (Gi*, LISA)."),
    Setting("alpha", 0.05, "Significance level after multiple-testing correction."),
    Setting("seed", 12345, "Random seed: every randomised result is reproducible from it."),
    Setting("timezone", "Europe/London", "IANA zone of naive local times (events, plans, pings without an offset); durations are measured on UTC instants."),
    Setting("out", "hotpatrol-out", "Output folder for demo and reports."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> Any:
    """The setting's value: environment override ``HOTPATROL_<NAME>`` or the default."""
    setting = _BY_NAME[name]
    raw = os.environ.get(f"HOTPATROL_{name.upper()}")
    if raw is None:
        return setting.default
    return type(setting.default)(raw)


def markdown() -> str:
    lines = [
        "# Settings",
        "",
        "Generated from `hotpatrol.settings.SETTINGS` (`python -m hotpatrol.settings > docs/settings.md`).",
        "Each can be set by environment variable `HOTPATROL_<NAME>` or the matching CLI option.",
        "",
        "| name | default | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{s.name}` | `{s.default}` | {s.help} |" for s in SETTINGS]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
