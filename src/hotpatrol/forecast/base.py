"""The forecasting estimator contract (scikit-learn style) and the Forecast object.

Every model:

- ``__init__`` takes keyword-only settings and only stores them (no validation, no work);
- ``fit(events, *, places=None)`` validates settings and data, learns, sets attributes ending in ``_``
  (always ``places_`` and ``fitted_until_``), and returns ``self``. ``places`` is a PlacesLayer
  (usually a 150 m grid) shared by all models in a comparison; when None the model builds a
  ``cell``-metre grid over the training events;
- ``predict(start, horizon)`` checks it is fitted and returns a :class:`Forecast`: the expected
  number (or harm) of events in each place over the whole window ``[start, start + horizon)``,
  i.e. the intensity integrated over the horizon, not a snapshot.

``events`` is an events table (see :mod:`hotpatrol.events`) with ``x``/``y`` in metres
(:func:`hotpatrol.places.project`).
"""

from __future__ import annotations

import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.results import Result, Summary, json_safe


class NotFittedError(HotpatrolError):
    """The model was used (``predict``) before ``fit``."""
    pass


FIT_SECTIONS = """
    Parameters
    ----------
    events : pandas.DataFrame, n rows
        Events table with ``x``/``y`` in metres (BNG or the events' projected CRS) and ``occurred_at``
        or ``occurred_from``/``occurred_to``.
    places : PlacesLayer, optional
        The places to forecast for (shared across a comparison); None builds a ``cell``-metre grid
        over the events.

    Returns
    -------
    self
        With ``places_``, ``fitted_until_`` and the model's other fitted attributes (ending in ``_``) set.

    Raises
    ------
    HotpatrolError
        Invalid settings (named by parameter), events without times or coordinates, or too few events.
    """

PREDICT_SECTIONS = """
    Parameters
    ----------
    start : str or pandas.Timestamp
        First instant of the forecast window.
    horizon : str or pandas.Timedelta
        Window length (e.g. ``"7D"``, ``"1M"``); the forecast integrates the rate over it.

    Returns
    -------
    Forecast
        ``risk`` of shape (n_places,), in events (or harm units) per window ``[start, start + horizon)``.

    Raises
    ------
    NotFittedError
        Called before ``fit``.
    HotpatrolError
        ``start`` not a date or ``horizon`` not a positive duration.
    """


class Forecaster:
    """Base class: parameter introspection (get_params/set_params/repr) and fitted checks.

    A model's own ``fit``/``predict`` docstring says what it does and its source; the Parameters,
    Returns and Raises sections every model shares (:data:`FIT_SECTIONS`, :data:`PREDICT_SECTIONS`)
    are appended to it when the subclass is defined, unless it has its own Parameters section.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name, sections in (("fit", FIT_SECTIONS), ("predict", PREDICT_SECTIONS)):
            method = cls.__dict__.get(name)
            doc = getattr(method, "__doc__", None)
            if doc and "Parameters\n" not in doc:
                method.__doc__ = inspect.cleandoc(doc) + "\n\n" + textwrap.dedent(sections).strip() + "\n"

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind == p.KEYWORD_ONLY]

    def get_params(self) -> dict[str, Any]:
        """The model's settings (its keyword-only ``__init__`` parameters) as a dict."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params) -> "Forecaster":
        """Set settings by name; unknown names raise :class:`HotpatrolError`. Returns ``self``."""
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise HotpatrolError(f"Unknown parameter for {type(self).__name__}.", parameter=key, allowed=valid)
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        """``ClassName(setting=value, ...)``."""
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "places_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet.", fix="Call fit(events) before predict()."
            )


@dataclass
class Forecast(Result):
    """Expected events (or harm) per place over ``[start, start + horizon)``."""

    model: str
    places: Any  # PlacesLayer
    risk: np.ndarray  # shape (places.n,)
    start: pd.Timestamp
    horizon: pd.Timedelta
    notes: list[str] = field(default_factory=list)
    random_state: int | None = None
    name = "forecast"
    map_column = "risk"

    def ranking(self) -> np.ndarray:
        """Place indices from highest to lowest risk; ties broken at random (seeded), not by order."""
        rng = np.random.default_rng(self.random_state)
        jitter = rng.random(len(self.risk))
        return np.lexsort((jitter, -self.risk))

    def top(self, n: int) -> np.ndarray:
        """Indices of the ``n`` places of highest risk (ties broken at random, seeded)."""
        return self.ranking()[:n]

    def to_frame(self) -> pd.DataFrame:
        """One row per place: ``place_id``, ``x``, ``y`` (metres), ``risk`` (expected events) and ``rank`` (1 = highest), by rank."""
        order = self.ranking()
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        return pd.DataFrame(
            {"place_id": self.places.place_id, "x": self.places.x, "y": self.places.y, "risk": self.risk, "rank": rank}
        ).sort_values("rank", kind="stable").reset_index(drop=True)

    def summary(self, n: int = 10) -> Summary:
        """The ``n`` places of highest risk, with the share of the expected total each holds."""
        frame = self.to_frame().head(n)
        total = float(np.sum(self.risk))
        table = frame[["rank", "place_id", "risk"]].assign(
            share=frame["risk"] / total if total > 0 else np.nan).round({"risk": 3, "share": 4})
        title = (f"{self.model} forecast from {self.start} for {self.horizon}: top {len(frame)} of "
                 f"{len(self.risk)} places (expected total {total:.1f})")
        return Summary(title, table, list(self.notes))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe model, window, expected total, notes and every place's risk and rank."""
        return json_safe({"name": self.name, "summary": self.summary().title, "model": self.model,
                          "start": self.start, "horizon": self.horizon, "expected_total": float(np.sum(self.risk)),
                          "notes": self.notes, "random_state": self.random_state, "rows": self.to_frame()})
