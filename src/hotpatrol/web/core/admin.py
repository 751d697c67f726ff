"""Django admin for force admins (staff = the admin role): users, roles, districts, teams, logs."""

from django.contrib import admin

from hotpatrol.web.core import models as m
from hotpatrol.web.core.models import role_of


def _admin_only(request) -> bool:
    return request.user.is_active and request.user.is_staff and role_of(request.user) == "admin"


admin.site.has_permission = _admin_only


@admin.register(m.Force)
class ForceAdmin(admin.ModelAdmin):
    list_display = ("name",)


@admin.register(m.District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "force", "area_km2")
    search_fields = ("name", "code")
    readonly_fields = ("geometry", "map_geometry", "min_x", "min_y", "max_x", "max_y", "area_km2")


@admin.register(m.Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "district")
    list_filter = ("district",)


class AccessLoggedAdmin(admin.ModelAdmin):
    """Admin pages that show personal data: each object on a list page, and each object page opened
    (GET, 200), is written to the access log as ``access_object_type``."""

    access_object_type = ""

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        cl = getattr(response, "context_data", {}) or {}
        rows = cl.get("cl").result_list if cl.get("cl") is not None else []
        if rows:
            m.AccessLog.record(request, self.access_object_type, [o.pk for o in rows],
                               reason=f"admin {self.access_object_type} list")
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and getattr(response, "status_code", 200) == 200:
            m.AccessLog.record(request, self.access_object_type, object_id,
                               reason=f"admin {self.access_object_type} page")
        return response


@admin.register(m.Profile)
class ProfileAdmin(AccessLoggedAdmin):
    """Profiles show whose account has which role, district and team: reads go to the access log."""

    access_object_type = "profile"
    list_display = ("user", "role", "district", "team")
    list_filter = ("role", "district")
    search_fields = ("user__username", "user__email")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        user = obj.user
        user.is_staff = user.is_superuser = obj.role == "admin"
        user.save(update_fields=["is_staff", "is_superuser"])


@admin.register(m.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "user", "name", "created", "last_used", "revoked")
    readonly_fields = ("prefix", "key_hash", "created", "last_used")


@admin.register(m.AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ("id", "period_start", "period_end", "n_cells", "n_events", "created")
    readonly_fields = ("result", "months")


@admin.register(m.AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only: the access log is append-only."""

    list_display = ("when", "username", "action", "object_type", "object_id", "reason")
    list_filter = ("object_type", "action")
    search_fields = ("username", "object_id", "reason")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# ------------------------------------------------------------------ personal data read in the admin
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.admin import UserAdmin  # noqa: E402


class ProfileInline(admin.StackedInline):
    model = m.Profile
    can_delete = False
    extra = 0
    max_num = 1


class AccessLoggedUserAdmin(AccessLoggedAdmin, UserAdmin):
    """Users with their role, district and team (inline). The user list and user pages show names and
    emails: every view of them goes to the access log."""

    access_object_type = "user"
    inlines = [ProfileInline]
    list_display = ("username", "email", "role", "district", "is_active", "last_login")
    list_select_related = ("profile__district",)

    @admin.display(description="role")
    def role(self, obj):
        return getattr(getattr(obj, "profile", None), "role", "")

    @admin.display(description="district")
    def district(self, obj):
        profile = getattr(obj, "profile", None)
        return profile.district if profile is not None else ""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        user = form.instance
        profile = m.Profile.objects.filter(user=user).first()
        admin_role = profile is not None and profile.role == "admin"
        if user.is_staff != admin_role or user.is_superuser != admin_role:
            user.is_staff = user.is_superuser = admin_role
            user.save(update_fields=["is_staff", "is_superuser"])



User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, AccessLoggedUserAdmin)
