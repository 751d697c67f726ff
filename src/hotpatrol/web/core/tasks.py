"""Background work (django-tasks, database backend; ``hotpatrol serve`` runs one worker)."""

from __future__ import annotations

import os

from django_tasks import task


@task()
def analyse_store(months: int | None = None) -> dict:
    """Re-run the hotspot analysis of the site's store and save it as the newest run."""
    from hotpatrol.web import site

    run = site.analyse(os.environ.get("HOTPATROL_DB"), months=months)
    return {"run": run.pk, "period": f"{run.period_start}..{run.period_end}", "cells": run.n_cells}
