"""Per-event harm from a named weighting scheme.

Built-in schemes
----------------
``cchi``
    Cambridge Crime Harm Index style weights: the number of days of custody a first offender would
    receive under the Sentencing Council guidelines' starting point for the offence (Sherman, Neyroud &
    Neyroud 2016, "The Cambridge Crime Harm Index: measuring total harm from crime based on sentencing
    guidelines", *Policing* 10(3):171-183; Office for National Statistics 2020 "Crime Severity Score"
    uses the same idea with sentencing data). Non-custodial starting points convert at one day per
    community order hour band / fine band as in Sherman et al.

    police.uk publishes 14 broad categories, so each category weight is the CCHI value of the offences
    that dominate it, taken from the published CCHI tables:

    ====================================  ========  ==============================================
    police.uk category                    days      derivation
    ====================================  ========  ==============================================
    Robbery                               365       robbery of personal property, category 2 start
    Possession of weapons                 274       possession of a blade/offensive weapon (~9 months)
    Burglary                              220       mix of residential 273.5 and non-residential 183.5
                                                    (about 40/60 by volume in police.uk data)
    Violence and sexual offences          180       volume-weighted mix: violence with injury 365,
                                                    without injury 10, other sexual 182, rape 2555
    Criminal damage and arson             10        criminal damage under £5,000 (fine band)
    Public order                          7.5       s.4/s.5 public order (fine band / low community)
    Vehicle crime                         5         theft from / interference with a vehicle
    Theft from the person                 2         theft, low culpability/harm
    Bicycle theft                         2
    Other theft                           2
    Shoplifting                           1         shop theft under £200 (band A fine)
    Other crime                           10        mixed bag (fraud, forgery, perjury, etc.):
                                                    hotpatrol's choice, median of the neighbours
    Drugs                                 0         strict CCHI counts only victim-based harm;
                                                    set ``drugs=`` to weight possession/supply
    Anti-social behaviour                 0         not a crime; set ``asb=`` to include it
    ====================================  ========  ==============================================

    police.uk's pre-May-2013 labels (``CCHI_LEGACY``), which ingest accepts from old archives:

    ====================================  ========  ==============================================
    legacy police.uk category             days      rationale
    ====================================  ========  ==============================================
    Violent crime                         180       its successor "Violence and sexual offences"
                                                    (a rename; it lacked sexual offences, then in
                                                    "Other crime"): keeps a place's harm continuous
                                                    across May 2013 rather than dropping at the break
    Public disorder and weapons           30.7      volume-weighted mix of its two successors:
                                                    7.5 + 0.087 x (274 - 7.5), with the weapons
                                                    share 8.7% measured in police.uk Kent street
                                                    files 2021-03..2022-03 (1,477 of 16,973; West
                                                    Yorkshire 2016-18: 7.2%)
    ====================================  ========  ==============================================

    "Other theft" before May 2013 also held bicycle theft and theft from the person; all three weigh 2,
    so its weight needs no change.

    Any scheme weighing by category (a user CSV/YAML too) weighs "Violent crime" as "Violence and sexual
    offences" when it lists only the latter; a split legacy label ("Public disorder and weapons") needs its
    own weight, and the error says so.

    Sub-category weights (``CCHI_SUBCATEGORIES``) serve force records that carry finer offence
    names: violence with injury 365, violence without injury 10, other sexual offences 182,
    rape 2555, residential burglary 273.5, non-residential burglary 183.5.

``count``
    Every event weighs 1.

A user scheme is a CSV (columns ``key,weight`` and optionally ``by``) or YAML
(``{name:, by: category|offence_code, default:, weights: {key: weight}}``); ``by: offence_code``
weights force records by Home Office offence code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np
import pandas as pd

from hotpatrol import settings
from hotpatrol.errors import HotpatrolError

CCHI_WEIGHTS: dict[str, float] = {
    "Robbery": 365.0,
    "Possession of weapons": 274.0,
    "Burglary": 220.0,
    "Violence and sexual offences": 180.0,
    "Criminal damage and arson": 10.0,
    "Public order": 7.5,
    "Vehicle crime": 5.0,
    "Theft from the person": 2.0,
    "Bicycle theft": 2.0,
    "Other theft": 2.0,
    "Shoplifting": 1.0,
    "Other crime": 10.0,
    "Drugs": 0.0,
    "Anti-social behaviour": 0.0,
}

#: weights of police.uk's pre-May-2013 labels (see the module docstring for the rationale)
CCHI_LEGACY: dict[str, float] = {
    "Violent crime": 180.0,
    "Public disorder and weapons": 30.7,
}

CCHI_SUBCATEGORIES: dict[str, float] = {
    "Violence with injury": 365.0,
    "Violence without injury": 10.0,
    "Other sexual offences": 182.0,
    "Rape": 2555.0,
    "Burglary - residential": 273.5,
    "Burglary - business and community": 183.5,
}

BUILTIN_SCHEMES = ("cchi", "count")


@dataclass(frozen=True)
class HarmScheme:
    """A mapping from a column of the events table (``by``) to a harm weight.

    ``default`` is the weight of keys not in ``weights``; ``None`` makes unknown keys an error.
    """

    name: str
    weights: Mapping[str, float] = field(default_factory=dict)
    by: str = "category"
    default: float | None = None

    def weigh(self, events: pd.DataFrame) -> np.ndarray:
        """Harm of every event, as a float64 array aligned with ``events``."""
        if self.name == "count" and not self.weights:
            return np.ones(len(events), dtype=np.float64)
        if self.by not in events.columns:
            raise HotpatrolError(
                f"Harm scheme {self.name!r} weights by column {self.by!r}, which the events table lacks.",
                parameter="by",
                allowed=list(events.columns),
                given=self.by,
            )
        keys = events[self.by].astype("object")
        weights = dict(self.weights)
        if self.by == "category":  # a pre-May-2013 police.uk label weighs as its renamed successor
            from hotpatrol.events import LEGACY_RENAMES

            weights |= {old: weights[new] for old, new in LEGACY_RENAMES.items()
                        if old not in weights and new in weights}
        values = keys.map(weights)
        unknown = values.isna()
        if unknown.any():
            if self.default is None:
                bad = sorted({str(k) for k in keys[unknown].unique()})[:10]
                from hotpatrol.events import LEGACY_CATEGORIES

                legacy = [b for b in bad if b in LEGACY_CATEGORIES]
                hint = (f" {legacy} are police.uk labels used before May 2013 (the cchi scheme weighs them; see "
                        "hotpatrol.harm)." if legacy else "")
                raise HotpatrolError(
                    f"Harm scheme {self.name!r} has no weight for {self.by} value(s) {bad}.{hint}",
                    parameter="scheme",
                    fix="Add them to the scheme or give the scheme a 'default' weight.",
                )
            values = values.where(~unknown, self.default)
        return values.to_numpy(dtype=np.float64)

    def to_frame(self) -> pd.DataFrame:
        """One row per weighted key: ``key``, ``weight`` and ``by`` (the column the keys are read from)."""
        return pd.DataFrame({"key": list(self.weights), "weight": list(self.weights.values()), "by": self.by})


def get_scheme(
    scheme: str | Path | HarmScheme | None = None,
    *,
    asb: float | None = None,
    drugs: float | None = None,
) -> HarmScheme:
    """Resolve a scheme name (``cchi``, ``count``), a CSV/YAML path, or a HarmScheme.

    ``asb`` and ``drugs`` override the (zero) CCHI weights of ASB and drugs offences. ``None``:
    the ``scheme`` setting (``cchi`` unless ``HOTPATROL_SCHEME`` says otherwise), read now.
    """
    scheme = settings.resolve("scheme", scheme)
    if isinstance(scheme, HarmScheme):
        return scheme
    text = str(scheme)
    if text == "count":
        return HarmScheme(name="count", weights={}, default=1.0)
    if text == "cchi":
        weights = dict(CCHI_WEIGHTS) | dict(CCHI_LEGACY) | dict(CCHI_SUBCATEGORIES)
        if asb is not None:
            weights["Anti-social behaviour"] = float(asb)
        if drugs is not None:
            weights["Drugs"] = float(drugs)
        return HarmScheme(name="cchi", weights=weights)
    path = Path(text)
    if not path.exists():
        raise HotpatrolError(
            f"Unknown harm scheme {text!r}.",
            parameter="scheme",
            allowed=list(BUILTIN_SCHEMES) + ["<path to .csv/.yaml>"],
            given=text,
        )
    return _load_scheme_file(path)


def _load_scheme_file(path: Path) -> HarmScheme:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict) or not isinstance(data.get("weights"), dict):
            raise HotpatrolError(
                "A YAML harm scheme needs a 'weights' mapping of key: weight.", file=str(path), column="weights"
            )
        weights = {}
        for key, value in data["weights"].items():
            weights[str(key)] = _as_weight(value, path, None, str(key))
        default = data.get("default")
        return HarmScheme(
            name=str(data.get("name", path.stem)),
            weights=weights,
            by=str(data.get("by", "category")),
            default=None if default is None else float(default),
        )
    if suffix == ".csv":
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
        for col in ("key", "weight"):
            if col not in table.columns:
                raise HotpatrolError(
                    f"A CSV harm scheme needs columns 'key' and 'weight'; {col!r} is missing.",
                    file=str(path),
                    column=col,
                )
        weights = {}
        for i, (key, value) in enumerate(zip(table["key"], table["weight"])):
            weights[key] = _as_weight(value, path, i + 2, "weight")  # +2: header line, 1-based
        by = table["by"].iloc[0] if "by" in table.columns and len(table) else "category"
        return HarmScheme(name=path.stem, weights=weights, by=by)
    raise HotpatrolError(
        "A harm scheme file must be .csv or .yaml.", parameter="scheme", allowed=[".csv", ".yaml"], given=str(path)
    )


def _as_weight(value, path: Path, row: int | None, column: str) -> float:
    try:
        weight = float(value)
    except (TypeError, ValueError):
        raise HotpatrolError(f"Harm weight {value!r} is not a number.", file=str(path), row=row, column=column) from None
    if not np.isfinite(weight) or weight < 0:
        raise HotpatrolError(f"Harm weight {value!r} must be a finite number >= 0.", file=str(path), row=row, column=column)
    return weight


def harm(events: pd.DataFrame, scheme: str | Path | HarmScheme | None = None, **overrides) -> np.ndarray:
    """Harm of each event under ``scheme`` (see :func:`get_scheme`; None: the ``scheme`` setting)."""
    return get_scheme(scheme, **overrides).weigh(events)
