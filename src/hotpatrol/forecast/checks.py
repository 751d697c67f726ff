"""Parameter checks shared by the forecasters (positive numbers, the weight parameter).
"""

from __future__ import annotations

import numpy as np

from hotpatrol.errors import HotpatrolError


def check_positive(name: str, value, *, integer: bool = False, allow_zero: bool = False) -> float:
    """``value`` as a float (an int when ``integer``) after checking it is a finite positive number
    (non-negative with ``allow_zero``); otherwise a :class:`~hotpatrol.errors.HotpatrolError` naming ``name``."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok:
        ok = np.isfinite(value) and (value >= 0 if allow_zero else value > 0)
        if integer:
            ok = ok and float(value).is_integer()
    if not ok:
        kind = "integer" if integer else "number"
        raise HotpatrolError(
            f"{name} must be a {'non-negative' if allow_zero else 'positive'} {kind}.",
            parameter=name, allowed=f"a {'non-negative' if allow_zero else 'positive'} {kind}", given=value,
        )
    return int(value) if integer else float(value)


def check_weight(weight) -> None:
    """'count' or a harm scheme (name, file path or HarmScheme)."""
    from hotpatrol.harm import HarmScheme

    if weight is None or isinstance(weight, HarmScheme):
        return
    if not isinstance(weight, str):
        raise HotpatrolError("weight must be 'count' or a harm scheme.", parameter="weight",
                             allowed=["count", "cchi", "<scheme .csv/.yaml path>"], given=weight)
