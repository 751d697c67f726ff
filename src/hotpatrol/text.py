"""Counts in generated text: "1 crime", "2 crimes", "1 place has", "3 places have".

Every sentence hotpatrol writes from a count (report commentary, summary notes, CLI lines) goes
through :func:`plural` so that a count of one never reads "1 crimes". A low layer: imports nothing
from hotpatrol.
"""

from __future__ import annotations

from numbers import Number


def _is_one(n) -> bool:
    try:
        return float(n) == 1.0
    except (TypeError, ValueError):
        return False


def number(n) -> str:
    """``n`` with thousands separators; whole floats print as integers, others with up to 3 significant decimals."""
    if isinstance(n, Number) and not isinstance(n, bool):
        f = float(n)
        if f.is_integer():
            return f"{int(f):,}"
        return f"{f:,.3g}" if abs(f) < 1000 else f"{f:,.1f}"
    return str(n)


def plural(n, singular: str, plural_form: str | None = None, *, with_number: bool = True) -> str:
    """``"1 crime"`` / ``"2 crimes"`` (``plural_form`` for irregular nouns: ``"1 box"``, ``"2 boxes"``).

    Parameters
    ----------
    n : the count (int or float; only exactly 1 is singular).
    singular : the noun for one (``"crime"``); the plural defaults to ``singular + "s"``.
    with_number : False gives the noun alone (``"crimes"``).
    """
    word = singular if _is_one(n) else (plural_form or singular + "s")
    return f"{number(n)} {word}" if with_number else word


def singular_of(noun: str) -> str:
    """The singular of a regular plural noun (``"crimes"`` -> ``"crime"``, ``"incidents"`` -> ``"incident"``)."""
    return noun[:-1] if noun.endswith("s") and not noun.endswith("ss") else noun


def verb(n, one: str, many: str) -> str:
    """``one`` when ``n`` is 1 (``"has"``, ``"was"``), else ``many`` (``"have"``, ``"were"``)."""
    return one if _is_one(n) else many
