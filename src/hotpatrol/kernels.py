"""The one family of spatial kernels shared by kernel density (:mod:`hotpatrol.hotspots.kde`) and the
kernel forecasters (:mod:`hotpatrol.forecast`).

- ``quartic`` (biweight; CrimeStat, QGIS heatmap): radius ``h``, ``K(d) = 3 / (pi h^2) (1 - d^2/h^2)^2``
  for ``d < h``;
- ``gaussian``: standard deviation ``h``, ``K(d) = exp(-d^2 / (2 h^2)) / (2 pi h^2)``, cut at ``cut * h``;
- ``bowers`` (Bowers, Johnson & Pease 2004, prospective mapping): ``1 / (1 + d)`` with ``d`` in cell
  units, cut at the bandwidth (a weight, not a density).

:func:`density` gives the normalised kernel (per square metre, integrating to 1 over the plane, up to the
Gaussian cut); :func:`shape` the unnormalised kernel that smoothers normalise over their own lattice;
:func:`reach` the distance beyond which a kernel is zero.
"""

from __future__ import annotations

import numpy as np

from hotpatrol.errors import check_choice

__all__ = ["KERNELS", "density", "reach", "shape"]

#: kernels with a density form (``bowers`` is a weight only)
KERNELS = ("quartic", "gaussian")


def density(d2, h: float, kernel: str, *, cut: float = 4.0) -> np.ndarray:
    """Normalised kernel at squared distances.

    Parameters
    ----------
    d2 : array_like
        Squared distances in m².
    h : float
        Bandwidth in metres (quartic radius, Gaussian standard deviation).
    kernel : {"quartic", "gaussian"}
    cut : float
        Gaussian cut-off in standard deviations (zero beyond ``cut * h``).

    Returns
    -------
    ndarray, shape of ``d2``
        Kernel values per m².
    """
    if kernel == "quartic":
        u = 1.0 - d2 / (h * h)
        return np.where(u > 0, 3.0 / (np.pi * h * h) * u * u, 0.0)
    check_choice("kernel", kernel, list(KERNELS))
    k = np.exp(-d2 / (2 * h * h)) / (2 * np.pi * h * h)
    return np.where(d2 <= (cut * h) ** 2, k, 0.0)


def shape(d, h: float, kernel: str, *, cut: float = 3.0) -> np.ndarray:
    """Unnormalised kernel at distances ``d`` (same units as ``h``): 1 at ``d = 0`` for quartic and Gaussian.

    Parameters
    ----------
    d : array_like
        Distances (metres, or cell units for ``bowers``).
    h : float
        Bandwidth (quartic radius, Gaussian standard deviation, Bowers cut-off).
    kernel : {"quartic", "gaussian", "bowers"}
    cut : float
        Gaussian cut-off in standard deviations.

    Raises
    ------
    HotpatrolError
        Unknown ``kernel``.
    """
    if kernel == "gaussian":
        return np.where(d <= cut * h, np.exp(-0.5 * (d / h) ** 2), 0.0)
    if kernel == "quartic":
        u = d / h
        return np.where(u < 1, (1 - u**2) ** 2, 0.0)
    if kernel == "bowers":  # Bowers et al. (2004): 1 / (1 + d) with d in cell units, cut at the bandwidth
        return np.where(d <= h, 1.0 / (1.0 + d), 0.0)
    check_choice("kernel", kernel, ["gaussian", "quartic"])
    raise AssertionError  # unreachable


def reach(h: float, kernel: str, *, cut: float) -> float:
    """Distance beyond which the kernel is zero: ``h`` (quartic, bowers) or ``cut * h`` (Gaussian)."""
    return cut * h if kernel == "gaussian" else h
