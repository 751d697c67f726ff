"""Grid ETAS, the self-exciting model behind PredPol (Mohler et al. 2015, JASA).

In each place (grid cell) ``n`` the rate of events at time ``t`` is

    lambda_n(t) = mu_n + sum over earlier events i in cell n of  theta * omega * exp(-omega (t - t_i))

with a constant background ``mu_n`` per cell and one triggering kernel shared by all cells. It is fitted by
expectation-maximisation. The exponential kernel makes the E-step a recursion over each cell's events in
time order (``S_j = exp(-omega dt) (S_{j-1} + 1)``), so an iteration is O(N) with no pairs at all and no
cut-offs: exact.

Duplicates: events at the same instant in the same cell (police.uk months, exact duplicates, dates) are
treated analytically: co-timed events never trigger one another (zero time apart), each is fully counted
and each becomes a parent for later events. Nothing is dropped or nudged, so no division by a zero
time-gap can happen (open_cp's grid SEPP fails on such data).

Monthly (police.uk) data: by default (``coarse_times='midpoint'``) each event sits at the middle of its
month, i.e. a grid ETAS on monthly bins; the decay ``omega`` is then learned on the month scale.
"""

from __future__ import annotations

import numba
import numpy as np
import pandas as pd

from hotpatrol.errors import HotpatrolError
from hotpatrol.forecast._etas_common import (
    EMETASForecaster,
    observed_days,
    predict_window,
    trigger_mass,
    warn_not_converged,
)
from hotpatrol.forecast.base import Forecast
from hotpatrol.text import plural, verb


@numba.njit(cache=True)
def _e_step(cell, t, mu, theta, omega, lam, trig, trig_dt):
    """Per event j: lam_j, sum_i p_ij (expected triggered share) and sum_i p_ij (t_j - t_i).

    Events are sorted by (cell, t). S = sum over earlier, strictly-earlier events of exp(-omega dt),
    D = sum of dt * exp(-omega dt); ``pending`` counts the events at the previous instant (a tie group).
    """
    n = t.shape[0]
    loglik = 0.0
    S = 0.0
    D = 0.0
    pending = 0.0
    for j in range(n):
        if j == 0 or cell[j] != cell[j - 1]:
            S = 0.0
            D = 0.0
            pending = 0.0
        else:
            dt = t[j] - t[j - 1]
            if dt > 0.0:
                decay = np.exp(-omega * dt)
                D = decay * (D + dt * (S + pending))
                S = decay * (S + pending)
                pending = 0.0
        k = theta * omega
        lam_j = mu[cell[j]] + k * S
        lam[j] = lam_j
        if lam_j > 0.0:
            trig[j] = k * S / lam_j
            trig_dt[j] = k * D / lam_j
            loglik += np.log(lam_j)
        else:
            trig[j] = 0.0
            trig_dt[j] = 0.0
            loglik += -1e300
        pending += 1.0
    return loglik


