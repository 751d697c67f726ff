"""URL configuration. Every route's authorisation rule is in ``core.rules.ROUTE_RULES``."""

from django.contrib import admin
from django.urls import include, path

from hotpatrol.web.api import api
from hotpatrol.web.core import views

admin.site.site_header = "hotpatrol administration"
admin.site.site_title = "hotpatrol admin"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("districts/<slug:code>/", views.district, name="district"),
    path("audit/", views.audit_changes, name="audit_changes"),
    path("audit/access/", views.audit_access, name="audit_access"),
    path("health", views.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
