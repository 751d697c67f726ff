from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hotpatrol.web.core"
    label = "core"
    verbose_name = "hotpatrol"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from auditlog.registry import auditlog
        from django.contrib.auth import get_user_model

        from hotpatrol.web.core import models as m

        # every model's changes in the change log (who, when, before/after); secrets masked
        auditlog.register(get_user_model(), exclude_fields=["password", "last_login"])
        for model in (m.Force, m.District, m.Team, m.Profile, m.AnalysisRun):
            auditlog.register(model)
        auditlog.register(m.ApiToken, mask_fields=["key_hash"])
        # HotspotCell rows are written in bulk by an analysis run (no per-row signals): the run's entry
        # records them; single-cell edits still land in the log
        auditlog.register(m.HotspotCell, exclude_fields=["mix", "series"])