class GridETASForecaster(EMETASForecaster):
    """Grid ETAS (PredPol-style): per-cell background plus exponential self-excitation, fitted by EM.

    Parameters
    ----------
    cell : grid cell size in metres when ``fit`` builds its own grid (``places=None``).
    max_iter, tol : EM stops when theta and the total background change by less than ``tol`` (absolute,
        relative) and omega by less than ``tol / theta`` (relative).
    coarse_times : how events known only to a window (month/day/hour) are timed: ``midpoint`` (default:
        grid ETAS on the bins), ``jitter`` (uniform in the window, seeded), ``start``, or ``error``.
    initial : optional starting values ``{"theta": 0.5, "omega": 0.1}`` (omega per day).
    random_state : seed for the jitter and for tie-breaking in ``Forecast.ranking``.

    Fitted attributes: ``theta_`` (expected direct offspring per event), ``omega_`` (decay per day),
    ``mu_`` (background events per day per place), ``loglik_``, ``n_iter_``, ``converged_``,
    ``places_``, ``fitted_until_``, ``origin_``, ``n_events_``, ``notes_``.
    """

    name = "grid-etas"

    def __init__(self, *, cell: float = 150.0, max_iter: int = 500, tol: float = 1e-6,
                 coarse_times: str = "midpoint", initial: dict | None = None, random_state: int | None = None):
        self.cell = cell
        self.max_iter = max_iter
        self.tol = tol
        self.coarse_times = coarse_times
        self.initial = initial
        self.random_state = random_state

    def fit(self, events: pd.DataFrame, *, places=None) -> "GridETASForecaster":
        """Fit the per-cell background and exponential self-excitation by EM (Mohler et al. 2015).

        Sets ``mu_`` (per cell per day), ``theta_``, ``omega_`` (per day) and ``notes_``; returns ``self``.
        """
        prep, notes, places = self._start_fit(events, places, "grid ETAS")
        x, y, t = prep["x"], prep["y"], prep["t"]
        idx = places.assign(x, y)
        inside = idx >= 0
        if (~inside).any():
            n_out = int((~inside).sum())
            notes.append(f"{plural(n_out, 'event')} {verb(n_out, 'falls', 'fall')} outside the places and "
                         f"{verb(n_out, 'was', 'were')} not used.")
        if inside.sum() < 2:
            raise HotpatrolError("Too few events inside the places to fit grid ETAS.", parameter="places",
                                 given=int(inside.sum()))
        cell, t, group = idx[inside], t[inside], prep["group"][inside]
        order = np.lexsort((t, cell))
        cell = np.ascontiguousarray(cell[order], dtype=np.int64)
        t = np.ascontiguousarray(t[order])
        group = group[order]
        n = len(t)
        # unpublished months: each event's background share is divided by its force's observed days
        t_obs = np.maximum(observed_days(prep), 1e-9)
        per_day = 1.0 / t_obs[group]

        def background(share):  # background events per observed day per place, and its compensator
            return np.bincount(cell, weights=share * per_day, minlength=places.n), float(np.sum(share))

        init = dict(self.initial or {})
        theta = float(init.get("theta", 0.5))
        omega = float(init.get("omega", 0.1))
        mu, bg_comp = background(np.full(n, 1.0 - theta))
        lam = np.empty(n)
        trig = np.empty(n)
        trig_dt = np.empty(n)
        converged = False
        loglik = -np.inf
        history = []
        for it in range(1, int(self.max_iter) + 1):
            ll = _e_step(cell, t, mu, theta, omega, lam, trig, trig_dt)
            # triggering can only be observed in published time after each event (trigger_mass)
            compensator = bg_comp + theta * np.sum(trigger_mass(prep, t, group, omega))
            loglik = ll - compensator
            n_trig = trig.sum()
            new_mu, new_comp = background(1.0 - trig)
            sum_dt = trig_dt.sum()
            new_omega = n_trig / sum_dt if sum_dt > 0 and n_trig > 0 else omega
            new_theta = n_trig / np.sum(trigger_mass(prep, t, group, new_omega))
            if not (np.isfinite(new_theta) and np.isfinite(new_omega) and np.isfinite(new_mu).all()):
                notes.append(f"EM stopped at iteration {it}: non-finite update; the last good state is kept.")
                break
            # omega only matters in proportion to theta (it wanders freely as theta -> 0)
            change = max(abs(new_theta - theta), theta * abs(new_omega - omega) / max(omega, 1e-12),
                         abs(new_mu.sum() - mu.sum()) / max(mu.sum(), 1e-12))
            theta, omega, mu, bg_comp = float(new_theta), float(new_omega), new_mu, new_comp
            history.append(loglik)
            if change < self.tol:
                converged = True
                break
        if not converged:
            warn_not_converged("grid ETAS", it)
        if theta >= 1:
            notes.append(f"theta = {theta:.2f} >= 1: the fitted process is explosive (each event triggers at "
                         "least one more on average); forecasts over long horizons will overshoot.")
        return self._finish_fit(prep, places, notes, n_events=n, loglik=loglik, n_iter=it, converged=converged,
                                theta_=theta, omega_=omega, mu_=mu, _cell_=cell, _t_=t)

    def summary(self):
        """Fitted parameters as a :class:`~hotpatrol.results.Summary` (text/HTML/CSV)."""
        return self._em_summary(
            "Grid ETAS (PredPol-style self-exciting model)",
            "expected events directly triggered by each event (same cell)",
            [("background rate (events/day)", float(self.mu_.sum()), "sum over places"),
             ("places with background > 0", int((self.mu_ > 0).sum()), f"of {self.places_.n}")],
        )

    def predict(self, start, horizon) -> Forecast:
        """Expected events per place over ``[start, start + horizon)``: mu_n H + triggering integrated over H."""
        self._check_fitted()
        s, h, notes, start, horizon = predict_window(self, start, horizon)
        parents = self._t_ <= s
        age = s - self._t_[parents]
        a = self.theta_ * (np.exp(-self.omega_ * age) - np.exp(-self.omega_ * (age + h)))
        trig = np.bincount(self._cell_[parents], weights=a, minlength=self.places_.n)
        risk = self.mu_ * h + trig
        notes = list(self.notes_) + notes + [
            f"grid ETAS: theta={self.theta_:.3f}, omega={self.omega_:.4f}/day (mean delay "
            f"{1 / self.omega_:.1f} days), {self.n_iter_} EM iterations"
            + ("" if self.converged_ else " (NOT converged)") + "."
        ]
        return Forecast(model=self.name, places=self.places_, risk=risk, start=start, horizon=horizon,
                        notes=notes, random_state=self.random_state)
