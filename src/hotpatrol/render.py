"""The one HTML renderer: Jinja2 with autoescaping on for every template.

Every HTML page hotpatrol writes (trial evaluation report, performance report, patrol briefing) is
rendered here. Every value put into a template is escaped unless it is explicitly marked as trusted
HTML with :func:`trusted` (a :class:`markupsafe.Markup`), which callers do only for HTML they built
from escaped parts: pandas tables written with ``escape=True``, :meth:`hotpatrol.results.Summary.as_html`
(which escapes its text; a :class:`~hotpatrol.results.Summary` can also be passed as is), CSS constants.
Templates do not use ``|safe``.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2
from markupsafe import Markup

__all__ = ["Markup", "environment", "render_string", "render_template", "trusted"]


@lru_cache(maxsize=None)
def environment(package: str | None = None, folder: str = "templates") -> jinja2.Environment:
    """The (cached) Jinja2 environment with autoescaping on.

    Parameters
    ----------
    package : str, optional
        Package whose ``folder`` holds the templates (e.g. ``"hotpatrol.evaluate"``); None for an
        environment that renders template strings only.
    folder : str
        Folder of the templates inside ``package``.

    Returns
    -------
    jinja2.Environment
        ``autoescape=True`` for every template, whatever its name.
    """
    loader = jinja2.PackageLoader(package, folder) if package else jinja2.BaseLoader()
    return jinja2.Environment(loader=loader, autoescape=True)


def render_string(template: str, /, **context) -> str:
    """Render the template text ``template`` with ``context`` (values escaped unless :func:`trusted`)."""
    return environment().from_string(template).render(**context)


def render_template(package: str, name: str, /, **context) -> str:
    """Render the template file ``name`` of ``package``'s ``templates`` folder with ``context``."""
    return environment(package).get_template(name).render(**context)


def trusted(html: str | None) -> Markup | None:
    """Mark ``html`` as trusted HTML (inserted as is); None stays None.

    Only for HTML built from escaped parts (tables written by pandas with ``escape=True``,
    summaries, constants), never for user text.
    """
    return None if html is None else Markup(html)
