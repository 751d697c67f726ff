"""The one settings table: defaults shared by the library, the CLI and the docs.

``docs/settings.md`` is generated from this table (``python -m hotpatrol.settings``) and a test
checks it is current. Every setting can be overridden by an environment variable
``HOTPATROL_<NAME>`` (upper case), e.g. ``HOTPATROL_DB=postgresql+psycopg://127.0.0.1/test``.

Functions and CLI options that use a setting take ``None`` to mean "the setting" and resolve it
when called (:func:`resolve`), never when imported, so an environment override set after import
still counts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hotpatrol.errors import HotpatrolError


@dataclass(frozen=True)
class Setting:
    """One setting: its ``name``, ``default`` (whose type is the setting's type) and ``help`` text."""

    name: str
    default: Any
    help: str

    @property
    def env(self) -> str:
        """The environment variable that overrides it, ``HOTPATROL_<NAME>``."""
        return f"HOTPATROL_{self.name.upper()}"

    @property
    def type_name(self) -> str:
        """The setting's type as shown in the settings table and errors: boolean, integer, number or text."""
        return {bool: "boolean", int: "integer", float: "number", str: "text"}[type(self.default)]


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

#: One dialect: the name used for each choice in settings, CLI options and Python keywords, and the
#: old names still accepted (with a deprecation warning) for one release. Rendered in docs/settings.md.
NAMES: tuple[tuple[str, str, str, str], ...] = (
    # (choice, CLI option, Python keyword, old names)
    ("Random seed", "--seed", "`seed`; scikit-learn-style estimators (forecasters, Knox) keep `random_state`, "
     "the name scikit-learn's `get_params`/`clone` expect", "-"),
    ("How many places to rank, list or select", "--top", "`top`; K-of-N trial designs keep `n` and `k` "
     "(`select_hotspots`, `simulate_trial`, `simulate trial --n`)", "`--n` (plan select)"),
    ("Harm weighting of events", "--scheme", "`scheme`", "`--weight` (hotspots), `weight=` (hotspots.prepare)"),
    ("Output file or folder", "--out", "`out`", "`--output` (forecast knox, forecast etas)"),
    ("Time window", "--start/--end", "`start`/`end`", "`--end` of forecast knox was exclusive; now inclusive"),
    ("Grid cell size (m)", "--cell", "`cell`", "-"),
    ("Events source", "--events FILE / --db URL", "`hotpatrol.reader.read(source)`", "-"),
)


def _convert(setting: Setting, raw: str) -> Any:
    kind = type(setting.default)
    text = raw.strip()
    try:
        if kind is bool:
            low = text.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if kind is int:
            return int(text)
        if kind is float:
            value = float(text)
            if value != value:  # NaN is never a sensible setting
                raise ValueError(text)
            return value
        if not text:
            raise ValueError(text)
        return raw
    except ValueError:
        raise HotpatrolError(
            f"Environment variable {setting.env} must be {'an' if setting.type_name[0] in 'aeiou' else 'a'} "
            f"{setting.type_name}.",
            parameter=setting.env, allowed=setting.type_name, given=raw,
            fix=f"Set it like the default ({setting.env}={setting.default}) or unset it.",
        ) from None


def get(name: str) -> Any:
    """The setting's value now: the environment override ``HOTPATROL_<NAME>`` or the default.

    Raises
    ------
    HotpatrolError
        For an unknown setting name, or an environment value that is not of the setting's type
        (the error names the variable, the expected type and the value given).
    """
    setting = _BY_NAME.get(name)
    if setting is None:
        raise HotpatrolError("Unknown setting.", parameter="name", allowed=sorted(_BY_NAME), given=name)
    raw = os.environ.get(setting.env)
    if raw is None:
        return setting.default
    return _convert(setting, raw)


def resolve(name: str, value: Any = None) -> Any:
    """``value`` when given, else the setting ``name`` read now (``None`` means "from settings")."""
    return get(name) if value is None else value


def markdown() -> str:
    """docs/settings.md: the settings table and the naming table."""
    lines = [
        "# Settings",
        "",
        "Generated from `hotpatrol.settings.SETTINGS` (`python -m hotpatrol.settings > docs/settings.md`).",
        "Each can be set by environment variable `HOTPATROL_<NAME>` or the matching CLI option.",
        "An environment value of the wrong type (e.g. `HOTPATROL_TOP=ten`) is an error naming the variable,",
        "the expected type and the value. Options and keywords left unset (`None`) take the setting when the",
        "command or function runs.",
        "",
        "| name | type | default | environment | meaning |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| `{s.name}` | {s.type_name} | `{s.default}` | `{s.env}` | {s.help} |" for s in SETTINGS]
    lines += [
        "",
        "## Names",
        "",
        "One name for each choice across the CLI and the Python API. Old names are still accepted for one",
        "release and print a deprecation warning.",
        "",
        "| choice | CLI option | Python keyword | old names (deprecated) |",
        "|---|---|---|---|",
    ]
    lines += [f"| {c} | `{o}` | {k} | {old} |" for c, o, k, old in NAMES]
    lines += [
        "",
        "## Time windows",
        "",
        "`--start`/`--end` (and `start=`/`end=` of `hotpatrol.reader.read`) mean the same everywhere: a",
        "month `YYYY-MM`, day `YYYY-MM-DD` or year `YYYY` is a whole period, included at both ends",
        "(`--start 2021-03 --end 2022-02` is twelve months, March and February included); a time of day",
        "(`2021-06-15 18:00`) is an instant, and instants bound a half-open window `[start, end)`.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
